"""Notebook 03 · Survival: the exercises survival-1 to survival-3, on one set of lifetimes."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd

from ._data import shop
from .checker import RATE_TOLERANCE, Exercise, Mistake, Solution, register, solver

NOTEBOOK = "03_survival_churn"
AS_OF = "2024-08-31"
"""The day the coffee shop stopped acquiring customers: every survival exercise's as-of date."""


@functools.cache
def shop_lifetimes() -> pd.DataFrame:
    """The coffee shop's lifetimes the exercises ask about (``churn_after=30``, ``as_of=AS_OF``)."""
    from ..survival import customer_lifetimes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return customer_lifetimes(shop().transactions, churn_after=30, as_of=AS_OF)


@solver
def _survival_1() -> Solution:
    from ..survival import kaplan_meier

    life = shop_lifetimes()
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


@solver
def _survival_2() -> Solution:
    from ..survival import kaplan_meier

    life = shop_lifetimes()
    median = float(kaplan_meier(life).median_lifetime()["median"].iloc[0])
    return Solution(
        right=median,
        how=f"The Kaplan-Meier curve falls to 50 % at {median:.1f} days.",
        wrong={"censored_churned": float(life["duration"].median()),
               "churned_only": float(life.loc[life["churned"], "duration"].median())})


@solver
def _survival_3() -> Solution:
    from ..survival import rmst

    life = shop_lifetimes()
    res = rmst(life, horizon=90)
    capped = np.minimum(life["duration"], 90)
    return Solution(
        right=res.value,
        how=(f"RMST(90) = area under the Kaplan-Meier curve from 0 to 90 days = {res.value:.1f} days "
             f"({res.value / 90:.1%} of the 90 days)."),
        wrong={"censored_churned": float(capped.mean()),
               "churned_only": float(capped[life["churned"]].mean())})


register(
    Exercise(
        id="survival-1", notebook=NOTEBOOK, title="Retained at day 60, with censoring",
        question=("On **31 August 2024**, the day the coffee shop stopped acquiring customers, build "
                  "lifetimes with `churn_after=30` and `as_of=\"2024-08-31\"`. What share of customers is "
                  "still retained **60 days** after their first purchase (Kaplan–Meier S(60))? Give it as a "
                  "fraction to 3 decimals."),
        unit="fraction", tolerance=RATE_TOLERANCE, solve=_survival_1,
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
        id="survival-2", notebook=NOTEBOOK, title="Median lifetime",
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
        id="survival-3", notebook=NOTEBOOK, title="Mean days retained in the first 90 (RMST)",
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
)
