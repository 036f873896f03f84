"""Restricted mean survival time: value and Greenwood-type standard error (Klein & Moeschberger
eq. 4.4.4) checked against hand arithmetic, a plain loop implementation, lifelines' point
estimate, and the sampling SD of the estimate across seeded replications."""

import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import restricted_mean_survival_time
from scipy import stats

import retention_kit as rk


def loop_rmst(durations, events, t):
    """Straightforward reference: KM by a loop over distinct times, area by a loop over the
    steps, variance sum_i A_i^2 d_i / (n_i (n_i - d_i)) with A_i the area from t_i to t."""
    data = sorted(zip(durations, events))
    times = sorted({d for d, e in data if e and d <= t})
    surv_after, at_risk, deaths = [], [], []
    s = 1.0
    for u in times:
        n = sum(1 for d, _ in data if d >= u)
        d_u = sum(1 for d, e in data if d == u and e)
        s *= 1 - d_u / n
        surv_after.append(s)
        at_risk.append(n)
        deaths.append(d_u)

    def area(a, b):  # integral of S from a to b
        total, level, prev = 0.0, 1.0, a
        for u, s_u in zip(times, surv_after):
            if u <= a:
                level = s_u
                continue
            if u >= b:
                break
            total += level * (u - prev)
            prev, level = u, s_u
        return total + level * (b - prev)

    value = area(0.0, t)
    var = 0.0
    for u, n, d_u in zip(times, at_risk, deaths):
        if n > d_u:
            var += area(u, t) ** 2 * d_u / (n * (n - d_u))
    return value, var**0.5


def test_hand_example():
    # S = 0.8 on [2,4), 0.5333 on [4,6): RMST(5) = 2 + 1.6 + 0.5333 = 4.1333.
    # Var = 2.1333^2/(5*4) + 0.5333^2/(3*2) = 0.22756 + 0.04741 = 0.27496 -> SE 0.52437.
    res = rk.rmst([2, 3, 4, 5, 6], [1, 0, 1, 0, 0], horizon=5)
    assert res.value == pytest.approx(2 + 0.8 * 2 + 0.8 * 2 / 3, abs=1e-12)
    expected_var = (0.8 * 2 + 0.8 * 2 / 3) ** 2 / 20 + (0.8 * 2 / 3) ** 2 / 6
    assert res.std_error == pytest.approx(expected_var**0.5, rel=1e-12)
    z = stats.norm.ppf(0.975)
    assert res.ci_lower == pytest.approx(res.value - z * res.std_error)
    assert res.ci_upper == pytest.approx(res.value + z * res.std_error)
    assert res.horizon == 5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_loop_implementation_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = 150
    durations = np.round(rng.exponential(10, n))  # rounding creates many ties
    events = rng.random(n) < 0.7
    t = float(np.quantile(durations, 0.8))
    res = rk.rmst(durations, events, horizon=t)
    value, se = loop_rmst(durations.tolist(), events.tolist(), t)
    assert res.value == pytest.approx(value, rel=1e-10)
    assert res.std_error == pytest.approx(se, rel=1e-10)


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
def test_value_matches_lifelines_but_not_its_variance():
    rng = np.random.default_rng(5)
    n = 400
    durations = rng.exponential(30, n)
    events = rng.random(n) < 0.8
    t = 40.0
    kmf = KaplanMeierFitter().fit(durations, events)
    ll_value, ll_var = restricted_mean_survival_time(kmf, t=t, return_variance=True)
    res = rk.rmst(durations, events, horizon=t)
    assert res.value == pytest.approx(ll_value, rel=1e-6)
    # lifelines issue #1682: its "variance" is Var[min(T, t)] across customers, about n times
    # the sampling variance of the estimate.
    assert ll_var / res.std_error**2 > n / 3


def test_standard_error_matches_sampling_sd():
    # 1,000 seeded replications of 300 customers: exponential lifetimes (mean 20), uniform
    # censoring on [0, 60], horizon 25. The estimate's SD across replications is the truth
    # the SE should reproduce; true RMST = 20 * (1 - exp(-25/20)) = 14.27.
    rng = np.random.default_rng(20240601)
    reps, n, t = 1000, 300, 25.0
    values, ses = np.empty(reps), np.empty(reps)
    for i in range(reps):
        life = rng.exponential(20, n)
        cens = rng.uniform(0, 60, n)
        res = rk.rmst(np.minimum(life, cens), life <= cens, horizon=t)
        values[i], ses[i] = res.value, res.std_error
    sd = values.std(ddof=1)
    assert np.mean(ses) == pytest.approx(sd, rel=0.08)
    assert np.mean(values) == pytest.approx(20 * (1 - np.exp(-t / 20)), abs=0.1)
    # 95 % intervals cover the truth about 95 % of the time.
    truth = 20 * (1 - np.exp(-t / 20))
    coverage = np.mean(np.abs(values - truth) <= 1.96 * ses)
    assert 0.93 <= coverage <= 0.97


def test_weights_equal_raw_rows():
    rng = np.random.default_rng(3)
    durations = rng.integers(1, 30, 500).astype(float)
    events = rng.random(500) < 0.6
    raw = rk.rmst(durations, events, horizon=20)
    agg = pd.DataFrame({"d": durations, "e": events}).groupby(["d", "e"]).size().reset_index(name="n")
    weighted = rk.rmst(agg["d"], agg["e"], horizon=20, weights=agg["n"])
    assert weighted.value == pytest.approx(raw.value, rel=1e-12)
    assert weighted.std_error == pytest.approx(raw.std_error, rel=1e-12)
    assert weighted.customers == 500


def test_curve_reaching_zero_allows_any_horizon():
    # Everyone churns: S = 0 after 3, so RMST(10) = 1 + 2/3 + 1/3 = 2 (the mean lifetime).
    res = rk.rmst([1, 2, 3], [1, 1, 1], horizon=10)
    assert res.value == pytest.approx(2.0)
    # Var = A(1)^2 * 1/(3*2) + A(2)^2 * 1/(2*1) = 1^2/6 + (1/3)^2/2 = 0.22222; last term 0.
    assert res.std_error == pytest.approx((1 / 6 + 1 / 18) ** 0.5)


def test_difference_is_b_minus_a_with_independent_se():
    a = rk.rmst([2, 3, 4, 5, 6], [1, 0, 1, 0, 0], horizon=5)
    b = rk.rmst([1, 2, 3, 5, 6], [1, 1, 0, 1, 0], horizon=5)
    diff = rk.rmst_difference([2, 3, 4, 5, 6], [1, 0, 1, 0, 0], [1, 2, 3, 5, 6], [1, 1, 0, 1, 0], horizon=5,
                              labels=("control", "loyalty"))
    assert diff.difference == pytest.approx(b.value - a.value)  # 3.6 - 4.1333
    assert diff.std_error == pytest.approx(np.sqrt(a.std_error**2 + b.std_error**2))
    z = diff.difference / diff.std_error
    assert diff.p_value == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert diff.rmst_a.label == "control" and diff.rmst_b.label == "loyalty"
    assert list(diff.summary["group"]) == ["control", "loyalty", "loyalty - control"]
    assert "loyalty" in diff.explain() and "0.5" in diff.explain()
    assert "loyalty - control" in repr(diff)
    assert "<table" in diff._repr_html_()


def test_difference_under_the_null_has_calibrated_p_values():
    # Same distribution in both groups: p < 0.05 in about 5 % of 600 seeded replications.
    rng = np.random.default_rng(11)
    pvals = []
    for _ in range(600):
        la, lb = rng.exponential(15, 200), rng.exponential(15, 200)
        ca, cb = rng.uniform(0, 40, 200), rng.uniform(0, 40, 200)
        pvals.append(rk.rmst_difference(np.minimum(la, ca), la <= ca, np.minimum(lb, cb), lb <= cb, horizon=20).p_value)
    assert 0.03 <= np.mean(np.array(pvals) < 0.05) <= 0.075


def test_result_object_reads_well():
    res = rk.rmst([2, 3, 4, 5, 6], [1, 0, 1, 0, 0], horizon=5, label="walk-in")
    assert list(res.summary.columns) == ["group", "horizon", "rmst", "std_error", "ci_lower", "ci_upper",
                                         "customers", "churned"]
    assert "4.1 days" in res.explain() and "walk-in" in res.explain()
    assert "RMSTResult(horizon=5" in repr(res)
    assert "Restricted mean survival time" in res._repr_html_()


def test_horizon_beyond_follow_up_raises():
    with pytest.raises(rk.ParameterError, match=r"horizon=10 is beyond the longest observed duration \(6\).*horizon <= 6"):
        rk.rmst([2, 3, 4, 5, 6], [1, 0, 1, 0, 0], horizon=10)


@pytest.mark.parametrize("t", [0, -1, "soon", np.nan])
def test_bad_horizon(t):
    with pytest.raises(rk.ParameterError, match="horizon="):
        rk.rmst([1, 2], [1, 0], horizon=t)


def test_bad_inputs():
    with pytest.raises(rk.DataError, match="durations has 1 missing or negative values, for example -1.0"):
        rk.rmst([1, -1], [1, 0], horizon=1)
    with pytest.raises(rk.DataError, match="event_observed must be True/False.*for example 2"):
        rk.rmst([1, 2], [1, 2], horizon=1)
    with pytest.raises(rk.DataError, match="same length"):
        rk.rmst([1, 2], [1], horizon=1)
    with pytest.raises(rk.DataError, match=r"weights must hold whole, non-negative counts.*0.5"):
        rk.rmst([1, 2], [1, 0], horizon=1, weights=[1, 0.5])
    with pytest.raises(rk.ParameterError, match="alpha=1.5"):
        rk.rmst([1, 2], [1, 0], horizon=1, alpha=1.5)
    with pytest.raises(rk.DataError, match="empty"):
        rk.rmst([], [], horizon=1)


def test_no_events_gives_zero_se_and_difference_warns():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = rk.rmst([5, 6], [0, 0], horizon=4)
    assert res.value == 4 and res.std_error == 0
    with pytest.warns(rk.SmallSampleWarning, match="no test is possible"):
        diff = rk.rmst_difference([5, 6], [0, 0], [5, 7], [0, 0], horizon=4)
    assert np.isnan(diff.p_value)
