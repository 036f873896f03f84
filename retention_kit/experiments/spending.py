"""Lan-DeMets spending functions: how much of the false-positive budget alpha a
group-sequential test may spend by information fraction t (customers, or events, so far /
planned), Lan & DeMets (1983), Biometrika 70, 659-663:

* O'Brien-Fleming type: ``alpha_1(t) = 2 - 2 Phi(z_{1 - a/2} / sqrt(t))`` for a one-sided
  level a. Almost nothing is spent early, so the final look keeps nearly the fixed-design
  critical value;
* Pocock type: ``alpha(t) = alpha log(1 + (e - 1) t)``: spends evenly, so early stops are
  easier and the last look is stricter.

A two-sided test at level alpha spends alpha/2 on each side with the one-sided function
(the convention of gsDesign ``test.type = 2`` and rpact ``sided = 2``).

Also the one reading of a spending function's name (:func:`spending_name`) and the words
for a design's spending, shared by the boundaries, the sequential test and the monitor.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from .._options import choose, legacy_arguments
from ._common import check_probability, check_sides

__all__ = ["alpha_spent"]

SPENDING = ("obrien-fleming", "pocock")
SPENDING_ALIASES = {"obf": "obrien-fleming", "of": "obrien-fleming", "o'brien-fleming": "obrien-fleming",
                    "asof": "obrien-fleming", "ldof": "obrien-fleming", "asp": "pocock", "ldpocock": "pocock"}
SPENDING_WORDS = {"obrien-fleming": "O'Brien-Fleming-type", "pocock": "Pocock-type",
                  "classical-pocock": "Pocock (constant)", "classical-obrien-fleming": "O'Brien-Fleming (classical)"}


def spending_name(value, name: str) -> str:
    """A spending function's name, "obrien-fleming" or "pocock", in any case and with any
    separator, or as rpact ("asOF", "asP") or gsDesign ("LDOF", "LDPocock") call it."""
    return choose(value, SPENDING, name, aliases=SPENDING_ALIASES, separator="-")


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
    spending = spending_name(spending, "spending")
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
