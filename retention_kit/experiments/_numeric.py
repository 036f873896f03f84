"""The recursive numerical integration behind group-sequential boundaries (Armitage,
McPherson & Rowe 1969; Jennison & Turnbull 2000, *Group Sequential Methods with Applications
to Clinical Trials*, ch. 19): the sub-density of the running statistic on the continuation
region look by look, the boundaries that spend given increments of alpha, and the
probabilities of first crossing given boundaries.

Internal to :mod:`retention_kit.experiments`: the boundaries, the sequential test and the
monitor share these helpers.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

Z_MAX = 40.0  # a boundary that spends (numerically) nothing
_NODES_PER_SD = 24  # Simpson nodes per standard deviation of the smallest increment
_MAX_NODES = 2401


def _simpson(lo: float, hi: float, step: float):
    """Nodes and Simpson weights on [lo, hi] with spacing at most ``step``."""
    m = int(math.ceil((hi - lo) / step))
    m = min(max(m + (m % 2), 2), _MAX_NODES - 1)
    x = np.linspace(lo, hi, m + 1)
    w = np.ones(m + 1)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    return x, w * (hi - lo) / (3.0 * m)


class Recursion:
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


def boundaries_for_spending(info: np.ndarray, increments: np.ndarray, sides: int) -> np.ndarray:
    """Z-scale boundaries c_k with P(first crossing at look k | H0) = increments[k]."""
    rec = Recursion(info)
    bounds = np.empty(len(info))
    for k, target in enumerate(increments):
        root_i = math.sqrt(info[k])

        def excess(c):
            up, down = rec.cross(c * root_i, -c * root_i)
            return (up + (down if sides == 2 else 0.0)) - target

        if excess(Z_MAX) >= 0.0:  # nothing (numerically) to spend at this look
            c = Z_MAX
        else:
            c = optimize.brentq(excess, 0.0 if sides == 2 else -10.0, Z_MAX, xtol=1e-10, rtol=1e-12)
        bounds[k] = c
        if k + 1 < len(info):
            rec.advance(c * root_i, -c * root_i if sides == 2 else -np.inf)
    return bounds


def crossing(info, upper_z, lower_z, theta: float):
    """Per-look probabilities of first crossing the upper and the lower boundary."""
    info = np.asarray(info, float)
    rec = Recursion(info, theta)
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
