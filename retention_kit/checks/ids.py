"""Customer ids, shared by the event, subscription and assignment checks: a row without a
customer (``null_ids``), text and numbers in one id column (``mixed_ids``, :data:`MIXED_IDS`),
a customer repeated (the count of ``duplicate_ids``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .core import Check, Finding

__all__ = ["null_ids_message", "mixed_ids_message", "mixed_id_mask", "mixes_types", "mixed_ids_extra", "MIXED_IDS",
           "duplicates_mask"]

_NOUN = {"events": "Events", "subscriptions": "Subscriptions", "assignments": "Assignments"}


def null_ids_message(f: Finding) -> str:
    """A row without a customer: it cannot be attributed."""
    noun = _NOUN.get(f.what, "Rows")
    if f.engine:
        quoted = f.extra.get("quoted", f.column)
        fix = f"filter them out in the engine (WHERE {quoted} IS NOT NULL) or fill the ids"
    else:
        fix = f"drop them first (df = df.dropna(subset=[{f.column!r}])) or fill the ids"
    return (f"Column {f.column!r} is empty in {f.rows:,} of {f.of:,} rows{f.at}. {noun} without a customer "
            f"cannot be attributed: {fix}.")


def mixed_ids_message(f: Finding) -> str:
    """Text and numbers in one id column: '1' and 1 would be two customers here, one in a file."""
    text, other = f.extra.get("text_example"), f.extra.get("other_example")
    return (f"Column {f.column!r} mixes text and numbers (e.g. {text!r} and {other!r}; {f.rows:,} of {f.of:,} ids "
            f"are not text), so the same customer could be counted twice ('1' and 1). Make them one type first, "
            f"e.g. df[{f.column!r}] = df[{f.column!r}].astype(str).")


def mixed_id_mask(ids: pd.Series) -> np.ndarray:
    """The ids that are not text in an object column that mixes text and numbers."""
    ids = pd.Series(ids)
    if not mixes_types(ids):
        return np.zeros(len(ids), dtype=bool)
    text = ids.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    return ~text & ids.notna().to_numpy()


def mixes_types(ids: pd.Series) -> bool:
    return ids.dtype == object and pd.api.types.infer_dtype(ids, skipna=True) in (
        "mixed", "mixed-integer", "mixed-integer-float")


def mixed_ids_extra(ids: pd.Series) -> dict:
    """An id of each type, for the message of ``mixed_ids`` (nothing when the ids are of one type)."""
    ids = pd.Series(ids)
    if not mixes_types(ids):
        return {}
    text = ids.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    other = ids[~text & ids.notna().to_numpy()]
    return {"text_example": ids[text].iloc[0] if text.any() else None,
            "other_example": other.iloc[0] if len(other) else None}


MIXED_IDS = Check("mixed_ids", ("cust",), lambda c: mixed_id_mask(c["cust"]), None, mixed_ids_message)


def duplicates_mask(role):
    """The count of the rows whose ``role`` value is on another row too (a ``Check.count``)."""
    return lambda c: pd.Series(c[role]).duplicated(keep=False).to_numpy()
