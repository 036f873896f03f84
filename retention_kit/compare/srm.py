"""Sample ratio mismatch: Pearson's chi-square of the arms' sizes against the planned split.

The public names are re-exported by :mod:`retention_kit.compare`; :func:`warn_srm` is shared
by its modules only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .._options import legacy_arguments
from ..errors import DataError, ParameterError, SampleRatioMismatchWarning
from ..results import Result, explains, render_html
from .text import p_is, warn

__all__ = ["SRM_THRESHOLD", "SampleRatioCheck", "sample_ratio_check", "warn_srm"]

SRM_THRESHOLD = 0.001  # below this p-value the split is called broken


@dataclass
class SampleRatioCheck(Result):
    """Pearson chi-square of the arms' sizes against the planned split.

    A p-value below 0.001 means the randomisation or the logging is broken (a redirect
    that loses users in one arm, a bot filter, a late start): the comparison is not to be
    trusted, whatever it says.
    """

    observed: pd.Series
    expected: pd.Series
    planned_split: pd.Series
    statistic: float
    p_value: float

    @property
    def mismatch(self) -> bool:
        return bool(self.p_value < SRM_THRESHOLD)

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"n": self.observed, "expected": self.expected,
                             "planned_share": self.planned_split,
                             "share": self.observed / self.observed.sum()})

    @explains
    def explain(self) -> str:
        shares = ", ".join(f"{arm} {s:.1%} (planned {p:.1%})" for arm, s, p in zip(
            self.observed.index, self.observed / self.observed.sum(), self.planned_split))
        verdict = ("This is a sample ratio mismatch: the split is broken (randomisation, logging "
                   "or filtering) and the comparison must not be trusted until the cause is found."
                   if self.mismatch else
                   f"No sign of a broken split (the alarm is p < {SRM_THRESHOLD}).")
        return (f"Of {int(self.observed.sum()):,} assigned customers: {shares}. Chi-square "
                f"{self.statistic:.2f} on {len(self.observed) - 1} degree(s) of freedom, "
                f"p {p_is(self.p_value)}. {verdict}")

    title = "Sample ratio check"

    def __repr__(self) -> str:
        return f"SampleRatioCheck: {self.explain()}"

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, [self.explain()])


def _planned_shares(arms, planned_split) -> pd.Series:
    arms = list(arms)
    if planned_split is None:
        return pd.Series(1.0 / len(arms), index=arms)
    if isinstance(planned_split, (pd.Series, dict)):
        split = pd.Series(dict(planned_split), dtype=float)
    else:
        values = list(planned_split)
        if len(values) != len(arms):
            raise ParameterError(
                f"planned_split has {len(values)} shares but there are {len(arms)} arms {arms}; "
                "give a dict such as {'control': 0.5, 'loyalty': 0.5}.")
        split = pd.Series(values, index=arms, dtype=float)
    unknown = [a for a in split.index if a not in arms]
    missing = [a for a in arms if a not in split.index]
    if unknown or missing:
        raise ParameterError(
            f"planned_split names arms {list(split.index)} but the data has {arms} "
            f"(unknown: {unknown}, missing: {missing}). Give one share per arm.")
    split = split.reindex(arms)
    if (split <= 0).any() or not np.isfinite(split).all():
        raise ParameterError(f"planned_split shares must be positive numbers; got {split.to_dict()}.")
    return split / split.sum()  # weights such as {"control": 1, "loyalty": 2} are fine


@legacy_arguments(positional=("planned_split",))
def sample_ratio_check(counts, *, planned_split=None) -> SampleRatioCheck:
    """Chi-square test of the arms' sizes against the planned split (sample ratio mismatch).

    Parameters
    ----------
    counts : dict or Series
        Customers assigned per arm.
    planned_split : dict, Series or sequence, optional
        Planned share (or weight) per arm; equal shares by default.

    Returns
    -------
    SampleRatioCheck

    Examples
    --------
    >>> check = sample_ratio_check({"control": 5_000, "loyalty": 5_300})
    >>> # expected 5,150 each: (150**2 + 150**2) / 5150 = 8.74
    >>> round(check.statistic, 2), check.mismatch
    (8.74, False)
    """
    observed = pd.Series(dict(counts), dtype=float)
    if len(observed) < 2:
        raise ParameterError(f"A sample ratio check needs at least two arms; got {list(observed.index)}.")
    if (observed < 0).any() or observed.isna().any():
        raise DataError(f"Arm sizes must be non-negative counts; got {observed.to_dict()}.")
    shares = _planned_shares(observed.index, planned_split)
    expected = shares * observed.sum()
    if observed.sum() == 0:
        raise DataError("Every arm is empty: there is nothing to check.")
    statistic, p_value = stats.chisquare(observed.to_numpy(), expected.to_numpy())
    return SampleRatioCheck(observed.astype(int), expected, shares, float(statistic), float(p_value))


def warn_srm(srm: SampleRatioCheck, notes) -> None:
    if srm.mismatch:
        warn(SampleRatioMismatchWarning,
             f"Sample ratio mismatch: the arms' sizes {srm.observed.to_dict()} differ from the planned split "
             f"{srm.planned_split.round(3).to_dict()} (chi-square p {p_is(srm.p_value)}, below {SRM_THRESHOLD}). "
             "Randomisation, logging or filtering is broken: do not trust this comparison until the "
             "cause is found.", notes)
