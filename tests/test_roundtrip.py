"""Everything the kit returns survives the round trips analysts use: ``to_parquet``,
``to_csv``, ``pickle``, ``copy.deepcopy`` and ``pd.concat`` for frames (loaded logs,
lifetimes, survival tables, engine results), and pickle/deepcopy plus the summary's
Parquet/CSV for result objects. Metadata travels as JSON in ``.attrs``; the data-quality
record comes back through :func:`retention_kit.data_quality`."""

from __future__ import annotations

import copy
import io
import json
import pickle
import re
import warnings

import pandas as pd
import pytest

import retention_kit as rk


@pytest.fixture(scope="module")
def cdnow():
    return rk.load_cdnow()


@pytest.fixture(scope="module")
def shop():
    return rk.load_coffee_shop()


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        yield


def _parquet(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(frame.to_parquet()))


def _assert_frame_round_trips(frame: pd.DataFrame) -> None:
    json.dumps(frame.attrs)  # what to_parquet does with them
    back = _parquet(frame)
    pd.testing.assert_frame_equal(back, frame, check_index_type=False)
    assert back.attrs == json.loads(json.dumps(frame.attrs))
    csv = pd.read_csv(io.StringIO(frame.to_csv(index=False)))
    assert csv.shape == (len(frame), frame.shape[1])
    for clone in (pickle.loads(pickle.dumps(frame)), copy.deepcopy(frame)):
        pd.testing.assert_frame_equal(clone, frame)
        assert clone.attrs == frame.attrs
    both = pd.concat([frame, frame], ignore_index=True)
    assert len(both) == 2 * len(frame) and both.attrs == frame.attrs


def _frames(cdnow, shop, tmp_path):
    life = rk.customer_lifetimes(cdnow, churn_after=180)
    path = tmp_path / "cdnow.parquet"
    cdnow.to_parquet(path)
    return {
        "cdnow": cdnow,
        "cdnow combined same day": rk.load_cdnow(same_day="combine", zero_amount="drop"),
        "shop transactions": shop.transactions,
        "shop assignments": shop.assignments,
        "lifetimes": life,
        "lifetimes aggregated": rk.aggregate_lifetimes(life),
        "survival table": rk.survival_table(cdnow, churn_after=180),
        "survival table from a Parquet path": rk.survival_table(str(path), churn_after=180),
        "lifetimes from a Parquet path": rk.customer_lifetimes(str(path), churn_after=180),
    }


def test_every_frame_survives_parquet_csv_pickle_deepcopy_and_concat(cdnow, shop, tmp_path):
    for name, frame in _frames(cdnow, shop, tmp_path).items():
        try:
            _assert_frame_round_trips(frame)
        except Exception as exc:  # say which frame, then fail
            raise AssertionError(f"{name}: {type(exc).__name__}: {exc}") from exc


def test_data_quality_comes_back_after_parquet(cdnow):
    before = rk.data_quality(cdnow)
    after = rk.data_quality(_parquet(cdnow))
    assert isinstance(after, rk.DataQualityReport)
    assert after == before and repr(after) == repr(before)
    # data/README.md: 255 identical rows, 2,068 same-day rows, 80 rows of $0, all kept.
    assert after.summary.set_index("check")["rows"].to_dict() == {
        "exact duplicate rows": 255, "same customer/day": 2068, "amount": 80}
    assert after.first_time == pd.Timestamp("1997-01-01") and after.last_time == pd.Timestamp("1998-06-30")
    assert after.customers == 23570 and after.rows_dropped == 0


def test_lifetimes_metadata_comes_back_after_parquet(cdnow):
    life = rk.customer_lifetimes(cdnow, churn_after=180)
    back = _parquet(life)
    # An analysis of the reloaded table gives the same numbers as of the original.
    assert rk.kaplan_meier(back).summary.equals(rk.kaplan_meier(life).summary)
    assert rk.data_quality(back) == rk.data_quality(life)


def test_concat_of_two_different_logs_keeps_no_wrong_report(cdnow):
    other = rk.load_cdnow(duplicates="drop")
    both = pd.concat([cdnow, other], ignore_index=True)
    assert len(both) == 69659 + 69659 - 255  # data/README.md: 255 exact duplicate rows
    # pandas keeps attrs only when every input has the same; a report of one log would lie
    # about the other, so none is better than the first one's.
    assert rk.data_quality(both) is None
    assert rk.data_quality(pd.concat([cdnow, cdnow])) == rk.data_quality(cdnow)


def _no_ids(html: str) -> str:
    return re.sub(r"T_[0-9a-f]{5}", "T_", html)


def _results(cdnow, shop, tmp_path):
    path = tmp_path / "shop.parquet"
    shop.transactions.to_parquet(path)
    life = rk.customer_lifetimes(shop.transactions, churn_after=30, by=["channel"])
    loyal, control = life[life["channel"] == "app"], life[life["channel"] == "walk-in"]
    counts = {"control": (1529, 1017), "loyalty": (1471, 1086)}
    return {
        "crr table": rk.crr_table(cdnow, freq="M", amount_col="amount"),
        "cohort table": rk.cohort_table(shop.transactions, freq="M"),
        "cohort table from a Parquet path": rk.cohort_table(str(path), freq="M"),
        "crr table from a Parquet path": rk.crr_table(str(path), freq="M"),
        "survival curves": rk.kaplan_meier(life, by="channel"),
        "log-rank": rk.logrank(life, by="channel"),
        "pairwise log-rank": rk.pairwise_logrank(life, by="channel"),
        "rmst": rk.rmst(life["duration"], life["churned"], horizon=90),
        "rmst difference": rk.rmst_difference(control["duration"], control["churned"],
                                              loyal["duration"], loyal["churned"], horizon=90),
        "cox drivers": rk.cox_drivers(life, covariates=["channel"]),
        "purchase gaps": rk.purchase_gaps(shop.transactions),
        "sbg": rk.fit_sbg([1000, 869, 743, 653, 593, 551, 517, 491]),
        "bdw": rk.fit_bdw([1000, 869, 743, 653, 593, 551, 517, 491]),
        "comparison": rk.compare_retention(shop.assignments, shop.transactions, horizon="30D", churn_after="30D"),
        "comparison from counts": rk.compare_retention_counts(counts),
        "sample size": rk.sample_size(0.66, 0.05),
        "sample ratio": rk.sample_ratio_check({"control": 1529, "loyalty": 1471}),
        "data quality": rk.data_quality(cdnow),
        "exercise check": rk.exercises.check("crr-1", 0.5),
    }


def test_every_result_survives_pickle_and_deepcopy_and_its_summary_parquet_and_csv(cdnow, shop, tmp_path):
    for name, result in _results(cdnow, shop, tmp_path).items():
        try:
            for clone in (pickle.loads(pickle.dumps(result)), copy.deepcopy(result)):
                assert type(clone) is type(result)
                assert repr(clone) == repr(result)
                if hasattr(result, "_repr_html_"):  # pandas' Styler names each table at random
                    assert _no_ids(clone._repr_html_()) == _no_ids(result._repr_html_())
            summary = getattr(result, "summary", None)
            if isinstance(summary, pd.DataFrame):
                flat = summary.reset_index()
                flat.columns = [str(c) for c in flat.columns]
                _assert_frame_round_trips(flat)
        except Exception as exc:
            raise AssertionError(f"{name}: {type(exc).__name__}: {exc}") from exc
