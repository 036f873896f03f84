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
from .errors import DataError, ParameterError
from .results import DataQualityReport

__all__ = ["prepare_events", "check_events", "resolve_as_of", "require_columns", "observed_until", "record_drop",
           "ROW_CHECKS", "parse_times", "plain_ids", "example_text", "parse_flags"]  # the log: see event_log.py

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
    from .event_log import EventLog

    if isinstance(events, EventLog):  # validated at the door: not checked again
        return events._prepared(customer_col=customer_col, time_col=time_col, amount_col=amount_col,
                                keep_cols=keep_cols, as_of=as_of)
    if missing_customers not in ("raise", "drop"):
        raise ParameterError(f"missing_customers={missing_customers!r}: use 'raise' or 'drop'.")
    if duplicates not in ("keep", "drop"):
        raise ParameterError(f"duplicates={duplicates!r}: use 'keep' or 'drop'.")
    keep_cols = [c for c in ([keep_cols] if isinstance(keep_cols, str) else list(keep_cols)) if c]
    frame, report, tz = validate_frame(events, customer_col, time_col, amount_col, keep_cols, missing_customers)
    log = cut_at_as_of(frame, report, as_of, time_col, tz)
    if duplicates == "drop":
        dup = log.frame.duplicated()
        if dup.any():
            log.frame = log.frame[~dup]
            report.add("duplicate rows", int(dup.sum()), "dropped", "identical in every used column")
    return finish_log(log)


def validate_frame(events, customer_col, time_col, amount_col, keep_cols, missing_customers):
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


def cut_at_as_of(frame: pd.DataFrame, report: DataQualityReport, as_of, time_col: str, tz,
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


def finish_log(log: PreparedEvents) -> PreparedEvents:
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


# The public validated log lives in event_log.py (which reads this module's door); its names
# stay importable from here, looked up when first asked for.
_EVENT_LOG_NAMES = ("SAME_TIME_SHARE", "EventLog", "copy_report", "log_columns", "record_merged_orders",
                    "validate_events")


def __getattr__(name):
    if name in _EVENT_LOG_NAMES:
        from . import event_log

        return getattr(event_log, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
