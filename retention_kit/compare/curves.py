"""The whole-curve part of a comparison from lifetimes: Kaplan-Meier curves per arm, the
log-rank test, the RMST difference and the Cox hazard ratio of each arm against control,
adjusted across arms with intervals to match.

Internal to :mod:`retention_kit.compare`; the names in ``__all__`` are shared by its modules only.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ProportionalHazardsWarning
from ..multiple_testing import adjust_p_values
from ..survival import cox_drivers, kaplan_meier, logrank, rmst_difference
from .text import p_is, warn
from .verdicts import family_alpha

__all__ = ["CURVE_COLUMNS", "adjust_curves", "whole_curve"]


CURVE_COLUMNS = ["logrank_p_value", "rmst", "control_rmst", "rmst_diff", "rmst_ci_lower", "rmst_ci_upper",
                  "rmst_p_value", "hazard_ratio", "hr_ci_lower", "hr_ci_upper", "hr_p_value", "ph_p_value"]


def whole_curve(life: pd.DataFrame, control, treatments, *, rmst_horizon, alpha, notes,
                time_unit: str = "days") -> tuple:
    """Kaplan-Meier curves per arm and one row of whole-curve statistics per treatment arm
    (log-rank, RMST up to ``rmst_horizon`` in ``time_unit``, Cox hazard ratio)."""
    curves = kaplan_meier(life, by="arm", alpha=alpha, time_unit=time_unit)
    rows = {}
    for arm in treatments:
        pair = life[life["arm"].isin([control, arm])]
        test = logrank(pair, by="arm")
        diff = rmst_difference(pair, by="arm", horizon=rmst_horizon, alpha=alpha, labels=(str(control), str(arm)),
                               time_unit=time_unit)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ProportionalHazardsWarning)
            cox = cox_drivers(pair.assign(arm=pair["arm"].astype(str)), covariates=["arm"],
                              reference={"arm": str(control)}, alpha=alpha).summary.iloc[0]
        row = {"logrank_p_value": test.p_value, "rmst": diff.rmst_b.value, "control_rmst": diff.rmst_a.value,
               "rmst_diff": diff.difference, "rmst_ci_lower": diff.ci_lower, "rmst_ci_upper": diff.ci_upper,
               "rmst_p_value": diff.p_value, "hazard_ratio": cox["hazard_ratio"], "hr_ci_lower": cox["ci_lower"],
               "hr_ci_upper": cox["ci_upper"], "hr_p_value": cox["p_value"], "ph_p_value": cox["ph_p_value"]}
        if cox["ph_p_value"] < alpha:
            # Reported anyway: large samples reject trivial departures, and a time average is
            # still a summary; what changes is how to read it (see plot_hazard_ratio).
            warn(ProportionalHazardsWarning,
                 f"{arm} vs control: proportional hazards doubtful (p {p_is(cox['ph_p_value'])}): the hazard "
                 f"ratio {cox['hazard_ratio']:.2f} is a time average over the follow-up and the effect changes "
                 "over time. See .plot_hazard_ratio() for the ratio period by period, and the curves and the "
                 "RMST difference for the size.", notes)
        rows[arm] = row
    return curves, pd.DataFrame.from_dict(rows, orient="index")


def adjust_curves(summary: pd.DataFrame, alpha: float, correction: str) -> None:
    """Adjust the whole-curve families across arms, with intervals to match (in place)."""
    z = stats.norm.isf(alpha / 2)
    for name in ("logrank", "rmst", "hr"):
        summary[f"{name}_p_value_adjusted"] = adjust_p_values(summary[f"{name}_p_value"].to_numpy(float),
                                                              correction=correction)

    # RMST: difference +- z se; hazard ratio: exp(log HR +- z se). Recover se from the intervals.
    z_rmst = stats.norm.isf(family_alpha(summary["rmst_p_value_adjusted"], alpha, correction) / 2)
    se = (summary["rmst_ci_upper"] - summary["rmst_ci_lower"]) / (2 * z)
    summary["rmst_ci_lower_adjusted"] = summary["rmst_diff"] - z_rmst * se
    summary["rmst_ci_upper_adjusted"] = summary["rmst_diff"] + z_rmst * se
    z_hr = stats.norm.isf(family_alpha(summary["hr_p_value_adjusted"], alpha, correction) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_hr = np.log(summary["hazard_ratio"])
        se = (np.log(summary["hr_ci_upper"]) - np.log(summary["hr_ci_lower"])) / (2 * z)
    summary["hr_ci_lower_adjusted"] = np.exp(log_hr - z_hr * se)
    summary["hr_ci_upper_adjusted"] = np.exp(log_hr + z_hr * se)
