"""Looking at an experiment more than once without inflating the false-positive rate.

Two ways to monitor a retention experiment while it runs:

* **Group-sequential boundaries** (:func:`spending_boundaries`, :func:`sequential_test`):
  decide in advance how much of the false-positive budget alpha each look may spend, as a
  function of the information fraction t (customers, or events, so far / planned). The
  Lan-DeMets spending functions (Lan & DeMets 1983, Biometrika 70, 659-663) are

  * O'Brien-Fleming type: ``alpha_1(t) = 2 - 2 Phi(z_{1 - a/2} / sqrt(t))`` for a one-sided
    level a. Almost nothing is spent early, so the final look keeps nearly the fixed-design
    critical value;
  * Pocock type: ``alpha(t) = alpha log(1 + (e - 1) t)``: spends evenly, so early stops are
    easier and the last look is stricter.

  A two-sided test at level alpha spends alpha/2 on each side with the one-sided function
  (the convention of gsDesign ``test.type = 2`` and rpact ``sided = 2``), so its boundaries
  are those of the one-sided alpha/2 design. The critical value at each look is found by
  exact recursive numerical integration of the running statistic (Armitage, McPherson &
  Rowe 1969; Jennison & Turnbull 2000, *Group Sequential Methods with Applications to
  Clinical Trials*, ch. 19), so boundaries exist at any information fractions, including
  looks that were not planned.

* **The classical constant boundaries** (:func:`classical_boundaries`): Pocock (1977)
  ``c_k = C_P`` and O'Brien & Fleming (1979) ``c_k = C_B sqrt(K / k)`` for K equally spaced
  looks; the constants are Jennison & Turnbull's Tables 2.1 and 2.3.

* **An always-valid confidence sequence** (:func:`confidence_sequence`) for a difference in
  retention rates: an interval that covers the true difference at every look at once, with
  probability 1 - alpha, however often and whenever one looks (the normal-mixture boundary
  of Robbins 1970 / Howard et al. 2021, Ann. Statist. 49, 1055-1080, in the asymptotic form
  of Waudby-Smith et al. 2023 used by GrowthBook and Eppo). It needs no plan of the looks;
  the price is a wider interval than the group-sequential one at the planned end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import DataError, ParameterError
from ._common import ResultMixin, check_positive, check_probability, check_sides, choose, fmt_p

__all__ = [
    "SequentialDesign",
    "FutilityDesign",
    "SequentialTest",
    "ConfidenceSequence",
    "spending_boundaries",
    "classical_boundaries",
    "sequential_test",
    "crossing_probabilities",
    "alpha_spent",
    "confidence_sequence",
]

_SPENDING = ("obrien-fleming", "pocock")
_SPENDING_ALIASES = {"obf": "obrien-fleming", "of": "obrien-fleming", "o'brien-fleming": "obrien-fleming",
                     "asof": "obrien-fleming", "ldof": "obrien-fleming", "asp": "pocock", "ldpocock": "pocock"}
_SPENDING_WORDS = {"obrien-fleming": "O'Brien-Fleming-type", "pocock": "Pocock-type",
                   "classical-pocock": "Pocock (constant)", "classical-obrien-fleming": "O'Brien-Fleming (classical)"}
_Z_MAX = 40.0  # a boundary that spends (numerically) nothing
_NODES_PER_SD = 24  # Simpson nodes per standard deviation of the smallest increment
_MAX_NODES = 2401


# ---------------------------------------------------------------------------------------
# Spending functions
# ---------------------------------------------------------------------------------------

def alpha_spent(t, alpha: float = 0.05, spending: str = "obrien-fleming", sides: int = 2):
    """Cumulative false-positive probability a Lan-DeMets spending function allows by
    information fraction ``t``.

    Parameters
    ----------
    t : float or array-like
        Information fractions in [0, 1] (values above 1 count as 1).
    alpha : float
        Overall level; two-sided levels are split evenly between the sides.
    spending : {"obrien-fleming", "pocock"}
    sides : {1, 2}

    Returns
    -------
    ndarray (or float for a scalar ``t``)

    Examples
    --------
    O'Brien-Fleming type, one-sided 0.025 at t = 0.5: 2 - 2 Phi(2.2414 / sqrt(0.5)) =
    2 - 2 Phi(3.1698) = 0.001525.

    >>> round(float(alpha_spent(0.5, alpha=0.025, sides=1)), 6)
    0.001525

    Pocock type, 0.13 at t = 0.35: 0.13 log(1 + 1.71828 * 0.35) = 0.061214 (rpact's test
    of ``getDesignGroupSequential(typeOfDesign = "asP", alpha = 0.13)`` lists 0.061214062).

    >>> round(float(alpha_spent(0.35, alpha=0.13, spending="pocock", sides=1)), 6)
    0.061214
    """
    alpha = check_probability(alpha, "alpha")
    sides = check_sides(sides)
    spending = choose(spending, _SPENDING, "spending", _SPENDING_ALIASES)
    scalar = np.ndim(t) == 0
    t = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
    per_side = alpha / sides
    with np.errstate(divide="ignore"):
        if spending == "obrien-fleming":
            out = np.where(t > 0, 2.0 * stats.norm.sf(stats.norm.isf(per_side / 2) / np.sqrt(t)), 0.0)
        else:
            out = per_side * np.log1p((math.e - 1.0) * t)
    out = sides * out
    return float(out) if scalar else out


# ---------------------------------------------------------------------------------------
# The recursive numerical integration (Armitage, McPherson & Rowe 1969)
# ---------------------------------------------------------------------------------------

def _simpson(lo: float, hi: float, step: float):
    """Nodes and Simpson weights on [lo, hi] with spacing at most ``step``."""
    m = int(math.ceil((hi - lo) / step))
    m = min(max(m + (m % 2), 2), _MAX_NODES - 1)
    x = np.linspace(lo, hi, m + 1)
    w = np.ones(m + 1)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    return x, w * (hi - lo) / (3.0 * m)


class _Recursion:
    """The sub-density of the score statistic S_k = Z_k sqrt(I_k) on the continuation
    region, look by look. ``theta`` is the drift per unit of information (the effect in
    standard-error units at information 1)."""

    def __init__(self, info: np.ndarray, theta: float = 0.0):
        self.info = np.asarray(info, dtype=float)
        self.theta = float(theta)
        increments = np.diff(np.concatenate([[0.0], self.info]))
        self.sd = np.sqrt(increments)
        self.k = 0
        self.x = self.w = self.f = None

    def _mean_sd(self):
        k = self.k
        return self.theta * (self.info[k] - (self.info[k - 1] if k else 0.0)), self.sd[k]

    def cross(self, upper: float, lower: float) -> tuple[float, float]:
        """P(S_k > upper) and P(S_k < lower) for the current look, not having stopped before."""
        mean, sd = self._mean_sd()
        if self.k == 0:
            return float(stats.norm.sf((upper - mean) / sd)), float(stats.norm.cdf((lower - mean) / sd))
        up = float(np.sum(self.w * self.f * stats.norm.sf((upper - self.x - mean) / sd)))
        down = float(np.sum(self.w * self.f * stats.norm.cdf((lower - self.x - mean) / sd)))
        return up, down

    def advance(self, upper: float, lower: float) -> None:
        """Move to the next look, keeping the density of those who continued."""
        mean, sd = self._mean_sd()
        k, info = self.k, self.info
        centre = self.theta * info[k]
        lo = max(lower, centre - 9.0 * math.sqrt(info[k]))
        hi = min(upper, centre + 9.0 * math.sqrt(info[k]))
        nxt = self.sd[k + 1] if k + 1 < len(info) else sd
        if hi <= lo:  # everyone has stopped
            x, w, f = np.array([lo, hi]), np.zeros(2), np.zeros(2)
        else:
            x, w = _simpson(lo, hi, min(sd, nxt) / _NODES_PER_SD)
            if k == 0:
                f = stats.norm.pdf((x - mean) / sd) / sd
            else:
                f = (stats.norm.pdf((x[:, None] - self.x[None, :] - mean) / sd) / sd) @ (self.w * self.f)
        self.x, self.w, self.f = x, w, f
        self.k += 1


def _boundaries_for_spending(info: np.ndarray, increments: np.ndarray, sides: int) -> np.ndarray:
    """Z-scale boundaries c_k with P(first crossing at look k | H0) = increments[k]."""
    rec = _Recursion(info)
    bounds = np.empty(len(info))
    for k, target in enumerate(increments):
        root_i = math.sqrt(info[k])

        def excess(c):
            up, down = rec.cross(c * root_i, -c * root_i)
            return (up + (down if sides == 2 else 0.0)) - target

        if excess(_Z_MAX) >= 0.0:  # nothing (numerically) to spend at this look
            c = _Z_MAX
        else:
            c = optimize.brentq(excess, 0.0 if sides == 2 else -10.0, _Z_MAX, xtol=1e-10, rtol=1e-12)
        bounds[k] = c
        if k + 1 < len(info):
            rec.advance(c * root_i, -c * root_i if sides == 2 else -np.inf)
    return bounds


def _crossing(info, upper_z, lower_z, theta: float):
    """Per-look probabilities of first crossing the upper and the lower boundary."""
    info = np.asarray(info, float)
    rec = _Recursion(info, theta)
    ups, downs = [], []
    for k in range(len(info)):
        r = math.sqrt(info[k])
        u = upper_z[k] * r
        d = -np.inf if lower_z is None else lower_z[k] * r
        up, down = rec.cross(u, d)
        ups.append(up)
        downs.append(down if lower_z is not None else 0.0)
        if k + 1 < len(info):
            rec.advance(u, d)
    return np.array(ups), np.array(downs)


def crossing_probabilities(boundaries, information_fractions, *, sides: int = 2, drift: float = 0.0) -> pd.DataFrame:
    """Probability of stopping at each look for given Z boundaries, by exact recursive
    integration: the false-positive rate of any monitoring plan (``drift=0``) or its power.

    Parameters
    ----------
    boundaries : array-like
        Critical values on the Z scale, one per look (``|Z| >= c`` stops when two-sided).
    information_fractions : array-like
        Increasing information at each look (any scale; only ratios matter).
    sides : {1, 2}
    drift : float
        Expected Z at the *last* look (the effect divided by its standard error at the end);
        0 for the null hypothesis.

    Returns
    -------
    DataFrame
        One row per look: ``upper``, ``lower`` (first-crossing probabilities) and
        ``cumulative`` (probability of having stopped by then).

    Examples
    --------
    Testing at 1.96 at 5 equally spaced looks: the false-positive rate is 0.142, not 0.05
    (Armitage, McPherson & Rowe 1969, Table 2; also ``rk.peeking_false_positive_rate(5)``).

    >>> probs = crossing_probabilities([1.96] * 5, [1, 2, 3, 4, 5])
    >>> round(float(probs["cumulative"].iloc[-1]), 3)
    0.142
    """
    sides = check_sides(sides)
    info = _check_fractions(information_fractions, "information_fractions", normalise=False)
    c = np.asarray(boundaries, dtype=float)
    if c.shape != info.shape or not np.all(np.isfinite(c)):
        raise ParameterError(f"boundaries must be {len(info)} finite numbers, one per look; got {list(c)}.")
    theta = float(drift) / math.sqrt(info[-1])
    up, down = _crossing(info, c, -c if sides == 2 else None, theta)
    out = pd.DataFrame({"look": np.arange(1, len(info) + 1), "information_fraction": info / info[-1],
                        "boundary": c, "upper": up, "lower": down})
    out["cumulative"] = np.cumsum(up + down)
    return out.set_index("look")


def _p_at_most(p: float) -> str:
    """The nominal p-value a boundary corresponds to, for sentences."""
    text = fmt_p(p)
    return f"p {text}" if text.startswith("<") else f"p <= {text}"


def _check_fractions(values, name: str, normalise: bool = True) -> np.ndarray:
    try:
        t = np.atleast_1d(np.asarray(values, dtype=float))
    except (TypeError, ValueError):
        raise ParameterError(f"{name}={values!r} must be numbers, e.g. [0.25, 0.5, 0.75, 1].") from None
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ParameterError(f"{name} must be positive numbers, one per look, e.g. [0.25, 0.5, 0.75, 1]; "
                             f"got {values!r}.")
    if np.any(np.diff(t) <= 0):
        raise ParameterError(f"{name} must increase strictly from look to look; got {t.tolist()}.")
    if normalise and t[-1] > 1 + 1e-12:
        raise ParameterError(
            f"{name} must not exceed 1 (the planned maximum information); got {t.tolist()}. Divide the "
            "information at each look by the planned total, or use sequential_test for an overrun.")
    if t.size > 200:
        raise ParameterError(f"{name}: at most 200 looks are supported; got {t.size}.")
    return t


# ---------------------------------------------------------------------------------------
# The design
# ---------------------------------------------------------------------------------------

@dataclass(repr=False)
class SequentialDesign(ResultMixin):
    """Critical values of a group-sequential test, one per look.

    Attributes
    ----------
    information_fractions : ndarray
        Information at each look divided by the planned maximum.
    boundaries : ndarray
        Critical values on the Z scale: stop at look k when ``|Z_k| >= boundaries[k]``
        (two-sided) or ``Z_k >= boundaries[k]`` (one-sided).
    alpha, sides, spending : the plan.
    """

    information_fractions: np.ndarray
    boundaries: np.ndarray
    alpha: float
    sides: int
    spending: str
    cumulative_alpha: np.ndarray = field(default=None)

    @property
    def looks(self) -> int:
        return len(self.boundaries)

    @property
    def nominal_p(self) -> np.ndarray:
        """The p-value (of the usual fixed-sample test) at which each look stops."""
        return self.sides * stats.norm.sf(self.boundaries)

    @property
    def summary(self) -> pd.DataFrame:
        spent = self.cumulative_alpha
        return pd.DataFrame({
            "information_fraction": self.information_fractions,
            "z_boundary": self.boundaries,
            "nominal_p": self.nominal_p,
            "alpha_spent": np.diff(np.concatenate([[0.0], spent])),
            "cumulative_alpha": spent,
        }, index=pd.RangeIndex(1, self.looks + 1, name="look"))

    @property
    def title(self) -> str:
        side = "two-sided" if self.sides == 2 else "one-sided"
        return (f"{_SPENDING_WORDS[self.spending]} boundaries, {self.looks} looks, {side} "
                f"alpha = {self.alpha:g}")

    def explain(self) -> str:
        s = self.summary
        rule = "|z|" if self.sides == 2 else "z"
        looks = " ".join(f"Look {k} at {row.information_fraction:.0%} of the information: stop if {rule} >= "
                         f"{row.z_boundary:.3f} ({_p_at_most(row.nominal_p)})." for k, row in s.iterrows())
        fixed = stats.norm.isf(self.alpha / self.sides)
        return (f"{self.title}. {looks} A fixed-horizon test would use {fixed:.3f} once. The boundaries keep "
                f"the chance of any false alarm over all {self.looks} looks at {self.alpha:g}; stopping at an "
                "unplanned look or testing each look at the usual level does not.")

    def crossing_probabilities(self, drift: float = 0.0) -> pd.DataFrame:
        """Stopping probability per look when the expected final Z is ``drift`` (0: null)."""
        return crossing_probabilities(self.boundaries, self.information_fractions, sides=self.sides, drift=drift)

    def power(self, drift: float) -> float:
        """Probability of crossing (in the direction of the effect) when the expected Z at
        the last look is ``drift``."""
        probs = self.crossing_probabilities(drift)
        return float(probs["upper"].sum() if drift >= 0 else probs["lower"].sum())

    def inflation_factor(self, power: float = 0.8) -> float:
        """Maximum information of this design over that of the fixed design with the same
        alpha and power (Jennison & Turnbull's R; multiply a fixed sample size by it)."""
        power = check_probability(power, "power", "0.8")
        fixed = stats.norm.isf(self.alpha / self.sides) + stats.norm.ppf(power)
        drift = optimize.brentq(lambda d: self.power(d) - power, fixed * 0.9, fixed * 2.0, xtol=1e-9)
        return float((drift / fixed) ** 2)

    def with_futility(self, power: float = 0.8, beta_spending="obrien-fleming") -> "FutilityDesign":
        """Add non-binding futility boundaries from a beta-spending function (one-sided designs).

        The probability of stopping for futility when the effect is the one planned for is
        spent like alpha (``"obrien-fleming"``, ``"pocock"`` or cumulative values per look);
        the last futility bound equals the last efficacy bound, which fixes the maximum
        information (the drift). Non-binding: the efficacy boundaries ignore the futility
        ones, so ignoring a futility stop never inflates the false-positive rate (rpact
        ``typeBetaSpending``, gsDesign ``test.type = 4``).

        Examples
        --------
        rpact's test of ``getDesignGroupSequential(kMax = 3, alpha = 0.13, typeOfDesign = "asP",
        typeBetaSpending = "bsUser", userBetaSpending = c(0.01, 0.05, 0.3), informationRates =
        c(0.35, 0.7, 1), bindingFutility = FALSE)`` lists futility bounds -1.2557044, -0.16828659.

        >>> design = spending_boundaries([0.35, 0.7, 1.0], alpha=0.13, spending="pocock", sides=1)
        >>> design.with_futility(power=0.7, beta_spending=[0.01, 0.05, 0.3]).futility[:2].round(5).tolist()
        [-1.2557, -0.16829]
        """
        return _futility_design(self, power, beta_spending)

    def plot_boundaries(self, ax=None, **kwargs):
        """The stopping boundaries on the Z scale against the information fraction."""
        from ..plotting import get_axes, label

        ax = get_axes(ax)
        t, c = self.information_fractions, self.boundaries
        shown = np.minimum(c, 8.0)
        ax.plot(t, shown, marker="o", label="stop above (efficacy)", **kwargs)
        if self.sides == 2:
            ax.plot(t, -shown, marker="o", color=ax.lines[-1].get_color(), label="stop below")
        fixed = stats.norm.isf(self.alpha / self.sides)
        ax.axhline(fixed, color="grey", ls="--", lw=1, label=f"fixed design ({fixed:.2f})")
        if self.sides == 2:
            ax.axhline(-fixed, color="grey", ls="--", lw=1)
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_xlim(0, 1.05)
        ax.legend(loc="best", fontsize=8)
        return label(ax, title=self.title, xlabel="information fraction", ylabel="z statistic")


@dataclass(repr=False)
class FutilityDesign(ResultMixin):
    """A one-sided group-sequential design with non-binding futility boundaries
    (see :meth:`SequentialDesign.with_futility`)."""

    design: SequentialDesign
    futility: np.ndarray
    power: float
    drift: float
    cumulative_beta: np.ndarray
    cumulative_power: np.ndarray

    @property
    def inflation_factor(self) -> float:
        """Maximum information over that of the fixed design with the same alpha and power."""
        fixed = stats.norm.isf(self.design.alpha) + stats.norm.ppf(self.power)
        return float((self.drift / fixed) ** 2)

    @property
    def summary(self) -> pd.DataFrame:
        d = self.design
        return pd.DataFrame({
            "information_fraction": d.information_fractions, "efficacy_z": d.boundaries,
            "futility_z": self.futility, "cumulative_alpha": d.cumulative_alpha,
            "cumulative_beta": self.cumulative_beta, "cumulative_power": self.cumulative_power,
        }, index=pd.RangeIndex(1, d.looks + 1, name="look"))

    @property
    def title(self) -> str:
        return f"{self.design.title}, non-binding futility, power {self.power:.0%}"

    def explain(self) -> str:
        looks = " ".join(
            f"Look {k} at {row.information_fraction:.0%}: stop for efficacy if z >= {row.efficacy_z:.3f}, "
            f"for futility if z <= {row.futility_z:.3f}." for k, row in self.summary.iloc[:-1].iterrows())
        last = self.summary.iloc[-1]
        return (f"{self.title}. {looks} The last look decides at z = {last['efficacy_z']:.3f}. The maximum "
                f"information is {self.inflation_factor:.3f} times that of the fixed design. The futility bounds "
                "are non-binding: continuing past one does not inflate the false-positive rate, because the "
                "efficacy bounds were computed without them; stopping at one gives up the remaining power.")

    def plot_boundaries(self, ax=None, **kwargs):
        """Efficacy and futility boundaries against the information fraction."""
        ax = self.design.plot_boundaries(ax=ax, **kwargs)
        ax.plot(self.design.information_fractions, self.futility, marker="v", color="firebrick",
                label="stop below (futility)")
        ax.legend(loc="best", fontsize=8)
        ax.set_title(self.title)
        return ax


def _futility_design(design: SequentialDesign, power, beta_spending) -> FutilityDesign:
    if design.sides != 1:
        raise ParameterError("Futility boundaries are supported for one-sided designs (sides=1): a futility stop "
                             "says the treatment is not better, which has no two-sided counterpart.")
    power = check_probability(power, "power", "0.8")
    beta = 1.0 - power
    t = design.information_fractions
    if isinstance(beta_spending, str):
        beta_spending = choose(beta_spending, _SPENDING, "beta_spending", _SPENDING_ALIASES)
        spent = alpha_spent(t, beta, beta_spending, sides=1)
    else:
        spent = np.asarray(beta_spending, dtype=float)
        if spent.shape != t.shape or np.any(np.diff(spent) < 0) or spent[0] < 0 \
                or not np.isclose(spent[-1], beta):
            raise ParameterError(f"beta_spending must be {t.size} cumulative probabilities ending at 1 - power = "
                                 f"{beta:g}; got {list(np.atleast_1d(spent))}.")
    increments = np.diff(np.concatenate([[0.0], spent]))
    c = design.boundaries
    K = t.size

    def run(theta):
        rec = _Recursion(t, theta)
        lower = np.empty(K)
        ups = np.empty(K)
        final_below = 0.0
        for k in range(K):
            r = math.sqrt(t[k])
            b = c[k] * r
            if k == K - 1:
                lower[k] = c[k]
                ups[k], final_below = rec.cross(b, b)
                break

            def below(a):
                return rec.cross(b, a * r)[1] - increments[k]

            if below(c[k]) <= 0:  # cannot spend that much before the efficacy bound: the bounds meet
                a = c[k]
            else:
                a = optimize.brentq(below, -_Z_MAX, c[k], xtol=1e-10, rtol=1e-12)
            lower[k] = a
            ups[k] = rec.cross(b, a * r)[0]
            rec.advance(b, a * r)
        return lower, ups, final_below

    fixed = stats.norm.isf(design.alpha) + stats.norm.ppf(power)
    drift = optimize.brentq(lambda th: run(th)[2] - increments[-1], 0.5 * fixed, 3.0 * fixed, xtol=1e-10)
    lower, ups, _ = run(drift)
    return FutilityDesign(design, lower, power, float(drift), spent, np.cumsum(ups))


def spending_boundaries(information_fractions=None, *, looks: int | None = None, alpha: float = 0.05,
                        spending: str = "obrien-fleming", sides: int = 2) -> SequentialDesign:
    """Lan-DeMets alpha-spending boundaries at given information fractions.

    Parameters
    ----------
    information_fractions : array-like, optional
        Increasing fractions of the planned maximum information at each look, the last
        usually 1 (e.g. mature customers so far / planned mature customers; events for a
        log-rank test). ``looks`` equally spaced looks when omitted.
    looks : int, optional
        Number of equally spaced looks (instead of ``information_fractions``).
    alpha : float
        Overall false-positive rate (two-sided levels are split evenly between the sides).
    spending : {"obrien-fleming", "pocock"}
        The Lan-DeMets spending function (``"asOF"``/``"asP"`` in rpact,
        ``sfLDOF``/``sfLDPocock`` in gsDesign).
    sides : {1, 2}

    Returns
    -------
    SequentialDesign

    Examples
    --------
    gsDesign's ``gsDesign(k = 3, test.type = 1, alpha = 0.025, sfu = sfLDOF)`` and rpact's
    ``getDesignGroupSequential(kMax = 3, alpha = 0.025, typeOfDesign = "asOF")`` give
    3.7103, 2.5114, 1.9930:

    >>> design = spending_boundaries(looks=3, alpha=0.025, sides=1)
    >>> design.boundaries.round(4).tolist()
    [3.7103, 2.5114, 1.993]
    """
    alpha = check_probability(alpha, "alpha")
    sides = check_sides(sides)
    spending = choose(spending, _SPENDING, "spending", _SPENDING_ALIASES)
    if information_fractions is None:
        if looks is None:
            raise ParameterError("Give information_fractions (e.g. [0.25, 0.5, 0.75, 1]) or looks (e.g. 4).")
        information_fractions = np.arange(1, _check_looks(looks) + 1) / looks
    elif looks is not None and looks != len(np.atleast_1d(information_fractions)):
        raise ParameterError(f"looks={looks!r} disagrees with the {len(information_fractions)} information_fractions; "
                             "give one of the two.")
    t = _check_fractions(information_fractions, "information_fractions")
    cumulative = alpha_spent(t, alpha, spending, sides)
    bounds = _boundaries_for_spending(t, np.diff(np.concatenate([[0.0], cumulative])), sides)
    return SequentialDesign(t, bounds, alpha, sides, spending, cumulative)


def _check_looks(looks) -> int:
    if isinstance(looks, bool) or not isinstance(looks, (int, np.integer)) or not 1 <= looks <= 200:
        raise ParameterError(f"looks={looks!r} must be a whole number of looks between 1 and 200.")
    return int(looks)


def classical_boundaries(looks: int, alpha: float = 0.05, shape: str = "pocock", sides: int = 2) -> SequentialDesign:
    """Pocock's or O'Brien & Fleming's boundaries for equally spaced looks.

    Pocock: the same critical value ``C_P`` at every look. O'Brien-Fleming:
    ``C_B sqrt(K / k)`` at look k (very strict early, close to the fixed value at the end).
    The constant is solved so that the overall false-positive rate is exactly ``alpha``.

    Parameters
    ----------
    looks : int
        K, the number of equally spaced looks.
    alpha : float
    shape : {"pocock", "obrien-fleming"}
    sides : {1, 2}

    Returns
    -------
    SequentialDesign

    Examples
    --------
    Jennison & Turnbull (2000), Table 2.1: C_P(5, 0.05) = 2.413; Table 2.3: C_B(5, 0.05) = 2.040.

    >>> round(float(classical_boundaries(5).boundaries[0]), 3)
    2.413
    >>> round(float(classical_boundaries(5, shape="obrien-fleming").boundaries[-1]), 3)
    2.04
    """
    looks = _check_looks(looks)
    alpha = check_probability(alpha, "alpha")
    sides = check_sides(sides)
    shape = choose(shape, _SPENDING, "shape", _SPENDING_ALIASES)
    t = np.arange(1, looks + 1) / looks
    profile = np.ones(looks) if shape == "pocock" else np.sqrt(looks / np.arange(1, looks + 1))

    def total(c):
        up, down = _crossing(t, c * profile, -c * profile if sides == 2 else None, 0.0)
        return float(np.sum(up + down))

    c = optimize.brentq(lambda c: total(c) - alpha, stats.norm.isf(alpha / sides) - 1e-9, 6.0, xtol=1e-10)
    bounds = c * profile
    up, down = _crossing(t, bounds, -bounds if sides == 2 else None, 0.0)
    return SequentialDesign(t, bounds, alpha, sides, f"classical-{shape}", np.cumsum(up + down))


# ---------------------------------------------------------------------------------------
# Monitoring: the looks so far against the boundaries
# ---------------------------------------------------------------------------------------

@dataclass(repr=False)
class SequentialTest(ResultMixin):
    """The looks taken so far against Lan-DeMets boundaries recomputed at the information
    actually observed, and the decision."""

    looks_table: pd.DataFrame
    design: SequentialDesign
    max_information: float
    decision: str
    stopped_at: int | None

    @property
    def summary(self) -> pd.DataFrame:
        return self.looks_table

    @property
    def title(self) -> str:
        return f"looks against the boundaries: {self.decision}"

    @property
    def stop(self) -> bool:
        return self.stopped_at is not None

    def explain(self) -> str:
        d = self.design
        rule = "|z|" if d.sides == 2 else "z"
        parts = [f"{_SPENDING_WORDS[d.spending]} alpha spending, {'two' if d.sides == 2 else 'one'}-sided "
                 f"alpha = {d.alpha:g}, planned maximum information {self.max_information:,.4g}."]
        for k, row in self.looks_table.iterrows():
            verdict = "crossed" if row["crossed"] else "inside"
            parts.append(f"Look {k}: {row['information_fraction']:.0%} of the information, z = {row['z']:+.2f} "
                         f"against {rule} >= {row['z_boundary']:.3f}: {verdict}.")
        if self.stopped_at is not None:
            parts.append(f"Stop at look {self.stopped_at}: the difference is significant with the false-positive "
                         f"rate over all looks held at {d.alpha:g}. The estimate at an early stop is biased "
                         "away from zero; report it with that caveat.")
        elif self.decision.startswith("final"):
            parts.append("The last planned look did not cross: the experiment ends without a significant "
                         "difference.")
        else:
            parts.append("Continue: no boundary crossed. Do not stop early because the result looks "
                         "good at the usual 1.96; that is the peeking this procedure prevents.")
        return "\n".join(parts)

    def plot_boundaries(self, ax=None, **kwargs):
        """The boundaries with the observed z statistics."""
        ax = self.design.plot_boundaries(ax=ax, **kwargs)
        t = self.looks_table
        ax.plot(t["information_fraction"], t["z"], marker="s", color="black", ls="-", lw=1, label="observed z")
        ax.legend(loc="best", fontsize=8)
        return ax


def sequential_test(z, information, max_information: float, *, alpha: float = 0.05,
                    spending: str = "obrien-fleming", sides: int = 2, final: bool = False) -> SequentialTest:
    """Evaluate the looks of a running experiment against Lan-DeMets boundaries.

    The boundaries are recomputed at the information fractions actually reached
    (``information / max_information``), so looks need not follow the plan. The last look
    spends all the remaining alpha when its information reaches ``max_information`` or
    when ``final=True``.

    Parameters
    ----------
    z : array-like
        The z statistic at each look so far (positive when the treatment is better).
    information : array-like
        The information at each look: 1 / variance of the estimate (e.g. ``1 / se**2``),
        or any quantity proportional to it (mature customers, events).
    max_information : float
        The planned information at the last look, on the same scale.
    alpha, spending, sides : see :func:`spending_boundaries`.
    final : bool
        The last look given is the final analysis even if it falls short of
        ``max_information``.

    Returns
    -------
    SequentialTest
        ``summary`` has one row per look; ``decision`` is ``"stop: ..."``, ``"continue"``
        or ``"final: ..."``.

    Examples
    --------
    Three looks at a third, two thirds and all of the information (one-sided 0.025,
    boundaries 3.7103, 2.5114, 1.9930 as in gsDesign): z = 2.6 crosses at look 2.

    >>> res = sequential_test([1.2, 2.6], [100, 200], 300, alpha=0.025, sides=1)
    >>> res.decision, res.stopped_at
    ('stop: boundary crossed at look 2', 2)
    """
    sides = check_sides(sides)
    alpha = check_probability(alpha, "alpha")
    spending = choose(spending, _SPENDING, "spending", _SPENDING_ALIASES)
    max_information = check_positive(max_information, "max_information", "the planned mature customers per arm")
    zs = np.atleast_1d(np.asarray(z, dtype=float))
    info = _check_fractions(information, "information", normalise=False)
    if zs.shape != info.shape:
        raise ParameterError(f"z has {zs.size} values but information has {info.size}: give one of each per look.")
    if not np.all(np.isfinite(zs)):
        raise DataError(f"z must be finite numbers; got {zs.tolist()}.")
    t = info / max_information
    spend_t = np.minimum(t, 1.0)
    if final:
        spend_t[-1] = 1.0
    if np.sum(spend_t >= 1.0) > 1:
        raise ParameterError(
            f"Only the last look may reach max_information={max_information:,.4g}; the information "
            f"{info.tolist()} reaches it earlier, and all the alpha was spent there.")
    cumulative = alpha_spent(spend_t, alpha, spending, sides)
    bounds = _boundaries_for_spending(t, np.diff(np.concatenate([[0.0], cumulative])), sides)
    design = SequentialDesign(t, bounds, alpha, sides, spending, cumulative)
    crossed = (np.abs(zs) >= bounds) if sides == 2 else (zs >= bounds)
    stopped = int(np.argmax(crossed)) + 1 if crossed.any() else None
    table = pd.DataFrame({"information": info, "information_fraction": t, "z": zs, "z_boundary": bounds,
                          "nominal_p": design.nominal_p, "cumulative_alpha": cumulative, "crossed": crossed},
                         index=pd.RangeIndex(1, len(zs) + 1, name="look"))
    if stopped is not None:
        decision = f"stop: boundary crossed at look {stopped}"
        if stopped < len(zs):
            table = table.iloc[:stopped]
    elif spend_t[-1] >= 1.0:
        decision = "final: no boundary crossed"
    else:
        decision = "continue"
    return SequentialTest(table, design, max_information, decision, stopped)


# ---------------------------------------------------------------------------------------
# Always-valid confidence sequence for a difference in retention rates
# ---------------------------------------------------------------------------------------

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
        """The running interval against customers observed, with the fixed-horizon interval."""
        from ..plotting import get_axes, label

        ax = get_axes(ax)
        t = self.table
        ax.fill_between(t["n"], t["running_lower"] * 100, t["running_upper"] * 100, alpha=0.3,
                        label=f"always-valid {1 - self.alpha:.0%}", **kwargs)
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
