"""order_col= on every engine: the line items of one order merged into one purchase (the
order's first time, amounts summed; rows without an order id stay purchases of their own),
in the engine's query on DuckDB (paths), Polars and Spark as on pandas."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import retention_kit as rk

from engine_data import write

pl = pytest.importorskip("polars")
pytest.importorskip("duckdb")

COLS = dict(customer_col="customer", time_col="time", amount_col="price")


def invoice_lines() -> pd.DataFrame:
    """14 rows: 5 orders of 1-4 lines and 2 rows without an order id.

    a: A1 2024-01-05 10:00, lines 2 + 3 + 4 = 9; A2 2024-02-07 09:30, lines 2 + 3 = 5, its
       second line booked 2024-02-12 (the order's time is its first line's);
    b: B1 2024-01-20 12:00, lines 2 + 3 + 4 + 5 = 14;
    c: C1 2024-02-02 16:00, 2; C2 2024-02-20 11:00, 2 + 3 = 5; no order id: 2024-02-25 12:00,
       1.0 and 2024-02-26 08:00, 1.5 (two purchases).
    """
    rows = []
    for cust, orders in {"a": [("A1", "2024-01-05 10:00", 3), ("A2", "2024-02-07 09:30", 2)],
                         "b": [("B1", "2024-01-20 12:00", 4)],
                         "c": [("C1", "2024-02-02 16:00", 1), ("C2", "2024-02-20 11:00", 2)]}.items():
        for order, when, lines in orders:
            rows += [{"customer": cust, "invoice": order, "time": when, "price": 2.0 + i} for i in range(lines)]
    rows[4]["time"] = "2024-02-12 08:00"  # A2's second line, booked later
    rows += [{"customer": "c", "invoice": None, "time": "2024-02-25 12:00", "price": 1.0},
             {"customer": "c", "invoice": None, "time": "2024-02-26 08:00", "price": 1.5}]
    frame = pd.DataFrame(rows)
    frame["time"] = pd.to_datetime(frame["time"])
    return frame


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    frame = invoice_lines()
    folder = tmp_path_factory.mktemp("orders")
    out = {"pandas": frame, "csv": write(frame, folder / "lines.csv", "csv"),
           "parquet": write(frame, folder / "lines.parquet", "parquet"), "polars": pl.from_pandas(frame)}
    return out


ENGINES = ("pandas", "csv", "parquet", "polars")


def _validate(data, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.DataQualityWarning)
        return rk.validate_events(data, **COLS, order_col="invoice", **kwargs)


def _merged(log) -> pd.Series:
    return log.data_quality.summary.set_index("check").loc["invoice"]


@pytest.mark.parametrize("engine", ENGINES)
def test_line_items_merge_into_purchases(inputs, engine):
    log = _validate(inputs[engine], as_of="2024-02-29")
    assert log.engine == ("pandas" if engine == "pandas" else "polars" if engine == "polars" else "duckdb")
    # 14 rows -> 5 orders + 2 rows without an order id = 7 purchases; 14 - 7 = 7 lines merged.
    assert (log.data_quality.rows_in, log.rows, log.customers) == (14, 7, 3)
    merged = _merged(log)
    assert merged["rows"] == 7 and merged["action"] == "dropped"
    assert merged["detail"] == ("line items merged into their order: 14 rows are 7 purchases (one per customer and "
                                "order: its amounts summed, the order's first time)")
    assert log.data_quality.rows_dropped == 7
    assert log.first_time == pd.Timestamp("2024-01-05 10:00")
    # The last purchase is c's row without an order id, 2024-02-26 08:00.
    assert log.last_time == pd.Timestamp("2024-02-26 08:00")


@pytest.mark.parametrize("engine", ENGINES)
def test_crr_table_counts_orders(inputs, engine):
    table = rk.crr_table(_validate(inputs[engine], as_of="2024-02-29"), "M").table
    jan, feb = table.loc["2024-01"], table.loc["2024-02"]
    # January: a (A1, 9) and b (B1, 14) buy once each: 2 buyers, no repeat buyer, 23.0.
    assert (jan["buyers"], jan["repeat_purchase_rate"], jan["revenue"]) == (2, 0.0, 23.0)
    # February: a (A2, 5) once; c four times (C1 2, C2 5, 1.0, 1.5): 2 buyers, 1 repeat buyer
    # -> 0.5 (counting lines, a would be a repeat buyer too: 1.0); revenue 5 + 2 + 5 + 1 + 1.5 = 14.5.
    assert (feb["buyers"], feb["repeat_purchase_rate"], feb["revenue"]) == (2, 0.5, 14.5)
    # S = 2 (a, b), N = 1 (c), E = 2 (a, c), retained 1 (a): CRR (2 - 1) / 2 = 0.5; NRR: a and
    # b spent 5 + 0 in February against 9 + 14 = 23 in January: 5 / 23 (GRR min(5, 9) / 23).
    assert (feb["start"], feb["new"], feb["end"], feb["retained"], feb["crr"]) == (2, 1, 2, 1, 0.5)
    assert feb["net_revenue_retention"] == pytest.approx(5 / 23, rel=1e-12)
    assert feb["gross_revenue_retention"] == pytest.approx(5 / 23, rel=1e-12)
    assert rk.crr_table(_validate(inputs[engine]), "M").data_quality.rows_dropped == 7


@pytest.mark.parametrize("engine", ENGINES)
def test_repeat_purchases_of_the_rfm_summary(inputs, engine):
    rfm = rk.rfm_summary(_validate(inputs[engine]), "2024-02-29", time_unit="D")
    # Purchase days: a Jan 5, Feb 7 -> 1 repeat, recency 33 days; b Jan 20 -> 0; c Feb 2, 20,
    # 25, 26 -> 3 repeats, recency 24 days. Repeat spend: a 5 / 1 = 5.0; c (5 + 1.0 + 1.5) / 3 = 2.5.
    assert rfm["frequency"].tolist() == [1.0, 0.0, 3.0]
    assert rfm["recency"].tolist() == [33.0, 0.0, 24.0]
    assert rfm["monetary_value"].tolist()[0] == 5.0 and rfm["monetary_value"].tolist()[2] == 2.5


@pytest.mark.parametrize("engine", ENGINES)
def test_the_as_of_date_cuts_merged_purchases(inputs, engine):
    log = _validate(inputs[engine], as_of="2024-02-10")
    # After 2024-02-10: C2 (02-20) and the two rows without an order id (02-25, 02-26): 3
    # purchases. A2 is kept (its first line, 02-07, is before the cut; its 02-12 line is merged).
    assert (log.rows, log.data_quality.rows_dropped) == (7 - 3, 7 + 3)
    table = rk.cohort_table(log, "M", metric="revenue", first_cohort="keep")
    # January's cohort (a, b): 9 + 14 = 23 in January, A2's 2 + 3 = 5 in February (partial);
    # February's (c): C1, 2.0.
    assert table.counts.loc["2024-01"].tolist() == [23.0, 5.0]
    assert table.counts.loc["2024-02", 0] == 2.0


def test_every_engine_gives_the_same_log_and_tables(inputs):
    logs = {e: _validate(inputs[e], as_of="2024-02-29") for e in ENGINES}
    reference = logs["pandas"]
    for engine, log in logs.items():
        assert (log.rows, log.customers) == (reference.rows, reference.customers)
        pd.testing.assert_series_equal(_merged(log), _merged(reference))
        pd.testing.assert_frame_equal(rk.crr_table(log, "M").table, rk.crr_table(reference, "M").table)
        pd.testing.assert_frame_equal(rk.cohort_table(log, "M", first_cohort="keep").summary,
                                      rk.cohort_table(reference, "M", first_cohort="keep").summary)


def test_carried_columns_are_refused_on_merged_engine_logs(inputs):
    log = _validate(inputs["parquet"])
    with pytest.raises(rk.ParameterError, match="merged the line items of each order"):
        rk.survival_table(log, churn_after=30, by="invoice")


def test_order_col_must_name_another_column(inputs):
    with pytest.raises(rk.ParameterError, match="order_col='customer' is also the customer"):
        rk.validate_events(inputs["parquet"], **COLS, order_col="customer")
    with pytest.raises(rk.DataError, match="'nope' \\(order_col\\) not found"):
        rk.validate_events(inputs["parquet"], **COLS, order_col="nope")


def test_spark(inputs):
    pyspark = pytest.importorskip("pyspark")  # noqa: F841
    from pyspark.sql import SparkSession

    try:
        spark = SparkSession.builder.master("local[1]").config("spark.sql.session.timeZone", "UTC").getOrCreate()
    except Exception as exc:  # pragma: no cover - no Java
        pytest.skip(f"no Spark session: {exc}")
    log = _validate(spark.read.parquet(inputs["parquet"]), as_of="2024-02-29")
    assert (log.data_quality.rows_in, log.rows, log.customers) == (14, 7, 3)
    assert _merged(log)["rows"] == 7
