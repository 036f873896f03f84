"""Event logs: :data:`EVENT_CHECKS` (:func:`retention_kit.validation.prepare_events`, the
engines) and :data:`ROW_CHECKS`, those with SQL, which every engine counts in one query
(``engines/_sql.py``); the amounts' words live here, the ids' and the dates' beside them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .core import DOUBLE_MAX, Check, Finding, example_text, isna_mask
from .dates import (MAX_US, MIN_US, dates_out_of_range_message, null_dates_message, outside_mask,
                    unread_dates_message, unread_mask)
from .ids import null_ids_message

__all__ = ["EVENT_CHECKS", "ROW_CHECKS", "nonfinite_amounts_message"]


def nonfinite_amounts_message(col: str, n: int, example: str = "", engine: bool = False) -> str:
    shown = f", for example {example}" if example else ""
    fix = (f"filter them out (WHERE isfinite({col})) or fix them in the engine" if engine else
           f"fix them or drop those rows, e.g. df = df[np.isfinite(df[{col!r}])]")
    return (f"Column {col!r} has {n:,} infinite or NaN values{shown}: a sum of revenue with them is "
            f"meaningless. They usually come from a division by zero upstream: {fix}.")


def _nonnumeric_amounts(f: Finding) -> str:
    c = f.column
    return (f"Column {c!r}: {f.rows:,} values are not numbers, for example {example_text(f.examples)}. Strip "
            f"currency signs and thousands separators, e.g. df[{c!r}] = df[{c!r}].str.replace('[$,]', '', "
            "regex=True).astype(float).")


def _nonfinite_amounts(f: Finding) -> str:
    return nonfinite_amounts_message(f.column, f.rows, example_text(f.examples), f.engine)


def _null_amounts(f: Finding) -> str:
    c = f.column
    fix = (f"Fill them in the engine, with 0 if nothing was paid (COALESCE({c}, 0)), or filter them out" if f.engine
           else f"Fill them, with 0 if nothing was paid (df[{c!r}] = df[{c!r}].fillna(0)), or drop those rows")
    return f"Column {c!r} is missing in {f.rows:,} rows of {f.of:,}{f.at}. {fix}."


def _negative_amounts(f: Finding) -> str:
    c = f.column
    shown = f", for example {example_text(f.examples)}" if f.examples else ""
    fix = (f"filter them out in the engine (WHERE {c} >= 0)" if f.engine else
           f"e.g. df = df[df[{c!r}] >= 0]")
    return (f"Column {c!r} has {f.rows:,} negative values{shown} (refunds or returns?). Revenue retention "
            "needs purchases only: remove refund rows, or net them against their purchase, before the "
            f"analysis ({fix}).")


def _numeric(values) -> pd.Series:
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if s.dtype == np.float64:
        return s
    return s.astype(float) if pd.api.types.is_numeric_dtype(s) else pd.to_numeric(s, errors="coerce")


EVENT_CHECKS = (
    Check("null_ids", ("cust",), isna_mask("cust"), "cust IS NULL", null_ids_message, detail="no customer id"),
    Check("null_dates", ("t_raw",), isna_mask("t_raw"), "t_raw IS NULL", null_dates_message),
    Check("bad_dates", ("t_raw", "t"), unread_mask("t_raw", "t"), "t_raw IS NOT NULL AND t IS NULL",
          unread_dates_message),
    Check("out_of_range", ("t",), outside_mask("t"), f"{{us}} < {MIN_US} OR {{us}} > {MAX_US}",
          dates_out_of_range_message),
    Check("nonnumeric_amounts", ("amount_raw",),
          lambda c: (pd.to_numeric(c["amount_raw"], errors="coerce").isna() & c["amount_raw"].notna()).to_numpy(),
          None, _nonnumeric_amounts),
    # inf (NaN is a missing amount on pandas; NaN sorts above every number on DuckDB and Spark
    # and is unordered on Polars, so the engines count it here)
    Check("nonfinite_amounts", ("amount",), lambda c: np.isinf(_numeric(c["amount"]).to_numpy()),
          f"NOT (amount BETWEEN {-DOUBLE_MAX!r} AND {DOUBLE_MAX!r})", _nonfinite_amounts),
    Check("null_amounts", ("amount",), isna_mask("amount"), "amount IS NULL", _null_amounts),
    Check("negative_amounts", ("amount",), lambda c: (_numeric(c["amount"]) < 0).to_numpy(), "amount < 0",
          _negative_amounts),
    Check("zero_amounts", ("amount",), lambda c: (_numeric(c["amount"]) == 0).to_numpy(), "amount = 0",
          lambda f: f"Column {f.column!r} is 0 in {f.rows:,} of {f.of:,} rows.", action="keep",
          detail="amount is 0 (free or promotional)"),
)

#: The event checks every engine counts in its one validation query (``engines/_sql.py``).
ROW_CHECKS = tuple(c for c in EVENT_CHECKS if c.sql is not None)
