"""Notebook 07 · Planning and monitoring experiments: the exercises experiments-1 to experiments-5
(boundaries, survival power, calendar time, CUPED, guardrails)."""

from __future__ import annotations

import functools
import math
import warnings

import pandas as pd

from ._data import shop
from .checker import Exercise, Mistake, Solution, register, solver

NOTEBOOK = "07_planning_and_monitoring"

# The variance reduction section 4 of notebook 07 prints for its simulated win-back campaign
# ("variance reduction: 22.0%"); the question quotes it, so the checker uses the quoted value
# (tests/test_exercises.py checks the notebook still prints it).
CAMPAIGN_VARIANCE_REDUCTION = 0.22


@functools.cache
def shop_customers() -> pd.DataFrame:
    """Notebook 07's ``customers`` table (section 4): one row per customer of the shop's
    experiment, with the first basket and the revenue and orders of the 30 days after it."""
    from ..compare import compare_retention

    data = shop()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        final = compare_retention(data.assignments, data.transactions, horizon="30D", churn_after="30D")
    tx = data.transactions.merge(data.assignments.rename(columns={"date": "start"}), on="customer_id")
    first = tx[tx["date"] == tx["start"]].groupby("customer_id").agg(first_amount=("amount", "sum"),
                                                                      channel=("channel", "first"))
    after = tx[(tx["date"] > tx["start"]) & (tx["date"] <= tx["start"] + pd.Timedelta("30D"))]
    month = after.groupby("customer_id").agg(revenue_30d=("amount", "sum"), orders_30d=("amount", "size"))
    return (final.lifetimes.set_index("customer_id")[["arm", "mature", "retained"]].join(first).join(month)
            .fillna({"revenue_30d": 0.0, "orders_30d": 0}))


@solver
def _experiments_1() -> Solution:
    from ..experiments import classical_boundaries, spending_boundaries

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


@solver
def _experiments_2() -> Solution:
    from ..experiments import hazard_ratio_sample_size

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


def _monitored_plan():
    """Section 1's monitored design: the fixed plan, its four-look maximum and its calendar."""
    from ..compare import sample_size
    from ..experiments import calendar_plan, spending_boundaries

    fixed = sample_size(0.65, 0.05)
    n_max = math.ceil(fixed.n_total * spending_boundaries(looks=4).inflation_factor(0.8))
    return fixed, n_max, calendar_plan(n_max, 120, horizon="30D", churn_after="30D")


@solver
def _experiments_3() -> Solution:
    fixed, n_max, plan = _monitored_plan()
    enrol = n_max / 120
    return Solution(
        right=float(plan.readable_week),
        how=(f"{n_max:,} mature customers at 120 a week take {enrol:.2f} weeks to enrol; the last of them is "
             f"mature 30 + 30 days = {60 / 7:.2f} weeks later: week {plan.readable_week:.2f}."),
        wrong={"enrolment_only": enrol, "horizon_only": enrol + 30 / 7,
               "no_inflation": fixed.n_total / 120 + 60 / 7, "per_arm": n_max / 2 / 120 + 60 / 7})


@solver
def _experiments_4() -> Solution:
    from ..compare import sample_size

    plan = sample_size(0.45, 0.03)
    n, kept = plan.n_control, 1 - CAMPAIGN_VARIANCE_REDUCTION
    right = math.ceil(n * kept)
    return Solution(
        right=float(right),
        how=(f"rk.sample_size(0.45, 0.03) needs {n:,} customers per arm unadjusted. The variance of the "
             f"difference is proportional to 1 / n, and CUPED leaves {kept:.0%} of it, so the same interval "
             f"(the same power) needs {kept:.2f} x {n:,} = {right:,} customers per arm: the adjusted analysis "
             f"is worth {1 / kept:.2f} times the customers. The interval-width ratio, sqrt({kept:.2f}) = "
             f"{math.sqrt(kept):.3f}, is not the factor for n."),
        wrong={"width": float(math.ceil(n * math.sqrt(kept))), "inverted": float(math.ceil(n / kept)),
               "removed": float(math.ceil(n * CAMPAIGN_VARIANCE_REDUCTION)),
               "one_minus_rho": float(math.ceil(n * (1 - math.sqrt(CAMPAIGN_VARIANCE_REDUCTION)))),
               "unadjusted": float(n), "total": float(2 * right)})


@solver
def _experiments_5() -> Solution:
    from ..experiments import ratio_metric

    customers = shop_customers()
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


_BOUNDARY = Exercise(
    id="experiments-1", notebook=NOTEBOOK, title="The boundary at look 2 of 4",
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
         "the second value.")

_EVENTS = Exercise(
    id="experiments-2", notebook=NOTEBOOK, title="Churn events for a hazard ratio of 0.8",
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
    hint="`rk.hazard_ratio_sample_size(0.8, churn_control=0.45).events` (Schoenfeld 1981).")

_CALENDAR = Exercise(
    id="experiments-3", notebook=NOTEBOOK, title="When can the experiment be read?",
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
    hint="`rk.calendar_plan(n_max, 120, horizon=\"30D\", churn_after=\"30D\").readable_week`.")

_CUPED = Exercise(
    id="experiments-4", notebook=NOTEBOOK, title="What CUPED saves in customers",
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
         "of the variance CUPED keeps, rounded up.")

_GUARDRAIL = Exercise(
    id="experiments-5", notebook=NOTEBOOK, title="The guardrail's bound",
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
         "percent: with alpha = 0.10 the two-sided interval's lower end is the one-sided 95 % bound.")

register(_BOUNDARY, _EVENTS, _CALENDAR, _CUPED, _GUARDRAIL)
