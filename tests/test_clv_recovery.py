"""Parameter recovery on data simulated from each model with known parameters: the 95 %
intervals should cover the truth about 95 % of the time. A quick version runs by
default; the long calibration runs are marked slow (``pytest -m slow``)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import retention_kit as rk

TRUTH = {
    "bgnbd": (np.array([0.25, 4.0, 0.8, 2.5]), rk.fit_bgnbd),
    "pareto_nbd": (np.array([0.55, 10.0, 0.6, 12.0]), rk.fit_pareto_nbd),
}
SPEND = np.array([6.0, 4.0, 15.0])


def coverage(model: str, replicates: int, n_customers: int, spend: bool = False) -> np.ndarray:
    """Share of replicates whose interval covers each true parameter (seeded)."""
    truth, fit = TRUTH[model]
    hits = []
    for seed in range(replicates):
        ages = np.random.default_rng(1000 + seed).uniform(26, 52, n_customers).round()
        sim = rk.simulate_rfm(truth, n_customers, T=ages, model=model, seed=seed,
                              spend_params=SPEND if spend else None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rk.ConvergenceWarning)
            fitted = rk.fit_gamma_gamma(sim) if spend else fit(sim)
        target = SPEND if spend else truth
        ci = fitted.confidence_intervals
        hits.append((ci["lower"].to_numpy() <= target) & (target <= ci["upper"].to_numpy()))
    return np.mean(hits, axis=0)


def test_quick_recovery():
    # 10 replicates x 4 parameters = 40 intervals; at the nominal 95 % about 38 cover, and
    # fewer than 32 has probability < 1e-3 (binomial(40, 0.95)).
    assert coverage("bgnbd", 10, 2000).mean() >= 0.8
    assert coverage("bgnbd", 10, 2000, spend=True).mean() >= 0.8


def test_simulator_matches_the_model():
    # the simulated frequencies follow the model's own P(X(T) = n): chi-square-like check
    # of the first bins for 20,000 customers observed for 39 time units
    for model, (truth, _) in TRUTH.items():
        sim = rk.simulate_rfm(truth, 20000, T=39.0, model=model, seed=11)
        cls = rk.BGNBDModel if model == "bgnbd" else rk.ParetoNBDModel
        exact = cls(np.log(truth), 0.0, np.eye(4), 1).probability_of_purchases(np.arange(4), 39.0)
        observed = np.array([(sim["frequency"] == n).mean() for n in range(4)])
        se = np.sqrt(exact * (1 - exact) / 20000)
        assert np.all(np.abs(observed - exact) < 4 * se), (model, observed, exact)


@pytest.mark.slow
@pytest.mark.parametrize("model,spend", [("bgnbd", False), ("pareto_nbd", False), ("bgnbd", True)])
def test_interval_coverage_is_nominal(model, spend):
    # 200 replicates: the binomial standard error of a 95 % coverage is 1.5 points
    rates = coverage(model, 200, 3000, spend=spend)
    assert np.all((rates >= 0.9) & (rates <= 0.99)), rates
