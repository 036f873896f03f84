"""Run the heavy reductions where the data is: DuckDB, Polars or Spark.

The analyses (``cohort_table``, ``crr_table``, ``customer_lifetimes``,
``survival_table``, ``compare_retention``) accept, besides a pandas DataFrame:

* a path, a glob or a list of paths to Parquet or CSV files (read by DuckDB, embedded, for
  data larger than memory; a directory means its Parquet files);
* a DuckDB relation;
* a Polars DataFrame or LazyFrame (run by Polars' own lazy SQL engine);
* a PySpark DataFrame (the same SQL runs on a cluster).

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
from ..validation import observed_until, resolve_as_of
from . import _sql

__all__ = ["engine_of", "is_pandas", "open_events", "EngineLog", "starts_table", "unsupported"]


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


def unsupported(function: str, option: str, value, supported: str):
    """Raise the ParameterError of an option the engines do not run."""
    raise ParameterError(
        f"{function}: {option}={value!r} runs on pandas DataFrames only; on files, DuckDB, Polars "
        f"and Spark inputs {function} supports {supported}. Load the rows you need into pandas "
        "(e.g. a filtered or sampled extract) for this option.")


def _source(data, id_col: str | None = None, time_col: str | None = None):
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

    @property
    def engine(self) -> str:
        return self.source.dialect.name

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
        return out.set_index(out["p"].astype(np.int64)).drop(columns="p").sort_index()


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
    if stats is not None and not (_v.MIN_US <= _int(stats["first_us"]) and _int(stats["last_us"]) <= _v.MAX_US):
        return None  # times beyond pandas' range: counted (and refused) in a pass
    if stats is None or cutoff is None:
        return stats
    last = stats["last_us"]
    if pd.isna(last) or (last >= _us(cutoff) if whole_day else last > _us(cutoff)):
        return None  # some rows lie after the as-of date: count them in a pass
    return {**stats, "after_as_of": 0, "last_kept_us": last}


def open_events(data, *, customer_col: str = "customer_id", time_col: str = "date",
                amount_col: str | None = None, keep_cols=(), as_of=None, what: str = "events") -> EngineLog:
    """Validate an event log in its engine (the counterpart of ``prepare_events``).

    Checks that the columns exist, counts missing ids and dates, unreadable dates and
    missing or negative amounts in one pass, and resolves the as-of date (default: the last
    event time), all engine-side. Parquet files whose footers answer every check (row and
    null counts, minimum and maximum dates, amounts above 0) are not read at all here.
    Raises :class:`DataError` as ``prepare_events`` does. Given an
    :class:`~retention_kit.EventLog` validated in an engine, returns its log without checking
    again (carried columns and a later as-of date are applied).
    """
    if isinstance(data, _v.EventLog):
        return data._engine_log(customer_col=customer_col, time_col=time_col, amount_col=amount_col,
                                keep_cols=keep_cols, as_of=as_of, what=what)
    return _open(data, customer_col=customer_col, time_col=time_col, amount_col=amount_col, keep_cols=keep_cols,
                 as_of=as_of, what=what)


def _open(data, *, customer_col, time_col, amount_col, keep_cols, as_of, what) -> EngineLog:
    """The checks of :func:`open_events` on an engine's input."""
    _v.check_labels(pd.Index(_columns_of(data)), what)
    source = _source(data, id_col=customer_col, time_col=time_col)
    keep_cols = [c for c in ([keep_cols] if isinstance(keep_cols, str) else list(keep_cols)) if c]
    wanted = {"customer_col": customer_col, "time_col": time_col, "amount_col": amount_col}
    wanted.update({f"column {c!r}": c for c in keep_cols})
    for arg, col in wanted.items():
        if col is not None and col not in source.columns:
            _missing_column(source, arg, col, what)
    d = source.dialect
    time_kind = source.kind(time_col)
    if time_kind == "number":
        raise DataError(_v.numeric_dates_message(time_col, engine=True))
    if time_kind not in ("timestamp", "timestamptz", "date", "string"):
        raise DataError(f"Column {time_col!r} has type {time_kind}, not dates. Cast it to a timestamp first.")
    if amount_col is not None and source.kind(amount_col) != "number":
        raise DataError(
            f"Column {amount_col!r} is {source.kind(amount_col)}, not numbers. Cast it to a number in "
            "the engine first (strip currency signs and thousands separators).")
    text_ids = source.text_ids(customer_col)
    base = [f"{source.id_expr(customer_col)} AS cust", f"{source.time_expr(time_col)} AS t"]
    if amount_col is not None:
        base.append(f"CAST({d.q(amount_col)} AS DOUBLE) AS amount")
    base += [f"{d.q(c)} AS k{i}" for i, c in enumerate(keep_cols)]
    base = ", ".join(base)

    as_of_ts = None if as_of is None else resolve_as_of(as_of, pd.NaT)
    whole_day = as_of_ts is not None and as_of_ts == as_of_ts.normalize()
    cutoff = None if as_of_ts is None else (observed_until(as_of_ts) if whole_day else as_of_ts)
    stats = _footer_stats(source, customer_col, time_col, amount_col, cutoff, whole_day)
    if stats is None:  # one pass over the rows
        stats = source.run(_sql.stats_query(d, base, d.q(time_col), amount=amount_col is not None,
                                            cutoff_us=None if cutoff is None else _us(cutoff),
                                            whole_day=whole_day, text_ids=text_ids)).iloc[0]
    n_rows = _int(stats["n_rows"])
    if n_rows == 0:
        raise DataError(f"The event log is empty (0 rows in {source.label}): there is nothing to "
                        "analyse. Check the path and any filter applied before this call.")
    report = DataQualityReport(rows_in=n_rows)
    if text_ids is not None and _int(stats["odd_ids"]):
        raise DataError(
            f"Column {customer_col!r} looks like integers in the first rows of {source.label}, but "
            f"{_int(stats['odd_ids']):,} of {n_rows:,} ids are not plain integers (e.g. "
            f"{stats['odd_id_example']!r}); read as numbers, such ids merge with others ('00017' and '17' "
            "both become 17) or are lost. "
            f"Read the ids as text: pass duckdb.read_csv(path, dtype={{{customer_col!r}: 'VARCHAR'}}) "
            "instead of the path.")
    if _int(stats["null_ids"]):
        raise DataError(
            f"Column {customer_col!r} is empty in {_int(stats['null_ids']):,} of {n_rows:,} rows. Events "
            "without a customer cannot be attributed: filter them out in the engine (WHERE "
            f"{d.q(customer_col)} IS NOT NULL) or fill the ids.")
    if _int(stats["null_dates"]):
        raise DataError(_v.missing_dates_message(time_col, _int(stats["null_dates"]), n_rows, engine=True))
    if _int(stats["bad_dates"]):
        example = stats.get("bad_date_example")
        raise DataError(_v.bad_dates_message(time_col, _int(stats["bad_dates"]), n_rows,
                                             [] if example is None or pd.isna(example) else [example],
                                             engine=True))
    if _int(stats.get("out_of_range")):  # beyond what nanosecond timestamps hold (1677-2262)
        first = _int(stats["first_us"])
        when = first if first < _v.MIN_US else _int(stats["last_us"])
        raise DataError(_v.out_of_range_message(time_col, _int(stats["out_of_range"]), _from_us(when)))
    typed = getattr(source, "typed_times", False)  # a CSV column the sniffer took for times
    if time_kind == "string" and not typed:
        report.add(time_col, n_rows, "converted", _v.TEXT_DETAIL)
    elif time_kind == "timestamptz" or typed == "timestamptz":
        report.add(time_col, n_rows, "converted", _v.TZ_DETAIL)
    if amount_col is not None:
        if _int(stats["null_amounts"]):
            raise DataError(f"Column {amount_col!r} is missing in {_int(stats['null_amounts']):,} rows. "
                            "Fill them (0 if nothing was paid) or drop those rows.")
        if _int(stats.get("nonfinite_amounts")):
            raise DataError(_v.nonfinite_amounts_message(amount_col, _int(stats["nonfinite_amounts"]), engine=True))
        if _int(stats["negative_amounts"]):
            raise DataError(
                f"Column {amount_col!r} has {_int(stats['negative_amounts']):,} negative values (refunds or "
                "returns?). Revenue retention needs purchases only: remove refund rows, or net them "
                "against their purchase, before the analysis.")
        report.add(amount_col, _int(stats["zero_amounts"]), "kept", "amount is 0 (free or promotional)")

    first = pd.Timestamp(_int(stats["first_us"]), unit="us")
    last = pd.Timestamp(_int(stats["last_us"]), unit="us")
    cut, as_of_ts = _apply_cut(report, d, time_col, as_of, as_of_ts, whole_day, cutoff, first, last, n_rows,
                               stats.get("after_as_of"), stats.get("last_kept_us"))
    return EngineLog(source=source, base=base, cut=cut, as_of=as_of_ts, first_time=first, report=report,
                     n_keep=len(keep_cols))


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


def _view(stored: EngineLog, source, *, keep_cols, as_of, time_col: str, what: str) -> EngineLog:
    """An :class:`~retention_kit.EventLog`'s engine log for one call: its carried columns, a
    copy of its report and, when the log was validated without an as-of date, the call's cut
    (one count of the rows after it, or none when the data end before it). No check runs again."""
    d = source.dialect
    keep_cols = [c for c in ([keep_cols] if isinstance(keep_cols, str) else list(keep_cols)) if c]
    for c in keep_cols:
        if c not in source.columns:
            _missing_column(source, f"column {c!r}", c, what)
    base = stored.base + "".join(f", {d.q(c)} AS k{i}" for i, c in enumerate(keep_cols))
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
