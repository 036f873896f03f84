"""BG/NBD, Pareto/NBD and gamma-gamma: published estimates, closed forms, numerical safety,
errors. Reference values carry their source next to them."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, special

import retention_kit as rk
from retention_kit.clv import bgnbd, gamma_gamma, pareto_nbd

BG_PUBLISHED = np.log([0.243, 4.414, 0.793, 2.426])  # FHL (2005), "Counting your customers the easy way"
PN_PUBLISHED = np.log([0.553, 10.578, 0.606, 11.669])  # same paper, Pareto/NBD column


@pytest.fixture(scope="module")
def cdnow():
    """The 2,357-customer CDNOW sample, 39-week calibration to 1997-09-30, 78 weeks in all,
    summarised from the raw master-file transactions."""
    log = rk.load_cdnow()
    sample = log[log["customer_id"].isin(rk.cdnow_sample_ids())]
    return rk.rfm_summary(sample, "1997-09-30", "1998-06-30", amount_col="amount")


@pytest.fixture(scope="module")
def fits(cdnow):
    return rk.fit_bgnbd(cdnow), rk.fit_pareto_nbd(cdnow), rk.fit_gamma_gamma(cdnow)


def test_published_estimates(fits):
    bg, pn, gg = fits
    # Fader, Hardie & Lee (2005, Marketing Science 24(2)), BG/NBD: r = 0.243, alpha = 4.414,
    # a = 0.793, b = 2.426, LL = -9582.4; Pareto/NBD: r = 0.553, alpha = 10.578, s = 0.606,
    # beta = 11.669, LL = -9595.0.
    assert bg.params.round(3).tolist() == [0.243, 4.414, 0.793, 2.426]
    assert round(bg.log_likelihood, 1) == -9582.4
    assert pn.params.round(3).tolist() == [0.553, 10.578, 0.606, 11.669]
    assert round(pn.log_likelihood, 1) == -9595.0
    # Fader, Hardie & Lee (2005, JMR 42(4), "RFM and CLV"): p = 6.25, q = 3.74, gamma = 15.44,
    # fitted on the 946 customers with repeat purchases.
    assert gg.params.round(2).tolist() == [6.25, 3.74, 15.44]
    assert gg.n_customers == 946
    # same paper: correlation of mean spend and frequency 0.11
    assert round(gg.spend_correlation, 2) == 0.11


def test_standard_errors_match_lifetimes(fits):
    bg, _, gg = fits
    # lifetimes 0.11.3, BetaGeoFitter().fit(frequency, recency, T).summary["se(coef)"] on the
    # same summary: 0.012557, 0.378224, 0.185734, 0.705414 (numerical Hessians differ in the
    # 5th digit); GammaGammaFitter: 1.190055, 0.290133, 4.159423.
    np.testing.assert_allclose(bg.std_errors, [0.012557, 0.378224, 0.185734, 0.705414], rtol=2e-4)
    np.testing.assert_allclose(gg.std_errors, [1.190055, 0.290133, 4.159423], rtol=2e-4)
    ci = bg.confidence_intervals
    assert (ci["lower"] < bg.params).all() and (bg.params < ci["upper"]).all()


def test_bgnbd_worked_example():
    model = bgnbd.BGNBDModel(BG_PUBLISHED, 0.0, np.eye(4), 1)
    # Hardie's BG/NBD spreadsheet (customer 1 of the CDNOW sample; lifetimes'
    # test_conditional_expectation_returns_same_value_as_Hardie_excel_sheet): 1.226.
    assert round(model.expected_purchases(39, 2, 30.43, 38.86), 3) == 1.226
    # P(alive) = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x))
    #          = 1 / (1 + 0.793 / 3.426 * (43.274 / 34.844)^2.243) = 1 / (1 + 0.2315 * 1.6253) = 0.7266
    assert model.probability_alive(2, 30.43, 38.86) == pytest.approx(0.7266, abs=1e-4)
    assert model.probability_alive(0, 0, 38.86) == 1.0  # no repeat purchase: no chance to drop out


def test_predictions_match_lifetimes(cdnow, fits):
    bg, pn, gg = fits
    head = cdnow.head(5)
    # lifetimes 0.11.3 with its own fits on the same summary (parameters equal to ~1e-6):
    # conditional_probability_alive / conditional_expected_number_of_purchases_up_to_time(52, ...)
    np.testing.assert_allclose(bg.probability_alive(head), [0.72662, 1.0, 0.212391, 1.0, 1.0], atol=2e-6)
    np.testing.assert_allclose(bg.expected_purchases(52, head),
                               [1.558686, 0.253893, 0.260122, 0.251682, 0.276613], atol=2e-6)
    np.testing.assert_allclose(pn.probability_alive(head), [0.869135, 0.297645, 0.167994, 0.29511, 0.323382],
                               atol=1e-5)
    np.testing.assert_allclose(pn.expected_purchases(52, head),
                               [1.850904, 0.138344, 0.217641, 0.136185, 0.161178], atol=2e-5)
    # BetaGeoFitter.probability_of_n_purchases_up_to_time(39, n), n = 0..3
    np.testing.assert_allclose(bg.probability_of_purchases(np.arange(4), 39),
                               [0.5743072, 0.1991925, 0.0853229, 0.0457976], atol=1e-7)
    # GammaGammaFitter.conditional_expected_average_profit (lifetimes gives NaN for x = 0,
    # we give the population mean p gamma / (q - 1) = 35.17)
    spend = gg.expected_spend(head)
    np.testing.assert_allclose(spend.iloc[[0, 2]], [24.653919, 18.910018], atol=1e-4)
    assert spend.iloc[1] == pytest.approx(gg.mean_spend) == pytest.approx(6.249561 * 15.443555 / 2.744226)


def test_euler_form_equals_the_paper_form():
    model = bgnbd.BGNBDModel(BG_PUBLISHED, 0.0, np.eye(4), 1)
    r, alpha, a, b = np.exp(BG_PUBLISHED)
    for x, tx, big_t, t in [(2, 30.43, 38.86, 39), (0, 0, 20.0, 10), (7, 35.0, 38.0, 52), (1, 3.0, 30.0, 200)]:
        # FHL (2005) conditional expectation as printed
        z = t / (alpha + big_t + t)
        top = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        denom = 1 + (x > 0) * a / (b + x - 1) * ((alpha + big_t) / (alpha + tx)) ** (r + x)
        paper = (a + b + x - 1) / (a - 1) * top / denom
        assert model.expected_purchases(t, x, tx, big_t) == pytest.approx(paper, rel=1e-9)
        # FHL (2005) unconditional expectation as printed
        u = t / (alpha + t)
        paper_new = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, u))
        assert model.expected_purchases_new(t) == pytest.approx(paper_new, rel=1e-9)


@pytest.mark.parametrize("model_cls,log_params", [(bgnbd.BGNBDModel, BG_PUBLISHED),
                                                   (pareto_nbd.ParetoNBDModel, PN_PUBLISHED)])
def test_unconditional_expectation_is_the_mean_of_the_pmf(model_cls, log_params):
    model = model_cls(log_params, 0.0, np.eye(4), 1)
    n = np.arange(400)
    for t in (5.0, 39.0, 78.0):
        pmf = model.probability_of_purchases(n, t)
        assert pmf.sum() == pytest.approx(1.0, abs=1e-8)
        # E[X(t)] closed form (FHL 2005; Pareto/NBD note) vs sum of n P(X(t) = n)
        assert (n * pmf).sum() == pytest.approx(model.expected_purchases_new(t), rel=1e-6)


@pytest.mark.parametrize("params", [(0.55, 10.58, 0.61, 11.67), (0.55, 11.67, 0.61, 10.58), (2.0, 3.0, 5.0, 40.0)])
@pytest.mark.parametrize("x,tx,big_t", [(2, 30.43, 38.86), (0, 0.0, 38.86), (10, 5.0, 40.0), (600, 30.0, 38.9)])
def test_pareto_likelihood_against_quadrature(params, x, tx, big_t):
    """The hypergeometric form (both signs of alpha - beta) against scipy.integrate.quad of
    L = Gamma(r+x)/Gamma(r) alpha^r beta^s [(alpha+T)^-(r+x) (beta+T)^-s + s int_tx^T
    (alpha+y)^-(r+x) (beta+y)^-(s+1) dy], the integrand scaled by its value at t_x so that
    x = 600 does not underflow."""
    r, alpha, s, beta = params
    log_g = lambda y: -(r + x) * np.log(alpha + y) - (s + 1) * np.log(beta + y)  # noqa: E731
    scaled = integrate.quad(lambda y: np.exp(log_g(y) - log_g(tx)), tx, big_t, epsabs=0, epsrel=1e-12)[0]
    died = np.log(s) + log_g(tx) + np.log(scaled)
    alive = -(r + x) * np.log(alpha + big_t) - s * np.log(beta + big_t)
    expected = (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
                + np.logaddexp(alive, died))
    got = pareto_nbd.loglik(np.array(params), np.array([x], float), np.array([tx]), np.array([big_t]))[0]
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_extreme_customers_stay_finite():
    x = np.array([0, 1, 500, 5000, 20000], float)
    tx = np.array([0, 1.0, 90.0, 900.0, 4999.0])
    big_t = np.array([1e-3, 2.0, 100.0, 1000.0, 5000.0])
    for module, lp in ((bgnbd, BG_PUBLISHED), (pareto_nbd, PN_PUBLISHED)):
        for p in (np.exp(lp), np.array([50.0, 0.5, 0.05, 300.0]), np.array([0.05, 300.0, 50.0, 0.5])):
            assert np.isfinite(module.loglik(p, x, tx, big_t)).all()
    for cls, lp in ((bgnbd.BGNBDModel, BG_PUBLISHED), (pareto_nbd.ParetoNBDModel, PN_PUBLISHED)):
        model = cls(lp, 0.0, np.eye(4), 1)
        for values in (model.probability_alive(x, tx, big_t), model.expected_purchases(520, x, tx, big_t)):
            assert np.isfinite(values).all() and (values >= 0).all()
    assert np.isfinite(gamma_gamma.loglik((6.25, 3.74, 15.44), np.array([1.0, 1e4]), np.array([0.01, 1e5]))).all()


def test_bgnbd_gradient_is_right():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 30, 200).astype(float)
    big_t = rng.uniform(1, 60, 200)
    tx = np.where(x > 0, big_t * rng.uniform(0, 1, 200), 0.0)
    w = rng.integers(1, 5, 200)
    g = rk.clv._base.grouped(*(np.repeat(v, w) for v in (x, tx, big_t)))  # duplicates become weights
    lp = np.log([0.4, 3.0, 1.2, 2.5])
    nll, grad = bgnbd._nll_and_gradient(lp, g)
    assert nll == pytest.approx(-np.sum(w * bgnbd.loglik(np.exp(lp), x, tx, big_t)), rel=1e-12)
    numeric = optimize.approx_fprime(lp, lambda v: bgnbd._nll_and_gradient(v, g)[0], 1e-7)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4)


def test_grouping_gives_the_same_fit(cdnow):
    # weighted unique rows vs one row per customer (no grouping): same maximum
    bg = rk.fit_bgnbd(cdnow)
    x, tx, t = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    ll = bgnbd.loglik(np.exp(bg._log_params), x, tx, t).sum()
    assert ll == pytest.approx(bg.log_likelihood, abs=1e-6)


def test_results_read_like_the_rest_of_the_kit(fits):
    for model in fits:
        assert list(model.summary.columns) == ["estimate", "std_error", "lower", "upper"]
        assert isinstance(model.params, pd.Series)
        assert type(model).__name__ in repr(model) and "log_likelihood" in repr(model)
        html = model._repr_html_()
        assert "<table" in html and model.explain()[:20] in html
    bg = fits[0]
    assert bg.alpha == pytest.approx(bg.params["alpha"]) and "per week" in bg.explain()


def test_frame_inputs_keep_the_index(cdnow, fits):
    bg = fits[0]
    out = bg.probability_alive(cdnow)
    assert isinstance(out, pd.Series) and out.index.equals(cdnow.index)
    assert isinstance(bg.probability_alive(1, 2.0, 3.0), float)
    assert bg.probability_of_purchases(0, cdnow).index.equals(cdnow.index)


def test_bad_input_errors(cdnow):
    with pytest.raises(rk.DataError, match="negative T"):
        rk.fit_bgnbd(pd.DataFrame({"frequency": [1.0], "recency": [1.0], "T": [-2.0]}))
    with pytest.raises(rk.DataError, match="recency outside"):
        rk.fit_pareto_nbd(pd.DataFrame({"frequency": [1.0], "recency": [5.0], "T": [2.0]}))
    with pytest.raises(rk.DataError, match="whole number"):
        rk.fit_bgnbd(pd.DataFrame({"frequency": [1.5], "recency": [1.0], "T": [2.0]}))
    with pytest.raises(rk.DataError, match="no column 'recency'"):
        rk.fit_bgnbd(pd.DataFrame({"frequency": [1.0], "T": [2.0]}))
    with pytest.raises(rk.DataError, match="T = 0"):
        rk.fit_bgnbd(pd.DataFrame({"frequency": [0.0], "recency": [0.0], "T": [0.0]}))
    with pytest.warns(rk.DataQualityWarning, match="T = 0"):
        rk.fit_bgnbd(pd.concat([cdnow, pd.DataFrame({"frequency": [0.0], "recency": [0.0], "T": [0.0]})]))
    with pytest.raises(rk.DataError, match="No customer made a repeat purchase"):
        rk.fit_gamma_gamma(pd.DataFrame({"frequency": [0.0, 0.0], "monetary_value": [np.nan, np.nan]}))
    with pytest.raises(rk.DataError, match="not positive"):
        rk.fit_gamma_gamma(pd.DataFrame({"frequency": [1.0, 2.0], "monetary_value": [10.0, 0.0]}))
    with pytest.raises(rk.DataError, match="monetary_value"):
        rk.fit_gamma_gamma(cdnow.drop(columns="monetary_value"))
    model = bgnbd.BGNBDModel(BG_PUBLISHED, 0.0, np.eye(4), 1)
    with pytest.raises(rk.DataError, match="negative T"):
        model.probability_alive(1, 1.0, -1.0)
    with pytest.raises(rk.ParameterError, match="t="):
        model.expected_purchases(-1, 1, 1.0, 2.0)


def test_non_convergence_warns():
    # nobody ever comes back: the MLE of the purchase rate runs to zero
    dead = pd.DataFrame({"frequency": np.zeros(200), "recency": np.zeros(200), "T": np.linspace(5, 40, 200)})
    with pytest.warns(rk.ConvergenceWarning, match="Try a longer calibration period"):
        rk.fit_bgnbd(dead)


def test_independence_warning(cdnow):
    rng = np.random.default_rng(0)
    x = rng.integers(1, 20, 500).astype(float)
    with pytest.warns(rk.IndependenceWarning, match="correlated"):
        gamma_gamma._independence_check(x, 5 + 3 * x + rng.gamma(2, 2, 500))
    with warnings.catch_warnings():
        warnings.simplefilter("error", rk.IndependenceWarning)
        gamma_gamma._independence_check(x, rng.gamma(3, 10, 500))
        rk.fit_gamma_gamma(cdnow)  # r = 0.11 on CDNOW: no warning


@pytest.mark.slow
def test_a_million_customers_fit_in_seconds():
    import time

    rng = np.random.default_rng(5)
    ages = 52 - rng.integers(0, 84, 1_000_000) / 7  # daily acquisition over 12 weeks
    sim = rk.simulate_rfm((0.25, 4.0, 0.8, 2.5), 1_000_000, T=ages, seed=5)
    sim["recency"] = np.minimum(np.floor(sim["recency"] * 7) / 7, sim["T"])  # whole days
    for fit in (rk.fit_bgnbd, rk.fit_pareto_nbd):
        started = time.perf_counter()
        fit(sim)
        assert time.perf_counter() - started < 30  # 3.5 s and 8 s on a quiet 2-core machine
