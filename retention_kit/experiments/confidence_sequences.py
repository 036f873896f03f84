"""An always-valid confidence sequence (:func:`confidence_sequence`) for a difference in
retention rates: an interval that covers the true difference at every look at once, with
probability 1 - alpha, however often and whenever one looks (the normal-mixture boundary
of Robbins 1970 / Howard et al. 2021, Ann. Statist. 49, 1055-1080, in the asymptotic form
of Waudby-Smith et al. 2023 used by GrowthBook and Eppo). It needs no plan of the looks;
the price is a wider interval than the group-sequential one at the planned end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError
from ..results import explains
from ._common import ResultMixin, check_positive, check_probability, fmt_p

__all__ = ["ConfidenceSequence", "confidence_sequence"]


def _mixture_rho(alpha: float, n_star: float) -> float:
    """Mixing scale that makes the sequence narrowest near ``n_star`` observations
    (Waudby-Smith et al. 2023, as in GrowthBook's ``sequential_tuning_parameter``)."""
    log_term = -2.0 * math.log(alpha)
    return math.sqrt((log_term + math.log(log_term + 1.0)) / n_star)


def _mixture_multiplier(n, alpha: float, rho: float):
    """Half-width of the normal-mixture sequence in standard errors at n observations:
    sqrt((1 + 1/(n rho^2)) (log(n rho^2 + 1) - 2 log alpha))."""
    n = np.asarray(n, dtype=float)
    nr = n * rho ** 2
    return np.sqrt((1.0 + 1.0 / nr) * (np.log1p(nr) - 2.0 * math.log(alpha)))


@dataclass(repr=False)
class ConfidenceSequence(ResultMixin):
    """Always-valid intervals for treatment minus control, one per look."""

    table: pd.DataFrame
    alpha: float
    planned_n: float

    @property
    def summary(self) -> pd.DataFrame:
        return self.table

    @property
    def title(self) -> str:
        return f"Always-valid {1 - self.alpha:.0%} confidence sequence for the difference in retention"

    @explains
    def explain(self) -> str:
        last = self.table.iloc[-1]
        conf = f"{1 - self.alpha:.0%}"
        excludes = last["running_lower"] > 0 or last["running_upper"] < 0
        verdict = ("it excludes 0: the difference can be declared now, and stopping here keeps the error rate "
                   f"at {self.alpha:g}" if excludes else
                   "it still contains 0: keep collecting, or stop and report no detectable difference yet")
        return (f"After {int(last['n']):,} customers ({len(self.table)} looks), the difference is "
                f"{last['diff'] * 100:+.1f} points; the always-valid {conf} interval is "
                f"{last['running_lower'] * 100:+.1f} to {last['running_upper'] * 100:+.1f} points, and {verdict}. "
                f"The fixed-horizon {conf} interval would be {last['fixed_lower'] * 100:+.1f} to "
                f"{last['fixed_upper'] * 100:+.1f} points, valid only if this were the one planned look. "
                f"The sequence covers the true difference at every look at once with probability at least {conf} "
                f"(tuned to be narrowest near {self.planned_n:,.0f} customers); looking more often costs nothing. "
                f"Always-valid p-value: {fmt_p(last['always_valid_p'])}.")

    def plot(self, ax=None, **kwargs):
        """The running interval against customers observed, with the fixed-horizon interval.
        Returns the Axes.

        ``kwargs`` go to the always-valid band (``Axes.fill_between``), e.g. ``color=``,
        ``alpha=`` or ``label=``."""
        from matplotlib.collections import PolyCollection

        from ..plotting import artist_kwargs, get_axes, label

        ax = get_axes(ax)
        t = self.table
        ax.fill_between(t["n"], t["running_lower"] * 100, t["running_upper"] * 100,
                        **artist_kwargs(kwargs, PolyCollection, alpha=0.3, label=f"always-valid {1 - self.alpha:.0%}"))
        ax.plot(t["n"], t["fixed_lower"] * 100, color="grey", ls="--", lw=1, label="fixed-horizon (one look only)")
        ax.plot(t["n"], t["fixed_upper"] * 100, color="grey", ls="--", lw=1)
        ax.plot(t["n"], t["diff"] * 100, color="black", lw=1, label="difference")
        ax.axhline(0, color="grey", lw=0.5)
        ax.legend(loc="best", fontsize=8)
        return label(ax, title=self.title, xlabel="customers observed (both arms)",
                     ylabel="treatment minus control (points)")


def confidence_sequence(n_treatment, retained_treatment, n_control, retained_control, *, planned_n: float,
                        alpha: float = 0.05) -> ConfidenceSequence:
    """Always-valid confidence sequence for a difference in retention rates.

    At each look with ``n = n_t + n_c`` customers the interval is
    ``diff +- m(n) * se`` with the unpooled standard error ``se`` and

        m(n) = sqrt((1 + 1/(n rho^2)) * (log(1 + n rho^2) - 2 log alpha)),
        rho^2 = (-2 log alpha + log(1 - 2 log alpha)) / planned_n,

    the two-sided normal-mixture boundary (Howard et al. 2021, eq. 14; the asymptotic
    confidence sequence of Waudby-Smith et al. 2023, Thm 2.2, used by GrowthBook and
    Eppo). ``running_lower``/``running_upper`` intersect the intervals so far, which
    keeps the guarantee and never widens. ``always_valid_p`` is the dual p-value (the
    mixture SPRT of Johari et al. 2017, as in Optimizely): it falls below alpha exactly when
    the running interval excludes 0.

    Parameters
    ----------
    n_treatment, retained_treatment, n_control, retained_control : array-like
        Cumulative mature customers and retained customers per arm at each look.
    alpha : float
        1 - coverage, simultaneously over all looks.
    planned_n : float
        Customers (both arms) where the sequence should be narrowest, fixed before the first
        look (e.g. the planned sample size). Choosing it from the data, such as the customers
        at the latest look, would change past intervals and void the guarantee.

    Returns
    -------
    ConfidenceSequence

    Examples
    --------
    One look with 1,000 customers per arm, 30 % vs 35 % retained, tuned at 2,000:
    rho^2 = (5.9915 + log 6.9915) / 2000 = 0.0039681, n rho^2 = 7.9362,
    m = sqrt(1.12601 * (log 8.9362 + 5.9915)) = sqrt(1.12601 * 8.1816) = 3.0352;
    se = sqrt(0.35 * 0.65 / 1000 + 0.30 * 0.70 / 1000) = 0.020917; half-width 0.06349.

    >>> cs = confidence_sequence(1000, 350, 1000, 300, planned_n=2000)
    >>> row = cs.summary.iloc[0]
    >>> round(float(row["multiplier"]), 4), round(float(row["lower"]), 4), round(float(row["upper"]), 4)
    (3.0352, -0.0135, 0.1135)
    """
    alpha = check_probability(alpha, "alpha")
    arrays = [np.atleast_1d(np.asarray(a, dtype=float)) for a in
              (n_treatment, retained_treatment, n_control, retained_control)]
    names = ("n_treatment", "retained_treatment", "n_control", "retained_control")
    size = arrays[0].size
    for a, name in zip(arrays, names):
        if a.size != size or not np.all(np.isfinite(a)) or np.any(a < 0):
            raise DataError(f"{name} must be {size} non-negative counts, one per look; got {a.tolist()}.")
    n_t, x_t, n_c, x_c = arrays
    if np.any(x_t > n_t) or np.any(x_c > n_c):
        raise DataError("Retained customers exceed the customers of their arm at some look; check the counts.")
    if np.any(n_t < 1) or np.any(n_c < 1):
        raise DataError("Every look needs at least one customer in each arm.")
    n = n_t + n_c
    if np.any(np.diff(n) < 0):
        raise DataError(f"Counts must be cumulative (never decreasing) from look to look; got totals {n.tolist()}.")
    planned_n = check_positive(planned_n, "planned_n", "the planned customers in both arms, 20000")
    p_t, p_c = x_t / n_t, x_c / n_c
    diff = p_t - p_c
    se = np.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
    rho = _mixture_rho(alpha, planned_n)
    m = _mixture_multiplier(n, alpha, rho)
    z = stats.norm.isf(alpha / 2)
    lower, upper = diff - m * se, diff + m * se
    # The dual always-valid p-value: the alpha at which this look's interval just touches 0,
    # 1 / Lambda_n with Lambda_n the normal-mixture likelihood ratio (the mSPRT of Johari et al.
    # 2017, Optimizely's Stats Engine), then the running minimum over looks.
    nr = n * rho ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        z_n = np.where(se > 0, diff / np.where(se > 0, se, 1.0), 0.0)
    inverse_lr = np.sqrt(1.0 + nr) * np.exp(-z_n ** 2 * nr / (2.0 * (1.0 + nr)))
    always_valid_p = np.minimum.accumulate(np.minimum(inverse_lr, 1.0))
    table = pd.DataFrame({
        "n": n.astype(np.int64), "rate_treatment": p_t, "rate_control": p_c, "diff": diff, "se": se,
        "multiplier": m, "lower": lower, "upper": upper,
        "running_lower": np.maximum.accumulate(lower), "running_upper": np.minimum.accumulate(upper),
        "fixed_lower": diff - z * se, "fixed_upper": diff + z * se, "always_valid_p": always_valid_p,
    }, index=pd.RangeIndex(1, size + 1, name="look"))
    return ConfidenceSequence(table, alpha, planned_n)
