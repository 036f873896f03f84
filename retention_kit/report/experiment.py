"""The experiment section's sentences: what it measures and where each customer's clock
starts, the verdict of each arm against control, how many customers are mature and when all
will be, and each arm read as a look of the plan (:mod:`.plan`).

The verdicts are the comparison's and the monitor's own (``verdict``, ``decision``), so the
report and their ``explain()`` never disagree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._words import count, days, join_words, long_date, pct, signed_points
from .config import ReportConfig
from .plan import ExperimentPlan, is_final

__all__ = ["experiment_intro", "experiment_text", "maturity_text", "monitoring_text"]


def experiment_intro(config: ReportConfig) -> str:
    """What the experiment section measures, and where each customer's clock starts."""
    if config.assigned_col:
        clock = f"their clock starts at their assignment (column `{config.assigned_col}`)"
    else:
        clock = ("their clock starts at their first event that carries an arm (give the assignment time "
                 f"with {config.flag('assigned_col')} when customers were assigned later)")
    return (f"## 5. The experiment\n\nEach customer's arm comes from the column `{config.arm_col}`; {clock}, "
            "and events before it do not count. *Retained* means they bought again more than "
            f"{days(config.horizon_gap)} days after it. Only customers observed long enough to know (the horizon "
            f"plus the {days(config.churn_gap)}-day churn threshold) enter the fixed-horizon test.")


def experiment_text(result, plan: ExperimentPlan | None = None) -> str:
    """The verdict of each arm against control, in one or two sentences each: the verdict
    is the comparison's own (its declared primary test, adjusted across arms), so the report
    and ``explain()`` never disagree. With a ``plan`` (:func:`experiment_plan`) whose look
    is read for an arm, the look's decision leads instead: at an interim look the numbers
    are shown without a verdict, and the final look decides against the plan's boundary. A
    broken split (sample ratio mismatch) ends the text as the check's own ``explain()`` says it."""
    text = []
    conf = f"{1 - result.alpha:.0%}"
    h = result.horizon / pd.Timedelta(days=1)
    w = result.window / pd.Timedelta(days=1)
    sfx = "_adjusted" if len(result.summary) > 1 else ""
    for arm, row in result.summary.iterrows():
        ci = f"{row['ci_lower' + sfx] * 100:+.1f} to {row['ci_upper' + sfx] * 100:+.1f} points"
        head = (f"{row['rate']:.1%} of {arm} vs {row['control_rate']:.1%} of {result.control} customers bought "
                f"again between day {h:g} and day {h + w:g}: {row['diff'] * 100:+.1f} points ({conf} CI {ci})")
        verdict = row["verdict"]
        look = plan.monitors.get(arm) if plan is not None else None
        if look is not None and plan.interim(arm):
            text.append(f"**{arm} vs {result.control} so far.** {head}. This interval holds for one look at the end; "
                        "at an interim look the decision is the plan's, above.")
            continue
        if look is not None:
            verdict = {"stop for efficacy": "better", "stop for harm": "worse"}.get(look.decision,
                                                                                   "no clear difference")
        if verdict == "better":
            text.append(f"**{arm} kept more customers.** {head}.")
        elif verdict == "worse":
            text.append(f"**{arm} kept fewer customers.** {head}.")
        elif verdict == "no clear difference":
            text.append(f"**No clear difference between {arm} and {result.control}.** {head}; "
                        "the data are consistent with no effect.")
        else:
            text.append(f"**{arm} could not be compared with {result.control}.** {head}.")
        if look is not None:
            text[-1] += " The verdict is the plan's final look, above."
        elif result.primary != "fixed_horizon":
            text[-1] += f" The verdict follows the declared primary analysis ({result.primary.replace('_', ' ')})."
    if result.srm.mismatch:  # the check's own sentences: the shares, the test and its verdict
        text.append(f"**Warning: the arms' sizes do not match the planned split.** {str(result.srm.explain())}")
    return "\n\n".join(text)


def _arm_counts_words(counts: pd.Series, of: pd.Series | None = None) -> str:
    if of is None:
        return join_words([f"{n:,} {arm}" for arm, n in counts.items()])
    return join_words([f"{n:,} of {of[arm]:,} {arm}" for arm, n in counts.items()])


def maturity_text(plan: ExperimentPlan) -> str:
    """How many customers per arm are mature (their retention at the horizon is known) of
    those assigned, the enrolment rate and when every assigned customer is mature; with a
    plan, the planned sample per arm and when it is (or will be) mature."""
    res, cfg = plan.result, plan.config
    h, w = days(res.horizon), days(plan.delay - res.horizon)
    total, ripe = int(plan.assigned.sum()), int(plan.mature.sum())
    if plan.last is None:
        return "No customer was assigned by the as-of date: there is nothing to read yet."
    text = []
    if plan.immature == 0:
        text.append(f"All {count(total, 'assigned customer')} ({_arm_counts_words(plan.assigned)}) are mature, "
                    f"that is observed for the {h}-day horizon and the {w}-day window after it (the last, assigned "
                    f"on {long_date(plan.last)}, since {long_date(plan.all_mature_on)}), so the experiment can be read "
                    "in full.")
    else:
        since = pd.Timestamp(res.as_of) - plan.delay
        text.append(f"Of the {count(total, 'customer')} assigned by {long_date(res.as_of)}, **{ripe:,} are mature** "
                    f"({_arm_counts_words(plan.mature, plan.assigned)}): observed for the {h}-day horizon and the "
                    f"{w}-day window after it. The other {plan.immature:,}, assigned after {long_date(since)}, are not "
                    "yet, and are left out of the numbers below.")
        if np.isfinite(plan.per_week):
            text.append(f"Customers were assigned at about {plan.per_week:,.0f} a week ({total:,} from "
                        f"{long_date(plan.first)} to {long_date(plan.last)}). Every customer assigned so far is mature on "
                        f"{long_date(plan.all_mature_on)}: the experiment can be read in full then, or later if "
                        "assignment goes on.")
        else:
            text.append(f"Every customer assigned so far is mature on {long_date(plan.all_mature_on)}.")
    if plan.no_plan:
        text.append(plan.no_plan)
    if plan.target is None:
        return " ".join(text)
    first_paragraph, text = " ".join(text), []
    looks = f"{plan.looks} looks"
    if plan.sample is not None:
        s = plan.sample
        direction = "rise" if s.mde > 0 else "drop"
        text.append(
            f"No planned sample was given ({cfg.flag('planned_n')}), so the report reads the experiment against "
            f"the sample needed to detect a {direction} of {abs(s.mde) * 100:g} percentage points (the minimum "
            f"detectable effect; set it with {cfg.flag('mde')}) from the control's observed {pct(s.baseline)} to "
            f"{pct(s.baseline + s.mde)}, with {pct(s.power, 0)} power and a {s.alpha * 100:g} % false-alarm rate: "
            f"{s.n_control:,} mature customers per arm for a single look at the end, **{plan.target:,} per arm** "
            f"for a plan of {looks} ({pct(plan.inflation - 1)} more, the price of looking early).")
    else:
        text.append(f"The plan: **{plan.target:,} mature customers per arm** at the last of {looks}.")
    per_arm = f"{plan.target:,} mature customers per arm"
    if plan.target_how == "reached":
        unequal = (f" (unequal arms counted by their harmonic mean, here {plan.information:,.0f})"
                   if plan.mature.min() < plan.target else "")
        text.append(f"The experiment has reached {per_arm}{unequal}.")
    elif plan.target_how == "assigned":
        text.append(f"Enough customers are assigned already: every arm has {per_arm} on "
                    f"{long_date(plan.target_date)}.")
    elif plan.target_how == "projected":
        text.append(f"At the observed rate, split evenly between the arms, {per_arm} are reached in week "
                    f"{plan.calendar.readable_week:.0f} after the first assignment, around "
                    f"{long_date(plan.target_date)}.")
    return first_paragraph + "\n\n" + " ".join(text)


def monitoring_text(plan: ExperimentPlan) -> str:
    """Each treatment arm read as a look of the plan, in the reader's words: the share of the
    planned information, the evidence needed to stop at this look and what the data give.
    Empty without a plan."""
    if not plan.monitoring:
        return ""
    res = plan.result
    several = len(res.summary) > 1
    text = []
    for arm in res.summary.index:
        if arm in plan.problems:
            text.append(plan.problems[arm])
            continue
        m = plan.monitors[arm]
        row = res.summary.loc[arm]
        n_t, n_c = row["n"], row["control_n"]
        pooled = (row["retained"] + row["control_retained"]) / (n_t + n_c)
        se = float(np.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c)))
        final = is_final(m)
        rule = (f"a plan of {plan.looks} looks whose O'Brien–Fleming-type boundaries keep the chance of a false "
                f"alarm over all the looks at {plan.design.alpha * 100:g} %"
                + (" (the 5 % shared between the treatment arms)" if several else ""))
        info = f"{pct(m.information_fraction, 0)} of the planned information: {m.table['information'].iloc[-1]:,.0f} of " \
               f"{plan.target:,} mature customers per arm"
        need = (f"z ≥ {m.boundary:.2f} in either direction (a difference of {m.boundary * se * 100:.1f} points or "
                "more)")
        given = f"the data give z = {m.z:+.2f} ({signed_points(row['diff'])})"
        who = f"{arm} vs {res.control}: " if several else ""
        if final:
            lead = {"stop for efficacy": f"{arm} kept more customers", "stop for harm": f"{arm} kept fewer customers"
                    }.get(m.decision, "no clear difference")
            body = (f"**{who}Final look: {lead}.** The plan's {plan.target:,} mature customers per arm are reached, "
                    f"so this is the last look of {rule}. The evidence needed at this look is {need}; "
                    f"{given}" + (": the boundary is crossed." if m.decision.startswith("stop") else
                                  ": the boundary is not crossed."))
        else:
            if m.decision == "continue":
                lead, end = "continue", ": not enough to stop, so continue to the next look."
            elif m.decision == "stop for efficacy":
                lead, end = (f"stop, {arm} kept more customers",
                             ": strong enough to stop early. An effect measured at an early stop tends to be "
                             "overstated.")
            else:
                lead, end = f"stop, {arm} kept fewer customers", ": strong enough to stop early for harm."
            body = (f"**{who}Interim look: {lead}.** This is an interim look ({info}), read as look {m.look} of "
                    f"{rule}. The evidence needed to stop early at this look is {need}; {given}{end}")
            if m.decision == "continue" and abs(m.z) >= 1.96:
                body += (" At the usual 1.96 this look would already count as significant: that is the early "
                         "false alarm the plan guards against.")
        if arm == res.summary.index[0]:
            body += (" (z is the difference divided by its standard error. A single look at the end would need "
                     "1.96; stopping at the first of several looks past 1.96 would raise the false-alarm rate "
                     "well above 5 %.)")
        if m.assumed_earlier and not final:
            body += (f" The report assumes the plan's earlier look{'s were' if m.look > 2 else ' was'} at "
                     f"{join_words(pct(t, 0) for t in m.table['information_fraction'].iloc[:-1])} of the "
                     "information.")
        text.append(body)
    return "\n\n".join(text)
