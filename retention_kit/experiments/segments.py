"""Effects by segment: did the loyalty programme work better for some customers?

Looking at every segment and reporting the one with a small p-value is the forking path
that manufactures findings. Two guards:

* **The interaction (heterogeneity) test** asks the real question first: do the segment
  effects differ more than chance allows? Cochran's Q = sum w_i (d_i - d_w)^2 with
  w_i = 1 / se_i^2 and d_w the weighted mean, chi-square with k - 1 degrees of freedom
  under a common effect (the Wald test of the arm-by-segment interaction).
* **Adjusted p-values** per segment (Holm by default, see
  :func:`retention_kit.adjust_p_values`), so the chance of any false alarm over the k
  segments stays at alpha.

The segment must be fixed **before assignment** (acquisition channel, country, tenure at
assignment); a segment the treatment can change (e.g. "used the app after the launch")
breaks the randomisation and its effects mean nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError, ParameterError
from ..multiple_testing import CORRECTIONS, adjust_p_values, resolve_correction
from ._common import ResultMixin, check_probability, fmt_p, outcome_values, p_is, two_arms
from ..results import explains
from .._options import renamed

__all__ = ["SegmentEffects", "segment_effects"]


@dataclass(repr=False)
class SegmentEffects(ResultMixin):
    """Treatment minus control within each segment, the interaction test and adjusted p-values."""

    table: pd.DataFrame
    outcome: str
    segment: str
    control: str
    treatment: str
    alpha: float
    correction: str
    q_statistic: float
    q_df: int
    interaction_p_value: float
    notes: list = field(default_factory=list)

    @property
    def summary(self) -> pd.DataFrame:
        return self.table

    @property
    def title(self) -> str:
        return f"{self.outcome} by {self.segment}: {self.treatment} vs {self.control}"

    @explains
    def explain(self) -> str:
        t = self.table
        conf = f"{1 - self.alpha:.0%}"
        lines = []
        for seg, row in t.iterrows():
            lines.append(f"{seg}: {row['diff']:+.4g} ({conf} CI {row['ci_lower']:+.4g} to {row['ci_upper']:+.4g}; "
                         f"{int(row['n_treatment']):,} vs {int(row['n_control']):,} customers), "
                         f"p {p_is(row['p_value'])}, "
                         f"adjusted {fmt_p(row['p_value_adjusted'])}.")
        differ = self.interaction_p_value < self.alpha
        lines.append(
            f"Do the effects differ between segments? Interaction test (Cochran's Q = {self.q_statistic:.2f} on "
            f"{self.q_df} degrees of freedom): p {p_is(self.interaction_p_value)}. " +
            ("The effect depends on the segment." if differ else
             "No evidence that it does: report the overall effect, and treat segment differences as noise "
             "unless a new experiment confirms them."))
        lines.append(f"Per-segment p-values are adjusted with {CORRECTIONS[self.correction]} for the "
                     f"{len(t)} segments.")
        lines.extend(self.notes)
        return "\n".join(lines)

    def plot(self, ax=None, **kwargs):
        """Forest plot: the effect in each segment with its interval. Returns the Axes.

        ``kwargs`` go to the segments' points and intervals (``Axes.errorbar``), e.g. ``color=``
        or ``label=``."""
        from matplotlib.lines import Line2D

        from ..plotting import artist_kwargs, get_axes, label

        ax = get_axes(ax)
        t = self.table
        y = np.arange(len(t))[::-1]
        ax.errorbar(t["diff"], y, xerr=[t["diff"] - t["ci_lower"], t["ci_upper"] - t["diff"]],
                    **artist_kwargs(kwargs, Line2D, fmt="o", capsize=4))
        ax.axvline(0, color="grey", lw=1, ls="--")
        ax.set_yticks(y, [str(s) for s in t.index])
        return label(ax, title=f"{self.title} (interaction p {fmt_p(self.interaction_p_value)})",
                     xlabel=f"{self.treatment} minus {self.control} ({1 - self.alpha:.0%} CI)", ylabel=self.segment)


@renamed(segment_col="by")
def segment_effects(data: pd.DataFrame, outcome: str, by: str, *, arm_col: str = "arm",
                    control: str = "control", treatment: str | None = None, alpha: float = 0.05,
                    correction: str = "holm") -> SegmentEffects:
    """Difference in a per-customer outcome within each pre-assignment segment, with the
    interaction test and multiplicity-adjusted p-values.

    Parameters
    ----------
    data : DataFrame
        One row per customer with a known outcome.
    outcome : str
        Retained (bool / 0-1) or a number per customer.
    by : str
        A segment fixed before assignment.
    arm_col, control, treatment : str
    alpha : float
    correction : {"holm", "bh", "bonferroni", "none"}

    Returns
    -------
    SegmentEffects

    Examples
    --------
    Two segments with differences 0.10 and 0.00. Unpooled variances (ddof 1): app
    (0.24 + 0.25) / 499 = 0.00098196, web 0.5 / 249 = 0.0020080; weights 1018.4 and 498.0;
    weighted mean 101.84 / 1516.4 = 0.067159; Q = 1018.4 * 0.032841^2 + 498.0 * 0.067159^2 = 3.344.

    >>> import pandas as pd
    >>> rows = []
    >>> for seg, n, p_t, p_c in [("app", 500, 0.6, 0.5), ("web", 250, 0.5, 0.5)]:
    ...     for arm, p in (("loyalty", p_t), ("control", p_c)):
    ...         k = round(n * p)
    ...         rows += [(seg, arm, 1)] * k + [(seg, arm, 0)] * (n - k)
    >>> data = pd.DataFrame(rows, columns=["channel", "arm", "retained"])
    >>> res = segment_effects(data, "retained", "channel")
    >>> res.summary["diff"].round(2).tolist(), round(res.q_statistic, 3)
    ([0.1, 0.0], 3.344)
    """
    segment_col = by
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"data must be a pandas DataFrame with one row per customer; got {type(data).__name__}.")
    alpha = check_probability(alpha, "alpha")
    correction = resolve_correction(correction)
    missing = [c for c in (outcome, segment_col, arm_col) if c not in data.columns]
    if missing:
        raise DataError(f"Columns {missing} are not in the data (columns: {list(data.columns)}).")
    treatment, is_t, is_c = two_arms(data, arm_col, control, treatment)
    frame = data[is_t | is_c]
    is_t = is_t[is_t | is_c]
    y = pd.Series(outcome_values(frame[outcome], outcome), index=frame.index)
    if frame[segment_col].isna().any():
        raise DataError(f"{segment_col!r} is missing for {int(frame[segment_col].isna().sum()):,} customers; give "
                        "them a segment of their own (e.g. 'unknown').")
    notes: list[str] = []
    z = stats.norm.isf(alpha / 2)
    codes, labels = pd.factorize(frame[segment_col], sort=True)
    treated = is_t
    values = y.to_numpy()
    k = len(labels)

    def moments(mask):
        """Count, mean and variance (ddof 1, two passes) per segment within one arm."""
        c, v = codes[mask], values[mask]
        n = np.bincount(c, minlength=k).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.bincount(c, weights=v, minlength=k) / n
            var = np.bincount(c, weights=(v - mean[c]) ** 2, minlength=k) / (n - 1)
        return n, mean, var

    (n_t, mean_t, var_t), (n_c, mean_c, var_c) = moments(treated), moments(~treated)
    small = (n_t < 2) | (n_c < 2)
    for seg in labels[small]:
        notes.append(f"Segment {seg!r} has fewer than 2 customers in an arm and was left out.")
    keep = ~small
    if keep.sum() < 2:
        raise DataError(f"Fewer than two segments of {segment_col!r} have customers in both arms: nothing to compare.")
    n_t, n_c, mean_t, mean_c, var_t, var_c = (a[keep] for a in (n_t, n_c, mean_t, mean_c, var_t, var_c))
    diff = mean_t - mean_c
    se = np.sqrt(var_t / n_t + var_c / n_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(se > 0, 2 * stats.norm.sf(np.abs(diff) / se), np.nan)
    table = pd.DataFrame({"n_treatment": n_t.astype(np.int64), "n_control": n_c.astype(np.int64),
                          "treatment_mean": mean_t, "control_mean": mean_c, "diff": diff, "std_error": se,
                          "ci_lower": diff - z * se, "ci_upper": diff + z * se, "p_value": p},
                         index=pd.Index(labels[keep]))
    table.index.name = segment_col
    table["p_value_adjusted"] = adjust_p_values(table["p_value"].to_numpy(), correction=correction)
    ok = table["std_error"] > 0
    w = 1.0 / table.loc[ok, "std_error"] ** 2
    d = table.loc[ok, "diff"]
    pooled = float((w * d).sum() / w.sum())
    q = float((w * (d - pooled) ** 2).sum())
    q_df = int(ok.sum()) - 1
    if not ok.all():
        notes.append("Segments whose outcome does not vary in either arm have no standard error and were left out "
                     "of the interaction test.")
    return SegmentEffects(table, outcome, segment_col, control, treatment, alpha, correction, q, q_df,
                          float(stats.chi2.sf(q, q_df)) if q_df > 0 else float("nan"), notes)
