"""Polars DataFrames and LazyFrames, through Polars' own SQL engine (lazy)."""

from __future__ import annotations

import pandas as pd

from . import _sql
from ._base import Source

_TIME = "__rk_time"  # the normalised time column added to the lazy frame


def to_pandas(frame) -> pd.DataFrame:
    """A small Polars result as pandas, without pyarrow."""
    return pd.DataFrame({name: frame[name].to_numpy() for name in frame.columns})


def iso_datetimes(c):
    """ISO 8601 text as naive microsecond datetimes, the rule of the pandas path: YYYY-M-D with
    an optional time and offset; an offset makes an instant, read in UTC; anything else
    (05/01/2024) is null. Polars' own inference would guess a day/month layout from the
    first value, so the text is normalised and parsed with two explicit formats."""
    import polars as pl

    c = (c.str.strip_chars()
         .str.replace(r"^(\d{4})(\d{2})(\d{2})$", "${1}-${2}-${3}")  # ISO basic, 20240105
         .str.replace(r"^(\d{4})-(\d)([-])", "${1}-0${2}${3}")
         .str.replace(r"^(\d{4}-\d{2})-(\d)(\D|$)", "${1}-0${2}${3}")
         .str.replace(r"^(\d{4}-\d{2}-\d{2})T", "${1} ")
         .str.replace(r"^(\d{4}-\d{2}-\d{2})$", "${1} 00:00:00")
         .str.replace(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2})(\s*[+-]|\s*Z|$)", "${1}:00${2}")
         .str.replace(r"\s*Z$", "+00:00")
         .str.replace(r"(\d)\s+([+-]\d{2})", "${1}${2}"))
    naive = c.str.to_datetime(format="%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us")
    aware = (c.str.to_datetime(format="%Y-%m-%d %H:%M:%S%.f%#z", strict=False, time_unit="us")
             .dt.convert_time_zone("UTC").dt.replace_time_zone(None))
    return pl.coalesce(naive, aware)


class PolarsSource(Source):
    """Events in a Polars DataFrame or LazyFrame."""

    dialect = _sql.POLARS

    def __init__(self, data):
        self.frame = data.lazy()
        self.label = f"Polars {type(data).__name__}"
        self.schema = dict(self.frame.collect_schema())
        self.columns = list(self.schema)

    def kind(self, col: str) -> str:
        import polars as pl

        dtype = self.schema[col]
        if isinstance(dtype, pl.Datetime):
            return "timestamptz" if dtype.time_zone else "timestamp"
        if dtype == pl.Date:
            return "date"
        if dtype == pl.String:
            return "string"
        if dtype.is_numeric():
            return "number"
        return str(dtype).lower()

    def time_expr(self, col: str) -> str:
        # Polars SQL has no TRY_CAST for text dates: normalise with the expression API.
        import polars as pl

        kind, c = self.kind(col), pl.col(col)
        if kind == "timestamptz":
            c = c.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        elif kind == "string":
            c = iso_datetimes(c)
        self.frame = self.frame.with_columns(c.cast(pl.Datetime("us")).alias(_TIME))
        return self.dialect.q(_TIME)

    def run(self, sql: str, starts: pd.DataFrame | None = None) -> pd.DataFrame:
        import polars as pl

        tables = {_sql.EVENTS: self.frame}
        if starts is not None:
            tables[_sql.STARTS] = pl.DataFrame({c: starts[c].to_numpy() for c in starts.columns})
        result = pl.SQLContext(tables).execute(sql)
        try:
            result = result.collect(engine="streaming")
        except (TypeError, ValueError):  # older Polars without the streaming engine
            result = result.collect()
        return to_pandas(result)

