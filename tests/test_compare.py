"""Tests of retention_kit.compare against independent references.

References: statsmodels (confint_proportions_2indep, proportions_ztest, multipletests,
power_proportions_2indep, samplesize_proportions_2indep_onetail), scipy (chisquare,
multivariate_normal), lifelines (logrank_test, CoxPHFitter, restricted_mean_survival_time),
published tables (Newcombe 1998; Armitage, McPherson & Rowe 1969) and hand arithmetic.
"""

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

import retention_kit as rk
from retention_kit.compare.posterior import beta_compare
from retention_kit.compare.proportions import FIXED_COLUMNS, two_proportions

matplotlib.use("Agg")


# ---------------------------------------------------------------------------------------
# Fixed-horizon statistics
# ---------------------------------------------------------------------------------------

def test_newcombe_interval_reproduces_newcombe_1998_example():
    # Newcombe (1998), Stat Med 17:873, Table II example (a): 56/70 - 48/80, method 10
    # (hybrid score, no continuity correction): 0.0524 to 0.3339.
    out = two_proportions(70, 56, 80, 48)
    assert round(float(out["ci_lower"]), 4) == 0.0524
    assert round(float(out["ci_upper"]), 4) == 0.3339


@pytest.mark.parametrize("x_t,n_t,x_c,n_c", [
    (56, 70, 48, 80), (350, 1000, 300, 1000), (0, 12, 3, 15), (12, 12, 10, 15), (1, 5, 0, 7),
    (4_810, 10_000, 4_700, 9_800), (0, 20, 0, 25),
])
def test_newcombe_and_wald_match_statsmodels(x_t, n_t, x_c, n_c):
    from statsmodels.stats.proportion import confint_proportions_2indep

    for method, sm_method in (("newcombe", "newcomb"), ("wald", "wald")):
        out = two_proportions(n_t, x_t, n_c, x_c, ci_method=method)
        lo, hi = confint_proportions_2indep(x_t, n_t, x_c, n_c, method=sm_method, compare="diff")
        assert float(out["ci_lower"]) == pytest.approx(lo, abs=1e-12)
        assert float(out["ci_upper"]) == pytest.approx(hi, abs=1e-12)


@pytest.mark.parametrize("x_t,n_t,x_c,n_c", [(56, 70, 48, 80), (350, 1000, 300, 1000), (3, 40, 9, 35)])
def test_pooled_z_test_matches_statsmodels(x_t, n_t, x_c, n_c):
    from statsmodels.stats.proportion import proportions_ztest

    z_ref, p_ref = proportions_ztest([x_t, x_c], [n_t, n_c])  # pooled variance by default
    out = two_proportions(n_t, x_t, n_c, x_c)
    assert float(out["z"]) == pytest.approx(z_ref, rel=1e-12)
    assert float(out["p_value"]) == pytest.approx(p_ref, rel=1e-10)


def test_pooled_z_by_hand():
    # 350/1000 vs 300/1000: pooled 0.325, se = sqrt(0.325 * 0.675 * (2/1000)) = 0.0209464,
    # z = 0.05 / 0.0209464 = 2.38704, p = 2 * (1 - Phi(2.38704)) = 2 * 0.0084921 = 0.016984.
    out = two_proportions(1000, 350, 1000, 300)
    assert float(out["z"]) == pytest.approx(2.38704, abs=1e-5)
    assert float(out["p_value"]) == pytest.approx(0.016984, abs=2e-6)


def test_vectorised_core_equals_scalar_calls():
    rng = np.random.default_rng(3)
    n_t, n_c = rng.integers(20, 500, 50), rng.integers(20, 500, 50)
    x_t, x_c = rng.binomial(n_t, 0.4), rng.binomial(n_c, 0.4)
    many = two_proportions(n_t, x_t, n_c, x_c)
    for i in (0, 17, 49):
        one = two_proportions(n_t[i], x_t[i], n_c[i], x_c[i])
        for key in ("diff", "ci_lower", "ci_upper", "p_value"):
            assert many[key][i] == pytest.approx(float(one[key]), rel=1e-12)


def test_no_variance_gives_nan_p_value_with_warning():
    with pytest.warns(rk.SmallSampleWarning, match="expected count of only 0.0"):
        res = rk.compare_retention_counts({"control": (20, 0), "loyalty": (25, 0)})
    assert np.isnan(res.summary.loc["loyalty", "p_value"])
    assert res.summary.loc["loyalty", "diff"] == 0


def test_small_samples_warn_with_both_methods():
    with pytest.warns(rk.SmallSampleWarning, match=r"z-test p = 0\.0\d+ vs Fisher's exact p = 0\.0\d+"):
        res = rk.compare_retention_counts({"control": (10, 3), "loyalty": (12, 9)})
    # Fisher's exact test from scipy on the same 2x2 table.
    ref = stats.fisher_exact([[9, 3], [3, 7]])[1]
    assert res.summary.loc["loyalty", "exact_p_value"] == pytest.approx(ref)


@pytest.mark.filterwarnings("ignore::retention_kit.SampleRatioMismatchWarning")
def test_empty_arm_gives_nan_and_warns():
    with pytest.warns(rk.SmallSampleWarning, match="no mature customers"):
        res = rk.compare_retention_counts({"control": (100, 30), "loyalty": (0, 0)})
    assert np.isnan(res.summary.loc["loyalty", "rate"])


# ---------------------------------------------------------------------------------------
# Bayesian view
# ---------------------------------------------------------------------------------------

def _miller_prob_b_beats_a(a_a, b_a, a_b, b_b):
    """Evan Miller's closed form for P(p_B > p_A), integer a_b (evanmiller.org/bayesian-ab-testing)."""
    i = np.arange(int(a_b))
    terms = (special.betaln(a_a + i, b_a + b_b) - np.log(b_b + i) - special.betaln(1 + i, b_b)
             - special.betaln(a_a, b_a))
    return float(np.exp(terms).sum())


def test_beta_comparison_by_hand():
    # T ~ Beta(2, 1) (density 2t), C ~ Beta(1, 1): P(T > C) = int 2t * t dt = 2/3;
    # E[(C - T)^+] = int 2t (1 - t)^2 / 2 dt = 1/2 - 2/3 + 1/4 = 1/12.
    prob, loss = beta_compare(2, 1, 1, 1)
    assert prob == pytest.approx(2 / 3, abs=1e-9)
    assert loss == pytest.approx(1 / 12, abs=1e-9)


@pytest.mark.parametrize("x_t,n_t,x_c,n_c", [(9, 12, 3, 10), (350, 1000, 300, 1000), (4_810, 10_000, 4_790, 9_800),
                                             (30, 100, 2_900, 10_000)])
def test_prob_beat_control_matches_closed_form(x_t, n_t, x_c, n_c):
    prob, _ = beta_compare(1 + x_t, 1 + n_t - x_t, 1 + x_c, 1 + n_c - x_c)
    assert prob == pytest.approx(_miller_prob_b_beats_a(1 + x_c, 1 + n_c - x_c, 1 + x_t, 1 + n_t - x_t), abs=1e-8)


@pytest.mark.filterwarnings("ignore::retention_kit.SampleRatioMismatchWarning",
                            "ignore::retention_kit.SmallSampleWarning")
@pytest.mark.parametrize("x_t,n_t,x_c,n_c,prior", [(9, 12, 3, 10, (1, 1)), (52, 200, 60, 210, (0.5, 0.5)),
                                                   (30, 100, 2_900, 10_000, (2, 5))])
def test_bayesian_view_matches_seeded_monte_carlo(x_t, n_t, x_c, n_c, prior):
    a, b = prior
    rng = np.random.default_rng(11)
    draws = 2_000_000
    t = rng.beta(a + x_t, b + n_t - x_t, draws)
    c = rng.beta(a + x_c, b + n_c - x_c, draws)
    res = rk.compare_retention_counts({"control": (n_c, x_c), "loyalty": (n_t, x_t)}, prior=prior)
    row = res.summary.loc["loyalty"]
    beat = (t > c).mean()
    loss = np.maximum(c - t, 0)
    # 5 Monte-Carlo standard errors.
    assert row["prob_beat_control"] == pytest.approx(beat, abs=5 * np.sqrt(beat * (1 - beat) / draws) + 1e-9)
    assert row["expected_loss"] == pytest.approx(loss.mean(), abs=5 * loss.std() / np.sqrt(draws) + 1e-9)


# ---------------------------------------------------------------------------------------
# Sample ratio mismatch, several arms
# ---------------------------------------------------------------------------------------

def test_sample_ratio_check_by_hand_and_scipy():
    # Planned 1:2 of 3,000: expected 1,000 and 2,000. (1,100-1,000)^2/1,000 + (1,900-2,000)^2/2,000 = 15.
    check = rk.sample_ratio_check({"control": 1_100, "loyalty": 1_900}, planned_split={"control": 1, "loyalty": 2})
    assert check.statistic == pytest.approx(15.0)
    assert check.p_value == pytest.approx(stats.chi2.sf(15.0, 1))
    assert check.mismatch
    assert check.p_value == pytest.approx(stats.chisquare([1_100, 1_900], [1_000, 2_000]).pvalue)


def test_srm_warning_below_threshold_only():
    with pytest.warns(rk.SampleRatioMismatchWarning, match="do not trust this comparison"):
        res = rk.compare_retention_counts({"control": (5_000, 1_500), "loyalty": (4_600, 1_450)})
    assert res.srm.p_value < 0.001
    with warnings.catch_warnings():
        warnings.simplefilter("error", rk.SampleRatioMismatchWarning)
        ok = rk.compare_retention_counts({"control": (5_000, 1_500), "loyalty": (4_900, 1_450)})
    assert ok.srm.p_value > 0.001
    assert "No sign of a broken split" in ok.explain()


def test_planned_split_errors():
    with pytest.raises(rk.ParameterError, match=r"unknown: \['loyal'\], missing: \['loyalty'\]"):
        rk.sample_ratio_check({"control": 10, "loyalty": 10}, planned_split={"control": 0.5, "loyal": 0.5})
    with pytest.raises(rk.ParameterError, match="must be positive"):
        rk.sample_ratio_check({"control": 10, "loyalty": 10}, planned_split={"control": 0, "loyalty": 1})


def test_holm_and_bh_match_statsmodels():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(5)
    for _ in range(20):
        p = rng.uniform(0, 0.2, rng.integers(1, 8))
        for ours, theirs in (("holm", "holm"), ("bh", "fdr_bh")):
            np.testing.assert_allclose(rk.adjust_p_values(p, correction=ours), multipletests(p, method=theirs)[1], rtol=1e-12)


def test_adjust_p_values_keeps_nan_out_of_the_count():
    # Two real p-values: Holm multiplies the smaller by 2.
    out = rk.adjust_p_values([0.01, np.nan, 0.04])
    assert out[0] == pytest.approx(0.02) and np.isnan(out[1]) and out[2] == pytest.approx(0.04)


def test_several_arms_are_adjusted():
    counts = {"control": (1000, 300), "loyalty": (1000, 350), "offers": (1000, 320), "onboarding": (1000, 345)}
    res = rk.compare_retention_counts(counts)
    raw = res.summary["p_value"]
    # Holm by hand: sorted p's times 3, 2, 1, then running maximum.
    order = raw.sort_values()
    hand = np.maximum.accumulate(np.minimum(1, order.to_numpy() * np.array([3, 2, 1])))
    np.testing.assert_allclose(res.summary.loc[order.index, "p_value_adjusted"], hand)
    assert list(res.summary.index) == ["loyalty", "offers", "onboarding"]
    assert "Holm-adjusted" in res.explain()
    bh = rk.compare_retention_counts(counts, correction="fdr_bh")
    assert bh.correction == "bh" and "Benjamini-Hochberg" in bh.explain()


# ---------------------------------------------------------------------------------------
# Planning: sample size, power, MDE, peeking
# ---------------------------------------------------------------------------------------

def test_sample_size_by_hand():
    # pbar = 0.325: sigma0 = sqrt(0.325*0.675*2) = 0.662382, sigma1 = sqrt(0.21 + 0.2275) = 0.661438;
    # (1.959964*0.662382 + 0.841621*0.661438)^2 / 0.0025 = 1376.29 -> 1377.
    plan = rk.sample_size(0.30, 0.05)
    assert (plan.n_control, plan.n_treatment, plan.n_total) == (1377, 1377, 2754)


@pytest.mark.parametrize("baseline,mde,alpha,power", [(0.30, 0.05, 0.05, 0.8), (0.10, 0.02, 0.05, 0.9),
                                                      (0.65, -0.04, 0.01, 0.8), (0.5, 0.1, 0.1, 0.95)])
def test_sample_size_matches_statsmodels(baseline, mde, alpha, power):
    from statsmodels.stats.proportion import power_proportions_2indep, samplesize_proportions_2indep_onetail

    # statsmodels: sample 1 = treatment, prop2 = control, same pooled/unpooled formula.
    ref = samplesize_proportions_2indep_onetail(mde, baseline, power, ratio=1, alpha=alpha)
    plan = rk.sample_size(baseline, mde, alpha=alpha, power=power)
    assert plan.n_control == int(np.ceil(ref))
    got = power_proportions_2indep(mde, baseline, plan.n_treatment, ratio=1, alpha=alpha).power
    short = power_proportions_2indep(mde, baseline, plan.n_treatment - 1, ratio=1, alpha=alpha).power
    assert got >= power > short - 1e-4  # the far tail adds at most 1e-4 at n - 1


def test_sample_size_with_unequal_split_matches_statsmodels_power():
    from statsmodels.stats.proportion import power_proportions_2indep

    plan = rk.sample_size(0.30, 0.05, ratio=2.0)  # twice as many treatment customers
    # statsmodels' ratio is nobs2 / nobs1 with sample 1 = treatment.
    got = power_proportions_2indep(0.05, 0.30, plan.n_treatment, ratio=plan.n_control / plan.n_treatment).power
    assert got == pytest.approx(0.8, abs=2e-3) and got >= 0.8 - 1e-9
    assert plan.n_treatment == pytest.approx(2 * plan.n_control, abs=1)


def test_cohens_h_is_a_different_approximation():
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    h_based = NormalIndPower().solve_power(proportion_effectsize(0.35, 0.30), alpha=0.05, power=0.8)
    ours = rk.sample_size(0.30, 0.05).n_control
    assert abs(ours - h_based) / ours < 0.01 and abs(ours - h_based) > 0.5  # close, not equal


def test_expected_power_matches_statsmodels_both_tails():
    from statsmodels.stats.proportion import power_proportions_2indep

    for n, base, mde in ((500, 0.3, 0.05), (80, 0.5, -0.1), (3000, 0.05, 0.01)):
        ref = power_proportions_2indep(mde, base, n, ratio=1, alpha=0.05).power
        assert rk.expected_power(n, base, mde) == pytest.approx(ref, rel=1e-10)


def test_minimum_detectable_effect_inverts_power():
    mde = rk.minimum_detectable_effect(1000, 0.30)
    assert rk.expected_power(1000, 0.30, mde) == pytest.approx(0.8, abs=1e-9)
    drop = rk.minimum_detectable_effect(1000, 0.30, direction="decrease")
    assert drop < 0 and rk.expected_power(1000, 0.30, drop) == pytest.approx(0.8, abs=1e-9)
    with pytest.warns(rk.SmallSampleWarning, match="no increase"):
        assert np.isnan(rk.minimum_detectable_effect(2, 0.9, power=0.99))


def test_sample_size_bad_input():
    with pytest.raises(rk.ParameterError, match=r"baseline=1.2 must be the control arm's retention rate"):
        rk.sample_size(1.2, 0.05)
    with pytest.raises(rk.ParameterError, match="mde=0 must be a non-zero"):
        rk.sample_size(0.3, 0)
    with pytest.raises(rk.ParameterError, match=r"0.3 \+ 0.8 = 1.1 is not a rate.*not a relative one"):
        rk.sample_size(0.3, 0.8)
    with pytest.raises(rk.ParameterError, match="power=1.5"):
        rk.sample_size(0.3, 0.05, power=1.5)
    with pytest.raises(rk.ParameterError, match="ratio=-1"):
        rk.sample_size(0.3, 0.05, ratio=-1)
    with pytest.raises(rk.ParameterError, match=r"direction='up' is not an option. Use one of \['increase'"):
        rk.minimum_detectable_effect(100, 0.3, direction="up")


# Armitage, McPherson & Rowe (1969), Table 2, nominal two-sided 5 %: overall false-positive
# rate after k equally spaced looks (printed to 3 decimals).
AMR_TABLE = {1: 0.050, 2: 0.083, 3: 0.107, 4: 0.126, 5: 0.142, 10: 0.193, 20: 0.248, 50: 0.320, 100: 0.374}


@pytest.mark.parametrize("looks,published", AMR_TABLE.items())
def test_peeking_reproduces_armitage_mcpherson_rowe(looks, published):
    assert rk.peeking_false_positive_rate(looks) == pytest.approx(published, abs=6e-4)


@pytest.mark.parametrize("looks,alpha", [(3, 0.05), (4, 0.01), (6, 0.1)])
def test_peeking_matches_scipy_multivariate_normal(looks, alpha):
    # z_k = S_k / sqrt(k), corr(z_i, z_j) = sqrt(i / j) for i <= j.
    k = np.arange(1, looks + 1)
    cov = np.sqrt(np.minimum.outer(k, k) / np.maximum.outer(k, k))
    c = stats.norm.isf(alpha / 2)
    stay = stats.multivariate_normal(np.zeros(looks), cov).cdf(np.full(looks, c), lower_limit=np.full(looks, -c),
                                                               rng=np.random.default_rng(0))
    assert rk.peeking_false_positive_rate(looks, alpha=alpha) == pytest.approx(1 - stay, abs=2e-4)


def test_peeking_matches_seeded_simulation():
    rng = np.random.default_rng(7)
    paths = 200_000
    walk = np.cumsum(rng.standard_normal((paths, 5)), axis=1) / np.sqrt(np.arange(1, 6))
    rate = (np.abs(walk) > stats.norm.isf(0.025)).any(axis=1).mean()
    se = np.sqrt(rate * (1 - rate) / paths)
    assert rk.peeking_false_positive_rate(5) == pytest.approx(rate, abs=4 * se)


def test_peeking_bad_looks():
    with pytest.raises(rk.ParameterError, match="looks=0 must be a whole number"):
        rk.peeking_false_positive_rate(0)
    with pytest.raises(rk.ParameterError, match="looks=2.5"):
        rk.peeking_false_positive_rate(2.5)


def test_peeking_warning_from_counts():
    plan = rk.sample_size(0.30, 0.05)
    with pytest.warns(rk.PeekingWarning, match=r"800 mature customers of the planned 1,377.*5 look\(s\).*14\.2%"):
        rk.compare_retention_counts({"control": (800, 240), "loyalty": (800, 275)}, planned_n=plan, looks=5)
    with pytest.warns(rk.PeekingWarning, match=r"2 looks 8\.3%, 5 looks 14\.2%, 10 looks 19\.3%"):
        rk.compare_retention_counts({"control": (800, 240), "loyalty": (800, 275)}, planned_n=1377)
    with warnings.catch_warnings():
        warnings.simplefilter("error", rk.PeekingWarning)
        rk.compare_retention_counts({"control": (1400, 420), "loyalty": (1390, 480)}, planned_n=plan)
    with pytest.raises(rk.ParameterError, match="looks is only used with planned_n"):
        rk.compare_retention_counts({"control": (800, 240), "loyalty": (800, 275)}, looks=3)


# ---------------------------------------------------------------------------------------
# compare_retention_counts: input checks and the result object
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("counts,message", [
    ({"control": (100, 120), "loyalty": (100, 30)}, r"arm 'control' has retained=120 > n=100"),
    ({"control": (100, 20), "loyalty": (-5, 0)}, r"n of arm 'loyalty' is -5"),
    ({"control": (100, 20.5), "loyalty": (100, 20)}, r"retained of arm 'control' is 20.5"),
    ({"control": 100, "loyalty": (100, 20)}, r"counts\['control'\] = 100: give \(n, retained\)"),
    ([100, 20], "must be a dict"),
    (pd.DataFrame({"n": [1, 2]}), r"missing the column\(s\) \['retained'\]"),
])
def test_counts_bad_input(counts, message):
    with pytest.raises(rk.DataError, match=message):
        rk.compare_retention_counts(counts)


def test_counts_options_misspelled():
    counts = {"control": (100, 30), "loyalty": (100, 40)}
    with pytest.raises(rk.ParameterError, match=r"ci_method='newcomb' is not an option. Did you mean 'newcombe'"):
        rk.compare_retention_counts(counts, ci_method="newcomb")
    with pytest.raises(rk.ParameterError, match=r"correction='hlm' is not an option. Did you mean 'holm'"):
        rk.compare_retention_counts(counts, correction="hlm")
    with pytest.raises(rk.ParameterError, match=r"control='contrl' is not one of the arms.*Did you mean 'control'"):
        rk.compare_retention_counts(counts, control="contrl")
    with pytest.raises(rk.ParameterError, match=r"prior=\(0, 1\): both Beta parameters must be positive"):
        rk.compare_retention_counts(counts, prior=(0, 1))
    with pytest.raises(rk.ParameterError, match="alpha=5"):
        rk.compare_retention_counts(counts, alpha=5)
    with pytest.raises(rk.DataError, match="Only one arm"):
        rk.compare_retention_counts({"control": (100, 30)})


def test_counts_accepts_a_dataframe_and_wald():
    frame = pd.DataFrame({"n": [1000, 1000], "retained": [300, 350]}, index=["control", "loyalty"])
    res = rk.compare_retention_counts(frame, ci_method="wald")
    # Wald by hand: se = sqrt(.35*.65/1000 + .3*.7/1000) = 0.0209165; 0.05 -/+ 1.959964 * se.
    assert res.summary.loc["loyalty", "ci_lower"] == pytest.approx(0.05 - 1.959964 * 0.0209165, abs=1e-6)
    assert res.summary.loc["loyalty", "relative_diff"] == pytest.approx(0.05 / 0.30)


def test_result_object_reads_well():
    res = rk.compare_retention_counts({"control": (1000, 300), "loyalty": (1000, 350)})
    needed = {"n", "retained", "rate", "diff", "ci_lower", "ci_upper", "p_value", "p_value_adjusted",
              "control_n", "control_rate", "relative_diff", "prob_beat_control", "expected_loss"}
    assert needed <= set(res.summary.columns)
    assert res.summary.index.name == "arm"
    text = res.explain()
    assert "350 of 1,000 (35.0%), a difference of +5.0 points (95% CI +0.9 to +9.1" in text
    assert "not that it is large" in text
    html = res._repr_html_()
    assert "<table" in html and "+0.9 to +9.1" in html
    assert repr(res).startswith("RetentionComparison: Retention at the horizon: loyalty vs control")
    ax = res.plot_difference()
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    with pytest.raises(rk.ParameterError, match="made from counts"):
        res.plot_curves()
    plan = rk.sample_size(0.3, 0.05)
    assert "1,377 mature control" in plan.explain() and "<table" in plan._repr_html_()


# ---------------------------------------------------------------------------------------
# compare_retention from raw logs
# ---------------------------------------------------------------------------------------

def _tiny():
    """Eight customers, as of 2024-03-31, horizon 30 days, churn_after (= window) 30 days.

    Retained: some activity in (day 30, day 60]. Mature when start + 60 days <= 2024-03-31,
    i.e. start <= 2024-01-31.
    control: c1 retained (buys on day 45), c2 not (last buy exactly on day 30: not *after*),
             c3 not (never came back), c4 immature (starts 03-01).
    loyalty: t1 not (next buy on day 75, after the window: it was "retained" with the old open
             end), t2 not (a buy before assignment is ignored; last on day 15), t3 immature
             (02-15), t4 retained (starts 01-31: mature exactly; buys on day 31).
    """
    assignments = pd.DataFrame({
        "customer_id": ["c1", "c2", "c3", "c4", "t1", "t2", "t3", "t4"],
        "arm": ["control"] * 4 + ["loyalty"] * 4,
        "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-10", "2024-03-01",
                                "2024-01-05", "2024-01-05", "2024-02-15", "2024-01-31"]),
    })
    events = pd.DataFrame({
        "customer_id": ["c1", "c1", "c2", "c2", "c4", "t1", "t1", "t2", "t2", "t3", "t4", "t4"],
        "date": pd.to_datetime(["2024-01-01", "2024-02-15", "2024-01-01", "2024-01-31", "2024-03-01",
                                "2024-01-05", "2024-03-20", "2024-01-04", "2024-01-20", "2024-02-15",
                                "2024-01-31", "2024-03-02"]),
    })
    return assignments, events


def test_retained_and_mature_by_hand():
    assignments, events = _tiny()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.SmallSampleWarning)
        with pytest.warns(rk.ImmatureDataWarning, match=r"2 customers \(control 1, loyalty 1\).*less than 30 \+ 30"):
            res = rk.compare_retention(assignments, events, horizon=30, churn_after="30D", as_of="2024-03-31")
    row = res.summary.loc["loyalty"]
    assert (row["control_n"], row["control_retained"], row["n"], row["retained"], row["immature"]) == (3, 1, 3, 1, 1)
    life = res.lifetimes.set_index("customer_id")
    # Retention of the immature (c4, t3) is unknown: NA, not False.
    assert life["retained"].dropna().to_dict() == {"c1": True, "c2": False, "c3": False,
                                                   "t1": False, "t2": False, "t4": True}
    assert life.index[life["retained"].isna()].tolist() == ["c4", "t3"]
    assert life["mature"].to_dict() == {"c1": True, "c2": True, "c3": True, "c4": False,
                                        "t1": True, "t2": True, "t3": False, "t4": True}
    # Counting the immature as churned: control 1/4 = 25.0 %, loyalty 1/4 = 25.0 % (mature: 1/3 each).
    assert "control 25.0% instead of 33.3%; loyalty 25.0% instead of 33.3%" in res.explain()
    # A window of 60 days after the horizon: t1's day-75 purchase counts (75 in (30, 90]), and
    # maturity needs start + 90 days <= 03-31, i.e. start <= 2024-01-01: only c1 and c2.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        wide = rk.compare_retention(assignments, events, horizon=30, churn_after="30D", window="60D",
                                    as_of="2024-03-31")
    assert wide.lifetimes.set_index("customer_id")["retained"].dropna().to_dict() == {"c1": True, "c2": False}
    assert "more than 30 and at most 90 days after assignment (a 60-day window" in wide.explain()
    with pytest.raises(rk.ParameterError, match="window"):
        rk.compare_retention(assignments, events, horizon=30, window="-5D", churn_after="30D")


@pytest.fixture(scope="module")
def shop():
    return rk.load_coffee_shop()


@pytest.fixture(scope="module")
def shop_result(shop):
    return rk.compare_retention(shop.assignments, shop.transactions, horizon="30D", churn_after="30D",
                                rmst_horizon="90D")


def test_fixed_horizon_equals_counts_and_kaplan_meier(shop_result):
    res = shop_result
    row = res.summary.loc["loyalty"]
    again = rk.compare_retention_counts({"control": (row["control_n"], row["control_retained"]),
                                         "loyalty": (row["n"], row["retained"])})
    pd.testing.assert_series_equal(again.summary.loc["loyalty", FIXED_COLUMNS], row[FIXED_COLUMNS])
    # The retained flags, straight from the log: some purchase in (start + 30 days, start + 60 days].
    shop = rk.load_coffee_shop()
    tx = shop.transactions.merge(shop.assignments.rename(columns={"date": "start"}), on="customer_id")
    inside = (tx["date"] > tx["start"] + pd.Timedelta(days=30)) & (tx["date"] <= tx["start"] + pd.Timedelta(days=60))
    mature = res.lifetimes[res.lifetimes["mature"]].set_index("customer_id")
    by_hand = mature.index.isin(tx.loc[inside, "customer_id"])
    assert (mature["retained"].to_numpy(bool) == by_hand).all()
    # Kaplan-Meier S(30) estimates the open-ended "some purchase after day 30": at least the
    # bounded rate (0.738 >= 0.689 for loyalty, 0.665 >= 0.629 for control).
    km = rk.kaplan_meier(mature.reset_index(), by="arm").survival_at(30).set_index("group")["survival"]
    assert km["loyalty"] >= row["rate"] and km["control"] >= row["control_rate"]


def test_whole_curve_matches_lifelines(shop_result):
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import logrank_test
    from lifelines.utils import restricted_mean_survival_time

    res = shop_result
    life = res.lifetimes
    c, t = life[life["arm"] == "control"], life[life["arm"] == "loyalty"]
    row = res.summary.loc["loyalty"]
    ref = logrank_test(c["duration"], t["duration"], c["churned"], t["churned"])
    assert row["logrank_p_value"] == pytest.approx(ref.p_value, rel=1e-8)
    rmst_t = restricted_mean_survival_time(KaplanMeierFitter().fit(t["duration"], t["churned"]), t=90)
    rmst_c = restricted_mean_survival_time(KaplanMeierFitter().fit(c["duration"], c["churned"]), t=90)
    assert row["rmst_diff"] == pytest.approx(rmst_t - rmst_c, rel=1e-8)
    same = rk.rmst_difference(c["duration"], c["churned"], t["duration"], t["churned"], horizon=90)
    assert (row["rmst_ci_lower"], row["rmst_ci_upper"]) == pytest.approx((same.ci_lower, same.ci_upper))
    data = pd.DataFrame({"duration": life["duration"], "churned": life["churned"].astype(int),
                         "loyalty": (life["arm"] == "loyalty").astype(float)})
    cph = CoxPHFitter().fit(data, "duration", "churned")
    assert row["hazard_ratio"] == pytest.approx(float(np.exp(cph.params_["loyalty"])), rel=1e-6)
    # The simulator's true hazard ratio of lapsing is 0.7.
    assert row["hr_ci_lower"] < 0.7 < row["hr_ci_upper"]


def test_result_plots_and_html(shop_result):
    ax = shop_result.plot_curves()
    assert ax.get_title() == "Retention by arm since assignment (Kaplan-Meier)"
    assert ax.get_xlabel() == "days since assignment"
    ax = shop_result.plot_difference()
    assert "difference from control" in ax.get_title()
    html = shop_result._repr_html_()
    assert "Retention at day 30: loyalty vs control" in html and "log-rank p" in html
    text = shop_result.explain()
    assert "Whole curve" in text and "hazard ratio 0.71" in text
    assert shop_result.data_quality.rows_in == len(rk.load_coffee_shop().transactions)


def test_lifetimes_input_gives_the_same_result(shop, shop_result):
    life = rk.customer_lifetimes(shop.transactions, churn_after="30D", start_times=shop.assignments,
                                 by=["arm"])
    res = rk.compare_retention(shop.assignments, shop.transactions, lifetimes=life, horizon="30D",
                               churn_after="30D", rmst_horizon="90D")
    pd.testing.assert_frame_equal(res.summary, shop_result.summary)
    # Lifetimes alone cannot show the window: the open end is used, and said.
    with pytest.warns(rk.RetentionWarning, match="open end .* depends on the as-of date"):
        alone = rk.compare_retention(shop.assignments, lifetimes=life, horizon="30D", churn_after="30D")
    assert alone.window is None and "open end" in alone.explain()
    with pytest.raises(rk.ParameterError, match="built with churn_after=30 days but churn_after=60 days"):
        rk.compare_retention(shop.assignments, lifetimes=life, churn_after="60D")
    with pytest.raises(rk.DataError, match=r"no row for 10 assigned customers"):
        rk.compare_retention(shop.assignments, lifetimes=life.iloc[10:], churn_after="30D")


def test_renamed_columns(shop, shop_result):
    asg = shop.assignments.rename(columns={"customer_id": "user", "arm": "group", "date": "ts"})
    tx = shop.transactions.rename(columns={"customer_id": "user", "date": "ts"})
    res = rk.compare_retention(asg, tx, horizon="30D", churn_after="30D", rmst_horizon="90D",
                               customer_col="user", arm_col="group", time_col="ts")
    pd.testing.assert_frame_equal(res.summary, shop_result.summary)


def test_raw_input_errors(shop):
    asg, tx = shop.assignments, shop.transactions
    with pytest.raises(rk.DataError, match=r"Column 'group' \(arm_col\) not found in assignments.*'arm'"):
        rk.compare_retention(asg, tx, arm_col="group", churn_after="30D")
    twice = pd.concat([asg, asg.iloc[:3].assign(arm="loyalty")])
    with pytest.raises(rk.DataError, match=r"repeats 3 customers .*assigned to"):
        rk.compare_retention(twice, tx, churn_after="30D")
    with pytest.raises(rk.DataError, match=r"Column 'arm' of assignments has 1 missing"):
        rk.compare_retention(asg.assign(arm=asg["arm"].where(asg.index != 5)), tx, churn_after="30D")
    with pytest.raises(rk.ParameterError, match=r"Give the activity log \(events=...\)"):
        rk.compare_retention(asg, churn_after="30D")
    with pytest.raises(rk.ParameterError, match=r"control='Control'.*Did you mean 'control'"):
        rk.compare_retention(asg, tx, control="Control", churn_after="30D")
    with pytest.raises(rk.ParameterError, match="months and years have no fixed length"):
        rk.compare_retention(asg, tx, horizon="1M", churn_after="30D")


def test_sample_ratio_mismatch_from_raw_logs(shop):
    # Lose a fifth of the loyalty arm, as a broken redirect would.
    lost = shop.assignments[shop.assignments["arm"] == "loyalty"].iloc[::5]["customer_id"]
    asg = shop.assignments[~shop.assignments["customer_id"].isin(lost)]
    tx = shop.transactions[~shop.transactions["customer_id"].isin(lost)]
    with pytest.warns(rk.SampleRatioMismatchWarning, match="Sample ratio mismatch"):
        res = rk.compare_retention(asg, tx, churn_after="30D")
    assert res.srm.mismatch and "split is broken" in res.explain()


def _log_from_lifetimes(starts, lifetimes, ids):
    """Events at each start and at start + lifetime (when positive)."""
    rows = [(i, s) for i, s in zip(ids, starts)]
    rows += [(i, s + pd.Timedelta(days=float(L))) for i, s, L in zip(ids, starts, lifetimes) if L > 0]
    return pd.DataFrame(rows, columns=["customer_id", "date"])


def test_crossing_curves_report_a_time_averaged_hazard_ratio():
    rng = np.random.default_rng(1)
    n = 600
    arm = np.where(np.arange(n) < n // 2, "control", "loyalty")
    # Control lapses steadily; loyalty loses many early, then hardly anyone: hazards cross.
    life = np.where(arm == "control", rng.exponential(60, n),
                    np.where(rng.random(n) < 0.5, rng.exponential(5, n), rng.exponential(400, n)))
    starts = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, 30, n), unit="D")
    ids = [f"u{i}" for i in range(n)]
    asg = pd.DataFrame({"customer_id": ids, "arm": arm, "date": starts})
    tx = _log_from_lifetimes(starts, life, ids)
    with pytest.warns(rk.ProportionalHazardsWarning, match="is a time average"):
        res = rk.compare_retention(asg, tx, horizon="30D", as_of="2024-12-31", churn_after="30D")
    row = res.summary.loc["loyalty"]
    # Reported (it was withheld as NaN before), with the caveat and a plot over time.
    assert np.isfinite(row["hazard_ratio"]) and row["ph_p_value"] < 0.05
    assert "time-averaged hazard ratio" in res.explain() and "plot_hazard_ratio" in res.explain()
    over = res.hazard_ratio_over_time(intervals=3)
    # Loyalty's hazard is far higher early (half lapse at rate 1/5 a day) and lower later.
    assert over["hazard_ratio"].iloc[0] > 1 > over["hazard_ratio"].iloc[-1]
    ax = res.plot_hazard_ratio()
    assert ax.get_title() == "Hazard ratio against control over time" and ax.get_yscale() == "log"


def test_peeking_from_raw_logs(shop):
    with pytest.warns(rk.PeekingWarning, match="of the planned 2,000"):
        rk.compare_retention(shop.assignments, shop.transactions, planned_n=2000, looks=3, churn_after="30D")


def test_hazard_ratio_over_time_by_hand():
    # One period (intervals=1): churn events over customer-days at risk per arm.
    # control: durations 1, 2, 3, 4 (all churned) -> 4 events / 10 days; b: 2, 4, 6, 8 -> 4 / 20.
    # Ratio (4/20) / (4/10) = 0.5; se of the log = sqrt(1/4 + 1/4); 95 % CI 0.5 exp(-+1.96 se).
    life = pd.DataFrame({"customer_id": [f"c{i}" for i in range(8)], "start": pd.Timestamp("2024-01-01"),
                         "duration": [1.0, 2, 3, 4, 2, 4, 6, 8], "churned": True,
                         "arm": ["control"] * 4 + ["b"] * 4})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = rk.compare_retention(lifetimes=life, horizon="1D", churn_after="1D", as_of="2024-06-30")
    one = res.hazard_ratio_over_time(intervals=1).iloc[0]
    se = np.sqrt(1 / 4 + 1 / 4)
    assert (one["events"], one["control_events"]) == (4, 4)
    assert (one["hazard_ratio"], one["ci_lower"], one["ci_upper"]) == pytest.approx(
        (0.5, 0.5 * np.exp(-1.959964 * se), 0.5 * np.exp(1.959964 * se)), rel=1e-6)
    with pytest.raises(rk.ParameterError, match="intervals=0 must be a whole number"):
        res.hazard_ratio_over_time(intervals=0)


def test_assigned_counts_include_customers_too_new_to_classify():
    # customer_lifetimes leaves out customers who started after as_of - churn_after; the
    # sample-ratio check and the immature counts must still see everyone assigned by as_of.
    shop = rk.load_coffee_shop()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        res = rk.compare_retention(shop.assignments, shop.transactions, as_of="2024-06-30", churn_after="30D")
        life = rk.customer_lifetimes(shop.transactions, churn_after="30D", as_of="2024-06-30",
                                     start_times=shop.assignments, by=["arm"])
        from_table = rk.compare_retention(shop.assignments, lifetimes=life, as_of="2024-06-30", churn_after="30D")
    by_as_of = shop.assignments[shop.assignments["date"] < "2024-07-01"].groupby("arm").size()
    assert dict(res.srm.observed) == by_as_of.to_dict() == {"control": 1152, "loyalty": 1109}
    assert rk.metadata(life)["not_yet_classifiable"] > 0  # the case this guards
    assert len(life) < by_as_of.sum()
    # Immature = assigned by as_of minus mature, per arm (late starters included).
    mature = res.lifetimes[res.lifetimes["mature"]].groupby("arm").size()
    assert res.immature.to_dict() == (by_as_of - mature).to_dict()
    assert dict(from_table.srm.observed) == by_as_of.to_dict()
