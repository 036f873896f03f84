"""Validate once at the door (issues 13 and 14): ``rk.validate_events`` returns an
``rk.EventLog`` that every analysis accepts in place of the raw data, on every engine here
(pandas, DuckDB over Parquet/CSV paths and relations, Polars frames), with the same result as
the raw data, no second validation, the door's column names carried through, conflicting
names refused, order lines merged and same-time events counted, and round trips intact."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

import retention_kit as rk
from retention_kit import engines as _engines
from retention_kit import validation as _validation

duckdb = pytest.importorskip("duckdb")
pl = pytest.importorskip("polars")

from engine_data import synthetic_log, write  # noqa: E402

ENGINES = ["pandas", "parquet", "csv", "duckdb relation", "polars", "polars lazy"]
COLS = {"customer_col": "user", "time_col": "ts"}
DOOR = {**COLS, "amount_col": "spend"}
# What the door adds to the ledger besides the checks of each analysis.
DOOR_CHECKS = {"same customer and time"}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("event_log")
    frame = synthetic_log(400, seed=3)
    parquet = write(frame, root / "log.parquet", "parquet")
    csv = write(frame, root / "log.csv", "csv")
    con = duckdb.connect()
    inputs = {"pandas": frame, "parquet": parquet, "csv": csv, "duckdb relation": con.read_parquet(parquet),
              "polars": pl.read_parquet(parquet), "polars lazy": pl.scan_parquet(parquet)}
    return frame, inputs, con


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        return fn(*args, **kwargs)


def _checks(report):
    """The ledger's rows without the door's own findings."""
    return [c for c in report.checks if c["check"] not in DOOR_CHECKS]


def _same_report(a, b):
    """The raw call's ledger, in its order; the log's may hold the door's findings besides
    (same-time events; the amount check of an analysis that takes no amount)."""
    a, b = rk.data_quality(a), rk.data_quality(b)
    assert [c for c in _checks(b) if c in a.checks] == _checks(a)
    assert all(c["check"] == "spend" and c["action"] == "kept" for c in _checks(b) if c not in a.checks)
    for field in ("rows_in", "rows_used", "first_time", "last_time", "as_of"):
        assert getattr(a, field) == getattr(b, field), field


# Each analysis: (name, function of (events, **column keywords)) and what to compare.
CALLS = {
    "crr_table": lambda ev, kw: rk.crr_table(ev, freq="M", **kw),
    "crr_table as_of": lambda ev, kw: rk.crr_table(ev, freq="M", as_of="2024-06-30", **kw),
    "cohort_table": lambda ev, kw: rk.cohort_table(ev, "M", first_cohort="keep", **kw),
    "cohort_table revenue": lambda ev, kw: rk.cohort_table(ev, "Q", metric="revenue", first_cohort="keep",
                                                           as_of="2024-09-30", **kw),
    "customer_lifetimes": lambda ev, kw: rk.customer_lifetimes(ev, churn_after=60, by=["channel"],
                                                               **_no_amount(kw)),
    "survival_table": lambda ev, kw: rk.survival_table(ev, churn_after="45D", as_of="2024-10-31",
                                                       **_no_amount(kw)),
    "survival_table by": lambda ev, kw: rk.survival_table(ev, churn_after=60, by="channel", **_no_amount(kw)),
    "rfm_summary": lambda ev, kw: rk.rfm_summary(ev, "2024-06-30", time_unit="D", **kw),
}
PANDAS_ONLY = {
    "purchase_gaps": lambda ev, kw: rk.purchase_gaps(ev, as_of="2024-08-31", **_no_amount(kw)),
    "cohort_table relative active_if": lambda ev, kw: rk.cohort_table(
        ev, "M", periods="relative", active_if=lambda df: df["spend"] > 0, by="channel", **kw),
    "churn_threshold_backtest": lambda ev, kw: rk.churn_threshold_backtest(ev, [30, 90], cut="2024-06-30",
                                                                           look_ahead=90, **_no_amount(kw)),
    "check_events": lambda ev, kw: rk.check_events(ev, **kw),
}


def _no_amount(kw):
    return {k: v for k, v in kw.items() if k != "amount_col"}


def _frames(result):
    """The numbers of a result, as frames to compare."""
    if isinstance(result, pd.DataFrame):
        return {"frame": result}
    if isinstance(result, rk.DataQualityReport):
        return {"summary": pd.DataFrame(_checks(result))}
    out = {}
    for attr in ("table", "counts", "rates", "gross_rates", "partial", "gaps", "summary"):
        value = getattr(result, attr, None)
        if isinstance(value, pd.DataFrame):
            out[attr] = value
    return out


def _assert_same(raw, ours):
    a, b = _frames(raw), _frames(ours)
    assert a.keys() == b.keys() and a
    for key in a:
        pd.testing.assert_frame_equal(a[key], b[key], obj=key)
    for attr in ("notes", "as_of"):
        if hasattr(raw, attr):
            assert getattr(raw, attr) == getattr(ours, attr), attr
    if not isinstance(raw, rk.DataQualityReport) and rk.data_quality(raw) is not None:
        _same_report(raw, ours)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("call", list(CALLS))
def test_every_analysis_gives_the_raw_result(data, engine, call):
    _, inputs, _ = data
    log = quiet(rk.validate_events, inputs[engine], **DOOR)
    assert isinstance(log, rk.EventLog) and log.engine == _engines.engine_of(inputs[engine])
    raw = quiet(CALLS[call], inputs[engine], DOOR)
    ours = quiet(CALLS[call], log, {})  # no column names repeated
    _assert_same(raw, ours)


@pytest.mark.parametrize("call", list(PANDAS_ONLY))
def test_pandas_analyses_give_the_raw_result(data, call):
    frame = data[0]
    log = quiet(rk.validate_events, frame, **DOOR)
    _assert_same(quiet(PANDAS_ONLY[call], frame, DOOR), quiet(PANDAS_ONLY[call], log, {}))


@pytest.mark.parametrize("engine", ["pandas", "parquet", "polars"])
def test_compare_retention_and_backtest_accept_the_log(tmp_path, engine):
    shop = rk.load_coffee_shop()
    events = shop.transactions
    if engine == "parquet":
        events = write(events, tmp_path / "shop.parquet", "parquet")
    elif engine == "polars":
        events = pl.read_parquet(write(events, tmp_path / "shop.parquet", "parquet"))
    log = quiet(rk.validate_events, events, amount_col="amount")
    kw = dict(horizon="60D", churn_after="30D")
    raw = quiet(rk.compare_retention, shop.assignments, events, **kw)
    ours = quiet(rk.compare_retention, shop.assignments, log, **kw)
    pd.testing.assert_frame_equal(raw.summary, ours.summary)
    pd.testing.assert_frame_equal(raw.lifetimes, ours.lifetimes)
    if engine == "pandas":
        dates = ["2024-03-31", "2024-05-31"]
        a = quiet(rk.backtest, rk.crr_table, events, dates, amount_col="amount")
        b = quiet(rk.backtest, rk.crr_table, log, dates)
        pd.testing.assert_frame_equal(a.summary, b.summary)


@pytest.mark.parametrize("engine", ENGINES)
def test_validation_runs_once(data, engine, monkeypatch):
    _, inputs, _ = data
    calls = []
    for module, name in ((_validation, "validate_frame"), (_engines, "_open")):
        original = getattr(module, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    log = quiet(rk.validate_events, inputs[engine], **DOOR)
    assert len(calls) == 1
    for call in CALLS.values():
        quiet(call, log, {})
    assert len(calls) == 1, calls
    quiet(CALLS["crr_table"], inputs[engine], DOOR)  # the raw data are checked on every call
    assert len(calls) == 2


def test_conflicting_columns_and_as_of_are_refused(data):
    frame = data[0]
    log = quiet(rk.validate_events, frame, **DOOR)
    # The door's names, repeated, are fine; the defaults mean "the log's".
    quiet(rk.crr_table, log, customer_col="user", time_col="ts", amount_col="spend")
    with pytest.raises(rk.ParameterError, match=r"customer_col='client' conflicts .* customer_col='user'"):
        rk.crr_table(log, customer_col="client")
    with pytest.raises(rk.ParameterError, match=r"time_col='when' conflicts .*Leave time_col out"):
        rk.customer_lifetimes(log, churn_after=30, time_col="when")
    with pytest.raises(rk.ParameterError, match=r"amount_col='price' conflicts"):
        rk.cohort_table(log, metric="revenue", amount_col="price")
    bare = quiet(rk.validate_events, frame, **COLS)
    with pytest.raises(rk.ParameterError, match=r"validated without an amount column.*amount_col='spend'"):
        rk.crr_table(bare, amount_col="spend")
    with pytest.raises(rk.ParameterError, match="needs amount_col"):
        rk.cohort_table(bare, metric="revenue")
    dated = quiet(rk.validate_events, frame, **DOOR, as_of="2024-06-30")
    quiet(rk.crr_table, dated, as_of="2024-06-30")
    with pytest.raises(rk.ParameterError, match=r"as_of='2024-03-31' conflicts .* as of 2024-06-30"):
        rk.crr_table(dated, as_of="2024-03-31")
    with pytest.raises(rk.DataError, match="'region'.*not found in the validated event log"):
        rk.customer_lifetimes(log, churn_after=30, by=["region"])
    with pytest.raises(rk.ParameterError, match="holds transactions"):
        rk.crr_table(log, kind="subscriptions")


def test_the_door_refuses_bad_data_like_every_analysis(data):
    frame = data[0].copy()
    frame.loc[3, "spend"] = -1.0
    with pytest.raises(rk.DataError, match="negative"):
        rk.validate_events(frame, **DOOR)
    with pytest.raises(rk.DataError, match="Did you mean 'user'"):
        rk.validate_events(frame, customer_col="usr", time_col="ts")
    # order_col runs on every engine now: a column that is not there is named, with the fix
    with pytest.raises(rk.DataError, match=r"'x'.*not found"):
        rk.validate_events(data[1]["parquet"], **COLS, order_col="x")


def test_door_as_of_matches_the_raw_cut(data):
    _, inputs, _ = data
    for engine in ("pandas", "parquet", "polars"):
        dated = quiet(rk.validate_events, inputs[engine], **DOOR, as_of="2024-06-30")
        raw = quiet(rk.crr_table, inputs[engine], **DOOR, as_of="2024-06-30")
        ours = quiet(rk.crr_table, dated)
        pd.testing.assert_frame_equal(raw.table, ours.table)
        _same_report(raw, ours)
        assert dated.as_of == raw.data_quality.as_of


def _invoice_lines():
    """Three customers, orders of several lines at one time each (as an online shop exports)."""
    rows = []
    for cust, orders in {"a": [("A1", "2024-01-05 10:00", 3), ("A2", "2024-02-07 09:30", 2)],
                         "b": [("B1", "2024-01-20 12:00", 4)],
                         "c": [("C1", "2024-02-02 16:00", 1), ("C2", "2024-02-20 11:00", 2)]}.items():
        for order, when, lines in orders:
            rows += [{"customer": cust, "invoice": order, "time": when, "price": 2.0 + i} for i in range(lines)]
    return pd.DataFrame(rows)


def test_order_lines_merge_into_one_purchase_each():
    lines = _invoice_lines()
    cols = dict(customer_col="customer", time_col="time", amount_col="price", as_of="2024-02-29")
    with pytest.warns(rk.DataQualityWarning, match=r"3 of 3 customers .* order_col="):
        by_line = rk.validate_events(lines, **cols)
    assert by_line.data_quality.summary.set_index("check").loc["same customer and time", "rows"] == 7
    with warnings.catch_warnings():
        warnings.simplefilter("error", rk.DataQualityWarning)
        by_order = rk.validate_events(lines, **cols, order_col="invoice")
    assert (by_order.rows, by_order.customers) == (5, 3)
    merged = by_order.data_quality.summary.set_index("check").loc["invoice"]
    assert merged["rows"] == 7 and merged["action"] == "dropped" and "12 rows are 5 purchases" in merged["detail"]
    assert by_order.data_quality.rows_in == 12 and by_order.data_quality.rows_dropped == 7
    frame = by_order.to_frame()
    assert frame["price"].tolist() == [2 + 3 + 4, 2 + 3, 2 + 3 + 4 + 5, 2, 2 + 3]
    # February's repeat-purchase rate: lines counted as purchases, then orders.
    feb_lines = quiet(rk.crr_table, by_line).table.loc["2024-02", "repeat_purchase_rate"]
    feb_orders = rk.crr_table(by_order).table.loc["2024-02", "repeat_purchase_rate"]
    assert feb_lines == 1.0 and feb_orders == 0.5
    # The ledger of every analysis starts from the door's.
    assert rk.crr_table(by_order).data_quality.rows_dropped == 7


@pytest.mark.parametrize("engine", ["parquet", "polars"])
def test_same_time_events_are_counted_on_the_engines(tmp_path, engine):
    lines = _invoice_lines().assign(time=lambda d: pd.to_datetime(d["time"]))
    path = write(lines, tmp_path / "lines.parquet", "parquet")
    source = path if engine == "parquet" else pl.read_parquet(path)
    with pytest.warns(rk.DataQualityWarning, match=r"3 of 3 customers .*GROUP BY"):
        log = rk.validate_events(source, customer_col="customer", time_col="time", amount_col="price")
    assert log.customers == 3
    check = log.data_quality.summary.set_index("check").loc["same customer and time"]
    assert check["rows"] == 7


def test_no_warning_when_few_customers_share_a_time():
    cdnow = rk.load_cdnow()  # day-level dates: 1,157 of 23,570 customers bought twice on a day
    with warnings.catch_warnings():
        warnings.simplefilter("error", rk.DataQualityWarning)
        log = rk.validate_events(cdnow, amount_col="amount")
    assert log.data_quality.summary.set_index("check").loc["same customer and time", "rows"] == 2068


def test_repr_and_html_say_what_the_log_holds(data):
    log = quiet(rk.validate_events, data[0], **DOOR)
    text = repr(log)
    assert text.startswith(f"EventLog (pandas): {log.rows:,} rows, {log.customers:,} customers, 2023-")
    assert "customer_col='user', time_col='ts', amount_col='spend'" in text
    assert "DataQualityReport" in text and "amount is 0" in text
    html = log._repr_html_()
    assert "EventLog (pandas)" in html and "<table" in html and "amount_col=&#x27;spend&#x27;" in html
    assert rk.data_quality(log) is log.data_quality
    assert log.rows == len(data[0]) and log.customers == data[0]["user"].nunique()
    engine_log = quiet(rk.validate_events, data[1]["parquet"], **DOOR)
    assert repr(engine_log).startswith(f"EventLog (duckdb): {log.rows:,} rows, {log.customers:,} customers")
    assert engine_log.first_time == log.first_time and engine_log.as_of == log.as_of


@pytest.mark.parametrize("engine", ["pandas", "parquet", "csv", "polars", "polars lazy"])
def test_pickle_and_deepcopy_keep_the_log(data, engine):
    _, inputs, _ = data
    log = quiet(rk.validate_events, inputs[engine], **DOOR)
    expected = quiet(rk.crr_table, log)
    for clone in (pickle.loads(pickle.dumps(log)), copy.deepcopy(log)):
        assert repr(clone) == repr(log) and clone.columns == log.columns
        again = quiet(rk.crr_table, clone)
        pd.testing.assert_frame_equal(again.table, expected.table)
        assert repr(again.data_quality) == repr(expected.data_quality)


def test_a_log_over_a_duckdb_relation_says_why_it_cannot_be_pickled(data):
    log = quiet(rk.validate_events, data[1]["duckdb relation"], **DOOR)
    with pytest.raises(TypeError, match="DuckDB relation cannot be pickled.*path"):
        pickle.dumps(log)


def test_analyses_do_not_change_the_log(data):
    log = quiet(rk.validate_events, data[0], **DOOR)
    before = repr(log)
    for call in list(CALLS.values()) + list(PANDAS_ONLY.values()):
        quiet(call, log, {})
    assert repr(log) == before
    assert np.array_equal(log.to_frame().columns, ["user", "ts", "spend", "channel"])
