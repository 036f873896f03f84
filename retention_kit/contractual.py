"""Projecting retention beyond the data in a contractual setting (subscriptions, renewals).

When churn is observed at discrete renewal points (a yearly contract, a monthly plan), the
share of a cohort still subscribed after t periods can be projected with the
**shifted-beta-geometric (sBG)** model of Fader & Hardie ("How to Project Customer
Retention", *Journal of Interactive Marketing* 21(1), 2007):

* each customer has a constant per-period churn probability theta: lifetimes are
  geometric, P(T = t | theta) = theta (1 - theta)^(t - 1), t = 1, 2, ...;
* theta varies across customers as Beta(alpha, beta).

So S(t) = B(alpha, beta + t) / B(alpha, beta) and the retention rate
r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1) *rises* with t: not because
anybody becomes more loyal, but because the customers likely to churn leave first. A
straight line or an exponential fitted to the first periods misses this sorting and
under-projects retention.

The **beta-discrete-Weibull (BdW)** extension (Fader, Hardie, Liu, Davin & Steenburgh,
"'How to Project Customer Retention' Revisited: The Role of Duration Dependence",
*Journal of Interactive Marketing* 43, 2018) adds a shape c: S(t) = B(alpha, beta + t^c) /
B(alpha, beta). c = 1 is the sBG; c < 1 means each customer's churn probability falls with
tenure, c > 1 that it rises.

Both are fitted by maximum likelihood from the number of customers still active at
periods 0, 1, 2, ... of one cohort, with scipy.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special

from .errors import DataError, ParameterError, SmallSampleWarning
from .plotting import get_axes, label, percent_axis
from .results import Result, explains, render_html

__all__ = ["fit_sbg", "SBGModel", "fit_bdw", "BdWModel"]


def _check_survivors(survivors) -> np.ndarray:
    try:
        n = np.asarray(survivors, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"survivors must be numbers of customers still active at periods 0, 1, 2, ...; "
                        f"got {survivors!r}.") from None
    if n.ndim != 1 or len(n) < 3:
        raise DataError(
            f"survivors needs at least 3 values (periods 0, 1 and 2) to fit two parameters; got "
            f"{n.size}. Give the number still active at the start (period 0) and after each period.")
    if not np.isfinite(n).all() or (n < 0).any():
        raise DataError(f"survivors must be non-negative counts; got {n.tolist()}.")
    if (n != np.round(n)).any():
        raise DataError(
            f"survivors must be whole counts of customers, not shares (got {n.tolist()[:4]} ...): the "
            "likelihood and the standard errors depend on how many customers there are. Multiply "
            "shares by the cohort size, e.g. [1000 * s for s in shares].")
    if n[0] <= 0:
        raise DataError("survivors[0] (the cohort size at period 0) must be positive.")
    rises = np.flatnonzero(np.diff(n) > 0)
    if len(rises):
        i = int(rises[0]) + 1
        raise DataError(
            f"survivors rises from {n[i - 1]:.0f} to {n[i]:.0f} at period {i}: the count must be of one "
            "cohort, where customers who left do not come back. Count returning customers as new "
            "cohorts, or give the survivors of a single cohort.")
    if n[-1] == n[0]:
        raise DataError("Nobody churned in any period: retention cannot be projected from these counts "
                        "(the fitted churn probability would be 0).")
    return n


def _fit(neg_loglik, starts, n_params: int):
    """Minimise over log-parameters from several starts; return the best optimiser result."""
    best = None
    for x0 in starts:
        with np.errstate(all="ignore"):
            res = optimize.minimize(neg_loglik, np.log(x0), method="Nelder-Mead",
                                    options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20000})
            res = optimize.minimize(neg_loglik, res.x, method="BFGS")
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    if best is None:
        raise DataError("The likelihood could not be maximised for these survivors.")
    return best


def _std_errors(neg_loglik, log_params: np.ndarray) -> np.ndarray:
    """Standard errors of the parameters from the numerical Hessian on the log scale."""
    from statsmodels.tools.numdiff import approx_hess3

    hess = approx_hess3(log_params, neg_loglik)
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return np.full(len(log_params), np.nan)
    var = np.diag(cov)
    # delta method: se(p) = p * se(log p)
    return np.where(var > 0, np.exp(log_params) * np.sqrt(np.abs(var)), np.nan)


def _check_derl_args(discount_rate, renewals) -> None:
    if isinstance(discount_rate, bool) or not (isinstance(discount_rate, (int, float, np.floating))
                                               and discount_rate > 0):
        raise ParameterError(f"discount_rate={discount_rate!r} must be a positive rate per period "
                             "(0.10 for 10 %).")
    if isinstance(renewals, bool) or not isinstance(renewals, (int, np.integer)) or renewals < 0:
        raise ParameterError(f"renewals={renewals!r} must be a whole number >= 0.")


@dataclass
class _RetentionModel(Result):
    """Shared behaviour of the sBG and BdW models (survival, projection, DERL, plots)."""

    survivors: np.ndarray = field(repr=False)
    log_likelihood: float = field(repr=False)

    name = "model"

    # subclasses define survival(t)
    def survival(self, t):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _periods(t, *, allow_zero: bool = True) -> np.ndarray:
        arr = np.asarray(t, dtype=float)
        low = 0 if allow_zero else 1
        if not np.isfinite(arr).all() or (arr < low).any() or (arr != np.round(arr)).any():
            raise ParameterError(f"t={t!r} must be whole periods >= {low}.")
        return arr

    def retention_rate(self, t):
        """Share of customers active at period t - 1 who renew at period t (t >= 1)."""
        t = self._periods(t, allow_zero=False)
        out = np.asarray(self.survival(t)) / np.asarray(self.survival(t - 1))
        return float(out) if out.ndim == 0 else out

    def churn_probability(self, t):
        """P(T = t): the probability that a new customer's last period is t (t >= 1)."""
        t = self._periods(t, allow_zero=False)
        out = np.asarray(self.survival(t - 1)) - np.asarray(self.survival(t))
        return float(out) if out.ndim == 0 else out

    def project(self, periods: int) -> pd.DataFrame:
        """Survival and retention for periods 0 .. ``periods``, next to what was observed.

        Columns: ``period``, ``survival`` (projected share still active), ``retention_rate``,
        ``expected_survivors`` (survival x cohort size), ``observed_survivors`` (NaN past
        the data) and ``fitted`` (True for the periods the model was fitted on).
        """
        if isinstance(periods, bool) or not isinstance(periods, (int, np.integer)) or periods < 1:
            raise ParameterError(f"periods={periods!r} must be a whole number of periods >= 1.")
        t = np.arange(int(periods) + 1)
        surv = np.asarray(self.survival(t), dtype=float)
        ret = np.r_[np.nan, surv[1:] / surv[:-1]]
        observed = np.full(len(t), np.nan)
        k = min(len(t), len(self.survivors))
        observed[:k] = self.survivors[:k]
        return pd.DataFrame({"period": t, "survival": surv, "retention_rate": ret,
                             "expected_survivors": surv * self.survivors[0],
                             "observed_survivors": observed, "fitted": t < len(self.survivors)})

    def _derl_series(self, discount_rate: float, renewals: int) -> float:
        n = renewals + 1
        s_prev = float(self.survival(n - 1))
        total, t, factor = 0.0, n, 1.0
        chunk = 2000
        while True:
            ts = np.arange(t, t + chunk)
            terms = np.asarray(self.survival(ts)) / s_prev * factor / (1 + discount_rate) ** (ts - t)
            total += terms.sum()
            if terms[-1] < 1e-13 or t > 10_000_000:
                return float(total)
            factor /= (1 + discount_rate) ** chunk
            t += chunk

    def derl(self, discount_rate: float, renewals: int) -> float:
        """Discounted expected residual lifetime of a customer who has made ``renewals`` renewals.

        Fader & Hardie (2010, "Customer-Base Valuation in a Contractual Setting: The
        Perils of Ignoring Heterogeneity", *Marketing Science* 29(1)): standing at the end
        of period n = renewals + 1, just before the customer decides whether to renew,

            DERL = sum over t >= n of [S(t) / S(n - 1)] / (1 + d)^(t - n),

        the expected number of further payments, each discounted to today. Multiply by the
        margin per period for the residual value of the customer. ``discount_rate`` is
        per period (e.g. 0.10 per year) and must be positive: with alpha <= 1 the expected
        lifetime is infinite and the undiscounted sum diverges.
        """
        _check_derl_args(discount_rate, renewals)
        return self._derl_series(float(discount_rate), int(renewals))

    def plot(self, ax=None, *, periods: int | None = None, unit: str | None = None, **kwargs):
        """Observed survivors and the model's projection (share of the cohort).

        ``unit``: what one period of the survivor counts is ("year", "month", ...); the x
        axis is labelled with it (default: the model's ``unit`` if it has one, else
        "period", as the counts alone do not say). ``kwargs`` go to the projection line
        (``Axes.plot``), e.g. ``color=`` or ``label=``. Returns the Axes."""
        from matplotlib.lines import Line2D
        from matplotlib.ticker import MaxNLocator

        from .plotting import artist_kwargs, headroom, legend_outside

        ax = get_axes(ax)
        periods = periods or max(2 * (len(self.survivors) - 1), len(self.survivors) + 4)
        proj = self.project(periods)
        ax.plot(proj["period"], proj["survival"],
                **artist_kwargs(kwargs, Line2D, color="#4c72b0", label=f"{self.name} projection"))
        n_fit = len(self.survivors)
        ax.plot(np.arange(n_fit), self.survivors / self.survivors[0], "o", color="black",
                label="observed (fitted)")
        ax.axvline(n_fit - 1, color="grey", ls=":", lw=1, label="end of the fitted data")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(0, 1.0)
        headroom(ax, top=1.0, margin=0.05)
        percent_axis(ax)
        legend_outside(ax)
        unit = unit or getattr(self, "unit", None) or getattr(self, "time_unit", None)
        unit = str(unit).strip() if unit else None
        xlabel = (f"{unit if unit.endswith('s') else unit + 's'} since the start (one period = one "
                  f"{unit.rstrip('s')})") if unit else "period"
        return label(ax, title=f"Share of the cohort still subscribed: {self.name} fit and projection",
                     xlabel=xlabel, ylabel="still active")

    @property
    def title(self) -> str:
        return f"{self.name} retention model"

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, [self.explain()])


    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return f"{type(self).__name__}({params}, log_likelihood={self.log_likelihood:.2f})"

    @property
    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors (numerical Hessian, delta method)."""
        return pd.DataFrame({"parameter": list(self.params), "estimate": list(self.params.values()),
                             "std_error": list(self.std_errors)})


@dataclass(repr=False)
class SBGModel(_RetentionModel):
    """A fitted shifted-beta-geometric model (Fader & Hardie 2007).

    Attributes: ``alpha``, ``beta`` (the Beta distribution of per-period churn
    probabilities across customers), their ``std_errors``, the ``survivors`` it was fitted
    on and the maximised ``log_likelihood``.
    """

    alpha: float = np.nan
    beta: float = np.nan
    std_errors: np.ndarray = field(default_factory=lambda: np.full(2, np.nan), repr=False)
    unit: str | None = None  # what one period is ("year", "month"); labels the plot

    name = "sBG"

    @property
    def params(self) -> dict:
        return {"alpha": self.alpha, "beta": self.beta}

    def survival(self, t):
        """S(t) = B(alpha, beta + t) / B(alpha, beta): share of a new cohort still active after t periods."""
        t = self._periods(t)
        out = np.exp(special.betaln(self.alpha, self.beta + t) - special.betaln(self.alpha, self.beta))
        return float(out) if out.ndim == 0 else out

    def retention_rate(self, t):
        """r(t) = (beta + t - 1) / (alpha + beta + t - 1), t >= 1: rises with t as churners leave."""
        t = self._periods(t, allow_zero=False)
        out = (self.beta + t - 1) / (self.alpha + self.beta + t - 1)
        return float(out) if np.ndim(out) == 0 else out

    def derl(self, discount_rate: float, renewals: int) -> float:
        """Discounted expected residual lifetime (Fader & Hardie 2010, eq. for the sBG)::

            DERL(d | n - 1 renewals) = (beta + n - 1) / (alpha + beta + n - 1)
                                       * 2F1(1, beta + n; alpha + beta + n; 1 / (1 + d))

        with n = renewals + 1; equal to the series in :meth:`_RetentionModel.derl`.

        Examples
        --------
        >>> model = SBGModel(survivors=np.array([1000.0, 869, 743]), log_likelihood=0.0,
        ...                  alpha=0.668, beta=3.806)
        >>> round(model.derl(0.10, renewals=0), 3)  # discounted further renewals after year 1
        5.415
        """
        _check_derl_args(discount_rate, renewals)
        n = int(renewals) + 1
        a, b = self.alpha, self.beta
        value = (b + n - 1) / (a + b + n - 1) * special.hyp2f1(1, b + n, a + b + n, 1 / (1 + discount_rate))
        # hyp2f1 fails (nan) for huge alpha, beta (a nearly homogeneous cohort): sum the series.
        return float(value) if np.isfinite(value) else self._derl_series(float(discount_rate), n - 1)

    @explains
    def explain(self) -> str:
        n = len(self.survivors) - 1
        mean_theta = self.alpha / (self.alpha + self.beta)
        r1, rn, r_next = self.retention_rate(1), self.retention_rate(n), self.retention_rate(n + 1)
        return (
            f"Fitted on {n} periods of a cohort of {self.survivors[0]:,.0f}: per-period churn "
            f"probabilities vary across customers as Beta(alpha={self.alpha:.3f}, beta={self.beta:.3f}), "
            f"mean {mean_theta:.1%}. The retention rate rises from {r1:.1%} in period 1 to {rn:.1%} in "
            f"period {n} and {r_next:.1%} next: the customers most likely to leave go first, so those "
            f"who remain are the loyal ones. Projections assume the cohort keeps behaving like this "
            f"and that no individual's churn probability changes with tenure (see fit_bdw)."
        )


@dataclass(repr=False)
class BdWModel(_RetentionModel):
    """A fitted beta-discrete-Weibull model (Fader et al. 2018): the sBG with a shape ``c``
    for duration dependence (c < 1: an individual's churn probability falls with tenure)."""

    alpha: float = np.nan
    beta: float = np.nan
    c: float = np.nan
    std_errors: np.ndarray = field(default_factory=lambda: np.full(3, np.nan), repr=False)
    unit: str | None = None  # what one period is ("year", "month"); labels the plot

    name = "BdW"

    @property
    def params(self) -> dict:
        return {"alpha": self.alpha, "beta": self.beta, "c": self.c}

    def survival(self, t):
        """S(t) = B(alpha, beta + t^c) / B(alpha, beta)."""
        t = self._periods(t)
        out = np.exp(special.betaln(self.alpha, self.beta + t**self.c) - special.betaln(self.alpha, self.beta))
        return float(out) if out.ndim == 0 else out

    @explains
    def explain(self) -> str:
        n = len(self.survivors) - 1
        trend = ("falls" if self.c < 1 else "rises") + " with tenure"
        return (
            f"Fitted on {n} periods of a cohort of {self.survivors[0]:,.0f}: alpha={self.alpha:.3f}, "
            f"beta={self.beta:.3f}, c={self.c:.3f}. With c {'<' if self.c < 1 else '>'} 1 each customer's "
            f"own churn probability {trend} (c = 1 is the sBG model); the aggregate retention rate "
            f"also rises because churn-prone customers leave first. Compare the log-likelihood with "
            f"the sBG fit ({self.log_likelihood:,.1f} here) before preferring the extra parameter."
        )


def _loglik(survivors: np.ndarray, surv_fn) -> float:
    t = np.arange(len(survivors))
    s = surv_fn(t)
    lost = -np.diff(survivors)
    p = s[:-1] - s[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = np.sum(np.where(lost > 0, lost * np.log(p), 0.0)) + survivors[-1] * np.log(s[-1])
    return float(ll) if np.isfinite(ll) else -np.inf


def _check_unit(unit):
    if unit is None:
        return None
    if not isinstance(unit, str) or not unit.strip():
        raise ParameterError(f"unit={unit!r}: give what one period is as text, e.g. unit='year' or unit='month'.")
    return unit.strip()


def fit_sbg(survivors, *, unit: str | None = None) -> SBGModel:
    """Fit the shifted-beta-geometric model by maximum likelihood.

    Parameters
    ----------
    survivors : sequence of int
        Customers of one cohort still active at periods 0, 1, 2, ... (period 0 is the
        cohort size), e.g. ``[1000, 631, 468, 382, 326, 289, 262, 241]``.
    unit : str, optional
        What one period is ("year", "month", ...): kept on the model and used to label its plot.

    Returns
    -------
    SBGModel

    Notes
    -----
    The likelihood of Fader & Hardie (2007, eq. 4): customers lost in period t contribute
    P(T = t) each, those still active after the last period S(last) each. Maximised over
    log alpha and log beta with scipy (Nelder-Mead then BFGS, from several starts).

    Examples
    --------
    Fader & Hardie's (2007) "regular" customers; the paper reports alpha = 0.704 and
    beta = 1.182.

    >>> model = fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(model.alpha, 3), round(model.beta, 3)
    (0.704, 1.182)
    >>> round(model.retention_rate(8), 3)  # (1.182 + 7) / (0.704 + 1.182 + 7)
    0.921
    """
    n, unit = _check_survivors(survivors), _check_unit(unit)

    def nll(log_params):
        a, b = np.exp(log_params)
        ll = _loglik(n, lambda t: np.exp(special.betaln(a, b + t) - special.betaln(a, b)))
        return -ll if np.isfinite(ll) else 1e300

    res = _fit(nll, [(1.0, 1.0), (0.5, 3.0), (3.0, 10.0)], 2)
    alpha, beta = np.exp(res.x)
    if max(alpha, beta) > 1e5:
        warnings.warn(f"The fit drifted to alpha={alpha:.3g}, beta={beta:.3g}: the counts look like a "
                      "constant churn probability (no heterogeneity); the projection is geometric.",
                      SmallSampleWarning, stacklevel=2)
    return SBGModel(survivors=n, log_likelihood=-float(res.fun), alpha=float(alpha), beta=float(beta),
                    std_errors=_std_errors(nll, res.x), unit=unit)


def fit_bdw(survivors, *, unit: str | None = None) -> BdWModel:
    """Fit the beta-discrete-Weibull model (Fader, Hardie, Liu, Davin & Steenburgh 2018).

    Like :func:`fit_sbg` (``unit`` included) with a third parameter ``c`` (duration
    dependence); needs at least 4 survivor counts (3 periods) for 3 parameters.

    Examples
    --------
    >>> model = fit_bdw([1000, 869, 743, 653, 593, 551, 517, 491])
    >>> round(model.c, 2), round(model.survival(7) * 1000)  # c > 1; last count reproduced
    (1.72, 491)
    """
    n, unit = _check_survivors(survivors), _check_unit(unit)
    if len(n) < 4:
        raise DataError(f"fit_bdw needs at least 4 survivor counts (periods 0-3) for 3 parameters; got {len(n)}.")

    def nll(log_params):
        a, b, c = np.exp(log_params)
        ll = _loglik(n, lambda t: np.exp(special.betaln(a, b + t**c) - special.betaln(a, b)))
        return -ll if np.isfinite(ll) else 1e300

    sbg = fit_sbg(n)
    res = _fit(nll, [(sbg.alpha, sbg.beta, 1.0), (1.0, 1.0, 0.8), (1.0, 1.0, 1.2)], 3)
    alpha, beta, c = np.exp(res.x)
    return BdWModel(survivors=n, log_likelihood=-float(res.fun), alpha=float(alpha), beta=float(beta),
                    c=float(c), std_errors=_std_errors(nll, res.x), unit=unit)
