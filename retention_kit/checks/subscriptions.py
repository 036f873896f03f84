"""Subscription tables: one row per subscription, a start and an end (missing = still
active). :data:`SUBSCRIPTION_CHECKS` and their one validator, :func:`validate_subscriptions`
(``crr_table(kind="subscriptions")`` and ``subscription_lifetimes``)."""

from __future__ import annotations

import pandas as pd

from ..errors import DataError
from ..results import DataQualityReport
from .core import Check, Finding, isna_mask, run_checks
from .dates import (MAX_US, MIN_US, dates_out_of_range_message, null_dates_message, outside_mask,
                    unread_dates_message, unread_mask)
from .ids import MIXED_IDS, duplicates_mask, mixed_ids_extra, null_ids_message

__all__ = ["SUBSCRIPTION_CHECKS", "validate_subscriptions"]


def _spell_duplicates(f: Finding) -> str:
    c, start = f.column, f.extra.get("start_col", "start")
    customers = f.extra.get("customers", f.rows)
    return (f"Column {c!r} repeats {customers:,} customers (for example {f.examples[0]!r}) in {f.rows:,} of {f.of:,} "
            "rows: a lifetime is one subscription spell per customer. Keep the first spell "
            f"(df = df.sort_values({start!r}).drop_duplicates({c!r})), or analyse spells by passing a spell id "
            "as customer_col.")


def _end_before_start(f: Finding) -> str:
    end, start = f.column, f.extra.get("start_col", "start")
    return (f"Column {end!r} is before {start!r} in {f.rows:,} rows of {f.of:,}{f.at}. Fix those dates or drop "
            f"the rows, e.g. df = df[~(pd.to_datetime(df[{end!r}]) < pd.to_datetime(df[{start!r}]))].")


def _start_after_as_of(f: Finding) -> str:
    return (f"{f.rows:,} of {f.of:,} subscriptions start after the as-of date {f.extra['as_of']:%Y-%m-%d} (column "
            f"{f.column!r}) and were left out; pass a later as_of= to include them.")


def _open_end(f: Finding) -> str:
    return f"Column {f.column!r} is empty in {f.rows:,} of {f.of:,} rows: those subscriptions are still active."


def _end_after_as_of(f: Finding) -> str:
    return (f"Column {f.column!r} is after the as-of date in {f.rows:,} of {f.of:,} rows: those subscriptions "
            "were still active then.")


SUBSCRIPTION_CHECKS = (
    Check("null_ids", ("cust",), isna_mask("cust"), "cust IS NULL", null_ids_message),
    MIXED_IDS,
    Check("duplicate_ids", ("cust",), duplicates_mask("cust"), None, _spell_duplicates, option="one_per_customer"),
    Check("null_starts", ("start_raw",), isna_mask("start_raw"), "start_raw IS NULL", null_dates_message),
    Check("bad_starts", ("start_raw", "start_t"), unread_mask("start_raw", "start_t"),
          "start_raw IS NOT NULL AND start_t IS NULL", unread_dates_message),
    Check("starts_out_of_range", ("start_t",), outside_mask("start_t"),
          f"{{start_us}} < {MIN_US} OR {{start_us}} > {MAX_US}", dates_out_of_range_message),
    Check("open_ends", ("end_raw",), isna_mask("end_raw"), "end_raw IS NULL", _open_end, action="keep",
          detail="no end date: still active"),
    Check("bad_ends", ("end_raw", "end_t"), unread_mask("end_raw", "end_t"), "end_raw IS NOT NULL AND end_t IS NULL",
          unread_dates_message),
    Check("ends_out_of_range", ("end_t",), outside_mask("end_t"), f"{{end_us}} < {MIN_US} OR {{end_us}} > {MAX_US}",
          dates_out_of_range_message),
    Check("end_before_start", ("end_t", "start_t"), lambda c: (c["end_t"] < c["start_t"]).to_numpy(),
          "end_t < start_t", _end_before_start),
    Check("start_after_as_of", ("start_t", "as_of"), lambda c: (c["start_t"] > c["as_of"]).to_numpy(),
          "start_t > {as_of}", _start_after_as_of, action="drop", detail="starts after the as-of date {as_of:%Y-%m-%d}",
          warn=True),
    Check("end_after_as_of", ("end_t", "as_of"), lambda c: (c["end_t"] > c["as_of"]).to_numpy(),
          "end_t > {as_of}", _end_after_as_of, action="convert", detail="end after the as-of date: still active then"),
)


def validate_subscriptions(data: pd.DataFrame, *, customer_col: str, start_col: str = "start", end_col: str = "end",
                           as_of=None, one_per_customer: bool = False, keep_cols=()):
    """The one validator of subscription tables (``crr_table(kind="subscriptions")`` and
    ``subscription_lifetimes``): :data:`SUBSCRIPTION_CHECKS` in one pass.

    Returns ``(frame, report, as_of)``: ``frame`` has the columns ``customer_id``, ``start`` and
    ``end`` (NaT: active on the as-of date), indexed by row position in ``data`` (``keep_cols`` are
    only checked to be there: take them by ``frame.index``), without the subscriptions
    that start after the as-of date (dropped, counted and warned about); an end after the as-of
    date is not known yet then and becomes NaT (counted as converted). ``one_per_customer``
    refuses a customer with several rows (a lifetime is one spell).

    Examples
    --------
    >>> subs = pd.DataFrame({"id": [1, 2], "start": ["2024-01-01", "2024-02-01"], "end": ["2024-03-01", None]})
    >>> frame, report, as_of = validate_subscriptions(subs, customer_col="id")
    >>> frame["end"].isna().tolist(), report.rows_used, str(as_of.date())
    ([False, True], 2, '2024-03-01')
    """
    from ..validation import parse_times, require_columns, resolve_as_of

    keep_cols = [c for c in ([keep_cols] if isinstance(keep_cols, str) else list(keep_cols)) if c]
    wanted = {"customer_col": customer_col, "start_col": start_col, "end_col": end_col}
    wanted.update({f"column {c!r}": c for c in keep_cols})
    require_columns(data, wanted, what="subscriptions")
    if len(data) == 0:
        raise DataError("The subscription table is empty (0 rows): there is nothing to analyse.")
    report = DataQualityReport(rows_in=len(data))
    index = data.index
    names = {"cust": customer_col, "start_raw": start_col, "start_t": start_col, "end_raw": end_col,
             "end_t": end_col}
    args = {"cust": "customer_col", "start_raw": "start_col", "end_raw": "end_col"}
    ids = data[customer_col].reset_index(drop=True)
    if isinstance(ids.dtype, pd.CategoricalDtype):  # an unused category must not become a customer
        ids = ids.astype(ids.cat.categories.dtype)
    dup = ids.duplicated(keep=False)
    extra = {**mixed_ids_extra(ids), "start_col": start_col, "customers": int(ids[dup].nunique())}
    run_checks(SUBSCRIPTION_CHECKS, {"cust": ids}, names=names, args=args, what="subscriptions", index=index,
               options={"one_per_customer": one_per_customer}, extra=extra)
    start_raw = data[start_col].reset_index(drop=True)
    run_checks(SUBSCRIPTION_CHECKS, {"start_raw": start_raw}, names=names, what="subscriptions", index=index)
    # bad_starts / starts_out_of_range: the one date parser refuses with their messages.
    start, tz = parse_times(start_raw, start_col, report)
    end_raw = data[end_col].reset_index(drop=True)
    end = pd.Series(pd.NaT, index=end_raw.index, dtype="datetime64[ns]")
    present = end_raw.notna().to_numpy()
    run_checks(SUBSCRIPTION_CHECKS, {"end_raw": end_raw}, names=names, what="subscriptions", index=index,
               report=report)
    if present.any():
        end[present], _ = parse_times(end_raw[present], end_col, report)
    run_checks(SUBSCRIPTION_CHECKS, {"start_t": start, "end_t": end}, names=names, what="subscriptions",
               index=index, extra={"start_col": start_col})
    last = max(start.max(), end.max() if present.any() else start.max())
    as_of_ts = resolve_as_of(as_of, last, start.min(), tz)
    frame = pd.DataFrame({"customer_id": ids.to_numpy(), "start": start.to_numpy(), "end": end.to_numpy()})
    late = run_checks(SUBSCRIPTION_CHECKS, {"start_t": start, "end_t": end, "as_of": as_of_ts}, names=names,
                      what="subscriptions", index=index, report=report, extra={"as_of": as_of_ts})
    frame.loc[(end > as_of_ts).to_numpy(), "end"] = pd.NaT
    frame = frame[~late]
    report.rows_used = len(frame)
    report.customers = int(frame["customer_id"].nunique())
    report.first_time, report.last_time, report.as_of = frame["start"].min(), last, as_of_ts
    return frame, report, as_of_ts
