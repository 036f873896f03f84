"""sBG and BdW retention models: the published Fader & Hardie (2007) estimates, the
likelihood and survival function recomputed independently, parameter recovery from data
simulated with a seed, and DERL (Fader & Hardie 2010) closed form versus its series."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

import retention_kit as rk

matplotlib.use("Agg")

# Fader & Hardie (2007), "How to Project Customer Retention", Table 1: % of customers
# surviving years 0-12 (out of 1,000). The paper fits years 0-7 and projects 8-12.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


def simulate_cohort(alpha, beta, n, periods, seed, c=1.0):
    """Survivors of a cohort: theta ~ Beta(alpha, beta), P(T > t | theta) = (1 - theta)^(t^c)."""
    rng = np.random.default_rng(seed)
    theta = rng.beta(alpha, beta, n)
    u = rng.random(n)
    lifetime = np.ceil((np.log(u) / np.log1p(-theta)) ** (1 / c))
    return [int((lifetime > t).sum()) for t in range(periods + 1)]


@pytest.mark.parametrize("data, alpha, beta", [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)])
def test_reproduces_published_estimates(data, alpha, beta):
    model = rk.fit_sbg(data[:8])
    assert model.alpha == pytest.approx(alpha, abs=0.0015)
    assert model.beta == pytest.approx(beta, abs=0.0015)


@pytest.mark.parametrize("data", [REGULAR, HIGH_END])
def test_projection_tracks_the_later_years(data):
    # The paper's point: fitted on years 1-7, the sBG projects years 8-12 closely.
    proj = rk.fit_sbg(data[:8]).project(12).set_index("period")
    actual = np.array(data[8:]) / 1000
    np.testing.assert_allclose(proj.loc[8:12, "survival"], actual, atol=0.02)
    assert proj["fitted"].sum() == 8 and proj["observed_survivors"].isna().sum() == 5


def test_log_likelihood_recomputed_by_recursion():
    model = rk.fit_sbg(HIGH_END[:8])
    a, b = model.alpha, model.beta
    # F&H (2007) eq. 7: P(T=1) = a/(a+b), P(T=t) = (b+t-2)/(a+b+t-1) P(T=t-1); S(t) = S(t-1) - P(T=t)
    p, s, ll = a / (a + b), 1.0, 0.0
    for t in range(1, 8):
        if t > 1:
            p *= (b + t - 2) / (a + b + t - 1)
        s -= p
        ll += (HIGH_END[t - 1] - HIGH_END[t]) * np.log(p)
    ll += HIGH_END[7] * np.log(s)
    assert model.log_likelihood == pytest.approx(ll, rel=1e-10)
    # and it is the maximum: nudging either parameter lowers it
    for da, db in ((0.01, 0), (-0.01, 0), (0, 0.05), (0, -0.05)):
        other = rk.SBGModel(survivors=model.survivors, log_likelihood=0.0, alpha=a + da, beta=b + db)
        assert sum((HIGH_END[t - 1] - HIGH_END[t]) * np.log(other.churn_probability(t)) for t in range(1, 8)) \
            + HIGH_END[7] * np.log(other.survival(7)) < ll


def test_survival_is_the_beta_mixture_of_geometrics():
    model = rk.SBGModel(survivors=np.array([10.0, 5, 3]), log_likelihood=0.0, alpha=0.7, beta=1.2)
    for t in (0, 1, 5, 20):
        mixture, _ = integrate.quad(lambda th: (1 - th) ** t * stats.beta.pdf(th, 0.7, 1.2), 0, 1)
        assert model.survival(t) == pytest.approx(mixture, rel=1e-7)
    t = np.arange(1, 30)
    np.testing.assert_allclose(model.retention_rate(t), model.survival(t) / model.survival(t - 1))
    np.testing.assert_allclose(model.churn_probability(t), model.survival(t - 1) - model.survival(t))


@pytest.mark.parametrize("alpha, beta, seed", [(0.7, 1.2, 1), (2.0, 6.0, 2)])
def test_recovers_simulated_parameters(alpha, beta, seed):
    survivors = simulate_cohort(alpha, beta, n=20_000, periods=10, seed=seed)
    model = rk.fit_sbg(survivors)
    se_a, se_b = model.std_errors
    assert abs(model.alpha - alpha) < 3 * se_a and abs(model.beta - beta) < 3 * se_b
    assert se_a < 0.25 * alpha  # informative, not a huge interval that always covers


def test_standard_errors_match_spread_across_replications():
    # 60 seeded cohorts of 2,000 from alpha = 1, beta = 3: the Hessian SE of alpha should be
    # close to the SD of the estimates (within 30 % for 60 replications).
    est, ses = [], []
    for seed in range(60):
        model = rk.fit_sbg(simulate_cohort(1.0, 3.0, n=2000, periods=8, seed=100 + seed))
        est.append(model.alpha)
        ses.append(model.std_errors[0])
    assert np.median(ses) == pytest.approx(np.std(est, ddof=1), rel=0.3)


def test_derl_closed_form_equals_series():
    model = rk.fit_sbg(HIGH_END[:8])
    for renewals in (0, 3, 7):
        closed = model.derl(0.10, renewals)
        series = rk.contractual._RetentionModel.derl(model, 0.10, renewals)
        assert closed == pytest.approx(series, rel=1e-9)
    # jdmaturen/shifted_beta_geometric_py (README) reports 7.530 for the high-end fit, d = 10 %,
    # seven renewals made.
    assert model.derl(0.10, 7) == pytest.approx(7.530, abs=0.001)
    # Survivors are sorted towards loyal customers, so residual lifetime grows with renewals.
    values = [model.derl(0.10, k) for k in range(10)]
    assert all(np.diff(values) > 0)


def test_derl_without_heterogeneity_is_a_geometric_annuity():
    # A huge alpha, beta with the same mean churn 0.2 is a homogeneous cohort: DERL =
    # sum_{k>=0} 0.8^(k+1) / 1.1^k = 0.8 / (1 - 0.8/1.1) = 2.9333.
    model = rk.SBGModel(survivors=np.array([10.0, 8, 6]), log_likelihood=0.0, alpha=2e6, beta=8e6)
    assert model.derl(0.10, 4) == pytest.approx(0.8 / (1 - 0.8 / 1.1), rel=1e-5)


def test_bdw_matches_foretell_and_recovers_c():
    # apwheele/retenmod (Python port of the R package foretell) README: bdw on
    # [100, 86.9, 74.3, 65.3, 59.3] gives alpha 0.2593, beta 1.7226, c 1.5843, -LL 122.27;
    # counts x 10 give the same estimates and 10 x the log-likelihood.
    model = rk.fit_bdw([1000, 869, 743, 653, 593])
    assert (model.alpha, model.beta, model.c) == pytest.approx((0.2593, 1.7226, 1.5843), abs=0.001)
    assert model.log_likelihood == pytest.approx(-1222.7, abs=0.1)
    survivors = simulate_cohort(1.0, 2.0, n=20_000, periods=10, seed=9, c=0.7)
    fit = rk.fit_bdw(survivors)
    assert abs(fit.c - 0.7) < 3 * fit.std_errors[2]
    # on sBG data the BdW shape is about 1 and the likelihood barely improves
    sbg_data = simulate_cohort(1.0, 2.0, n=20_000, periods=10, seed=10)
    bdw, sbg = rk.fit_bdw(sbg_data), rk.fit_sbg(sbg_data)
    assert abs(bdw.c - 1) < 3 * bdw.std_errors[2]
    assert 0 <= bdw.log_likelihood - sbg.log_likelihood < 3


def test_result_objects_read_well():
    model = rk.fit_sbg(REGULAR[:8])
    assert model.summary["parameter"].tolist() == ["alpha", "beta"]
    text = model.explain()
    assert "Beta(alpha=0.704, beta=1.182)" in text and f"{model.retention_rate(1):.1%}" in text
    assert repr(model).startswith("SBGModel(alpha=0.7041")
    assert "<table" in model._repr_html_()
    ax = model.plot(periods=12)
    assert ax.get_title() and ax.get_xlabel() == "period" and ax.get_ylabel() == "still active"
    matplotlib.pyplot.close("all")
    assert "c=" in rk.fit_bdw(REGULAR[:8]).explain()


def test_bad_input():
    with pytest.raises(rk.DataError, match="at least 3 values"):
        rk.fit_sbg([1000, 600])
    with pytest.raises(rk.DataError, match=r"whole counts of customers, not shares.*Multiply"):
        rk.fit_sbg([1.0, 0.631, 0.468])
    with pytest.raises(rk.DataError, match="rises from 600 to 700 at period 2"):
        rk.fit_sbg([1000, 600, 700])
    with pytest.raises(rk.DataError, match="Nobody churned"):
        rk.fit_sbg([100, 100, 100])
    with pytest.raises(rk.DataError, match="at least 4 survivor counts"):
        rk.fit_bdw([1000, 600, 500])
    model = rk.fit_sbg(REGULAR[:8])
    with pytest.raises(rk.ParameterError, match="discount_rate=0 must be a positive rate"):
        model.derl(0, 1)
    with pytest.raises(rk.ParameterError, match="renewals=-1 must be a whole number"):
        model.derl(0.1, -1)
    with pytest.raises(rk.ParameterError, match="periods=0"):
        model.project(0)
    with pytest.raises(rk.ParameterError, match=r"t=0 must be whole periods >= 1"):
        model.retention_rate(0)
    with pytest.raises(rk.ParameterError, match=r"must be whole periods >= 0"):
        model.survival(1.5)


def test_unit_given_at_the_fit_labels_the_plot_and_bad_units_are_refused():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    survivors = [1000, 631, 468, 382, 326, 289, 262, 241]  # Fader & Hardie (2007), regular customers
    for fit in (rk.fit_sbg, rk.fit_bdw):
        model = fit(survivors, unit="year")
        assert model.unit == "year"
        ax = model.plot(periods=12)
        assert ax.get_xlabel().startswith("years since the start")
        plt.close(ax.figure)
        assert fit(survivors).unit is None
        with pytest.raises(rk.ParameterError, match="unit="):
            fit(survivors, unit=1)
