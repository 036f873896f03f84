"""After the reduction, once for every engine: left-censoring, the cells' observation limits
and rates, the frames of a :class:`~.result.CohortTable` and its notes."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import LeftCensoringWarning, RetentionWarning
from ..periods import Freq, period_labels, period_starts
from .result import CohortTable

_OPEN_END = ("'On or after' retention counts anyone active then or later up to the as-of date "
             "({as_of:%Y-%m-%d}): an open end, so every cell keeps rising as data arrive (the same table "
             "made later shows higher numbers, complete cells included) and recent cohorts have had less "
             "time to come back. Pass look_ahead=<periods> for cells that hold still.")


def first_cohort_policy(report, first_cohort: str, freq: Freq, data_first_period: int, n_first: int, *,
                        stacklevel: int) -> bool:
    """The data's first cohort may mix new and pre-existing customers (left-censoring): with
    ``"exclude"`` count it as dropped and return True (the caller drops it); with ``"warn"``
    warn (``stacklevel`` as the caller would pass it); with ``"keep"`` say nothing."""
    if not n_first:
        return False
    first_label = period_labels([data_first_period], freq)[0]
    if first_cohort == "exclude":
        report.add(f"cohort {first_label}", n_first, "dropped",
                   "first period of the data: mixes new and pre-existing customers")
        return True
    if first_cohort == "warn":
        _warn_left_censoring(first_label, n_first, freq, stacklevel=stacklevel + 1)
    return False


def _warn_left_censoring(first_label, n_first: int, freq: Freq, *, stacklevel: int) -> None:
    """The first cohort of the data may hold customers who were there before it began."""
    warnings.warn(
        f"The {first_label} cohort ({n_first:,} customers) starts in the data's first "
        f"{freq.name}: it mixes new customers with customers who were active before the "
        "data began. Pass first_cohort='exclude' to drop it, or first_cohort='keep' if "
        "the data start with every customer's first activity.",
        LeftCensoringWarning, stacklevel=stacklevel)


def calendar_limits(cohorts: np.ndarray, lo: np.ndarray, hi: np.ndarray, freq: Freq, until: int):
    """(observed, complete) masks of calendar cells: cohort x periods lo..hi."""
    code_lo = cohorts[:, None] + lo[None, :]
    code_hi_next = cohorts[:, None] + hi[None, :] + 1
    span = np.arange(int(code_lo.min()), int(code_hi_next.max()) + 1)
    starts = period_starts(span, freq).asi8
    observed = starts[code_lo - span[0]] < until
    complete = starts[code_hi_next - span[0]] <= until
    return observed, complete


def _revenue_rates(counts: np.ndarray, gross_sum: np.ndarray, observed: np.ndarray, stacklevel: int):
    """Net and gross revenue retention against each cohort's period-0 revenue."""
    base = counts[:, 0].copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = counts / np.where(base > 0, base, np.nan)[:, None]
        gross = np.where(observed, gross_sum, np.nan) / np.where(base > 0, base, np.nan)[:, None]
    if np.any(base <= 0):
        warnings.warn(f"{int(np.sum(base <= 0))} cohorts had no revenue in period 0: their "
                      "revenue retention is NaN.", RetentionWarning, stacklevel=stacklevel)
    return rates, gross, base


def cells_from_counts(counts: np.ndarray, sizes: np.ndarray, observed: np.ndarray, complete: np.ndarray, *,
                 revenue: np.ndarray | None = None, gross_sum: np.ndarray | None = None, stacklevel: int):
    """The cells from the reduced counts (cohorts x periods): unobserved cells NaN, rates over
    the cohort sizes -- or, given the revenue and capped-revenue sums, net and gross revenue
    retention --, partial = observed but not complete. Returns (counts, rates, partial,
    gross rates, base revenue)."""
    if revenue is not None:
        counts = revenue
    counts[~observed] = np.nan
    gross = base = None
    if revenue is not None:
        rates, gross, base = _revenue_rates(counts, gross_sum, observed, stacklevel=stacklevel + 1)
    else:
        rates = counts / sizes[:, None]
    return counts, rates, observed & ~complete, gross, base


def make_table(cohorts: np.ndarray, sizes: np.ndarray, cells: tuple, columns, *, freq: Freq, periods: str, mode: str,
           metric: str, as_of, report, look_ahead: int | None = None) -> "CohortTable":
    """The CohortTable of one set of cells (see :func:`cells_from_counts`)."""
    counts, rates, partial, gross, base = cells
    index = pd.Index(period_labels(cohorts, freq), name="cohort")
    cols = pd.Index(columns, name="period")
    frame_of = lambda a: pd.DataFrame(a, index=index, columns=cols)  # noqa: E731
    return CohortTable(
        sizes=pd.Series(sizes.astype(np.int64), index=index, name="customers"),
        counts=frame_of(counts), rates=frame_of(rates), partial=frame_of(partial.astype(bool)),
        freq=freq, periods=periods, mode=mode, metric=metric, as_of=as_of, data_quality=report,
        gross_rates=frame_of(gross) if gross is not None else None,
        base_revenue=pd.Series(base, index=index, name="revenue") if base is not None else None,
        look_ahead=look_ahead)


def add_notes(table: "CohortTable", freq: Freq, *, left_censored: bool, data_first_period: int,
              open_end: bool) -> None:
    if left_censored:
        table.notes.append(f"The first cohort ({period_labels([data_first_period], freq)[0]}) may "
                           "include customers acquired before the data began (left-censoring).")
    if open_end:
        table.notes.append(_OPEN_END.format(as_of=table.as_of))
