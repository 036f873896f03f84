"""A comparison read as one look of a running experiment (:meth:`RetentionComparison.monitor`).

Internal to :mod:`retention_kit.compare`: :meth:`RetentionComparison.monitor`, which keeps
the signature and the docstring, monitors with :func:`monitor_comparison`.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError, ParameterError
from .options import is_number
from .planning import SampleSizePlan
from .proportions import two_proportions
from .text import fmt_p, horizon_words

__all__ = ["monitor_comparison"]


def monitor_comparison(result, design, planned_n, *, look: int | None = None, earlier=None, arm=None,
                       final: bool | None = None):
    """:meth:`RetentionComparison.monitor` of ``result`` (see there)."""
    from ..experiments.monitoring import monitor_confidence_sequence, monitor_look
    from .result import RetentionComparison  # the result holds this module's function: import when run

    arm = _monitored_arm(result, arm)
    n_t, x_t, n_c, x_c = _arm_counts(result, arm)
    if isinstance(planned_n, SampleSizePlan):
        planned = 2.0 / (1.0 / planned_n.n_control + 1.0 / planned_n.n_treatment)
    elif is_number(planned_n) and np.isfinite(planned_n) and planned_n > 0:
        planned = float(planned_n)
    else:
        raise ParameterError(f"planned_n={planned_n!r} must be the planned mature customers per arm at the last "
                             "look (a number, or the SampleSizePlan from rk.sample_size).")
    earlier = [] if earlier is None else list(earlier)
    for k, other in enumerate(earlier):
        if not isinstance(other, RetentionComparison):
            raise ParameterError(f"earlier[{k}] is a {type(other).__name__}: give the earlier looks' "
                                 "comparisons (the same compare_retention call at earlier as_of dates).")
        if other.control != result.control or arm not in other.summary.index:
            raise ParameterError(f"earlier[{k}] compares {list(other.summary.index)} with {other.control!r}: "
                                 f"the earlier looks must compare {arm!r} with {result.control!r} too.")
    counts = np.array([_arm_counts(c, arm) for c in [*earlier, result]], dtype=float)
    label = f"{arm} vs {result.control}, retention {horizon_words(result.horizon, result.time_unit)}"
    key = str(design).strip().lower().replace("_", "-").replace(" ", "-") if isinstance(design, str) else None
    if key is not None:
        if key not in ("confidence-sequence", "always-valid"):
            raise ParameterError(f"design={design!r} is not an option: give a design from "
                                 "rk.spending_boundaries(...) or 'confidence-sequence'.")
        if look is not None or final is not None:
            raise ParameterError("look= and final= are for planned designs; a confidence sequence has no "
                                 "planned looks.")
        return monitor_confidence_sequence(counts[:, 0], counts[:, 1], counts[:, 2], counts[:, 3],
                                           planned_n=2.0 * planned, alpha=result.alpha, label=label)
    zs = two_proportions(counts[:, 0], counts[:, 1], counts[:, 2], counts[:, 3])["z"]
    if not np.all(np.isfinite(zs)):
        raise DataError(f"{label}: the z statistic is undefined at a look (an arm without mature customers, "
                        "or everyone or no one retained); wait until customers mature.")
    info = 2.0 / (1.0 / counts[:, 0] + 1.0 / counts[:, 2])
    row = result.summary.loc[arm]
    estimate = (f"{arm} {row['rate']:.1%} of {int(n_t):,} vs {result.control} {row['control_rate']:.1%} of "
                f"{int(n_c):,} mature customers: {row['diff'] * 100:+.1f} points (pooled z-test; its p = "
                f"{fmt_p(row['p_value'])} and {1 - result.alpha:.0%} CI hold for one planned look only).")
    return monitor_look(design, float(zs[-1]), float(info[-1]), planned, look=look,
                        earlier_information=info[:-1] if earlier else None,
                        earlier_z=zs[:-1] if earlier else None, final=final, label=label,
                        unit="mature customers per arm", estimate=estimate)


def _monitored_arm(result, arm):
    arms = list(result.summary.index)
    if arm is None:
        if len(arms) > 1:
            raise ParameterError(f"There are {len(arms)} treatment arms {arms}: name the one to monitor with "
                                 "arm=, and plan each arm's design at alpha / number of arms (Bonferroni).")
        return arms[0]
    if arm not in arms:
        raise ParameterError(f"arm={arm!r} is not a treatment arm; choose from {arms}.")
    return arm


def _arm_counts(result, arm) -> tuple[float, float, float, float]:
    row = result.summary.loc[arm]
    return (float(row["n"]), float(row["retained"]), float(row["control_n"]), float(row["control_retained"]))
