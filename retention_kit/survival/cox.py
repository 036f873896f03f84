"""Cox proportional hazards: :func:`cox_drivers` and :class:`CoxDrivers`, the drivers of churn.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._options import check_alpha as _check_alpha
from ..errors import DataError, ParameterError, ProportionalHazardsWarning
from ..plotting import get_axes, label
from ..results import explains, render_html, Result
from ..validation import require_columns
from ._common import as_list, lifetime_groups


_MAX_EXPANDED_ROWS = 2_000_000


@dataclass
class CoxDrivers(Result):
    """Cox proportional-hazards model of churn, read as hazard ratios."""

    hazard_ratios: pd.DataFrame
    ph_test: pd.DataFrame
    fitter: object
    customers: int
    churned: int
    alpha: float

    @property
    def summary(self) -> pd.DataFrame:
        """One row per term: ``covariate``, ``level``, ``reference``, ``hazard_ratio``,
        ``ci_lower``, ``ci_upper``, ``p_value`` and the PH check ``ph_p_value``."""
        return self.hazard_ratios

    def plot(self, ax=None, **kwargs):
        """Forest plot of the hazard ratios on a log scale (1 = no effect). Returns the Axes.

        ``kwargs`` go to the hazard ratios' points and intervals (``Axes.errorbar``), e.g.
        ``color=`` or ``label=``."""
        from matplotlib.lines import Line2D

        from ..plotting import artist_kwargs

        ax = get_axes(ax)
        hr = self.hazard_ratios.iloc[::-1]
        names = [f"{r.covariate}: {r.level} vs {r.reference}" if isinstance(r.reference, str) and r.reference
                 else str(r.covariate) for r in hr.itertuples()]
        y = np.arange(len(hr))
        ax.errorbar(hr["hazard_ratio"], y, xerr=[hr["hazard_ratio"] - hr["ci_lower"],
                                                 hr["ci_upper"] - hr["hazard_ratio"]],
                    **artist_kwargs(kwargs, Line2D, fmt="o", color="#4c72b0", capsize=3))
        ax.axvline(1.0, color="grey", ls="--", lw=1, label="1 = no difference")
        ax.set_xscale("log")
        from ..plotting import ratio_axis

        ratio_axis(ax, "x")
        ax.set_yticks(y)
        ax.set_yticklabels(names)
        ax.set_ylim(-0.6, len(hr) - 0.4)
        return label(ax, title="Drivers of churn: hazard ratios (Cox model)",
                     xlabel="hazard ratio (log scale): > 1 churns sooner, < 1 stays longer, 1 = no difference",
                     ylabel="")

    @explains
    def explain(self) -> str:
        parts = [f"Cox model on {self.customers:,} customers ({self.churned:,} churned)."]
        for r in self.hazard_ratios.itertuples():
            what = f"{r.covariate} = {r.level} (vs {r.reference})" if r.reference else f"one more unit of {r.covariate}"
            change = (f"{1 - r.hazard_ratio:.0%} lower" if r.hazard_ratio < 1
                      else f"{r.hazard_ratio - 1:.0%} higher")
            parts.append(f"{what}: churn hazard {change} (hazard ratio {r.hazard_ratio:.2f}, "
                         f"{1 - self.alpha:.0%} interval {r.ci_lower:.2f} to {r.ci_upper:.2f}, p = {r.p_value:.3g}).")
        bad = self.ph_test[self.ph_test["p_value"] < self.alpha]
        if len(bad):
            parts.append(
                "Proportional-hazards check: the effect of " + ", ".join(bad["term"]) + " seems to change "
                f"over the customer's lifetime (test p < {self.alpha:g}), so its single hazard ratio is an average "

                "over time; compare Kaplan-Meier curves of those groups, or stratify on them.")
        else:
            parts.append("Proportional-hazards check: no term's effect was found to change over the "
                         "lifetime (all test p >= 0.05), so one hazard ratio per term is a fair summary.")
        parts.append("Hazard ratios describe associations; only randomised terms (an experiment arm) "
                     "read as causal effects.")
        return " ".join(parts)

    def __repr__(self) -> str:
        return "CoxDrivers\n" + self.hazard_ratios.to_string(index=False)

    title = "Drivers of churn (Cox proportional hazards)"

    def _repr_html_(self) -> str:
        return render_html(self.title, self.hazard_ratios, [self.explain()])


def cox_drivers(lifetimes: pd.DataFrame, *, covariates, weights_col: str | None = None,
                reference: dict | None = None, alpha: float = 0.05, penalizer: float = 0.0,
                duration_col: str = "duration", event_col: str = "churned") -> CoxDrivers:
    """Cox proportional-hazards model of churn with a readable hazard-ratio table.

    Text, category and boolean covariates become one indicator per level against a
    reference level (the most common one unless ``reference={"col": "level"}``); numeric
    covariates enter as they are. The proportional-hazards assumption (that each effect
    is the same at every age of the customer) is checked with lifelines'
    ``proportional_hazard_test`` (Kaplan-Meier time transform, as R's ``cox.zph``): a
    test of whether the scaled Schoenfeld residuals trend with time. A failure raises a
    :class:`ProportionalHazardsWarning` and is explained in plain words.

    Weighted (aggregated) input is expanded to one row per customer before fitting:
    lifelines' Efron handling of tied durations with case weights is not the same as
    on the equivalent raw rows, so fitting the weights directly would give a different
    answer. More than 2,000,000 expanded rows raise :class:`ParameterError`.

    Examples
    --------
    >>> import retention_kit as rk
    >>> shop = rk.load_coffee_shop()
    >>> life = rk.customer_lifetimes(shop.transactions, churn_after=60, by=["channel"])
    >>> cox = cox_drivers(life, covariates=["channel"], reference={"channel": "walk-in"})
    >>> cox.summary[["level", "reference"]].values.tolist()
    [['app', 'walk-in'], ['delivery', 'walk-in']]
    """
    alpha = _check_alpha(alpha)
    covariates, reference = _check_covariates(covariates, reference)
    _, groups = lifetime_groups(lifetimes, None, weights_col, "all", duration_col, event_col)
    g = groups["all"]
    require_columns(lifetimes, {"covariates": c for c in covariates}, what="lifetimes")
    design, terms = _design_matrix(lifetimes[covariates].reset_index(drop=True), g.weights, reference)
    design["duration"] = g.durations
    design["churned"] = g.events.astype(int)
    if weights_col is not None:
        design = _expand_counts(design, g.weights, weights_col)
    if design["churned"].sum() == 0:
        raise DataError("No customer churned: a Cox model needs events.")
    cph, ph_table = _fit_cox(design, alpha, penalizer)
    table = _hazard_ratio_table(cph.summary, terms, ph_table)
    bad = ph_table[ph_table["p_value"] < 0.05]
    if len(bad):
        warnings.warn(
            f"The proportional-hazards check fails for {list(bad['term'])} (p < 0.05): their effect "
            "changes over the lifetime, so each hazard ratio is a time average. See .explain().",
            ProportionalHazardsWarning, stacklevel=2)
    return CoxDrivers(hazard_ratios=table, ph_test=ph_table, fitter=cph, customers=int(len(design)),
                      churned=int(design["churned"].sum()), alpha=alpha)


def _check_covariates(covariates, reference) -> tuple[list, dict]:
    """The covariates as a non-empty list, and ``reference`` as a dict naming only covariates."""
    covariates = as_list(covariates)
    if not covariates:
        raise ParameterError("covariates=[...] must name at least one column.")
    reference = dict(reference or {})
    for col in reference:
        if col not in covariates:
            raise ParameterError(f"reference names {col!r}, which is not among covariates={covariates}.")
    return covariates, reference


def _design_matrix(data: pd.DataFrame, weights: np.ndarray, reference: dict) -> tuple[pd.DataFrame, list]:
    """The Cox design: numeric covariates as they are, the others one 0/1 column per level
    against a reference level (``reference``, else the level with the most customers).

    Returns the design and its terms, ``(column, covariate, level, reference level)``; the
    reference level is ``""`` for a numeric covariate."""
    na = data.isna().any(axis=1)
    if na.any():
        raise DataError(f"Covariates {list(data.columns)} are missing in {int(na.sum()):,} rows; fill or drop them.")
    design = pd.DataFrame(index=data.index)
    terms = []
    for col in data.columns:
        s = data[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            design[col] = s.astype(float)
            terms.append((col, col, str(col), ""))
            continue
        s = s.astype(str)
        counts = pd.Series(weights, index=s.index).groupby(s).sum().sort_values(ascending=False, kind="stable")
        ref = _reference_level(col, counts, reference)
        for level in sorted(counts.index):
            if level != ref:
                name = f"{col}[{level}]"
                design[name] = (s == level).astype(float)
                terms.append((name, col, level, ref))
    return design, terms


def _reference_level(col, counts: pd.Series, reference: dict) -> str:
    """The reference level of a categorical covariate: the one asked for, else the most common."""
    ref = str(reference.get(col, counts.index[0]))
    if ref not in counts.index:
        close = difflib.get_close_matches(ref, counts.index.tolist(), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ParameterError(f"reference[{col!r}]={ref!r} is not a level of {col!r}.{hint} "
                             f"Levels: {sorted(counts.index)}.")
    if len(counts) < 2:
        raise DataError(f"Covariate {col!r} has a single level ({ref!r}): it explains nothing.")
    return ref


def _expand_counts(design: pd.DataFrame, weights: np.ndarray, weights_col: str) -> pd.DataFrame:
    """One row per customer from aggregated rows (lifelines' Efron ties with case weights
    differ from the raw rows), within :data:`_MAX_EXPANDED_ROWS`."""
    total = int(weights.sum())
    if total > _MAX_EXPANDED_ROWS:
        raise ParameterError(
            f"weights_col={weights_col!r} stands for {total:,} customers; the Cox fit expands "
            f"them to rows (Efron ties with weights differ from raw rows) and is limited to "
            f"{_MAX_EXPANDED_ROWS:,}. Fit a random sample of customers instead.")
    return design.loc[np.repeat(design.index.to_numpy(), weights.astype(int))].reset_index(drop=True)


def _fit_cox(design: pd.DataFrame, alpha: float, penalizer: float):
    """The fitted lifelines ``CoxPHFitter`` and its proportional-hazards test per term
    (``term``, ``test_statistic``, ``p_value``)."""
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    cph = CoxPHFitter(alpha=alpha, penalizer=penalizer)
    cph.fit(design, duration_col="duration", event_col="churned")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=Warning)
        # "km" (R's cox.zph default) rather than "rank": lifelines' rank transform is a cumsum
        # over rows, so tied durations get ranks by row order and the p-value changes when
        # the same customers are shuffled or expanded from counts.
        ph = proportional_hazard_test(cph, design, time_transform="km").summary
    ph_table = pd.DataFrame({"term": ph.index.astype(str), "test_statistic": ph["test_statistic"].to_numpy(),
                             "p_value": ph["p"].to_numpy()})
    return cph, ph_table


def _hazard_ratio_table(s: pd.DataFrame, terms: list, ph_table: pd.DataFrame) -> pd.DataFrame:
    """One row per term of the design: hazard ratio, interval and p-values from lifelines'
    summary ``s`` and the proportional-hazards test."""
    lower = [c for c in s.columns if c.startswith("exp(coef) lower")][0]
    upper = [c for c in s.columns if c.startswith("exp(coef) upper")][0]
    ph_p = ph_table.set_index("term")["p_value"]
    rows = [{"covariate": col, "level": level, "reference": ref,
             "hazard_ratio": float(s.loc[name, "exp(coef)"]), "ci_lower": float(s.loc[name, lower]),
             "ci_upper": float(s.loc[name, upper]), "p_value": float(s.loc[name, "p"]),
             "ph_p_value": float(ph_p.loc[name])} for name, col, level, ref in terms]
    return pd.DataFrame(rows)
