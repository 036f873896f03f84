"""Looking at an experiment more than once without inflating the false-positive rate.

Two ways to monitor a retention experiment while it runs:

* **Group-sequential boundaries** (:func:`spending_boundaries`, :func:`sequential_test`):
  decide in advance how much of the false-positive budget alpha each look may spend, as a
  function of the information fraction t (customers, or events, so far / planned). The
  Lan-DeMets spending functions (Lan & DeMets 1983, Biometrika 70, 659-663) are

  * O'Brien-Fleming type: ``alpha_1(t) = 2 - 2 Phi(z_{1 - a/2} / sqrt(t))`` for a one-sided
    level a. Almost nothing is spent early, so the final look keeps nearly the fixed-design
    critical value;
  * Pocock type: ``alpha(t) = alpha log(1 + (e - 1) t)``: spends evenly, so early stops are
    easier and the last look is stricter.

  A two-sided test at level alpha spends alpha/2 on each side with the one-sided function
  (the convention of gsDesign ``test.type = 2`` and rpact ``sided = 2``), so its boundaries
  are those of the one-sided alpha/2 design. The critical value at each look is found by
  exact recursive numerical integration of the running statistic (Armitage, McPherson &
  Rowe 1969; Jennison & Turnbull 2000, *Group Sequential Methods with Applications to
  Clinical Trials*, ch. 19), so boundaries exist at any information fractions, including
  looks that were not planned.

* **The classical constant boundaries** (:func:`classical_boundaries`): Pocock (1977)
  ``c_k = C_P`` and O'Brien & Fleming (1979) ``c_k = C_B sqrt(K / k)`` for K equally spaced
  looks; the constants are Jennison & Turnbull's Tables 2.1 and 2.3.

* **An always-valid confidence sequence** (:func:`confidence_sequence`) for a difference in
  retention rates: an interval that covers the true difference at every look at once, with
  probability 1 - alpha, however often and whenever one looks (the normal-mixture boundary
  of Robbins 1970 / Howard et al. 2021, Ann. Statist. 49, 1055-1080, in the asymptotic form
  of Waudby-Smith et al. 2023 used by GrowthBook and Eppo). It needs no plan of the looks;
  the price is a wider interval than the group-sequential one at the planned end.

The parts live in modules by concept: :mod:`~retention_kit.experiments.spending` (the
spending functions), :mod:`~retention_kit.experiments.boundaries` (the designs),
:mod:`~retention_kit.experiments.interim` (the sequential test at the information observed),
:mod:`~retention_kit.experiments.confidence_sequences` and
:mod:`~retention_kit.experiments.monitoring` (one look as a decision). This module gathers
them under their former address, ``retention_kit.experiments.sequential``.
"""

from .boundaries import (  # noqa: F401
    FutilityDesign, SequentialDesign, classical_boundaries, crossing_probabilities, spending_boundaries,
)
from .confidence_sequences import ConfidenceSequence, confidence_sequence  # noqa: F401
from .interim import SequentialTest, sequential_test  # noqa: F401
from .monitoring import SequentialMonitor, monitor_confidence_sequence, monitor_look  # noqa: F401
from .spending import alpha_spent  # noqa: F401

__all__ = [
    "SequentialDesign",
    "FutilityDesign",
    "SequentialTest",
    "ConfidenceSequence",
    "spending_boundaries",
    "classical_boundaries",
    "sequential_test",
    "crossing_probabilities",
    "alpha_spent",
    "confidence_sequence",
    "SequentialMonitor",
    "monitor_look",
    "monitor_confidence_sequence",
]
