"""The Bayesian view of a fixed-horizon comparison: independent Beta posteriors of the two
retention rates, P(treatment beats control) and the expected loss of shipping the treatment.

Internal to :mod:`retention_kit.compare`; :func:`beta_compare` is shared by its modules only.
"""

from __future__ import annotations

from scipy import integrate, stats

__all__ = ["beta_compare"]


def beta_compare(a_t: float, b_t: float, a_c: float, b_c: float) -> tuple[float, float]:
    """P(p_t > p_c) and E[max(p_c - p_t, 0)] for independent Beta posteriors.

    One-dimensional integrals over the narrower posterior (the other enters through its
    CDF), so large counts stay accurate. ``E[(c - t)^+]`` for fixed t uses
    ``c f_C(c) = E[C] f_{Beta(a_c + 1, b_c)}(c)``.
    """
    post_t, post_c = stats.beta(a_t, b_t), stats.beta(a_c, b_c)
    mean_t, mean_c = a_t / (a_t + b_t), a_c / (a_c + b_c)
    shifted_t, shifted_c = stats.beta(a_t + 1, b_t), stats.beta(a_c + 1, b_c)
    if post_t.std() <= post_c.std():
        outer = post_t
        beat = lambda t: post_c.cdf(t)  # noqa: E731  P(C < t)
        loss = lambda t: mean_c * shifted_c.sf(t) - t * post_c.sf(t)  # noqa: E731
    else:
        outer = post_c
        beat = lambda c: post_t.sf(c)  # noqa: E731  P(T > c)
        loss = lambda c: c * post_t.cdf(c) - mean_t * shifted_t.cdf(c)  # noqa: E731
    lo, hi = outer.ppf(1e-12), outer.isf(1e-12)
    mid = outer.median()
    opts = dict(points=[mid], limit=200, epsabs=1e-12, epsrel=1e-10)
    prob, _ = integrate.quad(lambda u: outer.pdf(u) * beat(u), lo, hi, **opts)
    expected_loss, _ = integrate.quad(lambda u: outer.pdf(u) * loss(u), lo, hi, **opts)
    return float(min(max(prob, 0.0), 1.0)), float(max(expected_loss, 0.0))
