"""Notebook 04 · A/B test: the exercises ab-1 to ab-3, on the coffee shop's loyalty experiment."""

from __future__ import annotations

from ._data import shop
from .checker import RATE_TOLERANCE, Exercise, Mistake, Solution, register, solver

NOTEBOOK = "04_ab_test_retention"


def loyalty_comparison(as_of=None):
    """The experiment's day-30 retention by arm (``horizon="30D"``, ``churn_after="30D"``), as of
    ``as_of`` (default: all the data)."""
    from ..compare import compare_retention

    data = shop()
    return compare_retention(data.assignments, data.transactions, horizon="30D", churn_after="30D",
                             as_of=as_of)


def planning_baseline() -> float:
    """The control's day-30 retention, rounded to 3 decimals as ab-3's question says."""
    return round(float(loyalty_comparison().summary.loc["loyalty", "control_rate"]), 3)


@solver
def _ab_1() -> Solution:
    interim = loyalty_comparison("2024-06-30")
    row = interim.summary.loc["loyalty"]
    life = interim.lifetimes
    loyal = life[life["arm"] == "loyalty"]
    final = loyalty_comparison().summary.loc["loyalty"]
    return Solution(
        right=float(row["rate"]),
        how=(f"{int(row['retained']):,} of the {int(row['n']):,} mature loyalty customers were retained at "
             f"day 30: {row['rate']:.3f}. {int(row['immature']):,} loyalty customers assigned after "
             "1 May 2024 are not mature yet and are left out."),
        # Everyone assigned in the denominator: with what they did so far, or with the
        # immature ones counted as not retained.
        wrong={"immature": (float((loyal["duration"] > 30).mean()), float(row["retained"] / len(loyal))),
               "control": float(row["control_rate"]), "hindsight": float(final["rate"])})


@solver
def _ab_2() -> Solution:
    row = loyalty_comparison().summary.loc["loyalty"]
    return Solution(
        right=float(row["diff"]),
        how=(f"Loyalty {row['rate']:.3f} minus control {row['control_rate']:.3f} = {row['diff']:+.3f} "
             f"({row['diff'] * 100:+.1f} percentage points; 95 % interval {row['ci_lower'] * 100:+.1f} to "
             f"{row['ci_upper'] * 100:+.1f})."),
        wrong={"reversed": -float(row["diff"]), "relative": float(row["relative_diff"])})


@solver
def _ab_3() -> Solution:
    from ..compare import sample_size

    base = planning_baseline()
    plan = sample_size(base, 0.05)
    return Solution(
        right=float(plan.n_control),
        how=(f"sample_size(baseline={base}, mde=0.05) gives {plan.n_control:,} mature customers per arm "
             f"({plan.n_total:,} in all) for 80 % power at a two-sided 5 % level."),
        wrong={"total": float(plan.n_total), "one_sided": float(sample_size(base, 0.05, alpha=0.10).n_control),
               "relative_mde": float(sample_size(base, 0.05 * base).n_control)})


register(
    Exercise(
        id="ab-1", notebook=NOTEBOOK, title="An interim look at the loyalty arm",
        question=("It is **30 June 2024** and the loyalty experiment is still running. What is the "
                  "**day-30 retention rate of the loyalty arm** (retained at a 30-day horizon, "
                  "`churn_after=\"30D\"`, `as_of=\"2024-06-30\"`)? Give it as a fraction to 3 decimals."),
        unit="fraction", tolerance=RATE_TOLERANCE, solve=_ab_1,
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
        id="ab-2", notebook=NOTEBOOK, title="The effect of the loyalty programme",
        question=("With all the data (as of 31 December 2024), by how much did the loyalty programme change "
                  "**day-30 retention**: loyalty rate minus control rate (`horizon=\"30D\"`, "
                  "`churn_after=\"30D\"`)? Give it as a fraction to 3 decimals (0.010 is one percentage "
                  "point)."),
        unit="fraction", tolerance=RATE_TOLERANCE, solve=_ab_2,
        mistakes=(
            Mistake("reversed", "The sign is reversed: the question asks for loyalty minus control."),
            Mistake("relative", "That is the relative difference (difference / control rate). The question "
                                "asks for the absolute difference in rates: loyalty − control."),
        ),
        hint="`.summary.loc[\"loyalty\", \"diff\"]` of `rk.compare_retention(...)`."),
    Exercise(
        id="ab-3", notebook=NOTEBOOK, title="Planning the next experiment",
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
)
