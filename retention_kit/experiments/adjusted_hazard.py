"""Covariate adjustment of a hazard ratio (:func:`cuped_hazard_ratio`): a Cox model of the
arm plus the centred pre-assignment covariates and missing-history indicators of
:func:`~retention_kit.experiments.cuped` (no interactions).

Unlike :func:`~retention_kit.experiments.cuped` and :func:`~retention_kit.experiments.cuped_rmst`,
this changes the estimand: the hazard ratio is *non-collapsible* (Gail, Wieand & Piantadosi 1984,
Biometrika 71, 431-444), so the conditional hazard ratio (customers with the same history)
lies further from 1 than the marginal one (the arms as wholes), even in a randomised
experiment with no confounding. Its standard error is usually *larger*, not smaller; what the
adjustment buys is power (a larger |z|; Robinson & Jewell 1991, Int. Stat. Rev. 59, 227-240).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError
from ..results import explains
from ._adjustment import adjustment_caveats, covariate_columns, two_arm_frame
from ._common import ResultMixin, outcome_values, p_is

__all__ = ["AdjustedHazardRatio", "cuped_hazard_ratio"]


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
        lines += adjustment_caveats(self.new_customers)
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
    covariates, alpha, treatment, frame, is_t = two_arm_frame(
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
    columns, used, new_customers, notes = covariate_columns(frame, covariates)
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
