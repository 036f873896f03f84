"""Shared helpers of the experiments package: argument checks that name the fix, number
formatting for sentences and the result mix-in (``summary``, ``explain``, repr, HTML)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .._options import check_alpha
from ..errors import DataError, ParameterError
from ..results import Result, render_html


def check_probability(value, name: str, example: str = "0.05") -> float:
    """A probability strictly between 0 and 1 (alpha, power, a rate): the kit's one check."""
    return check_alpha(value, name, example)


def check_positive(value, name: str, example: str) -> float:
    """A finite positive number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not (math.isfinite(float(value)) and float(value) > 0):
        raise ParameterError(f"{name}={value!r} must be a positive number, e.g. {example}.")
    return float(value)


def check_sides(sides) -> int:
    if sides not in (1, 2) or isinstance(sides, bool):
        raise ParameterError(f"sides={sides!r} must be 1 (only an improvement counts) or 2 (either direction).")
    return int(sides)


def check_looks(looks) -> int:
    """A number of equally spaced looks, 1 to 200."""
    if isinstance(looks, bool) or not isinstance(looks, (int, np.integer)) or not 1 <= looks <= 200:
        raise ParameterError(f"looks={looks!r} must be a whole number of looks between 1 and 200.")
    return int(looks)


def check_fractions(values, name: str, normalise: bool = True) -> np.ndarray:
    """Information (or its fractions, at most 1 when ``normalise``) at each look: positive,
    strictly increasing, at most 200 looks."""
    try:
        t = np.atleast_1d(np.asarray(values, dtype=float))
    except (TypeError, ValueError):
        raise ParameterError(f"{name}={values!r} must be numbers, e.g. [0.25, 0.5, 0.75, 1].") from None
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ParameterError(f"{name} must be positive numbers, one per look, e.g. [0.25, 0.5, 0.75, 1]; "
                             f"got {values!r}.")
    if np.any(np.diff(t) <= 0):
        raise ParameterError(f"{name} must increase strictly from look to look; got {t.tolist()}.")
    if normalise and t[-1] > 1 + 1e-12:
        raise ParameterError(
            f"{name} must not exceed 1 (the planned maximum information); got {t.tolist()}. Divide the "
            "information at each look by the planned total, or use sequential_test for an overrun.")
    if t.size > 200:
        raise ParameterError(f"{name}: at most 200 looks are supported; got {t.size}.")
    return t


def check_allocation(allocation) -> float:
    """Share of customers in the treatment arm."""
    return check_probability(allocation, "allocation", "0.5 for equal arms")


def fmt_p(p: float) -> str:
    """A p-value for tables: 3 decimals, 4 below 0.001, "< 0.0001" below that."""
    if not np.isfinite(p):
        return "n/a"
    return "< 0.0001" if p < 1e-4 else f"{p:.4f}" if p < 0.001 else f"{p:.3f}"


def p_is(p: float) -> str:
    """A p-value for sentences: "= 0.017" or "< 0.0001"."""
    text = fmt_p(p)
    return text if text.startswith("<") else f"= {text}"


def p_at_most(p: float) -> str:
    """The nominal p-value a boundary corresponds to, for sentences."""
    text = fmt_p(p)
    return f"p {text}" if text.startswith("<") else f"p <= {text}"


def prob(v: float) -> str:
    """A probability for sentences, never rounded to a certainty it is not."""
    if not np.isfinite(v):
        return "n/a"
    return "> 99.9%" if v > 0.999 else "< 0.1%" if v < 0.001 else f"{v:.1%}"


class ResultMixin(Result):
    """The experiments' results: the :class:`~retention_kit.results.Result` contract (its
    ``__repr__``), with the HTML notes taken from ``explain()``, one paragraph each."""

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, self.explain().split("\n"))


def two_arms(data: pd.DataFrame, arm_col: str, control: str, treatment: str | None):
    """The treatment arm's name and boolean masks of the treatment and control rows.

    Arms are compared as strings; ``treatment`` may be omitted when there are exactly two arms.
    """
    codes, uniques = pd.factorize(data[arm_col])
    names = [str(u) for u in uniques]
    arms = sorted(names)
    if control not in arms:
        raise ParameterError(f"control={control!r} is not an arm in {arm_col!r}; the arms are {arms}.")
    others = [a for a in arms if a != control]
    if treatment is None:
        if len(others) != 1:
            raise ParameterError(f"There are {len(others)} treatment arms {others}: name one with treatment=.")
        treatment = others[0]
    elif treatment not in others:
        raise ParameterError(f"treatment={treatment!r} is not an arm other than control; choose from {others}.")
    is_t = np.isin(codes, [i for i, n in enumerate(names) if n == treatment])
    is_c = np.isin(codes, [i for i, n in enumerate(names) if n == control])
    return treatment, is_t, is_c


def outcome_values(series: pd.Series, name: str) -> np.ndarray:
    """A per-customer outcome as floats: booleans (retained) or numbers; missing values raise."""
    if series.dtype == bool:
        return series.to_numpy(dtype=float)
    raw = series if pd.api.types.is_bool_dtype(series.dtype) else pd.to_numeric(series, errors="coerce")
    y = raw.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(y).any():
        raise DataError(f"{name!r} has {int(np.isnan(y).sum()):,} missing or non-numeric values (e.g. immature "
                        "customers whose retention is not known yet). Keep only customers with a known outcome.")
    return y
