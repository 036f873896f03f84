"""Polars DataFrames and LazyFrames, through Polars' own SQL engine (lazy)."""

from __future__ import annotations

import pandas as pd

from . import _sql
from ._base import Source

_TIME = "__rk_time"  # the normalised time column added to the lazy frame


def to_pandas(frame) -> pd.DataFrame:
    """A small Polars result as pandas, without pyarrow."""
    return pd.DataFrame({name: frame[name].to_numpy() for name in frame.columns})


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
            c = c.str.to_datetime(time_unit="us", strict=False)
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

