"""Notebook 04, section 6: the numbers it prints, recomputed by hand from the bundled data.

nbval re-executes the notebook and checks that it still prints the same text; it cannot tell
whether that text is right. These tests rebuild each printed number by a different route (plain
pandas means, the delta method written out, the week arithmetic, statsmodels for the regression
adjustment) and compare it with the notebook's saved outputs.
"""

import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import retention_kit as rk

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "04_ab_test_retention.ipynb"


def _printed() -> str:
    """The saved text outputs of section 6's cells (the code cells after its heading)."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    start = next(i for i, c in enumerate(cells)
                 if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("## 6. Beyond the verdict"))
    end = next(i for i, c in enumerate(cells) if i > start and c["cell_type"] == "markdown"
               and "".join(c["source"]).startswith("## "))
    return "".join("".join(o.get("text", "")) for c in cells[start:end] if c["cell_type"] == "code"
                   for o in c.get("outputs", []))


@pytest.fixture(scope="module")
def shop():
    return rk.load_coffee_shop()


@pytest.fixture(scope="module")
def printed():
    text = _printed()
    assert text, "section 6 of notebook 04 has no saved outputs: run tools/refresh_notebooks.py"
    return text


@pytest.fixture(scope="module")
def customers(shop):
    """One row per assigned customer: arm, first basket, revenue in (0, 30 days] after assignment.

    Built without the notebook's merge: each purchase's delay is taken from a dict of assignment times."""
    assigned = dict(zip(shop.assignments["customer_id"], shop.assignments["date"]))
    tx = shop.transactions
    delay = tx["date"] - tx["customer_id"].map(assigned)
    in_month = (delay > pd.Timedelta(0)) & (delay <= pd.Timedelta(days=30))
    out = shop.assignments.set_index("customer_id")[["arm"]].copy()
    out["revenue_30d"] = 0.0
    sums = tx[in_month].groupby("customer_id")["amount"].sum()
    out.loc[sums.index, "revenue_30d"] = sums
    first = tx[delay == pd.Timedelta(0)].drop_duplicates("customer_id").set_index("customer_id")
    out["first_amount"] = first["amount"]
    out["app"] = (first["channel"] == "app").astype(float)
    out["delivery"] = (first["channel"] == "delivery").astype(float)
    return out


def _number(pattern: str, text: str) -> tuple[float, ...]:
    m = re.search(pattern, text)
    assert m, f"not printed: {pattern}"
    return tuple(float(g.replace(",", "")) for g in m.groups())


def test_every_customer_has_30_days_of_revenue(shop):
    # A customer assigned less than 30 days before the data end would have a truncated revenue_30d.
    assert shop.transactions["date"].max() - shop.assignments["date"].max() > pd.Timedelta(days=30)


def test_revenue_guardrail_by_the_delta_method_by_hand(customers, printed):
    g = customers.groupby("arm")["revenue_30d"]
    mean, var, n = g.mean(), g.var(ddof=1), g.size()
    m_t, m_c = mean["loyalty"], mean["control"]
    lift = m_t / m_c - 1
    # Delta method for R = m_t / m_c with independent arms: Var(R) ~ V_t / m_c^2 + m_t^2 V_c / m_c^4.
    se = math.sqrt(var["loyalty"] / n["loyalty"] / m_c ** 2 + m_t ** 2 * var["control"] / n["control"] / m_c ** 4)
    z95 = stats.norm.isf(0.025)
    one_sided_bound = lift - stats.norm.isf(0.05) * se
    p_noninferior = stats.norm.sf((lift + 0.05) / se)

    # The notebook's means per arm, relative lift, 95 % interval and guardrail verdict.
    assert _number(r"(?m)^control\s+(\d+)\s+([\d.]+)$", printed) == (n["control"], round(m_c, 2))
    assert _number(r"(?m)^loyalty\s+(\d+)\s+([\d.]+)$", printed) == (n["loyalty"], round(m_t, 2))
    shown = _number(r"relative lift ([+-][\d.]+)% \(95% CI ([+-][\d.]+)% to ([+-][\d.]+)%\)", printed)
    assert shown == tuple(round(100 * v, 2) for v in (lift, lift - z95 * se, lift + z95 * se))
    assert _number(r"non-inferiority p = ([\d.]+)", printed) == (round(p_noninferior, 4),)
    # Non-inferiority at one-sided 5 %: the bound is the lower end of the 90 % interval, above -5 %.
    assert one_sided_bound > -0.05 and p_noninferior < 0.05
    assert printed.rstrip().endswith("holds")
    # ... and the kit agrees with the hand computation.
    row = rk.ratio_metric(customers, "revenue_30d", margin=0.05, alpha=0.10).row
    assert row["lift_lower"] == pytest.approx(one_sided_bound, abs=1e-12)


def test_plan_in_weeks_by_hand(shop, printed):
    a = shop.assignments
    per_arm = 1377  # section 1: rk.sample_size(0.65, 0.05)
    weeks_enrolled = (a["date"].max() - a["date"].min()).total_seconds() / (7 * 86400)
    weekly = len(a) / weeks_enrolled
    readable = 2 * per_arm / weekly + 60 / 7  # enrol both arms, then horizon + window
    assert _number(r"([\d.]+) a week", printed) == (round(weekly, 1),)
    assert _number(r"can be read, in week ([\d.]+)", printed) == (round(readable, 1),)
    planned = (a["date"].min() + pd.Timedelta(weeks=readable)).normalize()
    assert f"week {readable:.1f} is {planned:%Y-%m-%d}" in printed
    # Mature on that day (assignment + 60 days within it), counted per arm.
    mature = (a["date"] + pd.Timedelta(days=60) < planned + pd.Timedelta(days=1)).groupby(a["arm"]).sum()
    assert f"mature control {mature['control']:,}, loyalty {mature['loyalty']:,}" in printed
    # The day each arm's 1,377th customer becomes mature.
    for arm, dates in a.groupby("arm")["date"]:
        day = np.sort(dates.to_numpy())[per_arm - 1] + np.timedelta64(60, "D")
        assert f"'{arm}': '{pd.Timestamp(day):%Y-%m-%d}'" in printed


def test_cuped_variance_reduction_with_statsmodels(shop, customers, printed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        life = rk.compare_retention(shop.assignments, shop.transactions, horizon="30D",
                                    churn_after="30D").lifetimes.set_index("customer_id")
    data = customers.join(life[["retained", "mature"]])
    data = data[data["mature"]]
    y = data["retained"].astype(float).to_numpy()
    t = (data["arm"] == "loyalty").to_numpy(dtype=float)
    x = data[["first_amount", "app", "delivery"]].to_numpy()
    x = x - x.mean(axis=0)
    # Lin (2013): outcome on the arm, centred covariates and their interactions; HC2 errors.
    plain = sm.OLS(y, sm.add_constant(t)).fit(cov_type="HC2")
    adjusted = sm.OLS(y, sm.add_constant(np.column_stack([t, x, x * t[:, None]]))).fit(cov_type="HC2")
    reduction = 1 - (adjusted.bse[1] / plain.bse[1]) ** 2
    assert _number(r"variance reduction: day-30 retention ([\d.]+)%", printed) == (round(100 * reduction, 1),)
    assert _number(r"(?m)^adjusted\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", printed) == tuple(
        round(100 * v, 2) for v in (adjusted.params[1], adjusted.params[1] - stats.norm.isf(0.025) * adjusted.bse[1],
                                    adjusted.params[1] + stats.norm.isf(0.025) * adjusted.bse[1]))
    assert 0 <= reduction < 0.05  # brand-new customers: (almost) nothing to gain
