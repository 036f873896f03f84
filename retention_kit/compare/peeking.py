"""Peeking: the false-positive rate of looking at a running test several times, and the
warning a comparison gives before its planned sample size.

The public names are re-exported by :mod:`retention_kit.compare`; :func:`warn_peeking` is
shared by its modules only.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from .._options import check_alpha, legacy_arguments
from ..errors import ParameterError, PeekingWarning
from .options import is_number
from .planning import SampleSizePlan
from .text import warn

__all__ = ["peeking_false_positive_rate", "warn_peeking"]


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
    alpha = check_alpha(alpha)
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


def warn_peeking(counts: pd.DataFrame, planned_n, looks, alpha, notes) -> None:
    if planned_n is None:
        return
    if isinstance(planned_n, SampleSizePlan):
        planned_n = planned_n.n_control
    if not (is_number(planned_n) and planned_n > 0 and np.isfinite(planned_n)):
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
    warn(PeekingWarning,
         f"Peeking: the smallest arm has {smallest:,} mature customers of the planned {int(planned_n):,}. {how} "
         "Decide only at the planned sample size (or use a sequential design).", notes)
