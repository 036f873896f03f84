"""The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987).

While active a customer buys at Poisson rate lambda ~ Gamma(r, alpha); their lifetime is
exponential with rate mu ~ Gamma(s, beta). The likelihood, P(alive) and the conditional
expectation follow Fader, Hardie & Lee (2005, "A Note on Deriving the Pareto/NBD Model and
Related Expressions", brucehardie.com/notes/009; FHL below).

The likelihood's second term is s times the integral from t_x to T of
(alpha + y)^-(r+x) (beta + y)^-(s+1) dy, which FHL write as a difference of Gauss
hypergeometric functions 2F1(r+s+x, b; r+s+x+1; z), with b = s+1, z = (alpha-beta)/(alpha+y)
when alpha >= beta, and b = r+x, z = (beta-alpha)/(beta+y) otherwise (so 0 <= z < 1 in both
cases). Euler's transformation 2F1(A, b; A+1; z) = (1-z)^(1-b) 2F1(1, A+1-b; A+1; z) leaves a
series between 1 and 1/(1-z): with it the whole term is computed in logs, and no power
like ((beta + y) / (alpha + y))^(r+x) is ever formed, whatever the sign of alpha - beta.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from ._base import Grouped, as_arrays, covariance, drop_zero_age, grouped, maximise, model_time_unit
from ._purchase import PurchaseModel
from ..results import explains

__all__ = ["fit_pareto_nbd", "ParetoNBDModel"]


def _log_f(p, x, y):
    """log[2F1(...) / (max(alpha, beta) + y)^(r+s+x)] of FHL, via Euler's transformation."""
    r, alpha, s, beta = p
    la, lb = np.log(alpha + y), np.log(beta + y)
    big = r + s + x + 1
    if alpha >= beta:
        z = (alpha - beta) / (alpha + y)
        return -s * lb - (r + x) * la + np.log(special.hyp2f1(1.0, r + x, big, z))
    z = (beta - alpha) / (beta + y)
    return (1 - r - x) * la - (s + 1) * lb + np.log(special.hyp2f1(1.0, s + 1, big, z))


def _log_terms(p, x, tx, big_t):
    """log of the 'alive at T' term and of the 'died between t_x and T' term (without the
    common factor Gamma(r+x) alpha^r beta^s / Gamma(r))."""
    r, alpha, s, beta = p
    alive = -(r + x) * np.log(alpha + big_t) - s * np.log(beta + big_t)
    f_tx, f_t = _log_f(p, x, tx), _log_f(p, x, big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = f_tx + np.log(-np.expm1(np.minimum(f_t - f_tx, 0.0)))  # log(F(t_x) - F(T))
    died = np.log(s) - np.log(r + s + x) + np.where(big_t > tx, diff, -np.inf)
    return alive, died


def loglik(p, x, tx, big_t):
    """Per-customer log-likelihood (FHL note)."""
    r, alpha, s, beta = p
    alive, died = _log_terms(p, x, tx, big_t)
    base = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    return base + np.logaddexp(alive, died)


def _nll(log_p, g: Grouped):
    """Negative weighted log-likelihood; the hypergeometric terms are evaluated once per
    distinct (x, t_x) and (x, T) pair, the logs once per distinct T, and gathered."""
    p = np.exp(log_p)
    r, alpha, s, beta = p
    x = g.x
    with np.errstate(all="ignore"):
        alive = -(r + x) * np.log(alpha + g.ut)[g.ct] - s * np.log(beta + g.ut)[g.ct]
        f_tx = _log_f(p, g.px_tx, g.ptx)[g.c_xtx]
        f_t = _log_f(p, g.px_t, g.pt)[g.c_xt]
        diff = f_tx + np.log(-np.expm1(np.minimum(f_t - f_tx, 0.0)))
        died = np.log(s) - np.log(r + s + x) + np.where(g.T > g.tx, diff, -np.inf)
        base = (special.gammaln(r + g.ux) - special.gammaln(r))[g.cx] + r * np.log(alpha) + s * np.log(beta)
        ll = np.sum(g.w * (base + np.logaddexp(alive, died)))
    return -ll if np.isfinite(ll) else 1e300


class ParetoNBDModel(PurchaseModel):
    """A fitted Pareto/NBD model: ``r``, ``alpha`` (Gamma purchase rates), ``s``, ``beta``
    (Gamma drop-out rates)."""

    name = "Pareto/NBD"
    param_names = ("r", "alpha", "s", "beta")

    def _p_alive(self, p, x, tx, big_t):
        """P(alive | x, t_x, T) = alive term / (alive term + died term)."""
        alive, died = _log_terms(p, x, tx, big_t)
        return np.exp(alive - np.logaddexp(alive, died))

    def _conditional(self, p, t, x, tx, big_t):
        """E[Y(t) | x, t_x, T] = (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]
        P(alive); the bracket over (s - 1) is computed with expm1/log1p, which
        also gives the s = 1 limit, log(1 + t / (beta + T))."""
        r, alpha, s, beta = p
        return (r + x) * (beta + big_t) / (alpha + big_t) * _growth(s, t / (beta + big_t)) \
            * self._p_alive(p, x, tx, big_t)

    def _unconditional(self, p, t):
        """E[X(t)] = r beta / (alpha (s-1)) [1 - (beta / (beta + t))^(s-1)]."""
        r, alpha, s, beta = p
        return r * beta / alpha * _growth(s, np.asarray(t, float) / beta)

    def _pmf(self, p, n, t):
        """P(X(t) = n) by 64-point Gauss-Legendre quadrature over the death time:
        (beta/(beta+t))^s NB(n; t) + integral_0^t s beta^s (beta+u)^-(s+1) NB(n; u) du,
        NB(n; u) the negative binomial count of a customer active for u."""
        r, alpha, s, beta = p
        nodes, weights = np.polynomial.legendre.leggauss(64)
        u = (nodes[None, :] + 1) / 2 * t[:, None]
        dens = s * np.exp(s * np.log(beta) - (s + 1) * np.log(beta + u))
        nb_u = stats.nbinom.pmf(n[:, None], r, alpha / (alpha + u))
        died = (dens * nb_u * weights[None, :]).sum(axis=1) * t / 2
        alive = np.exp(s * (np.log(beta) - np.log(beta + t))) * stats.nbinom.pmf(n, r, alpha / (alpha + t))
        return alive + died

    @explains
    def explain(self) -> str:
        r, alpha, s, beta = self.params
        unit = self.time_unit or "time unit"
        return (
            f"Fitted on {self.n_customers:,} customers. While active, a customer buys at a rate that "
            f"varies across customers with mean {r / alpha:.3g} per {unit} (Gamma, r={r:.3f}, alpha="
            f"{alpha:.3f}); each customer's active lifetime is exponential with a rate that varies "
            f"as Gamma(s={s:.3f}, beta={beta:.3f}), mean {s / beta:.3g} per {unit}. Drop-out can happen "
            "at any time, not only after a purchase (the difference from the BG/NBD model).")


def _growth(s, u):
    """[1 - (1 + u)^-(s-1)] / (s - 1), and log(1 + u) at s = 1."""
    lg = np.log1p(u)
    if abs(s - 1) < 1e-8:
        return lg
    return -np.expm1(-(s - 1) * lg) / (s - 1)


def fit_pareto_nbd(summary, *, initial_params=None, ci_alpha: float = 0.05) -> ParetoNBDModel:
    """Fit the Pareto/NBD model by maximum likelihood.

    Parameters
    ----------
    summary : DataFrame
        An :func:`rfm_summary` frame (columns ``frequency``, ``recency``, ``T``).
    initial_params : sequence of 4 floats, optional
        Starting values of r, alpha, s, beta (default: the BG/NBD-style guess 1, mean T, 1, mean T).
    ci_alpha : float
        1 - confidence level of the intervals.

    Returns
    -------
    ParetoNBDModel

    Notes
    -----
    Identical (frequency, recency, T) rows are evaluated once and weighted; customers with
    T = 0 are left out with a warning.
    """
    x, tx, big_t, _ = as_arrays(summary, None, None)
    x, tx, big_t = drop_zero_age(x, tx, big_t, "Pareto/NBD")
    g = grouped(x, tx, big_t)
    scale = max(np.average(g.T, weights=g.w), 1e-3)
    x0 = np.log(initial_params if initial_params is not None else [1.0, scale, 1.0, scale])
    res = maximise(lambda lp: _nll(lp, g), x0, model="Pareto/NBD")
    cov = covariance(lambda lp: _nll(lp, g), res.x)

    return ParetoNBDModel(res.x, -res.fun, cov, len(x), model_time_unit(summary), ci_alpha)
