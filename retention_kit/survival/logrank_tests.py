"""Log-rank tests: :func:`logrank` (two or more groups, :class:`LogrankResult`) and
:func:`pairwise_logrank` (every pair, with a multiple-testing correction, :class:`PairwiseLogrank`).
"""

from __future__ import annotations

import warnings
from itertools import combinations
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._options import check_alpha as _check_alpha, legacy_arguments, renamed_attributes
from ..errors import DataError, ParameterError
from ..multiple_testing import adjust_p_values, CORRECTIONS, resolve_correction
from ..results import explains, render_html, Result
from ._common import as_list, group_name, km_steps, lifetime_groups


@dataclass
class LogrankResult(Result):
    """Log-rank test that the groups' survival curves are equal."""

    test_statistic: float
    p_value: float
    degrees_of_freedom: int
    table: pd.DataFrame
    by: list
    alpha: float = 0.05  # the level of the verdict in explain()

    @property
    def summary(self) -> pd.DataFrame:
        """Per group: customers, observed and expected churn under equal curves; test row last."""
        test = pd.DataFrame([{"group": "log-rank test", "test_statistic": self.test_statistic,
                              "degrees_of_freedom": self.degrees_of_freedom, "p_value": self.p_value}])
        return pd.concat([self.table, test], ignore_index=True)

    @explains
    def explain(self) -> str:
        worst = self.table.assign(ratio=self.table["observed"] / self.table["expected"])
        hi = worst.loc[worst["ratio"].idxmax()]
        verdict = ("unlikely under equal retention" if self.p_value < self.alpha
                   else "compatible with equal retention")
        return (
            f"Log-rank test across {len(self.table)} groups: chi-square {self.test_statistic:,.2f} "
            f"on {self.degrees_of_freedom} df, p = {self.p_value:.3g}, a difference {verdict}. "
            f"{hi['group']} churned most relative to expectation ({hi['observed']:,.0f} observed vs "
            f"{hi['expected']:,.1f} expected). The test weighs all times equally and has most power "
            "when one curve stays below the other; it measures evidence, not the size of the gap "
            "(see rmst or survival_at for that)."
        )

    def __repr__(self) -> str:
        return (f"LogrankResult(test_statistic={self.test_statistic:.4g}, p_value={self.p_value:.4g}, "
                f"degrees_of_freedom={self.degrees_of_freedom})\n" + self.table.to_string(index=False))

    title = "Log-rank test"

    def _repr_html_(self) -> str:
        return render_html(self.title, self.summary, [self.explain()])


def _at_risk(durations: np.ndarray, weights: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Weighted number of customers with duration >= each time."""
    order = np.argsort(durations, kind="stable")
    tail = np.r_[np.cumsum(weights[order][::-1])[::-1], 0.0]
    return tail[np.searchsorted(durations[order], times, side="left")]


def logrank_groups(groups: dict, by, alpha: float = 0.05) -> LogrankResult:
    """The log-rank test of already grouped lifetimes (``_Group`` per name). Internal to the
    package, not exported: shared by :func:`logrank`, :func:`pairwise_logrank` and
    :meth:`SurvivalCurves.logrank <retention_kit.survival.curves.SurvivalCurves.logrank>`."""
    from lifelines.statistics import multivariate_logrank_test

    names = list(groups)
    d = np.concatenate([g.durations for g in groups.values()])
    e = np.concatenate([g.events for g in groups.values()])
    w = np.concatenate([g.weights for g in groups.values()])
    labels = np.repeat(np.arange(len(names)), [len(g.durations) for g in groups.values()])
    keep = w > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=Warning)
        res = multivariate_logrank_test(d[keep], labels[keep], e[keep], weights=w[keep])
    # Observed and expected churn per group, for the table (the same sums the test uses).
    times, _, deaths, _ = km_steps(d[keep], e[keep], w[keep])
    at_risk_all = _at_risk(d[keep], w[keep], times)
    rows = []
    for name in names:
        g = groups[name]
        expected = float((deaths * _at_risk(g.durations, g.weights, times) / at_risk_all).sum())
        rows.append({"group": group_name(name), "customers": g.customers, "observed": g.churned,
                     "expected": expected})
    return LogrankResult(test_statistic=float(res.test_statistic), p_value=float(res.p_value),
                         degrees_of_freedom=len(names) - 1, table=pd.DataFrame(rows), by=list(by),
                         alpha=alpha)


def logrank(lifetimes: pd.DataFrame, *, by, weights_col: str | None = None,
            alpha: float = 0.05, duration_col: str = "duration", event_col: str = "churned") -> LogrankResult:
    """Log-rank test that two or more groups have the same survival curve.

    Runs lifelines' ``multivariate_logrank_test`` (with two groups it equals
    ``logrank_test``) with the plain log-rank weighting. ``weights_col`` holds whole
    counts, for which the weighted test equals the test on raw rows (the variance uses
    ``n - 1`` of the counts).

    Parameters
    ----------
    lifetimes : DataFrame
        Columns ``duration``, ``churned`` and the ``by`` column(s).
    by : str or list of str
        Column(s) defining the groups; at least two groups are needed.
    weights_col : str, optional
        Counts of identical customers per row (aggregated input).
    alpha : float
        Level at which ``explain()`` calls the difference unlikely under equal retention.

    Returns
    -------
    LogrankResult
        ``.test_statistic`` (chi-square), ``.p_value``, ``.degrees_of_freedom``,
        ``.summary`` (observed and expected churn per group).

    Examples
    --------
    >>> life = pd.DataFrame({"duration": [2, 3, 4, 5, 6, 1, 2, 3, 5, 6],
    ...                      "churned": [1, 0, 1, 0, 0, 1, 1, 0, 1, 0],
    ...                      "arm": ["a"] * 5 + ["b"] * 5})
    >>> res = logrank(life, by="arm")
    >>> round(res.test_statistic, 4), round(res.p_value, 4)  # = lifelines.statistics.logrank_test
    (0.4314, 0.5113)
    """
    alpha = _check_alpha(alpha)
    if by is None or not as_list(by):
        raise ParameterError("logrank needs by='<column>' naming the groups to compare.")
    by_cols, groups = lifetime_groups(lifetimes, by, weights_col, None, duration_col, event_col)
    if len(groups) < 2:
        raise DataError(f"Column(s) {by_cols} hold only {len(groups)} group(s) with customers: a "
                        "log-rank test needs at least two.")
    if sum(g.churned for g in groups.values()) == 0:
        raise DataError("No customer churned in any group: the log-rank test has nothing to compare.")
    return logrank_groups(groups, by_cols, alpha)


# --------------------------------------------------------------------------------------
# Pairwise log-rank with multiple-testing correction
# --------------------------------------------------------------------------------------


@renamed_attributes(method="correction")
@dataclass
class PairwiseLogrank(Result):
    """Log-rank tests for every pair of groups, with p-values adjusted by ``correction``
    (``method`` until 0.2.0; ``.method`` still reads it, with a ``FutureWarning``)."""

    table: pd.DataFrame
    correction: str
    alpha: float

    @property
    def summary(self) -> pd.DataFrame:
        return self.table

    @explains
    def explain(self) -> str:
        n = len(self.table)
        sig = self.table[self.table["reject"]]
        pairs = "; ".join(f"{r.group_a} vs {r.group_b} (adjusted p = {r.p_adjusted:.3g})"
                          for r in sig.itertuples()) or "none"
        return (f"{n} pairwise log-rank tests, p-values adjusted with {CORRECTIONS[self.correction]}, "
                f"kept at {self.alpha:.0%}. Pairs that differ: {pairs}.")

    def __repr__(self) -> str:
        return f"PairwiseLogrank(correction={self.correction!r})\n" + self.table.to_string(index=False)

    title = "Pairwise log-rank tests"

    def _repr_html_(self) -> str:
        return render_html(self.title, self.table, [self.explain()])


@legacy_arguments(renamed={"method": "correction"})
def pairwise_logrank(lifetimes: pd.DataFrame, *, by, weights_col: str | None = None,
                     correction: str = "holm", alpha: float = 0.05, duration_col: str = "duration",
                     event_col: str = "churned") -> PairwiseLogrank:
    """Log-rank test for each pair of groups, p-values adjusted for multiple testing.

    Each pair runs our two-group :func:`logrank` (weighted counts allowed), not
    lifelines' ``pairwise_logrank_test``, which takes no weights. The adjustment is
    :func:`~retention_kit.multiple_testing.adjust_p_values`, the same as for several
    experiment arms: ``correction="holm"`` (default), ``"bh"`` (``"fdr_bh"``),
    ``"bonferroni"`` or ``"none"`` (``method`` until 0.2.0).

    Examples
    --------
    >>> life = pd.DataFrame({"duration": [1, 2, 3, 4, 2, 3, 5, 6, 5, 6, 7, 8],
    ...                      "churned": [1] * 12, "seg": list("aaaabbbbcccc")})
    >>> pairwise_logrank(life, by="seg").summary[["group_a", "group_b"]].values.tolist()
    [['a', 'b'], ['a', 'c'], ['b', 'c']]
    """
    correction = resolve_correction(correction, "correction")
    alpha = _check_alpha(alpha)
    by_cols, groups = lifetime_groups(lifetimes, by, weights_col, None, duration_col, event_col)
    if len(groups) < 2:
        raise DataError(f"Column(s) {by_cols} hold fewer than two groups: nothing to compare.")
    rows = []
    for ka, kb in combinations(groups, 2):
        res = logrank_groups({ka: groups[ka], kb: groups[kb]}, by_cols)
        rows.append({"group_a": group_name(ka), "group_b": group_name(kb),
                     "test_statistic": res.test_statistic, "p_value": res.p_value})
    table = pd.DataFrame(rows)
    table["p_adjusted"] = adjust_p_values(table["p_value"].to_numpy(), correction=correction)

    table["reject"] = table["p_adjusted"] < alpha
    return PairwiseLogrank(table=table, correction=correction, alpha=alpha)
