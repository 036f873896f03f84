"""The entry point :func:`cohort_table`: the options checked, then the path every engine runs
(:mod:`.engine_path`) or the pandas path (:mod:`.pandas_path`, :mod:`.counts`, :mod:`.breakdown`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._options import legacy_arguments
from ..engines import event_periods, supports, unsupported
from ..errors import ParameterError
from ..periods import parse_freq
from ..validation import log_columns
from .breakdown import breakdown_table
from .cells import add_notes
from .counts import one_table
from .engine_path import cohort_table_from_cells
from .options import ENGINE_SCOPE, check_options, pandas_only_option
from .pandas_path import (
    apply_first_cohort, count_offsets, open_pandas_events, pairs_by_bracket, reduce_events, revenue_by_offset,
)
from .result import CohortTable


@legacy_arguments(renamed={"breakdown": "by"})
def cohort_table(
    events: pd.DataFrame,

    freq: str = "M",
    *,
    customer_col: str = "customer_id",
    time_col: str = "date",
    periods: str = "calendar",
    mode: str = "on",
    brackets=None,
    metric: str = "customers",
    amount_col: str | None = None,
    active_if=None,
    acquired_if=None,
    cohort_col: str | None = None,
    by: str | None = None,
    first_cohort: str = "warn",
    as_of=None,
    look_ahead: int | None = None,
) -> CohortTable:
    """Retention by acquisition cohort: sizes, counts, rates and a partial-cell mask.

    Parameters
    ----------
    events : DataFrame, path, DuckDB relation, Polars or PySpark DataFrame
        One row per event (purchase, visit, login). Besides a pandas DataFrame: a path or
        glob to Parquet/CSV files (read by DuckDB), a DuckDB relation, a Polars
        DataFrame/LazyFrame or a PySpark DataFrame; the reduction then runs in that engine
        and gives the same table (see :mod:`retention_kit.engines`). On those inputs only
        calendar periods, ``mode`` "on"/"on or after", both metrics, ``first_cohort`` and
        ``as_of`` are available; the other options raise :class:`ParameterError`.
    freq : {"D", "W", "M", "Q", "Y"} or a name such as "month"
        Cohort and period length. Weeks are ISO weeks, Monday to Sunday.
    customer_col, time_col : str
        Names of the customer and time columns. Time-zone-aware times are converted to
        UTC, so periods follow the UTC calendar; for local calendar periods convert them to
        wall time first (``s.dt.tz_localize(None)``).
    periods : {"calendar", "relative"}
        ``"calendar"``: period k is the k-th calendar period after the acquisition period
        (what spreadsheets reconcile to). ``"relative"``: period k is the k-th window of 1, 7,
        30, 90 or 365 days (for D, W, M, Q, Y) after each customer's own acquisition time.
    mode : {"on", "on or after"}
        ``"on"``: active in period k. ``"on or after"``: active in period k or later: in
        the next ``look_ahead`` periods, or up to the as-of date.
    brackets : list of int or (first, last), optional
        Custom ranges of periods, e.g. ``[1, (2, 7), (8, 30), (31, 90)]`` with ``freq="D"``;
        a customer counts in a bracket when active in any of its periods. Needs ``mode="on"``
        and ``metric="customers"``.
    metric : {"customers", "revenue"}
        Distinct active customers, or revenue (needs ``amount_col``): ``rates`` are then net
        revenue retention and ``gross_rates`` gross revenue retention.
    amount_col : str, optional
        Revenue column (needed for ``metric="revenue"``).
    active_if : callable, str or boolean array, optional
        Which events count as activity: a function of ``events`` returning one True/False
        per row (``lambda df: df["amount"] > 0``), a boolean column name or a boolean array.
        Default: every event.
    acquired_if : same kinds as ``active_if``, optional
        Which events acquire a customer (the first one defines the cohort). Default: the
        events that count as activity. Activity before acquisition is left out and reported.
    cohort_col : str, optional
        A column with each customer's acquisition time (for example a signup date repeated
        on each row); customers are then in a cohort even without activity.
    by : str, optional
        A column (channel, country, arm): one table per value, taken at each customer's
        acquisition event, available as ``.groups[value]``; the combined tables are indexed
        by (value, cohort). (``breakdown`` until 0.3.0.)
    first_cohort : {"warn", "keep", "exclude"}
        The cohort of the data's first period may mix new and pre-existing customers
        (left-censoring). ``"warn"`` keeps it with a LeftCensoringWarning, ``"exclude"`` drops
        it, ``"keep"`` keeps it silently (when the data start with every customer's first
        activity, as CDNOW does). Not applied with ``cohort_col``.
    as_of : date-like, optional
        End of observation; default the last event time. Events after it are left out.
    look_ahead : int, optional
        With ``mode="on or after"``: cell k counts customers active in any of periods k to
        k + ``look_ahead``, and is complete (final) once period k + ``look_ahead`` has
        ended. ``None`` (default) keeps the open end, "any later period up to the as-of
        date": those cells keep rising as data arrive (the table's notes say so), so two
        tables made on different days disagree. On CDNOW, the January 1997 cohort's
        period-3 cell (April 1997) is 24.4 % with ``look_ahead=3`` (active April to July)
        whenever it is computed after July 1997, and open-ended 28.8 %, 34.6 % and 40.0 %
        as of 1997-09-30, 1997-12-31 and 1998-06-30, complete all three times.

    Returns
    -------
    CohortTable

    Raises
    ------
    DataError
        Missing columns, unreadable dates, negative amounts, no customer left.
    ParameterError
        Misspelled options, incompatible options, bad masks or brackets.

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c"],
    ...                    "date": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-01-31",
    ...                                            "2024-03-10", "2024-02-14"])})
    >>> t = cohort_table(ev, "M", first_cohort="keep")
    >>> t.counts  # a, b acquired in January; c in February; March is partial
    period     0    1    2
    cohort
    2024-01  2.0  1.0  1.0
    2024-02  1.0  0.0  NaN
    >>> bool(t.partial.loc["2024-01", 2]), bool(t.partial.loc["2024-01", 1])
    (True, False)
    >>> float(t.average()[1])  # 1 of 2; February's period 1 (March) is partial, left out
    0.5
    """
    freq = parse_freq(freq)
    customer_col, time_col, amount_col = log_columns(events, customer_col, time_col, amount_col)
    spec = check_options(freq, periods=periods, mode=mode, metric=metric, first_cohort=first_cohort,
                         look_ahead=look_ahead, brackets=brackets, amount_col=amount_col, by=by,
                         cohort_col=cohort_col)
    # Warnings point at the caller's line, stacklevel 3 from this frame (legacy_arguments wraps
    # it), so the helpers called from here get stacklevel=4.
    option = pandas_only_option(spec, brackets=brackets, active_if=active_if, acquired_if=acquired_if)
    if option is None:  # every engine, pandas included: open -> cells -> the arithmetic once
        return cohort_table_from_cells(events, freq, customer_col=customer_col, time_col=time_col,
                                       mode=spec.mode, metric=spec.metric, amount_col=amount_col,
                                       first_cohort=spec.first_cohort, as_of=as_of, stacklevel=4)
    if not supports(events, option[0]):
        unsupported("cohort_table", *option, ENGINE_SCOPE)
    if by is not None and by in (customer_col, time_col):
        raise ParameterError(f"by={by!r} is the customer or time column; name a "
                             "column such as channel or country.")

    ev = open_pandas_events(events, spec, customer_col=customer_col, time_col=time_col,
                            amount_col=amount_col, active_if=active_if, acquired_if=acquired_if, as_of=as_of)
    data_first_period = int(event_periods(np.array([ev.t.min()]), freq)[0])
    reduced = reduce_events(ev, spec, stacklevel=4)
    reduced = apply_first_cohort(reduced, ev.report, spec, data_first_period, stacklevel=4)
    revenue = revenue_by_offset(ev, reduced, freq) if spec.metric == "revenue" else None
    n_offsets = count_offsets(ev, reduced, spec)
    if spec.brackets is None:
        columns = list(range(n_offsets))
    else:
        columns = [str(lo) if lo == hi else f"{lo}–{hi}" for lo, hi in spec.brackets]
        reduced = pairs_by_bracket(reduced, spec.brackets, n_offsets, ev.n_codes)

    if spec.by is None:
        table = one_table(ev, reduced, spec, revenue, columns, slice(None), slice(None), stacklevel=4)
    else:
        table = breakdown_table(ev, reduced, spec, revenue, columns, stacklevel=4)
    add_notes(table, freq, left_censored=spec.first_cohort == "warn"
              and np.any(reduced.member_cohort == data_first_period) and spec.cohort_col is None,
              data_first_period=data_first_period,
              open_end=spec.mode == "on or after" and spec.look_ahead is None and spec.brackets is None)
    return table
