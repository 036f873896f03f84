"""rk.rfm_summary and the tracking table on Spark (local mode) against pandas. Skipped
only where Java or pyspark is missing; a Spark session takes seconds to start."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pandas as pd
import pytest

import retention_kit as rk

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[test]')")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java: no java on PATH and JAVA_HOME is not set", allow_module_level=True)

from engine_data import synthetic_log, write  # noqa: E402


@pytest.mark.slow  # starting a Spark session takes 30 s or more on two cores
def test_spark_matches_pandas(tmp_path):
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[1]").appName("clv tests")
             .config("spark.sql.shuffle.partitions", "2").config("spark.ui.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    log = synthetic_log(600, seed=5)
    kw = {"customer_col": "user", "time_col": "ts", "amount_col": "spend"}
    data = spark.read.parquet(write(log, tmp_path / "log.parquet", "parquet"))
    expected = rk.rfm_summary(log, "2024-06-30", "2024-12-31", **kw)
    got = rk.rfm_summary(data, "2024-06-30", "2024-12-31", **kw)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    model = rk.fit_bgnbd(expected)
    t_pandas = rk.tracking_table(model, log, "2024-06-30", "2024-12-31", customer_col="user", time_col="ts")
    t_spark = rk.tracking_table(model, data, "2024-06-30", "2024-12-31", customer_col="user", time_col="ts")
    np.testing.assert_allclose(t_spark["actual_cumulative"], t_pandas["actual_cumulative"])
    np.testing.assert_allclose(t_spark["expected_cumulative"], t_pandas["expected_cumulative"], rtol=1e-12)
