"""Experiment assignments: one row per customer with an arm and an assignment time.
:data:`ASSIGNMENT_CHECKS` and their validator, :func:`validate_assignments`."""

from __future__ import annotations

import pandas as pd

from ..errors import DataError
from .core import Check, Finding, isna_mask, run_checks
from .ids import MIXED_IDS, duplicates_mask, mixed_ids_extra

__all__ = ["NO_TIMES_HINT", "ASSIGNMENT_CHECKS", "validate_assignments"]

#: Said whenever an experiment table has no usable time column (the comparisons that need none).
NO_TIMES_HINT = (" Without dates (one row per customer with an arm and a retained flag), compare with "
                 "rk.compare_retained(table, arm_col='arm', retained_col='retained', control='control'), "
                 "or from counts per arm with rk.compare_retention_counts({'control': (n, retained), ...}, "
                 "control='control').")


def _assignment_missing(what):
    def message(f: Finding) -> str:
        return (f"Column {f.column!r} of assignments has {f.rows:,} missing values{f.at}: every assigned customer "
                f"needs a {what}. Drop or fix those rows, e.g. df = df.dropna(subset=[{f.column!r}]).")
    return message


def _assignment_duplicates(f: Finding) -> str:
    c, t = f.column, f.extra.get("time_col", "date")
    return (f"Column {c!r} of assignments repeats {f.extra['customers']:,} customers (for example "
            f"{f.examples[0]!r}, assigned to {f.extra['arms']}). Each customer is assigned once; keep the first "
            f"assignment (df = df.sort_values({t!r}).drop_duplicates({c!r}, keep='first')) and investigate "
            "customers assigned to two arms: they break the randomisation.")


ASSIGNMENT_CHECKS = (
    Check("null_ids", ("cust",), isna_mask("cust"), "cust IS NULL", _assignment_missing("customer id")),
    Check("null_arms", ("arm",), isna_mask("arm"), "arm IS NULL", _assignment_missing("arm")),
    MIXED_IDS,
    Check("duplicate_ids", ("cust",), duplicates_mask("cust"), None, _assignment_duplicates),
)


def validate_assignments(frame: pd.DataFrame, *, customer_col: str, arm_col: str, time_col: str) -> pd.DataFrame:
    """The checks of an experiment's assignments (:data:`ASSIGNMENT_CHECKS`): the columns are
    there (a table without the time column is pointed to the comparisons that need none), not
    empty, every row has a customer and an arm, ids of one type, each customer once. Returns
    the three columns, the ids as plain values (times are read later, by the date parser).

    Examples
    --------
    >>> a = pd.DataFrame({"customer_id": ["a", "b", "a"], "arm": ["control", "test", "test"],
    ...                   "date": ["2024-01-01"] * 3})
    >>> validate_assignments(a, customer_col="customer_id", arm_col="arm", time_col="date")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    retention_kit.errors.DataError: Column 'customer_id' of assignments repeats 1 customers (for example 'a', assigned to ['control', 'test']). ...
    """
    from ..validation import missing_column_message, require_columns

    require_columns(frame, {"customer_col": customer_col, "arm_col": arm_col}, what="assignments")
    if time_col not in frame.columns:
        raise DataError(missing_column_message("time_col", time_col, [str(c) for c in frame.columns], "assignments")
                        + NO_TIMES_HINT)
    if len(frame) == 0:
        raise DataError("assignments is empty (0 rows): there is no experiment to analyse.")
    out = frame[[customer_col, arm_col, time_col]]
    ids = out[customer_col]
    if isinstance(ids.dtype, pd.CategoricalDtype):
        ids = ids.astype(ids.cat.categories.dtype)
    dup = ids.duplicated(keep=False).to_numpy()
    extra = {**mixed_ids_extra(ids), "time_col": time_col}
    if dup.any():
        example = ids[dup].iloc[0]
        extra.update(customers=int(ids[dup].nunique()), arms=out.loc[(ids == example).to_numpy(), arm_col].tolist())
    run_checks(ASSIGNMENT_CHECKS, {"cust": ids, "arm": out[arm_col]}, names={"cust": customer_col, "arm": arm_col},
               args={"cust": "customer_col", "arm": "arm_col"}, what="assignments", index=out.index, extra=extra)
    return out.assign(**{customer_col: ids})
