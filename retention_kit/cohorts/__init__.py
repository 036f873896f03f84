"""Cohort retention tables that are honest about unfinished periods.

Definitions used throughout (shared with the rest of the kit):

- **Cohort**: the customers acquired in one calendar period (``freq``). By default a
  customer is acquired at their first activity; ``cohort_col`` names a signup time instead,
  and ``acquired_if`` picks the events that acquire (for example the first purchase among
  visits).
- **Period k** (``periods="calendar"``, the default): the k-th calendar period after the
  acquisition period, so ``freq="M"`` gives "months between the acquisition month and the
  activity month" (a customer acquired on 31 January is in period 1 on 1 February).
  ``periods="relative"`` uses fixed windows from each customer's own acquisition instead:
  1, 7, 30, 90 or 365 days for D, W, M, Q, Y (what Amplitude and Mixpanel default to).
- **Retained in period k**: ``mode="on"`` active in period k; ``mode="on or after"`` active
  in period k or any of the next ``look_ahead`` periods (k to k + look_ahead, a fixed window:
  once complete the cell never changes), or, with ``look_ahead=None``, any later period up to
  the as-of date (an open end: the same cell keeps rising as data arrive, and recent cohorts
  have had less time to come back); ``brackets`` active in any period of a range of periods
  (e.g. days 1, 2-7, 8-30, 31-90).
- **As of** (default: the last event time): a cell whose period has started but not ended is
  *partial*; a cell whose period has not started is NaN (never 0); an observed cell without
  activity is 0. The as-of day counts as fully observed (``EventLog.observed_until``), so
  a period ending at midnight after the as-of day is complete.
- **Left-censoring**: the cohort of the data's first period mixes new customers with
  customers who were there before the data began; it is flagged with
  :class:`~retention_kit.LeftCensoringWarning` and can be excluded.

The package, by concept: :mod:`.table` (the entry point :func:`cohort_table`), :mod:`.options`
(the options checked), :mod:`.engine_path` (every engine, through the engine protocol),
:mod:`.pandas_path`, :mod:`.masks`, :mod:`.counts` and :mod:`.breakdown` (the options only pandas
runs), :mod:`.cells` (the arithmetic after the reduction, shared by both paths) and
:mod:`.result` (:class:`CohortTable`).
"""

from .result import CohortTable
from .table import cohort_table

__all__ = ["CohortTable", "cohort_table"]
