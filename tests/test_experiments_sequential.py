"""Group-sequential boundaries and confidence sequences: published tables, an independent
implementation, and calibration by simulation (quick seeded runs here, long ones marked slow)."""

import math

import matplotlib
import numpy as np
import pytest

import retention_kit as rk
from retention_kit.errors import DataError, ParameterError
from retention_kit.experiments import (
    classical_boundaries, confidence_sequence, crossing_probabilities, sequential_test, spending_boundaries,
)
from retention_kit.experiments.confidence_sequences import _mixture_multiplier, _mixture_rho

matplotlib.use("Agg")

# Jennison & Turnbull (2000), Group Sequential Methods with Applications to Clinical Trials,
# Table 2.1 (Pocock constants C_P(K, alpha), two-sided) and Table 2.3 (O'Brien-Fleming C_B(K, alpha)).
POCOCK = {
    0.01: {2: 2.772, 3: 2.873, 4: 2.939, 5: 2.986},
    0.05: {1: 1.960, 2: 2.178, 3: 2.289, 4: 2.361, 5: 2.413, 6: 2.453, 8: 2.512, 10: 2.555},
    0.10: {2: 1.875, 3: 1.992, 4: 2.067, 5: 2.122},
}
OBRIEN_FLEMING = {
    0.01: {2: 2.580, 3: 2.595, 4: 2.609, 5: 2.621},
    0.05: {1: 1.960, 2: 1.977, 3: 2.004, 4: 2.024, 5: 2.040, 6: 2.053, 8: 2.072, 10: 2.087},
    0.10: {2: 1.678, 3: 1.710, 4: 1.733, 5: 1.751},
}
# Jennison & Turnbull (2000) Table 2.2 (Pocock) and Table 2.4 (O'Brien-Fleming): maximum sample
# size over the fixed sample size, R(K, alpha = 0.05, power).
INFLATION = {
    ("pocock", 0.8): {2: 1.110, 3: 1.166, 4: 1.202, 5: 1.229},
    ("pocock", 0.9): {2: 1.100, 3: 1.151, 4: 1.183, 5: 1.207},
    ("obrien-fleming", 0.8): {2: 1.008, 3: 1.017, 4: 1.024, 5: 1.028},
    ("obrien-fleming", 0.9): {2: 1.007, 3: 1.016, 4: 1.022, 5: 1.026},
}


@pytest.mark.parametrize("alpha,K,expected", [(a, k, c) for a, row in POCOCK.items() for k, c in row.items()])
def test_pocock_constants_match_jennison_turnbull_table_2_1(alpha, K, expected):
    design = classical_boundaries(K, alpha=alpha, shape="pocock")
    assert design.boundaries == pytest.approx([expected] * K, abs=5e-4)
    assert design.cumulative_alpha[-1] == pytest.approx(alpha, abs=1e-7)


@pytest.mark.parametrize("alpha,K,expected", [(a, k, c) for a, row in OBRIEN_FLEMING.items()
                                              for k, c in row.items()])
def test_obrien_fleming_constants_match_jennison_turnbull_table_2_3(alpha, K, expected):
    design = classical_boundaries(K, alpha=alpha, shape="obrien-fleming")
    # c_k = C_B sqrt(K / k): the last look carries C_B itself.
    assert design.boundaries[-1] == pytest.approx(expected, abs=5e-4)
    assert design.boundaries == pytest.approx(expected * np.sqrt(K / np.arange(1, K + 1)), abs=5e-4 * math.sqrt(K))


@pytest.mark.parametrize("shape,power", list(INFLATION))
def test_inflation_factors_match_jennison_turnbull_tables_2_2_and_2_4(shape, power):
    for K, expected in INFLATION[(shape, power)].items():
        assert classical_boundaries(K, shape=shape).inflation_factor(power) == pytest.approx(expected, abs=6e-4)


def test_classical_obrien_fleming_matches_rpact():
    # rpact test-f_design_group_sequential.R: getDesignInverseNormal() (kMax 3, one-sided 0.025, "OF")
    # criticalValues 3.4710914, 2.4544323, 2.0040356; alphaSpent 0.00025917372, 0.0071600594, 0.025.
    design = classical_boundaries(3, alpha=0.025, shape="obrien-fleming", sides=1)
    assert design.boundaries == pytest.approx([3.4710914, 2.4544323, 2.0040356], abs=2e-6)
    assert design.cumulative_alpha == pytest.approx([0.00025917372, 0.0071600594, 0.025], abs=1e-8)


def test_obrien_fleming_spending_matches_gsdesign_and_rpact():
    # gsDesign(k = 3, test.type = 1, alpha = 0.025, sfu = sfLDOF)$upper$bound and
    # rpact getDesignGroupSequential(kMax = 3, alpha = 0.025, typeOfDesign = "asOF"): 3.7103, 2.5114, 1.9930.
    design = spending_boundaries(looks=3, alpha=0.025, sides=1)
    assert design.boundaries == pytest.approx([3.7103, 2.5114, 1.9930], abs=5e-5)
    # Spent by t = 1/3: 2 - 2 Phi(2.2414 / sqrt(1/3)) = 2 - 2 Phi(3.8822) = 0.00010351 (scipy norm.sf).
    assert design.cumulative_alpha[0] == pytest.approx(0.00010351, abs=1e-8)


def test_pocock_spending_matches_rpact_at_unequal_fractions():
    # rpact test-f_design_group_sequential.R, x6a: getDesignGroupSequential(kMax = 3, alpha = 0.13,
    # typeOfDesign = "asP", informationRates = c(0.35, 0.7, 1), non-binding futility):
    # alphaSpent 0.061214062, 0.10266465, 0.13; criticalValues 1.5446617, 1.4828682, 1.4620058.
    design = spending_boundaries([0.35, 0.7, 1.0], alpha=0.13, spending="pocock", sides=1)
    assert design.cumulative_alpha == pytest.approx([0.061214062, 0.10266465, 0.13], abs=1e-8)
    assert design.boundaries == pytest.approx([1.5446617, 1.4828682, 1.4620058], abs=2e-6)


def test_two_sided_design_spends_half_on_each_side():
    # gsDesign test.type = 2 / rpact sided = 2 convention: two-sided 0.05 = one-sided 0.025 boundaries
    # (the chance of crossing the far side after continuing is below 1e-9 here).
    two = spending_boundaries(looks=4, alpha=0.05, sides=2)
    one = spending_boundaries(looks=4, alpha=0.025, sides=1)
    assert two.boundaries == pytest.approx(one.boundaries, abs=1e-6)
    assert two.cumulative_alpha[-1] == pytest.approx(0.05)


def test_crossing_probabilities_agree_with_the_independent_peeking_calculation():
    # compare.peeking_false_positive_rate is a separate implementation of the same integral
    # (Armitage, McPherson & Rowe 1969, Table 2: 2 looks 0.083, 5 looks 0.142, 10 looks 0.193).
    for K, published in [(2, 0.083), (5, 0.142), (10, 0.193)]:
        ours = crossing_probabilities([1.96] * K, np.arange(1, K + 1))["cumulative"].iloc[-1]
        assert ours == pytest.approx(rk.peeking_false_positive_rate(K), abs=2e-5)
        assert round(ours, 3) == published


def test_spending_boundaries_hold_alpha_at_unplanned_fractions():
    # Recomputing the boundaries at the fractions reached keeps the exact rate at alpha
    # (the exact integral of the boundaries it returns).
    for spending in ("obrien-fleming", "pocock"):
        design = spending_boundaries([0.18, 0.41, 0.47, 0.83, 1.0], alpha=0.05, spending=spending)
        total = design.crossing_probabilities(0.0)["cumulative"].iloc[-1]
        assert total == pytest.approx(0.05, abs=1e-6)
        assert np.all(np.diff(design.cumulative_alpha) > 0)


def _simulated_rejection(bounds, fractions, drift, sims, seed, sides=2):
    """Share of simulated score paths (independent normal increments) that cross."""
    rng = np.random.default_rng(seed)
    info = np.asarray(fractions, float)
    steps = rng.standard_normal((sims, len(info))) * np.sqrt(np.diff(np.concatenate([[0], info])))
    score = np.cumsum(steps + drift * np.diff(np.concatenate([[0], info])), axis=1)
    z = score / np.sqrt(info)
    hit = np.abs(z) >= bounds if sides == 2 else z >= bounds
    return hit.any(axis=1).mean()


def test_simulated_false_positive_rate_with_five_looks():
    sims = 40_000  # binomial error at 0.05: sqrt(0.05 * 0.95 / 40000) = 0.0011
    t = np.arange(1, 6) / 5
    for spending in ("obrien-fleming", "pocock"):
        rate = _simulated_rejection(spending_boundaries(t, spending=spending).boundaries, t, 0.0, sims, seed=18)
        assert abs(rate - 0.05) < 4 * 0.0011
    naive = _simulated_rejection(np.full(5, 1.959964), t, 0.0, sims, seed=18)
    assert abs(naive - 0.142) < 4 * math.sqrt(0.142 * 0.858 / sims)  # exact 0.142 (AMR 1969)


def test_simulated_false_positive_rate_from_retention_data():
    # Bernoulli customers, 30 % retained in both arms, pooled z-test at 5 looks of 400 customers per arm.
    rng = np.random.default_rng(7)
    sims, per_look, K = 4_000, 400, 5
    t = np.arange(1, K + 1) / K
    bounds = spending_boundaries(t, spending="pocock").boundaries
    x_t = rng.binomial(per_look, 0.3, size=(sims, K)).cumsum(axis=1)
    x_c = rng.binomial(per_look, 0.3, size=(sims, K)).cumsum(axis=1)
    n = per_look * np.arange(1, K + 1)
    pooled = (x_t + x_c) / (2 * n)
    z = (x_t - x_c) / n / np.sqrt(pooled * (1 - pooled) * 2 / n)
    sequential = (np.abs(z) >= bounds).any(axis=1).mean()
    naive = (np.abs(z) >= 1.959964).any(axis=1).mean()
    se = math.sqrt(0.05 * 0.95 / sims)  # 0.0034
    assert abs(sequential - 0.05) < 4 * se
    assert naive > 0.05 + 10 * se  # the inflation without it (exact 0.142 for normal data)


def test_power_of_the_design_matches_simulation():
    t = np.array([0.3, 0.6, 1.0])
    design = spending_boundaries(t)
    drift = 2.8  # expected final z
    exact = design.power(drift)
    simulated = _simulated_rejection(design.boundaries, t, drift, 20_000, seed=3)
    assert abs(simulated - exact) < 4 * math.sqrt(exact * (1 - exact) / 20_000)


def test_sequential_test_decisions():
    # Boundaries 3.7103, 2.5114, 1.9930 (gsDesign, one-sided 0.025, three equal looks).
    res = sequential_test([1.2, 2.6], [100, 200], 300, alpha=0.025, sides=1)
    assert res.stop and res.stopped_at == 2
    assert res.summary["z_boundary"].round(4).tolist() == [3.7103, 2.5114]
    running = sequential_test([1.2, 2.4], [100, 200], 300, alpha=0.025, sides=1)
    assert running.decision == "continue" and not running.stop
    final = sequential_test([1.2, 2.4, 1.9], [100, 200, 300], 300, alpha=0.025, sides=1)
    assert final.decision.startswith("final")
    # Stopped early at a smaller final information: final=True spends the rest there.
    short = sequential_test([0.5, 2.0], [100, 250], 300, alpha=0.025, sides=1, final=True)
    assert short.design.cumulative_alpha[-1] == pytest.approx(0.025)
    assert "Continue" in running.explain() and "Stop at look 2" in res.explain()
    assert repr(res).startswith("SequentialTest: looks against the boundaries: stop") and "<h4" in res._repr_html_()


def test_sequential_test_rejects_bad_input():
    with pytest.raises(ParameterError, match="one of each per look"):
        sequential_test([1.0, 2.0], [100], 300)
    with pytest.raises(ParameterError, match="increase strictly"):
        sequential_test([1.0, 2.0], [200, 100], 300)
    with pytest.raises(ParameterError, match="Only the last look"):
        sequential_test([1.0, 2.0], [300, 400], 300)
    with pytest.raises(ParameterError, match="Did you mean 'pocock'"):
        spending_boundaries(looks=3, spending="pocok")
    with pytest.raises(ParameterError, match="must not exceed 1"):
        spending_boundaries([0.5, 1.5])
    with pytest.raises(ParameterError, match="sides"):
        spending_boundaries(looks=3, sides=3)
    with pytest.raises(ParameterError, match="information_fractions .* or looks"):
        spending_boundaries()


def test_design_presentation():
    design = spending_boundaries(looks=4)
    s = design.summary
    assert list(s.columns) == ["information_fraction", "z_boundary", "nominal_p", "alpha_spent", "cumulative_alpha"]
    assert s["alpha_spent"].sum() == pytest.approx(0.05)
    assert "Look 4 at 100% of the information: stop if |z| >= 2.014 (p <= 0.044)." in design.explain()
    ax = design.plot_boundaries()
    assert ax.get_xlabel() == "information fraction" and "O'Brien-Fleming" in ax.get_title()
    ax = sequential_test([1.0, 2.0], [0.25, 0.5], 1.0).plot_boundaries()
    assert ax.get_ylabel() == "z statistic"


# ---------------------------------------------------------------------------------------
# Confidence sequence
# ---------------------------------------------------------------------------------------

def test_mixture_boundary_equals_howard_et_al_form():
    # Howard et al. (2021) eq. (14), two-sided normal mixture on the sum S_n with variance V = n s^2 and
    # mixing precision r = s^2 / rho^2: |S_n| <= sqrt((V + r) log((V + r) / (r alpha^2))).
    # Divided by n and by the standard error s / sqrt(n) it is the multiplier we use.
    alpha, n_star, s = 0.05, 5000, 0.47
    rho = _mixture_rho(alpha, n_star)
    for n in (50, 800, 5000, 60_000):
        V, r = n * s ** 2, s ** 2 / rho ** 2
        howard = math.sqrt((V + r) * math.log((V + r) / (r * alpha ** 2))) / n
        assert _mixture_multiplier(n, alpha, rho) * s / math.sqrt(n) == pytest.approx(howard, rel=1e-12)


def _stream(seed, sims, n_per_arm, p_t, p_c):
    rng = np.random.default_rng(seed)
    return (rng.random((sims, n_per_arm)) < p_t).cumsum(axis=1), (rng.random((sims, n_per_arm)) < p_c).cumsum(axis=1)


def _coverage(sims, seed, looks, p_t=0.33, p_c=0.30):
    n_arm = looks[-1]
    x_t, x_c = _stream(seed, sims, n_arm, p_t, p_c)
    idx = np.asarray(looks) - 1
    covered_cs = np.ones(sims, bool)
    covered_fixed = np.ones(sims, bool)
    for i in range(sims):
        cs = confidence_sequence(looks, x_t[i, idx], looks, x_c[i, idx], planned_n=2 * n_arm).summary
        truth = p_t - p_c
        covered_cs[i] = np.all((cs["lower"] <= truth) & (truth <= cs["upper"]))
        covered_fixed[i] = np.all((cs["fixed_lower"] <= truth) & (truth <= cs["fixed_upper"]))
    return covered_cs.mean(), covered_fixed.mean()


def test_confidence_sequence_covers_uniformly_over_looks():
    looks = np.arange(100, 4001, 100)  # 40 looks, 100 to 4,000 customers per arm
    cs, fixed = _coverage(sims=400, seed=11, looks=looks)
    se = math.sqrt(0.05 * 0.95 / 400)  # 0.011
    assert cs >= 0.95 - 3 * se
    assert fixed < 0.85  # the ordinary interval at every look misses far more often than 5 %


@pytest.mark.slow
def test_confidence_sequence_coverage_long():
    looks = np.arange(50, 10_001, 50)  # 200 looks
    cs, fixed = _coverage(sims=3_000, seed=12, looks=looks)
    assert cs >= 0.95 - 3 * math.sqrt(0.05 * 0.95 / 3000)
    assert fixed < 0.75


@pytest.mark.slow
def test_simulated_false_positive_rate_long():
    t = np.arange(1, 11) / 10
    sims = 400_000
    for spending in ("obrien-fleming", "pocock"):
        rate = _simulated_rejection(spending_boundaries(t, spending=spending).boundaries, t, 0.0, sims, seed=99)
        assert abs(rate - 0.05) < 4 * math.sqrt(0.05 * 0.95 / sims)


def test_confidence_sequence_is_wider_than_fixed_and_running_intersection_narrows():
    cs = confidence_sequence([500, 1000, 2000], [170, 345, 700], [500, 1000, 2000], [150, 300, 600], planned_n=4000)
    s = cs.summary
    assert np.all(s["upper"] - s["lower"] > s["fixed_upper"] - s["fixed_lower"])
    assert np.all(np.diff(s["running_upper"] - s["running_lower"]) <= 0)
    assert "always-valid 95% interval" in cs.explain()
    ax = cs.plot()
    assert ax.get_xlabel().startswith("customers observed")


def test_confidence_sequence_rejects_bad_counts():
    with pytest.raises(DataError, match="exceed"):
        confidence_sequence([10], [11], [10], [5], planned_n=20)
    with pytest.raises(DataError, match="cumulative"):
        confidence_sequence([100, 50], [30, 15], [100, 50], [30, 15], planned_n=200)
    with pytest.raises(DataError, match="one per look"):
        confidence_sequence([100, 200], [30], [100, 200], [30, 60], planned_n=400)
    with pytest.raises(TypeError, match="planned_n"):
        confidence_sequence([100], [30], [100], [30])  # the tuning must be fixed in advance, not defaulted
    with pytest.raises(ParameterError, match="planned_n=0 must be a positive number"):
        confidence_sequence([100], [30], [100], [30], planned_n=0)


def test_always_valid_p_value_is_dual_to_the_running_interval():
    rng = np.random.default_rng(21)
    looks = np.arange(200, 6001, 200)
    agree = 0
    for _ in range(60):
        x_t = (rng.random(looks[-1]) < 0.33).cumsum()[looks - 1]
        x_c = (rng.random(looks[-1]) < 0.30).cumsum()[looks - 1]
        s = confidence_sequence(looks, x_t, looks, x_c, planned_n=12_000).summary
        excludes = (s["running_lower"] > 0) | (s["running_upper"] < 0)
        assert ((s["always_valid_p"] <= 0.05) == excludes).all()
        assert np.all(np.diff(s["always_valid_p"]) <= 0)
        agree += excludes.iloc[-1]
    assert 0 < agree < 60  # both outcomes occur, so the equivalence was exercised
    # Hand check, one look (doctest numbers): z^2 = 0.05^2 / 0.0004375 = 5.714286, n rho^2 = 7.936155:
    # sqrt(8.936155) * exp(-5.714286 * 7.936155 / (2 * 8.936155)) = 2.989340 * exp(-2.537414) = 0.236369.
    p = confidence_sequence(1000, 350, 1000, 300, planned_n=2000).summary["always_valid_p"].iloc[0]
    assert p == pytest.approx(0.236369, abs=2e-6)


def test_mixture_multiplier_reproduces_growthbook_gbstats():
    # gbstats tests/frequentist/test_tests.py, TestSequentialTTest (relative lift with its delta-method
    # standard deviation, the "uplift" stddev):
    #   test_sequential_test_runs_prop: 1396/3000 vs 2422/3461, default tuning 5000: expected 0.50386,
    #     stddev 0.03386, ci (0.40098, 0.60675);
    #   test_sequential_test_runs: means, tuning 1000: expected 0.50336, stddev 0.33341, ci (-0.55844, 1.56516).
    n = 3000 + 3461
    for tuning, mean, sd, lo, hi in [(5000, 0.50386, 0.03386, 0.40098, 0.60675),
                                     (1000, 0.50336, 0.33341, -0.55844, 1.56516)]:
        half = _mixture_multiplier(n, 0.05, _mixture_rho(0.05, tuning)) * sd
        assert mean - half == pytest.approx(lo, abs=2e-5)
        assert mean + half == pytest.approx(hi, abs=2e-5)


# ---------------------------------------------------------------------------------------
# Non-binding futility (beta spending)
# ---------------------------------------------------------------------------------------

def test_futility_with_user_beta_spending_matches_rpact():
    # rpact test-f_design_group_sequential.R, x6a: kMax 3, alpha 0.13, "asP", "bsUser" c(0.01, 0.05, 0.3),
    # informationRates c(0.35, 0.7, 1), non-binding: futilityBounds -1.2557044, -0.16828659;
    # power 0.31774348, 0.5598179, 0.7.
    design = spending_boundaries([0.35, 0.7, 1.0], alpha=0.13, spending="pocock", sides=1)
    fut = design.with_futility(power=0.7, beta_spending=[0.01, 0.05, 0.3])
    assert fut.futility[:2] == pytest.approx([-1.2557044, -0.16828659], abs=2e-7)
    assert fut.cumulative_power == pytest.approx([0.31774348, 0.5598179, 0.7], abs=2e-7)


def test_futility_with_pocock_beta_spending_matches_rpact():
    # rpact test-f_design_group_sequential.R, dl1: kMax 3, alpha 0.05, beta 0.1, "asP", "bsP",
    # informationRates c(0.4, 0.65, 1), non-binding: criticalValues 1.9405431, 2.0327662, 1.9734104;
    # futilityBounds 0.5448398, 1.0899149; betaSpent 0.052313716, 0.074994481, 0.1; power 0.58983431, 0.79279807, 0.9.
    design = spending_boundaries([0.4, 0.65, 1.0], alpha=0.05, spending="pocock", sides=1)
    assert design.boundaries == pytest.approx([1.9405431, 2.0327662, 1.9734104], abs=2e-7)
    fut = design.with_futility(power=0.9, beta_spending="pocock")
    assert fut.futility[:2] == pytest.approx([0.5448398, 1.0899149], abs=2e-7)
    assert fut.cumulative_beta == pytest.approx([0.052313716, 0.074994481, 0.1], abs=2e-8)
    assert fut.cumulative_power == pytest.approx([0.58983431, 0.79279807, 0.9], abs=2e-7)
    assert "non-binding" in fut.explain() and fut.summary.shape == (3, 6)
    assert fut.plot_boundaries().get_title().endswith("power 90%")


def test_futility_power_by_simulation_and_non_binding_alpha():
    t = np.array([0.4, 0.65, 1.0])
    fut = spending_boundaries(t, alpha=0.05, spending="pocock", sides=1).with_futility(0.9, "pocock")
    rng = np.random.default_rng(44)
    sims = 20_000
    steps = np.diff(np.concatenate([[0.0], t]))
    for drift, expected in ((fut.drift, 0.9), (0.0, None)):
        score = np.cumsum(rng.standard_normal((sims, 3)) * np.sqrt(steps) + drift * steps, axis=1)
        z = score / np.sqrt(t)
        efficacy = z >= fut.design.boundaries
        futile = z <= fut.futility
        first_eff = np.where(efficacy.any(axis=1), efficacy.argmax(axis=1), 99)
        first_fut = np.where(futile.any(axis=1), futile.argmax(axis=1), 99)
        honoured = np.mean(first_eff < first_fut)  # stopping at the first boundary reached
        ignored = np.mean(efficacy.any(axis=1))  # futility ignored: efficacy whenever crossed
        if expected is not None:
            assert abs(honoured - expected) < 4 * math.sqrt(0.9 * 0.1 / sims)
        else:
            # Non-binding: even ignoring every futility stop, the false-positive rate stays at alpha.
            assert abs(ignored - 0.05) < 4 * math.sqrt(0.05 * 0.95 / sims)


def test_futility_errors():
    with pytest.raises(ParameterError, match="one-sided designs"):
        spending_boundaries(looks=3).with_futility()
    design = spending_boundaries(looks=3, sides=1)
    with pytest.raises(ParameterError, match="ending at 1 - power = 0.2"):
        design.with_futility(0.8, beta_spending=[0.05, 0.1, 0.3])
