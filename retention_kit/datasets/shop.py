"""A seeded coffee-shop simulator with known ground truth, and its saved default run.

Generative model (every number below is a default argument of :func:`simulate_shop`):

1. **Arrival.** Customer *i* makes a first purchase at a time ``a_i`` drawn uniformly over
   the first ``acquisition_days`` days after ``start``.
2. **Channel.** Each customer came through one channel: walk-in (50 %), app (30 %) or
   delivery (20 %). The channel multiplies the lapse hazard by 1.0, 0.6 and 1.5.
3. **Experiment.** At the first purchase every customer is randomised to ``"loyalty"``
   (probability ``loyalty_share``) or ``"control"``; the assignment time is the first
   purchase. The loyalty programme multiplies the lapse hazard by ``loyalty_hazard_ratio``
   (0.7: the true effect) and changes nothing else.
4. **Lapse.** The customer stays "alive" for an exponential time with daily hazard
   ``mu_i = channel multiplier x arm multiplier / mean_lifetime_days`` and never comes back.
5. **Visits.** While alive, purchases arrive as a Poisson process with a customer-specific
   rate ``lambda_i ~ Gamma(shape=visit_rate_shape, mean=1 / mean_days_between_visits)``.
6. **Receipt.** Each day is squeezed into opening hours (07:00 to 19:00); a purchase buys ``1 + Poisson(0.3)`` drinks at a log-normal price per drink (median $4.50,
   sigma 0.25), rounded to cents.
7. **Observation** covers ``observation_days`` whole days from ``start`` (366: all of 2024);
   the last of them is the "as of" date.

Known truth follows: the probability of being alive ``t`` days after the first purchase is
``E[exp(-mu t)]``, and the probability of buying at least once more on or after day ``t``
(what the data can show, with unlimited follow-up) is ``E[exp(-mu t) lambda / (lambda + mu)]``
over the visit-rate distribution (see :meth:`ShopSimulation.true_retention`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import files

import numpy as np
import pandas as pd
from scipy import integrate, stats

from ..errors import ParameterError
from .._options import legacy_arguments

__all__ = ["ShopSimulation", "simulate_shop", "load_coffee_shop"]

CHANNELS = {"walk-in": (0.5, 1.0), "app": (0.3, 0.6), "delivery": (0.2, 1.5)}
ARMS = ("control", "loyalty")
_SAVED = {"transactions": "coffee_shop_transactions.csv.gz",
          "assignments": "coffee_shop_assignments.csv.gz",
          "customers": "coffee_shop_customers.csv.gz"}


@dataclass
class ShopSimulation:
    """One simulated coffee shop: observed data plus the hidden truth.

    Attributes
    ----------
    transactions : DataFrame
        ``customer_id``, ``date`` (timestamp), ``quantity``, ``amount``, ``channel``.
    assignments : DataFrame
        ``customer_id``, ``arm`` ("control" / "loyalty"), ``date`` (assignment time).
    customers : DataFrame
        The hidden truth per customer: ``channel``, ``arm``, ``first_purchase``,
        ``lapse_time`` (may lie after ``as_of``), ``visits_per_day``, ``lapse_hazard``.
    params : dict
        The arguments the shop was simulated with.
    as_of : Timestamp
        End of observation.
    """

    transactions: pd.DataFrame
    assignments: pd.DataFrame
    customers: pd.DataFrame
    params: dict = field(default_factory=dict)

    @property
    def as_of(self) -> pd.Timestamp:
        """The last day observed (observation covers ``observation_days`` whole days)."""
        return pd.Timestamp(self.params["start"]) + pd.Timedelta(days=self.params["observation_days"] - 1)

    def _hazard(self, arm, channel):
        p = self.params
        mix = {k: w for k, (w, _) in CHANNELS.items()} if channel is None else {channel: 1.0}
        arm_mult = {"control": 1.0, "loyalty": p["loyalty_hazard_ratio"]}
        arms = {"control": 1 - p["loyalty_share"], "loyalty": p["loyalty_share"]} if arm is None else {arm: 1.0}
        for name in list(mix) + list(arms):
            if name not in CHANNELS and name not in ARMS:
                raise ParameterError(f"{name!r} is not a channel {list(CHANNELS)} or arm {list(ARMS)}.")
        return [(wc * wa, CHANNELS[c][1] * arm_mult[a] / p["mean_lifetime_days"])
                for c, wc in mix.items() for a, wa in arms.items()]

    def true_survival(self, days, arm: str | None = None, channel: str | None = None) -> float:
        """Probability of still being alive ``days`` after the first purchase.

        >>> shop = ShopSimulation(None, None, None, dict(_DEFAULTS))
        >>> round(shop.true_survival(90, arm="control", channel="walk-in"), 4)  # exp(-90/90)
        0.3679
        """
        return float(sum(w * np.exp(-mu * days) for w, mu in self._hazard(arm, channel)))

    def true_retention(self, days, arm: str | None = None, channel: str | None = None) -> float:
        """Probability of at least one purchase on or after day ``days`` (``days`` > 0) after
        the first purchase, with unlimited follow-up: ``E[exp(-mu t) lambda / (lambda + mu)]``.

        This is the quantity a Kaplan-Meier curve of observed lifetimes (first to last
        purchase) estimates, so it is the truth to compare estimates with.
        """
        p = self.params
        shape = p["visit_rate_shape"]
        rate_dist = stats.gamma(a=shape, scale=1 / (shape * p["mean_days_between_visits"]))
        total = 0.0
        for w, mu in self._hazard(arm, channel):
            catch, _ = integrate.quad(lambda lam: lam / (lam + mu) * rate_dist.pdf(lam), 0, np.inf)
            total += w * np.exp(-mu * days) * catch
        return float(total)


_DEFAULTS = dict(
    n_customers=3000, seed=2024, start="2024-01-01", acquisition_days=240, observation_days=366,
    loyalty_share=0.5, loyalty_hazard_ratio=0.7, mean_lifetime_days=90.0,
    mean_days_between_visits=7.0, visit_rate_shape=2.0,
)


@legacy_arguments(positional=("seed",))
def simulate_shop(
    n_customers: int = 3000,
    *,
    seed: int = 2024,
    start: str = "2024-01-01",

    acquisition_days: int = 240,
    observation_days: int = 366,
    loyalty_share: float = 0.5,
    loyalty_hazard_ratio: float = 0.7,
    mean_lifetime_days: float = 90.0,
    mean_days_between_visits: float = 7.0,
    visit_rate_shape: float = 2.0,
) -> ShopSimulation:
    """Simulate a coffee shop with a randomised loyalty-programme experiment.

    The generative model and the meaning of each parameter are in the module docstring;
    the truth is kept in :attr:`ShopSimulation.customers` and the ``true_*`` methods.

    Parameters
    ----------
    n_customers : int
        Customers acquired over the first ``acquisition_days`` days.
    seed : int
        Seed of numpy's PCG64 generator: the same seed gives the same shop.
    start : date-like
        First day of the simulation.
    acquisition_days, observation_days : int
        Customers arrive during the first ``acquisition_days``; data end after
        ``observation_days`` (the "as of" date). ``acquisition_days=observation_days``
        keeps acquiring to the last day, as a live business does: then some customers
        start less than ``churn_after`` before the as-of date and are not yet classifiable
        (see :func:`retention_kit.customer_lifetimes`; ``tests/test_late_starters.py``).
    loyalty_share : float
        Probability of assignment to the loyalty programme.
    loyalty_hazard_ratio : float
        Multiplier of the lapse hazard for loyalty members (1.0 means no effect).
    mean_lifetime_days : float
        Mean time to lapse for a walk-in control customer.
    mean_days_between_visits, visit_rate_shape : float
        Mean and gamma shape of the visit rate across customers.

    Returns
    -------
    ShopSimulation

    Examples
    --------
    >>> shop = simulate_shop(n_customers=200, seed=1)
    >>> shop.assignments["arm"].value_counts().sort_index().to_dict()
    {'control': 100, 'loyalty': 100}
    >>> shop.transactions.columns.tolist()
    ['customer_id', 'date', 'quantity', 'amount', 'channel']
    """
    params = dict(n_customers=n_customers, seed=seed, start=str(start), acquisition_days=acquisition_days,
                  observation_days=observation_days, loyalty_share=loyalty_share,
                  loyalty_hazard_ratio=loyalty_hazard_ratio, mean_lifetime_days=mean_lifetime_days,
                  mean_days_between_visits=mean_days_between_visits, visit_rate_shape=visit_rate_shape)
    if int(n_customers) < 1:
        raise ParameterError(f"n_customers={n_customers!r} must be at least 1.")
    if not 0 <= loyalty_share <= 1:
        raise ParameterError(f"loyalty_share={loyalty_share!r} must be between 0 and 1.")
    if not 0 < acquisition_days <= observation_days:
        raise ParameterError("acquisition_days must be positive and at most observation_days.")
    for name in ("loyalty_hazard_ratio", "mean_lifetime_days", "mean_days_between_visits", "visit_rate_shape"):
        if not params[name] > 0:
            raise ParameterError(f"{name}={params[name]!r} must be positive.")

    rng = np.random.default_rng(seed)
    n = int(n_customers)
    arrival = np.sort(rng.uniform(0, acquisition_days, n))
    names = list(CHANNELS)
    channel_idx = rng.choice(len(names), size=n, p=[CHANNELS[c][0] for c in names])
    loyal = rng.random(n) < loyalty_share
    hazard = (np.array([CHANNELS[c][1] for c in names])[channel_idx]
              * np.where(loyal, loyalty_hazard_ratio, 1.0) / mean_lifetime_days)
    lifetime = rng.exponential(1 / hazard)
    visit_rate = rng.gamma(visit_rate_shape, 1 / (visit_rate_shape * mean_days_between_visits), n)

    # Repeat visits: a Poisson count over the observed part of the life, placed uniformly.
    observed_life = np.clip(np.minimum(lifetime, observation_days - arrival), 0, None)
    n_repeat = rng.poisson(visit_rate * observed_life)
    owner = np.repeat(np.arange(n), n_repeat)
    repeat_time = arrival[owner] + rng.random(owner.size) * observed_life[owner]
    who = np.concatenate([np.arange(n), owner])
    when = np.concatenate([arrival, repeat_time])
    order = np.lexsort((when, who))
    who, when = who[order], when[order]

    # Squeeze each day into opening hours (07:00-19:00); monotone, so order is kept.
    day = np.floor(when)
    clock = 7 + 12 * (when - day)
    first_row = np.r_[True, who[1:] != who[:-1]]
    start_ts = pd.Timestamp(start)
    stamps = start_ts + pd.to_timedelta(day, unit="D") + pd.to_timedelta(np.round(clock * 3600), unit="s")
    quantity = 1 + rng.poisson(0.3, when.size)
    amount = np.round(quantity * np.exp(np.log(4.5) + 0.25 * rng.standard_normal(when.size)), 2)

    ids = np.array([f"C{i + 1:05d}" for i in range(n)])
    channel = np.array(names)[channel_idx]
    arm = np.where(loyal, ARMS[1], ARMS[0])
    transactions = pd.DataFrame({
        "customer_id": ids[who], "date": stamps.values.astype("datetime64[ns]"),
        "quantity": quantity.astype("int64"), "amount": amount, "channel": channel[who],
    }).sort_values(["date", "customer_id"], kind="stable", ignore_index=True)
    first = pd.Series(stamps[first_row], index=ids[who[first_row]]).reindex(ids)
    assignments = pd.DataFrame({"customer_id": ids, "arm": arm, "date": first.values})
    customers = pd.DataFrame({
        "customer_id": ids, "channel": channel, "arm": arm, "first_purchase": first.values,
        "lapse_time": (start_ts + pd.to_timedelta(np.round((arrival + lifetime) * 86400), unit="s")).values,
        "visits_per_day": visit_rate, "lapse_hazard": hazard,
    })
    return ShopSimulation(transactions, assignments, customers, params)


def load_coffee_shop() -> ShopSimulation:
    """The saved default run of :func:`simulate_shop` (3,000 customers, seed 2024), read
    from the package without simulating.

    Examples
    --------
    >>> shop = load_coffee_shop()
    >>> shop.transactions["customer_id"].nunique(), str(shop.as_of.date())
    (3000, '2024-12-31')
    """
    frames = {}
    for key, name in _SAVED.items():
        with (files("retention_kit.data") / name).open("rb") as fh:
            frames[key] = pd.read_csv(fh, compression="gzip")
    tx = frames["transactions"]
    tx["date"] = pd.to_datetime(tx["date"])
    asg = frames["assignments"]
    asg["date"] = pd.to_datetime(asg["date"])
    cust = frames["customers"]
    for col in ("first_purchase", "lapse_time"):
        cust[col] = pd.to_datetime(cust[col])
    return ShopSimulation(tx, asg, cust, dict(_DEFAULTS))


def save_default_run(folder) -> None:
    """Write the default run to ``folder`` (used by ``make data``; see data/README.md)."""
    from pathlib import Path

    shop = simulate_shop(**{k: v for k, v in _DEFAULTS.items()})
    for key, name in _SAVED.items():
        getattr(shop, key).to_csv(Path(folder) / name, index=False, compression={"method": "gzip", "mtime": 0},
                                  float_format="%.10g", date_format="%Y-%m-%d %H:%M:%S")
