"""Kaplan-Meier curves: :func:`kaplan_meier` and :class:`SurvivalCurves` (survival at horizons,
median lifetimes, RMST per group, plot, the log-rank test of the curves).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._options import check_alpha as _check_alpha, check_horizon, legacy_arguments
from ..errors import DataError, ImmatureDataWarning, ParameterError
from ..plotting import get_axes, label, percent_axis
from ..results import explains, format_p, metadata, render_html, Result
from ._common import group_name, lifetime_groups, time_unit_of
from .logrank_tests import logrank_groups, LogrankResult
from .restricted_mean import rmst


@dataclass
class SurvivalCurves(Result):
    """Kaplan-Meier curves, one per group, with lifelines fitters underneath.

    Attributes
    ----------
    fitters : dict
        Group name -> fitted ``lifelines.KaplanMeierFitter``.
    by : list
        The grouping columns ([] for one curve).
    alpha : float
        1 - confidence level of the bands.
    time_unit : str
        Unit of the durations ("days", "months").
    """

    fitters: dict
    by: list
    alpha: float
    time_unit: str = "days"
    groups: dict = field(default_factory=dict, repr=False)
    churn_after: pd.Timedelta | None = None  # how the lifetimes were built, when known
    censor_at: str | None = None
    not_yet_classifiable: int = 0  # customers left out by customer_lifetimes, when known
    test: "LogrankResult | None" = field(default=None, repr=False)  # set by .logrank()

    @property
    def summary(self) -> pd.DataFrame:
        """Per group: customers, churned, censored, longest follow-up and median lifetime."""
        med = self.median_lifetime().set_index("group")
        rows = []
        for name, g in self.groups.items():
            rows.append({"group": name, "customers": g.customers, "churned": g.churned,
                         "censored": g.customers - g.churned, "max_duration": float(g.durations.max()),
                         "median": med.loc[name, "median"], "ci_lower": med.loc[name, "ci_lower"],
                         "ci_upper": med.loc[name, "ci_upper"]})
        return pd.DataFrame(rows)

    @legacy_arguments(renamed={"horizons": "horizon"})
    def survival_at(self, horizon) -> pd.DataFrame:
        """Survival (share retained) at each horizon with its confidence interval.

        ``horizon``: one horizon or a list of them, each a number of time units or a
        duration such as ``"90D"`` (``horizons`` until 0.2.0). One row per group and
        horizon: ``group``, ``horizon``, ``survival``, ``ci_lower``, ``ci_upper``,
        ``at_risk``. A horizon beyond a group's longest duration (while its curve is
        above 0) gives NaN with an :class:`ImmatureDataWarning`: the curve is unknown there.
        """
        many = horizon if isinstance(horizon, (list, tuple, np.ndarray, pd.Index, pd.Series)) else [horizon]
        try:
            hs = np.asarray([check_horizon(h, self.time_unit) if isinstance(h, (str, pd.Timedelta))
                             else float(h) for h in many], dtype=float)
        except (ParameterError, TypeError, ValueError):
            raise ParameterError(f"horizon={horizon!r} must be non-negative numbers (or durations "
                                 "such as '90D').") from None
        if (hs < 0).any() or not np.isfinite(hs).all():
            raise ParameterError(f"horizon={horizon!r} must be non-negative numbers.")
        rows = []
        for name, kmf in self.fitters.items():
            g = self.groups[name]
            sf = kmf.survival_function_.iloc[:, 0]
            ci = kmf.confidence_interval_survival_function_
            longest = float(g.durations.max())
            for h in hs:
                pos = sf.index.searchsorted(h, side="right") - 1
                s, lo, hi = float(sf.iloc[pos]), float(ci.iloc[pos, 0]), float(ci.iloc[pos, 1])
                if h > longest and s > 0:
                    warnings.warn(
                        f"Horizon {h:g} is beyond the longest follow-up of {name} ({longest:g} "
                        f"{self.time_unit}): survival there is unknown (NaN).", ImmatureDataWarning,
                        stacklevel=2)
                    s = lo = hi = np.nan
                at_risk = float(g.weights[g.durations > h].sum())
                rows.append({"group": name, "horizon": h, "survival": s, "ci_lower": lo,
                             "ci_upper": hi, "at_risk": at_risk})
        return pd.DataFrame(rows)

    def median_lifetime(self) -> pd.DataFrame:
        """Median lifetime per group with its confidence interval.

        Where a curve never falls to 50 %, ``median`` is NaN, ``reached`` is False and
        ``note`` says so: more than half of the customers were still retained at the
        longest follow-up, so the median is only known to be longer than that. An
        interval bound that is never reached is ``inf``.
        """
        from lifelines.utils import median_survival_times

        rows = []
        for name, kmf in self.fitters.items():
            g = self.groups[name]
            median = float(kmf.median_survival_time_)
            ci = median_survival_times(kmf.confidence_interval_survival_function_)
            lo, hi = float(ci.iloc[0, 0]), float(ci.iloc[0, 1])
            reached = np.isfinite(median)
            if reached and median == 0:
                note = "more than half never came back after their start (median 0)"
            elif reached:
                note = f"half of the customers churned by {median:,.1f} {self.time_unit}"
            else:
                lowest = float(kmf.survival_function_.iloc[-1, 0])
                note = (f"never reaches 50 %: {lowest:.1%} still retained at "
                        f"{g.durations.max():,.1f} {self.time_unit}, so the median is longer")
                median = np.nan
            rows.append({"group": name, "median": median, "ci_lower": lo, "ci_upper": hi,
                         "reached": bool(reached), "note": note})
        return pd.DataFrame(rows)

    @legacy_arguments(renamed={"t": "horizon"})
    def rmst(self, horizon) -> pd.DataFrame:
        """Restricted mean survival time up to ``horizon`` per group (see :func:`rmst`;
        ``t`` until 0.2.0)."""
        out = [rmst(g.durations, g.events, horizon=horizon, weights=g.weights, alpha=self.alpha, label=name,
                    time_unit=self.time_unit).summary for name, g in self.groups.items()]
        return pd.concat(out, ignore_index=True)

    def plot(self, ax=None, *, at_risk: bool = True, ci_show: bool = True, xticks=None, **kwargs):
        """Survival curves with confidence bands and, under them, the customers at risk and
        churned so far, one column per axis tick (one set of ticks for both: ``xticks``, or
        the axis' own). A curve starting below 100 % gets a note saying why.

        ``kwargs`` go to each group's Kaplan-Meier line (lifelines'
        ``plot_survival_function``, then ``Axes.plot``), e.g. ``lw=`` or, with one group,
        ``color=`` / ``label=`` (the band and the at-risk rows follow the line's colour)."""
        from matplotlib.lines import Line2D

        from ..plotting import artist_kwargs, headroom, legend_outside, note, table_under

        ax = get_axes(ax, figsize=(8, 5))
        lines = []
        for kmf in self.fitters.values():
            kmf.plot_survival_function(ax=ax, ci_show=ci_show, **artist_kwargs(kwargs, Line2D))
            lines.append(ax.get_lines()[-1])
        ax.set_ylim(0, 1.0)
        headroom(ax, top=1.0, margin=0.05)
        percent_axis(ax)
        legend_outside(ax)
        lo, hi = ax.get_xlim()
        if xticks is None:
            ticks = [float(t) for t in ax.get_xticks() if lo - 1e-9 <= t <= hi + 1e-9]
        else:
            ticks = sorted(float(t) for t in xticks)
            lo, hi = min([lo, *ticks]), max([hi, *ticks])
        ax.set_xticks(ticks)
        ax.set_xlim(lo, hi)
        what = f" by {', '.join(map(str, self.by))}" if self.by else ""
        label(ax, title=f"Share of customers still active{what} (Kaplan-Meier)",
              xlabel=f"{self.time_unit} since start", ylabel="survival (retained)")
        if at_risk:
            rows = [(self.time_unit, [f"{t:g}" for t in ticks], "black")]
            for (name, kmf), line in zip(self.fitters.items(), lines):
                table = kmf.event_table
                at = [table.loc[table.index >= t, "removed"].sum() for t in ticks]
                gone = [table.loc[table.index <= t, "observed"].sum() for t in ticks]
                color = line.get_color()
                rows.append((f"{name}: at risk", [f"{v:,.0f}" for v in at], color))
                rows.append((f"{name}: churned", [f"{v:,.0f}" for v in gone], color))
            table_under(ax, ticks, rows, title=f"Customers at risk (still observed) and churned so far, "
                                               f"by {self.time_unit} since start")
        start = {name: float(kmf.predict(0.0)) for name, kmf in self.fitters.items()}
        low = {name: v for name, v in start.items() if v < 1 - 1e-9}
        if low:
            day = f"{self.time_unit.rstrip('s')} 0"
            where = ", ".join(f"{v:.1%} ({name})" if len(start) > 1 else f"{v:.1%}" for name, v in low.items())
            why = ("customers who never came back after their first purchase count as churned on "
                   f"{day} (churn_after inactivity rule)" if self.churn_after is not None else
                   f"customers with a lifetime of 0 {self.time_unit} churned at once")
            note(ax, f"Starts below 100 % on {day}: {where}; {why}.")
        return ax

    def logrank(self) -> "LogrankResult":
        """The log-rank test that these curves are equal (the same as :func:`logrank` on the
        lifetimes); :meth:`explain` reports it from then on instead of suggesting one."""
        if len(self.groups) < 2:
            raise DataError("One curve: a log-rank test needs at least two groups (kaplan_meier(..., by=...)).")
        if sum(g.churned for g in self.groups.values()) == 0:
            raise DataError("No customer churned in any group: the log-rank test has nothing to compare.")
        self.test = logrank_groups(self.groups, self.by, self.alpha)
        return self.test

    @explains
    def explain(self, logrank: "LogrankResult | None" = None) -> str:
        """Plain sentences with the medians and what the curves do not say.

        With two or more curves, the last sentence reports the log-rank test when one was run
        (``logrank``, or :meth:`logrank` called before), else says that one is needed to call
        the curves different."""
        test = logrank if logrank is not None else self.test
        parts = []
        for row in self.median_lifetime().itertuples():
            g = self.groups[row.group]
            head = (f"{row.group}: {g.customers:,.0f} customers, {g.churned:,.0f} churned and "
                    f"{g.customers - g.churned:,.0f} still active (censored); ")
            if row.reached:
                parts.append(head + f"half had churned by {row.median:,.1f} {self.time_unit} "
                             f"({1 - self.alpha:.0%} interval {row.ci_lower:,.1f} to {row.ci_upper:,.1f}).")
            else:
                parts.append(head + f"the curve {row.note}.")
        if self.churn_after is not None:
            days = self.churn_after / pd.Timedelta(days=1)
            where = ("the last instant a lapse could be seen, as of minus that threshold"
                     if self.censor_at == "detection_limit" else "the as-of date")
            parts.append(f"A customer counts as churned after {days:g} days without activity; the "
                         f"others are censored at {where}, and a different threshold gives "
                         "different curves.")
        if self.not_yet_classifiable:
            parts.append(f"{self.not_yet_classifiable:,} customers who started less than that before the "
                         "as-of date are not yet classifiable and are left out (they could not have "
                         "churned yet, so keeping them would lift the curves).")
        parts.append("Censored customers count for as long as they were observed, so the curves "
                     "are not biased towards short lifetimes; bands widen where few remain at risk.")
        if len(self.groups) >= 2 and test is None:
            parts.append("Differences between curves are descriptive: use logrank() for a test.")
        elif len(self.groups) >= 2:
            verdict = ("a difference unlikely under equal retention" if test.p_value < self.alpha
                       else "compatible with equal retention")
            p_text = f"p {format_p(test.p_value)}" if test.p_value < 0.001 else f"p = {format_p(test.p_value)}"
            parts.append(f"The log-rank test of the differences: chi-square {test.test_statistic:,.2f} on "
                         f"{test.degrees_of_freedom} df, {p_text}, {verdict}.")
        return " ".join(parts)

    title = "Kaplan-Meier survival curves"

    def __repr__(self) -> str:
        return "SurvivalCurves\n" + self.summary.to_string(index=False)

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, [self.explain()])


def kaplan_meier(lifetimes: pd.DataFrame, *, by=None, weights_col: str | None = None,
                 alpha: float = 0.05, label: str | None = None, duration_col: str = "duration",
                 event_col: str = "churned", time_unit: str | None = None) -> SurvivalCurves:
    """Kaplan-Meier survival curves of lifetimes, one per group.

    Parameters
    ----------
    lifetimes : DataFrame
        Columns ``duration`` and ``churned`` (from :func:`customer_lifetimes`,
        :func:`subscription_lifetimes` or :func:`aggregate_lifetimes`).
    by : str or list of str, optional
        Column(s) defining the groups (segment, channel, arm).
    weights_col : str, optional
        Whole counts of identical customers per row (aggregated input): the curves,
        bands and medians equal those of the raw rows.
    alpha : float
        1 - confidence level of the bands (lifelines' exponential Greenwood intervals).
    label : str, optional
        Name of the single curve when ``by`` is None (default "all customers").
    duration_col, event_col : str
        The columns of the durations and of the churn flags (default ``duration`` and
        ``churned``). Flags may be True/False, 1/0 or text Yes/No, True/False,
        churned/active in any case; anything else is refused with the values and the count.
    time_unit : str, optional
        The unit the durations are in ("days", "weeks", "months"), used in every
        explanation and axis label; by default the unit the lifetimes' builder recorded
        (``rk.metadata(lifetimes)``), else days.

    Returns
    -------
    SurvivalCurves

    Examples
    --------
    >>> life = pd.DataFrame({"duration": [2, 3, 4, 5, 6], "churned": [1, 0, 1, 0, 0]})
    >>> km = kaplan_meier(life)
    >>> km.survival_at([1, 2, 4])[["horizon", "survival"]].round(4)
       horizon  survival
    0      1.0    1.0000
    1      2.0    0.8000
    2      4.0    0.5333
    """
    from lifelines import KaplanMeierFitter

    alpha = _check_alpha(alpha)
    by_cols, groups = lifetime_groups(lifetimes, by, weights_col, label or "all customers", duration_col,
                                       event_col)
    time_unit = time_unit_of(lifetimes, time_unit)
    named = {group_name(k): g for k, g in groups.items()}
    fitters = {}
    for name, g in named.items():
        kmf = KaplanMeierFitter(alpha=alpha, label=name)
        with warnings.catch_warnings():
            # lifelines warns that weights are "not integers" for floats holding integers.
            warnings.simplefilter("ignore", category=Warning)
            kmf.fit(g.durations, g.events, weights=g.weights)
        fitters[name] = kmf
    return SurvivalCurves(fitters=fitters, by=by_cols, alpha=alpha, time_unit=time_unit,
                          groups=named, churn_after=metadata(lifetimes).get("churn_after"),
                          censor_at=lifetimes.attrs.get("censor_at"),
                          not_yet_classifiable=int(lifetimes.attrs.get("not_yet_classifiable") or 0))


# --------------------------------------------------------------------------------------
# Log-rank
# --------------------------------------------------------------------------------------
