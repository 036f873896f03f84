"""The reductions on Spark (local mode) against the pandas path on the same data. The same
SQL runs on a cluster. Skipped only where Java is missing (or pyspark is not installed)."""

from __future__ import annotations

import os
import shutil
import warnings

import pandas as pd
import pytest

import retention_kit as rk

pytest.importorskip("duckdb")
pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[test]')")

from engine_data import datasets, write  # noqa: E402

if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java: no java on PATH and JAVA_HOME is not set", allow_module_level=True)


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("retention_kit tests")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.default.parallelism", "1")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.execution.arrow.pyspark.enabled", "false")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def data(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("spark")
    out = {}
    for name, (frame, cols, amount) in datasets().items():
        path = write(frame, root / f"{name}.parquet", "parquet")
        out[name] = (frame, cols, amount, spark.read.parquet(path))
    return out


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        return fn(*args, **kwargs)


@pytest.mark.parametrize("dataset", ["cdnow", "synthetic"])
def test_cohort_tables_match_pandas(data, dataset):
    frame, cols, amount, sdf = data[dataset]
    for freq, kw in (("M", {}), ("W", dict(mode="on or after")), ("Q", {}),
                     ("M", dict(metric="revenue", amount_col=amount, first_cohort="exclude"))):
        expected, ours = quiet(rk.cohort_table, frame, freq, **cols, **kw), quiet(rk.cohort_table, sdf, freq, **cols, **kw)
        for attr in ("counts", "rates", "partial"):
            pd.testing.assert_frame_equal(getattr(expected, attr), getattr(ours, attr), rtol=1e-9)
        pd.testing.assert_series_equal(expected.sizes, ours.sizes)
        assert expected.as_of == ours.as_of
        assert repr(expected.data_quality) == repr(ours.data_quality)


@pytest.mark.parametrize("transfer", ["arrow", "rows"])  # rows: collect(), when pyarrow is missing
def test_lifetimes_and_survival_table_match_pandas(data, transfer, monkeypatch):
    from retention_kit.engines import _spark

    monkeypatch.setattr(_spark, "_has_arrow", lambda: transfer == "arrow")
    frame, _, _, sdf = data["shop"]
    kw = dict(churn_after=30, by=["channel"], as_of="2024-11-30")
    pd.testing.assert_frame_equal(rk.customer_lifetimes(frame, **kw), rk.customer_lifetimes(sdf, **kw))
    for extra in ({}, dict(freq="M", censor_at="as_of")):
        pd.testing.assert_frame_equal(rk.survival_table(frame, churn_after=60, by="channel", **extra),
                                      rk.survival_table(sdf, churn_after=60, by="channel", **extra))


def test_crr_table_matches_pandas(data):
    frame, cols, amount, sdf = data["cdnow"]
    expected, ours = rk.crr_table(frame, "M", amount_col=amount), rk.crr_table(sdf, "M", amount_col=amount)
    pd.testing.assert_frame_equal(expected.table, ours.table, rtol=1e-9)
    assert expected.notes == ours.notes


def test_compare_retention_matches_pandas(data):
    frame, _, _, sdf = data["shop"]
    assignments = rk.load_coffee_shop().assignments
    expected = quiet(rk.compare_retention, assignments, frame, horizon="60D", churn_after="30D")
    ours = quiet(rk.compare_retention, assignments, sdf, horizon="60D", churn_after="30D")
    pd.testing.assert_frame_equal(expected.summary, ours.summary)


def test_validation_runs_in_spark(spark, data):
    _, _, _, sdf = data["cdnow"]
    with pytest.raises(rk.DataError, match=r"Column 'dat' \(time_col\) not found in events \(Spark DataFrame\)"):
        rk.cohort_table(sdf, time_col="dat")
    bad = spark.createDataFrame([("a", "2024-01-01", 1.0), (None, "2024-01-02", -2.0)],
                                "customer_id string, date string, amount double")
    with pytest.raises(rk.DataError, match=r"'customer_id' is empty in 1 of 2 rows"):
        rk.cohort_table(bad)
    with pytest.raises(rk.DataError, match=r"'amount' has 1 negative values"):
        rk.cohort_table(bad.na.fill({"customer_id": "b"}), amount_col="amount")


@pytest.mark.parametrize("dates, says, fix", [
    (["02/02/2024", "12/13/2024", "03/01/2024"], "'12/13/2024' has no month 13", "'%m/%d/%Y'"),
    (["02/02/2024", "25/01/2024", "03/01/2024"], "'25/01/2024' has no month 25", "'%d/%m/%Y'"),
    (["25/04/2024", "05/26/2024", "03/04/2024"], "mixes day-first and month-first", None),
])
def test_spark_refuses_day_month_text_in_the_declared_words(spark, dates, says, fix):
    """The day/month rule on Spark (RLIKE): the value that tells the order is found, as on DuckDB and
    Polars, and the message is the pandas path's words with the engine's fix."""
    frame = pd.DataFrame({"customer_id": ["a", "b", "c"], "date": dates})
    with pytest.raises(rk.DataError) as spark_said:
        rk.validate_events(spark.createDataFrame(frame))
    with pytest.raises(rk.DataError) as duckdb_said:
        rk.validate_events(duckdb_relation(frame))
    assert says in str(spark_said.value)
    assert str(spark_said.value) == str(duckdb_said.value)
    if fix is None:
        assert "strptime" not in str(spark_said.value)
    else:
        assert f'strptime("date", {fix})' in str(spark_said.value)


def duckdb_relation(frame: pd.DataFrame):
    import duckdb

    return duckdb.from_df(frame)
