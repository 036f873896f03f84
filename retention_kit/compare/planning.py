"""Planning a fixed-horizon retention test: sample size, power and the minimum detectable
effect of the pooled z-test.

The public names are re-exported by :mod:`retention_kit.compare`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._options import caller_stacklevel, check_alpha, choose, legacy_arguments
from ..errors import ParameterError, SmallSampleWarning
from ..results import Result, explains, render_html
from .options import is_number

__all__ = ["SampleSizePlan", "expected_power", "minimum_detectable_effect", "sample_size"]


def _check_rates(baseline, mde):
    if not (is_number(baseline) and 0 < baseline < 1):
        raise ParameterError(
            f"baseline={baseline!r} must be the control arm's retention rate, strictly between 0 and 1 "
            "(e.g. 0.30 for 30 %).")
    if mde is not None:
        if not is_number(mde) or mde == 0 or not np.isfinite(mde):
            raise ParameterError(
                f"mde={mde!r} must be a non-zero absolute difference in retention rate, e.g. 0.05 "
                "for 30 % -> 35 %.")
        if not 0 < baseline + mde < 1:
            raise ParameterError(
                f"baseline + mde = {baseline} + {mde} = {baseline + mde:.4g} is not a rate between 0 "
                "and 1. mde is an absolute difference (0.05 means 5 points), not a relative one.")


def _sigmas(baseline, mde, ratio):
    """Standard deviations (per sqrt(control n)) of the difference under H0 and H1."""
    p_c, p_t = baseline, baseline + mde
    pooled = (p_c + ratio * p_t) / (1 + ratio)
    sigma0 = math.sqrt(pooled * (1 - pooled) * (1 + 1 / ratio))
    sigma1 = math.sqrt(p_c * (1 - p_c) + p_t * (1 - p_t) / ratio)
    return sigma0, sigma1


def _power(n_control, baseline, mde, alpha, ratio):
    sigma0, sigma1 = _sigmas(baseline, mde, ratio)
    z = stats.norm.isf(alpha / 2)
    root = math.sqrt(n_control)
    # Both rejection tails; the far one is negligible except for tiny effects.
    return float(stats.norm.sf((z * sigma0 - abs(mde) * root) / sigma1)
                 + stats.norm.cdf((-z * sigma0 - abs(mde) * root) / sigma1))


def _check_ratio(ratio):
    if not (is_number(ratio) and ratio > 0 and np.isfinite(ratio)):
        raise ParameterError(f"ratio={ratio!r} must be a positive number: treatment size / control size.")
    return float(ratio)


@dataclass
class SampleSizePlan(Result):
    """Customers needed per arm for a fixed-horizon retention test (see :func:`sample_size`)."""

    n_control: int
    n_treatment: int
    baseline: float
    mde: float
    alpha: float
    power: float
    ratio: float

    @property
    def n_total(self) -> int:
        return self.n_control + self.n_treatment

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({
            "n_control": [self.n_control], "n_treatment": [self.n_treatment], "n_total": [self.n_total],
            "baseline": [self.baseline], "target_rate": [self.baseline + self.mde], "mde": [self.mde],
            "alpha": [self.alpha], "power": [self.power], "ratio": [self.ratio]})

    @explains
    def explain(self) -> str:
        return (
            f"To detect a change in retention from {self.baseline:.1%} to {self.baseline + self.mde:.1%} "
            f"({self.mde * 100:+.1f} points) with a two-sided pooled z-test at alpha = {self.alpha:g} "
            f"and {self.power:.0%} power, you need {self.n_control:,} mature control and "
            f"{self.n_treatment:,} mature treatment customers ({self.n_total:,} in all). Mature means "
            "their horizon and the retention window after it (churn_after by default) have elapsed: "
            "count them, not everyone assigned. Smaller "
            "true effects are easily missed; looking at the result before reaching this size "
            "inflates the false-positive rate (see peeking_false_positive_rate).")

    def __repr__(self) -> str:
        return (f"SampleSizePlan(n_control={self.n_control:,}, n_treatment={self.n_treatment:,}, "
                f"baseline={self.baseline:g}, mde={self.mde:+g}, alpha={self.alpha:g}, power={self.power:g})")

    title = "Sample size for a fixed-horizon retention test"

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, [self.explain()])


@legacy_arguments(positional=("alpha", "power", "ratio"))
def sample_size(baseline: float, mde: float, *, alpha: float = 0.05, power: float = 0.8,
                ratio: float = 1.0) -> SampleSizePlan:
    """Customers per arm for a two-sided test of two independent retention rates.

    The formula is the normal approximation of the test this kit runs, the pooled z-test
    (Fleiss, Levin & Paik, *Statistical Methods for Rates and Proportions*, 3rd ed., eq. 4.19;
    also statsmodels' ``samplesize_proportions_2indep_onetail``)::

        n_control = (z_{1-alpha/2} * sigma0 + z_{power} * sigma1)^2 / mde^2
        sigma0^2  = pbar (1 - pbar) (1 + 1/ratio),  pbar = (p_c + ratio p_t) / (1 + ratio)
        sigma1^2  = p_c (1 - p_c) + p_t (1 - p_t) / ratio

    with ``p_c = baseline`` and ``p_t = baseline + mde``: the pooled variance under the null
    (how the test decides) and the unpooled one under the alternative (how the data vary).
    Cohen's arcsine effect size h (statsmodels ``NormalIndPower``) is a different
    approximation and gives slightly different numbers (about 1 % here).

    Parameters
    ----------
    baseline : float
        Expected retention rate of the control arm at the horizon (0-1).
    mde : float
        Minimum detectable effect: the absolute difference, treatment minus control
        (0.05 = 5 points). Negative to plan for detecting a drop.
    alpha : float
        Two-sided significance level.
    power : float
        Probability of a significant result when the true difference is ``mde``.
    ratio : float
        Treatment arm size divided by control arm size.

    Returns
    -------
    SampleSizePlan
        ``n_control`` and ``n_treatment`` rounded up: mature customers per arm, i.e.
        customers whose horizon H and retention window w after it (``window``, by default
        ``churn_after``, of :func:`compare_retention`) have elapsed: ``start + H + w <= as_of``.

    Examples
    --------
    >>> plan = sample_size(0.30, 0.05)
    >>> # pbar = 0.325: sigma0 = sqrt(0.325*0.675*2) = 0.66238, sigma1 = sqrt(0.21 + 0.2275) = 0.66144
    >>> # (1.95996*0.66238 + 0.84162*0.66144)^2 / 0.05^2 = 1376.3 -> 1377
    >>> plan.n_control, plan.n_treatment
    (1377, 1377)
    """
    _check_rates(baseline, mde)
    alpha = check_alpha(alpha)
    power = check_alpha(power, "power")
    ratio = _check_ratio(ratio)
    sigma0, sigma1 = _sigmas(baseline, mde, ratio)
    n_exact = (stats.norm.isf(alpha / 2) * sigma0 + stats.norm.ppf(power) * sigma1) ** 2 / mde ** 2
    n_control = math.ceil(n_exact - 1e-9)
    return SampleSizePlan(n_control=n_control, n_treatment=math.ceil(ratio * n_exact - 1e-9),
                          baseline=float(baseline), mde=float(mde), alpha=alpha, power=power, ratio=ratio)


@legacy_arguments(positional=("alpha", "ratio"))
def expected_power(n_control: int, baseline: float, mde: float, *, alpha: float = 0.05,
                   ratio: float = 1.0) -> float:
    """Power of the two-sided pooled z-test with ``n_control`` mature control customers
    (and ``ratio * n_control`` treatment customers) when the true difference is ``mde``.

    Same approximation as :func:`sample_size`, counting both rejection tails.

    Examples
    --------
    >>> round(expected_power(1377, 0.30, 0.05), 3)
    0.8
    >>> round(expected_power(500, 0.30, 0.05), 3)
    0.393
    """
    _check_rates(baseline, mde)
    if not n_control > 0:
        raise ParameterError(f"n_control={n_control!r} must be a positive number of customers.")
    return _power(float(n_control), float(baseline), float(mde), check_alpha(alpha), _check_ratio(ratio))


@legacy_arguments(positional=("alpha", "power", "ratio", "direction"))
def minimum_detectable_effect(n_control: int, baseline: float, *, alpha: float = 0.05, power: float = 0.8,
                              ratio: float = 1.0, direction: str = "increase") -> float:
    """Smallest absolute change in retention that ``n_control`` mature control customers
    (and ``ratio * n_control`` treatment ones) detect with the given power.

    Parameters
    ----------
    n_control : int
    baseline : float
        Control retention rate (0-1).
    direction : {"increase", "decrease"}
        An increase returns a positive effect, a decrease a negative one.

    Returns
    -------
    float
        The effect (treatment minus control) solving ``expected_power(...) == power``;
        NaN with a :class:`SmallSampleWarning` if no change within the 0-1 range reaches it.

    Examples
    --------
    >>> round(minimum_detectable_effect(1377, 0.30), 4)  # the inverse of sample_size(0.30, 0.05)
    0.05
    """
    _check_rates(baseline, None)
    alpha, power, ratio = check_alpha(alpha), check_alpha(power, "power"), _check_ratio(ratio)
    if not n_control > 0:
        raise ParameterError(f"n_control={n_control!r} must be a positive number of customers.")
    sign = 1.0 if choose(direction, ("increase", "decrease"), "direction") == "increase" else -1.0
    edge = (1 - baseline) if sign > 0 else baseline
    gap = lambda d: _power(float(n_control), baseline, sign * d, alpha, ratio) - power  # noqa: E731
    top = edge * (1 - 1e-9)
    if gap(top) < 0:
        warnings.warn(SmallSampleWarning(
            f"With {n_control:,} control customers no {direction} of a {baseline:.1%} retention rate "
            f"reaches {power:.0%} power; returning NaN."), stacklevel=caller_stacklevel())
        return float("nan")
    return float(sign * optimize.brentq(gap, 1e-12, top, xtol=1e-12))
