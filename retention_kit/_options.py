"""Argument checks shared across modules, each defined once: a string option read with "did
you mean", and a probability such as ``alpha``.

Analysis modules import these instead of reaching into each other's private helpers.
"""

from __future__ import annotations

import difflib

import numpy as np

from .errors import ParameterError

__all__ = ["caller_stacklevel", "choose", "check_alpha", "check_horizon", "legacy_arguments", "removed_in", "renamed",
           "renamed_attributes"]


def choose(value, options, name: str, *, aliases: dict | None = None, separator: str | None = None):
    """The canonical value of an option, or a :class:`ParameterError` naming the closest one.

    The kit's one reader of string options ("did you mean" included); every module uses it.

    Parameters
    ----------
    value
        What the caller passed.
    options : sequence or dict
        The accepted values, or a dict from accepted spellings to the canonical value.
    name : str
        The argument's name, for the message.
    aliases : dict, optional
        More accepted spellings (abbreviations, other packages' names) mapped to a canonical
        value; accepted and suggested, but not listed in the message's "Use one of".
    separator : str, optional
        When given, ``"_"``, ``"-"`` and spaces in the text all read as this one character,
        so ``"OBrien_Fleming"`` and ``"obrien fleming"`` both find ``"obrien-fleming"``.

    Text is compared stripped and in lower case. The message names the closest accepted
    spelling and lists the options (the dict's spellings, not the aliases).

    Examples
    --------
    >>> choose(" Holm", ("holm", "bonferroni"), "correction")
    'holm'
    >>> choose("relativ", {"calendar": "calendar", "relative": "relative"}, "periods")
    Traceback (most recent call last):
    ...
    retention_kit.errors.ParameterError: periods='relativ' is not an option. Did you mean 'relative'? Use one of ['calendar', 'relative'].
    >>> choose("Pocock", ("obrien-fleming", "pocock"), "spending", aliases={"asp": "pocock"})
    'pocock'
    >>> choose("OBrien_Fleming", ("obrien-fleming", "pocock"), "spending", separator="-")
    'obrien-fleming'
    >>> choose("ASP", ("obrien-fleming", "pocock"), "spending", aliases={"asp": "pocock"})
    'pocock'
    """
    key = value.strip().lower() if isinstance(value, str) else value
    if separator is not None and isinstance(key, str):
        key = separator.join(key.replace("_", " ").replace("-", " ").split())
    aliases = aliases or {}
    for table in (options, aliases):
        try:
            found = key in table
        except TypeError:  # an unhashable value (a list) is no option
            found = False
        if found:
            return table[key] if isinstance(table, dict) else key
    names = list(options)
    text = key if isinstance(key, str) else str(value).strip().lower()
    close = difflib.get_close_matches(text, [str(n) for n in [*names, *aliases]], n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ParameterError(f"{name}={value!r} is not an option.{hint} Use one of {names}.")


def check_alpha(alpha, name: str = "alpha", example: str | None = None) -> float:
    """A probability strictly between 0 and 1 (``alpha``, ``power``), as a float.

    Examples
    --------
    >>> check_alpha(0.05)
    0.05
    >>> check_alpha(1.5)
    Traceback (most recent call last):
    ...
    retention_kit.errors.ParameterError: alpha=1.5 must be a probability strictly between 0 and 1, e.g. 0.05 (95 % intervals).
    """
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (int, float, np.integer, np.floating)) \
            or not 0 < float(alpha) < 1:
        example = example or ("0.8" if name == "power" else "0.05 (95 % intervals)")
        raise ParameterError(f"{name}={alpha!r} must be a probability strictly between 0 and 1, e.g. {example}.")
    return float(alpha)


# --------------------------------------------------------------------------------------
# Deprecated argument names and positions (issue 14: one argument vocabulary)
# --------------------------------------------------------------------------------------

def removed_in() -> str:
    """The release in which a deprecated spelling stops working: the next minor version."""
    from ._version import __version__

    major, minor = (int(p) for p in __version__.split(".")[:2])
    return f"{major}.{minor + 1}.0"




def _stacklevel() -> int:
    """The stack level of the first frame outside this module (the caller of the public
    function), however many of this module's wrappers are stacked."""
    import sys

    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame, level = frame.f_back, level + 1
    return level


def caller_stacklevel() -> int:
    """``stacklevel`` for ``warnings.warn`` that points at the first frame outside the
    package (the user's line), whatever helpers and argument wrappers lie in between:
    ``warnings.warn(message, SomeWarning, stacklevel=caller_stacklevel())``."""
    import sys

    frame, level = sys._getframe(1), 1
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("retention_kit."):
        frame, level = frame.f_back, level + 1
    return level



def legacy_arguments(*, renamed: dict | None = None, positional: tuple = ()):
    """Decorator: keep old argument spellings working for one release, with a ``FutureWarning``.

    ``renamed`` maps old keyword names to new ones: ``f(t=5)`` runs as ``f(horizon=5)`` and
    warns that ``t`` goes away in the next minor release; giving both is a ``TypeError``.
    ``positional`` names, in order, the keyword-only parameters that callers used to pass by
    position: positional arguments past the function's own positional parameters are given
    to them, with a warning. ``inspect.signature`` shows the new signature.

    Examples
    --------
    >>> import warnings
    >>> @legacy_arguments(renamed={"t": "horizon"}, positional=("horizon",))
    ... def area(x, *, horizon=1.0):
    ...     return x * horizon
    >>> import inspect; str(inspect.signature(area))
    '(x, *, horizon=1.0)'
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     area(2, t=3), area(2, 3)
    (6, 6)
    >>> print(w[0].message)
    area(t=...) is deprecated and stops working in 0.3.0: use horizon=... instead.
    >>> area(2, t=3, horizon=3)
    Traceback (most recent call last):
    ...
    TypeError: area() got both t= (the old name) and horizon=: give only horizon=.
    """
    import functools
    import inspect
    import warnings

    renamed = dict(renamed or {})

    def decorate(func):
        sig = inspect.signature(func)
        params = list(sig.parameters.values())
        n_positional = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
        for new in [*renamed.values(), *positional]:
            if new not in sig.parameters:
                raise AssertionError(f"{func.__qualname__} has no parameter {new!r}")
        name = func.__qualname__

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for old, new in renamed.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{name}() got both {old}= (the old name) and {new}=: give only {new}=.")
                    warnings.warn(f"{name}({old}=...) is deprecated and stops working in {removed_in()}: "
                                  f"use {new}=... instead.", FutureWarning, stacklevel=_stacklevel())
                    kwargs[new] = kwargs.pop(old)
            if len(args) > n_positional and positional:
                extra = args[n_positional:]
                if len(extra) > len(positional):
                    raise TypeError(f"{name}() takes at most {n_positional + len(positional)} positional "
                                    f"arguments ({len(args)} given).")
                names = positional[:len(extra)]
                for key in names:
                    if key in kwargs:
                        raise TypeError(f"{name}() got multiple values for argument {key!r}.")
                given = ", ".join(f"{k}=..." for k in names)
                warnings.warn(f"{name}(): passing {', '.join(names)} by position is deprecated and stops "
                              f"working in {removed_in()}: write {given}.", FutureWarning,
                              stacklevel=_stacklevel())
                kwargs.update(zip(names, extra))
                args = args[:n_positional]
            return func(*args, **kwargs)

        wrapper.__signature__ = sig
        wrapper._renamed = dict(renamed)  # read by tests/test_vocabulary.py
        wrapper._legacy_positional = tuple(positional)
        return wrapper

    return decorate


def renamed(**old_to_new):
    """``@renamed(t="horizon")``: :func:`legacy_arguments` for renamed keywords only."""
    return legacy_arguments(renamed=old_to_new)



def renamed_attributes(**old_to_new):
    """Class decorator: a result's renamed attributes keep their old names for one release.

    ``@renamed_attributes(t="horizon")`` adds a property ``t`` that reads (and sets)
    ``horizon`` with a ``FutureWarning`` naming the new attribute and the release the old
    one goes away in, as :func:`legacy_arguments` does for arguments. Pickles made before the
    rename (their state holds ``t``) load into ``horizon``.

    Examples
    --------
    >>> import warnings
    >>> from dataclasses import dataclass
    >>> @renamed_attributes(t="horizon")
    ... @dataclass
    ... class Area:
    ...     horizon: float
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     Area(5.0).t
    5.0
    >>> print(w[0].message)
    Area.t is deprecated and stops working in 0.3.0: use Area.horizon instead.
    """
    import warnings

    def attribute(cls_name: str, old: str, new: str) -> property:
        message = (f"{cls_name}.{old} is deprecated and stops working in {{}}: use {cls_name}.{new} "
                   "instead.")

        def get(self):
            warnings.warn(message.format(removed_in()), FutureWarning, stacklevel=caller_stacklevel())
            return getattr(self, new)

        def set_(self, value):
            warnings.warn(message.format(removed_in()), FutureWarning, stacklevel=caller_stacklevel())
            setattr(self, new, value)

        return property(get, set_, doc=f"Deprecated: :attr:`{new}` (until {removed_in()}).")

    def decorate(cls):
        for old, new in old_to_new.items():
            if old in getattr(cls, "__dataclass_fields__", {}):
                raise AssertionError(f"{cls.__qualname__} still has a field {old!r}")
            setattr(cls, old, attribute(cls.__name__, old, new))
        previous = cls.__dict__.get("__setstate__")

        def __setstate__(self, state):
            if isinstance(state, dict):
                state = {old_to_new.get(k, k): v for k, v in state.items()}
            if previous is not None:
                previous(self, state)
            else:
                self.__dict__.update(state)

        cls.__setstate__ = __setstate__
        cls._renamed_attributes = {**getattr(cls, "_renamed_attributes", {}), **old_to_new}
        return cls

    return decorate


_UNIT_DAYS = {"days": 1.0, "day": 1.0, "weeks": 7.0, "week": 7.0}


def check_horizon(horizon, time_unit: str = "days", name: str = "horizon") -> float:
    """A horizon as a positive number of ``time_unit``: a number, or a duration (``"90D"``,
    ``pd.Timedelta(days=90)``) when the unit is days or weeks.

    Examples
    --------
    >>> check_horizon(90), check_horizon("12W"), check_horizon("14D", "weeks")
    (90.0, 84.0, 2.0)
    >>> check_horizon("3M", "months")
    Traceback (most recent call last):
    ...
    retention_kit.errors.ParameterError: horizon='3M' must be a number of months (durations are in months); a duration such as '90D' works only for durations in days or weeks.
    """
    import pandas as pd

    if isinstance(horizon, (bool, np.bool_)):
        raise ParameterError(f"{name}={horizon!r} must be a number of {time_unit} (the horizon), not True/False.")
    if isinstance(horizon, (str, pd.Timedelta, np.timedelta64)) or hasattr(horizon, "total_seconds"):
        per = _UNIT_DAYS.get(str(time_unit).strip().lower())
        if per is None:
            raise ParameterError(f"{name}={horizon!r} must be a number of {time_unit} (durations are in "
                                 f"{time_unit}); a duration such as '90D' works only for durations in days or weeks.")
        try:
            value = pd.Timedelta(horizon) / pd.Timedelta(days=per)
        except (TypeError, ValueError):
            raise ParameterError(f"{name}={horizon!r} is neither a number of {time_unit} nor a duration "
                                 "such as '90D' or pd.Timedelta(days=90).") from None
    else:
        try:
            value = float(horizon)
        except (TypeError, ValueError):
            raise ParameterError(f"{name}={horizon!r} must be a number of {time_unit} (the horizon) or a "
                                 "duration such as '90D'.") from None
    if not (np.isfinite(value) and value > 0):
        raise ParameterError(f"{name}={horizon!r} must be a positive horizon.")
    return float(value)
