"""Revenue and orders per customer, revenue per order: ratio metrics with the delta method,
the relative lift with its interval, guardrails with a non-inferiority margin, and the
Bayesian reading beside them.

A ratio metric divides two per-customer sums: revenue per order = total revenue / total
orders. The customer, not the order, is what was randomised, so orders of one customer are
not independent draws; the delta method (Deng, Knoblich & Lu 2018, "Applying the delta
method in metric analytics", KDD) gives the variance of ``R = mean(Y) / mean(X)`` from the
per-customer sums::

    Var(R) ~ (s_Y^2 - 2 R s_XY + R^2 s_X^2) / (n mean(X)^2)

With no denominator (revenue per customer) it is the variance of a mean, ``s_Y^2 / n``.

The **relative lift** ``R_t / R_c - 1`` gets a delta-method interval
(``Var ~ (R_t/R_c)^2 (V_t/R_t^2 + V_c/R_c^2)``, as GrowthBook and Eppo report) or
Fieller's (1954) interval, which stays honest when the control's mean is noisy.

A **guardrail** is a metric that must not get worse by more than a margin (e.g. revenue
per customer may not fall by more than 2 %): the one-sided non-inferiority test of
``lift <= -margin`` (or ``>= +margin`` when lower is better) at level alpha.

The **Bayesian reading** uses a flat prior on the difference with the normal likelihood
of the estimate: P(treatment beats control) = Phi(diff / se), and the expected loss of
shipping it, E[max(-D, 0)] = se phi(diff/se) - diff Phi(-diff/se), in the metric's units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .._options import choose
from ..errors import DataError, ParameterError
from ._common import ResultMixin, check_probability, p_is, prob, two_arms
from ..results import explains

__all__ = ["RatioComparison", "ratio_metric", "ratio_from_sums"]

_LIFT = ("delta", "fieller")


def _arm_stats(n, sy, sx, syy, sxx, sxy):
    """Ratio and its delta-method variance from sufficient statistics (sample covariances, ddof 1)."""
    mean_y, mean_x = sy / n, sx / n
    var_y = (syy - n * mean_y ** 2) / (n - 1)
    var_x = (sxx - n * mean_x ** 2) / (n - 1)
    cov = (sxy - n * mean_x * mean_y) / (n - 1)
    r = mean_y / mean_x
    var_r = (var_y - 2 * r * cov + r ** 2 * var_x) / (n * mean_x ** 2)
    return r, max(var_r, 0.0)


def _fieller(r_t, v_t, r_c, v_c, z):
    """Fieller interval of R_t / R_c for independent arms: (R_t - q R_c)^2 <= z^2 (V_t + q^2 V_c)."""
    a = r_c ** 2 - z ** 2 * v_c
    b = -2 * r_t * r_c
    c = r_t ** 2 - z ** 2 * v_t
    disc = b ** 2 - 4 * a * c
    if a <= 0 or disc < 0:
        return float("nan"), float("nan")  # the control mean is not distinguishable from 0: unbounded
    root = math.sqrt(disc)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


@dataclass(repr=False)
class RatioComparison(ResultMixin):
    """Treatment against control on a ratio (or mean) metric (see :func:`ratio_metric`)."""

    table: pd.DataFrame
    metric: str
    control: str
    treatment: str
    alpha: float
    margin: float | None
    higher_is_better: bool
    lift_interval: str
    notes: list = field(default_factory=list)

    @property
    def summary(self) -> pd.DataFrame:
        return self.table

    @property
    def row(self) -> pd.Series:
        return self.table.iloc[0]

    @property
    def guardrail(self) -> str | None:
        """``"holds"``, ``"violated"`` or ``"inconclusive"`` (None without a margin)."""
        if self.margin is None:
            return None
        return self.row["guardrail"]

    @property
    def title(self) -> str:
        return f"{self.metric}: {self.treatment} vs {self.control}"

    def decision(self, prob_threshold: float = 0.95, loss_threshold: float | None = None) -> str:
        """A Bayesian decision rule: ``"ship"`` when P(better) reaches ``prob_threshold`` and
        the expected loss is at most ``loss_threshold`` (the metric's units; no limit when
        None), ``"do not ship"`` when P(better) is at most ``1 - prob_threshold``, else
        ``"inconclusive"`` (GrowthBook's chance-to-win and risk thresholds)."""
        prob_threshold = check_probability(prob_threshold, "prob_threshold", "0.95")
        r = self.row
        if r["prob_better"] >= prob_threshold and (loss_threshold is None or r["expected_loss"] <= loss_threshold):
            return "ship"
        if r["prob_better"] <= 1 - prob_threshold:
            return "do not ship"
        return "inconclusive"

    @explains
    def explain(self) -> str:
        r = self.row
        conf = f"{1 - self.alpha:.0%}"
        lines = [
            f"{self.metric}: {self.treatment} {r['treatment_value']:.4g} vs {self.control} {r['control_value']:.4g} "
            f"({int(r['treatment_n']):,} and {int(r['control_n']):,} customers), a difference of {r['diff']:+.4g} "
            f"({conf} CI {r['ci_lower']:+.4g} to {r['ci_upper']:+.4g}, p {p_is(r['p_value'])}); relative lift "
            f"{r['lift']:+.2%} ({conf} CI {r['lift_lower']:+.2%} to {r['lift_upper']:+.2%}, "
            f"{'Fieller' if self.lift_interval == 'fieller' else 'delta method'}).",
            f"Bayesian reading (flat prior, so the {conf} credible interval is the interval above): "
            f"P({self.treatment} {'beats' if self.higher_is_better else 'is below'} control) "
            f"{prob(r['prob_better'])}; expected loss if shipped {r['expected_loss']:.4g} (the metric's units); "
            f"at a 95 % threshold the decision is: {self.decision()}.",
        ]
        if self.margin is not None:
            worse = "fall" if self.higher_is_better else "rise"
            verdict = {"holds": "the guardrail holds: a loss as large as the margin is ruled out",
                       "violated": "the guardrail is violated: the metric got worse by more than the margin",
                       "inconclusive": "inconclusive: a loss as large as the margin cannot be ruled out yet"}
            lines.append(f"Guardrail: {self.metric} may not {worse} by more than {self.margin:.1%}. Non-inferiority "
                         f"p {p_is(r['noninferiority_p'])} (one-sided, alpha = {self.alpha:g}): "
                         f"{verdict[r['guardrail']]}.")
        lines.append("Variances come from per-customer sums (the delta method): customers were randomised, "
                     "not orders, so the orders of one customer are not counted as independent.")
        lines.extend(self.notes)
        return "\n".join(lines)

    def plot(self, ax=None, **kwargs):
        """The relative lift with its interval and, for a guardrail, the margin. Returns the Axes.

        ``kwargs`` go to the lift's point and interval (``Axes.errorbar``), e.g. ``color=`` or
        ``label=``."""
        from matplotlib.lines import Line2D

        from ..plotting import artist_kwargs, get_axes, label

        ax = get_axes(ax)
        r = self.row
        ax.errorbar([r["lift"] * 100], [0], xerr=[[(r["lift"] - r["lift_lower"]) * 100],
                                                  [(r["lift_upper"] - r["lift"]) * 100]],
                    **artist_kwargs(kwargs, Line2D, fmt="o", capsize=4))
        ax.axvline(0, color="grey", lw=1, ls="--")
        if self.margin is not None:
            edge = -self.margin if self.higher_is_better else self.margin
            ax.axvline(edge * 100, color="red", lw=1, ls=":", label=f"margin {edge:+.1%}")
            ax.legend(loc="best", fontsize=8)
        ax.set_yticks([0], [str(self.treatment)])
        return label(ax, title=self.title, xlabel=f"relative lift, % ({1 - self.alpha:.0%} CI)", ylabel="arm")


def ratio_from_sums(treatment: dict, control: dict, *, metric: str = "metric", treatment_name: str = "treatment",
                    control_name: str = "control", alpha: float = 0.05, margin: float | None = None,
                    higher_is_better: bool = True, lift_interval: str = "delta") -> RatioComparison:
    """Compare a ratio metric from per-arm sufficient statistics (warehouse aggregates).

    Each arm is a dict with ``n`` (customers), ``sum_y``, ``sum_y2`` (numerator sum and sum
    of squares per customer) and, for a ratio, ``sum_x``, ``sum_x2``, ``sum_xy``; without
    them the denominator is 1 per customer (a mean per customer).

    Examples
    --------
    Three customers per arm with revenue (Y) and orders (X). Control: Y = 10, 20, 30; X = 1, 2, 2
    -> R = 60 / 5 = 12; s_Y^2 = 100, s_X^2 = 1/3, s_XY = 5; Var = (100 - 2*12*5 + 144/3) / (3 * (5/3)^2)
    = (100 - 120 + 48) / 8.3333 = 3.36.

    >>> ctl = dict(n=3, sum_y=60, sum_y2=1400, sum_x=5, sum_x2=9, sum_xy=110)
    >>> trt = dict(n=3, sum_y=75, sum_y2=2075, sum_x=5, sum_x2=9, sum_xy=135)
    >>> res = ratio_from_sums(trt, ctl, metric="revenue per order")
    >>> round(float(res.row["control_value"]), 2), round(float(res.row["control_se"]) ** 2, 2)
    (12.0, 3.36)
    """
    alpha = check_probability(alpha, "alpha")
    lift_interval = choose(lift_interval, _LIFT, "lift_interval", separator="-")
    if margin is not None:
        if isinstance(margin, bool) or not isinstance(margin, (int, float, np.floating)) or not 0 < margin < 1:
            raise ParameterError(f"margin={margin!r} must be a relative loss between 0 and 1, e.g. 0.02 for 2 %.")
    out = {}
    for name, arm in (("treatment", treatment), ("control", control)):
        need = {"n", "sum_y", "sum_y2"}
        if not isinstance(arm, dict) or not need <= set(arm):
            raise ParameterError(f"{name} must be a dict with at least {sorted(need)}; got {arm!r}.")
        n = float(arm["n"])
        if n < 2:
            raise DataError(f"The {name} arm has {n:g} customers; at least 2 are needed for a variance.")
        ratio = "sum_x" in arm
        sx, sxx, sxy = ((arm["sum_x"], arm["sum_x2"], arm["sum_xy"]) if ratio else (n, n, arm["sum_y"]))
        if sx <= 0:
            raise DataError(f"The {name} arm's denominator sums to {sx:g}: the ratio is undefined "
                            "(no orders at all?).")
        out[name] = (n, *_arm_stats(n, float(arm["sum_y"]), float(sx), float(arm["sum_y2"]), float(sxx), float(sxy)))
    (n_t, r_t, v_t), (n_c, r_c, v_c) = out["treatment"], out["control"]
    z = stats.norm.isf(alpha / 2)
    diff, se = r_t - r_c, math.sqrt(v_t + v_c)
    lift = r_t / r_c - 1
    if lift_interval == "fieller":
        lo, hi = _fieller(r_t, v_t, r_c, v_c, z)
        lift_lo, lift_hi = lo - 1, hi - 1
        se_lift = (r_t / r_c) * math.sqrt(v_t / r_t ** 2 + v_c / r_c ** 2) if r_t else float("nan")
    else:
        se_lift = math.sqrt(v_t + (r_t / r_c) ** 2 * v_c) / abs(r_c)
        lift_lo, lift_hi = lift - z * se_lift, lift + z * se_lift
    sign = 1.0 if higher_is_better else -1.0
    better = sign * diff / se if se > 0 else float("nan")
    row = {
        "treatment_n": n_t, "treatment_value": r_t, "treatment_se": math.sqrt(v_t),
        "control_n": n_c, "control_value": r_c, "control_se": math.sqrt(v_c),
        "diff": diff, "std_error": se, "ci_lower": diff - z * se, "ci_upper": diff + z * se,
        "p_value": float(2 * stats.norm.sf(abs(diff / se))) if se > 0 else float("nan"),
        "lift": lift, "lift_lower": lift_lo, "lift_upper": lift_hi,
        "prob_better": float(stats.norm.cdf(better)),
        "expected_loss": float(se * stats.norm.pdf(better) - sign * diff * stats.norm.cdf(-better)) if se > 0 else 0.0,
    }
    notes = []
    if lift_interval == "fieller" and not np.isfinite(lift_lo):
        notes.append("Fieller's interval for the lift is unbounded: the control's mean is too noisy to divide by.")
    if margin is not None:
        # One-sided test of H0: lift <= -margin (higher is better) on the delta-method scale.
        z_ni = sign * (lift + sign * margin) / se_lift
        p_ni = float(stats.norm.sf(z_ni))
        one_sided = stats.norm.isf(alpha)
        bound_lo, bound_hi = lift - one_sided * se_lift, lift + one_sided * se_lift
        if p_ni < alpha:
            verdict = "holds"
        elif (higher_is_better and bound_hi < -margin) or (not higher_is_better and bound_lo > margin):
            verdict = "violated"
        else:
            verdict = "inconclusive"
        row.update(margin=margin, noninferiority_p=p_ni, guardrail=verdict)
    table = pd.DataFrame([row], index=pd.Index([treatment_name], name="arm"))
    return RatioComparison(table, metric, control_name, treatment_name, alpha, margin, higher_is_better,
                           lift_interval, notes)


def ratio_metric(data: pd.DataFrame, numerator: str, denominator: str | None = None, *, arm_col: str = "arm",
                 control: str = "control", treatment: str | None = None, alpha: float = 0.05,
                 margin: float | None = None, higher_is_better: bool = True,
                 lift_interval: str = "delta") -> RatioComparison:
    """Compare a per-customer mean or a ratio metric between two arms, with the delta method.

    Parameters
    ----------
    data : DataFrame
        One row per assigned customer (customers without orders included, with 0).
    numerator : str
        Per-customer sum of the numerator: revenue, orders.
    denominator : str, optional
        Per-customer sum of the denominator (orders for revenue per order); without it the
        metric is the mean of ``numerator`` per customer.
    arm_col, control, treatment : str
        Arm column, control arm, treatment arm (needed only with more than two arms).
    alpha : float
        1 - confidence level (and the one-sided level of the guardrail test).
    margin : float, optional
        Guardrail: the largest acceptable relative loss (0.02 = 2 %).
    higher_is_better : bool
        False for metrics that should not rise (refunds, support tickets).
    lift_interval : {"delta", "fieller"}

    Returns
    -------
    RatioComparison

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"arm": ["control"] * 3 + ["loyalty"] * 3,
    ...                      "revenue": [10, 20, 30, 15, 25, 35], "orders": [1, 2, 2, 1, 2, 2]})
    >>> res = ratio_metric(data, "revenue", "orders")
    >>> round(float(res.row["control_value"]), 2), round(float(res.row["treatment_value"]), 2)
    (12.0, 15.0)
    """
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"data must be a pandas DataFrame with one row per customer; got {type(data).__name__}.")
    cols = [numerator] + ([denominator] if denominator else []) + [arm_col]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise DataError(f"Columns {missing} are not in the data (columns: {list(data.columns)}).")
    treatment, is_t, is_c = two_arms(data, arm_col, control, treatment)
    sums = {}
    for name, mask in ((treatment, is_t), (control, is_c)):
        part = data[mask]
        y = pd.to_numeric(part[numerator], errors="coerce").to_numpy(dtype=float)
        if np.isnan(y).any():
            raise DataError(f"{numerator!r} has {int(np.isnan(y).sum()):,} missing or non-numeric values in arm "
                            f"{name!r}; customers without purchases should have 0, not NaN.")
        s = {"n": len(y), "sum_y": y.sum(), "sum_y2": (y ** 2).sum()}
        if denominator:
            x = pd.to_numeric(part[denominator], errors="coerce").to_numpy(dtype=float)
            if np.isnan(x).any() or (x < 0).any():
                raise DataError(f"{denominator!r} must be non-negative numbers in every row (arm {name!r}).")
            s.update(sum_x=x.sum(), sum_x2=(x ** 2).sum(), sum_xy=(x * y).sum())
        sums[name] = s
    metric = f"{numerator} / {denominator}" if denominator else f"{numerator} per customer"
    return ratio_from_sums(sums[treatment], sums[control], metric=metric, treatment_name=treatment,
                           control_name=control, alpha=alpha, margin=margin, higher_is_better=higher_is_better,
                           lift_interval=lift_interval)
