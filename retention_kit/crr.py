"""Customer retention rate (CRR) and the period metrics around it.

CRR = (E - N) / S, with S customers at the start of a period, N new customers during it
and E customers at its end. It answers "did the customer base hold up, net of what
acquisition added?", not "what share of the starting customers stayed". The
decomposition in :func:`crr_table` shows the difference:

    E - N = retained + reactivated - new_lost

where ``retained`` of the S starting customers are still customers at the end,
``reactivated`` lapsed customers came back, and ``new_lost`` of the N new customers had
already left by the end. Fixed-cohort retention ``retained / S`` lies in [0, 1]; CRR can
exceed 100 % when many lapsed customers return, and drop below 0 when many new customers
leave within the period. Churn rate is ``(S - retained) / S``, so churn + fixed-cohort
retention = 100 %, while churn + CRR need not.

Who counts as a customer at an instant t:

* transaction log: bought within the trailing activity window [t - W, t); by default W is
  the calendar period itself, so "customers at the end of March" are March's buyers;
* subscription table: a subscription with start < t < end (no end: still active). A
  subscription starting exactly at a period boundary is new in the period it opens; one
  ending exactly at a boundary was lost in the period it closes.

New customers are those whose first ever activity falls in the period. In the first
periods of a log, "first ever" means "first seen": customers who bought before the log
started look new (left-censoring), which the table's notes point out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

import numpy as np
import pandas as pd

from .errors import DataError, ParameterError
from .periods import Freq, parse_duration, parse_freq, period_codes, period_labels, period_starts
from .plotting import get_axes, label, percent_axis
from .results import DataQualityReport, Explanation, Result, format_percent, is_rate_column, render_html
from .engines import open_events, supports, unsupported
from .validation import EventLog, log_columns, observed_until

__all__ = ["crr", "crr_table", "CRRTable"]


def _count(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ParameterError(f"{name}={value!r} must be a number of customers.")
    if not np.isfinite(value) or value < 0:
        raise ParameterError(f"{name}={value!r} must be a count of customers, zero or more.")
    if float(value) != int(value):
        raise ParameterError(f"{name}={value!r} must be a whole number of customers.")
    return float(value)


def crr(start, end, new) -> float:
    """Customer retention rate, (E - N) / S, as a fraction (1.0 is 100 %).

    Parameters
    ----------
    start : int
        S, customers at the start of the period (must be positive).
    end : int
        E, customers at the end of the period.
    new : int
        N, customers acquired during the period (at most ``end``: every new customer still
        there at the end is part of E, and CRR's formula assumes N is counted within E).

    Returns
    -------
    float

    Raises
    ------
    ParameterError
        If S <= 0, a count is negative or fractional, or N > E.

    Examples
    --------
    The worked example: 100 customers at the start, 20 new, 120 at the end.

    >>> crr(start=100, end=120, new=20)
    1.0
    >>> crr(start=200, end=190, new=30)  # (190 - 30) / 200
    0.8
    """
    s, e, n = _count(start, "start"), _count(end, "end"), _count(new, "new")
    if s == 0:
        raise ParameterError(
            "start=0: CRR divides by the customers at the start of the period, so it is "
            "undefined for a business with no customers yet. Use a later period."
        )
    if n > e:
        raise ParameterError(
            f"new={new} is larger than end={end}: the customers at the end include those new "
            "customers who are still there. If some new customers left within the period, "
            "count only those still there in end, or use crr_table, which does the bookkeeping."
        )
    return (e - n) / s


@dataclass
class CRRTable(Result):
    """Customer retention rate and its decomposition for every complete period.

    Attributes
    ----------
    table : DataFrame
        One row per period (index: period label) with ``period_start``, ``period_end``,
        ``start`` (S), ``new`` (N), ``end`` (E), ``retained``, ``lost``, ``new_lost``,
        ``reactivated``, ``crr``, ``cohort_retention`` (retained / S), ``churn_rate`` and,
        for transaction logs, ``buyers`` and ``repeat_purchase_rate``; with an amount
        column, ``revenue``, ``net_revenue_retention`` and ``gross_revenue_retention``.
    freq, kind, activity_window, as_of, notes, data_quality
        How the table was made and what to keep in mind reading it.
    """

    table: pd.DataFrame
    freq: Freq
    kind: str
    activity_window: pd.Timedelta | None
    as_of: pd.Timestamp
    notes: list[str] = field(default_factory=list)
    data_quality: DataQualityReport | None = None

    @property
    def summary(self) -> pd.DataFrame:
        """The table (one row per complete period)."""
        return self.table

    @property
    def title(self) -> str:
        return f"Customer retention rate per {self.freq.name} ({self.kind}), as of {self.as_of:%Y-%m-%d}"

    def __repr__(self) -> str:
        cols = ["start", "new", "end", "retained", "reactivated", "new_lost", "crr", "churn_rate"]
        return (f"CRRTable({self.kind}, per {self.freq.name}, as of {self.as_of:%Y-%m-%d})\n"
                + self.table[cols].to_string(float_format=lambda v: f"{v:.3f}"))

    def _shown_columns(self) -> tuple[list[str], list[str]]:
        """The columns the HTML table shows, and those it leaves out because they repeat
        others here: ``buyers`` equals E and ``new_lost`` is 0 when a customer is someone who
        bought within the period (the default). Both stay in :attr:`table`."""
        t = self.table
        hidden = ["period_start", "period_end"]
        if "buyers" in t and t["buyers"].equals(t["end"]):
            hidden.append("buyers")
        if "new_lost" in t and (t["new_lost"] == 0).all():
            hidden.append("new_lost")
        return [c for c in t.columns if c not in hidden], [c for c in hidden if c in ("buyers", "new_lost")]

    def _repr_html_(self) -> str:
        cols, repeated = self._shown_columns()
        shown = self.table[cols]
        styler = shown.style.format({c: (format_percent if is_rate_column(c) else "{:,.0f}") for c in cols}, na_rep="–")
        # Column names keep their spelling (as in .table) but may wrap at the underscores, so
        # the table fits a laptop screen.
        styler = styler.format_index(lambda c: escape(str(c)).replace("_", "_<wbr>"), axis=1, escape=None)
        styler = styler.set_table_styles([
            {"selector": "th.col_heading", "props": "max-width: 7.5em; white-space: normal; vertical-align: bottom;"},
            {"selector": "td, th.row_heading", "props": "white-space: nowrap;"}])
        notes = list(self.notes)
        if repeated:
            why = {"buyers": "buyers equals end (E)", "new_lost": "new_lost is 0 in every period"}
            notes.append(f"Not shown as they say nothing new here: {'; '.join(why[c] for c in repeated)} "
                         f"({'as a customer is someone who bought within the period; ' if self.kind == 'transactions' and self.activity_window is None else ''}"
                         f"{'both are' if len(repeated) == 2 else 'it is'} in .table).")
        return render_html(self.title, None, notes, styler=styler)


    def explain(self, period=None) -> str:
        """A few sentences on one period (default: the last complete one), with the numbers.

        Examples
        --------
        >>> log = pd.DataFrame({"customer_id": ["a", "b", "a", "c"],
        ...     "date": pd.to_datetime(["2024-01-05", "2024-01-09", "2024-02-03", "2024-02-20"])})
        >>> print(crr_table(log, freq="M", as_of="2024-02-29").explain())  # doctest: +NORMALIZE_WHITESPACE
        In 2024-02 the business started with 2 customers (S), gained 1 new (N) and ended with 2
        (E): CRR = (E - N) / S = (2 - 1) / 2 = 50.0%. Of the 2 at the start, 1 (50.0%) were
        still customers at the end, so churn was 50.0%; 0 of the new customers had already
        lapsed and 0 lapsed customers came back. A customer here is someone who bought within
        the period.
        """
        t = self.table.dropna(subset=["crr"])
        if t.empty:
            return Explanation("No period has customers at its start yet, so CRR is undefined everywhere: "
                               "the log needs at least two complete periods.")
        row = t.iloc[-1] if period is None else t.loc[pd.Period(period, freq=self.freq.pandas_freq)]
        name = str(row.name)
        who = ("someone who bought within the period" if self.kind == "transactions" and self.activity_window is None
               else f"someone who bought within the previous {self.activity_window.days} days"
               if self.kind == "transactions" else "someone with an active subscription")
        text = (
            f"In {name} the business started with {row['start']:,.0f} customers (S), gained "
            f"{row['new']:,.0f} new (N) and ended with {row['end']:,.0f} (E): CRR = (E - N) / S = "
            f"({row['end']:,.0f} - {row['new']:,.0f}) / {row['start']:,.0f} = {row['crr']:.1%}. "
            f"Of the {row['start']:,.0f} at the start, {row['retained']:,.0f} ({row['cohort_retention']:.1%}) "
            f"were still customers at the end, so churn was {row['churn_rate']:.1%}; "
            f"{row['new_lost']:,.0f} of the new customers had already lapsed and "
            f"{row['reactivated']:,.0f} lapsed customers came back. A customer here is {who}."
        )
        if row["crr"] > 1:
            text += (" CRR is above 100 % because returning customers outnumber those lost: it is "
                     "a net measure, not the share of customers kept.")
        if len(t) > 1:
            text += (f" Across {len(t)} periods CRR ranged from {t['crr'].min():.1%} to "
                     f"{t['crr'].max():.1%} (median {t['crr'].median():.1%}).")
        left_out = [n for n in self.notes if "is not over" in n]
        if left_out:
            text += " " + left_out[0]
        return Explanation(text)

    def plot(self, ax=None, **kwargs):
        """CRR, fixed-cohort retention and churn rate per period. Returns the Axes.

        ``kwargs`` go to the CRR line (``Axes.plot``), e.g. ``color=`` or ``label=``."""
        from .plotting import headroom, index_ticks, legend_outside, short_period_labels

        ax = get_axes(ax)
        x = np.arange(len(self.table))
        from matplotlib.lines import Line2D

        from .plotting import artist_kwargs

        ax.plot(x, self.table["crr"], **artist_kwargs(kwargs, Line2D, marker="o", label="CRR = (E - N) / S"))
        ax.plot(x, self.table["cohort_retention"], marker="s", label="kept of S (retained / S)")
        ax.plot(x, self.table["churn_rate"], marker="^", label="churn rate (lost / S)")
        ax.axhline(1.0, color="grey", lw=0.8, ls=":", label="100 %")
        index_ticks(ax, short_period_labels(self.table.index), axis="x", rotation=30, ha="right")
        ax.set_xlim(-0.5, max(len(x) - 0.5, 0.5))
        ax.set_ylim(0, 1.0)
        headroom(ax, top=max(1.0, float(np.nanmax(self.table[["crr", "cohort_retention", "churn_rate"]]
                                                  .to_numpy(dtype=float), initial=0.0))), margin=0.06)
        percent_axis(ax)
        legend_outside(ax)
        return label(ax, title=f"Customer retention per {self.freq.name}",
                     xlabel=f"{self.freq.name} (start)", ylabel="share of customers at the start")

    def plot_decomposition(self, ax=None, **kwargs):
        """Where the customers at the end came from, against those at the start.

        ``kwargs`` go to each of the three stacked bar sets (``Axes.bar``), e.g. ``alpha=``
        or ``edgecolor=`` (a ``color=`` or ``label=`` applies to all three). Returns the Axes."""
        from matplotlib.patches import Rectangle

        from .plotting import artist_kwargs

        ax = get_axes(ax)
        t = self.table
        x = np.arange(len(t))
        parts = [("retained", "kept from the start"), ("new_active", "new, still there"),
                 ("reactivated", "came back")]
        bottom = np.zeros(len(t))
        for col, text in parts:
            values = (t["new"] - t["new_lost"]).to_numpy() if col == "new_active" else t[col].to_numpy()
            ax.bar(x, values, bottom=bottom, **artist_kwargs(kwargs, Rectangle, label=text))
            bottom += values
        ax.plot(x, t["start"], color="black", marker="o", label="customers at the start (S)")
        from .plotting import headroom, index_ticks, legend_outside, short_period_labels

        index_ticks(ax, short_period_labels(t.index), axis="x", rotation=45, ha="right")
        ax.set_xlim(-0.6, max(len(x) - 0.4, 0.6))
        ax.set_ylim(bottom=0)
        headroom(ax, bottom=0, margin=0.08)
        legend_outside(ax)
        return label(ax, title="Customers at the end of each period (E), by origin",
                     xlabel=self.freq.name, ylabel="customers")


def _window_starts(boundaries: pd.DatetimeIndex, window: pd.Timedelta | None) -> np.ndarray:
    """Start of the trailing window that defines "customer at boundary j"."""
    b = boundaries.values
    if window is None:
        prev = np.empty_like(b)
        prev[1:] = b[:-1]
        prev[0] = b[0]  # nothing is observed before the first period
        return prev
    return (boundaries - window).values


def _decompose(active: np.ndarray, first_period: np.ndarray, n_periods: int) -> dict[str, np.ndarray]:
    """Counts per period k from ``active[j, c]`` (customer c is a customer at boundary j,
    boundary k opening period k) and each customer's first period."""
    out = {k: np.zeros(n_periods, dtype=np.int64) for k in
           ("start", "new", "end", "retained", "new_lost", "reactivated")}
    for k in range(n_periods):
        s, e = active[k], active[k + 1]
        new = first_period == k
        out["start"][k] = s.sum()
        out["end"][k] = e.sum()
        out["new"][k] = new.sum()
        out["retained"][k] = (s & e).sum()
        out["new_lost"][k] = (new & ~e).sum()
        out["reactivated"][k] = (e & ~s & ~new).sum()
    return out


def crr_table(
    data: pd.DataFrame,
    freq: str = "M",
    *,
    kind: str = "transactions",
    customer_col: str = "customer_id",
    time_col: str = "date",
    amount_col: str | None = None,
    start_col: str = "start",
    end_col: str = "end",
    activity_window=None,
    as_of=None,
) -> CRRTable:
    """S, N, E, CRR, churn and their decomposition for every complete period.

    Parameters
    ----------
    data : DataFrame, path, DuckDB relation, Polars or PySpark DataFrame
        A transaction log (one row per purchase) or a subscription table (one row per
        subscription, with start and end; a missing end means still active). Transaction
        logs may also be files (read by DuckDB), DuckDB relations, Polars or Spark
        DataFrames: the counts are then made in that engine, with the default
        ``activity_window`` (see :mod:`retention_kit.engines`).
    freq : {"W", "M", "Q", "Y"} or a name such as "month"
        Calendar period.
    kind : {"transactions", "subscriptions"}
        What ``data`` is.
    customer_col, time_col, amount_col : str
        Columns of a transaction log. With ``amount_col``, revenue retention is added.
    start_col, end_col : str
        Columns of a subscription table.
    activity_window : int, str or Timedelta, optional
        Transaction logs only: a customer at instant t is someone who bought within
        [t - window, t). Default: the calendar period itself (customers at the end of
        March are March's buyers). A window longer than the period (e.g. ``"90D"`` with
        monthly periods) counts occasional buyers as customers between purchases; revenue
        retention then uses the same window (see Notes).
    as_of : date-like, optional
        End of observation; defaults to the last date in the data. Periods that end after
        the as-of day are incomplete and left out (the notes say so).

    Returns
    -------
    CRRTable

    Notes
    -----
    Net revenue retention of period k follows the customers at its start over the same
    trailing window that made them customers: their revenue within the window before the
    period's end, divided by their revenue within the window before its start. With the
    default window (the period) that is their revenue in period k over their revenue in
    period k - 1. With a longer ``activity_window`` the base is their revenue over that
    window, not over the previous period alone: otherwise a customer counted at the start
    who happened to buy nothing last period is missing from the base, and two perfectly
    steady customers can show 0 % one month and 200 % the next. Gross revenue retention
    caps each customer's revenue at their base revenue, so it ignores expansion and lies
    in [0, 1]. The repeat-purchase rate is the share of the period's buyers with two or
    more purchases in it.

    Examples
    --------
    Customer a buys in January and February, b only in January, c is new in February:

    >>> log = pd.DataFrame({"customer_id": ["a", "b", "a", "c"],
    ...     "date": pd.to_datetime(["2024-01-05", "2024-01-09", "2024-02-03", "2024-02-20"])})
    >>> t = crr_table(log, freq="M", as_of="2024-02-29")
    >>> t.table[["start", "new", "end", "retained", "crr", "churn_rate"]]
             start  new  end  retained  crr  churn_rate
    period
    2024-01      0    2    2         0  NaN         NaN
    2024-02      2    1    2         1  0.5         0.5
    """
    f = parse_freq(freq)
    if kind not in ("transactions", "subscriptions"):
        raise ParameterError(f"kind={kind!r}: use 'transactions' or 'subscriptions'.")
    if isinstance(data, EventLog) and kind != "transactions":
        raise ParameterError("An EventLog holds transactions: pass the subscription table itself with "
                             "kind='subscriptions'.")
    customer_col, time_col, amount_col = log_columns(data, customer_col, time_col, amount_col)
    window = None if activity_window is None else parse_duration(activity_window, name="activity_window")
    source = _open_crr_input(data, kind, window, activity_window, customer_col=customer_col, time_col=time_col,
                             amount_col=amount_col, start_col=start_col, end_col=end_col, as_of=as_of)
    codes, boundaries, notes = _complete_periods(f, source.first_time, source.as_of)
    n_periods = len(boundaries) - 1
    with_revenue = amount_col is not None

    if source.engine is not None:
        counts, metrics = _engine_counts(source.engine, f, int(codes[0]), n_periods, with_revenue)
    else:
        active = _active_matrix(source, boundaries, n_periods, window)
        first_period = np.searchsorted(boundaries.values, source.first_time, side="right") - 1
        counts = _decompose(active, first_period, n_periods)
    table = _crr_frame(counts, period_labels(codes[:n_periods], f), boundaries)
    if source.engine is not None:
        for name, values in metrics.items():
            table[name] = values
    elif source.intervals is None:
        _add_purchase_metrics(table, source.frame, source.cust_code, source.times, boundaries, active,
                              with_revenue, window)
    notes += _crr_notes(table, f)
    return CRRTable(table=table, freq=f, kind=kind, activity_window=window, as_of=source.as_of,
                    notes=notes, data_quality=source.report)


@dataclass
class _CRRInput:
    """What crr_table reads: a transaction log, a subscription table or an engine's log."""

    report: DataQualityReport
    as_of: pd.Timestamp
    first_time: np.ndarray  # each customer's first activity (engine: the log's first time)
    engine: object | None = None  # the engine's log: it makes the counts
    frame: pd.DataFrame | None = None
    cust_code: np.ndarray | None = None  # per row of frame
    n_customers: int = 0
    times: np.ndarray | None = None  # transactions: event times
    intervals: tuple | None = None  # subscriptions: (start, end) per row


def _open_crr_input(data, kind: str, window, activity_window, *, customer_col, time_col, amount_col, start_col,
                    end_col, as_of) -> _CRRInput:
    """Transaction logs with the default window: the engine's log (every engine, pandas
    included), which makes the counts. Subscription tables and trailing windows: pandas."""
    scope = "transaction logs with the default activity window (the calendar period), as_of and amount_col"
    for option, value, default in (("kind", kind, "transactions"), ("activity_window", window, None)):
        if value != default and not supports(data, option):
            unsupported("crr_table", option, activity_window if option == "activity_window" else value, scope)
    if kind == "transactions":
        log = open_events(data, customer_col=customer_col, time_col=time_col, amount_col=amount_col, as_of=as_of)
        if window is None:
            return _CRRInput(report=log.report, as_of=log.as_of, engine=log,
                             first_time=np.array([log.first_time.to_datetime64()], dtype="datetime64[ns]"))
        frame = log.frame
        cust_code, customers = pd.factorize(frame["customer_id"], sort=False)
        times = frame["date"].to_numpy()
        return _CRRInput(report=log.report, as_of=log.as_of,
                         first_time=pd.Series(times).groupby(cust_code).min().to_numpy(), frame=frame,
                         cust_code=cust_code, n_customers=len(customers), times=times)
    if amount_col is not None:
        raise ParameterError("amount_col is for transaction logs; subscription tables have no revenue here.")
    if window is not None:
        raise ParameterError("activity_window is for transaction logs; subscriptions say themselves when they end.")
    frame, report, as_of_ts = _prepare_subscriptions(data, customer_col, start_col, end_col, as_of)
    cust_code, customers = pd.factorize(frame["customer_id"], sort=False)
    return _CRRInput(report=report, as_of=as_of_ts,
                     first_time=pd.Series(frame["start"].to_numpy()).groupby(cust_code).min().to_numpy(),
                     frame=frame, cust_code=cust_code, n_customers=len(customers),
                     intervals=(frame["start"].to_numpy(), frame["end"].to_numpy()))


def _complete_periods(f: Freq, first_time: np.ndarray, as_of_ts: pd.Timestamp):
    """(period codes from the first activity on, boundaries of the complete periods -- one more
    than periods --, notes): a period not over on the as-of day is left out, with a note."""
    first_code = int(period_codes(first_time.min().reshape(1), f)[0])
    last_code = int(period_codes(np.array([as_of_ts], dtype="datetime64[ns]"), f)[0])
    codes = np.arange(first_code, last_code + 2)  # boundaries: one past the last period
    boundaries = period_starts(codes, f)
    complete = boundaries[1:] <= observed_until(as_of_ts)
    n_periods = int(complete.sum())
    if n_periods == 0:
        raise DataError(
            f"No complete {f.name} between the first date ({pd.Timestamp(first_time.min()):%Y-%m-%d}) "
            f"and the as-of date ({as_of_ts:%Y-%m-%d}). Use a shorter period (freq='W' or 'D') "
            "or a later as_of."
        )
    notes = []
    if n_periods < len(complete):
        notes.append(f"The {f.name} {period_labels(codes[n_periods:n_periods + 1], f)[0]} is not over "
                     f"on the as-of date ({as_of_ts:%Y-%m-%d}) and is left out.")
    return codes, boundaries[: n_periods + 1], notes


def _active_matrix(source: _CRRInput, boundaries: pd.DatetimeIndex, n_periods: int, window) -> np.ndarray:
    """``active[j, c]``: customer c is a customer at boundary j (boundary k opens period k)."""
    active = np.zeros((n_periods + 1, source.n_customers), dtype=bool)
    if source.intervals is None:
        order = np.argsort(source.times, kind="stable")
        t_sorted, c_sorted = source.times[order], source.cust_code[order]
        starts = _window_starts(boundaries, window)
        lo = np.searchsorted(t_sorted, starts, side="left")
        hi = np.searchsorted(t_sorted, boundaries.values, side="left")
        for j in range(1, n_periods + 1):
            active[j, c_sorted[lo[j]:hi[j]]] = True
        if window is not None:
            active[0, c_sorted[lo[0]:hi[0]]] = True
    else:
        start, end = source.intervals
        for j, b in enumerate(boundaries.values):
            alive = (start < b) & (np.isnat(end) | (end > b))
            active[j, source.cust_code[alive]] = True
    return active


def _crr_frame(counts: dict, labels, boundaries: pd.DatetimeIndex) -> pd.DataFrame:
    """The table from the decomposition: boundaries, counts, lost and the rates over S."""
    table = pd.DataFrame(counts, index=pd.Index(labels, name="period"))
    table.insert(0, "period_end", boundaries[1:])
    table.insert(0, "period_start", boundaries[:-1])
    s = table["start"].where(table["start"] > 0)
    table["lost"] = table["start"] - table["retained"]
    table["crr"] = (table["end"] - table["new"]) / s
    table["cohort_retention"] = table["retained"] / s
    table["churn_rate"] = table["lost"] / s
    return table


def _crr_notes(table: pd.DataFrame, f: Freq) -> list[str]:
    """What to keep in mind reading the table: an undefined first CRR, left-censoring, CRR > 100 %."""
    notes = []
    if table["start"].iloc[0] == 0:
        notes.append(f"The first {f.name} has no customers at its start (nothing is observed before "
                     "the log), so its CRR is undefined.")
    notes.append("In the first periods, 'new' means first seen in this log: customers who bought before "
                 "the log started look new (left-censoring).")
    if (table["crr"] > 1).any():
        notes.append("CRR above 100 % means returning customers outnumber those lost; cohort_retention "
                     "(retained / S) is the share of the starting customers kept.")
    return notes


def _engine_counts(log, f: Freq, first_code: int, n_periods: int, with_revenue: bool):
    """The decomposition and purchase metrics from an engine's per-period counts (every
    engine, see :meth:`~.engines.EventReductions.crr_counts`). With the
    default window a customer at the start of period k bought in period k - 1 and one at
    its end bought in k, so: start = buyers of k - 1, end = buyers of k, retained = buyers
    of both, new_lost = 0 (a new customer bought in k) and reactivated = end - retained - new."""
    per = log.crr_counts(f.code, revenue=with_revenue)
    log.report.customers = int(per["new"].sum())
    per = per.reindex(range(first_code, first_code + n_periods))
    column = lambda name: per[name].fillna(0).to_numpy(float)  # noqa: E731
    buyers, retained, new = (column(c).astype(np.int64) for c in ("buyers", "retained", "new"))
    counts = {"start": np.r_[0, buyers[:-1]].astype(np.int64), "new": new, "end": buyers, "retained": retained,
              "new_lost": np.zeros(n_periods, np.int64), "reactivated": buyers - retained - new}
    metrics = {"buyers": buyers,
               "repeat_purchase_rate": column("repeaters").astype(np.int64) / np.where(buyers > 0, buyers, np.nan)}
    if with_revenue:
        revenue, before = column("revenue"), column("start_revenue")
        with np.errstate(divide="ignore", invalid="ignore"):
            nrr = np.where(before > 0, column("kept_revenue") / before, np.nan)
            grr = np.where(before > 0, column("kept_capped") / before, np.nan)
        metrics.update(revenue=revenue, net_revenue_retention=nrr, gross_revenue_retention=grr)
    return counts, metrics


def _add_purchase_metrics(table, frame, cust_code, times, boundaries, active, with_revenue, window=None):
    """Buyers, repeat-purchase rate and (with amounts) revenue retention per period.

    Revenue retention compares the same customers (those at the start of period k) over
    the same trailing window that made them customers: their revenue in [t - W, t) at the
    period's end against the same at its start. With the default window (the period) that
    is period k against period k - 1.
    """
    n_periods = len(table)
    period = np.searchsorted(boundaries.values, times, side="right") - 1
    inside = (period >= 0) & (period < n_periods)
    pairs = pd.DataFrame({"c": cust_code[inside], "p": period[inside]})
    if with_revenue:
        pairs["amount"] = frame["amount"].to_numpy()[inside]
    per = pairs.groupby(["p", "c"], sort=True).agg(
        purchases=("c", "size"), **({"revenue": ("amount", "sum")} if with_revenue else {}))
    by_period = per.groupby(level="p")
    buyers = by_period.size().reindex(range(n_periods), fill_value=0).to_numpy()
    repeaters = by_period["purchases"].apply(lambda x: (x >= 2).sum()).reindex(range(n_periods), fill_value=0)
    table["buyers"] = buyers
    table["repeat_purchase_rate"] = repeaters.to_numpy() / np.where(buyers > 0, buyers, np.nan)
    if not with_revenue:
        return
    revenue = per["revenue"]
    table["revenue"] = revenue.groupby(level="p").sum().reindex(range(n_periods), fill_value=0.0).to_numpy()
    nrr, grr = np.full(n_periods, np.nan), np.full(n_periods, np.nan)
    n_customers = active.shape[1]
    if window is not None:
        # A customer at boundary j bought within [b_j - W, b_j): their revenue over that same
        # window is the base, so nobody counted at the start is missing from it.
        order = np.argsort(times, kind="stable")
        t_sorted, c_sorted = times[order], cust_code[order]
        amount = frame["amount"].to_numpy(float)[order]
        ends = boundaries.values
        lo = np.searchsorted(t_sorted, (boundaries - window).values, side="left")
        hi = np.searchsorted(t_sorted, ends, side="left")
        trailing = lambda j: np.bincount(c_sorted[lo[j]:hi[j]], weights=amount[lo[j]:hi[j]],  # noqa: E731
                                         minlength=n_customers)
        for k in range(n_periods):
            starters = active[k]
            before, now = trailing(k)[starters], trailing(k + 1)[starters]
            base = before.sum()
            if base > 0:
                nrr[k] = now.sum() / base
                grr[k] = np.minimum(now, before).sum() / base
        table["net_revenue_retention"] = nrr
        table["gross_revenue_retention"] = grr
        return
    for k in range(1, n_periods):
        starters = active[k]
        now = np.zeros(n_customers)
        before = np.zeros(n_customers)
        if k in revenue.index.get_level_values("p"):
            r = revenue.loc[k]
            now[r.index.to_numpy()] = r.to_numpy()
        r = revenue.loc[k - 1] if (k - 1) in revenue.index.get_level_values("p") else None
        if r is not None:
            before[r.index.to_numpy()] = r.to_numpy()
        base = before[starters].sum()
        if base > 0:
            nrr[k] = now[starters].sum() / base
            grr[k] = np.minimum(now[starters], before[starters]).sum() / base
    table["net_revenue_retention"] = nrr
    table["gross_revenue_retention"] = grr


def _prepare_subscriptions(data, customer_col, start_col, end_col, as_of):
    """Validate a subscription table (one row per subscription, end missing = active) through the
    kit's one subscription validator, :func:`retention_kit.checks.validate_subscriptions`: the
    checks and words of ``subscription_lifetimes``; a customer may hold several subscriptions."""
    from .checks import validate_subscriptions

    return validate_subscriptions(data, customer_col=customer_col, start_col=start_col, end_col=end_col,
                                  as_of=as_of)
