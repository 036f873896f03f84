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

**Hazard ratio** (:func:`cuped_hazard_ratio`): a Cox model of the arm plus the same centred
covariates and missing-history indicators (no interactions). Unlike the two above, this
changes the estimand: the hazard ratio is *non-collapsible* (Gail, Wieand & Piantadosi 1984,
Biometrika 71, 431-444), so the conditional hazard ratio (customers with the same history)
lies further from 1 than the marginal one (the arms as wholes), even in a randomised
experiment with no confounding. Its standard error is usually *larger*, not smaller; what the
adjustment buys is power (a larger |z|; Robinson & Jewell 1991, Int. Stat. Rev. 59, 227-240).
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError, ParameterError
from ._common import ResultMixin, check_positive, check_probability, outcome_values, p_is, two_arms
from ..results import explains
from .._options import renamed

__all__ = ["AdjustedComparison", "AdjustedHazardRatio", "cuped", "cuped_hazard_ratio", "cuped_rmst",
           "rmst_pseudo_values"]


def _check_columns(data: pd.DataFrame, needed: list, hint: str) -> None:
    """Raise a DataError naming the absent columns, with the closest existing names."""
    missing = [c for c in needed if c not in data.columns]
    if not missing:
        return
    names = [str(c) for c in data.columns]
    guesses = [f"{m!r} -> {close[0]!r}" for m in missing
               for close in [difflib.get_close_matches(str(m), names, n=1, cutoff=0.6)] if close]
    did = f" Did you mean {', '.join(guesses)}?" if guesses else ""
    raise DataError(f"Columns {missing} are not in the data (columns: {list(data.columns)}).{did} {hint}")


def _two_arms(data: pd.DataFrame, arm_col: str, control: str, treatment: str | None):
    """:func:`two_arms`, with a plain error when the data hold one arm only."""
    arms = sorted({str(a) for a in data[arm_col].dropna().unique()})
    if len(arms) < 2:
        raise DataError(f"{arm_col!r} holds only one arm ({arms}): a comparison needs the control and a "
                        "treatment arm. Pass the whole experiment, not one arm's customers.")
    return two_arms(data, arm_col, control, treatment)


def _two_arm_frame(data, needed: list, covariates, alpha, *, arm_col: str, control: str, treatment,
                   hint: str):
    """The checked inputs every adjusted comparison starts from: the covariates as a list, alpha,
    the treatment arm's name, the rows of the two arms and a boolean "is treatment" Series."""
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"data must be a pandas DataFrame with one row per customer; got {type(data).__name__}.")
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    alpha = check_probability(alpha, "alpha")
    _check_columns(data, [*needed, arm_col, *covariates], hint)
    treatment, in_t, in_c = _two_arms(data, arm_col, control, treatment)
    return covariates, alpha, treatment, data[in_t | in_c], in_t[in_t | in_c]


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
        lines.append("Choose the covariates before seeing the result (in the plan): picking the adjustment that gives "
                     "the smaller p-value is another way of peeking.")
        if self.new_customers:
            lines.append(f"{self.new_customers:,} customers had no history before assignment (brand-new): they are "
                         "kept, with a missing-history indicator, so the comparison still covers everyone.")
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


def _covariate_columns(frame: pd.DataFrame, covariates: list):
    """The covariates as float columns: each filled with its observed mean where missing (brand-new
    customers), plus an indicator ``<name>_missing`` when some (not all) are missing; the names used,
    the number of customers without history, and notes on covariates left out."""
    notes, used, columns = [], [], []
    new_customers = 0
    for name in covariates:
        x = pd.to_numeric(frame[name], errors="coerce")
        if (x.isna() & frame[name].notna()).any():
            example = frame.loc[x.isna() & frame[name].notna(), name].iloc[0]
            raise DataError(f"Covariate {name!r} has non-numeric values such as {example!r}; give numbers "
                            "(NaN for no history).")
        absent = x.isna().to_numpy()
        if absent.all():
            notes.append(f"{name} is missing for every customer and was not used.")
            continue
        new_customers = max(new_customers, int(absent.sum()))
        filled = x.fillna(x.mean()).to_numpy(dtype=float)
        if filled.std() > 0:
            columns.append(filled)
            used.append(name)
        if absent.any() and not absent.all():
            columns.append(absent.astype(float))
            used.append(f"{name}_missing")
        elif filled.std() == 0:
            notes.append(f"{name} is the same for every customer and was not used.")
    return columns, used, new_customers, notes


def _regression_adjust(frame: pd.DataFrame, y: np.ndarray, is_t: np.ndarray, covariates: list, alpha: float):
    """Unadjusted and Lin-adjusted differences of ``y`` (rows of ``frame``) between the arms."""
    columns, used, new_customers, notes = _covariate_columns(frame, covariates)

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
    covariates, alpha, treatment, frame, is_t = _two_arm_frame(
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
    tau = check_positive(tau, "tau", "90 (days)")
    if d.shape != e.shape or d.ndim != 1 or d.size < 2:
        raise DataError("durations and event_observed must be two arrays of the same length, at least 2 customers.")
    if np.any(~np.isfinite(d)) or np.any(d < 0):
        raise DataError("durations must be finite and non-negative.")
    n = d.size
    times = np.unique(d[e & (d <= tau)])  # event times up to tau
    if times.size == 0:
        if d.max() < tau:
            raise DataError(f"horizon={tau:g} is beyond the longest observed duration ({d.max():g}) while customers "
                            "are still at risk: the curve is unknown there. Choose a tau within the follow-up.")
        return np.full(n, tau)
    at_risk = n - np.searchsorted(np.sort(d), times, side="left")
    deaths = np.bincount(np.searchsorted(times, d[e & (d <= tau)]), minlength=times.size)
    if d.max() < tau and deaths[-1] < at_risk[-1]:
        raise DataError(f"horizon={tau:g} is beyond the longest observed duration ({d.max():g}) while customers are "
                        "still at risk: the curve is unknown there. Choose a tau within the follow-up.")
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
    covariates, alpha, treatment, frame, is_t = _two_arm_frame(
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


# ---------------------------------------------------------------------------------------
# Hazard ratio: Cox regression with the pre-assignment covariates
# ---------------------------------------------------------------------------------------

@dataclass(repr=False)
class AdjustedHazardRatio(ResultMixin):
    """Treatment vs control hazard ratio, unadjusted and covariate-adjusted (see
    :func:`cuped_hazard_ratio`). The two rows estimate different quantities: the marginal and
    the conditional hazard ratio."""

    table: pd.DataFrame
    control: str
    treatment: str
    alpha: float
    covariates: list
    new_customers: int
    n: int
    events: int
    notes: list = field(default_factory=list)

    @property
    def summary(self) -> pd.DataFrame:
        return self.table

    @property
    def se_ratio(self) -> float:
        """Adjusted over unadjusted standard error of the log hazard ratio (usually above 1 for Cox)."""
        se = self.table["std_error"]
        return float(se["adjusted"] / se["unadjusted"])

    @property
    def variance_reduction(self) -> float:
        """1 - se_ratio^2, as for :func:`cuped`; usually *negative* for Cox, because the adjusted
        estimate is of a different (conditional) hazard ratio, further from 1: compare ``z_ratio``."""
        return float(1.0 - self.se_ratio ** 2)

    @property
    def z_ratio(self) -> float:
        """|z| of the adjusted log hazard ratio over |z| of the unadjusted one: what the adjustment
        does to the evidence (above 1: more power), in this sample."""
        z = self.table["z"]
        return float(abs(z["adjusted"]) / abs(z["unadjusted"])) if z["unadjusted"] != 0 else float("nan")

    @property
    def title(self) -> str:
        return f"Hazard ratio: {self.treatment} vs {self.control}, adjusted for pre-assignment behaviour"

    @explains
    def explain(self) -> str:
        t = self.table
        conf = f"{1 - self.alpha:.0%}"
        a, u = t.loc["adjusted"], t.loc["unadjusted"]
        covs = ", ".join(self.covariates) if self.covariates else "nothing"
        lines = [
            f"Hazard ratio of {self.treatment} to {self.control}, {self.n:,} customers and {self.events:,} churn "
            f"events (Cox, Efron ties): unadjusted {u['hazard_ratio']:.3f} ({conf} CI {u['ci_lower']:.3f} to "
            f"{u['ci_upper']:.3f}, p {p_is(u['p_value'])}); adjusted for {covs} {a['hazard_ratio']:.3f} "
            f"({conf} CI {a['ci_lower']:.3f} to {a['ci_upper']:.3f}, p {p_is(a['p_value'])}).",
            "The two are not the same quantity (non-collapsibility): the adjusted one compares customers with the "
            "same pre-assignment behaviour (the conditional hazard ratio), the unadjusted one the two arms as "
            "wholes (the marginal hazard ratio). When the covariates predict churn, the conditional hazard ratio "
            "lies further from 1 even in a randomised experiment with no confounding, so the move is not bias "
            "removed; say which one you report.",
        ]
        bigger = "larger" if self.se_ratio > 1 else "smaller"
        lines.append(
            f"Standard error of the log hazard ratio: adjusted / unadjusted = {self.se_ratio:.3f} ({bigger}; for Cox "
            "it is usually larger, unlike CUPED for a rate). What the adjustment buys is evidence: |z| "
            f"{abs(a['z']):.2f} adjusted against {abs(u['z']):.2f} unadjusted (ratio {self.z_ratio:.2f}).")
        ph = a["ph_p_value"]
        if np.isfinite(ph):
            if ph < 0.05:
                lines.append(f"Proportional hazards for the arm are rejected (Schoenfeld residuals, p {p_is(ph)}): "
                             "the hazard ratio is a time average; report the RMST difference (cuped_rmst()) for the "
                             "size of the effect.")
            else:
                lines.append(f"Proportional hazards for the arm hold as far as the data can tell (Schoenfeld "
                             f"residuals against rank time, p {p_is(ph)}).")
        lines.append("Choose the covariates before seeing the result (in the plan): picking the adjustment that gives "
                     "the smaller p-value is another way of peeking.")
        if self.new_customers:
            lines.append(f"{self.new_customers:,} customers had no history before assignment (brand-new): they are "
                         "kept, with a missing-history indicator, so the comparison still covers everyone.")
        lines.extend(self.notes)
        return "\n".join(lines)

    def plot(self, ax=None, **kwargs):
        """Forest plot: the unadjusted and adjusted hazard ratios with their intervals (log scale).
        Returns the Axes.

        ``kwargs`` go to the hazard ratios' points and intervals (``Axes.errorbar``), e.g.
        ``color=`` or ``label=``."""
        from matplotlib.lines import Line2D

        from ..plotting import artist_kwargs, get_axes, label, ratio_axis

        ax = get_axes(ax)
        t = self.table
        y = np.arange(len(t))[::-1]
        ax.errorbar(t["hazard_ratio"], y, xerr=[t["hazard_ratio"] - t["ci_lower"], t["ci_upper"] - t["hazard_ratio"]],
                    **artist_kwargs(kwargs, Line2D, fmt="o", capsize=4))
        ax.axvline(1, color="grey", lw=1, ls="--")
        ax.set_xscale("log")
        ratio_axis(ax, "x")
        ax.set_ylim(-0.6, len(t) - 0.4)
        ax.set_yticks(y, [f"{name} ({'conditional' if name == 'adjusted' else 'marginal'})" for name in t.index])
        return label(ax, title=self.title,
                     xlabel=f"hazard ratio, {self.treatment} to {self.control} ({1 - self.alpha:.0%} CI, log scale)",
                     ylabel="estimate")


def _independent_columns(cols: list) -> list:
    """Indices of the centred ``cols`` that the intercept and the columns kept before them leave
    partly unexplained (a collinear covariate adds nothing and would make Cox singular)."""
    X = np.column_stack([np.ones(len(cols[0])), *cols])
    gram = X.T @ X
    keep = [0]
    for j in range(1, X.shape[1]):
        g = gram[keep, j]
        resid = gram[j, j] - g @ np.linalg.solve(gram[np.ix_(keep, keep)], g)
        if resid > 1e-10 * gram[j, j]:
            keep.append(j)
    return [j - 1 for j in keep[1:]]


def _cox_row(durations, events, columns, alpha):
    """Cox (lifelines, Efron ties, one row per customer, no weights) of the first column and the rest;
    the first column's log hazard ratio, its standard error and the Schoenfeld test of its PH."""
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError
    from lifelines.statistics import proportional_hazard_test

    names = [f"_x{j}" for j in range(len(columns))]
    df = pd.DataFrame({n: c - c.mean() for n, c in zip(names, columns)})
    df["_duration"], df["_event"] = durations, events.astype(float)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lifelines' own advice; convergence failures raise below
            fitter = CoxPHFitter().fit(df, "_duration", "_event")
    except ConvergenceError as exc:
        raise DataError("The Cox model did not converge: a covariate may separate churners from the others "
                        f"perfectly, or be almost collinear with another. ({str(exc).splitlines()[0]})") from None
    beta, se = float(fitter.params_["_x0"]), float(fitter.standard_errors_["_x0"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ph = float(proportional_hazard_test(fitter, df, time_transform="rank").summary.loc["_x0", "p"])
    except Exception:  # noqa: BLE001 - the check is a diagnostic, never a reason to fail the estimate
        ph = float("nan")
    z_crit = stats.norm.isf(alpha / 2)
    z = beta / se
    return {"hazard_ratio": float(np.exp(beta)), "ci_lower": float(np.exp(beta - z_crit * se)),
            "ci_upper": float(np.exp(beta + z_crit * se)), "log_hr": beta, "std_error": se, "z": z,
            "p_value": float(2 * stats.norm.sf(abs(z))), "ph_p_value": ph}


def cuped_hazard_ratio(data: pd.DataFrame, covariates, *, duration_col: str = "duration",
                       event_col: str = "churned", arm_col: str = "arm", control: str = "control",
                       treatment: str | None = None, alpha: float = 0.05) -> AdjustedHazardRatio:
    """Hazard ratio of treatment to control from a Cox model, unadjusted and adjusted for
    pre-assignment covariates, with the change in standard error and a proportional-hazards check.

    The adjusted row is a Cox model (lifelines ``CoxPHFitter``, Efron ties) of the arm
    indicator and the centred covariates, with a ``<name>_missing`` indicator for customers
    without history exactly as in :func:`cuped`; the unadjusted row is the arm alone on the same
    rows. Each customer is one row, without weights (lifelines' weighted Efron likelihood is not
    the one of the expanded rows when there are ties).

    **The two rows estimate different things.** The hazard ratio is non-collapsible: adjusting
    for a covariate that predicts churn moves the hazard ratio away from 1 (the *conditional*
    hazard ratio, comparing customers with the same history) even when, as in a randomised
    experiment, there is no confounding; the unadjusted one is the *marginal* hazard ratio of
    the arms as wholes. The adjusted standard error of the log hazard ratio is then usually
    *larger* (``se_ratio`` above 1, ``variance_reduction`` negative), while the estimate moves
    further from 1 by more, so the test gains power (``z_ratio`` above 1). Report the adjusted
    hazard ratio as the conditional one. For an adjusted effect that keeps the marginal meaning,
    use :func:`cuped_rmst`.

    Parameters
    ----------
    data : DataFrame
        One row per customer: ``duration_col`` (lifetime from assignment), ``event_col`` (True
        when churned, False when censored), ``arm_col`` and the covariates, e.g.
        ``RetentionComparison.lifetimes`` joined to pre-period behaviour.
    covariates : str or list of str
        Numeric columns measured *before* assignment; missing values mean "no history".
    duration_col, event_col, arm_col, control, treatment, alpha : see :func:`cuped_rmst`.

    Returns
    -------
    AdjustedHazardRatio
        ``summary`` rows ``unadjusted`` (marginal) and ``adjusted`` (conditional) with
        ``hazard_ratio``, ``ci_lower``, ``ci_upper``, ``log_hr``, ``std_error``, ``z``, ``p_value``
        and ``ph_p_value`` (Schoenfeld test of proportional hazards for the arm); ``se_ratio``,
        ``variance_reduction``, ``z_ratio``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> past = rng.normal(0, 1, 3000)
    >>> arm = np.repeat(["control", "winback"], 1500)
    >>> life = rng.exponential(1 / (0.02 * np.exp(past) * np.where(arm == "winback", 0.8, 1.0)))
    >>> data = pd.DataFrame({"arm": arm, "duration": np.minimum(life, 60), "churned": life <= 60,
    ...                      "past_visits": past})
    >>> res = cuped_hazard_ratio(data, "past_visits")
    >>> res.summary["hazard_ratio"].round(2).tolist()  # marginal, then conditional (truth 0.8)
    [0.82, 0.79]
    """
    covariates, alpha, treatment, frame, is_t = _two_arm_frame(
        data, [duration_col, event_col], covariates, alpha, arm_col=arm_col, control=control,
        treatment=treatment, hint="Pass the names with duration_col=, event_col=, arm_col= and covariates=.")
    durations = outcome_values(frame[duration_col], duration_col)
    events = outcome_values(frame[event_col], event_col).astype(bool)
    if np.any(~np.isfinite(durations)) or np.any(durations < 0):
        raise DataError(f"{duration_col!r} must hold finite, non-negative lifetimes.")
    if not events.any():
        raise DataError(f"No churn events among the {len(events):,} customers ({event_col!r} is never True): a hazard "
                        "ratio needs churn. Wait for more follow-up, or compare retention at a horizon (cuped()).")
    for name, mask in ((treatment, is_t), (control, ~is_t)):
        if not events[mask].any():
            raise DataError(f"No churn events in the {name} arm ({int(mask.sum()):,} customers): a hazard ratio needs "
                            "churn in both arms. Wait for more follow-up, or compare retention at a horizon (cuped()).")
    columns, used, new_customers, notes = _covariate_columns(frame, covariates)
    arm = is_t.astype(float)
    kept = _independent_columns([arm, *columns])
    if 0 not in kept:
        raise DataError("The arm indicator is constant: both arms are needed.")
    for j in sorted(set(range(1, len(columns) + 1)) - set(kept)):
        notes.append(f"{used[j - 1]} is a combination of the arm or the other covariates and was not used.")
    used = [used[j - 1] for j in kept[1:]]
    rows = {"unadjusted": _cox_row(durations, events, [arm], alpha),
            "adjusted": _cox_row(durations, events, [arm, *(columns[j - 1] for j in kept[1:])], alpha)}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "estimate"
    label_cov = [c for c in used if not c.endswith("_missing")] + [c for c in used if c.endswith("_missing")]
    return AdjustedHazardRatio(table, control, treatment, alpha, label_cov, new_customers, len(durations),
                               int(events.sum()), notes)
