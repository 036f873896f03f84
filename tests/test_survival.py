"""Lifetimes from logs and subscription tables, Kaplan-Meier, log-rank (two, many, pairwise),
Cox drivers and the purchase-gap helper. References: hand arithmetic, plain loops written
here, lifelines called directly on raw rows, statsmodels' multipletests and the simulator's
known truth."""

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test, pairwise_logrank_test
from scipy import stats
from statsmodels.stats.multitest import multipletests

import retention_kit as rk

matplotlib.use("Agg")


def log(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date"]).assign(date=lambda d: pd.to_datetime(d["date"]))


@pytest.fixture(scope="module")
def shop():
    return rk.load_coffee_shop()


@pytest.fixture(scope="module")
def shop_life(shop):
    return rk.customer_lifetimes(shop.transactions, churn_after=60, start_times=shop.assignments,
                                 by=["arm", "channel"])


# ---------------------------------------------------------------- customer_lifetimes

def test_lifetimes_by_hand():
    events = log([("a", "2024-01-01"), ("a", "2024-01-20"), ("a", "2024-02-01"),
                  ("b", "2024-01-05"), ("b", "2024-05-30"),
                  ("c", "2024-03-31")])
    life = rk.customer_lifetimes(events, churn_after=60)
    # as_of = last date 2024-05-30. a: last 02-01, silent 119 days >= 60 -> churned, 31 days.
    # b: silent 0 days -> censored at the detection limit as_of - 60 days = 03-31:
    # 01-05 to 03-31 = 86 days. c: silent 60 days -> churned (at least churn_after), one
    # purchase -> duration 0.
    assert life["customer_id"].tolist() == ["a", "b", "c"]
    assert life["duration"].tolist() == [31.0, 86.0, 0.0]
    # Censored at as_of instead: b runs 01-05 to 05-30 = 146 days.
    as_of_convention = rk.customer_lifetimes(events, churn_after=60, censor_at="as_of")
    assert as_of_convention["duration"].tolist() == [31.0, 146.0, 0.0]
    assert life["churned"].tolist() == [True, False, True]
    assert life.columns.tolist() == ["customer_id", "start", "first_activity", "last_activity", "duration", "churned"]
    assert life["duration"].dtype == float and life["churned"].dtype == bool
    assert rk.metadata(life)["as_of"] == pd.Timestamp("2024-05-30")
    assert rk.metadata(life)["churn_after"] == pd.Timedelta(days=60)
    assert life.attrs["data_quality"].customers == 3


def test_churn_threshold_boundary_and_as_of():
    events = log([("a", "2024-01-01"), ("a", "2024-01-11"), ("b", "2024-01-01"), ("b", "2024-03-01")])
    life = rk.customer_lifetimes(events, churn_after="10D", as_of="2024-01-21")
    # b's March purchase is after as_of and dropped; a last bought 01-11, 10 days before as_of.
    assert life.set_index("customer_id")["churned"].to_dict() == {"a": True, "b": True}
    assert life.set_index("customer_id")["duration"].to_dict() == {"a": 10.0, "b": 0.0}
    life = rk.customer_lifetimes(events, churn_after="10D", as_of="2024-01-20 23:00")
    assert life.set_index("customer_id")["churned"].to_dict() == {"a": False, "b": True}
    # a is censored at as_of - 10 days = 01-10 23:00: 9 days 23 hours after its start.
    assert life.set_index("customer_id")["duration"]["a"] == pytest.approx(9 + 23 / 24)


def test_time_of_day_counts_in_days():
    events = log([("a", "2024-01-01 08:00"), ("a", "2024-01-02 20:00"), ("a", "2024-06-01 00:00")])
    life = rk.customer_lifetimes(events, churn_after=30, as_of="2024-06-01", censor_at="as_of")
    assert life["duration"].iloc[0] == pytest.approx((pd.Timestamp("2024-06-01") - pd.Timestamp("2024-01-01 08:00")).total_seconds() / 86400)


def test_unit_in_calendar_periods():
    events = log([("a", "2024-01-31"), ("a", "2024-03-01"), ("b", "2024-02-15"), ("b", "2024-06-30")])
    life = rk.customer_lifetimes(events, churn_after=60, freq="M", censor_at="as_of")
    # a: Jan -> Mar = 2 months, churned (silent 121 days); b: Feb -> as_of Jun = 4 months, censored.
    assert life["duration"].tolist() == [2.0, 4.0]
    assert life.attrs["time_unit"] == "months"
    assert rk.customer_lifetimes(events, churn_after=60, freq="W").attrs["time_unit"] == "weeks"


def test_start_times_series():
    events = log([("a", "2024-01-01"), ("a", "2024-01-10"), ("a", "2024-01-20"),
                  ("b", "2024-01-05"),
                  ("c", "2024-01-02"), ("c", "2024-04-30"),
                  ("z", "2024-02-01")])
    starts = pd.Series(pd.to_datetime(["2024-01-10", "2024-01-06", "2024-01-02", "2024-04-25"]),
                       index=["a", "b", "c", "d"])
    with pytest.warns(rk.DataQualityWarning, match=r"1 customers of the events have no start.*'z'"):
        life = rk.customer_lifetimes(events, churn_after=30, start_times=starts).set_index("customer_id")
    # as_of = 2024-04-30. a starts 01-10 (the 01-01 purchase is before the start and ignored):
    # last 01-20, churned, 10 days. b: no activity after its start -> last_activity = start,
    # churned, duration 0. c: censored at as_of - 30 days = 03-31: 01-02 to 03-31 = 89 days.
    # d: started 04-25, after the detection limit 03-31: not classifiable yet, left out and
    # counted in the report (no events since its start, so 0 rows).
    assert life["duration"].to_dict() == {"a": 10.0, "b": 0.0, "c": 89.0}
    assert life["churned"].to_dict() == {"a": True, "b": True, "c": False}
    assert life.loc["a", "first_activity"] == pd.Timestamp("2024-01-10")
    assert pd.isna(life.loc["b", "first_activity"]) and life.loc["b", "last_activity"] == pd.Timestamp("2024-01-06")
    report = life.attrs["data_quality"].summary.set_index("check")
    assert report.loc["date", "rows"] == 2  # a's 01-01 and b's 01-05 purchases, before their starts
    assert report.loc["not yet classifiable", "rows"] == 0
    assert report.loc["not yet classifiable", "detail"].startswith("1 customers started after 2024-03-31 00:00")
    assert life.attrs["not_yet_classifiable"] == 1 and life.attrs["data_quality"].customers == 3


def test_start_times_frame_carries_columns(shop, shop_life):
    life = shop_life
    assert len(life) == 3000
    assert life.columns.tolist()[-2:] == ["arm", "channel"]
    truth = shop.customers.set_index("customer_id")
    indexed = life.set_index("customer_id")
    assert (indexed["arm"] == truth["arm"]).all() and (indexed["channel"] == truth["channel"]).all()
    # Assignment is the first purchase, so start == first_activity for every customer.
    assert (life["start"] == life["first_activity"]).all()


def test_start_after_as_of_is_dropped_with_warning():
    events = log([("a", "2024-01-01"), ("a", "2024-02-01")])
    starts = pd.DataFrame({"customer_id": ["a", "b"], "date": ["2024-01-01", "2024-03-01"]})
    with pytest.warns(rk.DataQualityWarning, match=r"1 customers start after the as-of date \(.*\) and were left out"):
        life = rk.customer_lifetimes(events, churn_after=10, start_times=starts)
    assert life["customer_id"].tolist() == ["a"]


def test_lifetimes_match_a_loop_on_random_logs():
    rng = np.random.default_rng(7)
    ids = rng.choice([f"c{i}" for i in range(40)], 400)
    dates = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.uniform(0, 365, 400), unit="D")
    events = pd.DataFrame({"customer_id": ids, "date": dates})
    life = rk.customer_lifetimes(events, churn_after=45).set_index("customer_id")
    as_of = dates.max()
    late = 0
    for cid in sorted(set(ids)):
        mine = sorted(d for c, d in zip(ids, dates) if c == cid)
        if mine[0] > as_of - pd.Timedelta(days=45):  # started after the detection limit: left out
            assert cid not in life.index
            late += 1
            continue
        churned = (as_of - mine[-1]) >= pd.Timedelta(days=45)
        # Censored lifetimes end at the detection limit as_of - churn_after (not before the start).
        end = mine[-1] if churned else max(as_of - pd.Timedelta(days=45), mine[0])
        assert life.loc[cid, "churned"] == churned
        assert life.loc[cid, "duration"] == pytest.approx((end - mine[0]).total_seconds() / 86400)
    assert len(life) + late == len(set(ids)) and life.attrs["not_yet_classifiable"] == late


def test_keep_col_that_varies_raises():
    events = log([("a", "2024-01-01"), ("a", "2024-01-02")]).assign(channel=["app", "web"])
    with pytest.raises(rk.DataError, match=r"Column 'channel' in events varies within a customer for 1 customers \(for example customer 'a' has \['app', 'web'\]\)"):
        rk.customer_lifetimes(events, churn_after=30, by=["channel"])


def test_lifetime_parameter_errors():
    events = log([("a", "2024-01-01")])
    with pytest.raises(TypeError, match="churn_after"):
        rk.customer_lifetimes(events)
    with pytest.raises(rk.ParameterError, match="churn_after='2M': months and years have no fixed length"):
        rk.customer_lifetimes(events, churn_after="2M")
    with pytest.raises(rk.ParameterError, match="freq='fortnight'"):
        rk.customer_lifetimes(events, churn_after=30, freq="fortnight")
    with pytest.raises(rk.DataError, match=r"start_times has 1 customers with more than one start \(for example 'a'\)"):
        rk.customer_lifetimes(events, churn_after=30, start_times=pd.Series(pd.to_datetime(["2024-01-01"] * 2), index=["a", "a"]))
    with pytest.raises(rk.DataError, match=r"Column 'when' \(time_col\) not found in start_times"):
        rk.customer_lifetimes(events.rename(columns={"date": "when"}), churn_after=30, time_col="when",
                              start_times=pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01"]}))
    with pytest.raises(rk.DataError, match="start_times must be a Series"):
        rk.customer_lifetimes(events, churn_after=30, start_times=["2024-01-01"])


# ---------------------------------------------------------------- subscription_lifetimes

def test_subscription_lifetimes():
    subs = pd.DataFrame({"id": [3, 1, 2, 4], "start": ["2024-01-01", "2024-01-01", "2024-02-01", "2024-05-01"],
                         "end": ["2024-07-01", "2024-03-01", None, "2024-05-11"], "plan": ["x", "y", "y", "x"]})
    life = rk.subscription_lifetimes(subs, customer_col="id", as_of="2024-06-01", by=["plan"])
    # 1: Jan 1 -> Mar 1 = 60 days, churned. 2: still active -> censored at Jun 1, 121 days.
    # 3: ends after as_of, so not known yet -> censored, 152 days. 4: 10 days, churned.
    assert life["customer_id"].tolist() == [1, 2, 3, 4]
    assert life["duration"].tolist() == [60.0, 121.0, 152.0, 10.0]
    assert life["churned"].tolist() == [True, False, False, True]
    assert life["plan"].tolist() == ["y", "y", "x", "x"]


def test_subscription_errors():
    subs = pd.DataFrame({"id": [1, 1], "start": ["2024-01-01", "2024-02-01"], "end": [None, "2024-01-01"]})
    with pytest.raises(rk.DataError, match=r"Column 'id' repeats 1 customers \(for example 1\)"):
        rk.subscription_lifetimes(subs, customer_col="id")
    subs["id"] = [1, 2]
    with pytest.raises(rk.DataError, match=r"Column 'end' is before 'start' in 1 rows"):
        rk.subscription_lifetimes(subs, customer_col="id")
    with pytest.raises(rk.DataError, match=r"Column 'ended' \(end_col\) not found.*Did you mean 'end'"):
        rk.subscription_lifetimes(subs, customer_col="id", end_col="ended")


# ---------------------------------------------------------------- purchase_gaps

def test_purchase_gaps(shop):
    events = log([("a", "2024-01-01"), ("a", "2024-01-11"), ("a", "2024-01-11"), ("a", "2024-01-31"),
                  ("b", "2024-01-05"), ("b", "2024-01-09")])
    gaps = rk.purchase_gaps(events)
    assert sorted(gaps.gaps["gap"]) == [4.0, 10.0, 20.0]  # the same-instant repeat is left out
    assert gaps.quantile(0.5) == 10.0
    assert gaps.open_gaps.to_dict() == {"a": 0.0, "b": 22.0}
    assert gaps.summary["quantile"].tolist() == [0.5, 0.75, 0.9, 0.95, 0.99]
    with pytest.raises(rk.ParameterError, match="q=1.5"):
        gaps.quantile(1.5)
    real = rk.purchase_gaps(shop.transactions)
    q90 = real.quantile(0.9)
    assert f"{q90:,.1f} days" in real.explain()
    ax = real.plot()
    assert ax.get_title() and ax.get_xlabel() == "gap (days)"
    matplotlib.pyplot.close("all")


# ---------------------------------------------------------------- Kaplan-Meier

def test_kaplan_meier_by_hand_and_lifelines():
    life = pd.DataFrame({"duration": [2, 3, 4, 5, 6], "churned": [1, 0, 1, 0, 0]})
    km = rk.kaplan_meier(life, label="shop")
    table = km.survival_at([0, 2, 3.5, 4, 6])
    # S = 1, 4/5, 4/5, 4/5 * 2/3, 4/5 * 2/3
    np.testing.assert_allclose(table["survival"], [1, 0.8, 0.8, 0.8 * 2 / 3, 0.8 * 2 / 3])
    assert table["at_risk"].tolist() == [5, 4, 3, 2, 0]
    ref = KaplanMeierFitter().fit([2, 3, 4, 5, 6], [1, 0, 1, 0, 0])
    ci = ref.confidence_interval_survival_function_
    assert table["ci_lower"].iloc[1] == pytest.approx(ci.loc[2.0].iloc[0])
    assert table["ci_upper"].iloc[3] == pytest.approx(ci.loc[4.0].iloc[1])
    assert list(km.fitters) == ["shop"]


def test_median_not_reached_is_said_clearly():
    life = pd.DataFrame({"duration": [2, 3, 4, 5, 6], "churned": [1, 0, 1, 0, 0]})
    med = rk.kaplan_meier(life).median_lifetime().iloc[0]
    assert np.isnan(med["median"]) and not med["reached"]
    assert med["note"] == "never reaches 50 %: 53.3% still retained at 6.0 days, so the median is longer"
    assert "never reaches 50 %" in rk.kaplan_meier(life).explain()


def test_median_with_interval_matches_lifelines(shop_life):
    km = rk.kaplan_meier(shop_life, by="arm")
    med = km.median_lifetime().set_index("group")
    ref = KaplanMeierFitter().fit(shop_life.loc[shop_life.arm == "loyalty", "duration"],
                                  shop_life.loc[shop_life.arm == "loyalty", "churned"])
    from lifelines.utils import median_survival_times

    ref_ci = median_survival_times(ref.confidence_interval_)
    assert med.loc["loyalty", "median"] == pytest.approx(ref.median_survival_time_)
    assert med.loc["loyalty", "ci_lower"] == pytest.approx(ref_ci.iloc[0, 0])
    assert med.loc["loyalty", "ci_upper"] == pytest.approx(ref_ci.iloc[0, 1])
    assert med["reached"].all()
    assert f"{med.loc['loyalty', 'median']:,.1f} days" in km.explain()


def test_kaplan_meier_recovers_the_simulated_truth(shop, shop_life):
    # The saved shop's true P(buy again after day t) per arm; KM from 3,000 customers should be
    # within about 3 standard errors (SE ~ 0.012 at these horizons).
    table = rk.kaplan_meier(shop_life, by="arm").survival_at([30, 90]).set_index(["group", "horizon"])
    for arm in ("control", "loyalty"):
        for h in (30, 90):
            assert table.loc[(arm, h), "survival"] == pytest.approx(shop.true_retention(h, arm=arm), abs=0.04)


def test_aggregated_counts_equal_raw_rows(shop_life):
    raw = rk.kaplan_meier(shop_life, by="channel")
    agg_table = rk.aggregate_lifetimes(shop_life, by="channel")
    assert agg_table["count"].sum() == 3000
    agg = rk.kaplan_meier(agg_table, by="channel", weights_col="count")
    for name in raw.fitters:
        pd.testing.assert_frame_equal(raw.fitters[name].survival_function_, agg.fitters[name].survival_function_)
        pd.testing.assert_frame_equal(raw.fitters[name].confidence_interval_, agg.fitters[name].confidence_interval_)
    pd.testing.assert_frame_equal(raw.survival_at([30, 90, 200]), agg.survival_at([30, 90, 200]))
    pd.testing.assert_frame_equal(raw.median_lifetime(), agg.median_lifetime())
    pd.testing.assert_frame_equal(raw.rmst(150), agg.rmst(150))
    pd.testing.assert_frame_equal(raw.summary, agg.summary)
    lr_raw, lr_agg = rk.logrank(shop_life, by="channel"), rk.logrank(agg_table, by="channel", weights_col="count")
    assert lr_agg.test_statistic == pytest.approx(lr_raw.test_statistic, rel=1e-10)
    pd.testing.assert_frame_equal(lr_raw.table, lr_agg.table)
    pw_raw = rk.pairwise_logrank(shop_life, by="channel").summary
    pw_agg = rk.pairwise_logrank(agg_table, by="channel", weights_col="count").summary
    pd.testing.assert_frame_equal(pw_raw, pw_agg, rtol=1e-9)


def test_survival_beyond_follow_up_is_nan_with_warning():
    life = pd.DataFrame({"duration": [2, 3, 4, 5, 6], "churned": [1, 0, 1, 0, 0]})
    with pytest.warns(rk.ImmatureDataWarning, match="Horizon 10 is beyond the longest follow-up"):
        table = rk.kaplan_meier(life).survival_at([10])
    assert np.isnan(table["survival"].iloc[0])


def test_kaplan_meier_plot_and_reprs(shop_life):
    km = rk.kaplan_meier(shop_life, by="arm")
    ax = km.plot()
    assert ax.get_title() == "Share of customers still active by arm (Kaplan-Meier)"
    assert ax.get_xlabel() and ax.get_ylabel() == "survival (retained)"
    assert len(ax.figure.axes) > 1  # lifelines' at-risk table adds axes under the plot
    assert len(ax.collections) >= 2  # confidence bands
    matplotlib.pyplot.close("all")
    assert "control" in repr(km) and "<table" in km._repr_html_()
    assert km.summary.columns.tolist() == ["group", "customers", "churned", "censored", "max_duration",
                                           "median", "ci_lower", "ci_upper"]


def test_kaplan_meier_bad_input():
    life = pd.DataFrame({"duration": [1.0, -2.0], "churned": [1, 0], "n": [1, 2.5], "seg": ["a", None]})
    with pytest.raises(rk.DataError, match=r"column 'duration' has 1 missing or negative values, for example -2.0"):
        rk.kaplan_meier(life)
    life["duration"] = [1.0, 2.0]
    with pytest.raises(rk.DataError, match=r"column 'n' \(weights_col\) must hold whole, non-negative counts.*2.5"):
        rk.kaplan_meier(life, weights_col="n")
    with pytest.raises(rk.DataError, match=r"are missing in 1 rows"):
        rk.kaplan_meier(life, by="seg")
    with pytest.raises(rk.DataError, match=r"Column 'segment' \(by\) not found.*Did you mean 'seg'"):
        rk.kaplan_meier(life, by="segment")
    with pytest.raises(rk.DataError, match=r"Column 'duration' \(duration_col\) not found"):
        rk.kaplan_meier(life.rename(columns={"duration": "T"}))
    with pytest.raises(rk.DataError, match="Column 'churned' must be True/False.*'maybe'"):
        rk.kaplan_meier(life.assign(churned=["yes", "maybe"]))  # Yes/No is read (issue 13); maybe is not


# ---------------------------------------------------------------- log-rank

def loop_logrank(durations, events, groups):
    """Two-group log-rank by a loop: sum over event times of O - E for group 0 and the
    hypergeometric variance n0 n1 d (n - d) / (n^2 (n - 1))."""
    times = sorted({d for d, e in zip(durations, events) if e})
    o_minus_e = var = 0.0
    for u in times:
        at = [(g, e and d == u) for d, e, g in zip(durations, events, groups) if d >= u]
        n, n0 = len(at), sum(1 for g, _ in at if g == 0)
        d_all, d0 = sum(1 for _, dead in at if dead), sum(1 for g, dead in at if dead and g == 0)
        o_minus_e += d0 - d_all * n0 / n
        if n > 1:
            var += n0 * (n - n0) * d_all * (n - d_all) / (n**2 * (n - 1))
    return o_minus_e**2 / var


def test_logrank_two_groups_matches_loop_and_lifelines():
    rng = np.random.default_rng(2)
    d = np.round(rng.exponential(10, 120))
    e = rng.random(120) < 0.7
    g = np.repeat([0, 1], 60)
    life = pd.DataFrame({"duration": d, "churned": e, "arm": np.where(g == 0, "a", "b")})
    res = rk.logrank(life, by="arm")
    assert res.test_statistic == pytest.approx(loop_logrank(d.tolist(), e.tolist(), g.tolist()), rel=1e-9)
    ref = logrank_test(d[g == 0], d[g == 1], e[g == 0], e[g == 1])
    assert res.p_value == pytest.approx(ref.p_value, rel=1e-9)
    assert res.p_value == pytest.approx(stats.chi2.sf(res.test_statistic, 1))
    assert res.degrees_of_freedom == 1
    # observed and expected churn balance across groups
    assert res.table["observed"].sum() == pytest.approx(res.table["expected"].sum())


def test_logrank_many_groups(shop_life):
    res = rk.logrank(shop_life, by="channel")
    ref = multivariate_logrank_test(shop_life["duration"], shop_life["channel"], shop_life["churned"])
    assert res.test_statistic == pytest.approx(ref.test_statistic, rel=1e-9)
    assert res.degrees_of_freedom == 2
    assert res.summary["group"].tolist() == ["app", "delivery", "walk-in", "log-rank test"]
    assert "chi-square" in res.explain() and "not the size" in res.explain()
    assert "LogrankResult(" in repr(res) and "<table" in res._repr_html_()


def test_logrank_needs_two_groups():
    life = pd.DataFrame({"duration": [1, 2], "churned": [1, 0], "arm": ["a", "a"]})
    with pytest.raises(rk.DataError, match=r"hold only 1 group\(s\)"):
        rk.logrank(life, by="arm")
    with pytest.raises(rk.ParameterError, match="logrank needs by="):
        rk.logrank(life, by=None)
    with pytest.raises(rk.DataError, match="No customer churned"):
        rk.logrank(life.assign(churned=0, arm=["a", "b"]), by="arm")


def test_pairwise_matches_lifelines_and_multipletests(shop_life):
    res = rk.pairwise_logrank(shop_life, by="channel", correction="fdr_bh")
    ref = pairwise_logrank_test(shop_life["duration"], shop_life["channel"], shop_life["churned"]).summary
    for row in res.summary.itertuples():
        assert row.p_value == pytest.approx(ref.loc[(row.group_a, row.group_b), "p"], rel=1e-9)
    expected = multipletests(res.summary["p_value"], method="fdr_bh")[1]
    np.testing.assert_allclose(res.summary["p_adjusted"], expected)
    assert "Benjamini-Hochberg" in res.explain()
    with pytest.raises(rk.ParameterError, match="correction='holms' is not an option.*Did you mean 'holm'"):
        rk.pairwise_logrank(shop_life, by="channel", correction="holms")


# ---------------------------------------------------------------- Cox

def test_cox_matches_lifelines_and_truth(shop_life):
    cox = rk.cox_drivers(shop_life, covariates=["arm", "channel"],
                         reference={"arm": "control", "channel": "walk-in"})
    table = cox.summary.set_index("level")
    design = pd.DataFrame({
        "loyalty": (shop_life["arm"] == "loyalty").astype(float), "app": (shop_life["channel"] == "app").astype(float),
        "delivery": (shop_life["channel"] == "delivery").astype(float),
        "duration": shop_life["duration"], "churned": shop_life["churned"].astype(int)})
    ref = CoxPHFitter().fit(design, "duration", "churned").summary
    for level in ("loyalty", "app", "delivery"):
        assert table.loc[level, "hazard_ratio"] == pytest.approx(ref.loc[level, "exp(coef)"], rel=1e-6)
    # The simulator's true hazard ratios (loyalty 0.7, app 0.6, delivery 1.5) lie in the intervals.
    for level, truth in (("loyalty", 0.7), ("app", 0.6), ("delivery", 1.5)):
        assert table.loc[level, "ci_lower"] <= truth <= table.loc[level, "ci_upper"]
    text = cox.explain()
    assert "arm = loyalty (vs control): churn hazard 31% lower" in text
    assert "Proportional-hazards check" in text
    ax = cox.plot()
    assert ax.get_xscale() == "log" and ax.get_title()
    matplotlib.pyplot.close("all")


def test_cox_weighted_input_is_expanded_to_rows(shop_life):
    raw = rk.cox_drivers(shop_life, covariates=["channel"])
    agg = rk.cox_drivers(rk.aggregate_lifetimes(shop_life, by="channel"), covariates=["channel"], weights_col="count")
    pd.testing.assert_frame_equal(raw.summary, agg.summary)
    assert agg.customers == 3000


def test_cox_warns_when_hazards_cross():
    # Group b churns early or lasts long; group a churns in the middle: the hazard ratio flips.
    rng = np.random.default_rng(0)
    a = rng.normal(10, 1, 300).clip(0.1)
    b = np.r_[rng.uniform(0, 3, 150), rng.uniform(17, 25, 150)]
    life = pd.DataFrame({"duration": np.r_[a, b], "churned": True, "seg": ["a"] * 300 + ["b"] * 300})
    with pytest.warns(rk.ProportionalHazardsWarning, match=r"fails for \['seg\[b\]'\]"):
        cox = rk.cox_drivers(life, covariates="seg")
    assert "seems to change over the customer's lifetime" in cox.explain()


def test_cox_bad_input(shop_life):
    with pytest.raises(rk.ParameterError, match=r"reference\['arm'\]='contrl' is not a level of 'arm'. Did you mean 'control'"):
        rk.cox_drivers(shop_life, covariates=["arm"], reference={"arm": "contrl"})
    with pytest.raises(rk.ParameterError, match="reference names 'channel', which is not among covariates"):
        rk.cox_drivers(shop_life, covariates=["arm"], reference={"channel": "app"})
    with pytest.raises(rk.DataError, match="single level"):
        rk.cox_drivers(shop_life.assign(one="x"), covariates=["one"])


# ---------------------------------------------------------------- censoring point

def test_censor_at_detection_limit_by_hand():
    events = log([("a", "2024-01-01"), ("a", "2024-01-20"), ("b", "2024-01-05"), ("b", "2024-05-30"),
                  ("c", "2024-05-10")])
    life = rk.customer_lifetimes(events, churn_after=60, censor_at="detection_limit").set_index("customer_id")
    # as_of 05-30, detection limit 03-31. a churned: 19 days as before. b censored at 03-31:
    # 01-05 -> 03-31 = 86 days (its May purchase is after the limit). c started after the
    # limit: not yet classifiable, left out (its one event counted as dropped).
    assert life["duration"].to_dict() == {"a": 19.0, "b": 86.0}
    assert life["churned"].to_dict() == {"a": True, "b": False}
    report = life.attrs["data_quality"]
    assert report.rows_in == 5 and report.rows_used == 4 and report.customers == 2
    assert "1 rows dropped (1 customers started after 2024-03-31 00:00" in repr(report)
    assert life.attrs["censor_at"] == "detection_limit"
    with pytest.raises(rk.ParameterError, match="censor_at='detection' is not an option. Did you mean 'detection_limit'"):
        rk.customer_lifetimes(events, churn_after=60, censor_at="detection")


@pytest.mark.parametrize("churn_after", [60, 120])
def test_detection_limit_removes_the_long_horizon_bias(shop, churn_after):
    # True P(buy again after day 180) = 0.204. Censoring at as_of counts recent leavers as
    # retained up to as_of and overstates it (0.247 at 60 days, 0.375 at 120); censoring at
    # as_of - churn_after stays within about 1 SE (0.011) whatever the threshold.
    truth = shop.true_retention(180)
    kw = dict(churn_after=churn_after, start_times=shop.assignments)
    naive = rk.kaplan_meier(rk.customer_lifetimes(shop.transactions, censor_at="as_of", **kw)).survival_at([180])
    limit = rk.kaplan_meier(rk.customer_lifetimes(shop.transactions, **kw)).survival_at([180])
    assert naive["survival"].iloc[0] > truth + 0.03
    assert limit["survival"].iloc[0] == pytest.approx(truth, abs=0.02)
