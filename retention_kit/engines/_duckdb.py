"""DuckDB: Parquet/CSV files (paths or globs) and DuckDB relations."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pandas as pd

from ..errors import DataError
from . import _sql
from ._base import Source

_PARQUET = (".parquet", ".parq", ".pq")
_CSV = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".csv.zst")
_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
             "UBIGINT"}


def _require():
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is a test dependency
        raise DataError("Reading files needs DuckDB: pip install duckdb (or load the data with "
                        "pandas.read_parquet / read_csv and pass the DataFrame).") from None
    return duckdb


def _file_kind(paths: list[str]) -> str:
    kinds = set()
    for p in paths:
        low = p.lower()
        if low.endswith(_PARQUET):
            kinds.add("parquet")
        elif low.endswith(_CSV):
            kinds.add("csv")
        else:
            raise DataError(f"{p!r}: not a Parquet (.parquet) or CSV (.csv, .tsv) file name. Name the "
                            "files by their format, or read them yourself and pass a DataFrame.")
    if len(kinds) > 1:
        raise DataError(f"The paths mix Parquet and CSV files ({paths[:3]}...): pass one format at a time.")
    return kinds.pop()


def _expand(data) -> tuple[list[str], str]:
    """The paths (a directory means its Parquet files) and their format."""
    items = list(data) if isinstance(data, (list, tuple)) else [data]
    out, named = [], []
    for item in items:
        p = os.fspath(item)
        named.append(p + ".parquet" if Path(p).is_dir() else p)
        if "://" not in p:  # local: check now, with an error that says which path
            if Path(p).is_dir():
                p = str(Path(p) / "**" / "*.parquet")
            if not glob.glob(p, recursive=True):
                raise DataError(f"No file matches {p!r} (working directory {os.getcwd()!r}). Check the "
                                "path or the glob pattern, e.g. 'events/*.parquet'.")
        out.append(p)
    if not out:
        raise DataError("The list of paths is empty: give at least one Parquet or CSV file.")
    return out, _file_kind(named)


# ISO 8601 dates as pandas reads them with format="ISO8601": YYYY-M-D, then an optional time
# and offset. Anything else (05/01/2024) is not a date here.
_ISO = r"^\s*\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}(:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?)?\s*$"
_OFFSET = r"\d\s*(Z|[+-]\d{2}(:?\d{2})?)\s*$"


def _wrap(exc, label: str) -> DataError:
    """An input problem DuckDB found, as a DataError naming the file and the fix."""
    text = str(exc).strip().splitlines()[0]
    low = text.lower()
    if "parquet" in low or "magic bytes" in low:
        fix = ("The file is not a readable Parquet file (truncated, still being written, or another "
               "format with a .parquet name): export it again, or read it with another tool to check.")
    elif "csv" in low or "sniff" in low or "dialect" in low:
        fix = ("The CSV file could not be read: check the separator, the quoting and the header, or read "
               "it with duckdb.read_csv(path, sep=..., header=True) and pass the relation.")
    else:
        fix = "Check the file, or load it with pandas and pass the DataFrame."
    return DataError(f"Reading {label} failed: {text} {fix}")


class DuckDBSource(Source):
    """Events in files read by DuckDB, or in a DuckDB relation."""

    dialect = _sql.DUCKDB

    def __init__(self, data, id_col: str | None = None, time_col: str | None = None):
        duckdb = _require()
        try:
            self._open(duckdb, data, id_col, time_col)
        except duckdb.Error as exc:
            raise _wrap(exc, getattr(self, "label", None) or repr(data)) from None

    def _open(self, duckdb, data, id_col, time_col):
        self.own = not hasattr(data, "query")
        self.paths, self.format, self.id_col, self.id_type = [], None, id_col, None
        self.typed_times = False
        if self.own:
            paths, kind = _expand(data)
            if kind == "csv":
                for p in paths:
                    if "://" not in p and "*" not in p and os.path.getsize(p) == 0:
                        raise DataError(f"{p!r} is empty (0 bytes): there is nothing to analyse. Check that "
                                        "the export finished and the path is the right file.")
            self.con = duckdb.connect()
            # Results are aggregated, so row order never matters: let DuckDB stream.
            self.con.execute("SET preserve_insertion_order = false")
            self.label = f"{kind} file{'s' if len(paths) > 1 or '*' in paths[0] else ''} {paths[0]!r}" \
                         + (f" (+{len(paths) - 1})" if len(paths) > 1 else "")
            self.relation = (self.con.read_parquet(paths) if kind == "parquet"
                             else self.con.read_csv(paths))
            self.paths, self.format = paths, kind
        else:
            self.relation, self.label = data, "DuckDB relation"
        self.columns = list(self.relation.columns)
        self._types = dict(zip(self.columns, (str(t).upper() for t in self.relation.types)))
        as_text = {}
        if self.format == "csv" and self._types.get(id_col) in _INTEGERS:
            # The CSV sniffer guessed integer ids from a sample of rows; an id such as "00017"
            # further down would be read as 17 and merged with customer 17. Read the ids as
            # text and cast them (see id_expr); validation counts the ids that are not plain
            # integers (see text_ids) and refuses them.
            self.id_type = self._types[id_col]
            as_text[id_col] = "VARCHAR"
        if self.format == "csv" and time_col in self._types and self._types[time_col] in ("DATE", "TIMESTAMP",
                                                                                          "TIMESTAMP WITH TIME ZONE"):
            # The sniffer also guesses date layouts ("01/05/2024" read month-first): read the
            # times as text and parse them as the kit does everywhere (ISO 8601 only).
            self.typed_times = "timestamptz" if "ZONE" in self._types[time_col] else "timestamp"
            as_text[time_col] = "VARCHAR"
        if as_text:
            self.relation = self.con.read_csv(self.paths, dtype=as_text)
            self._types.update(as_text)

    def id_expr(self, col: str) -> str:
        """The customer id as the engine should read it (the sniffed integer type for CSV)."""
        c = self.dialect.q(col)
        if self.id_type and col == self.id_col:
            c = f"TRY_CAST({c} AS {self.id_type})"
        if (self.id_type if self.id_type and col == self.id_col else self._types.get(col)) in ("HUGEINT", "UHUGEINT"):
            # 128-bit integers come back to pandas as floats, which merge ids above 2**53: as text.
            c = f"CAST({c} AS VARCHAR)"
        return c

    def text_ids(self, col: str) -> tuple[str, str] | None:
        return (self.dialect.q(col), self.id_type) if self.id_type and col == self.id_col else None

    def kind(self, col: str) -> str:
        t = self._types[col]
        if "WITH TIME ZONE" in t or t.startswith("TIMESTAMPTZ"):  # TIMESTAMPTZ_NS from pandas' Parquet
            return "timestamptz"
        if t.startswith("TIMESTAMP") or t == "DATETIME":
            return "timestamp"
        if t == "DATE":
            return "date"
        if t in ("VARCHAR", "STRING", "TEXT"):
            return "string"
        if t.startswith(("DECIMAL", "NUMERIC")) or t in (
                "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "REAL"):
            return "number"
        return t.lower()

    def time_expr(self, col: str) -> str:
        c, kind = self.dialect.q(col), self.kind(col)
        if kind == "timestamptz":
            return f"timezone('UTC', {c})"
        if kind == "string":
            # ISO 8601 only, as on pandas and Polars; an offset ("+01:00", "Z") makes the text an
            # instant, read in UTC (a plain cast would keep the wall time and drop the offset).
            iso = f"regexp_matches({c}, '{_ISO}')"
            aware = f"regexp_matches({c}, '{_OFFSET}')"
            basic = f"regexp_matches({c}, '^\\s*\\d{{8}}\\s*$')"  # ISO basic, 20240105, as pandas reads it
            return (f"CASE WHEN {basic} THEN CAST(TRY_STRPTIME(trim({c}), '%Y%m%d') AS TIMESTAMP) "
                    f"WHEN NOT {iso} THEN NULL WHEN {aware} THEN timezone('UTC', TRY_CAST({c} AS TIMESTAMPTZ)) "
                    f"ELSE TRY_CAST({c} AS TIMESTAMP) END")
        return f"CAST({c} AS TIMESTAMP)"

    def footer_stats(self, customer_col: str, time_col: str, amount_col: str | None) -> dict | None:
        """The validation counts of :func:`._sql.stats_query` read from the Parquet footers
        (row counts, null counts, minimum and maximum per row group) instead of a pass over
        the rows; None when the footers cannot answer every check (statistics missing or
        inexact, dates stored as text or with a time zone, amounts that may be 0 or below)."""
        if self.format != "parquet" or self.kind(time_col) not in ("timestamp", "date"):
            return None
        cols = [customer_col, time_col, *([amount_col] if amount_col is not None else [])]
        # Through TIMESTAMP_NS, so that nanosecond values round to microseconds as the scan's cast does.
        lo, hi = (f"CAST(TRY_CAST(stats_{end}_value AS TIMESTAMP_NS) AS TIMESTAMP)" for end in ("min", "max"))
        sql = ("SELECT path_in_schema AS col, COUNT(*) AS chunks, SUM(row_group_num_rows) AS n_rows, "
               "COUNT(stats_null_count) AS with_nulls, SUM(stats_null_count) AS nulls, "
               "COUNT(*) FILTER (WHERE stats_null_count < row_group_num_rows) AS with_values, "
               "COUNT(*) FILTER (WHERE stats_null_count < row_group_num_rows AND min_is_exact IS NOT FALSE "
               f"AND max_is_exact IS NOT FALSE AND {lo} IS NOT NULL AND {hi} IS NOT NULL) AS with_times, "
               "COUNT(*) FILTER (WHERE stats_null_count < row_group_num_rows "
               "AND TRY_CAST(stats_min_value AS DOUBLE) > 0) AS positive, "
               f"epoch_us(MIN({lo})) AS first_us, epoch_us(MAX({hi})) AS last_us "
               f"FROM parquet_metadata(?) WHERE path_in_schema IN ({', '.join('?' * len(cols))}) GROUP BY 1")
        try:
            result = self.con.execute(sql, [self.paths, *cols])
            names = [c[0] for c in result.description]
            rows = pd.DataFrame(result.fetchall(), columns=names).set_index("col")
        except _require().Error:  # e.g. a remote store without metadata access: scan the rows
            return None
        if sorted(rows.index) != sorted(set(cols)) or rows["chunks"].nunique() != 1 \
                or rows["n_rows"].nunique() != 1 or (rows["with_nulls"] != rows["chunks"]).any():
            return None
        times = rows.loc[time_col]
        if times["with_times"] != times["with_values"]:
            return None
        stats = {"n_rows": int(times["n_rows"]), "null_ids": int(rows.loc[customer_col, "nulls"]),
                 "null_dates": int(times["nulls"]), "bad_dates": 0,
                 "first_us": times["first_us"], "last_us": times["last_us"]}
        if amount_col is not None:
            if self._types[amount_col] in ("FLOAT", "DOUBLE", "REAL"):
                return None  # footers leave NaN out of their minimum and maximum: count in a pass
            amounts = rows.loc[amount_col]
            if amounts["positive"] != amounts["with_values"]:
                return None
            stats.update(null_amounts=int(amounts["nulls"]), negative_amounts=0, zero_amounts=0)
        return stats

    def run_arrays(self, sql: str, starts: pd.DataFrame | None = None) -> dict:
        """A result of numeric columns without NULLs as numpy arrays (no DataFrame)."""
        return self.run(sql, starts, fetch="fetchnumpy")

    def run(self, sql: str, starts: pd.DataFrame | None = None, fetch: str = "df"):
        duckdb = _require()
        try:
            return self._run(sql, starts, fetch)
        except duckdb.Error as exc:
            raise _wrap(exc, self.label) from None

    def _run(self, sql: str, starts: pd.DataFrame | None, fetch: str):
        if self.own:
            if starts is not None:
                self.con.register(_sql.STARTS, starts)
            try:
                return getattr(self.relation.query(_sql.EVENTS, sql), fetch)()
            finally:
                if starts is not None:
                    self.con.unregister(_sql.STARTS)
        # A caller's relation lives in its own connection: DuckDB finds the starts table
        # by its Python name (a replacement scan).
        rk_starts = starts  # noqa: F841
        return getattr(self.relation.query(_sql.EVENTS, sql), fetch)()
