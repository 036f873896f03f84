"""The pandas engine's reductions: numpy kernels over canonical integer arrays (customer
codes, int64 nanosecond times, period codes). The analyses call them on pandas input where
the other engines run SQL (``_sql.py``); another engine can replace them without touching
the arithmetic after the reduction."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from ..periods import Freq, period_codes

__all__ = ["Pairs", "distinct_pairs", "customer_codes", "event_periods", "DAY_NS"]

DAY_NS = 86_400 * 10**9


class Pairs(NamedTuple):
    customer: np.ndarray  # int64 customer code of each distinct pair, sorted by customer
    period: np.ndarray  # int64 period code of the pair, sorted within customer
    first: np.ndarray  # int64 first period of the pair's customer


def distinct_pairs(customer: np.ndarray, period: np.ndarray) -> Pairs:
    """Distinct (customer, period) pairs of integer codes, sorted, with each customer's
    first period. ``customer`` must be non-negative.

    One int64 key per event (customer x span + period) replaces hashing: a presence bitmap
    when the key range is small (no sort at all), else a sort and a mask of repeats.
    """
    empty = np.empty(0, np.int64)
    if len(customer) == 0:
        return Pairs(empty, empty, empty)
    p0 = int(period.min())
    span = int(period.max()) - p0 + 1
    n_keys = (int(customer.max()) + 1) * span
    if n_keys >= 2**62:  # astronomically sparse codes: fall back to a two-key sort
        order = np.lexsort((period, customer))
        c, p = customer[order], period[order]
        keep = np.ones(len(c), bool)
        keep[1:] = (c[1:] != c[:-1]) | (p[1:] != p[:-1])
        cust, per = c[keep], p[keep]
    else:
        key = customer * span  # in place below: no temporaries of 10M rows
        key += period
        key -= p0
        if n_keys <= max(8 * len(key), 1 << 22):
            seen = np.zeros(n_keys, dtype=bool)
            seen[key] = True
            key = np.flatnonzero(seen)
        else:
            key.sort()
            keep = np.empty(len(key), bool)
            keep[0] = True
            np.not_equal(key[1:], key[:-1], out=keep[1:])
            key = key[keep]
        cust, per = np.divmod(key, span)
        per += p0
    starts = np.flatnonzero(np.r_[True, cust[1:] != cust[:-1]])
    first = np.repeat(per[starts], np.diff(np.r_[starts, len(cust)]))
    return Pairs(cust.astype(np.int64, copy=False), per.astype(np.int64, copy=False), first)


def customer_codes(ids: pd.Series) -> tuple[np.ndarray, int]:
    """Non-negative integer codes (and their range) for customer ids: integer ids are used
    as they are when their range is compact, anything else is factorized."""
    values = ids.to_numpy()
    if values.dtype.kind in "iu" and len(values):
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < 4 * len(values) + 1024:
            return values.astype(np.int64) - lo, hi - lo + 1
    codes, uniques = pd.factorize(ids, sort=False)
    return codes.astype(np.int64, copy=False), len(uniques)


def event_periods(t_ns: np.ndarray, freq: Freq) -> np.ndarray:
    """:func:`period_codes` of int64 nanosecond times, via a day lookup table (converting
    10M datetimes to months directly is several times slower)."""
    days = np.floor_divide(t_ns, DAY_NS)
    d0, d1 = int(days.min()), int(days.max())
    if freq.code == "D" or d1 - d0 > 4 * len(days) + 4096:
        return period_codes(t_ns.view("datetime64[ns]"), freq)
    table = period_codes(np.arange(d0, d1 + 1).astype("datetime64[D]"), freq)
    days -= d0
    return np.take(table, days, out=days, mode="clip")
