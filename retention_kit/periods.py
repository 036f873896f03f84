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


def parse_duration(value, *, name: str = "duration") -> pd.Timedelta:
    """Read a length of time: a number of days, a string such as ``"30D"`` or ``"8W"``,
    or a ``pd.Timedelta``. Months are refused because they have no fixed length.

    Examples
    --------
    >>> parse_duration(30)
    Timedelta('30 days 00:00:00')
    >>> parse_duration("4W")
    Timedelta('28 days 00:00:00')
    """
    if isinstance(value, bool):
        raise ParameterError(f"{name}={value!r}: give a number of days or a string like '30D'.")
    if isinstance(value, (int, float, np.integer, np.floating)):
        out = pd.Timedelta(days=float(value))
    elif isinstance(value, (pd.Timedelta, np.timedelta64)) or hasattr(value, "total_seconds"):
        out = pd.Timedelta(value)
    elif isinstance(value, str):
        text = value.strip()
        if text[-1:] in ("M", "Y") or text.lower().endswith(("month", "months", "year", "years")):
            raise ParameterError(
                f"{name}={value!r}: months and years have no fixed length. "
                "Give days instead, for example '30D' or '365D'."
            )
        try:
            out = pd.Timedelta(text)
        except ValueError:
            raise ParameterError(
                f"{name}={value!r} is not a length of time. "
                "Give a number of days (30) or a string like '30D', '8W' or '12h'."
            ) from None
    else:
        raise ParameterError(
            f"{name}={value!r} ({type(value).__name__}) is not a length of time. "
            "Give a number of days (30) or a string like '30D'."
        )
    if out <= pd.Timedelta(0):
        raise ParameterError(f"{name}={value!r} must be longer than zero.")
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
