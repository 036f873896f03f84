"""Notebook 06 · Customer lifetime value: the exercises clv-1 to clv-3, on Fader, Hardie & Lee's
CDNOW sample."""

from __future__ import annotations

from ._data import cdnow
from .checker import RATE_TOLERANCE, Exercise, Mistake, Solution, register, solver

NOTEBOOK = "06_customer_lifetime_value"


@solver
def sample_models():
    """The CDNOW sample of Fader, Hardie & Lee: log, summary and both purchase models."""
    from ..clv import cdnow_sample_ids, fit_bgnbd, fit_pareto_nbd, rfm_summary

    log = cdnow()
    sample = log[log["customer_id"].isin(cdnow_sample_ids())]
    summary = rfm_summary(sample, "1997-09-30", "1998-06-30", amount_col="amount")
    return sample, summary, fit_bgnbd(summary), fit_pareto_nbd(summary)


@solver
def _clv_1() -> Solution:
    sample, summary, _, _ = sample_models()
    right = float(summary["frequency"].sum())
    rows = int((sample["date"] <= "1997-09-30").sum())
    return Solution(
        right=right,
        how=(f"rfm_summary counts purchase days after the first: {right:,.0f} repeat purchases by the "
             f"2,357 customers in the 39 weeks (several purchases on one day count once)."),
        wrong={"rows": float(rows - len(summary)), "with_first": right + len(summary),
               "holdout_too": right + float(summary["frequency_holdout"].sum())})


@solver
def _clv_2() -> Solution:
    _, summary, bg, pn = sample_models()
    row = summary.loc["00004"]
    right = float(bg.probability_alive(row["frequency"], row["recency"], row["T"]))
    return Solution(
        right=right,
        how=(f"Customer 00004 made {row['frequency']:.0f} repeat purchases, the last at week "
             f"{row['recency']:.2f} of {row['T']:.2f}: the BG/NBD P(alive) is {right:.3f}."),
        wrong={"pareto": float(pn.probability_alive(row["frequency"], row["recency"], row["T"])),
               "complement": 1 - right})


@solver
def _clv_3() -> Solution:
    from ..clv import alive_vs_inactivity

    _, summary, bg, _ = sample_models()
    weeks = alive_vs_inactivity(bg, summary, churn_after=13)
    days = alive_vs_inactivity(bg, summary, churn_after="13D")
    return Solution(
        right=float(weeks.rule_churned_but_alive),
        how=(f"Of the {int(weeks.customers['rule_churned'].sum()):,} customers silent for 13 weeks or more, "
             f"{weeks.rule_churned_but_alive:,} still have P(alive) >= 50 % (mostly one-off buyers, whom "
             "the BG/NBD model never sees drop out)."),
        wrong={"reverse": float(weeks.rule_active_but_gone), "days": float(days.rule_churned_but_alive),
               "all_churned": float(weeks.customers["rule_churned"].sum())})


register(
    Exercise(
        id="clv-1", notebook=NOTEBOOK, title="Repeat purchases in the calibration period",
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
        id="clv-2", notebook=NOTEBOOK, title="Is customer 00004 still a customer?",
        question=("Fit the BG/NBD model on that summary. What is the probability that customer **00004** is "
                  "still alive at the end of the calibration period? Give it to 3 decimals."),
        unit="fraction", tolerance=RATE_TOLERANCE, solve=_clv_2,
        mistakes=(
            Mistake("pareto", "That is the Pareto/NBD answer. The question asks for the BG/NBD model "
                              "(`rk.fit_bgnbd`)."),
            Mistake("complement", "That is the probability that the customer has left: 1 - P(alive)."),
        ),
        hint="`bg.probability_alive(x, t_x, T)` with customer 00004's row of the summary."),
    Exercise(
        id="clv-3", notebook=NOTEBOOK, title="Churned by the rule, alive for the model",
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
)
