"""``by``: one CohortTable per value of a column taken at each customer's acquisition, and all
of them stacked, indexed by (value, cohort)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import DataQualityWarning
from .counts import one_table
from .options import Spec
from .pandas_path import Events, Reduced
from .result import CohortTable


def breakdown_table(ev: Events, reduced: Reduced, spec: Spec, revenue, columns, *,
                    stacklevel: int) -> CohortTable:
    """One table per breakdown value (taken at acquisition), and all of them stacked."""
    group_of, values = _breakdown_codes(ev, spec.by, spec.cohort_col)
    member_group = group_of[reduced.members]
    subs = {}
    for g in range(len(values)):
        if np.any(member_group == g):
            subs[values[g]] = one_table(ev, reduced, spec, revenue, columns, member_group == g,
                                        group_of[reduced.pair_cust] == g, stacklevel=stacklevel + 1)
    if np.any(member_group == -1):
        n_missing = int(np.sum(member_group == -1))
        ev.report.add(spec.by, n_missing, "dropped", "breakdown value missing at acquisition")
        warnings.warn(f"{n_missing:,} customers have no {spec.by!r} value at acquisition and "
                      "are in no breakdown table.", DataQualityWarning, stacklevel=stacklevel)
    stacked = {}
    for attr in ("sizes", "counts", "rates", "partial", "gross_rates", "base_revenue"):
        parts = {k: getattr(v, attr) for k, v in subs.items()}
        stacked[attr] = None if any(p is None for p in parts.values()) else pd.concat(parts, names=[spec.by])
    return CohortTable(**stacked, freq=spec.freq, periods=spec.periods, mode=spec.shown_mode, metric=spec.metric,
                       as_of=ev.as_of, data_quality=ev.report, by=spec.by, groups=subs,
                       look_ahead=spec.look_ahead)


def _breakdown_codes(ev: Events, breakdown: str, cohort_col: str | None):
    """Each customer code's breakdown value at acquisition as a code (-1: missing), and the values."""
    rows = (np.flatnonzero(ev.acquires) if (ev.acquires is not None and cohort_col is None)
            else np.arange(len(ev.frame)))
    order = rows[np.lexsort((ev.t[rows], ev.cust[rows]))]
    firsts = order[np.r_[True, ev.cust[order][1:] != ev.cust[order][:-1]]]
    codes, values = pd.factorize(ev.frame[breakdown].iloc[firsts], sort=True, use_na_sentinel=True)
    group_of = np.full(ev.n_codes, -1, np.int64)
    group_of[ev.cust[firsts]] = codes
    return group_of, values
