"""The options of the comparisons, read once: the interval method, the correction's name,
the declared primary analysis, the Beta prior and the control arm.

Internal to :mod:`retention_kit.compare`; these names are shared by its modules only.
"""

from __future__ import annotations

import difflib

import numpy as np

from ..errors import DataError, ParameterError

__all__ = ["CI_METHODS", "CORRECTIONS", "PRIMARY", "check_control", "is_number", "read_prior", "resolve_primary"]

CI_METHODS = ("newcombe", "wald")
CORRECTIONS = {"holm": "Holm", "bh": "Benjamini-Hochberg", "bonferroni": "Bonferroni", "none": "no"}
#: Primary analysis -> (p-value column, what it is in words).
PRIMARY = {"fixed_horizon": ("p_value", "retention {where}, pooled z-test"),
           "rmst": ("rmst_p_value", "restricted mean survival time to {unit} {rmst:g}"),
           "logrank": ("logrank_p_value", "whole retention curve, log-rank test")}
_PRIMARY_ALIASES = {"fixed_horizon": "fixed_horizon", "fixed-horizon": "fixed_horizon",
                    "fixed horizon": "fixed_horizon", "rate": "fixed_horizon", "rmst": "rmst",
                    "logrank": "logrank", "log-rank": "logrank"}


def is_number(value) -> bool:
    """A real number, not a boolean (True would silently be 1)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_control(control, arms) -> None:
    arms = list(arms)
    if control not in arms:
        close = difflib.get_close_matches(str(control), [str(a) for a in arms], n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ParameterError(f"control={control!r} is not one of the arms {arms}.{hint} "
                             "Pass control='<name of the control arm>'.")
    if len(arms) < 2:
        raise DataError(f"Only one arm ({arms[0]!r}) in the data: there is nothing to compare.")


def read_prior(prior) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in prior)
    except (TypeError, ValueError):
        raise ParameterError(f"prior={prior!r} must be a pair (a, b) of Beta parameters, e.g. (1, 1).") from None
    if not (a > 0 and b > 0 and np.isfinite(a) and np.isfinite(b)):
        raise ParameterError(f"prior={prior!r}: both Beta parameters must be positive, e.g. (1, 1).")
    return a, b


def resolve_primary(primary, has_curves: bool) -> str:
    key = str(primary).strip().lower()
    if key not in _PRIMARY_ALIASES:
        close = difflib.get_close_matches(key, list(PRIMARY), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ParameterError(f"primary={primary!r} is not an option.{hint} Use one of {list(PRIMARY)}.")
    key = _PRIMARY_ALIASES[key]
    if key != "fixed_horizon" and not has_curves:
        raise ParameterError(f"primary={primary!r} needs the survival curves, which counts do not have: "
                             "use primary='fixed_horizon' with compare_retention_counts, or "
                             "compare_retention(assignments, events) for the curves.")
    return key
