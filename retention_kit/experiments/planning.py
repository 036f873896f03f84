"""Planning a retention experiment in calendar time: when can it be read, and how much
information does each planned look have?

A retention outcome is late by construction: a customer assigned in week s tells whether
they were retained at horizon H only after ``H + churn_after`` (the horizon, then the
silence that makes churn observable; see :func:`retention_kit.compare_retention`). So an
experiment that enrols N customers over N / r weeks can be read ``(H + churn_after) / 7``
weeks after the last one enters, and an interim look in week c sees only the customers
assigned before ``c - (H + churn_after) / 7``.

* :func:`calendar_plan` (fixed-horizon retention rate): information is proportional to the
  mature customers.
* :func:`event_plan` (hazard ratio / log-rank): information is proportional to the churn
  events observed, which accumulate with enrolment and follow-up (uniform enrolment,
  exponential churn; the expected-events formula of gsDesign's ``eEvents`` and of
  Lachin & Foulkes 1986 without dropout).

Each plan's ``information_fractions`` feed :func:`~retention_kit.experiments.spending_boundaries`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from scipy import optimize

from ..errors import ParameterError
from ..periods import parse_duration
from ._common import ResultMixin, check_allocation, check_positive, check_probability
from ..results import explains

__all__ = ["CalendarPlan", "calendar_plan", "event_plan"]


def _weeks(value, name: str) -> float:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and value == 0:
        return 0.0
    return parse_duration(value, name=name).total_seconds() / (7 * 86400.0)


def _look_fractions(looks, information_fractions):
    if looks is not None and information_fractions is not None:
        raise ParameterError("Give looks (equally spaced) or information_fractions, not both.")
    if information_fractions is not None:
        t = np.atleast_1d(np.asarray(information_fractions, dtype=float))
        if t.ndim != 1 or np.any(~np.isfinite(t)) or np.any(t <= 0) or np.any(t > 1) or np.any(np.diff(t) <= 0):
            raise ParameterError(f"information_fractions must increase within (0, 1], e.g. [0.5, 1]; got {t.tolist()}.")
        return t
    looks = 1 if looks is None else looks
    if isinstance(looks, bool) or not isinstance(looks, (int, np.integer)) or not 1 <= looks <= 200:
        raise ParameterError(f"looks={looks!r} must be a whole number of looks between 1 and 200.")
    return np.arange(1, looks + 1) / looks


def _check_look_weeks(look_weeks, looks, information_fractions):
    if look_weeks is None:
        return None
    if looks is not None or information_fractions is not None:
        raise ParameterError("Give look_weeks (calendar weeks of the looks) or looks / information_fractions, "
                             "not both.")
    w = np.atleast_1d(np.asarray(look_weeks, dtype=float))
    if w.ndim != 1 or w.size == 0 or np.any(~np.isfinite(w)) or np.any(w <= 0) or np.any(np.diff(w) <= 0):
        raise ParameterError(f"look_weeks must be increasing positive week numbers, e.g. [8, 12, 16]; "
                             f"got {look_weeks!r}.")
    return w


@dataclass(repr=False)
class CalendarPlan(ResultMixin):
    """Calendar weeks of the planned looks and the information each one has."""

    table: pd.DataFrame
    endpoint: str
    target: float
    customers_per_week: float
    enrolment_weeks: float
    readable_week: float
    delay_weeks: float
    curve: pd.DataFrame
    expected_events: object = None  # event plans: callable, expected events by calendar week

    @property
    def summary(self) -> pd.DataFrame:
        return self.table

    @property
    def information_fractions(self) -> np.ndarray:
        return self.table["information_fraction"].to_numpy()

    @property
    def title(self) -> str:
        what = "mature customers" if self.endpoint == "rate" else "churn events"
        return f"Calendar plan: {self.target:,.0f} {what}, readable in week {self.readable_week:.1f}"

    @explains
    def explain(self) -> str:
        r = self.customers_per_week
        lines = [f"Enrolling {r:,.0f} customers a week for {self.enrolment_weeks:.1f} weeks "
                 f"({r * self.enrolment_weeks:,.0f} customers)."]
        if self.endpoint == "rate":
            lines.append(
                f"A customer's retention is known {self.delay_weeks * 7:g} days after assignment (the horizon plus "
                f"the window after it), so the last customers are mature, and the experiment can be read, in week "
                f"{self.readable_week:.1f}, not at the end of enrolment (week {self.enrolment_weeks:.1f}).")
        else:
            lines.append(f"The {self.target:,.0f} churn events needed are expected by week {self.readable_week:.1f}.")
            if self.readable_week < self.enrolment_weeks:
                lines.append("That is before enrolment ends: the customers enrolled after it add nothing to this "
                             "test (their churn comes too late), so enrolment can stop earlier.")
        what = "mature customers" if self.endpoint == "rate" else "events"
        for k, row in self.table.iterrows():
            lines.append(f"Look {k} in week {row['week']:.1f}: {row['enrolled']:,.0f} enrolled, "
                         f"{row['information']:,.0f} "
                         f"{what}, {row['information_fraction']:.0%} of the information.")
        return "\n".join(lines)

    def sequential_design(self, alpha: float = 0.05, spending: str = "obrien-fleming", sides: int = 2):
        """Lan-DeMets boundaries at this plan's information fractions."""
        from .boundaries import spending_boundaries

        return spending_boundaries(self.information_fractions, alpha=alpha, spending=spending, sides=sides)

    def plot(self, ax=None, **kwargs):
        """Enrolled customers and information (mature customers or events) by calendar week.
        Returns the Axes.

        ``kwargs`` go to the enrolled-customers line (``Axes.plot``), e.g. ``color=`` or ``label=``."""
        from matplotlib.lines import Line2D

        from ..plotting import artist_kwargs, get_axes, label

        ax = get_axes(ax)
        c = self.curve
        ax.plot(c["week"], c["enrolled"], **artist_kwargs(kwargs, Line2D, label="enrolled"))
        ax.plot(c["week"], c["information"], label="mature customers" if self.endpoint == "rate" else "churn events")
        for week in self.table["week"]:
            ax.axvline(week, color="grey", ls=":", lw=1)
        ax.legend(loc="best", fontsize=8)
        return label(ax, title=self.title, xlabel="calendar week since the start", ylabel="customers / events")


def calendar_plan(customers_needed: float, customers_per_week: float, *, horizon="30D", churn_after="30D",
                  window=None, looks: int | None = None, information_fractions=None, look_weeks=None) -> CalendarPlan:
    """Weeks until a fixed-horizon retention experiment can be read, and its looks.

    Parameters
    ----------
    customers_needed : float
        Mature customers needed in all arms together (e.g. ``sample_size(...).n_total``,
        times the group-sequential inflation factor when monitoring).
    customers_per_week : float
        Customers assigned per week (all arms).
    horizon, churn_after : int, str or Timedelta
        H and the churn window, as in :func:`retention_kit.compare_retention` (days or "8W").
    window : int, str or Timedelta, optional
        The window after the horizon in which a purchase counts as retained (``window=`` of
        :func:`retention_kit.compare_retention`); ``churn_after`` by default. A customer is
        mature ``horizon + window`` after assignment.
    looks : int, optional
        Equally spaced looks in information (one final look by default).
    information_fractions : array-like, optional
        The looks' information fractions instead.
    look_weeks : array-like, optional
        Calendar weeks of the looks instead: the plan then says how much information each has
        (a fraction below 1 at the last look means it comes too early to read the experiment).

    Returns
    -------
    CalendarPlan
        ``summary``: per look, the calendar week, customers enrolled, mature customers and
        information fraction; ``readable_week``.

    Examples
    --------
    2,754 customers at 500 a week take 5.508 weeks; horizon 30 days and churn window 30
    days add 60 / 7 = 8.571 weeks: readable in week 14.08. The look at half the information
    is at 8.571 + 2.754 = 11.33 weeks.

    >>> plan = calendar_plan(2754, 500, horizon="30D", churn_after="30D", looks=2)
    >>> round(plan.readable_week, 2), plan.summary["week"].round(2).tolist()
    (14.08, [11.33, 14.08])
    """
    n = check_positive(customers_needed, "customers_needed", "2754")
    r = check_positive(customers_per_week, "customers_per_week", "500")
    delay = _weeks(horizon, "horizon") + (_weeks(churn_after, "churn_after") if window is None
                                          else _weeks(window, "window"))
    enrol = n / r
    weeks = _check_look_weeks(look_weeks, looks, information_fractions)
    if weeks is None:
        t = _look_fractions(looks, information_fractions)
        weeks = delay + t * enrol
    else:
        t = np.clip(weeks - delay, 0.0, enrol) / enrol
    table = pd.DataFrame({"week": weeks, "enrolled": np.minimum(r * weeks, n), "information": t * n,
                          "information_fraction": t}, index=pd.RangeIndex(1, len(t) + 1, name="look"))
    grid = np.linspace(0, delay + enrol * 1.1, 200)
    curve = pd.DataFrame({"week": grid, "enrolled": np.minimum(r * grid, n),
                          "information": r * np.clip(grid - delay, 0, enrol)})
    return CalendarPlan(table, "rate", n, r, enrol, delay + enrol, delay, curve)


def _expected_events(c, rate, weeks, hazard, delay):
    """Churn events observed by calendar week c for one arm: enrolment ``rate`` per week over
    ``weeks``, exponential churn with ``hazard`` per week, each churn seen ``delay`` weeks later."""
    T = np.maximum(np.asarray(c, float) - delay, 0.0)
    m = np.minimum(T, weeks)
    return rate * (m - (np.exp(-hazard * (T - m)) - np.exp(-hazard * T)) / hazard)


def _two_arm_events(c, *, rate_c, rate_t, weeks, lam_c, lam_t, delay):
    """Churn events of both arms observed by calendar week c (see :func:`_expected_events`)."""
    return _expected_events(c, rate_c, weeks, lam_c, delay) + _expected_events(c, rate_t, weeks, lam_t, delay)


def event_plan(events_needed: float, customers_per_week: float, *, enrolment_weeks: float, churn_control: float,
               hazard_ratio: float, churn_by: float = 1.0, allocation: float = 0.5, churn_after=0,
               looks: int | None = None, information_fractions=None, look_weeks=None) -> CalendarPlan:
    """Weeks until the churn events a hazard-ratio test needs are observed, and its looks.

    Parameters
    ----------
    events_needed : float
        E.g. ``hazard_ratio_sample_size(...).events_exact`` (times the inflation factor when
        monitoring).
    customers_per_week : float
        Customers assigned per week (all arms), for ``enrolment_weeks`` weeks.
    churn_control : float
        Probability that a control customer churns within ``churn_by`` weeks (exponential).
    hazard_ratio : float
        Treatment hazard over control hazard.
    churn_by : float
        Weeks the churn probability refers to (1: a weekly churn probability).
    allocation : float
        Share of customers in treatment.
    churn_after : int, str or Timedelta
        Silence after which churn is observed (days or "4W"); events are seen that much later.
    looks, information_fractions, look_weeks : see :func:`calendar_plan`.

    Returns
    -------
    CalendarPlan

    Examples
    --------
    The SAS PROC SEQDESIGN example reproduced by gsDesign's ``gsSurv`` (vignette "SAS
    comparison"): 15 customers per unit for 18 units, control hazard 0.03466, hazard ratio
    0.5; 89.078 events are reached at time 25.133.

    >>> weekly = 1 - math.exp(-0.03466)
    >>> plan = event_plan(89.07847, 15, enrolment_weeks=18, churn_control=weekly, hazard_ratio=0.5)
    >>> round(plan.readable_week, 3)
    25.133
    """
    d = check_positive(events_needed, "events_needed", "247")
    r = check_positive(customers_per_week, "customers_per_week", "500")
    weeks = check_positive(enrolment_weeks, "enrolment_weeks", "12")
    churn = check_probability(churn_control, "churn_control", "0.05 (weekly churn)")
    hr = check_positive(hazard_ratio, "hazard_ratio", "0.8")
    by = check_positive(churn_by, "churn_by", "1 (week)")
    p = check_allocation(allocation)
    delay = _weeks(churn_after, "churn_after")
    given_weeks = _check_look_weeks(look_weeks, looks, information_fractions)
    t = _look_fractions(looks, information_fractions) if given_weeks is None else None
    lam_c = -math.log1p(-churn) / by
    lam_t = lam_c * hr

    # A partial, not a closure: the plan keeps it and must pickle (the Result contract).
    events = partial(_two_arm_events, rate_c=r * (1 - p), rate_t=r * p, weeks=weeks, lam_c=lam_c, lam_t=lam_t,
                     delay=delay)

    ceiling = r * weeks  # every enrolled customer eventually churns
    if d >= ceiling * (1 - 1e-9):
        raise ParameterError(
            f"events_needed={d:,.0f} cannot be reached: {r:,.0f} customers a week for {weeks:g} weeks is "
            f"{ceiling:,.0f} customers, and each churns at most once. Enrol for longer or more customers a week.")
    hi = delay + weeks + 1.0
    while events(hi) < d:
        hi *= 2.0
    readable = optimize.brentq(lambda c: float(events(c)) - d, delay, hi, xtol=1e-10)
    if given_weeks is None:
        when = np.array([optimize.brentq(lambda c: float(events(c)) - f * d, delay, hi, xtol=1e-10) for f in t])
    else:
        when, t = given_weeks, np.asarray(events(given_weeks), float) / d
    table = pd.DataFrame({"week": when, "enrolled": np.minimum(r * when, ceiling), "information": t * d,
                          "information_fraction": t}, index=pd.RangeIndex(1, len(t) + 1, name="look"))
    grid = np.linspace(0, max(when[-1], readable) * 1.1, 200)
    curve = pd.DataFrame({"week": grid, "enrolled": np.minimum(r * grid, ceiling), "information": events(grid)})
    return CalendarPlan(table, "events", d, r, weeks, float(readable), delay, curve, expected_events=events)
