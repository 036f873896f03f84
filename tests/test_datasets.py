"""The bundled data: CDNOW facts from its README, and the simulator's ground truth."""

import numpy as np
import pandas as pd
import pytest

import retention_kit as rk
from retention_kit.datasets.shop import _DEFAULTS


def test_cdnow_matches_its_documented_facts():
    # Facts from shared/data/cdnow/README.md, measured on the original file.
    cd = rk.load_cdnow()
    assert len(cd) == 69_659 and cd["customer_id"].nunique() == 23_570
    assert cd["amount"].sum() == pytest.approx(2_500_315.63)
    assert (cd["date"].min(), cd["date"].max()) == (pd.Timestamp("1997-01-01"), pd.Timestamp("1998-06-30"))
    first = cd.groupby("customer_id")["date"].min()
    assert first.dt.month.value_counts().sort_index().tolist() == [7846, 8476, 7248]
    assert cd.dtypes.astype(str).to_dict() == {"customer_id": "object", "date": "datetime64[ns]",
                                               "quantity": "int64", "amount": "float64"}
    assert cd["customer_id"].str.len().eq(5).all()  # leading zeros kept


def test_cdnow_quirk_options_account_for_every_row():
    combined = rk.load_cdnow(same_day="combine")
    assert len(combined) == 69_659 - 2_068
    assert combined["amount"].sum() == pytest.approx(2_500_315.63)  # merged, not lost
    assert combined.attrs["data_quality"].summary.set_index("check").loc["same customer/day", "action"] == "merged"
    assert len(rk.load_cdnow(duplicates="drop")) == 69_659 - 255
    assert len(rk.load_cdnow(zero_amount="drop")) == 69_659 - 80
    with pytest.raises(rk.ParameterError, match="same_day='merge'"):
        rk.load_cdnow(same_day="merge")


def test_saved_coffee_shop_is_the_default_simulation():
    saved, fresh = rk.load_coffee_shop(), rk.simulate_shop()
    for name in ("transactions", "assignments"):
        pd.testing.assert_frame_equal(getattr(saved, name), getattr(fresh, name), check_exact=False, rtol=1e-9,
                                      obj=f"{name} (run `make data` if the simulator changed on purpose)")
    assert saved.params == fresh.params == _DEFAULTS
    assert saved.as_of == pd.Timestamp("2024-12-31") == saved.transactions["date"].max().normalize()


def test_simulator_is_deterministic_and_seeded():
    a, b, c = rk.simulate_shop(300, seed=7), rk.simulate_shop(300, seed=7), rk.simulate_shop(300, seed=8)
    pd.testing.assert_frame_equal(a.transactions, b.transactions)
    assert not a.transactions["date"].equals(c.transactions["date"])


def test_first_purchase_is_the_assignment_and_the_earliest_purchase():
    shop = rk.simulate_shop(500, seed=3)
    first = shop.transactions.groupby("customer_id")["date"].min()
    assigned = shop.assignments.set_index("customer_id")["date"]
    pd.testing.assert_series_equal(first.sort_index(), assigned.sort_index(), check_names=False)
    hours = shop.transactions["date"].dt.hour
    assert hours.between(7, 18).all()  # opening hours


def test_simulated_lifetimes_recover_the_true_parameters():
    shop = rk.simulate_shop(20_000, seed=11, acquisition_days=10, observation_days=30)
    c = shop.customers
    life = (c["lapse_time"] - c["first_purchase"]).dt.total_seconds() / 86400
    walk_control = (c["channel"] == "walk-in") & (c["arm"] == "control")
    # Exponential with mean 90 days: the sample mean's SE is 90 / sqrt(n).
    n = walk_control.sum()
    assert abs(life[walk_control].mean() - 90) < 4 * 90 / np.sqrt(n)
    # Loyalty multiplies the hazard by 0.7, so the mean lifetime by 1 / 0.7.
    walk_loyal = (c["channel"] == "walk-in") & (c["arm"] == "loyalty")
    ratio = life[walk_control].mean() / life[walk_loyal].mean()
    assert ratio == pytest.approx(0.7, abs=0.05)


def test_true_retention_matches_a_long_simulation():
    # With (almost) unlimited follow-up, the share of customers who buy again after day 30
    # estimates E[exp(-mu t) lambda / (lambda + mu)], which true_retention integrates.
    shop = rk.simulate_shop(20_000, seed=5, acquisition_days=1, observation_days=4000)
    tx = shop.transactions.merge(shop.assignments.rename(columns={"date": "start"}), on="customer_id")
    later = tx[tx["date"] > tx["start"] + pd.Timedelta(days=30)]
    observed = later["customer_id"].nunique() / 20_000
    truth = shop.true_retention(30)
    assert abs(observed - truth) < 4 * np.sqrt(truth * (1 - truth) / 20_000)
    # And survival (alive) is above retention (a live customer may never buy again).
    assert shop.true_survival(30) > truth


def test_simulator_rejects_bad_parameters():
    with pytest.raises(rk.ParameterError, match="loyalty_share=1.5"):
        rk.simulate_shop(loyalty_share=1.5)
    with pytest.raises(rk.ParameterError, match="n_customers=0"):
        rk.simulate_shop(0)
