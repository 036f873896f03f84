"""The gamma-gamma model of spend per transaction.

Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer Base
Analysis", *Journal of Marketing Research* 42(4), 415-430, and Fader & Hardie (2013),
"The Gamma-Gamma Model of Monetary Value" (brucehardie.com/notes/025):

* a customer's transaction values are Gamma(p, nu) around their own mean p / nu;
* nu varies across customers as Gamma(q, gamma).

Fitted on the mean spend m_x of the x repeat purchases of customers with x >= 1. The
model assumes spend is independent of purchase frequency; :func:`fit_gamma_gamma` warns
when the data visibly say otherwise.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import special, stats

from ..errors import DataError, ParameterError
from ._base import FittedModel, IndependenceWarning, column, covariance, maximise, model_time_unit
from ..results import explains

__all__ = ["fit_gamma_gamma", "GammaGammaModel"]


def loglik(params, x, m):
    """log f(m_x | x) = log Gamma(px+q) - log Gamma(px) - log Gamma(q) + q log gamma
    + (px-1) log m_x + px log x - (px+q) log(gamma + x m_x) (Fader & Hardie 2013)."""
    p, q, g = params
    px = p * x
    return (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(g)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(g + x * m))


def _spend_arrays(frequency, monetary_value, *, fitting: bool):
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    x, m = np.broadcast_arrays(x, m)
    if (~np.isfinite(x) | (x < 0) | (x != np.round(x))).any():
        raise DataError("frequency must be whole numbers of repeat purchases >= 0.")
    repeat = x > 0
    bad = repeat & ~(np.isfinite(m) & (m > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{int(bad.sum()):,} customers with repeat purchases have a monetary_value that is not positive "
            f"(first: frequency={x.flat[i]:g}, monetary_value={m.flat[i]!r}). The gamma-gamma model needs a "
            "positive mean spend per repeat purchase: drop those customers (e.g. summary[summary."
            "monetary_value > 0]) or check the amounts (refunds, free orders).")
    if fitting and not repeat.any():
        raise DataError("No customer made a repeat purchase: the gamma-gamma spend model is fitted on the "
                        "mean spend of repeat purchases, so it needs customers with frequency >= 1. Use a "
                        "longer calibration period.")
    return x, m


def _independence_check(x, m):
    """Warn when spend and frequency are visibly correlated (Pearson |r| >= 0.3, p < 0.01)."""
    if len(x) < 10 or np.ptp(x) == 0:
        return
    corr, p_value = stats.pearsonr(x, m)
    if abs(corr) >= 0.3 and p_value < 0.01:
        warnings.warn(
            f"Mean spend and purchase frequency are correlated (Pearson r = {corr:.2f}, p = {p_value:.2g}, "
            f"{len(x):,} repeat customers); the gamma-gamma model assumes they are independent, so expected "
            "spend and CLV will be biased. Fader, Hardie & Lee report r = 0.11 on CDNOW. Consider "
            "segmenting customers, or a spend model that depends on frequency.", IndependenceWarning,
            stacklevel=3)


def _moment_start(x, m):
    """Moment estimates of p, q, gamma (None when the moments give no valid ones).

    A customer's mean spend m over x repeat purchases has mean mu = p gamma / (q - 1) and
    variance V_b + S / x, with V_b = mu^2 / (q - 2) and S = mu^2 (q - 1) / ((q - 2) p), so
    regressing (m - mu)^2 on 1 / x gives V_b and S. From the fixed start (1, 2, mean spend)
    the optimiser stopped on the flat ridge of the coffee-shop likelihood with a false
    convergence warning after 10-20 s; from here it reaches the same optimum in a second."""
    if len(x) < 3 or np.ptp(x) == 0:
        return None
    mu = m.mean()
    v_b, slope = np.linalg.lstsq(np.column_stack([np.ones_like(x), 1 / x]), (m - mu) ** 2, rcond=None)[0]
    if not (v_b > 0 and slope > 0):
        return None
    q = 2 + mu ** 2 / v_b
    p = mu ** 2 * (q - 1) / ((q - 2) * slope)
    return [p, q, mu * (q - 1) / p]


class GammaGammaModel(FittedModel):
    """A fitted gamma-gamma spend model: ``p``, ``q``, ``gamma``."""

    name = "gamma-gamma"
    param_names = ("p", "q", "gamma")

    def __init__(self, *args, spend_correlation: float = np.nan, **kwargs):
        super().__init__(*args, **kwargs)
        self.spend_correlation = spend_correlation

    @staticmethod
    def _expected(params, x, m):
        """E(M | m_x, x) = (gamma + m_x x) p / (p x + q - 1): a weighted mean of the population
        mean p gamma / (q - 1) and the customer's own m_x (Fader, Hardie & Lee 2005)."""
        p, q, g = params
        own = np.where(x > 0, np.nan_to_num(m) * x, 0.0)
        return (g + own) * p / (p * x + q - 1)

    def expected_spend(self, frequency, monetary_value=None):
        """Expected spend per transaction of each customer given ``frequency`` repeat purchases
        of mean value ``monetary_value``; customers without repeat purchases get the population
        mean. ``frequency`` may be an rfm_summary frame with ``monetary_value``: a Series."""
        index = None
        if isinstance(frequency, pd.DataFrame):
            index = frequency.index
            frequency, monetary_value = column(frequency, "frequency"), column(frequency, "monetary_value")
        if monetary_value is None:
            raise ParameterError("Give monetary_value (or an rfm_summary frame built with amount_col=).")
        scalar = index is None and np.ndim(frequency) == 0 and np.ndim(monetary_value) == 0
        x, m = _spend_arrays(frequency, monetary_value, fitting=False)
        p, q, g = self.params
        if q <= 1:
            raise ParameterError(f"q = {q:.3g} <= 1: the population mean spend p gamma / (q - 1) is infinite.")
        out = self._expected(self.params.to_numpy(), x, m)
        if index is not None:
            return pd.Series(out, index=index)
        return float(out) if scalar else out

    @property
    def mean_spend(self) -> float:
        """Population mean spend per transaction, p gamma / (q - 1)."""
        p, q, g = self.params
        return float(p * g / (q - 1)) if q > 1 else np.inf

    @explains
    def explain(self) -> str:
        p, q, g = self.params
        return (
            f"Fitted on the mean repeat spend of {self.n_customers:,} customers with repeat purchases. "
            f"Average spend per transaction in the population: {self.mean_spend:,.2f}. Each customer's "
            f"expected spend shrinks their own average towards it, the less so the more purchases they "
            f"made (p={p:.3f}, q={q:.3f}, gamma={g:.3f}). Spend vs frequency correlation: "
            f"{self.spend_correlation:.2f} (the model assumes none).")


def fit_gamma_gamma(summary, *, initial_params=None, ci_alpha: float = 0.05) -> GammaGammaModel:
    """Fit the gamma-gamma spend model on the customers with repeat purchases.

    Parameters
    ----------
    summary : DataFrame
        An :func:`rfm_summary` frame built with ``amount_col`` (``frequency`` and
        ``monetary_value``); customers with frequency 0 are ignored.
    initial_params : sequence of 3 floats, optional
        Starting values of p, q, gamma (default: moment estimates, or 1, 2 and the mean
        spend when the moments do not give valid ones).
    ci_alpha : float
        1 - confidence level of the intervals.

    Returns
    -------
    GammaGammaModel

    Warns
    -----
    IndependenceWarning
        When spend and frequency are visibly correlated.
    """
    x, m = _spend_arrays(column(summary, "frequency"), column(summary, "monetary_value"), fitting=True)
    keep = x > 0
    x, m = x[keep], m[keep]
    _independence_check(x, m)
    corr = float(stats.pearsonr(x, m)[0]) if len(x) > 2 and np.ptp(x) > 0 and np.ptp(m) > 0 else np.nan
    frame = pd.DataFrame({"x": x, "m": m}).groupby(["x", "m"], sort=False).size()
    ux = frame.index.get_level_values(0).to_numpy(float)
    um = frame.index.get_level_values(1).to_numpy(float)
    w = frame.to_numpy(float)

    def nll(lp):
        with np.errstate(all="ignore"):
            ll = np.sum(w * loglik(np.exp(lp), ux, um))
        return -ll if np.isfinite(ll) else 1e300

    if initial_params is None:
        initial_params = _moment_start(x, m) or [1.0, 2.0, float(np.mean(m))]
    x0 = np.log(initial_params)
    res = maximise(nll, x0, model="gamma-gamma")

    return GammaGammaModel(res.x, -res.fun, covariance(nll, res.x), len(x), model_time_unit(summary), ci_alpha,
                           spend_correlation=corr)
