"""The public validated log: :func:`validate_events` validates an event log once and returns
an :class:`EventLog` that every analysis accepts in place of the raw data, checking nothing
again. The checks themselves are the door's (:mod:`retention_kit.validation` for pandas,
:func:`retention_kit.engines.validate_in_engine` for the engines); this module holds what the
log keeps, how an analysis reads it, and the two findings only a whole log shows (the lines of
one order, many events at one exact time).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from . import validation as door  # the door's steps, read through the module (tests count them)
from .errors import DataError, DataQualityWarning, ParameterError
from .results import DataQualityReport
from .validation import (AMOUNT, CUSTOMER, TIME, PreparedEvents, missing_column_message, require_columns,
                         resolve_as_of)

__all__ = ["EventLog", "validate_events", "log_columns", "copy_report", "record_merged_orders", "SAME_TIME_SHARE"]


#: Customers with several events at one exact time, as a share of all customers, above which
#: the door warns that the rows may be the lines of one order.
SAME_TIME_SHARE = 0.1
_DEFAULTS = {"customer_col": CUSTOMER, "time_col": TIME, "amount_col": None}


def copy_report(report: DataQualityReport) -> DataQualityReport:
    """A fresh copy of a report for one analysis (which adds its own findings to it)."""
    out = DataQualityReport(rows_in=report.rows_in, rows_used=report.rows_used, first_time=report.first_time,
                            last_time=report.last_time, as_of=report.as_of, checks=report.checks)
    if report["customers"] is not None:
        out.customers = report["customers"]
    elif report.customer_ids is not None:
        out.customer_ids = report.customer_ids
    return out


def log_columns(events, customer_col: str = CUSTOMER, time_col: str = TIME, amount_col: str | None = None):
    """The column names an analysis uses: its own for raw data, the door's for an
    :class:`EventLog` (a name left at its default takes the log's; another name than the
    log's is refused). Returns ``(customer_col, time_col, amount_col)``."""
    if not isinstance(events, EventLog):
        return customer_col, time_col, amount_col
    return events._columns_for(customer_col=customer_col, time_col=time_col, amount_col=amount_col)


def _merge_orders(frame: pd.DataFrame, report: DataQualityReport, order_col: str) -> pd.DataFrame:
    """One purchase per (customer, order): the order's first time, its amounts summed, the
    first line's carried values. Rows without an order id stay purchases of their own."""
    cust, _ = pd.factorize(frame[CUSTOMER], sort=False)
    order, _ = pd.factorize(frame[order_col], sort=False)
    lone = order < 0
    order = order.astype(np.int64)
    order[lone] = -1 - np.arange(int(lone.sum()))  # each row without an order id is its own
    spec = {c: ("min" if c == TIME else "sum" if c == AMOUNT else "first") for c in frame.columns if c != CUSTOMER}
    grouped = frame.groupby([cust, order], sort=False)
    merged = grouped.agg(spec)
    merged.insert(0, CUSTOMER, grouped[CUSTOMER].first().to_numpy())
    merged = merged.reset_index(drop=True)[list(frame.columns)]
    record_merged_orders(report, order_col, len(frame), len(merged), AMOUNT in frame)
    return merged


def record_merged_orders(report: DataQualityReport, order_col: str, rows: int, purchases: int,
                         amount: bool) -> None:
    """The ledger entry of line items merged into their order (every engine)."""
    if rows - purchases:
        what = "its amounts summed, " if amount else ""
        report.add(order_col, rows - purchases, "dropped",
                   f"line items merged into their order: {rows:,} rows are {purchases:,} purchases "
                   f"(one per customer and order: {what}the order's first time)")


def _same_time(report: DataQualityReport, customers: int, affected: int, extra: int, engine: str) -> None:
    """Count (and above :data:`SAME_TIME_SHARE` of the customers, warn about) customers with
    several events at one exact time: the sign of a log of order lines."""
    if not extra:
        return
    report.add("same customer and time", extra, "kept",
               f"{affected:,} of {customers:,} customers have several events at the exact same time; "
               "each row counts as a purchase")
    if customers and affected >= SAME_TIME_SHARE * customers:
        fix = "pass order_col='<your order or invoice column>' to rk.validate_events to count one purchase per order"
        if engine != "pandas":
            fix += " (merged in the engine's query: GROUP BY the customer and order columns)"
        warnings.warn(
            f"{affected:,} of {customers:,} customers ({affected / customers:.0%}) have several events at the "
            f"exact same time ({extra:,} further rows). If the rows are the lines of one order or invoice, "
            f"each line counts as a purchase and repeat-purchase rates are inflated: {fix}. If the times are "
            "dates only, several purchases on one day are ordinary.", DataQualityWarning, stacklevel=3)


def validate_events(
    data,
    *,
    customer_col: str = CUSTOMER,
    time_col: str = TIME,
    amount_col: str | None = None,
    order_col: str | None = None,
    as_of=None,
    missing_customers: str = "raise",
    duplicates: str = "keep",
) -> "EventLog":
    """Validate an event log once and keep it validated: the :class:`EventLog` every analysis
    accepts in place of the raw data, without checking it again.

    Parameters
    ----------
    data : DataFrame, path, DuckDB relation, Polars or PySpark DataFrame
        One row per event (see :mod:`retention_kit.engines`).
    customer_col, time_col, amount_col : str
        The columns, named once here: later calls take them from the log.
    order_col : str, optional
        An order or invoice column: the lines of one order are merged into one purchase (its
        first time, amounts summed; a row without an order id stays a purchase of its own),
        counted in the data-quality report. On every engine (files, DuckDB, Polars and Spark
        merge in the engine's query); there, analyses cannot carry other columns (``by=``).
    as_of : date-like, optional
        End of observation (default: the last event). Without one, each analysis may still
        pass its own ``as_of``.
    missing_customers, duplicates
        As in :func:`prepare_events` (pandas only).

    Returns
    -------
    EventLog

    Examples
    --------
    >>> import retention_kit as rk
    >>> raw = pd.DataFrame({"user": ["a", "a", "b"], "paid": [5.0, 7.0, 3.0],
    ...                     "ts": ["2024-01-03", "2024-02-10", "2024-01-20"]})
    >>> log = rk.validate_events(raw, customer_col="user", time_col="ts", amount_col="paid")
    >>> log.rows, log.customers, log.columns["amount_col"]
    (3, 2, 'paid')
    >>> t = rk.crr_table(log, freq="M", as_of="2024-02-29")  # no column names repeated
    >>> t.table[["new", "retained", "revenue"]]
             new  retained  revenue
    period
    2024-01    2         0      8.0
    2024-02    0         1      7.0
    """
    if isinstance(data, EventLog):
        data._columns_for(customer_col=customer_col, time_col=time_col, amount_col=amount_col)
        if as_of is None and order_col in (None, data.order_col):
            return data
        raise ParameterError("data is already a validated EventLog: validate the raw data to change as_of or "
                             "order_col.")
    from .engines import PandasLog, engine_of, is_pandas, unsupported, validate_in_engine

    if missing_customers not in ("raise", "drop"):
        raise ParameterError(f"missing_customers={missing_customers!r}: use 'raise' or 'drop'.")
    if duplicates not in ("keep", "drop"):
        raise ParameterError(f"duplicates={duplicates!r}: use 'keep' or 'drop'.")
    door_as_of = None if as_of is None else resolve_as_of(as_of, pd.NaT)
    columns = {"customer_col": customer_col, "time_col": time_col, "amount_col": amount_col, "order_col": order_col}
    if order_col is not None and order_col in (customer_col, time_col, amount_col):
        raise ParameterError(f"order_col={order_col!r} is also the customer, time or amount column: name the "
                             "order or invoice column.")
    if not is_pandas(data):
        engine = engine_of(data)
        scope = "customer_col, time_col, amount_col, order_col and as_of"
        for option, value, default in (("missing_customers", missing_customers, "raise"),
                                       ("duplicates", duplicates, "keep")):
            if value != default:
                unsupported("validate_events", option, value, scope)
        elog = validate_in_engine(data, customer_col=customer_col, time_col=time_col, amount_col=amount_col,
                                  as_of=as_of, order_col=order_col)
        counts = elog.same_time_counts()
        _same_time(elog.report, counts["customers"], counts["affected"], counts["extra"], engine)
        source, elog.source = elog.source, None
        return EventLog(engine=engine, columns=columns, door_as_of=door_as_of, engine_log=elog, data=data,
                        source=source, customers=counts["customers"])

    require_columns(data, {"customer_col": customer_col, "time_col": time_col, "amount_col": amount_col,
                           "order_col": order_col})
    used = {customer_col, time_col, amount_col, CUSTOMER, TIME, AMOUNT}
    carried = [c for c in data.columns if c not in used]
    frame, report, tz = door.validate_frame(data, customer_col, time_col, amount_col, carried, missing_customers)
    if order_col is not None:
        if order_col not in frame:
            raise ParameterError(f"order_col={order_col!r}: the column cannot be named {CUSTOMER!r}, {TIME!r} or "
                                 f"{AMOUNT!r} unless it is that column; rename it first.")
        frame = _merge_orders(frame, report, order_col)
    first, last = frame[TIME].min(), frame[TIME].max()
    log = door.cut_at_as_of(frame, report, as_of, time_col, tz, first, last)
    if duplicates == "drop":
        dup = log.frame.duplicated()
        if dup.any():
            log.frame = log.frame[~dup]
            report.add("duplicate rows", int(dup.sum()), "dropped", "identical in every column")
    counts = PandasLog(log).same_time_counts()
    _same_time(report, counts["customers"], counts["affected"], counts["extra"], "pandas")
    door.finish_log(log)
    report.customers = counts["customers"]
    return EventLog(engine="pandas", columns=columns, door_as_of=door_as_of, prepared=log,
                    first_last=(first, last))


class EventLog:
    """A validated event log: the canonical events and their data-quality report, made once by
    :func:`validate_events` and accepted by every analysis in place of the raw data, which then
    checks nothing again and gives the same result as on the raw data with the same column
    names and ``as_of``.

    The column names given at the door carry through: later calls need not repeat them, and
    a call that names other columns is refused. A log validated without ``as_of`` takes each
    call's own as-of date (events after it are left out and counted as usual); a log
    validated with one refuses a different one. Pickle and deepcopy keep everything (a log
    over files keeps the paths and reopens them, without checking again).

    Attributes
    ----------
    engine : str
        Where the rows are: "pandas", "duckdb", "polars" or "spark".
    columns : dict
        The door's ``customer_col``, ``time_col``, ``amount_col`` and ``order_col``.
    data_quality : DataQualityReport
        What the door found and did (also ``rk.data_quality(log)``).
    rows, customers : int
        Rows used and distinct customers.
    first_time, last_time, as_of : Timestamp
    """

    def __init__(self, *, engine: str, columns: dict, door_as_of=None, prepared: PreparedEvents | None = None,
                 engine_log=None, data=None, source=None, customers: int | None = None, first_last=None):
        self.engine = engine
        self.columns = dict(columns)
        self._door_as_of = door_as_of
        self._prepared_log = prepared
        self._engine = engine_log
        self._data = data
        self._src = source
        self._first_last = first_last
        self._customers = customers

    # -- what the log holds ----------------------------------------------------------------

    customer_col = property(lambda self: self.columns["customer_col"])
    time_col = property(lambda self: self.columns["time_col"])
    amount_col = property(lambda self: self.columns["amount_col"])
    order_col = property(lambda self: self.columns["order_col"])

    @property
    def data_quality(self) -> DataQualityReport:
        return (self._prepared_log or self._engine).report

    @property
    def as_of(self) -> pd.Timestamp:
        return (self._prepared_log or self._engine).as_of

    @property
    def first_time(self) -> pd.Timestamp:
        return self.data_quality.first_time

    @property
    def last_time(self) -> pd.Timestamp:
        return self.data_quality.last_time

    @property
    def rows(self) -> int:
        return self.data_quality.rows_used

    @property
    def customers(self) -> int:
        return self._customers if self._customers is not None else self.data_quality.customers

    def to_frame(self) -> pd.DataFrame:
        """The validated rows under the caller's column names (pandas logs): times as
        naive timestamps (UTC when they had a zone), amounts as floats."""
        if self._prepared_log is None:
            raise ParameterError(f"to_frame() needs a log validated from a pandas DataFrame; this one is in "
                                 f"{self.engine}: read the rows you need from the engine instead.")
        names = {CUSTOMER: self.customer_col, TIME: self.time_col, AMOUNT: self.amount_col}
        return self._prepared_log.frame.rename(columns={k: v for k, v in names.items() if v is not None})

    # -- what analyses call ----------------------------------------------------------------

    def _columns_for(self, *, customer_col, time_col, amount_col):
        """The door's names; a call's name other than the default and the door's is refused."""
        given = {"customer_col": customer_col, "time_col": time_col, "amount_col": amount_col}
        for arg, value in given.items():
            door = self.columns[arg]
            if value == _DEFAULTS[arg] or value == door:
                continue
            if door is None:
                raise ParameterError(
                    f"{arg}={value!r}, but the event log was validated without an amount column. Validate it "
                    f"with rk.validate_events(data, ..., {arg}={value!r}) to use it.")
            raise ParameterError(
                f"{arg}={value!r} conflicts with the event log, validated with {arg}={door!r}. Leave {arg} out "
                f"(the log carries its columns), or validate the data again with {arg}={value!r}.")
        return self.customer_col, self.time_col, self.amount_col

    def _check_as_of(self, as_of) -> None:
        if as_of is None or self._door_as_of is None:
            return
        if resolve_as_of(as_of, pd.NaT) != self._door_as_of:
            raise ParameterError(
                f"as_of={as_of!r} conflicts with the event log, validated as of {self._door_as_of:%Y-%m-%d %H:%M}: "
                "leave as_of out, or validate the data without as_of (each analysis then takes its own) or "
                f"with as_of={as_of!r}.")

    def _prepared(self, *, customer_col, time_col, amount_col, keep_cols, as_of) -> PreparedEvents:
        """The pandas log for one call (see :func:`prepare_events`)."""
        self._columns_for(customer_col=customer_col, time_col=time_col, amount_col=amount_col)
        self._check_as_of(as_of)
        if self._prepared_log is None:
            raise ParameterError(f"This function runs on pandas data; the event log is in {self.engine}. Load the "
                                 "rows you need into pandas and validate them with rk.validate_events.")
        stored = self._prepared_log
        names = {self.customer_col, self.time_col, self.amount_col}
        keep = [c for c in ([keep_cols] if isinstance(keep_cols, str) else list(keep_cols)) if c and c not in names]
        for c in keep:
            if c not in stored.frame.columns or c in (CUSTOMER, TIME, AMOUNT):
                carried = [str(x) for x in stored.frame.columns if x not in (CUSTOMER, TIME, AMOUNT)]
                raise DataError(missing_column_message(f"column {c!r}", c, carried, "the validated event log"))
        cols = [CUSTOMER, TIME] + ([AMOUNT] if AMOUNT in stored.frame and self.amount_col else []) + keep
        frame = pd.DataFrame({c: stored.frame[c] for c in dict.fromkeys(cols)}, copy=False)
        report = copy_report(stored.report)
        if as_of is not None and self._door_as_of is None:
            first, last = self._first_last
            log = door.cut_at_as_of(frame, report, as_of, self.time_col, stored.tz, first, last)
        else:
            log = PreparedEvents(frame=frame, as_of=stored.as_of, report=report, tz=stored.tz)
        return door.finish_log(log)

    def _engine_log(self, *, customer_col, time_col, amount_col, keep_cols, as_of, what="events"):
        """The engine log for one call (see :func:`retention_kit.engines.open_events`)."""
        from .engines import engine_view

        self._columns_for(customer_col=customer_col, time_col=time_col, amount_col=amount_col)
        self._check_as_of(as_of)
        if self._engine is None:
            raise ParameterError("This log is in pandas: the engine path does not apply.")
        return engine_view(self._engine, self._source(), keep_cols=keep_cols, as_of=as_of, time_col=self.time_col,
                     what=what)

    def _with_columns(self, columns: dict) -> "EventLog":
        """The same validated log with further columns aligned to its rows (cohort masks)."""
        stored = self._prepared_log
        frame = stored.frame.assign(**columns) if columns else stored.frame
        clone = EventLog(engine=self.engine, columns=self.columns, door_as_of=self._door_as_of,
                         prepared=PreparedEvents(frame=frame, as_of=stored.as_of, report=stored.report, tz=stored.tz),
                         customers=self._customers, first_last=self._first_last)
        return clone

    def _source(self):
        if self._src is None:  # after pickle or deepcopy: reopen the input (nothing is checked again)
            from .engines import open_source

            src = open_source(self._data, id_col=self.customer_col, time_col=self.time_col)
            src.id_expr(self.customer_col), src.time_expr(self.time_col)  # what the door's SELECT list reads
            self._src = src
        return self._src

    # -- round trips ---------------------------------------------------------------------------

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_src"] = None  # connections do not travel; the input is reopened on use
        data = state["_data"]
        if data is not None and (type(data).__module__ or "").startswith("duckdb"):
            raise TypeError("An EventLog over a DuckDB relation cannot be pickled or copied (the relation lives "
                            "in its connection). Validate a path to the files instead, or a pandas DataFrame.")
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    # -- display -------------------------------------------------------------------------------

    def _headline(self) -> str:
        span = ""
        if self.first_time is not None:
            span = f", {self.first_time:%Y-%m-%d} to {self.last_time:%Y-%m-%d}"
        customers = "?" if self.customers is None else f"{self.customers:,}"
        return (f"EventLog ({self.engine}): {self.rows:,} rows, {customers} customers{span}, "
                f"as of {self.as_of:%Y-%m-%d %H:%M}")

    def _column_note(self) -> str:
        named = ", ".join(f"{k}={v!r}" for k, v in self.columns.items() if v is not None)
        return f"Columns: {named}. Pass the log to any analysis; its columns carry through."

    def __repr__(self) -> str:
        report = repr(self.data_quality).splitlines()
        return "\n".join([self._headline(), "  " + self._column_note(), "  " + report[0], *report[1:]])

    def _repr_html_(self) -> str:
        from .results import render_html

        q = self.data_quality
        notes = [self._column_note(), f"Data quality: {q._headline()}."]
        if not q.checks:
            notes.append("No findings: every row was used as it is.")
        return render_html(self._headline(), q.summary if q.checks else None, notes)
