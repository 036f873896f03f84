"""The options of :func:`~retention_kit.cohort_table`, read and checked once into a :class:`Spec`
(each error in the order users have always met them), and which options only the pandas
engine runs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._options import choose
from ..errors import ParameterError
from ..periods import Freq

_DAY_NS = 86_400 * 10**9
# Relative windows (days) matching each calendar period, as Amplitude/Mixpanel define them.
RELATIVE_DAYS = {"D": 1, "W": 7, "M": 30, "Q": 90, "Y": 365}
_PERIODS = ("calendar", "relative")
_MODES = {"on": "on", "on or after": "on or after", "on_or_after": "on or after",
          "on-or-after": "on or after", "unbounded": "on or after"}
_METRICS = ("customers", "revenue")
_FIRST_COHORT = ("warn", "keep", "exclude")
ENGINE_SCOPE = ("calendar periods (D/W/M/Q/Y), mode 'on' or 'on or after', metric 'customers' or "
                "'revenue', first_cohort and as_of")


@dataclass(frozen=True)
class Spec:
    """The checked options of one cohort_table call."""

    freq: Freq
    periods: str
    mode: str
    metric: str
    first_cohort: str
    look_ahead: int | None
    brackets: list | None  # [(first, last), ...]
    by: str | None
    cohort_col: str | None

    @property
    def shown_mode(self) -> str:
        return "brackets" if self.brackets else self.mode

    @property
    def window(self) -> int:
        """Length of a relative period (ns)."""
        return RELATIVE_DAYS[self.freq.code] * _DAY_NS


def _check_look_ahead(look_ahead, mode: str) -> int | None:
    if look_ahead is None:
        return None
    if isinstance(look_ahead, bool) or not isinstance(look_ahead, (int, np.integer)) or look_ahead < 0:
        raise ParameterError(f"look_ahead={look_ahead!r} must be a whole number of periods, 0 or more "
                             "(e.g. look_ahead=3: active in period k or one of the 3 after it).")
    if mode != "on or after":
        raise ParameterError(f"look_ahead={look_ahead!r} bounds mode='on or after'; with mode={mode!r} "
                             "leave it out (or pass mode='on or after').")
    return int(look_ahead)


def parse_brackets(brackets) -> list[tuple[int, int]]:
    out = []
    for b in brackets:
        lo, hi = (b, b) if isinstance(b, (int, np.integer)) else tuple(b)
        if not (isinstance(lo, (int, np.integer)) and isinstance(hi, (int, np.integer))) or lo < 0 or hi < lo:
            raise ParameterError(f"brackets: {b!r} is not a period or a (first, last) range of "
                                 "periods with 0 <= first <= last, e.g. [1, (2, 7), (8, 30)].")
        if out and lo <= out[-1][1]:
            raise ParameterError(f"brackets must be increasing and must not overlap: {b!r} starts "
                                 f"at or before the end of {out[-1]!r}.")
        out.append((int(lo), int(hi)))
    if not out:
        raise ParameterError("brackets is empty: give at least one period, e.g. [1, (2, 7)].")
    return out


def check_options(freq: Freq, *, periods, mode, metric, first_cohort, look_ahead, brackets, amount_col,
                  by, cohort_col) -> Spec:
    """The options read and checked, each error in the order users have always met them."""
    periods = choose(periods, _PERIODS, "periods")
    mode = choose(mode, _MODES, "mode")
    metric = choose(metric, _METRICS, "metric")
    first_cohort = choose(first_cohort, _FIRST_COHORT, "first_cohort")
    look_ahead = _check_look_ahead(look_ahead, mode)
    bracket_list = parse_brackets(brackets) if brackets is not None else None
    if metric == "revenue" and amount_col is None:
        raise ParameterError("metric='revenue' needs amount_col='<your revenue column>'.")
    if bracket_list is not None and (mode != "on" or metric != "customers"):
        raise ParameterError("brackets count customers active in a range of periods: use them "
                             "with mode='on' and metric='customers'.")
    if metric == "revenue" and mode != "on":
        raise ParameterError("Revenue retention compares each period's revenue with period 0: "
                             "use mode='on' with metric='revenue'.")
    return Spec(freq=freq, periods=periods, mode=mode, metric=metric, first_cohort=first_cohort,
                look_ahead=look_ahead, brackets=bracket_list, by=by, cohort_col=cohort_col)


def pandas_only_option(spec: Spec, *, brackets, active_if, acquired_if) -> tuple | None:
    """The first option given that only the pandas engine runs, as (name, value); None when
    the call runs on every engine (calendar cells)."""
    for option, value, default in (("periods", spec.periods, "calendar"), ("brackets", brackets, None),
                                   ("active_if", active_if, None), ("acquired_if", acquired_if, None),
                                   ("cohort_col", spec.cohort_col, None), ("by", spec.by, None),
                                   ("look_ahead", spec.look_ahead, None)):
        if value is not None and (default is None or value != default):  # masks may be arrays
            return option, value
    return None
