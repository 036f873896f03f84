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
from ..validation import example_text as _example, parse_flags, require_columns


_DAY = pd.Timedelta(days=1)


def _as_list(cols) -> list:
    if cols is None:
        return []
    return [cols] if isinstance(cols, str) else [c for c in cols]


# --------------------------------------------------------------------------------------
# Input checks for lifetime tables
# --------------------------------------------------------------------------------------

def _plain_example(values) -> str:
    """Example values as plain Python numbers (numpy scalars print as np.float64(...))."""
    return _example(np.asarray(values).tolist())


def _check_weights(weights, n: int, name: str) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    raw = np.asarray(weights)
    if raw.dtype == bool or (raw.dtype == object and any(isinstance(v, (bool, np.bool_)) for v in raw.ravel())):
        raise DataError(f"{name} must hold whole, non-negative counts of customers per row; it holds "
                        "True/False values, and a flag is not a count.")
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise DataError(f"{name} has {w.size:,} values for {n:,} rows: give one count per row.")
    bad = ~np.isfinite(w) | (w < 0) | (w != np.round(w))
    if bad.any():
        raise DataError(
            f"{name} must hold whole, non-negative counts (how many identical customers a row "
            f"stands for); {int(bad.sum()):,} rows do not, for example {_plain_example(w[bad])}. "
            "Sampling or inverse-probability weights are not supported: the variance formulas "
            "here count customers.")
    return w


def _check_durations(durations, events, name_d: str = "durations", name_e: str = "event_observed"):
    try:
        d = np.asarray(durations, dtype=float)
    except (TypeError, ValueError):
        raw = np.asarray(durations, dtype=object).ravel()
        example = next((v for v in raw if not isinstance(v, (int, float, np.number))), raw[:1])
        raise DataError(f"{name_d} must be numbers (times since the start); {example!r} is not. Convert "
                        "them first, e.g. pd.to_numeric(durations).") from None
    e_raw = np.asarray(events)
    if d.ndim != 1 or e_raw.shape != d.shape:
        raise DataError(f"{name_d} and {name_e} must be 1-d with the same length "
                        f"(got {d.shape} and {e_raw.shape}).")
    if len(d) == 0:
        raise DataError(f"{name_d} is empty: there is nothing to estimate.")
    bad = ~np.isfinite(d) | (d < 0)
    if bad.any():
        raise DataError(f"{name_d} has {int(bad.sum()):,} missing or negative values, for example "
                        f"{_plain_example(d[bad])}. Durations are times since the start: fix or drop those rows.")
    if e_raw.dtype == bool:
        e = e_raw
    else:
        try:
            as_float = e_raw.astype(float)
        except (TypeError, ValueError):
            as_float = np.full(e_raw.shape, np.nan)
        wrong = ~np.isin(as_float, [0.0, 1.0])
        if wrong.any():
            raise DataError(f"{name_e} must be True/False (or 1/0): {int(wrong.sum()):,} values are "
                            f"not, for example {_plain_example(e_raw[wrong])}.")
        e = as_float.astype(bool)
    return d, e


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


def _lifetime_columns(lifetimes, duration_col: str = "duration", event_col: str = "churned",
                      wanted: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The one door of every lifetimes frame (issue 13): the durations (finite numbers >= 0)
    and the churn flags of ``duration_col`` and ``event_col``, read with the one flag rule
    (True/False, 1/0, text Yes/No, True/False, churned/active in any case; anything else
    refused with the column, the values, the count and the fix)."""
    require_columns(lifetimes, {"duration_col": duration_col, "event_col": event_col, **(wanted or {})},
                    what="lifetimes")
    if len(lifetimes) == 0:
        raise DataError("lifetimes is empty (0 rows): there is nothing to estimate.")
    d, _ = _check_durations(lifetimes[duration_col], np.zeros(len(lifetimes), dtype=bool),
                            f"column {duration_col!r}", f"column {event_col!r}")
    e = parse_flags(lifetimes[event_col], event_col, what="churn flag (event_col)")
    return d, e


def _lifetime_groups(lifetimes, by, weights_col, default_label, duration_col: str = "duration",
                     event_col: str = "churned") -> tuple[list, dict[object, _Group]]:
    by = _as_list(by)
    wanted = {"weights_col": weights_col}
    wanted.update({"by": c for c in by})
    d, e = _lifetime_columns(lifetimes, duration_col, event_col, wanted)
    w = _check_weights(None if weights_col is None else lifetimes[weights_col], len(d),
                       f"column {weights_col!r} (weights_col)")
    groups: dict[object, _Group] = {}
    if not by:
        groups[default_label] = _Group(d, e, w)
        return by, groups
    keys = lifetimes[by]
    missing = keys.isna().any(axis=1).to_numpy()
    if missing.any():
        raise DataError(f"Column(s) {by} (by) are missing in {int(missing.sum()):,} rows: fill them "
                        "(e.g. 'unknown') or drop those rows.")
    key_index = pd.MultiIndex.from_frame(keys) if len(by) > 1 else pd.Index(keys[by[0]])
    codes, uniques = pd.factorize(key_index, sort=True)
    for i, key in enumerate(uniques):
        mask = codes == i
        if w[mask].sum() > 0:
            groups[key] = _Group(d[mask], e[mask], w[mask])
    return by, groups


def _time_unit_of(lifetimes, time_unit: str | None = None) -> str:
    """``time_unit`` as given, else the unit the lifetimes' builder recorded
    (``rk.metadata(lifetimes)["time_unit"]``), else days."""
    if time_unit is None:
        return str((metadata(lifetimes) if isinstance(lifetimes, pd.DataFrame) else {}).get("time_unit") or "days")
    if not isinstance(time_unit, str) or not time_unit.strip():
        raise ParameterError(f"time_unit={time_unit!r}: name the unit the durations are in, e.g. "
                             "time_unit='days', 'weeks' or 'months'.")
    return time_unit.strip()


def _km_steps(d: np.ndarray, e: np.ndarray, w: np.ndarray):
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


def _group_name(key) -> str:
    return ", ".join(map(str, key)) if isinstance(key, tuple) else str(key)
