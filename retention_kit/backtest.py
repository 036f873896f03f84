"""Backtests: how much does a result move when it is recomputed at earlier as-of dates, and
how often does a churn threshold call the wrong customers churned?

Every number the kit gives is "as of" a date. :func:`backtest` reruns an analysis at earlier
as-of dates, each time with only the data up to that date, and tabulates its headline
numbers, so a reader sees how far a retention rate, a curve or an experiment's effect was
revised as data came in. :func:`churn_threshold_backtest` judges candidate values of
``churn_after`` the same way: classify every customer with the data before a cut, then
look at what they did next. A customer called churned who buys again is *false churn*; a
customer called active who stays silent is *missed churn*. Varying ``churn_after`` and
watching the curves (the usual sensitivity check) cannot show either error, because it
never looks past the as-of date.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import DataError, ParameterError
from .periods import parse_duration
from .plotting import get_axes, label, percent_axis
from .results import Result, explains, render_html
from .validation import CUSTOMER, TIME, EventLog, log_columns, observed_until, prepare_events

__all__ = ["backtest", "Backtest", "churn_threshold_backtest", "ThresholdBacktest"]

_DAY = pd.Timedelta(days=1)


# --------------------------------------------------------------------------------------
# Recompute a result at earlier as-of dates
# --------------------------------------------------------------------------------------

def _flatten(obj, what: str) -> dict:
    """The numbers of a result as {name: value}: a number, a dict, a Series (index joined as
    the name), a DataFrame or anything with a ``.summary`` DataFrame (``column[row]``)."""
    if isinstance(obj, (bool, np.bool_)):
        return {"value": float(obj)}
    if isinstance(obj, numbers.Number):
        return {"value": float(obj)}
    if isinstance(obj, dict):
        return {str(k): v for k, v in obj.items() if _is_number(v)}
    if isinstance(obj, pd.Series):
        return {_key(k): v for k, v in obj.items() if _is_number(v)}
    frame = obj if isinstance(obj, pd.DataFrame) else getattr(obj, "summary", None)
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(
            f"{what} returned a {type(obj).__name__}, which has no numbers to tabulate: return a number, "
            "a dict, a Series, a DataFrame or a result with .summary, or pass metrics=callable.")
    out = {}
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    labels = [c for c in frame.columns if c not in numeric]
    for i, (idx, row) in enumerate(frame.iterrows()):
        if not isinstance(frame.index, pd.RangeIndex):
            row_name = _key(idx)
        elif labels:
            row_name = ", ".join(str(row[c]) for c in labels)
        else:
            row_name = str(i)
        for col in numeric:
            if _is_number(row[col]):
                out[f"{col}[{row_name}]"] = row[col]
    return out


def _is_number(v) -> bool:
    return isinstance(v, (numbers.Number, np.number)) and not isinstance(v, (bool, np.bool_))


def _key(k) -> str:
    return ", ".join(map(str, k)) if isinstance(k, tuple) else str(k)


@dataclass
class Backtest(Result):
    """An analysis recomputed at several as-of dates, each with only the data up to it.

    Attributes
    ----------
    table : DataFrame
        Long form: ``as_of``, ``metric``, ``value``.
    events_used : Series
        Events available at each as-of date.
    """

    table: pd.DataFrame
    events_used: pd.Series
    name: str = "analysis"

    @property
    def summary(self) -> pd.DataFrame:
        """One row per as-of date, one column per metric (NaN where a metric did not exist yet)."""
        order = list(dict.fromkeys(self.table["metric"]))
        wide = self.table.pivot(index="as_of", columns="metric", values="value")
        return wide.reindex(columns=order)

    @property
    def movement(self) -> pd.DataFrame:
        """Per metric: its value at the first as-of date where it exists, at the last one
        (the reference: the most data), the change between them and the largest distance
        from the last value at any earlier date."""
        wide = self.summary
        rows = []
        for col in wide.columns:
            s = wide[col].dropna()
            if s.empty:
                continue
            final = float(s.iloc[-1])
            rows.append({"metric": col, "first_as_of": s.index[0], "first": float(s.iloc[0]),
                         "last": final, "change": final - float(s.iloc[0]),
                         "max_abs_deviation": float((s - final).abs().max()), "dates": int(len(s))})
        return pd.DataFrame(rows, columns=["metric", "first_as_of", "first", "last", "change",
                                           "max_abs_deviation", "dates"])

    @explains
    def explain(self) -> str:
        dates = self.summary.index
        move = self.movement
        parts = [f"{self.name} recomputed at {len(dates)} as-of dates from {dates[0]:%Y-%m-%d} to "
                 f"{dates[-1]:%Y-%m-%d}, each time with only the data up to that date "
                 f"({int(self.events_used.iloc[0]):,} to {int(self.events_used.iloc[-1]):,} events)."]
        if len(move):
            worst = move.loc[move["max_abs_deviation"].idxmax()]
            parts.append(f"The number that moved most is {worst['metric']}: {worst['first']:.4g} as of "
                         f"{worst['first_as_of']:%Y-%m-%d}, {worst['last']:.4g} as of {dates[-1]:%Y-%m-%d} "
                         f"(at most {worst['max_abs_deviation']:.4g} away from its last value).")
        parts.append("A number that is still moving at the latest dates is not settled: report it "
                     "with that caveat, or wait for more data.")
        return " ".join(parts)

    def plot(self, ax=None, *, metrics=None, **kwargs):
        """Each metric (or the chosen ``metrics``) against the as-of date (returns the Axes).

        ``kwargs`` go to each metric's line (``Axes.plot``), e.g. ``lw=`` or, with one
        metric, ``color=`` / ``label=``."""
        from matplotlib.lines import Line2D

        from .plotting import artist_kwargs

        ax = get_axes(ax)
        wide = self.summary
        cols = list(wide.columns) if metrics is None else [metrics] if isinstance(metrics, str) else list(metrics)
        missing = [c for c in cols if c not in wide.columns]
        if missing:
            raise ParameterError(f"metrics {missing} are not in the backtest; it has {list(wide.columns)}.")
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        from .plotting import headroom, legend_outside

        for col in cols:
            ax.plot(wide.index, wide[col], **artist_kwargs(kwargs, Line2D, marker="o", label=col))
        if isinstance(wide.index, pd.DatetimeIndex):
            locator = AutoDateLocator(maxticks=8)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        values = wide[cols].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        shares = bool(values.size) and values.min() >= 0 and values.max() <= 1 and (values != np.round(values)).any()
        if shares:  # every number is a share: draw it on a % axis from 0
            ax.set_ylim(0, min(1.0, float(values.max()) * 1.1) if values.max() > 0 else 1.0)
            headroom(ax, margin=0.05)
            percent_axis(ax)
        if len(cols) > 1:
            legend_outside(ax)
        return label(ax, title=f"{self.name} recomputed at earlier as-of dates", xlabel="as of",
                     ylabel="share (%)" if shares else "value")

    def __repr__(self) -> str:
        return f"Backtest({self.name})\n" + self.summary.to_string()

    @property
    def title(self) -> str:
        return f"Backtest: {self.name}"

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, [self.explain()])


def backtest(func, events: pd.DataFrame, as_of_dates, *, time_col: str = "date", metrics=None,
             name: str | None = None, **kwargs) -> Backtest:
    """Rerun an analysis at earlier as-of dates, each time with only the data up to that
    date, and tabulate its headline numbers.

    Parameters
    ----------
    func : callable
        ``func(events_up_to_date, as_of=date, **kwargs)``: any kit analysis taking the log
        and ``as_of`` (``rk.crr_table``, ``rk.cohort_table``, or a small function of your
        own, e.g. ``lambda ev, as_of: rk.compare_retention(assignments, ev, churn_after="30D", as_of=as_of)``).
    events : DataFrame or EventLog
        The full event log; each run sees only the rows up to its as-of date (a date
        without a time means through the end of that day, as everywhere in the kit). An
        :class:`~retention_kit.EventLog` (validated without ``as_of``) is passed whole to
        ``func`` with each ``as_of``, so it is not checked again.
    as_of_dates : sequence of date-like
        The as-of dates, in any order (they are sorted).
    time_col : str
        The time column of ``events``.
    metrics : list of str or callable, optional
        What to tabulate. By default every number of the result: a number, a dict, a
        Series, a DataFrame or a result's ``.summary`` (named ``column[row]``). A list keeps
        those columns of the summary (e.g. ``["diff", "ci_lower", "ci_upper"]``); a
        callable maps the result to a dict of numbers.
    name : str, optional
        What the analysis is called in the explanation (default: the function's name).
    **kwargs
        Passed to ``func`` at every date.

    Returns
    -------
    Backtest
        ``.summary`` (as-of dates x metrics), ``.movement``, ``.explain()``, ``.plot()``.

    Examples
    --------
    Two customers; the share who bought again after their first day, as known at each date:

    >>> log = pd.DataFrame({"customer_id": ["a", "a", "b", "b"],
    ...                     "date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-02", "2024-02-01"])})
    >>> def repeat_share(ev, as_of):
    ...     return ev.groupby("customer_id")["date"].nunique().gt(1).mean()
    >>> bt = backtest(repeat_share, log, ["2024-01-03", "2024-01-10", "2024-02-01"])
    >>> bt.summary["value"].tolist()
    [0.0, 0.5, 1.0]
    """
    if not callable(func):
        raise ParameterError(f"func must be a function of (events, as_of=..., **kwargs); got {type(func).__name__}.")
    log_in = isinstance(events, EventLog) and events.engine == "pandas"  # each run cuts it, unchecked
    if not isinstance(events, pd.DataFrame) and not log_in:
        raise DataError(f"backtest needs the event log as a pandas DataFrame (got {type(events).__name__}): "
                        "each run cuts it at its as-of date.")
    if log_in:
        _, time_col, _ = log_columns(events, time_col=time_col)
    elif time_col not in events.columns:
        raise DataError(f"Column {time_col!r} (time_col) not found in events; columns are {list(events.columns)}.")
    try:
        dates = sorted({pd.Timestamp(d) for d in np.atleast_1d(np.asarray(as_of_dates, dtype=object))})
    except (ValueError, TypeError):
        raise ParameterError(f"as_of_dates={as_of_dates!r} must be dates such as '2024-06-30'.") from None
    if not dates:
        raise ParameterError("as_of_dates is empty: give at least one date.")
    times = events.to_frame()[time_col] if log_in else pd.to_datetime(events[time_col])
    if isinstance(metrics, str):
        metrics = [metrics]
    what = name or getattr(func, "__name__", "analysis")
    rows, used = [], {}
    for d in dates:
        cutoff = observed_until(d) if d == d.normalize() else d
        keep = (times < cutoff) if d == d.normalize() else (times <= cutoff)
        if not keep.any():
            raise DataError(f"No events up to as-of {d:%Y-%m-%d %H:%M}: the data start on "
                            f"{times.min():%Y-%m-%d}. Choose later as-of dates.")
        result = func(events if log_in else events[keep.to_numpy()], as_of=d, **kwargs)
        if callable(metrics):
            values = metrics(result)
            if not isinstance(values, dict):
                raise ParameterError(f"metrics returned a {type(values).__name__}; it must return a dict of numbers.")
        else:
            values = _flatten(result, f"func ({what})")
            if metrics is not None:
                values = {k: v for k, v in values.items() if k.split("[", 1)[0] in metrics or k in metrics}
        for k, v in values.items():
            rows.append({"as_of": d, "metric": str(k), "value": float(v)})
        used[d] = int(keep.sum())
    if not rows:
        raise ParameterError(f"No numbers to tabulate: metrics={metrics!r} matched nothing in the results of {what}.")
    table = pd.DataFrame(rows)
    return Backtest(table=table, events_used=pd.Series(used, name="events").rename_axis("as_of"), name=what)


# --------------------------------------------------------------------------------------
# Churn threshold: false and missed churn after a cut
# --------------------------------------------------------------------------------------

_THRESHOLD_COLUMNS = ["churn_after", "customers", "called_churned", "false_churn", "false_churn_rate",
                      "called_active", "missed_churn", "missed_churn_rate", "not_yet_classifiable"]


@dataclass
class ThresholdBacktest(Result):
    """False and missed churn of candidate ``churn_after`` values, judged after a cut."""

    table: pd.DataFrame
    cut: pd.Timestamp
    look_ahead: pd.Timedelta
    notes: list = field(default_factory=list)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per candidate: ``churn_after`` (days), ``customers`` classified at the cut,
        ``called_churned`` and how many of them bought again within the look-ahead
        (``false_churn``, ``false_churn_rate``), ``called_active`` and how many of them
        stayed silent through it (``missed_churn``, ``missed_churn_rate``), and the
        ``not_yet_classifiable`` (started within ``churn_after`` of the cut)."""
        return self.table

    @explains
    def explain(self) -> str:
        days = self.look_ahead / _DAY
        parts = [f"Customers classified with the data up to {self.cut:%Y-%m-%d}, then followed for "
                 f"{days:g} days after it."]
        for r in self.table.itertuples():
            parts.append(
                f"churn_after = {r.churn_after:g} days: {r.called_churned:,} called churned, of whom "
                f"{r.false_churn:,} ({r.false_churn_rate:.1%}) bought again (false churn); "
                f"{r.called_active:,} called active, of whom {r.missed_churn:,} ({r.missed_churn_rate:.1%}) "
                "stayed silent (missed churn).")
        parts.append("A longer threshold lowers false churn and raises missed churn; choose the trade-off "
                     "the decision needs (a win-back mailing tolerates false churn, a write-off does not). "
                     "Missed churn is judged over the look-ahead only: some of the silent may still "
                     "come back later.")
        return " ".join(parts + self.notes)

    def plot(self, ax=None, **kwargs):
        """False-churn and missed-churn rates against the threshold (returns the Axes).

        ``kwargs`` go to both rate lines (``Axes.plot``), e.g. ``lw=`` or ``marker=`` (a
        ``color=`` or ``label=`` applies to both)."""
        from matplotlib.lines import Line2D

        from .plotting import artist_kwargs

        ax = get_axes(ax)
        t = self.table
        ax.plot(t["churn_after"], t["false_churn_rate"],
                **artist_kwargs(kwargs, Line2D, marker="o", color="#c44e52",
                                label="false churn (called churned, bought again)"))
        ax.plot(t["churn_after"], t["missed_churn_rate"],
                **artist_kwargs(kwargs, Line2D, marker="o", color="#4c72b0",
                                label="missed churn (called active, stayed silent)"))
        from .plotting import headroom, legend_outside

        ax.set_ylim(0, 1)
        headroom(ax, top=1.0, margin=0.05)
        percent_axis(ax)
        legend_outside(ax)
        return label(ax, title=f"Churn threshold backtest: cut {self.cut:%Y-%m-%d}, "
                               f"{self.look_ahead / _DAY:g} days after",
                     xlabel="churn_after (days of silence)", ylabel="share of the customers called so")

    def __repr__(self) -> str:
        return (f"ThresholdBacktest(cut={self.cut:%Y-%m-%d}, look_ahead={self.look_ahead / _DAY:g} days)\n"
                + self.table.to_string(index=False))

    @property
    def title(self) -> str:
        return f"Churn threshold backtest (cut {self.cut:%Y-%m-%d})"

    def _repr_html_(self) -> str:
        return render_html(self.title, self.table, [self.explain()])



def churn_threshold_backtest(events: pd.DataFrame, candidates, *, look_ahead, cut=None,
                             customer_col: str = "customer_id", time_col: str = "date") -> ThresholdBacktest:
    """How often each candidate ``churn_after`` calls the wrong customers churned.

    At the ``cut`` every customer is classified with :func:`~retention_kit.customer_lifetimes`
    (``as_of=cut``), using only the data up to it: churned when silent for at least
    ``churn_after``, active otherwise (customers who started within ``churn_after`` of the
    cut are not yet classifiable and only counted). Then the data of the following
    ``look_ahead`` say who was wrong:

    * **false churn**: called churned, but bought again within the look-ahead;
    * **missed churn**: called active, but stayed silent through the whole look-ahead.

    Parameters
    ----------
    events : DataFrame
        The event log, with data at least ``look_ahead`` beyond the cut.
    candidates : sequence of int, str or Timedelta
        The thresholds to judge (days as numbers, or ``"60D"``, ``"8W"``).
    look_ahead : int, str or Timedelta
        How long after the cut to look.
    cut : date-like, optional
        The classification date; by default the last date in the data minus ``look_ahead``
        (a date without a time means through the end of that day).
    customer_col, time_col : str
        Column names.

    Returns
    -------
    ThresholdBacktest

    Examples
    --------
    Cut on 1 March 2024, looking 60 days ahead (to 30 April, the last day of data, which c
    alone bought on). a started 1 December and last bought on 1 January (silent 60 days at
    the cut), then came back on 15 March; b started 10 January, last bought on 20 February
    and never again. With 30 days, a is called churned and came back (false churn), b is
    called active and stayed silent (missed churn). With 90 days, a is active and came back
    (right); b started after the detection limit (1 March - 90 days = 2 December) and is not
    yet classifiable.

    >>> log = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "b", "c"],
    ...                     "date": pd.to_datetime(["2023-12-01", "2024-01-01", "2024-03-15", "2024-01-10",
    ...                                             "2024-02-20", "2024-04-30"])})
    >>> res = churn_threshold_backtest(log, [30, 90], cut="2024-03-01", look_ahead=60)
    >>> cols = ["churn_after", "called_churned", "false_churn", "called_active", "missed_churn"]
    >>> print(res.summary[cols].to_string(index=False))
     churn_after  called_churned  false_churn  called_active  missed_churn
            30.0               1            1              1             1
            90.0               0            0              1             0
    >>> res.summary["not_yet_classifiable"].tolist()
    [0, 1]
    """
    from .survival import customer_lifetimes

    ahead = parse_duration(look_ahead, name="look_ahead")
    if ahead <= pd.Timedelta(0):
        raise ParameterError(f"look_ahead={look_ahead!r} must be positive.")
    cands = [parse_duration(c, name="candidates") for c in np.atleast_1d(np.asarray(candidates, dtype=object))]
    if not cands:
        raise ParameterError("candidates is empty: give at least one churn_after to judge, e.g. [30, 60, 90].")
    customer_col, time_col, _ = log_columns(events, customer_col, time_col)
    log = prepare_events(events, customer_col=customer_col, time_col=time_col)
    frame = log.frame
    end = observed_until(log.as_of)  # the data cover up to the end of their last day
    if cut is None:
        cut_ts = (end - ahead - _DAY).normalize()
    else:
        try:
            cut_ts = pd.Timestamp(cut)
        except (ValueError, TypeError):
            raise ParameterError(f"cut={cut!r} is not a date, e.g. '1997-09-30'.") from None
    classified_until = observed_until(cut_ts) if cut_ts == cut_ts.normalize() else cut_ts
    if classified_until + ahead > end:
        raise ParameterError(
            f"The data end on {log.as_of:%Y-%m-%d}, less than look_ahead = {ahead / _DAY:g} days after the "
            f"cut {cut_ts:%Y-%m-%d}: choose a cut on or before {(end - ahead - _DAY):%Y-%m-%d}, or a shorter "
            "look_ahead.")
    before = frame[frame[TIME] < classified_until]
    if before.empty:
        raise DataError(f"No events up to the cut {cut_ts:%Y-%m-%d}: the data start on {frame[TIME].min():%Y-%m-%d}.")
    window = frame[(frame[TIME] >= classified_until) & (frame[TIME] < classified_until + ahead)]
    came_back = set(window[CUSTOMER].unique())
    rows = []
    for gap in sorted(set(cands)):
        life = customer_lifetimes(before.rename(columns={CUSTOMER: "customer_id", TIME: "date"}),
                                  churn_after=gap, as_of=cut_ts)
        back = life["customer_id"].isin(came_back).to_numpy()
        churned = life["churned"].to_numpy(dtype=bool)
        n_churned, n_active = int(churned.sum()), int((~churned).sum())
        false_churn, missed = int((churned & back).sum()), int((~churned & ~back).sum())
        rows.append({"churn_after": gap / _DAY, "customers": len(life), "called_churned": n_churned,
                     "false_churn": false_churn,
                     "false_churn_rate": false_churn / n_churned if n_churned else np.nan,
                     "called_active": n_active, "missed_churn": missed,
                     "missed_churn_rate": missed / n_active if n_active else np.nan,
                     "not_yet_classifiable": int(life.attrs["not_yet_classifiable"])})
    return ThresholdBacktest(table=pd.DataFrame(rows, columns=_THRESHOLD_COLUMNS), cut=cut_ts, look_ahead=ahead)
