"""The input paths of :func:`~retention_kit.compare_retention`: assignments, the activity log
or a ready lifetimes table, read into one lifetimes frame (one row per assigned customer,
with ``start``, ``duration``, ``churned`` and the arm); the customers assigned per arm; and
whether each customer was active in the window after the horizon.

Internal to :mod:`retention_kit.compare`; the names in ``__all__`` are shared by its modules only.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._options import check_horizon
from ..checks import NO_TIMES_HINT, check_lifetimes, validate_assignments
from ..errors import DataError, ParameterError, RetentionWarning
from ..results import metadata
from ..survival import customer_lifetimes

__all__ = ["NO_TIMES_HINT", "assigned_by_arm", "horizon_length", "read_inputs", "read_time_unit", "seen_in_window"]


def _no_time_column(frame, col, what) -> None:
    """Refuse a frame without its time column, pointing to the comparisons that need none."""
    from ..validation import missing_column_message

    if isinstance(frame, pd.DataFrame) and col not in frame.columns:
        raise DataError(missing_column_message("time_col", col, [str(c) for c in frame.columns], what)
                        + NO_TIMES_HINT)


def read_time_unit(lifetimes, events, time_unit) -> str:
    """``time_unit`` as given, else the unit the lifetimes' builder recorded
    (``rk.metadata(lifetimes)["time_unit"]``), else days: the rule of the survival functions.
    With the activity log everything is counted in days, so no other unit is taken."""
    if time_unit is None:
        found = metadata(lifetimes).get("time_unit") if isinstance(lifetimes, pd.DataFrame) else None
        unit = str(found or "days")
    elif not isinstance(time_unit, str) or not time_unit.strip():
        raise ParameterError(f"time_unit={time_unit!r}: name the unit the durations are in, e.g. "
                             "time_unit='days', 'weeks' or 'months'.")
    else:
        unit = time_unit.strip()
    unit = "days" if unit.lower() in ("day", "days") else unit
    if unit != "days" and lifetimes is None:
        raise ParameterError(f"time_unit={unit!r} is the unit of a lifetimes table's durations; lifetimes "
                             "built from the activity log are in days: leave out time_unit.")
    if unit != "days" and events is not None:
        # The window after the horizon is read from the log in days: the durations must be days too.
        raise DataError(f"lifetimes are in {unit}; the comparison needs days: build them with "
                        "customer_lifetimes(..., unit='D').")
    return unit


#: Days in one unit of the durations, for the calendar time a horizon in that unit takes
#: (a month is 365.25 / 12 days on average, a quarter three of them, a year 365.25 days).
_UNIT_DAYS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12, "quarters": 365.25 / 4, "years": 365.25}


def horizon_length(horizon, time_unit: str, name: str = "horizon") -> tuple[float, pd.Timedelta]:
    """A horizon in a unit other than days: the number of ``time_unit`` (``check_horizon``)
    and the calendar time it takes, to tell which customers are mature."""
    value = check_horizon(horizon, time_unit, name)
    per = _UNIT_DAYS.get(time_unit.lower()) or _UNIT_DAYS.get(time_unit.lower() + "s")
    if per is None:
        raise ParameterError(
            f"time_unit={time_unit!r}: a comparison needs the calendar time a horizon takes (to tell which "
            f"customers are mature), so the durations must be in one of {list(_UNIT_DAYS)}; convert them, e.g. "
            "to days.")
    return value, pd.Timedelta(days=value * per)


def read_inputs(assignments, events, lifetimes, *, churn_after, as_of, customer_col, arm_col, time_col,
                duration_col="duration", event_col="churned"):
    """The assignments (None when not given) and one lifetimes frame from ``events`` or from
    the ``lifetimes`` table, with the as-of instant and the data-quality report."""
    frame = None if assignments is None else validate_assignments(assignments, customer_col=customer_col,
                                                                    arm_col=arm_col, time_col=time_col)
    if lifetimes is None:
        if events is None:
            raise ParameterError("Give the activity log (events=...) or ready lifetimes (lifetimes=...).")
        if frame is None:
            raise ParameterError("assignments are required with events: they say who is in which arm and "
                                 "when each customer's clock starts.")
        _no_time_column(events, time_col, "events")
        life = customer_lifetimes(events, churn_after=churn_after, as_of=as_of, customer_col=customer_col,
                                  time_col=time_col, start_times=frame, by=[arm_col])
        info = metadata(life)
        return frame, life, info["as_of"], info["data_quality"]
    life, as_of_ts, quality = _lifetimes_from_table(
        lifetimes, frame, customer_col=customer_col, arm_col=arm_col, time_col=time_col, as_of=as_of,
        churn_after=churn_after, duration_col=duration_col, event_col=event_col)
    return frame, life, as_of_ts, quality


def _lifetimes_from_table(lifetimes, assignments, *, customer_col, arm_col, time_col, as_of, churn_after,
                          duration_col="duration", event_col="churned"):
    """A ready lifetimes table (``start``, the durations and the churn flags, under any names)
    as the kit's lifetimes frame: ``customer_id``, ``start``, ``duration``, ``churned``, the arm."""
    life_id = _checked_columns(lifetimes, customer_col, duration_col, event_col)
    known_gap = lifetimes.attrs.get("churn_after")
    if known_gap is not None and pd.Timedelta(known_gap) != churn_after:
        raise ParameterError(
            f"lifetimes were built with churn_after={pd.Timedelta(known_gap).days} days but churn_after="
            f"{churn_after.days} days was given: pass churn_after='{pd.Timedelta(known_gap).days}D' so "
            "maturity uses the same window.")
    life = _canonical_lifetimes(lifetimes, life_id, duration_col, event_col)
    if arm_col not in life.columns:
        if assignments is None:
            raise DataError(f"lifetimes has no column {arm_col!r} (arm_col) and no assignments were given: "
                            "pass assignments or add the arm to lifetimes.")
        arms = assignments.set_index(customer_col)[arm_col]
        life[arm_col] = life["customer_id"].map(arms)
    if assignments is not None:
        _check_every_assigned_customer(lifetimes, life, assignments, customer_col, time_col)
    no_arm = life[arm_col].isna()
    if no_arm.any():
        raise DataError(f"{int(no_arm.sum()):,} lifetimes have no arm (for example customer "
                        f"{life.loc[no_arm, 'customer_id'].iloc[0]!r}): they are not in the experiment. "
                        "Keep only assigned customers.")
    if as_of is None:
        as_of = lifetimes.attrs.get("as_of")
    if as_of is None:
        # Where censored lifetimes end depends on how the table was built: ask for as_of.
        raise ParameterError(
            "as_of is needed with a lifetimes table that does not carry it (lifetimes.attrs"
            "['as_of'], set by rk.customer_lifetimes): pass as_of='YYYY-MM-DD', the end of "
            "observation the lifetimes were computed at.")
    life["start"] = pd.to_datetime(life["start"])
    return life, pd.Timestamp(as_of), metadata(lifetimes).get("data_quality")


def _checked_columns(lifetimes, customer_col, duration_col, event_col) -> str:
    """The lifetimes' customer column, after checking that every column the comparison reads is there."""
    from ..validation import require_columns

    life_id = customer_col
    if customer_col not in lifetimes.columns and "customer_id" in lifetimes.columns:
        life_id = "customer_id"  # customer_lifetimes names it so, whatever the log called it
    require_columns(lifetimes, {"customer_col": life_id}, what="lifetimes")
    try:
        require_columns(lifetimes, {"column 'start'": "start", "duration_col": duration_col,
                                    "event_col": event_col}, what="lifetimes")
    except DataError as err:
        raise DataError(f"{err} compare_retention(lifetimes=) needs the lifetimes of rk.customer_lifetimes "
                        f"(columns start, {duration_col}, {event_col})." + NO_TIMES_HINT) from None
    return life_id


def _canonical_lifetimes(lifetimes, life_id, duration_col, event_col) -> pd.DataFrame:
    """A copy under the kit's names: the durations checked (numbers >= 0) and the churn flags
    read by the one flag rule (True/False, 1/0, Yes/No, churned/active; others refused)."""
    durations, churned = check_lifetimes(lifetimes[duration_col], lifetimes[event_col], duration_col=duration_col,
                                         event_col=event_col, index=lifetimes.index)
    renamed = {life_id: "customer_id", duration_col: "duration", event_col: "churned"}
    shadowed = [c for c in ("duration", "churned") if c in lifetimes.columns and c not in renamed]
    life = lifetimes.drop(columns=shadowed).rename(columns=renamed).copy()
    if not pd.api.types.is_numeric_dtype(life["duration"]) or pd.api.types.is_bool_dtype(life["duration"]):
        life["duration"] = durations
    if not pd.api.types.is_bool_dtype(life["churned"]):
        life["churned"] = churned
    return life


def _check_every_assigned_customer(lifetimes, life, assignments, customer_col, time_col) -> None:
    """Refuse lifetimes that leave out assigned customers (other than those who started too late)."""
    missing = ~assignments[customer_col].isin(life["customer_id"])
    info = metadata(lifetimes)
    if missing.any() and info.get("as_of") is not None and info.get("churn_after") is not None:
        # Customers who started after the detection limit are left out of lifetimes on
        # purpose (not yet classifiable); only the others are missing.
        limit = info["as_of"] - info["churn_after"]
        missing &= ~(_assignment_times(assignments, customer_col, time_col) > limit).to_numpy()
    if missing.any():
        raise DataError(
            f"lifetimes has no row for {int(missing.sum()):,} assigned customers (for example "
            f"{assignments.loc[missing, customer_col].iloc[0]!r}). Dropping them would bias the "
            "comparison (typically they never came back): build lifetimes with "
            "customer_lifetimes(events, churn_after=..., start_times=assignments).")


def _assignment_times(frame, customer_col, time_col) -> pd.Series:
    """Assignment times as naive datetimes (UTC for zone-aware input), by customer."""
    t = pd.to_datetime(frame[time_col], errors="coerce")
    if getattr(t.dt, "tz", None) is not None:
        t = t.dt.tz_convert("UTC").dt.tz_localize(None)
    return pd.Series(t.to_numpy(), index=frame[customer_col].to_numpy())


def assigned_by_arm(frame, life, arms, as_of, customer_col, arm_col, time_col) -> pd.Series:
    """Customers assigned per arm by the as-of date: from the assignments when given, so the
    sample-ratio check and the immature counts include the customers who started too late
    to be classified (``customer_lifetimes`` leaves them out of the lifetimes)."""
    if frame is None:
        return life.groupby("arm").size().reindex(arms, fill_value=0)
    starts = _assignment_times(frame, customer_col, time_col)
    observed_until = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)  # the as-of day counts
    known = frame[customer_col].isin(life["customer_id"]).to_numpy()
    in_time = known | (starts < observed_until).to_numpy()
    return frame.loc[in_time].groupby(arm_col).size().reindex(arms, fill_value=0).rename_axis("arm")


def seen_in_window(events, life, horizon, window, as_of, customer_col, time_col) -> np.ndarray:
    """Whether each customer of ``life`` has activity in ``(start + H, start + H + w]``.

    The first activity at or after ``start + H + 1 ns`` (strictly after the horizon), found
    by :func:`customer_lifetimes` with shifted start times, so it runs in any engine the
    log lives in. Customers whose horizon ends after ``as_of`` cannot have been seen.
    """
    after = life["start"] + horizon + pd.Timedelta(1, "ns")
    reached = (after <= as_of).to_numpy()
    seen = np.zeros(len(life), dtype=bool)
    if not reached.any():
        return seen
    shifted = pd.DataFrame({customer_col: life["customer_id"].to_numpy()[reached],
                            time_col: after.to_numpy()[reached]})
    with warnings.catch_warnings():
        # Customers of the log outside the experiment are left out here as in the main pass.
        warnings.simplefilter("ignore", RetentionWarning)
        # Only first_activity is used: a one-second churn_after keeps every shifted start
        # classifiable (customer_lifetimes leaves out starts after as_of - churn_after).
        # A log validated with its own as_of (rk.validate_events) keeps it: passing the resolved
        # instant again would be refused as a different as_of, though it is the same one.
        from ..validation import EventLog

        door_as_of = isinstance(events, EventLog) and events._door_as_of is not None
        later = customer_lifetimes(events, churn_after=pd.Timedelta(seconds=1), as_of=None if door_as_of else as_of,
                                   customer_col=customer_col, time_col=time_col, start_times=shifted)
    first = pd.Series(pd.to_datetime(later["first_activity"]).to_numpy(), index=later["customer_id"].to_numpy())
    first = first.reindex(life["customer_id"].to_numpy()[reached]).to_numpy()
    limit = (life["start"] + horizon + window).to_numpy()[reached]
    seen[reached] = ~pd.isna(first) & (first <= limit)
    return seen
