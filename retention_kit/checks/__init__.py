"""Every row check of the kit's inputs, declared once (issue 13), in modules by concept (issue 14).

A :class:`Check` is one problem a table can have: its name (the name of its count on every
engine), the columns it reads (by role: ``cust``, ``t_raw``, ``start_t``, ``duration`` ...),
how pandas counts the rows that have it (a vectorised function returning a boolean mask),
the SQL condition an engine counts instead, what is done with those rows (refused, dropped,
kept, converted) and *one* message function. Whoever finds the rows -- pandas here, DuckDB,
Polars or Spark through ``engines/_sql.py`` -- says the same words, because the words live
only here.

The modules:

* ``core`` -- the machinery: :class:`Check`, :class:`Finding`, :func:`find`, :func:`refuse`,
  :func:`run_checks`, :func:`refusal_from_counts`;
* ``ids`` -- customer ids (missing, mixed types, repeated), shared by the check sets;
* ``dates`` -- the one day/month rule (:func:`day_month_order`, :func:`read_dates_rule`) and
  the words of the date checks;

and the check sets, by kind of table:

* ``events`` -- :data:`EVENT_CHECKS`, event logs (:func:`retention_kit.validation.prepare_events`,
  the engines; :data:`ROW_CHECKS` are those with SQL, which every engine counts in one query);
* ``subscriptions`` -- :data:`SUBSCRIPTION_CHECKS`, subscription tables
  (``crr_table(kind="subscriptions")`` and ``subscription_lifetimes``, through
  :func:`validate_subscriptions`);
* ``assignments`` -- :data:`ASSIGNMENT_CHECKS`, experiment assignments (:func:`validate_assignments`);
* ``lifetimes`` -- :data:`LIFETIME_CHECKS`, lifetimes tables and arrays (Kaplan-Meier, log-rank,
  RMST, Cox, ``aggregate_lifetimes``, through :func:`check_lifetimes`), churn flags included.

:data:`CHECKS` holds them all, kind -> name -> check. :func:`run_checks` applies a set to a
table in one pass: the first refusal raises its message, drops and conversions are counted in
the :class:`~retention_kit.results.DataQualityReport`. Dates are read by the kit's one date
parser (:func:`retention_kit.validation.parse_times`), which refuses with the messages of the
date checks declared here.

Examples
--------
>>> [c.name for c in SUBSCRIPTION_CHECKS]  # doctest: +NORMALIZE_WHITESPACE
['null_ids', 'mixed_ids', 'duplicate_ids', 'null_starts', 'bad_starts', 'starts_out_of_range',
 'open_ends', 'bad_ends', 'ends_out_of_range', 'end_before_start', 'start_after_as_of', 'end_after_as_of']
>>> import pandas as pd
>>> subs = pd.DataFrame({"id": ["a", "b"], "start": ["2024-01-01", "2024-02-01"],
...                      "end": ["2023-12-01", None]})
>>> validate_subscriptions(subs, customer_col="id")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
retention_kit.errors.DataError: Column 'end' is before 'start' in 1 rows of 2 (first at index 0). ...
"""

from __future__ import annotations

from .assignments import ASSIGNMENT_CHECKS, NO_TIMES_HINT, validate_assignments
from .core import (ACTIONS, DOUBLE_MAX, Check, Finding, example_text, find, isna_mask, plain_values,
                   refusal_from_counts, refuse, run_checks)
from .dates import (AMBIGUOUS, DAY_FIRST, MAX_US, MIN_US, MIXED_ORDER, MONTH_FIRST, TIME_MAX, TIME_MIN, DateReading,
                    bad_dates_message, dates_out_of_range_message, day_month_formats, day_month_order,
                    engine_dates_code, missing_dates_message, null_dates_message, out_of_range_message, outside_mask,
                    read_dates_rule, swapped_dates, to_datetime_code, unread_dates_message, unread_mask)
from .events import EVENT_CHECKS, ROW_CHECKS, nonfinite_amounts_message
from .ids import (MIXED_IDS, duplicates_mask, mixed_id_mask, mixed_ids_extra, mixed_ids_message, mixes_types,
                  null_ids_message)
from .lifetimes import (FLAG_FALSE, FLAG_TRUE, LIFETIME_CHECKS, check_groups, check_lifetimes, check_weights,
                        flags_message, parse_flags, read_flags)
from .subscriptions import SUBSCRIPTION_CHECKS, validate_subscriptions

__all__ = ["Check", "Finding", "run_checks", "find", "refuse", "refusal_from_counts", "EVENT_CHECKS", "ROW_CHECKS", "SUBSCRIPTION_CHECKS",
           "ASSIGNMENT_CHECKS", "LIFETIME_CHECKS", "CHECKS", "validate_subscriptions", "validate_assignments",
           "check_lifetimes", "check_weights", "parse_flags", "example_text", "day_month_order", "day_month_formats",
           "read_dates_rule", "DateReading", "bad_dates_message", "DAY_FIRST", "MONTH_FIRST", "AMBIGUOUS", "MIXED_ORDER"]

#: The check sets by kind of table, each as name -> check.
CHECKS = {
    "events": {c.name: c for c in EVENT_CHECKS},
    "subscriptions": {c.name: c for c in SUBSCRIPTION_CHECKS},
    "assignments": {c.name: c for c in ASSIGNMENT_CHECKS},
    "lifetimes": {c.name: c for c in LIFETIME_CHECKS},
}
