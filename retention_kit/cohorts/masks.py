"""The ``active_if`` / ``acquired_if`` masks of :func:`~retention_kit.cohort_table`: read from a
callable, a boolean column name or a boolean array, and carried through validation as private
columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError
from ..validation import EventLog, prepare_events

# Private column names for masks carried through validation.
ACTIVE, ACQUIRES = "_rk_active", "_rk_acquires"


def _mask_column(spec, events: pd.DataFrame, name: str) -> np.ndarray:
    """A boolean row mask from a callable, a boolean column name or a boolean array."""
    if callable(spec):
        spec = spec(events)
    elif isinstance(spec, str):
        if spec not in events.columns:
            raise DataError(f"{name}={spec!r}: no such column in events. Pass a boolean column "
                            "name, a boolean Series or a function of the events frame.")
        spec = events[spec]
    if isinstance(spec, pd.Series):
        if not spec.index.equals(events.index):
            spec = spec.reindex(events.index)
        values = spec.to_numpy()
    else:
        values = np.asarray(spec)
    if values.shape != (len(events),):
        raise ParameterError(f"{name} gave {values.shape[0] if values.ndim else 0:,} values for "
                             f"{len(events):,} event rows; it must give one True/False per row.")
    if values.dtype != bool:
        if pd.isna(values).any() or not np.isin(pd.unique(values), [True, False, 0, 1]).all():
            bad = int(pd.isna(values).sum())
            raise ParameterError(
                f"{name} must be True/False for every row; got dtype {values.dtype}"
                f"{f' with {bad:,} missing values' if bad else ''}. Write it as a comparison, "
                "e.g. lambda df: df['amount'] > 0.")
        values = values.astype(bool)
    return values


def with_masks(events, keep: list, *, customer_col, time_col, amount_col, active_if, acquired_if):
    """The events with the ``active_if`` / ``acquired_if`` masks as private columns, and their names.

    Masks are evaluated on the caller's frame (their column names), then carried through
    validation as private columns so rows dropped there stay aligned."""
    log_in = isinstance(events, EventLog)  # masks see its validated rows, under the caller's names
    shown = events.to_frame() if log_in else events
    source = events
    if not log_in:
        if not isinstance(events, pd.DataFrame):
            prepare_events(events, customer_col=customer_col, time_col=time_col)  # raises
        cols = list(dict.fromkeys(c for c in (customer_col, time_col, amount_col, *keep)
                                  if c is not None and c in events.columns))
        source = events[cols].copy()
    masks = {}
    if active_if is not None:
        masks[ACTIVE] = _mask_column(active_if, shown, "active_if")
    if acquired_if is not None:
        masks[ACQUIRES] = _mask_column(acquired_if, shown, "acquired_if")
    if log_in:
        return events._with_columns(masks), list(masks)
    for name, mask in masks.items():
        source[name] = mask
    return source, list(masks)
