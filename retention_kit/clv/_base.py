"""What the customer-base models share: reading a summary, grouping identical customers,
maximum likelihood on log parameters, standard errors and the fitted-model result."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import DataError, DataQualityWarning, ParameterError, RetentionWarning
from ..results import Result, render_html

__all__ = ["ConvergenceWarning", "IndependenceWarning"]


class ConvergenceWarning(RetentionWarning):
    """The likelihood maximisation stopped without converging, or at an implausible edge."""


class IndependenceWarning(RetentionWarning):
    """Spend and purchase frequency are visibly correlated: the gamma-gamma model assumes not."""


def column(summary: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column of an rfm_summary frame, or a DataError naming what is missing."""
    if name not in summary.columns:
        raise DataError(f"The summary has no column {name!r} (columns: {list(summary.columns)}). "
                        "Build it with rk.rfm_summary(events, ...), or rename your columns to "
                        "frequency, recency, T (and monetary_value).")
    return summary[name].to_numpy(dtype=float)


def as_arrays(frequency, recency, T, *, what: str = "customer"):
    """frequency, recency, T as float arrays (accepts an rfm_summary frame as ``frequency``),
    checked: whole non-negative frequencies, 0 <= recency <= T."""
    index = None
    if isinstance(frequency, pd.DataFrame):
        if recency is not None or T is not None:
            raise ParameterError("Give either an rfm_summary frame or frequency, recency and T, not both.")
        index = frequency.index
        frequency, recency, T = (column(frequency, c) for c in ("frequency", "recency", "T"))
    elif recency is None or T is None:
        raise ParameterError("Give frequency, recency and T (or an rfm_summary frame as the first argument).")
    x, tx, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    x, tx, big_t = np.broadcast_arrays(x, tx, big_t)
    checks = [
        (~np.isfinite(x) | ~np.isfinite(tx) | ~np.isfinite(big_t), "missing or infinite values", ""),
        ((x < 0) | (x != np.round(x)), "frequency that is not a whole number >= 0",
         " frequency counts repeat purchases."),
        (big_t < 0, "negative T", " T is the time from the first purchase to the calibration end."),
        ((tx < 0) | (tx > big_t + 1e-9), "recency outside 0 .. T",
         " recency is the time from the first to the last purchase."),
        ((x == 0) & (tx > 0), "recency > 0 with frequency 0", " with no repeat purchase recency is 0."),
    ]
    for bad, text, why in checks:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{int(bad.sum()):,} {what}(s) have {text} (first: frequency={x.flat[i]!r}, "
                            f"recency={tx.flat[i]!r}, T={big_t.flat[i]!r}).{why} Build the summary with "
                            "rk.rfm_summary(events, ...).")
    return x, np.minimum(tx, big_t), big_t, index


def levels(*cols: np.ndarray):
    """Distinct rows of the columns: (list of unique columns, code of each row)."""
    frame = pd.DataFrame(dict(enumerate(cols)))
    codes = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
    first = np.empty(codes.max() + 1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return [c[first] for c in cols], codes


class Grouped:
    """A summary reduced for the likelihood: identical (x, t_x, T) rows counted once
    (``x``, ``tx``, ``T``, weights ``w``), with the distinct values of x, t_x, T and of the
    pairs (x, t_x), (x, T) and their codes, so that special functions are evaluated once
    per distinct argument. Summaries from daily data repeat the same triple many times
    (every one-off buyer of a day shares x = 0, t_x = 0 and T), and take few distinct
    values of each column."""

    def __init__(self, x: np.ndarray, tx: np.ndarray, big_t: np.ndarray):
        (self.x, self.tx, self.T), codes = levels(x, tx, big_t)
        self.w = np.bincount(codes).astype(float)
        (self.ux,), self.cx = levels(self.x)
        (self.utx,), self.ctx = levels(self.tx)
        (self.ut,), self.ct = levels(self.T)
        (self.px_tx, self.ptx), self.c_xtx = levels(self.x, self.tx)
        (self.px_t, self.pt), self.c_xt = levels(self.x, self.T)


def grouped(x: np.ndarray, tx: np.ndarray, big_t: np.ndarray) -> Grouped:
    """The summary reduced for the likelihood (see :class:`Grouped`)."""
    return Grouped(x, tx, big_t)


def drop_zero_age(x, tx, big_t, model: str):
    """Customers with T = 0 (first seen on the calibration end day) carry no information
    about the purchase process; they are left out of the fit with a warning."""
    zero = big_t <= 0
    if zero.all():
        raise DataError(f"Every customer has T = 0 (first purchase on the calibration end day): {model} "
                        "needs customers observed for some time. Move calibration_end later.")
    if zero.any():
        warnings.warn(f"{int(zero.sum()):,} customers first bought on the calibration end day (T = 0) and "
                      f"were left out of the {model} fit: they were observed for no time.",
                      DataQualityWarning, stacklevel=3)
        return x[~zero], tx[~zero], big_t[~zero]
    return x, tx, big_t


def maximise(nll, x0, *, model: str, gradient=None):
    """Minimise a negative log-likelihood over log parameters (L-BFGS-B, then Nelder-Mead
    polish when L-BFGS-B reports a problem); warn with what to try when it does not converge."""
    with np.errstate(all="ignore"):
        # No bounds: with bounds scipy's L-BFGS-B can stop at the start after one failed step.
        res = optimize.minimize(nll, np.asarray(x0, float), jac=gradient, method="L-BFGS-B",
                                options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-8})
        if not res.success or res.nit <= 1 or not np.isfinite(res.fun):
            fun = (lambda v: nll(v)[0]) if gradient else nll
            polish = optimize.minimize(fun, res.x, method="Nelder-Mead",
                                       options={"maxiter": 20000, "xatol": 1e-10, "fatol": 1e-12})
            if np.isfinite(polish.fun) and (not np.isfinite(res.fun) or polish.fun <= res.fun):
                res = optimize.minimize(nll, polish.x, jac=gradient, method="L-BFGS-B",
                                        options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-8})
                if not (np.isfinite(res.fun) and res.fun <= polish.fun):
                    res = polish
    if not np.isfinite(res.fun):
        raise DataError(f"The {model} likelihood could not be evaluated at any parameter value tried. "
                        "Check the summary for customers with extreme values.")
    edge = np.abs(res.x) > np.log(1e6)
    if not (res.success or _flat(nll, res.x, gradient)) or edge.any():
        if edge.any():
            what = (" and some parameters ran to the edge of the parameter space (above 1e6 or below 1e-6): "
                    "the data may show no heterogeneity in that process (a huge Gamma or Beta pair means "
                    "one rate or probability for everyone), so intervals and extrapolations are unreliable")
        else:
            what = f" ({res.message})"
        warnings.warn(f"The {model} fit did not converge cleanly{what}. Try a longer calibration period or a "
                      "coarser time_unit, check that enough customers made repeat purchases, or pass "
                      "initial_params= closer to the expected values.", ConvergenceWarning, stacklevel=3)
    return res


def _flat(nll, x, gradient) -> bool:
    """True when the gradient at x is negligible (L-BFGS-B reports line-search failures at
    optima it cannot improve in floating point)."""
    with np.errstate(all="ignore"):
        g = nll(x)[1] if gradient else optimize.approx_fprime(x, nll, 1e-7)
    return bool(np.all(np.isfinite(g)) and np.max(np.abs(g)) < 1e-2)


def covariance(nll, log_params: np.ndarray) -> np.ndarray:
    """Covariance of the log parameters: the inverse numerical Hessian of the negative
    log-likelihood (statsmodels ``approx_hess3``); NaN when it is not positive definite."""
    from statsmodels.tools.numdiff import approx_hess3

    with np.errstate(all="ignore"):
        hess = approx_hess3(log_params, nll)
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return np.full((len(log_params),) * 2, np.nan)
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        return np.full((len(log_params),) * 2, np.nan)
    return cov


class FittedModel(Result):
    """A fitted customer-base model: ``params`` (Series), ``std_errors``, ``confidence_intervals``,
    ``log_likelihood``, ``summary``, ``explain()`` and the Jupyter table.

    Intervals are Wald intervals on the log scale, exp(log p +/- z se(log p)): they stay
    positive, as every parameter is; ``std_errors`` are p * se(log p) (delta method).
    """

    name = "model"
    param_names: tuple[str, ...] = ()

    def __init__(self, log_params, log_likelihood: float, cov: np.ndarray, n_customers: int,
                 time_unit: str | None = None, ci_alpha: float = 0.05):
        self._log_params = np.asarray(log_params, float)
        self.log_likelihood = float(log_likelihood)
        self.covariance_ = pd.DataFrame(cov, index=self.param_names, columns=self.param_names)
        self.n_customers = int(n_customers)
        self.time_unit = time_unit
        self.ci_alpha = ci_alpha  # not `alpha`: that is a parameter of the purchase models

    @property
    def params(self) -> pd.Series:
        """The maximum-likelihood estimates."""
        return pd.Series(np.exp(self._log_params), index=list(self.param_names), name="estimate")

    @property
    def std_errors(self) -> pd.Series:
        se_log = np.sqrt(np.diag(self.covariance_.to_numpy()))
        return pd.Series(self.params.to_numpy() * se_log, index=list(self.param_names), name="std_error")

    @property
    def confidence_intervals(self) -> pd.DataFrame:
        z = stats.norm.ppf(1 - self.ci_alpha / 2)
        se_log = np.sqrt(np.diag(self.covariance_.to_numpy()))
        return pd.DataFrame({"lower": np.exp(self._log_params - z * se_log),
                             "upper": np.exp(self._log_params + z * se_log)}, index=list(self.param_names))

    @property
    def summary(self) -> pd.DataFrame:
        """One row per parameter: estimate, std_error, lower and upper confidence limits."""
        return pd.concat([self.params, self.std_errors, self.confidence_intervals], axis=1)

    def __getattr__(self, item):  # model.r, model.alpha, ... (only the parameter names)
        names = type(self).param_names
        log_params = self.__dict__.get("_log_params")
        if item in names and log_params is not None:
            return float(np.exp(log_params[names.index(item)]))
        raise AttributeError(item)

    def explain(self) -> str:  # pragma: no cover - every model defines it
        raise NotImplementedError

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return (f"{type(self).__name__}({params}, log_likelihood={self.log_likelihood:,.2f}, "
                f"customers={self.n_customers:,})")

    @property
    def title(self) -> str:
        return f"{self.name} model ({1 - self.ci_alpha:.0%} intervals)"

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, [self.explain()])


def model_time_unit(summary) -> str | None:
    """The singular time unit ("week") of an RFM summary a model is fitted on, for its text."""
    from .summary import unit_name

    unit = getattr(summary, "attrs", {}).get("time_unit")
    return unit_name(unit)[:-1] if unit else None
