"""Ratio metrics, relative lift, guardrails: statsmodels agreement, the delta method against
direct linearisation, and coverage by simulation."""

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from retention_kit.errors import DataError, ParameterError
from retention_kit.experiments import ratio_from_sums, ratio_metric

matplotlib.use("Agg")


def _revenue_per_customer(rng, n, buy, mean_value):
    """Zero-inflated lognormal revenue: P(buy) times a lognormal(sigma = 1) basket with the given mean."""
    return (rng.random(n) < buy) * rng.lognormal(math.log(mean_value) - 0.5, 1.0, n)


def _orders_and_revenue(rng, n, order_value):
    """Over-dispersed orders per customer; each customer's baskets share a value multiplier (mean 1),
    so orders of one customer are correlated. E[revenue] = order_value * E[orders]: the true ratio."""
    orders = rng.poisson(rng.gamma(1.5, 1.5, n))
    multiplier = rng.gamma(2.0, 0.5, n)
    revenue = np.where(orders > 0, rng.gamma(np.maximum(4.0 * orders, 1e-9), order_value * multiplier / 4.0), 0.0)
    return orders.astype(float), revenue


def _sums(y, x=None):
    s = {"n": len(y), "sum_y": y.sum(), "sum_y2": (y ** 2).sum()}
    if x is not None:
        s.update(sum_x=x.sum(), sum_x2=(x ** 2).sum(), sum_xy=(x * y).sum())
    return s


def test_mean_per_customer_matches_statsmodels():
    rng = np.random.default_rng(1)
    y_t, y_c = _revenue_per_customer(rng, 1500, 0.4, 30), _revenue_per_customer(rng, 1600, 0.4, 28)
    data = pd.DataFrame({"arm": ["loyalty"] * 1500 + ["control"] * 1600, "revenue": np.r_[y_t, y_c]})
    res = ratio_metric(data, "revenue")
    cm = CompareMeans(DescrStatsW(y_t), DescrStatsW(y_c))
    lo, hi = cm.zconfint_diff(alpha=0.05, usevar="unequal")  # statsmodels' unequal-variance z interval
    assert (res.row["ci_lower"], res.row["ci_upper"]) == pytest.approx((lo, hi), rel=1e-10)
    assert res.row["p_value"] == pytest.approx(cm.ztest_ind(usevar="unequal")[1], rel=1e-10)


def test_delta_method_equals_direct_linearisation():
    rng = np.random.default_rng(2)
    x, y = _orders_and_revenue(rng, 3000, 25.0)
    res = ratio_from_sums(_sums(y, x), _sums(y[:2000], x[:2000]))
    # Direct: R = mean(y) / mean(x); Var(R) = var(y - R x, ddof=1) / (n mean(x)^2) (Deng et al. 2018, eq. 3).
    r = y.mean() / x.mean()
    direct = np.var(y - r * x, ddof=1) / (len(y) * x.mean() ** 2)
    assert res.row["treatment_value"] == pytest.approx(r)
    assert res.row["treatment_se"] ** 2 == pytest.approx(direct, rel=1e-9)


def test_fieller_interval_inverts_the_test_and_agrees_with_delta_for_large_samples():
    rng = np.random.default_rng(3)
    x_t, y_t = _orders_and_revenue(rng, 20_000, 26.0)
    x_c, y_c = _orders_and_revenue(rng, 20_000, 25.0)
    f = ratio_from_sums(_sums(y_t, x_t), _sums(y_c, x_c), lift_interval="fieller").row
    d = ratio_from_sums(_sums(y_t, x_t), _sums(y_c, x_c), lift_interval="delta").row
    z = 1.959964
    for q in (1 + f["lift_lower"], 1 + f["lift_upper"]):  # on the boundary: (R_t - q R_c)^2 = z^2 (V_t + q^2 V_c)
        lhs = (f["treatment_value"] - q * f["control_value"]) ** 2
        rhs = z ** 2 * (f["treatment_se"] ** 2 + q ** 2 * f["control_se"] ** 2)
        assert lhs == pytest.approx(rhs, rel=1e-6)  # the quadratic formula loses a few digits
    assert f["lift_lower"] == pytest.approx(d["lift_lower"], abs=0.003)
    assert f["lift_upper"] == pytest.approx(d["lift_upper"], abs=0.003)


def _coverage(sims, seed, n=2000):
    rng = np.random.default_rng(seed)
    hits = {"mean diff": 0, "mean lift": 0, "ratio diff": 0, "ratio lift": 0, "ratio lift fieller": 0}
    for _ in range(sims):
        y_t, y_c = _revenue_per_customer(rng, n, 0.4, 33.0), _revenue_per_customer(rng, n, 0.4, 30.0)
        r = ratio_from_sums(_sums(y_t), _sums(y_c)).row
        truth = 0.4 * 33.0 - 0.4 * 30.0  # 1.2 per customer; lift 0.1
        hits["mean diff"] += r["ci_lower"] <= truth <= r["ci_upper"]
        hits["mean lift"] += r["lift_lower"] <= 0.1 <= r["lift_upper"]
        x_t, v_t = _orders_and_revenue(rng, n, 26.0)
        x_c, v_c = _orders_and_revenue(rng, n, 25.0)
        for method in ("delta", "fieller"):
            q = ratio_from_sums(_sums(v_t, x_t), _sums(v_c, x_c), lift_interval=method).row
            if method == "delta":
                hits["ratio diff"] += q["ci_lower"] <= 1.0 <= q["ci_upper"]
                hits["ratio lift"] += q["lift_lower"] <= 0.04 <= q["lift_upper"]
            else:
                hits["ratio lift fieller"] += q["lift_lower"] <= 0.04 <= q["lift_upper"]
    return {k: v / sims for k, v in hits.items()}


def test_delta_method_intervals_cover_revenue_per_customer_and_per_order():
    sims = 400
    cover = _coverage(sims, seed=4)
    tolerance = 3 * math.sqrt(0.05 * 0.95 / sims)  # 0.033
    for name, rate in cover.items():
        assert abs(rate - 0.95) < tolerance, (name, rate)


@pytest.mark.slow
def test_ratio_coverage_long():
    sims = 4000
    cover = _coverage(sims, seed=40)
    for name, rate in cover.items():
        assert abs(rate - 0.95) < 3 * math.sqrt(0.05 * 0.95 / sims), (name, rate)


def test_guardrail_false_pass_rate_at_the_margin():
    # True lift exactly -2 % (treatment mean 0.98 * control): a correct one-sided 5 % test
    # declares the guardrail held in at most ~5 % of experiments.
    rng = np.random.default_rng(5)
    sims, n = 600, 4000
    held = 0
    for _ in range(sims):
        y_t, y_c = _revenue_per_customer(rng, n, 0.4, 29.4), _revenue_per_customer(rng, n, 0.4, 30.0)
        held += ratio_from_sums(_sums(y_t), _sums(y_c), margin=0.02).guardrail == "holds"
    assert held / sims < 0.05 + 3 * math.sqrt(0.05 * 0.95 / sims)


def test_guardrail_verdicts_and_words():
    big = dict(n=100_000, sum_y=3_000_000.0, sum_y2=100_000 * (900 + 400.0))  # mean 30, sd 20
    same = ratio_from_sums(big, big, metric="revenue per customer", margin=0.02)
    assert same.guardrail == "holds"  # lift 0 with se 0.0094 rules out -2 %
    worse = dict(n=100_000, sum_y=2_850_000.0, sum_y2=100_000 * (28.5 ** 2 + 400.0))  # -5 %
    bad = ratio_from_sums(worse, big, margin=0.02)
    assert bad.guardrail == "violated" and "violated" in bad.explain()
    # Lower is better (refunds): a 5 % drop passes the guardrail.
    assert ratio_from_sums(worse, big, margin=0.02, higher_is_better=False).guardrail == "holds"
    assert ratio_from_sums(big, big).guardrail is None
    ax = bad.plot()
    assert ax.get_xlabel().startswith("relative lift")


def test_bayesian_reading_is_the_normal_posterior():
    # diff = 3, se = 2.5219 (the doctest arms): P(better) = Phi(3 / 2.5219) = Phi(1.18958) = 0.88289;
    # expected loss = se phi(1.18958) - 3 Phi(-1.18958) = 2.5219 * 0.19663 - 3 * 0.11711 = 0.14454.
    ctl = dict(n=3, sum_y=60, sum_y2=1400, sum_x=5, sum_x2=9, sum_xy=110)
    trt = dict(n=3, sum_y=75, sum_y2=2075, sum_x=5, sum_x2=9, sum_xy=135)
    row = ratio_from_sums(trt, ctl).row
    assert row["prob_better"] == pytest.approx(0.88289, abs=1e-5)
    assert row["expected_loss"] == pytest.approx(0.14454, abs=1e-4)


def test_ratio_errors():
    data = pd.DataFrame({"arm": ["control", "loyalty"] * 5, "revenue": [1.0] * 10, "orders": [0] * 10})
    with pytest.raises(DataError, match="denominator sums to 0"):
        ratio_metric(data, "revenue", "orders")
    with pytest.raises(DataError, match=r"Columns \['spend'\]"):
        ratio_metric(data, "spend")
    with pytest.raises(ParameterError, match="margin=2"):
        ratio_metric(data, "revenue", margin=2)
    with pytest.raises(ParameterError, match="Did you mean 'fieller'"):
        ratio_metric(data, "revenue", lift_interval="fieler")
    with pytest.raises(DataError, match="should have 0, not NaN"):
        ratio_metric(data.assign(revenue=[np.nan] + [1.0] * 9), "revenue")


def test_bayesian_decision_thresholds():
    ctl = dict(n=3, sum_y=60, sum_y2=1400, sum_x=5, sum_x2=9, sum_xy=110)
    trt = dict(n=3, sum_y=75, sum_y2=2075, sum_x=5, sum_x2=9, sum_xy=135)
    res = ratio_from_sums(trt, ctl)  # P(better) 0.8829, expected loss 0.1445 (test above)
    assert res.decision() == "inconclusive"
    assert res.decision(prob_threshold=0.85) == "ship"
    assert res.decision(prob_threshold=0.85, loss_threshold=0.1) == "inconclusive"
    assert ratio_from_sums(ctl, trt).decision(prob_threshold=0.85) == "do not ship"  # P(better) 0.1171
    assert "the decision is: inconclusive" in res.explain()


def test_relative_lift_standard_error_matches_growthbook_gbstats():
    # gbstats TestSequentialTTest.test_sequential_test_runs: SampleMeanStatistic(sum=1396.87,
    # sum_squares=52377.9767, n=3000) vs (2422.7, 134698.29, 3461): relative lift 0.50336, stddev 0.33341.
    row = ratio_from_sums(dict(n=3461, sum_y=2422.7, sum_y2=134698.29),
                          dict(n=3000, sum_y=1396.87, sum_y2=52377.9767)).row
    assert row["lift"] == pytest.approx(0.50336, abs=5e-6)
    assert (row["lift_upper"] - row["lift"]) / 1.959964 == pytest.approx(0.33341, abs=5e-6)
