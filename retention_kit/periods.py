"""Calendar periods and durations, defined once for the whole kit.

Periods are integer codes computed with numpy's calendar units, so every module (CRR,
cohorts, survival, comparison) agrees on where a week or a month starts:

========  =======================================  ==========================
``freq``  period                                   code
========  =======================================  ==========================
``"D"``   calendar day                             days since 1970-01-01
``"W"``   ISO week, Monday to Sunday               weeks since Mon 1969-12-29
``"M"``   calendar month                           months since 1970-01
``"Q"``   calendar quarter (Jan, Apr, Jul, Oct)    quarters since 1970Q1
``"Y"``   calendar year                            years since 1970
========  =======================================  ==========================

Codes are consecutive, so "periods since acquisition" is a subtraction.
"""

from __future__ import annotations

import re

import difflib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import ParameterError

__all__ = ["Freq", "parse_freq", "parse_duration", "period_codes", "period_starts"]


@dataclass(frozen=True)
class Freq:
    """A calendar period length: ``code`` is one of D, W, M, Q, Y."""

    code: str
    name: str
    pandas_freq: str  # the matching pandas Period frequency, for labels

    def __str__(self) -> str:
        return self.name


_FREQS = {
    "D": Freq("D", "day", "D"),
    "W": Freq("W", "week", "W-SUN"),
    "M": Freq("M", "month", "M"),
    "Q": Freq("Q", "quarter", "Q-DEC"),
    "Y": Freq("Y", "year", "Y-DEC"),
}
_ALIASES = {
    "d": "D", "day": "D", "daily": "D",
    "w": "W", "week": "W", "weekly": "W", "w-mon": "W", "w-sun": "W",
    "m": "M", "month": "M", "monthly": "M", "ms": "M", "me": "M",
    "q": "Q", "quarter": "Q", "quarterly": "Q", "qs": "Q", "qe": "Q",
    "y": "Y", "year": "Y", "yearly": "Y", "a": "Y", "ys": "Y", "ye": "Y",
}


def parse_freq(freq: str | Freq) -> Freq:
    """Read a period name such as ``"M"``, ``"month"`` or ``"W"``.

    Examples
    --------
    >>> parse_freq("month").code
    'M'
    >>> parse_freq("W").name
    'week'
    """
    if isinstance(freq, Freq):
        return freq
    key = str(freq).strip().lower()
    if key in _ALIASES:
        return _FREQS[_ALIASES[key]]
    close = difflib.get_close_matches(key, list(_ALIASES), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ParameterError(
        f"freq={freq!r} is not a period this kit knows.{hint} "
        "Use 'D' (day), 'W' (ISO week, Monday first), 'M' (calendar month), "
        "'Q' (calendar quarter) or 'Y' (calendar year)."
    )


# Longest duration accepted: a century is far beyond any retention question, and well inside
# what datetime64[ns] arithmetic can add to a date (about 292 years) without overflow.
_MAX_DURATION = pd.Timedelta(days=36525)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def parse_duration(value, *, name: str = "duration") -> pd.Timedelta:
    """Read a length of time: a number of days, a string with its unit such as ``"30D"``,
    ``"8W"`` or ``"12h"``, or a ``pd.Timedelta``. A bare number, also as text (``"30"``, as
    typed on the command line), is days. Months and years are refused because they have no
    fixed length; zero, negative, non-finite and longer-than-a-century values are refused.

    Examples
    --------
    >>> parse_duration(30)
    Timedelta('30 days 00:00:00')
    >>> parse_duration("30")
    Timedelta('30 days 00:00:00')
    >>> parse_duration("4W")
    Timedelta('28 days 00:00:00')
    """
    hint = "Give a number of days (30) or a string with its unit like '30D', '8W' or '12h'."
    if isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"{name}={value!r}: {hint}")
    text = value.strip() if isinstance(value, str) else None
    if isinstance(value, (int, float, np.integer, np.floating)) or (text and _NUMBER.match(text)):
        # pandas reads the text "30" as 30 nanoseconds; a person typing 30 means days.
        days = float(value)
        if not np.isfinite(days):
            raise ParameterError(f"{name}={value!r} is not a finite length of time. {hint}")
        if abs(days) > _MAX_DURATION.days:
            raise ParameterError(f"{name}={value!r} days is longer than a century. {hint}")
        out = pd.Timedelta(days=days)
    elif isinstance(value, (pd.Timedelta, np.timedelta64)) or hasattr(value, "total_seconds"):
        out = pd.Timedelta(value)
        if pd.isna(out):
            raise ParameterError(f"{name}={value!r} is missing (NaT). {hint}")
    elif text is not None:
        if text[-1:] in ("M", "Y") or text.lower().endswith(("month", "months", "year", "years")):
            raise ParameterError(
                f"{name}={value!r}: months and years have no fixed length. "
                "Give days instead, for example '30D' or '365D'."
            )
        try:
            out = pd.Timedelta(text)
        except (ValueError, OverflowError):
            raise ParameterError(f"{name}={value!r} is not a length of time. {hint}") from None
        if pd.isna(out):
            raise ParameterError(f"{name}={value!r} is not a length of time. {hint}")
    else:
        raise ParameterError(
            f"{name}={value!r} ({type(value).__name__}) is not a length of time. {hint}"
        )
    if out <= pd.Timedelta(0):
        raise ParameterError(f"{name}={value!r} must be longer than zero.")
    if out > _MAX_DURATION:
        raise ParameterError(f"{name}={value!r} is longer than a century. {hint}")
    return out


def period_codes(times, freq: str | Freq) -> np.ndarray:
    """Integer period codes of naive ``datetime64`` values (see the module table).

    Examples
    --------
    >>> t = pd.to_datetime(["1997-01-31", "1997-02-01", "1998-01-01"])
    >>> period_codes(t, "M").tolist()
    [324, 325, 336]
    >>> period_codes(pd.to_datetime(["2024-01-07", "2024-01-08"]), "W").tolist()  # Sun, Mon
    [2818, 2819]
    """
    f = parse_freq(freq)
    values = np.asarray(times, dtype="datetime64[ns]")
    if f.code == "D":
        return values.astype("datetime64[D]").astype(np.int64)
    if f.code == "W":
        # 1970-01-01 was a Thursday; shifting by 3 days makes weeks start on Monday.
        return np.floor_divide(values.astype("datetime64[D]").astype(np.int64) + 3, 7)
    months = values.astype("datetime64[M]").astype(np.int64)
    if f.code == "M":
        return months
    if f.code == "Q":
        return np.floor_divide(months, 3)
    return np.floor_divide(months, 12)


def period_starts(codes, freq: str | Freq) -> pd.DatetimeIndex:
    """First instant of each period code (the inverse of :func:`period_codes`).

    Examples
    --------
    >>> period_starts([324, 325], "M").strftime("%Y-%m-%d").tolist()
    ['1997-01-01', '1997-02-01']
    """
    f = parse_freq(freq)
    codes = np.asarray(codes, dtype=np.int64)
    if f.code == "D":
        out = codes.astype("datetime64[D]")
    elif f.code == "W":
        out = (codes * 7 - 3).astype("datetime64[D]")
    elif f.code == "M":
        out = codes.astype("datetime64[M]")
    elif f.code == "Q":
        out = (codes * 3).astype("datetime64[M]")
    else:
        out = (codes * 12).astype("datetime64[M]")
    return pd.DatetimeIndex(out.astype("datetime64[ns]"))


def period_labels(codes, freq: str | Freq) -> pd.PeriodIndex:
    """Readable labels (``1997-01``, ``1997Q1``, ``2024-01-01/2024-01-07``) for codes."""
    f = parse_freq(freq)
    return pd.PeriodIndex(period_starts(codes, f), freq=f.pandas_freq)
