"""The plots of a comparison: the differences with their intervals, the Kaplan-Meier curves
per arm and the hazard ratio period by period.

Internal to :mod:`retention_kit.compare`: the methods of
:class:`~retention_kit.RetentionComparison` (``plot_difference``, ``plot_curves``,
``plot_hazard_ratio``, ``hazard_ratio_over_time``), which keep the signatures and the
docstrings of the plot contract, draw with these functions.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ParameterError
from .text import horizon_words, in_units, unit_short

__all__ = ["draw_curves", "draw_difference", "draw_hazard_ratio", "hazard_ratio_table"]


def draw_difference(result, ax=None, **kwargs):
    """:meth:`RetentionComparison.plot_difference` of ``result`` (see there)."""
    from matplotlib.lines import Line2D

    from ..plotting import artist_kwargs, get_axes, label

    ax = get_axes(ax)
    s = result.summary
    y = np.arange(len(s))[::-1]
    diff, lower, upper = (s[c].to_numpy(dtype=float) * 100 for c in ("diff", "ci_lower", "ci_upper"))
    ax.errorbar(diff, y, xerr=[diff - lower, upper - diff], **artist_kwargs(kwargs, Line2D, fmt="o", capsize=4))
    for d, lo, hi, yy in zip(diff, lower, upper, y):
        ax.annotate(f"{d:+.1f} ({lo:+.1f} to {hi:+.1f})", (d, yy), textcoords="offset points",
                    xytext=(0, 8), ha="center", fontsize=9)
    ax.axvline(0, color="grey", lw=1, ls="--")
    ax.set_yticks(y, [str(a) for a in s.index])
    ax.set_ylim(-0.6, len(s) - 0.3)  # room above the top arm for its numbers
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos=None: "0" if v == 0 else f"{v:+g} pp"))
    return label(ax, title=f"Retention {horizon_words(result.horizon, result.time_unit)}: difference from {result.control}",
                 xlabel=f"treatment minus control (percentage points, {1 - result.alpha:.0%} CI)", ylabel="arm")


def hazard_ratio_table(result, intervals: int = 4) -> pd.DataFrame:
    """:meth:`RetentionComparison.hazard_ratio_over_time` of ``result`` (see there)."""
    if result.lifetimes is None:
        raise ParameterError("This comparison was made from counts: there are no lifetimes. "
                             "Use compare_retention(assignments, events) for the hazard ratio over time.")
    if isinstance(intervals, bool) or not isinstance(intervals, (int, np.integer)) or intervals < 1:
        raise ParameterError(f"intervals={intervals!r} must be a whole number of periods, at least 1.")
    life = result.lifetimes
    d, e = life["duration"].to_numpy(float), life["churned"].to_numpy(bool)
    edges = np.unique(np.r_[0.0, np.quantile(d[e], np.linspace(0, 1, intervals + 1)[1:-1]), np.inf])
    z = stats.norm.isf(result.alpha / 2)
    rows = []

    def counts(mask, lo, hi):
        dd, ee = d[mask], e[mask]
        exposure = np.clip(np.minimum(dd, hi) - lo, 0, None).sum()
        events = int((ee & (dd > lo) & (dd <= hi)).sum()) if lo > 0 else int((ee & (dd <= hi)).sum())
        return events, exposure

    ctrl = (life["arm"] == result.control).to_numpy()
    for arm in result.summary.index:
        mine = (life["arm"] == arm).to_numpy()
        for lo, hi in zip(edges[:-1], edges[1:]):
            d_a, x_a = counts(mine, lo, hi)
            d_c, x_c = counts(ctrl, lo, hi)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = (d_a / x_a) / (d_c / x_c) if d_a and d_c else np.nan
                se = math.sqrt(1 / d_a + 1 / d_c) if d_a and d_c else np.nan
            rows.append({"arm": arm, "from_day": lo, "to_day": hi, "events": d_a, "control_events": d_c,
                         "hazard_ratio": ratio, "ci_lower": ratio * math.exp(-z * se),
                         "ci_upper": ratio * math.exp(z * se)})
    return pd.DataFrame(rows)


def draw_hazard_ratio(result, ax=None, *, intervals: int = 4, **kwargs):
    """:meth:`RetentionComparison.plot_hazard_ratio` of ``result`` (see there)."""
    from matplotlib.lines import Line2D

    from ..plotting import artist_kwargs, get_axes, label

    table = result.hazard_ratio_over_time(intervals)
    ax = get_axes(ax)
    for k, (arm, part) in enumerate(table.groupby("arm", sort=False)):
        top = np.where(np.isfinite(part["to_day"]), part["to_day"],
                       max(part["from_day"].max() * 1.5, part["from_day"].max() + 30))
        mid = (part["from_day"].to_numpy() + top) / 2
        hr = part["hazard_ratio"].to_numpy()
        line = ax.errorbar(mid, hr, yerr=[hr - part["ci_lower"], part["ci_upper"] - hr],
                           **artist_kwargs(kwargs, Line2D, fmt="o-", capsize=3, label=f"{arm}: per period"))
        avg = result.summary.loc[arm, "hazard_ratio"]
        ax.axhline(avg, ls="--", lw=1, color=line[0].get_color(), label=f"{arm}: time average {avg:.2f}")
    ax.axhline(1.0, color="grey", lw=0.8, ls=":", label="1 = same hazard as control")
    ax.set_yscale("log")
    from ..plotting import legend_outside, ratio_axis

    ratio_axis(ax, "y")
    legend_outside(ax)
    return label(ax, title=f"Hazard ratio against {result.control} over time",
                 xlabel=f"{result.time_unit} since assignment (middle of the period)",
                 ylabel=f"hazard ratio (log scale)\n> 1: churns sooner than {result.control}")


def draw_curves(result, ax=None, *, at_risk: bool = True, ci_show: bool = True, xticks=None, **kwargs):
    """:meth:`RetentionComparison.plot_curves` of ``result`` (see there)."""
    from ..plotting import get_axes, label, percent_axis

    if result.curves is None:
        raise ParameterError("This comparison was made from counts: there are no curves to plot. "
                             "Use compare_retention(assignments, events) for the curves.")
    ax = get_axes(ax)
    result.curves.plot(ax, at_risk=at_risk, ci_show=ci_show, xticks=xticks, **kwargs)
    if result.horizon is not None:
        h = in_units(result.horizon)
        ax.axvline(h, color="grey", lw=1, ls=":", label=f"horizon ({h:g} {unit_short(result.time_unit)})")
    from ..plotting import legend_outside

    legend_outside(ax)
    percent_axis(ax)
    return label(ax, title="Retention by arm since assignment (Kaplan-Meier)",
                 xlabel=f"{result.time_unit} since assignment", ylabel="share still active")
