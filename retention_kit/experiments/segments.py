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
from ._common import ResultMixin, check_probability, fmt_p, p_is

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

    def explain(self) -> str:
        t = self.table
        conf = f"{1 - self.alpha:.0%}"
        lines = []
        for seg, row in t.iterrows():
            lines.append(f"{seg}: {row['diff']:+.4g} ({conf} CI {row['ci_lower']:+.4g} to {row['ci_upper']:+.4g}; "
                         f"{int(row['n_treatment']):,} vs {int(row['n_control']):,} customers), p {p_is(row['p_value'])}, "
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
        """Forest plot: the effect in each segment with its interval."""
        from ..plotting import get_axes, label

        ax = get_axes(ax)
        t = self.table
        y = np.arange(len(t))[::-1]
        ax.errorbar(t["diff"], y, xerr=[t["diff"] - t["ci_lower"], t["ci_upper"] - t["diff"]], fmt="o",
                    capsize=4, **kwargs)
        ax.axvline(0, color="grey", lw=1, ls="--")
        ax.set_yticks(y, [str(s) for s in t.index])
        return label(ax, title=f"{self.title} (interaction p {fmt_p(self.interaction_p_value)})",
                     xlabel=f"{self.treatment} minus {self.control} ({1 - self.alpha:.0%} CI)", ylabel=self.segment)


def segment_effects(data: pd.DataFrame, outcome: str, segment_col: str, *, arm_col: str = "arm",
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
    segment_col : str
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
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"data must be a pandas DataFrame with one row per customer; got {type(data).__name__}.")
    alpha = check_probability(alpha, "alpha")
    correction = resolve_correction(correction)
    missing = [c for c in (outcome, segment_col, arm_col) if c not in data.columns]
    if missing:
        raise DataError(f"Columns {missing} are not in the data (columns: {list(data.columns)}).")
    arms = sorted(map(str, data[arm_col].dropna().unique()))
    if control not in arms:
        raise ParameterError(f"control={control!r} is not an arm in {arm_col!r}; the arms are {arms}.")
    others = [a for a in arms if a != control]
    if treatment is None:
        if len(others) != 1:
            raise ParameterError(f"There are {len(others)} treatment arms {others}: name one with treatment=.")
        treatment = others[0]
    elif treatment not in others:
        raise ParameterError(f"treatment={treatment!r} is not an arm other than control; choose from {others}.")
    frame = data[data[arm_col].astype(str).isin([control, treatment])]
    raw = frame[outcome]
    if not pd.api.types.is_bool_dtype(raw.dtype):
        raw = pd.to_numeric(raw, errors="coerce")
    y = pd.Series(raw.astype("Float64").to_numpy(dtype=float, na_value=np.nan), index=frame.index)
    if y.isna().any():
        raise DataError(f"{outcome!r} has {int(y.isna().sum()):,} missing or non-numeric values; keep only "
                        "customers with a known outcome.")
    if frame[segment_col].isna().any():
        raise DataError(f"{segment_col!r} is missing for {int(frame[segment_col].isna().sum()):,} customers; give "
                        "them a segment of their own (e.g. 'unknown').")
    is_t = frame[arm_col].astype(str) == treatment
    notes: list[str] = []
    z = stats.norm.isf(alpha / 2)
    cells = pd.DataFrame({"segment": frame[segment_col].to_numpy(), "treated": is_t.to_numpy(), "y": y.to_numpy()})
    agg = cells.groupby(["segment", "treated"], sort=True, observed=True)["y"].agg(["count", "mean", "var"])
    agg = agg.unstack("treated").reindex(columns=pd.MultiIndex.from_product([["count", "mean", "var"], [True, False]]))
    n_t, n_c = agg[("count", True)].fillna(0), agg[("count", False)].fillna(0)
    small = (n_t < 2) | (n_c < 2)
    for seg in agg.index[small]:
        notes.append(f"Segment {seg!r} has fewer than 2 customers in an arm and was left out.")
    agg, n_t, n_c = agg[~small], n_t[~small], n_c[~small]
    if len(agg) < 2:
        raise DataError(f"Fewer than two segments of {segment_col!r} have customers in both arms: nothing to compare.")
    diff = agg[("mean", True)] - agg[("mean", False)]
    se = np.sqrt(agg[("var", True)] / n_t + agg[("var", False)] / n_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(se > 0, 2 * stats.norm.sf(np.abs(diff) / se), np.nan)
    table = pd.DataFrame({"n_treatment": n_t.astype(np.int64), "n_control": n_c.astype(np.int64),
                          "treatment_mean": agg[("mean", True)], "control_mean": agg[("mean", False)],
                          "diff": diff, "std_error": se, "ci_lower": diff - z * se, "ci_upper": diff + z * se,
                          "p_value": p})
    table.index.name = segment_col
    table["p_value_adjusted"] = adjust_p_values(table["p_value"].to_numpy(), correction)
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
