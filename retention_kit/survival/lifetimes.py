"""Lifetimes from logs: :func:`customer_lifetimes` (activity logs), :func:`subscription_lifetimes`
(start/end records), :func:`aggregate_lifetimes` and :func:`survival_table` (the
``(duration, churned, count)`` table, also straight from a log on any engine).

The definitions of lifetime, churn, censoring and *not yet classifiable* are in
:mod:`retention_kit.survival`.
"""

from __future__ import annotations

import difflib
import warnings

import numpy as np
import pandas as pd

from .._options import caller_stacklevel, legacy_arguments
from ..engines import is_pandas, open_events, starts_table, supports
from ..errors import DataError, DataQualityWarning, ParameterError
from ..periods import parse_duration, parse_freq, period_codes
from ..results import DataQualityReport, set_metadata
from ..validation import (
    CUSTOMER, example_text as _example, log_columns, prepare_events, record_drop, require_columns, TIME,
)
from ._common import as_list, DAY, lifetime_columns


LIFETIME_COLUMNS = ["customer_id", "start", "first_activity", "last_activity", "duration", "churned"]


def _time_unit(unit) -> tuple[str | None, str]:
    """(period code or None for elapsed days, plural name of the unit)."""
    freq = parse_freq(unit)
    if freq.code == "D":
        return None, "days"
    return freq.code, f"{freq.name}s"


def _durations(start: pd.Series, end: pd.Series, period: str | None) -> np.ndarray:
    if period is None:
        return ((end - start) / DAY).to_numpy(dtype=float)
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
    from ..validation import parse_times as _to_datetime  # the one date parser of the kit

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
    keep_cols = as_list(by)
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
                DataQualityWarning, stacklevel=caller_stacklevel())
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
            f"{int(late.sum()):,} customers start after the as-of date ({as_of_ts:%Y-%m-%d}) and were "
            "left out: their start time (start_times; in compare_retention, the assignment time) is later.",
            DataQualityWarning, stacklevel=caller_stacklevel())
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
    from ..checks import validate_subscriptions  # the one validator of subscription tables (crr_table's too)

    keep_cols = as_list(by)
    frame, report, as_of_ts = validate_subscriptions(subscriptions, customer_col=customer_col, start_col=start_col,
                                                     end_col=end_col, as_of=as_of, one_per_customer=True,
                                                     keep_cols=keep_cols)
    # An end missing or after the as-of date (made missing by the validator): censored at as_of.
    start, end = frame["start"], frame["end"]
    churned = end.notna()
    stop = end.where(churned, as_of_ts)
    out = pd.DataFrame({
        "customer_id": frame["customer_id"].to_numpy(), "start": start.to_numpy(), "first_activity": start.to_numpy(),
        "last_activity": stop.to_numpy(), "duration": ((stop - start) / DAY).to_numpy(dtype=float),
        "churned": churned.to_numpy(dtype=bool),
    })
    for col in keep_cols:
        out[col] = subscriptions[col].to_numpy()[frame.index]
    out = out.sort_values("customer_id", ignore_index=True)
    report.customers = len(out)
    set_metadata(out, as_of=as_of_ts, churn_after=None, time_unit="days", data_quality=report)
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
    keys = as_list(by) + [duration_col, event_col]
    require_columns(lifetimes, {f"column {k!r}": k for k in as_list(by)}, what="lifetimes")
    if count_col in keys:
        raise ParameterError(f"count_col={count_col!r} is also a column of the result ({keys}); choose "
                             "another name, e.g. count_col='count'.")
    if isinstance(lifetimes, pd.DataFrame) and len(lifetimes) == 0:
        raise DataError("lifetimes is empty (0 rows): there is nothing to aggregate.")
    _, flags = lifetime_columns(lifetimes, duration_col, event_col)
    frame = lifetimes[keys].assign(**{event_col: flags})
    out = frame.groupby(keys, sort=True, observed=True, dropna=False).size()
    out = out.rename(count_col).reset_index()
    out.attrs.update(lifetimes.attrs)
    return out


def _engine_starts(log, start_times, customer_col: str, time_col: str) -> pd.DataFrame:
    """The start times as the table the engine joins; events of customers without a start,
    or before it, counted as dropped (as :func:`customer_lifetimes` does)."""
    report = log.report
    starts, _ = _start_series(start_times, customer_col, time_col, report)
    table = starts_table(_drop_late_starts(starts, log.as_of, report))
    checks = log.start_checks(table)
    if checks["unknown_rows"]:
        warnings.warn(
            f"{int(checks['unknown_customers']):,} customers of the events have no start in start_times "
            f"and were left out ({int(checks['unknown_rows']):,} events).", DataQualityWarning,
            stacklevel=caller_stacklevel())
        record_drop(report, customer_col, int(checks["unknown_rows"]), "customer has no start time")
    if checks["before_rows"]:
        record_drop(report, time_col, int(checks["before_rows"]), "before the customer's start time")
    return table


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
    by_cols = as_list(by)
    customer_col, time_col, _ = log_columns(events, customer_col, time_col)
    if count_col in ["duration", "churned", *by_cols]:
        raise ParameterError(f"count_col={count_col!r} is also a column of the result "
                             f"({['duration', 'churned', *by_cols]}); choose another name, e.g. count_col='count'.")
    if (start_times is not None or by_cols) and not supports(events, "grouped_lifetime_counts"):
        # pandas: the lifetimes by start time or segment, aggregated
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
    table = None if start_times is None else _engine_starts(log, start_times, customer_col, time_col)
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
    # Spans in the engine's resolution: microseconds are multiplied up to nanoseconds, so every
    # engine divides nanoseconds by a day's nanoseconds (the same float).
    scale = 1000 if log.resolution == "us" else 1
    duration = (span * scale) / DAY.value if period is None else span.astype(float)
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
