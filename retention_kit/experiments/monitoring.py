"""One look of a running experiment read against a planned design, as a decision
(:class:`SequentialMonitor`): against Lan-DeMets boundaries recomputed at the information
observed, with optional non-binding futility boundaries (:func:`monitor_look`), or against
an always-valid confidence sequence (:func:`monitor_confidence_sequence`).
``RetentionComparison.monitor`` reads a comparison with these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError, ParameterError
from ..results import explains
from ._common import ResultMixin, check_fractions, check_positive, fmt_p, p_at_most
from ._numeric import boundaries_for_spending
from .boundaries import FutilityDesign, SequentialDesign, futility_design
from .boundaries import spending_boundaries  # noqa: F401  (the examples use it)
from .confidence_sequences import ConfidenceSequence, confidence_sequence
from .spending import SPENDING, SPENDING_WORDS, alpha_spent

__all__ = ["SequentialMonitor", "monitor_look", "monitor_confidence_sequence"]

_DECISION_WORDS = {
    "stop for efficacy": "Stop for efficacy: the difference is significant with the false-positive rate over all "
                         "looks held at {alpha:g}. An estimate at an early stop is biased away from zero: report "
                         "it with that caveat.",
    "stop for harm": "Stop: the treatment is significantly worse than control, with the false-positive rate over "
                     "all looks held at {alpha:g}.",
    "stop for futility": "Stop for futility: z is below the futility boundary, so a significant result at the end "
                         "is unlikely. The boundary is non-binding: continuing past it does not inflate the "
                         "false-positive rate, stopping gives up the remaining power.",
    "final look: no significant difference": "The final look did not cross the boundary: the experiment ends "
                                             "without a significant difference.",
    "continue": "Continue: no boundary crossed. {usual}",
}


@dataclass(repr=False)
class SequentialMonitor(ResultMixin):
    """One look of a running experiment read against a planned group-sequential design or an
    always-valid confidence sequence: the boundary at this look, the z statistic and the
    decision (see :func:`monitor_look` and ``RetentionComparison.monitor``).

    Attributes
    ----------
    decision : str
        ``"stop for efficacy"``, ``"continue"``, ``"stop for futility"``, ``"stop for harm"``
        (two-sided, treatment worse) or ``"final look: no significant difference"``.
    z, boundary, futility_bound : float
        The z statistic at this look and the boundaries it is compared with (``boundary`` is
        the confidence sequence's multiplier for ``method="confidence-sequence"``;
        ``futility_bound`` is NaN without futility boundaries).
    look : int
        The look number (1 for the first).
    information_fraction : float
        Information at this look over the planned maximum.
    table : DataFrame
        One row per look so far (``summary``).
    design : SequentialDesign or None
        The boundaries recomputed at the information observed: the looks so far, then the
        planned later looks (this look replaces the planned one, so K looks for a K-look plan).
    sequence : ConfidenceSequence or None
        The confidence sequence (``method="confidence-sequence"``).
    """

    table: pd.DataFrame
    method: str
    decision: str
    look: int
    z: float
    boundary: float
    information_fraction: float
    alpha: float
    label: str = "treatment vs control"
    futility_bound: float = float("nan")
    design: SequentialDesign | None = None
    futility: FutilityDesign | None = None
    sequence: ConfidenceSequence | None = None
    planned_looks: int | None = None
    assumed_earlier: bool = False
    stopped_at: int | None = None
    unit: str = "information"
    max_information: float = float("nan")
    estimate: str = ""

    @property
    def summary(self) -> pd.DataFrame:
        return self.table

    @property
    def stop(self) -> bool:
        """True when the decision is to stop (for efficacy, harm or futility, or the final look)."""
        return self.decision != "continue"

    @property
    def title(self) -> str:
        return f"{self.label}, look {self.look}: {self.decision}"

    @explains
    def explain(self) -> str:
        sides = self.design.sides if self.design is not None else 2
        fixed = stats.norm.isf(self.alpha / sides)  # the fixed-horizon critical value, 1.96 two-sided at 0.05
        beyond = (abs(self.z) if sides == 2 else self.z) >= fixed
        usual = (f"At the usual {fixed:.2f} this look would already be called significant: that is the peeking "
                 "the procedure prevents." if beyond else
                 f"It would not be significant at the usual {fixed:.2f} either.")
        decision = _DECISION_WORDS[self.decision].format(alpha=self.alpha, usual=usual)
        if self.method == "confidence-sequence":
            row = self.sequence.summary.iloc[-1]
            conf = f"{1 - self.alpha:.0%}"
            lines = [f"{self.label}, look {self.look}: an always-valid {conf} confidence sequence (valid however "
                     f"often and whenever one looks, no plan of the looks needed), tuned for "
                     f"{self.sequence.planned_n:,.0f} customers; {int(row['n']):,} customers so far "
                     f"({self.information_fraction:.0%} of them).",
                     f"Difference {row['diff'] * 100:+.1f} points; always-valid interval "
                     f"{row['running_lower'] * 100:+.1f} to {row['running_upper'] * 100:+.1f} points (the fixed-horizon "
                     f"one, valid for a single planned look only, is {row['fixed_lower'] * 100:+.1f} to "
                     f"{row['fixed_upper'] * 100:+.1f}). z = {self.z:+.2f} against the sequence's multiplier "
                     f"{self.boundary:.3f}; always-valid p {fmt_p(row['always_valid_p'])}.",
                     decision]
            return "\n".join(lines)
        d = self.design
        rule = "|z|" if d.sides == 2 else "z"
        side = "two" if d.sides == 2 else "one"
        planned = f"{self.planned_looks}-look " if self.planned_looks else ""
        lines = [f"{self.label}, look {self.look} of a {planned}{SPENDING_WORDS[d.spending]} design ({side}-sided "
                 f"alpha = {d.alpha:g}), at {self.information_fraction:.0%} of the planned information "
                 f"({self.table['information'].iloc[-1]:,.0f} of {self.max_information:,.0f} {self.unit})."]
        if self.estimate:
            lines.append(self.estimate)
        fut = (f"; stop for futility if z <= {self.futility_bound:.3f}" if np.isfinite(self.futility_bound)
               and self.decision != "final look: no significant difference" else "")
        lines.append(f"z = {self.z:+.2f} against the boundary {rule} >= {self.boundary:.3f} "
                     f"({p_at_most(self.sides_p(self.boundary))}){fut}.")
        if self.stopped_at is not None and self.stopped_at < self.look:
            lines.append(f"The boundary was already crossed at look {self.stopped_at}: the experiment should have "
                         "stopped there, and that look's decision stands.")
        lines.append(decision)
        if self.assumed_earlier:
            earlier = ", ".join(f"{t:.0%}" for t in self.table["information_fraction"].iloc[:-1])
            lines.append(f"The earlier looks are taken at their planned information ({earlier}); if they fell "
                         "elsewhere, pass the earlier looks (earlier=) so the boundary uses them.")
        return "\n".join(lines)

    def sides_p(self, z: float) -> float:
        """The nominal (fixed-sample) p-value of a boundary."""
        return float(self.design.sides * stats.norm.sf(z))

    def plot(self, ax=None, **kwargs):
        """The boundaries (recomputed at the information observed) with the observed z, or the
        confidence sequence. Returns the Axes.

        ``kwargs`` go to the efficacy boundary line (:meth:`SequentialDesign.plot_boundaries`)
        or, for a confidence sequence, to its always-valid band (:meth:`ConfidenceSequence.plot`)."""
        if self.sequence is not None:
            return self.sequence.plot(ax, **kwargs)
        ax = (self.futility or self.design).plot_boundaries(ax, **kwargs)
        t = self.table
        ax.plot(t["information_fraction"], t["z"], marker="s", color="black", ls="-", lw=1, label="observed z")
        ax.annotate(f"look {self.look}: {self.decision}", (self.information_fraction, self.z),
                    textcoords="offset points", xytext=(6, 6), fontsize=8)
        ax.legend(loc="best", fontsize=8)
        ax.set_title(self.title)
        return ax


def monitor_look(design, z: float, information: float, max_information: float, *, look: int | None = None,
                 earlier_information=None, earlier_z=None, final: bool | None = None,
                 label: str = "treatment vs control", unit: str = "information",
                 estimate: str = "") -> SequentialMonitor:
    """Read one look of a running experiment against a planned Lan-DeMets design.

    The boundary at look k depends on the information at looks 1..k, so it is recomputed at
    the information actually observed (``information / max_information``), with the earlier
    looks at their observed information (``earlier_information``) or, when those are not
    given, at the design's planned fractions. This look takes the place of planned look k, and
    the planned looks after it complete the design: K looks for a K-look plan, each spending
    what the spending function allows by its fraction given the boundaries before it (the
    design shown by ``plot``; the later looks matter for the futility boundaries). The last
    look of the design, or any look reaching ``max_information``, is the final analysis and
    spends all the remaining alpha.

    Parameters
    ----------
    design : SequentialDesign or FutilityDesign
        From :func:`spending_boundaries` (``sides=2`` or ``1``), optionally with
        ``.with_futility(...)`` (one-sided, non-binding futility; beta-spending re-applied at
        the observed information, which needs ``beta_spending="obrien-fleming"`` or
        ``"pocock"`` unless the looks fall exactly on the planned fractions).
    z : float
        The z statistic at this look, positive when the treatment is better.
    information, max_information : float
        Information at this look and the planned maximum, on one scale (mature customers
        per arm, events, 1 / se**2).
    look : int, optional
        Which planned look this is; the planned look nearest in information by default.
        Ignored-and-checked when ``earlier_information`` is given (look = earlier looks + 1).
    earlier_information, earlier_z : array-like, optional
        The earlier looks' information (and z): with z, a crossing at an earlier look is the
        decision (the experiment should have stopped there).
    final : bool, optional
        Force (True) or rule out (False) this being the final analysis. By default it is
        final when it reaches ``max_information``, or when it is the design's last planned
        look and the earlier looks are taken from the plan.
    label, unit, estimate : str
        Words for ``explain()``: what is compared, the information's unit, a sentence with
        the estimate.

    Returns
    -------
    SequentialMonitor

    Examples
    --------
    Look 1 of 2 of a two-sided O'Brien-Fleming-type design, at half the information: the
    spent alpha is 2 - 2 Phi(2.2414 / sqrt(0.5)) = 0.001525 per side, so the boundary is
    Phi^-1(1 - 0.001525) = 2.9626 (gsDesign ``gsDesign(k = 2, test.type = 2, sfu = sfLDOF)``:
    2.9626, 1.9686). z = 2.5 continues, though it is "significant" at 1.96.

    >>> res = monitor_look(spending_boundaries(looks=2), 2.5, 700, 1400)
    >>> res.decision, round(res.boundary, 4)
    ('continue', 2.9626)
    """
    fut, base = _monitored_design(design)
    if isinstance(z, bool) or not isinstance(z, (int, float, np.integer, np.floating)) or not math.isfinite(z):
        raise DataError(f"z={z!r} must be a finite number (is an arm empty?).")
    z = float(z)
    information = check_positive(information, "information", "the mature customers per arm so far")
    max_information = check_positive(max_information, "max_information", "the planned mature customers per arm")
    planned = np.asarray(base.information_fractions, dtype=float)
    t_now = information / max_information
    k, prev, ez, from_plan = _which_look(planned, t_now, max_information, look, earlier_information, earlier_z)
    # The last planned look is the final analysis when the looks follow the plan; with the
    # looks actually taken (earlier_information), only reaching the planned information is.
    is_final = (t_now >= 1 - 1e-9 or (k >= planned.size and from_plan)) if final is None else bool(final)
    seq = _design_at_looks(base, prev, t_now, planned[k:], is_final)
    full_fut, futility = _futility_at_looks(fut, seq, planned)
    c_k, f_k = float(seq.boundaries[k - 1]), float(futility[k - 1])
    zs = np.concatenate([ez if ez is not None else np.full(k - 1, np.nan), [z]])
    decision, crossed, stopped = _look_decision(zs, seq.boundaries[:k], base.sides, is_final,
                                                fut is not None and z <= f_k)
    table = pd.DataFrame({
        "information": np.concatenate([prev * max_information, [information]]),
        "information_fraction": seq.information_fractions[:k], "z": zs, "z_boundary": seq.boundaries[:k],
        "nominal_p": seq.nominal_p[:k], "cumulative_alpha": seq.cumulative_alpha[:k], "crossed": crossed},
        index=pd.RangeIndex(1, k + 1, name="look"))
    if fut is not None:
        table.insert(4, "futility_z", futility[:k])
    return SequentialMonitor(table, "group-sequential", decision, k, z, c_k, t_now, base.alpha, label=label,
                             futility_bound=f_k, design=seq, futility=full_fut, planned_looks=planned.size,
                             assumed_earlier=from_plan and prev.size > 0, stopped_at=stopped, unit=unit,
                             max_information=max_information, estimate=estimate)


def _monitored_design(design):
    """The futility design (or None) and the efficacy design a look is read against; only
    spending-function designs can be recomputed at the information observed."""
    if isinstance(design, FutilityDesign):
        fut, base = design, design.design
    elif isinstance(design, SequentialDesign):
        fut, base = None, design
    else:
        raise ParameterError(f"design must be a SequentialDesign (rk.spending_boundaries(looks=4)) or its "
                             f".with_futility(...); got {type(design).__name__}.")
    if base.spending not in SPENDING:
        raise ParameterError(f"{SPENDING_WORDS[base.spending]} boundaries have no spending function, so they "
                             "cannot be recomputed at the information observed: plan with "
                             "rk.spending_boundaries(looks=K, spending='obrien-fleming' or 'pocock').")
    return fut, base


def _which_look(planned: np.ndarray, t_now: float, max_information: float, look, earlier_information, earlier_z):
    """Which look this is and the earlier looks' information fractions (and z, when given).

    Returns ``(k, earlier fractions, earlier z or None, from_plan)``; ``from_plan`` is True
    when the earlier looks are taken at their planned fractions (none were given)."""
    ez = None
    if earlier_information is not None and np.size(earlier_information) > 0:
        prev = check_fractions(earlier_information, "earlier_information", normalise=False) / max_information
        k = prev.size + 1
        if look is not None and look != k:
            raise ParameterError(f"look={look!r} disagrees with the {prev.size} earlier looks given: this is look {k}.")
        if earlier_z is not None:
            ez = np.atleast_1d(np.asarray(earlier_z, dtype=float))
            if ez.shape != prev.shape or not np.all(np.isfinite(ez)):
                raise ParameterError(f"earlier_z must be {prev.size} finite numbers, one per earlier look.")
        from_plan = False
    else:
        K = planned.size
        if look is None:
            k = int(np.argmin(np.abs(planned - t_now))) + 1
        elif isinstance(look, bool) or not isinstance(look, (int, np.integer)) or not 1 <= look <= K:
            raise ParameterError(f"look={look!r} must be a planned look, 1 to {K}.")
        else:
            k = int(look)
        prev = planned[:k - 1]
        from_plan = True
    if prev.size and prev[-1] >= t_now:
        raise ParameterError(
            f"Look {k} has {t_now:.1%} of the information, no more than look {k - 1} ({prev[-1]:.1%}): information "
            "only grows. Pass the right look= (an earlier one), or the earlier looks' information (earlier=).")
    return k, prev, ez, from_plan


def _spend_at(t: np.ndarray) -> np.ndarray:
    """The information fractions at which the spending functions are read: capped at 1, and
    1 at the last look of the design (the final analysis spends what is left)."""
    spend = np.minimum(t, 1.0)
    spend[-1] = 1.0
    return spend


def _design_at_looks(base: SequentialDesign, prev: np.ndarray, t_now: float, later: np.ndarray,
                     is_final: bool) -> SequentialDesign:
    """The design recomputed at the looks taken: the earlier looks, this one, then (unless
    this is the final analysis) the planned ``later`` looks beyond it. Each boundary spends
    the alpha its fraction allows given the boundaries before it, so the boundaries already
    used are reproduced and the later ones share what is left."""
    later = np.array([]) if is_final else later[later > t_now + 1e-9]
    if not is_final and later.size == 0:
        later = np.array([max(1.0, t_now * 1.001)])
    t = np.concatenate([prev, [t_now], later])
    cumulative = alpha_spent(_spend_at(t), alpha=base.alpha, spending=base.spending, sides=base.sides)
    bounds = boundaries_for_spending(t, np.diff(np.concatenate([[0.0], cumulative])), base.sides)
    return SequentialDesign(t, bounds, base.alpha, base.sides, base.spending, cumulative)


def _futility_at_looks(fut, seq: SequentialDesign, planned: np.ndarray):
    """The futility design recomputed at ``seq``'s looks and its bounds (NaN without one)."""
    t = seq.information_fractions
    if fut is None:
        return None, np.full(t.size, np.nan)
    rule = fut.beta_spending
    if isinstance(rule, str):
        spent_beta = alpha_spent(_spend_at(t), alpha=1.0 - fut.power, spending=rule, sides=1)
    elif rule is not None and t.size == planned.size and np.allclose(t, planned, atol=1e-9):
        spent_beta = np.asarray(fut.cumulative_beta, dtype=float)
    else:
        raise ParameterError("Futility boundaries planned with a list of beta values cannot be recomputed at "
                             "unplanned information: plan them with beta_spending='obrien-fleming' or 'pocock'.")
    full_fut = futility_design(seq, fut.power, spent_beta)
    return full_fut, np.asarray(full_fut.futility, dtype=float)


def _look_decision(zs: np.ndarray, bounds: np.ndarray, sides: int, is_final: bool, below_futility: bool):
    """The decision at this look from the z of every look so far (NaN where not known):
    ``(decision, crossed per look, first look that crossed or None)``."""
    up = zs >= bounds
    down = (zs <= -bounds) if sides == 2 else np.zeros(zs.size, dtype=bool)
    crossed = up | down
    stopped = int(np.argmax(crossed)) + 1 if crossed.any() else None
    if stopped is not None:
        decision = "stop for efficacy" if up[stopped - 1] else "stop for harm"
    elif is_final:
        decision = "final look: no significant difference"
    elif below_futility:
        decision = "stop for futility"
    else:
        decision = "continue"
    return decision, crossed, stopped


def monitor_confidence_sequence(n_treatment, retained_treatment, n_control, retained_control, *, planned_n: float,
                                alpha: float = 0.05, label: str = "treatment vs control") -> SequentialMonitor:
    """The latest look of an always-valid confidence sequence, as a monitoring decision.

    The counts are cumulative per look (one value each for a single look); see
    :func:`confidence_sequence`. The decision is "stop for efficacy" (or "stop for harm")
    when the running interval excludes 0, "final look: no significant difference" once
    ``planned_n`` customers (both arms) are reached without it, else "continue". The
    ``boundary`` is the sequence's multiplier at this look: ``|z| >= boundary`` with the
    unpooled ``z = diff / se`` is the interval at this look excluding 0.

    Examples
    --------
    1,000 customers per arm, 30 % vs 35 %, tuned at 2,000: the interval -1.35 to +11.35
    points (see :func:`confidence_sequence`) contains 0, and 2,000 customers is the planned end.

    >>> monitor_confidence_sequence(1000, 350, 1000, 300, planned_n=2000).decision
    'final look: no significant difference'
    """
    cs = confidence_sequence(n_treatment, retained_treatment, n_control, retained_control, planned_n=planned_n,
                             alpha=alpha)
    t = cs.summary
    last = t.iloc[-1]
    z = float(last["diff"] / last["se"]) if last["se"] > 0 else 0.0
    if last["running_lower"] > 0:
        decision = "stop for efficacy"
    elif last["running_upper"] < 0:
        decision = "stop for harm"
    elif last["n"] >= planned_n:
        decision = "final look: no significant difference"
    else:
        decision = "continue"
    table = t[["n", "diff", "se", "multiplier", "running_lower", "running_upper", "always_valid_p"]].copy()
    table.insert(3, "z", t["diff"] / t["se"])
    return SequentialMonitor(table, "confidence-sequence", decision, len(t), z, float(last["multiplier"]),
                             float(last["n"] / planned_n), cs.alpha, label=label, sequence=cs, unit="customers",
                             max_information=planned_n)
