"""Comparing retention between experiment arms from assignments and the activity log, or
from ready lifetimes: :func:`compare_retention`, read as its steps (the horizons, the inputs,
each customer's retention at the horizon, the mature counts, the checks, the summary).

The public names are re-exported by :mod:`retention_kit.compare`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .._options import caller_stacklevel, check_alpha, check_horizon, choose, legacy_arguments, removed_in
from ..errors import ImmatureDataWarning, ParameterError, RetentionWarning
from ..multiple_testing import resolve_correction
from ..periods import parse_duration
from .curves import CURVE_COLUMNS, adjust_curves, whole_curve
from .inputs import assigned_by_arm, horizon_length, read_inputs, read_time_unit, seen_in_window
from .options import CI_METHODS, check_control, read_prior, resolve_primary
from .peeking import warn_peeking
from .proportions import fixed_horizon
from .result import RetentionComparison
from .srm import sample_ratio_check, warn_srm
from .text import days, horizon_words, in_units, warn
from .verdicts import add_verdicts

__all__ = ["compare_retention"]


@legacy_arguments(positional=("horizon", "control"))
def compare_retention(assignments=None, events=None, *, horizon="30D", control: str = "control",
                      churn_after=None, window=None, as_of=None, primary: str = "fixed_horizon",
                      planned_split=None, correction: str = "holm",
                      alpha: float = 0.05, ci_method: str = "newcombe", prior=(1.0, 1.0), rmst_horizon=None,
                      planned_n=None, looks: int | None = None, customer_col: str = "customer_id",
                      arm_col: str = "arm", time_col: str = "date", lifetimes=None, duration_col: str = "duration",
                      event_col: str = "churned", time_unit: str | None = None) -> RetentionComparison:
    """Compare retention between experiment arms, from assignments and the activity log.

    **Retained at the horizon H** means: some activity in ``(assignment + H, assignment +
    H + window]``, the ``window`` (w) after the horizon, which defaults to ``churn_after``.
    **Only mature customers** enter the fixed-horizon test: those with ``assignment + H + w
    <= as_of``, whose window has been observed in full, so their status is final: the same
    customers give the same rate at every later as-of date. The number left out as
    immature is reported and warned about, never counted as churned. The whole-curve part
    (Kaplan-Meier per arm, log-rank, RMST, Cox) uses every assigned customer, the immature
    ones as censored. The verdict follows one declared ``primary`` analysis.

    Parameters
    ----------
    assignments : DataFrame, optional
        One row per customer: ``customer_col``, ``arm_col`` and ``time_col`` (assignment
        time, where the customer's clock starts). Activity before it is ignored; assigned
        customers who never came back count (lifetime 0); customers assigned after
        ``as_of`` are left out with a :class:`DataQualityWarning`. Required with
        ``events``; with ``lifetimes`` it may be left out (``compare_retention(lifetimes=life, churn_after="30D")``).
        ``assignments`` and ``events`` are the data and may be given by position; every
        other argument is keyword-only (``horizon`` and ``control`` by position still work
        in 0.2.x, with a ``FutureWarning``).

    events : DataFrame, path, DuckDB relation, Polars or PySpark DataFrame
        The activity log (``customer_col``, ``time_col``). Not needed when ``lifetimes`` is given.
        Files (read by DuckDB), DuckDB, Polars and Spark inputs compute each assigned
        customer's first and last activity after assignment in their engine (through
        ``customer_lifetimes``); the comparison itself then runs in pandas, with the same
        result (see :mod:`retention_kit.engines`).
    horizon : int, str or Timedelta
        H, days as a number or a string such as ``"30D"`` or ``"8W"``; a number of
        ``time_unit`` for lifetimes in another unit (``horizon=6`` with ``time_unit="months"``).
    control : str
        The control arm; every other arm is compared with it (one summary row each).
    churn_after : int, str or Timedelta
        Silence after which a customer counts as churned (see ``customer_lifetimes``).
        Required, as in every function that classifies customers from their silence;
        leaving it out still means 30 days in 0.2.x, with a ``FutureWarning``, and is an
        error from 0.3.0.
    window : int, str or Timedelta, optional
        w, how long after the horizon activity counts as "retained at H"; ``churn_after``
        by default. Needs ``events``: with ``lifetimes`` alone the window cannot be seen,
        and the open-ended rule (any activity after H up to ``as_of``) is used with a
        :class:`RetentionWarning` saying that its rate depends on the as-of date.
    as_of : date-like, optional
        End of observation; the last event by default.
    primary : {"fixed_horizon", "rmst", "logrank"}
        The analysis that decides the ``verdict`` column and leads ``explain()``, declared
        before looking: the fixed-horizon rate difference (pooled z-test, the test
        :func:`sample_size` plans), the RMST difference up to ``rmst_horizon``, or the
        log-rank test of the whole curve. The others are supporting evidence.
    planned_split : dict, optional
        Planned share per arm for the sample ratio check (equal by default).
    correction : {"holm", "bh", "bonferroni", "none"}
        Adjustment across treatment arms, applied to every family of p-values (fixed
        horizon, Fisher, log-rank, RMST, hazard ratio); the ``*_adjusted`` intervals match
        it (see the module docstring). Nothing changes with one treatment arm.
    alpha : float
        Significance level; every unadjusted interval has confidence ``1 - alpha``.
    ci_method : {"newcombe", "wald"}
        Interval for the difference of rates.
    prior : (a, b)
        Beta prior of each arm's retention rate for the Bayesian view.
    rmst_horizon : int, str or Timedelta, optional
        Horizon of the restricted mean survival time; ``horizon`` by default.
    planned_n : int or SampleSizePlan, optional
        Planned mature customers per arm; comparing before reaching it raises a
        :class:`PeekingWarning` with the inflated false-positive rate.
    looks : int, optional
        Number of looks so far (including this one), for the peeking warning.
    customer_col, arm_col, time_col : str
        Column names, the same in ``assignments`` and ``events``.
    lifetimes : DataFrame, optional
        Ready lifetimes from ``customer_lifetimes(events, start_times=assignments, ...)``,
        with ``arm_col`` or joined to ``assignments`` by customer.
        Ready-made lifetimes with their own names work too: ``start`` (the assignment time),
        the durations and the churn flags (see ``duration_col``, ``event_col``, ``time_unit``).
    duration_col, event_col : str
        The lifetimes' durations and churn flags (default ``duration``, ``churned``). Flags
        are True/False, 1/0 or text Yes/No, True/False, churned/active in any case; anything
        else is refused with the values and their count.
    time_unit : str, optional
        The unit of the lifetimes' durations: days, weeks, months, quarters or years (the
        frame's ``rk.metadata`` by default, else days). It names the RMST, the explanations
        and the plots' axes; ``horizon`` and ``rmst_horizon`` are then numbers of that unit
        (durations such as ``"30D"`` work for days and weeks), and a horizon of H months
        takes H * 365.25 / 12 days of calendar time when telling which customers are mature.
        Lifetimes built from ``events`` are in days.

    Returns
    -------
    RetentionComparison

    Warns
    -----
    ImmatureDataWarning, SampleRatioMismatchWarning, SmallSampleWarning, PeekingWarning,
    ProportionalHazardsWarning

    Examples
    --------
    >>> import warnings
    >>> import retention_kit as rk
    >>> shop = rk.load_coffee_shop()
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", rk.ImmatureDataWarning)
    ...     res = rk.compare_retention(shop.assignments, shop.transactions, horizon="30D",
    ...                                churn_after="30D")
    >>> row = res.summary.loc["loyalty"]
    >>> int(row["control_n"]), int(row["n"]), round(float(row["control_rate"]), 3), round(float(row["rate"]), 3)
    (1529, 1471, 0.629, 0.689)
    >>> round(float(row["ci_lower"]), 3), round(float(row["ci_upper"]), 3), round(float(row["hazard_ratio"]), 2)
    (0.026, 0.094, 0.71)
    >>> row["verdict"]  # the primary analysis (fixed horizon) decides
    'better'

    The simulator's truth for the same window (a purchase in days 30-60 after assignment)
    is 0.606 and 0.680, a difference of 0.075, inside the interval (see
    ``tests/test_estimands.py``).
    """

    span = _read_horizons(horizon, churn_after, window, rmst_horizon, read_time_unit(lifetimes, events, time_unit))
    primary = resolve_primary(primary, has_curves=True)
    alpha = check_alpha(alpha)
    ci_method = choose(ci_method, CI_METHODS, "ci_method")
    correction = resolve_correction(correction)
    prior = read_prior(prior)
    if looks is not None and planned_n is None:
        raise ParameterError("looks is only used with planned_n (the planned customers per arm).")

    frame, life, as_of_ts, quality = read_inputs(
        assignments, events, lifetimes, churn_after=span.churn_after, as_of=as_of, customer_col=customer_col,
        arm_col=arm_col, time_col=time_col, duration_col=duration_col, event_col=event_col)
    life = life.rename(columns={arm_col: "arm"}) if arm_col != "arm" else life
    check_control(control, sorted(life["arm"].unique()))
    if events is None:
        span = replace(span, window=None)  # lifetimes carry only the first and last activity

    notes: list[str] = []
    life, seen = _retained_at_horizon(life, events, span, as_of_ts, customer_col, time_col, notes)
    arms = [control] + sorted(a for a in life["arm"].unique() if a != control)
    assigned = assigned_by_arm(frame, life, arms, as_of_ts, customer_col, arm_col, time_col)
    counts, immature = _mature_counts(life, arms, assigned)
    if immature.sum():
        _warn_immature(life, seen, counts, immature, arms, span, as_of_ts, notes)
    srm = sample_ratio_check(assigned, planned_split=planned_split)
    warn_srm(srm, notes)
    warn_peeking(counts, planned_n, looks, alpha, notes)
    summary, curves = _summary(life, counts, immature, arms, span, alpha=alpha, ci_method=ci_method,
                               correction=correction, prior=prior, primary=primary, notes=notes)
    return RetentionComparison(
        table=summary, control=control, control_n=int(counts.loc[control, "n"]), alpha=alpha,
        ci_method=ci_method, correction=correction, prior=prior, srm=srm, horizon=span.horizon,
        churn_after=span.churn_after, as_of=as_of_ts, rmst_horizon=span.rmst, curves=curves, lifetimes=life,
        data_quality=quality, immature=immature, notes=notes, primary=primary, window=span.window,
        time_unit=span.time_unit)


@dataclass(frozen=True)
class _Span:
    """The lengths of a comparison. ``horizon`` and ``rmst`` are durations (Timedelta) when the
    lifetimes are in days, else numbers of ``time_unit``; ``horizon_td`` is the calendar time
    the horizon takes; ``window`` is None when only lifetimes were given (open end)."""

    horizon: object
    horizon_td: pd.Timedelta
    churn_after: pd.Timedelta
    window: pd.Timedelta | None
    rmst: object
    time_unit: str


def _read_horizons(horizon, churn_after, window, rmst_horizon, time_unit: str) -> _Span:
    """The horizon, the churn window, the window after the horizon and the RMST's horizon."""
    if time_unit == "days":
        horizon_td = value = parse_duration(horizon, name="horizon")
    else:
        value, horizon_td = horizon_length(horizon, time_unit)
    if churn_after is None:
        warnings.warn(f"compare_retention() without churn_after= is deprecated and stops working in {removed_in()}, "
                      "as in customer_lifetimes() and survival_table(): pass churn_after='30D' for the "
                      "result of the old default.", FutureWarning, stacklevel=caller_stacklevel())

        churn_after = "30D"
    churn_td = parse_duration(churn_after, name="churn_after")
    window_td = churn_td if window is None else parse_duration(window, name="window")

    if window_td <= pd.Timedelta(0):
        raise ParameterError(f"window={window!r} must be a positive duration, e.g. '30D' (the default is "
                             "churn_after).")
    if time_unit == "days":
        rmst = horizon_td if rmst_horizon is None else parse_duration(rmst_horizon, name="rmst_horizon")
    else:
        rmst = value if rmst_horizon is None else check_horizon(rmst_horizon, time_unit, "rmst_horizon")
    return _Span(value, horizon_td, churn_td, window_td, rmst, time_unit)


def _retained_at_horizon(life, events, span: _Span, as_of_ts, customer_col, time_col, notes) -> tuple:
    """``mature`` and ``retained`` per customer (retention at H is known only for mature
    customers; for the others it is NA, not False), and whether each was seen after H."""
    if events is not None:
        seen = seen_in_window(events, life, span.horizon_td, span.window, as_of_ts, customer_col, time_col)
        mature_flags = ((life["start"] + span.horizon_td + span.window) <= as_of_ts).to_numpy()
    else:
        # Lifetimes alone carry only the first and last activity: the window cannot be seen.
        seen = (~life["churned"].to_numpy(dtype=bool)) | (life["duration"].to_numpy() > in_units(span.horizon))
        mature_flags = ((life["start"] + span.horizon_td + span.churn_after) <= as_of_ts).to_numpy()
        warn(RetentionWarning,
             f"Retention {horizon_words(span.horizon, span.time_unit)} is counted with an open end (any activity "
             f"after the horizon up to {as_of_ts:%Y-%m-%d}) because only lifetimes were given: the same customers' "
             "rate rises as data arrive, so it depends on the as-of date. Pass the activity log too "
             "(events=...) for the bounded window, whose rate never changes once customers are mature.", notes)
    retained = pd.array(np.asarray(seen, dtype=bool), dtype="boolean")
    retained[~mature_flags] = pd.NA
    return life.assign(mature=mature_flags, retained=retained), seen


def _mature_counts(life, arms, assigned) -> tuple[pd.DataFrame, pd.Series]:
    """Mature customers and how many of them were retained, per arm; the immature per arm."""
    mature = life[life["mature"]].groupby("arm")
    counts = pd.DataFrame({"n": mature.size(), "retained": mature["retained"].sum().astype(np.int64)})
    counts = counts.reindex(arms, fill_value=0)
    counts = counts.astype(np.int64)
    counts.index.name = "arm"
    immature = (assigned - counts["n"]).astype(np.int64)
    return counts, immature


def _warn_immature(life, seen, counts, immature, arms, span: _Span, as_of_ts, notes) -> None:
    """Say how many customers are left out as immature, and what counting them as churned would show."""
    wrong = ""
    if "last_activity" in life.columns:
        # The classic mistake: everyone assigned, "retained" only if already seen in the window.
        seen_after = pd.Series(np.asarray(seen, dtype=bool), index=life.index)
        naive = (seen_after.groupby(life["arm"]).mean()).reindex(arms)
        honest = counts["retained"] / counts["n"].where(counts["n"] > 0)
        wrong = " Counting them as churned would show " + "; ".join(
            f"{arm} {naive[arm]:.1%} instead of {honest[arm]:.1%}" for arm in arms) + "."
    h, w = in_units(span.horizon), days(span.window or span.churn_after)
    wait = f"{h:g} + {w:g} days" if span.time_unit == "days" else f"{h:g} {span.time_unit} + {w:g} days"
    warn(ImmatureDataWarning,
         f"{int(immature.sum()):,} customers ({', '.join(f'{a} {int(k):,}' for a, k in immature.items())}) were "
         f"assigned less than {wait} before "
         f"{as_of_ts:%Y-%m-%d}: their "
         f"retention {horizon_words(span.horizon, span.time_unit)} is not known yet, so they are left out of the "
         f"fixed-horizon test (the curves use those who started before the detection limit, censored).{wrong}", notes)


def _summary(life, counts, immature, arms, span: _Span, *, alpha, ci_method, correction, prior, primary,
             notes) -> tuple:
    """The summary (fixed-horizon and whole-curve columns, adjusted, with verdicts) and the curves."""
    control = arms[0]
    summary = fixed_horizon(counts, control, alpha=alpha, ci_method=ci_method, correction=correction,
                            prior=prior, notes=notes)
    summary["immature"] = immature.drop(index=control)
    curves, curve_table = whole_curve(life, control, arms[1:], rmst_horizon=in_units(span.rmst), alpha=alpha,
                                      notes=notes, time_unit=span.time_unit)
    summary = summary.join(curve_table[CURVE_COLUMNS])
    adjust_curves(summary, alpha, correction)
    add_verdicts(summary, primary, alpha)
    return summary, curves
