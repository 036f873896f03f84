"""What the engines' sources have in common, with the defaults of an engine that has no
shortcut (no file metadata to read, ids read as they are)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._sql import Dialect


class Source:
    """Events in one engine: ``dialect``, ``label``, ``columns``, ``kind(col)``,
    ``time_expr(col)`` and ``run(sql, starts)`` are each engine's own."""

    dialect: Dialect
    label: str
    columns: list

    def run(self, sql: str, starts: pd.DataFrame | None = None) -> pd.DataFrame:
        raise NotImplementedError

    def run_arrays(self, sql: str, starts: pd.DataFrame | None = None) -> dict[str, np.ndarray]:
        """A result of numeric columns without NULLs as numpy arrays."""
        out = self.run(sql, starts)
        return {col: out[col].to_numpy() for col in out.columns}

    def id_expr(self, col: str) -> str:
        """The customer id column as the queries read it."""
        return self.dialect.q(col)

    def text_ids(self, col: str) -> tuple[str, str] | None:
        """(raw text column, integer type) when integer ids are read from text; else None."""
        return None

    def footer_stats(self, customer_col: str, time_col: str, amount_col: str | None) -> dict | None:
        """The validation counts from file metadata, or None: scan the rows."""
        return None
