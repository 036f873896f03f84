"""The BG/NBD model of repeat buying with silent drop-out.

Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy Way: An Alternative to
the Pareto/NBD Model", *Marketing Science* 24(2), 275-284 (FHL below), with the
expressions of Hardie's notes at brucehardie.com:

* while active, a customer buys at Poisson rate lambda, lambda ~ Gamma(r, alpha) across
  customers;
* after every purchase the customer drops out with probability p, p ~ Beta(a, b).

Everything a customer contributes is frequency x (repeat purchases), recency t_x and age
T. The likelihood is evaluated in logs, with log-sum-exp for its two terms,
so customers with hundreds of purchases or long histories neither overflow nor lose all
precision; the hypergeometric function of the expectations is rewritten with Euler's
transformation so that its argument stays in [0, 1) and its parameters small.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from ._base import Grouped, as_arrays, covariance, drop_zero_age, grouped, maximise, model_time_unit
from ._purchase import PurchaseModel
from ..results import explains

__all__ = ["fit_bgnbd", "BGNBDModel"]


def _terms(p, x, tx, big_t):
    """log A (shared), log of the 'still active' and 'dropped out after t_x' terms."""
    r, alpha, a, b = p
    base = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    still = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + big_t)
    with np.errstate(invalid="ignore", divide="ignore"):
        gone = np.where(x > 0, special.betaln(a + 1, b + np.maximum(x, 1) - 1) - special.betaln(a, b)
                        - (r + x) * np.log(alpha + tx), -np.inf)
    return base, still, gone


def loglik(p, x, tx, big_t):
    """Per-customer log-likelihood (FHL 2005)."""
    base, still, gone = _terms(p, x, tx, big_t)
    return base + np.logaddexp(still, gone)


def _nll_and_gradient(log_p, g: Grouped):
    """Negative weighted log-likelihood and its gradient in the log parameters; special
    functions are evaluated once per distinct x, t_x or T and gathered."""
    p = np.exp(log_p)
    r, alpha, a, b = p
    x, cx, ux = g.x, g.cx, g.ux
    lb = special.betaln(a, b)
    la_t, la_tx = np.log(alpha + g.ut)[g.ct], np.log(alpha + g.utx)[g.ctx]
    base = (special.gammaln(r + ux) - special.gammaln(r))[cx] + r * np.log(alpha)
    still = (special.betaln(a, b + ux) - lb)[cx] - (r + x) * la_t
    with np.errstate(invalid="ignore", divide="ignore"):
        gone = np.where(x > 0, (special.betaln(a + 1, b + np.maximum(ux, 1) - 1) - lb)[cx] - (r + x) * la_tx,
                        -np.inf)
    total = np.logaddexp(still, gone)
    ll = np.sum(g.w * (base + total))
    if not np.isfinite(ll):
        return 1e300, np.zeros(4)
    w2, w3 = np.exp(still - total), np.exp(gone - total)  # shares of the two terms
    d_r = (special.digamma(r + ux) - special.digamma(r))[cx] + np.log(alpha) - w2 * la_t - w3 * la_tx
    d_alpha = r / alpha - (r + x) * (w2 / (alpha + g.ut)[g.ct] + w3 / (alpha + g.utx)[g.ctx])
    psi_ab = special.digamma(a + b)
    psi_abx = special.digamma(a + b + ux)
    d_a = (w2 * (psi_ab - psi_abx)[cx]
           + w3 * (special.digamma(a + 1) - special.digamma(a) + psi_ab - psi_abx)[cx])
    common = psi_ab - special.digamma(b) - psi_abx
    d_b = w2 * (special.digamma(b + ux) + common)[cx] + w3 * (special.digamma(b + np.maximum(ux, 1) - 1)
                                                             + common)[cx]
    grad = np.array([np.sum(g.w * d) for d in (d_r, d_alpha, d_a, d_b)]) * p
    return -ll, -grad


class BGNBDModel(PurchaseModel):
    """A fitted BG/NBD model (Fader, Hardie & Lee 2005): parameters ``r``, ``alpha``
    (Gamma purchase rates), ``a``, ``b`` (Beta drop-out probabilities)."""

    name = "BG/NBD"
    param_names = ("r", "alpha", "a", "b")

    def _p_alive(self, p, x, tx, big_t):
        """P(alive | x, t_x, T) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))."""
        r, alpha, a, b = p
        with np.errstate(divide="ignore", invalid="ignore"):
            log_odds = np.log(a) - np.log(b + x - 1) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + tx))
        return np.where(x > 0, special.expit(-log_odds), 1.0)

    def _conditional(self, p, t, x, tx, big_t):
        """E[Y(t) | x, t_x, T]. With z = t / (alpha + T + t), Euler's transformation
        turns (1 - z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z) into (1 - z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z):
        small numerator parameters and 0 <= z < 1, so large x and long horizons stay finite."""
        r, alpha, a, b = p
        a = a if abs(a - 1) > 1e-7 else 1 + 1e-7  # removable singularity at a = 1
        z = t / (alpha + big_t + t)
        h = np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
        out = (a + b + x - 1) / (a - 1) * (1 - h) * self._p_alive(p, x, tx, big_t)
        return np.where(t > 0, out, 0.0)

    def _unconditional(self, p, t):
        """E[X(t)] = (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))] (FHL
        2005), in the same Euler form: 1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b-1; z)."""
        r, alpha, a, b = p
        a = a if abs(a - 1) > 1e-7 else 1 + 1e-7
        z = np.asarray(t, float) / (alpha + np.asarray(t, float))
        h = np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(a + b - 1 - r, a - 1, a + b - 1, z)
        return (a + b - 1) / (a - 1) * (1 - h)

    def _pmf(self, p, n, t):
        """P(X(t) = n): the NBD count while active, and the chance of dropping
        out after the n-th purchase, written with the negative binomial pmf and survival."""
        r, alpha, a, b = p
        q = alpha / (alpha + t)
        active = np.exp(special.betaln(a, b + n) - special.betaln(a, b)) * stats.nbinom.pmf(n, r, q)
        with np.errstate(invalid="ignore"):
            gone = np.exp(special.betaln(a + 1, b + np.maximum(n, 1) - 1) - special.betaln(a, b))
        return active + np.where(n > 0, gone * stats.nbinom.sf(n - 1, r, q), 0.0)

    @explains
    def explain(self) -> str:
        r, alpha, a, b = self.params
        unit = self.time_unit or "time unit"
        return (
            f"Fitted on {self.n_customers:,} customers. While active, a customer buys at a rate that "
            f"varies across customers with mean {r / alpha:.3g} per {unit} (Gamma, r={r:.3f}, alpha="
            f"{alpha:.3f}); after each purchase a customer drops out for good with a probability that "
            f"averages {a / (a + b):.1%} (Beta, a={a:.3f}, b={b:.3f}). Drop-out is never seen, so "
            "P(alive) is inferred from how long a customer has been silent relative to their own "
            "purchase rate.")


def fit_bgnbd(summary, *, initial_params=None, ci_alpha: float = 0.05) -> BGNBDModel:
    """Fit the BG/NBD model by maximum likelihood.

    Parameters
    ----------
    summary : DataFrame
        An :func:`rfm_summary` frame (columns ``frequency``, ``recency``, ``T``).
    initial_params : sequence of 4 floats, optional
        Starting values of r, alpha, a, b (default 1, mean rate scale, 1, 1).
    ci_alpha : float
        1 - confidence level of the intervals.

    Returns
    -------
    BGNBDModel

    Notes
    -----
    Identical (frequency, recency, T) rows are evaluated once and weighted, and the
    gradient is analytic, so a million-customer summary fits in seconds. Customers with
    T = 0 are left out with a warning.
    """
    x, tx, big_t, _ = as_arrays(summary, None, None)
    x, tx, big_t = drop_zero_age(x, tx, big_t, "BG/NBD")
    g = grouped(x, tx, big_t)
    x0 = np.log(initial_params if initial_params is not None
                else [1.0, max(np.average(g.T, weights=g.w), 1e-3), 1.0, 1.0])
    res = maximise(lambda lp: _nll_and_gradient(lp, g), x0, model="BG/NBD", gradient=True)
    cov = covariance(lambda lp: _nll_and_gradient(lp, g)[0], res.x)
    return BGNBDModel(res.x, -res.fun, cov, len(x), model_time_unit(summary), ci_alpha)
