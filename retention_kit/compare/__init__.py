"""A/B comparison of retention strategies: a verdict you can defend, from raw logs or counts.

Definitions (shared with the cohort and survival modules)
---------------------------------------------------------
**Retained at horizon H, over a window w.** A customer assigned at time ``start`` is
*retained at H* when they have some activity in ``(start + H, start + H + w]``: after the
horizon and at most ``w`` later. ``w`` is the ``window`` option and defaults to
``churn_after``, the silence after which the kit calls a customer churned, so "not
retained" means "silent for a whole churn window right after the horizon". The window is
bounded on purpose: with an open end ("any activity after ``start + H`` up to the as-of
date") a customer's status keeps changing as data arrive, and the same customers' rate
rises with the day the analysis is run (CDNOW, H = 90 days, churn_after = 180 days: the
same 23,570 customers were 31.7 % retained as of 1997-12-31, 36.0 % as of 1998-03-31 and
38.4 % as of 1998-06-30; with the window they are 28.3 % at every one of those dates).

**Mature for horizon H.** A customer is mature when ``start + H + w <= as_of``: the whole
window has been observed, so their status is final and never changes with later data.
Only mature customers enter the fixed-horizon test; the others are counted and reported
(:class:`~retention_kit.ImmatureDataWarning`), never silently counted as churned. The
whole-curve methods (Kaplan-Meier, log-rank, RMST, Cox) use every customer, treating the
immature ones as censored; Kaplan-Meier's S(H) estimates the open-ended "some activity
after H", which is at least the bounded rate.

Methods of the fixed-horizon test (treatment minus control)
-----------------------------------------------------------
* interval: Newcombe's hybrid score interval (Newcombe 1998, method 10: Wilson intervals
  of each rate combined), or the Wald interval on request;
* p-value: the two-sided z-test with the pooled rate under the null;
* Bayesian view: independent Beta(a, b) priors (uniform Beta(1, 1) by default) updated by
  the binomial counts; P(treatment beats control) and the expected loss of shipping the
  treatment, E[max(p_control - p_treatment, 0)], in retention-rate units;
* sample ratio mismatch: Pearson's chi-square of the assigned counts against the planned
  split, with a warning below p = 0.001.

One primary analysis, several arms
----------------------------------
Each arm is tested several ways (fixed-horizon z-test, Fisher's exact test, log-rank,
RMST, Cox), all of one hypothesis. ``primary=`` declares, before looking, which one
decides: ``"fixed_horizon"`` (default: the test :func:`sample_size` plans for),
``"rmst"`` or ``"logrank"``. The ``verdict`` column and the first lines of ``explain()``
follow it; the others are reported as supporting evidence. With several treatment arms
every family of tests (each kind of p-value across the arms) is adjusted with the same
``correction`` (Holm by default, Benjamini-Hochberg or Bonferroni), and every interval has
an ``_adjusted`` version at the level that matches it: simultaneous Bonferroni intervals
at confidence 1 - alpha/m for Holm and Bonferroni (m arms), false-coverage-rate intervals
at 1 - R alpha/m for Benjamini-Hochberg (Benjamini & Yekutieli 2005; R arms declared
different). With one treatment arm nothing changes.

The Cox hazard ratio is reported as what it is, a time-averaged ratio of churn hazards;
when the proportional-hazards check rejects (large samples reject trivial departures too)
it comes with a caveat and :meth:`RetentionComparison.plot_hazard_ratio` shows it over time.

Where things are
----------------
One module per concept; this package only re-exports the public names.
:mod:`.retention` (:func:`compare_retention` as its steps), :mod:`.inputs` (assignments,
the activity log or ready lifetimes, read into one lifetimes frame), :mod:`.counts`
(:func:`compare_retention_counts`, :func:`compare_retained`), :mod:`.proportions` (rate
differences and their intervals), :mod:`.posterior` (the Bayesian view), :mod:`.curves`
(the whole-curve analyses), :mod:`.verdicts` (adjusted levels and the verdict per arm),
:mod:`.srm` (sample ratio mismatch), :mod:`.planning` (sample size and power),
:mod:`.peeking`, :mod:`.result` (:class:`RetentionComparison` and its words),
:mod:`.monitoring` and :mod:`.plots` (its monitoring and its plots), :mod:`.options` and
:mod:`.text` (the options and the words every module shares).
"""

from .counts import compare_retained, compare_retention_counts
from .inputs import NO_TIMES_HINT
from .peeking import peeking_false_positive_rate
from .planning import SampleSizePlan, expected_power, minimum_detectable_effect, sample_size
from .result import RetentionComparison
from .retention import compare_retention
from .srm import SRM_THRESHOLD, SampleRatioCheck, sample_ratio_check

__all__ = [
    "RetentionComparison",
    "SampleSizePlan",
    "SampleRatioCheck",
    "compare_retention",
    "compare_retention_counts",
    "compare_retained",
    "sample_size",
    "minimum_detectable_effect",
    "expected_power",
    "peeking_false_positive_rate",
    "sample_ratio_check",
]
