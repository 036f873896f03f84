"""The experiment's maturity and plan: how many customers per arm are mature (their retention
at the horizon is known), the group-sequential plan the comparison is read against while they
are not all mature (or when the analyst gives one), each treatment arm's look, and the plot of
the plan's boundaries with this look.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError
from ._words import long_date, pct
from .config import DEFAULT_LOOKS, ReportConfig

__all__ = ["ExperimentPlan", "experiment_plan", "is_final", "look_design", "plot_monitoring",
           "PLAN_POWER", "PLAN_SPENDING"]

PLAN_POWER = 0.8
PLAN_SPENDING = "obrien-fleming"


@dataclass
class ExperimentPlan:
    """Maturity, plan and monitoring state of the report's experiment (see :func:`experiment_plan`).

    ``assigned`` and ``mature`` count customers per arm (control first) by the as-of date;
    ``per_week`` is the customers assigned per week between the first and the last
    assignment; ``delay`` is the horizon plus the retention window (a customer is mature
    that long after assignment). With a plan (``monitoring``): ``target`` mature customers
    per arm at the last of ``looks`` looks (``planned_n``, or ``sample`` — the fixed
    sample a ``mde`` needs at the control's observed rate — times the design's
    ``inflation``), ``target_date`` (``target_how``: "reached", "assigned" or "projected"
    by ``calendar``), the ``design`` and one :class:`SequentialMonitor` per treatment arm
    in ``monitors`` (or a sentence in ``problems`` when the arm cannot be read yet).
    """

    result: object
    config: ReportConfig
    assigned: pd.Series
    mature: pd.Series
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    per_week: float
    delay: pd.Timedelta
    mde: float
    planned_n: int | None = None
    looks: int | None = None
    sample: object = None
    inflation: float | None = None
    target: int | None = None
    target_how: str | None = None
    target_date: pd.Timestamp | None = None
    calendar: object = None
    design: object = None
    monitors: dict = field(default_factory=dict)
    problems: dict = field(default_factory=dict)
    no_plan: str | None = None

    @property
    def immature(self) -> int:
        return int((self.assigned - self.mature).sum())

    @property
    def monitoring(self) -> bool:
        return self.design is not None

    @property
    def information(self) -> float:
        """Mature customers per arm as a look counts them: the harmonic mean of each treatment
        arm's and the control's, 2 / (1/n_t + 1/n_c), the smallest over the treatment arms."""
        n_c = self.mature.iloc[0]
        values = [2.0 / (1.0 / n + 1.0 / n_c) if n and n_c else 0.0 for n in self.mature.iloc[1:]]
        return float(min(values)) if values else 0.0

    @property
    def all_mature_on(self) -> pd.Timestamp | None:
        return None if self.last is None else self.last + self.delay

    def interim(self, arm) -> bool:
        """True when ``arm``'s look is an interim one (not the final look of the plan)."""
        m = self.monitors.get(arm)
        return m is not None and not is_final(m)


def is_final(m) -> bool:
    """True when the look ``m`` (a ``SequentialMonitor``) is the plan's last: all the planned
    information is in, the monitor called it the final look, or it is the last planned look."""
    return m.information_fraction >= 1 - 1e-9 or m.decision == "final look: no significant difference" or (
        m.planned_looks is not None and m.look >= m.planned_looks)


def experiment_plan(result, assignments: pd.DataFrame, config: ReportConfig) -> ExperimentPlan:
    """Maturity and plan of the experiment, and the monitoring state when it is not mature.

    Customers per arm assigned by the as-of date and mature (assignment + horizon + window
    <= as of) come from ``result`` (a ``rk.compare_retention`` result); the enrolment rate
    from ``assignments`` (one row per customer, the report's ``data.assignments``).

    A plan is read when part of the assigned customers are immature, or when the analyst
    gives ``config.looks`` or ``config.planned_n``: a group-sequential design with
    O'Brien-Fleming-type spending (``rk.spending_boundaries``) over ``config.looks`` looks
    (``DEFAULT_LOOKS``), at alpha divided by the number of treatment arms (Bonferroni), and
    each treatment arm's comparison read as one look with ``result.monitor``. The planned
    maximum is ``config.planned_n`` mature customers per arm, or else the fixed sample
    ``rk.sample_size`` gives for ``config.mde`` points from the control's observed rate
    (80 % power) times the design's inflation factor.
    """
    from ..experiments import spending_boundaries

    arms = [result.control, *result.summary.index]
    immature = result.immature.reindex(arms).fillna(0).astype(int)
    mature = pd.Series([int(result.control_n), *result.summary["n"].astype(int)], index=arms, name="mature")
    assigned = (mature + immature).rename("assigned")
    window = result.window if result.window is not None else result.churn_after
    starts = _assignment_starts(assignments, config, result)
    first, last = (starts.min(), starts.max()) if len(starts) else (None, None)
    span_weeks = (last - first) / pd.Timedelta(weeks=1) if len(starts) else 0.0
    per_week = float(len(starts) / span_weeks) if span_weeks > 0 else float("nan")
    plan = ExperimentPlan(result, config, assigned, mature, first, last, per_week, result.horizon + window,
                          config.mde / 100, planned_n=config.planned_n)
    if not (plan.immature or config.looks or config.planned_n):
        return plan
    plan.looks = config.looks or DEFAULT_LOOKS
    alpha = result.alpha / len(result.summary)
    plan.design = spending_boundaries(looks=plan.looks, alpha=alpha, spending=PLAN_SPENDING)
    _size_plan(plan, alpha)
    if plan.target is None:
        return plan
    _date_plan(plan, assignments, window)
    _read_looks(plan)
    return plan


def _assignment_starts(assignments: pd.DataFrame, config: ReportConfig, result) -> pd.Series:
    """Each customer's assignment time, up to the end of the as-of day."""
    starts = pd.to_datetime(assignments[config.time_col])
    return starts[starts < _end_of_as_of(result)]


def _end_of_as_of(result) -> pd.Timestamp:
    return pd.Timestamp(result.as_of).normalize() + pd.Timedelta(days=1)  # the as-of day counts


def _size_plan(plan: ExperimentPlan, alpha: float) -> None:
    """The planned mature customers per arm: ``planned_n``, or the fixed sample for the mde at
    the control's observed rate times the design's inflation; without either, no plan."""
    from ..compare import sample_size

    config, result = plan.config, plan.result
    baseline = float(result.summary["control_rate"].iloc[0])
    if config.planned_n:
        plan.target = int(config.planned_n)
    elif np.isfinite(baseline) and 0 < baseline < 1:
        step = plan.mde if baseline + plan.mde < 1 else -plan.mde
        try:
            plan.sample = sample_size(baseline, step, alpha=alpha, power=PLAN_POWER)
        except ParameterError:
            plan.sample = None
        if plan.sample is not None:
            plan.inflation = plan.design.inflation_factor(PLAN_POWER)
            plan.target = int(np.ceil(plan.sample.n_control * plan.inflation))
    if plan.target is None:
        plan.no_plan = (f"No plan was given ({config.flag('planned_n')}), and the control's retention rate "
                        f"({pct(baseline)}) cannot size one, so the looks cannot be read against a plan.")
        plan.design = None


def _date_plan(plan: ExperimentPlan, assignments: pd.DataFrame, window: pd.Timedelta) -> None:
    """When will the planned customers per arm be mature? Reached as the monitor counts it:
    unequal arms by their harmonic mean (the difference's variance goes with 1/n_t + 1/n_c)."""
    from ..experiments import calendar_plan

    result, time, who = plan.result, plan.config.time_col, plan.config.arm_col
    if plan.information >= plan.target:
        plan.target_how = "reached"
    elif plan.assigned.min() >= plan.target:
        frame = assignments.assign(_t=pd.to_datetime(assignments[time]))
        frame = frame[frame["_t"] < _end_of_as_of(result)]
        nth = frame.sort_values("_t", kind="stable").groupby(who)["_t"].nth(plan.target - 1)
        plan.target_how, plan.target_date = "assigned", pd.Timestamp(nth.max()) + plan.delay
    elif np.isfinite(plan.per_week) and plan.first is not None:
        plan.calendar = calendar_plan(len(plan.assigned) * plan.target, plan.per_week, horizon=result.horizon,
                                      churn_after=result.churn_after, window=window)
        plan.target_how = "projected"
        plan.target_date = plan.first + pd.Timedelta(weeks=plan.calendar.readable_week)


def _read_looks(plan: ExperimentPlan) -> None:
    """Each treatment arm's comparison as one look of the design (``monitors``), or why it
    cannot be read yet (``problems``)."""
    result, mature, first = plan.result, plan.mature, plan.first
    planned = plan.design.information_fractions
    for arm in result.summary.index:
        n_t, n_c = mature[arm], mature[result.control]
        if n_t == 0 or n_c == 0:
            plan.problems[arm] = (f"No customer of {arm if n_t == 0 else result.control} is mature yet, so there is "
                                  f"no look to read; the first are mature on {long_date(first + plan.delay)}."
                                  if first is not None else f"No customer of {arm} is mature yet.")
            continue
        t_now = 2.0 / (1.0 / n_t + 1.0 / n_c) / plan.target
        try:
            if t_now >= 1:
                plan.monitors[arm] = result.monitor(plan.design, plan.target, arm=arm)
            else:  # an interim look: the planned look nearest in information, never the final one
                look = min(int(np.argmin(np.abs(planned - t_now))) + 1, plan.looks - 1)
                plan.monitors[arm] = result.monitor(plan.design, plan.target, arm=arm, look=look, final=False)
        except (DataError, ParameterError):
            plan.problems[arm] = (f"The comparison of {arm} with {result.control} cannot be read as a look yet "
                                  "(everyone or no one retained so far in both arms).")


def look_design(plan: ExperimentPlan, arm):
    """The plan's boundaries with ``arm``'s look at the information it has: the monitor's own
    design (``SequentialMonitor.design``): the earlier looks at their planned fractions, this
    look in place of the planned one, then the planned later looks (K looks in all); its
    boundary at this look is the monitor's."""
    return plan.monitors[arm].design


def plot_monitoring(plan: ExperimentPlan, *, axes=None):
    """The boundaries of the plan at each arm's look (the monitor's design, :func:`look_design`)
    with the arm's z, one panel per arm: stop when the z of a look is beyond the boundary."""
    import matplotlib.pyplot as plt

    from ..plotting import label

    arms = list(plan.monitors)
    if axes is None:
        _, axes = plt.subplots(1, max(1, len(arms)), figsize=(9 * max(1, len(arms)), 3.8), squeeze=False)
        axes = axes[0]
    for ax, arm in zip(np.atleast_1d(axes), arms):
        m = plan.monitors[arm]
        design = m.design
        t, c = design.information_fractions, np.minimum(design.boundaries, 8.0)
        ax.fill_between(t, c, 8.5, color="#d62728", alpha=0.12)
        ax.fill_between(t, -8.5, -c, color="#d62728", alpha=0.12)
        ax.plot(t, c, marker="o", color="#d62728", label="boundary: stop beyond it")
        ax.plot(t, -c, marker="o", color="#d62728")
        ax.axhline(1.96, color="grey", ls="--", lw=1, label="1.96 (a single look at the end)")
        ax.axhline(-1.96, color="grey", ls="--", lw=1)
        ax.axhline(0, color="grey", lw=0.5)
        ax.plot([m.information_fraction], [m.z], marker="s", color="black", ls="none", ms=7,
                label=f"this look: z = {m.z:+.2f}")
        ax.annotate(f"look {m.look}: {m.decision}", (m.information_fraction, m.z), textcoords="offset points",
                    xytext=(8, -4), fontsize=8)
        top = float(min(8.5, max(np.max(c), abs(m.z)) + 0.8))
        ax.set_ylim(-top, top)
        ax.set_xlim(0, 1.05)
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:.0%}"))
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
        label(ax, title=f"{arm} vs {plan.result.control}: look {m.look} of the {plan.looks}-look plan",
              xlabel="information (mature customers per arm, share of the plan)", ylabel="z")
    plt.gcf().tight_layout()
    return axes
