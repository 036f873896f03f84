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
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .errors import DataError, DataQualityWarning, LeftCensoringWarning, ParameterError, RetentionWarning
from .periods import Freq, parse_freq, period_labels, period_starts
from .plotting import get_axes, label, percent_axis
from .results import DataQualityReport, Result, explains, render_html
from ._options import choose, legacy_arguments
from .engines._pandas import customer_codes as _customer_codes, distinct_pairs as _distinct_pairs
from .engines._pandas import event_periods as _event_periods
from .engines import is_pandas, open_events, unsupported
from .validation import EventLog, log_columns, prepare_events

__all__ = ["CohortTable", "cohort_table"]

_DAY_NS = 86_400 * 10**9
# Relative windows (days) matching each calendar period, as Amplitude/Mixpanel define them.
_RELATIVE_DAYS = {"D": 1, "W": 7, "M": 30, "Q": 90, "Y": 365}
_PERIODS = ("calendar", "relative")
_MODES = {"on": "on", "on or after": "on or after", "on_or_after": "on or after",
          "on-or-after": "on or after", "unbounded": "on or after"}
_METRICS = ("customers", "revenue")
_FIRST_COHORT = ("warn", "keep", "exclude")
# Private column names for masks carried through validation.
_ACTIVE, _ACQUIRES, _COHORT_TIME = "_rk_active", "_rk_acquires", "_rk_cohort_time"
_OPEN_END = ("'On or after' retention counts anyone active then or later up to the as-of date "
             "({as_of:%Y-%m-%d}): an open end, so every cell keeps rising as data arrive (the same table "
             "made later shows higher numbers, complete cells included) and recent cohorts have had less "
             "time to come back. Pass look_ahead=<periods> for cells that hold still.")
_ENGINE_SCOPE = ("calendar periods (D/W/M/Q/Y), mode 'on' or 'on or after', metric 'customers' or "
                 "'revenue', first_cohort and as_of")


# ---------------------------------------------------------------------------------------
# The heavy step (events -> distinct (customer, period) pairs and each customer's first
# period) is the pandas engine's: see engines/_pandas.py.


def _mask_column(spec, events: pd.DataFrame, name: str) -> np.ndarray:
    """A boolean row mask from a callable, a boolean column name or a boolean array."""
    if callable(spec):
        spec = spec(events)
    elif isinstance(spec, str):
        if spec not in events.columns:
            raise DataError(f"{name}={spec!r}: no such column in events. Pass a boolean column "
                            "name, a boolean Series or a function of the events frame.")
        spec = events[spec]
    if isinstance(spec, pd.Series):
        if not spec.index.equals(events.index):
            spec = spec.reindex(events.index)
        values = spec.to_numpy()
    else:
        values = np.asarray(spec)
    if values.shape != (len(events),):
        raise ParameterError(f"{name} gave {values.shape[0] if values.ndim else 0:,} values for "
                             f"{len(events):,} event rows; it must give one True/False per row.")
    if values.dtype != bool:
        if pd.isna(values).any() or not np.isin(pd.unique(values), [True, False, 0, 1]).all():
            bad = int(pd.isna(values).sum())
            raise ParameterError(
                f"{name} must be True/False for every row; got dtype {values.dtype}"
                f"{f' with {bad:,} missing values' if bad else ''}. Write it as a comparison, "
                "e.g. lambda df: df['amount'] > 0.")
        values = values.astype(bool)
    return values


def _parse_brackets(brackets) -> list[tuple[int, int]]:
    out = []
    for b in brackets:
        lo, hi = (b, b) if isinstance(b, (int, np.integer)) else tuple(b)
        if not (isinstance(lo, (int, np.integer)) and isinstance(hi, (int, np.integer))) or lo < 0 or hi < lo:
            raise ParameterError(f"brackets: {b!r} is not a period or a (first, last) range of "
                                 "periods with 0 <= first <= last, e.g. [1, (2, 7), (8, 30)].")
        if out and lo <= out[-1][1]:
            raise ParameterError(f"brackets must be increasing and must not overlap: {b!r} starts "
                                 f"at or before the end of {out[-1]!r}.")
        out.append((int(lo), int(hi)))
    if not out:
        raise ParameterError("brackets is empty: give at least one period, e.g. [1, (2, 7)].")
    return out


def _calendar_limits(cohorts: np.ndarray, lo: np.ndarray, hi: np.ndarray, freq: Freq, until: int):
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


# ---------------------------------------------------------------------------------------


@dataclass(repr=False)
class CohortTable(Result):
    """Retention by acquisition cohort: the result of :func:`cohort_table`.

    Attributes
    ----------
    sizes : Series
        Customers per acquisition cohort (index: cohort; with ``breakdown``, (value, cohort)).
    counts : DataFrame
        Cohort x period: distinct active customers (or revenue). NaN where the period had
        not started at the as-of date; 0 where it was observed and nobody was active.
    rates : DataFrame
        ``counts / sizes`` (customers), or net revenue retention ``revenue in period k /
        revenue in period 0`` (revenue).
    partial : DataFrame of bool
        True where the cell's period(s) had not fully elapsed at the as-of date.
    gross_rates : DataFrame or None
        Gross revenue retention (each customer's revenue capped at their period-0 revenue);
        None unless ``metric="revenue"``.
    groups : dict
        With ``breakdown``: one CohortTable per value; otherwise empty.
    data_quality : DataQualityReport
    """

    sizes: pd.Series
    counts: pd.DataFrame
    rates: pd.DataFrame
    partial: pd.DataFrame
    freq: Freq
    periods: str
    mode: str
    metric: str
    as_of: pd.Timestamp
    data_quality: DataQualityReport
    gross_rates: pd.DataFrame | None = None
    breakdown: str | None = None
    groups: dict = field(default_factory=dict)
    base_revenue: pd.Series | None = None
    notes: list = field(default_factory=list)
    look_ahead: int | None = None

    # -- numbers -------------------------------------------------------------------------

    def _weights(self) -> pd.Series:
        return self.base_revenue if self.metric == "revenue" else self.sizes

    def average(self) -> pd.Series:
        """Size-weighted mean retention curve over complete cells only.

        For period k it is the sum of ``counts`` over cohorts whose period k is complete,
        divided by the sum of their sizes (base revenue for ``metric="revenue"``). Partial
        and unobserved cells are left out; periods no cohort has completed are not shown.
        """
        complete = ~self.partial & self.counts.notna()
        active = self.counts.where(complete).sum(axis=0, min_count=1)
        weights = complete.mul(self._weights().astype(float), axis=0).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            curve = active / weights.where(weights > 0)
        curve = curve[complete.any(axis=0)]
        curve.name = "net_revenue_retention" if self.metric == "revenue" else "retention"
        return curve.astype(float)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per observed cell: cohort, period, cohort_size, active (or revenue),
        retention (or net/gross revenue retention), partial."""
        value = "revenue" if self.metric == "revenue" else "active"
        rate = "net_revenue_retention" if self.metric == "revenue" else "retention"
        long = pd.DataFrame({
            value: self.counts.stack(future_stack=True),
            rate: self.rates.stack(future_stack=True),
            "partial": self.partial.stack(future_stack=True),
        })
        if self.gross_rates is not None:
            long["gross_revenue_retention"] = self.gross_rates.stack(future_stack=True)
        long = long[long[value].notna()]
        sizes = self.sizes.reindex(long.index.droplevel(-1)).to_numpy()
        long.insert(0, "cohort_size", sizes)
        long.index = long.index.set_names([*self.counts.index.names, "period"])
        return long.reset_index()

    @property
    def title(self) -> str:
        return self._title().removeprefix("CohortTable: ")



    # -- words ---------------------------------------------------------------------------

    def _period_word(self) -> str:
        if self.periods == "relative":
            return f"{_RELATIVE_DAYS[self.freq.code]}-day window"
        return self.freq.name

    @explains
    def explain(self) -> str:
        """A few plain-language sentences with the table's own numbers."""
        if self.groups:
            parts = [f"Broken down by {self.breakdown!r} (value at each customer's acquisition):"]
            for value, sub in self.groups.items():
                parts.append(f"[{value}] " + sub.explain())
            return "\n".join(parts)
        out = []
        word = self._period_word()
        cohorts = self.sizes.index
        rates, partial = self.rates, self.partial
        later = [c for c in rates.columns if c != 0]
        first = cohorts[0]
        row = rates.loc[first]
        if later and pd.notna(row[later[0]]):
            k = later[0]
            pct = f"{100 * row[k]:.1f} %"
            when = self._when(first, k)
            if self.metric == "revenue":
                out.append(
                    f"The {int(self.sizes.loc[first]):,} customers acquired in {self._cohort_name(first)} spent "
                    f"${float(self.base_revenue.loc[first]):,.0f} in their first {word}; in "
                    f"{when} they spent {pct} of that (net revenue retention)"
                    + (f", {100 * float(self.gross_rates.loc[first, k]):.1f} % after capping each "
                       "customer at their first-period spend (gross revenue retention)." if
                       self.gross_rates is not None and pd.notna(self.gross_rates.loc[first, k]) else "."))
            else:
                verb = {"on": "were active in", "on or after": "were active in or after",
                        "brackets": "were active at some point in"}[self.mode]
                if self.mode == "on or after" and self.look_ahead is not None:
                    verb = (f"were active in, or within {self.look_ahead} {word}"
                            f"{'' if self.look_ahead == 1 else 's'} after,")
                out.append(f"Of the {int(self.sizes.loc[first]):,} customers acquired in {self._cohort_name(first)}, "
                           f"{pct} {verb} {when}"
                           + (" (a partial period)." if bool(partial.loc[first, k]) else "."))
        curve = self.average()
        shown = [k for k in curve.index if k != 0][:3]
        if shown:
            text = ", ".join(f"{100 * curve[k]:.1f} % in {self._when(None, k)}" for k in shown)
            if self.metric == "revenue":
                out.append("Pooled over complete cells only (weighted by period-0 revenue), "
                           f"revenue came back at {text}.")
            else:
                out.append("Weighted by cohort size over complete cells only, the share of "
                           f"customers active was {text}.")
        if self.metric == "customers" and 0 in rates.columns and self.mode == "on":
            out.append(f"Period 0 is the acquisition {word}, about 100 % by construction: it says "
                       "nothing about retention and is not a data point to average.")
        n_partial = int(partial.to_numpy().sum())
        if n_partial:
            out.append(f"{n_partial} cells are partial: their {word} had not ended as of "
                       f"{self.as_of:%Y-%m-%d}, so they understate retention; they are marked and "
                       "left out of average(). Periods not reached yet are blank, not 0.")
        if self.mode == "on":
            out.append("'On' retention counts activity in each period: it is not survival, and a "
                       "customer inactive in one period may come back in a later one.")
        elif self.mode == "brackets":
            out.append("A bracket counts customers active in any of its periods, so wider "
                       "brackets give higher numbers; compare brackets of equal width only.")
        elif self.mode == "on or after" and self.look_ahead is not None:
            out.append(f"'On or after' retention counts anyone active in the period or the {self.look_ahead} "
                       f"after it; a cell is complete once the last of them has ended, and then never changes.")
        # Open-ended "on or after": the caveat is in self.notes (see _OPEN_END).
        out.extend(self.notes)
        return " ".join(out)

    def _cohort_name(self, cohort) -> str:
        start = cohort.start_time
        return {"M": f"{start:%B %Y}", "W": f"the week of {start:%Y-%m-%d}",
                "D": f"{start:%Y-%m-%d}"}.get(self.freq.code, str(cohort))

    def _when(self, cohort, k) -> str:
        """'period 1 (February 1997)' for a cell; cohort None gives 'period 1'."""
        if not isinstance(k, (int, np.integer)):  # a bracket label such as "2–7"
            return f"{self.freq.name}s {k} after acquisition"
        if self.periods == "relative":
            days = _RELATIVE_DAYS[self.freq.code]
            return f"period {k} (days {k * days}–{(k + 1) * days - 1} after acquisition)"
        if cohort is None:
            return f"period {k}"
        return f"period {k} ({self._cohort_name(cohort + int(k))})"

    def _title(self) -> str:
        kind = "calendar" if self.periods == "calendar" else "relative"
        what = "revenue retention" if self.metric == "revenue" else f"'{self.mode}' retention"
        by = f", by {self.breakdown}" if self.breakdown else ""
        return (f"CohortTable: {what} by {self.freq.name}ly cohort, {kind} {self._period_word()}s"
                f"{by}; {int(self.sizes.sum()):,} customers in {len(self.sizes)} cohorts; "
                f"as of {self.as_of:%Y-%m-%d %H:%M}")

    def _display(self) -> pd.DataFrame:
        def cell(v, p):
            if pd.isna(v):
                return "–"
            return f"{100 * v:.1f}%" + ("*" if p else "")
        shown = pd.DataFrame(
            [[cell(v, p) for v, p in zip(r, q)] for r, q in
             zip(self.rates.to_numpy(), self.partial.to_numpy())],
            index=self.rates.index, columns=self.rates.columns)
        shown.insert(0, "customers", [f"{int(s):,}" for s in self.sizes.reindex(shown.index)])
        return shown

    def __repr__(self) -> str:
        with pd.option_context("display.max_columns", 14, "display.width", 120):
            table = self._display().to_string()
        return (f"{self._title()}\n{table}\n* partial (period not fully elapsed at the as-of "
                "date); – not observed yet")

    def _repr_html_(self) -> str:
        import matplotlib

        shown = self._display()
        cmap = matplotlib.colormaps["Blues"]
        later = [c for c in self.rates.columns if c != 0]
        top = np.nanmax(self.rates[later].to_numpy()) if later and self.rates[later].notna().any().any() else 1.0
        top = top if top > 0 else 1.0

        def css(_):
            styles = pd.DataFrame("", index=shown.index, columns=shown.columns)
            for j, col in enumerate(self.rates.columns):
                for i in range(len(shown)):
                    v, p = self.rates.iat[i, j], self.partial.iat[i, j]
                    if pd.isna(v):
                        continue
                    if col == 0:
                        styles.iat[i, j + 1] = "color:#666"
                        continue
                    r, g, b, _ = cmap(0.1 + 0.8 * min(v / top, 1.0))
                    fg = "white" if v / top > 0.6 else "black"
                    style = f"background-color:rgb({r * 255:.0f},{g * 255:.0f},{b * 255:.0f});color:{fg}"
                    if p:
                        style += ";font-style:italic;outline:1px dashed #c60"
                    styles.iat[i, j + 1] = style
            return styles

        styler = shown.style.apply(css, axis=None)
        notes = ["* partial: the period had not fully elapsed at the as-of date (left out of "
                 "average()). – : not observed yet (NaN, not 0). Period 0 is not coloured: it is "
                 "about 100 % by construction."]
        notes.extend(self.notes)
        return render_html(self._title(), None, notes, styler=styler)

    # -- plots ---------------------------------------------------------------------------

    def _axis_word(self) -> str:
        if self.periods == "relative":
            return f"{self._period_word()}s since acquisition"
        return f"{self.freq.name}s since acquisition {self.freq.name}"

    def plot_heatmap(self, ax=None, **kwargs):
        """Heatmap of the rates: cohorts down, periods across, each cell's rate written with
        one decimal (text dark or light against its cell), partial cells hatched, unobserved
        cells blank, period 0 grey (outside the colour scale); a caption says so. Tick labels
        are thinned to never overlap, whatever the number of cohorts and periods.

        ``kwargs`` go to the image (``Axes.imshow``), e.g. ``cmap=`` or ``vmax=``. Returns the Axes."""
        import matplotlib.pyplot as plt
        from matplotlib.patches import Rectangle

        from .plotting import caption, index_ticks, short_period_labels

        ax = get_axes(ax, figsize=(9, min(9.0, max(3.0, 0.3 * len(self.rates) + 1.5))))
        values = self.rates.to_numpy(dtype=float)
        cols = list(self.rates.columns)
        first = cols.index(0) if 0 in cols else None
        shown = values.copy()
        if first is not None:
            shown[:, first] = np.nan
        top = np.nanmax(shown) if np.isfinite(shown).any() else 1.0
        import matplotlib
        from matplotlib.colors import ListedColormap

        # Blues from a visible light blue, so an observed 0 % is never mistaken for a blank cell.
        blues = ListedColormap(matplotlib.colormaps["Blues"](np.linspace(0.12, 1.0, 256)), name="Blues_visible0")
        from matplotlib.image import AxesImage

        from .plotting import artist_kwargs

        image = ax.imshow(np.ma.masked_invalid(shown), **artist_kwargs(
            kwargs, AxesImage, aspect="auto", cmap=blues, vmin=0, vmax=top if top > 0 else 1.0))
        n_rows, n_cols = values.shape
        fig = ax.figure
        box = ax.get_position()
        cell_w = box.width * fig.get_figwidth() * 72 / max(n_cols, 1)
        cell_h = box.height * fig.get_figheight() * 72 / max(n_rows, 1)
        size = min(8.0, cell_w / (0.62 * 6 + 1.2), cell_h / 1.5)  # '100.0%' must fit in the cell
        annotate = size >= 5.0
        for i in range(n_rows):
            for j in range(n_cols):
                v = values[i, j]
                if np.isnan(v):
                    continue
                if j == first:
                    ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="#e6e6e6", edgecolor="none"))
                if self.partial.iat[i, j]:
                    ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///",
                                           edgecolor="#c60", linewidth=0))
                if annotate:
                    r, g, b, _ = (1.0, 1.0, 1.0, 1.0) if j == first else image.cmap(image.norm(v))
                    dark_cell = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
                    ax.text(j, i, f"{100 * v:.1f}%", ha="center", va="center", fontsize=size,
                            color="white" if dark_cell else "black")
        index_ticks(ax, [str(c) for c in cols], axis="x")
        index_ticks(ax, short_period_labels(self.rates.index), axis="y")
        bar = plt.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
        bar.ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
        what = "Net revenue retention" if self.metric == "revenue" else f"Retention ('{self.mode}')"
        adjective = "daily" if self.freq.name == "day" else f"{self.freq.name}ly"
        label(ax, title=f"{what} by {adjective} cohort (hatched: partial period)",
              xlabel=self._axis_word(), ylabel="acquisition cohort")
        parts = ["Hatched: partial period (not fully elapsed at the as-of date).",
                 "Blank: not observed yet."]
        if first is not None:
            parts.append("Grey: period 0 (100 % by construction, outside the colour scale).")
        caption(ax, " ".join(parts))
        return ax

    def plot_curves(self, ax=None, *, period0: bool | None = None, **kwargs):
        """One retention curve per cohort (complete cells solid, partial cells as open
        markers) and the size-weighted average over complete cells in black.

        ``period0``: draw period 0 too. By default it is left out when every cohort starts
        at 100 % (it would squash the later periods to the bottom); the axis label says so.
        With many cohorts the lines are shaded from the first to the last cohort and only
        those two are named; the legend is outside the data.

        ``kwargs`` go to the average line (``Axes.plot``), e.g. ``color=`` or ``label=``.
        Returns the Axes."""
        from .plotting import headroom, index_ticks, legend_outside, short_period_labels

        ax = get_axes(ax)
        cols = list(self.rates.columns)
        starts_full = (0 in cols and self.rates[0].notna().any()
                       and bool(np.allclose(self.rates[0].dropna().to_numpy(dtype=float), 1.0)))
        if period0 is None:
            period0 = not starts_full
        keep = [j for j, c in enumerate(cols) if period0 or c != 0]
        x = np.arange(len(keep))
        names = short_period_labels(self.rates.index)
        n = len(self.rates)
        many = n > 12
        shade = None
        if many:
            import matplotlib

            cmap = matplotlib.colormaps["viridis"]
            shade = [cmap(0.9 * k / max(n - 1, 1)) for k in range(n)]
        for i, name in enumerate(names):
            y = self.rates.iloc[i].to_numpy(dtype=float)[keep]
            p = self.partial.iloc[i].to_numpy(dtype=bool)[keep]
            done = np.where(p, np.nan, y)
            named = not many or i in (0, n - 1)
            text = (f"{name} (first cohort)" if i == 0 else f"{name} (last cohort)") if many else name
            line, = ax.plot(x, done, marker="" if many else "o", ms=3, lw=0.8 if many else 1.2,
                            alpha=0.6 if many else 0.9, label=text if named else None,
                            color=shade[i] if many else None)
            if p.any():
                ax.plot(x[p], y[p], ls="none", marker="o", mfc="none", color=line.get_color(), ms=4)
        avg = self.average()
        pos = [keep.index(cols.index(k)) for k in avg.index if cols.index(k) in keep]
        vals = [v for k, v in avg.items() if cols.index(k) in keep]
        from matplotlib.lines import Line2D

        from .plotting import artist_kwargs

        ax.plot(pos, vals, **artist_kwargs(kwargs, Line2D, color="black", lw=2.5, label="average (complete cells)"))
        index_ticks(ax, [str(cols[j]) for j in keep], axis="x")
        ax.set_xlim(-0.4, max(len(keep) - 0.6, 0.6))
        ax.set_ylim(bottom=0)
        headroom(ax, bottom=0)
        low, high = ax.get_ylim()
        percent_axis(ax, decimals=0 if high - low >= 0.05 else 1)
        legend_outside(ax, fontsize=7, ncol=2 if n > 6 and not many else 1)
        what = "Net revenue retention" if self.metric == "revenue" else f"Retention ('{self.mode}')"
        xlabel = self._axis_word()
        if not period0 and 0 in cols:
            xlabel += " (period 0, always 100 %, left out)"
        adjective = "daily" if self.freq.name == "day" else f"{self.freq.name}ly"
        label(ax, title=f"{what} curves by {adjective} cohort (open markers: partial)",
              xlabel=xlabel,
              ylabel="share of period-0 revenue" if self.metric == "revenue" else "share of cohort active")
        return ax


# ---------------------------------------------------------------------------------------



def _warn_left_censoring(first_label, n_first: int, freq: Freq, *, stacklevel: int) -> None:
    """The first cohort of the data may hold customers who were there before it began."""
    warnings.warn(
        f"The {first_label} cohort ({n_first:,} customers) starts in the data's first "
        f"{freq.name}: it mixes new customers with customers who were active before the "
        "data began. Pass first_cohort='exclude' to drop it, or first_cohort='keep' if "
        "the data start with every customer's first activity.",
        LeftCensoringWarning, stacklevel=stacklevel)


def _cohort_times(values: pd.Series, col: str) -> pd.Series:
    """``cohort_col`` read with the event times' date policy (ISO text only, numbers refused,
    time zones to UTC); an empty cell means no acquisition time (the customer is dropped and
    counted), so only the filled cells are parsed."""
    from .validation import parse_times as _to_datetime

    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    present = values.notna()
    if present.any():
        out[present] = _to_datetime(values[present], col, DataQualityReport())[0]
    return out


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
        by (value, cohort). (``breakdown`` until 0.2.0.)
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
    spec = _check_options(freq, periods=periods, mode=mode, metric=metric, first_cohort=first_cohort,
                          look_ahead=look_ahead, brackets=brackets, amount_col=amount_col, by=by,
                          cohort_col=cohort_col)
    # Warnings point at the caller's line, stacklevel 3 from this frame (legacy_arguments wraps
    # it), so the helpers called from here get stacklevel=4.
    if not is_pandas(events):
        _refuse_pandas_only_options(spec, brackets=brackets, active_if=active_if, acquired_if=acquired_if)
        return _cohort_table_engine(events, freq, customer_col=customer_col, time_col=time_col,
                                    mode=spec.mode, metric=spec.metric, amount_col=amount_col,
                                    first_cohort=spec.first_cohort, as_of=as_of, stacklevel=4)
    if by is not None and by in (customer_col, time_col):
        raise ParameterError(f"by={by!r} is the customer or time column; name a "
                             "column such as channel or country.")

    ev = _open_pandas_events(events, spec, customer_col=customer_col, time_col=time_col,
                             amount_col=amount_col, active_if=active_if, acquired_if=acquired_if, as_of=as_of)
    data_first_period = int(_event_periods(np.array([ev.t.min()]), freq)[0])
    reduced = _reduce(ev, spec, stacklevel=4)
    reduced = _apply_first_cohort(reduced, ev.report, spec, data_first_period, stacklevel=4)
    revenue = _revenue_by_offset(ev, reduced, freq) if spec.metric == "revenue" else None
    n_offsets = _n_offsets(ev, reduced, spec)
    if spec.brackets is None:
        columns = list(range(n_offsets))
    else:
        columns = [str(lo) if lo == hi else f"{lo}–{hi}" for lo, hi in spec.brackets]
        reduced = _pairs_by_bracket(reduced, spec.brackets, n_offsets, ev.n_codes)

    if spec.breakdown is None:
        table = _one_table(ev, reduced, spec, revenue, columns, slice(None), slice(None), stacklevel=4)
    else:
        table = _breakdown_table(ev, reduced, spec, revenue, columns, stacklevel=4)
    _add_notes(table, freq, left_censored=spec.first_cohort == "warn"
               and np.any(reduced.member_cohort == data_first_period) and spec.cohort_col is None,
               data_first_period=data_first_period,
               open_end=spec.mode == "on or after" and spec.look_ahead is None and spec.brackets is None)
    return table


# ---------------------------------------------------------------------------------------
# The pandas path, step by step. Helpers that warn take ``stacklevel``: the user's frame
# seen from their own frame (each call one level deeper passes stacklevel + 1).


@dataclass(frozen=True)
class _Spec:
    """The checked options of one cohort_table call."""

    freq: Freq
    periods: str
    mode: str
    metric: str
    first_cohort: str
    look_ahead: int | None
    brackets: list | None  # [(first, last), ...]
    breakdown: str | None
    cohort_col: str | None

    @property
    def shown_mode(self) -> str:
        return "brackets" if self.brackets else self.mode

    @property
    def window(self) -> int:
        """Length of a relative period (ns)."""
        return _RELATIVE_DAYS[self.freq.code] * _DAY_NS


@dataclass
class _Events:
    """The validated events as arrays: times (ns), customer codes and the optional masks."""

    frame: pd.DataFrame
    report: DataQualityReport
    as_of: pd.Timestamp
    until: int  # the kit's one rule: the as-of day counts as fully observed (exclusive end, ns)
    t: np.ndarray
    cust: np.ndarray
    n_codes: int
    active: np.ndarray | None
    acquires: np.ndarray | None


@dataclass
class _Reduced:
    """The reduction: customers with a cohort, and their distinct (customer, offset) pairs."""

    members: np.ndarray  # customer codes
    member_cohort: np.ndarray  # period codes
    member_t0: np.ndarray | None  # acquisition times (ns); None on the default path
    pair_cust: np.ndarray
    pair_offset: np.ndarray  # periods since acquisition (or bracket numbers)
    pair_cohort: np.ndarray
    # The kept active events (general path only), for revenue: customer, offset, frame rows.
    ev_cust: np.ndarray | None = None
    ev_offset: np.ndarray | None = None
    ev_rows: np.ndarray | None = None


_NO_TIME = np.iinfo(np.int64).max  # a customer code without acquisition time


def _check_look_ahead(look_ahead, mode: str) -> int | None:
    if look_ahead is None:
        return None
    if isinstance(look_ahead, bool) or not isinstance(look_ahead, (int, np.integer)) or look_ahead < 0:
        raise ParameterError(f"look_ahead={look_ahead!r} must be a whole number of periods, 0 or more "
                             "(e.g. look_ahead=3: active in period k or one of the 3 after it).")
    if mode != "on or after":
        raise ParameterError(f"look_ahead={look_ahead!r} bounds mode='on or after'; with mode={mode!r} "
                             "leave it out (or pass mode='on or after').")
    return int(look_ahead)


def _check_options(freq: Freq, *, periods, mode, metric, first_cohort, look_ahead, brackets, amount_col,
                   by, cohort_col) -> _Spec:
    """The options read and checked, each error in the order users have always met them."""
    periods = choose(periods, _PERIODS, "periods")
    mode = choose(mode, _MODES, "mode")
    metric = choose(metric, _METRICS, "metric")
    first_cohort = choose(first_cohort, _FIRST_COHORT, "first_cohort")
    look_ahead = _check_look_ahead(look_ahead, mode)
    bracket_list = _parse_brackets(brackets) if brackets is not None else None
    if metric == "revenue" and amount_col is None:
        raise ParameterError("metric='revenue' needs amount_col='<your revenue column>'.")
    if bracket_list is not None and (mode != "on" or metric != "customers"):
        raise ParameterError("brackets count customers active in a range of periods: use them "
                             "with mode='on' and metric='customers'.")
    if metric == "revenue" and mode != "on":
        raise ParameterError("Revenue retention compares each period's revenue with period 0: "
                             "use mode='on' with metric='revenue'.")
    return _Spec(freq=freq, periods=periods, mode=mode, metric=metric, first_cohort=first_cohort,
                 look_ahead=look_ahead, brackets=bracket_list, breakdown=by, cohort_col=cohort_col)


def _refuse_pandas_only_options(spec: _Spec, *, brackets, active_if, acquired_if) -> None:
    """Files, DuckDB, Polars and Spark inputs: a ParameterError for the first pandas-only option."""
    for option, value, default in (("periods", spec.periods, "calendar"), ("brackets", brackets, None),
                                   ("active_if", active_if, None), ("acquired_if", acquired_if, None),
                                   ("cohort_col", spec.cohort_col, None), ("by", spec.breakdown, None),
                                   ("look_ahead", spec.look_ahead, None)):
        if value is not None and value != default:
            unsupported("cohort_table", option, value, _ENGINE_SCOPE)


def _open_pandas_events(events, spec: _Spec, *, customer_col, time_col, amount_col, active_if, acquired_if,
                        as_of) -> _Events:
    """Validate the events (with the masks, see :func:`_with_masks`) and take their arrays."""
    keep = [c for c in (spec.breakdown, spec.cohort_col) if c is not None]
    source = events
    if active_if is not None or acquired_if is not None:
        source, mask_cols = _with_masks(events, keep, customer_col=customer_col, time_col=time_col,
                                        amount_col=amount_col, active_if=active_if, acquired_if=acquired_if)
        keep += mask_cols
    log = prepare_events(source, customer_col=customer_col, time_col=time_col,
                         amount_col=amount_col, keep_cols=keep, as_of=as_of)
    frame = log.frame
    t = frame["date"].to_numpy().view(np.int64)
    until = log.observed_until.value
    cust, n_codes = _customer_codes(frame["customer_id"])
    active = frame[_ACTIVE].to_numpy(bool) if _ACTIVE in frame else None
    acquires = frame[_ACQUIRES].to_numpy(bool) if _ACQUIRES in frame else active
    return _Events(frame=frame, report=log.report, as_of=log.as_of, until=until, t=t, cust=cust,
                   n_codes=n_codes, active=active, acquires=acquires)


def _with_masks(events, keep: list, *, customer_col, time_col, amount_col, active_if, acquired_if):
    """The events with the ``active_if`` / ``acquired_if`` masks as private columns, and their names.

    Masks are evaluated on the caller's frame (their column names), then carried through
    validation as private columns so rows dropped there stay aligned."""
    log_in = isinstance(events, EventLog)  # masks see its validated rows, under the caller's names
    shown = events.to_frame() if log_in else events
    source = events
    if not log_in:
        if not isinstance(events, pd.DataFrame):
            prepare_events(events, customer_col=customer_col, time_col=time_col)  # raises
        cols = list(dict.fromkeys(c for c in (customer_col, time_col, amount_col, *keep)
                                  if c is not None and c in events.columns))
        source = events[cols].copy()
    masks = {}
    if active_if is not None:
        masks[_ACTIVE] = _mask_column(active_if, shown, "active_if")
    if acquired_if is not None:
        masks[_ACQUIRES] = _mask_column(acquired_if, shown, "acquired_if")
    if log_in:
        return events._with_columns(masks), list(masks)
    for name, mask in masks.items():
        source[name] = mask
    return source, list(masks)


def _reduce(ev: _Events, spec: _Spec, *, stacklevel: int) -> _Reduced:
    if spec.periods == "calendar" and spec.cohort_col is None and ev.acquires is None and ev.active is None:
        return _reduce_by_first_activity(ev, spec.freq)
    return _reduce_by_acquisition(ev, spec, stacklevel=stacklevel + 1)


def _reduce_by_first_activity(ev: _Events, freq: Freq) -> _Reduced:
    """Default path: cohort = first active period, straight from the reduction."""
    pairs = _distinct_pairs(ev.cust, _event_periods(ev.t, freq))
    new = np.empty(len(pairs.customer), bool)
    if len(new):
        new[0] = True
        np.not_equal(pairs.customer[1:], pairs.customer[:-1], out=new[1:])
    return _Reduced(members=pairs.customer[new], member_cohort=pairs.first[new], member_t0=None,
                    pair_cust=pairs.customer, pair_offset=pairs.period - pairs.first, pair_cohort=pairs.first)


def _reduce_by_acquisition(ev: _Events, spec: _Spec, *, stacklevel: int) -> _Reduced:
    """Cohorts from acquisition times (``acquired_if``, ``cohort_col``), pairs from the active
    events (``active_if``), offsets counted from each customer's acquisition."""
    t0 = _acquisition_times(ev, spec.cohort_col)
    has = t0 != _NO_TIME
    _check_acquired(ev, has, spec.cohort_col, stacklevel=stacklevel + 1)
    members = np.flatnonzero(has)
    member_t0 = t0[members]
    member_cohort = _event_periods(member_t0, spec.freq)
    cohort_of = np.zeros(ev.n_codes, np.int64)
    cohort_of[members] = member_cohort
    ev_cust, ev_offset, ev_rows = _active_offsets(ev, spec, t0, has, cohort_of, stacklevel=stacklevel + 1)
    pairs = _distinct_pairs(ev_cust, ev_offset)
    return _Reduced(members=members, member_cohort=member_cohort, member_t0=member_t0,
                    pair_cust=pairs.customer, pair_offset=pairs.period, pair_cohort=cohort_of[pairs.customer],
                    ev_cust=ev_cust, ev_offset=ev_offset, ev_rows=ev_rows)


def _acquisition_times(ev: _Events, cohort_col: str | None) -> np.ndarray:
    """Per customer code: the earliest ``cohort_col`` time or acquiring event (ns), else _NO_TIME."""
    t0 = np.full(ev.n_codes, _NO_TIME, dtype=np.int64)
    if cohort_col is not None:
        start = _cohort_times(ev.frame[cohort_col], cohort_col)
        start = start.to_numpy("datetime64[ns]").view(np.int64)
        ok = start != np.iinfo(np.int64).min  # NaT
        np.minimum.at(t0, ev.cust[ok], start[ok])
    else:
        sel = ev.acquires if ev.acquires is not None else slice(None)
        np.minimum.at(t0, ev.cust[sel], ev.t[sel])
    return t0


def _check_acquired(ev: _Events, has: np.ndarray, cohort_col: str | None, *, stacklevel: int) -> None:
    """Refuse when nobody is acquired; count and warn about the customers who are not."""
    if not has.any():
        raise DataError("No customer is left in any cohort: no event matches acquired_if / "
                        f"active_if{' and ' + repr(cohort_col) + ' is empty' if cohort_col else ''}. "
                        "Check the filters (they get the events frame with your column names).")
    n_without = int(np.unique(ev.cust[~has[ev.cust]]).size) if not has[ev.cust].all() else 0
    if n_without:
        why = f"no {cohort_col!r} time" if cohort_col else "no acquiring event"
        ev.report.add("customers without acquisition", n_without, "dropped", f"{why}: in no cohort")
        warnings.warn(f"{n_without:,} customers have {why} and are in no cohort.",
                      DataQualityWarning, stacklevel=stacklevel)


def _active_offsets(ev: _Events, spec: _Spec, t0: np.ndarray, has: np.ndarray, cohort_of: np.ndarray, *,
                    stacklevel: int):
    """The acquired customers' active events: (customer codes, offsets, rows of the frame as a
    mask or positions). Events before acquisition are dropped, counted and warned about."""
    use = has[ev.cust] if ev.active is None else (ev.active & has[ev.cust])
    c_ev, t_ev = ev.cust[use], ev.t[use]
    if spec.periods == "calendar":
        offset = _event_periods(t_ev, spec.freq) - cohort_of[c_ev]
    else:
        offset = np.floor_divide(t_ev - t0[c_ev], spec.window)
    before = offset < 0
    if before.any():
        ev.report.add("events before acquisition", int(before.sum()), "dropped",
                      "activity before the customer's cohort-defining event")
        warnings.warn(f"{int(before.sum()):,} events fall before their customer's acquisition "
                      "and are left out (see .data_quality).", DataQualityWarning, stacklevel=stacklevel)
        c_ev, offset = c_ev[~before], offset[~before]
        use = np.flatnonzero(use)[~before]
    return c_ev, offset, use


def _apply_first_cohort(reduced: _Reduced, report, spec: _Spec, data_first_period: int, *,
                        stacklevel: int) -> _Reduced:
    """Left-censoring: the data's first period mixes new and pre-existing customers (see
    :func:`_first_cohort_policy`); refuse when no customer is left."""
    n_first = int(np.sum(reduced.member_cohort == data_first_period)) if spec.cohort_col is None else 0
    if _first_cohort_policy(report, spec.first_cohort, spec.freq, data_first_period, n_first,
                            stacklevel=stacklevel + 1):
        keep_member = reduced.member_cohort != data_first_period
        keep_pair = reduced.pair_cohort != data_first_period
        reduced = replace(
            reduced, members=reduced.members[keep_member], member_cohort=reduced.member_cohort[keep_member],
            member_t0=reduced.member_t0[keep_member] if reduced.member_t0 is not None else None,
            pair_cust=reduced.pair_cust[keep_pair], pair_offset=reduced.pair_offset[keep_pair],
            pair_cohort=reduced.pair_cohort[keep_pair])
    if len(reduced.members) == 0:
        raise DataError("No customer is left in any cohort (check active_if, acquired_if, "
                        "cohort_col and first_cohort).")
    return reduced


def _revenue_by_offset(ev: _Events, reduced: _Reduced, freq: Freq) -> pd.Series:
    """Revenue per (customer, offset) of the cohorts' customers, for net and gross revenue retention."""
    amount = ev.frame["amount"].to_numpy(float)
    if reduced.ev_cust is None:  # default path: every event, offsets from the cohorts
        cohort_of = np.zeros(ev.n_codes, np.int64)
        cohort_of[reduced.members] = reduced.member_cohort
        ev_cust, ev_offset, ev_amount = ev.cust, _event_periods(ev.t, freq) - cohort_of[ev.cust], amount
    else:
        ev_cust, ev_offset, ev_amount = reduced.ev_cust, reduced.ev_offset, amount[reduced.ev_rows]
    member_set = np.zeros(ev.n_codes, bool)
    member_set[reduced.members] = True
    keep_ev = member_set[ev_cust]
    return pd.Series(ev_amount[keep_ev]).groupby([ev_cust[keep_ev], ev_offset[keep_ev]]).sum()


def _n_offsets(ev: _Events, reduced: _Reduced, spec: _Spec) -> int:
    """Periods from the earliest cohort to the as-of date: the table's columns."""
    last_period = int(_event_periods(np.array([ev.until - 1]), spec.freq)[0])
    if spec.periods == "calendar":
        return last_period - int(reduced.member_cohort.min()) + 1
    return int((ev.until - 1 - int(reduced.member_t0.min())) // spec.window) + 1


def _pairs_by_bracket(reduced: _Reduced, brackets: list, n_offsets: int, n_codes: int) -> _Reduced:
    """The pairs as (customer, bracket number): one per bracket the customer was active in."""
    lookup = np.full(max(n_offsets, brackets[-1][1] + 1), -1, np.int64)
    for b, (lo, hi) in enumerate(brackets):
        lookup[lo:hi + 1] = b
    offset = reduced.pair_offset
    in_b = lookup[np.minimum(offset, len(lookup) - 1)]
    in_b = np.where(offset < len(lookup), in_b, -1)
    sel = in_b >= 0
    bp = _distinct_pairs(reduced.pair_cust[sel], in_b[sel])
    cohort_of = np.zeros(n_codes, np.int64)
    cohort_of[reduced.members] = reduced.member_cohort
    return replace(reduced, pair_cust=bp.customer, pair_offset=bp.period, pair_cohort=cohort_of[bp.customer])


def _breakdown_table(ev: _Events, reduced: _Reduced, spec: _Spec, revenue, columns, *,
                     stacklevel: int) -> CohortTable:
    """One table per breakdown value (taken at acquisition), and all of them stacked."""
    group_of, values = _breakdown_codes(ev, spec.breakdown, spec.cohort_col)
    member_group = group_of[reduced.members]
    subs = {}
    for g in range(len(values)):
        if np.any(member_group == g):
            subs[values[g]] = _one_table(ev, reduced, spec, revenue, columns, member_group == g,
                                         group_of[reduced.pair_cust] == g, stacklevel=stacklevel + 1)
    if np.any(member_group == -1):
        n_missing = int(np.sum(member_group == -1))
        ev.report.add(spec.breakdown, n_missing, "dropped", "breakdown value missing at acquisition")
        warnings.warn(f"{n_missing:,} customers have no {spec.breakdown!r} value at acquisition and "
                      "are in no breakdown table.", DataQualityWarning, stacklevel=stacklevel)
    stacked = {}
    for attr in ("sizes", "counts", "rates", "partial", "gross_rates", "base_revenue"):
        parts = {k: getattr(v, attr) for k, v in subs.items()}
        stacked[attr] = None if any(p is None for p in parts.values()) else pd.concat(parts, names=[spec.breakdown])
    return CohortTable(**stacked, freq=spec.freq, periods=spec.periods, mode=spec.shown_mode, metric=spec.metric,
                       as_of=ev.as_of, data_quality=ev.report, breakdown=spec.breakdown, groups=subs,
                       look_ahead=spec.look_ahead)


def _breakdown_codes(ev: _Events, breakdown: str, cohort_col: str | None):
    """Each customer code's breakdown value at acquisition as a code (-1: missing), and the values."""
    rows = (np.flatnonzero(ev.acquires) if (ev.acquires is not None and cohort_col is None)
            else np.arange(len(ev.frame)))
    order = rows[np.lexsort((ev.t[rows], ev.cust[rows]))]
    firsts = order[np.r_[True, ev.cust[order][1:] != ev.cust[order][:-1]]]
    codes, values = pd.factorize(ev.frame[breakdown].iloc[firsts], sort=True, use_na_sentinel=True)
    group_of = np.full(ev.n_codes, -1, np.int64)
    group_of[ev.cust[firsts]] = codes
    return group_of, values


def _one_table(ev: _Events, reduced: _Reduced, spec: _Spec, revenue, columns, member_in, pair_in, *,
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
    cells = _cell_values(counts, sizes, observed, complete, revenue=revenue_sum, gross_sum=gross_sum,
                         stacklevel=stacklevel + 1)
    return _table(cohorts, sizes, cells, columns, freq=spec.freq, periods=spec.periods, mode=spec.shown_mode,
                  metric=spec.metric, as_of=ev.as_of, report=ev.report, look_ahead=spec.look_ahead)


def _count_cells(spec: _Spec, cohorts, row_of, members, pair_cohort, pair_offset, pair_cust, n_cols: int,
                 n_codes: int) -> np.ndarray:
    """Active customers per cell (cohorts x periods), as floats."""
    if spec.mode == "on or after" and spec.look_ahead is not None:
        return _count_within_look_ahead(cohorts, pair_cohort, pair_offset, pair_cust, n_cols, spec.look_ahead)
    if spec.mode == "on or after":
        return _count_up_to_last_activity(row_of, members, pair_offset, pair_cust, len(cohorts), n_cols, n_codes)
    # Cell index per pair: a lookup table instead of a search over millions of pairs.
    cell = _cohort_rows(cohorts, pair_cohort)
    cell *= n_cols
    cell += pair_offset
    return np.bincount(cell, minlength=len(cohorts) * n_cols).reshape(len(cohorts), n_cols).astype(float)


def _cohort_rows(cohorts: np.ndarray, pair_cohort: np.ndarray) -> np.ndarray:
    """The table row of each pair's cohort (``cohorts`` sorted and distinct)."""
    row_lookup = np.full(int(cohorts[-1] - cohorts[0]) + 1, -1, np.int64)
    row_lookup[cohorts - cohorts[0]] = np.arange(len(cohorts))
    return row_lookup[pair_cohort - cohorts[0]]


def _count_within_look_ahead(cohorts, pair_cohort, pair_offset, pair_cust, n_cols: int,
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
    rows = _cohort_rows(cohorts, pair_cohort)
    top = np.minimum(pair_offset, n_cols - 1) + 1
    diff = (np.bincount(rows * width + np.minimum(lo_cell, n_cols), minlength=n_rows * width)
            - np.bincount(rows * width + top, minlength=n_rows * width))
    return diff.reshape(n_rows, width).cumsum(axis=1)[:, :n_cols].astype(float)


def _count_up_to_last_activity(row_of, members, pair_offset, pair_cust, n_rows: int, n_cols: int,
                               n_codes: int) -> np.ndarray:
    """Open-ended 'on or after': a customer counts in every period up to their last active one."""
    last = np.zeros(n_codes, np.int64) - 1
    np.maximum.at(last, pair_cust, pair_offset)
    last_of_member = last[members]
    ok = last_of_member >= 0
    hist = np.bincount(row_of[ok] * n_cols + np.minimum(last_of_member[ok], n_cols - 1),
                       minlength=n_rows * n_cols).reshape(n_rows, n_cols)
    return hist[:, ::-1].cumsum(axis=1)[:, ::-1].astype(float)


def _cell_limits(spec: _Spec, cohorts, row_of, member_t0, member_in, n_cols: int, until: int):
    """(observed, complete) masks of the cells, calendar periods or relative windows."""
    lo = np.arange(n_cols) if spec.brackets is None else np.array([b[0] for b in spec.brackets])
    hi = lo if spec.brackets is None else np.array([b[1] for b in spec.brackets])
    if spec.look_ahead is not None:
        hi = lo + spec.look_ahead  # complete once the last period of the look-ahead has ended
    if spec.periods == "calendar":
        return _calendar_limits(cohorts, lo, hi, spec.freq, until)
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


# --------------------------------------------------------------------------------------
# After the reduction, once for every engine: left-censoring, the cells' observation
# limits and rates, the frames and the notes.


def _first_cohort_policy(report, first_cohort: str, freq: Freq, data_first_period: int, n_first: int, *,
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


def _cell_values(counts: np.ndarray, sizes: np.ndarray, observed: np.ndarray, complete: np.ndarray, *,
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


def _table(cohorts: np.ndarray, sizes: np.ndarray, cells: tuple, columns, *, freq: Freq, periods: str, mode: str,
           metric: str, as_of, report, look_ahead: int | None = None) -> "CohortTable":
    """The CohortTable of one set of cells (see :func:`_cell_values`)."""
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


def _add_notes(table: "CohortTable", freq: Freq, *, left_censored: bool, data_first_period: int,
               open_end: bool) -> None:
    if left_censored:
        table.notes.append(f"The first cohort ({period_labels([data_first_period], freq)[0]}) may "
                           "include customers acquired before the data began (left-censoring).")
    if open_end:
        table.notes.append(_OPEN_END.format(as_of=table.as_of))


def _cohort_table_engine(events, freq: Freq, *, customer_col, time_col, mode, metric, amount_col,
                         first_cohort, as_of, stacklevel: int) -> CohortTable:
    """cohort_table on files, DuckDB, Polars or Spark: the engine returns the cells
    (cohort, period, customers[, revenue, gross]); the rest is the pandas path's arithmetic."""
    log = open_events(events, customer_col=customer_col, time_col=time_col, amount_col=amount_col,
                      as_of=as_of)
    report, until = log.report, log.observed_until.value
    revenue = metric == "revenue"
    cells = log.cohort_cells(freq.code, mode=mode, revenue=revenue)
    if mode == "on":
        sizes_of = cells[cells["period"] == 0].groupby("cohort")["customers"].sum()
    else:
        sizes_of = cells.groupby("cohort")["customers"].sum()
    report.customers = int(sizes_of.sum())
    data_first_period = int(_event_periods(np.array([log.first_time.value]), freq)[0])
    n_first = int(sizes_of.get(data_first_period, 0))
    if _first_cohort_policy(report, first_cohort, freq, data_first_period, n_first,
                            stacklevel=stacklevel + 1):
        cells = cells[cells["cohort"] != data_first_period]
        sizes_of = sizes_of.drop(data_first_period)
    if len(sizes_of) == 0:
        raise DataError("No customer is left in any cohort (check first_cohort and as_of).")

    cohorts = sizes_of.index.to_numpy(np.int64)
    sizes = sizes_of.to_numpy().astype(float)
    last_period = int(_event_periods(np.array([until - 1]), freq)[0])
    n_rows, n_cols = len(cohorts), last_period - int(cohorts.min()) + 1
    row = np.searchsorted(cohorts, cells["cohort"].to_numpy())
    cell = row * n_cols + cells["period"].to_numpy()
    counts = _cell_sums(cell, cells["customers"], n_rows, n_cols)
    if mode == "on or after":  # cells hold each customer's last active period
        counts = counts[:, ::-1].cumsum(axis=1)[:, ::-1]
    lo = np.arange(n_cols)
    observed, complete = _calendar_limits(cohorts, lo, lo, freq, until)
    cell_values = _cell_values(counts, sizes, observed, complete,
                               revenue=_cell_sums(cell, cells["revenue"], n_rows, n_cols) if revenue else None,
                               gross_sum=_cell_sums(cell, cells["gross"], n_rows, n_cols) if revenue else None,
                               stacklevel=stacklevel + 1)
    table = _table(cohorts, sizes, cell_values, list(range(n_cols)), freq=freq, periods="calendar", mode=mode,
                   metric=metric, as_of=log.as_of, report=report)
    _add_notes(table, freq, left_censored=first_cohort == "warn" and bool(n_first),
               data_first_period=data_first_period, open_end=mode == "on or after")
    return table


def _cell_sums(cell: np.ndarray, values: pd.Series, n_rows: int, n_cols: int) -> np.ndarray:
    """An engine column summed into the cohorts x periods matrix (``cell`` = row * n_cols + period)."""
    return np.bincount(cell, weights=values.to_numpy(float), minlength=n_rows * n_cols).reshape(n_rows, n_cols)
