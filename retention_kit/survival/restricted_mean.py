"""Restricted mean survival time: :func:`rmst` (:class:`RMSTResult`) and the two-group
:func:`rmst_difference` (:class:`RMSTDifference`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from scipy import stats
import numpy as np
import pandas as pd

from .._options import caller_stacklevel, check_alpha as _check_alpha, check_horizon, legacy_arguments, \
    renamed_attributes
from ..errors import DataError, ParameterError, SmallSampleWarning
from ..results import explains, render_html, Result
from ..checks import check_weights
from ._common import check_durations, group_name, km_steps, lifetime_groups, time_unit_of


@renamed_attributes(t="horizon")
@dataclass
class RMSTResult(Result):
    """Restricted mean survival time: the expected time retained within the first ``horizon``.

    ``value`` is the area under the Kaplan-Meier curve from 0 to ``horizon``; ``std_error``
    its sampling standard error (Klein & Moeschberger eq. 4.4.4); the interval is
    ``value +/- z * std_error``. (``horizon`` was ``t`` until 0.2.0; ``.t`` still reads it,
    with a ``FutureWarning``.)
    """

    value: float
    std_error: float
    ci_lower: float
    ci_upper: float
    horizon: float
    alpha: float
    customers: float
    churned: float
    label: str = "all customers"
    time_unit: str = "days"

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "group": self.label, "horizon": self.horizon, "rmst": self.value, "std_error": self.std_error,
            "ci_lower": self.ci_lower, "ci_upper": self.ci_upper,
            "customers": self.customers, "churned": self.churned,
        }])

    @property
    def title(self) -> str:
        return f"Restricted mean survival time up to {self.horizon:g} {self.time_unit}"

    @explains
    def explain(self) -> str:
        u = self.time_unit
        return (
            f"Within the first {self.horizon:,.0f} {u}, "
            f"{'a customer' if self.label == 'all customers' else f'a customer of {self.label}'} stays on average "
            f"{self.value:,.1f} {u} ({1 - self.alpha:.0%} interval {self.ci_lower:,.1f} to "
            f"{self.ci_upper:,.1f}), i.e. {self.value / self.horizon:.1%} of the horizon; estimated from "
            f"{self.customers:,.0f} customers of whom {self.churned:,.0f} churned. It says nothing "
            f"about time after {self.horizon:,.0f} {u}."
        )

    def __repr__(self) -> str:
        return (f"RMSTResult(horizon={self.horizon:g}, value={self.value:.4g}, std_error={self.std_error:.4g}, "
                f"ci=[{self.ci_lower:.4g}, {self.ci_upper:.4g}], label={self.label!r})")

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, [self.explain()])


@legacy_arguments(renamed={"t": "horizon"}, positional=("horizon",))
def rmst(durations, event_observed=None, *, horizon, weights=None, weights_col: str | None = None,
         alpha: float = 0.05, label: str = "all customers", time_unit: str | None = None,
         duration_col: str = "duration", event_col: str = "churned") -> RMSTResult:
    """Restricted mean survival time up to ``horizon`` with its Greenwood-type standard error.

    RMST(t) = integral of the Kaplan-Meier curve S(u) from 0 to t: the expected time a
    customer stays within the first ``t`` (days, if durations are days).

    The variance is Klein & Moeschberger (2003) eq. 4.4.4::

        Var = sum over event times t_i <= t of  A_i**2 * d_i / (n_i * (n_i - d_i)),
        A_i = integral of S(u) from t_i to t,

    with d_i events and n_i customers at risk at t_i. This is the sampling variance of the
    estimate. It is *not* what lifelines'
    ``restricted_mean_survival_time(..., return_variance=True)`` returns: that is the
    variance of min(T, t) across customers (lifelines issue #1682), larger by a factor of
    about n.

    Parameters
    ----------
    durations : DataFrame or array-like
        A lifetimes frame with columns ``duration`` and ``churned`` (from
        :func:`customer_lifetimes`, like :func:`kaplan_meier`), or the lifetimes as an
        array (e.g. ``lifetimes["duration"]``) with ``event_observed``. For one RMST per
        group use ``kaplan_meier(lifetimes, by=...).rmst(horizon)`` or
        :func:`rmst_difference`.
    event_observed : array-like of bool
        With array ``durations`` only: True when the lifetime ended in churn, False when
        censored.
    horizon : float or duration
        A number of time units (days for lifetimes in days), or a duration such as
        ``"90D"``. It must not exceed the longest observed duration unless the curve has
        already reached 0 (beyond the data the curve is unknown). (``t`` until 0.2.0.)
    weights : array-like, optional
        With arrays: whole counts of identical customers per row (aggregated input).
    weights_col : str, optional
        With a lifetimes frame: the column of such counts (``survival_table``'s ``count``).
    alpha : float
        1 - confidence level of the interval.
    label, time_unit : str
        Names used in the summary and the explanation; ``time_unit`` defaults to the
        lifetimes' unit (days).

    Returns
    -------
    RMSTResult

    Examples
    --------
    Five customers; events at 2 and 4, censored at 3, 5 and 6. S = 0.8 on [2, 4) and
    0.8 * 2/3 on [4, 6), so RMST(5) = 2 + 0.8 * 2 + 0.5333 * 1 = 4.1333. Variance:
    A(2) = 0.8 * 2 + 0.5333 = 2.1333 with 5 at risk, A(4) = 0.5333 with 3 at risk, so
    Var = 2.1333**2 / (5 * 4) + 0.5333**2 / (3 * 2) = 0.2750 and SE = 0.5244.

    >>> res = rmst([2, 3, 4, 5, 6], [True, False, True, False, False], horizon=5)
    >>> round(res.value, 4), round(res.std_error, 4)
    (4.1333, 0.5244)

    The same from a lifetimes frame:

    >>> life = pd.DataFrame({"duration": [2, 3, 4, 5, 6], "churned": [1, 0, 1, 0, 0]})
    >>> round(rmst(life, horizon=5).value, 4)
    4.1333
    """
    alpha = _check_alpha(alpha)
    if isinstance(durations, pd.DataFrame):
        if event_observed is not None or weights is not None:
            raise ParameterError("With a lifetimes DataFrame, leave out event_observed and weights (the "
                                 "columns 'churned' and weights_col are used): rmst(lifetimes, horizon=90).")
        time_unit = time_unit_of(durations, time_unit)
        _, groups = lifetime_groups(durations, None, weights_col, label, duration_col, event_col)
        g = groups[label]
        d, e, w = g.durations, g.events, g.weights
    else:
        if event_observed is None:
            raise ParameterError("rmst needs a lifetimes DataFrame, or durations and event_observed arrays: "
                                 "rmst(lifetimes, horizon=90) or rmst(durations, churned, horizon=90).")
        if weights_col is not None or (duration_col, event_col) != ("duration", "churned"):
            raise ParameterError("weights_col, duration_col and event_col name columns of a lifetimes "
                                 "DataFrame; with arrays give durations, event_observed (and weights=).")
        d, e = check_durations(durations, event_observed)
        w = check_weights(weights, len(d), "weights")
    time_unit = time_unit_of(None, time_unit)
    t = check_horizon(horizon, time_unit)
    if w.sum() == 0:
        raise DataError("All weights are 0: there are no customers to estimate from.")
    keep = w > 0
    d, e, w = d[keep], e[keep], w[keep]
    times, n, deaths, surv = km_steps(d, e, w)
    longest = float(d.max())
    if t > longest and not (len(surv) and surv[-1] == 0):
        raise ParameterError(
            f"horizon={t:g} is beyond the longest observed duration ({longest:g}) of {label}, where "
            f"the survival curve is still {surv[-1] if len(surv) else 1.0:.3f}: the curve is "
            f"unknown beyond the data. Choose horizon <= {longest:g}.")
    inside = times <= t
    times, n, deaths, surv = times[inside], n[inside], deaths[inside], surv[inside]
    # Area under the step function: S is 1 before the first event time.
    edges = np.r_[0.0, times, t]
    levels = np.r_[1.0, surv]
    pieces = levels * np.diff(edges)
    value = float(pieces.sum())
    # A_i = area from t_i to t: the pieces after event time i.
    tail_area = np.cumsum(pieces[::-1])[::-1][1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = tail_area**2 * deaths / (n * (n - deaths))
    # n == d only at a last event that takes S to 0, where A_i = 0: the term is 0.
    terms = np.where(n > deaths, terms, 0.0)
    std_error = float(np.sqrt(terms.sum()))
    z = stats.norm.ppf(1 - alpha / 2)
    return RMSTResult(value=value, std_error=std_error, ci_lower=value - z * std_error,
                      ci_upper=value + z * std_error, horizon=t, alpha=alpha, customers=float(w.sum()),
                      churned=float(w[e].sum()), label=str(label), time_unit=time_unit)


@renamed_attributes(t="horizon")
@dataclass
class RMSTDifference(Result):
    """Difference of restricted mean survival times, second group minus first (B - A), up to
    ``horizon`` (``t`` until 0.2.0; ``.t`` still reads it, with a ``FutureWarning``)."""

    difference: float
    std_error: float
    ci_lower: float
    ci_upper: float
    p_value: float
    horizon: float
    alpha: float
    rmst_a: RMSTResult
    rmst_b: RMSTResult
    labels: tuple = ("A", "B")

    @property
    def summary(self) -> pd.DataFrame:
        rows = pd.concat([self.rmst_a.summary, self.rmst_b.summary], ignore_index=True)
        diff = pd.DataFrame([{
            "group": f"{self.labels[1]} - {self.labels[0]}", "horizon": self.horizon,
            "rmst": self.difference, "std_error": self.std_error, "ci_lower": self.ci_lower,
            "ci_upper": self.ci_upper, "p_value": self.p_value,
        }])
        return pd.concat([rows, diff], ignore_index=True)

    @property
    def title(self) -> str:
        return f"RMST difference up to {self.horizon:g} {self.rmst_a.time_unit}"

    @explains
    def explain(self) -> str:
        a, b = self.labels
        u = self.rmst_a.time_unit
        direction = "more" if self.difference >= 0 else "less"
        return (
            f"Within the first {self.horizon:,.0f} {u}, customers of {b} stayed on average "
            f"{abs(self.difference):,.1f} {u} {direction} than those of {a} "
            f"({self.rmst_b.value:,.1f} vs {self.rmst_a.value:,.1f}; {1 - self.alpha:.0%} interval of "
            f"the difference {self.ci_lower:,.1f} to {self.ci_upper:,.1f}; p = {self.p_value:.3g}). "
            "The p-value says how surprising such a difference would be if the groups retained "
            "equally; the interval says how large the difference plausibly is."
        )

    def __repr__(self) -> str:
        a, b = self.labels
        return (f"RMSTDifference({b} - {a}, horizon={self.horizon:g}: difference={self.difference:.4g}, "
                f"std_error={self.std_error:.4g}, ci=[{self.ci_lower:.4g}, {self.ci_upper:.4g}], "
                f"p_value={self.p_value:.4g})")

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, [self.explain()])


@legacy_arguments(renamed={"t": "horizon"}, positional=("horizon",))
def rmst_difference(durations_a, event_a=None, durations_b=None, event_b=None, *, horizon, by=None,
                    weights_a=None, weights_b=None, weights_col: str | None = None, alpha: float = 0.05,
                    labels=None, time_unit: str | None = None, duration_col: str = "duration",
                    event_col: str = "churned") -> RMSTDifference:
    """Difference of restricted mean survival times **B minus A** with a z-test.

    ``difference = RMST_B(horizon) - RMST_A(horizon)``: with
    ``labels=("control", "treatment")`` a positive difference means the treatment keeps
    customers longer. The groups are independent, so ``std_error = sqrt(se_A**2 + se_B**2)``
    (each from Klein & Moeschberger eq. 4.4.4, see :func:`rmst`); the p-value is two-sided
    from the normal distribution. ``horizon`` (a number of time units or a duration such as
    ``"90D"``; ``t`` until 0.2.0) must be within the follow-up of both groups.

    Give either a lifetimes frame and ``by`` (the column whose two groups are compared;
    ``labels`` picks and orders two of its groups, first A then B, default the two groups in
    sorted order; ``weights_col`` for counts), or four arrays: durations and churn flags of
    A, then of B (``labels`` default ``("A", "B")``, ``weights_a``/``weights_b``).

    Examples
    --------
    Group B: S = 0.8 from 1, 0.6 from 2, 0.3 from 5, so RMST_B(5) = 1 + 0.8 + 0.6 * 3 = 3.6.

    >>> diff = rmst_difference([2, 3, 4, 5, 6], [1, 0, 1, 0, 0], [1, 2, 3, 5, 6], [1, 1, 0, 1, 0],
    ...                        horizon=5, labels=("control", "loyalty"))
    >>> round(diff.rmst_a.value, 4), round(diff.rmst_b.value, 4), round(diff.difference, 4)
    (4.1333, 3.6, -0.5333)

    The same from one lifetimes frame:

    >>> life = pd.DataFrame({"duration": [2, 3, 4, 5, 6, 1, 2, 3, 5, 6],
    ...                      "churned": [1, 0, 1, 0, 0, 1, 1, 0, 1, 0],
    ...                      "arm": ["control"] * 5 + ["loyalty"] * 5})
    >>> round(rmst_difference(life, by="arm", horizon=5).difference, 4)
    -0.5333
    """
    if isinstance(durations_a, pd.DataFrame):
        a_data, b_data = _two_groups(durations_a, by, labels, weights_col,
                                     event_a, durations_b, event_b, weights_a, weights_b,
                                     columns=(duration_col, event_col))
        time_unit = time_unit_of(durations_a, time_unit)
        labels = (a_data[0], b_data[0])
        (_, d_a, e_a, weights_a), (_, d_b, e_b, weights_b) = a_data, b_data
    else:
        if by is not None or weights_col is not None or (duration_col, event_col) != ("duration", "churned"):
            raise ParameterError("by= and weights_col= name columns of a lifetimes DataFrame (as do duration_col= and "
                                 "event_col=): "
                                 "rmst_difference(lifetimes, by='arm', horizon=90).")
        if event_a is None or durations_b is None or event_b is None:
            raise ParameterError("rmst_difference needs a lifetimes DataFrame with by=, or four arrays "
                                 "(durations_a, event_a, durations_b, event_b).")
        d_a, e_a, d_b, e_b = durations_a, event_a, durations_b, event_b
        labels = ("A", "B") if labels is None else labels
    if len(labels) != 2:
        raise ParameterError(f"labels={labels!r}: give two names, first group then second.")
    time_unit = time_unit or "days"
    a = rmst(d_a, e_a, horizon=horizon, weights=weights_a, alpha=alpha, label=str(labels[0]),
             time_unit=time_unit)
    b = rmst(d_b, e_b, horizon=horizon, weights=weights_b, alpha=alpha, label=str(labels[1]),
             time_unit=time_unit)
    diff = b.value - a.value
    se = float(np.hypot(a.std_error, b.std_error))
    z = stats.norm.ppf(1 - a.alpha / 2)
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else np.nan
    if se == 0:
        warnings.warn("Both RMST standard errors are 0 (no events before the horizon): no test is possible.",
                      SmallSampleWarning, stacklevel=caller_stacklevel())

    return RMSTDifference(difference=diff, std_error=se, ci_lower=diff - z * se, ci_upper=diff + z * se,
                          p_value=p, horizon=a.horizon, alpha=a.alpha, rmst_a=a, rmst_b=b,
                          labels=(str(labels[0]), str(labels[1])))


def _two_groups(lifetimes, by, labels, weights_col, *arrays, columns=("duration", "churned")):
    """(label, durations, events, weights) of the two groups of ``by`` that rmst_difference compares."""
    if any(a is not None for a in arrays):
        raise ParameterError("With a lifetimes DataFrame give by= (and weights_col=), not arrays: "
                             "rmst_difference(lifetimes, by='arm', horizon=90).")
    if by is None:
        raise ParameterError("rmst_difference(lifetimes, ...) needs by='<column>' naming the two groups, "
                             "e.g. by='arm'.")
    by_cols, groups = lifetime_groups(lifetimes, by, weights_col, None, *columns)
    named = {group_name(k): g for k, g in groups.items()}
    if labels is None:
        if len(named) != 2:
            raise ParameterError(f"Column(s) {by_cols} hold {len(named)} groups ({list(named)}): choose two "
                                 f"with labels=(first, second), e.g. labels={tuple(list(named)[:2])!r}.")
        labels = tuple(named)
    if len(labels) != 2:
        raise ParameterError(f"labels={labels!r}: give two names, first group then second.")
    missing = [str(x) for x in labels if str(x) not in named]
    if missing:
        raise ParameterError(f"labels={tuple(labels)!r}: no group {missing[0]!r} in {by_cols}; the groups "
                             f"are {list(named)}.")
    return [(str(x), named[str(x)].durations, named[str(x)].events, named[str(x)].weights) for x in labels]
