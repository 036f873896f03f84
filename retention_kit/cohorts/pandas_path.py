"""The pandas path of cohort_table, step by step, for the options only pandas runs (relative
periods, brackets, masks, ``cohort_col``, ``by``, ``look_ahead``): the validated events as
arrays (:class:`Events`), reduced to customers with a cohort and their distinct (customer,
offset) pairs (:class:`Reduced`). The heavy step (events -> distinct (customer, period) pairs) is
the engines' :func:`~retention_kit.engines.distinct_pairs`.

Helpers that warn take ``stacklevel``: the user's frame seen from their own frame (each call
one level deeper passes stacklevel + 1)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..engines import customer_codes, distinct_pairs, event_periods
from ..errors import DataError, DataQualityWarning
from ..periods import Freq
from ..results import DataQualityReport
from ..validation import prepare_events
from .cells import first_cohort_policy
from .masks import ACQUIRES, ACTIVE, with_masks
from .options import Spec


@dataclass
class Events:
    """The validated events as arrays: times (ns), customer codes and the optional masks."""

    frame: pd.DataFrame
    report: DataQualityReport
    as_of: pd.Timestamp
    until: int  # the kit's one rule: the as-of day counts as fully observed (exclusive end, ns)
    t: np.ndarray
    cust: np.ndarray
    n_codes: int
    active: np.ndarray | None
    acquires: np.ndarray | None


@dataclass
class Reduced:
    """The reduction: customers with a cohort, and their distinct (customer, offset) pairs."""

    members: np.ndarray  # customer codes
    member_cohort: np.ndarray  # period codes
    member_t0: np.ndarray | None  # acquisition times (ns); None on the default path
    pair_cust: np.ndarray
    pair_offset: np.ndarray  # periods since acquisition (or bracket numbers)
    pair_cohort: np.ndarray
    # The kept active events (general path only), for revenue: customer, offset, frame rows.
    ev_cust: np.ndarray | None = None
    ev_offset: np.ndarray | None = None
    ev_rows: np.ndarray | None = None


_NO_TIME = np.iinfo(np.int64).max  # a customer code without acquisition time


def open_pandas_events(events, spec: Spec, *, customer_col, time_col, amount_col, active_if, acquired_if,
                       as_of) -> Events:
    """Validate the events (with the masks, see :func:`with_masks`) and take their arrays."""
    keep = [c for c in (spec.by, spec.cohort_col) if c is not None]
    source = events
    if active_if is not None or acquired_if is not None:
        source, mask_cols = with_masks(events, keep, customer_col=customer_col, time_col=time_col,
                                       amount_col=amount_col, active_if=active_if, acquired_if=acquired_if)
        keep += mask_cols
    log = prepare_events(source, customer_col=customer_col, time_col=time_col,
                         amount_col=amount_col, keep_cols=keep, as_of=as_of)
    frame = log.frame
    t = frame["date"].to_numpy().view(np.int64)
    until = log.observed_until.value
    cust, n_codes = customer_codes(frame["customer_id"])
    active = frame[ACTIVE].to_numpy(bool) if ACTIVE in frame else None
    acquires = frame[ACQUIRES].to_numpy(bool) if ACQUIRES in frame else active
    return Events(frame=frame, report=log.report, as_of=log.as_of, until=until, t=t, cust=cust,
                  n_codes=n_codes, active=active, acquires=acquires)


def reduce_events(ev: Events, spec: Spec, *, stacklevel: int) -> Reduced:
    if spec.periods == "calendar" and spec.cohort_col is None and ev.acquires is None and ev.active is None:
        return _reduce_by_first_activity(ev, spec.freq)
    return _reduce_by_acquisition(ev, spec, stacklevel=stacklevel + 1)


def _reduce_by_first_activity(ev: Events, freq: Freq) -> Reduced:
    """Default path: cohort = first active period, straight from the reduction."""
    pairs = distinct_pairs(ev.cust, event_periods(ev.t, freq))
    new = np.empty(len(pairs.customer), bool)
    if len(new):
        new[0] = True
        np.not_equal(pairs.customer[1:], pairs.customer[:-1], out=new[1:])
    return Reduced(members=pairs.customer[new], member_cohort=pairs.first[new], member_t0=None,
                   pair_cust=pairs.customer, pair_offset=pairs.period - pairs.first, pair_cohort=pairs.first)


def _reduce_by_acquisition(ev: Events, spec: Spec, *, stacklevel: int) -> Reduced:
    """Cohorts from acquisition times (``acquired_if``, ``cohort_col``), pairs from the active
    events (``active_if``), offsets counted from each customer's acquisition."""
    t0 = _acquisition_times(ev, spec.cohort_col)
    has = t0 != _NO_TIME
    _check_acquired(ev, has, spec.cohort_col, stacklevel=stacklevel + 1)
    members = np.flatnonzero(has)
    member_t0 = t0[members]
    member_cohort = event_periods(member_t0, spec.freq)
    cohort_of = np.zeros(ev.n_codes, np.int64)
    cohort_of[members] = member_cohort
    ev_cust, ev_offset, ev_rows = _active_offsets(ev, spec, t0, has, cohort_of, stacklevel=stacklevel + 1)
    pairs = distinct_pairs(ev_cust, ev_offset)
    return Reduced(members=members, member_cohort=member_cohort, member_t0=member_t0,
                   pair_cust=pairs.customer, pair_offset=pairs.period, pair_cohort=cohort_of[pairs.customer],
                   ev_cust=ev_cust, ev_offset=ev_offset, ev_rows=ev_rows)


def _acquisition_times(ev: Events, cohort_col: str | None) -> np.ndarray:
    """Per customer code: the earliest ``cohort_col`` time or acquiring event (ns), else _NO_TIME."""
    t0 = np.full(ev.n_codes, _NO_TIME, dtype=np.int64)
    if cohort_col is not None:
        start = _cohort_times(ev.frame[cohort_col], cohort_col)
        start = start.to_numpy("datetime64[ns]").view(np.int64)
        ok = start != np.iinfo(np.int64).min  # NaT
        np.minimum.at(t0, ev.cust[ok], start[ok])
    else:
        sel = ev.acquires if ev.acquires is not None else slice(None)
        np.minimum.at(t0, ev.cust[sel], ev.t[sel])
    return t0


def _cohort_times(values: pd.Series, col: str) -> pd.Series:
    """``cohort_col`` read with the event times' date policy (ISO text only, numbers refused,
    time zones to UTC); an empty cell means no acquisition time (the customer is dropped and
    counted), so only the filled cells are parsed."""
    from ..validation import parse_times as _to_datetime

    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    present = values.notna()
    if present.any():
        out[present] = _to_datetime(values[present], col, DataQualityReport())[0]
    return out


def _check_acquired(ev: Events, has: np.ndarray, cohort_col: str | None, *, stacklevel: int) -> None:
    """Refuse when nobody is acquired; count and warn about the customers who are not."""
    if not has.any():
        raise DataError("No customer is left in any cohort: no event matches acquired_if / "
                        f"active_if{' and ' + repr(cohort_col) + ' is empty' if cohort_col else ''}. "
                        "Check the filters (they get the events frame with your column names).")
    n_without = int(np.unique(ev.cust[~has[ev.cust]]).size) if not has[ev.cust].all() else 0
    if n_without:
        why = f"no {cohort_col!r} time" if cohort_col else "no acquiring event"
        ev.report.add("customers without acquisition", n_without, "dropped", f"{why}: in no cohort")
        warnings.warn(f"{n_without:,} customers have {why} and are in no cohort.",
                      DataQualityWarning, stacklevel=stacklevel)


def _active_offsets(ev: Events, spec: Spec, t0: np.ndarray, has: np.ndarray, cohort_of: np.ndarray, *,
                    stacklevel: int):
    """The acquired customers' active events: (customer codes, offsets, rows of the frame as a
    mask or positions). Events before acquisition are dropped, counted and warned about."""
    use = has[ev.cust] if ev.active is None else (ev.active & has[ev.cust])
    c_ev, t_ev = ev.cust[use], ev.t[use]
    if spec.periods == "calendar":
        offset = event_periods(t_ev, spec.freq) - cohort_of[c_ev]
    else:
        offset = np.floor_divide(t_ev - t0[c_ev], spec.window)
    before = offset < 0
    if before.any():
        ev.report.add("events before acquisition", int(before.sum()), "dropped",
                      "activity before the customer's cohort-defining event")
        warnings.warn(f"{int(before.sum()):,} events fall before their customer's acquisition "
                      "and are left out (see .data_quality).", DataQualityWarning, stacklevel=stacklevel)
        c_ev, offset = c_ev[~before], offset[~before]
        use = np.flatnonzero(use)[~before]
    return c_ev, offset, use


def apply_first_cohort(reduced: Reduced, report, spec: Spec, data_first_period: int, *,
                       stacklevel: int) -> Reduced:
    """Left-censoring: the data's first period mixes new and pre-existing customers (see
    :func:`first_cohort_policy`); refuse when no customer is left."""
    n_first = int(np.sum(reduced.member_cohort == data_first_period)) if spec.cohort_col is None else 0
    if first_cohort_policy(report, spec.first_cohort, spec.freq, data_first_period, n_first,
                           stacklevel=stacklevel + 1):
        keep_member = reduced.member_cohort != data_first_period
        keep_pair = reduced.pair_cohort != data_first_period
        reduced = replace(
            reduced, members=reduced.members[keep_member], member_cohort=reduced.member_cohort[keep_member],
            member_t0=reduced.member_t0[keep_member] if reduced.member_t0 is not None else None,
            pair_cust=reduced.pair_cust[keep_pair], pair_offset=reduced.pair_offset[keep_pair],
            pair_cohort=reduced.pair_cohort[keep_pair])
    if len(reduced.members) == 0:
        raise DataError("No customer is left in any cohort (check active_if, acquired_if, "
                        "cohort_col and first_cohort).")
    return reduced


def revenue_by_offset(ev: Events, reduced: Reduced, freq: Freq) -> pd.Series:
    """Revenue per (customer, offset) of the cohorts' customers, for net and gross revenue retention."""
    amount = ev.frame["amount"].to_numpy(float)
    if reduced.ev_cust is None:  # default path: every event, offsets from the cohorts
        cohort_of = np.zeros(ev.n_codes, np.int64)
        cohort_of[reduced.members] = reduced.member_cohort
        ev_cust, ev_offset, ev_amount = ev.cust, event_periods(ev.t, freq) - cohort_of[ev.cust], amount
    else:
        ev_cust, ev_offset, ev_amount = reduced.ev_cust, reduced.ev_offset, amount[reduced.ev_rows]
    member_set = np.zeros(ev.n_codes, bool)
    member_set[reduced.members] = True
    keep_ev = member_set[ev_cust]
    return pd.Series(ev_amount[keep_ev]).groupby([ev_cust[keep_ev], ev_offset[keep_ev]]).sum()


def count_offsets(ev: Events, reduced: Reduced, spec: Spec) -> int:
    """Periods from the earliest cohort to the as-of date: the table's columns."""
    last_period = int(event_periods(np.array([ev.until - 1]), spec.freq)[0])
    if spec.periods == "calendar":
        return last_period - int(reduced.member_cohort.min()) + 1
    return int((ev.until - 1 - int(reduced.member_t0.min())) // spec.window) + 1


def pairs_by_bracket(reduced: Reduced, brackets: list, n_offsets: int, n_codes: int) -> Reduced:
    """The pairs as (customer, bracket number): one per bracket the customer was active in."""
    lookup = np.full(max(n_offsets, brackets[-1][1] + 1), -1, np.int64)
    for b, (lo, hi) in enumerate(brackets):
        lookup[lo:hi + 1] = b
    offset = reduced.pair_offset
    in_b = lookup[np.minimum(offset, len(lookup) - 1)]
    in_b = np.where(offset < len(lookup), in_b, -1)
    sel = in_b >= 0
    bp = distinct_pairs(reduced.pair_cust[sel], in_b[sel])
    cohort_of = np.zeros(n_codes, np.int64)
    cohort_of[reduced.members] = reduced.member_cohort
    return replace(reduced, pair_cust=bp.customer, pair_offset=bp.period, pair_cohort=cohort_of[bp.customer])
