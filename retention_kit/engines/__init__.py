"""Run the heavy reductions where the data is: pandas, DuckDB, Polars or Spark.

Every engine is one implementation of :class:`EventReductions` (``_base.py``), the typed
protocol naming the reductions and the shape of what each returns: :func:`open_events`
validates an input and returns its engine's log -- a :class:`PandasLog` (numpy kernels,
``_pandas.py``) for pandas, an :class:`EngineLog` (SQL, ``_sql.py``) for the others -- and
each analysis is then *open the input -> the log's reductions -> the arithmetic once -> a
result*, for every engine. Options only pandas runs (cohort brackets, masks, relative
periods, ...; :data:`PANDAS_ONLY`) are a capability of the engine, :func:`supports`, which
the analyses ask before refusing them with :func:`unsupported`. :func:`engine_of` tells the
engine from the input's type alone, without importing DuckDB, Polars or PySpark.

The analyses (``cohort_table``, ``crr_table``, ``customer_lifetimes``,
``survival_table``, ``compare_retention``) accept, besides a pandas DataFrame:

* a path, a glob or a list of paths to Parquet or CSV files (read by DuckDB, embedded, for
  data larger than memory; a directory means its Parquet files);
* a DuckDB relation;
* a Polars DataFrame or LazyFrame (run by Polars' own lazy SQL engine);
* a PySpark DataFrame (the same SQL runs on a cluster).

With ``order_col`` (:func:`retention_kit.validate_events`), the line items of one order are
merged into one purchase in the engine's query (GROUP BY customer and order: the first time,
the amounts summed), as on pandas.

Each reduction -- validation counts, distinct (customer, period) activity, first and last
activity per customer, revenue per (customer, period), the (duration, churned, count)
survival table, per-period CRR counts -- is written once, as SQL (``_sql.py``), with the
few expressions that differ per engine in a :class:`~._sql.Dialect`. Only small aggregates
come back to pandas; the analysis modules turn them into the same result objects as the
pandas path. Period codes are those of :mod:`retention_kit.periods`, built from year,
month and day numbers on every engine.

One date policy on every input (see :mod:`retention_kit.validation`): text dates are read
only in ISO 8601 (a CSV sniffer's or Polars' guess of a day/month layout is never used),
numbers are never read as dates, and time-zone-aware times (typed, or text with an offset)
are converted to UTC and the zone dropped, as on pandas. Spark's TIMESTAMP has no zone of
its own and is read in the session time zone: set ``spark.sql.session.timeZone`` to UTC
for the same periods as the other engines. Convert times to local wall time first if
calendar periods should follow a local calendar. Engines keep microseconds, pandas
nanoseconds. DuckDB guesses CSV column types from the first rows: customer ids it takes for
integers are read as text and checked, so that an id such as "00017" further down is
refused (with the fix) rather than merged with customer 17.

Examples
--------
>>> import pandas as pd
>>> engine_of(pd.DataFrame()), engine_of("events/*.parquet")
('pandas', 'duckdb')
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError
from ..periods import period_codes
from ..results import DataQualityReport
from .. import validation as _v
from ..checks import MAX_US, MIN_US, ROW_CHECKS, refusal_from_counts
from ..validation import observed_until, resolve_as_of
from . import _sql
from ._base import PANDAS_ONLY, EventReductions
from ._pandas import PandasLog, customer_codes, distinct_pairs, event_periods  # the numpy kernels

__all__ = ["engine_of", "is_pandas", "open_events", "supports", "EventReductions", "EngineLog", "PandasLog",
           "PANDAS_ONLY", "starts_table", "unsupported", "open_source", "validate_in_engine", "engine_view",
           "customer_codes", "distinct_pairs", "event_periods"]


def engine_of(data) -> str:
    """Which engine runs the reductions for ``data``: "pandas", "duckdb", "polars" or "spark".

    Raises :class:`DataError` for anything else, listing what is accepted.
    """
    if isinstance(data, pd.DataFrame):
        return "pandas"
    if isinstance(data, _v.EventLog):  # validated at the door: the engine of its input
        return data.engine
    if isinstance(data, (str, os.PathLike)) or (
            isinstance(data, (list, tuple)) and data and all(isinstance(p, (str, os.PathLike)) for p in data)):
        return "duckdb"
    module = type(data).__module__ or ""
    if module.startswith("duckdb") and hasattr(data, "query"):
        return "duckdb"
    if module.startswith("polars") and type(data).__name__ in ("DataFrame", "LazyFrame"):
        return "polars"
    if module.startswith("pyspark") and type(data).__name__ == "DataFrame":
        return "spark"
    raise DataError(
        f"events must be a pandas DataFrame, a path or glob to Parquet/CSV files, a DuckDB relation, "
        f"a Polars DataFrame/LazyFrame or a PySpark DataFrame; got {type(data).__name__}.")


def is_pandas(data) -> bool:
    """True for a pandas DataFrame or an :class:`~retention_kit.EventLog` validated from one
    (the in-memory path), False for the engines' inputs."""
    return isinstance(data, pd.DataFrame) or (isinstance(data, _v.EventLog) and data.engine == "pandas")


def supports(data, option: str) -> bool:
    """Whether the engine of ``data`` runs an analysis option (see
    :meth:`EventReductions.supports`), answered without opening the input."""
    return (PandasLog if engine_of(data) == "pandas" else EngineLog).supports(option)


def unsupported(function: str, option: str, value, supported: str):
    """Raise the ParameterError of an option the engines do not run."""
    raise ParameterError(
        f"{function}: {option}={value!r} runs on pandas DataFrames only; on files, DuckDB, Polars "
        f"and Spark inputs {function} supports {supported}. Load the rows you need into pandas "
        "(e.g. a filtered or sampled extract) for this option.")


def open_source(data, id_col: str | None = None, time_col: str | None = None):
    """The engine's :class:`~._base.Source` over ``data`` (files, DuckDB, Polars, Spark); nothing
    is checked or read here."""
    kind = engine_of(data)
    if kind == "duckdb":
        from ._duckdb import DuckDBSource

        return DuckDBSource(data, id_col=id_col, time_col=time_col)
    if kind == "polars":
        from ._polars import PolarsSource

        return PolarsSource(data)
    if kind == "spark":
        from ._spark import SparkSource

        return SparkSource(data)
    raise AssertionError(kind)


def _columns_of(data) -> list:
    """Column labels without opening a file (files are checked by DuckDB itself)."""
    if engine_of(data) == "polars":
        return list(data.collect_schema()) if hasattr(data, "collect_schema") else list(data.columns)
    if engine_of(data) == "spark":
        return list(data.columns)
    return []


def _int(value) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


@dataclass
class EngineLog:
    """A validated event log that stays in its engine: the canonical column expressions,
    the as-of cut and the data-quality report (the engines' counterpart of
    :class:`retention_kit.validation.EventLog`)."""

    source: object
    base: str  # SELECT list: cust, t, amount, k0, k1, ...
    cut: str  # WHERE condition keeping the rows up to the as-of date ("" for all)
    as_of: pd.Timestamp
    first_time: pd.Timestamp
    report: DataQualityReport
    n_keep: int = 0
    tz: str | None = None
    resolution = "us"  # times travel as integer microseconds

    @property
    def engine(self) -> str:
        return self.source.dialect.name

    @classmethod
    def supports(cls, option: str) -> bool:
        """The SQL engines run every option but those only pandas runs (:data:`~._base.PANDAS_ONLY`)."""
        return option not in PANDAS_ONLY

    @property
    def observed_until(self) -> pd.Timestamp:
        return observed_until(self.as_of)

    def run(self, sql: str, starts: pd.DataFrame | None = None) -> pd.DataFrame:
        return self.source.run(sql, starts)

    # -- reductions ----------------------------------------------------------------------

    def cohort_cells(self, code: str, *, mode: str, revenue: bool) -> pd.DataFrame:
        """Calendar cohort cells (see :func:`._sql.cohort_query`), int64 codes."""
        d = self.source.dialect
        ends = [self.first_time, self.observed_until - pd.Timedelta(1, "ns")]  # the rows kept lie within
        first, last = period_codes(np.array(ends, "datetime64[ns]"), code)
        out = self.run(_sql.cohort_query(d, self.base, self.cut, code, mode=mode, revenue=revenue,
                                         first_period=int(first), n_periods=int(last - first + 1)))
        for col in ("cohort", "period", "customers"):
            out[col] = out[col].astype(np.int64)
        return out

    def activity(self, starts: pd.DataFrame | None = None) -> pd.DataFrame:
        """First and last activity (microseconds) per customer, with carried columns."""
        d = self.source.dialect
        return self.run(_sql.activity_query(d, self.base, self.cut, self.n_keep, starts is not None), starts)

    def start_checks(self, starts: pd.DataFrame) -> dict:
        d = self.source.dialect
        row = self.run(_sql.start_checks_query(d, self.base, self.cut), starts).iloc[0]
        return {k: row[k] for k in row.index}

    def lifetime_counts(self, *, churn_after: pd.Timedelta, censor_time: pd.Timestamp, unit: str | None,
                        starts: pd.DataFrame | None = None) -> dict[str, np.ndarray]:
        """The (k..., span, churned, n, k_n...) survival table (see :func:`._sql.lifetime_query`;
        exact durations without carried columns: one key per customer) as numpy
        columns, skipping an intermediate DataFrame of up to one row per customer (0.5 s at
        5M rows)."""
        d = self.source.dialect
        sql = _sql.lifetime_query(d, self.base, self.cut, self.n_keep, starts is not None,
                                  as_of_us=_us(self.as_of), churn_us=_us_delta(churn_after),
                                  censor_us=_us(censor_time), unit=unit)
        if not self.n_keep:  # numeric columns without NULLs
            return self.source.run_arrays(sql, starts)
        out = self.run(sql, starts)
        return {col: out[col].to_numpy() for col in out.columns}

    def crr_counts(self, code: str, *, revenue: bool) -> pd.DataFrame:
        d = self.source.dialect
        out = self.run(_sql.crr_query(d, self.base, self.cut, code, revenue=revenue))
        out = out.set_index(out["p"].astype(np.int64)).drop(columns="p").sort_index()
        out = out.reindex(pd.Index(np.arange(out.index[0], out.index[-1] + 1), name="p"))
        counts = ["buyers", "repeaters", "retained", "new"]
        out[counts] = out[counts].fillna(0).astype(np.int64)
        if revenue:
            amounts = ["revenue", "kept_revenue", "kept_capped"]
            out[amounts] = out[amounts].astype(float).fillna(0.0)
            out.insert(out.columns.get_loc("kept_revenue"), "start_revenue",
                       np.r_[0.0, out["revenue"].to_numpy()[:-1]])
        return out[counts + (["revenue", "start_revenue", "kept_revenue", "kept_capped"] if revenue else [])]

    def same_time_counts(self) -> dict:
        return same_time_counts(self)

    def customer_days(self, cal_day: int, *, amount: bool, holdout: bool = True) -> pd.DataFrame:
        per = self.run(_sql.customer_days_query(self.source.dialect, self.base, self.cut, cal_day, amount,
                                                holdout=holdout))
        for col in ("first_d", "n_cal", "n_hold", "n_rows"):
            per[col] = per[col].astype(np.int64)
        # NULL for customers with no purchase by the calibration end (dropped by rfm_summary)
        cal_d = pd.to_numeric(per["cal_d"])
        per["cal_d"] = np.where(cal_d.notna(), cal_d.fillna(0), np.iinfo(np.int64).min).astype(np.int64)
        return per

    def repeat_days(self, cal_day: int) -> tuple[pd.Series, pd.Series]:
        head = _sql.repeat_days_head(self.source.dialect, self.base, self.cut, cal_day)
        sizes = self.run(head + "SELECT first_d, COUNT(*) AS n FROM firsts GROUP BY first_d")
        pairs = self.run(head + "SELECT f.first_d AS first_d, dy.d AS d, COUNT(*) AS n FROM days dy JOIN firsts f "
                         "ON dy.cust = f.cust WHERE dy.d > f.first_d GROUP BY f.first_d, dy.d")
        sizes = sizes.set_index(sizes["first_d"].astype(np.int64))["n"].astype(np.int64).sort_index()
        pairs = pairs.set_index([pairs["first_d"].astype(np.int64), pairs["d"].astype(np.int64)])["n"].astype(np.int64)
        return sizes, pairs


def _from_us(us: int) -> str:
    """A microsecond count as a date text, also beyond the years pandas can hold."""
    import datetime

    try:
        return str(datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=us))
    except OverflowError:
        return f"{us} microseconds since 1970"


def _us(ts: pd.Timestamp) -> int:
    return int(pd.Timestamp(ts).value // 1000)


def _us_delta(td: pd.Timedelta) -> int:
    return int(pd.Timedelta(td).value // 1000)


def starts_table(starts: pd.Series) -> pd.DataFrame:
    """Customer starts (a Series of naive timestamps indexed by id) as the table the
    engines join: cust, start_us."""
    return pd.DataFrame({"cust": starts.index.to_numpy(),
                         "start_us": starts.to_numpy("datetime64[us]").view(np.int64)})


def _missing_column(source, arg: str, col: str, what: str):
    available = [str(c) for c in source.columns]
    raise DataError(_v.missing_column_message(arg, col, available, f"{what} ({source.label})"))


def _footer_stats(source, customer_col, time_col, amount_col, cutoff, whole_day) -> dict | None:
    """The validation counts from file metadata when the source has them (Parquet footers)
    and the as-of cut drops no row; None otherwise."""
    stats = source.footer_stats(customer_col, time_col, amount_col)
    if stats is not None and not (MIN_US <= _int(stats["first_us"]) and _int(stats["last_us"]) <= MAX_US):
        return None  # times beyond pandas' range: counted (and refused) in a pass
    if stats is None or cutoff is None:
        return stats
    last = stats["last_us"]
    if pd.isna(last) or (last >= _us(cutoff) if whole_day else last > _us(cutoff)):
        return None  # some rows lie after the as-of date: count them in a pass
    return {**stats, "after_as_of": 0, "last_kept_us": last}


def open_events(data, *, customer_col: str = "customer_id", time_col: str = "date",
                amount_col: str | None = None, keep_cols=(), as_of=None, what: str = "events") -> EventReductions:
    """Validate an event log in its engine: the :class:`EventReductions` every analysis runs.

    A pandas DataFrame (or an :class:`~retention_kit.EventLog` validated from one) gives a
    :class:`PandasLog`, validated by ``prepare_events``; every other input an
    :class:`EngineLog`.

    Checks that the columns exist, counts missing ids and dates, unreadable dates and
    missing or negative amounts in one pass, and resolves the as-of date (default: the last
    event time), all engine-side. Parquet files whose footers answer every check (row and
    null counts, minimum and maximum dates, amounts above 0) are not read at all here.
    Raises :class:`DataError` as ``prepare_events`` does. Given an
    :class:`~retention_kit.EventLog` validated in an engine, returns its log without checking
    again (carried columns and a later as-of date are applied).
    """
    if is_pandas(data):
        prepared = _v.prepare_events(data, customer_col=customer_col, time_col=time_col, amount_col=amount_col,
                                     keep_cols=keep_cols, as_of=as_of)
        names = {customer_col, time_col, amount_col}
        kept = [c for c in ([keep_cols] if isinstance(keep_cols, str) else list(keep_cols)) if c and c not in names]
        return PandasLog(prepared, kept)
    if isinstance(data, _v.EventLog):
        return data._engine_log(customer_col=customer_col, time_col=time_col, amount_col=amount_col,
                                keep_cols=keep_cols, as_of=as_of, what=what)
    return _open(data, customer_col=customer_col, time_col=time_col, amount_col=amount_col, keep_cols=keep_cols,
                 as_of=as_of, what=what)


def validate_in_engine(data, *, customer_col: str, time_col: str, amount_col: str | None = None, keep_cols=(),
                       as_of=None, what: str = "events", order_col: str | None = None) -> EngineLog:
    """The door's checks on an engine's input (files, DuckDB, Polars, Spark): the checks of
    :func:`open_events` and, with ``order_col``, the line items of one order merged into one
    purchase (the order's first time, amounts summed; rows without an order id stay purchases
    of their own), counted in the report as on pandas."""
    return _open(data, customer_col=customer_col, time_col=time_col, amount_col=amount_col, keep_cols=keep_cols,
                 as_of=as_of, what=what, order_col=order_col)


def _as_list(cols) -> list:
    return [c for c in ([cols] if isinstance(cols, str) else list(cols)) if c]


def _open(data, *, customer_col, time_col, amount_col, keep_cols, as_of, what, order_col=None) -> EngineLog:
    """The checks of :func:`open_events` on an engine's input, step by step."""
    _v.check_labels(pd.Index(_columns_of(data)), what)
    source = open_source(data, id_col=customer_col, time_col=time_col)
    keep_cols = _as_list(keep_cols)
    _check_columns(source, what, customer_col=customer_col, time_col=time_col, amount_col=amount_col,
                   order_col=order_col, keep_cols=keep_cols)
    time_kind = _check_types(source, time_col, amount_col)
    d, text_ids = source.dialect, source.text_ids(customer_col)
    base = _select_list(source, customer_col, time_col, amount_col, keep_cols)
    as_of_ts = None if as_of is None else resolve_as_of(as_of, pd.NaT)
    whole_day = as_of_ts is not None and as_of_ts == as_of_ts.normalize()
    cutoff = None if as_of_ts is None else (observed_until(as_of_ts) if whole_day else as_of_ts)
    row_cutoff = None if order_col is not None else cutoff  # with orders, the purchases are cut
    stats = _footer_stats(source, customer_col, time_col, amount_col, row_cutoff, whole_day)
    if stats is None:  # one pass over the rows
        stats = source.run(_sql.stats_query(d, base, d.q(time_col), amount=amount_col is not None,
                                            cutoff_us=None if row_cutoff is None else _us(row_cutoff),
                                            whole_day=whole_day, text_ids=text_ids)).iloc[0]
    report = _check_rows(stats, source, customer_col=customer_col, time_col=time_col, amount_col=amount_col,
                         text_ids=text_ids, base=base)
    _record_conversions(report, source, time_col, time_kind, _int(stats["n_rows"]))
    if amount_col is not None:
        report.add(amount_col, _int(stats["zero_amounts"]), "kept", "amount is 0 (free or promotional)")
    if order_col is not None:
        base, stats = _merge_orders(source, base, report, order_col, amount_col is not None, stats,
                                    cutoff=cutoff, whole_day=whole_day)
    first = pd.Timestamp(_int(stats["first_us"]), unit="us")
    last = pd.Timestamp(_int(stats["last_us"]), unit="us")
    cut, as_of_ts = _apply_cut(report, d, time_col, as_of, as_of_ts, whole_day, cutoff, first, last,
                               _int(stats["n_rows"]), stats.get("after_as_of"), stats.get("last_kept_us"))
    return EngineLog(source=source, base=base, cut=cut, as_of=as_of_ts, first_time=first, report=report,
                     n_keep=len(keep_cols))


def _check_columns(source, what: str, *, customer_col, time_col, amount_col, order_col, keep_cols) -> None:
    wanted = {"customer_col": customer_col, "time_col": time_col, "amount_col": amount_col, "order_col": order_col}
    wanted.update({f"column {c!r}": c for c in keep_cols})
    for arg, col in wanted.items():
        if col is not None and col not in source.columns:
            _missing_column(source, arg, col, what)


def _check_types(source, time_col: str, amount_col: str | None) -> str:
    """The time column's kind ("timestamp", "timestamptz", "date" or "string"); numbers as
    dates and amounts that are not numbers are refused."""
    time_kind = source.kind(time_col)
    if time_kind == "number":
        raise DataError(_v.numeric_dates_message(time_col, engine=True))
    if time_kind not in ("timestamp", "timestamptz", "date", "string"):
        raise DataError(f"Column {time_col!r} has type {time_kind}, not dates. Cast it to a timestamp first.")
    if amount_col is not None and source.kind(amount_col) != "number":
        raise DataError(
            f"Column {amount_col!r} is {source.kind(amount_col)}, not numbers. Cast it to a number in "
            "the engine first (strip currency signs and thousands separators).")
    return time_kind


def _select_list(source, customer_col, time_col, amount_col, keep_cols) -> str:
    """The canonical columns: cust, t (a timestamp), amount, k0, k1, ..."""
    d = source.dialect
    base = [f"{source.id_expr(customer_col)} AS cust", f"{source.time_expr(time_col)} AS t"]
    if amount_col is not None:
        base.append(f"CAST({d.q(amount_col)} AS DOUBLE) AS amount")
    base += [f"{d.q(c)} AS k{i}" for i, c in enumerate(keep_cols)]
    return ", ".join(base)


def _check_rows(stats, source, *, customer_col, time_col, amount_col, text_ids, base) -> DataQualityReport:
    """Refuse empty logs, odd or missing ids, missing, unreadable or out-of-range dates and
    missing, non-finite or negative amounts (each with its fix); the report of the rows in."""
    n_rows = _int(stats["n_rows"])
    if n_rows == 0:
        raise DataError(f"The event log is empty (0 rows in {source.label}): there is nothing to "
                        "analyse. Check the path and any filter applied before this call.")
    if text_ids is not None and _int(stats["odd_ids"]):
        raise DataError(
            f"Column {customer_col!r} looks like integers in the first rows of {source.label}, but "
            f"{_int(stats['odd_ids']):,} of {n_rows:,} ids are not plain integers (e.g. "
            f"{stats['odd_id_example']!r}); read as numbers, such ids merge with others ('00017' and '17' "
            "both become 17) or are lost. "
            f"Read the ids as text: pass duckdb.read_csv(path, dtype={{{customer_col!r}: 'VARCHAR'}}) "
            "instead of the path.")
    names = {"cust": customer_col, "t_raw": time_col, "t": time_col, "amount": amount_col}
    checks = [c for c in ROW_CHECKS if amount_col is not None or not c.amount]
    examples = _examples(stats)
    if _int(stats.get("bad_dates")) and source.kind(time_col) == "string":  # refused: which order do they tell?
        row = source.run(_sql.date_order_query(source.dialect, base, source.dialect.q(time_col))).iloc[0]
        told = [row[k] for k in ("day_first_example", "month_first_example") if row[k] is not None and pd.notna(row[k])]
        examples["bad_dates"] = tuple(dict.fromkeys([*examples["bad_dates"], *told]))
    message = refusal_from_counts(checks, {c.name: _int(stats.get(c.name)) for c in checks}, names=names,
                                  of=n_rows, what="events", examples=examples)
    if message is not None:
        raise DataError(message)
    return DataQualityReport(rows_in=n_rows)


def _examples(stats) -> dict:
    """The example values the engine's pass returned, by check name (see ``_sql.stats_query``)."""
    bad = stats.get("bad_date_example")
    out = {"bad_dates": () if bad is None or pd.isna(bad) else (bad,)}
    if _int(stats.get("out_of_range")):  # the first or last time, beyond nanosecond timestamps
        first = _int(stats["first_us"])
        out["out_of_range"] = (_from_us(first if first < MIN_US else _int(stats["last_us"])),)
    return out


def _record_conversions(report, source, time_col: str, time_kind: str, n_rows: int) -> None:
    """Text dates parsed, or time-zone-aware times converted to UTC, as on pandas."""
    typed = getattr(source, "typed_times", False)  # a CSV column the sniffer took for times
    if time_kind == "string" and not typed:
        report.add(time_col, n_rows, "converted", _v.TEXT_DETAIL)
    elif time_kind == "timestamptz" or typed == "timestamptz":
        report.add(time_col, n_rows, "converted", _v.TZ_DETAIL)


def _merge_orders(source, base: str, report, order_col: str, amount: bool, stats, *, cutoff, whole_day):
    """The SELECT list over the merged purchases and their span (rows, first and last time,
    what the as-of date drops); the merged line items counted as on pandas."""
    merged = _sql.merged_orders(base, source.dialect.q(order_col), amount)
    span = source.run(_sql.span_query(source.dialect, merged, cutoff_us=None if cutoff is None else _us(cutoff),
                                      whole_day=whole_day)).iloc[0]
    _v.record_merged_orders(report, order_col, _int(stats["n_rows"]), _int(span["n_rows"]), amount)
    return merged, span


def _apply_cut(report, d, time_col, as_of, as_of_ts, whole_day, cutoff, first, last, rows_used, after,
               last_kept_us) -> tuple[str, pd.Timestamp]:
    """The as-of cut of a validated engine log: its WHERE condition, the as-of instant and the
    report's headline (the rows after the as-of date counted as dropped)."""
    cut = ""
    if as_of_ts is None:
        as_of_ts = last
    else:
        resolve_as_of(as_of, last, first)  # raises when as_of is before the first event
        after = _int(after)
        us = d.epoch_us("t")
        cut = f"{us} < {_us(cutoff)}" if whole_day else f"{us} <= {_us(cutoff)}"
        if after:
            rows_used -= after
            report.add(time_col, after, "dropped", f"after the as-of date {as_of_ts:%Y-%m-%d %H:%M}")
        if whole_day and last_kept_us is not None and pd.notna(last_kept_us):
            as_of_ts = max(as_of_ts, pd.Timestamp(_int(last_kept_us), unit="us"))
    report.rows_used = rows_used
    report.first_time, report.last_time, report.as_of = first, min(last, as_of_ts), as_of_ts
    return cut, as_of_ts


def engine_view(stored: EngineLog, source, *, keep_cols, as_of, time_col: str, what: str) -> EngineLog:
    """An :class:`~retention_kit.EventLog`'s engine log for one call: its carried columns, a
    copy of its report and, when the log was validated without an as-of date, the call's cut
    (one count of the rows after it, or none when the data end before it). No check runs again."""
    d = source.dialect
    keep_cols = _as_list(keep_cols)
    for c in keep_cols:
        if c not in source.columns:
            _missing_column(source, f"column {c!r}", c, what)
    if keep_cols and getattr(stored.base, "ctes", ""):
        raise ParameterError(
            f"The event log merged the line items of each order (order_col): its purchases carry no other "
            f"column, so {keep_cols[0]!r} is not available. Validate the data without order_col to carry "
            "columns, or merge the orders in the engine first.")
    base = _sql.extend(stored.base, "".join(f", {d.q(c)} AS k{i}" for i, c in enumerate(keep_cols)))
    report = _v.copy_report(stored.report)
    log = EngineLog(source=source, base=base, cut=stored.cut, as_of=stored.as_of, first_time=stored.first_time,
                    report=report, n_keep=len(keep_cols), tz=stored.tz)
    if as_of is None or stored.cut:  # the door's as-of date (a different one was refused before)
        return log
    as_of_ts = resolve_as_of(as_of, pd.NaT)
    whole_day = as_of_ts == as_of_ts.normalize()
    cutoff = observed_until(as_of_ts) if whole_day else as_of_ts
    last, first = stored.as_of, stored.first_time
    after, last_kept = 0, _us(last)
    if (last >= cutoff) if whole_day else (last > cutoff):
        us = d.epoch_us("t")
        beyond = f"{us} >= {_us(cutoff)}" if whole_day else f"{us} > {_us(cutoff)}"
        row = source.run(f"WITH {_sql._events(stored.base, '')} SELECT {_sql.count_if(beyond)} AS after_as_of, "
                         f"MAX(CASE WHEN NOT ({beyond}) THEN {us} END) AS last_kept_us FROM ev").iloc[0]
        after, last_kept = row["after_as_of"], row["last_kept_us"]
    log.cut, log.as_of = _apply_cut(report, d, time_col, as_of, as_of_ts, whole_day, cutoff, first, last,
                                    report.rows_used, after, last_kept)
    return log


def same_time_counts(log: EngineLog) -> dict:
    """Customers, customers with several events at one exact time and the further rows
    (the :class:`~retention_kit.EventLog` door's check for line items of one order)."""
    sql = (f"WITH {_sql._events(log.base, log.cut)}, g AS (SELECT cust, t, COUNT(*) AS n FROM ev GROUP BY cust, t), "
           "c AS (SELECT cust, MAX(n) AS most, SUM(n) - COUNT(*) AS extra FROM g GROUP BY cust) "
           f"SELECT COUNT(*) AS customers, {_sql.count_if('most > 1')} AS affected, SUM(extra) AS extra FROM c")
    row = log.run(sql).iloc[0]
    return {k: _int(row[k]) for k in ("customers", "affected", "extra")}
