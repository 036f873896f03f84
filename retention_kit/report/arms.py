"""The experiment's columns of the analyst's file: one arm per customer (spread to all their
rows), the control arm, and where each customer's clock starts (the assignment time, or the
first event that carries an arm).

>>> from retention_kit.report.config import ReportConfig
>>> cfg = ReportConfig("x.csv", amount_col=None, segment_col=None, arm_col="arm", assigned_col=None)
>>> events = pd.DataFrame({"customer_id": ["a", "a", "b", "c"], "arm": [None, "control", "treatment", "control"],
...                        "date": ["2024-01-01", "2024-01-05", "2024-01-02", "2024-01-03"]})
>>> check_arms(events, cfg)
>>> arm_assignments(events, cfg)
  customer_id        arm       date
0           a    control 2024-01-05
1           b  treatment 2024-01-02
2           c    control 2024-01-03
"""

from __future__ import annotations

import difflib

import pandas as pd

from ..errors import DataError, ParameterError
from ._words import count, join_words
from .config import ReportConfig
from .dates import read_dates

__all__ = ["check_arms", "arm_assignments", "arm_per_customer"]


def _as_times(values: pd.Series, col: str, flag: str, config: ReportConfig) -> pd.Series:
    """A column read as naive times with the time column's rules (``date_format``, ISO, or the
    day/month order the column settles: :func:`retention_kit.report.dates.read_dates`)."""
    values = read_dates(values, col, config, [], flag=flag)
    if not pd.api.types.is_datetime64_any_dtype(values):
        text = values.astype("string").str.strip()
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        bad = parsed.isna() & text.notna() & (text != "")
        if bad.any():
            raise DataError(f"Column {col!r} ({flag}) has {count(int(bad.sum()), 'value')} that are not "
                            f"dates (for example {text[bad].iloc[0]!r}): fix those rows.")
        values = parsed
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values


def _assignment_times(events: pd.DataFrame, config: ReportConfig) -> pd.Series:
    """The assignment time of each customer; a customer with two different times is refused."""
    col, who, flag = config.assigned_col, config.customer_col, config.flag("assigned_col")
    values = _as_times(events[col], col, flag, config)
    times = pd.DataFrame({who: events[who], "t": values}).dropna().drop_duplicates()
    twice = times[who].duplicated(keep=False)
    if twice.any():
        example = times.loc[twice, who].iloc[0]
        raise DataError(f"Column {col!r} ({flag}) gives {count(int(times.loc[twice, who].nunique()), 'customer')} "
                        f"more than one assignment time (for example customer {example!r}). Each customer is "
                        "assigned once: keep the first assignment of each customer.")
    return times.set_index(who)["t"]


def arm_assignments(events: pd.DataFrame, config: ReportConfig) -> pd.DataFrame:
    """Customer, arm and the start of their clock: the assignment time when a column gives
    it, else the first event that carries an arm (which in a win-back or installed-base
    test may be long after the customer's first event)."""
    who, arm, time = config.customer_col, config.arm_col, config.time_col
    carrying = events.loc[events[arm].notna(), [who, arm, time]].copy()
    carrying[time] = _as_times(carrying[time], time, config.flag("time_col"), config)
    first = carrying.sort_values(time, kind="stable").drop_duplicates(who)
    if config.assigned_col:
        starts = _assignment_times(events, config)
        first = first[first[who].isin(starts.index)].copy()
        first[time] = first[who].map(starts)
    return first.sort_values(who, kind="stable").reset_index(drop=True)


def arm_per_customer(events: pd.DataFrame, config: ReportConfig, notes: list[str]) -> None:
    """The arm may be filled on some rows only (the assignment row): spread each customer's
    arm to all their rows. Customers with two arms are refused by :func:`check_inputs`."""
    col, who = config.arm_col, config.customer_col
    arms = events[[who, col]].dropna().drop_duplicates(who).set_index(who)[col]
    events[col] = events[who].map(arms)
    outside = events.loc[events[col].isna(), who].nunique()
    if outside:
        notes.append(f"{count(outside, 'customer')} {'has' if outside == 1 else 'have'} no {col!r} and "
                     "{'is' if outside == 1 else 'are'} not part of the experiment.")



def check_arms(events: pd.DataFrame, config: ReportConfig) -> None:
    col = config.arm_col
    arms = events[[config.customer_col, col]].dropna().drop_duplicates()
    if arms.empty:
        raise DataError(f"Column {col!r} ({config.flag('arm_col')}) is empty in every row: there is no "
                        "experiment to compare. Leave the option out, or check the column.")
    twice = arms[config.customer_col].duplicated(keep=False)
    if twice.any():
        example = arms.loc[twice, config.customer_col].iloc[0]
        seen = sorted(arms.loc[arms[config.customer_col] == example, col].astype(str))
        raise DataError(
            f"Column {col!r} ({config.flag('arm_col')}) gives {count(int(arms.loc[twice, config.customer_col].nunique()), 'customer')} "
            f"more than one arm (for example customer {example!r} is in {join_words(seen)}). Each "
            "customer belongs to one arm; customers in two arms break the randomisation: fix the "
            "assignment or remove them.")
    found = sorted(arms[col].astype(str).unique())
    if config.control_arm not in found:
        close = difflib.get_close_matches(config.control_arm, found, n=1)
        raise ParameterError(
            f"The control arm {config.control_arm!r} ({config.flag('control_arm')}) is not in column "
            f"{col!r}, which holds {join_words([repr(a) for a in found[:10]])}. "
            + (f"Did you mean {close[0]!r}? " if close else "")
            + f"Name the control arm with {config.flag('control_arm')}.")
    if len(found) < 2:
        raise DataError(f"Column {col!r} holds only one arm ({found[0]!r}): an experiment needs at least "
                        "two. Leave the arm option out, or check the column.")
