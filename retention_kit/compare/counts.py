"""Comparisons without timestamps: from counts per arm (``{arm: (n, retained)}``, computed
in a warehouse, say) and from one row per customer with an arm and a retained flag.

The public names are re-exported by :mod:`retention_kit.compare`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._options import check_alpha, choose, legacy_arguments
from ..errors import DataError, ParameterError
from ..multiple_testing import resolve_correction
from .options import CI_METHODS, check_control, read_prior, resolve_primary
from .peeking import warn_peeking
from .proportions import fixed_horizon
from .result import RetentionComparison
from .srm import sample_ratio_check, warn_srm
from .verdicts import add_verdicts

__all__ = ["compare_retained", "compare_retention_counts"]


def _read_counts(counts) -> pd.DataFrame:
    """``{arm: (n, retained)}`` or a DataFrame with ``n`` and ``retained`` columns -> frame."""
    if isinstance(counts, pd.DataFrame):
        missing = [c for c in ("n", "retained") if c not in counts.columns]
        if missing:
            raise DataError(f"counts is missing the column(s) {missing}; it needs 'n' and 'retained', "
                            "indexed by arm.")
        frame = counts[["n", "retained"]].copy()
    elif isinstance(counts, dict):
        rows = {}
        for arm, value in counts.items():
            try:
                n, retained = value
            except (TypeError, ValueError):
                raise DataError(f"counts[{arm!r}] = {value!r}: give (n, retained), e.g. "
                                "{'control': (1200, 420), 'loyalty': (1180, 470)}.") from None
            rows[arm] = (n, retained)
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=["n", "retained"])
    else:
        raise DataError(f"counts must be a dict {{arm: (n, retained)}} or a DataFrame, got {type(counts).__name__}.")
    for col in ("n", "retained"):
        raw = frame[col]
        flags = raw.map(lambda v: isinstance(v, (bool, np.bool_)))
        if pd.api.types.is_bool_dtype(raw) or flags.any():
            arm = frame.index[flags][0] if flags.any() else frame.index[0]
            raise DataError(f"counts: {col} of arm {arm!r} is {raw.loc[arm]!r}, a boolean; {col} must be a "
                            "count of customers (a whole number >= 0), not a flag.")
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        # Beyond 2**63 the int64 cast would wrap to a negative number; no experiment is that big.
        bad = (values.isna() | ~np.isfinite(values) | (values < 0) | (values != np.round(values))
               | (values >= 2.0 ** 63))
        if bad.any():
            arm = frame.index[bad][0]
            value = frame.loc[arm, col]
            value = value.item() if hasattr(value, "item") else value
            raise DataError(f"counts: {col} of arm {arm!r} is {value!r}; {col} must be a "
                            f"whole number >= 0 ({int(bad.sum())} arm(s) affected).")
        frame[col] = values.astype(np.int64)
    over = frame["retained"] > frame["n"]
    if over.any():
        arm = frame.index[over][0]
        raise DataError(f"counts: arm {arm!r} has retained={frame.loc[arm, 'retained']:,} > "
                        f"n={frame.loc[arm, 'n']:,}; retained counts customers among n.")
    frame.index = frame.index.map(str) if frame.index.dtype == object else frame.index
    frame.index.name = "arm"
    return frame


@legacy_arguments(positional=("control",))
def compare_retention_counts(counts, *, control: str = "control", alpha: float = 0.05,
                             ci_method: str = "newcombe", correction: str = "holm", prior=(1.0, 1.0),
                             planned_split=None, planned_n=None, looks: int | None = None,
                             primary: str = "fixed_horizon") -> RetentionComparison:
    """Compare retention rates from aggregated counts (computed in a warehouse, say).

    Each arm gives ``(n, retained)``: the number of *mature* customers (``start + H + w <=
    as_of``: their horizon H and the window w after it have elapsed) and how many of them
    had activity in ``(start + H, start + H + w]`` (see the module docstring; w is usually
    ``churn_after``). Counting "retained" with an open end (any activity after H up to
    the as-of date) makes the rate grow with the date of the query. The result is the
    fixed-horizon part of :func:`compare_retention`: the sample ratio check is made on these ``n``.

    Parameters
    ----------
    counts : dict or DataFrame
        ``{arm: (n, retained)}``, or a DataFrame indexed by arm with columns ``n``, ``retained``.
    control : str
        The control arm; every other arm is compared with it.
    alpha : float
        Significance level; intervals have confidence ``1 - alpha``.
    ci_method : {"newcombe", "wald"}
        Interval for the difference: Newcombe's hybrid score (sound for small counts and
        rates near 0 or 1) or the textbook Wald interval.
    correction : {"holm", "bh", "bonferroni", "none"}
        Adjustment of the p-values for several treatment arms; ``ci_lower_adjusted`` and
        ``ci_upper_adjusted`` are the matching intervals.
    prior : (a, b)
        Beta prior of every arm's retention rate for the Bayesian view (uniform by default).
    planned_split : dict, optional
        Planned share per arm for the sample ratio check; equal shares by default.
    planned_n : int or SampleSizePlan, optional
        Planned mature customers per arm: comparing earlier raises a :class:`PeekingWarning`.
    looks : int, optional
        How many times the result has been looked at, for the peeking warning.
    primary : {"fixed_horizon"}
        The analysis behind ``verdict``; counts have only the fixed-horizon test.

    Returns
    -------
    RetentionComparison

    Examples
    --------
    >>> res = compare_retention_counts({"control": (1000, 300), "loyalty": (1000, 350)})
    >>> row = res.summary.loc["loyalty"]
    >>> round(float(row["diff"]), 3), round(float(row["p_value"]), 4)  # z = 0.05 / sqrt(.325*.675*2/1000)
    (0.05, 0.017)
    >>> round(float(row["ci_lower"]), 4), round(float(row["ci_upper"]), 4)
    (0.0089, 0.0908)
    """
    alpha = check_alpha(alpha)
    ci_method = choose(ci_method, CI_METHODS, "ci_method")
    correction = resolve_correction(correction)
    prior = read_prior(prior)
    primary = resolve_primary(primary, has_curves=False)
    table = _read_counts(counts)
    check_control(control, table.index)
    if looks is not None and planned_n is None:
        raise ParameterError("looks is only used with planned_n (the planned customers per arm).")
    notes: list[str] = []
    srm = sample_ratio_check(table["n"], planned_split=planned_split)
    warn_srm(srm, notes)
    warn_peeking(table, planned_n, looks, alpha, notes)
    summary = fixed_horizon(table, control, alpha=alpha, ci_method=ci_method, correction=correction,
                            prior=prior, notes=notes)
    add_verdicts(summary, primary, alpha)
    return RetentionComparison(table=summary, control=control, control_n=int(table.loc[control, "n"]),
                               alpha=alpha, ci_method=ci_method, correction=correction, prior=prior,
                               srm=srm, notes=notes, primary=primary)



def compare_retained(data: pd.DataFrame, *, arm_col: str = "arm", retained_col: str = "retained",
                     customer_col: str | None = None, control: str = "control", alpha: float = 0.05,
                     ci_method: str = "newcombe", correction: str = "holm", prior=(1.0, 1.0),
                     planned_split=None, planned_n=None, looks: int | None = None,
                     primary: str = "fixed_horizon") -> RetentionComparison:
    """Compare retention from one row per customer: the arm and a retained flag.

    The per-customer form of :func:`compare_retention_counts` (an A/B export without
    timestamps, e.g. a game's ``version`` and ``retention_7``): the rows are counted per
    arm and compared exactly as the counts ``{arm: (n, retained)}`` would be. As there,
    every row must be a *mature* customer, one whose horizon and window have elapsed.

    Parameters
    ----------
    data : DataFrame
        One row per customer with ``arm_col`` and ``retained_col``.
    arm_col : str
        The column of the experiment's arm.
    retained_col : str
        The retained flag: True/False, 1/0 or text Yes/No, True/False, retained/churned (any
        case). Anything else, missing values included, is refused with the values and their count.
    customer_col : str, optional
        The customer id column; given, a customer in two rows is refused (it would be counted twice).
    control, alpha, ci_method, correction, prior, planned_split, planned_n, looks, primary
        As in :func:`compare_retention_counts`.

    Returns
    -------
    RetentionComparison

    Examples
    --------
    >>> table = pd.DataFrame({"version": ["gate_30"] * 100 + ["gate_40"] * 100,
    ...                       "retention_7": ["Yes"] * 40 + ["No"] * 60 + ["Yes"] * 50 + ["No"] * 50})
    >>> res = compare_retained(table, arm_col="version", retained_col="retention_7", control="gate_30")
    >>> res.summary.loc["gate_40", ["n", "retained"]].astype(int).tolist()
    [100, 50]
    >>> same = compare_retention_counts({"gate_30": (100, 40), "gate_40": (100, 50)}, control="gate_30")
    >>> res.summary.equals(same.summary)
    True
    """
    from ..validation import parse_flags, plain_ids, require_columns

    require_columns(data, {"arm_col": arm_col, "retained_col": retained_col, "customer_col": customer_col},
                    what="data")
    if len(data) == 0:
        raise DataError("data is empty (0 rows): there is no experiment to analyse.")
    no_arm = data[arm_col].isna()
    if no_arm.any():
        raise DataError(f"Column {arm_col!r} (arm_col) is missing in {int(no_arm.sum()):,} of {len(data):,} rows "
                        f"(first at index {data.index[no_arm.to_numpy()][0]!r}): every customer needs an arm. "
                        f"Drop or fix those rows, e.g. data = data.dropna(subset=[{arm_col!r}]).")
    if customer_col is not None:
        ids = data[customer_col]
        if ids.isna().any():
            raise DataError(f"Column {customer_col!r} (customer_col) is missing in {int(ids.isna().sum()):,} rows: "
                            f"every row is one customer. Drop or fix those rows, e.g. "
                            f"data = data.dropna(subset=[{customer_col!r}]).")
        ids = plain_ids(ids, customer_col)
        dup = ids.duplicated(keep=False)
        if dup.any():
            example = ids[dup].iloc[0]
            raise DataError(
                f"Column {customer_col!r} (customer_col) repeats {int(ids[dup].nunique()):,} customers in "
                f"{int(dup.sum()):,} rows (for example {example!r}, in arms "
                f"{data.loc[(ids == example).to_numpy(), arm_col].tolist()}): each customer is counted once. "
                f"Keep one row per customer (data.drop_duplicates({customer_col!r})) and investigate "
                "customers in two arms: they break the randomisation.")
    retained = parse_flags(data[retained_col], retained_col, what="retained flag (retained_col)",
                           true_word="retained", false_word="churned")
    arms = data[arm_col].to_numpy()
    counts = (pd.DataFrame({"arm": arms, "retained": retained.astype(np.int64)})
              .groupby("arm", sort=True, observed=True)["retained"].agg(["size", "sum"])
              .rename(columns={"size": "n", "sum": "retained"}))
    return compare_retention_counts(counts, control=control, alpha=alpha, ci_method=ci_method,
                                    correction=correction, prior=prior, planned_split=planned_split,
                                    planned_n=planned_n, looks=looks, primary=primary)
