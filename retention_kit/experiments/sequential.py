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
from ..results import explains
from .._options import legacy_arguments

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
    "SequentialMonitor",
    "monitor_look",
    "monitor_confidence_sequence",
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

@legacy_arguments(positional=("alpha", "spending", "sides"))
def alpha_spent(t, *, alpha: float = 0.05, spending: str = "obrien-fleming", sides: int = 2):
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

    @explains
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
        """The stopping boundaries on the Z scale against the information fraction. Returns
        the Axes.

        ``kwargs`` go to the efficacy boundary line (``Axes.plot``), e.g. ``color=``, ``ls=``
        or ``label=``; the lower boundary of a two-sided design follows its colour."""
        from matplotlib.lines import Line2D

        from ..plotting import artist_kwargs, get_axes, label

        ax = get_axes(ax)
        t, c = self.information_fractions, self.boundaries
        shown = np.minimum(c, 8.0)
        ax.plot(t, shown, **artist_kwargs(kwargs, Line2D, marker="o", label="stop above (efficacy)"))
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
    #: The beta-spending rule as given ("obrien-fleming", "pocock" or cumulative values), so a
    #: monitor can re-apply it at the information actually observed (see :func:`monitor_look`).
    beta_spending: object = None

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

    @explains
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
        """Efficacy and futility boundaries against the information fraction. Returns the Axes.

        ``kwargs`` go to the efficacy boundary line, as in :meth:`SequentialDesign.plot_boundaries`."""
        ax = self.design.plot_boundaries(ax, **kwargs)
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
        spent = alpha_spent(t, alpha=beta, spending=beta_spending, sides=1)
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
    return FutilityDesign(design, lower, power, float(drift), spent, np.cumsum(ups), beta_spending)


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
    cumulative = alpha_spent(t, alpha=alpha, spending=spending, sides=sides)
    bounds = _boundaries_for_spending(t, np.diff(np.concatenate([[0.0], cumulative])), sides)
    return SequentialDesign(t, bounds, alpha, sides, spending, cumulative)


def _check_looks(looks) -> int:
    if isinstance(looks, bool) or not isinstance(looks, (int, np.integer)) or not 1 <= looks <= 200:
        raise ParameterError(f"looks={looks!r} must be a whole number of looks between 1 and 200.")
    return int(looks)


@legacy_arguments(positional=("alpha", "shape", "sides"))
def classical_boundaries(looks: int, *, alpha: float = 0.05, shape: str = "pocock", sides: int = 2) -> SequentialDesign:
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

    @explains
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
        """The boundaries with the observed z statistics. Returns the Axes.

        ``kwargs`` go to the efficacy boundary line, as in :meth:`SequentialDesign.plot_boundaries`."""
        ax = self.design.plot_boundaries(ax, **kwargs)
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
    cumulative = alpha_spent(spend_t, alpha=alpha, spending=spending, sides=sides)
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


# ---------------------------------------------------------------------------------------
# One look of a running experiment, read against a planned design
# ---------------------------------------------------------------------------------------

_DECISION_WORDS = {
    "stop for efficacy": "Stop for efficacy: the difference is significant with the false-positive rate over all "
                         "looks held at {alpha:g}. An estimate at an early stop is biased away from zero: report "
                         "it with that caveat.",
    "stop for harm": "Stop: the treatment is significantly worse than control, with the false-positive rate over "
                     "all looks held at {alpha:g}.",
    "stop for futility": "Stop for futility: z is below the futility boundary, so a significant result at the end "
                         "is unlikely. The boundary is non-binding: continuing past it does not inflate the "
                         "false-positive rate, stopping gives up the remaining power.",
    "final look: no significant difference": "The final look did not cross the boundary: the experiment ends "
                                             "without a significant difference.",
    "continue": "Continue: no boundary crossed. {usual}",
}


@dataclass(repr=False)
class SequentialMonitor(ResultMixin):
    """One look of a running experiment read against a planned group-sequential design or an
    always-valid confidence sequence: the boundary at this look, the z statistic and the
    decision (see :func:`monitor_look` and ``RetentionComparison.monitor``).

    Attributes
    ----------
    decision : str
        ``"stop for efficacy"``, ``"continue"``, ``"stop for futility"``, ``"stop for harm"``
        (two-sided, treatment worse) or ``"final look: no significant difference"``.
    z, boundary, futility_bound : float
        The z statistic at this look and the boundaries it is compared with (``boundary`` is
        the confidence sequence's multiplier for ``method="confidence-sequence"``;
        ``futility_bound`` is NaN without futility boundaries).
    look : int
        The look number (1 for the first).
    information_fraction : float
        Information at this look over the planned maximum.
    table : DataFrame
        One row per look so far (``summary``).
    design : SequentialDesign or None
        The boundaries recomputed at the information observed (with the planned later looks).
    sequence : ConfidenceSequence or None
        The confidence sequence (``method="confidence-sequence"``).
    """

    table: pd.DataFrame
    method: str
    decision: str
    look: int
    z: float
    boundary: float
    information_fraction: float
    alpha: float
    label: str = "treatment vs control"
    futility_bound: float = float("nan")
    design: SequentialDesign | None = None
    futility: FutilityDesign | None = None
    sequence: ConfidenceSequence | None = None
    planned_looks: int | None = None
    assumed_earlier: bool = False
    stopped_at: int | None = None
    unit: str = "information"
    max_information: float = float("nan")
    estimate: str = ""

    @property
    def summary(self) -> pd.DataFrame:
        return self.table

    @property
    def stop(self) -> bool:
        """True when the decision is to stop (for efficacy, harm or futility, or the final look)."""
        return self.decision != "continue"

    @property
    def title(self) -> str:
        return f"{self.label}, look {self.look}: {self.decision}"

    @explains
    def explain(self) -> str:
        sides = self.design.sides if self.design is not None else 2
        fixed = stats.norm.isf(self.alpha / sides)  # the fixed-horizon critical value, 1.96 two-sided at 0.05
        beyond = (abs(self.z) if sides == 2 else self.z) >= fixed
        usual = (f"At the usual {fixed:.2f} this look would already be called significant: that is the peeking "
                 "the procedure prevents." if beyond else
                 f"It would not be significant at the usual {fixed:.2f} either.")
        decision = _DECISION_WORDS[self.decision].format(alpha=self.alpha, usual=usual)
        if self.method == "confidence-sequence":
            row = self.sequence.summary.iloc[-1]
            conf = f"{1 - self.alpha:.0%}"
            lines = [f"{self.label}, look {self.look}: an always-valid {conf} confidence sequence (valid however "
                     f"often and whenever one looks, no plan of the looks needed), tuned for "
                     f"{self.sequence.planned_n:,.0f} customers; {int(row['n']):,} customers so far "
                     f"({self.information_fraction:.0%} of them).",
                     f"Difference {row['diff'] * 100:+.1f} points; always-valid interval "
                     f"{row['running_lower'] * 100:+.1f} to {row['running_upper'] * 100:+.1f} points (the fixed-horizon "
                     f"one, valid for a single planned look only, is {row['fixed_lower'] * 100:+.1f} to "
                     f"{row['fixed_upper'] * 100:+.1f}). z = {self.z:+.2f} against the sequence's multiplier "
                     f"{self.boundary:.3f}; always-valid p {fmt_p(row['always_valid_p'])}.",
                     decision]
            return "\n".join(lines)
        d = self.design
        rule = "|z|" if d.sides == 2 else "z"
        side = "two" if d.sides == 2 else "one"
        planned = f"{self.planned_looks}-look " if self.planned_looks else ""
        lines = [f"{self.label}, look {self.look} of a {planned}{_SPENDING_WORDS[d.spending]} design ({side}-sided "
                 f"alpha = {d.alpha:g}), at {self.information_fraction:.0%} of the planned information "
                 f"({self.table['information'].iloc[-1]:,.0f} of {self.max_information:,.0f} {self.unit})."]
        if self.estimate:
            lines.append(self.estimate)
        fut = (f"; stop for futility if z <= {self.futility_bound:.3f}" if np.isfinite(self.futility_bound)
               and self.decision != "final look: no significant difference" else "")
        lines.append(f"z = {self.z:+.2f} against the boundary {rule} >= {self.boundary:.3f} "
                     f"({_p_at_most(self.sides_p(self.boundary))}){fut}.")
        if self.stopped_at is not None and self.stopped_at < self.look:
            lines.append(f"The boundary was already crossed at look {self.stopped_at}: the experiment should have "
                         "stopped there, and that look's decision stands.")
        lines.append(decision)
        if self.assumed_earlier:
            earlier = ", ".join(f"{t:.0%}" for t in self.table["information_fraction"].iloc[:-1])
            lines.append(f"The earlier looks are taken at their planned information ({earlier}); if they fell "
                         "elsewhere, pass the earlier looks (earlier=) so the boundary uses them.")
        return "\n".join(lines)

    def sides_p(self, z: float) -> float:
        """The nominal (fixed-sample) p-value of a boundary."""
        return float(self.design.sides * stats.norm.sf(z))

    def plot(self, ax=None, **kwargs):
        """The boundaries (recomputed at the information observed) with the observed z, or the
        confidence sequence. Returns the Axes.

        ``kwargs`` go to the efficacy boundary line (:meth:`SequentialDesign.plot_boundaries`)
        or, for a confidence sequence, to its always-valid band (:meth:`ConfidenceSequence.plot`)."""
        if self.sequence is not None:
            return self.sequence.plot(ax, **kwargs)
        ax = (self.futility or self.design).plot_boundaries(ax, **kwargs)
        t = self.table
        ax.plot(t["information_fraction"], t["z"], marker="s", color="black", ls="-", lw=1, label="observed z")
        ax.annotate(f"look {self.look}: {self.decision}", (self.information_fraction, self.z),
                    textcoords="offset points", xytext=(6, 6), fontsize=8)
        ax.legend(loc="best", fontsize=8)
        ax.set_title(self.title)
        return ax


def monitor_look(design, z: float, information: float, max_information: float, *, look: int | None = None,
                 earlier_information=None, earlier_z=None, final: bool | None = None,
                 label: str = "treatment vs control", unit: str = "information",
                 estimate: str = "") -> SequentialMonitor:
    """Read one look of a running experiment against a planned Lan-DeMets design.

    The boundary at look k depends on the information at looks 1..k, so it is recomputed at
    the information actually observed (``information / max_information``), with the earlier
    looks at their observed information (``earlier_information``) or, when those are not
    given, at the design's planned fractions. The planned later looks complete the design
    (they matter only for the futility boundaries). The last look of the design, or any look
    reaching ``max_information``, is the final analysis and spends all the remaining alpha.

    Parameters
    ----------
    design : SequentialDesign or FutilityDesign
        From :func:`spending_boundaries` (``sides=2`` or ``1``), optionally with
        ``.with_futility(...)`` (one-sided, non-binding futility; beta-spending re-applied at
        the observed information, which needs ``beta_spending="obrien-fleming"`` or
        ``"pocock"`` unless the looks fall exactly on the planned fractions).
    z : float
        The z statistic at this look, positive when the treatment is better.
    information, max_information : float
        Information at this look and the planned maximum, on one scale (mature customers
        per arm, events, 1 / se**2).
    look : int, optional
        Which planned look this is; the planned look nearest in information by default.
        Ignored-and-checked when ``earlier_information`` is given (look = earlier looks + 1).
    earlier_information, earlier_z : array-like, optional
        The earlier looks' information (and z): with z, a crossing at an earlier look is the
        decision (the experiment should have stopped there).
    final : bool, optional
        Force (True) or rule out (False) this being the final analysis. By default it is
        final when it reaches ``max_information``, or when it is the design's last planned
        look and the earlier looks are taken from the plan.
    label, unit, estimate : str
        Words for ``explain()``: what is compared, the information's unit, a sentence with
        the estimate.

    Returns
    -------
    SequentialMonitor

    Examples
    --------
    Look 1 of 2 of a two-sided O'Brien-Fleming-type design, at half the information: the
    spent alpha is 2 - 2 Phi(2.2414 / sqrt(0.5)) = 0.001525 per side, so the boundary is
    Phi^-1(1 - 0.001525) = 2.9626 (gsDesign ``gsDesign(k = 2, test.type = 2, sfu = sfLDOF)``:
    2.9626, 1.9686). z = 2.5 continues, though it is "significant" at 1.96.

    >>> res = monitor_look(spending_boundaries(looks=2), 2.5, 700, 1400)
    >>> res.decision, round(res.boundary, 4)
    ('continue', 2.9626)
    """
    if isinstance(design, FutilityDesign):
        fut, base = design, design.design
    elif isinstance(design, SequentialDesign):
        fut, base = None, design
    else:
        raise ParameterError(f"design must be a SequentialDesign (rk.spending_boundaries(looks=4)) or its "
                             f".with_futility(...); got {type(design).__name__}.")
    if base.spending not in _SPENDING:
        raise ParameterError(f"{_SPENDING_WORDS[base.spending]} boundaries have no spending function, so they "
                             "cannot be recomputed at the information observed: plan with "
                             "rk.spending_boundaries(looks=K, spending='obrien-fleming' or 'pocock').")
    if isinstance(z, bool) or not isinstance(z, (int, float, np.integer, np.floating)) or not math.isfinite(z):
        raise DataError(f"z={z!r} must be a finite number (is an arm empty?).")
    z = float(z)
    information = check_positive(information, "information", "the mature customers per arm so far")
    max_information = check_positive(max_information, "max_information", "the planned mature customers per arm")
    planned = np.asarray(base.information_fractions, dtype=float)
    K = planned.size
    t_now = information / max_information
    assumed = False
    ez = None
    ez_given = earlier_information is not None and np.size(earlier_information) > 0
    if earlier_information is not None and np.size(earlier_information) > 0:
        prev = _check_fractions(earlier_information, "earlier_information", normalise=False) / max_information
        k = prev.size + 1
        if look is not None and look != k:
            raise ParameterError(f"look={look!r} disagrees with the {prev.size} earlier looks given: this is look {k}.")
        if earlier_z is not None:
            ez = np.atleast_1d(np.asarray(earlier_z, dtype=float))
            if ez.shape != prev.shape or not np.all(np.isfinite(ez)):
                raise ParameterError(f"earlier_z must be {prev.size} finite numbers, one per earlier look.")
    else:
        if look is None:
            k = int(np.argmin(np.abs(planned - t_now))) + 1
        elif isinstance(look, bool) or not isinstance(look, (int, np.integer)) or not 1 <= look <= K:
            raise ParameterError(f"look={look!r} must be a planned look, 1 to {K}.")
        else:
            k = int(look)
        prev = planned[:k - 1]
        assumed = prev.size > 0
    if prev.size and prev[-1] >= t_now:
        raise ParameterError(
            f"Look {k} has {t_now:.1%} of the information, no more than look {k - 1} ({prev[-1]:.1%}): information "
            "only grows. Pass the right look= (an earlier one), or the earlier looks' information (earlier=).")
    # The last planned look is the final analysis when the looks follow the plan; with the
    # looks actually taken (earlier_information), only reaching the planned information is.
    is_final = (t_now >= 1 - 1e-9 or (k >= K and not ez_given)) if final is None else bool(final)
    later = np.array([]) if is_final else planned[planned > t_now + 1e-9]
    if not is_final and later.size == 0:
        later = np.array([max(1.0, t_now * 1.001)])
    t = np.concatenate([prev, [t_now], later])
    spend = np.minimum(t, 1.0)
    spend[-1] = 1.0  # the last look of the design is the final analysis: it spends what is left
    cumulative = alpha_spent(spend, alpha=base.alpha, spending=base.spending, sides=base.sides)
    bounds = _boundaries_for_spending(t, np.diff(np.concatenate([[0.0], cumulative])), base.sides)
    seq = SequentialDesign(t, bounds, base.alpha, base.sides, base.spending, cumulative)
    full_fut = None
    futility = np.full(t.size, np.nan)
    if fut is not None:
        rule = fut.beta_spending
        beta = 1.0 - fut.power
        if isinstance(rule, str):
            spent_beta = alpha_spent(spend, alpha=beta, spending=rule, sides=1)

        elif rule is not None and t.size == K and np.allclose(t, planned, atol=1e-9):
            spent_beta = np.asarray(fut.cumulative_beta, dtype=float)
        else:
            raise ParameterError("Futility boundaries planned with a list of beta values cannot be recomputed at "
                                 "unplanned information: plan them with beta_spending='obrien-fleming' or 'pocock'.")
        full_fut = _futility_design(seq, fut.power, spent_beta)
        futility = np.asarray(full_fut.futility, dtype=float)
    c_k, f_k = float(bounds[k - 1]), float(futility[k - 1])
    zs = np.concatenate([ez if ez is not None else np.full(k - 1, np.nan), [z]])
    up = zs >= bounds[:k]
    down = (zs <= -bounds[:k]) if base.sides == 2 else np.zeros(k, dtype=bool)
    crossed = up | down
    stopped = int(np.argmax(crossed)) + 1 if crossed.any() else None
    if stopped is not None:
        decision = "stop for efficacy" if up[stopped - 1] else "stop for harm"
    elif is_final:
        decision = "final look: no significant difference"
    elif fut is not None and z <= f_k:
        decision = "stop for futility"
    else:
        decision = "continue"
    table = pd.DataFrame({
        "information": np.concatenate([prev * max_information, [information]]), "information_fraction": t[:k],
        "z": zs, "z_boundary": bounds[:k], "nominal_p": seq.nominal_p[:k], "cumulative_alpha": cumulative[:k],
        "crossed": crossed}, index=pd.RangeIndex(1, k + 1, name="look"))
    if fut is not None:
        table.insert(4, "futility_z", futility[:k])
    return SequentialMonitor(table, "group-sequential", decision, k, z, c_k, t_now, base.alpha, label=label,
                             futility_bound=f_k, design=seq, futility=full_fut, planned_looks=K,
                             assumed_earlier=assumed, stopped_at=stopped, unit=unit,
                             max_information=max_information, estimate=estimate)


def monitor_confidence_sequence(n_treatment, retained_treatment, n_control, retained_control, *, planned_n: float,
                                alpha: float = 0.05, label: str = "treatment vs control") -> SequentialMonitor:
    """The latest look of an always-valid confidence sequence, as a monitoring decision.

    The counts are cumulative per look (one value each for a single look); see
    :func:`confidence_sequence`. The decision is "stop for efficacy" (or "stop for harm")
    when the running interval excludes 0, "final look: no significant difference" once
    ``planned_n`` customers (both arms) are reached without it, else "continue". The
    ``boundary`` is the sequence's multiplier at this look: ``|z| >= boundary`` with the
    unpooled ``z = diff / se`` is the interval at this look excluding 0.

    Examples
    --------
    1,000 customers per arm, 30 % vs 35 %, tuned at 2,000: the interval -1.35 to +11.35
    points (see :func:`confidence_sequence`) contains 0, and 2,000 customers is the planned end.

    >>> monitor_confidence_sequence(1000, 350, 1000, 300, planned_n=2000).decision
    'final look: no significant difference'
    """
    cs = confidence_sequence(n_treatment, retained_treatment, n_control, retained_control, planned_n=planned_n,
                             alpha=alpha)
    t = cs.summary
    last = t.iloc[-1]
    z = float(last["diff"] / last["se"]) if last["se"] > 0 else 0.0
    if last["running_lower"] > 0:
        decision = "stop for efficacy"
    elif last["running_upper"] < 0:
        decision = "stop for harm"
    elif last["n"] >= planned_n:
        decision = "final look: no significant difference"
    else:
        decision = "continue"
    table = t[["n", "diff", "se", "multiplier", "running_lower", "running_upper", "always_valid_p"]].copy()
    table.insert(3, "z", t["diff"] / t["se"])
    return SequentialMonitor(table, "confidence-sequence", decision, len(t), z, float(last["multiplier"]),
                             float(last["n"] / planned_n), cs.alpha, label=label, sequence=cs, unit="customers",
                             max_information=planned_n)
