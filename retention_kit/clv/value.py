"""Customer lifetime value: expected purchases x expected spend, discounted.

For a customer with history (x, t_x, T), a purchase model gives the expected number of
purchases in the next k time units, E[Y(k) | x, t_x, T]; a spend model the expected spend
per purchase, E(M | m_x, x). Over a horizon of H time units,

    CLV = margin x E(M) x sum_{k=1..H} (E[Y(k)] - E[Y(k-1)]) / (1 + d)^k,

the purchases expected in each unit discounted at rate d per unit, the discrete version of
Fader, Hardie & Lee's (2005, "RFM and CLV") discounted expected transactions. Spend and
purchases are multiplied because the gamma-gamma model assumes they are independent.

Intervals reflect the uncertainty of the fitted parameters (the delta method on log CLV,
with the two models' parameter covariances), not the randomness of what one customer
will do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ParameterError
from ..results import Result, render_html, explains
from .._options import legacy_arguments
from ._base import as_arrays, column
from ._purchase import PurchaseModel, unique_rows
from .gamma_gamma import GammaGammaModel

__all__ = ["customer_lifetime_value", "CustomerValue"]


def _discounted_purchases(model: PurchaseModel, params, x, tx, big_t, horizon: int, rate: float):
    """sum_k (E[Y(k)] - E[Y(k-1)]) / (1 + d)^k per row, and E[Y(H)], evaluated for blocks of
    time units at once (at most about two million cells per block)."""
    total = np.zeros(len(x))
    previous = np.zeros(len(x))
    block = max(1, 2_000_000 // max(len(x), 1))
    for start in range(1, horizon + 1, block):
        k = np.arange(start, min(start + block, horizon + 1), dtype=float)[:, None]
        current = model._conditional(params, k, x[None, :], tx[None, :], big_t[None, :])
        steps = np.diff(np.vstack([previous[None, :], current]), axis=0)
        total += (steps / (1 + rate) ** k).sum(axis=0)
        previous = current[-1]
    return total, previous


def _check(horizon, discount_rate, margin):
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ParameterError(f"horizon={horizon!r} must be a whole number of time units >= 1 (in the "
                             "summary's time unit: 52 for a year of weeks).")
    if isinstance(discount_rate, bool) or not np.isfinite(discount_rate) or discount_rate < 0:
        raise ParameterError(f"discount_rate={discount_rate!r} must be a rate >= 0 per time unit of the summary "
                             "(a yearly 10 % in weeks is 1.10 ** (1 / 52) - 1 = 0.0018).")
    if not np.isfinite(margin) or margin <= 0:
        raise ParameterError(f"margin={margin!r} must be a positive share of spend (1.0 for revenue).")


def _log_gradient(fn, log_params: np.ndarray, step: float = 1e-5) -> np.ndarray:
    """Central differences of log fn(params) in the log parameters: one row per parameter."""
    rows = []
    for i in range(len(log_params)):
        up, down = log_params.copy(), log_params.copy()
        up[i] += step
        down[i] -= step
        with np.errstate(divide="ignore", invalid="ignore"):
            rows.append((np.log(fn(np.exp(up))) - np.log(fn(np.exp(down)))) / (2 * step))
    return np.array(rows)


@legacy_arguments(positional=("horizon", "discount_rate"))
def customer_lifetime_value(purchase_model: PurchaseModel, spend_model: GammaGammaModel, summary: pd.DataFrame,
                            *, horizon: int, discount_rate: float, margin: float = 1.0,

                            ci_alpha: float = 0.05) -> "CustomerValue":
    """Expected discounted value of each customer over the next ``horizon`` time units.

    Parameters
    ----------
    purchase_model : BGNBDModel or ParetoNBDModel
    spend_model : GammaGammaModel
    summary : DataFrame
        An :func:`rfm_summary` frame with ``monetary_value``.
    horizon : int
        Time units ahead, in the summary's time unit (52 weeks = one year).
    discount_rate : float
        Discount rate per time unit (0 for none).
    margin : float
        Share of spend that is profit (1.0: revenue).
    ci_alpha : float
        1 - confidence level of the intervals.

    Returns
    -------
    CustomerValue
        ``.table`` one row per customer; ``.summary`` the totals.
    """
    if not isinstance(purchase_model, PurchaseModel):
        raise ParameterError("purchase_model must be a fitted BG/NBD or Pareto/NBD model (rk.fit_bgnbd, "
                             f"rk.fit_pareto_nbd); got {type(purchase_model).__name__}.")
    if not isinstance(spend_model, GammaGammaModel):
        raise ParameterError(f"spend_model must be rk.fit_gamma_gamma(...); got {type(spend_model).__name__}.")
    _check(horizon, discount_rate, margin)
    x, tx, big_t, index = as_arrays(summary, None, None)
    m = column(summary, "monetary_value")
    (ux, utx, ut), inv = unique_rows(x, tx, big_t)
    lp_purchase, lp_spend = purchase_model._log_params, spend_model._log_params

    def det(params):
        return _discounted_purchases(purchase_model, params, ux, utx, ut, int(horizon), float(discount_rate))[0]

    def spend(params):
        return GammaGammaModel._expected(params, x, m)

    d_value, purchases = _discounted_purchases(purchase_model, np.exp(lp_purchase), ux, utx, ut, int(horizon),
                                               float(discount_rate))
    s_value = spend(np.exp(lp_spend))
    clv = margin * s_value * d_value[inv]
    # d log DET / d log params, d log spend / d log params; 0 where the value itself is 0
    # (a customer the model is sure has left), whose interval is then [0, 0]
    g_det = np.nan_to_num(_log_gradient(det, lp_purchase)[:, inv], nan=0.0, posinf=0.0, neginf=0.0)
    g_spend = np.nan_to_num(_log_gradient(spend, lp_spend), nan=0.0, posinf=0.0, neginf=0.0)
    cov_p, cov_s = purchase_model.covariance_.to_numpy(), spend_model.covariance_.to_numpy()
    var_log = np.einsum("ij,ik,kj->j", g_det, cov_p, g_det) + np.einsum("ij,ik,kj->j", g_spend, cov_s, g_spend)
    z = stats.norm.ppf(1 - ci_alpha / 2)
    se_log = np.sqrt(np.maximum(var_log, 0))
    table = pd.DataFrame({
        "probability_alive": purchase_model.probability_alive(x, tx, big_t),
        "expected_purchases": purchases[inv], "discounted_purchases": d_value[inv],
        "expected_spend": s_value, "clv": clv, "clv_lower": clv * np.exp(-z * se_log),
        "clv_upper": clv * np.exp(z * se_log)}, index=index)
    # the total's gradient is the CLV-weighted sum of the customers' log gradients
    g_total_p = (g_det * clv).sum(axis=1) / clv.sum()
    g_total_s = (g_spend * clv).sum(axis=1) / clv.sum()
    se_total = np.sqrt(g_total_p @ cov_p @ g_total_p + g_total_s @ cov_s @ g_total_s)
    return CustomerValue(table, horizon=int(horizon), discount_rate=float(discount_rate), margin=margin,
                         se_log_total=float(se_total), z=float(z), ci_alpha=ci_alpha,
                         purchase_name=purchase_model.name, time_unit=purchase_model.time_unit)


class CustomerValue(Result):
    """Customer lifetime values: ``table`` (one row per customer: probability_alive,
    expected_purchases, discounted_purchases, expected_spend, clv, clv_lower, clv_upper),
    ``summary`` (totals with an interval), ``explain()``."""

    def __init__(self, table, *, horizon, discount_rate, margin, se_log_total, z, ci_alpha, purchase_name,
                 time_unit):
        self.table, self.horizon, self.discount_rate, self.margin = table, horizon, discount_rate, margin
        self._se_log_total, self._z, self.ci_alpha = se_log_total, z, ci_alpha
        self.purchase_name, self.time_unit = purchase_name, time_unit

    @property
    def total(self) -> float:
        return float(self.table["clv"].sum())

    @property
    def summary(self) -> pd.DataFrame:
        """Customers, total and mean CLV with the interval of the total."""
        spread = np.exp(self._z * self._se_log_total)
        return pd.DataFrame({"customers": [len(self.table)], "total_clv": [self.total],
                             "total_lower": [self.total / spread], "total_upper": [self.total * spread],
                             "mean_clv": [self.table["clv"].mean()],
                             "expected_purchases": [self.table["expected_purchases"].sum()]})

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`table` (one row per customer), not of the one-row :attr:`summary`:
        the per-customer values are what one joins to a customer list or writes out."""
        return self.table.copy()

    @explains
    def explain(self) -> str:
        unit = self.time_unit or "time unit"
        top = self.table["clv"].sort_values(ascending=False)
        share = top.head(max(1, len(top) // 10)).sum() / max(top.sum(), 1e-300)
        s = self.summary.iloc[0]
        return (f"Over the next {self.horizon} {unit}s, discounted at {self.discount_rate:.3%} per {unit}, the "
                f"{len(self.table):,} customers are expected to be worth {s.total_clv:,.0f} in total "
                f"({1 - self.ci_alpha:.0%} interval {s.total_lower:,.0f} to {s.total_upper:,.0f}, from the "
                f"uncertainty of the {self.purchase_name} and gamma-gamma parameters), {s.mean_clv:,.2f} on "
                f"average; the top 10 % of customers hold {share:.0%} of it.")

    def __repr__(self) -> str:
        return f"CustomerValue(customers={len(self.table):,}, total_clv={self.total:,.2f}, horizon={self.horizon})"

    title = "Customer lifetime value"

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, [self.explain()])
