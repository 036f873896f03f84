"""cohort_table on every engine (pandas included) for the options they all run: the engine's
log returns the cells (cohort, period, customers[, revenue, gross]); the arithmetic after them
is :mod:`.cells`'s."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engines import event_periods, open_events
from ..errors import DataError
from ..periods import Freq
from .cells import add_notes, calendar_limits, cells_from_counts, first_cohort_policy, make_table
from .result import CohortTable


def cohort_table_from_cells(events, freq: Freq, *, customer_col, time_col, mode, metric, amount_col,
                            first_cohort, as_of, stacklevel: int) -> CohortTable:
    """cohort_table on every engine: the engine's log returns the cells (cohort, period,
    customers[, revenue, gross], see :meth:`~retention_kit.engines.EventReductions.cohort_cells`); the
    arithmetic after them is written once, here."""
    log = open_events(events, customer_col=customer_col, time_col=time_col, amount_col=amount_col, as_of=as_of)
    report, until = log.report, log.observed_until.value
    revenue = metric == "revenue"
    cells = log.cohort_cells(freq.code, mode=mode, revenue=revenue)
    if mode == "on":
        sizes_of = cells[cells["period"] == 0].groupby("cohort")["customers"].sum()
    else:
        sizes_of = cells.groupby("cohort")["customers"].sum()
    report.customers = int(sizes_of.sum())
    data_first_period = int(event_periods(np.array([log.first_time.value]), freq)[0])
    n_first = int(sizes_of.get(data_first_period, 0))
    if first_cohort_policy(report, first_cohort, freq, data_first_period, n_first,
                           stacklevel=stacklevel + 1):
        cells = cells[cells["cohort"] != data_first_period]
        sizes_of = sizes_of.drop(data_first_period)
    if len(sizes_of) == 0:
        check = "active_if, acquired_if, cohort_col and first_cohort" if log.supports("active_if") else \
            "first_cohort and as_of"
        raise DataError(f"No customer is left in any cohort (check {check}).")

    cohorts = sizes_of.index.to_numpy(np.int64)
    sizes = sizes_of.to_numpy().astype(float)
    last_period = int(event_periods(np.array([until - 1]), freq)[0])
    n_rows, n_cols = len(cohorts), last_period - int(cohorts.min()) + 1
    row = np.searchsorted(cohorts, cells["cohort"].to_numpy())
    cell = row * n_cols + cells["period"].to_numpy()
    counts = _cell_sums(cell, cells["customers"], n_rows, n_cols)
    if mode == "on or after":  # cells hold each customer's last active period
        counts = counts[:, ::-1].cumsum(axis=1)[:, ::-1]
    lo = np.arange(n_cols)
    observed, complete = calendar_limits(cohorts, lo, lo, freq, until)
    cell_values = cells_from_counts(counts, sizes, observed, complete,
                               revenue=_cell_sums(cell, cells["revenue"], n_rows, n_cols) if revenue else None,
                               gross_sum=_cell_sums(cell, cells["gross"], n_rows, n_cols) if revenue else None,
                               stacklevel=stacklevel + 1)
    table = make_table(cohorts, sizes, cell_values, list(range(n_cols)), freq=freq, periods="calendar", mode=mode,
                   metric=metric, as_of=log.as_of, report=report)
    add_notes(table, freq, left_censored=first_cohort == "warn" and bool(n_first),
              data_first_period=data_first_period, open_end=mode == "on or after")
    return table


def _cell_sums(cell: np.ndarray, values: pd.Series, n_rows: int, n_cols: int) -> np.ndarray:
    """An engine column summed into the cohorts x periods matrix (``cell`` = row * n_cols + period)."""
    return np.bincount(cell, weights=values.to_numpy(float), minlength=n_rows * n_cols).reshape(n_rows, n_cols)
