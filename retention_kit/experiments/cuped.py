"""Covariate adjustment (CUPED / regression adjustment): the same experiment, a narrower
interval, by using what was known about each customer before assignment.

The adjusted difference is Lin's (2013, Ann. Appl. Stat. 7, 295-318) estimator: least
squares of the outcome on the arm, the centred pre-assignment covariates and their
interactions with the arm, with the HC2 heteroskedasticity-robust standard error. With one
covariate and a common slope it is CUPED (Deng, Xu, Kohavi & Walker 2013, WSDM), which
subtracts ``theta (X - mean X)`` from the outcome; the interactions let the slope differ
between arms, which never makes the estimator less precise asymptotically. Because the
covariates are fixed before assignment, the adjusted difference estimates the same effect
as the plain difference; it only removes noise the covariates explain.

**Brand-new customers** have no pre-period: their covariate is missing. Each covariate with
missing values gets an indicator ``<name>_missing``, and the missing values are filled with
the observed mean; both enter the regression. This missing-indicator method is valid in a
randomised experiment (Zhao & Ding 2022, "To adjust or not to adjust? Estimating the
average treatment effect in randomized experiments with missing covariates", JASA), and a
test with only new customers reduces to the unadjusted difference.

The outcome can be binary (retained at the horizon; a linear probability model, which is
what a difference in rates is) or numeric (orders, revenue per customer).

**RMST** (:func:`cuped_rmst`): censored lifetimes have no per-customer outcome to regress, so
each customer gets a jackknife pseudo-observation of their arm's Kaplan-Meier RMST
(:func:`rmst_pseudo_values`; Andersen, Hansen & Klein 2004) and the same adjustment runs on
those. Without censoring the pseudo-values are exactly min(T, tau).

**Hazard ratio**: :func:`cuped_hazard_ratio`, in
:mod:`~retention_kit.experiments.adjusted_hazard`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .._options import renamed
from ..errors import DataError
from ..results import explains
from ._adjustment import adjustment_caveats, covariate_columns, two_arm_frame
from ._common import ResultMixin, check_positive, outcome_values, p_is

__all__ = ["AdjustedComparison", "cuped", "cuped_rmst", "rmst_pseudo_values"]


def _ols_hc2(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and HC2 covariance of least squares of y on X."""
    xtx_inv = np.linalg.inv(X.T @ X)
    beta = xtx_inv @ (X.T @ y)
    resid = y - X @ beta
    leverage = np.einsum("ij,jk,ik->i", X, xtx_inv, X)
    weights = resid ** 2 / np.clip(1.0 - leverage, 1e-12, None)
    meat = (X * weights[:, None]).T @ X
    return beta, xtx_inv @ meat @ xtx_inv


@dataclass(repr=False)
class AdjustedComparison(ResultMixin):
    """Treatment minus control, unadjusted and covariate-adjusted (see :func:`cuped`)."""

    table: pd.DataFrame
    outcome: str
    control: str
    treatment: str
    alpha: float
    covariates: list
    new_customers: int
    n: int
    notes: list = field(default_factory=list)

    @property
    def summary(self) -> pd.DataFrame:
        return self.table

    @property
    def variance_reduction(self) -> float:
        """1 - (adjusted standard error / unadjusted standard error)^2."""
        se = self.table["std_error"]
        return float(1.0 - (se["adjusted"] / se["unadjusted"]) ** 2)

    @property
    def interval_ratio(self) -> float:
        """Adjusted interval width over the unadjusted one: sqrt(1 - variance reduction)."""
        se = self.table["std_error"]
        return float(se["adjusted"] / se["unadjusted"])

    @property
    def title(self) -> str:
        return f"{self.outcome}: {self.treatment} vs {self.control}, adjusted for pre-assignment behaviour"

    @explains
    def explain(self) -> str:
        t = self.table
        conf = f"{1 - self.alpha:.0%}"
        a, u = t.loc["adjusted"], t.loc["unadjusted"]
        lines = [
            f"Difference in {self.outcome} ({self.treatment} minus {self.control}), {self.n:,} customers: "
            f"unadjusted {u['diff']:+.4g} ({conf} CI {u['ci_lower']:+.4g} to {u['ci_upper']:+.4g}, "
            f"p {p_is(u['p_value'])}); "
            f"adjusted for {', '.join(self.covariates) if self.covariates else 'nothing'} {a['diff']:+.4g} "
            f"({conf} CI {a['ci_lower']:+.4g} to {a['ci_upper']:+.4g}, p {p_is(a['p_value'])}).",
        ]
        if self.variance_reduction >= 0.01:
            lines.append(
                f"The adjustment removed {self.variance_reduction:.0%} of the variance: the interval is "
                f"{self.interval_ratio:.0%} as wide, as if the experiment had "
                f"{1 / max(1 - self.variance_reduction, 1e-12):.2f} times the customers. Both estimate the same "
                "effect; the adjusted one is less noisy.")
        else:
            lines.append(
                "The covariates explain almost none of the outcome (variance reduction "
                f"{self.variance_reduction:+.1%}): "
                "adjusting changes nothing worth having. Look for pre-assignment behaviour that predicts the outcome "
                "(past orders, past activity).")
        lines += adjustment_caveats(self.new_customers)
        lines.extend(self.notes)
        return "\n".join(lines)

    def plot(self, ax=None, **kwargs):
        """The unadjusted and adjusted differences with their intervals. Returns the Axes.

        ``kwargs`` go to the estimates' points and intervals (``Axes.errorbar``), e.g. ``color=``
        or ``label=``."""
        from matplotlib.lines import Line2D

        from ..plotting import artist_kwargs, get_axes, label

        ax = get_axes(ax)
        t = self.table
        y = np.arange(len(t))[::-1]
        ax.errorbar(t["diff"], y, xerr=[t["diff"] - t["ci_lower"], t["ci_upper"] - t["diff"]],
                    **artist_kwargs(kwargs, Line2D, fmt="o", capsize=4))
        ax.axvline(0, color="grey", lw=1, ls="--")
        ax.set_yticks(y, list(t.index))
        return label(ax, title=self.title, xlabel=f"{self.treatment} minus {self.control} ({1 - self.alpha:.0%} CI)",
                     ylabel="estimate")


def _regression_adjust(frame: pd.DataFrame, y: np.ndarray, is_t: np.ndarray, covariates: list, alpha: float):
    """Unadjusted and Lin-adjusted differences of ``y`` (rows of ``frame``) between the arms."""
    columns, used, new_customers, notes = covariate_columns(frame, covariates)

    def fit(cols):
        Xc = [c - c.mean() for c in cols]
        candidates = [np.ones_like(y), is_t, *Xc, *(is_t * c for c in Xc)]
        X = np.column_stack(candidates)
        # Keep a column only if the columns before it leave part of it unexplained (its squared
        # residual norm, from the Gram matrix): an indicator present in one arm only adds nothing.
        gram = X.T @ X
        keep: list[int] = []
        for j in range(X.shape[1]):
            g = gram[keep, j]
            resid = gram[j, j] - (g @ np.linalg.solve(gram[np.ix_(keep, keep)], g) if keep else 0.0)
            if resid > 1e-10 * gram[j, j]:
                keep.append(j)
        if 1 not in keep:
            raise DataError("The arm indicator is constant: both arms are needed.")
        kept = [X[:, j] for j in keep]
        beta, cov = _ols_hc2(np.column_stack(kept), y)
        return float(beta[1]), float(np.sqrt(cov[1, 1]))

    z = stats.norm.isf(alpha / 2)
    rows = {}
    for label, cols in (("unadjusted", []), ("adjusted", columns)):
        diff, se = fit(cols)
        rows[label] = {"diff": diff, "std_error": se, "ci_lower": diff - z * se, "ci_upper": diff + z * se,
                       "p_value": float(2 * stats.norm.sf(abs(diff / se))) if se > 0 else float("nan")}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.insert(0, "control_mean", float(y[is_t == 0].mean()))
    table.insert(0, "treatment_mean", float(y[is_t == 1].mean()))
    table.index.name = "estimate"
    label_cov = [c for c in used if not c.endswith("_missing")] + [c for c in used if c.endswith("_missing")]
    return table, label_cov, new_customers, notes


def cuped(data: pd.DataFrame, outcome: str, covariates, *, arm_col: str = "arm", control: str = "control",
          treatment: str | None = None, alpha: float = 0.05) -> AdjustedComparison:
    """Difference in a per-customer outcome between two arms, adjusted for pre-assignment
    covariates (CUPED / Lin's regression adjustment), with the variance reduction.

    Parameters
    ----------
    data : DataFrame
        One row per assigned customer.
    outcome : str
        Column of the outcome: retained at the horizon (bool or 0/1) or a number (orders,
        revenue). Rows with a missing outcome (e.g. immature customers) are refused: filter them first.
    covariates : str or list of str
        Columns measured *before* assignment (orders, revenue or active days in the pre-period).
        Missing values mean "no history" and are handled with an indicator.
    arm_col : str
        Column naming each customer's arm.
    control : str
        The control arm.
    treatment : str, optional
        The treatment arm; needed only when there are more than two arms.
    alpha : float
        1 - confidence level.

    Returns
    -------
    AdjustedComparison
        ``summary`` has rows ``unadjusted`` and ``adjusted`` with ``diff``, ``std_error``,
        ``ci_lower``, ``ci_upper``, ``p_value``; ``variance_reduction``.

    Examples
    --------
    A covariate that explains part of the outcome narrows the interval; the unadjusted row
    is the difference of means with the Welch (unpooled) standard error.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> pre = rng.poisson(3, 2000).astype(float)
    >>> arm = np.repeat(["control", "loyalty"], 1000)
    >>> orders = pre + 0.3 * (arm == "loyalty") + rng.normal(0, 1, 2000)
    >>> res = cuped(pd.DataFrame({"arm": arm, "orders": orders, "pre_orders": pre}), "orders", "pre_orders")
    >>> round(res.variance_reduction, 2)
    0.76
    """
    covariates, alpha, treatment, frame, is_t = two_arm_frame(
        data, [outcome], covariates, alpha, arm_col=arm_col, control=control, treatment=treatment,
        hint="Pass the names with outcome=, covariates= and arm_col=.")
    y = outcome_values(frame[outcome], outcome)
    is_t = is_t.astype(float)
    n_t, n_c = int(is_t.sum()), int(len(is_t) - is_t.sum())
    if min(n_t, n_c) < 2:
        raise DataError(f"Each arm needs at least 2 customers; {treatment} has {n_t}, {control} has {n_c}.")

    table, label_cov, new_customers, notes = _regression_adjust(frame, y, is_t, covariates, alpha)
    return AdjustedComparison(table, outcome, control, treatment, alpha, label_cov, new_customers, len(y), notes)


# ---------------------------------------------------------------------------------------
# RMST: regression adjustment of jackknife pseudo-observations
# ---------------------------------------------------------------------------------------

@renamed(tau="horizon")
def rmst_pseudo_values(durations, event_observed, horizon: float) -> np.ndarray:
    """Jackknife pseudo-observations of the Kaplan-Meier RMST up to ``tau``:
    ``n * RMST - (n - 1) * RMST without customer i``, one per customer.

    Their mean is (close to) the Kaplan-Meier RMST, and a regression of them on covariates
    estimates covariate effects on the RMST (Andersen, Hansen & Klein 2004, Lifetime Data
    Anal. 10, 335-350), valid when censoring does not depend on the covariates. Leaving one
    customer out changes only the at-risk counts up to their time, so all n leave-one-out
    curves are computed at once on the grid of event times.

    Examples
    --------
    Without censoring the pseudo-values are exactly min(T, tau):

    >>> rmst_pseudo_values([2, 5, 9], [True, True, True], horizon=6).round(6).tolist()
    [2.0, 5.0, 6.0]
    """
    tau = horizon
    d = np.asarray(durations, dtype=float)
    e = np.asarray(event_observed, dtype=bool)
    tau = check_positive(tau, "horizon", "90 (days)")
    if d.shape != e.shape or d.ndim != 1 or d.size < 2:
        raise DataError("durations and event_observed must be two arrays of the same length, at least 2 customers.")
    if np.any(~np.isfinite(d)) or np.any(d < 0):
        raise DataError("durations must be finite and non-negative.")
    n = d.size
    times = np.unique(d[e & (d <= tau)])  # event times up to tau
    if times.size == 0:
        if d.max() < tau:
            raise DataError(f"horizon={tau:g} is beyond the longest observed duration ({d.max():g}) while customers "
                            "are still at risk: the curve is unknown there. Choose a horizon within the follow-up.")
        return np.full(n, tau)
    at_risk = n - np.searchsorted(np.sort(d), times, side="left")
    deaths = np.bincount(np.searchsorted(times, d[e & (d <= tau)]), minlength=times.size)
    if d.max() < tau and deaths[-1] < at_risk[-1]:
        raise DataError(f"horizon={tau:g} is beyond the longest observed duration ({d.max():g}) while customers are "
                        "still at risk: the curve is unknown there. Choose a horizon within the follow-up.")
    widths = np.diff(np.concatenate([times, [tau]]))  # S after t_k holds on [t_k, t_{k+1})
    with np.errstate(divide="ignore", invalid="ignore"):
        unchanged = np.log1p(-deaths / at_risk)[None, :]
        full = np.cumsum(unchanged[0])
        minus_one = np.where(at_risk > 1, np.log1p(-deaths / (at_risk - 1.0)), 0.0)
        minus_death = np.where(at_risk > 1, np.log1p(-(deaths - 1.0) / (at_risk - 1.0)), 0.0)
    rmst_full = times[0] + float(np.sum(np.exp(full) * widths))
    out = np.empty(n)
    first = np.searchsorted(times, d, side="left")  # event times before the customer's own time
    own = (first < times.size) & (times[np.minimum(first, times.size - 1)] == d)
    k = np.arange(times.size)
    for lo in range(0, n, 2000):  # blocks bound the memory at 2,000 x (event times)
        hi = min(lo + 2000, n)
        f, o, ev = first[lo:hi, None], own[lo:hi, None], e[lo:hi, None]
        logs = np.where(k[None, :] < f, minus_one[None, :], unchanged)
        logs = np.where((k[None, :] == f) & o, np.where(ev, minus_death[None, :], minus_one[None, :]), logs)
        with np.errstate(invalid="ignore"):
            curve = np.exp(np.cumsum(logs, axis=1))
        out[lo:hi] = times[0] + np.sum(np.nan_to_num(curve) * widths[None, :], axis=1)
    return n * rmst_full - (n - 1) * out


@renamed(tau="horizon")
def cuped_rmst(data: pd.DataFrame, horizon: float, covariates, *, duration_col: str = "duration",
               event_col: str = "churned", arm_col: str = "arm", control: str = "control",
               treatment: str | None = None, alpha: float = 0.05) -> AdjustedComparison:
    """Difference in restricted mean survival time (mean days retained within ``tau``),
    adjusted for pre-assignment covariates through pseudo-observations.

    Each arm's customers get jackknife pseudo-values of their arm's Kaplan-Meier RMST
    (:func:`rmst_pseudo_values`); the unadjusted row regresses them on the arm, the adjusted
    row adds the centred covariates and their interactions with the arm (as :func:`cuped`),
    with HC2 standard errors. Valid when censoring (e.g. the data ending) does not depend on
    the covariates; brand-new customers get a missing-history indicator.

    Parameters
    ----------
    data : DataFrame
        One row per customer: ``duration_col`` (lifetime from assignment), ``event_col``
        (True when churned, False when censored), ``arm_col`` and the covariates, e.g.
        ``RetentionComparison.lifetimes`` joined to pre-period behaviour.
    horizon : float
        RMST horizon, in the durations' unit.
    covariates : str or list of str
    duration_col, event_col, arm_col, control, treatment, alpha : see :func:`cuped`.

    Returns
    -------
    AdjustedComparison
        ``summary`` rows ``unadjusted`` and ``adjusted`` (RMST difference in the durations' unit).
    """
    tau = horizon
    covariates, alpha, treatment, frame, is_t = two_arm_frame(
        data, [duration_col, event_col], covariates, alpha, arm_col=arm_col, control=control,
        treatment=treatment, hint="Pass the names with duration_col=, event_col=, arm_col= and covariates=.")
    durations = outcome_values(frame[duration_col], duration_col)
    events = outcome_values(frame[event_col], event_col).astype(bool)
    y = np.empty(len(frame))
    for mask in (is_t, ~is_t):
        if mask.sum() < 2:
            raise DataError(f"Each arm needs at least 2 customers; {treatment} has {int(is_t.sum())}, "
                            f"{control} has {int((~is_t).sum())}.")
        y[mask] = rmst_pseudo_values(durations[mask], events[mask], tau)
    table, label_cov, new_customers, notes = _regression_adjust(frame, y, is_t.astype(float), covariates, alpha)
    return AdjustedComparison(table, f"RMST up to {tau:g}", control, treatment, alpha, label_cov, new_customers,
                              len(y), notes)
