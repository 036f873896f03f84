"""Survival analysis of churn: lifetimes from raw logs, Kaplan-Meier curves, log-rank tests,
restricted mean survival time (RMST) and Cox drivers.

Why survival and not "churn rate among those who left": at any date many customers are
still active, so their lifetimes are not finished (*censored*). Averaging only finished
lifetimes keeps the short ones and drops the long ones, which makes churn look faster than
it is. Kaplan-Meier uses every customer for exactly as long as they were observed.

Shared definitions (the same in every module of the kit):

* **Lifetime.** The duration runs from the customer's *start* (first activity, or a given
  start time such as the experiment assignment) to the *last activity*. A customer is
  **churned** when inactive for at least ``churn_after`` before ``as_of``; otherwise
  **censored**, with the duration running to the detection limit ``as_of - churn_after``.
* **Not yet classifiable**: a customer who started after the detection limit. No lapse of
  theirs could have been seen yet (they can only be censored, whatever they do), so they
  are left out of the lifetimes and counted in the data-quality report.
* **Retained at horizon H**: some activity strictly after start + H. The Kaplan-Meier
  S(H) estimates exactly this.
* **Mature for horizon H**: start + H + churn_after <= as_of.
* ``as_of`` defaults to the last date in the data, never today.

Weights. Every function taking ``weights_col`` / ``weights`` reads them as *frequency
counts* (how many identical customers a row stands for), so an aggregated
``(duration, churned, count)`` table gives exactly the results of the raw rows. Counts must
be whole numbers: the log-rank variance uses ``n - 1`` and Greenwood's formula uses
``n - d``, which are only meaningful for counts. Paths of lifelines that are *not*
equivalent on weighted rows are not used with weights: Cox with Efron ties (weights are
expanded to rows instead, see :func:`cox_drivers`), the Fleming-Harrington weighted
log-rank (we only run the plain log-rank) and ``pairwise_logrank_test`` (which takes no
weights; :func:`pairwise_logrank` runs our weighted two-group test for each pair instead).

Modules, one concept each (this package re-exports their public names):

* ``lifetimes``: customer_lifetimes, subscription_lifetimes, aggregate_lifetimes, survival_table;
* ``gaps``: purchase_gaps (choosing ``churn_after``);
* ``curves``: kaplan_meier and SurvivalCurves;
* ``logrank_tests``: logrank and pairwise_logrank;
* ``restricted_mean``: rmst and rmst_difference;
* ``cox``: cox_drivers;
* ``_common``: the private checks and helpers the modules above share (only within this package).
"""

from __future__ import annotations

from .cox import CoxDrivers, cox_drivers
from .curves import SurvivalCurves, kaplan_meier
from .gaps import PurchaseGaps, purchase_gaps
from .lifetimes import (
    LIFETIME_COLUMNS, aggregate_lifetimes, customer_lifetimes, subscription_lifetimes, survival_table,
)
from .logrank_tests import LogrankResult, PairwiseLogrank, logrank, pairwise_logrank
from .restricted_mean import RMSTDifference, RMSTResult, rmst, rmst_difference

__all__ = [
    "customer_lifetimes", "subscription_lifetimes", "aggregate_lifetimes", "survival_table", "purchase_gaps",
    "PurchaseGaps", "kaplan_meier", "SurvivalCurves", "logrank", "LogrankResult",
    "pairwise_logrank", "PairwiseLogrank", "rmst", "RMSTResult", "rmst_difference",
    "RMSTDifference", "cox_drivers", "CoxDrivers",
]
