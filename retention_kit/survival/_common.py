"""Private helpers shared by the modules of :mod:`retention_kit.survival` (and only by them):
the checks every lifetimes frame or array goes through, the grouping of lifetimes, the
Kaplan-Meier steps and the naming of groups. Nothing here is public API.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError
from ..results import metadata
from ..checks import check_groups, check_lifetimes, check_weights, example_text as _example
from ..validation import require_columns


DAY = pd.Timedelta(days=1)


def as_list(cols) -> list:
    if cols is None:
        return []
    return [cols] if isinstance(cols, str) else [c for c in cols]


# --------------------------------------------------------------------------------------
# Input checks for lifetime tables
# --------------------------------------------------------------------------------------

def _plain_example(values) -> str:
    """Example values as plain Python numbers (numpy scalars print as np.float64(...))."""
    return _example(np.asarray(values).tolist())


def check_durations(durations, events, name_d: str = "durations", name_e: str = "event_observed"):
    """Durations and churn flags given as arrays (``rmst(durations, event_observed)``), through
    :data:`retention_kit.checks.LIFETIME_CHECKS`: the flags by the one rule of lifetimes frames
    (True/False, 1/0, text Yes/No, True/False, churned/active in any case)."""
    return check_lifetimes(durations, events, duration_label=name_d, event_label=name_e)


@dataclass
class _Group:
    durations: np.ndarray
    events: np.ndarray
    weights: np.ndarray

    @property
    def customers(self) -> float:
        return float(self.weights.sum())

    @property
    def churned(self) -> float:
        return float(self.weights[self.events].sum())


def lifetime_columns(lifetimes, duration_col: str = "duration", event_col: str = "churned",
                      wanted: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The one door of every lifetimes frame (issue 13): the durations (finite numbers >= 0)
    and the churn flags of ``duration_col`` and ``event_col``, read with the one flag rule
    (True/False, 1/0, text Yes/No, True/False, churned/active in any case; anything else
    refused with the column, the values, the count and the fix)."""
    require_columns(lifetimes, {"duration_col": duration_col, "event_col": event_col, **(wanted or {})},
                    what="lifetimes")
    if len(lifetimes) == 0:
        raise DataError("lifetimes is empty (0 rows): there is nothing to estimate.")
    return check_lifetimes(lifetimes[duration_col], lifetimes[event_col], duration_col=duration_col,
                           event_col=event_col, index=lifetimes.index)


def lifetime_groups(lifetimes, by, weights_col, default_label, duration_col: str = "duration",
                     event_col: str = "churned") -> tuple[list, dict[object, _Group]]:
    by = as_list(by)
    wanted = {"weights_col": weights_col}
    wanted.update({"by": c for c in by})
    d, e = lifetime_columns(lifetimes, duration_col, event_col, wanted)
    w = check_weights(None if weights_col is None else lifetimes[weights_col], len(d),
                       f"column {weights_col!r} (weights_col)", weights_col)
    groups: dict[object, _Group] = {}
    if not by:
        groups[default_label] = _Group(d, e, w)
        return by, groups
    keys = lifetimes[by]
    check_groups(keys, by)
    key_index = pd.MultiIndex.from_frame(keys) if len(by) > 1 else pd.Index(keys[by[0]])
    codes, uniques = pd.factorize(key_index, sort=True)
    for i, key in enumerate(uniques):
        mask = codes == i
        if w[mask].sum() > 0:
            groups[key] = _Group(d[mask], e[mask], w[mask])
    return by, groups


def time_unit_of(lifetimes, time_unit: str | None = None) -> str:
    """``time_unit`` as given, else the unit the lifetimes' builder recorded
    (``rk.metadata(lifetimes)["time_unit"]``), else days."""
    if time_unit is None:
        return str((metadata(lifetimes) if isinstance(lifetimes, pd.DataFrame) else {}).get("time_unit") or "days")
    if not isinstance(time_unit, str) or not time_unit.strip():
        raise ParameterError(f"time_unit={time_unit!r}: name the unit the durations are in, e.g. "
                             "time_unit='days', 'weeks' or 'months'.")
    return time_unit.strip()


def km_steps(d: np.ndarray, e: np.ndarray, w: np.ndarray):
    """Distinct event times with (weighted) numbers at risk and events, and S after each."""
    order = np.argsort(d, kind="stable")
    d, e, w = d[order], e[order], w[order]
    times, first = np.unique(d, return_index=True)
    at_risk_all = w.sum() - np.r_[0.0, np.cumsum(w)][first]
    deaths_all = np.bincount(np.searchsorted(times, d), weights=w * e, minlength=len(times))
    has_event = deaths_all > 0
    t, n, dd = times[has_event], at_risk_all[has_event], deaths_all[has_event]
    surv = np.cumprod(1.0 - dd / n)
    return t, n, dd, surv


def group_name(key) -> str:
    return ", ".join(map(str, key)) if isinstance(key, tuple) else str(key)
