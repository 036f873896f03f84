"""P(alive) beside the kit's inactivity rule.

The survival notebooks call a customer churned after ``churn_after`` without a purchase.
A purchase model instead weighs the silence against the customer's own purchase rate: a
weekly buyer silent for two months is probably gone, a twice-a-year buyer silent for two
months probably not. :func:`alive_vs_inactivity` counts where the two disagree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..periods import parse_duration
from ..results import Result, render_html, explains
from ._purchase import PurchaseModel
from .summary import unit_days

__all__ = ["alive_vs_inactivity", "AliveComparison"]


def _gap_in_units(churn_after, summary) -> float:
    """churn_after as a number of the summary's time units (a number is read in those
    units; a string or Timedelta such as '90D' is converted)."""
    if isinstance(churn_after, (int, float, np.integer, np.floating)) and not isinstance(churn_after, bool):
        if not np.isfinite(churn_after) or churn_after <= 0:
            raise ParameterError(f"churn_after={churn_after!r} must be a positive length of time.")
        return float(churn_after)
    unit = summary.attrs.get("time_unit")
    if unit is None:
        raise ParameterError("churn_after as a duration needs the summary's time unit (summary.attrs['time_unit'], "
                             "set by rk.rfm_summary); give churn_after as a number of time units instead.")
    gap = parse_duration(churn_after, name="churn_after")
    if gap <= pd.Timedelta(0):
        raise ParameterError(f"churn_after={churn_after!r} must be a positive length of time.")
    return gap / pd.Timedelta(days=unit_days(unit))


def alive_vs_inactivity(model: PurchaseModel, summary: pd.DataFrame, churn_after, *,
                        threshold: float = 0.5) -> "AliveComparison":
    """Cross-tabulate the inactivity rule (churned once silent for ``churn_after`` at the
    calibration end, i.e. T - recency >= churn_after) against the model (probably alive
    when P(alive) >= ``threshold``).

    Parameters
    ----------
    model : BGNBDModel or ParetoNBDModel
    summary : DataFrame
        An :func:`rfm_summary` frame.
    churn_after : number or duration
        A number of the summary's time units, or a duration such as ``"90D"``.
    threshold : float
        P(alive) from which the model calls a customer probably alive.

    Returns
    -------
    AliveComparison
    """
    if not isinstance(model, PurchaseModel):
        raise ParameterError(f"model must be a fitted BG/NBD or Pareto/NBD model; got {type(model).__name__}.")
    if not 0 < threshold < 1:
        raise ParameterError(f"threshold={threshold!r} must be a probability strictly between 0 and 1.")
    gap = _gap_in_units(churn_after, summary)
    p_alive = model.probability_alive(summary)
    silent = summary["T"] - summary["recency"]
    customers = pd.DataFrame({"probability_alive": p_alive, "silent_for": silent,
                              "rule_churned": silent >= gap - 1e-9, "model_alive": p_alive >= threshold})
    return AliveComparison(customers, gap=gap, threshold=threshold, unit=summary.attrs.get("time_unit"),
                           model_name=model.name)


class AliveComparison(Result):
    """The inactivity rule vs P(alive): ``table`` (2 x 2 counts), ``customers`` (one row each),
    ``rule_churned_but_alive`` and ``rule_active_but_gone`` (the disagreements)."""

    def __init__(self, customers, *, gap, threshold, unit, model_name):
        self.customers, self.gap, self.threshold, self.unit, self.model_name = \
            customers, gap, threshold, unit, model_name

    @property
    def table(self) -> pd.DataFrame:
        rule = self.customers["rule_churned"].map({True: "rule: churned", False: "rule: active"})
        model = self.customers["model_alive"].map({True: "model: probably alive", False: "model: probably gone"})
        out = pd.crosstab(rule, model).reindex(index=["rule: active", "rule: churned"],
                                                columns=["model: probably alive", "model: probably gone"],
                                                fill_value=0)
        out.index.name, out.columns.name = None, None
        return out

    summary = table

    @property
    def rule_churned_but_alive(self) -> int:
        c = self.customers
        return int((c["rule_churned"] & c["model_alive"]).sum())

    @property
    def rule_active_but_gone(self) -> int:
        c = self.customers
        return int((~c["rule_churned"] & ~c["model_alive"]).sum())

    @explains
    def explain(self) -> str:
        unit = {"D": "days", "W": "weeks", "M": "months", "Y": "years"}.get(self.unit or "", "time units")
        n = len(self.customers)
        churned = int(self.customers["rule_churned"].sum())
        return (f"Of {n:,} customers, the rule 'churned after {self.gap:g} {unit} without a purchase' calls "
                f"{churned:,} churned. The {self.model_name} model still gives {self.rule_churned_but_alive:,} of "
                f"them P(alive) >= {self.threshold:.0%} (infrequent buyers whose silence is normal for them), "
                f"and gives {self.rule_active_but_gone:,} customers the rule calls active P(alive) < "
                f"{self.threshold:.0%} (frequent buyers who went quiet).")

    def __repr__(self) -> str:
        return (f"AliveComparison(customers={len(self.customers):,}, rule_churned_but_alive="
                f"{self.rule_churned_but_alive:,}, rule_active_but_gone={self.rule_active_but_gone:,})")

    title = "Inactivity rule vs P(alive)"

    def _repr_html_(self) -> str:
        return render_html(self.title, self.table, [self.explain()])
