"""Power for survival endpoints and calendar-time plans: published examples, closed forms,
and simulations that check the promised power (quick seeded runs; long ones marked slow)."""

import math

import matplotlib
import numpy as np
import pytest
from lifelines.statistics import logrank_test

import retention_kit as rk
from retention_kit.errors import ParameterError
from retention_kit.experiments import (
    calendar_plan, event_plan, hazard_ratio_sample_size, rmst_sample_size, rmst_variance, spending_boundaries,
)

matplotlib.use("Agg")


# ---------------------------------------------------------------------------------------
# Schoenfeld
# ---------------------------------------------------------------------------------------

def test_schoenfeld_events_hand_arithmetic_and_published_designs():
    # 4 (1.959964 + 0.841621)^2 / log(0.7)^2 = 4 * 7.848879 / 0.1272170 = 246.787 (scipy norm quantiles)
    assert hazard_ratio_sample_size(0.7).events_exact == pytest.approx(246.787, abs=1e-3)
    # One-sided 0.025, 90 % power, HR 0.7: 4 (1.959964 + 1.281552)^2 / 0.1272170 = 330.378, the 330.4 events
    # of rpact getSampleSizeSurvival(typeOfComputation = "Schoenfeld") quoted in public validation suites.
    one_sided = hazard_ratio_sample_size(0.7, alpha=0.025, sides=1, power=0.9)
    assert one_sided.events_exact == pytest.approx(330.378, abs=1e-3)
    # Allocation 2:1 (p = 2/3): p (1 - p) = 2/9 instead of 1/4, so 9/8 as many events.
    assert hazard_ratio_sample_size(0.7, allocation=2 / 3).events_exact == pytest.approx(246.787 * 9 / 8, abs=1e-3)


def test_schoenfeld_times_spending_inflation_reproduces_gsdesign_gssurv():
    # gsDesign vignette "SAS PROC SEQDESIGN comparison": gsSurv(k = 4, test.type = 2, alpha = 0.025, beta = 0.1,
    # sfu = sfLDOF, hr = 0.5, method = "Schoenfeld") needs 89.07847 events (SAS: 89.07847), with Z bounds
    # 4.33263, 2.96313, 2.35904, 2.01409.
    design = spending_boundaries(looks=4, alpha=0.05, sides=2)
    assert design.boundaries == pytest.approx([4.33263, 2.96313, 2.35904, 2.01409], abs=2e-5)
    fixed = hazard_ratio_sample_size(0.5, power=0.9).events_exact  # 4 * 10.50742 / log(2)^2 = 87.479
    assert fixed == pytest.approx(87.4793, abs=1e-3)
    assert fixed * design.inflation_factor(0.9) == pytest.approx(89.07847, abs=2e-3)


def test_customers_from_churn_probability():
    plan = hazard_ratio_sample_size(0.7, churn_control=0.5)
    # treatment churn 1 - 0.5^0.7 = 0.384428; average 0.442214; 246.787 / 0.442214 = 558.07 -> 559
    assert plan.churn_treatment == pytest.approx(0.384428, abs=1e-6)
    assert (plan.events, plan.customers, plan.n_control, plan.n_treatment) == (247, 559, 280, 280)
    assert "247 observed churn events" in plan.explain()
    assert hazard_ratio_sample_size(0.7).customers is None


def test_hazard_ratio_errors():
    with pytest.raises(ParameterError, match="hazard_ratio=1 is no effect"):
        hazard_ratio_sample_size(1.0)
    with pytest.raises(ParameterError, match="hazard_ratio=-0.5 must be a positive number"):
        hazard_ratio_sample_size(-0.5)
    with pytest.raises(ParameterError, match="allocation"):
        hazard_ratio_sample_size(0.8, allocation=1.5)


def _logrank_z(durations, events, arm):
    """Log-rank z statistic (treatment minus expected) for untied continuous times."""
    order = np.argsort(durations, kind="stable")
    e, a = events[order], arm[order]
    n = len(durations)
    at_risk = n - np.arange(n)
    at_risk_t = np.cumsum(a[::-1])[::-1]
    expected = at_risk_t / at_risk
    observed_minus_expected = np.sum(e * (a - expected))
    variance = np.sum(e * expected * (1 - expected))
    return observed_minus_expected / math.sqrt(variance)


def _simulate_hr_power(plan, horizon, sims, seed):
    rng = np.random.default_rng(seed)
    lam_c = -math.log(1 - plan.churn_control) / horizon
    n_c, n_t = plan.n_control, plan.n_treatment
    arm = np.r_[np.zeros(n_c), np.ones(n_t)]
    rates = np.r_[np.full(n_c, lam_c), np.full(n_t, lam_c * plan.hazard_ratio)]
    crit = 1.959964
    hits = 0
    for _ in range(sims):
        life = rng.exponential(1 / rates)
        events = life < horizon
        hits += abs(_logrank_z(np.minimum(life, horizon), events, arm)) >= crit
    return hits / sims


def test_numpy_logrank_matches_lifelines():
    rng = np.random.default_rng(5)
    for _ in range(3):
        life = rng.exponential(50, 400) * np.r_[np.ones(200), np.full(200, 1.3)]
        events = life < 60
        d, arm = np.minimum(life, 60), np.r_[np.zeros(200), np.ones(200)]
        ref = logrank_test(d[arm == 1], d[arm == 0], events[arm == 1], events[arm == 0])
        assert _logrank_z(d, events, arm) ** 2 == pytest.approx(ref.test_statistic, rel=1e-10)


def test_schoenfeld_delivers_promised_power():
    plan = hazard_ratio_sample_size(0.7, churn_control=0.5)  # 559 customers, 80 % power
    power = _simulate_hr_power(plan, horizon=60, sims=600, seed=2026)
    assert abs(power - 0.80) < 3 * math.sqrt(0.8 * 0.2 / 600)  # 3 Monte-Carlo errors = 0.049


@pytest.mark.slow
def test_schoenfeld_delivers_promised_power_long():
    for hr, alloc, target in [(0.7, 0.5, 0.8), (0.8, 2 / 3, 0.9)]:
        plan = hazard_ratio_sample_size(hr, churn_control=0.4, allocation=alloc, power=target)
        power = _simulate_hr_power(plan, horizon=30, sims=5000, seed=7)
        assert abs(power - target) < 3 * math.sqrt(target * (1 - target) / 5000) + 0.01


# ---------------------------------------------------------------------------------------
# RMST
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("hazard,tau", [(0.01, 60), (0.05, 30), (0.002, 365)])
def test_rmst_variance_equals_closed_form_without_censoring(hazard, tau):
    # Complete follow-up: KM RMST = mean of min(T, tau), so n Var = Var(min(T, tau)) with
    # E min = (1 - e^{-h tau}) / h and E min^2 = 2 / h^2 (1 - e^{-h tau} (1 + h tau)).
    mean = (1 - math.exp(-hazard * tau)) / hazard
    second = 2 / hazard ** 2 * (1 - math.exp(-hazard * tau) * (1 + hazard * tau))
    assert rmst_variance(hazard, tau) == pytest.approx(second - mean ** 2, rel=1e-8)


def _simulate_rmst(plan, hazard_c, hazard_t, sims, seed, accrual=None, min_follow_up=None):
    rng = np.random.default_rng(seed)
    tau = plan.horizon
    diffs, z = [], []
    for _ in range(sims):
        est = []
        for n, lam in ((plan.n_control, hazard_c), (plan.n_treatment, hazard_t)):
            life = rng.exponential(1 / lam, n)
            follow = np.full(n, tau) if accrual is None else min_follow_up + rng.uniform(0, accrual, n)
            limit = np.minimum(follow, tau)
            est.append(rk.rmst(np.minimum(life, limit), life < limit, horizon=tau))
        d = est[1].value - est[0].value
        diffs.append(d)
        z.append(d / math.hypot(est[0].std_error, est[1].std_error))
    return np.array(diffs), np.array(z)


def test_rmst_sample_size_delivers_promised_power_with_rk_rmst():
    plan = rmst_sample_size(60, churn_control=0.4, hazard_ratio=0.8)  # 2,137 customers
    lam_c = -math.log(0.6) / 60
    diffs, z = _simulate_rmst(plan, lam_c, 0.8 * lam_c, sims=300, seed=31)
    power = np.mean(np.abs(z) >= 1.959964)
    assert abs(power - 0.80) < 3 * math.sqrt(0.8 * 0.2 / 300)  # 0.069
    # The planned standard error is the sampling SD of the difference (chi-square error of an SD: ~1/sqrt(2*299) = 4 %).
    assert np.std(diffs, ddof=1) == pytest.approx(plan.standard_error(plan.n_control, plan.n_treatment), rel=0.12)


def test_rmst_variance_with_staggered_entry_matches_simulation():
    # Entry uniform over 28 days, analysis 40 days after the last entry: follow-up uniform on [40, 68],
    # so customers entering late are censored before tau = 60.
    plan = rmst_sample_size(60, churn_control=0.4, hazard_ratio=0.8, accrual=28, min_follow_up=40)
    complete = rmst_sample_size(60, churn_control=0.4, hazard_ratio=0.8)
    assert plan.variance_control > complete.variance_control
    lam_c = -math.log(0.6) / 60
    diffs, _ = _simulate_rmst(plan, lam_c, 0.8 * lam_c, sims=300, seed=32, accrual=28, min_follow_up=40)
    assert np.std(diffs, ddof=1) == pytest.approx(plan.standard_error(plan.n_control, plan.n_treatment), rel=0.12)


@pytest.mark.slow
def test_rmst_power_long():
    plan = rmst_sample_size(90, churn_control=0.5, churn_treatment=0.42, power=0.9)
    lam_c, lam_t = -math.log(0.5) / 90, -math.log(0.58) / 90
    _, z = _simulate_rmst(plan, lam_c, lam_t, sims=3000, seed=33)
    assert abs(np.mean(np.abs(z) >= 1.959964) - 0.9) < 3 * math.sqrt(0.09 / 3000) + 0.01


def test_rmst_errors_and_words():
    with pytest.raises(ParameterError, match="exactly one"):
        rmst_sample_size(60, churn_control=0.4)
    with pytest.raises(ParameterError, match="both accrual"):
        rmst_sample_size(60, churn_control=0.4, hazard_ratio=0.8, accrual=10)
    with pytest.raises(ParameterError, match="must exceed the horizon"):
        rmst_variance(0.01, 60, accrual=10, min_follow_up=20)
    plan = rmst_sample_size(60, churn_control=0.4, hazard_ratio=0.8)
    assert "2,137 customers" in plan.explain() and "RMSTPlan" in repr(plan)


# ---------------------------------------------------------------------------------------
# Calendar time
# ---------------------------------------------------------------------------------------

def test_event_plan_reproduces_sas_and_gsdesign_calendar_times():
    # gsDesign vignette "SAS PROC SEQDESIGN comparison": accrual 15 per unit for 18 units, lambdaC 0.03466,
    # HR 0.5, 89.07847 events at equally spaced information: analysis times 11.26310, 16.28750, 20.49260,
    # 25.13323 and subjects 168.95, 244.31, 270, 270 (SAS fractional-time table).
    weekly = 1 - math.exp(-0.03466)
    plan = event_plan(89.07847, 15, enrolment_weeks=18, churn_control=weekly, hazard_ratio=0.5, looks=4)
    assert plan.summary["week"].tolist() == pytest.approx([11.26310, 16.28750, 20.49260, 25.13323], abs=1e-4)
    assert plan.summary["enrolled"].tolist() == pytest.approx([168.95, 244.31, 270, 270], abs=0.01)
    # Same vignette, ceiling-time table: expected events at times 12, 17, 21, 26 (gsDesign eEvents).
    assert plan.expected_events(np.array([12, 17, 21, 26])).tolist() == pytest.approx(
        [25.11225, 48.22068, 69.38712, 92.92776], abs=1e-4)


def test_event_plan_detection_delay_shifts_every_look():
    base = event_plan(100, 20, enrolment_weeks=10, churn_control=0.05, hazard_ratio=0.8, looks=3)
    late = event_plan(100, 20, enrolment_weeks=10, churn_control=0.05, hazard_ratio=0.8, looks=3, churn_after="2W")
    assert (late.summary["week"] - base.summary["week"]).tolist() == pytest.approx([2, 2, 2], abs=1e-8)
    with pytest.raises(ParameterError, match="cannot be reached"):
        event_plan(500, 20, enrolment_weeks=10, churn_control=0.05, hazard_ratio=0.8)


def test_calendar_plan_and_its_sequential_design():
    plan = calendar_plan(2754, 500, horizon="30D", churn_after="30D", information_fractions=[0.4, 0.7, 1.0])
    # enrolment 2754 / 500 = 5.508 weeks; delay 60 / 7 = 8.5714; look k at 8.5714 + t_k * 5.508
    assert plan.summary["week"].tolist() == pytest.approx([8.5714 + 0.4 * 5.508, 8.5714 + 0.7 * 5.508, 14.0794],
                                                          abs=1e-3)
    assert plan.summary["information"].tolist() == pytest.approx([1101.6, 1927.8, 2754])
    design = plan.sequential_design()
    assert design.information_fractions.tolist() == [0.4, 0.7, 1.0]
    assert "not at the end of enrolment (week 5.5)" in plan.explain()
    ax = plan.plot()
    assert ax.get_xlabel() == "calendar week since the start"
    with pytest.raises(ParameterError, match="not both"):
        calendar_plan(100, 10, looks=2, information_fractions=[0.5, 1])
    with pytest.raises(ParameterError, match="customers_per_week"):
        calendar_plan(100, 0)


def test_information_at_planned_calendar_weeks():
    # 2,754 at 500 a week: enrolment 5.508 weeks, delay 60/7 = 8.5714; information at week c is
    # (c - 8.5714) / 5.508 of the total, capped at 1: 0.2594, 0.6225, 0.9856, 1.
    plan = calendar_plan(2754, 500, horizon="30D", churn_after="30D", look_weeks=[10, 12, 14, 16])
    expected = [(10 - 60 / 7) / 5.508, (12 - 60 / 7) / 5.508, (14 - 60 / 7) / 5.508, 1.0]
    assert plan.summary["information_fraction"].tolist() == pytest.approx(expected, abs=1e-9)
    assert plan.readable_week == pytest.approx(60 / 7 + 5.508)
    # Events at the SAS ceiling-time analysis weeks 12, 17, 21, 26 (gsDesign vignette), as fractions of 89.07847.
    weekly = 1 - math.exp(-0.03466)
    events = event_plan(89.07847, 15, enrolment_weeks=18, churn_control=weekly, hazard_ratio=0.5,
                        look_weeks=[12, 17, 21, 26])
    assert (events.summary["information_fraction"] * 89.07847).tolist() == pytest.approx(
        [25.11225, 48.22068, 69.38712, 92.92776], abs=1e-4)
    assert events.readable_week == pytest.approx(25.13323, abs=1e-4)
    with pytest.raises(ParameterError, match="not both"):
        calendar_plan(100, 10, looks=2, look_weeks=[5, 9])
    with pytest.raises(ParameterError, match="increasing positive week numbers"):
        calendar_plan(100, 10, look_weeks=[9, 5])


def test_calendar_plan_window_overrides_churn_after():
    # Mature at horizon + window: 30 + 14 days = 6.2857 weeks of delay instead of 60 / 7.
    plan = calendar_plan(1000, 100, horizon="30D", churn_after="30D", window="14D")
    assert plan.delay_weeks == pytest.approx(44 / 7)
    assert plan.readable_week == pytest.approx(44 / 7 + 10)
