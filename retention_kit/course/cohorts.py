"""Notebook 02 · Cohorts: the exercises cohorts-1 and cohorts-2."""

from __future__ import annotations

import pandas as pd

from ._data import cdnow, shop
from .checker import RATE_TOLERANCE, Exercise, Mistake, Solution, register, solver

NOTEBOOK = "02_cohort_analysis"


@solver
def _cohorts_1() -> Solution:
    from ..cohorts import cohort_table

    log = cdnow()
    # Weekly cohorts (Monday to Sunday): section 1 of notebook 02 prints the monthly cells and
    # its heatmap labels them, so the exercise asks for a weekly cell nothing above it shows.
    week = pd.Period("1997-03-03", "W")  # Monday 3 to Sunday 9 March 1997
    table = cohort_table(log, "W", first_cohort="keep")
    size, back = table.sizes.loc[week], table.counts.loc[week, 1]
    # Purchases (rows) instead of distinct customers.
    first = log.groupby("customer_id")["date"].transform("min").dt.to_period("W")
    rows = int(((first == week) & (log["date"].dt.to_period("W") == week + 1)).sum())
    later = cohort_table(log, "W", first_cohort="keep", mode="on or after").rates.loc[week, 1]
    windows = cohort_table(log, "W", first_cohort="keep", periods="relative").rates.loc[week, 1]
    return Solution(
        right=float(table.rates.loc[week, 1]),
        how=(f"{back:,.0f} of the {size:,.0f} customers who first bought in the week of 3–9 March 1997 "
             f"bought again in the week of 10–16 March: {back:,.0f} / {size:,.0f} = {back / size:.3f}."),
        wrong={"purchases": rows / size, "everyone": back / log["customer_id"].nunique(),
               "or_after": float(later), "windows": float(windows)})


@solver
def _cohorts_2() -> Solution:
    from ..cohorts import cohort_table

    tx = shop().transactions
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


register(
    Exercise(
        id="cohorts-1", notebook=NOTEBOOK, title="A weekly cohort",
        question=("With weekly cohorts (weeks run Monday to Sunday): of the CDNOW customers who **first "
                  "bought in the week of 3–9 March 1997**, what share **bought again in the following "
                  "week** (10–16 March)? Give it as a fraction to 3 decimals."),
        unit="fraction", tolerance=RATE_TOLERANCE, solve=_cohorts_1,
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
        id="cohorts-2", notebook=NOTEBOOK, title="Average retention without partial cells",
        question=("Analyse the coffee shop **as of 15 June 2024** (`as_of=\"2024-06-15\"`, monthly "
                  "cohorts). What is the **size-weighted average retention in month 1** over the cohorts "
                  "whose month 1 is complete? Give it as a fraction to 3 decimals."),
        unit="fraction", tolerance=RATE_TOLERANCE, solve=_cohorts_2,
        mistakes=(
            Mistake("partial", "You counted the unfinished month: the May cohort's month 1 is June, only "
                               "half over on 15 June, so it understates retention. Leave partial cells "
                               "out (`.partial` marks them; `.average()` does it for you)."),
            Mistake("hindsight", "That uses the whole year of data. Cut it at the as-of date: "
                                 "`as_of=\"2024-06-15\"`."),
        ),
        hint="`rk.cohort_table(tx, \"M\", as_of=\"2024-06-15\").average()` weights each complete cell by "
             "its cohort's size; read period 1."),
)
