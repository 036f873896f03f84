"""What the engines have in common: the reductions every engine provides
(:class:`EventReductions`, pandas included) and, for the SQL engines, the sources' defaults
of an engine that has no shortcut (no file metadata to read, ids read as they are)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from ..results import DataQualityReport
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


# --------------------------------------------------------------------------------------
# The reductions every engine provides, pandas included.

#: The options only the pandas engine runs (the analyses refuse them elsewhere with
#: :func:`retention_kit.engines.unsupported`): cohort_table's relative periods, brackets,
#: masks, signup times, breakdowns and look-ahead; crr_table's subscription tables and
#: trailing activity windows; validate_events' dropping of rows.
PANDAS_ONLY = frozenset({
    "periods", "brackets", "active_if", "acquired_if", "cohort_col", "by", "look_ahead",  # cohort_table
    "kind", "activity_window",  # crr_table
    "missing_customers", "duplicates",  # validate_events
})


@runtime_checkable
class EventReductions(Protocol):
    """A validated event log in its engine and the reductions every engine runs on it.

    :func:`retention_kit.engines.open_events` returns one for every input: a
    :class:`~._pandas.PandasLog` (numpy kernels) for pandas frames, an
    :class:`~retention_kit.engines.EngineLog` (SQL) for files, DuckDB, Polars and Spark. Each
    analysis is then: open the input, run its reductions, do the arithmetic once. Every
    reduction returns the same columns and dtypes from every engine (integers as int64,
    amounts as float64; sums of amounts may differ in the last bits between engines, as
    any two summation orders do).

    Attributes
    ----------
    engine : str
        "pandas", "duckdb", "polars" or "spark".
    report : DataQualityReport
        The log's ledger (a copy per analysis, which adds its findings).
    as_of, first_time : Timestamp
        The as-of instant and the first event time.
    observed_until : Timestamp
        End of the as-of day (exclusive).
    resolution : str
        "ns" or "us": the unit of the spans :meth:`lifetime_counts` returns.
    """

    engine: str
    report: DataQualityReport
    as_of: pd.Timestamp
    first_time: pd.Timestamp
    resolution: str

    @property
    def observed_until(self) -> pd.Timestamp: ...

    def supports(self, option: str) -> bool:
        """Whether the engine runs an analysis option (see :data:`PANDAS_ONLY`)."""

    def cohort_cells(self, code: str, *, mode: str, revenue: bool) -> pd.DataFrame:
        """Calendar cohort cells, one row per non-empty cell: ``cohort`` (period code),
        ``period`` (periods since the cohort), ``customers`` (int64); with ``revenue``
        also ``revenue`` and ``gross`` (float64: the cell's revenue, and the same with each
        customer capped at their period-0 revenue). mode "on": customers active in the
        period; mode "on or after": customers whose *last* active period it is."""

    def crr_counts(self, code: str, *, revenue: bool) -> pd.DataFrame:
        """Per period code (the int64 index ``p``, every period from the first to the last
        with events): ``buyers``, ``repeaters`` (two purchases or more), ``retained``
        (buyers of p who bought in p - 1), ``new`` (first purchase in p), all int64; with
        ``revenue`` also ``revenue``, ``start_revenue`` (the buyers of p - 1's revenue in
        p - 1), ``kept_revenue`` (their revenue in p) and ``kept_capped`` (capped at their
        p - 1 revenue), float64."""

    def activity(self, starts: pd.DataFrame | None = None) -> pd.DataFrame:
        """One row per customer: ``cust``, ``first_us``, ``last_us`` (int64 microseconds),
        ``n_rows`` and, per carried column i, ``k{i}`` and ``k{i}_n`` (distinct values);
        with ``starts`` (see :func:`~retention_kit.engines.starts_table`) only activity at or
        after each customer's start."""

    def start_checks(self, starts: pd.DataFrame) -> dict:
        """``unknown_rows``, ``unknown_customers``, ``unknown_example`` (events of customers
        without a start) and ``before_rows`` (events before their customer's start)."""

    def lifetime_counts(self, *, churn_after: pd.Timedelta, censor_time: pd.Timestamp, unit: str | None,
                        starts: pd.DataFrame | None = None) -> dict[str, np.ndarray]:
        """The survival table's counts as int64 arrays: ``key`` = span * 2 + churned per
        customer (span in :attr:`resolution` units or periods; not yet classifiable
        customers as -1 - their events), or grouped ``span``, ``churned`` (2: not yet
        classifiable), ``n``, ``events_n`` and the carried ``k{i}``, ``k{i}_n``."""

    def same_time_counts(self) -> dict:
        """``customers``, ``affected`` (customers with several events at one exact time) and
        ``extra`` (the further rows at those times), ints."""

    def customer_days(self, cal_day: int, *, amount: bool, holdout: bool = True) -> pd.DataFrame:
        """The RFM reduction, one row per customer: ``cust``, ``first_d`` (first purchase day
        number), ``cal_d`` (last purchase day up to ``cal_day``, int64 minimum when none),
        ``n_cal``, ``n_hold`` (purchase days up to and after ``cal_day``), ``n_rows``
        (events), int64; with ``amount``, ``amt_cal`` and ``amt_first`` (float64)."""

    def repeat_days(self, cal_day: int) -> tuple[pd.Series, pd.Series]:
        """Customers per first purchase day up to ``cal_day`` (int64, indexed by day), and
        their repeat purchase days counted by (first day, day), int64."""
