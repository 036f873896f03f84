"""A/B comparison of retention strategies: a verdict you can defend, from raw logs or counts.

Definitions (shared with the cohort and survival modules)
---------------------------------------------------------
**Retained at horizon H, over a window w.** A customer assigned at time ``start`` is
*retained at H* when they have some activity in ``(start + H, start + H + w]``: after the
horizon and at most ``w`` later. ``w`` is the ``window`` option and defaults to
``churn_after``, the silence after which the kit calls a customer churned, so "not
retained" means "silent for a whole churn window right after the horizon". The window is
bounded on purpose: with an open end ("any activity after ``start + H`` up to the as-of
date") a customer's status keeps changing as data arrive, and the same customers' rate
rises with the day the analysis is run (CDNOW, H = 90 days, churn_after = 180 days: the
same 23,570 customers were 31.7 % retained as of 1997-12-31, 36.0 % as of 1998-03-31 and
38.4 % as of 1998-06-30; with the window they are 28.3 % at every one of those dates).

**Mature for horizon H.** A customer is mature when ``start + H + w <= as_of``: the whole
window has been observed, so their status is final and never changes with later data.
Only mature customers enter the fixed-horizon test; the others are counted and reported
(:class:`~retention_kit.ImmatureDataWarning`), never silently counted as churned. The
whole-curve methods (Kaplan-Meier, log-rank, RMST, Cox) use every customer, treating the
immature ones as censored; Kaplan-Meier's S(H) estimates the open-ended "some activity
after H", which is at least the bounded rate.

Methods of the fixed-horizon test (treatment minus control)
-----------------------------------------------------------
* interval: Newcombe's hybrid score interval (Newcombe 1998, method 10: Wilson intervals
  of each rate combined), or the Wald interval on request;
* p-value: the two-sided z-test with the pooled rate under the null;
* Bayesian view: independent Beta(a, b) priors (uniform Beta(1, 1) by default) updated by
  the binomial counts; P(treatment beats control) and the expected loss of shipping the
  treatment, E[max(p_control - p_treatment, 0)], in retention-rate units;
* sample ratio mismatch: Pearson's chi-square of the assigned counts against the planned
  split, with a warning below p = 0.001.

One primary analysis, several arms
----------------------------------
Each arm is tested several ways (fixed-horizon z-test, Fisher's exact test, log-rank,
RMST, Cox), all of one hypothesis. ``primary=`` declares, before looking, which one
decides: ``"fixed_horizon"`` (default: the test :func:`sample_size` plans for),
``"rmst"`` or ``"logrank"``. The ``verdict`` column and the first lines of ``explain()``
follow it; the others are reported as supporting evidence. With several treatment arms
every family of tests (each kind of p-value across the arms) is adjusted with the same
``correction`` (Holm by default, Benjamini-Hochberg or Bonferroni), and every interval has
an ``_adjusted`` version at the level that matches it: simultaneous Bonferroni intervals
at confidence 1 - alpha/m for Holm and Bonferroni (m arms), false-coverage-rate intervals
at 1 - R alpha/m for Benjamini-Hochberg (Benjamini & Yekutieli 2005; R arms declared
different). With one treatment arm nothing changes.

The Cox hazard ratio is reported as what it is, a time-averaged ratio of churn hazards;
when the proportional-hazards check rejects (large samples reject trivial departures too)
it comes with a caveat and :meth:`RetentionComparison.plot_hazard_ratio` shows it over time.
"""

from __future__ import annotations

import difflib
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import integrate, optimize, stats

from ._options import caller_stacklevel, check_alpha as _check_alpha, choose as _choose, legacy_arguments, removed_in
from .errors import (
    DataError, ImmatureDataWarning, ParameterError, PeekingWarning, ProportionalHazardsWarning,
    RetentionWarning, SampleRatioMismatchWarning, SmallSampleWarning,
)
from .multiple_testing import adjust_p_values, resolve_correction
from .periods import parse_duration
from .results import Result, metadata, render_html, explains
from .survival import cox_drivers, customer_lifetimes, kaplan_meier, logrank, rmst_difference

__all__ = [
    "RetentionComparison",
    "SampleSizePlan",
    "SampleRatioCheck",
    "compare_retention",
    "compare_retention_counts",
    "compare_retained",
    "sample_size",
    "minimum_detectable_effect",
    "expected_power",
    "peeking_false_positive_rate",
    "sample_ratio_check",
]

SRM_THRESHOLD = 0.001  # below this p-value the split is called broken
_CI_METHODS = ("newcombe", "wald")
_CORRECTIONS = {"holm": "Holm", "bh": "Benjamini-Hochberg", "bonferroni": "Bonferroni", "none": "no"}
#: Primary analysis -> (p-value column, what it is in words).
_PRIMARY = {"fixed_horizon": ("p_value", "retention {where}, pooled z-test"),
            "rmst": ("rmst_p_value", "restricted mean survival time to day {rmst:g}"),
            "logrank": ("logrank_p_value", "whole retention curve, log-rank test")}
_PRIMARY_ALIASES = {"fixed_horizon": "fixed_horizon", "fixed-horizon": "fixed_horizon",
                    "fixed horizon": "fixed_horizon", "rate": "fixed_horizon", "rmst": "rmst",
                    "logrank": "logrank", "log-rank": "logrank"}


# ---------------------------------------------------------------------------------------
# Fixed-horizon statistics from sufficient statistics (vectorised over experiments)
# ---------------------------------------------------------------------------------------

def _wilson(x, n, z):
    """Wilson score interval of x successes out of n (arrays)."""
    x, n = np.asarray(x, float), np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = n + z ** 2
        centre = (x + z ** 2 / 2) / denom
        half = z / denom * np.sqrt(x * (n - x) / n + z ** 2 / 4)
    return p, centre - half, centre + half


def _two_proportions(n_t, x_t, n_c, x_c, *, alpha: float = 0.05, ci_method: str = "newcombe") -> dict:
    """Treatment-minus-control statistics for arrays of counts (one entry per comparison).

    Returns a dict of float arrays: rate_t, rate_c, diff, ci_lower, ci_upper, z, p_value.
    Undefined entries (an empty arm; a pooled rate of 0 or 1, where the z-test has no
    variance) are NaN; callers warn about them.
    """
    n_t, x_t, n_c, x_c = (np.asarray(a, float) for a in (n_t, x_t, n_c, x_c))
    z_crit = stats.norm.isf(alpha / 2)
    p_t, lo_t, hi_t = _wilson(x_t, n_t, z_crit)
    p_c, lo_c, hi_c = _wilson(x_c, n_c, z_crit)
    diff = p_t - p_c
    with np.errstate(invalid="ignore", divide="ignore"):
        if ci_method == "newcombe":
            lower = diff - np.sqrt((p_t - lo_t) ** 2 + (hi_c - p_c) ** 2)
            upper = diff + np.sqrt((hi_t - p_t) ** 2 + (p_c - lo_c) ** 2)
        else:
            se = np.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
            lower, upper = diff - z_crit * se, diff + z_crit * se
        pooled = (x_t + x_c) / (n_t + n_c)
        se0 = np.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
        z = np.where(se0 > 0, diff / np.where(se0 > 0, se0, 1.0), np.nan)
    p_value = 2 * stats.norm.sf(np.abs(z))
    return {"rate_t": p_t, "rate_c": p_c, "diff": diff, "ci_lower": lower, "ci_upper": upper,
            "z": z, "p_value": p_value}


def _beta_compare(a_t: float, b_t: float, a_c: float, b_c: float) -> tuple[float, float]:
    """P(p_t > p_c) and E[max(p_c - p_t, 0)] for independent Beta posteriors.

    One-dimensional integrals over the narrower posterior (the other enters through its
    CDF), so large counts stay accurate. ``E[(c - t)^+]`` for fixed t uses
    ``c f_C(c) = E[C] f_{Beta(a_c + 1, b_c)}(c)``.
    """
    post_t, post_c = stats.beta(a_t, b_t), stats.beta(a_c, b_c)
    mean_t, mean_c = a_t / (a_t + b_t), a_c / (a_c + b_c)
    shifted_t, shifted_c = stats.beta(a_t + 1, b_t), stats.beta(a_c + 1, b_c)
    if post_t.std() <= post_c.std():
        outer = post_t
        beat = lambda t: post_c.cdf(t)  # noqa: E731  P(C < t)
        loss = lambda t: mean_c * shifted_c.sf(t) - t * post_c.sf(t)  # noqa: E731
    else:
        outer = post_c
        beat = lambda c: post_t.sf(c)  # noqa: E731  P(T > c)
        loss = lambda c: c * post_t.cdf(c) - mean_t * shifted_t.cdf(c)  # noqa: E731
    lo, hi = outer.ppf(1e-12), outer.isf(1e-12)
    mid = outer.median()
    opts = dict(points=[mid], limit=200, epsabs=1e-12, epsrel=1e-10)
    prob, _ = integrate.quad(lambda u: outer.pdf(u) * beat(u), lo, hi, **opts)
    expected_loss, _ = integrate.quad(lambda u: outer.pdf(u) * loss(u), lo, hi, **opts)
    return float(min(max(prob, 0.0), 1.0)), float(max(expected_loss, 0.0))


# ---------------------------------------------------------------------------------------
# Sample ratio mismatch
# ---------------------------------------------------------------------------------------

@dataclass
class SampleRatioCheck(Result):
    """Pearson chi-square of the arms' sizes against the planned split.

    A p-value below 0.001 means the randomisation or the logging is broken (a redirect
    that loses users in one arm, a bot filter, a late start): the comparison is not to be
    trusted, whatever it says.
    """

    observed: pd.Series
    expected: pd.Series
    planned_split: pd.Series
    statistic: float
    p_value: float

    @property
    def mismatch(self) -> bool:
        return bool(self.p_value < SRM_THRESHOLD)

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"n": self.observed, "expected": self.expected,
                             "planned_share": self.planned_split,
                             "share": self.observed / self.observed.sum()})

    @explains
    def explain(self) -> str:
        shares = ", ".join(f"{arm} {s:.1%} (planned {p:.1%})" for arm, s, p in zip(
            self.observed.index, self.observed / self.observed.sum(), self.planned_split))
        verdict = ("This is a sample ratio mismatch: the split is broken (randomisation, logging "
                   "or filtering) and the comparison must not be trusted until the cause is found."
                   if self.mismatch else
                   f"No sign of a broken split (the alarm is p < {SRM_THRESHOLD}).")
        return (f"Of {int(self.observed.sum()):,} assigned customers: {shares}. Chi-square "
                f"{self.statistic:.2f} on {len(self.observed) - 1} degree(s) of freedom, "
                f"p {_p_is(self.p_value)}. {verdict}")

    title = "Sample ratio check"

    def __repr__(self) -> str:
        return f"SampleRatioCheck: {self.explain()}"

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, [self.explain()])


def _planned_shares(arms, planned_split) -> pd.Series:
    arms = list(arms)
    if planned_split is None:
        return pd.Series(1.0 / len(arms), index=arms)
    if isinstance(planned_split, (pd.Series, dict)):
        split = pd.Series(dict(planned_split), dtype=float)
    else:
        values = list(planned_split)
        if len(values) != len(arms):
            raise ParameterError(
                f"planned_split has {len(values)} shares but there are {len(arms)} arms {arms}; "
                "give a dict such as {'control': 0.5, 'loyalty': 0.5}.")
        split = pd.Series(values, index=arms, dtype=float)
    unknown = [a for a in split.index if a not in arms]
    missing = [a for a in arms if a not in split.index]
    if unknown or missing:
        raise ParameterError(
            f"planned_split names arms {list(split.index)} but the data has {arms} "
            f"(unknown: {unknown}, missing: {missing}). Give one share per arm.")
    split = split.reindex(arms)
    if (split <= 0).any() or not np.isfinite(split).all():
        raise ParameterError(f"planned_split shares must be positive numbers; got {split.to_dict()}.")
    return split / split.sum()  # weights such as {"control": 1, "loyalty": 2} are fine


@legacy_arguments(positional=("planned_split",))
def sample_ratio_check(counts, *, planned_split=None) -> SampleRatioCheck:
    """Chi-square test of the arms' sizes against the planned split (sample ratio mismatch).

    Parameters
    ----------
    counts : dict or Series
        Customers assigned per arm.
    planned_split : dict, Series or sequence, optional
        Planned share (or weight) per arm; equal shares by default.

    Returns
    -------
    SampleRatioCheck

    Examples
    --------
    >>> check = sample_ratio_check({"control": 5_000, "loyalty": 5_300})
    >>> # expected 5,150 each: (150**2 + 150**2) / 5150 = 8.74
    >>> round(check.statistic, 2), check.mismatch
    (8.74, False)
    """
    observed = pd.Series(dict(counts), dtype=float)
    if len(observed) < 2:
        raise ParameterError(f"A sample ratio check needs at least two arms; got {list(observed.index)}.")
    if (observed < 0).any() or observed.isna().any():
        raise DataError(f"Arm sizes must be non-negative counts; got {observed.to_dict()}.")
    shares = _planned_shares(observed.index, planned_split)
    expected = shares * observed.sum()
    if observed.sum() == 0:
        raise DataError("Every arm is empty: there is nothing to check.")
    statistic, p_value = stats.chisquare(observed.to_numpy(), expected.to_numpy())
    return SampleRatioCheck(observed.astype(int), expected, shares, float(statistic), float(p_value))


# ---------------------------------------------------------------------------------------
# Planning: sample size, minimum detectable effect, power, peeking
# ---------------------------------------------------------------------------------------

def _is_number(value) -> bool:
    """A real number, not a boolean (True would silently be 1)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _check_rates(baseline, mde):
    if not (_is_number(baseline) and 0 < baseline < 1):
        raise ParameterError(
            f"baseline={baseline!r} must be the control arm's retention rate, strictly between 0 and 1 "
            "(e.g. 0.30 for 30 %).")
    if mde is not None:
        if not _is_number(mde) or mde == 0 or not np.isfinite(mde):
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
    if not (_is_number(ratio) and ratio > 0 and np.isfinite(ratio)):
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
    alpha = _check_alpha(alpha)
    power = _check_alpha(power, "power")
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
    return _power(float(n_control), float(baseline), float(mde), _check_alpha(alpha), _check_ratio(ratio))


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
    alpha, power, ratio = _check_alpha(alpha), _check_alpha(power, "power"), _check_ratio(ratio)
    if not n_control > 0:
        raise ParameterError(f"n_control={n_control!r} must be a positive number of customers.")
    sign = 1.0 if _choose(direction, ("increase", "decrease"), "direction") == "increase" else -1.0
    edge = (1 - baseline) if sign > 0 else baseline
    gap = lambda d: _power(float(n_control), baseline, sign * d, alpha, ratio) - power  # noqa: E731
    top = edge * (1 - 1e-9)
    if gap(top) < 0:
        warnings.warn(SmallSampleWarning(
            f"With {n_control:,} control customers no {direction} of a {baseline:.1%} retention rate "
            f"reaches {power:.0%} power; returning NaN."), stacklevel=2)
        return float("nan")
    return float(sign * optimize.brentq(gap, 1e-12, top, xtol=1e-12))


@legacy_arguments(positional=("alpha",))
def peeking_false_positive_rate(looks: int, *, alpha: float = 0.05) -> float:
    """False-positive rate when a true null is tested at ``looks`` equally spaced interim
    looks, each at nominal two-sided level ``alpha``, stopping at the first "significant" one.

    Computed exactly (up to quadrature error below 1e-5) by recursive numerical integration
    of the running z-statistic, the method of Armitage, McPherson & Rowe (1969, JRSS A 132,
    235-244), whose table it reproduces: 1 look 0.050, 2 looks 0.083, 3 0.107, 5 0.142,
    10 0.193, 20 0.248.

    Examples
    --------
    >>> [round(peeking_false_positive_rate(k), 3) for k in (1, 2, 5, 10)]
    [0.05, 0.083, 0.142, 0.193]
    """
    alpha = _check_alpha(alpha)
    if isinstance(looks, bool) or not isinstance(looks, (int, np.integer)) or looks < 1:
        raise ParameterError(f"looks={looks!r} must be a whole number of looks, at least 1.")
    looks = int(looks)
    if looks > 1000:
        raise ParameterError(f"looks={looks!r}: at most 1,000 looks are supported.")
    c = stats.norm.isf(alpha / 2)
    m = 401  # Simpson nodes per look (odd): within 1e-7 of 1,601 nodes up to 100 looks
    weights = np.ones(m)
    weights[1:-1:2], weights[2:-1:2] = 4, 2
    # S_k = sum of k independent N(0, 1) increments; continue while |S_k| <= c sqrt(k).
    grid = np.linspace(-c, c, m)
    density = np.exp(-grid ** 2 / 2) / math.sqrt(2 * math.pi)  # sub-density of S_1 where it continues
    for k in range(2, looks + 1):
        step = (grid[1] - grid[0]) / 3 * weights
        new_grid = np.linspace(-c * math.sqrt(k), c * math.sqrt(k), m)
        kernel = np.exp(-(new_grid[:, None] - grid[None, :]) ** 2 / 2) / math.sqrt(2 * math.pi)
        density = kernel @ (density * step)
        grid = new_grid
    stay = float(np.sum(density * (grid[1] - grid[0]) / 3 * weights))
    return 1.0 - stay


def _fmt_p(p: float) -> str:
    """A p-value for tables: 3 decimals, 4 below 0.001, "< 0.0001" below that."""
    if not np.isfinite(p):
        return "n/a"
    return "< 0.0001" if p < 1e-4 else f"{p:.4f}" if p < 0.001 else f"{p:.3f}"


def _p_is(p: float) -> str:
    """A p-value for sentences: "= 0.017" or "< 0.0001"."""
    text = _fmt_p(p)
    return text if text.startswith("<") else f"= {text}"


def _prob(v: float) -> str:
    """A probability for sentences, never rounded to a certainty it is not."""
    if not np.isfinite(v):
        return "n/a"
    return "> 99.9%" if v > 0.999 else "< 0.1%" if v < 0.001 else f"{v:.1%}"


# ---------------------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------------------

_FIXED_COLUMNS = ["n", "retained", "rate", "control_n", "control_retained", "control_rate", "diff",
                  "relative_diff", "ci_lower", "ci_upper", "p_value", "p_value_adjusted", "ci_lower_adjusted",
                  "ci_upper_adjusted", "exact_p_value", "prob_beat_control", "expected_loss",
                  "exact_p_value_adjusted"]
_CURVE_COLUMNS = ["logrank_p_value", "rmst", "control_rmst", "rmst_diff", "rmst_ci_lower", "rmst_ci_upper",
                  "rmst_p_value", "hazard_ratio", "hr_ci_lower", "hr_ci_upper", "hr_p_value", "ph_p_value"]


def _days(td: pd.Timedelta) -> float:
    return td.total_seconds() / 86400.0


def _horizon_words(horizon: pd.Timedelta | None) -> str:
    if horizon is None:
        return "at the horizon"
    days = _days(horizon)
    return f"at day {days:g}" if days == int(days) else f"after {horizon}"


@dataclass
class RetentionComparison(Result):
    """Treatment arms against control: fixed-horizon retention, the whole survival curve,
    the Bayesian view and the checks that say whether to trust them.

    Attributes
    ----------
    summary : DataFrame
        One row per treatment arm (index ``arm``) against ``control``. Fixed-horizon
        columns: ``n``, ``retained``, ``rate`` (mature customers of the arm), ``control_n``,
        ``control_retained``, ``control_rate``, ``diff`` (rate minus control rate),
        ``relative_diff`` (diff / control rate), ``ci_lower``/``ci_upper`` (interval of
        diff), ``p_value`` (pooled z-test), ``p_value_adjusted`` (for several arms),
        ``exact_p_value`` (Fisher's exact test, a check for small samples),
        ``prob_beat_control`` and ``expected_loss`` (Bayesian). From raw data also
        ``immature`` (customers left out of the fixed-horizon test) and the whole-curve
        columns ``logrank_p_value``, ``rmst``, ``control_rmst``, ``rmst_diff``,
        ``rmst_ci_lower``, ``rmst_ci_upper``, ``rmst_p_value`` (restricted mean survival
        time in days up to ``rmst_horizon``), ``hazard_ratio``, ``hr_ci_lower``,
        ``hr_ci_upper``, ``hr_p_value`` (Cox: a time-averaged hazard ratio, reported even
        when proportional hazards are doubtful, with a caveat; see ``plot_hazard_ratio``) and
        ``ph_p_value``. Across arms: ``*_p_value_adjusted`` for every family of p-values
        (``p_value``, ``exact_p_value``, ``logrank_p_value``, ``rmst_p_value``,
        ``hr_p_value``) and ``*_adjusted`` intervals matching the correction
        (``ci_lower_adjusted``, ``rmst_ci_lower_adjusted``, ``hr_ci_lower_adjusted`` and
        their upper ends). ``primary_p_value`` and ``verdict`` ("better", "worse", "no clear
        difference", "not available") come from the declared primary analysis.
    control : str
        The control arm.
    srm : SampleRatioCheck
        Sample ratio mismatch check of the assigned customers.
    curves : SurvivalCurves or None
        Kaplan-Meier curves per arm (raw data only).
    lifetimes : DataFrame or None
        One row per assigned customer: lifetime from assignment, ``churned``, ``arm``,
        ``mature`` and ``retained`` (nullable boolean: activity in the window after the
        horizon; NA for immature customers, whose window is not over yet).
    primary : str
        The declared primary analysis ("fixed_horizon", "rmst" or "logrank").
    window : Timedelta or None
        The window after the horizon; None when only lifetimes were given (open end).
    notes : list of str
        Every caveat raised as a warning, in words.

    The summary is kept as the field ``table`` (``RetentionComparison(table=...)``) and read
    as the property ``summary``, so it cannot be replaced from outside.
    """

    table: pd.DataFrame
    control: str
    control_n: int
    alpha: float
    ci_method: str
    correction: str
    prior: tuple
    srm: SampleRatioCheck
    horizon: pd.Timedelta | None = None
    churn_after: pd.Timedelta | None = None
    as_of: pd.Timestamp | None = None
    rmst_horizon: pd.Timedelta | None = None
    curves: object = None
    lifetimes: pd.DataFrame | None = None
    data_quality: object = None
    immature: pd.Series | None = None
    notes: list = field(default_factory=list)
    primary: str = "fixed_horizon"
    window: pd.Timedelta | None = None

    @property
    def summary(self) -> pd.DataFrame:
        """One row per treatment arm against control (see the class docstring for the columns)."""
        return self.table

    @property
    def title(self) -> str:
        return self._title()

    @property
    def verdicts(self) -> pd.Series:
        """Per arm: "better", "worse", "no clear difference" (or "not available"), decided
        by the declared primary test, adjusted across arms."""
        return self.summary["verdict"]

    @property
    def arms(self) -> list:
        return [self.control, *self.summary.index]

    @property
    def has_curves(self) -> bool:
        return "logrank_p_value" in self.summary.columns

    # -- words ---------------------------------------------------------------------
    def _title(self) -> str:
        where = _horizon_words(self.horizon)
        return f"Retention {where}: {', '.join(map(str, self.summary.index))} vs {self.control}"

    def _definition(self) -> str:
        where = _horizon_words(self.horizon)
        h = _days(self.horizon)
        if self.window is None:
            return (f"'Retained {where}' means some activity more than {h:g} days after assignment, up to "
                    f"{self.as_of:%Y-%m-%d} (open end: the rate depends on that date); only customers whose "
                    f"{h:g} days plus the {_days(self.churn_after):g}-day churn window had elapsed are counted.")
        w = _days(self.window)
        whose = "the churn window" if self.window == self.churn_after else "the window"
        return (f"'Retained {where}' means some activity more than {h:g} and at most {h + w:g} days after "
                f"assignment (a {w:g}-day window after the horizon, {whose}); only customers whose "
                f"{h:g} + {w:g} days had elapsed by {self.as_of:%Y-%m-%d} are counted, so their status is final.")

    def _adjusted(self) -> bool:
        return len(self.summary) > 1 and self.correction != "none"

    def _ci_word(self, adjusted: bool) -> str:
        """How an adjusted interval covers: all arms at once (Holm, Bonferroni) or the
        false-coverage rate of the selected ones (Benjamini-Hochberg)."""
        if not adjusted:
            return ""
        return " false-coverage-adjusted" if self.correction == "bh" else " simultaneous"

    def _verdict_line(self, arm, row) -> str:
        """The primary analysis's verdict for one arm, with its own estimate and interval."""
        conf = f"{1 - self.alpha:.0%}"
        adj = self._adjusted()
        sfx = "_adjusted" if adj else ""
        how = f", {_CORRECTIONS[self.correction]}-adjusted across {len(self.summary)} arms" if adj else ""
        what = _PRIMARY[self.primary][1].format(where=_horizon_words(self.horizon),
                                                rmst=_days(self.rmst_horizon) if self.rmst_horizon is not None else 0)
        p = row["primary_p_value"]
        word = {"better": f"{arm} kept more customers than {self.control}",
                "worse": f"{arm} kept fewer customers than {self.control}",
                "no clear difference": f"no clear difference between {arm} and {self.control}",
                "not available": f"{arm} vs {self.control} could not be tested"}[row["verdict"]]
        if self.primary == "fixed_horizon":
            lo, hi = row["ci_lower" + sfx], row["ci_upper" + sfx]
            size = (f"{row['diff'] * 100:+.1f} points ({conf}{self._ci_word(adj)} CI "
                    f"{lo * 100:+.1f} to {hi * 100:+.1f})")
        elif self.primary == "rmst":
            lo, hi = row["rmst_ci_lower" + sfx], row["rmst_ci_upper" + sfx]
            size = (f"{row['rmst_diff']:+.1f} days of the first {_days(self.rmst_horizon):g} ({conf}"
                    f"{self._ci_word(adj)} CI {lo:+.1f} to {hi:+.1f})")
        else:
            lo, hi = row["hr_ci_lower" + sfx], row["hr_ci_upper" + sfx]
            size = (f"time-averaged hazard ratio {row['hazard_ratio']:.2f} ({conf}"
                    f"{self._ci_word(adj)} CI {lo:.2f} to {hi:.2f})")
            lo, hi = np.log(lo), np.log(hi)  # excludes 1 <=> excludes 0 on the log scale
        text = f"Verdict for {arm} (primary analysis: {what}{how}): {word}; {size}, {'adjusted ' if adj else ''}p {_p_is(p)}."
        if np.isfinite(p) and np.isfinite(lo) and np.isfinite(hi):
            excludes = lo > 0 or hi < 0
            if excludes != (p < self.alpha):
                text += (" The interval and the test disagree at this boundary ("
                         + ("the interval excludes no effect but the test does not reject" if excludes else
                            "the test rejects but the interval includes no effect")
                         + "); the verdict follows the declared primary test.")
        return text

    @explains
    def explain(self) -> str:
        """Plain-language verdict with the actual numbers and what they do not say.

        It leads with the verdict of the declared primary analysis (the ``verdict`` column),
        then gives every other analysis as supporting evidence.
        """
        s = self.summary
        conf = f"{1 - self.alpha:.0%}"
        adj = self._adjusted()
        lines = [self._verdict_line(arm, row) for arm, row in s.iterrows()]
        if self.horizon is not None:
            lines.append(self._definition())
        first = s.iloc[0]
        lines.append(f"Control ({self.control}): {int(first['control_retained']):,} of "
                     f"{int(first['control_n']):,} retained ({first['control_rate']:.1%}).")
        name = _CORRECTIONS[self.correction]
        for arm, row in s.iterrows():
            extra = ""
            if adj:
                extra = (f", {name}-adjusted {_fmt_p(row['p_value_adjusted'])} ({conf}{self._ci_word(adj)} CI "
                         f"{row['ci_lower_adjusted'] * 100:+.1f} to {row['ci_upper_adjusted'] * 100:+.1f})")
            lines.append(
                f"{arm}: {int(row['retained']):,} of {int(row['n']):,} ({row['rate']:.1%}), a difference of "
                f"{row['diff'] * 100:+.1f} points ({conf} CI {row['ci_lower'] * 100:+.1f} to "
                f"{row['ci_upper'] * 100:+.1f}; relative {row['relative_diff']:+.1%}), "
                f"p {_p_is(row['p_value'])}{extra}. Bayesian view (Beta({self.prior[0]:g}, {self.prior[1]:g}) "
                f"prior on each rate): P({arm} beats control) {_eq(_prob(row['prob_beat_control']))}, expected "
                f"loss if you ship it {_points(row['expected_loss'])}.")
            if self.has_curves:
                rh = _days(self.rmst_horizon)
                ph = ("proportional hazards not rejected" if row["ph_p_value"] >= self.alpha else
                      "proportional hazards doubtful, so the effect changes over time: see plot_hazard_ratio()")
                hr = (f"time-averaged hazard ratio {row['hazard_ratio']:.2f} ({conf} CI {row['hr_ci_lower']:.2f} to "
                      f"{row['hr_ci_upper']:.2f}; {ph}, p {_p_is(row['ph_p_value'])})")
                if adj:
                    hr += (f"; {name}-adjusted p: log-rank {_fmt_p(row['logrank_p_value_adjusted'])}, RMST "
                           f"{_fmt_p(row['rmst_p_value_adjusted'])}, hazard ratio {_fmt_p(row['hr_p_value_adjusted'])}")
                lines.append(
                    f"Whole curve, all {int(row['n'] + row['immature']):,} {arm} customers: log-rank "
                    f"p {_p_is(row['logrank_p_value'])}; mean days retained within the first {rh:g} "
                    f"(RMST) {row['rmst']:.1f} vs {row['control_rmst']:.1f}, {row['rmst_diff']:+.1f} days "
                    f"({conf} CI {row['rmst_ci_lower']:+.1f} to {row['rmst_ci_upper']:+.1f}); {hr}.")
        lines.append(self.srm.explain())
        if len(s) > 1:
            lines.append(f"{len(s)} treatment arms were compared with control: every family of p-values is "
                         f"{name}-adjusted for the several comparisons"
                         + (f", and the{self._ci_word(adj)} intervals match it." if adj else "."))
        if self.has_curves:
            lines.append("The analyses other than the primary one test the same hypothesis another way: they "
                         "support the verdict, they do not replace it.")
        lines.append("A small p-value says the difference is unlikely to be chance, not that it is "
                     "large: judge the size by the interval.")
        lines.extend(self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        cols = [c for c in ("n", "rate", "diff", "ci_lower", "ci_upper", "p_value", "p_value_adjusted",
                            "prob_beat_control", "verdict") if c in self.summary.columns]
        with pd.option_context("display.width", 120, "display.precision", 4):
            table = self.summary[cols].to_string()
        return f"RetentionComparison: {self._title()}\n{table}\n(.explain() for the verdict in words)"

    def _repr_html_(self) -> str:
        s = self.summary
        shown = pd.DataFrame(index=s.index)
        shown["n"] = s["n"].map("{:,.0f}".format)
        shown["retained"] = s["retained"].map("{:,.0f}".format)
        shown["rate"] = s["rate"].map(_pct)
        shown[f"{self.control} rate"] = s["control_rate"].map(_pct)
        shown["diff (points)"] = s["diff"].map(lambda v: f"{v * 100:+.1f}")
        shown[f"{1 - self.alpha:.0%} CI"] = [f"{lo * 100:+.1f} to {hi * 100:+.1f}"
                                             for lo, hi in zip(s["ci_lower"], s["ci_upper"])]
        shown["p"] = s["p_value"].map(_fmt_p)
        shown["p adjusted"] = s["p_value_adjusted"].map(_fmt_p)
        shown["verdict"] = s["verdict"]
        shown["P(beats control)"] = s["prob_beat_control"].map(_prob)
        if self.has_curves:
            shown["log-rank p"] = s["logrank_p_value"].map(_fmt_p)
            shown[f"RMST diff ({_days(self.rmst_horizon):g} d)"] = [
                f"{d:+.1f} ({lo:+.1f} to {hi:+.1f})"
                for d, lo, hi in zip(s["rmst_diff"], s["rmst_ci_lower"], s["rmst_ci_upper"])]
            shown["hazard ratio (time average)"] = s["hazard_ratio"].map(
                lambda v: "–" if not np.isfinite(v) else f"{v:.2f}")
        notes = self.explain().split("\n")
        return render_html(self._title(), shown, notes)

    # -- monitoring ----------------------------------------------------------------
    def monitor(self, design, planned_n, *, look: int | None = None, earlier=None, arm=None,
                final: bool | None = None):
        """Read this comparison as one look of a running experiment: the boundary at this
        look, the z statistic and the decision ("stop for efficacy", "continue", "stop for
        futility", ...), with the false-positive rate over all looks held at the design's alpha.

        The statistic is the fixed-horizon one of this comparison: the pooled two-proportion
        z (positive when the treatment retains more), whose p-value is ``p_value``. The
        information is the mature customers per arm (their harmonic mean, 2 / (1/n_t +
        1/n_c), which is n for equal arms: the variance of the difference scales with
        1/n_t + 1/n_c), over the planned maximum ``planned_n``.

        Parameters
        ----------
        design : SequentialDesign, FutilityDesign or "confidence-sequence"
            A Lan-DeMets design planned before the first look (``rk.spending_boundaries(looks=4)``,
            ``rk.calendar_plan(...).sequential_design()``, optionally ``.with_futility(...)``
            for one-sided designs), whose boundaries are recomputed at the information
            actually observed (:func:`~retention_kit.experiments.monitor_look`); or
            ``"confidence-sequence"`` for an always-valid interval that needs no plan of the
            looks (:func:`~retention_kit.experiments.confidence_sequence`).
        planned_n : int or SampleSizePlan
            Planned mature customers per arm at the last look (the fixed sample size times
            the design's ``inflation_factor()``). A SampleSizePlan counts as the maximum as it is.
        look : int, optional
            Which planned look this is; the planned look nearest in information by default.
        earlier : list of RetentionComparison, optional
            The earlier looks (oldest first, e.g. the same comparison at earlier ``as_of``
            dates). Their information and z replace the planned ones, and a crossing there is
            the decision. Without them the earlier looks are taken at the planned fractions.
        arm : str, optional
            The treatment arm; needed with several (then plan each comparison's design at
            alpha / number of arms, Bonferroni, to hold the family-wise rate).
        final : bool, optional
            Force (True) or rule out (False) this being the final analysis; by default it is
            final when ``planned_n`` is reached, or at the design's last planned look when
            ``earlier`` is not given.

        Returns
        -------
        SequentialMonitor
            ``decision``, ``z``, ``boundary``, ``futility_bound``, ``look``,
            ``information_fraction``; ``summary`` (one row per look), ``explain()``, ``plot()``.

        Examples
        --------
        700 mature customers per arm of a planned 1,400 (look 1 of 2, O'Brien-Fleming-type):
        65.0 % vs 70.0 %, pooled z = 0.05 / sqrt(0.675 * 0.325 * 2 / 700) = 1.997, against
        the boundary 2.963 (gsDesign: 2.9626, 1.9686): continue, though p = 0.046.

        >>> from retention_kit.experiments import spending_boundaries
        >>> res = compare_retention_counts({"control": (700, 455), "loyalty": (700, 490)})
        >>> look = res.monitor(spending_boundaries(looks=2), planned_n=1400)
        >>> look.decision, round(look.z, 3), round(look.boundary, 4)
        ('continue', 1.997, 2.9626)
        """
        from .experiments.sequential import monitor_confidence_sequence, monitor_look

        arm = self._monitored_arm(arm)
        n_t, x_t, n_c, x_c = self._arm_counts(self, arm)
        if isinstance(planned_n, SampleSizePlan):
            planned = 2.0 / (1.0 / planned_n.n_control + 1.0 / planned_n.n_treatment)
        elif _is_number(planned_n) and np.isfinite(planned_n) and planned_n > 0:
            planned = float(planned_n)
        else:
            raise ParameterError(f"planned_n={planned_n!r} must be the planned mature customers per arm at the last "
                                 "look (a number, or the SampleSizePlan from rk.sample_size).")
        earlier = [] if earlier is None else list(earlier)
        for k, other in enumerate(earlier):
            if not isinstance(other, RetentionComparison):
                raise ParameterError(f"earlier[{k}] is a {type(other).__name__}: give the earlier looks' "
                                     "comparisons (the same compare_retention call at earlier as_of dates).")
            if other.control != self.control or arm not in other.summary.index:
                raise ParameterError(f"earlier[{k}] compares {list(other.summary.index)} with {other.control!r}: "
                                     f"the earlier looks must compare {arm!r} with {self.control!r} too.")
        counts = np.array([self._arm_counts(c, arm) for c in [*earlier, self]], dtype=float)
        label = f"{arm} vs {self.control}, retention {_horizon_words(self.horizon)}"
        key = str(design).strip().lower().replace("_", "-").replace(" ", "-") if isinstance(design, str) else None
        if key is not None:
            if key not in ("confidence-sequence", "always-valid"):
                raise ParameterError(f"design={design!r} is not an option: give a design from "
                                     "rk.spending_boundaries(...) or 'confidence-sequence'.")
            if look is not None or final is not None:
                raise ParameterError("look= and final= are for planned designs; a confidence sequence has no "
                                     "planned looks.")
            return monitor_confidence_sequence(counts[:, 0], counts[:, 1], counts[:, 2], counts[:, 3],
                                               planned_n=2.0 * planned, alpha=self.alpha, label=label)
        zs = _two_proportions(counts[:, 0], counts[:, 1], counts[:, 2], counts[:, 3])["z"]
        if not np.all(np.isfinite(zs)):
            raise DataError(f"{label}: the z statistic is undefined at a look (an arm without mature customers, "
                            "or everyone or no one retained); wait until customers mature.")
        info = 2.0 / (1.0 / counts[:, 0] + 1.0 / counts[:, 2])
        row = self.summary.loc[arm]
        estimate = (f"{arm} {row['rate']:.1%} of {int(n_t):,} vs {self.control} {row['control_rate']:.1%} of "
                    f"{int(n_c):,} mature customers: {row['diff'] * 100:+.1f} points (pooled z-test; its p = "
                    f"{_fmt_p(row['p_value'])} and {1 - self.alpha:.0%} CI hold for one planned look only).")
        return monitor_look(design, float(zs[-1]), float(info[-1]), planned, look=look,
                            earlier_information=info[:-1] if earlier else None,
                            earlier_z=zs[:-1] if earlier else None, final=final, label=label,
                            unit="mature customers per arm", estimate=estimate)

    def _monitored_arm(self, arm):
        arms = list(self.summary.index)
        if arm is None:
            if len(arms) > 1:
                raise ParameterError(f"There are {len(arms)} treatment arms {arms}: name the one to monitor with "
                                     "arm=, and plan each arm's design at alpha / number of arms (Bonferroni).")
            return arms[0]
        if arm not in arms:
            raise ParameterError(f"arm={arm!r} is not a treatment arm; choose from {arms}.")
        return arm

    @staticmethod
    def _arm_counts(result, arm) -> tuple[float, float, float, float]:
        row = result.summary.loc[arm]
        return (float(row["n"]), float(row["retained"]), float(row["control_n"]), float(row["control_retained"]))

    # -- plots ---------------------------------------------------------------------
    def plot_difference(self, ax=None, **kwargs):
        """Treatment minus control at the horizon, with its interval, one line per arm.

        ``kwargs`` go to the differences' points and intervals (``Axes.errorbar``), e.g.
        ``color=`` or ``label=``. Returns the Axes."""
        from matplotlib.lines import Line2D

        from .plotting import artist_kwargs, get_axes, label

        ax = get_axes(ax)
        s = self.summary
        y = np.arange(len(s))[::-1]
        diff, lower, upper = (s[c].to_numpy(dtype=float) * 100 for c in ("diff", "ci_lower", "ci_upper"))
        ax.errorbar(diff, y, xerr=[diff - lower, upper - diff], **artist_kwargs(kwargs, Line2D, fmt="o", capsize=4))
        for d, lo, hi, yy in zip(diff, lower, upper, y):
            ax.annotate(f"{d:+.1f} ({lo:+.1f} to {hi:+.1f})", (d, yy), textcoords="offset points",
                        xytext=(0, 8), ha="center", fontsize=9)
        ax.axvline(0, color="grey", lw=1, ls="--")
        ax.set_yticks(y, [str(a) for a in s.index])
        ax.set_ylim(-0.6, len(s) - 0.3)  # room above the top arm for its numbers
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos=None: "0" if v == 0 else f"{v:+g} pp"))
        return label(ax, title=f"Retention {_horizon_words(self.horizon)}: difference from {self.control}",
                     xlabel=f"treatment minus control (percentage points, {1 - self.alpha:.0%} CI)", ylabel="arm")

    def hazard_ratio_over_time(self, intervals: int = 4) -> pd.DataFrame:
        """Hazard ratio of each arm against control in ``intervals`` periods of follow-up.

        Piecewise-constant hazards: in each period, churn events over customer-days at risk
        per arm, and their ratio with a Wald interval on the log scale (se^2 = 1/d_arm +
        1/d_control). Period edges are quantiles of the churn times of all arms, so each
        period holds about the same number of events. The Cox hazard ratio is roughly a
        weighted average of these; when they differ, it hides how the effect changes.

        Returns
        -------
        DataFrame
            One row per arm and period: ``arm``, ``from_day``, ``to_day``, ``events``,
            ``control_events``, ``hazard_ratio``, ``ci_lower``, ``ci_upper``.
        """
        if self.lifetimes is None:
            raise ParameterError("This comparison was made from counts: there are no lifetimes. "
                                 "Use compare_retention(assignments, events) for the hazard ratio over time.")
        if isinstance(intervals, bool) or not isinstance(intervals, (int, np.integer)) or intervals < 1:
            raise ParameterError(f"intervals={intervals!r} must be a whole number of periods, at least 1.")
        life = self.lifetimes
        d, e = life["duration"].to_numpy(float), life["churned"].to_numpy(bool)
        edges = np.unique(np.r_[0.0, np.quantile(d[e], np.linspace(0, 1, intervals + 1)[1:-1]), np.inf])
        z = stats.norm.isf(self.alpha / 2)
        rows = []

        def counts(mask, lo, hi):
            dd, ee = d[mask], e[mask]
            exposure = np.clip(np.minimum(dd, hi) - lo, 0, None).sum()
            events = int((ee & (dd > lo) & (dd <= hi)).sum()) if lo > 0 else int((ee & (dd <= hi)).sum())
            return events, exposure

        ctrl = (life["arm"] == self.control).to_numpy()
        for arm in self.summary.index:
            mine = (life["arm"] == arm).to_numpy()
            for lo, hi in zip(edges[:-1], edges[1:]):
                d_a, x_a = counts(mine, lo, hi)
                d_c, x_c = counts(ctrl, lo, hi)
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = (d_a / x_a) / (d_c / x_c) if d_a and d_c else np.nan
                    se = math.sqrt(1 / d_a + 1 / d_c) if d_a and d_c else np.nan
                rows.append({"arm": arm, "from_day": lo, "to_day": hi, "events": d_a, "control_events": d_c,
                             "hazard_ratio": ratio, "ci_lower": ratio * math.exp(-z * se),
                             "ci_upper": ratio * math.exp(z * se)})
        return pd.DataFrame(rows)

    def plot_hazard_ratio(self, ax=None, *, intervals: int = 4, **kwargs):
        """The hazard ratio period by period (see :meth:`hazard_ratio_over_time`), with the
        Cox time average as a dashed line: flat means proportional hazards hold.

        ``kwargs`` go to each arm's per-period points and intervals (``Axes.errorbar``), e.g.
        ``color=`` or ``label=`` (the arm's time-average line follows its colour). Returns the Axes."""
        from matplotlib.lines import Line2D

        from .plotting import artist_kwargs, get_axes, label

        table = self.hazard_ratio_over_time(intervals)
        ax = get_axes(ax)
        for k, (arm, part) in enumerate(table.groupby("arm", sort=False)):
            top = np.where(np.isfinite(part["to_day"]), part["to_day"],
                           max(part["from_day"].max() * 1.5, part["from_day"].max() + 30))
            mid = (part["from_day"].to_numpy() + top) / 2
            hr = part["hazard_ratio"].to_numpy()
            line = ax.errorbar(mid, hr, yerr=[hr - part["ci_lower"], part["ci_upper"] - hr],
                               **artist_kwargs(kwargs, Line2D, fmt="o-", capsize=3, label=f"{arm}: per period"))
            avg = self.summary.loc[arm, "hazard_ratio"]
            ax.axhline(avg, ls="--", lw=1, color=line[0].get_color(), label=f"{arm}: time average {avg:.2f}")
        ax.axhline(1.0, color="grey", lw=0.8, ls=":", label="1 = same hazard as control")
        ax.set_yscale("log")
        from .plotting import legend_outside, ratio_axis

        ratio_axis(ax, "y")
        legend_outside(ax)
        return label(ax, title=f"Hazard ratio against {self.control} over time",
                     xlabel="days since assignment (middle of the period)",
                     ylabel=f"hazard ratio (log scale)\n> 1: churns sooner than {self.control}")

    def plot_curves(self, ax=None, *, at_risk: bool = True, ci_show: bool = True, xticks=None, **kwargs):
        """Kaplan-Meier retention curves per arm with confidence bands; the horizon is marked.

        ``at_risk``, ``ci_show``, ``xticks``: as in :meth:`SurvivalCurves.plot`. ``kwargs`` go
        to each arm's Kaplan-Meier line (``Axes.plot``, through :meth:`SurvivalCurves.plot`),
        e.g. ``lw=``. Returns the Axes."""
        from .plotting import get_axes, label, percent_axis

        if self.curves is None:
            raise ParameterError("This comparison was made from counts: there are no curves to plot. "
                                 "Use compare_retention(assignments, events) for the curves.")
        ax = get_axes(ax)
        self.curves.plot(ax, at_risk=at_risk, ci_show=ci_show, xticks=xticks, **kwargs)
        if self.horizon is not None:
            ax.axvline(_days(self.horizon), color="grey", lw=1, ls=":", label=f"horizon ({_days(self.horizon):g} d)")
        from .plotting import legend_outside

        legend_outside(ax)
        percent_axis(ax)
        return label(ax, title="Retention by arm since assignment (Kaplan-Meier)",
                     xlabel="days since assignment", ylabel="share still active")


def _eq(text: str) -> str:
    return text if text[0] in "<>" else f"= {text}"


def _points(v: float) -> str:
    """A rate difference in percentage points, for sentences."""
    return "< 0.01 points" if 0 <= v < 5e-5 else f"{v * 100:.2f} points"


def _pct(v: float) -> str:
    return "–" if not np.isfinite(v) else f"{v:.1%}"


# ---------------------------------------------------------------------------------------
# From counts
# ---------------------------------------------------------------------------------------

def _read_counts(counts) -> pd.DataFrame:
    """``{arm: (n, retained)}`` or a DataFrame with ``n`` and ``retained`` columns -> frame."""
    if isinstance(counts, pd.DataFrame):
        missing = [c for c in ("n", "retained") if c not in counts.columns]
        if missing:
            raise DataError(f"counts is missing the column(s) {missing}; it needs 'n' and 'retained', "
                            "indexed by arm.")
        frame = counts[["n", "retained"]].copy()
    elif isinstance(counts, dict):
        rows = {}
        for arm, value in counts.items():
            try:
                n, retained = value
            except (TypeError, ValueError):
                raise DataError(f"counts[{arm!r}] = {value!r}: give (n, retained), e.g. "
                                "{'control': (1200, 420), 'loyalty': (1180, 470)}.") from None
            rows[arm] = (n, retained)
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=["n", "retained"])
    else:
        raise DataError(f"counts must be a dict {{arm: (n, retained)}} or a DataFrame, got {type(counts).__name__}.")
    for col in ("n", "retained"):
        raw = frame[col]
        flags = raw.map(lambda v: isinstance(v, (bool, np.bool_)))
        if pd.api.types.is_bool_dtype(raw) or flags.any():
            arm = frame.index[flags][0] if flags.any() else frame.index[0]
            raise DataError(f"counts: {col} of arm {arm!r} is {raw.loc[arm]!r}, a boolean; {col} must be a "
                            "count of customers (a whole number >= 0), not a flag.")
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        # Beyond 2**63 the int64 cast would wrap to a negative number; no experiment is that big.
        bad = (values.isna() | ~np.isfinite(values) | (values < 0) | (values != np.round(values))
               | (values >= 2.0 ** 63))
        if bad.any():
            arm = frame.index[bad][0]
            value = frame.loc[arm, col]
            value = value.item() if hasattr(value, "item") else value
            raise DataError(f"counts: {col} of arm {arm!r} is {value!r}; {col} must be a "
                            f"whole number >= 0 ({int(bad.sum())} arm(s) affected).")
        frame[col] = values.astype(np.int64)
    over = frame["retained"] > frame["n"]
    if over.any():
        arm = frame.index[over][0]
        raise DataError(f"counts: arm {arm!r} has retained={frame.loc[arm, 'retained']:,} > "
                        f"n={frame.loc[arm, 'n']:,}; retained counts customers among n.")
    frame.index = frame.index.map(str) if frame.index.dtype == object else frame.index
    frame.index.name = "arm"
    return frame


def _check_control(control, arms) -> None:
    arms = list(arms)
    if control not in arms:
        close = difflib.get_close_matches(str(control), [str(a) for a in arms], n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ParameterError(f"control={control!r} is not one of the arms {arms}.{hint} "
                             "Pass control='<name of the control arm>'.")
    if len(arms) < 2:
        raise DataError(f"Only one arm ({arms[0]!r}) in the data: there is nothing to compare.")


def _read_prior(prior) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in prior)
    except (TypeError, ValueError):
        raise ParameterError(f"prior={prior!r} must be a pair (a, b) of Beta parameters, e.g. (1, 1).") from None
    if not (a > 0 and b > 0 and np.isfinite(a) and np.isfinite(b)):
        raise ParameterError(f"prior={prior!r}: both Beta parameters must be positive, e.g. (1, 1).")
    return a, b


def _fixed_horizon(counts: pd.DataFrame, control, *, alpha, ci_method, correction, prior, notes) -> pd.DataFrame:
    """The fixed-horizon columns of the summary, one row per treatment arm."""
    treat = counts.drop(index=control)
    n_c, x_c = int(counts.loc[control, "n"]), int(counts.loc[control, "retained"])
    stats2 = _two_proportions(treat["n"], treat["retained"], n_c, x_c, alpha=alpha, ci_method=ci_method)
    out = pd.DataFrame(index=treat.index)
    out["n"] = treat["n"].astype(np.int64)
    out["retained"] = treat["retained"].astype(np.int64)
    out["rate"] = stats2["rate_t"]
    out["control_n"] = n_c
    out["control_retained"] = x_c
    out["control_rate"] = stats2["rate_c"]
    out["diff"] = stats2["diff"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["relative_diff"] = stats2["diff"] / stats2["rate_c"]
    out["ci_lower"], out["ci_upper"] = stats2["ci_lower"], stats2["ci_upper"]
    out["p_value"] = stats2["p_value"]
    out["p_value_adjusted"] = adjust_p_values(out["p_value"].to_numpy(), correction=correction)
    level = _family_alpha(out["p_value_adjusted"], alpha, correction)
    wide = _two_proportions(treat["n"], treat["retained"], n_c, x_c, alpha=level, ci_method=ci_method)
    out["ci_lower_adjusted"], out["ci_upper_adjusted"] = wide["ci_lower"], wide["ci_upper"]
    a0, b0 = prior
    exact, beat, loss = [], [], []
    for arm, row in treat.iterrows():
        n_t, x_t = int(row["n"]), int(row["retained"])
        exact.append(stats.fisher_exact([[x_t, n_t - x_t], [x_c, n_c - x_c]])[1] if n_t and n_c else np.nan)
        p_beat, e_loss = _beta_compare(a0 + x_t, b0 + n_t - x_t, a0 + x_c, b0 + n_c - x_c)
        beat.append(p_beat)
        loss.append(e_loss)
    out["exact_p_value"], out["prob_beat_control"], out["expected_loss"] = exact, beat, loss
    out["exact_p_value_adjusted"] = adjust_p_values(out["exact_p_value"].to_numpy(float), correction=correction)
    _warn_small(out, alpha, ci_method, notes)
    return out


def _family_alpha(p_adjusted, alpha: float, correction: str) -> float:
    """Per-interval level that matches the correction of a family of m tests.

    Holm and Bonferroni: alpha / m, the simultaneous (Bonferroni) intervals, which cover
    all m differences at once with probability >= 1 - alpha. Benjamini-Hochberg: R alpha / m
    with R the number of tests it rejects (at least 1), the false-coverage-rate intervals of
    Benjamini & Yekutieli (2005, JASA 100, 71-81). No correction, or one test: alpha.

    Examples
    --------
    >>> _family_alpha([0.01, 0.2, 0.5], 0.05, "holm")  # 0.05 / 3
    0.016666666666666666
    >>> _family_alpha([0.01, 0.04, 0.5], 0.05, "bh")  # 2 rejected: 2 * 0.05 / 3
    0.03333333333333333
    """
    p = np.asarray(p_adjusted, dtype=float)
    m = int(np.isfinite(p).sum())
    if m <= 1 or correction == "none":
        return alpha
    if correction == "bh":
        return max(int((p < alpha).sum()), 1) * alpha / m
    return alpha / m


def _adjust_curves(summary: pd.DataFrame, alpha: float, correction: str) -> None:
    """Adjust the whole-curve families across arms, with intervals to match (in place)."""
    z = stats.norm.isf(alpha / 2)
    for name in ("logrank", "rmst", "hr"):
        summary[f"{name}_p_value_adjusted"] = adjust_p_values(summary[f"{name}_p_value"].to_numpy(float),
                                                              correction=correction)

    # RMST: difference +- z se; hazard ratio: exp(log HR +- z se). Recover se from the intervals.
    z_rmst = stats.norm.isf(_family_alpha(summary["rmst_p_value_adjusted"], alpha, correction) / 2)
    se = (summary["rmst_ci_upper"] - summary["rmst_ci_lower"]) / (2 * z)
    summary["rmst_ci_lower_adjusted"] = summary["rmst_diff"] - z_rmst * se
    summary["rmst_ci_upper_adjusted"] = summary["rmst_diff"] + z_rmst * se
    z_hr = stats.norm.isf(_family_alpha(summary["hr_p_value_adjusted"], alpha, correction) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_hr = np.log(summary["hazard_ratio"])
        se = (np.log(summary["hr_ci_upper"]) - np.log(summary["hr_ci_lower"])) / (2 * z)
    summary["hr_ci_lower_adjusted"] = np.exp(log_hr - z_hr * se)
    summary["hr_ci_upper_adjusted"] = np.exp(log_hr + z_hr * se)


def _resolve_primary(primary, has_curves: bool) -> str:
    key = str(primary).strip().lower()
    if key not in _PRIMARY_ALIASES:
        close = difflib.get_close_matches(key, list(_PRIMARY), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ParameterError(f"primary={primary!r} is not an option.{hint} Use one of {list(_PRIMARY)}.")
    key = _PRIMARY_ALIASES[key]
    if key != "fixed_horizon" and not has_curves:
        raise ParameterError(f"primary={primary!r} needs the survival curves, which counts do not have: "
                             "use primary='fixed_horizon' with compare_retention_counts, or "
                             "compare_retention(assignments, events) for the curves.")
    return key


def _add_verdicts(summary: pd.DataFrame, primary: str, alpha: float) -> None:
    """``primary_p_value`` (adjusted across arms) and ``verdict`` per arm, in place.

    The verdict follows the declared primary test only: "better" or "worse" when its
    adjusted p-value is below alpha (the direction from its own estimate: the rate
    difference, the RMST difference, or the hazard ratio for the log-rank test), else
    "no clear difference"; "not available" when the test could not be computed.
    """
    p = summary[_PRIMARY[primary][0] + "_adjusted"].to_numpy(float)
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


def _warn(category, message: str, notes: list) -> None:
    notes.append(message)
    warnings.warn(category(message), stacklevel=caller_stacklevel())



def _warn_small(out: pd.DataFrame, alpha, ci_method, notes) -> None:
    """Warn where the normal approximations are unreliable (an expected cell below 5)."""
    for arm, row in out.iterrows():
        n_t, n_c = row["n"], row["control_n"]
        if n_t == 0 or n_c == 0:
            empty = arm if n_t == 0 else "the control arm"
            _warn(SmallSampleWarning, f"{arm} vs control: {empty} has no mature customers, so the "
                  "fixed-horizon statistics are NaN. Wait until customers mature or shorten the horizon.", notes)
            continue
        pooled = (row["retained"] + row["control_retained"]) / (n_t + n_c)
        smallest = min(n_t, n_c) * min(pooled, 1 - pooled)
        if smallest >= 5:
            continue
        other = "wald" if ci_method == "newcombe" else "newcombe"
        alt = _two_proportions(n_t, row["retained"], n_c, row["control_retained"], alpha=alpha, ci_method=other)
        _warn(SmallSampleWarning,
              f"{arm} vs control: an expected count of only {smallest:.1f} retained or lost customers "
              f"(below 5), so the approximate methods may disagree: z-test p {_p_is(row['p_value'])} vs "
              f"Fisher's exact p {_p_is(row['exact_p_value'])}; {ci_method} CI "
              f"{row['ci_lower'] * 100:+.1f} to {row['ci_upper'] * 100:+.1f} points vs {other} "
              f"{float(alt['ci_lower']) * 100:+.1f} to {float(alt['ci_upper']) * 100:+.1f}. "
              "Prefer the exact test and collect more customers.", notes)


def _warn_srm(srm: SampleRatioCheck, notes) -> None:
    if srm.mismatch:
        _warn(SampleRatioMismatchWarning,
              f"Sample ratio mismatch: the arms' sizes {srm.observed.to_dict()} differ from the planned split "
              f"{srm.planned_split.round(3).to_dict()} (chi-square p {_p_is(srm.p_value)}, below {SRM_THRESHOLD}). "
              "Randomisation, logging or filtering is broken: do not trust this comparison until the "
              "cause is found.", notes)


def _warn_peeking(counts: pd.DataFrame, planned_n, looks, alpha, notes) -> None:
    if planned_n is None:
        return
    if isinstance(planned_n, SampleSizePlan):
        planned_n = planned_n.n_control
    if not (_is_number(planned_n) and planned_n > 0 and np.isfinite(planned_n)):
        raise ParameterError(f"planned_n={planned_n!r} must be the planned number of mature customers per "
                             "arm (an int, or the SampleSizePlan from rk.sample_size).")
    smallest = int(counts["n"].min())
    if smallest >= planned_n:
        return
    if looks is not None:
        rate = peeking_false_positive_rate(looks, alpha=alpha)
        how = (f"With {looks} look(s) at alpha = {alpha:g}, stopping at the first significant one, the "
               f"false-positive rate is {rate:.1%}, not {alpha:.0%}.")
    else:
        rates = ", ".join(f"{k} looks {peeking_false_positive_rate(k, alpha=alpha):.1%}" for k in (2, 5, 10))
        how = (f"Stopping at the first significant look inflates the false-positive rate of a test at "
               f"{alpha:.0%}: {rates}.")
    _warn(PeekingWarning,
          f"Peeking: the smallest arm has {smallest:,} mature customers of the planned {int(planned_n):,}. {how} "
          "Decide only at the planned sample size (or use a sequential design).", notes)


@legacy_arguments(positional=("control",))
def compare_retention_counts(counts, *, control: str = "control", alpha: float = 0.05,
                             ci_method: str = "newcombe", correction: str = "holm", prior=(1.0, 1.0),
                             planned_split=None, planned_n=None, looks: int | None = None,
                             primary: str = "fixed_horizon") -> RetentionComparison:
    """Compare retention rates from aggregated counts (computed in a warehouse, say).

    Each arm gives ``(n, retained)``: the number of *mature* customers (``start + H + w <=
    as_of``: their horizon H and the window w after it have elapsed) and how many of them
    had activity in ``(start + H, start + H + w]`` (see the module docstring; w is usually
    ``churn_after``). Counting "retained" with an open end (any activity after H up to
    the as-of date) makes the rate grow with the date of the query. The result is the
    fixed-horizon part of :func:`compare_retention`: the sample ratio check is made on these ``n``.

    Parameters
    ----------
    counts : dict or DataFrame
        ``{arm: (n, retained)}``, or a DataFrame indexed by arm with columns ``n``, ``retained``.
    control : str
        The control arm; every other arm is compared with it.
    alpha : float
        Significance level; intervals have confidence ``1 - alpha``.
    ci_method : {"newcombe", "wald"}
        Interval for the difference: Newcombe's hybrid score (sound for small counts and
        rates near 0 or 1) or the textbook Wald interval.
    correction : {"holm", "bh", "bonferroni", "none"}
        Adjustment of the p-values for several treatment arms; ``ci_lower_adjusted`` and
        ``ci_upper_adjusted`` are the matching intervals.
    prior : (a, b)
        Beta prior of every arm's retention rate for the Bayesian view (uniform by default).
    planned_split : dict, optional
        Planned share per arm for the sample ratio check; equal shares by default.
    planned_n : int or SampleSizePlan, optional
        Planned mature customers per arm: comparing earlier raises a :class:`PeekingWarning`.
    looks : int, optional
        How many times the result has been looked at, for the peeking warning.
    primary : {"fixed_horizon"}
        The analysis behind ``verdict``; counts have only the fixed-horizon test.

    Returns
    -------
    RetentionComparison

    Examples
    --------
    >>> res = compare_retention_counts({"control": (1000, 300), "loyalty": (1000, 350)})
    >>> row = res.summary.loc["loyalty"]
    >>> round(float(row["diff"]), 3), round(float(row["p_value"]), 4)  # z = 0.05 / sqrt(.325*.675*2/1000)
    (0.05, 0.017)
    >>> round(float(row["ci_lower"]), 4), round(float(row["ci_upper"]), 4)
    (0.0089, 0.0908)
    """
    alpha = _check_alpha(alpha)
    ci_method = _choose(ci_method, _CI_METHODS, "ci_method")
    correction = resolve_correction(correction)
    prior = _read_prior(prior)
    primary = _resolve_primary(primary, has_curves=False)
    table = _read_counts(counts)
    _check_control(control, table.index)
    if looks is not None and planned_n is None:
        raise ParameterError("looks is only used with planned_n (the planned customers per arm).")
    notes: list[str] = []
    srm = sample_ratio_check(table["n"], planned_split=planned_split)
    _warn_srm(srm, notes)
    _warn_peeking(table, planned_n, looks, alpha, notes)
    summary = _fixed_horizon(table, control, alpha=alpha, ci_method=ci_method, correction=correction,
                             prior=prior, notes=notes)
    _add_verdicts(summary, primary, alpha)
    return RetentionComparison(table=summary, control=control, control_n=int(table.loc[control, "n"]),
                               alpha=alpha, ci_method=ci_method, correction=correction, prior=prior,
                               srm=srm, notes=notes, primary=primary)



def compare_retained(data: pd.DataFrame, *, arm_col: str = "arm", retained_col: str = "retained",
                     customer_col: str | None = None, control: str = "control", alpha: float = 0.05,
                     ci_method: str = "newcombe", correction: str = "holm", prior=(1.0, 1.0),
                     planned_split=None, planned_n=None, looks: int | None = None,
                     primary: str = "fixed_horizon") -> RetentionComparison:
    """Compare retention from one row per customer: the arm and a retained flag.

    The per-customer form of :func:`compare_retention_counts` (an A/B export without
    timestamps, e.g. a game's ``version`` and ``retention_7``): the rows are counted per
    arm and compared exactly as the counts ``{arm: (n, retained)}`` would be. As there,
    every row must be a *mature* customer, one whose horizon and window have elapsed.

    Parameters
    ----------
    data : DataFrame
        One row per customer with ``arm_col`` and ``retained_col``.
    arm_col : str
        The column of the experiment's arm.
    retained_col : str
        The retained flag: True/False, 1/0 or text Yes/No, True/False, retained/churned (any
        case). Anything else, missing values included, is refused with the values and their count.
    customer_col : str, optional
        The customer id column; given, a customer in two rows is refused (it would be counted twice).
    control, alpha, ci_method, correction, prior, planned_split, planned_n, looks, primary
        As in :func:`compare_retention_counts`.

    Returns
    -------
    RetentionComparison

    Examples
    --------
    >>> table = pd.DataFrame({"version": ["gate_30"] * 100 + ["gate_40"] * 100,
    ...                       "retention_7": ["Yes"] * 40 + ["No"] * 60 + ["Yes"] * 50 + ["No"] * 50})
    >>> res = compare_retained(table, arm_col="version", retained_col="retention_7", control="gate_30")
    >>> res.summary.loc["gate_40", ["n", "retained"]].astype(int).tolist()
    [100, 50]
    >>> same = compare_retention_counts({"gate_30": (100, 40), "gate_40": (100, 50)}, control="gate_30")
    >>> res.summary.equals(same.summary)
    True
    """
    from .validation import parse_flags, plain_ids, require_columns

    require_columns(data, {"arm_col": arm_col, "retained_col": retained_col, "customer_col": customer_col},
                    what="data")
    if len(data) == 0:
        raise DataError("data is empty (0 rows): there is no experiment to analyse.")
    no_arm = data[arm_col].isna()
    if no_arm.any():
        raise DataError(f"Column {arm_col!r} (arm_col) is missing in {int(no_arm.sum()):,} of {len(data):,} rows "
                        f"(first at index {data.index[no_arm.to_numpy()][0]!r}): every customer needs an arm. "
                        f"Drop or fix those rows, e.g. data = data.dropna(subset=[{arm_col!r}]).")
    if customer_col is not None:
        ids = data[customer_col]
        if ids.isna().any():
            raise DataError(f"Column {customer_col!r} (customer_col) is missing in {int(ids.isna().sum()):,} rows: "
                            f"every row is one customer. Drop or fix those rows, e.g. "
                            f"data = data.dropna(subset=[{customer_col!r}]).")
        ids = plain_ids(ids, customer_col)
        dup = ids.duplicated(keep=False)
        if dup.any():
            example = ids[dup].iloc[0]
            raise DataError(
                f"Column {customer_col!r} (customer_col) repeats {int(ids[dup].nunique()):,} customers in "
                f"{int(dup.sum()):,} rows (for example {example!r}, in arms "
                f"{data.loc[(ids == example).to_numpy(), arm_col].tolist()}): each customer is counted once. "
                f"Keep one row per customer (data.drop_duplicates({customer_col!r})) and investigate "
                "customers in two arms: they break the randomisation.")
    retained = parse_flags(data[retained_col], retained_col, what="retained flag (retained_col)",
                           true_word="retained", false_word="churned")
    arms = data[arm_col].to_numpy()
    counts = (pd.DataFrame({"arm": arms, "retained": retained.astype(np.int64)})
              .groupby("arm", sort=True, observed=True)["retained"].agg(["size", "sum"])
              .rename(columns={"size": "n", "sum": "retained"}))
    return compare_retention_counts(counts, control=control, alpha=alpha, ci_method=ci_method,
                                    correction=correction, prior=prior, planned_split=planned_split,
                                    planned_n=planned_n, looks=looks, primary=primary)


# ---------------------------------------------------------------------------------------
# From raw logs
# ---------------------------------------------------------------------------------------

#: Said whenever compare_retention finds no usable time column (issue 13).
NO_TIMES_HINT = (" Without dates (one row per customer with an arm and a retained flag), compare with "
                 "rk.compare_retained(table, arm_col='arm', retained_col='retained', control='control'), "
                 "or from counts per arm with rk.compare_retention_counts({'control': (n, retained), ...}, "
                 "control='control').")


def _no_time_column(frame, col, what) -> None:
    """Refuse a frame without its time column, pointing to the comparisons that need none."""
    from .validation import missing_column_message

    if isinstance(frame, pd.DataFrame) and col not in frame.columns:
        raise DataError(missing_column_message("time_col", col, [str(c) for c in frame.columns], what)
                        + NO_TIMES_HINT)


def _read_assignments(assignments, customer_col, arm_col, time_col) -> pd.DataFrame:
    from .validation import plain_ids as _customer_ids, require_columns

    require_columns(assignments, {"customer_col": customer_col, "arm_col": arm_col}, what="assignments")
    _no_time_column(assignments, time_col, "assignments")
    if len(assignments) == 0:
        raise DataError("assignments is empty (0 rows): there is no experiment to analyse.")
    frame = assignments[[customer_col, arm_col, time_col]]
    for col, what in ((customer_col, "customer id"), (arm_col, "arm")):
        missing = frame[col].isna()
        if missing.any():
            raise DataError(f"Column {col!r} of assignments has {int(missing.sum()):,} missing values "
                            f"(first at index {frame.index[missing][0]!r}): every assigned customer needs a "
                            f"{what}. Drop or fix those rows.")
    # The same id rules as the event log: "1" and 1 are refused, not two customers.
    frame = frame.assign(**{customer_col: _customer_ids(frame[customer_col], customer_col)})
    dup = frame[customer_col].duplicated(keep=False)
    if dup.any():
        example = frame.loc[dup, customer_col].iloc[0]
        arms = frame.loc[frame[customer_col] == example, arm_col].tolist()
        raise DataError(
            f"Column {customer_col!r} of assignments repeats {int(frame.loc[dup, customer_col].nunique()):,} "
            f"customers (for example {example!r}, assigned to {arms}). Each customer is assigned once; "
            "keep the first assignment (df.sort_values(time).drop_duplicates(customer, keep='first')) "
            "and investigate customers assigned to two arms: they break the randomisation.")
    return frame


def _lifetimes_from_table(lifetimes, assignments, *, customer_col, arm_col, time_col, as_of, churn_after):
    from .validation import require_columns

    life_id = customer_col
    if customer_col not in lifetimes.columns and "customer_id" in lifetimes.columns:
        life_id = "customer_id"  # customer_lifetimes names it so, whatever the log called it
    require_columns(lifetimes, {"customer_col": life_id}, what="lifetimes")
    try:
        require_columns(lifetimes, {"column 'start'": "start", "column 'duration'": "duration",
                                    "column 'churned'": "churned"}, what="lifetimes")
    except DataError as err:
        raise DataError(f"{err} compare_retention(lifetimes=) needs the lifetimes of rk.customer_lifetimes "
                        "(columns start, duration, churned)." + NO_TIMES_HINT) from None
    unit = lifetimes.attrs.get("time_unit", "days")
    if unit != "days":
        raise DataError(f"lifetimes are in {unit}; the comparison needs days: build them with "
                        "customer_lifetimes(..., unit='D').")
    known_gap = lifetimes.attrs.get("churn_after")
    if known_gap is not None and pd.Timedelta(known_gap) != churn_after:
        raise ParameterError(
            f"lifetimes were built with churn_after={pd.Timedelta(known_gap).days} days but churn_after="
            f"{churn_after.days} days was given: pass churn_after='{pd.Timedelta(known_gap).days}D' so "
            "maturity uses the same window.")
    life = lifetimes.rename(columns={life_id: "customer_id"}).copy()
    if arm_col not in life.columns:
        if assignments is None:
            raise DataError(f"lifetimes has no column {arm_col!r} (arm_col) and no assignments were given: "
                            "pass assignments or add the arm to lifetimes.")
        arms = assignments.set_index(customer_col)[arm_col]
        life[arm_col] = life["customer_id"].map(arms)
    if assignments is not None:
        missing = ~assignments[customer_col].isin(life["customer_id"])
        info = metadata(lifetimes)
        if missing.any() and info.get("as_of") is not None and info.get("churn_after") is not None:
            # Customers who started after the detection limit are left out of lifetimes on
            # purpose (not yet classifiable); only the others are missing.
            limit = info["as_of"] - info["churn_after"]
            missing &= ~(_assignment_times(assignments, customer_col, time_col) > limit).to_numpy()
        if missing.any():
            raise DataError(
                f"lifetimes has no row for {int(missing.sum()):,} assigned customers (for example "
                f"{assignments.loc[missing, customer_col].iloc[0]!r}). Dropping them would bias the "
                "comparison (typically they never came back): build lifetimes with "
                "customer_lifetimes(events, churn_after=..., start_times=assignments).")
    no_arm = life[arm_col].isna()
    if no_arm.any():
        raise DataError(f"{int(no_arm.sum()):,} lifetimes have no arm (for example customer "
                        f"{life.loc[no_arm, 'customer_id'].iloc[0]!r}): they are not in the experiment. "
                        "Keep only assigned customers.")
    if as_of is None:
        as_of = lifetimes.attrs.get("as_of")
    if as_of is None:
        # Where censored lifetimes end depends on how the table was built: ask for as_of.
        raise ParameterError(
            "as_of is needed with a lifetimes table that does not carry it (lifetimes.attrs"
            "['as_of'], set by rk.customer_lifetimes): pass as_of='YYYY-MM-DD', the end of "
            "observation the lifetimes were computed at.")
    life["start"] = pd.to_datetime(life["start"])
    return life, pd.Timestamp(as_of), metadata(lifetimes).get("data_quality")


def _whole_curve(life: pd.DataFrame, control, treatments, *, rmst_days, alpha, notes) -> tuple:
    curves = kaplan_meier(life, by="arm", alpha=alpha)
    rows = {}
    ctrl = life[life["arm"] == control]
    for arm in treatments:
        pair = life[life["arm"].isin([control, arm])]
        one = life[life["arm"] == arm]
        test = logrank(pair, by="arm")
        diff = rmst_difference(pair, by="arm", horizon=rmst_days, alpha=alpha, labels=(str(control), str(arm)),
                               time_unit="days")
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
            _warn(ProportionalHazardsWarning,
                  f"{arm} vs control: proportional hazards doubtful (p {_p_is(cox['ph_p_value'])}): the hazard "
                  f"ratio {cox['hazard_ratio']:.2f} is a time average over the follow-up and the effect changes "
                  "over time. See .plot_hazard_ratio() for the ratio period by period, and the curves and the "
                  "RMST difference for the size.", notes)
        rows[arm] = row
    return curves, pd.DataFrame.from_dict(rows, orient="index")


@legacy_arguments(positional=("horizon", "control"))
def compare_retention(assignments=None, events=None, *, horizon="30D", control: str = "control",
                      churn_after=None, window=None, as_of=None, primary: str = "fixed_horizon",
                      planned_split=None, correction: str = "holm",
                      alpha: float = 0.05, ci_method: str = "newcombe", prior=(1.0, 1.0), rmst_horizon=None,
                      planned_n=None, looks: int | None = None, customer_col: str = "customer_id",
                      arm_col: str = "arm", time_col: str = "date", lifetimes=None) -> RetentionComparison:
    """Compare retention between experiment arms, from assignments and the activity log.

    **Retained at the horizon H** means: some activity in ``(assignment + H, assignment +
    H + window]``, the ``window`` (w) after the horizon, which defaults to ``churn_after``.
    **Only mature customers** enter the fixed-horizon test: those with ``assignment + H + w
    <= as_of``, whose window has been observed in full, so their status is final: the same
    customers give the same rate at every later as-of date. The number left out as
    immature is reported and warned about, never counted as churned. The whole-curve part
    (Kaplan-Meier per arm, log-rank, RMST, Cox) uses every assigned customer, the immature
    ones as censored. The verdict follows one declared ``primary`` analysis.

    Parameters
    ----------
    assignments : DataFrame, optional
        One row per customer: ``customer_col``, ``arm_col`` and ``time_col`` (assignment
        time, where the customer's clock starts). Activity before it is ignored; assigned
        customers who never came back count (lifetime 0); customers assigned after
        ``as_of`` are left out with a :class:`DataQualityWarning`. Required with
        ``events``; with ``lifetimes`` it may be left out (``compare_retention(lifetimes=life, churn_after="30D")``).
        ``assignments`` and ``events`` are the data and may be given by position; every
        other argument is keyword-only (``horizon`` and ``control`` by position still work
        in 0.2.x, with a ``FutureWarning``).

    events : DataFrame, path, DuckDB relation, Polars or PySpark DataFrame
        The activity log (``customer_col``, ``time_col``). Not needed when ``lifetimes`` is given.
        Files (read by DuckDB), DuckDB, Polars and Spark inputs compute each assigned
        customer's first and last activity after assignment in their engine (through
        ``customer_lifetimes``); the comparison itself then runs in pandas, with the same
        result (see :mod:`retention_kit.engines`).
    horizon : int, str or Timedelta
        H, days as a number or a string such as ``"30D"`` or ``"8W"``.
    control : str
        The control arm; every other arm is compared with it (one summary row each).
    churn_after : int, str or Timedelta
        Silence after which a customer counts as churned (see ``customer_lifetimes``).
        Required, as in every function that classifies customers from their silence;
        leaving it out still means 30 days in 0.2.x, with a ``FutureWarning``, and is an
        error from 0.3.0.
    window : int, str or Timedelta, optional
        w, how long after the horizon activity counts as "retained at H"; ``churn_after``
        by default. Needs ``events``: with ``lifetimes`` alone the window cannot be seen,
        and the open-ended rule (any activity after H up to ``as_of``) is used with a
        :class:`RetentionWarning` saying that its rate depends on the as-of date.
    as_of : date-like, optional
        End of observation; the last event by default.
    primary : {"fixed_horizon", "rmst", "logrank"}
        The analysis that decides the ``verdict`` column and leads ``explain()``, declared
        before looking: the fixed-horizon rate difference (pooled z-test, the test
        :func:`sample_size` plans), the RMST difference up to ``rmst_horizon``, or the
        log-rank test of the whole curve. The others are supporting evidence.
    planned_split : dict, optional
        Planned share per arm for the sample ratio check (equal by default).
    correction : {"holm", "bh", "bonferroni", "none"}
        Adjustment across treatment arms, applied to every family of p-values (fixed
        horizon, Fisher, log-rank, RMST, hazard ratio); the ``*_adjusted`` intervals match
        it (see the module docstring). Nothing changes with one treatment arm.
    alpha : float
        Significance level; every unadjusted interval has confidence ``1 - alpha``.
    ci_method : {"newcombe", "wald"}
        Interval for the difference of rates.
    prior : (a, b)
        Beta prior of each arm's retention rate for the Bayesian view.
    rmst_horizon : int, str or Timedelta, optional
        Horizon of the restricted mean survival time; ``horizon`` by default.
    planned_n : int or SampleSizePlan, optional
        Planned mature customers per arm; comparing before reaching it raises a
        :class:`PeekingWarning` with the inflated false-positive rate.
    looks : int, optional
        Number of looks so far (including this one), for the peeking warning.
    customer_col, arm_col, time_col : str
        Column names, the same in ``assignments`` and ``events``.
    lifetimes : DataFrame, optional
        Ready lifetimes from ``customer_lifetimes(events, start_times=assignments, ...)``,
        with ``arm_col`` or joined to ``assignments`` by customer.

    Returns
    -------
    RetentionComparison

    Warns
    -----
    ImmatureDataWarning, SampleRatioMismatchWarning, SmallSampleWarning, PeekingWarning,
    ProportionalHazardsWarning

    Examples
    --------
    >>> import warnings
    >>> import retention_kit as rk
    >>> shop = rk.load_coffee_shop()
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", rk.ImmatureDataWarning)
    ...     res = rk.compare_retention(shop.assignments, shop.transactions, horizon="30D",
    ...                                churn_after="30D")
    >>> row = res.summary.loc["loyalty"]
    >>> int(row["control_n"]), int(row["n"]), round(float(row["control_rate"]), 3), round(float(row["rate"]), 3)
    (1529, 1471, 0.629, 0.689)
    >>> round(float(row["ci_lower"]), 3), round(float(row["ci_upper"]), 3), round(float(row["hazard_ratio"]), 2)
    (0.026, 0.094, 0.71)
    >>> row["verdict"]  # the primary analysis (fixed horizon) decides
    'better'

    The simulator's truth for the same window (a purchase in days 30-60 after assignment)
    is 0.606 and 0.680, a difference of 0.075, inside the interval (see
    ``tests/test_estimands.py``).
    """
    horizon_td = parse_duration(horizon, name="horizon")
    if churn_after is None:
        warnings.warn(f"compare_retention() without churn_after= is deprecated and stops working in {removed_in()}, "
                      "as in customer_lifetimes() and survival_table(): pass churn_after='30D' for the "
                      "result of the old default.", FutureWarning, stacklevel=caller_stacklevel())

        churn_after = "30D"
    churn_td = parse_duration(churn_after, name="churn_after")
    window_td = churn_td if window is None else parse_duration(window, name="window")

    if window_td <= pd.Timedelta(0):
        raise ParameterError(f"window={window!r} must be a positive duration, e.g. '30D' (the default is "
                             "churn_after).")
    rmst_td = horizon_td if rmst_horizon is None else parse_duration(rmst_horizon, name="rmst_horizon")
    primary = _resolve_primary(primary, has_curves=True)
    alpha = _check_alpha(alpha)
    ci_method = _choose(ci_method, _CI_METHODS, "ci_method")
    correction = resolve_correction(correction)
    prior = _read_prior(prior)
    if looks is not None and planned_n is None:
        raise ParameterError("looks is only used with planned_n (the planned customers per arm).")

    frame = None if assignments is None else _read_assignments(assignments, customer_col, arm_col, time_col)
    if lifetimes is None:
        if events is None:
            raise ParameterError("Give the activity log (events=...) or ready lifetimes (lifetimes=...).")
        if frame is None:
            raise ParameterError("assignments are required with events: they say who is in which arm and "
                                 "when each customer's clock starts.")
        _no_time_column(events, time_col, "events")
        life = customer_lifetimes(events, churn_after=churn_td, as_of=as_of, customer_col=customer_col,
                                  time_col=time_col, start_times=frame, by=[arm_col])
        info = metadata(life)
        as_of_ts, quality = info["as_of"], info["data_quality"]
    else:
        life, as_of_ts, quality = _lifetimes_from_table(lifetimes, frame, customer_col=customer_col,
                                                        arm_col=arm_col, time_col=time_col, as_of=as_of,
                                                        churn_after=churn_td)
    life = life.rename(columns={arm_col: "arm"}) if arm_col != "arm" else life
    _check_control(control, sorted(life["arm"].unique()))

    horizon_days = _days(horizon_td)
    notes: list[str] = []
    if events is not None:
        seen = _seen_in_window(events, life, horizon_td, window_td, as_of_ts, customer_col, time_col)
        mature_flags = ((life["start"] + horizon_td + window_td) <= as_of_ts).to_numpy()
    else:
        # Lifetimes alone carry only the first and last activity: the window cannot be seen.
        window_td = None
        seen = (~life["churned"].to_numpy(dtype=bool)) | (life["duration"].to_numpy() > horizon_days)
        mature_flags = ((life["start"] + horizon_td + churn_td) <= as_of_ts).to_numpy()
        _warn(RetentionWarning,
              f"Retention {_horizon_words(horizon_td)} is counted with an open end (any activity after the "
              f"horizon up to {as_of_ts:%Y-%m-%d}) because only lifetimes were given: the same customers' rate "
              "rises as data arrive, so it depends on the as-of date. Pass the activity log too "
              "(events=...) for the bounded window, whose rate never changes once customers are mature.", notes)
    # Retention at H is known only for mature customers; for the others it is NA, not False.
    retained = pd.array(np.asarray(seen, dtype=bool), dtype="boolean")
    retained[~mature_flags] = pd.NA
    life = life.assign(mature=mature_flags, retained=retained)
    arms = [control] + sorted(a for a in life["arm"].unique() if a != control)
    assigned = _assigned_by_arm(frame, life, arms, as_of_ts, customer_col, arm_col, time_col)
    mature = life[life["mature"]].groupby("arm")
    counts = pd.DataFrame({"n": mature.size(), "retained": mature["retained"].sum().astype(np.int64)})
    counts = counts.reindex(arms, fill_value=0)
    counts = counts.astype(np.int64)
    counts.index.name = "arm"
    immature = (assigned - counts["n"]).astype(np.int64)

    if immature.sum():
        wrong = ""
        if "last_activity" in life.columns:
            # The classic mistake: everyone assigned, "retained" only if already seen in the window.
            seen_after = pd.Series(np.asarray(seen, dtype=bool), index=life.index)
            naive = (seen_after.groupby(life["arm"]).mean()).reindex(arms)
            honest = counts["retained"] / counts["n"].where(counts["n"] > 0)
            wrong = " Counting them as churned would show " + "; ".join(
                f"{arm} {naive[arm]:.1%} instead of {honest[arm]:.1%}" for arm in arms) + "."
        _warn(ImmatureDataWarning,
              f"{int(immature.sum()):,} customers ({', '.join(f'{a} {int(k):,}' for a, k in immature.items())}) were "
              f"assigned less than {horizon_days:g} + {_days(window_td or churn_td):g} days before "
              f"{as_of_ts:%Y-%m-%d}: their "
              f"retention {_horizon_words(horizon_td)} is not known yet, so they are left out of the fixed-horizon "
              f"test (the curves use those who started before the detection limit, censored).{wrong}", notes)
    srm = sample_ratio_check(assigned, planned_split=planned_split)

    _warn_srm(srm, notes)
    _warn_peeking(counts, planned_n, looks, alpha, notes)
    summary = _fixed_horizon(counts, control, alpha=alpha, ci_method=ci_method, correction=correction,
                             prior=prior, notes=notes)
    summary["immature"] = immature.drop(index=control)
    curves, curve_table = _whole_curve(life, control, arms[1:], rmst_days=_days(rmst_td), alpha=alpha,
                                       notes=notes)
    summary = summary.join(curve_table[_CURVE_COLUMNS])
    _adjust_curves(summary, alpha, correction)
    _add_verdicts(summary, primary, alpha)
    return RetentionComparison(
        table=summary, control=control, control_n=int(counts.loc[control, "n"]), alpha=alpha,

        ci_method=ci_method, correction=correction, prior=prior, srm=srm, horizon=horizon_td,
        churn_after=churn_td, as_of=as_of_ts, rmst_horizon=rmst_td, curves=curves, lifetimes=life,
        data_quality=quality, immature=immature, notes=notes, primary=primary, window=window_td)


def _assignment_times(frame, customer_col, time_col) -> pd.Series:
    """Assignment times as naive datetimes (UTC for zone-aware input), by customer."""
    t = pd.to_datetime(frame[time_col], errors="coerce")
    if getattr(t.dt, "tz", None) is not None:
        t = t.dt.tz_convert("UTC").dt.tz_localize(None)
    return pd.Series(t.to_numpy(), index=frame[customer_col].to_numpy())


def _assigned_by_arm(frame, life, arms, as_of, customer_col, arm_col, time_col) -> pd.Series:
    """Customers assigned per arm by the as-of date: from the assignments when given, so the
    sample-ratio check and the immature counts include the customers who started too late
    to be classified (``customer_lifetimes`` leaves them out of the lifetimes)."""
    if frame is None:
        return life.groupby("arm").size().reindex(arms, fill_value=0)
    starts = _assignment_times(frame, customer_col, time_col)
    observed_until = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)  # the as-of day counts
    known = frame[customer_col].isin(life["customer_id"]).to_numpy()
    in_time = known | (starts < observed_until).to_numpy()
    return frame.loc[in_time].groupby(arm_col).size().reindex(arms, fill_value=0).rename_axis("arm")


def _seen_in_window(events, life, horizon, window, as_of, customer_col, time_col) -> np.ndarray:
    """Whether each customer of ``life`` has activity in ``(start + H, start + H + w]``.

    The first activity at or after ``start + H + 1 ns`` (strictly after the horizon), found
    by :func:`customer_lifetimes` with shifted start times, so it runs in any engine the
    log lives in. Customers whose horizon ends after ``as_of`` cannot have been seen.
    """
    after = life["start"] + horizon + pd.Timedelta(1, "ns")
    reached = (after <= as_of).to_numpy()
    seen = np.zeros(len(life), dtype=bool)
    if not reached.any():
        return seen
    shifted = pd.DataFrame({customer_col: life["customer_id"].to_numpy()[reached],
                            time_col: after.to_numpy()[reached]})
    with warnings.catch_warnings():
        # Customers of the log outside the experiment are left out here as in the main pass.
        warnings.simplefilter("ignore", RetentionWarning)
        # Only first_activity is used: a one-second churn_after keeps every shifted start
        # classifiable (customer_lifetimes leaves out starts after as_of - churn_after).
        # A log validated with its own as_of (rk.validate_events) keeps it: passing the resolved
        # instant again would be refused as a different as_of, though it is the same one.
        from .validation import EventLog

        door_as_of = isinstance(events, EventLog) and events._door_as_of is not None
        later = customer_lifetimes(events, churn_after=pd.Timedelta(seconds=1), as_of=None if door_as_of else as_of,
                                   customer_col=customer_col, time_col=time_col, start_times=shifted)
    first = pd.Series(pd.to_datetime(later["first_activity"]).to_numpy(), index=later["customer_id"].to_numpy())
    first = first.reindex(life["customer_id"].to_numpy()[reached]).to_numpy()
    limit = (life["start"] + horizon + window).to_numpy()[reached]
    seen[reached] = ~pd.isna(first) & (first <= limit)
    return seen
