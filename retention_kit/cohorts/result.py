"""The result of :func:`~retention_kit.cohort_table`: :class:`CohortTable`, its numbers
(``average``, ``summary``), its words (``explain``, the text and HTML displays) and its plots."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._options import renamed_attributes
from ..periods import Freq
from ..plotting import get_axes, label, percent_axis
from ..results import DataQualityReport, Result, explains, render_html
from .options import RELATIVE_DAYS


@renamed_attributes(breakdown="by")
@dataclass(repr=False)
class CohortTable(Result):
    """Retention by acquisition cohort: the result of :func:`cohort_table`.

    Attributes
    ----------
    sizes : Series
        Customers per acquisition cohort (index: cohort; with ``by``, (value, cohort)).
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
        With ``by``: one CohortTable per value; otherwise empty.
    by : str or None
        The column the table is broken down by (``breakdown`` until 0.3.0).
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
    by: str | None = None
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
            return f"{RELATIVE_DAYS[self.freq.code]}-day window"
        return self.freq.name

    @explains
    def explain(self) -> str:
        """A few plain-language sentences with the table's own numbers."""
        if self.groups:
            parts = [f"Broken down by {self.by!r} (value at each customer's acquisition):"]
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
        # Open-ended "on or after": the caveat is in self.notes (see cells._OPEN_END).
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
            days = RELATIVE_DAYS[self.freq.code]
            return f"period {k} (days {k * days}–{(k + 1) * days - 1} after acquisition)"
        if cohort is None:
            return f"period {k}"
        return f"period {k} ({self._cohort_name(cohort + int(k))})"

    def _title(self) -> str:
        kind = "calendar" if self.periods == "calendar" else "relative"
        what = "revenue retention" if self.metric == "revenue" else f"'{self.mode}' retention"
        by = f", by {self.by}" if self.by else ""
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

        from ..plotting import caption, index_ticks, short_period_labels

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

        from ..plotting import artist_kwargs

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
        from ..plotting import headroom, index_ticks, legend_outside, short_period_labels

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

        from ..plotting import artist_kwargs

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
