"""Words of the comparison: p-values, probabilities and differences for sentences and tables,
horizons in the durations' unit, and the one way a caveat is said (a warning at the caller's
line, kept in the result's notes).

Internal to :mod:`retention_kit.compare`; these names are shared by its modules only.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._options import caller_stacklevel
from ..experiments._common import fmt_p, p_is  # one p-value format for tables and sentences

__all__ = ["days", "eq", "fmt_p", "horizon_words", "in_units", "p_is", "pct", "points", "prob", "unit_short",
           "unit_word", "warn"]


def prob(v: float) -> str:
    """A probability for sentences, never rounded to a certainty it is not."""
    if not np.isfinite(v):
        return "n/a"
    return "> 99.9%" if v > 0.999 else "< 0.1%" if v < 0.001 else f"{v:.1%}"


def eq(text: str) -> str:
    return text if text[0] in "<>" else f"= {text}"


def points(v: float) -> str:
    """A rate difference in percentage points, for sentences."""
    return "< 0.01 points" if 0 <= v < 5e-5 else f"{v * 100:.2f} points"


def pct(v: float) -> str:
    return "–" if not np.isfinite(v) else f"{v:.1%}"


def days(td: pd.Timedelta) -> float:
    return td.total_seconds() / 86400.0


def in_units(horizon) -> float:
    """A horizon as a number of the durations' unit: a Timedelta counts in days (the unit of
    every comparison made from events); lifetimes in another unit carry the number itself."""
    return days(horizon) if isinstance(horizon, pd.Timedelta) else float(horizon)


def unit_word(time_unit: str) -> str:
    """One of the unit: "days" -> "day", "months" -> "month"."""
    return time_unit[:-1] if time_unit.endswith("s") else time_unit


def unit_short(time_unit: str) -> str:
    """The unit in a table heading or a plot label: "d" for days, else the unit itself."""
    return "d" if time_unit == "days" else time_unit


def horizon_words(horizon, time_unit: str = "days") -> str:
    """"at day 30" for a Timedelta horizon; "at month 3" for a number of another unit."""
    if horizon is None:
        return "at the horizon"
    if not isinstance(horizon, pd.Timedelta):
        return f"at {unit_word(time_unit)} {float(horizon):g}"
    n_days = days(horizon)
    return f"at day {n_days:g}" if n_days == int(n_days) else f"after {horizon}"


def warn(category, message: str, notes: list) -> None:
    """Say a caveat: a warning pointing at the caller's line, and the same words in ``notes``."""
    notes.append(message)
    warnings.warn(category(message), stacklevel=caller_stacklevel())
