"""The checked inputs of every covariate-adjusted comparison (:func:`~retention_kit.experiments.cuped`,
:func:`~retention_kit.experiments.cuped_rmst`, :func:`~retention_kit.experiments.cuped_hazard_ratio`):
the two arms' rows, and the pre-assignment covariates as columns with missing-history indicators.

Internal to :mod:`retention_kit.experiments`.
"""

from __future__ import annotations

import difflib

import pandas as pd

from ..errors import DataError, ParameterError
from ._common import check_probability, two_arms


def _check_columns(data: pd.DataFrame, needed: list, hint: str) -> None:
    """Raise a DataError naming the absent columns, with the closest existing names."""
    missing = [c for c in needed if c not in data.columns]
    if not missing:
        return
    names = [str(c) for c in data.columns]
    guesses = [f"{m!r} -> {close[0]!r}" for m in missing
               for close in [difflib.get_close_matches(str(m), names, n=1, cutoff=0.6)] if close]
    did = f" Did you mean {', '.join(guesses)}?" if guesses else ""
    raise DataError(f"Columns {missing} are not in the data (columns: {list(data.columns)}).{did} {hint}")


def _two_arms(data: pd.DataFrame, arm_col: str, control: str, treatment: str | None):
    """:func:`two_arms`, with a plain error when the data hold one arm only."""
    arms = sorted({str(a) for a in data[arm_col].dropna().unique()})
    if len(arms) < 2:
        raise DataError(f"{arm_col!r} holds only one arm ({arms}): a comparison needs the control and a "
                        "treatment arm. Pass the whole experiment, not one arm's customers.")
    return two_arms(data, arm_col, control, treatment)


def two_arm_frame(data, needed: list, covariates, alpha, *, arm_col: str, control: str, treatment,
                  hint: str):
    """The checked inputs every adjusted comparison starts from: the covariates as a list, alpha,
    the treatment arm's name, the rows of the two arms and a boolean "is treatment" Series."""
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"data must be a pandas DataFrame with one row per customer; got {type(data).__name__}.")
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    alpha = check_probability(alpha, "alpha")
    _check_columns(data, [*needed, arm_col, *covariates], hint)
    treatment, in_t, in_c = _two_arms(data, arm_col, control, treatment)
    return covariates, alpha, treatment, data[in_t | in_c], in_t[in_t | in_c]


def covariate_columns(frame: pd.DataFrame, covariates: list):
    """The covariates as float columns: each filled with its observed mean where missing (brand-new
    customers), plus an indicator ``<name>_missing`` when some (not all) are missing; the names used,
    the number of customers without history, and notes on covariates left out."""
    notes, used, columns = [], [], []
    new_customers = 0
    for name in covariates:
        x = pd.to_numeric(frame[name], errors="coerce")
        if (x.isna() & frame[name].notna()).any():
            example = frame.loc[x.isna() & frame[name].notna(), name].iloc[0]
            raise DataError(f"Covariate {name!r} has non-numeric values such as {example!r}; give numbers "
                            "(NaN for no history).")
        absent = x.isna().to_numpy()
        if absent.all():
            notes.append(f"{name} is missing for every customer and was not used.")
            continue
        new_customers = max(new_customers, int(absent.sum()))
        filled = x.fillna(x.mean()).to_numpy(dtype=float)
        if filled.std() > 0:
            columns.append(filled)
            used.append(name)
        if absent.any() and not absent.all():
            columns.append(absent.astype(float))
            used.append(f"{name}_missing")
        elif filled.std() == 0:
            notes.append(f"{name} is the same for every customer and was not used.")
    return columns, used, new_customers, notes


def adjustment_caveats(new_customers: int) -> list[str]:
    """The sentences every adjusted comparison ends with: the covariates are chosen in the plan,
    and how many brand-new customers entered with a missing-history indicator."""
    lines = ["Choose the covariates before seeing the result (in the plan): picking the adjustment that gives "
             "the smaller p-value is another way of peeking."]
    if new_customers:
        lines.append(f"{new_customers:,} customers had no history before assignment (brand-new): they are "
                     "kept, with a missing-history indicator, so the comparison still covers everyone.")
    return lines
