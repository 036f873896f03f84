"""How a comparison decides: the level each adjusted interval gets so that it matches the
correction across arms, and the verdict per arm from the declared primary analysis.

Internal to :mod:`retention_kit.compare`; the names in ``__all__`` are shared by its modules only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .options import PRIMARY

__all__ = ["add_verdicts", "family_alpha"]


def family_alpha(p_adjusted, alpha: float, correction: str) -> float:
    """Per-interval level that matches the correction of a family of m tests.

    Holm and Bonferroni: alpha / m, the simultaneous (Bonferroni) intervals, which cover
    all m differences at once with probability >= 1 - alpha. Benjamini-Hochberg: R alpha / m
    with R the number of tests it rejects (at least 1), the false-coverage-rate intervals of
    Benjamini & Yekutieli (2005, JASA 100, 71-81). No correction, or one test: alpha.

    Examples
    --------
    >>> family_alpha([0.01, 0.2, 0.5], 0.05, "holm")  # 0.05 / 3
    0.016666666666666666
    >>> family_alpha([0.01, 0.04, 0.5], 0.05, "bh")  # 2 rejected: 2 * 0.05 / 3
    0.03333333333333333
    """
    p = np.asarray(p_adjusted, dtype=float)
    m = int(np.isfinite(p).sum())
    if m <= 1 or correction == "none":
        return alpha
    if correction == "bh":
        return max(int((p < alpha).sum()), 1) * alpha / m
    return alpha / m


def add_verdicts(summary: pd.DataFrame, primary: str, alpha: float) -> None:
    """``primary_p_value`` (adjusted across arms) and ``verdict`` per arm, in place.

    The verdict follows the declared primary test only: "better" or "worse" when its
    adjusted p-value is below alpha (the direction from its own estimate: the rate
    difference, the RMST difference, or the hazard ratio for the log-rank test), else
    "no clear difference"; "not available" when the test could not be computed.
    """
    p = summary[PRIMARY[primary][0] + "_adjusted"].to_numpy(float)
    if primary == "fixed_horizon":
        up = summary["diff"].to_numpy(float) > 0
    elif primary == "rmst":
        up = summary["rmst_diff"].to_numpy(float) > 0
    else:
        up = summary["hazard_ratio"].to_numpy(float) < 1
    verdict = np.where(~np.isfinite(p), "not available",
                       np.where(p < alpha, np.where(up, "better", "worse"), "no clear difference"))
    summary["primary_p_value"] = p
    summary["verdict"] = verdict
