"""Group-sequential designs: critical values, one per look, that keep the chance of any
false alarm over all the looks at alpha.

* **Lan-DeMets spending boundaries** (:func:`spending_boundaries`) at any information
  fractions, including looks that were not planned; each look spends what the spending
  function (:mod:`~retention_kit.experiments.spending`) allows by its fraction, the critical
  value found by exact recursive numerical integration of the running statistic.
* **The classical constant boundaries** (:func:`classical_boundaries`): Pocock (1977)
  ``c_k = C_P`` and O'Brien & Fleming (1979) ``c_k = C_B sqrt(K / k)`` for K equally spaced
  looks; the constants are Jennison & Turnbull's Tables 2.1 and 2.3.
* **Non-binding futility boundaries** (:meth:`SequentialDesign.with_futility`) from a
  beta-spending function, and the probability of stopping at each look for any boundaries
  (:func:`crossing_probabilities`): a plan's false-positive rate or its power.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._options import legacy_arguments
from ..errors import ParameterError
from ..results import explains
from ._common import ResultMixin, check_fractions, check_looks, check_probability, check_sides, p_at_most
from ._numeric import Z_MAX, Recursion, boundaries_for_spending, crossing
from .spending import SPENDING_WORDS, alpha_spent, spending_name

__all__ = ["SequentialDesign", "FutilityDesign", "spending_boundaries", "classical_boundaries",
           "crossing_probabilities"]


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
    info = check_fractions(information_fractions, "information_fractions", normalise=False)
    c = np.asarray(boundaries, dtype=float)
    if c.shape != info.shape or not np.all(np.isfinite(c)):
        raise ParameterError(f"boundaries must be {len(info)} finite numbers, one per look; got {list(c)}.")
    theta = float(drift) / math.sqrt(info[-1])
    up, down = crossing(info, c, -c if sides == 2 else None, theta)
    out = pd.DataFrame({"look": np.arange(1, len(info) + 1), "information_fraction": info / info[-1],
                        "boundary": c, "upper": up, "lower": down})
    out["cumulative"] = np.cumsum(up + down)
    return out.set_index("look")


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
        return (f"{SPENDING_WORDS[self.spending]} boundaries, {self.looks} looks, {side} "
                f"alpha = {self.alpha:g}")

    @explains
    def explain(self) -> str:
        s = self.summary
        rule = "|z|" if self.sides == 2 else "z"
        looks = " ".join(f"Look {k} at {row.information_fraction:.0%} of the information: stop if {rule} >= "
                         f"{row.z_boundary:.3f} ({p_at_most(row.nominal_p)})." for k, row in s.iterrows())
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
        return futility_design(self, power, beta_spending)

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


def futility_design(design: SequentialDesign, power, beta_spending) -> FutilityDesign:
    if design.sides != 1:
        raise ParameterError("Futility boundaries are supported for one-sided designs (sides=1): a futility stop "
                             "says the treatment is not better, which has no two-sided counterpart.")
    power = check_probability(power, "power", "0.8")
    beta = 1.0 - power
    t = design.information_fractions
    if isinstance(beta_spending, str):
        beta_spending = spending_name(beta_spending, "beta_spending")
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
        rec = Recursion(t, theta)
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
                a = optimize.brentq(below, -Z_MAX, c[k], xtol=1e-10, rtol=1e-12)
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
    spending = spending_name(spending, "spending")
    if information_fractions is None:
        if looks is None:
            raise ParameterError("Give information_fractions (e.g. [0.25, 0.5, 0.75, 1]) or looks (e.g. 4).")
        information_fractions = np.arange(1, check_looks(looks) + 1) / looks
    elif looks is not None and looks != len(np.atleast_1d(information_fractions)):
        raise ParameterError(f"looks={looks!r} disagrees with the {len(information_fractions)} information_fractions; "
                             "give one of the two.")
    t = check_fractions(information_fractions, "information_fractions")
    cumulative = alpha_spent(t, alpha=alpha, spending=spending, sides=sides)
    bounds = boundaries_for_spending(t, np.diff(np.concatenate([[0.0], cumulative])), sides)
    return SequentialDesign(t, bounds, alpha, sides, spending, cumulative)


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
    looks = check_looks(looks)
    alpha = check_probability(alpha, "alpha")
    sides = check_sides(sides)
    shape = spending_name(shape, "shape")
    t = np.arange(1, looks + 1) / looks
    profile = np.ones(looks) if shape == "pocock" else np.sqrt(looks / np.arange(1, looks + 1))

    def total(c):
        up, down = crossing(t, c * profile, -c * profile if sides == 2 else None, 0.0)
        return float(np.sum(up + down))

    c = optimize.brentq(lambda c: total(c) - alpha, stats.norm.isf(alpha / sides) - 1e-9, 6.0, xtol=1e-10)
    bounds = c * profile
    up, down = crossing(t, bounds, -bounds if sides == 2 else None, 0.0)
    return SequentialDesign(t, bounds, alpha, sides, f"classical-{shape}", np.cumsum(up + down))
