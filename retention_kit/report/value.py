"""The report's customer-value section: BG/NBD and gamma-gamma fitted on the report's data
(in weeks), each customer's value over the next year, the churn rule beside P(alive), the
section's sentences and its two plots.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import RetentionWarning
from ._words import count, days, few, long_date, pct
from .config import ReportConfig
from .inputs import choose_churn_after

__all__ = ["CustomerValueSection", "customer_value", "customer_value_intro", "customer_value_text",
           "plot_frequency_check", "plot_value_distribution", "VALUE_TIME_UNIT", "VALUE_HORIZON",
           "ANNUAL_DISCOUNT", "ALIVE_THRESHOLD", "MIN_REPEAT_BUYERS", "ONE_TIME_HEAVY", "FIT_GAP"]

# What the section assumes; its text states each of them. Weeks as in notebook 06: days make
# recency and age noisy, months are too coarse for a year of data.
VALUE_TIME_UNIT = "W"
VALUE_HORIZON = 52          # weeks ahead: one year
ANNUAL_DISCOUNT = 0.10      # a year, as in notebook 06
ALIVE_THRESHOLD = 0.5       # P(alive) from which the model calls a customer probably alive
# The spend model's three parameters are fitted on the repeat buyers alone; with fewer of them
# than this its estimates (and every value) swing with a handful of customers.
MIN_REPEAT_BUYERS = 100
# From this share of one-time buyers the forecasts rest mostly on the models' assumptions.
ONE_TIME_HEAVY = 0.5
# Share of customers in the wrong bar of the frequency check above which the text calls the fit rough.
FIT_GAP = 0.10


@dataclass
class CustomerValueSection:
    """The customer-value section of the report: the RFM summary (in weeks), the fitted
    BG/NBD and gamma-gamma models, each customer's value and the churn rule beside P(alive).

    When the section is left out, ``skipped`` says why (in a sentence for the reader) and
    the models are None. ``value`` is a :class:`retention_kit.clv.CustomerValue` over
    ``horizon`` weeks discounted at ``annual_discount`` a year, ``alive`` an
    :class:`retention_kit.clv.AliveComparison` against ``config.churn_gap``, and
    ``no_spend`` counts the repeat buyers left out of the spend model's fit (their repeat
    purchases all had amount 0).
    """

    config: ReportConfig
    skipped: str | None = None
    summary: pd.DataFrame | None = None
    purchase_model: object = None
    spend_model: object = None
    value: object = None
    alive: object = None
    no_spend: int = 0
    horizon: int = VALUE_HORIZON
    annual_discount: float = ANNUAL_DISCOUNT

    @property
    def deciles(self) -> pd.DataFrame:
        """Customers ranked by value (ties in customer order) in ten groups of nearly equal
        size, the most valuable first: ``customers``, ``value``, ``share_of_value``, and the
        mean ``expected_purchases`` and ``probability_alive`` of the group."""
        t = self.value.table.sort_values("clv", ascending=False, kind="stable")
        group = np.arange(len(t)) * 10 // len(t) + 1
        out = t.groupby(group).agg(customers=("clv", "size"), value=("clv", "sum"),
                                   expected_purchases=("expected_purchases", "mean"),
                                   probability_alive=("probability_alive", "mean"))
        out.insert(2, "share_of_value", out["value"] / t["clv"].sum())
        out.index.name = "decile"
        return out

    @property
    def frequency_check(self) -> pd.DataFrame:
        """Customers by number of repeat purchase days, actual vs the purchase model (the fit
        check that needs no holdout period); the last bin collects the top tenth or so."""
        x = self.summary["frequency"]
        top = int(np.clip(np.quantile(x, 0.9), 7, 15))  # more bars than 16 crowd their labels
        from ..clv import frequency_histogram_table

        return frequency_histogram_table(self.purchase_model, self.summary, max_frequency=top)

    def _repr_html_(self) -> str:
        from ..results import render_html

        if self.skipped:
            return render_html("Customer value", None, [self.skipped])
        d = self.deciles
        shown = pd.DataFrame({
            "customers": d["customers"].map("{:,}".format),
            "value": d["value"].map("{:,.0f}".format),
            "share of value": d["share_of_value"].map(pct),
            "expected purchases (mean)": d["expected_purchases"].map("{:,.2f}".format),
            "P(alive) (mean)": d["probability_alive"].map(pct)})
        shown.index = [f"{k} (top 10 %)" if k == 1 else f"{k} (lowest)" if k == 10 else str(k) for k in d.index]
        note = (f"{count(len(self.value.table), 'customer')} ranked by their value over the next {self.horizon} "
                f"weeks (in the units of {self.config.amount_col!r}, discounted at {pct(self.annual_discount, 0)} "
                "a year), in ten groups of equal size.")
        return render_html("Value by decile of customers", shown, [note])


def customer_value(events: pd.DataFrame, config: ReportConfig) -> CustomerValueSection:
    """The customer-value section: RFM summary in weeks up to the report's as-of date,
    BG/NBD and gamma-gamma fits, value over the next ``VALUE_HORIZON`` weeks discounted at
    ``ANNUAL_DISCOUNT`` a year (revenue, margin 1) and the churn rule beside P(alive).

    Left out (``skipped`` says why) without an amount column or with fewer than
    ``MIN_REPEAT_BUYERS`` repeat buyers who spent something. Caveats are warned as
    :class:`RetentionWarning` in words for the report's reader (collect them with
    :func:`caveats`): a fit that did not converge, spend that depends on frequency, mostly
    one-time buyers, a forecast longer than the data's history, free repeat purchases.
    """
    from .. import clv

    if not config.amount_col:
        return CustomerValueSection(config, skipped=(
            "Customer value needs the amount of each purchase, and the report was run without an amount "
            f"column ({config.flag('amount_col')}), so this section is left out."))
    if config.churn_gap is None:
        choose_churn_after(events, config)
    summary = clv.rfm_summary(events, calibration_end=config.as_of, time_unit=VALUE_TIME_UNIT,
                              amount_col=config.amount_col, **config.cols)
    n = len(summary)
    repeat = summary["frequency"] > 0
    paid = repeat & (summary["monetary_value"] > 0)
    n_repeat, n_paid = int(repeat.sum()), int(paid.sum())
    if n_paid < MIN_REPEAT_BUYERS:
        who = ("bought on more than one day" if n_paid == n_repeat
               else "bought on more than one day and paid something for their repeat purchases")
        return CustomerValueSection(config, summary=summary, skipped=(
            f"Customer value is left out: only {n_paid:,} of the {count(n, 'customer')} {who}. The models "
            "behind it learn how often customers buy and how much they spend from these repeat buyers, and "
            f"need at least {MIN_REPEAT_BUYERS} of them for estimates that do not swing with a handful of "
            "customers."))
    notes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RetentionWarning)
        purchase = clv.fit_bgnbd(summary)
        # Free repeat purchases (amount 0) have no place in a model of positive spend.
        spend = clv.fit_gamma_gamma(summary[~repeat | paid])
        weekly = (1 + ANNUAL_DISCOUNT) ** (1 / 52) - 1
        value = clv.customer_lifetime_value(purchase, spend, summary, horizon=VALUE_HORIZON,
                                            discount_rate=weekly)
        alive = clv.alive_vs_inactivity(purchase, summary, churn_after=config.churn_gap, threshold=ALIVE_THRESHOLD)
    for w in caught:
        if issubclass(w.category, clv.ConvergenceWarning):
            which = "spend" if "gamma-gamma" in str(w.message) else "purchase"
            notes.append(f"The {which} model's fit did not converge cleanly: its estimates, and every number of "
                         "this section built on them, may be unreliable.")
        elif issubclass(w.category, clv.IndependenceWarning):
            r = spend.spend_correlation
            notes.append(f"Customers who buy more often spend {'more' if r > 0 else 'less'} per purchase "
                         f"(correlation {r:.2f} between repeat purchases and mean spend); the spend model assumes "
                         "the two are unrelated, so expected spend and values may be biased.")
        elif "(T = 0)" not in str(w.message):  # customers first seen on the last day: said below
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    one_time = 1 - n_repeat / n
    if one_time >= ONE_TIME_HEAVY:
        notes.append(f"{pct(one_time)} of the customers bought only once. The models know little about them "
                     "beyond how long they have been silent, so their forecasts rest mostly on the models' "
                     "assumptions rather than on their own history.")
    history = float(summary["T"].max())
    if round(history) < VALUE_HORIZON:  # in whole weeks, as the sentence says it
        notes.append(f"The forecast looks {VALUE_HORIZON} weeks ahead, further than the data go back "
                     f"({history:,.0f} weeks): read it as an extrapolation.")
    new = int((summary["T"] == 0).sum())
    if new:
        notes.append(f"{count(new, 'customer')} first bought on the last day of the data: the purchase model "
                     "learns nothing from them and values them as new customers.")
    if n_repeat > n_paid:
        one = n_repeat - n_paid == 1
        notes.append(f"{count(n_repeat - n_paid, 'repeat buyer')} paid nothing for their repeat purchases and "
                     f"{'is' if one else 'are'} left out of the spend model's fit; their "
                     f"{'value is' if one else 'values are'} still computed.")
    for note in notes:
        warnings.warn(note, RetentionWarning, stacklevel=2)
    return CustomerValueSection(config, summary=summary, purchase_model=purchase, spend_model=spend,
                                value=value, alive=alive, no_spend=n_repeat - n_paid)


def customer_value_intro(config: ReportConfig) -> str:
    """Heading and method of the customer-value section (after the experiment when there is one)."""
    number = 6 if config.arm_col else 5
    return (f"## {number}. Customer value\n\n"
            "Two models forecast each customer's future from their own history: how many days they bought "
            "on, how long ago their last purchase was, and how much they spent per repeat purchase. The "
            "purchase model (BG/NBD) lets each customer buy at their own steady rate until they silently "
            "leave, which can happen right after any repeat purchase; it gives each customer's expected "
            "purchases and the probability that they are still a customer, *P(alive)*. The spend model "
            "(gamma-gamma) pulls each customer's average spend towards the overall average, the more so "
            "the fewer purchases it rests on. A customer's **value** is their expected purchases times "
            f"their expected spend over the next {VALUE_HORIZON} weeks, discounted at "
            f"{pct(ANNUAL_DISCOUNT, 0)} a year: revenue in the units of `{config.amount_col}`, not profit. "
            "Several purchases on one day count as one.")


def customer_value_text(section: CustomerValueSection) -> str:
    """Who the models learn from, the headline forecast and value with its interval, the
    top decile's share, and where the churn rule and P(alive) disagree; or why the section
    is left out."""
    if section.skipped:
        return section.skipped
    cfg, summary, value, alive = section.config, section.summary, section.value, section.alive
    n = len(summary)
    repeat = int((summary["frequency"] > 0).sum())
    when = long_date(summary.attrs["calibration_end"])
    h = section.horizon
    total = value.summary.iloc[0]
    purchases = value.table["expected_purchases"]
    top = section.deciles.iloc[0]
    text = [f"Of the {count(n, 'customer')}, {repeat:,} ({pct(repeat / n)}) bought on more than one day "
            f"(repeat buyers). The forecasts are for the {h} weeks after {when}."]
    text.append(
        f"**Expected value over the next {h} weeks: {total['total_clv']:,.0f}** "
        f"({pct(1 - value.ci_alpha, 0)} interval {total['total_lower']:,.0f} to {total['total_upper']:,.0f}, "
        "from the uncertainty of the models' estimates, not from what any one customer will do), "
        f"{total['mean_clv']:,.2f} per customer on average, from {total['expected_purchases']:,.0f} expected "
        f"purchases: {few(purchases.median())} for the median customer, {few(purchases.mean())} on average. "
        f"The top 10 % of customers ({top['customers']:,.0f}) hold {pct(top['share_of_value'])} of the value.")
    check = section.frequency_check
    # Half the summed gaps: the share of customers the model would have to move between bars.
    gap = float((check["actual"] - check["expected"]).abs().sum() / 2 / n)
    text.append(
        "The left chart checks the purchase model against the data: customers by number of repeat purchases, "
        f"actual and expected. The two differ by {pct(gap)} of the customers"
        + (f" (above {pct(FIT_GAP, 0)}): the model misreads how often these customers buy, so treat its "
           "forecasts for single customers as rough." if gap > FIT_GAP else ", a close fit."))
    c = alive.customers
    churned = int(c["rule_churned"].sum())
    agree_gone = alive.rule_churned_but_alive
    once = int((c["rule_churned"] & c["model_alive"] & (summary["frequency"] == 0)).sum())
    who = (f": {agree_gone - once:,} repeat buyers for whom such a silence is ordinary given how rarely they "
           f"buy, and {count(once, 'one-time buyer')}, whom this model never counts as gone (it lets customers "
           "leave only right after a repeat purchase)") if once else (
           ", repeat buyers for whom such a silence is ordinary given how rarely they buy")
    text.append(
        f"The churn rule of this report (no purchase for {days(cfg.churn_gap)} days) calls "
        f"{count(churned, 'customer')} churned. The purchase model gives {agree_gone:,} of them at least a "
        f"{pct(alive.threshold, 0)} chance of still being customers{who}. The other way round, it gives "
        f"{count(alive.rule_active_but_gone, 'customer')} the rule calls active less than a "
        f"{pct(alive.threshold, 0)} chance (frequent buyers who have gone quiet).")
    return "\n\n".join(text)


def plot_frequency_check(section: CustomerValueSection, ax=None, **kwargs):
    """The purchase model's check (:attr:`CustomerValueSection.frequency_check`) as bars,
    labelled for the report: its data are not split into calibration and holdout.
    ``**kwargs`` go to the model's bars (as in :func:`retention_kit.clv.plot_frequency_histogram`)."""
    from ..clv import plot_frequency_histogram
    from ..plotting import label

    ax = plot_frequency_histogram(section.frequency_check, ax=ax, **kwargs)
    return label(ax, title="Purchase model check: customers by number of repeat purchases",
                 xlabel="repeat purchases (days with a purchase after the first)", ylabel="customers")


def plot_value_distribution(section: CustomerValueSection, ax=None, **kwargs):
    """Histogram of the customers' values; the top 1 % are gathered in the last bar so that
    a few large customers do not squeeze the rest into one bar. ``**kwargs`` go to the
    histogram's bars (``ax.hist``)."""
    from matplotlib.patches import Rectangle

    from ..plotting import artist_kwargs, get_axes, label

    ax = get_axes(ax)
    clv = section.value.table["clv"].to_numpy(float)
    cap = float(np.quantile(clv, 0.99))
    ax.hist(np.minimum(clv, cap), bins=np.linspace(0, cap if cap > 0 else 1.0, 41),
            **artist_kwargs(kwargs, Rectangle, color="#4c72b0"))
    ax.set_yscale("log")
    return label(ax, title=f"Customer value over the next {section.horizon} weeks",
                 xlabel=f"value ({section.config.amount_col}; the last bar gathers the top 1 %, "
                        f"above {cap:,.0f})",
                 ylabel="customers (log scale)")
