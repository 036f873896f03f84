"""The sequential test at the information observed: the looks of a running experiment so
far against Lan-DeMets boundaries recomputed at the information fractions actually reached
(:func:`sequential_test`), so looks need not follow the plan, and the decision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError
from ..results import explains
from ._common import ResultMixin, check_fractions, check_positive, check_probability, check_sides
from ._numeric import boundaries_for_spending
from .boundaries import SequentialDesign
from .spending import SPENDING_WORDS, alpha_spent, spending_name

__all__ = ["SequentialTest", "sequential_test"]


@dataclass(repr=False)
class SequentialTest(ResultMixin):
    """The looks taken so far against Lan-DeMets boundaries recomputed at the information
    actually observed, and the decision."""

    looks_table: pd.DataFrame
    design: SequentialDesign
    max_information: float
    decision: str
    stopped_at: int | None

    @property
    def summary(self) -> pd.DataFrame:
        return self.looks_table

    @property
    def title(self) -> str:
        return f"looks against the boundaries: {self.decision}"

    @property
    def stop(self) -> bool:
        return self.stopped_at is not None

    @explains
    def explain(self) -> str:
        d = self.design
        rule = "|z|" if d.sides == 2 else "z"
        parts = [f"{SPENDING_WORDS[d.spending]} alpha spending, {'two' if d.sides == 2 else 'one'}-sided "
                 f"alpha = {d.alpha:g}, planned maximum information {self.max_information:,.4g}."]
        for k, row in self.looks_table.iterrows():
            verdict = "crossed" if row["crossed"] else "inside"
            parts.append(f"Look {k}: {row['information_fraction']:.0%} of the information, z = {row['z']:+.2f} "
                         f"against {rule} >= {row['z_boundary']:.3f}: {verdict}.")
        if self.stopped_at is not None:
            parts.append(f"Stop at look {self.stopped_at}: the difference is significant with the false-positive "
                         f"rate over all looks held at {d.alpha:g}. The estimate at an early stop is biased "
                         "away from zero; report it with that caveat.")
        elif self.decision.startswith("final"):
            parts.append("The last planned look did not cross: the experiment ends without a significant "
                         "difference.")
        else:
            parts.append("Continue: no boundary crossed. Do not stop early because the result looks "
                         "good at the usual 1.96; that is the peeking this procedure prevents.")
        return "\n".join(parts)

    def plot_boundaries(self, ax=None, **kwargs):
        """The boundaries with the observed z statistics. Returns the Axes.

        ``kwargs`` go to the efficacy boundary line, as in :meth:`SequentialDesign.plot_boundaries`."""
        ax = self.design.plot_boundaries(ax, **kwargs)
        t = self.looks_table
        ax.plot(t["information_fraction"], t["z"], marker="s", color="black", ls="-", lw=1, label="observed z")
        ax.legend(loc="best", fontsize=8)
        return ax


def sequential_test(z, information, max_information: float, *, alpha: float = 0.05,
                    spending: str = "obrien-fleming", sides: int = 2, final: bool = False) -> SequentialTest:
    """Evaluate the looks of a running experiment against Lan-DeMets boundaries.

    The boundaries are recomputed at the information fractions actually reached
    (``information / max_information``), so looks need not follow the plan. The last look
    spends all the remaining alpha when its information reaches ``max_information`` or
    when ``final=True``.

    Parameters
    ----------
    z : array-like
        The z statistic at each look so far (positive when the treatment is better).
    information : array-like
        The information at each look: 1 / variance of the estimate (e.g. ``1 / se**2``),
        or any quantity proportional to it (mature customers, events).
    max_information : float
        The planned information at the last look, on the same scale.
    alpha, spending, sides : see :func:`spending_boundaries`.
    final : bool
        The last look given is the final analysis even if it falls short of
        ``max_information``.

    Returns
    -------
    SequentialTest
        ``summary`` has one row per look; ``decision`` is ``"stop: ..."``, ``"continue"``
        or ``"final: ..."``.

    Examples
    --------
    Three looks at a third, two thirds and all of the information (one-sided 0.025,
    boundaries 3.7103, 2.5114, 1.9930 as in gsDesign): z = 2.6 crosses at look 2.

    >>> res = sequential_test([1.2, 2.6], [100, 200], 300, alpha=0.025, sides=1)
    >>> res.decision, res.stopped_at
    ('stop: boundary crossed at look 2', 2)
    """
    sides = check_sides(sides)
    alpha = check_probability(alpha, "alpha")
    spending = spending_name(spending, "spending")
    max_information = check_positive(max_information, "max_information", "the planned mature customers per arm")
    zs = np.atleast_1d(np.asarray(z, dtype=float))
    info = check_fractions(information, "information", normalise=False)
    if zs.shape != info.shape:
        raise ParameterError(f"z has {zs.size} values but information has {info.size}: give one of each per look.")
    if not np.all(np.isfinite(zs)):
        raise DataError(f"z must be finite numbers; got {zs.tolist()}.")
    t = info / max_information
    spend_t = np.minimum(t, 1.0)
    if final:
        spend_t[-1] = 1.0
    if np.sum(spend_t >= 1.0) > 1:
        raise ParameterError(
            f"Only the last look may reach max_information={max_information:,.4g}; the information "
            f"{info.tolist()} reaches it earlier, and all the alpha was spent there.")
    cumulative = alpha_spent(spend_t, alpha=alpha, spending=spending, sides=sides)
    bounds = boundaries_for_spending(t, np.diff(np.concatenate([[0.0], cumulative])), sides)
    design = SequentialDesign(t, bounds, alpha, sides, spending, cumulative)
    crossed = (np.abs(zs) >= bounds) if sides == 2 else (zs >= bounds)
    stopped = int(np.argmax(crossed)) + 1 if crossed.any() else None
    table = pd.DataFrame({"information": info, "information_fraction": t, "z": zs, "z_boundary": bounds,
                          "nominal_p": design.nominal_p, "cumulative_alpha": cumulative, "crossed": crossed},
                         index=pd.RangeIndex(1, len(zs) + 1, name="look"))
    if stopped is not None:
        decision = f"stop: boundary crossed at look {stopped}"
        if stopped < len(zs):
            table = table.iloc[:stopped]
    elif spend_t[-1] >= 1.0:
        decision = "final: no boundary crossed"
    else:
        decision = "continue"
    return SequentialTest(table, design, max_information, decision, stopped)
