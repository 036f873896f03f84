"""rk.rfm_summary: hand-checked values, every engine against pandas, dropped rows, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import retention_kit as rk
from engine_data import synthetic_log, write

LOG = pd.DataFrame({
    "customer_id": ["a", "a", "a", "a", "b", "c", "c", "d"],
    "date": pd.to_datetime(["2024-01-01 09:00", "2024-01-08 10:00", "2024-01-08 18:00", "2024-01-22 00:00",
                            "2024-01-05 00:00", "2024-01-03 00:00", "2024-02-10 00:00", "2024-02-01 00:00"]),
    "amount": [10.0, 4.0, 6.0, 20.0, 8.0, 5.0, 7.0, 3.0],
})


def test_hand_checked_summary():
    s = rk.rfm_summary(LOG, "2024-01-29", "2024-02-12", time_unit="D", amount_col="amount")
    # a: purchase days Jan 1, 8 (two rows merge: 4 + 6 = 10), 22 -> frequency 2, recency 21 days,
    #    T = Jan 29 - Jan 1 = 28 days, monetary (10 + 20) / 2 = 15; nothing in the holdout.
    # b: one purchase Jan 5 -> 0, 0, T = 24. c: Jan 3 (+ Feb 10 in the holdout) -> T = 26, holdout 1.
    # d: first purchase Feb 1, after the calibration end -> left out (1 row reported dropped).
    assert s.index.tolist() == ["a", "b", "c"]
    assert s["frequency"].tolist() == [2, 0, 0]
    assert s["recency"].tolist() == [21, 0, 0]
    assert s["T"].tolist() == [28, 24, 26]
    assert s.loc["a", "monetary_value"] == 15.0 and s[["monetary_value"]].iloc[1:].isna().all().all()
    assert s["frequency_holdout"].tolist() == [0, 0, 1]
    assert (s["duration_holdout"] == 14).all()  # Jan 29 -> Feb 12
    report = s.attrs["data_quality"]
    assert report.rows_dropped == 1 and report.customers == 3
    assert "after calibration_end" in report.summary["check"].iloc[-1]


def test_weeks_and_defaults():
    s = rk.rfm_summary(LOG)  # calibration end = last date (Feb 10), weeks, no holdout
    # a: recency 21 days = 3 weeks; T = Feb 10 - Jan 1 = 40 days = 40/7 weeks
    assert s.loc["a", "recency"] == pytest.approx(3.0)
    assert s.loc["a", "T"] == pytest.approx(40 / 7)
    assert s.loc["d", "T"] == pytest.approx(9 / 7)
    assert list(s.columns) == ["frequency", "recency", "T"]
    assert rk.metadata(s)["calibration_end"] == pd.Timestamp("2024-02-10")


def test_last_day_counts_as_observed():
    # a calibration end given as a date keeps that whole day's purchases
    s = rk.rfm_summary(LOG, "2024-01-22", time_unit="D")
    assert s.loc["a", "frequency"] == 2 and s.loc["a", "recency"] == s.loc["a", "T"] == 21


@pytest.mark.parametrize("kind", ["parquet", "csv", "relation", "polars"])
def test_engines_match_pandas(tmp_path, kind):
    log = synthetic_log(800, seed=3)
    kw = {"customer_col": "user", "time_col": "ts", "amount_col": "spend", "time_unit": "W"}
    expected = rk.rfm_summary(log, "2024-06-30", "2024-12-31", **kw)
    if kind in ("parquet", "csv"):
        data = write(log, tmp_path / f"log.{kind}", kind)
    elif kind == "relation":
        import duckdb

        data = duckdb.from_df(log)
    else:
        pl = pytest.importorskip("polars")
        data = pl.from_pandas(log)
    got = rk.rfm_summary(data, "2024-06-30", "2024-12-31", **kw)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert got.attrs["data_quality"].rows_dropped == expected.attrs["data_quality"].rows_dropped > 0


def test_cdnow_sample_published_counts():
    # Fader, Hardie & Lee (2005): 2,357 customers, 1,411 without a repeat purchase in the
    # 39-week calibration, 2,457 repeat purchases in it and 1,882 in the 39-week holdout.
    cdnow = rk.load_cdnow()
    sample = cdnow[cdnow["customer_id"].isin(rk.cdnow_sample_ids())]
    s = rk.rfm_summary(sample, "1997-09-30", "1998-06-30", amount_col="amount")
    assert len(sample) == 6919 and len(s) == 2357  # rows of CDNOW_sample.txt
    assert (s["frequency"] == 0).sum() == 1411
    assert s["frequency"].sum() == 2457 and s["frequency_holdout"].sum() == 1882
    # Hardie's summary file (cdnow_customers.csv), customer 1: x = 2, t_x = 30.43, T = 38.86
    assert s.iloc[0][["frequency", "recency", "T"]].round(2).tolist() == [2.0, 30.43, 38.86]
    assert (s["duration_holdout"] == 39).all()


def test_errors():
    with pytest.raises(rk.DataError, match="before the first purchase"):
        rk.rfm_summary(LOG, "2023-12-01", "2024-02-12")
    with pytest.raises(rk.DataError, match="before the first event"):
        rk.rfm_summary(LOG, "2023-12-01")
    with pytest.raises(rk.ParameterError, match="observation_end"):
        rk.rfm_summary(LOG, "2024-02-01", "2024-01-15")
    with pytest.raises(rk.ParameterError, match="time_unit"):
        rk.rfm_summary(LOG, time_unit="fortnight")
    with pytest.raises(rk.DataError, match="amount_col"):
        rk.rfm_summary(LOG, amount_col="price")
    bad = LOG.assign(amount=LOG["amount"].where(LOG.index != 2, -1.0))
    with pytest.raises(rk.DataError, match="negative"):
        rk.rfm_summary(bad, amount_col="amount")
    with pytest.raises(rk.DataError, match="PySpark|Polars"):
        rk.rfm_summary(np.zeros(3))
