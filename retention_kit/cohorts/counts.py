"""The pandas path's cells: active customers (or revenue) per cohort x period from the distinct
(customer, offset) pairs, each mode's count, and the cells' observation limits; then the shared
arithmetic of :mod:`.cells`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .cells import calendar_limits, cells_from_counts, make_table
from .options import Spec
from .pandas_path import Events, Reduced
from .result import CohortTable


def one_table(ev: Events, reduced: Reduced, spec: Spec, revenue, columns, member_in, pair_in, *,
              stacklevel: int) -> CohortTable:
    """The CohortTable of the selected customers (``member_in``) and their pairs (``pair_in``):
    everyone, or one breakdown group."""
    member_cohort = reduced.member_cohort[member_in]
    cohorts = np.unique(member_cohort)
    row_of = np.searchsorted(cohorts, member_cohort)
    sizes = np.bincount(row_of, minlength=len(cohorts)).astype(float)
    members = reduced.members[member_in]
    n_cols = len(columns)
    counts = _count_cells(spec, cohorts, row_of, members, reduced.pair_cohort[pair_in],
                          reduced.pair_offset[pair_in], reduced.pair_cust[pair_in], n_cols, ev.n_codes)
    observed, complete = _cell_limits(spec, cohorts, row_of, reduced.member_t0, member_in, n_cols, ev.until)
    revenue_sum = gross_sum = None
    if revenue is not None:
        revenue_sum, gross_sum = _revenue_cells(revenue, members, row_of, len(cohorts), n_cols, ev.n_codes)
    cells = cells_from_counts(counts, sizes, observed, complete, revenue=revenue_sum, gross_sum=gross_sum,
                         stacklevel=stacklevel + 1)
    return make_table(cohorts, sizes, cells, columns, freq=spec.freq, periods=spec.periods, mode=spec.shown_mode,
                  metric=spec.metric, as_of=ev.as_of, report=ev.report, look_ahead=spec.look_ahead)


def _count_cells(spec: Spec, cohorts, row_of, members, pair_cohort, pair_offset, pair_cust, n_cols: int,
                 n_codes: int) -> np.ndarray:
    """Active customers per cell (cohorts x periods), as floats."""
    if spec.mode == "on or after" and spec.look_ahead is not None:
        return count_within_look_ahead(cohorts, pair_cohort, pair_offset, pair_cust, n_cols, spec.look_ahead)
    if spec.mode == "on or after":
        return count_up_to_last_activity(row_of, members, pair_offset, pair_cust, len(cohorts), n_cols, n_codes)
    # Cell index per pair: a lookup table instead of a search over millions of pairs.
    cell = cohort_rows(cohorts, pair_cohort)
    cell *= n_cols
    cell += pair_offset
    return np.bincount(cell, minlength=len(cohorts) * n_cols).reshape(len(cohorts), n_cols).astype(float)


def cohort_rows(cohorts: np.ndarray, pair_cohort: np.ndarray) -> np.ndarray:
    """The table row of each pair's cohort (``cohorts`` sorted and distinct)."""
    row_lookup = np.full(int(cohorts[-1] - cohorts[0]) + 1, -1, np.int64)
    row_lookup[cohorts - cohorts[0]] = np.arange(len(cohorts))
    return row_lookup[pair_cohort - cohorts[0]]


def count_within_look_ahead(cohorts, pair_cohort, pair_offset, pair_cust, n_cols: int,
                            look_ahead: int) -> np.ndarray:
    """'On or after' with a look-ahead L: cell k counts a customer with an active offset in [k, k + L].

    Each cell goes to the customer's first offset o >= k: cells (previous offset, o] are
    covered by o exactly when k >= o - L, so each pair covers the disjoint range
    [max(previous + 1, o - L), o]: a difference array, then a running sum."""
    n_rows = len(cohorts)
    prev = np.empty_like(pair_offset)
    if len(pair_offset):
        prev[0] = -1
        prev[1:] = np.where(pair_cust[1:] == pair_cust[:-1], pair_offset[:-1], -1)
    lo_cell = np.maximum(prev + 1, pair_offset - look_ahead)
    width = n_cols + 1
    rows = cohort_rows(cohorts, pair_cohort)
    top = np.minimum(pair_offset, n_cols - 1) + 1
    diff = (np.bincount(rows * width + np.minimum(lo_cell, n_cols), minlength=n_rows * width)
            - np.bincount(rows * width + top, minlength=n_rows * width))
    return diff.reshape(n_rows, width).cumsum(axis=1)[:, :n_cols].astype(float)


def count_up_to_last_activity(row_of, members, pair_offset, pair_cust, n_rows: int, n_cols: int,
                              n_codes: int) -> np.ndarray:
    """Open-ended 'on or after': a customer counts in every period up to their last active one."""
    last = np.zeros(n_codes, np.int64) - 1
    np.maximum.at(last, pair_cust, pair_offset)
    last_of_member = last[members]
    ok = last_of_member >= 0
    hist = np.bincount(row_of[ok] * n_cols + np.minimum(last_of_member[ok], n_cols - 1),
                       minlength=n_rows * n_cols).reshape(n_rows, n_cols)
    return hist[:, ::-1].cumsum(axis=1)[:, ::-1].astype(float)


def _cell_limits(spec: Spec, cohorts, row_of, member_t0, member_in, n_cols: int, until: int):
    """(observed, complete) masks of the cells, calendar periods or relative windows."""
    lo = np.arange(n_cols) if spec.brackets is None else np.array([b[0] for b in spec.brackets])
    hi = lo if spec.brackets is None else np.array([b[1] for b in spec.brackets])
    if spec.look_ahead is not None:
        hi = lo + spec.look_ahead  # complete once the last period of the look-ahead has ended
    if spec.periods == "calendar":
        return calendar_limits(cohorts, lo, hi, spec.freq, until)
    # Relative windows start at each customer's acquisition: a cell is observed once its
    # earliest customer's window has started, complete once its latest customer's has ended.
    t0s = member_t0[member_in]
    earliest = np.full(len(cohorts), np.iinfo(np.int64).max)
    latest = np.full(len(cohorts), np.iinfo(np.int64).min)
    np.minimum.at(earliest, row_of, t0s)
    np.maximum.at(latest, row_of, t0s)
    observed = earliest[:, None] + lo[None, :] * spec.window < until
    complete = latest[:, None] + (hi[None, :] + 1) * spec.window <= until
    return observed, complete


def _revenue_cells(revenue: pd.Series, members, row_of, n_rows: int, n_cols: int, n_codes: int):
    """Revenue per cell, and the same with each customer's revenue capped at their period-0
    revenue (for gross revenue retention)."""
    member_row = np.full(n_codes, -1, np.int64)
    member_row[members] = row_of
    rc = revenue.index.get_level_values(0).to_numpy()
    ro = revenue.index.get_level_values(1).to_numpy()
    rv = revenue.to_numpy()
    rrow = member_row[rc]
    ok = (rrow >= 0) & (ro < n_cols)
    revenue_sum = np.bincount(rrow[ok] * n_cols + ro[ok], weights=rv[ok],
                              minlength=n_rows * n_cols).reshape(n_rows, n_cols)
    base_of = np.zeros(n_codes)
    zero = ro == 0
    base_of[rc[zero]] = rv[zero]
    capped = np.minimum(rv, base_of[rc])
    gross_sum = np.bincount(rrow[ok] * n_cols + ro[ok], weights=capped[ok],
                            minlength=n_rows * n_cols).reshape(n_rows, n_cols)
    return revenue_sum, gross_sum
