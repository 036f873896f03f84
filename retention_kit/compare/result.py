"""The result of a comparison, :class:`RetentionComparison`: its summary, its verdicts and
its words (``explain()``, ``repr``, the HTML table). Its monitoring and its plots live in
:mod:`.monitoring` and :mod:`.plots`.

The public names are re-exported by :mod:`retention_kit.compare`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..results import Result, explains, render_html
from .monitoring import monitor_comparison
from .options import CORRECTIONS, PRIMARY
from .plots import draw_curves, draw_difference, draw_hazard_ratio, hazard_ratio_table
from .srm import SampleRatioCheck
from .text import days, eq, fmt_p, horizon_words, in_units, p_is, pct, points, prob, unit_short, unit_word

__all__ = ["RetentionComparison"]


@dataclass
class RetentionComparison(Result):
    """Treatment arms against control: fixed-horizon retention, the whole survival curve,
    the Bayesian view and the checks that say whether to trust them.

    Attributes
    ----------
    summary : DataFrame
        One row per treatment arm (index ``arm``) against ``control``. Fixed-horizon
        columns: ``n``, ``retained``, ``rate`` (mature customers of the arm), ``control_n``,
        ``control_retained``, ``control_rate``, ``diff`` (rate minus control rate),
        ``relative_diff`` (diff / control rate), ``ci_lower``/``ci_upper`` (interval of
        diff), ``p_value`` (pooled z-test), ``p_value_adjusted`` (for several arms),
        ``exact_p_value`` (Fisher's exact test, a check for small samples),
        ``prob_beat_control`` and ``expected_loss`` (Bayesian). From raw data also
        ``immature`` (customers left out of the fixed-horizon test) and the whole-curve
        columns ``logrank_p_value``, ``rmst``, ``control_rmst``, ``rmst_diff``,
        ``rmst_ci_lower``, ``rmst_ci_upper``, ``rmst_p_value`` (restricted mean survival
        time in ``time_unit`` up to ``rmst_horizon``), ``hazard_ratio``, ``hr_ci_lower``,
        ``hr_ci_upper``, ``hr_p_value`` (Cox: a time-averaged hazard ratio, reported even
        when proportional hazards are doubtful, with a caveat; see ``plot_hazard_ratio``) and
        ``ph_p_value``. Across arms: ``*_p_value_adjusted`` for every family of p-values
        (``p_value``, ``exact_p_value``, ``logrank_p_value``, ``rmst_p_value``,
        ``hr_p_value``) and ``*_adjusted`` intervals matching the correction
        (``ci_lower_adjusted``, ``rmst_ci_lower_adjusted``, ``hr_ci_lower_adjusted`` and
        their upper ends). ``primary_p_value`` and ``verdict`` ("better", "worse", "no clear
        difference", "not available") come from the declared primary analysis.
    control : str
        The control arm.
    srm : SampleRatioCheck
        Sample ratio mismatch check of the assigned customers.
    curves : SurvivalCurves or None
        Kaplan-Meier curves per arm (raw data only).
    lifetimes : DataFrame or None
        One row per assigned customer: lifetime from assignment, ``churned``, ``arm``,
        ``mature`` and ``retained`` (nullable boolean: activity in the window after the
        horizon; NA for immature customers, whose window is not over yet).
    primary : str
        The declared primary analysis ("fixed_horizon", "rmst" or "logrank").
    horizon, rmst_horizon : Timedelta, float or None
        The horizons: durations (days) when the lifetimes are in days, as every comparison
        made from events; otherwise numbers of ``time_unit``.
    window : Timedelta or None
        The window after the horizon; None when only lifetimes were given (open end).
    time_unit : str
        The unit of the lifetimes' durations, the RMST and the plots' time axes ("days"
        unless lifetimes in another unit were given).
    notes : list of str
        Every caveat raised as a warning, in words.

    The summary is kept as the field ``table`` (``RetentionComparison(table=...)``) and read
    as the property ``summary``, so it cannot be replaced from outside.
    """

    table: pd.DataFrame
    control: str
    control_n: int
    alpha: float
    ci_method: str
    correction: str
    prior: tuple
    srm: SampleRatioCheck
    horizon: pd.Timedelta | None = None
    churn_after: pd.Timedelta | None = None
    as_of: pd.Timestamp | None = None
    rmst_horizon: pd.Timedelta | None = None
    curves: object = None
    lifetimes: pd.DataFrame | None = None
    data_quality: object = None
    immature: pd.Series | None = None
    notes: list = field(default_factory=list)
    primary: str = "fixed_horizon"
    window: pd.Timedelta | None = None
    time_unit: str = "days"

    @property
    def summary(self) -> pd.DataFrame:
        """One row per treatment arm against control (see the class docstring for the columns)."""
        return self.table

    @property
    def title(self) -> str:
        return self._title()

    @property
    def verdicts(self) -> pd.Series:
        """Per arm: "better", "worse", "no clear difference" (or "not available"), decided
        by the declared primary test, adjusted across arms."""
        return self.summary["verdict"]

    @property
    def arms(self) -> list:
        return [self.control, *self.summary.index]

    @property
    def has_curves(self) -> bool:
        return "logrank_p_value" in self.summary.columns

    # -- words ---------------------------------------------------------------------
    def _title(self) -> str:
        where = horizon_words(self.horizon, self.time_unit)
        return f"Retention {where}: {', '.join(map(str, self.summary.index))} vs {self.control}"

    def _definition(self) -> str:
        where = horizon_words(self.horizon, self.time_unit)
        h, u = in_units(self.horizon), self.time_unit
        if self.window is None:
            return (f"'Retained {where}' means some activity more than {h:g} {u} after assignment, up to "
                    f"{self.as_of:%Y-%m-%d} (open end: the rate depends on that date); only customers whose "
                    f"{h:g} {u} plus the {days(self.churn_after):g}-day churn window had elapsed are counted.")
        w = days(self.window)
        whose = "the churn window" if self.window == self.churn_after else "the window"
        return (f"'Retained {where}' means some activity more than {h:g} and at most {h + w:g} days after "
                f"assignment (a {w:g}-day window after the horizon, {whose}); only customers whose "
                f"{h:g} + {w:g} days had elapsed by {self.as_of:%Y-%m-%d} are counted, so their status is final.")

    def _adjusted(self) -> bool:
        return len(self.summary) > 1 and self.correction != "none"

    def _ci_word(self, adjusted: bool) -> str:
        """How an adjusted interval covers: all arms at once (Holm, Bonferroni) or the
        false-coverage rate of the selected ones (Benjamini-Hochberg)."""
        if not adjusted:
            return ""
        return " false-coverage-adjusted" if self.correction == "bh" else " simultaneous"

    def _verdict_line(self, arm, row) -> str:
        """The primary analysis's verdict for one arm, with its own estimate and interval."""
        conf = f"{1 - self.alpha:.0%}"
        adj = self._adjusted()
        sfx = "_adjusted" if adj else ""
        how = f", {CORRECTIONS[self.correction]}-adjusted across {len(self.summary)} arms" if adj else ""
        what = PRIMARY[self.primary][1].format(where=horizon_words(self.horizon, self.time_unit),
                                               unit=unit_word(self.time_unit),
                                               rmst=in_units(self.rmst_horizon) if self.rmst_horizon is not None else 0)
        p = row["primary_p_value"]
        word = {"better": f"{arm} kept more customers than {self.control}",
                "worse": f"{arm} kept fewer customers than {self.control}",
                "no clear difference": f"no clear difference between {arm} and {self.control}",
                "not available": f"{arm} vs {self.control} could not be tested"}[row["verdict"]]
        if self.primary == "fixed_horizon":
            lo, hi = row["ci_lower" + sfx], row["ci_upper" + sfx]
            size = (f"{row['diff'] * 100:+.1f} points ({conf}{self._ci_word(adj)} CI "
                    f"{lo * 100:+.1f} to {hi * 100:+.1f})")
        elif self.primary == "rmst":
            lo, hi = row["rmst_ci_lower" + sfx], row["rmst_ci_upper" + sfx]
            size = (f"{row['rmst_diff']:+.1f} {self.time_unit} of the first {in_units(self.rmst_horizon):g} ({conf}"
                    f"{self._ci_word(adj)} CI {lo:+.1f} to {hi:+.1f})")
        else:
            lo, hi = row["hr_ci_lower" + sfx], row["hr_ci_upper" + sfx]
            size = (f"time-averaged hazard ratio {row['hazard_ratio']:.2f} ({conf}"
                    f"{self._ci_word(adj)} CI {lo:.2f} to {hi:.2f})")
            lo, hi = np.log(lo), np.log(hi)  # excludes 1 <=> excludes 0 on the log scale
        text = f"Verdict for {arm} (primary analysis: {what}{how}): {word}; {size}, {'adjusted ' if adj else ''}p {p_is(p)}."
        if np.isfinite(p) and np.isfinite(lo) and np.isfinite(hi):
            excludes = lo > 0 or hi < 0
            if excludes != (p < self.alpha):
                text += (" The interval and the test disagree at this boundary ("
                         + ("the interval excludes no effect but the test does not reject" if excludes else
                            "the test rejects but the interval includes no effect")
                         + "); the verdict follows the declared primary test.")
        return text

    @explains
    def explain(self) -> str:
        """Plain-language verdict with the actual numbers and what they do not say.

        It leads with the verdict of the declared primary analysis (the ``verdict`` column),
        then gives every other analysis as supporting evidence.
        """
        s = self.summary
        conf = f"{1 - self.alpha:.0%}"
        adj = self._adjusted()
        lines = [self._verdict_line(arm, row) for arm, row in s.iterrows()]
        if self.horizon is not None:
            lines.append(self._definition())
        first = s.iloc[0]
        lines.append(f"Control ({self.control}): {int(first['control_retained']):,} of "
                     f"{int(first['control_n']):,} retained ({first['control_rate']:.1%}).")
        name = CORRECTIONS[self.correction]
        for arm, row in s.iterrows():
            extra = ""
            if adj:
                extra = (f", {name}-adjusted {fmt_p(row['p_value_adjusted'])} ({conf}{self._ci_word(adj)} CI "
                         f"{row['ci_lower_adjusted'] * 100:+.1f} to {row['ci_upper_adjusted'] * 100:+.1f})")
            lines.append(
                f"{arm}: {int(row['retained']):,} of {int(row['n']):,} ({row['rate']:.1%}), a difference of "
                f"{row['diff'] * 100:+.1f} points ({conf} CI {row['ci_lower'] * 100:+.1f} to "
                f"{row['ci_upper'] * 100:+.1f}; relative {row['relative_diff']:+.1%}), "
                f"p {p_is(row['p_value'])}{extra}. Bayesian view (Beta({self.prior[0]:g}, {self.prior[1]:g}) "
                f"prior on each rate): P({arm} beats control) {eq(prob(row['prob_beat_control']))}, expected "
                f"loss if you ship it {points(row['expected_loss'])}.")
            if self.has_curves:
                rh, u = in_units(self.rmst_horizon), self.time_unit
                ph = ("proportional hazards not rejected" if row["ph_p_value"] >= self.alpha else
                      "proportional hazards doubtful, so the effect changes over time: see plot_hazard_ratio()")
                hr = (f"time-averaged hazard ratio {row['hazard_ratio']:.2f} ({conf} CI {row['hr_ci_lower']:.2f} to "
                      f"{row['hr_ci_upper']:.2f}; {ph}, p {p_is(row['ph_p_value'])})")
                if adj:
                    hr += (f"; {name}-adjusted p: log-rank {fmt_p(row['logrank_p_value_adjusted'])}, RMST "
                           f"{fmt_p(row['rmst_p_value_adjusted'])}, hazard ratio {fmt_p(row['hr_p_value_adjusted'])}")
                lines.append(
                    f"Whole curve, all {int(row['n'] + row['immature']):,} {arm} customers: log-rank "
                    f"p {p_is(row['logrank_p_value'])}; mean {u} retained within the first {rh:g} "
                    f"(RMST) {row['rmst']:.1f} vs {row['control_rmst']:.1f}, {row['rmst_diff']:+.1f} {u} "
                    f"({conf} CI {row['rmst_ci_lower']:+.1f} to {row['rmst_ci_upper']:+.1f}); {hr}.")
        lines.append(self.srm.explain())
        if len(s) > 1:
            lines.append(f"{len(s)} treatment arms were compared with control: every family of p-values is "
                         f"{name}-adjusted for the several comparisons"
                         + (f", and the{self._ci_word(adj)} intervals match it." if adj else "."))
        if self.has_curves:
            lines.append("The analyses other than the primary one test the same hypothesis another way: they "
                         "support the verdict, they do not replace it.")
        lines.append("A small p-value says the difference is unlikely to be chance, not that it is "
                     "large: judge the size by the interval.")
        lines.extend(self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        cols = [c for c in ("n", "rate", "diff", "ci_lower", "ci_upper", "p_value", "p_value_adjusted",
                            "prob_beat_control", "verdict") if c in self.summary.columns]
        with pd.option_context("display.width", 120, "display.precision", 4):
            table = self.summary[cols].to_string()
        return f"RetentionComparison: {self._title()}\n{table}\n(.explain() for the verdict in words)"

    def _repr_html_(self) -> str:
        s = self.summary
        shown = pd.DataFrame(index=s.index)
        shown["n"] = s["n"].map("{:,.0f}".format)
        shown["retained"] = s["retained"].map("{:,.0f}".format)
        shown["rate"] = s["rate"].map(pct)
        shown[f"{self.control} rate"] = s["control_rate"].map(pct)
        shown["diff (points)"] = s["diff"].map(lambda v: f"{v * 100:+.1f}")
        shown[f"{1 - self.alpha:.0%} CI"] = [f"{lo * 100:+.1f} to {hi * 100:+.1f}"
                                             for lo, hi in zip(s["ci_lower"], s["ci_upper"])]
        shown["p"] = s["p_value"].map(fmt_p)
        shown["p adjusted"] = s["p_value_adjusted"].map(fmt_p)
        shown["verdict"] = s["verdict"]
        shown["P(beats control)"] = s["prob_beat_control"].map(prob)
        if self.has_curves:
            shown["log-rank p"] = s["logrank_p_value"].map(fmt_p)
            shown[f"RMST diff ({in_units(self.rmst_horizon):g} {unit_short(self.time_unit)})"] = [
                f"{d:+.1f} ({lo:+.1f} to {hi:+.1f})"
                for d, lo, hi in zip(s["rmst_diff"], s["rmst_ci_lower"], s["rmst_ci_upper"])]
            shown["hazard ratio (time average)"] = s["hazard_ratio"].map(
                lambda v: "–" if not np.isfinite(v) else f"{v:.2f}")
        notes = self.explain().split("\n")
        return render_html(self._title(), shown, notes)

    # -- monitoring (in .monitoring) ----------------------------------------------------
    def monitor(self, design, planned_n, *, look: int | None = None, earlier=None, arm=None,
                final: bool | None = None):
        """Read this comparison as one look of a running experiment: the boundary at this
        look, the z statistic and the decision ("stop for efficacy", "continue", "stop for
        futility", ...), with the false-positive rate over all looks held at the design's alpha.

        The statistic is the fixed-horizon one of this comparison: the pooled two-proportion
        z (positive when the treatment retains more), whose p-value is ``p_value``. The
        information is the mature customers per arm (their harmonic mean, 2 / (1/n_t +
        1/n_c), which is n for equal arms: the variance of the difference scales with
        1/n_t + 1/n_c), over the planned maximum ``planned_n``.

        Parameters
        ----------
        design : SequentialDesign, FutilityDesign or "confidence-sequence"
            A Lan-DeMets design planned before the first look (``rk.spending_boundaries(looks=4)``,
            ``rk.calendar_plan(...).sequential_design()``, optionally ``.with_futility(...)``
            for one-sided designs), whose boundaries are recomputed at the information
            actually observed (:func:`~retention_kit.experiments.monitor_look`); or
            ``"confidence-sequence"`` for an always-valid interval that needs no plan of the
            looks (:func:`~retention_kit.experiments.confidence_sequence`).
        planned_n : int or SampleSizePlan
            Planned mature customers per arm at the last look (the fixed sample size times
            the design's ``inflation_factor()``). A SampleSizePlan counts as the maximum as it is.
        look : int, optional
            Which planned look this is; the planned look nearest in information by default.
        earlier : list of RetentionComparison, optional
            The earlier looks (oldest first, e.g. the same comparison at earlier ``as_of``
            dates). Their information and z replace the planned ones, and a crossing there is
            the decision. Without them the earlier looks are taken at the planned fractions.
        arm : str, optional
            The treatment arm; needed with several (then plan each comparison's design at
            alpha / number of arms, Bonferroni, to hold the family-wise rate).
        final : bool, optional
            Force (True) or rule out (False) this being the final analysis; by default it is
            final when ``planned_n`` is reached, or at the design's last planned look when
            ``earlier`` is not given.

        Returns
        -------
        SequentialMonitor
            ``decision``, ``z``, ``boundary``, ``futility_bound``, ``look``,
            ``information_fraction``; ``summary`` (one row per look), ``explain()``, ``plot()``.

        Examples
        --------
        700 mature customers per arm of a planned 1,400 (look 1 of 2, O'Brien-Fleming-type):
        65.0 % vs 70.0 %, pooled z = 0.05 / sqrt(0.675 * 0.325 * 2 / 700) = 1.997, against
        the boundary 2.963 (gsDesign: 2.9626, 1.9686): continue, though p = 0.046.

        >>> from retention_kit.compare import compare_retention_counts
        >>> from retention_kit.experiments import spending_boundaries
        >>> res = compare_retention_counts({"control": (700, 455), "loyalty": (700, 490)})
        >>> look = res.monitor(spending_boundaries(looks=2), planned_n=1400)
        >>> look.decision, round(look.z, 3), round(look.boundary, 4)
        ('continue', 1.997, 2.9626)
        """
        return monitor_comparison(self, design, planned_n, look=look, earlier=earlier, arm=arm, final=final)

    # -- plots (drawn in .plots) -----------------------------------------------------
    def plot_difference(self, ax=None, **kwargs):
        """Treatment minus control at the horizon, with its interval, one line per arm.

        ``kwargs`` go to the differences' points and intervals (``Axes.errorbar``), e.g.
        ``color=`` or ``label=``. Returns the Axes."""
        return draw_difference(self, ax, **kwargs)

    def hazard_ratio_over_time(self, intervals: int = 4) -> pd.DataFrame:
        """Hazard ratio of each arm against control in ``intervals`` periods of follow-up.

        Piecewise-constant hazards: in each period, churn events over customer-days at risk
        per arm, and their ratio with a Wald interval on the log scale (se^2 = 1/d_arm +
        1/d_control). Period edges are quantiles of the churn times of all arms, so each
        period holds about the same number of events. The Cox hazard ratio is roughly a
        weighted average of these; when they differ, it hides how the effect changes.

        Returns
        -------
        DataFrame
            One row per arm and period: ``arm``, ``from_day``, ``to_day``, ``events``,
            ``control_events``, ``hazard_ratio``, ``ci_lower``, ``ci_upper``. The periods'
            ends are in the lifetimes' ``time_unit`` (days unless lifetimes in another unit
            were given).
        """
        return hazard_ratio_table(self, intervals)

    def plot_hazard_ratio(self, ax=None, *, intervals: int = 4, **kwargs):
        """The hazard ratio period by period (see :meth:`hazard_ratio_over_time`), with the
        Cox time average as a dashed line: flat means proportional hazards hold.

        ``kwargs`` go to each arm's per-period points and intervals (``Axes.errorbar``), e.g.
        ``color=`` or ``label=`` (the arm's time-average line follows its colour). Returns the Axes."""
        return draw_hazard_ratio(self, ax, intervals=intervals, **kwargs)

    def plot_curves(self, ax=None, *, at_risk: bool = True, ci_show: bool = True, xticks=None, **kwargs):
        """Kaplan-Meier retention curves per arm with confidence bands; the horizon is marked.

        ``at_risk``, ``ci_show``, ``xticks``: as in :meth:`SurvivalCurves.plot`. ``kwargs`` go
        to each arm's Kaplan-Meier line (``Axes.plot``, through :meth:`SurvivalCurves.plot`),
        e.g. ``lw=``. Returns the Axes."""
        return draw_curves(self, ax, at_risk=at_risk, ci_show=ci_show, xticks=xticks, **kwargs)
