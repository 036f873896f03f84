"""Lifetimes: durations, churn flags (the one flag rule: :func:`parse_flags`,
:func:`read_flags`), weights and groups, of frames and arrays. :data:`LIFETIME_CHECKS`
(Kaplan-Meier, log-rank, RMST, Cox, ``aggregate_lifetimes``) through :func:`check_lifetimes`,
:func:`check_weights` and :func:`check_groups`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError
from .core import DOUBLE_MAX, Check, Finding, example_text, find, isna_mask, plain_values, refuse

__all__ = ["LIFETIME_CHECKS", "FLAG_TRUE", "FLAG_FALSE", "read_flags", "flags_message", "parse_flags",
           "check_lifetimes", "check_weights", "check_groups"]

#: Text flags read the same everywhere (case and surrounding spaces ignored); role words are added per use.
FLAG_TRUE = ("yes", "y", "true", "t", "1")
FLAG_FALSE = ("no", "n", "false", "f", "0")


def _flag_words(true_word="churned", false_word="active"):
    return set(FLAG_TRUE) | {true_word}, set(FLAG_FALSE) | {false_word}


def read_flags(values, true_word: str = "churned", false_word: str = "active") -> pd.Series:
    """Each value as True, False or None (not a flag) by the one flag rule."""
    s = pd.Series(values).reset_index(drop=True)
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    true_words, false_words = _flag_words(true_word, false_word)

    def read(v):
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, float, np.integer, np.floating)) and not (isinstance(v, float) and np.isnan(v)):
            return {1: True, 0: False}.get(v) if v in (0, 1) else None
        if isinstance(v, str):
            w = v.strip().lower()
            return True if w in true_words else False if w in false_words else None
        return None

    return s.map(read)


def _flag_mask(role, true_word="churned", false_word="active"):
    def count(c):
        s = pd.Series(c[role])
        if pd.api.types.is_bool_dtype(s) and not s.isna().any():
            return np.zeros(len(s), dtype=bool)
        return read_flags(s, true_word, false_word).isna().to_numpy()
    return count


def _flag_sql(role, true_word="churned", false_word="active"):
    t, f = _flag_words(true_word, false_word)
    words = sorted(t | f | {"1.0", "0.0"})
    return f"{role} IS NULL OR lower(trim(CAST({role} AS VARCHAR))) NOT IN ({', '.join(repr(w) for w in words)})"


def flags_message(f: Finding) -> str:
    """A flag that is not one by the one rule: the column, the values, how many, the fix."""
    what = f.extra.get("flag", "churn flag")
    tw, fw = f.extra.get("true_word", "churned"), f.extra.get("false_word", "active")
    values = f.extra.get("values", [])
    n_missing = f.extra.get("missing", 0)
    parts = []
    if values:
        parts.append(f"for example {example_text(values, 5)}{' ...' if len(values) > 5 else ''}")
    if n_missing:
        parts.append(f"{n_missing:,} missing values")
    c = f.column
    if f.array:
        fix = (f"{c} = pd.Series({c}).replace({{{values[0]!r}: False}})" if values else
               f"keep = pd.notna({c}), then pass each array's [keep]")
        head, unit = f"{f.label}", "values"
    else:
        fix = (f"df[{c!r}] = df[{c!r}].replace({{{values[0]!r}: False}})" if values
               else f"df = df.dropna(subset=[{c!r}])")
        head, unit = f"Column {c!r}", "rows"
    return (f"{head} must be True/False (or 1/0) as the {what}, or text Yes/No, True/False, {tw}/{fw} in any "
            f"case: {f.rows:,} of {f.of:,} {unit} are not ({' and '.join(parts)}). Map those values explicitly "
            f"first, e.g. {fix}, or drop those rows.")


def parse_flags(values, col: str, *, what: str = "churn flag", true_word: str = "churned",
                false_word: str = "active", label: str | None = None) -> np.ndarray:
    """A flag column (or array, named by ``label``) as a bool array: True/False, 1/0 (also
    1.0/0.0), or text Yes/No, True/False, 1/0 or the role words (``churned``/``active`` for a
    churn flag, ``retained``/``churned`` for a retained flag), case-insensitive. Anything else,
    missing values included, is refused naming the column, the values, how many rows and the
    fix (the check ``bad_flags`` of :data:`LIFETIME_CHECKS`); nothing is guessed.

    Examples
    --------
    >>> parse_flags(pd.Series(["Yes", " no", "CHURNED", 0]), "Churn").tolist()
    [True, False, True, False]
    """
    s = pd.Series(values).reset_index(drop=True)
    if pd.api.types.is_bool_dtype(s) and not s.isna().any():
        return s.to_numpy(dtype=bool)
    parsed = read_flags(s, true_word, false_word)
    bad = parsed.isna().to_numpy()
    if bad.any():
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        wrong = s[bad]
        extra = {"flag": what, "true_word": true_word, "false_word": false_word,
                 "values": list(dict.fromkeys(plain_values(wrong.dropna().to_numpy(dtype=object)))),
                 "missing": int(wrong.isna().sum())}
        finding = find(_BAD_FLAGS, {"event": s}, column=col, what="lifetimes", label=label, extra=extra, mask=bad)
        refuse(_BAD_FLAGS, finding)
    return parsed.to_numpy(dtype=bool)


def _durations_label(f: Finding) -> str:
    return f.label or f"column {f.column!r}"


def _nonnumeric_durations(f: Finding) -> str:
    c = f.column
    fix = (f"{c} = pd.to_numeric(pd.Series({c}), errors='coerce')" if f.array else
           f"df[{c!r}] = pd.to_numeric(df[{c!r}], errors='coerce')")
    return (f"{_durations_label(f)} must be numbers (times since the start); {f.examples[0]!r} is not "
            f"({f.rows:,} of {f.of:,} values are not). Convert them first, e.g. {fix}, and fix or drop the rows "
            "that are then missing.")


def _bad_durations(f: Finding) -> str:
    c = f.column
    fix = (f"keep = np.isfinite({c}) & (np.asarray({c}) >= 0), then pass each array's [keep]" if f.array else
           f"df = df[np.isfinite(df[{c!r}]) & (df[{c!r}] >= 0)]")
    return (f"{_durations_label(f)} has {f.rows:,} missing or negative values, for example "
            f"{example_text(f.examples)}, out of {f.of:,}. Durations are times since the start: fix or drop those rows, e.g. {fix}.")


def _bool_weights(f: Finding) -> str:
    return (f"{f.label} must hold whole, non-negative counts of customers per row; it holds True/False values, "
            "and a flag is not a count.")


def _bad_weights(f: Finding) -> str:
    c = f.column
    fix = (f"keep = np.isfinite({c}) & (np.asarray({c}) >= 0) & (np.asarray({c}) % 1 == 0), then pass each "
           "array's [keep]" if f.array else
           f"df = df[np.isfinite(df[{c!r}]) & (df[{c!r}] >= 0) & (df[{c!r}] % 1 == 0)]")
    return (f"{f.label} must hold whole, non-negative counts (how many identical customers a row stands for); "
            f"{f.rows:,} of {f.of:,} rows do not, for example {example_text(f.examples)}. Sampling or "
            "inverse-probability weights are not supported: the variance formulas here count customers. Fix or "
            f"drop those rows, e.g. {fix}.")


def _null_groups(f: Finding) -> str:
    by = f.extra.get("by", [f.column])
    return (f"Column(s) {by} (by) are missing in {f.rows:,} rows of {f.of:,}{f.at}: fill them (e.g. 'unknown') "
            f"or drop those rows, e.g. df = df.dropna(subset={by!r}).")


def _nonnumeric_mask(c):
    v = c["duration_raw"]
    s = pd.Series(np.asarray(v, dtype=object).ravel() if not isinstance(v, pd.Series) else v)
    return (pd.to_numeric(s, errors="coerce").isna() & s.notna()).to_numpy()


_DURATION_MAX = DOUBLE_MAX
_BAD_FLAGS = Check("bad_flags", ("event",), _flag_mask("event"), _flag_sql("event"), flags_message)

LIFETIME_CHECKS = (
    Check("nonnumeric_durations", ("duration_raw",), _nonnumeric_mask, None, _nonnumeric_durations),
    Check("bad_durations", ("duration",),
          lambda c: ~np.isfinite(np.asarray(c["duration"], dtype=float)) | (np.asarray(c["duration"], dtype=float) < 0),
          f"duration IS NULL OR NOT (duration BETWEEN 0 AND {_DURATION_MAX!r})", _bad_durations),
    _BAD_FLAGS,
    Check("bool_weights", ("weight_raw",),
          lambda c: np.array([isinstance(v, (bool, np.bool_)) for v in np.asarray(c["weight_raw"]).ravel()],
                             dtype=bool).reshape(-1),
          None, _bool_weights),
    Check("bad_weights", ("weight",),
          lambda c: (lambda w: ~np.isfinite(w) | (w < 0) | (w != np.round(w)))(np.asarray(c["weight"], dtype=float)),
          f"weight IS NULL OR NOT (weight BETWEEN 0 AND {DOUBLE_MAX!r}) OR weight <> ROUND(weight)", _bad_weights),
    Check("null_groups", ("group_key",), isna_mask("group_key"), "group_key IS NULL", _null_groups),
)

#: The lifetime checks by name (the package's ``CHECKS["lifetimes"]``).
_BY_NAME = {c.name: c for c in LIFETIME_CHECKS}


def _durations(durations, label: str, column: str) -> np.ndarray:
    try:
        return np.asarray(durations, dtype=float)
    except (TypeError, ValueError):
        raw = np.asarray(durations, dtype=object).ravel()
        check = _BY_NAME["nonnumeric_durations"]
        finding = find(check, {"duration_raw": raw}, column=column, what="lifetimes", label=label)
        if finding is None:  # not numbers, yet nothing pd.to_numeric refuses (e.g. nested sequences)
            example = next((v for v in raw if not isinstance(v, (int, float, np.number))), raw[:1])
            finding = Finding("nonnumeric_durations", column, 1, len(raw), (example,), what="lifetimes", label=label)
        refuse(check, finding)


def check_lifetimes(durations, events, *, duration_label: str = "durations", event_label: str = "event_observed",
                    duration_col: str | None = None, event_col: str | None = None,
                    index=None) -> tuple[np.ndarray, np.ndarray]:
    """Durations (finite numbers >= 0) and churn flags (the one flag rule: True/False, 1/0, text
    Yes/No ...) of lifetimes, through :data:`LIFETIME_CHECKS`, for columns of a frame
    (``duration_col``/``event_col`` given: messages name the columns and fixes use ``df``) or
    for arrays (messages name the arguments, ``duration_label`` and ``event_label``).

    Examples
    --------
    >>> d, e = check_lifetimes([3, 5], ["Yes", "no"])
    >>> d.tolist(), e.tolist()
    ([3.0, 5.0], [True, False])
    """
    frame = duration_col is not None
    d_name = duration_col if frame else duration_label
    d_label = f"column {duration_col!r}" if frame else duration_label
    e_label = f"column {event_col!r}" if frame else event_label
    d = _durations(durations, d_label, d_name)
    e_shape = np.shape(events)
    if d.ndim != 1 or e_shape != d.shape:
        raise DataError(f"{d_label} and {e_label} must be 1-d with the same length (got {d.shape} and {e_shape}).")
    if len(d) == 0:
        raise DataError(f"{d_label} is empty: there is nothing to estimate.")
    check = _BY_NAME["bad_durations"]
    finding = find(check, {"duration": d}, column=d_name, what="lifetimes", index=index, label=d_label)
    if finding is not None:
        refuse(check, finding)
    if frame:
        e = parse_flags(events, event_col, what="churn flag (event_col)")
    else:
        e = parse_flags(np.asarray(events), event_label, what="churn flag", label=event_label)
    return d, e


def check_weights(weights, n: int, label: str, column: str | None = None) -> np.ndarray:
    """Whole, non-negative counts of customers per row (``bool_weights`` and ``bad_weights`` of
    :data:`LIFETIME_CHECKS`); ones when None. ``label`` names the column or argument in messages."""
    if weights is None:
        return np.ones(n)
    raw = np.asarray(weights)
    name = column if column is not None else label
    checks = _BY_NAME
    if raw.dtype == bool or raw.dtype == object:
        mask = np.zeros(raw.size, dtype=bool) if raw.dtype != bool else np.ones(raw.size, dtype=bool)
        if raw.dtype == object:
            mask = checks["bool_weights"].count({"weight_raw": raw})
        if mask.any():
            refuse(checks["bool_weights"], find(checks["bool_weights"], {"weight_raw": raw.ravel()}, column=name,
                                                what="lifetimes", label=label, mask=mask))
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise DataError(f"{label} has {w.size:,} values for {n:,} rows: give one count per row.")
    finding = find(checks["bad_weights"], {"weight": w}, column=name, what="lifetimes", label=label)
    if finding is not None:
        refuse(checks["bad_weights"], finding)
    return w


def check_groups(keys: pd.DataFrame, by: list) -> None:
    """Every lifetime has its group (``null_groups`` of :data:`LIFETIME_CHECKS`)."""
    missing = keys.isna().any(axis=1).to_numpy()
    check = _BY_NAME["null_groups"]
    finding = find(check, {"group_key": keys[by[0]]}, column=str(by[0]), what="lifetimes", index=keys.index,
                   extra={"by": by}, mask=missing)
    if finding is not None:
        refuse(check, finding)
