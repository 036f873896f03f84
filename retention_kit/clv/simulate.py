"""Simulated RFM summaries with known parameters, straight from the models' stories.

Used by the parameter-recovery tests, the benchmark and the notebook's exercises; every
draw comes from a seeded ``numpy.random.Generator``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError

__all__ = ["simulate_rfm"]


def _ages(T, n: int) -> np.ndarray:
    ages = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    if not np.isfinite(ages).all() or (ages <= 0).any():
        raise ParameterError(f"T={T!r} must be positive ages (one value, or one per customer).")
    return ages


def _bgnbd(rng, params, ages):
    """Repeat purchases while active at rate lambda; drop-out after each repeat purchase
    with probability p. x = min(purchases before drop-out, Poisson(lambda T)); t_x is the
    x-th of the Poisson count's uniform arrival times (a Beta order statistic)."""
    r, alpha, a, b = params
    n = len(ages)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    until_drop = rng.geometric(p)  # repeat purchases up to and including the one after which they leave
    arrivals = rng.poisson(lam * ages)
    x = np.minimum(until_drop, arrivals)
    tx = np.where(x > 0, ages * rng.beta(np.maximum(x, 1), np.maximum(arrivals - x + 1, 1)), 0.0)
    return x, tx


def _pareto(rng, params, ages):
    """Purchases at rate lambda during an exponential lifetime of rate mu."""
    r, alpha, s, beta = params
    n = len(ages)
    lam, mu = rng.gamma(r, 1 / alpha, n), rng.gamma(s, 1 / beta, n)
    active = np.minimum(rng.exponential(1 / mu), ages)
    x = rng.poisson(lam * active)
    tx = np.where(x > 0, active * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    return x, tx


def simulate_rfm(params, n_customers: int, T, *, model: str = "bgnbd", spend_params=None,
                 seed: int = 0) -> pd.DataFrame:
    """An rfm_summary-like frame (frequency, recency, T[, monetary_value]) drawn from a
    BG/NBD or Pareto/NBD model with known parameters, in continuous time.

    Parameters
    ----------
    params : sequence of 4 floats
        (r, alpha, a, b) for ``model="bgnbd"``, (r, alpha, s, beta) for ``"pareto_nbd"``.
    n_customers : int
    T : float or array
        Each customer's age at the calibration end.
    spend_params : (p, q, gamma), optional
        Adds ``monetary_value``, the mean of x gamma-gamma spends (NaN when x = 0).
    seed : int

    Examples
    --------
    >>> sim = simulate_rfm((0.25, 4.0, 0.8, 2.5), 1000, T=39.0, seed=1)
    >>> list(sim.columns), len(sim)
    (['frequency', 'recency', 'T'], 1000)
    """
    if isinstance(n_customers, bool) or not isinstance(n_customers, (int, np.integer)) or n_customers < 1:
        raise ParameterError(f"n_customers={n_customers!r} must be a whole number >= 1.")
    models = {"bgnbd": _bgnbd, "pareto_nbd": _pareto}
    if model not in models:
        raise ParameterError(f"model={model!r}: use 'bgnbd' or 'pareto_nbd'.")
    params = np.asarray(params, dtype=float)
    if params.shape != (4,) or not (np.isfinite(params).all() and (params > 0).all()):
        raise ParameterError(f"params={params.tolist()} must be 4 positive numbers.")
    rng = np.random.default_rng(seed)
    ages = _ages(T, int(n_customers))
    x, tx = models[model](rng, params, ages)
    out = pd.DataFrame({"frequency": x.astype(float), "recency": tx, "T": ages},
                       index=pd.RangeIndex(int(n_customers), name="customer_id"))
    if spend_params is not None:
        p, q, g = np.asarray(spend_params, dtype=float)
        nu = rng.gamma(q, 1 / g, len(x))
        shape = np.maximum(p * x, 1e-12)
        mean = rng.gamma(shape, 1 / (nu * np.maximum(x, 1)))
        out["monetary_value"] = np.where(x > 0, mean, np.nan)
    return out
