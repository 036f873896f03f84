"""Customer-base analysis: who is still a customer, what will they buy, what are they worth.

From an event log, :func:`rfm_summary` gives each customer's frequency, recency and age;
BG/NBD and Pareto/NBD purchase models (:func:`fit_bgnbd`, :func:`fit_pareto_nbd`) turn
those into P(alive) and expected purchases, the gamma-gamma model (:func:`fit_gamma_gamma`)
into expected spend, and :func:`customer_lifetime_value` into value, with intervals.
:mod:`.diagnostics` checks the fit against the data; :func:`alive_vs_inactivity` sets
P(alive) beside the kit's inactivity rule.
"""

from ._base import ConvergenceWarning, IndependenceWarning
from ._cdnow_sample import cdnow_sample_ids
from .alive import AliveComparison, alive_vs_inactivity
from .bgnbd import BGNBDModel, fit_bgnbd
from .diagnostics import (
    conditional_expectations_table, frequency_histogram_table, plot_conditional_expectations,
    plot_frequency_histogram, plot_tracking, tracking_table,
)
from .gamma_gamma import GammaGammaModel, fit_gamma_gamma
from .pareto_nbd import ParetoNBDModel, fit_pareto_nbd
from .simulate import simulate_rfm
from .summary import rfm_summary
from .value import CustomerValue, customer_lifetime_value

__all__ = [
    "rfm_summary", "fit_bgnbd", "fit_pareto_nbd", "fit_gamma_gamma", "customer_lifetime_value",
    "BGNBDModel", "ParetoNBDModel", "GammaGammaModel", "CustomerValue",
    "tracking_table", "plot_tracking", "conditional_expectations_table", "plot_conditional_expectations",
    "frequency_histogram_table", "plot_frequency_histogram", "alive_vs_inactivity", "AliveComparison",
    "simulate_rfm", "cdnow_sample_ids", "ConvergenceWarning", "IndependenceWarning",
]
