"""Survival analysis of churn: lifetimes from raw logs, Kaplan-Meier curves, log-rank tests,
restricted mean survival time (RMST) and Cox drivers.

Why survival and not "churn rate among those who left": at any date many customers are
still active, so their lifetimes are not finished (*censored*). Averaging only finished
lifetimes keeps the short ones and drops the long ones, which makes churn look faster than
it is. Kaplan-Meier uses every customer for exactly as long as they were observed.

Shared definitions (the same in every module of the kit):

* **Lifetime.** The duration runs from the customer's *start* (first activity, or a given
  start time such as the experiment assignment) to the *last activity*. A customer is
  **churned** when inactive for at least ``churn_after`` before ``as_of``; otherwise
  **censored**, with the duration running to the detection limit ``as_of - churn_after``.
* **Not yet classifiable**: a customer who started after the detection limit. No lapse of
  theirs could have been seen yet (they can only be censored, whatever they do), so they
  are left out of the lifetimes and counted in the data-quality report.
* **Retained at horizon H**: some activity strictly after start + H. The Kaplan-Meier
  S(H) estimates exactly this.
* **Mature for horizon H**: start + H + churn_after <= as_of.
* ``as_of`` defaults to the last date in the data, never today.

Weights. Every function taking ``weights_col`` / ``weights`` reads them as *frequency
counts* (how many identical customers a row stands for), so an aggregated
``(duration, churned, count)`` table gives exactly the results of the raw rows. Counts must
be whole numbers: the log-rank variance uses ``n - 1`` and Greenwood's formula uses
``n - d``, which are only meaningful for counts. Paths of lifelines that are *not*
equivalent on weighted rows are not used with weights: Cox with Efron ties (weights are
expanded to rows instead, see :func:`cox_drivers`), the Fleming-Harrington weighted
log-rank (we only run the plain log-rank) and ``pairwise_logrank_test`` (which takes no
weights; :func:`pairwise_logrank` runs our weighted two-group test for each pair instead).
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from .errors import (
    DataError, DataQualityWarning, ImmatureDataWarning, ParameterError, ProportionalHazardsWarning,
    SmallSampleWarning,
)
from ._options import check_alpha as _check_alpha
from ._options import caller_stacklevel, check_horizon, legacy_arguments
from .multiple_testing import CORRECTIONS, adjust_p_values, resolve_correction
from .periods import parse_duration, parse_freq, period_codes
from .plotting import get_axes, label, percent_axis
from .results import DataQualityReport, Result, explains, format_p, metadata, render_html, set_metadata
from .engines import is_pandas, open_events, starts_table
from .validation import CUSTOMER, TIME, log_columns, parse_flags, prepare_events, record_drop, require_columns
from .validation import example_text as _example

__all__ = [
    "customer_lifetimes", "subscription_lifetimes", "aggregate_lifetimes", "survival_table", "purchase_gaps",
    "PurchaseGaps", "kaplan_meier", "SurvivalCurves", "logrank", "LogrankResult",
    "pairwise_logrank", "PairwiseLogrank", "rmst", "RMSTResult", "rmst_difference",
    "RMSTDifference", "cox_drivers", "CoxDrivers",
]

LIFETIME_COLUMNS = ["customer_id", "start", "first_activity", "last_activity", "duration", "churned"]
_DAY = pd.Timedelta(days=1)


# --------------------------------------------------------------------------------------
# Lifetimes
# --------------------------------------------------------------------------------------

def _as_list(cols) -> list:
    if cols is None:
        return []
    return [cols] if isinstance(cols, str) else [c for c in cols]


def _time_unit(unit) -> tuple[str | None, str]:
    """(period code or None for elapsed days, plural name of the unit)."""
    freq = parse_freq(unit)
    if freq.code == "D":
        return None, "days"
    return freq.code, f"{freq.name}s"


def _durations(start: pd.Series, end: pd.Series, period: str | None) -> np.ndarray:
    if period is None:
        return ((end - start) / _DAY).to_numpy(dtype=float)
    # Calendar periods: the number of period boundaries crossed (periods since start).
    return (period_codes(end, period) - period_codes(start, period)).astype(float)


def _one_value_per_customer(frame: pd.DataFrame, cols: list, what: str) -> pd.DataFrame:
    """First value of each carried column per customer; raise if a column varies."""
    if not cols:
        return pd.DataFrame(index=pd.Index(frame[CUSTOMER].unique(), name=CUSTOMER))
    grouped = frame.groupby(CUSTOMER, sort=False)[cols]
    varying = grouped.nunique(dropna=False)
    for col in cols:
        bad = varying.index[varying[col] > 1]
        if len(bad):
            example = bad[0]
            values = frame.loc[frame[CUSTOMER] == example, col].unique().tolist()[:4]
            raise DataError(
                f"Column {col!r} in {what} varies within a customer for {len(bad):,} customers "
                f"(for example customer {example!r} has {values}). A lifetime carries one value "
                f"per customer: keep the value at the start (e.g. df.sort_values(...)"
                f".groupby(customer)[{col!r}].transform('first')) or leave {col!r} out of keep_cols."
            )
    return grouped.first()


def _start_series(start_times, customer_col: str, time_col: str, report: DataQualityReport):
    """Normalise start_times to (Series customer -> naive Timestamp, frame of extra columns)."""
    if isinstance(start_times, pd.DataFrame):
        require_columns(start_times, {"customer_col": customer_col, "time_col": time_col},
                        what="start_times")
        extra = start_times.drop(columns=[time_col]).rename(columns={customer_col: CUSTOMER})
        series = pd.Series(start_times[time_col].to_numpy(), index=start_times[customer_col].to_numpy())
        name = time_col  # messages name the caller's column (the assignments' time column)
    elif isinstance(start_times, pd.Series):
        series, extra = start_times.copy(), None
        name = "start_times"
    else:
        raise DataError(
            f"start_times must be a Series indexed by customer id or a DataFrame with columns "
            f"{customer_col!r} and {time_col!r}; got {type(start_times).__name__}."
        )
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()]
        raise DataError(
            f"start_times has {len(dup):,} customers with more than one start (for example "
            f"{_example(dup)}). Give one start per customer, e.g. the first assignment: "
            "df.groupby(customer)[time].min()."
        )
    from .validation import parse_times as _to_datetime  # the one date parser of the kit

    values, _ = _to_datetime(pd.Series(series.to_numpy()), name, report)
    out = pd.Series(values.to_numpy(), index=pd.Index(series.index, name=CUSTOMER))
    if extra is not None:
        extra = extra.set_index(CUSTOMER)
    return out, extra


@legacy_arguments(renamed={"keep_cols": "by", "unit": "freq"})
def customer_lifetimes(
    events: pd.DataFrame,
    *,
    churn_after,
    as_of=None,
    customer_col: str = "customer_id",
    time_col: str = "date",
    start_times=None,
    by=(),
    freq: str = "D",
    censor_at: str = "detection_limit",
) -> pd.DataFrame:
    """One lifetime per customer from a transaction log (non-contractual setting).

    Parameters
    ----------
    events : DataFrame, path, DuckDB relation, Polars or PySpark DataFrame
        One row per purchase / visit / login. Files (read by DuckDB), DuckDB, Polars and
        Spark inputs run the per-customer reduction (first and last activity) in their
        engine and give the same table (see :mod:`retention_kit.engines`); for large logs
        prefer :func:`survival_table`, which returns only the aggregated counts.
    churn_after : int, str or Timedelta
        Required. A customer whose last activity lies at least this long before ``as_of``
        is churned; otherwise censored. Days as a number, or ``"60D"``, ``"8W"``.
    as_of : date-like, optional
        End of observation; defaults to the last event in the data (never today).
    customer_col, time_col : str
        Names of the customer and time columns (of ``events`` and of ``start_times``).
    start_times : Series or DataFrame, optional
        Each customer's clock start (e.g. the experiment assignment time): a Series
        indexed by customer id, or a DataFrame with ``customer_col`` and ``time_col``. Only
        activity at or after the start counts. Customers of ``events`` absent from
        ``start_times`` are left out (with a :class:`DataQualityWarning`), so are customers
        who start after ``as_of``. Customers of ``start_times`` with no activity at or
        after their start are kept: their ``last_activity`` is the start, so their duration
        is 0 if they are churned (nobody came back within ``churn_after``), or runs to
        ``as_of`` if they are still within ``churn_after`` of the start (censored).
        When ``start_times`` is a DataFrame, ``by`` columns found in it (e.g. the arm) are
        taken from it, the others from ``events``.
    by : str or sequence of str
        Columns carried through (segment, channel, arm), one value per customer, to group
        on later (``kaplan_meier(..., by=...)``) or use as covariates: a column that varies
        within a customer raises :class:`DataError`. (``keep_cols`` until 0.2.0.)
    freq : str
        ``"D"`` (default): durations in days, as floats (time of day counts).
        ``"W"``, ``"M"``, ``"Q"``, ``"Y"``: durations in whole calendar periods
        (periods between the start's and the end's period, see ``rk.periods``).
    censor_at : {"as_of", "detection_limit"}
        Where a censored lifetime ends. ``"detection_limit"`` (default): at
        ``as_of - churn_after``, the last instant at which a lapse could still have been
        recognised as churn; this keeps the Kaplan-Meier curve unbiased at long horizons
        (see Notes). ``"as_of"``: at ``as_of``, the textbook convention, which overstates
        survival near the end of follow-up.

    Returns
    -------
    DataFrame
        One row per classifiable customer, sorted by id, with ``customer_id``, ``start``,
        ``first_activity`` (NaT if none at or after the start), ``last_activity``,
        ``duration`` (float), ``churned`` (bool) and the ``keep_cols``. ``.attrs`` holds
        ``as_of``, ``churn_after``, ``time_unit``, ``censor_at``, ``not_yet_classifiable``
        (the number of customers left out, see Notes) and the ``data_quality`` report.

    Notes
    -----
    *Where a churned lifetime ends.* At the last activity, not at last activity plus the
    threshold: the last purchase is the last thing we saw the customer do, so the
    lifetime is "time until the last purchase", and S(H) estimates the share of customers
    who buy again after H (the kit's definition of *retained at H*). Adding the threshold
    would move every churned lifetime by the same arbitrary amount, and a customer who
    lapses just after buying would be counted as retained for another ``churn_after``.

    *Censored lifetimes* end at ``as_of - churn_after`` by default. A customer is censored
    because their last purchase is within ``churn_after`` of ``as_of``; what we know is
    that they were still buying after ``as_of - churn_after``, so their lifetime exceeds
    that point, and nothing more. Running censored lifetimes on to ``as_of``
    (``censor_at="as_of"``, the convention of many tutorials) assumes they are still
    active; some have already made their last purchase, so Kaplan-Meier S(H) is
    overstated near the end of follow-up, the more so the longer ``churn_after``. On the
    bundled coffee shop (true S(180) = 0.204) ``"as_of"`` gives 0.212, 0.247 and 0.375 with
    ``churn_after`` of 30, 60 and 120 days; the default gives 0.195, 0.200 and 0.205,
    because churn is only observable up to ``as_of - churn_after`` and censoring there is
    independent of the customer's fate. Fixed-horizon comparisons of mature customers (start + H +
    churn_after <= as_of) are unaffected: both choices agree up to ``as_of - churn_after``.
    With ``"detection_limit"`` a censored customer's duration can be shorter than their
    last activity minus start.

    *Customers who are not yet classifiable are left out.* A customer who started after
    the detection limit ``as_of - churn_after`` has no observable follow-up: whatever they
    do, they cannot be churned yet. Kept as censored lifetimes (of 0 days, or of up to
    ``churn_after`` with ``censor_at="as_of"``), they would sit in the risk set of every
    early horizon without ever adding a churn, so every curve is lifted: on a simulated shop
    acquiring to the end of the data (20,000 customers, seed 2024, ``churn_after=120``, a
    third of them late) Kaplan-Meier S(0+) was 0.934 and S(30) 0.710 against a true 0.902
    and 0.689; without them it is 0.902 and 0.686 (``tests/test_late_starters.py``). So
    they are dropped here, which keeps every consumer of the table (Kaplan-Meier,
    log-rank, RMST from arrays, Cox, :func:`~retention_kit.compare_retention`'s curves,
    plain lifelines) unbiased by default; the data-quality report has a "not yet
    classifiable" row (their events, dropped, and how many customers started after which
    instant) and ``.attrs["not_yet_classifiable"]`` counts them. This applies under
    either ``censor_at``. A customer who started exactly at the limit is kept: their churn
    at day 0 is observable.

    *Why the threshold matters and how to choose it.* Without contracts nobody announces
    they left; ``churn_after`` turns silence into churn and trades two errors. Too short:
    customers on an ordinary pause between purchases are counted churned, lifetimes are
    cut short and churn is overstated; customers who come back after the cut-off are
    misclassified. Too long: recent leavers still look active, are censored at ``as_of``
    (survival near the end is overstated), and fewer customers are old enough to be
    classified at all. Choose it from the distribution of gaps between consecutive
    purchases (:func:`purchase_gaps`): a gap that live customers rarely exceed (the 90th to
    95th percentile) is a defensible threshold; show the sensitivity of the results to it.

    Examples
    --------
    >>> log = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b", "b"],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-02-01",
    ...                             "2024-01-05", "2024-05-30"])})
    >>> life = customer_lifetimes(log, churn_after=60)
    >>> life[["customer_id", "duration", "churned"]]  # b: censored at 05-30 - 60 days = 03-31
      customer_id  duration  churned
    0           a      31.0     True
    1           b      86.0    False

    A customer who started after the detection limit (c, on 04-15) is left out and counted:

    >>> late = pd.concat([log, pd.DataFrame({"customer_id": ["c"], "date": [pd.Timestamp("2024-04-15")]})])
    >>> life = customer_lifetimes(late, churn_after=60)
    >>> life["customer_id"].tolist(), life.attrs["not_yet_classifiable"]
    (['a', 'b'], 1)
    >>> life.attrs["data_quality"].summary[["check", "rows", "action"]].values.tolist()
    [['not yet classifiable', 1, 'dropped']]
    """
    customer_col, time_col, _ = log_columns(events, customer_col, time_col)
    churn_gap = parse_duration(churn_after, name="churn_after")
    period, unit_name = _time_unit(freq)
    if censor_at not in ("as_of", "detection_limit"):
        close = difflib.get_close_matches(str(censor_at), ["as_of", "detection_limit"], n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ParameterError(f"censor_at={censor_at!r} is not an option.{hint} "
                             "Use 'as_of' or 'detection_limit'.")
    keep_cols = _as_list(by)
    start_extra_cols: list = []
    if isinstance(start_times, pd.DataFrame):
        start_extra_cols = [c for c in keep_cols if c in start_times.columns and c != customer_col]
    event_keep = [c for c in keep_cols if c not in start_extra_cols]
    if not is_pandas(events):
        starts, first, last, rows, carried, extra, report, as_of_ts = _engine_activity(
            events, customer_col=customer_col, time_col=time_col, event_keep=event_keep, as_of=as_of,
            start_times=start_times)
        return _assemble_lifetimes(starts, first, last, rows, carried, extra, report, as_of_ts, churn_gap=churn_gap,
                                   censor_at=censor_at, period=period, unit_name=unit_name,
                                   keep_cols=keep_cols, event_keep=event_keep, start_extra_cols=start_extra_cols)
    log = prepare_events(events, customer_col=customer_col, time_col=time_col,
                         keep_cols=event_keep, as_of=as_of)
    frame, report, as_of_ts = log.frame, log.report, log.as_of

    extra = None
    if start_times is None:
        used = frame
        starts = used.groupby(CUSTOMER, sort=True)[TIME].min()
    else:
        starts, extra = _start_series(start_times, customer_col, time_col, report)
        starts = _drop_late_starts(starts, as_of_ts, report)
        known = frame[CUSTOMER].isin(starts.index)
        if not known.all():
            unknown = frame.loc[~known, CUSTOMER].unique()
            warnings.warn(
                f"{len(unknown):,} customers of the events have no start in start_times (for "
                f"example {_example(unknown)}) and were left out ({int((~known).sum()):,} events).",
                DataQualityWarning, stacklevel=2)
            record_drop(report, customer_col, int((~known).sum()), "customer has no start time")
        used = frame[known]
        before = used[TIME].to_numpy() < starts.reindex(used[CUSTOMER]).to_numpy()
        if before.any():
            record_drop(report, time_col, int(before.sum()), "before the customer's start time")
        used = used[~before]
        starts = starts.sort_index()

    grouped = used.groupby(CUSTOMER, sort=False)[TIME]
    first = grouped.min().reindex(starts.index)
    last = grouped.max().reindex(starts.index)
    rows = grouped.size().reindex(starts.index, fill_value=0)
    carried = _one_value_per_customer(used, event_keep, "events") if event_keep else None
    return _assemble_lifetimes(starts, first, last, rows, carried, extra, report, as_of_ts, churn_gap=churn_gap,
                               censor_at=censor_at, period=period, unit_name=unit_name, keep_cols=keep_cols,
                               event_keep=event_keep, start_extra_cols=start_extra_cols)


def _drop_late_starts(starts: pd.Series, as_of_ts, report) -> pd.Series:
    late = starts > as_of_ts
    if late.any():
        warnings.warn(
            f"{int(late.sum()):,} customers of start_times start after as_of "
            f"({as_of_ts:%Y-%m-%d}) and were left out.", DataQualityWarning, stacklevel=caller_stacklevel())
        report.add("start_times", int(late.sum()), "dropped", "start after the as-of date")
        starts = starts[~late]
    return starts


def _engine_activity(events, *, customer_col, time_col, event_keep, as_of, start_times):
    """customer_lifetimes' inputs from an engine: starts, first and last activity per
    customer (only activity at or after the start), carried columns, start_times extras."""
    log = open_events(events, customer_col=customer_col, time_col=time_col, keep_cols=event_keep, as_of=as_of)
    report, as_of_ts = log.report, log.as_of
    extra = table = None
    if start_times is not None:
        starts, extra = _start_series(start_times, customer_col, time_col, report)
        starts = _drop_late_starts(starts, as_of_ts, report).sort_index()
        table = starts_table(starts)
        checks = log.start_checks(table)
        if checks["unknown_rows"]:
            warnings.warn(
                f"{int(checks['unknown_customers']):,} customers of the events have no start in start_times "
                f"(for example {_example([checks['unknown_example']])}) and were left out "
                f"({int(checks['unknown_rows']):,} events).", DataQualityWarning, stacklevel=caller_stacklevel())
            record_drop(report, customer_col, int(checks["unknown_rows"]), "customer has no start time")
        if checks["before_rows"]:
            record_drop(report, time_col, int(checks["before_rows"]), "before the customer's start time")
    act = log.activity(table)
    act.index = pd.Index(act["cust"].to_numpy(), name=CUSTOMER)
    as_time = lambda us: pd.Series(pd.to_datetime(us.to_numpy(np.int64), unit="us"), index=us.index)  # noqa: E731
    first, last = as_time(act["first_us"]), as_time(act["last_us"])
    if start_times is None:
        starts = first.sort_index()
    first, last = first.reindex(starts.index), last.reindex(starts.index)
    rows = pd.Series(act["n_rows"].to_numpy(np.int64), index=act.index).reindex(starts.index, fill_value=0)
    carried = None
    if event_keep:
        for i, col in enumerate(event_keep):
            varying = act[f"k{i}_n"].to_numpy() > 1
            if varying.any():
                raise DataError(
                    f"Column {col!r} in events varies within a customer for {int(varying.sum()):,} customers "
                    f"(for example customer {act.index[varying][0]!r}). A lifetime carries one value per "
                    f"customer: keep the value at the start, or leave {col!r} out of by.")
        carried = pd.DataFrame({col: act[f"k{i}"].to_numpy() for i, col in enumerate(event_keep)},
                               index=act.index)
    return starts, first, last, rows, carried, extra, report, as_of_ts


def _record_not_yet_classifiable(report, customers: int, rows: int, limit: pd.Timestamp) -> None:
    """The ledger entry for customers left out because they started after the detection
    limit; their events no longer count as used."""
    if not customers:
        return
    report.rows_used = report.rows_used - int(rows)
    # Appended directly: a customer assigned without any event since has 0 rows but is
    # left out all the same, and add() records only checks that concerned rows.
    report.checks.append({
        "check": "not yet classifiable", "rows": int(rows), "action": "dropped",
        "detail": (f"{int(customers):,} customers started after {limit:%Y-%m-%d %H:%M}, as of minus "
                   "churn_after: too recent for a lapse to be seen, left out of the lifetimes")})


def _assemble_lifetimes(starts, first, last, rows, carried, extra, report, as_of_ts, *, churn_gap, censor_at,
                        period, unit_name, keep_cols, event_keep, start_extra_cols) -> pd.DataFrame:
    """The lifetimes table from each customer's start, first and last activity; customers
    who started after the detection limit are left out and counted in the report."""
    limit = as_of_ts - churn_gap
    late = (starts > limit).to_numpy()
    _record_not_yet_classifiable(report, int(late.sum()), int(rows.to_numpy()[late].sum()), limit)
    if late.any():
        keep = ~late
        starts, first, last = starts[keep], first[keep], last[keep]
    last_or_start = last.fillna(starts)
    churned = (as_of_ts - last_or_start) >= churn_gap
    censor_time = as_of_ts if censor_at == "as_of" else limit
    # max(start, censor time): only a customer who started exactly at the limit has duration 0.
    end = last_or_start.where(churned, starts.where(starts > censor_time, censor_time))

    out = pd.DataFrame({
        "customer_id": starts.index.to_numpy(),
        "start": starts.to_numpy(),
        "first_activity": first.to_numpy(),
        "last_activity": last_or_start.to_numpy(),
        "duration": _durations(starts, end, period),
        "churned": churned.to_numpy(dtype=bool),
    })
    if event_keep:
        for col in event_keep:
            out[col] = carried[col].reindex(out["customer_id"]).to_numpy()
    if start_extra_cols:
        for col in start_extra_cols:
            out[col] = extra[col].reindex(out["customer_id"]).to_numpy()
        out = out[LIFETIME_COLUMNS + keep_cols]
    report.customers = len(out)
    set_metadata(out, as_of=as_of_ts, churn_after=churn_gap, time_unit=unit_name, censor_at=censor_at,
                 not_yet_classifiable=int(late.sum()), data_quality=report)
    return out


@legacy_arguments(renamed={"keep_cols": "by"})
def subscription_lifetimes(
    subscriptions: pd.DataFrame,
    *,
    customer_col: str,
    start_col: str = "start",
    end_col: str = "end",
    as_of=None,
    by=(),
) -> pd.DataFrame:
    """One lifetime per customer from a subscription table (contractual setting).

    Churn is observed: the end date. A missing end (NaT) means still subscribed, so the
    lifetime is censored at ``as_of``; an end after ``as_of`` is not known yet at
    ``as_of`` and is censored too.

    Parameters
    ----------
    subscriptions : DataFrame
        One row per customer with start and end dates.
    customer_col, start_col, end_col : str
        Column names.
    as_of : date-like, optional
        End of observation; defaults to the latest start or end date in the table.
    by : str or sequence of str
        Columns carried through (plan, channel, arm), to group on later. (``keep_cols``
        until 0.2.0.)

    Returns
    -------
    DataFrame
        The columns of :func:`customer_lifetimes`: ``first_activity`` is the start and
        ``last_activity`` the end (or ``as_of`` when censored); ``duration`` in days.

    Examples
    --------
    >>> subs = pd.DataFrame({"id": [1, 2], "start": ["2024-01-01", "2024-02-01"],
    ...                      "end": ["2024-03-01", None]})
    >>> subscription_lifetimes(subs, customer_col="id", as_of="2024-06-01")[
    ...     ["customer_id", "duration", "churned"]]
       customer_id  duration  churned
    0            1      60.0     True
    1            2     121.0    False
    """
    keep_cols = _as_list(by)
    wanted = {"customer_col": customer_col, "start_col": start_col, "end_col": end_col}
    wanted.update({f"column {c!r}": c for c in keep_cols})
    require_columns(subscriptions, wanted, what="subscriptions")
    if len(subscriptions) == 0:
        raise DataError("The subscription table is empty (0 rows): there is nothing to analyse.")
    ids = subscriptions[customer_col]
    if ids.isna().any():
        raise DataError(f"Column {customer_col!r} is empty in {int(ids.isna().sum()):,} rows; fill or drop them.")
    if ids.duplicated().any():
        dup = ids[ids.duplicated()].unique()
        raise DataError(
            f"Column {customer_col!r} repeats {len(dup):,} customers (for example {_plain_example(dup)}): "
            "give one subscription spell per customer (e.g. the first), or analyse spells "
            "by passing a spell id as customer_col.")
    # Starts through the kit's one validator (dates, time zones, as_of).
    log = prepare_events(subscriptions.assign(_row=np.arange(len(subscriptions))),
                         customer_col=customer_col, time_col=start_col, keep_cols=["_row"],
                         as_of=None)
    start = log.frame.sort_values("_row")[TIME].reset_index(drop=True)
    end_raw = subscriptions[end_col].reset_index(drop=True)
    end = pd.Series(pd.NaT, index=end_raw.index, dtype="datetime64[ns]")
    present = end_raw.notna()
    if present.any():
        from .validation import parse_times as _to_datetime

        end[present], _ = _to_datetime(end_raw[present], end_col, log.report)
    bad = end < start
    if bad.any():
        raise DataError(
            f"Column {end_col!r} is before {start_col!r} in {int(bad.sum()):,} rows (first at "
            f"row {_plain_example(np.flatnonzero(bad))}). Fix those dates or drop the rows.")
    last_seen = max(start.max(), end.max() if present.any() else start.max())
    from .validation import resolve_as_of

    as_of_ts = resolve_as_of(as_of, last_seen, start.min(), log.tz)
    late = start > as_of_ts
    if late.any():
        warnings.warn(f"{int(late.sum()):,} subscriptions start after as_of and were left out.",
                      DataQualityWarning, stacklevel=2)
        record_drop(log.report, start_col, int(late.sum()), "start after the as-of date")
    churned = end.notna() & (end <= as_of_ts)
    stop = end.where(churned, as_of_ts)
    out = pd.DataFrame({
        "customer_id": ids.to_numpy(), "start": start.to_numpy(), "first_activity": start.to_numpy(),
        "last_activity": stop.to_numpy(), "duration": ((stop - start) / _DAY).to_numpy(dtype=float),
        "churned": churned.to_numpy(dtype=bool),
    })
    for col in keep_cols:
        out[col] = subscriptions[col].to_numpy()
    out = out[~late.to_numpy()].sort_values("customer_id", ignore_index=True)
    log.report.customers = len(out)
    set_metadata(out, as_of=as_of_ts, churn_after=None, time_unit="days", data_quality=log.report)
    return out


def aggregate_lifetimes(lifetimes: pd.DataFrame, *, by=None, count_col: str = "count", duration_col: str = "duration",
                        event_col: str = "churned") -> pd.DataFrame:
    """Collapse lifetimes to a ``(by..., duration, churned, count)`` table.

    Fitting from it with ``weights_col="count"`` gives exactly the results of the raw rows
    (Kaplan-Meier, log-rank, RMST), in a fraction of the time for millions of customers.

    Examples
    --------
    >>> life = pd.DataFrame({"duration": [3.0, 3.0, 5.0], "churned": [True, True, False]})
    >>> aggregate_lifetimes(life)
       duration  churned  count
    0       3.0     True      2
    1       5.0    False      1

    Other column names and flags (``duration_col``, ``event_col``; the flags become True/False):

    >>> aggregate_lifetimes(pd.DataFrame({"tenure": [3, 3], "Churn": ["Yes", "yes"]}),
    ...                     duration_col="tenure", event_col="Churn")
       tenure  Churn  count
    0       3   True      2
    """
    keys = _as_list(by) + [duration_col, event_col]
    require_columns(lifetimes, {f"column {k!r}": k for k in _as_list(by)}, what="lifetimes")
    if count_col in keys:
        raise ParameterError(f"count_col={count_col!r} is also a column of the result ({keys}); choose "
                             "another name, e.g. count_col='count'.")
    if isinstance(lifetimes, pd.DataFrame) and len(lifetimes) == 0:
        raise DataError("lifetimes is empty (0 rows): there is nothing to aggregate.")
    _, flags = _lifetime_columns(lifetimes, duration_col, event_col)
    frame = lifetimes[keys].assign(**{event_col: flags})
    out = frame.groupby(keys, sort=True, observed=True, dropna=False).size()
    out = out.rename(count_col).reset_index()
    out.attrs.update(lifetimes.attrs)
    return out


@legacy_arguments(renamed={"unit": "freq"})
def survival_table(
    events,
    *,
    churn_after,
    as_of=None,
    customer_col: str = "customer_id",
    time_col: str = "date",
    start_times=None,
    by=None,
    freq: str = "D",
    censor_at: str = "detection_limit",
    count_col: str = "count",
) -> pd.DataFrame:
    """The ``(by..., duration, churned, count)`` survival table straight from an event log.

    Exactly ``aggregate_lifetimes(customer_lifetimes(events, ..., by=by), by=by)``,
    but on files, DuckDB, Polars and Spark inputs the per-customer step runs in the engine
    as well, so only the small table comes back: fit Kaplan-Meier, log-rank or RMST from it
    with ``weights_col="count"``. Lifetimes follow :func:`customer_lifetimes` (same
    parameters and definitions; customers who are not yet classifiable are left out and
    counted the same way).

    Parameters
    ----------
    events : DataFrame, path, DuckDB relation, Polars or PySpark DataFrame
        One row per purchase / visit / login (see :mod:`retention_kit.engines`).
    churn_after, as_of, customer_col, time_col, start_times, freq, censor_at
        As in :func:`customer_lifetimes`.
    by : str or list of str, optional
        Columns of ``events`` with one value per customer (segment, channel).
    count_col : str
        Name of the count column.

    Returns
    -------
    DataFrame
        Sorted by ``by``, ``duration``, ``churned``; ``.attrs`` as in
        :func:`customer_lifetimes`.

    Examples
    --------
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c"],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-05", "2024-03-01",
    ...                             "2024-05-30"])})
    >>> survival_table(log, churn_after=60)  # a, b churned at 10 and 0 days; c censored
       duration  churned  count
    0       0.0     True      1
    1      10.0     True      1
    2      30.0    False      1
    """
    by_cols = _as_list(by)
    customer_col, time_col, _ = log_columns(events, customer_col, time_col)
    if count_col in ["duration", "churned", *by_cols]:
        raise ParameterError(f"count_col={count_col!r} is also a column of the result "
                             f"({['duration', 'churned', *by_cols]}); choose another name, e.g. count_col='count'.")
    if is_pandas(events) and start_times is None and not by_cols:
        return _survival_table_numpy(events, churn_after=churn_after, as_of=as_of, customer_col=customer_col,
                                     time_col=time_col, unit=freq, censor_at=censor_at, count_col=count_col)
    if is_pandas(events):
        life = customer_lifetimes(events, churn_after=churn_after, as_of=as_of, customer_col=customer_col,
                                  time_col=time_col, start_times=start_times, by=by_cols, freq=freq,
                                  censor_at=censor_at)
        return aggregate_lifetimes(life, by=by_cols or None, count_col=count_col)
    churn_gap = parse_duration(churn_after, name="churn_after")
    period, unit_name = _time_unit(freq)
    if censor_at not in ("as_of", "detection_limit"):
        customer_lifetimes(pd.DataFrame(), churn_after=churn_gap, censor_at=censor_at)  # raises
    log = open_events(events, customer_col=customer_col, time_col=time_col, keep_cols=by_cols, as_of=as_of)

    report, as_of_ts = log.report, log.as_of
    table = None
    if start_times is not None:
        starts, _ = _start_series(start_times, customer_col, time_col, report)
        starts = _drop_late_starts(starts, as_of_ts, report)
        table = starts_table(starts)
        checks = log.start_checks(table)
        if checks["unknown_rows"]:
            warnings.warn(
                f"{int(checks['unknown_customers']):,} customers of the events have no start in start_times "
                f"and were left out ({int(checks['unknown_rows']):,} events).", DataQualityWarning, stacklevel=2)
            record_drop(report, customer_col, int(checks["unknown_rows"]), "customer has no start time")
        if checks["before_rows"]:
            record_drop(report, time_col, int(checks["before_rows"]), "before the customer's start time")
    censor_time = as_of_ts if censor_at == "as_of" else as_of_ts - churn_gap
    raw = log.lifetime_counts(churn_after=churn_gap, censor_time=censor_time, unit=period, starts=table)
    for i, col in enumerate(by_cols):
        if (raw[f"k{i}_n"] > 1).any():
            raise DataError(
                f"Column {col!r} in events varies within a customer. A lifetime carries one value per "
                f"customer: keep the value at the start, or leave {col!r} out of by.")
    # Rows are sorted on one int64 key, span * 2 + churned (a multi-column sort_values
    # factorizes each key first, 10x slower); DuckDB and Polars sorted them already.
    # Customers who started after the detection limit come as negative keys (-1 - their
    # events) or as churned = 2: counted in the report, left out of the table.
    if "key" in raw:  # exact durations, one key per customer
        key = np.asarray(raw["key"], np.int64)
        late = key < 0
        n_late = int(late.sum())
        _record_not_yet_classifiable(report, n_late, int((-1 - key[late]).sum()), as_of_ts - churn_gap)
        span, churned, counts = _count_keys(key[~late])
        order = slice(None)
    else:  # grouped by (by..., span, churned) in the engine: rows are unique
        churned = np.asarray(raw["churned"], np.int64)
        late = churned == 2
        n_late = int(np.asarray(raw["n"], np.int64)[late].sum())
        _record_not_yet_classifiable(report, n_late,
                                     int(np.asarray(raw["events_n"], np.int64)[late].sum()), as_of_ts - churn_gap)
        raw = {k: np.asarray(v)[~late] for k, v in raw.items()}
        span, churned = np.asarray(raw["span"], np.int64), np.asarray(raw["churned"], np.int64)
        key = span * 2 + churned
        order = slice(None) if (key[1:] >= key[:-1]).all() else np.argsort(key, kind="stable")
        span, churned, counts = span[order], churned[order], np.asarray(raw["n"], np.int64)[order]
    # The pandas path divides nanoseconds by a day's nanoseconds: the same float here.
    duration = (span * 1000) / _DAY.value if period is None else span.astype(float)
    out = pd.DataFrame({**{col: np.asarray(raw[f"k{i}"])[order] for i, col in enumerate(by_cols)},
                        "duration": duration, "churned": churned == 1,
                        count_col: counts})
    if by_cols:
        out = out.sort_values(by_cols, kind="stable", na_position="last", ignore_index=True)
    report.customers = int(out[count_col].sum())
    set_metadata(out, as_of=as_of_ts, churn_after=churn_gap, time_unit=unit_name, censor_at=censor_at,
                 not_yet_classifiable=n_late, data_quality=report)
    return out


def _count_keys(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One int64 key per customer, span * 2 + churned (span >= 0), to the distinct (span,
    churned) pairs in order and their counts: a sort (skipped when already sorted) and the
    runs of equal keys, several times faster than a groupby on two columns."""
    if not (key[1:] >= key[:-1]).all():
        key = np.sort(key)
    runs = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])[:len(key)]
    counts, key = np.diff(np.r_[runs, len(key)]), key[runs]
    return key >> 1, key & 1, counts


def _survival_table_numpy(events, *, churn_after, as_of, customer_col, time_col, unit, censor_at,
                          count_col) -> pd.DataFrame:
    """survival_table on pandas without start times or segments: first and last activity
    per customer with numpy (3-5x faster than the groupbys of customer_lifetimes at 10M
    rows), then the same definitions and the same floats."""
    from .engines._pandas import customer_codes as _customer_codes, event_periods as _event_periods

    churn_gap = parse_duration(churn_after, name="churn_after")
    period, unit_name = _time_unit(unit)
    if censor_at not in ("as_of", "detection_limit"):
        customer_lifetimes(pd.DataFrame(), churn_after=churn_gap, censor_at=censor_at)  # raises
    log = prepare_events(events, customer_col=customer_col, time_col=time_col, as_of=as_of)
    t = log.frame[TIME].to_numpy().view(np.int64)
    cust, n_codes = _customer_codes(log.frame[CUSTOMER])
    big = np.iinfo(np.int64).max
    first = np.full(n_codes, big)
    np.minimum.at(first, cust, t)
    last = np.full(n_codes, -big)
    np.maximum.at(last, cust, t)
    seen = first != big
    as_of_ns, gap_ns = log.as_of.value, churn_gap.value
    # Customers who started after the detection limit are not yet classifiable: counted, left out.
    late = seen & (first > as_of_ns - gap_ns)
    _record_not_yet_classifiable(log.report, int(late.sum()),
                                 int(np.bincount(cust, minlength=n_codes)[late].sum()), log.as_of - churn_gap)
    seen &= ~late
    first, last = first[seen], last[seen]
    churned = as_of_ns - last >= gap_ns
    censor_ns = as_of_ns if censor_at == "as_of" else as_of_ns - gap_ns
    end = np.where(churned, last, np.maximum(first, censor_ns))
    if period is None:
        span = end - first  # nanoseconds
    else:
        freq = parse_freq(period)
        span = (_event_periods(end, freq) - _event_periods(first, freq)).astype(np.int64)
    churned = churned.astype(np.int64)
    span, churned, counts = _count_keys(span * 2 + churned)
    duration = span / _DAY.value if period is None else span.astype(float)
    out = pd.DataFrame({"duration": duration, "churned": churned == 1, count_col: counts})
    log.report.customers = len(first)
    set_metadata(out, as_of=log.as_of, churn_after=churn_gap, time_unit=unit_name, censor_at=censor_at,
                 not_yet_classifiable=int(late.sum()), data_quality=log.report)
    return out


# --------------------------------------------------------------------------------------
# Gaps between purchases (choosing churn_after)
# --------------------------------------------------------------------------------------

@dataclass
class PurchaseGaps(Result):
    """Gaps between consecutive purchases of the same customer, in days.

    ``gaps`` has one row per gap (``customer_id``, ``gap``); ``open_gaps`` the time since
    each customer's last purchase at ``as_of`` (a gap still running, a lower bound).
    """

    gaps: pd.DataFrame
    open_gaps: pd.Series
    as_of: pd.Timestamp
    data_quality: DataQualityReport
    quantiles: tuple = (0.5, 0.75, 0.9, 0.95, 0.99)

    def quantile(self, q: float) -> float:
        """The q-quantile of the closed gaps, in days."""
        if not 0 < q < 1:
            raise ParameterError(f"q={q!r} must be between 0 and 1 (e.g. 0.9).")
        return float(self.gaps["gap"].quantile(q))

    @property
    def summary(self) -> pd.DataFrame:
        """Quantiles of the gap and the share of customers currently silent for longer."""
        rows = []
        for q in self.quantiles:
            days = self.quantile(q) if len(self.gaps) else np.nan
            rows.append({"quantile": q, "gap_days": days,
                         "silent_longer_now": float((self.open_gaps > days).mean())})
        return pd.DataFrame(rows)

    title = "Gaps between consecutive purchases (days)"

    @property
    def notes(self) -> list[str]:
        """How many gaps and customers the quantiles rest on, and why the upper ones are lower bounds."""
        return self._notes()

    def _notes(self) -> list[str]:
        return [
            f"{len(self.gaps):,} gaps between consecutive purchases of "
            f"{self.gaps['customer_id'].nunique():,} repeat customers; "
            f"{len(self.open_gaps):,} customers in all, as of {self.as_of:%Y-%m-%d}.",
            "Gaps longer than the observation window cannot be seen, so the upper "
            "quantiles are lower bounds on the true ones.",
        ]

    @explains
    def explain(self) -> str:
        """Plain-language reading of the gap distribution."""
        if len(self.gaps) == 0:
            return "No customer bought twice: there are no gaps to learn a threshold from."
        q50, q90, q95 = self.quantile(0.5), self.quantile(0.9), self.quantile(0.95)
        silent = float((self.open_gaps > q90).mean())
        return (
            f"Half of the gaps between consecutive purchases are shorter than {q50:,.1f} days; "
            f"90 % are shorter than {q90:,.1f} days and 95 % shorter than {q95:,.1f} days. "
            f"A customer silent for longer than about {q90:,.0f}-{q95:,.0f} days is unlikely to be "
            f"on an ordinary pause, which makes it a defensible churn_after. By that rule "
            f"{silent:.1%} of the customers are silent for longer than {q90:,.0f} days now. "
            "Gaps longer than the data window cannot be seen, so these quantiles are lower "
            "bounds: check how the survival results change with the threshold."
        )

    def plot(self, ax=None, *, quantiles=(0.9, 0.95), **kwargs):
        """Histogram of the gaps with the chosen quantiles marked (returns the Axes).

        ``kwargs`` go to the histogram (``Axes.hist``), e.g. ``bins=``, ``color=`` or ``label=``."""
        from matplotlib.patches import Patch

        from .plotting import artist_kwargs

        ax = get_axes(ax)
        gaps = self.gaps["gap"].to_numpy()
        upper = np.quantile(gaps, 0.995) if len(gaps) else 1.0
        ax.hist(gaps[gaps <= upper], **artist_kwargs(kwargs, Patch, bins=60, color="#4c72b0", alpha=0.8))
        for q in quantiles:
            value = self.quantile(q)
            ax.axvline(value, color="#c44e52", ls="--", lw=1)
            ax.annotate(f"{q:.0%}: {value:,.0f} d", (value, ax.get_ylim()[1] * 0.9),
                        rotation=90, ha="right", va="top", fontsize=8, color="#c44e52")
        return label(ax, title="Days between consecutive purchases",
                     xlabel="gap (days)", ylabel="number of gaps")

    def __repr__(self) -> str:
        return "PurchaseGaps\n" + self.summary.to_string(index=False) + "\n" + "\n".join(self._notes())

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, self._notes(),
                           percent={"quantile": 0, "silent_longer_now": 1})


def purchase_gaps(events: pd.DataFrame, *, customer_col: str = "customer_id", time_col: str = "date",
                  as_of=None) -> PurchaseGaps:
    """The distribution of days between consecutive purchases, to choose ``churn_after``.

    Gaps of zero (two events at the same instant) are left out: they say nothing about
    pauses. See :func:`customer_lifetimes` (Notes) for how to use it.

    Examples
    --------
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                     "date": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-31",
    ...                                             "2024-01-15"])})
    >>> gaps = purchase_gaps(log)
    >>> gaps.gaps["gap"].tolist(), gaps.quantile(0.5)
    ([10.0, 20.0], 15.0)
    """
    customer_col, time_col, _ = log_columns(events, customer_col, time_col)
    log = prepare_events(events, customer_col=customer_col, time_col=time_col, as_of=as_of)
    frame = log.frame.sort_values([CUSTOMER, TIME], kind="stable")
    same = frame[CUSTOMER].to_numpy()[1:] == frame[CUSTOMER].to_numpy()[:-1]
    diff = np.diff(frame[TIME].to_numpy()).astype("timedelta64[ns]") / np.timedelta64(1, "D")
    keep = same & (diff > 0)
    gaps = pd.DataFrame({"customer_id": frame[CUSTOMER].to_numpy()[1:][keep], "gap": diff[keep]})
    open_gaps = (log.as_of - frame.groupby(CUSTOMER)[TIME].max()) / _DAY
    return PurchaseGaps(gaps=gaps, open_gaps=open_gaps, as_of=log.as_of, data_quality=log.report)


# --------------------------------------------------------------------------------------
# Input checks for lifetime tables
# --------------------------------------------------------------------------------------

def _plain_example(values) -> str:
    """Example values as plain Python numbers (numpy scalars print as np.float64(...))."""
    return _example(np.asarray(values).tolist())


def _check_weights(weights, n: int, name: str) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    raw = np.asarray(weights)
    if raw.dtype == bool or (raw.dtype == object and any(isinstance(v, (bool, np.bool_)) for v in raw.ravel())):
        raise DataError(f"{name} must hold whole, non-negative counts of customers per row; it holds "
                        "True/False values, and a flag is not a count.")
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise DataError(f"{name} has {w.size:,} values for {n:,} rows: give one count per row.")
    bad = ~np.isfinite(w) | (w < 0) | (w != np.round(w))
    if bad.any():
        raise DataError(
            f"{name} must hold whole, non-negative counts (how many identical customers a row "
            f"stands for); {int(bad.sum()):,} rows do not, for example {_plain_example(w[bad])}. "
            "Sampling or inverse-probability weights are not supported: the variance formulas "
            "here count customers.")
    return w


def _check_durations(durations, events, name_d: str = "durations", name_e: str = "event_observed"):
    try:
        d = np.asarray(durations, dtype=float)
    except (TypeError, ValueError):
        raw = np.asarray(durations, dtype=object).ravel()
        example = next((v for v in raw if not isinstance(v, (int, float, np.number))), raw[:1])
        raise DataError(f"{name_d} must be numbers (times since the start); {example!r} is not. Convert "
                        "them first, e.g. pd.to_numeric(durations).") from None
    e_raw = np.asarray(events)
    if d.ndim != 1 or e_raw.shape != d.shape:
        raise DataError(f"{name_d} and {name_e} must be 1-d with the same length "
                        f"(got {d.shape} and {e_raw.shape}).")
    if len(d) == 0:
        raise DataError(f"{name_d} is empty: there is nothing to estimate.")
    bad = ~np.isfinite(d) | (d < 0)
    if bad.any():
        raise DataError(f"{name_d} has {int(bad.sum()):,} missing or negative values, for example "
                        f"{_plain_example(d[bad])}. Durations are times since the start: fix or drop those rows.")
    if e_raw.dtype == bool:
        e = e_raw
    else:
        try:
            as_float = e_raw.astype(float)
        except (TypeError, ValueError):
            as_float = np.full(e_raw.shape, np.nan)
        wrong = ~np.isin(as_float, [0.0, 1.0])
        if wrong.any():
            raise DataError(f"{name_e} must be True/False (or 1/0): {int(wrong.sum()):,} values are "
                            f"not, for example {_plain_example(e_raw[wrong])}.")
        e = as_float.astype(bool)
    return d, e


@dataclass
class _Group:
    durations: np.ndarray
    events: np.ndarray
    weights: np.ndarray

    @property
    def customers(self) -> float:
        return float(self.weights.sum())

    @property
    def churned(self) -> float:
        return float(self.weights[self.events].sum())


def _lifetime_columns(lifetimes, duration_col: str = "duration", event_col: str = "churned",
                      wanted: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The one door of every lifetimes frame (issue 13): the durations (finite numbers >= 0)
    and the churn flags of ``duration_col`` and ``event_col``, read with the one flag rule
    (True/False, 1/0, text Yes/No, True/False, churned/active in any case; anything else
    refused with the column, the values, the count and the fix)."""
    require_columns(lifetimes, {"duration_col": duration_col, "event_col": event_col, **(wanted or {})},
                    what="lifetimes")
    if len(lifetimes) == 0:
        raise DataError("lifetimes is empty (0 rows): there is nothing to estimate.")
    d, _ = _check_durations(lifetimes[duration_col], np.zeros(len(lifetimes), dtype=bool),
                            f"column {duration_col!r}", f"column {event_col!r}")
    e = parse_flags(lifetimes[event_col], event_col, what="churn flag (event_col)")
    return d, e


def _lifetime_groups(lifetimes, by, weights_col, default_label, duration_col: str = "duration",
                     event_col: str = "churned") -> tuple[list, dict[object, _Group]]:
    by = _as_list(by)
    wanted = {"weights_col": weights_col}
    wanted.update({"by": c for c in by})
    d, e = _lifetime_columns(lifetimes, duration_col, event_col, wanted)
    w = _check_weights(None if weights_col is None else lifetimes[weights_col], len(d),
                       f"column {weights_col!r} (weights_col)")
    groups: dict[object, _Group] = {}
    if not by:
        groups[default_label] = _Group(d, e, w)
        return by, groups
    keys = lifetimes[by]
    missing = keys.isna().any(axis=1).to_numpy()
    if missing.any():
        raise DataError(f"Column(s) {by} (by) are missing in {int(missing.sum()):,} rows: fill them "
                        "(e.g. 'unknown') or drop those rows.")
    key_index = pd.MultiIndex.from_frame(keys) if len(by) > 1 else pd.Index(keys[by[0]])
    codes, uniques = pd.factorize(key_index, sort=True)
    for i, key in enumerate(uniques):
        mask = codes == i
        if w[mask].sum() > 0:
            groups[key] = _Group(d[mask], e[mask], w[mask])
    return by, groups


def _time_unit_of(lifetimes, time_unit: str | None = None) -> str:
    """``time_unit`` as given, else the unit the lifetimes' builder recorded
    (``rk.metadata(lifetimes)["time_unit"]``), else days."""
    if time_unit is None:
        return str((metadata(lifetimes) if isinstance(lifetimes, pd.DataFrame) else {}).get("time_unit") or "days")
    if not isinstance(time_unit, str) or not time_unit.strip():
        raise ParameterError(f"time_unit={time_unit!r}: name the unit the durations are in, e.g. "
                             "time_unit='days', 'weeks' or 'months'.")
    return time_unit.strip()


# --------------------------------------------------------------------------------------
# Restricted mean survival time
# --------------------------------------------------------------------------------------

def _km_steps(d: np.ndarray, e: np.ndarray, w: np.ndarray):
    """Distinct event times with (weighted) numbers at risk and events, and S after each."""
    order = np.argsort(d, kind="stable")
    d, e, w = d[order], e[order], w[order]
    times, first = np.unique(d, return_index=True)
    at_risk_all = w.sum() - np.r_[0.0, np.cumsum(w)][first]
    deaths_all = np.bincount(np.searchsorted(times, d), weights=w * e, minlength=len(times))
    has_event = deaths_all > 0
    t, n, dd = times[has_event], at_risk_all[has_event], deaths_all[has_event]
    surv = np.cumprod(1.0 - dd / n)
    return t, n, dd, surv


@dataclass
class RMSTResult(Result):
    """Restricted mean survival time: the expected time retained within the first ``t``.

    ``value`` is the area under the Kaplan-Meier curve from 0 to ``t``; ``std_error`` its
    sampling standard error (Klein & Moeschberger eq. 4.4.4); the interval is
    ``value +/- z * std_error``.
    """

    value: float
    std_error: float
    ci_lower: float
    ci_upper: float
    t: float
    alpha: float
    customers: float
    churned: float
    label: str = "all customers"
    time_unit: str = "days"

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "group": self.label, "horizon": self.t, "rmst": self.value, "std_error": self.std_error,
            "ci_lower": self.ci_lower, "ci_upper": self.ci_upper,
            "customers": self.customers, "churned": self.churned,
        }])

    @property
    def title(self) -> str:
        return f"Restricted mean survival time up to {self.t:g} {self.time_unit}"

    @explains
    def explain(self) -> str:
        u = self.time_unit
        return (
            f"Within the first {self.t:,.0f} {u}, "
            f"{'a customer' if self.label == 'all customers' else f'a customer of {self.label}'} stays on average "
            f"{self.value:,.1f} {u} ({1 - self.alpha:.0%} interval {self.ci_lower:,.1f} to "
            f"{self.ci_upper:,.1f}), i.e. {self.value / self.t:.1%} of the horizon; estimated from "
            f"{self.customers:,.0f} customers of whom {self.churned:,.0f} churned. It says nothing "
            f"about time after {self.t:,.0f} {u}."
        )

    def __repr__(self) -> str:
        return (f"RMSTResult(t={self.t:g}, value={self.value:.4g}, std_error={self.std_error:.4g}, "
                f"ci=[{self.ci_lower:.4g}, {self.ci_upper:.4g}], label={self.label!r})")

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, [self.explain()])


@legacy_arguments(renamed={"t": "horizon"}, positional=("horizon",))
def rmst(durations, event_observed=None, *, horizon, weights=None, weights_col: str | None = None,
         alpha: float = 0.05, label: str = "all customers", time_unit: str | None = None,
         duration_col: str = "duration", event_col: str = "churned") -> RMSTResult:
    """Restricted mean survival time up to ``horizon`` with its Greenwood-type standard error.

    RMST(t) = integral of the Kaplan-Meier curve S(u) from 0 to t: the expected time a
    customer stays within the first ``t`` (days, if durations are days).

    The variance is Klein & Moeschberger (2003) eq. 4.4.4::

        Var = sum over event times t_i <= t of  A_i**2 * d_i / (n_i * (n_i - d_i)),
        A_i = integral of S(u) from t_i to t,

    with d_i events and n_i customers at risk at t_i. This is the sampling variance of the
    estimate. It is *not* what lifelines'
    ``restricted_mean_survival_time(..., return_variance=True)`` returns: that is the
    variance of min(T, t) across customers (lifelines issue #1682), larger by a factor of
    about n.

    Parameters
    ----------
    durations : DataFrame or array-like
        A lifetimes frame with columns ``duration`` and ``churned`` (from
        :func:`customer_lifetimes`, like :func:`kaplan_meier`), or the lifetimes as an
        array (e.g. ``lifetimes["duration"]``) with ``event_observed``. For one RMST per
        group use ``kaplan_meier(lifetimes, by=...).rmst(horizon)`` or
        :func:`rmst_difference`.
    event_observed : array-like of bool
        With array ``durations`` only: True when the lifetime ended in churn, False when
        censored.
    horizon : float or duration
        A number of time units (days for lifetimes in days), or a duration such as
        ``"90D"``. It must not exceed the longest observed duration unless the curve has
        already reached 0 (beyond the data the curve is unknown). (``t`` until 0.2.0.)
    weights : array-like, optional
        With arrays: whole counts of identical customers per row (aggregated input).
    weights_col : str, optional
        With a lifetimes frame: the column of such counts (``survival_table``'s ``count``).
    alpha : float
        1 - confidence level of the interval.
    label, time_unit : str
        Names used in the summary and the explanation; ``time_unit`` defaults to the
        lifetimes' unit (days).

    Returns
    -------
    RMSTResult

    Examples
    --------
    Five customers; events at 2 and 4, censored at 3, 5 and 6. S = 0.8 on [2, 4) and
    0.8 * 2/3 on [4, 6), so RMST(5) = 2 + 0.8 * 2 + 0.5333 * 1 = 4.1333. Variance:
    A(2) = 0.8 * 2 + 0.5333 = 2.1333 with 5 at risk, A(4) = 0.5333 with 3 at risk, so
    Var = 2.1333**2 / (5 * 4) + 0.5333**2 / (3 * 2) = 0.2750 and SE = 0.5244.

    >>> res = rmst([2, 3, 4, 5, 6], [True, False, True, False, False], horizon=5)
    >>> round(res.value, 4), round(res.std_error, 4)
    (4.1333, 0.5244)

    The same from a lifetimes frame:

    >>> life = pd.DataFrame({"duration": [2, 3, 4, 5, 6], "churned": [1, 0, 1, 0, 0]})
    >>> round(rmst(life, horizon=5).value, 4)
    4.1333
    """
    alpha = _check_alpha(alpha)
    if isinstance(durations, pd.DataFrame):
        if event_observed is not None or weights is not None:
            raise ParameterError("With a lifetimes DataFrame, leave out event_observed and weights (the "
                                 "columns 'churned' and weights_col are used): rmst(lifetimes, horizon=90).")
        time_unit = _time_unit_of(durations, time_unit)
        _, groups = _lifetime_groups(durations, None, weights_col, label, duration_col, event_col)
        g = groups[label]
        d, e, w = g.durations, g.events, g.weights
    else:
        if event_observed is None:
            raise ParameterError("rmst needs a lifetimes DataFrame, or durations and event_observed arrays: "
                                 "rmst(lifetimes, horizon=90) or rmst(durations, churned, horizon=90).")
        if weights_col is not None or (duration_col, event_col) != ("duration", "churned"):
            raise ParameterError("weights_col, duration_col and event_col name columns of a lifetimes "
                                 "DataFrame; with arrays give durations, event_observed (and weights=).")
        d, e = _check_durations(durations, event_observed)
        w = _check_weights(weights, len(d), "weights")
    time_unit = _time_unit_of(None, time_unit)
    t = check_horizon(horizon, time_unit)
    if w.sum() == 0:
        raise DataError("All weights are 0: there are no customers to estimate from.")
    keep = w > 0
    d, e, w = d[keep], e[keep], w[keep]
    times, n, deaths, surv = _km_steps(d, e, w)
    longest = float(d.max())
    if t > longest and not (len(surv) and surv[-1] == 0):
        raise ParameterError(
            f"horizon={t:g} is beyond the longest observed duration ({longest:g}) of {label}, where "
            f"the survival curve is still {surv[-1] if len(surv) else 1.0:.3f}: the curve is "
            f"unknown beyond the data. Choose horizon <= {longest:g}.")
    inside = times <= t
    times, n, deaths, surv = times[inside], n[inside], deaths[inside], surv[inside]
    # Area under the step function: S is 1 before the first event time.
    edges = np.r_[0.0, times, t]
    levels = np.r_[1.0, surv]
    pieces = levels * np.diff(edges)
    value = float(pieces.sum())
    # A_i = area from t_i to t: the pieces after event time i.
    tail_area = np.cumsum(pieces[::-1])[::-1][1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = tail_area**2 * deaths / (n * (n - deaths))
    # n == d only at a last event that takes S to 0, where A_i = 0: the term is 0.
    terms = np.where(n > deaths, terms, 0.0)
    std_error = float(np.sqrt(terms.sum()))
    z = stats.norm.ppf(1 - alpha / 2)
    return RMSTResult(value=value, std_error=std_error, ci_lower=value - z * std_error,
                      ci_upper=value + z * std_error, t=t, alpha=alpha, customers=float(w.sum()),
                      churned=float(w[e].sum()), label=str(label), time_unit=time_unit)


@dataclass
class RMSTDifference(Result):
    """Difference of restricted mean survival times, second group minus first (B - A)."""

    difference: float
    std_error: float
    ci_lower: float
    ci_upper: float
    p_value: float
    t: float
    alpha: float
    rmst_a: RMSTResult
    rmst_b: RMSTResult
    labels: tuple = ("A", "B")

    @property
    def summary(self) -> pd.DataFrame:
        rows = pd.concat([self.rmst_a.summary, self.rmst_b.summary], ignore_index=True)
        diff = pd.DataFrame([{
            "group": f"{self.labels[1]} - {self.labels[0]}", "horizon": self.t,
            "rmst": self.difference, "std_error": self.std_error, "ci_lower": self.ci_lower,
            "ci_upper": self.ci_upper, "p_value": self.p_value,
        }])
        return pd.concat([rows, diff], ignore_index=True)

    @property
    def title(self) -> str:
        return f"RMST difference up to {self.t:g} {self.rmst_a.time_unit}"

    @explains
    def explain(self) -> str:
        a, b = self.labels
        u = self.rmst_a.time_unit
        direction = "more" if self.difference >= 0 else "less"
        return (
            f"Within the first {self.t:,.0f} {u}, customers of {b} stayed on average "
            f"{abs(self.difference):,.1f} {u} {direction} than those of {a} "
            f"({self.rmst_b.value:,.1f} vs {self.rmst_a.value:,.1f}; {1 - self.alpha:.0%} interval of "
            f"the difference {self.ci_lower:,.1f} to {self.ci_upper:,.1f}; p = {self.p_value:.3g}). "
            "The p-value says how surprising such a difference would be if the groups retained "
            "equally; the interval says how large the difference plausibly is."
        )

    def __repr__(self) -> str:
        a, b = self.labels
        return (f"RMSTDifference({b} - {a}, t={self.t:g}: difference={self.difference:.4g}, "
                f"std_error={self.std_error:.4g}, ci=[{self.ci_lower:.4g}, {self.ci_upper:.4g}], "
                f"p_value={self.p_value:.4g})")

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, [self.explain()])


@legacy_arguments(renamed={"t": "horizon"}, positional=("horizon",))
def rmst_difference(durations_a, event_a=None, durations_b=None, event_b=None, *, horizon, by=None,
                    weights_a=None, weights_b=None, weights_col: str | None = None, alpha: float = 0.05,
                    labels=None, time_unit: str | None = None, duration_col: str = "duration",
                    event_col: str = "churned") -> RMSTDifference:
    """Difference of restricted mean survival times **B minus A** with a z-test.

    ``difference = RMST_B(horizon) - RMST_A(horizon)``: with
    ``labels=("control", "treatment")`` a positive difference means the treatment keeps
    customers longer. The groups are independent, so ``std_error = sqrt(se_A**2 + se_B**2)``
    (each from Klein & Moeschberger eq. 4.4.4, see :func:`rmst`); the p-value is two-sided
    from the normal distribution. ``horizon`` (a number of time units or a duration such as
    ``"90D"``; ``t`` until 0.2.0) must be within the follow-up of both groups.

    Give either a lifetimes frame and ``by`` (the column whose two groups are compared;
    ``labels`` picks and orders two of its groups, first A then B, default the two groups in
    sorted order; ``weights_col`` for counts), or four arrays: durations and churn flags of
    A, then of B (``labels`` default ``("A", "B")``, ``weights_a``/``weights_b``).

    Examples
    --------
    Group B: S = 0.8 from 1, 0.6 from 2, 0.3 from 5, so RMST_B(5) = 1 + 0.8 + 0.6 * 3 = 3.6.

    >>> diff = rmst_difference([2, 3, 4, 5, 6], [1, 0, 1, 0, 0], [1, 2, 3, 5, 6], [1, 1, 0, 1, 0],
    ...                        horizon=5, labels=("control", "loyalty"))
    >>> round(diff.rmst_a.value, 4), round(diff.rmst_b.value, 4), round(diff.difference, 4)
    (4.1333, 3.6, -0.5333)

    The same from one lifetimes frame:

    >>> life = pd.DataFrame({"duration": [2, 3, 4, 5, 6, 1, 2, 3, 5, 6],
    ...                      "churned": [1, 0, 1, 0, 0, 1, 1, 0, 1, 0],
    ...                      "arm": ["control"] * 5 + ["loyalty"] * 5})
    >>> round(rmst_difference(life, by="arm", horizon=5).difference, 4)
    -0.5333
    """
    if isinstance(durations_a, pd.DataFrame):
        a_data, b_data = _two_groups(durations_a, by, labels, weights_col,
                                     event_a, durations_b, event_b, weights_a, weights_b,
                                     columns=(duration_col, event_col))
        time_unit = _time_unit_of(durations_a, time_unit)
        labels = (a_data[0], b_data[0])
        (_, d_a, e_a, weights_a), (_, d_b, e_b, weights_b) = a_data, b_data
    else:
        if by is not None or weights_col is not None or (duration_col, event_col) != ("duration", "churned"):
            raise ParameterError("by= and weights_col= name columns of a lifetimes DataFrame (as do duration_col= and "
                                 "event_col=): "
                                 "rmst_difference(lifetimes, by='arm', horizon=90).")
        if event_a is None or durations_b is None or event_b is None:
            raise ParameterError("rmst_difference needs a lifetimes DataFrame with by=, or four arrays "
                                 "(durations_a, event_a, durations_b, event_b).")
        d_a, e_a, d_b, e_b = durations_a, event_a, durations_b, event_b
        labels = ("A", "B") if labels is None else labels
    if len(labels) != 2:
        raise ParameterError(f"labels={labels!r}: give two names, first group then second.")
    time_unit = time_unit or "days"
    a = rmst(d_a, e_a, horizon=horizon, weights=weights_a, alpha=alpha, label=str(labels[0]),
             time_unit=time_unit)
    b = rmst(d_b, e_b, horizon=horizon, weights=weights_b, alpha=alpha, label=str(labels[1]),
             time_unit=time_unit)
    diff = b.value - a.value
    se = float(np.hypot(a.std_error, b.std_error))
    z = stats.norm.ppf(1 - a.alpha / 2)
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else np.nan
    if se == 0:
        warnings.warn("Both RMST standard errors are 0 (no events before the horizon): no test is possible.",
                      SmallSampleWarning, stacklevel=caller_stacklevel())

    return RMSTDifference(difference=diff, std_error=se, ci_lower=diff - z * se, ci_upper=diff + z * se,
                          p_value=p, t=a.t, alpha=a.alpha, rmst_a=a, rmst_b=b,
                          labels=(str(labels[0]), str(labels[1])))


def _two_groups(lifetimes, by, labels, weights_col, *arrays, columns=("duration", "churned")):
    """(label, durations, events, weights) of the two groups of ``by`` that rmst_difference compares."""
    if any(a is not None for a in arrays):
        raise ParameterError("With a lifetimes DataFrame give by= (and weights_col=), not arrays: "
                             "rmst_difference(lifetimes, by='arm', horizon=90).")
    if by is None:
        raise ParameterError("rmst_difference(lifetimes, ...) needs by='<column>' naming the two groups, "
                             "e.g. by='arm'.")
    by_cols, groups = _lifetime_groups(lifetimes, by, weights_col, None, *columns)
    named = {_group_name(k): g for k, g in groups.items()}
    if labels is None:
        if len(named) != 2:
            raise ParameterError(f"Column(s) {by_cols} hold {len(named)} groups ({list(named)}): choose two "
                                 f"with labels=(first, second), e.g. labels={tuple(list(named)[:2])!r}.")
        labels = tuple(named)
    if len(labels) != 2:
        raise ParameterError(f"labels={labels!r}: give two names, first group then second.")
    missing = [str(x) for x in labels if str(x) not in named]
    if missing:
        raise ParameterError(f"labels={tuple(labels)!r}: no group {missing[0]!r} in {by_cols}; the groups "
                             f"are {list(named)}.")
    return [(str(x), named[str(x)].durations, named[str(x)].events, named[str(x)].weights) for x in labels]



# --------------------------------------------------------------------------------------
# Kaplan-Meier
# --------------------------------------------------------------------------------------

def _group_name(key) -> str:
    return ", ".join(map(str, key)) if isinstance(key, tuple) else str(key)


@dataclass
class SurvivalCurves(Result):
    """Kaplan-Meier curves, one per group, with lifelines fitters underneath.

    Attributes
    ----------
    fitters : dict
        Group name -> fitted ``lifelines.KaplanMeierFitter``.
    by : list
        The grouping columns ([] for one curve).
    alpha : float
        1 - confidence level of the bands.
    time_unit : str
        Unit of the durations ("days", "months").
    """

    fitters: dict
    by: list
    alpha: float
    time_unit: str = "days"
    groups: dict = field(default_factory=dict, repr=False)
    churn_after: pd.Timedelta | None = None  # how the lifetimes were built, when known
    censor_at: str | None = None
    not_yet_classifiable: int = 0  # customers left out by customer_lifetimes, when known
    test: "LogrankResult | None" = field(default=None, repr=False)  # set by .logrank()

    @property
    def summary(self) -> pd.DataFrame:
        """Per group: customers, churned, censored, longest follow-up and median lifetime."""
        med = self.median_lifetime().set_index("group")
        rows = []
        for name, g in self.groups.items():
            rows.append({"group": name, "customers": g.customers, "churned": g.churned,
                         "censored": g.customers - g.churned, "max_duration": float(g.durations.max()),
                         "median": med.loc[name, "median"], "ci_lower": med.loc[name, "ci_lower"],
                         "ci_upper": med.loc[name, "ci_upper"]})
        return pd.DataFrame(rows)

    @legacy_arguments(renamed={"horizons": "horizon"})
    def survival_at(self, horizon) -> pd.DataFrame:
        """Survival (share retained) at each horizon with its confidence interval.

        ``horizon``: one horizon or a list of them, each a number of time units or a
        duration such as ``"90D"`` (``horizons`` until 0.2.0). One row per group and
        horizon: ``group``, ``horizon``, ``survival``, ``ci_lower``, ``ci_upper``,
        ``at_risk``. A horizon beyond a group's longest duration (while its curve is
        above 0) gives NaN with an :class:`ImmatureDataWarning`: the curve is unknown there.
        """
        many = horizon if isinstance(horizon, (list, tuple, np.ndarray, pd.Index, pd.Series)) else [horizon]
        try:
            hs = np.asarray([check_horizon(h, self.time_unit) if isinstance(h, (str, pd.Timedelta))
                             else float(h) for h in many], dtype=float)
        except (ParameterError, TypeError, ValueError):
            raise ParameterError(f"horizon={horizon!r} must be non-negative numbers (or durations "
                                 "such as '90D').") from None
        if (hs < 0).any() or not np.isfinite(hs).all():
            raise ParameterError(f"horizon={horizon!r} must be non-negative numbers.")
        rows = []
        for name, kmf in self.fitters.items():
            g = self.groups[name]
            sf = kmf.survival_function_.iloc[:, 0]
            ci = kmf.confidence_interval_survival_function_
            longest = float(g.durations.max())
            for h in hs:
                pos = sf.index.searchsorted(h, side="right") - 1
                s, lo, hi = float(sf.iloc[pos]), float(ci.iloc[pos, 0]), float(ci.iloc[pos, 1])
                if h > longest and s > 0:
                    warnings.warn(
                        f"Horizon {h:g} is beyond the longest follow-up of {name} ({longest:g} "
                        f"{self.time_unit}): survival there is unknown (NaN).", ImmatureDataWarning,
                        stacklevel=2)
                    s = lo = hi = np.nan
                at_risk = float(g.weights[g.durations > h].sum())
                rows.append({"group": name, "horizon": h, "survival": s, "ci_lower": lo,
                             "ci_upper": hi, "at_risk": at_risk})
        return pd.DataFrame(rows)

    def median_lifetime(self) -> pd.DataFrame:
        """Median lifetime per group with its confidence interval.

        Where a curve never falls to 50 %, ``median`` is NaN, ``reached`` is False and
        ``note`` says so: more than half of the customers were still retained at the
        longest follow-up, so the median is only known to be longer than that. An
        interval bound that is never reached is ``inf``.
        """
        from lifelines.utils import median_survival_times

        rows = []
        for name, kmf in self.fitters.items():
            g = self.groups[name]
            median = float(kmf.median_survival_time_)
            ci = median_survival_times(kmf.confidence_interval_survival_function_)
            lo, hi = float(ci.iloc[0, 0]), float(ci.iloc[0, 1])
            reached = np.isfinite(median)
            if reached and median == 0:
                note = "more than half never came back after their start (median 0)"
            elif reached:
                note = f"half of the customers churned by {median:,.1f} {self.time_unit}"
            else:
                lowest = float(kmf.survival_function_.iloc[-1, 0])
                note = (f"never reaches 50 %: {lowest:.1%} still retained at "
                        f"{g.durations.max():,.1f} {self.time_unit}, so the median is longer")
                median = np.nan
            rows.append({"group": name, "median": median, "ci_lower": lo, "ci_upper": hi,
                         "reached": bool(reached), "note": note})
        return pd.DataFrame(rows)

    @legacy_arguments(renamed={"t": "horizon"})
    def rmst(self, horizon) -> pd.DataFrame:
        """Restricted mean survival time up to ``horizon`` per group (see :func:`rmst`;
        ``t`` until 0.2.0)."""
        out = [rmst(g.durations, g.events, horizon=horizon, weights=g.weights, alpha=self.alpha, label=name,
                    time_unit=self.time_unit).summary for name, g in self.groups.items()]
        return pd.concat(out, ignore_index=True)

    def plot(self, ax=None, *, at_risk: bool = True, ci_show: bool = True, xticks=None, **kwargs):
        """Survival curves with confidence bands and, under them, the customers at risk and
        churned so far, one column per axis tick (one set of ticks for both: ``xticks``, or
        the axis' own). A curve starting below 100 % gets a note saying why.

        ``kwargs`` go to each group's Kaplan-Meier line (lifelines'
        ``plot_survival_function``, then ``Axes.plot``), e.g. ``lw=`` or, with one group,
        ``color=`` / ``label=`` (the band and the at-risk rows follow the line's colour)."""
        from matplotlib.lines import Line2D

        from .plotting import artist_kwargs, headroom, legend_outside, note, table_under

        ax = get_axes(ax, figsize=(8, 5))
        lines = []
        for kmf in self.fitters.values():
            kmf.plot_survival_function(ax=ax, ci_show=ci_show, **artist_kwargs(kwargs, Line2D))
            lines.append(ax.get_lines()[-1])
        ax.set_ylim(0, 1.0)
        headroom(ax, top=1.0, margin=0.05)
        percent_axis(ax)
        legend_outside(ax)
        lo, hi = ax.get_xlim()
        if xticks is None:
            ticks = [float(t) for t in ax.get_xticks() if lo - 1e-9 <= t <= hi + 1e-9]
        else:
            ticks = sorted(float(t) for t in xticks)
            lo, hi = min([lo, *ticks]), max([hi, *ticks])
        ax.set_xticks(ticks)
        ax.set_xlim(lo, hi)
        what = f" by {', '.join(map(str, self.by))}" if self.by else ""
        label(ax, title=f"Share of customers still active{what} (Kaplan-Meier)",
              xlabel=f"{self.time_unit} since start", ylabel="survival (retained)")
        if at_risk:
            rows = [(self.time_unit, [f"{t:g}" for t in ticks], "black")]
            for (name, kmf), line in zip(self.fitters.items(), lines):
                table = kmf.event_table
                at = [table.loc[table.index >= t, "removed"].sum() for t in ticks]
                gone = [table.loc[table.index <= t, "observed"].sum() for t in ticks]
                color = line.get_color()
                rows.append((f"{name}: at risk", [f"{v:,.0f}" for v in at], color))
                rows.append((f"{name}: churned", [f"{v:,.0f}" for v in gone], color))
            table_under(ax, ticks, rows, title=f"Customers at risk (still observed) and churned so far, "
                                               f"by {self.time_unit} since start")
        start = {name: float(kmf.predict(0.0)) for name, kmf in self.fitters.items()}
        low = {name: v for name, v in start.items() if v < 1 - 1e-9}
        if low:
            day = f"{self.time_unit.rstrip('s')} 0"
            where = ", ".join(f"{v:.1%} ({name})" if len(start) > 1 else f"{v:.1%}" for name, v in low.items())
            why = ("customers who never came back after their first purchase count as churned on "
                   f"{day} (churn_after inactivity rule)" if self.churn_after is not None else
                   f"customers with a lifetime of 0 {self.time_unit} churned at once")
            note(ax, f"Starts below 100 % on {day}: {where}; {why}.")
        return ax

    def logrank(self) -> "LogrankResult":
        """The log-rank test that these curves are equal (the same as :func:`logrank` on the
        lifetimes); :meth:`explain` reports it from then on instead of suggesting one."""
        if len(self.groups) < 2:
            raise DataError("One curve: a log-rank test needs at least two groups (kaplan_meier(..., by=...)).")
        if sum(g.churned for g in self.groups.values()) == 0:
            raise DataError("No customer churned in any group: the log-rank test has nothing to compare.")
        self.test = _logrank_groups(self.groups, self.by, self.alpha)
        return self.test

    @explains
    def explain(self, logrank: "LogrankResult | None" = None) -> str:
        """Plain sentences with the medians and what the curves do not say.

        With two or more curves, the last sentence reports the log-rank test when one was run
        (``logrank``, or :meth:`logrank` called before), else says that one is needed to call
        the curves different."""
        test = logrank if logrank is not None else self.test
        parts = []
        for row in self.median_lifetime().itertuples():
            g = self.groups[row.group]
            head = (f"{row.group}: {g.customers:,.0f} customers, {g.churned:,.0f} churned and "
                    f"{g.customers - g.churned:,.0f} still active (censored); ")
            if row.reached:
                parts.append(head + f"half had churned by {row.median:,.1f} {self.time_unit} "
                             f"({1 - self.alpha:.0%} interval {row.ci_lower:,.1f} to {row.ci_upper:,.1f}).")
            else:
                parts.append(head + f"the curve {row.note}.")
        if self.churn_after is not None:
            days = self.churn_after / pd.Timedelta(days=1)
            where = ("the last instant a lapse could be seen, as of minus that threshold"
                     if self.censor_at == "detection_limit" else "the as-of date")
            parts.append(f"A customer counts as churned after {days:g} days without activity; the "
                         f"others are censored at {where}, and a different threshold gives "
                         "different curves.")
        if self.not_yet_classifiable:
            parts.append(f"{self.not_yet_classifiable:,} customers who started less than that before the "
                         "as-of date are not yet classifiable and are left out (they could not have "
                         "churned yet, so keeping them would lift the curves).")
        parts.append("Censored customers count for as long as they were observed, so the curves "
                     "are not biased towards short lifetimes; bands widen where few remain at risk.")
        if len(self.groups) >= 2 and test is None:
            parts.append("Differences between curves are descriptive: use logrank() for a test.")
        elif len(self.groups) >= 2:
            verdict = ("a difference unlikely under equal retention" if test.p_value < self.alpha
                       else "compatible with equal retention")
            p_text = f"p {format_p(test.p_value)}" if test.p_value < 0.001 else f"p = {format_p(test.p_value)}"
            parts.append(f"The log-rank test of the differences: chi-square {test.test_statistic:,.2f} on "
                         f"{test.degrees_of_freedom} df, {p_text}, {verdict}.")
        return " ".join(parts)

    title = "Kaplan-Meier survival curves"

    def __repr__(self) -> str:
        return "SurvivalCurves\n" + self.summary.to_string(index=False)

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, [self.explain()])


def kaplan_meier(lifetimes: pd.DataFrame, *, by=None, weights_col: str | None = None,
                 alpha: float = 0.05, label: str | None = None, duration_col: str = "duration",
                 event_col: str = "churned", time_unit: str | None = None) -> SurvivalCurves:
    """Kaplan-Meier survival curves of lifetimes, one per group.

    Parameters
    ----------
    lifetimes : DataFrame
        Columns ``duration`` and ``churned`` (from :func:`customer_lifetimes`,
        :func:`subscription_lifetimes` or :func:`aggregate_lifetimes`).
    by : str or list of str, optional
        Column(s) defining the groups (segment, channel, arm).
    weights_col : str, optional
        Whole counts of identical customers per row (aggregated input): the curves,
        bands and medians equal those of the raw rows.
    alpha : float
        1 - confidence level of the bands (lifelines' exponential Greenwood intervals).
    label : str, optional
        Name of the single curve when ``by`` is None (default "all customers").
    duration_col, event_col : str
        The columns of the durations and of the churn flags (default ``duration`` and
        ``churned``). Flags may be True/False, 1/0 or text Yes/No, True/False,
        churned/active in any case; anything else is refused with the values and the count.
    time_unit : str, optional
        The unit the durations are in ("days", "weeks", "months"), used in every
        explanation and axis label; by default the unit the lifetimes' builder recorded
        (``rk.metadata(lifetimes)``), else days.

    Returns
    -------
    SurvivalCurves

    Examples
    --------
    >>> life = pd.DataFrame({"duration": [2, 3, 4, 5, 6], "churned": [1, 0, 1, 0, 0]})
    >>> km = kaplan_meier(life)
    >>> km.survival_at([1, 2, 4])[["horizon", "survival"]].round(4)
       horizon  survival
    0      1.0    1.0000
    1      2.0    0.8000
    2      4.0    0.5333
    """
    from lifelines import KaplanMeierFitter

    alpha = _check_alpha(alpha)
    by_cols, groups = _lifetime_groups(lifetimes, by, weights_col, label or "all customers", duration_col,
                                       event_col)
    time_unit = _time_unit_of(lifetimes, time_unit)
    named = {_group_name(k): g for k, g in groups.items()}
    fitters = {}
    for name, g in named.items():
        kmf = KaplanMeierFitter(alpha=alpha, label=name)
        with warnings.catch_warnings():
            # lifelines warns that weights are "not integers" for floats holding integers.
            warnings.simplefilter("ignore", category=Warning)
            kmf.fit(g.durations, g.events, weights=g.weights)
        fitters[name] = kmf
    return SurvivalCurves(fitters=fitters, by=by_cols, alpha=alpha, time_unit=time_unit,
                          groups=named, churn_after=metadata(lifetimes).get("churn_after"),
                          censor_at=lifetimes.attrs.get("censor_at"),
                          not_yet_classifiable=int(lifetimes.attrs.get("not_yet_classifiable") or 0))


# --------------------------------------------------------------------------------------
# Log-rank
# --------------------------------------------------------------------------------------

@dataclass
class LogrankResult(Result):
    """Log-rank test that the groups' survival curves are equal."""

    test_statistic: float
    p_value: float
    degrees_of_freedom: int
    table: pd.DataFrame
    by: list
    alpha: float = 0.05  # the level of the verdict in explain()

    @property
    def summary(self) -> pd.DataFrame:
        """Per group: customers, observed and expected churn under equal curves; test row last."""
        test = pd.DataFrame([{"group": "log-rank test", "test_statistic": self.test_statistic,
                              "degrees_of_freedom": self.degrees_of_freedom, "p_value": self.p_value}])
        return pd.concat([self.table, test], ignore_index=True)

    @explains
    def explain(self) -> str:
        worst = self.table.assign(ratio=self.table["observed"] / self.table["expected"])
        hi = worst.loc[worst["ratio"].idxmax()]
        verdict = ("unlikely under equal retention" if self.p_value < self.alpha
                   else "compatible with equal retention")
        return (
            f"Log-rank test across {len(self.table)} groups: chi-square {self.test_statistic:,.2f} "
            f"on {self.degrees_of_freedom} df, p = {self.p_value:.3g}, a difference {verdict}. "
            f"{hi['group']} churned most relative to expectation ({hi['observed']:,.0f} observed vs "
            f"{hi['expected']:,.1f} expected). The test weighs all times equally and has most power "
            "when one curve stays below the other; it measures evidence, not the size of the gap "
            "(see rmst or survival_at for that)."
        )

    def __repr__(self) -> str:
        return (f"LogrankResult(test_statistic={self.test_statistic:.4g}, p_value={self.p_value:.4g}, "
                f"degrees_of_freedom={self.degrees_of_freedom})\n" + self.table.to_string(index=False))

    title = "Log-rank test"

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, [self.explain()])


def _at_risk(durations: np.ndarray, weights: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Weighted number of customers with duration >= each time."""
    order = np.argsort(durations, kind="stable")
    tail = np.r_[np.cumsum(weights[order][::-1])[::-1], 0.0]
    return tail[np.searchsorted(durations[order], times, side="left")]


def _logrank_groups(groups: dict, by, alpha: float = 0.05) -> LogrankResult:
    from lifelines.statistics import multivariate_logrank_test

    names = list(groups)
    d = np.concatenate([g.durations for g in groups.values()])
    e = np.concatenate([g.events for g in groups.values()])
    w = np.concatenate([g.weights for g in groups.values()])
    labels = np.repeat(np.arange(len(names)), [len(g.durations) for g in groups.values()])
    keep = w > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=Warning)
        res = multivariate_logrank_test(d[keep], labels[keep], e[keep], weights=w[keep])
    # Observed and expected churn per group, for the table (the same sums the test uses).
    times, _, deaths, _ = _km_steps(d[keep], e[keep], w[keep])
    at_risk_all = _at_risk(d[keep], w[keep], times)
    rows = []
    for name in names:
        g = groups[name]
        expected = float((deaths * _at_risk(g.durations, g.weights, times) / at_risk_all).sum())
        rows.append({"group": _group_name(name), "customers": g.customers, "observed": g.churned,
                     "expected": expected})
    return LogrankResult(test_statistic=float(res.test_statistic), p_value=float(res.p_value),
                         degrees_of_freedom=len(names) - 1, table=pd.DataFrame(rows), by=list(by),
                         alpha=alpha)


def logrank(lifetimes: pd.DataFrame, *, by, weights_col: str | None = None,
            alpha: float = 0.05, duration_col: str = "duration", event_col: str = "churned") -> LogrankResult:
    """Log-rank test that two or more groups have the same survival curve.

    Runs lifelines' ``multivariate_logrank_test`` (with two groups it equals
    ``logrank_test``) with the plain log-rank weighting. ``weights_col`` holds whole
    counts, for which the weighted test equals the test on raw rows (the variance uses
    ``n - 1`` of the counts).

    Parameters
    ----------
    lifetimes : DataFrame
        Columns ``duration``, ``churned`` and the ``by`` column(s).
    by : str or list of str
        Column(s) defining the groups; at least two groups are needed.
    weights_col : str, optional
        Counts of identical customers per row (aggregated input).
    alpha : float
        Level at which ``explain()`` calls the difference unlikely under equal retention.

    Returns
    -------
    LogrankResult
        ``.test_statistic`` (chi-square), ``.p_value``, ``.degrees_of_freedom``,
        ``.summary`` (observed and expected churn per group).

    Examples
    --------
    >>> life = pd.DataFrame({"duration": [2, 3, 4, 5, 6, 1, 2, 3, 5, 6],
    ...                      "churned": [1, 0, 1, 0, 0, 1, 1, 0, 1, 0],
    ...                      "arm": ["a"] * 5 + ["b"] * 5})
    >>> res = logrank(life, by="arm")
    >>> round(res.test_statistic, 4), round(res.p_value, 4)  # = lifelines.statistics.logrank_test
    (0.4314, 0.5113)
    """
    alpha = _check_alpha(alpha)
    if by is None or not _as_list(by):
        raise ParameterError("logrank needs by='<column>' naming the groups to compare.")
    by_cols, groups = _lifetime_groups(lifetimes, by, weights_col, None, duration_col, event_col)
    if len(groups) < 2:
        raise DataError(f"Column(s) {by_cols} hold only {len(groups)} group(s) with customers: a "
                        "log-rank test needs at least two.")
    if sum(g.churned for g in groups.values()) == 0:
        raise DataError("No customer churned in any group: the log-rank test has nothing to compare.")
    return _logrank_groups(groups, by_cols, alpha)


# --------------------------------------------------------------------------------------
# Pairwise log-rank with multiple-testing correction
# --------------------------------------------------------------------------------------



@dataclass
class PairwiseLogrank(Result):
    """Log-rank tests for every pair of groups, with adjusted p-values."""

    table: pd.DataFrame
    method: str
    alpha: float

    @property
    def summary(self) -> pd.DataFrame:
        return self.table

    @explains
    def explain(self) -> str:
        n = len(self.table)
        sig = self.table[self.table["reject"]]
        pairs = "; ".join(f"{r.group_a} vs {r.group_b} (adjusted p = {r.p_adjusted:.3g})"
                          for r in sig.itertuples()) or "none"
        return (f"{n} pairwise log-rank tests, p-values adjusted with {CORRECTIONS[self.method]}, "
                f"kept at {self.alpha:.0%}. Pairs that differ: {pairs}.")

    def __repr__(self) -> str:
        return f"PairwiseLogrank(method={self.method!r})\n" + self.table.to_string(index=False)

    title = "Pairwise log-rank tests"

    def _repr_html_(self) -> str:
        return render_html(self.title, self.table, [self.explain()])


@legacy_arguments(renamed={"method": "correction"})
def pairwise_logrank(lifetimes: pd.DataFrame, *, by, weights_col: str | None = None,
                     correction: str = "holm", alpha: float = 0.05, duration_col: str = "duration",
                     event_col: str = "churned") -> PairwiseLogrank:
    """Log-rank test for each pair of groups, p-values adjusted for multiple testing.

    Each pair runs our two-group :func:`logrank` (weighted counts allowed), not
    lifelines' ``pairwise_logrank_test``, which takes no weights. The adjustment is
    :func:`~retention_kit.multiple_testing.adjust_p_values`, the same as for several
    experiment arms: ``correction="holm"`` (default), ``"bh"`` (``"fdr_bh"``),
    ``"bonferroni"`` or ``"none"`` (``method`` until 0.2.0).

    Examples
    --------
    >>> life = pd.DataFrame({"duration": [1, 2, 3, 4, 2, 3, 5, 6, 5, 6, 7, 8],
    ...                      "churned": [1] * 12, "seg": list("aaaabbbbcccc")})
    >>> pairwise_logrank(life, by="seg").summary[["group_a", "group_b"]].values.tolist()
    [['a', 'b'], ['a', 'c'], ['b', 'c']]
    """
    method = resolve_correction(correction, "correction")
    alpha = _check_alpha(alpha)
    by_cols, groups = _lifetime_groups(lifetimes, by, weights_col, None, duration_col, event_col)
    if len(groups) < 2:
        raise DataError(f"Column(s) {by_cols} hold fewer than two groups: nothing to compare.")
    rows = []
    for ka, kb in combinations(groups, 2):
        res = _logrank_groups({ka: groups[ka], kb: groups[kb]}, by_cols)
        rows.append({"group_a": _group_name(ka), "group_b": _group_name(kb),
                     "test_statistic": res.test_statistic, "p_value": res.p_value})
    table = pd.DataFrame(rows)
    table["p_adjusted"] = adjust_p_values(table["p_value"].to_numpy(), correction=method)

    table["reject"] = table["p_adjusted"] < alpha
    return PairwiseLogrank(table=table, method=method, alpha=alpha)


# --------------------------------------------------------------------------------------
# Cox proportional hazards: drivers of churn
# --------------------------------------------------------------------------------------

_MAX_EXPANDED_ROWS = 2_000_000


@dataclass
class CoxDrivers(Result):
    """Cox proportional-hazards model of churn, read as hazard ratios."""

    hazard_ratios: pd.DataFrame
    ph_test: pd.DataFrame
    fitter: object
    customers: int
    churned: int
    alpha: float

    @property
    def summary(self) -> pd.DataFrame:
        """One row per term: ``covariate``, ``level``, ``reference``, ``hazard_ratio``,
        ``ci_lower``, ``ci_upper``, ``p_value`` and the PH check ``ph_p_value``."""
        return self.hazard_ratios

    def plot(self, ax=None, **kwargs):
        """Forest plot of the hazard ratios on a log scale (1 = no effect). Returns the Axes.

        ``kwargs`` go to the hazard ratios' points and intervals (``Axes.errorbar``), e.g.
        ``color=`` or ``label=``."""
        from matplotlib.lines import Line2D

        from .plotting import artist_kwargs

        ax = get_axes(ax)
        hr = self.hazard_ratios.iloc[::-1]
        names = [f"{r.covariate}: {r.level} vs {r.reference}" if isinstance(r.reference, str) and r.reference
                 else str(r.covariate) for r in hr.itertuples()]
        y = np.arange(len(hr))
        ax.errorbar(hr["hazard_ratio"], y, xerr=[hr["hazard_ratio"] - hr["ci_lower"],
                                                 hr["ci_upper"] - hr["hazard_ratio"]],
                    **artist_kwargs(kwargs, Line2D, fmt="o", color="#4c72b0", capsize=3))
        ax.axvline(1.0, color="grey", ls="--", lw=1, label="1 = no difference")
        ax.set_xscale("log")
        from .plotting import ratio_axis

        ratio_axis(ax, "x")
        ax.set_yticks(y)
        ax.set_yticklabels(names)
        ax.set_ylim(-0.6, len(hr) - 0.4)
        return label(ax, title="Drivers of churn: hazard ratios (Cox model)",
                     xlabel="hazard ratio (log scale): > 1 churns sooner, < 1 stays longer, 1 = no difference",
                     ylabel="")

    @explains
    def explain(self) -> str:
        parts = [f"Cox model on {self.customers:,} customers ({self.churned:,} churned)."]
        for r in self.hazard_ratios.itertuples():
            what = f"{r.covariate} = {r.level} (vs {r.reference})" if r.reference else f"one more unit of {r.covariate}"
            change = (f"{1 - r.hazard_ratio:.0%} lower" if r.hazard_ratio < 1
                      else f"{r.hazard_ratio - 1:.0%} higher")
            parts.append(f"{what}: churn hazard {change} (hazard ratio {r.hazard_ratio:.2f}, "
                         f"{1 - self.alpha:.0%} interval {r.ci_lower:.2f} to {r.ci_upper:.2f}, p = {r.p_value:.3g}).")
        bad = self.ph_test[self.ph_test["p_value"] < self.alpha]
        if len(bad):
            parts.append(
                "Proportional-hazards check: the effect of " + ", ".join(bad["term"]) + " seems to change "
                f"over the customer's lifetime (test p < {self.alpha:g}), so its single hazard ratio is an average "

                "over time; compare Kaplan-Meier curves of those groups, or stratify on them.")
        else:
            parts.append("Proportional-hazards check: no term's effect was found to change over the "
                         "lifetime (all test p >= 0.05), so one hazard ratio per term is a fair summary.")
        parts.append("Hazard ratios describe associations; only randomised terms (an experiment arm) "
                     "read as causal effects.")
        return " ".join(parts)

    def __repr__(self) -> str:
        return "CoxDrivers\n" + self.hazard_ratios.to_string(index=False)

    title = "Drivers of churn (Cox proportional hazards)"

    def _repr_html_(self) -> str:
        return render_html(self.title, self.hazard_ratios, [self.explain()])



def cox_drivers(lifetimes: pd.DataFrame, *, covariates, weights_col: str | None = None,
                reference: dict | None = None, alpha: float = 0.05, penalizer: float = 0.0,
                duration_col: str = "duration", event_col: str = "churned") -> CoxDrivers:
    """Cox proportional-hazards model of churn with a readable hazard-ratio table.

    Text, category and boolean covariates become one indicator per level against a
    reference level (the most common one unless ``reference={"col": "level"}``); numeric
    covariates enter as they are. The proportional-hazards assumption (that each effect
    is the same at every age of the customer) is checked with lifelines'
    ``proportional_hazard_test`` (Kaplan-Meier time transform, as R's ``cox.zph``): a
    test of whether the scaled Schoenfeld residuals trend with time. A failure raises a
    :class:`ProportionalHazardsWarning` and is explained in plain words.

    Weighted (aggregated) input is expanded to one row per customer before fitting:
    lifelines' Efron handling of tied durations with case weights is not the same as
    on the equivalent raw rows, so fitting the weights directly would give a different
    answer. More than 2,000,000 expanded rows raise :class:`ParameterError`.

    Examples
    --------
    >>> shop = __import__("retention_kit").load_coffee_shop()
    >>> life = customer_lifetimes(shop.transactions, churn_after=60, by=["channel"])
    >>> cox = cox_drivers(life, covariates=["channel"], reference={"channel": "walk-in"})
    >>> cox.summary[["level", "reference"]].values.tolist()
    [['app', 'walk-in'], ['delivery', 'walk-in']]
    """
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    alpha = _check_alpha(alpha)
    covariates = _as_list(covariates)
    if not covariates:
        raise ParameterError("covariates=[...] must name at least one column.")
    reference = dict(reference or {})
    for col in reference:
        if col not in covariates:
            raise ParameterError(f"reference names {col!r}, which is not among covariates={covariates}.")
    _, groups = _lifetime_groups(lifetimes, None, weights_col, "all", duration_col, event_col)
    g = groups["all"]
    require_columns(lifetimes, {"covariates": c for c in covariates}, what="lifetimes")
    data = lifetimes[covariates].reset_index(drop=True)
    na = data.isna().any(axis=1)
    if na.any():
        raise DataError(f"Covariates {covariates} are missing in {int(na.sum()):,} rows; fill or drop them.")
    design = pd.DataFrame(index=data.index)
    terms = []
    for col in covariates:
        s = data[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            design[col] = s.astype(float)
            terms.append((col, col, str(col), ""))
            continue
        s = s.astype(str)
        counts = pd.Series(g.weights, index=s.index).groupby(s).sum().sort_values(ascending=False, kind="stable")
        ref = str(reference.get(col, counts.index[0]))
        if ref not in counts.index:
            close = difflib.get_close_matches(ref, counts.index.tolist(), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ParameterError(f"reference[{col!r}]={ref!r} is not a level of {col!r}.{hint} "
                                 f"Levels: {sorted(counts.index)}.")
        if len(counts) < 2:
            raise DataError(f"Covariate {col!r} has a single level ({ref!r}): it explains nothing.")
        for level in sorted(counts.index):
            if level != ref:
                name = f"{col}[{level}]"
                design[name] = (s == level).astype(float)
                terms.append((name, col, level, ref))
    design["duration"] = g.durations
    design["churned"] = g.events.astype(int)
    if weights_col is not None:
        total = int(g.weights.sum())
        if total > _MAX_EXPANDED_ROWS:
            raise ParameterError(
                f"weights_col={weights_col!r} stands for {total:,} customers; the Cox fit expands "
                f"them to rows (Efron ties with weights differ from raw rows) and is limited to "
                f"{_MAX_EXPANDED_ROWS:,}. Fit a random sample of customers instead.")
        design = design.loc[np.repeat(design.index.to_numpy(), g.weights.astype(int))].reset_index(drop=True)
    if design["churned"].sum() == 0:
        raise DataError("No customer churned: a Cox model needs events.")
    cph = CoxPHFitter(alpha=alpha, penalizer=penalizer)
    cph.fit(design, duration_col="duration", event_col="churned")
    s = cph.summary
    lower = [c for c in s.columns if c.startswith("exp(coef) lower")][0]
    upper = [c for c in s.columns if c.startswith("exp(coef) upper")][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=Warning)
        # "km" (R's cox.zph default) rather than "rank": lifelines' rank transform is a cumsum
        # over rows, so tied durations get ranks by row order and the p-value changes when
        # the same customers are shuffled or expanded from counts.
        ph = proportional_hazard_test(cph, design, time_transform="km").summary
    ph_table = pd.DataFrame({"term": ph.index.astype(str), "test_statistic": ph["test_statistic"].to_numpy(),
                             "p_value": ph["p"].to_numpy()})
    rows = []
    for name, col, level, ref in terms:
        rows.append({"covariate": col, "level": level, "reference": ref,
                     "hazard_ratio": float(s.loc[name, "exp(coef)"]), "ci_lower": float(s.loc[name, lower]),
                     "ci_upper": float(s.loc[name, upper]), "p_value": float(s.loc[name, "p"]),
                     "ph_p_value": float(ph_table.set_index("term").loc[name, "p_value"])})
    table = pd.DataFrame(rows)
    bad = ph_table[ph_table["p_value"] < 0.05]
    if len(bad):
        warnings.warn(
            f"The proportional-hazards check fails for {list(bad['term'])} (p < 0.05): their effect "
            "changes over the lifetime, so each hazard ratio is a time average. See .explain().",
            ProportionalHazardsWarning, stacklevel=2)
    return CoxDrivers(hazard_ratios=table, ph_test=ph_table, fitter=cph, customers=int(len(design)),
                      churned=int(design["churned"].sum()), alpha=alpha)
