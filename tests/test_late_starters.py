"""Customers who are not yet classifiable (started after the detection limit, as_of -
churn_after) are left out of the lifetimes, so no curve method counts them as "still active".

Known truth: a simulated coffee shop whose acquisition runs to the end of the data
(``simulate_shop(n_customers=20_000, seed=2024, acquisition_days=366)``, churn_after = 120
days, so a third of the customers start after the detection limit). The truth is
``ShopSimulation.true_retention`` (P(buy again after day t)).

Before the change (commit 76d3c53, measured by running this simulation against that
tree's ``retention_kit``): late starters were kept as censored lifetimes of 0 days, and on
all 20,000 customers Kaplan-Meier gave S(0+) 0.9341, S(30) 0.7105, per-arm S(30) 0.6686
(control) / 0.7510 (loyalty), RMST(90) 57.46 days. Truth: 0.9025, 0.6894, 0.6463 /
0.7325, 56.01 days. After: 13,479 classifiable customers, S(0+) 0.9022, S(30) 0.6862,
per arm 0.6412 / 0.7302, RMST(90) 55.50 (SE 0.32). Each test below also rebuilds the old
table (the late starters appended back as censored at 0, exactly what the old code did)
and checks that it misses the truth: the problem shows with the old rule and is gone with
the new one.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

import retention_kit as rk

CHURN_AFTER = 120


@pytest.fixture(scope="module")
def shop():
    return rk.simulate_shop(n_customers=20_000, seed=2024, acquisition_days=366)


@pytest.fixture(scope="module")
def life(shop):
    return rk.customer_lifetimes(shop.transactions, churn_after=CHURN_AFTER, start_times=shop.assignments,
                                 by=["arm"])


@pytest.fixture(scope="module")
def late(shop, life):
    """The customers who started after the detection limit, as the old code kept them:
    censored at 0 days (start after the censoring instant, so end = start)."""
    limit = rk.metadata(life)["as_of"] - pd.Timedelta(days=CHURN_AFTER)
    asg = shop.assignments[shop.assignments["date"] > limit]
    return pd.DataFrame({"customer_id": asg["customer_id"].to_numpy(), "start": asg["date"].to_numpy(),
                         "duration": 0.0, "churned": False, "arm": asg["arm"].to_numpy()})


@pytest.fixture(scope="module")
def old_life(life, late):
    return pd.concat([life, late], ignore_index=True)


def test_late_starters_are_counted_and_left_out(shop, life, late):
    # A third of the year: customers arriving in the last 120 of 366 days, 6,521 of 20,000
    # with this seed (binomial, 20,000 * 120 / 366 = 6,557 +/- 66).
    assert len(late) == 6_521 and len(life) == 20_000 - 6_521
    assert life.attrs["not_yet_classifiable"] == 6_521
    assert not life["customer_id"].isin(late["customer_id"]).any()
    report = life.attrs["data_quality"]
    row = report.summary.set_index("check").loc["not yet classifiable"]
    # Their events: every purchase of a late starter (all are at or after their first purchase).
    late_rows = int(shop.transactions["customer_id"].isin(late["customer_id"]).sum())
    assert row["rows"] == late_rows and row["action"] == "dropped"
    assert row["detail"].startswith("6,521 customers started after 2024-09-02 18:59")
    assert report.rows_used == len(shop.transactions) - late_rows and report.customers == len(life)
    km = rk.kaplan_meier(life)
    assert "6,521 customers who started less than that before the as-of date are not yet classifiable" \
        in km.explain()


def test_kaplan_meier_recovers_the_truth_only_without_late_starters(shop, life, old_life):
    # SE of S(0+) ~ sqrt(0.9 * 0.1 / 13,479) = 0.0026 and of S(30) ~ 0.004: 3 SE allowed.
    for h, tol in ((0, 0.008), (30, 0.012)):
        truth = shop.true_retention(max(h, 1e-9))  # 0.9025 and 0.6894
        new = rk.kaplan_meier(life).survival_at([h])["survival"].iloc[0]
        old = rk.kaplan_meier(old_life).survival_at([h])["survival"].iloc[0]
        assert new == pytest.approx(truth, abs=tol), (h, new, truth)
        assert old - truth > tol, (h, old, truth)  # 0.9341 and 0.7105: lifted by 0.032 and 0.021 (> 3 SE)


def test_curve_and_fixed_horizon_agree_per_arm(shop, life, old_life):
    # The fixed-horizon rate at H = 30 by hand: customers with start + 30 + 120 days <= as_of,
    # retained when they bought strictly after start + 30 days. Its customers are a subset of
    # the curve's, so the two estimates of P(retained at 30) must agree closely.
    as_of = rk.metadata(life)["as_of"]
    tx = shop.transactions.merge(shop.assignments.rename(columns={"date": "start"}), on="customer_id")
    h = pd.Timedelta(days=30)
    mature = shop.assignments[shop.assignments["date"] + h + pd.Timedelta(days=CHURN_AFTER) <= as_of]
    bought_after = set(tx.loc[tx["date"] > tx["start"] + h, "customer_id"])
    rate = mature.assign(kept=mature["customer_id"].isin(bought_after)).groupby("arm")["kept"].mean()
    new = rk.kaplan_meier(life, by="arm").survival_at([30]).set_index("group")["survival"]
    old = rk.kaplan_meier(old_life, by="arm").survival_at([30]).set_index("group")["survival"]
    for arm in ("control", "loyalty"):
        assert abs(new[arm] - rate[arm]) < 0.01, (arm, new[arm], rate[arm])  # 0.6412 / 0.7302 vs 0.643 / 0.728
        assert old[arm] - rate[arm] > 0.015, (arm, old[arm], rate[arm])  # 0.6686 / 0.7510 before


def test_rmst_recovers_the_truth_only_without_late_starters(shop, life, old_life):
    # True RMST(90) = integral of true_retention from 0 to 90 (Simpson on a 3-day grid: the
    # integrand is a smooth mixture of exponentials; a 0.5-day grid gives the same 56.01).
    grid = np.linspace(0, 90, 31)
    truth = integrate.simpson([shop.true_retention(max(t, 1e-9)) for t in grid], x=grid)  # 56.01 days
    new = rk.rmst(life["duration"], life["churned"], horizon=90)
    old = rk.rmst(old_life["duration"], old_life["churned"], horizon=90)
    assert abs(new.value - truth) < 3 * new.std_error, (new.value, new.std_error, truth)  # 55.50 +/- 0.32
    assert old.value - truth > 3 * old.std_error, (old.value, truth)  # 57.46 before


def test_as_of_censoring_drops_them_too(shop, life):
    naive = rk.customer_lifetimes(shop.transactions, churn_after=CHURN_AFTER, start_times=shop.assignments,
                                  censor_at="as_of")
    assert naive.attrs["not_yet_classifiable"] == 6_521
    assert naive["customer_id"].tolist() == life["customer_id"].tolist()


def test_survival_table_drops_them_on_every_path(shop, life):
    # pandas numpy path (no start times, no segments): starts are first purchases, which are
    # the assignments here, so the same customers are left out.
    table = rk.survival_table(shop.transactions, churn_after=CHURN_AFTER)
    assert table["count"].sum() == len(life) and table.attrs["not_yet_classifiable"] == 6_521
    duckdb = pytest.importorskip("duckdb")
    rel = duckdb.connect().from_df(shop.transactions[["customer_id", "date", "channel"]])
    for kw in (dict(), dict(by="channel"), dict(freq="W")):
        ours = rk.survival_table(rel, churn_after=CHURN_AFTER, **kw)
        expected = rk.survival_table(shop.transactions, churn_after=CHURN_AFTER, **kw)
        pd.testing.assert_frame_equal(ours, expected)
        assert repr(ours.attrs["data_quality"]) == repr(expected.attrs["data_quality"])
        assert ours.attrs["not_yet_classifiable"] == 6_521


def test_start_exactly_at_the_limit_is_kept():
    # as_of 2024-05-30, churn_after 60 days: limit 2024-03-31 00:00. b started exactly then and
    # never came back: silent 60 days >= 60, churned at 0 -- observable, so kept. c started a
    # second later: left out.
    log = pd.DataFrame({"customer_id": ["a", "b", "c"],
                        "date": [pd.Timestamp("2024-05-30"), pd.Timestamp("2024-03-31"),
                                 pd.Timestamp("2024-03-31 00:00:01")]})
    life = rk.customer_lifetimes(log, churn_after=60).set_index("customer_id")
    # a started after the limit too (05-30): left out with c.
    assert life.index.tolist() == ["b"] and bool(life.loc["b", "churned"]) and life.loc["b", "duration"] == 0.0
    assert life.attrs["not_yet_classifiable"] == 2
