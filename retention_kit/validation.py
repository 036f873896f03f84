"""Validation at the door: column mapping, checks with errors that say what to do, and one
canonical event log for everything downstream.

The canonical log has the columns ``customer_id``, ``date`` (naive ``datetime64[ns]``; a
time-zone-aware input is converted to UTC first, on every engine) and, when an amount column is named, ``amount`` (float), plus
any extra columns the caller asked to carry (segment, channel, arm). Nothing downstream
re-checks columns.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .checks import (  # the declared checks and their messages (re-exported: engines read them here)
    EVENT_CHECKS, MIXED_IDS, ROW_CHECKS, TIME_MAX, TIME_MIN, Check,
    bad_dates_message, example_text, find, missing_dates_message, mixed_ids_extra, mixes_types,
    out_of_range_message, parse_flags, read_dates_rule, refuse, run_checks,
    day_month_order,
)
from .errors import DataError, DataQualityWarning, ParameterError
from .results import DataQualityReport

__all__ = ["EventLog", "validate_events", "prepare_events", "check_events", "resolve_as_of", "require_columns",
           "observed_until", "record_drop", "log_columns", "ROW_CHECKS", "parse_times", "plain_ids", "example_text",
           "parse_flags"]

CUSTOMER, TIME, AMOUNT = "customer_id", "date", "amount"


@dataclass
class PreparedEvents:
    """What :func:`prepare_events` returns: the canonical frame, its as-of date and the report
    (internal; the public, reusable log is :class:`EventLog`)."""

    frame: pd.DataFrame
    as_of: pd.Timestamp
    report: DataQualityReport
    tz: str | None = None

    @property
    def observed_until(self) -> pd.Timestamp:
        """End of the as-of day: a period ending by then is complete. Logs are exported by
        day, so the as-of day counts as fully observed (CDNOW's last rows are dated
        1998-06-30, and June 1998 is a complete month)."""
        return observed_until(self.as_of)


def observed_until(as_of: pd.Timestamp) -> pd.Timestamp:
    """The first instant after the as-of day (see :attr:`PreparedEvents.observed_until`)."""
    return pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)


def require_columns(frame: pd.DataFrame, wanted: dict[str, str | None], what: str = "events"):
    """Raise :class:`DataError` naming each missing column, the closest match and the
    argument that renames it. ``wanted`` maps argument name to column name."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"{what} must be a pandas DataFrame, got {type(frame).__name__}. "
            "Read your file with pd.read_csv(...) or pd.read_parquet(...) first."
        )
    check_labels(frame.columns, what)
    available = [str(c) for c in frame.columns]
    for arg, col in wanted.items():
        if col is None or col in frame.columns:
            continue
        raise DataError(missing_column_message(arg, col, available, what))


def missing_column_message(arg: str, col, available: list[str], what: str) -> str:
    """The one message of a column that is not there: the columns there are, the closest
    match or the separator the file was read with, and the argument that names it."""
    sep = separator_hint(available)
    if sep:
        hint = sep
    else:
        close = difflib.get_close_matches(str(col), available, n=1, cutoff=0.6)
        if close and arg.startswith("column "):  # a carried column: by=, keep_cols=
            hint = f" Did you mean {close[0]!r}?"
        elif close:
            hint = f" Did you mean {close[0]!r}? Pass {arg}={close[0]!r}."
        elif arg.startswith("column "):
            hint = " Name a column that the data has."
        else:
            hint = f" Pass {arg}= with the name of the column that holds it."
    named = "" if arg.startswith("column ") else f" ({arg})"  # a carried column (by=, keep_cols=)
    return (f"Column {col!r}{named} not found in {what}; it has {len(available)} columns: "
            f"{available[:12]}{' ...' if len(available) > 12 else ''}.{hint}")


def separator_hint(available: list[str]) -> str:
    """When a file read with commas holds one column whose name has another separator."""
    if len(available) != 1:
        return ""
    for sep, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
        if sep in available[0]:
            return (f" The only column name holds a {name} ({sep!r}): the file was read with the wrong "
                    f"separator. Read it with pd.read_csv(path, sep={sep!r}).")
    return ""


def check_labels(columns, what: str = "events") -> None:
    """Refuse column labels that make a column ambiguous: a MultiIndex or repeated names."""
    if isinstance(columns, pd.MultiIndex):
        raise DataError(
            f"The columns of {what} are a MultiIndex ({columns.nlevels} levels, e.g. {columns[0]!r}); "
            "the kit names columns by a single label. Flatten them first, e.g. "
            "df.columns = ['_'.join(map(str, c)) for c in df.columns].")
    if not columns.is_unique:
        repeated = list(dict.fromkeys(columns[columns.duplicated()]))
        raise DataError(
            f"Column name{'s' if len(repeated) > 1 else ''} {example_text(repeated)} appear{'' if len(repeated) > 1 else 's'} "
            f"more than once in {what}, so the column to use is ambiguous. Keep one of each, "
            "e.g. df = df.loc[:, ~df.columns.duplicated()], or rename them.")


TZ_DETAIL = ("time-zone-aware: converted to UTC, periods follow the UTC calendar (for local "
             "calendar periods convert to local wall time first)")
TEXT_DETAIL = "text parsed as dates"


def numeric_dates_message(col: str, example: str = "", engine: bool = False) -> str:
    """Numbers in the time column: never read as dates by guessing a unit or a layout."""
    shown = f" Example: {example}." if example else ""
    fix = ("convert them to timestamps in the engine first (e.g. DuckDB strptime(...) or "
           "to_timestamp(...), Polars pl.from_epoch(...), Spark timestamp_seconds(...))." if engine else
           f"convert with df[{col!r}] = pd.to_datetime(df[{col!r}].astype(str), format='%Y%m%d'); if they "
           f"are Unix seconds, with df[{col!r}] = pd.to_datetime(df[{col!r}], unit='s').")
    return (f"Column {col!r} holds numbers, not dates. They are not guessed (days, seconds or "
            f"YYYYMMDD?): if they are YYYYMMDD, {fix}{shown}")


def parse_times(series: pd.Series, col: str, report: DataQualityReport) -> tuple[pd.Series, str | None]:
    """Return naive datetimes and "UTC" when they were time-zone-aware (or None).

    One date policy on every engine: ISO 8601 text only (a day/month layout is refused,
    never guessed, with the format that reads the column by the one day/month rule,
    :func:`retention_kit.checks.day_month_order`); numbers are refused; time-zone-aware
    times (typed, or text with an offset) are converted to UTC and the zone dropped.
    """
    s = series
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(s.cat.categories.dtype)
    if isinstance(s.dtype, pd.PeriodDtype):
        raise DataError(
            f"Column {col!r} holds periods ({s.dtype}), not timestamps. Convert them to the start of "
            f"each period: df[{col!r}] = df[{col!r}].dt.to_timestamp().")
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        raise DataError(numeric_dates_message(col, f"{example_text(s.dropna())} ({s.dtype})"))
    if pd.api.types.is_bool_dtype(s):
        raise DataError(f"Column {col!r} holds True/False values, not dates. Name the column that holds "
                        "the event times with time_col=.")
    missing = s.isna()
    if missing.any():
        rows = s.index[missing]
        raise DataError(missing_dates_message(col, int(missing.sum()), len(s), example_text(rows)))
    if pd.api.types.is_datetime64_any_dtype(s):
        unit = np.datetime_data(s.dtype.base if isinstance(s.dtype, pd.DatetimeTZDtype) else s.dtype)[0]
        if unit not in ("ns",) and len(s):
            naive = s.dt.tz_convert("UTC").dt.tz_localize(None) if isinstance(s.dtype, pd.DatetimeTZDtype) else s
            outside = (naive < TIME_MIN.as_unit(unit)) | (naive > TIME_MAX.as_unit(unit))
            if outside.any():
                raise DataError(out_of_range_message(col, int(outside.sum()), str(naive[outside].iloc[0])))
    else:
        objects = s.head(1000)
        zones = {getattr(v, "tzinfo", None) is not None for v in objects if hasattr(v, "tzinfo")}
        if len(zones) > 1:
            raise DataError(
                f"Column {col!r} mixes time-zone-aware and naive timestamps. Convert them to "
                f"one zone first, for example df[{col!r}] = pd.to_datetime(df[{col!r}], utc=True).")
        try:
            with warnings.catch_warnings():
                # pandas 2 only warns (FutureWarning) when offsets differ; read them as UTC.
                warnings.simplefilter("error", FutureWarning)
                # ISO 8601 only: guessing "05/01/2024" would silently pick a day or a month.
                parsed = pd.to_datetime(s, errors="coerce", format="ISO8601")
        except (ValueError, TypeError, FutureWarning):
            try:
                parsed = pd.to_datetime(s, errors="coerce", format="ISO8601", utc=True)
            except (ValueError, TypeError, OverflowError) as exc:
                raise DataError(f"Column {col!r}: the values could not be read as dates ({exc}). Parse the "
                                f"column yourself with pd.to_datetime(df[{col!r}], format=...).") from None
        except OverflowError:
            parsed = pd.Series(pd.NaT, index=s.index)
        if parsed.dtype == object:
            parsed = pd.to_datetime(s, errors="coerce", format="ISO8601", utc=True)
        bad = parsed.isna()
        if bad.any():
            examples = list(s[bad].head(3))
            # The one day/month rule (retention_kit.checks) on the whole column: the fix offered reads every value.
            reading = read_dates_rule(s[bad], s)
            raise DataError(bad_dates_message(col, int(bad.sum()), len(s), examples, reading=reading))
        report.add(col, len(s), "converted", TEXT_DETAIL)
        s = parsed
    tz = None
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        # One rule on every engine: the instant in UTC, the zone dropped.
        tz = "UTC"
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        report.add(col, len(s), "converted", TZ_DETAIL)
    return s.astype("datetime64[ns]", copy=False), tz


#: The event log's row checks were declared here as ``RowCheck``; they are :class:`retention_kit.checks.Check`
#: now, and :data:`ROW_CHECKS` (imported above) is still found here by the engines.
RowCheck = Check


def plain_ids(ids: pd.Series, col: str) -> pd.Series:
    """Customer ids as plain values: categories become their values (an unused category
    must not become a customer); text and numbers mixed in one column are refused ("1" and 1
    would be two customers here and one in a file)."""
    if isinstance(ids.dtype, pd.CategoricalDtype):
        ids = ids.astype(ids.cat.categories.dtype)
    if mixes_types(ids):  # the check mixed_ids (retention_kit.checks)
        refuse(MIXED_IDS, find(MIXED_IDS, {"cust": ids}, column=col, what="events", extra=mixed_ids_extra(ids)))
    return ids


def day_month_as_of_message(as_of: str, name: str = "as_of") -> str:
    """An as-of date written day/month (pd.Timestamp would read '05/01/2024' month first): the
    one day/month rule says which ISO date to write, or both when it cannot tell."""
    reading = read_dates_rule([as_of])
    iso = []
    for order, kwargs in reading.options:
        ts = pd.to_datetime(as_of, **kwargs)
        iso.append((order, f"{ts:%Y-%m-%d}" if ts == ts.normalize() else ts.isoformat(sep=" ")))
    if len(iso) == 1:
        return (f"{name}={as_of!r} is a day/month date, and day/month dates are not guessed: it has the "
                f"{iso[0][0]} ({reading.reason}), so write it in ISO format, {name}={iso[0][1]!r}.")
    ways = ", or ".join(f"{name}={text!r} if the {order.split()[0]} comes first" for order, text in iso)
    return (f"{name}={as_of!r} is a day/month date in which day and month could be swapped, and it is not "
            f"guessed: write it in ISO format, {ways}.")


def resolve_as_of(as_of, last_time: pd.Timestamp, first_time: pd.Timestamp | None = None,
                  tz: str | None = None) -> pd.Timestamp:
    """The "as of" instant: the last event time by default, never today's date."""
    if as_of is None:
        return pd.Timestamp(last_time)
    hint = "Give a date such as '1998-06-30' or leave it out to use the last date in the data."
    if isinstance(as_of, (bool, np.bool_, int, float, np.integer, np.floating)):
        # pd.Timestamp(5) is 5 nanoseconds after 1970 and NaN is NaT: neither is meant.
        raise ParameterError(f"as_of={as_of!r} is a number, not a date. {hint}")
    if isinstance(as_of, str) and not as_of.strip():
        raise ParameterError(f"as_of={as_of!r} is empty. {hint}")
    if isinstance(as_of, str) and day_month_order([as_of]) is not None:
        raise ParameterError(day_month_as_of_message(as_of))
    try:
        ts = pd.Timestamp(as_of)
    except (ValueError, TypeError, OverflowError):
        raise ParameterError(f"as_of={as_of!r} is not a date. {hint}") from None
    if pd.isna(ts):
        raise ParameterError(f"as_of={as_of!r} is missing (NaT), not a date. {hint}")
    if ts.tzinfo is not None:
        # The rule of the time column: an aware instant is read in UTC.
        ts = ts.tz_convert("UTC").tz_localize(None)
    if first_time is not None and ts < first_time:
        raise DataError(
            f"as_of={as_of!r} is before the first event ({first_time:%Y-%m-%d}): nothing can be "
            "observed. Leave as_of out to use the last date in the data."
        )
    return ts


def prepare_events(
    events: pd.DataFrame,
    *,
    customer_col: str = CUSTOMER,
    time_col: str = TIME,
    amount_col: str | None = None,
    keep_cols=(),
    as_of=None,
    missing_customers: str = "raise",
    duplicates: str = "keep",
) -> PreparedEvents:
    """Validate an event log and return its canonical form with a data-quality report.

    Parameters
    ----------
    events : DataFrame
        One row per event (purchase, visit, login).
    customer_col, time_col, amount_col : str
        Names of the customer, time and (optional) amount columns.
    keep_cols : sequence of str
        Further columns to carry through unchanged (segment, channel, arm).
    as_of : date-like, optional
        End of observation. Defaults to the last event time. Events after it are
        excluded and reported.
    missing_customers : {"raise", "drop"}
        Rows without a customer id raise by default; ``"drop"`` drops and reports them.
    duplicates : {"keep", "drop"}
        Rows identical in every used column are kept by default (two equal purchases on a
        day are plausible) and counted in the report; ``"drop"`` removes them.

    Returns
    -------
    PreparedEvents
        Given an :class:`EventLog`, its validated rows (nothing is checked again).

    Examples
    --------
    >>> raw = pd.DataFrame({"user": ["a", "a", "b"],
    ...                     "ts": ["2024-01-03", "2024-02-10", "2024-01-20"]})
    >>> log = prepare_events(raw, customer_col="user", time_col="ts")
    >>> log.frame.columns.tolist(), str(log.as_of.date())
    (['customer_id', 'date'], '2024-02-10')
    """
    if isinstance(events, EventLog):  # validated at the door: not checked again
        return events._prepared(customer_col=customer_col, time_col=time_col, amount_col=amount_col,
                                keep_cols=keep_cols, as_of=as_of)
    if missing_customers not in ("raise", "drop"):
        raise ParameterError(f"missing_customers={missing_customers!r}: use 'raise' or 'drop'.")
    if duplicates not in ("keep", "drop"):
        raise ParameterError(f"duplicates={duplicates!r}: use 'keep' or 'drop'.")
    keep_cols = [c for c in ([keep_cols] if isinstance(keep_cols, str) else list(keep_cols)) if c]
    frame, report, tz = _validate_frame(events, customer_col, time_col, amount_col, keep_cols, missing_customers)
    log = _cut(frame, report, as_of, time_col, tz)
    if duplicates == "drop":
        dup = log.frame.duplicated()
        if dup.any():
            log.frame = log.frame[~dup]
            report.add("duplicate rows", int(dup.sum()), "dropped", "identical in every used column")
    return _finish(log)


def _validate_frame(events, customer_col, time_col, amount_col, keep_cols, missing_customers):
    """The checks of :func:`prepare_events` (everything before the as-of cut): the canonical
    frame, its report and the time zone the times were converted from."""
    wanted = {"customer_col": customer_col, "time_col": time_col, "amount_col": amount_col}
    wanted.update({f"column {c!r}": c for c in keep_cols})
    require_columns(events, wanted)
    if len(events) == 0:
        raise DataError(
            "The event log is empty (0 rows): there is nothing to analyse. Check the file "
            "path and any filter applied before this call."
        )
    report = DataQualityReport(rows_in=len(events))

    cols = {customer_col: CUSTOMER, time_col: TIME}
    if amount_col is not None:
        cols[amount_col] = AMOUNT
    for c in keep_cols:
        if c not in cols:
            cols[c] = c
    # A new frame over the caller's columns, without copying them (10M rows: 0.4 s saved);
    # columns are only ever replaced below, never written in place.
    frame = pd.DataFrame({new: events[old] for old, new in cols.items()}, copy=False)
    frame = frame.reset_index(drop=True) if not frame.index.is_unique else frame

    raw_ids = frame[CUSTOMER]
    ids = plain_ids(raw_ids, customer_col)
    if ids is not raw_ids:  # only when converted: assigning copies the column (8 MB per 1M int ids)
        frame[CUSTOMER] = ids
    # The declared event checks (retention_kit.checks.EVENT_CHECKS): the same counts and words as the engines.
    names = {"cust": customer_col, "amount_raw": amount_col, "amount": amount_col}
    no_id = run_checks(EVENT_CHECKS, {"cust": frame[CUSTOMER]}, names=names, what="events", index=frame.index,
                       report=report, actions={"null_ids": "drop"} if missing_customers == "drop" else None)
    if no_id.any():
        frame = frame[~no_id]

    frame[TIME], tz = parse_times(frame[TIME], time_col, report)

    if AMOUNT in frame:
        amount = frame[AMOUNT]
        if not pd.api.types.is_numeric_dtype(amount):
            run_checks(EVENT_CHECKS, {"amount_raw": amount}, names=names, what="events", index=amount.index)
            amount = pd.to_numeric(amount, errors="coerce")
        amount = amount.astype(float)
        run_checks(EVENT_CHECKS, {"amount": amount}, names=names, what="events", index=amount.index, report=report)
        frame[AMOUNT] = amount
    return frame, report, tz


def _cut(frame: pd.DataFrame, report: DataQualityReport, as_of, time_col: str, tz,
         first=None, last=None) -> PreparedEvents:
    """Leave out the events after the as-of date (counted in the report). ``first`` and
    ``last`` are the times of the rows before any cut (the frame's own by default)."""
    if first is None:
        first, last = frame[TIME].min(), frame[TIME].max()
    as_of_ts = resolve_as_of(as_of, last, first, tz)
    if as_of is not None:  # without one, the as-of instant is the last event: nothing after it
        # A date without a time ("2024-12-31") means through the end of that day, as the
        # default does: its events are kept and the as-of instant is the last of them.
        whole_day = as_of_ts == as_of_ts.normalize()
        cutoff = observed_until(as_of_ts) if whole_day else as_of_ts
        after = frame[TIME] >= cutoff if whole_day else frame[TIME] > cutoff
        if after.any():
            frame = frame[~after]
            report.add(time_col, int(after.sum()), "dropped", f"after the as-of date {as_of_ts:%Y-%m-%d %H:%M}")
        if whole_day and len(frame):
            as_of_ts = max(as_of_ts, frame[TIME].max())
    report.first_time, report.last_time = first, min(last, as_of_ts)
    return PreparedEvents(frame=frame, as_of=as_of_ts, report=report, tz=tz)


def _finish(log: PreparedEvents) -> PreparedEvents:
    """The report's headline of the rows kept."""
    log.report.rows_used = len(log.frame)
    log.report.customer_ids = log.frame[CUSTOMER]
    log.report.as_of = log.as_of
    return log


def record_drop(report: DataQualityReport, check: str, rows: int, detail: str) -> None:
    """Drop rows after validation and keep the ledger true: the check is listed and the
    headline's rows used go down by as many rows (what analyses that drop rows later -- events
    before a customer's start, customers without a start -- should call instead of
    ``report.add(..., "dropped", ...)``, which lists the rows but leaves the headline at
    "0 dropped").

    Examples
    --------
    >>> report = DataQualityReport(rows_in=5, rows_used=5)
    >>> record_drop(report, "date", 2, "before the customer's start time")
    >>> report.rows_dropped, report.checks[0]["action"]
    (2, 'dropped')
    """
    if rows:
        report.add(check, int(rows), "dropped", detail)
        report.rows_used = report.rows_used - int(rows)


def check_events(events: pd.DataFrame, *, customer_col: str = CUSTOMER, time_col: str = TIME,
                 amount_col: str | None = None, as_of=None) -> DataQualityReport:
    """Data-quality report of an event log, without changing it.

    Besides the checks of :func:`prepare_events`, it counts exact duplicate rows and
    customers with several events on one day: both are normal in real logs and kept by
    every analysis; the report says how many there are.

    Examples
    --------
    >>> raw = pd.DataFrame({"customer_id": ["a", "a", "a"], "amount": [5.0, 5.0, 0.0],
    ...                     "date": pd.to_datetime(["2024-01-03"] * 3)})
    >>> check_events(raw, amount_col="amount").summary[["check", "rows", "action"]]
                      check  rows action
    0                amount     1   kept
    1  exact duplicate rows     1   kept
    2     same customer/day     2   kept
    """
    log = prepare_events(events, customer_col=customer_col, time_col=time_col,
                         amount_col=amount_col, as_of=as_of)
    frame, report = log.frame, log.report
    report.add("exact duplicate rows", int(frame.duplicated().sum()), "kept",
               "identical in every used column; if they are double exports, remove them first "
               "with df.drop_duplicates()")
    day = frame[TIME].values.astype("datetime64[D]")
    same_day = pd.DataFrame({"c": frame[CUSTOMER].values, "d": day}).duplicated()
    report.add("same customer/day", int(same_day.sum()), "kept",
               "further events by a customer on a day they already had one")
    return report


# --------------------------------------------------------------------------------------
# The public validated log: validate once at the door, analyse many times
# --------------------------------------------------------------------------------------

#: Customers with several events at one exact time, as a share of all customers, above which
#: the door warns that the rows may be the lines of one order.
SAME_TIME_SHARE = 0.1
_DEFAULTS = {"customer_col": CUSTOMER, "time_col": TIME, "amount_col": None}


def copy_report(report: DataQualityReport) -> DataQualityReport:
    """A fresh copy of a report for one analysis (which adds its own findings to it)."""
    out = DataQualityReport(rows_in=report.rows_in, rows_used=report.rows_used, first_time=report.first_time,
                            last_time=report.last_time, as_of=report.as_of, checks=report.checks)
    if report["customers"] is not None:
        out.customers = report["customers"]
    elif report.customer_ids is not None:
        out.customer_ids = report.customer_ids
    return out


def log_columns(events, customer_col: str = CUSTOMER, time_col: str = TIME, amount_col: str | None = None):
    """The column names an analysis uses: its own for raw data, the door's for an
    :class:`EventLog` (a name left at its default takes the log's; another name than the
    log's is refused). Returns ``(customer_col, time_col, amount_col)``."""
    if not isinstance(events, EventLog):
        return customer_col, time_col, amount_col
    return events._columns_for(customer_col=customer_col, time_col=time_col, amount_col=amount_col)


def _merge_orders(frame: pd.DataFrame, report: DataQualityReport, order_col: str) -> pd.DataFrame:
    """One purchase per (customer, order): the order's first time, its amounts summed, the
    first line's carried values. Rows without an order id stay purchases of their own."""
    cust, _ = pd.factorize(frame[CUSTOMER], sort=False)
    order, _ = pd.factorize(frame[order_col], sort=False)
    lone = order < 0
    order = order.astype(np.int64)
    order[lone] = -1 - np.arange(int(lone.sum()))  # each row without an order id is its own
    spec = {c: ("min" if c == TIME else "sum" if c == AMOUNT else "first") for c in frame.columns if c != CUSTOMER}
    grouped = frame.groupby([cust, order], sort=False)
    merged = grouped.agg(spec)
    merged.insert(0, CUSTOMER, grouped[CUSTOMER].first().to_numpy())
    merged = merged.reset_index(drop=True)[list(frame.columns)]
    record_merged_orders(report, order_col, len(frame), len(merged), AMOUNT in frame)
    return merged


def record_merged_orders(report: DataQualityReport, order_col: str, rows: int, purchases: int,
                         amount: bool) -> None:
    """The ledger entry of line items merged into their order (every engine)."""
    if rows - purchases:
        what = "its amounts summed, " if amount else ""
        report.add(order_col, rows - purchases, "dropped",
                   f"line items merged into their order: {rows:,} rows are {purchases:,} purchases "
                   f"(one per customer and order: {what}the order's first time)")


def _same_time(report: DataQualityReport, customers: int, affected: int, extra: int, engine: str) -> None:
    """Count (and above :data:`SAME_TIME_SHARE` of the customers, warn about) customers with
    several events at one exact time: the sign of a log of order lines."""
    if not extra:
        return
    report.add("same customer and time", extra, "kept",
               f"{affected:,} of {customers:,} customers have several events at the exact same time; "
               "each row counts as a purchase")
    if customers and affected >= SAME_TIME_SHARE * customers:
        fix = "pass order_col='<your order or invoice column>' to rk.validate_events to count one purchase per order"
        if engine != "pandas":
            fix += " (merged in the engine's query: GROUP BY the customer and order columns)"
        warnings.warn(
            f"{affected:,} of {customers:,} customers ({affected / customers:.0%}) have several events at the "
            f"exact same time ({extra:,} further rows). If the rows are the lines of one order or invoice, "
            f"each line counts as a purchase and repeat-purchase rates are inflated: {fix}. If the times are "
            "dates only, several purchases on one day are ordinary.", DataQualityWarning, stacklevel=3)


def validate_events(
    data,
    *,
    customer_col: str = CUSTOMER,
    time_col: str = TIME,
    amount_col: str | None = None,
    order_col: str | None = None,
    as_of=None,
    missing_customers: str = "raise",
    duplicates: str = "keep",
) -> "EventLog":
    """Validate an event log once and keep it validated: the :class:`EventLog` every analysis
    accepts in place of the raw data, without checking it again.

    Parameters
    ----------
    data : DataFrame, path, DuckDB relation, Polars or PySpark DataFrame
        One row per event (see :mod:`retention_kit.engines`).
    customer_col, time_col, amount_col : str
        The columns, named once here: later calls take them from the log.
    order_col : str, optional
        An order or invoice column: the lines of one order are merged into one purchase (its
        first time, amounts summed; a row without an order id stays a purchase of its own),
        counted in the data-quality report. On every engine (files, DuckDB, Polars and Spark
        merge in the engine's query); there, analyses cannot carry other columns (``by=``).
    as_of : date-like, optional
        End of observation (default: the last event). Without one, each analysis may still
        pass its own ``as_of``.
    missing_customers, duplicates
        As in :func:`prepare_events` (pandas only).

    Returns
    -------
    EventLog

    Examples
    --------
    >>> import retention_kit as rk
    >>> raw = pd.DataFrame({"user": ["a", "a", "b"], "paid": [5.0, 7.0, 3.0],
    ...                     "ts": ["2024-01-03", "2024-02-10", "2024-01-20"]})
    >>> log = rk.validate_events(raw, customer_col="user", time_col="ts", amount_col="paid")
    >>> log.rows, log.customers, log.columns["amount_col"]
    (3, 2, 'paid')
    >>> t = rk.crr_table(log, freq="M", as_of="2024-02-29")  # no column names repeated
    >>> t.table[["new", "retained", "revenue"]]
             new  retained  revenue
    period
    2024-01    2         0      8.0
    2024-02    0         1      7.0
    """
    if isinstance(data, EventLog):
        data._columns_for(customer_col=customer_col, time_col=time_col, amount_col=amount_col)
        if as_of is None and order_col in (None, data.order_col):
            return data
        raise ParameterError("data is already a validated EventLog: validate the raw data to change as_of or "
                             "order_col.")
    from .engines import PandasLog, engine_of, is_pandas, unsupported, validate_in_engine

    if missing_customers not in ("raise", "drop"):
        raise ParameterError(f"missing_customers={missing_customers!r}: use 'raise' or 'drop'.")
    if duplicates not in ("keep", "drop"):
        raise ParameterError(f"duplicates={duplicates!r}: use 'keep' or 'drop'.")
    door_as_of = None if as_of is None else resolve_as_of(as_of, pd.NaT)
    columns = {"customer_col": customer_col, "time_col": time_col, "amount_col": amount_col, "order_col": order_col}
    if order_col is not None and order_col in (customer_col, time_col, amount_col):
        raise ParameterError(f"order_col={order_col!r} is also the customer, time or amount column: name the "
                             "order or invoice column.")
    if not is_pandas(data):
        engine = engine_of(data)
        scope = "customer_col, time_col, amount_col, order_col and as_of"
        for option, value, default in (("missing_customers", missing_customers, "raise"),
                                       ("duplicates", duplicates, "keep")):
            if value != default:
                unsupported("validate_events", option, value, scope)
        elog = validate_in_engine(data, customer_col=customer_col, time_col=time_col, amount_col=amount_col,
                                  as_of=as_of, order_col=order_col)
        counts = elog.same_time_counts()
        _same_time(elog.report, counts["customers"], counts["affected"], counts["extra"], engine)
        source, elog.source = elog.source, None
        return EventLog(engine=engine, columns=columns, door_as_of=door_as_of, engine_log=elog, data=data,
                        source=source, customers=counts["customers"])

    require_columns(data, {"customer_col": customer_col, "time_col": time_col, "amount_col": amount_col,
                           "order_col": order_col})
    used = {customer_col, time_col, amount_col, CUSTOMER, TIME, AMOUNT}
    carried = [c for c in data.columns if c not in used]
    frame, report, tz = _validate_frame(data, customer_col, time_col, amount_col, carried, missing_customers)
    if order_col is not None:
        if order_col not in frame:
            raise ParameterError(f"order_col={order_col!r}: the column cannot be named {CUSTOMER!r}, {TIME!r} or "
                                 f"{AMOUNT!r} unless it is that column; rename it first.")
        frame = _merge_orders(frame, report, order_col)
    first, last = frame[TIME].min(), frame[TIME].max()
    log = _cut(frame, report, as_of, time_col, tz, first, last)
    if duplicates == "drop":
        dup = log.frame.duplicated()
        if dup.any():
            log.frame = log.frame[~dup]
            report.add("duplicate rows", int(dup.sum()), "dropped", "identical in every column")
    counts = PandasLog(log).same_time_counts()
    _same_time(report, counts["customers"], counts["affected"], counts["extra"], "pandas")
    _finish(log)
    report.customers = counts["customers"]
    return EventLog(engine="pandas", columns=columns, door_as_of=door_as_of, prepared=log,
                    first_last=(first, last))


class EventLog:
    """A validated event log: the canonical events and their data-quality report, made once by
    :func:`validate_events` and accepted by every analysis in place of the raw data, which then
    checks nothing again and gives the same result as on the raw data with the same column
    names and ``as_of``.

    The column names given at the door carry through: later calls need not repeat them, and
    a call that names other columns is refused. A log validated without ``as_of`` takes each
    call's own as-of date (events after it are left out and counted as usual); a log
    validated with one refuses a different one. Pickle and deepcopy keep everything (a log
    over files keeps the paths and reopens them, without checking again).

    Attributes
    ----------
    engine : str
        Where the rows are: "pandas", "duckdb", "polars" or "spark".
    columns : dict
        The door's ``customer_col``, ``time_col``, ``amount_col`` and ``order_col``.
    data_quality : DataQualityReport
        What the door found and did (also ``rk.data_quality(log)``).
    rows, customers : int
        Rows used and distinct customers.
    first_time, last_time, as_of : Timestamp
    """

    def __init__(self, *, engine: str, columns: dict, door_as_of=None, prepared: PreparedEvents | None = None,
                 engine_log=None, data=None, source=None, customers: int | None = None, first_last=None):
        self.engine = engine
        self.columns = dict(columns)
        self._door_as_of = door_as_of
        self._prepared_log = prepared
        self._engine = engine_log
        self._data = data
        self._src = source
        self._first_last = first_last
        self._customers = customers

    # -- what the log holds ----------------------------------------------------------------

    customer_col = property(lambda self: self.columns["customer_col"])
    time_col = property(lambda self: self.columns["time_col"])
    amount_col = property(lambda self: self.columns["amount_col"])
    order_col = property(lambda self: self.columns["order_col"])

    @property
    def data_quality(self) -> DataQualityReport:
        return (self._prepared_log or self._engine).report

    @property
    def as_of(self) -> pd.Timestamp:
        return (self._prepared_log or self._engine).as_of

    @property
    def first_time(self) -> pd.Timestamp:
        return self.data_quality.first_time

    @property
    def last_time(self) -> pd.Timestamp:
        return self.data_quality.last_time

    @property
    def rows(self) -> int:
        return self.data_quality.rows_used

    @property
    def customers(self) -> int:
        return self._customers if self._customers is not None else self.data_quality.customers

    def to_frame(self) -> pd.DataFrame:
        """The validated rows under the caller's column names (pandas logs): times as
        naive timestamps (UTC when they had a zone), amounts as floats."""
        if self._prepared_log is None:
            raise ParameterError(f"to_frame() needs a log validated from a pandas DataFrame; this one is in "
                                 f"{self.engine}: read the rows you need from the engine instead.")
        names = {CUSTOMER: self.customer_col, TIME: self.time_col, AMOUNT: self.amount_col}
        return self._prepared_log.frame.rename(columns={k: v for k, v in names.items() if v is not None})

    # -- what analyses call ----------------------------------------------------------------

    def _columns_for(self, *, customer_col, time_col, amount_col):
        """The door's names; a call's name other than the default and the door's is refused."""
        given = {"customer_col": customer_col, "time_col": time_col, "amount_col": amount_col}
        for arg, value in given.items():
            door = self.columns[arg]
            if value == _DEFAULTS[arg] or value == door:
                continue
            if door is None:
                raise ParameterError(
                    f"{arg}={value!r}, but the event log was validated without an amount column. Validate it "
                    f"with rk.validate_events(data, ..., {arg}={value!r}) to use it.")
            raise ParameterError(
                f"{arg}={value!r} conflicts with the event log, validated with {arg}={door!r}. Leave {arg} out "
                f"(the log carries its columns), or validate the data again with {arg}={value!r}.")
        return self.customer_col, self.time_col, self.amount_col

    def _check_as_of(self, as_of) -> None:
        if as_of is None or self._door_as_of is None:
            return
        if resolve_as_of(as_of, pd.NaT) != self._door_as_of:
            raise ParameterError(
                f"as_of={as_of!r} conflicts with the event log, validated as of {self._door_as_of:%Y-%m-%d %H:%M}: "
                "leave as_of out, or validate the data without as_of (each analysis then takes its own) or "
                f"with as_of={as_of!r}.")

    def _prepared(self, *, customer_col, time_col, amount_col, keep_cols, as_of) -> PreparedEvents:
        """The pandas log for one call (see :func:`prepare_events`)."""
        self._columns_for(customer_col=customer_col, time_col=time_col, amount_col=amount_col)
        self._check_as_of(as_of)
        if self._prepared_log is None:
            raise ParameterError(f"This function runs on pandas data; the event log is in {self.engine}. Load the "
                                 "rows you need into pandas and validate them with rk.validate_events.")
        stored = self._prepared_log
        names = {self.customer_col, self.time_col, self.amount_col}
        keep = [c for c in ([keep_cols] if isinstance(keep_cols, str) else list(keep_cols)) if c and c not in names]
        for c in keep:
            if c not in stored.frame.columns or c in (CUSTOMER, TIME, AMOUNT):
                carried = [str(x) for x in stored.frame.columns if x not in (CUSTOMER, TIME, AMOUNT)]
                raise DataError(missing_column_message(f"column {c!r}", c, carried, "the validated event log"))
        cols = [CUSTOMER, TIME] + ([AMOUNT] if AMOUNT in stored.frame and self.amount_col else []) + keep
        frame = pd.DataFrame({c: stored.frame[c] for c in dict.fromkeys(cols)}, copy=False)
        report = copy_report(stored.report)
        if as_of is not None and self._door_as_of is None:
            first, last = self._first_last
            log = _cut(frame, report, as_of, self.time_col, stored.tz, first, last)
        else:
            log = PreparedEvents(frame=frame, as_of=stored.as_of, report=report, tz=stored.tz)
        return _finish(log)

    def _engine_log(self, *, customer_col, time_col, amount_col, keep_cols, as_of, what="events"):
        """The engine log for one call (see :func:`retention_kit.engines.open_events`)."""
        from .engines import engine_view

        self._columns_for(customer_col=customer_col, time_col=time_col, amount_col=amount_col)
        self._check_as_of(as_of)
        if self._engine is None:
            raise ParameterError("This log is in pandas: the engine path does not apply.")
        return engine_view(self._engine, self._source(), keep_cols=keep_cols, as_of=as_of, time_col=self.time_col,
                     what=what)

    def _with_columns(self, columns: dict) -> "EventLog":
        """The same validated log with further columns aligned to its rows (cohort masks)."""
        stored = self._prepared_log
        frame = stored.frame.assign(**columns) if columns else stored.frame
        clone = EventLog(engine=self.engine, columns=self.columns, door_as_of=self._door_as_of,
                         prepared=PreparedEvents(frame=frame, as_of=stored.as_of, report=stored.report, tz=stored.tz),
                         customers=self._customers, first_last=self._first_last)
        return clone

    def _source(self):
        if self._src is None:  # after pickle or deepcopy: reopen the input (nothing is checked again)
            from .engines import open_source

            src = open_source(self._data, id_col=self.customer_col, time_col=self.time_col)
            src.id_expr(self.customer_col), src.time_expr(self.time_col)  # what the door's SELECT list reads
            self._src = src
        return self._src

    # -- round trips ---------------------------------------------------------------------------

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_src"] = None  # connections do not travel; the input is reopened on use
        data = state["_data"]
        if data is not None and (type(data).__module__ or "").startswith("duckdb"):
            raise TypeError("An EventLog over a DuckDB relation cannot be pickled or copied (the relation lives "
                            "in its connection). Validate a path to the files instead, or a pandas DataFrame.")
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    # -- display -------------------------------------------------------------------------------

    def _headline(self) -> str:
        span = ""
        if self.first_time is not None:
            span = f", {self.first_time:%Y-%m-%d} to {self.last_time:%Y-%m-%d}"
        customers = "?" if self.customers is None else f"{self.customers:,}"
        return (f"EventLog ({self.engine}): {self.rows:,} rows, {customers} customers{span}, "
                f"as of {self.as_of:%Y-%m-%d %H:%M}")

    def _column_note(self) -> str:
        named = ", ".join(f"{k}={v!r}" for k, v in self.columns.items() if v is not None)
        return f"Columns: {named}. Pass the log to any analysis; its columns carry through."

    def __repr__(self) -> str:
        report = repr(self.data_quality).splitlines()
        return "\n".join([self._headline(), "  " + self._column_note(), "  " + report[0], *report[1:]])

    def _repr_html_(self) -> str:
        from .results import render_html

        q = self.data_quality
        notes = [self._column_note(), f"Data quality: {q._headline()}."]
        if not q.checks:
            notes.append("No findings: every row was used as it is.")
        return render_html(self._headline(), q.summary if q.checks else None, notes)
