"""Customer lifetime value, the validation tables and plots, and P(alive) beside the
inactivity rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

import retention_kit as rk


@pytest.fixture(scope="module")
def data():
    log = rk.load_cdnow()
    sample = log[log["customer_id"].isin(rk.cdnow_sample_ids())]
    summary = rk.rfm_summary(sample, "1997-09-30", "1998-06-30", amount_col="amount")
    return sample, summary, rk.fit_bgnbd(summary), rk.fit_pareto_nbd(summary), rk.fit_gamma_gamma(summary)


def test_clv_without_discount_is_spend_times_purchases(data):
    _, summary, bg, _, gg = data
    value = rk.customer_lifetime_value(bg, gg, summary, horizon=39, discount_rate=0.0)
    expected = gg.expected_spend(summary) * bg.expected_purchases(39, summary)
    np.testing.assert_allclose(value.table["clv"], expected, rtol=1e-12)
    assert value.table.index.equals(summary.index)


def test_discounting_by_hand(data):
    _, summary, bg, _, gg = data
    head = summary.head(3)
    value = rk.customer_lifetime_value(bg, gg, head, horizon=10, discount_rate=0.01, margin=0.3)
    # sum over weeks k of the purchases expected in week k, discounted by 1.01^k, times margin x spend
    cum = np.array([bg.expected_purchases(k, head).to_numpy() for k in range(11)])
    by_hand = 0.3 * gg.expected_spend(head).to_numpy() * (np.diff(cum, axis=0).T / 1.01 ** np.arange(1, 11)).sum(axis=1)
    np.testing.assert_allclose(value.table["clv"], by_hand, rtol=1e-12)


def test_pareto_clv_approaches_the_published_closed_form(data):
    """Fader, Hardie & Lee (2005, "RFM and CLV", eq. for DERT): with continuous discounting at
    delta, DERT = alpha^r beta^s delta^(s-1) Gamma(r+x+1) U(s, s; delta (beta+T)) /
    (Gamma(r) (alpha+T)^(r+x+1) L), U Tricomi's function. Our discrete weekly sum over a long
    horizon at the matching rate d = e^delta - 1 differs only by the within-week timing."""
    _, summary, _, pn, _ = data
    r, alpha, s, beta = pn.params
    delta = np.log(1.15) / 52  # 15 % a year, as in the paper
    x, tx, big_t = 2.0, 30.43, 38.86
    ll = rk.clv.pareto_nbd.loglik(pn.params.to_numpy(), np.array([x]), np.array([tx]), np.array([big_t]))[0]
    log_dert = (r * np.log(alpha) + s * np.log(beta) + (s - 1) * np.log(delta) + special.gammaln(r + x + 1)
                - special.gammaln(r) - (r + x + 1) * np.log(alpha + big_t) - ll)
    dert = np.exp(log_dert) * special.hyperu(s, s, delta * (beta + big_t))
    one = pd.DataFrame({"frequency": [x], "recency": [tx], "T": [big_t], "monetary_value": [1.0]})
    gg_unit = rk.GammaGammaModel(np.log([1e6, 1e6 + 1, 1.0]), 0.0, np.zeros((3, 3)), 1)  # spend ~ 1
    value = rk.customer_lifetime_value(pn, gg_unit, one, horizon=52 * 200, discount_rate=np.expm1(delta))
    assert value.table["discounted_purchases"].iloc[0] == pytest.approx(dert, rel=5e-3)


def test_clv_intervals_and_summary(data):
    _, summary, bg, _, gg = data
    value = rk.customer_lifetime_value(bg, gg, summary, horizon=52, discount_rate=0.002)
    t = value.table
    assert ((t["clv_lower"] < t["clv"]) & (t["clv"] < t["clv_upper"])).all()
    s = value.summary.iloc[0]
    assert s["total_clv"] == pytest.approx(t["clv"].sum())
    assert s["total_lower"] < s["total_clv"] < s["total_upper"]
    assert "2,357 customers" in value.explain() and "<table" in value._repr_html_()


def test_a_customer_surely_gone_is_worth_zero_with_a_zero_interval(data):
    _, _, bg, _, gg = data
    gone = pd.DataFrame({"frequency": [300.0, 2.0], "recency": [1.0, 30.43], "T": [2000.0, 38.86],
                         "monetary_value": [10.0, 20.0]})  # 300 purchases in week 1, then 2,000 weeks of silence
    t = rk.customer_lifetime_value(bg, gg, gone, horizon=52, discount_rate=0.001).table
    assert t.loc[0, ["clv", "clv_lower", "clv_upper"]].tolist() == [0.0, 0.0, 0.0]
    assert np.isfinite(t.loc[1, ["clv_lower", "clv_upper"]]).all()


def test_clv_errors(data):
    _, summary, bg, _, gg = data
    with pytest.raises(rk.ParameterError, match="horizon"):
        rk.customer_lifetime_value(bg, gg, summary, horizon=0, discount_rate=0.01)
    with pytest.raises(rk.ParameterError, match="discount_rate"):
        rk.customer_lifetime_value(bg, gg, summary, horizon=5, discount_rate=-0.1)
    with pytest.raises(rk.ParameterError, match="spend_model"):
        rk.customer_lifetime_value(bg, bg, summary, horizon=5, discount_rate=0.01)
    with pytest.raises(rk.DataError, match="monetary_value"):
        rk.customer_lifetime_value(bg, gg, summary.drop(columns="monetary_value"), horizon=5, discount_rate=0.0)


def test_tracking_table(data):
    sample, _, bg, _, _ = data
    table = rk.tracking_table(bg, sample, "1997-09-30", "1998-06-30")
    # 78 weeks from 1997-01-01; the published cumulative repeat purchases: 2,457 by week 39,
    # 2,457 + 1,882 = 4,339 by week 78 (Fader, Hardie & Lee 2005)
    assert len(table) == 78 and table["holdout"].sum() == 39
    assert table["actual_cumulative"].iloc[38] == 2457 and table["actual_cumulative"].iloc[-1] == 4339
    assert table["actual"].sum() == 4339
    # the expectation at the calibration end is the sum over customers of E[X(T_i)]
    summary = rk.rfm_summary(sample, "1997-09-30")
    assert table["expected_cumulative"].iloc[38] == pytest.approx(bg.expected_purchases_new(summary["T"]).sum())


def test_conditional_expectations_and_histogram(data):
    _, summary, bg, pn, _ = data
    cond = rk.conditional_expectations_table(bg, summary)
    assert cond["customers"].sum() == 2357 and cond.loc["0", "customers"] == 1411
    # by hand: mean holdout purchases and mean conditional expectation per frequency 0..6, 7+
    group = np.minimum(summary["frequency"], 7)
    np.testing.assert_allclose(cond["actual"], summary.groupby(group)["frequency_holdout"].mean())
    expected = bg.expected_purchases(39, summary).groupby(group).mean()
    np.testing.assert_allclose(cond["expected"], expected, rtol=1e-12)
    hist = rk.frequency_histogram_table(pn, summary)
    assert hist["actual"].tolist() == [1411, 439, 214, 100, 62, 38, 29, 64]
    assert hist["expected"].sum() == pytest.approx(2357)
    with pytest.raises(rk.DataError, match="holdout"):
        rk.conditional_expectations_table(bg, summary.drop(columns=["frequency_holdout", "duration_holdout"]))


def test_plots_return_labelled_axes(data):
    sample, summary, bg, _, _ = data
    tables = [(rk.plot_tracking, rk.tracking_table(bg, sample, "1997-09-30", "1998-06-30")),
              (rk.plot_conditional_expectations, rk.conditional_expectations_table(bg, summary)),
              (rk.plot_frequency_histogram, rk.frequency_histogram_table(bg, summary))]
    for plot, table in tables:
        ax = plot(table)
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
        assert len(ax.get_legend().get_texts()) == 2


def test_alive_vs_inactivity(data):
    _, summary, bg, _, _ = data
    cmp = rk.alive_vs_inactivity(bg, summary, churn_after=13)  # a quarter of silence, in weeks
    c = cmp.customers
    silent = summary["T"] - summary["recency"]
    assert c["rule_churned"].sum() == (silent >= 13).sum()
    assert cmp.rule_churned_but_alive == ((silent >= 13) & (bg.probability_alive(summary) >= 0.5)).sum()
    assert cmp.table.to_numpy().sum() == 2357
    assert cmp.table.loc["rule: churned", "model: probably alive"] == cmp.rule_churned_but_alive
    same = rk.alive_vs_inactivity(bg, summary, churn_after="91D")  # 91 days = 13 weeks
    assert same.rule_churned_but_alive == cmp.rule_churned_but_alive
    assert "churned" in cmp.explain() and "<table" in cmp._repr_html_()
    with pytest.raises(rk.ParameterError, match="threshold"):
        rk.alive_vs_inactivity(bg, summary, 13, threshold=1.5)
