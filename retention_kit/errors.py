"""Errors and warnings raised by retention_kit.

Errors are ``ValueError`` subclasses, so ``except ValueError`` keeps working; warnings are
``UserWarning`` subclasses of our own, so an analyst can silence one caveat without
silencing them all (``warnings.simplefilter("ignore", rk.ImmatureDataWarning)``).

In a notebook, :func:`caveats` shows the kit's warnings raised in a block as short styled
notes (what a warning box would say, without the kernel's temporary file path and source
line); anywhere else they stay ordinary warnings.
"""

from __future__ import annotations

import re
import warnings
from contextlib import contextmanager
from html import escape

__all__ = [
    "caveats",
    "Caveats",
    "DataError",
    "ParameterError",
    "RetentionWarning",
    "DataQualityWarning",
    "ImmatureDataWarning",
    "LeftCensoringWarning",
    "SampleRatioMismatchWarning",
    "SmallSampleWarning",
    "PeekingWarning",
    "ProportionalHazardsWarning",
]


class DataError(ValueError):
    """The input data cannot be analysed as it is: the message names the column, the
    number of bad rows, an example value and the fix."""


class ParameterError(ValueError):
    """An argument is out of range or misspelled: the message names it and the fix."""


class RetentionWarning(UserWarning):
    """Base class of every statistical caveat retention_kit warns about."""


class DataQualityWarning(RetentionWarning):
    """Rows were treated in a documented way (merged, excluded, converted)."""


class ImmatureDataWarning(RetentionWarning):
    """Customers or periods whose observation window has not fully elapsed were left out."""


class LeftCensoringWarning(RetentionWarning):
    """The first cohort mixes new customers with customers who were there before the data."""


class SampleRatioMismatchWarning(RetentionWarning):
    """The arms' sizes do not match the planned split: do not trust the comparison."""


class SmallSampleWarning(RetentionWarning):
    """Too few customers for the approximations; the methods may disagree."""


class PeekingWarning(RetentionWarning):
    """The comparison was made before the planned sample size was reached."""


class ProportionalHazardsWarning(RetentionWarning):
    """The proportional-hazards assumption behind a hazard ratio does not hold."""


def _title(category) -> str:
    """``LeftCensoringWarning`` -> ``Left censoring``; the base class reads ``Note``."""
    if not isinstance(category, type) or category in (RetentionWarning, UserWarning, Warning):
        return "Note"
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z]*|[a-z]+", category.__name__.removesuffix("Warning"))
    text = " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)
    return text[:1].upper() + text[1:]


def _message(item) -> tuple[type, str]:
    if isinstance(item, warnings.WarningMessage):
        return item.category, str(item.message)
    if isinstance(item, Warning):
        return type(item), str(item)
    return RetentionWarning, str(item)


def caveat_html(items) -> str:
    """The kit's warnings (``WarningMessage``, ``Warning`` or text) as short styled notes."""
    from .results import inline_html

    notes = []
    for item in items:
        category, text = _message(item)
        notes.append(
            "<div style='margin:0.3em 0;padding:0.35em 0.7em;border-left:4px solid #d9a21b;"
            "background:rgba(217,162,27,0.10);max-width:50em;line-height:1.45;font-size:95%'>"
            f"<b>{escape(_title(category))}.</b> {inline_html(text)}</div>")
    return "".join(notes)


class Caveats(list):
    """The kit's warnings caught by :func:`caveats`: ``warnings.WarningMessage`` items, shown
    as styled notes in a notebook and as one line each in plain text."""

    def messages(self) -> list[str]:
        """The warnings' texts."""
        return [str(w.message) for w in self]

    def __repr__(self) -> str:
        if not self:
            return "No caveats."
        return "\n".join(f"{_title(w.category)}: {w.message}" for w in self)

    def _repr_html_(self) -> str:
        return caveat_html(self) if self else ""


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


@contextmanager
def caveats(show: bool | None = None):
    """Catch the kit's warnings (:class:`RetentionWarning`) raised in the block and show them
    as short styled notes, for notebooks::

        with rk.caveats():
            monthly = rk.cohort_table(cdnow, freq="M")   # the left-censoring note shows here

    ``show=None`` (default): in a Jupyter kernel the notes are displayed when the block ends;
    anywhere else (a script, a test) the warnings are issued again as ordinary warnings, so
    nothing is hidden. ``show=False`` only collects them: ``with rk.caveats(show=False) as
    notes: ...``, then ``notes`` (a :class:`Caveats` list) displays them where you like.
    Other warnings pass through unchanged, and the warning filters apply as usual (an
    ignored category is not caught; an ``error`` filter still raises).

    Examples
    --------
    >>> import warnings
    >>> with caveats(show=False) as notes:
    ...     warnings.warn("The first cohort may include earlier customers.", LeftCensoringWarning)
    >>> notes
    Left censoring: The first cohort may include earlier customers.
    """
    found = Caveats()
    with warnings.catch_warnings(record=True) as caught:
        yield found
    for w in caught:
        if issubclass(w.category, RetentionWarning):
            if all(str(w.message) != str(seen.message) for seen in found):
                found.append(w)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if show is False or not found:
        return
    if show or _in_notebook():
        from IPython.display import display

        display(found)
    else:
        for w in found:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
