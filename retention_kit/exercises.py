"""Exercises that check themselves: ``check("cohorts-1", answer)`` says right, or gives a hint.

Each of the four main notebooks ends with a few exercises about a number computed on the
bundled data (the CDNOW log or the coffee shop). The checker never stores an answer: it
computes the right one from the kit and the data when asked, and recognises the usual
mistakes by computing the wrong number each of them produces (counting the unfinished
month, forgetting to subtract N, treating censored customers as churned, counting
immature customers in an A/B rate, ...). So the checker, the library and the worked
solutions in ``notebooks/solutions/`` cannot drift apart: CI runs the solutions.

Answers are plain numbers. Rates may be given as fractions (0.25) or as percentages
(25, or the string "25%"); the checker accepts a small tolerance so a rounded answer
passes (:attr:`Exercise.tolerance`).

Examples
--------
>>> from retention_kit import exercises
>>> exercises.check("crr-1", None).status
'no answer'
>>> list(exercises.list_exercises()["id"])[:3]
['crr-1', 'crr-2', 'crr-3']
"""

from __future__ import annotations

import difflib
import functools
import math
import numbers
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from .errors import ParameterError
from .results import render_html

__all__ = ["check", "list_exercises", "CheckResult", "Exercise"]


# ---------------------------------------------------------------------------------------
# What an exercise is, and what checking returns
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mistake:
    """An anticipated mistake: the hint to give and the key of the wrong number it produces
    in the exercise's solution (``Solution.wrong[key]``, one number or several)."""

    key: str
    hint: str


@dataclass(frozen=True)
class Solution:
    """What the checker computed: the right answer, a sentence showing how, and the wrong
    answer each anticipated mistake produces."""

    right: float
    how: str
    wrong: dict


@dataclass(frozen=True)
class Exercise:
    """One exercise: where it lives, what it asks, and how it is checked.

    ``solve`` computes the :class:`Solution` from the kit and the bundled data (cached);
    ``unit`` is ``"fraction"`` (percentages accepted), ``"percent"`` (a number in percent, e.g. a
    relative lift of -1.5), ``"days"`` or ``"customers"`` (and the other counts and scores);
    ``tolerance`` is absolute, or relative to the right answer when ``relative`` is True.
    """

    id: str
    notebook: str
    title: str
    question: str
    unit: str
    tolerance: float
    solve: Callable[[], Solution] = field(repr=False)
    mistakes: tuple = ()
    hint: str = ""
    relative: bool = False

    def allowed_error(self, right: float) -> float:
        return self.tolerance * abs(right) if self.relative else self.tolerance


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer. ``correct`` is True only for a right answer.

    ``status`` is ``"right"``, ``"hint"`` (a recognised mistake), ``"not yet"`` (wrong, not
    recognised), ``"no answer"`` (still None) or ``"unreadable"`` (not a number).
    """

    exercise_id: str
    answer: object
    correct: bool
    status: str
    message: str

    _MARKS = {"right": "✓", "hint": "✗", "not yet": "✗", "no answer": "…", "unreadable": "?"}

    def _headline(self) -> str:
        words = {"right": "right", "hint": "not yet, here is a hint", "not yet": "not yet",
                 "no answer": "write your answer first", "unreadable": "that is not a number"}
        return f"{self._MARKS[self.status]} {self.exercise_id}: {words[self.status]}"

    def __repr__(self) -> str:
        return f"{self._headline()}\n{self.message}"

    def _repr_html_(self) -> str:
        return render_html(self._headline(), None, [self.message])


# ---------------------------------------------------------------------------------------
# Data, computed once per session
# ---------------------------------------------------------------------------------------

@functools.cache
def _cdnow() -> pd.DataFrame:
    from .datasets import load_cdnow

    return load_cdnow()


@functools.cache
def _shop():
    from .datasets import load_coffee_shop

    return load_coffee_shop()


def _quiet(func):
    """Checking must not repeat the kit's warnings at the learner: they saw them already."""
    @functools.wraps(func)
    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return func()
    return functools.cache(run)


def _pct(v: float) -> str:
    return f"{v:.1%}"


# ---------------------------------------------------------------------------------------
# 01 · Customer retention rate
# ---------------------------------------------------------------------------------------

@_quiet
def _crr_1() -> Solution:
    from .crr import crr_table

    t = crr_table(_cdnow(), freq="M").table
    row = t.loc[pd.Period("1997-03", "M")]
    s, n, e = row["start"], row["new"], row["end"]
    return Solution(
        right=float(row["crr"]),
        how=f"CRR = (E - N) / S = ({e:,.0f} - {n:,.0f}) / {s:,.0f} = {row['crr']:.3f}.",
        wrong={"no_new": e / s, "kept": float(row["cohort_retention"]),
               "neighbour": (float(t.loc[pd.Period("1997-02", "M"), "crr"]),
                             float(t.loc[pd.Period("1997-04", "M"), "crr"]))})


@_quiet
def _crr_2() -> Solution:
    from .crr import crr_table

    row = crr_table(_shop().transactions, freq="M").table.loc[pd.Period("2024-10", "M")]
    return Solution(
        right=float(row["churn_rate"]),
        how=(f"Of the {row['start']:,.0f} customers at the start of October, {row['lost']:,.0f} were no "
             f"longer customers at its end: churn = lost / S = {row['churn_rate']:.3f}."),
        wrong={"one_minus_crr": 1 - float(row["crr"]), "kept": float(row["cohort_retention"]),
               "crr": float(row["crr"])})


@_quiet
def _crr_3() -> Solution:
    from .crr import crr_table

    cdnow = _cdnow()
    on_the_day = crr_table(cdnow, freq="M", as_of="1998-06-15").table
    # What a by-hand monthly table shows on 15 June: June with half a month of buyers.
    seen = cdnow[cdnow["date"] <= "1998-06-15"]
    half_june = crr_table(seen, freq="M", as_of="1998-06-30").table
    later = crr_table(cdnow, freq="M").table
    last = on_the_day.iloc[-1]
    return Solution(
        right=float(last["crr"]),
        how=(f"On 15 June 1998 the last complete month is {last.name}: CRR = ({last['end']:,.0f} - "
             f"{last['new']:,.0f}) / {last['start']:,.0f} = {last['crr']:.3f}. June is not over and is "
             "left out."),
        wrong={"partial": float(half_june.loc[pd.Period("1998-06", "M"), "crr"]),
               "hindsight": float(later.loc[pd.Period("1998-06", "M"), "crr"])})


# ---------------------------------------------------------------------------------------
# 02 · Cohorts
# ---------------------------------------------------------------------------------------

@_quiet
def _cohorts_1() -> Solution:
    from .cohorts import cohort_table

    cdnow = _cdnow()
    # Weekly cohorts (Monday to Sunday): section 1 of notebook 02 prints the monthly cells and
    # its heatmap labels them, so the exercise asks for a weekly cell nothing above it shows.
    week = pd.Period("1997-03-03", "W")  # Monday 3 to Sunday 9 March 1997
    table = cohort_table(cdnow, "W", first_cohort="keep")
    size, back = table.sizes.loc[week], table.counts.loc[week, 1]
    # Purchases (rows) instead of distinct customers.
    first = cdnow.groupby("customer_id")["date"].transform("min").dt.to_period("W")
    rows = int(((first == week) & (cdnow["date"].dt.to_period("W") == week + 1)).sum())
    later = cohort_table(cdnow, "W", first_cohort="keep", mode="on or after").rates.loc[week, 1]
    windows = cohort_table(cdnow, "W", first_cohort="keep", periods="relative").rates.loc[week, 1]
    return Solution(
        right=float(table.rates.loc[week, 1]),
        how=(f"{back:,.0f} of the {size:,.0f} customers who first bought in the week of 3–9 March 1997 "
             f"bought again in the week of 10–16 March: {back:,.0f} / {size:,.0f} = {back / size:.3f}."),
        wrong={"purchases": rows / size, "everyone": back / cdnow["customer_id"].nunique(),
               "or_after": float(later), "windows": float(windows)})


@_quiet
def _cohorts_2() -> Solution:
    from .cohorts import cohort_table

    tx = _shop().transactions
    table = cohort_table(tx, "M", as_of="2024-06-15")
    counts, sizes, partial = table.counts[1], table.sizes, table.partial[1]
    observed = counts.notna()
    complete = observed & ~partial
    with_partial = counts[observed].sum() / sizes[observed].sum()
    plain_with_partial = table.rates[1][observed].mean()
    hindsight = cohort_table(tx, "M").average()[1]
    return Solution(
        right=float(table.average()[1]),
        how=(f"The cohorts of {', '.join(str(c) for c in sizes.index[complete])} have a complete month 1: "
             f"{counts[complete].sum():,.0f} of their {sizes[complete].sum():,.0f} customers were active "
             f"in it, {counts[complete].sum() / sizes[complete].sum():.3f}. May's month 1 (June) is "
             "partial on 15 June and left out."),
        wrong={"partial": (float(with_partial), float(plain_with_partial)), "hindsight": float(hindsight)})


# ---------------------------------------------------------------------------------------
# 03 · Survival
# ---------------------------------------------------------------------------------------

_SURVIVAL_AS_OF = "2024-08-31"


@functools.cache
def _shop_lifetimes() -> pd.DataFrame:
    from .survival import customer_lifetimes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return customer_lifetimes(_shop().transactions, churn_after=30, as_of=_SURVIVAL_AS_OF)


@_quiet
def _survival_1() -> Solution:
    from .survival import kaplan_meier

    life = _shop_lifetimes()
    s60 = float(kaplan_meier(life).survival_at([60])["survival"].iloc[0])
    d, churned = life["duration"], life["churned"]
    past = d > 60
    # The customers who started after the detection limit, kept as censored at day 0.
    late = int(life.attrs["not_yet_classifiable"])
    kept = pd.concat([life[["duration", "churned"]], pd.DataFrame({"duration": [0.0] * late, "churned": False})])
    return Solution(
        right=s60,
        how=(f"Kaplan-Meier S(60) = {s60:.3f}: {int(churned.sum()):,} of {len(life):,} customers had "
             f"churned and {int((~churned).sum()):,} were censored, each counted for as long as observed; "
             f"the {late:,} who started in the last 30 days are not yet classifiable and left out."),
        wrong={"censored_churned": float(past.mean()), "churned_only": float(past[churned].mean()),
               "dropped_short_censored": float(past.sum() / (past | churned).sum()),
               "late_kept": float(kaplan_meier(kept).survival_at([60])["survival"].iloc[0])})


@_quiet
def _survival_2() -> Solution:
    from .survival import kaplan_meier

    life = _shop_lifetimes()
    median = float(kaplan_meier(life).median_lifetime()["median"].iloc[0])
    return Solution(
        right=median,
        how=f"The Kaplan-Meier curve falls to 50 % at {median:.1f} days.",
        wrong={"censored_churned": float(life["duration"].median()),
               "churned_only": float(life.loc[life["churned"], "duration"].median())})


@_quiet
def _survival_3() -> Solution:
    from .survival import rmst

    life = _shop_lifetimes()
    res = rmst(life, horizon=90)
    capped = np.minimum(life["duration"], 90)
    return Solution(
        right=res.value,
        how=(f"RMST(90) = area under the Kaplan-Meier curve from 0 to 90 days = {res.value:.1f} days "
             f"({res.value / 90:.1%} of the 90 days)."),
        wrong={"censored_churned": float(capped.mean()),
               "churned_only": float(capped[life["churned"]].mean())})


# ---------------------------------------------------------------------------------------
# 04 · A/B test
# ---------------------------------------------------------------------------------------

def _compare(as_of=None):
    from .compare import compare_retention

    shop = _shop()
    return compare_retention(shop.assignments, shop.transactions, horizon="30D", churn_after="30D",
                             as_of=as_of)


@_quiet
def _ab_1() -> Solution:
    interim = _compare("2024-06-30")
    row = interim.summary.loc["loyalty"]
    life = interim.lifetimes
    loyal = life[life["arm"] == "loyalty"]
    final = _compare().summary.loc["loyalty"]
    return Solution(
        right=float(row["rate"]),
        how=(f"{int(row['retained']):,} of the {int(row['n']):,} mature loyalty customers were retained at "
             f"day 30: {row['rate']:.3f}. {int(row['immature']):,} loyalty customers assigned after "
             "1 May 2024 are not mature yet and are left out."),
        # Everyone assigned in the denominator: with what they did so far, or with the
        # immature ones counted as not retained.
        wrong={"immature": (float((loyal["duration"] > 30).mean()), float(row["retained"] / len(loyal))), "control": float(row["control_rate"]),
               "hindsight": float(final["rate"])})


@_quiet
def _ab_2() -> Solution:
    row = _compare().summary.loc["loyalty"]
    return Solution(
        right=float(row["diff"]),
        how=(f"Loyalty {row['rate']:.3f} minus control {row['control_rate']:.3f} = {row['diff']:+.3f} "
             f"({row['diff'] * 100:+.1f} percentage points; 95 % interval {row['ci_lower'] * 100:+.1f} to "
             f"{row['ci_upper'] * 100:+.1f})."),
        wrong={"reversed": -float(row["diff"]), "relative": float(row["relative_diff"])})


def _planning_baseline() -> float:
    """The control's day-30 retention, rounded to 3 decimals as the question says."""
    return round(float(_compare().summary.loc["loyalty", "control_rate"]), 3)


@_quiet
def _ab_3() -> Solution:
    from .compare import sample_size

    base = _planning_baseline()
    plan = sample_size(base, 0.05)
    return Solution(
        right=float(plan.n_control),
        how=(f"sample_size(baseline={base}, mde=0.05) gives {plan.n_control:,} mature customers per arm "
             f"({plan.n_total:,} in all) for 80 % power at a two-sided 5 % level."),
        wrong={"total": float(plan.n_total), "one_sided": float(sample_size(base, 0.05, alpha=0.10).n_control),
               "relative_mde": float(sample_size(base, 0.05 * base).n_control)})


# ---------------------------------------------------------------------------------------
# The exercises, in course order
# ---------------------------------------------------------------------------------------

_FRACTION = 0.0015  # a rate rounded to 3 decimals (or 0.1 %) passes

# ---------------------------------------------------------------------------------------
# 06 · Customer lifetime value
# ---------------------------------------------------------------------------------------

@_quiet
def _clv_data():
    """The CDNOW sample of Fader, Hardie & Lee: log, summary and both purchase models."""
    from .clv import cdnow_sample_ids, fit_bgnbd, fit_pareto_nbd, rfm_summary

    log = _cdnow()
    sample = log[log["customer_id"].isin(cdnow_sample_ids())]
    summary = rfm_summary(sample, "1997-09-30", "1998-06-30", amount_col="amount")
    return sample, summary, fit_bgnbd(summary), fit_pareto_nbd(summary)


@_quiet
def _clv_1() -> Solution:
    sample, summary, _, _ = _clv_data()
    right = float(summary["frequency"].sum())
    rows = int((sample["date"] <= "1997-09-30").sum())
    return Solution(
        right=right,
        how=(f"rfm_summary counts purchase days after the first: {right:,.0f} repeat purchases by the "
             f"2,357 customers in the 39 weeks (several purchases on one day count once)."),
        wrong={"rows": float(rows - len(summary)), "with_first": right + len(summary),
               "holdout_too": right + float(summary["frequency_holdout"].sum())})


@_quiet
def _clv_2() -> Solution:
    _, summary, bg, pn = _clv_data()
    row = summary.loc["00004"]
    right = float(bg.probability_alive(row["frequency"], row["recency"], row["T"]))
    return Solution(
        right=right,
        how=(f"Customer 00004 made {row['frequency']:.0f} repeat purchases, the last at week "
             f"{row['recency']:.2f} of {row['T']:.2f}: the BG/NBD P(alive) is {right:.3f}."),
        wrong={"pareto": float(pn.probability_alive(row["frequency"], row["recency"], row["T"])),
               "complement": 1 - right})


@_quiet
def _clv_3() -> Solution:
    from .clv import alive_vs_inactivity

    _, summary, bg, _ = _clv_data()
    weeks = alive_vs_inactivity(bg, summary, churn_after=13)
    days = alive_vs_inactivity(bg, summary, churn_after="13D")
    return Solution(
        right=float(weeks.rule_churned_but_alive),
        how=(f"Of the {int(weeks.customers['rule_churned'].sum()):,} customers silent for 13 weeks or more, "
             f"{weeks.rule_churned_but_alive:,} still have P(alive) >= 50 % (mostly one-off buyers, whom "
             "the BG/NBD model never sees drop out)."),
        wrong={"reverse": float(weeks.rule_active_but_gone), "days": float(days.rule_churned_but_alive),
               "all_churned": float(weeks.customers["rule_churned"].sum())})


# ---------------------------------------------------------------------------------------
# 07 · Planning and monitoring experiments
# ---------------------------------------------------------------------------------------

@_quiet
def _experiments_1() -> Solution:
    from .experiments import classical_boundaries, spending_boundaries

    design = spending_boundaries(looks=4, alpha=0.05, spending="obrien-fleming")
    right = float(design.boundaries[1])
    spent = design.cumulative_alpha
    return Solution(
        right=right,
        how=(f"Lan-DeMets O'Brien-Fleming-type spending allows {spent[0]:.6f} of alpha by look 1 and "
             f"{spent[1]:.6f} by look 2 (two-sided); the look-2 boundary that spends exactly the difference, "
             f"given the look-1 boundary {design.boundaries[0]:.3f}, is |z| >= {right:.3f} (nominal p "
             f"{design.nominal_p[1]:.4f}). gsDesign and rpact give 4.3326, 2.9631, 2.3590, 2.0141."),
        wrong={"classical": float(classical_boundaries(4, shape="obrien-fleming").boundaries[1]),
               "pocock": float(spending_boundaries(looks=4, spending="pocock").boundaries[1]),
               "one_sided": float(spending_boundaries(looks=4, alpha=0.05, sides=1).boundaries[1]),
               "fixed": 1.959964,
               "neighbour": (float(design.boundaries[0]), float(design.boundaries[2]))})


@_quiet
def _experiments_2() -> Solution:
    from .experiments import hazard_ratio_sample_size

    plan = hazard_ratio_sample_size(0.8, alpha=0.05, power=0.8, churn_control=0.45)
    return Solution(
        right=float(plan.events),
        how=(f"Schoenfeld: d = (z_0.975 + z_0.8)^2 / (p (1 - p) log(HR)^2) = 4 * (1.960 + 0.842)^2 / "
             f"log(0.8)^2 = {plan.events_exact:.1f}, so {plan.events:,} churn events (in both arms "
             f"together). With 45 % of control customers churning that takes {plan.customers:,} customers."),
        wrong={"customers": float(plan.customers),
               "one_sided": float(hazard_ratio_sample_size(0.8, sides=1).events),
               "linear": float(math.ceil(plan.events_exact * math.log(0.8) ** 2 / 0.2 ** 2)),
               "no_allocation": float(math.ceil(plan.events_exact / 4))})


def _experiments_plan():
    from .compare import sample_size
    from .experiments import calendar_plan, spending_boundaries

    fixed = sample_size(0.65, 0.05)
    n_max = math.ceil(fixed.n_total * spending_boundaries(looks=4).inflation_factor(0.8))
    return fixed, n_max, calendar_plan(n_max, 120, horizon="30D", churn_after="30D")


@_quiet
def _experiments_3() -> Solution:
    fixed, n_max, plan = _experiments_plan()
    enrol = n_max / 120
    return Solution(
        right=float(plan.readable_week),
        how=(f"{n_max:,} mature customers at 120 a week take {enrol:.2f} weeks to enrol; the last of them is "
             f"mature 30 + 30 days = {60 / 7:.2f} weeks later: week {plan.readable_week:.2f}."),
        wrong={"enrolment_only": enrol, "horizon_only": enrol + 30 / 7,
               "no_inflation": fixed.n_total / 120 + 60 / 7, "per_arm": n_max / 2 / 120 + 60 / 7})


# The variance reduction section 4 of notebook 07 prints for its simulated win-back campaign
# ("variance reduction: 22.0%"); the question quotes it, so the checker uses the quoted value
# (tests/test_exercises.py checks the notebook still prints it).
_CAMPAIGN_VARIANCE_REDUCTION = 0.22


@_quiet
def _experiments_4() -> Solution:
    from .compare import sample_size

    plan = sample_size(0.45, 0.03)
    n, kept = plan.n_control, 1 - _CAMPAIGN_VARIANCE_REDUCTION
    right = math.ceil(n * kept)
    return Solution(
        right=float(right),
        how=(f"rk.sample_size(0.45, 0.03) needs {n:,} customers per arm unadjusted. The variance of the "
             f"difference is proportional to 1 / n, and CUPED leaves {kept:.0%} of it, so the same interval "
             f"(the same power) needs {kept:.2f} x {n:,} = {right:,} customers per arm: the adjusted analysis "
             f"is worth {1 / kept:.2f} times the customers. The interval-width ratio, sqrt({kept:.2f}) = "
             f"{math.sqrt(kept):.3f}, is not the factor for n."),
        wrong={"width": float(math.ceil(n * math.sqrt(kept))), "inverted": float(math.ceil(n / kept)),
               "removed": float(math.ceil(n * _CAMPAIGN_VARIANCE_REDUCTION)),
               "one_minus_rho": float(math.ceil(n * (1 - math.sqrt(_CAMPAIGN_VARIANCE_REDUCTION)))),
               "unadjusted": float(n), "total": float(2 * right)})


@functools.cache
def _shop_customers() -> pd.DataFrame:
    """Notebook 07's ``customers`` table (section 4): one row per customer of the shop's
    experiment, with the first basket and the revenue and orders of the 30 days after it."""
    from .compare import compare_retention

    shop = _shop()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        final = compare_retention(shop.assignments, shop.transactions, horizon="30D", churn_after="30D")
    tx = shop.transactions.merge(shop.assignments.rename(columns={"date": "start"}), on="customer_id")
    first = tx[tx["date"] == tx["start"]].groupby("customer_id").agg(first_amount=("amount", "sum"),
                                                                      channel=("channel", "first"))
    after = tx[(tx["date"] > tx["start"]) & (tx["date"] <= tx["start"] + pd.Timedelta("30D"))]
    month = after.groupby("customer_id").agg(revenue_30d=("amount", "sum"), orders_30d=("amount", "size"))
    return (final.lifetimes.set_index("customer_id")[["arm", "mature", "retained"]].join(first).join(month)
            .fillna({"revenue_30d": 0.0, "orders_30d": 0}))


@_quiet
def _experiments_5() -> Solution:
    from .experiments import ratio_metric

    customers = _shop_customers()
    # alpha is also the guardrail's one-sided level: the one-sided 95 % lower bound is the
    # lower end of the two-sided 90 % interval (alpha = 0.10).
    one_sided = ratio_metric(customers, "revenue_30d", margin=0.05, alpha=0.10).row
    two_sided = ratio_metric(customers, "revenue_30d", margin=0.05, alpha=0.05).row
    buyers = customers[customers["revenue_30d"] > 0]
    per_buyer = ratio_metric(buyers, "revenue_30d", margin=0.05, alpha=0.10).row
    right = 100 * float(one_sided["lift_lower"])
    return Solution(
        right=right,
        how=(f"Revenue per customer: loyalty {one_sided['treatment_value']:.2f} vs control "
             f"{one_sided['control_value']:.2f}, a relative lift of {one_sided['lift']:+.2%}. The guardrail is a "
             f"one-sided test at alpha = 0.05, so its bound is lift - z_0.95 x s.e. = {right:+.2f} % (the lower "
             f"end of the 90 % two-sided interval), above the -5 % margin: the guardrail holds "
             f"(non-inferiority p {two_sided['noninferiority_p']:.4f}). The 95 % interval's lower end, "
             f"{100 * two_sided['lift_lower']:+.2f} %, belongs to a one-sided 2.5 % test."),
        wrong={"two_sided": 100 * float(two_sided["lift_lower"]),
               "absolute": (float(one_sided["ci_lower"]), float(two_sided["ci_lower"])),
               "per_buyer": 100 * float(per_buyer["lift_lower"]),
               "as_fraction": right / 100})


_EXERCISES = [
    Exercise(
        id="crr-1", notebook="01_customer_retention_rate", title="CRR of a month with new customers",
        question=("With `rk.crr_table` on the CDNOW log (`rk.load_cdnow()`, monthly periods, the default "
                  "activity window), what was the customer retention rate of **March 1997**? Give it as "
                  "a fraction to 3 decimals."),
        unit="fraction", tolerance=_FRACTION, solve=_crr_1,
        mistakes=(
            Mistake("no_new", "That is E / S: you forgot to subtract the new customers N. They were "
                              "acquired in March, not retained: CRR = (E − N) / S."),
            Mistake("kept", "That is retained / S, the share of the starting customers still there at "
                            "the end (fixed-cohort retention). CRR is the net measure (E − N) / S, which "
                            "also counts lapsed customers who came back."),
            Mistake("neighbour", "That is the CRR of a neighbouring month: read the row labelled 1997-03."),
        ),
        hint="Find the row 1997-03 of `crr_table(...).table` and apply CRR = (E − N) / S to its start, "
             "new and end columns."),
    Exercise(
        id="crr-2", notebook="01_customer_retention_rate", title="Churn rate is not 1 − CRR",
        question=("On the coffee shop (`rk.load_coffee_shop().transactions`, monthly periods), what was "
                  "the **churn rate** in **October 2024**? Give it as a fraction to 3 decimals."),
        unit="fraction", tolerance=_FRACTION, solve=_crr_2,
        mistakes=(
            Mistake("one_minus_crr", "That is 1 − CRR (or (S − E) / S). Churn counts only the starting "
                                     "customers who left, lost / S; 1 − CRR nets out the lapsed customers "
                                     "who came back. Read the decomposition."),
            Mistake("kept", "That is the share of the starting customers kept (retained / S); churn is "
                            "the share lost."),
            Mistake("crr", "That is the CRR itself. Churn is lost / S."),
        ),
        hint="Churn rate = lost / S: the customers at the start of October who were no longer customers "
             "at its end, over S."),
    Exercise(
        id="crr-3", notebook="01_customer_retention_rate", title="The unfinished month",
        question=("It is **15 June 1998** and your manager asks for CDNOW's latest monthly CRR. Using only "
                  "what was known that day (`as_of=\"1998-06-15\"`), what is it? Give it as a fraction "
                  "to 3 decimals."),
        unit="fraction", tolerance=_FRACTION, solve=_crr_3,
        mistakes=(
            Mistake("partial", "You counted the unfinished month: on 15 June, June 1998 has only half a "
                               "month of buyers, so its E (and its CRR) is far too low. The latest CRR is "
                               "that of the last complete month; `crr_table(..., as_of=...)` leaves the "
                               "unfinished one out (see `.notes`)."),
            Mistake("hindsight", "That is June's CRR computed with data from after 15 June. Cut the log "
                                 "at the as-of date: `as_of=\"1998-06-15\"`."),
        ),
        hint="Pass `as_of=\"1998-06-15\"` to `crr_table` and take the CRR of its last row."),
    Exercise(
        id="cohorts-1", notebook="02_cohort_analysis", title="A weekly cohort",
        question=("With weekly cohorts (weeks run Monday to Sunday): of the CDNOW customers who **first "
                  "bought in the week of 3–9 March 1997**, what share **bought again in the following "
                  "week** (10–16 March)? Give it as a fraction to 3 decimals."),
        unit="fraction", tolerance=_FRACTION, solve=_cohorts_1,
        mistakes=(
            Mistake("purchases", "You counted purchases, not customers: a customer who bought three "
                                 "times in the week of 10–16 March counts once. Count distinct customers."),
            Mistake("everyone", "You divided by every customer in the log. Retention of a cohort divides "
                                "by the cohort's size: the customers who first bought in the week of "
                                "3–9 March."),
            Mistake("or_after", "You counted customers who came back in the week of 10–16 March *or "
                                "later* (mode=\"on or after\"). The question asks about that week only "
                                "(mode=\"on\")."),
            Mistake("windows", "You used 7-day windows after each customer's first purchase "
                               "(periods=\"relative\"): for a customer who first bought on Sunday 9 March, "
                               "window 1 is 16–22 March. The question asks about the calendar week "
                               "10–16 March (periods=\"calendar\", the default)."),
        ),
        hint="Use `rk.cohort_table(cdnow, \"W\", first_cohort=\"keep\")`: the cell of cohort "
             "1997-03-03/1997-03-09 and period 1 in `.rates`."),
    Exercise(
        id="cohorts-2", notebook="02_cohort_analysis", title="Average retention without partial cells",
        question=("Analyse the coffee shop **as of 15 June 2024** (`as_of=\"2024-06-15\"`, monthly "
                  "cohorts). What is the **size-weighted average retention in month 1** over the cohorts "
                  "whose month 1 is complete? Give it as a fraction to 3 decimals."),
        unit="fraction", tolerance=_FRACTION, solve=_cohorts_2,
        mistakes=(
            Mistake("partial", "You counted the unfinished month: the May cohort's month 1 is June, only "
                               "half over on 15 June, so it understates retention. Leave partial cells "
                               "out (`.partial` marks them; `.average()` does it for you)."),
            Mistake("hindsight", "That uses the whole year of data. Cut it at the as-of date: "
                                 "`as_of=\"2024-06-15\"`."),
        ),
        hint="`rk.cohort_table(tx, \"M\", as_of=\"2024-06-15\").average()` weights each complete cell by "
             "its cohort's size; read period 1."),
    Exercise(
        id="survival-1", notebook="03_survival_churn", title="Retained at day 60, with censoring",
        question=("On **31 August 2024**, the day the coffee shop stopped acquiring customers, build "
                  "lifetimes with `churn_after=30` and `as_of=\"2024-08-31\"`. What share of customers is "
                  "still retained **60 days** after their first purchase (Kaplan–Meier S(60))? Give it as a "
                  "fraction to 3 decimals."),
        unit="fraction", tolerance=_FRACTION, solve=_survival_1,
        mistakes=(
            Mistake("censored_churned", "You treated the censored customers as churned: a customer who "
                                        "arrived in July and is still active has not had 60 days yet, "
                                        "which is not the same as leaving before day 60. Kaplan–Meier "
                                        "counts each customer for as long as they were observed."),
            Mistake("churned_only", "You kept only the churned customers: the ones still active (censored) "
                                    "are the long lifetimes, so dropping them makes churn look faster."),
            Mistake("dropped_short_censored", "You dropped the censored customers observed for less than 60 "
                                              "days but kept every churned one: short lifetimes are then "
                                              "over-represented. Kaplan–Meier uses them all."),
            Mistake("late_kept", "You kept the customers who started in the last 30 days (after 1 August): "
                                 "none of them can have churned yet, so as \"still active\" they lift the "
                                 "curve. They are not yet classifiable; `rk.customer_lifetimes` leaves them "
                                 "out."),
        ),
        hint="`rk.kaplan_meier(lifetimes).survival_at([60])`."),
    Exercise(
        id="survival-2", notebook="03_survival_churn", title="Median lifetime",
        question=("With the same lifetimes (coffee shop, `churn_after=30`, `as_of=\"2024-08-31\"`), what "
                  "is the **median lifetime** in days (Kaplan–Meier)? Give it to 1 decimal."),
        unit="days", tolerance=0.5, solve=_survival_2,
        mistakes=(
            Mistake("censored_churned", "That is the median of the durations as if every customer had "
                                        "churned: the censored ones are still active, their lifetimes are "
                                        "longer than what we saw. Use the Kaplan–Meier median."),
            Mistake("churned_only", "That is the median lifetime of the churned customers only: leaving out "
                                    "the censored ones keeps the short lifetimes and drops the long ones."),
        ),
        hint="`rk.kaplan_meier(lifetimes).median_lifetime()`."),
    Exercise(
        id="survival-3", notebook="03_survival_churn", title="Mean days retained in the first 90 (RMST)",
        question=("With the same lifetimes, how many days does a customer stay **on average within the "
                  "first 90 days** (restricted mean survival time, RMST(90))? Give it to 1 decimal."),
        unit="days", tolerance=0.5, solve=_survival_3,
        mistakes=(
            Mistake("censored_churned", "That is the average of min(duration, 90) with censored customers "
                                        "treated as churned: a customer observed for 20 days and still "
                                        "active may well stay 90. RMST is the area under the "
                                        "Kaplan–Meier curve."),
            Mistake("churned_only", "That averages the churned customers only, leaving out the longer "
                                    "lifetimes of those still active."),
        ),
        hint="`rk.rmst(lifetimes[\"duration\"], lifetimes[\"churned\"], 90)`, or the area under "
             "the Kaplan–Meier curve up to day 90."),
    Exercise(
        id="ab-1", notebook="04_ab_test_retention", title="An interim look at the loyalty arm",
        question=("It is **30 June 2024** and the loyalty experiment is still running. What is the "
                  "**day-30 retention rate of the loyalty arm** (retained at a 30-day horizon, "
                  "`churn_after=\"30D\"`, `as_of=\"2024-06-30\"`)? Give it as a fraction to 3 decimals."),
        unit="fraction", tolerance=_FRACTION, solve=_ab_1,
        mistakes=(
            Mistake("immature", "You used the immature customers: those assigned after 1 May 2024 have not "
                                "had 30 days plus the 30-day churn window by 30 June, so 'not retained yet' "
                                "is counted as 'not retained'. Only mature customers enter the rate."),
            Mistake("control", "That is the control arm's rate; the question asks about loyalty."),
            Mistake("hindsight", "That uses data after 30 June. Pass `as_of=\"2024-06-30\"`."),
        ),
        hint="`rk.compare_retention(shop.assignments, shop.transactions, horizon=\"30D\", "
             "churn_after=\"30D\", as_of=\"2024-06-30\").summary.loc[\"loyalty\", \"rate\"]`."),
    Exercise(
        id="ab-2", notebook="04_ab_test_retention", title="The effect of the loyalty programme",
        question=("With all the data (as of 31 December 2024), by how much did the loyalty programme change "
                  "**day-30 retention**: loyalty rate minus control rate (`horizon=\"30D\"`, "
                  "`churn_after=\"30D\"`)? Give it as a fraction to 3 decimals (0.010 is one percentage "
                  "point)."),
        unit="fraction", tolerance=_FRACTION, solve=_ab_2,
        mistakes=(
            Mistake("reversed", "The sign is reversed: the question asks for loyalty minus control."),
            Mistake("relative", "That is the relative difference (difference / control rate). The question "
                                "asks for the absolute difference in rates: loyalty − control."),
        ),
        hint="`.summary.loc[\"loyalty\", \"diff\"]` of `rk.compare_retention(...)`."),
    Exercise(
        id="ab-3", notebook="04_ab_test_retention", title="Planning the next experiment",
        question=("You plan a new experiment. Take the control's day-30 retention from `ab-2`, rounded to "
                  "3 decimals, as the baseline. How many **mature customers per arm** do you need to detect "
                  "an increase of **5 percentage points** with 80 % power at a two-sided 5 % level?"),
        unit="customers", tolerance=0.01, relative=True, solve=_ab_3,
        mistakes=(
            Mistake("total", "That is the total over both arms; the question asks for customers per arm."),
            Mistake("one_sided", "That is the size for a one-sided test (or alpha = 0.10). The kit's test is "
                                 "two-sided at 5 %: keep alpha=0.05."),
            Mistake("relative_mde", "You planned for a 5 % *relative* increase. Five percentage points is "
                                    "an absolute difference: mde=0.05."),
        ),
        hint="`rk.sample_size(baseline, mde=0.05)` and read `n_control`."),
    Exercise(
        id="clv-1", notebook="06_customer_lifetime_value", title="Repeat purchases in the calibration period",
        question=("Summarise Fader, Hardie & Lee's CDNOW sample (`rk.cdnow_sample_ids()`) with a 39-week "
                  "calibration period ending on 30 September 1997. How many **repeat purchases** did the "
                  "2,357 customers make in it, all together?"),
        unit="customers", tolerance=0.5, solve=_clv_1,
        mistakes=(
            Mistake("rows", "That counts rows. Several purchases by a customer on one day are one purchase "
                            "occasion: count distinct purchase days (the summary's `frequency`)."),
            Mistake("with_first", "That includes every customer's first purchase. Frequency counts "
                                  "*repeat* purchases: the first one starts the clock."),
            Mistake("holdout_too", "That includes the holdout period (after 30 September 1997): sum "
                                   "`frequency`, not `frequency_holdout`."),
        ),
        hint="`rk.rfm_summary(sample, \"1997-09-30\", \"1998-06-30\")[\"frequency\"].sum()`."),
    Exercise(
        id="clv-2", notebook="06_customer_lifetime_value", title="Is customer 00004 still a customer?",
        question=("Fit the BG/NBD model on that summary. What is the probability that customer **00004** is "
                  "still alive at the end of the calibration period? Give it to 3 decimals."),
        unit="fraction", tolerance=_FRACTION, solve=_clv_2,
        mistakes=(
            Mistake("pareto", "That is the Pareto/NBD answer. The question asks for the BG/NBD model "
                              "(`rk.fit_bgnbd`)."),
            Mistake("complement", "That is the probability that the customer has left: 1 - P(alive)."),
        ),
        hint="`bg.probability_alive(x, t_x, T)` with customer 00004's row of the summary."),
    Exercise(
        id="clv-3", notebook="06_customer_lifetime_value", title="Churned by the rule, alive for the model",
        question=("Call a customer churned after **13 weeks** without a purchase (at the calibration end). "
                  "How many customers does this rule call churned while the BG/NBD model still gives them "
                  "P(alive) of at least 50 %?"),
        unit="customers", tolerance=0.5, solve=_clv_3,
        mistakes=(
            Mistake("reverse", "That is the other disagreement: customers the rule calls active whom the "
                               "model thinks are probably gone."),
            Mistake("days", "13 days, not 13 weeks: a number is read in the summary's time unit (weeks), or "
                            "write `churn_after=\"91D\"`."),
            Mistake("all_churned", "That is everyone the rule calls churned; count only those the model "
                                   "still thinks are probably alive."),
        ),
        hint="`rk.alive_vs_inactivity(bg, summary, churn_after=13).rule_churned_but_alive`."),
    Exercise(
        id="experiments-1", notebook="07_planning_and_monitoring", title="The boundary at look 2 of 4",
        question=("An experiment is planned with **four equally spaced looks** and Lan–DeMets "
                  "**O'Brien–Fleming-type** alpha spending, two-sided alpha = 0.05. Above what |z| does "
                  "it stop at **look 2** (half the information)? Give it to 3 decimals."),
        unit="z", tolerance=0.0015, solve=_experiments_1,
        mistakes=(
            Mistake("classical", "That is the classical O'Brien–Fleming boundary C_B·sqrt(K/k) "
                                 "(`rk.classical_boundaries`). The question asks for Lan–DeMets spending of the "
                                 "O'Brien–Fleming type (`rk.spending_boundaries`), which rpact and gsDesign use."),
            Mistake("pocock", "That is Pocock-type spending: it spends alpha evenly. Use "
                              "spending=\"obrien-fleming\"."),
            Mistake("one_sided", "That spends all of alpha = 0.05 on one side. A two-sided test at 0.05 spends "
                                 "0.025 on each side: keep sides=2."),
            Mistake("fixed", "That is the fixed-horizon 1.96: testing every look at it is the peeking that "
                             "inflates the false-positive rate."),
            Mistake("neighbour", "That is the boundary of another look: look 2 is the second of the four."),
        ),
        hint="`rk.spending_boundaries(looks=4, alpha=0.05, spending=\"obrien-fleming\").boundaries` and take "
             "the second value."),
    Exercise(
        id="experiments-2", notebook="07_planning_and_monitoring", title="Churn events for a hazard ratio of 0.8",
        question=("You want to detect a **hazard ratio of 0.8** (20 % lower churn hazard) with the log-rank "
                  "test, two-sided alpha = 0.05, 80 % power, equal arms; 45 % of control customers churn "
                  "during the follow-up. How many **churn events** (both arms together) do you need?"),
        unit="events", tolerance=0.005, relative=True, solve=_experiments_2,
        mistakes=(
            Mistake("customers", "That is the number of customers. The log-rank test's information is the "
                                 "churn events: Schoenfeld's formula gives events, and customers follow from "
                                 "the share who churn."),
            Mistake("one_sided", "That is the one-sided (or alpha = 0.10) answer; keep the two-sided 5 % level."),
            Mistake("linear", "You used (1 − HR)² where Schoenfeld's formula has log(HR)²."),
            Mistake("no_allocation", "You left out the allocation: with equal arms p (1 − p) = 1/4, so the "
                                     "formula has a factor 4: d = 4 (z₀.₉₇₅ + z₀.₈)² / log(HR)²."),
        ),
        hint="`rk.hazard_ratio_sample_size(0.8, churn_control=0.45).events` (Schoenfeld 1981)."),
    Exercise(
        id="experiments-3", notebook="07_planning_and_monitoring", title="When can the experiment be read?",
        question=("Take section 1's monitored design: the fixed-design total of `rk.sample_size(0.65, 0.05)` "
                  "(both arms) times the inflation factor of a four-look O'Brien–Fleming-type design at 80 % "
                  "power, rounded up. A new shop assigns **120 customers a week**; retention is at day 30 with "
                  "a 30-day churn window. In which **week** can the experiment be read? Give it to 1 decimal."),
        unit="weeks", tolerance=0.06, solve=_experiments_3,
        mistakes=(
            Mistake("enrolment_only", "That is when enrolment ends. The last customers' retention is known only "
                                      "30 + 30 days later, when they are mature."),
            Mistake("horizon_only", "You added the 30-day horizon but not the 30-day window after it: a customer "
                                    "is mature horizon + window after assignment."),
            Mistake("no_inflation", "That is the fixed design. Four looks need the inflated maximum: "
                                    "multiply by `design.inflation_factor(0.8)` and round up."),
            Mistake("per_arm", "You used the customers of one arm; the shop enrols both arms at 120 a week."),
        ),
        hint="`rk.calendar_plan(n_max, 120, horizon=\"30D\", churn_after=\"30D\").readable_week`."),
    Exercise(
        id="experiments-4", notebook="07_planning_and_monitoring", title="What CUPED saves in customers",
        question=("You plan another win-back campaign like section 4's: detect a rise in day-30 retention from "
                  "45 % to 48 % (`rk.sample_size(0.45, 0.03)`, 80 % power, two-sided 5 % level), analysed with "
                  "CUPED on past orders, which removed **22.0 % of the variance** in section 4's campaign. "
                  "How many **customers per arm** does the adjusted analysis need for the same power?"),
        unit="customers", tolerance=0.01, relative=True, solve=_experiments_4,
        mistakes=(
            Mistake("width", "You scaled by the interval-width ratio sqrt(1 − 0.22). The sample size follows "
                             "the variance, which is proportional to 1 / n: multiply by 1 − 0.22."),
            Mistake("inverted", "That is more customers than without CUPED: you divided by 1 − 0.22. The "
                                "adjustment removes variance, so it needs fewer customers: multiply."),
            Mistake("removed", "That is the share CUPED removed (22 %) of the customers; the adjusted analysis "
                               "needs the share it keeps, 1 − 0.22."),
            Mistake("one_minus_rho", "You subtracted the correlation sqrt(0.22) = ρ. CUPED removes ρ² of the "
                                     "variance (22 % here), so the factor is 1 − ρ² = 0.78, not 1 − ρ."),
            Mistake("unadjusted", "That is the plan without CUPED: `n_control` of `rk.sample_size(0.45, 0.03)`. "
                                  "Now scale it by the variance CUPED leaves."),
            Mistake("total", "That is both arms together; the question asks for customers per arm."),
        ),
        hint="Sample size is proportional to the variance: `rk.sample_size(0.45, 0.03).n_control` times the share "
             "of the variance CUPED keeps, rounded up."),
    Exercise(
        id="experiments-5", notebook="07_planning_and_monitoring", title="The guardrail's bound",
        question=("Section 5's guardrail: revenue per customer in the 30 days after assignment (`revenue_30d` "
                  "of `customers`, every customer, 0 when they did not buy) may not fall by more than 5 %, a "
                  "one-sided non-inferiority test at alpha = 0.05. What is the **lower confidence bound of the "
                  "relative lift** that this test compares with −5 %? Give it in percent to 2 decimals "
                  "(−3.00 for a 3 % fall)."),
        unit="percent", tolerance=0.015, solve=_experiments_5,
        mistakes=(
            Mistake("two_sided", "That is the lower end of the two-sided 95 % interval, which puts 2.5 % in each "
                                 "tail. The guardrail test is one-sided at 5 %: its bound is the lower end of the "
                                 "90 % two-sided interval (`alpha=0.10`)."),
            Mistake("absolute", "That is the bound of the absolute difference, in dollars per customer. The "
                                "margin is relative (−5 %): read the bound of the relative lift, `lift_lower`."),
            Mistake("per_buyer", "You kept only the customers who bought in the 30 days. Revenue per customer "
                                 "divides by every assigned customer (0 for those who did not buy): dropping "
                                 "non-buyers compares groups the programme itself may have changed."),
            Mistake("as_fraction", "That is the bound as a fraction; give it in percent (−3.00 for a 3 % fall)."),
        ),
        hint="`rk.ratio_metric(customers, \"revenue_30d\", margin=0.05, alpha=0.10).row[\"lift_lower\"]`, in "
             "percent: with alpha = 0.10 the two-sided interval's lower end is the one-sided 95 % bound."),
]

_BY_ID = {ex.id: ex for ex in _EXERCISES}


# ---------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------

def list_exercises(notebook: str | None = None) -> pd.DataFrame:
    """The exercises in course order: ``id``, ``notebook``, ``title``, ``unit``, ``question``.

    Parameters
    ----------
    notebook : str, optional
        Only this notebook's exercises; its number ("02") or name ("02_cohort_analysis").

    Examples
    --------
    >>> list(list_exercises("02")["id"])
    ['cohorts-1', 'cohorts-2']
    """
    rows = [{"id": e.id, "notebook": e.notebook, "title": e.title, "unit": e.unit,
             "question": e.question} for e in _EXERCISES]
    out = pd.DataFrame(rows)
    if notebook is not None:
        key = str(notebook)
        out = out[out["notebook"].str.startswith(key)]
        if out.empty:
            names = sorted({e.notebook for e in _EXERCISES})
            raise ParameterError(f"notebook={notebook!r} has no exercises. Use one of {names} "
                                 "(or just its number, e.g. '02').")
    return out.reset_index(drop=True)


def _exercise(exercise_id) -> Exercise:
    try:
        return _BY_ID[exercise_id]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(exercise_id), list(_BY_ID), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ParameterError(f"exercise_id={exercise_id!r} is not an exercise.{hint} "
                             f"Use one of {list(_BY_ID)} (see list_exercises()).") from None


def _read_number(answer, unit: str) -> tuple[float | None, str]:
    """The answer as a float, or None with the reason; percentages become fractions."""
    if isinstance(answer, (pd.Series, pd.DataFrame, np.ndarray, list, tuple)):
        size = np.size(answer)
        if size != 1:
            return None, (f"Your answer holds {size} values ({type(answer).__name__}); give one number, "
                          "for example a single cell: `table.loc[row, column]`.")
        answer = np.asarray(answer).reshape(-1)[0]
    percent = False
    if isinstance(answer, str):
        text = answer.strip().replace(",", "").replace(" ", "")
        percent = text.endswith("%")
        try:
            answer = float(text.rstrip("%"))
        except ValueError:
            return None, f"{answer!r} is not a number. Give a number such as 0.25 or \"25%\"."
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, numbers.Real):
        return None, f"{answer!r} is not a number. Give a number such as 0.25."
    value = float(answer)
    if not math.isfinite(value):
        return None, (f"Your answer is {value}: the computation gave no number (NaN often means a row or "
                      "a cell that does not exist, or a division by zero). Check the row you picked.")
    if unit == "fraction" and (percent or abs(value) > 2):
        # No rate in these exercises exceeds 200 %: a bigger number is a percentage.
        value /= 100
    return value, ""


def check(exercise_id: str, answer) -> CheckResult:
    """Check an answer: right, a hint about the likely mistake, or "not yet".

    The right answer is computed from the kit and the bundled data (nothing is stored),
    and every anticipated mistake is recognised by computing the wrong number it gives.
    ``answer=None`` (the notebooks' placeholder) returns a reminder, never an error, so the
    notebooks run top to bottom.

    Parameters
    ----------
    exercise_id : str
        For example ``"crr-1"`` or ``"cohorts-2"`` (:func:`list_exercises`).
    answer : number, str or None
        Rates as fractions (0.25), percentages (25) or strings ("25%").

    Returns
    -------
    CheckResult
        ``.correct``, ``.status`` and ``.message``; readable as text and in Jupyter.

    Raises
    ------
    ParameterError
        If ``exercise_id`` is not an exercise (with the closest one).

    Examples
    --------
    >>> res = check("crr-1", None)
    >>> res.correct, res.status
    (False, 'no answer')
    >>> check("crr-1", 0.5).status
    'not yet'
    """
    ex = _exercise(exercise_id)
    if answer is None:
        return CheckResult(ex.id, None, False, "no answer",
                           f"Write your answer first: replace None in `answer = None` with your number "
                           f"and run the cell again ({ex.title}).")
    value, why = _read_number(answer, ex.unit)
    if value is None:
        return CheckResult(ex.id, answer, False, "unreadable", why)
    sol = ex.solve()
    allowed = ex.allowed_error(sol.right)
    if abs(value - sol.right) <= allowed:
        return CheckResult(ex.id, answer, True, "right", f"Right. {sol.how}")
    for mistake in ex.mistakes:
        wrong = np.atleast_1d(np.asarray(sol.wrong[mistake.key], dtype=float))
        if np.any(np.abs(value - wrong) <= allowed):
            return CheckResult(ex.id, answer, False, "hint", mistake.hint)
    return CheckResult(ex.id, answer, False, "not yet", f"Not yet. Hint: {ex.hint}")
