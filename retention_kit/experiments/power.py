"""Power for survival endpoints: how many churn events a hazard ratio needs, how many
customers that is, and how many customers a difference in restricted mean survival time
(RMST, mean days retained within a horizon) needs.

* **Hazard ratio** (log-rank test or Cox): Schoenfeld (1981, Biometrika 68, 316-319; 1983,
  Biometrics 39, 499-503)::

      events = (z_{1-alpha/sides} + z_{power})^2 / (p (1 - p) log(HR)^2)

  with ``p`` the share of customers in the treatment arm. Only events (observed churn)
  carry information; customers = events / P(a customer's churn is observed), with the
  treatment arm's churn probability ``1 - (1 - churn_control)^HR`` under proportional hazards.

* **RMST difference**: the Kaplan-Meier RMST up to ``tau`` has asymptotic variance
  (Klein & Moeschberger 2003, sec. 4.5; Royston & Parmar 2013, BMC Med Res Methodol 13:152)::

      n Var = integral_0^tau A(t)^2 h(t) / (S(t) G(t)) dt,   A(t) = integral_t^tau S(u) du,

  with hazard h, survival S and G(t) the probability of still being followed at t. Churn
  is taken exponential (constant hazard) from the churn probability by a given time;
  follow-up is complete to ``tau`` unless ``accrual`` and ``min_follow_up`` describe
  staggered entry (uniform enrolment over ``accrual``, analysis ``min_follow_up`` after the
  last customer enters).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from scipy import integrate, stats

from ..errors import ParameterError
from ._common import ResultMixin, check_allocation, check_positive, check_probability, check_sides
from ..results import explains
from .._options import renamed, renamed_attributes

__all__ = [
    "HazardRatioPlan",
    "RMSTPlan",
    "hazard_ratio_sample_size",
    "rmst_sample_size",
    "rmst_variance",
]


def _z_sum(alpha: float, power: float, sides: int) -> float:
    return float(stats.norm.isf(alpha / sides) + stats.norm.ppf(power))


def _check_hazard_ratio(hazard_ratio) -> float:
    hr = check_positive(hazard_ratio, "hazard_ratio", "0.8 for 20 % less churn")
    if hr == 1.0:
        raise ParameterError("hazard_ratio=1 is no effect: give the hazard ratio to detect, e.g. 0.8.")
    return hr


@dataclass(repr=False)
class HazardRatioPlan(ResultMixin):
    """Churn events and customers needed to detect a hazard ratio (see
    :func:`hazard_ratio_sample_size`)."""

    hazard_ratio: float
    alpha: float
    power: float
    sides: int
    allocation: float
    events_exact: float
    churn_control: float | None = None
    churn_treatment: float | None = None

    @property
    def events(self) -> int:
        return math.ceil(self.events_exact - 1e-9)

    @property
    def event_probability(self) -> float:
        """Probability that a customer's churn is observed (allocation-weighted)."""
        if self.churn_control is None:
            return float("nan")
        return (1 - self.allocation) * self.churn_control + self.allocation * self.churn_treatment

    @property
    def customers(self) -> int | None:
        if self.churn_control is None:
            return None
        return math.ceil(self.events_exact / self.event_probability - 1e-9)

    @property
    def n_control(self) -> int | None:
        return None if self.customers is None else math.ceil((1 - self.allocation) * self.customers - 1e-9)

    @property
    def n_treatment(self) -> int | None:
        return None if self.customers is None else math.ceil(self.allocation * self.customers - 1e-9)

    @property
    def summary(self) -> pd.DataFrame:
        missing = lambda v: float("nan") if v is None else v  # noqa: E731  (no churn given: no customers)
        return pd.DataFrame({
            "hazard_ratio": [self.hazard_ratio], "events": [self.events], "events_exact": [self.events_exact],
            "churn_control": [missing(self.churn_control)], "churn_treatment": [missing(self.churn_treatment)],
            "customers": [missing(self.customers)], "n_control": [missing(self.n_control)],
            "n_treatment": [missing(self.n_treatment)], "alpha": [self.alpha], "sides": [self.sides],
            "power": [self.power], "allocation": [self.allocation]})

    @property
    def title(self) -> str:
        return f"Events to detect a hazard ratio of {self.hazard_ratio:g}"

    @explains
    def explain(self) -> str:
        side = "two-sided" if self.sides == 2 else "one-sided"
        text = (f"To detect a hazard ratio of {self.hazard_ratio:g} (treatment churns at {self.hazard_ratio:.0%} of "
                f"the control's rate) with a {side} log-rank test at alpha = {self.alpha:g} and "
                f"{self.power:.0%} power, "
                f"with {self.allocation:.0%} of customers in treatment, you need {self.events:,} observed churn events "
                "(Schoenfeld's formula). Customers who stay carry no information about the hazard ratio: "
                "the events, not the customers, set the power.")
        if self.churn_control is not None:
            text += (f" If {self.churn_control:.0%} of control customers churn within the follow-up (so "
                     f"{self.churn_treatment:.1%} of treatment customers under proportional hazards), that is "
                     f"{self.customers:,} customers ({self.n_control:,} control, {self.n_treatment:,} treatment).")
        return text


def hazard_ratio_sample_size(hazard_ratio: float, *, alpha: float = 0.05, power: float = 0.8, sides: int = 2,
                             allocation: float = 0.5, churn_control: float | None = None) -> HazardRatioPlan:
    """Churn events (and customers) needed to detect a hazard ratio with the log-rank test.

    Parameters
    ----------
    hazard_ratio : float
        Treatment hazard of churning over the control hazard (0.8 = 20 % lower churn rate).
    alpha : float
        Significance level (split between the sides when two-sided).
    power : float
        Probability of a significant result when the hazard ratio is ``hazard_ratio``.
    sides : {1, 2}
    allocation : float
        Share of customers in the treatment arm (0.5: equal arms).
    churn_control : float, optional
        Probability that a control customer's churn is observed during the follow-up (e.g.
        churn by the horizon when everyone is followed to it). Gives the customers needed.

    Returns
    -------
    HazardRatioPlan
        ``events``, and ``customers``, ``n_control``, ``n_treatment`` when ``churn_control``
        is given.

    Examples
    --------
    HR 0.7, two-sided 0.05, 80 % power, equal arms:
    4 * (1.95996 + 0.84162)^2 / log(0.7)^2 = 4 * 7.84887 / 0.127217 = 246.8 -> 247 events.
    With 50 % control churn, treatment churn is 1 - 0.5^0.7 = 38.44 %, 44.22 % on average:
    246.79 / 0.44220 = 558.1 -> 559 customers.

    >>> plan = hazard_ratio_sample_size(0.7, churn_control=0.5)
    >>> plan.events, plan.customers
    (247, 559)
    """
    hr = _check_hazard_ratio(hazard_ratio)
    alpha = check_probability(alpha, "alpha")
    power = check_probability(power, "power", "0.8")
    sides = check_sides(sides)
    p = check_allocation(allocation)
    events = _z_sum(alpha, power, sides) ** 2 / (p * (1 - p) * math.log(hr) ** 2)
    churn_t = None
    if churn_control is not None:
        churn_control = check_probability(churn_control, "churn_control", "0.4 (40 % churn by the horizon)")
        churn_t = 1.0 - (1.0 - churn_control) ** hr
    return HazardRatioPlan(hr, alpha, power, sides, p, float(events), churn_control, churn_t)


# ---------------------------------------------------------------------------------------
# RMST
# ---------------------------------------------------------------------------------------

def _hazard(churn: float, by: float) -> float:
    return -math.log1p(-churn) / by


def _follow_up_survival(accrual, min_follow_up):
    """G(t): probability that a customer is still followed at t (no loss to follow-up)."""
    if accrual is None and min_follow_up is None:
        return lambda t: 1.0
    if accrual is None or min_follow_up is None:
        raise ParameterError("Give both accrual (how long customers enter) and min_follow_up (time from the last "
                             "entry to the analysis), or neither for complete follow-up to the horizon.")
    a = check_positive(accrual, "accrual", "28 (days of enrolment)")
    f = float(min_follow_up)
    if not (math.isfinite(f) and f >= 0):
        raise ParameterError(f"min_follow_up={min_follow_up!r} must be a non-negative time.")
    return lambda t: 1.0 if t <= f else max(0.0, (f + a - t) / a)


@renamed(tau="horizon")
def rmst_variance(hazard: float, horizon: float, *, accrual: float | None = None,
                  min_follow_up: float | None = None) -> float:
    """Asymptotic variance of the Kaplan-Meier RMST up to ``tau``, per customer
    (``n * Var``), under exponential churn with the given hazard.

    Examples
    --------
    With complete follow-up the KM RMST is the mean of min(T, tau), so n Var = Var(min(T, tau)):
    for hazard 0.01 and tau 60, E min = (1 - e^-0.6) / 0.01 = 45.1188, E min^2 = 2 / 0.01^2
    * (1 - 1.6 e^-0.6) = 2438.03, variance 2438.03 - 45.1188^2 = 402.3.

    >>> round(rmst_variance(0.01, 60), 1)
    402.3
    """
    tau = horizon
    lam = check_positive(hazard, "hazard", "0.01 per day")
    tau = check_positive(tau, "horizon", "60 (days)")
    G = _follow_up_survival(accrual, min_follow_up)
    if G(tau) <= 0:
        raise ParameterError(f"No customer is followed to horizon={tau:g}: accrual + min_follow_up must exceed the horizon.")

    def integrand(t):
        s = math.exp(-lam * t)
        area = (s - math.exp(-lam * tau)) / lam
        return area ** 2 * lam / (s * G(t))

    points = [min_follow_up] if min_follow_up is not None and 0 < min_follow_up < tau else None
    value, _ = integrate.quad(integrand, 0.0, tau, points=points, limit=200, epsabs=1e-10, epsrel=1e-10)
    return float(value)


@renamed_attributes(tau="horizon")
@dataclass(repr=False)
class RMSTPlan(ResultMixin):
    """Customers needed to detect a difference in RMST (see :func:`rmst_sample_size`) up to
    ``horizon`` (``tau`` until 0.2.0; ``.tau`` still reads it, with a ``FutureWarning``)."""

    horizon: float
    rmst_control: float
    rmst_treatment: float
    variance_control: float
    variance_treatment: float
    alpha: float
    power: float
    sides: int
    allocation: float
    customers_exact: float
    time_unit: str = "days"

    @property
    def difference(self) -> float:
        return self.rmst_treatment - self.rmst_control

    @property
    def customers(self) -> int:
        return math.ceil(self.customers_exact - 1e-9)

    @property
    def n_control(self) -> int:
        return math.ceil((1 - self.allocation) * self.customers_exact - 1e-9)

    @property
    def n_treatment(self) -> int:
        return math.ceil(self.allocation * self.customers_exact - 1e-9)

    def standard_error(self, n_control: int, n_treatment: int) -> float:
        """Planned standard error of the RMST difference with these arm sizes."""
        return math.sqrt(self.variance_control / n_control + self.variance_treatment / n_treatment)

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({
            "tau": [self.horizon], "rmst_control": [self.rmst_control], "rmst_treatment": [self.rmst_treatment],
            "difference": [self.difference], "customers": [self.customers], "n_control": [self.n_control],
            "n_treatment": [self.n_treatment], "alpha": [self.alpha], "sides": [self.sides],
            "power": [self.power]})

    @property
    def title(self) -> str:
        return f"Customers to detect an RMST difference of {self.difference:+.2f} {self.time_unit}"

    @explains
    def explain(self) -> str:
        u = self.time_unit
        return (f"Within the first {self.horizon:g} {u}, control customers are expected to stay "
                f"{self.rmst_control:.2f} {u} on average and treatment customers {self.rmst_treatment:.2f} (RMST, "
                f"exponential churn), a difference of {self.difference:+.2f} {u}. Detecting it with a {'two' if self.sides == 2 else 'one'}"
                f"-sided test at alpha = {self.alpha:g} and {self.power:.0%} power takes {self.customers:,} customers "
                f"({self.n_control:,} control, {self.n_treatment:,} treatment). Unlike a hazard ratio, the RMST "
                "difference stays meaningful when the curves are not proportional.")


@renamed(tau="horizon")
def rmst_sample_size(horizon: float, *, churn_control: float, churn_treatment: float | None = None,
                     hazard_ratio: float | None = None, churn_by: float | None = None, alpha: float = 0.05,
                     power: float = 0.8, sides: int = 2, allocation: float = 0.5, accrual: float | None = None,
                     min_follow_up: float | None = None, time_unit: str = "days") -> RMSTPlan:
    """Customers needed to detect a difference in restricted mean survival time up to ``tau``.

    Parameters
    ----------
    horizon : float
        The RMST horizon (e.g. 60 days: mean days retained within the first 60).
    churn_control : float
        Probability that a control customer has churned by ``churn_by`` (``tau`` by default).
    churn_treatment, hazard_ratio : float
        The treatment arm's churn probability by ``churn_by``, or its hazard ratio (one of two).
    churn_by : float, optional
        The time the churn probabilities refer to; ``tau`` by default.
    alpha, power, sides, allocation : see :func:`hazard_ratio_sample_size`.
    accrual, min_follow_up : float, optional
        Staggered entry: customers enter uniformly over ``accrual`` and the analysis is
        ``min_follow_up`` after the last entry, so early customers are followed longer.
        Complete follow-up to ``tau`` when omitted.
    time_unit : str
        Name of the time unit, for the explanation.

    Returns
    -------
    RMSTPlan

    Examples
    --------
    40 % control churn by day 60, hazard ratio 0.8: hazards -log(0.6) / 60 = 0.0085138 and
    0.0068110 per day; RMST (1 - e^(-60 h)) / h = 46.98 and 49.25 days (difference 2.270);
    n Var 372.6 and 328.6 (:func:`rmst_variance`);
    customers = (1.95996 + 0.84162)^2 * (372.6 / 0.5 + 328.6 / 0.5) / 2.270^2 = 2,136.5 -> 2,137.

    >>> plan = rmst_sample_size(60, churn_control=0.4, hazard_ratio=0.8)
    >>> round(plan.rmst_control, 2), round(plan.rmst_treatment, 2), plan.customers
    (46.98, 49.25, 2137)
    """
    tau = horizon
    tau = check_positive(tau, "horizon", "60 (days)")
    churn_c = check_probability(churn_control, "churn_control", "0.4")
    by = tau if churn_by is None else check_positive(churn_by, "churn_by", "30 (days)")
    if (churn_treatment is None) == (hazard_ratio is None):
        raise ParameterError("Give the treatment arm's churn_treatment or its hazard_ratio (exactly one).")
    lam_c = _hazard(churn_c, by)
    if hazard_ratio is not None:
        lam_t = lam_c * _check_hazard_ratio(hazard_ratio)
    else:
        lam_t = _hazard(check_probability(churn_treatment, "churn_treatment", "0.35"), by)
        if lam_t == lam_c:
            raise ParameterError("churn_treatment equals churn_control: there is no difference to detect.")
    alpha = check_probability(alpha, "alpha")
    power = check_probability(power, "power", "0.8")
    sides = check_sides(sides)
    p = check_allocation(allocation)
    rmst_c, rmst_t = ((1 - math.exp(-lam * tau)) / lam for lam in (lam_c, lam_t))
    var_c = rmst_variance(lam_c, tau, accrual=accrual, min_follow_up=min_follow_up)
    var_t = rmst_variance(lam_t, tau, accrual=accrual, min_follow_up=min_follow_up)
    n = _z_sum(alpha, power, sides) ** 2 * (var_c / (1 - p) + var_t / p) / (rmst_t - rmst_c) ** 2
    return RMSTPlan(tau, rmst_c, rmst_t, var_c, var_t, alpha, power, sides, p, float(n), time_unit)
