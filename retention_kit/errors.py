"""Errors and warnings raised by retention_kit.

Errors are ``ValueError`` subclasses, so ``except ValueError`` keeps working; warnings are
``UserWarning`` subclasses of our own, so an analyst can silence one caveat without
silencing them all (``warnings.simplefilter("ignore", rk.ImmatureDataWarning)``).
"""

from __future__ import annotations

__all__ = [
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
