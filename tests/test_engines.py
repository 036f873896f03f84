"""The reductions on DuckDB (Parquet/CSV files and relations) and Polars (DataFrame and
LazyFrame) against the pandas path on the same data: CDNOW, a seeded synthetic log and the
coffee shop. Spark is in test_engines_spark.py."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import retention_kit as rk
from retention_kit.engines import _footer_stats, engine_of, open_events

duckdb = pytest.importorskip("duckdb")
pl = pytest.importorskip("polars")

from engine_data import datasets, write  # noqa: E402

ENGINES = ["parquet", "csv", "duckdb relation", "polars", "polars lazy"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """name -> (pandas frame, column keywords, amount column, {engine: input})."""
    root = tmp_path_factory.mktemp("engines")
    con = duckdb.connect()
    out = {}
    for name, (frame, cols, amount) in datasets().items():
        parquet = write(frame, root / f"{name}.parquet", "parquet")
        csv = write(frame, root / f"{name}.csv", "csv")
        polars = pl.read_parquet(parquet)
        out[name] = (frame, cols, amount, {
            "pandas": frame, "parquet": parquet, "csv": csv, "duckdb relation": con.read_parquet(parquet),
            "polars": polars, "polars lazy": pl.scan_parquet(parquet)})
    out["_con"] = con  # keeps the relations' connection open
    return out


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        return fn(*args, **kwargs)


def assert_same_cohorts(a, b):
    for attr in ("counts", "rates", "partial"):
        pd.testing.assert_frame_equal(getattr(a, attr), getattr(b, attr), rtol=1e-9)
    pd.testing.assert_series_equal(a.sizes, b.sizes)
    if a.gross_rates is not None:
        pd.testing.assert_frame_equal(a.gross_rates, b.gross_rates, rtol=1e-9)
        pd.testing.assert_series_equal(a.base_revenue, b.base_revenue, rtol=1e-9)
    assert a.as_of == b.as_of
    assert a.notes == b.notes
    assert repr(a.data_quality) == repr(b.data_quality)


# -- dispatch -----------------------------------------------------------------------------


def test_engine_of_recognises_each_input(data):
    frame, _, _, inputs = data["cdnow"]
    kinds = {name: engine_of(obj) for name, obj in inputs.items()}
    assert kinds == {"pandas": "pandas", "parquet": "duckdb", "csv": "duckdb", "duckdb relation": "duckdb",
                     "polars": "polars", "polars lazy": "polars"}
    assert engine_of(frame) == "pandas"
    assert engine_of([inputs["parquet"], inputs["parquet"]]) == "duckdb"


def test_unknown_input_raises():
    with pytest.raises(rk.DataError, match="events must be a pandas DataFrame, a path.*got dict"):
        rk.cohort_table({"customer_id": [1]})


# -- cohort tables ------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dataset", ["cdnow", "synthetic"])
@pytest.mark.parametrize("freq, mode", [("D", "on"), ("W", "on"), ("M", "on"), ("Q", "on"), ("Y", "on"),
                                        ("W", "on or after"), ("M", "on or after")])
def test_cohort_table_matches_pandas(data, dataset, engine, freq, mode):
    frame, cols, _, inputs = data[dataset]
    ours = quiet(rk.cohort_table, inputs[engine], freq, mode=mode, **cols)
    assert_same_cohorts(quiet(rk.cohort_table, frame, freq, mode=mode, **cols), ours)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dataset", ["cdnow", "synthetic"])
def test_revenue_cohorts_exclude_and_as_of_match_pandas(data, dataset, engine):
    frame, cols, amount, inputs = data[dataset]
    kw = dict(metric="revenue", amount_col=amount, first_cohort="exclude", as_of="1998-03-15"
              if dataset == "cdnow" else "2024-06-30 12:00", **cols)
    assert_same_cohorts(rk.cohort_table(frame, "M", **kw), rk.cohort_table(inputs[engine], "M", **kw))


def test_cohort_cells_by_hand(tmp_path):
    # a, b acquired in January 2024, c in February; a is back in February, b in March:
    # January row 2, 1, 1 (March partial: as of 10 March), February row 1, 0.
    ev = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c"],
                       "date": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-01-31", "2024-03-10",
                                               "2024-02-14"])})
    t = rk.cohort_table(write(ev, tmp_path / "tiny.parquet", "parquet"), "M", first_cohort="keep")
    assert t.counts.to_numpy().tolist()[0] == [2.0, 1.0, 1.0]
    assert t.counts.to_numpy().tolist()[1][:2] == [1.0, 0.0] and np.isnan(t.counts.iat[1, 2])
    assert bool(t.partial.iat[0, 2]) and not bool(t.partial.iat[0, 1])
    assert t.as_of == pd.Timestamp("2024-03-10")  # the last date, computed by the engine


@pytest.mark.parametrize("n_days", [63, 64])  # 63 periods: bitmask query; 64: distinct pairs
def test_daily_cohorts_either_side_of_the_bitmask_limit(tmp_path, n_days):

    rng = np.random.default_rng(n_days)
    days = rng.integers(0, n_days, 4000)
    days[:2] = 0, n_days - 1  # the data span exactly n_days days
    ev = pd.DataFrame({"customer_id": rng.integers(0, 300, 4000),
                       "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, "D")
                       + pd.to_timedelta(rng.integers(0, 86_400, 4000), "s")})
    path = write(ev, tmp_path / "days.parquet", "parquet")
    log, queries = open_events(path), []

    def recording(sql, starts=None):
        queries.append(sql)
        return log.source.run(sql, starts)

    log.run = recording
    log.cohort_cells("D", mode="on", revenue=False)
    assert ("BIT_OR" in queries[0]) is (n_days <= 63)
    assert_same_cohorts(rk.cohort_table(ev, "D", first_cohort="keep"),
                        rk.cohort_table(path, "D", first_cohort="keep"))


def test_left_censoring_warning_on_engines(data):
    _, cols, _, inputs = data["synthetic"]
    with pytest.warns(rk.LeftCensoringWarning, match="2023-01 cohort"):
        rk.cohort_table(inputs["parquet"], "M", **cols)


# -- lifetimes and survival tables --------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kw", [dict(churn_after=30), dict(churn_after="60D", freq="M", as_of="2024-10-15"),
                                dict(churn_after=45, censor_at="as_of", freq="W")])
def test_customer_lifetimes_match_pandas(data, engine, kw):
    frame, _, _, inputs = data["shop"]
    expected = rk.customer_lifetimes(frame, by=["channel"], **kw)
    ours = rk.customer_lifetimes(inputs[engine], by=["channel"], **kw)
    pd.testing.assert_frame_equal(expected, ours)
    assert repr(ours.attrs["data_quality"]) == repr(expected.attrs["data_quality"])


@pytest.mark.parametrize("engine", ["pandas", *ENGINES])
@pytest.mark.parametrize("dataset", ["cdnow", "synthetic", "shop"])
def test_survival_table_matches_aggregated_lifetimes(data, dataset, engine):
    # pandas without segments takes the numpy path of survival_table: checked here too.
    frame, cols, _, inputs = data[dataset]
    by = None if dataset == "cdnow" else "channel"
    for kw in (dict(churn_after=90), dict(churn_after=30, freq="M", censor_at="as_of"),
               dict(churn_after="8W", freq="W", as_of="1998-01-31" if dataset == "cdnow" else "2024-06-30")):
        expected = rk.aggregate_lifetimes(rk.customer_lifetimes(frame, by=by or (), **cols, **kw), by=by)
        ours = rk.survival_table(inputs[engine], by=by, **cols, **kw)
        pd.testing.assert_frame_equal(expected, ours)
        assert ours.attrs["as_of"] == expected.attrs["as_of"]


@pytest.mark.parametrize("engine", ["parquet", "duckdb relation", "polars lazy"])
def test_start_times_match_pandas(data, engine):
    frame, _, _, inputs = data["shop"]
    assignments = rk.load_coffee_shop().assignments
    late = assignments.assign(date=assignments["date"] + pd.Timedelta(days=1))  # events before the start
    kw = dict(churn_after=30, start_times=late.iloc[:2500], by=["arm"])
    with pytest.warns(rk.DataQualityWarning, match="customers of the events have no start"):
        expected = rk.customer_lifetimes(frame, **kw)
    with pytest.warns(rk.DataQualityWarning, match="customers of the events have no start"):
        ours = rk.customer_lifetimes(inputs[engine], **kw)
    pd.testing.assert_frame_equal(expected, ours)
    assert repr(ours.attrs["data_quality"]) == repr(expected.attrs["data_quality"])
    table = rk.survival_table(inputs[engine], churn_after=30, start_times=assignments)
    pd.testing.assert_frame_equal(rk.survival_table(frame, churn_after=30, start_times=assignments), table)


def test_survival_table_doctest_numbers_on_parquet(tmp_path):
    log = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c"],
                        "date": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-05", "2024-03-01",
                                                "2024-05-30"])})
    # a: 10 days, churned (silent 140 >= 60 days); b: 0 days, churned; c: censored at the
    # detection limit 2024-03-31 (as_of - 60 days), 30 days after its start.
    table = rk.survival_table(write(log, tmp_path / "log.parquet", "parquet"), churn_after=60)
    assert table[["duration", "churned", "count"]].values.tolist() == [[0.0, True, 1], [10.0, True, 1],
                                                                      [30.0, False, 1]]


# -- CRR and A/B --------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dataset", ["cdnow", "synthetic"])
def test_crr_table_matches_pandas(data, dataset, engine):
    frame, cols, amount, inputs = data[dataset]
    for kw in (dict(freq="M", amount_col=amount), dict(freq="W"), dict(freq="Q", as_of="1998-03-15"
                                                                       if dataset == "cdnow" else "2024-09-01")):
        expected = rk.crr_table(frame, **cols, **kw)
        ours = rk.crr_table(inputs[engine], **cols, **kw)
        pd.testing.assert_frame_equal(expected.table, ours.table, rtol=1e-9)
        assert expected.notes == ours.notes
        assert repr(expected.data_quality) == repr(ours.data_quality)


@pytest.mark.parametrize("engine", ["parquet", "polars"])
def test_compare_retention_matches_pandas(data, engine):
    frame, _, _, inputs = data["shop"]
    assignments = rk.load_coffee_shop().assignments
    kw = dict(horizon="60D", churn_after="30D")
    expected = quiet(rk.compare_retention, assignments, frame, **kw)
    ours = quiet(rk.compare_retention, assignments, inputs[engine], **kw)
    pd.testing.assert_frame_equal(expected.summary, ours.summary)
    pd.testing.assert_frame_equal(expected.lifetimes, ours.lifetimes)


# -- validation in the engine -------------------------------------------------------------


def test_missing_column_names_it_and_the_fix(data):
    _, _, _, inputs = data["cdnow"]
    for engine in ("parquet", "polars lazy"):
        with pytest.raises(rk.DataError, match=r"Column 'dat' \(time_col\) not found.*Did you mean 'date'\? "
                                               r"Pass time_col='date'"):
            rk.cohort_table(inputs[engine], time_col="dat")
    with pytest.raises(rk.DataError, match=r"Column 'segment' not found in events \(parquet file"):
        rk.survival_table(inputs["parquet"], churn_after=30, by="segment")


@pytest.mark.parametrize("engine", ["parquet", "csv", "polars"])
def test_bad_rows_are_counted_in_the_engine(tmp_path, engine):
    good = pd.DataFrame({"customer_id": ["a", "b", "c"], "date": pd.to_datetime(["2024-01-01"] * 3),
                         "amount": [1.0, 2.0, 3.0]})
    cases = {
        "ids": (good.assign(customer_id=["a", None, None]), r"'customer_id' is empty in 2 of 3 rows"),
        "dates": (good.assign(date=[pd.NaT, pd.Timestamp("2024-01-02"), pd.NaT]), r"2 missing dates out of 3"),
        "amounts": (good.assign(amount=[-1.0, 2.0, -3.0]), r"'amount' has 2 negative values.*refunds"),
    }
    for name, (frame, message) in cases.items():
        path = write(frame, tmp_path / f"{name}.{'csv' if engine == 'csv' else 'parquet'}",
                     "csv" if engine == "csv" else "parquet")
        source = pl.read_parquet(path) if engine == "polars" else path
        with pytest.raises(rk.DataError, match=message):
            rk.cohort_table(source, amount_col="amount")


def test_unreadable_and_numeric_dates(tmp_path):
    text = pd.DataFrame({"customer_id": ["a", "b"], "date": ["2024-01-01", "soon"]})
    with pytest.raises(rk.DataError, match=r"1 of 2 values could not be read as dates"):
        rk.cohort_table(write(text, tmp_path / "text.parquet", "parquet"))
    with pytest.raises(rk.DataError, match=r"1 of 2 values could not be read as dates"):
        rk.cohort_table(pl.DataFrame({"customer_id": ["a", "b"], "date": ["2024-01-01", "soon"]}))
    numbers = pd.DataFrame({"customer_id": ["a", "b"], "date": [20240101, 20240102]})
    with pytest.raises(rk.DataError, match=r"'date' holds numbers, not dates"):
        rk.cohort_table(write(numbers, tmp_path / "numbers.parquet", "parquet"))


def test_text_dates_are_parsed_and_reported(tmp_path):
    text = pd.DataFrame({"customer_id": ["a", "b", "a"], "date": ["2024-01-01", "2024-01-20", "2024-02-03"]})
    table = rk.cohort_table(write(text, tmp_path / "text.parquet", "parquet"), first_cohort="keep")
    expected = rk.cohort_table(text, first_cohort="keep")
    assert_same_cohorts(expected, table)


def test_as_of_before_the_data_and_empty_files(tmp_path, data):
    _, _, _, inputs = data["cdnow"]
    with pytest.raises(rk.DataError, match=r"as_of='1990-01-01' is before the first event"):
        rk.cohort_table(inputs["parquet"], as_of="1990-01-01")
    empty = write(pd.DataFrame({"customer_id": pd.Series([], dtype=object),
                                "date": pd.Series([], dtype="datetime64[ns]")}), tmp_path / "empty.parquet",
                  "parquet")
    with pytest.raises(rk.DataError, match=r"The event log is empty \(0 rows"):
        rk.cohort_table(empty)
    with pytest.raises(rk.DataError, match=r"No file matches .*nowhere/\*\.parquet"):
        rk.cohort_table(str(tmp_path / "nowhere" / "*.parquet"))
    (tmp_path / "events.json").write_text("{}")
    with pytest.raises(rk.DataError, match=r"not a Parquet \(\.parquet\) or CSV"):
        rk.cohort_table(str(tmp_path / "events.json"))


def test_options_the_engines_do_not_run_raise(data):
    _, _, _, inputs = data["cdnow"]
    for kw, name in ((dict(periods="relative"), "periods"), (dict(by="quantity"), "by"),
                     (dict(brackets=[1, (2, 3)]), "brackets"), (dict(active_if="x"), "active_if")):
        with pytest.raises(rk.ParameterError, match=rf"{name}=.* runs on pandas DataFrames only.*calendar"):
            rk.cohort_table(inputs["parquet"], **kw)
    with pytest.raises(rk.ParameterError, match=r"activity_window='90D' runs on pandas DataFrames only"):
        rk.crr_table(inputs["polars"], activity_window="90D")
    with pytest.raises(rk.ParameterError, match=r"kind='subscriptions' runs on pandas DataFrames only"):
        rk.crr_table(inputs["parquet"], kind="subscriptions")


def test_varying_carried_column_raises(data):
    _, _, _, inputs = data["cdnow"]
    with pytest.raises(rk.DataError, match=r"'quantity' in events varies within a customer for [\d,]+ customers"):
        rk.customer_lifetimes(inputs["parquet"], churn_after=30, by=["quantity"])
    with pytest.raises(rk.DataError, match=r"'quantity' in events varies within a customer"):
        rk.survival_table(inputs["polars"], churn_after=30, by="quantity")


# -- validation from Parquet footers ------------------------------------------------------


def _footer_cases(tmp_path):
    """name -> (Parquet path, amount column or None, whether the footers can answer)."""
    pa = pytest.importorskip("pyarrow")  # noqa: F841  (pandas writes Parquet through it)
    rng = np.random.default_rng(3)
    n = 5000
    frame = pd.DataFrame({
        "customer_id": rng.integers(0, 400, n).astype(float),
        "date": np.datetime64("2024-01-01", "ns") + rng.integers(0, 300 * 86_400 * 10**9, n).astype("timedelta64[ns]"),
        "amount": rng.uniform(1, 50, n)})
    with_zero = frame.assign(amount=frame["amount"].where(np.arange(n) % 97 != 0, 0.0))
    with_null_id = frame.assign(customer_id=frame["customer_id"].where(np.arange(n) % 500 != 0))
    cases = {}

    def add(name, writer, amount, answers):
        path = tmp_path / f"{name}.parquet"
        writer(path)
        cases[name] = (str(path), amount, answers)

    # Float amounts are counted in a pass: footers leave NaN out of their minimum and maximum.
    add("pandas, ns", lambda p: frame.to_parquet(p, row_group_size=700), "amount", False)
    add("pandas, ns, no amount", lambda p: frame.to_parquet(p, row_group_size=700), None, True)
    add("integer amounts", lambda p: frame.assign(amount=(frame["amount"] * 100).round().astype("int64"))
        .to_parquet(p, row_group_size=700), "amount", True)
    add("pandas, ms", lambda p: frame.assign(date=frame["date"].astype("datetime64[ms]")).to_parquet(p), None, True)
    add("pandas, dates", lambda p: frame.assign(date=frame["date"].dt.date).to_parquet(p), None, True)
    add("duckdb", lambda p: write(frame, p, "parquet"), None, True)
    add("polars", lambda p: pl.from_pandas(frame).write_parquet(p, row_group_size=1000), None, True)
    add("polars, float amounts", lambda p: pl.from_pandas(frame).write_parquet(p), "amount", False)
    add("polars, no statistics", lambda p: pl.from_pandas(frame).write_parquet(p, statistics=False), None, False)
    add("a zero amount", lambda p: with_zero.to_parquet(p), "amount", False)
    add("dates as text", lambda p: frame.assign(date=frame["date"].astype(str)).to_parquet(p), None, False)
    add("missing ids", lambda p: with_null_id.to_parquet(p), None, True)
    return cases


def test_footer_statistics_give_the_same_validation_as_a_pass(tmp_path, monkeypatch):
    from retention_kit.engines import _duckdb

    for name, (path, amount, answers) in _footer_cases(tmp_path).items():
        source = _duckdb.DuckDBSource(path)
        assert (source.footer_stats("customer_id", "date", amount) is not None) is answers, name

        def outcome():
            try:
                log = open_events(path, amount_col=amount)
            except rk.DataError as error:
                return str(error)
            return repr(log.report), log.as_of, log.first_time, log.report.first_time

        from_footer = outcome()
        with monkeypatch.context() as m:
            m.setattr(_duckdb.DuckDBSource, "footer_stats", lambda *args: None)
            assert outcome() == from_footer, name
    assert "is empty in 10 of 5,000 rows" in from_footer  # the last case: missing ids


def test_footer_statistics_step_aside_when_the_as_of_date_drops_rows(tmp_path):
    from retention_kit.engines import _duckdb

    path, _, _ = _footer_cases(tmp_path)["duckdb"]
    source = _duckdb.DuckDBSource(path)
    last = pd.Timestamp(source.footer_stats("customer_id", "date", None)["last_us"], unit="us")
    stats = _footer_stats(source, "customer_id", "date", None, last, whole_day=False)
    assert stats["after_as_of"] == 0 and stats["last_kept_us"] == stats["last_us"]
    assert _footer_stats(source, "customer_id", "date", None, last - pd.Timedelta(1, "us"), whole_day=False) is None
    log = open_events(path, as_of=(last - pd.Timedelta(days=30)).strftime("%Y-%m-%d"))
    dropped = [check for check in log.report.checks if check["action"] == "dropped"]
    assert dropped and dropped[0]["rows"] > 0  # counted in a pass over the rows


def test_csv_ids_with_leading_zeros_beyond_the_sniffed_rows_are_refused(tmp_path):
    # DuckDB guesses column types from the first rows: 30,000 plain ids make it read the
    # column as integers, and "00017" further down would silently become customer 17.
    ids = [str(100 + i) for i in range(30_000)] + ["17", "00017"]
    path = tmp_path / "ids.csv"
    path.write_text("customer_id,date\n" + "".join(f"{i},2024-01-{1 + n % 28:02d}\n" for n, i in enumerate(ids)))
    assert duckdb.connect().read_csv(str(path)).types[0] == "BIGINT"  # the trap is real
    with pytest.raises(rk.DataError, match=r"1 of 30,002 ids are not plain integers \(e.g. '00017'\).*"
                                           r"dtype=\{'customer_id': 'VARCHAR'\}"):
        rk.cohort_table(str(path))
    as_text = duckdb.connect().read_csv(str(path), dtype={"customer_id": "VARCHAR"})
    assert rk.cohort_table(as_text, first_cohort="keep").sizes.sum() == 30_002  # the suggested fix works
    plain = tmp_path / "plain.csv"
    plain.write_text("customer_id,date\n" + "".join(f"{i},2024-01-{1 + n % 28:02d}\n" for n, i in enumerate(ids[:-1])))
    assert rk.cohort_table(str(plain), first_cohort="keep").sizes.sum() == 30_001
