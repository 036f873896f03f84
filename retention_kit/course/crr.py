"""Notebook 01 · Customer retention rate: the exercises crr-1 to crr-3."""

from __future__ import annotations

import pandas as pd

from ._data import cdnow, shop
from .checker import RATE_TOLERANCE, Exercise, Mistake, Solution, register, solver

NOTEBOOK = "01_customer_retention_rate"


@solver
def _crr_1() -> Solution:
    from ..crr import crr_table

    t = crr_table(cdnow(), freq="M").table
    row = t.loc[pd.Period("1997-03", "M")]
    s, n, e = row["start"], row["new"], row["end"]
    return Solution(
        right=float(row["crr"]),
        how=f"CRR = (E - N) / S = ({e:,.0f} - {n:,.0f}) / {s:,.0f} = {row['crr']:.3f}.",
        wrong={"no_new": e / s, "kept": float(row["cohort_retention"]),
               "neighbour": (float(t.loc[pd.Period("1997-02", "M"), "crr"]),
                             float(t.loc[pd.Period("1997-04", "M"), "crr"]))})


@solver
def _crr_2() -> Solution:
    from ..crr import crr_table

    row = crr_table(shop().transactions, freq="M").table.loc[pd.Period("2024-10", "M")]
    return Solution(
        right=float(row["churn_rate"]),
        how=(f"Of the {row['start']:,.0f} customers at the start of October, {row['lost']:,.0f} were no "
             f"longer customers at its end: churn = lost / S = {row['churn_rate']:.3f}."),
        wrong={"one_minus_crr": 1 - float(row["crr"]), "kept": float(row["cohort_retention"]),
               "crr": float(row["crr"])})


@solver
def _crr_3() -> Solution:
    from ..crr import crr_table

    log = cdnow()
    on_the_day = crr_table(log, freq="M", as_of="1998-06-15").table
    # What a by-hand monthly table shows on 15 June: June with half a month of buyers.
    seen = log[log["date"] <= "1998-06-15"]
    half_june = crr_table(seen, freq="M", as_of="1998-06-30").table
    later = crr_table(log, freq="M").table
    last = on_the_day.iloc[-1]
    return Solution(
        right=float(last["crr"]),
        how=(f"On 15 June 1998 the last complete month is {last.name}: CRR = ({last['end']:,.0f} - "
             f"{last['new']:,.0f}) / {last['start']:,.0f} = {last['crr']:.3f}. June is not over and is "
             "left out."),
        wrong={"partial": float(half_june.loc[pd.Period("1998-06", "M"), "crr"]),
               "hindsight": float(later.loc[pd.Period("1998-06", "M"), "crr"])})


register(
    Exercise(
        id="crr-1", notebook=NOTEBOOK, title="CRR of a month with new customers",
        question=("With `rk.crr_table` on the CDNOW log (`rk.load_cdnow()`, monthly periods, the default "
                  "activity window), what was the customer retention rate of **March 1997**? Give it as "
                  "a fraction to 3 decimals."),
        unit="fraction", tolerance=RATE_TOLERANCE, solve=_crr_1,
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
        id="crr-2", notebook=NOTEBOOK, title="Churn rate is not 1 − CRR",
        question=("On the coffee shop (`rk.load_coffee_shop().transactions`, monthly periods), what was "
                  "the **churn rate** in **October 2024**? Give it as a fraction to 3 decimals."),
        unit="fraction", tolerance=RATE_TOLERANCE, solve=_crr_2,
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
        id="crr-3", notebook=NOTEBOOK, title="The unfinished month",
        question=("It is **15 June 1998** and your manager asks for CDNOW's latest monthly CRR. Using only "
                  "what was known that day (`as_of=\"1998-06-15\"`), what is it? Give it as a fraction "
                  "to 3 decimals."),
        unit="fraction", tolerance=RATE_TOLERANCE, solve=_crr_3,
        mistakes=(
            Mistake("partial", "You counted the unfinished month: on 15 June, June 1998 has only half a "
                               "month of buyers, so its E (and its CRR) is far too low. The latest CRR is "
                               "that of the last complete month; `crr_table(..., as_of=...)` leaves the "
                               "unfinished one out (see `.notes`)."),
            Mistake("hindsight", "That is June's CRR computed with data from after 15 June. Cut the log "
                                 "at the as-of date: `as_of=\"1998-06-15\"`."),
        ),
        hint="Pass `as_of=\"1998-06-15\"` to `crr_table` and take the CRR of its last row."),
)
