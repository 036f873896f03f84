"""The declared-check machinery (issue 13): :class:`Check` (one problem a table can have,
declared once for every engine), :class:`Finding` (what it found: everything its message may
say), :func:`find` and :func:`refuse` on pandas columns, :func:`run_checks` (a check set on a
table in one pass) and :func:`refusal_from_counts` (the same words from an engine's counts).
The check sets themselves live beside it, one module per kind of table."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from .._options import caller_stacklevel
from ..errors import DataError, DataQualityWarning
from ..results import DataQualityReport

__all__ = ["ACTIONS", "DOUBLE_MAX", "Check", "Finding", "find", "refuse", "run_checks", "refusal_from_counts",
           "example_text", "plain_values", "isna_mask"]

ACTIONS = ("refuse", "drop", "keep", "convert")
_LEDGER = {"drop": "dropped", "keep": "kept", "convert": "converted"}
# The largest finite double.
DOUBLE_MAX = 1.7976931348623157e308


def example_text(values, limit: int = 3) -> str:
    """Up to ``limit`` values as they appear in messages: 'a', 'b', 'c'."""
    shown = [repr(v) for v in list(values)[:limit]]
    return ", ".join(shown)


def plain_values(values) -> list:
    """Values as plain Python scalars (numpy scalars print as np.float64(...))."""
    return np.asarray(values).tolist() if not isinstance(values, (list, tuple)) else list(values)


# --------------------------------------------------------------------------------------
# The declared check and what it found
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    """What one check found in one table: everything its message may say.

    ``column`` is the caller's column (or argument) name; ``label`` how the message names
    it when that is not ``Column 'x'`` (an array argument such as ``durations``, or
    ``column 'w' (weights_col)``); ``arg`` the argument that names the column; ``rows`` of
    ``of`` rows have the problem; ``examples`` are some of their values and ``first`` the
    index of the first; ``engine`` is True when an engine (not pandas) counted them (the fix
    is then said in the engine's terms); ``extra`` holds what a particular check adds (the
    other column, the as-of date, the quoted column name)."""

    check: str
    column: str
    rows: int
    of: int
    examples: tuple = ()
    first: object = None
    what: str = "events"
    arg: str | None = None
    label: str | None = None
    engine: bool = False
    extra: Mapping = field(default_factory=dict)

    @property
    def name(self) -> str:
        """How the message names the column: ``Column 'x'`` or the given label."""
        return self.label or f"Column {self.column!r}"

    @property
    def array(self) -> bool:
        """The values came as an array argument, not as a column of a frame."""
        return self.label is not None and not self.label.lower().startswith("column")

    @property
    def at(self) -> str:
        """' (first at index 3)' when the first row is known."""
        return "" if self.first is None else f" (first at index {self.first!r})"


@dataclass(frozen=True)
class Check:
    """One row check, declared once for every engine.

    Attributes
    ----------
    name : str
        The name of its count (the column of the engines' validation query).
    reads : tuple of str
        The roles it reads (``cust``, ``t_raw``, ``t``, ``amount``, ``start_t`` ...): the
        names of the columns pandas hands to ``count`` and of the columns the SQL is written on.
    count : callable or None
        pandas: ``count(columns) -> boolean mask`` of the rows with the problem, vectorised
        (``columns`` maps role to Series; parameters such as ``as_of`` come in the same mapping).
    sql : str or None
        The SQL condition of those rows, where an engine counts them (``{us}``: the time in
        microseconds; ``{as_of}``: the as-of timestamp literal). None: pandas only (a column of
        mixed Python types cannot exist in SQL; a duplicate needs a window).
    action : {"refuse", "drop", "keep", "convert"}
        What is done with the rows: refused with :attr:`message`, or dropped, kept or converted
        and counted in the data-quality report with :attr:`detail`.
    message : callable
        ``message(finding) -> str``: the column, examples, how many rows of how many, and a
        fix that runs. The only words of the check.
    detail : str
        The report's wording for rows dropped, kept or converted (``{as_of}`` is formatted in).
    option : str, optional
        The check applies only when the validator is asked for it (e.g. ``one_per_customer``).
    warn : bool
        Rows dropped are also said in a :class:`DataQualityWarning` (with :attr:`message`).
    """

    name: str
    reads: tuple
    count: Callable | None
    sql: str | None
    message: Callable
    action: str = "refuse"
    detail: str = ""
    option: str | None = None
    warn: bool = False

    def __post_init__(self):
        if self.action not in ACTIONS:
            raise ValueError(f"action={self.action!r}: one of {ACTIONS}")

    # What engines/_sql.py reads (the RowCheck of before): the amount checks run only with an amount.
    @property
    def amount(self) -> bool:
        return "amount" in self.reads

    @property
    def refuse(self) -> bool:
        return self.action == "refuse"

    def say(self, finding: Finding) -> str:
        return self.message(finding)


def find(check: Check, columns: Mapping, *, column: str, what: str, index=None, arg: str | None = None,
         label: str | None = None, extra: Mapping | None = None, mask=None) -> Finding | None:
    """The check's finding on pandas columns (None when no row has the problem)."""
    if mask is None:
        mask = np.asarray(check.count(columns), dtype=bool)
    n = int(mask.sum())
    if not n:
        return None
    values = columns[check.reads[0]]
    values = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    examples = tuple(plain_values(values[mask][:3]))
    first = None
    if index is not None:
        first = index[np.flatnonzero(mask)[0]]
        first = first.item() if isinstance(first, np.generic) else first
    return Finding(check=check.name, column=column, rows=n, of=len(mask), examples=examples, first=first, what=what,
                   arg=arg, label=label, extra=dict(extra or {}))


def refuse(check: Check, finding: Finding):
    """Raise the check's refusal."""
    raise DataError(check.say(finding))


def run_checks(checks, columns: Mapping, *, names: Mapping[str, str], what: str,
               report: DataQualityReport | None = None, index=None, args: Mapping[str, str] | None = None,
               labels: Mapping[str, str] | None = None, options: Mapping | None = None,
               actions: Mapping[str, str] | None = None, extra: Mapping | None = None) -> np.ndarray:
    """Apply declared checks to pandas columns in one pass, in their order.

    ``columns`` maps roles to Series (and parameters such as ``as_of``); a check reading a
    role that is absent is skipped, so is a check whose ``option`` is not set in ``options``.
    ``names`` maps roles to the caller's column names (the first role a check reads is the
    column its message names), ``args`` to the arguments naming them, ``labels`` to the label
    of an array argument. ``actions`` overrides a check's action (``missing_customers='drop'``).
    The first refusal raises its message; rows dropped, kept or converted are recorded in
    ``report`` (dropped rows as found in the table: the caller leaves them out and sets the
    headline). Returns the mask of the rows dropped.

    Examples
    --------
    >>> from retention_kit.checks import EVENT_CHECKS
    >>> report = DataQualityReport(rows_in=3)
    >>> amounts = pd.Series([5.0, 0.0, 7.0])
    >>> run_checks(EVENT_CHECKS, {"amount": amounts}, names={"amount": "paid"}, what="events",
    ...            report=report).tolist()
    [False, False, False]
    >>> report.checks[0]["check"], report.checks[0]["rows"], report.checks[0]["action"]
    ('paid', 1, 'kept')
    >>> run_checks(EVENT_CHECKS, {"amount": pd.Series([5.0, -2.0])}, names={"amount": "paid"},
    ...            what="events")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    retention_kit.errors.DataError: Column 'paid' has 1 negative values, for example -2.0 ...
    """
    options, actions, extra = options or {}, actions or {}, dict(extra or {})
    dropped = None
    for check in checks:
        if check.option and not options.get(check.option):
            continue
        if any(role not in columns for role in check.reads) or check.count is None:
            continue
        role = check.reads[0]
        finding = find(check, columns, column=names.get(role, role), what=what, index=index,
                       arg=(args or {}).get(role), label=(labels or {}).get(role), extra=extra)
        if finding is None:
            continue
        action = actions.get(check.name, check.action)
        if action == "refuse":
            refuse(check, finding)
        if report is not None:
            report.add(finding.column, finding.rows, _LEDGER[action], check.detail.format(**extra))
        if action == "drop":
            mask = np.asarray(check.count(columns), dtype=bool)
            dropped = mask if dropped is None else dropped | mask
            if check.warn:
                warnings.warn(check.say(finding), DataQualityWarning, stacklevel=caller_stacklevel())
    if dropped is None:
        first = next((v for v in columns.values() if isinstance(v, (pd.Series, np.ndarray))), ())
        dropped = np.zeros(len(first), dtype=bool)
    return dropped


def refusal_from_counts(checks, counts: Mapping[str, int], *, names: Mapping[str, str], of: int, what: str,
                        engine: bool = True, examples: Mapping[str, tuple] | None = None,
                        extra: Mapping | None = None) -> str | None:
    """The message of the first refusal among ``checks`` given the counts an engine's query
    returned (one column per check name, see ``engines/_sql.py``), or None: how an engine says
    the words of the declared checks. ``examples`` maps a check name to example values.

    Examples
    --------
    >>> from retention_kit.checks import ROW_CHECKS
    >>> refusal_from_counts(ROW_CHECKS, {"null_ids": 0, "negative_amounts": 2}, names={"amount": "paid"},
    ...                     of=10, what="events")  # doctest: +ELLIPSIS
    "Column 'paid' has 2 negative values (refunds or returns?). ... (filter them out in the engine (WHERE paid >= 0))."
    """
    for check in checks:
        n = int(counts.get(check.name) or 0)
        if not n or not check.refuse:
            continue
        role = check.reads[0]
        finding = Finding(check.name, names.get(role, role), n, of, tuple((examples or {}).get(check.name, ())),
                          what=what, engine=engine, extra=dict(extra or {}))
        return check.say(finding)
    return None


def isna_mask(role):
    """The count of the rows whose ``role`` is missing (a ``Check.count``)."""
    return lambda c: pd.isna(c[role]).to_numpy() if isinstance(c[role], pd.Series) else pd.isna(np.asarray(c[role]))
