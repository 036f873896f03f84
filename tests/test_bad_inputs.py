"""The bad-input matrix (issue 13): every class of bad or odd input a new user brings, on
every public event-log function and every input kind (a pandas frame, a CSV path and a
Parquet path read by DuckDB, a Polars frame). Each case ends in one of two ways:

* a clean :class:`DataError` / :class:`ParameterError` whose message names the column or
  argument and the fix (never an exception from inside pandas, numpy, DuckDB or Polars);
* a correct result: the same as the clean data give, with any drop counted in the
  data-quality report.

The same data give the same refusal or the same result on every input kind: a date is
never guessed on one engine and refused on another. Lifetime-level functions, the A/B
comparisons and the advice in messages are in test_bad_inputs_advice.py.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import retention_kit as rk

duckdb = pytest.importorskip("duckdb")
pl = pytest.importorskip("polars")
pytest.importorskip("pyarrow")  # pandas writes the Parquet files and converts to Polars with it

KINDS = ["pandas", "csv", "parquet", "polars"]
CLEAN = pd.DataFrame({
    "customer_id": ["a", "a", "b", "c", "c", "d"],
    "date": pd.to_datetime(["2024-01-05 10:00", "2024-02-10 09:30", "2024-01-20 00:00", "2024-03-01 12:00",
                            "2024-04-02 08:00", "2024-02-29 23:00"]),
    "amount": [10.0, 20.0, 5.0, 7.5, 0.0, 3.0],
})

# The functions that take an event log, with the options that make them run on any input.
FUNCTIONS = {
    "cohort_table": lambda data, **kw: rk.cohort_table(data, first_cohort="keep", **kw),
    "crr_table": lambda data, **kw: rk.crr_table(data, **kw),
    "customer_lifetimes": lambda data, **kw: rk.customer_lifetimes(data, churn_after=30, **kw),
    "survival_table": lambda data, **kw: rk.survival_table(data, churn_after=30, **kw),
}
# pandas-only functions (their engines counterpart does not exist).
PANDAS_FUNCTIONS = {
    "check_events": lambda data, **kw: rk.check_events(data, **kw),
    "purchase_gaps": lambda data, **kw: rk.purchase_gaps(data, **kw),
}
REVENUE = {  # the functions that read an amount column
    "cohort_table": lambda data, **kw: rk.cohort_table(data, first_cohort="keep", metric="revenue",
                                                       amount_col="amount", **kw),
    "crr_table": lambda data, **kw: rk.crr_table(data, amount_col="amount", **kw),
    "check_events": lambda data, **kw: rk.check_events(data, amount_col="amount", **kw),
}

RAW = re.compile(r"(pandas|numpy|duckdb|polars|pyarrow|pyspark)", re.I)


def materialise(frame: pd.DataFrame, kind: str, path):
    """The same rows as the input kind: a frame, a CSV or Parquet file, a Polars frame."""
    if kind == "pandas":
        return frame
    if kind == "polars":
        return pl.from_pandas(frame)
    target = f"{path}.{kind}"
    if kind == "csv":
        frame.to_csv(target, index=False)
    else:
        frame.to_parquet(target, index=False)
    return target


def outcome(fn, data, **kw):
    """("ok", result) or ("error", exception); an exception of any other class fails the
    test with the library's own words shown."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rk.RetentionWarning)
            return "ok", fn(data, **kw)
    except (rk.DataError, rk.ParameterError) as error:
        return "error", error
    except Exception as error:  # noqa: BLE001 - the point of the matrix
        pytest.fail(f"raw {type(error).__module__}.{type(error).__name__} reached the user: {error}")


def numbers(name: str, result):
    """What a result says, comparable across input kinds."""
    if name == "cohort_table":
        return result.counts.to_numpy().tolist(), result.sizes.tolist()
    if name == "crr_table":
        return result.table.round(9).to_numpy().tolist()
    if name == "customer_lifetimes":
        return sorted(zip(map(str, result["customer_id"]), result["duration"], result["churned"]))
    if name == "survival_table":
        return result.to_numpy().tolist()
    if name == "check_events":
        return result.rows_in, result.rows_used
    if name == "purchase_gaps":
        return result.summary.to_numpy().tolist()
    raise AssertionError(name)


def report_of(result):
    if isinstance(result, rk.DataQualityReport):
        return result
    return result.attrs["data_quality"] if isinstance(result, pd.DataFrame) else result.data_quality


def first_sentence(error) -> str:
    """What a refusal says, before the fix (said in each engine's own terms) and the examples."""
    return re.split(r"[.:] |, for example", str(error))[0]


def assert_clean_error(error, pattern: str):
    message = str(error)
    assert re.search(pattern, message, re.S), f"{pattern!r} not in: {message}"
    assert not message.startswith(("Invalid Input Error", "Binder Error", "Conversion Error")), message


# -- the classes ----------------------------------------------------------------------------
# name -> (frame, expectation). An expectation is ("refuse", regex the message must match) or
# ("same", the clean frame whose result it must equal).

utc_clean = CLEAN.copy()
berlin = CLEAN.assign(date=CLEAN["date"].dt.tz_localize("UTC").dt.tz_convert("Europe/Berlin"))
offset_text = CLEAN.assign(date=CLEAN["date"].dt.tz_localize("UTC").dt.tz_convert("America/New_York")
                           .dt.strftime("%Y-%m-%dT%H:%M:%S%z"))
ISO_REFUSAL = r"Column 'date': [\d,]+ of 6 dates are not in ISO format \(YYYY-MM-DD\).*not guessed.*(format=|strptime|str.to_datetime)"

DATE_CASES = {
    # Month-first: 01/20/2024 can only be 20 January, but pandas refuses, so everyone does.
    "month-first text": (CLEAN.assign(date=CLEAN["date"].dt.strftime("%m/%d/%Y")), ("refuse", ISO_REFUSAL)),
    "day-first text": (CLEAN.assign(date=CLEAN["date"].dt.strftime("%d/%m/%Y")), ("refuse", ISO_REFUSAL)),
    "ambiguous day/month text": (CLEAN.assign(date=["01/05/2024", "02/03/2024", "03/04/2024", "04/02/2024",
                                                    "05/06/2024", "06/07/2024"]), ("refuse", ISO_REFUSAL)),
    "dotted day-first text": (CLEAN.assign(date=CLEAN["date"].dt.strftime("%d.%m.%Y")), ("refuse", ISO_REFUSAL)),
    "month names": (CLEAN.assign(date=CLEAN["date"].dt.strftime("%d %b %Y")), ("refuse", ISO_REFUSAL)),
    "unreadable text": (CLEAN.assign(date=["2024-01-05", "soon", "2024-01-20", "2024-03-01", "later",
                                           "2024-02-29"]),
                        ("refuse", r"Column 'date': 2 of 6 values could not be read as dates.*'(soon|later)'")),
    "epoch seconds": (CLEAN.assign(date=CLEAN["date"].astype("datetime64[s]").astype("int64")),
                      ("refuse", r"Column 'date' holds numbers, not dates.*not guessed.*(unit='s'|from_epoch)")),
    "epoch milliseconds": (CLEAN.assign(date=CLEAN["date"].astype("datetime64[ms]").astype("int64")),
                           ("refuse", r"Column 'date' holds numbers, not dates")),
    "YYYYMMDD numbers": (CLEAN.assign(date=CLEAN["date"].dt.strftime("%Y%m%d").astype(int)),
                         ("refuse", r"Column 'date' holds numbers, not dates.*YYYYMMDD")),
    "dates out of 1677-2262 (seconds)": (
        CLEAN.assign(date=np.array(["1500-01-05", "2024-02-10", "2024-01-20", "2024-03-01", "2024-04-02",
                                    "2300-02-28"], dtype="datetime64[s]")),
        ("refuse", r"Column 'date' has .*outside the years 1677-2262 \(e.g. '1500-01-05.*'\).*between")),
    "placeholder 9999-12-31 (seconds)": (
        CLEAN.assign(date=np.r_[CLEAN["date"].to_numpy()[:5].astype("datetime64[s]"),
                                np.array(["9999-12-31"], dtype="datetime64[s]")]),
        ("refuse", r"outside the years 1677-2262 \(e.g. '9999-12-31")),
    "missing dates": (CLEAN.assign(date=CLEAN["date"].where(CLEAN.index != 2)),
                      ("refuse", r"Column 'date' has 1 missing dates out of 6 rows.*(dropna|IS NOT NULL)")),
    # One time-zone rule on every engine: the instant in UTC, the zone dropped.
    "time-zone-aware (Berlin)": (berlin, ("same", utc_clean)),
    "text with UTC offsets": (offset_text, ("same", utc_clean)),
    "ISO text": (CLEAN.assign(date=CLEAN["date"].dt.strftime("%Y-%m-%dT%H:%M:%S")), ("same", CLEAN)),
    "second resolution in range": (CLEAN.assign(date=CLEAN["date"].astype("datetime64[s]")), ("same", CLEAN)),
}

ID_CASES = {
    # An unused category must not become a customer with no events.
    "categorical ids, unused category": (
        CLEAN.assign(customer_id=pd.Categorical(CLEAN["customer_id"], categories=["a", "b", "c", "d", "zz"])),
        ("same", CLEAN)),
    "missing ids": (CLEAN.assign(customer_id=CLEAN["customer_id"].where(CLEAN.index != 3)),
                    ("refuse", r"Column 'customer_id' is empty in 1 of 6 rows.*(dropna|IS NOT NULL)")),
    "uint64 ids at and above 2**63": (
        CLEAN.assign(customer_id=np.array([2**63, 2**63, 2**64 - 1, 2**63 + 7, 2**63 + 7, 5], dtype=np.uint64)),
        ("same", CLEAN.assign(customer_id=np.array([2**63, 2**63, 2**64 - 1, 2**63 + 7, 2**63 + 7, 5],
                                                   dtype=np.uint64)))),
    "integer ids": (CLEAN.assign(customer_id=[1, 1, 2, 3, 3, 4]), ("same", CLEAN.assign(customer_id=[1, 1, 2, 3, 3, 4]))),
}

AMOUNT_CASES = {
    "infinite amount": (CLEAN.assign(amount=[10.0, np.inf, 5.0, 7.5, 0.0, 3.0]),
                        ("refuse", r"Column 'amount' has 1 infinite or NaN values")),
    "minus infinite amount": (CLEAN.assign(amount=[10.0, -np.inf, 5.0, 7.5, 0.0, 3.0]),
                              ("refuse", r"Column 'amount' has 1 infinite or NaN values")),
    "NaN amount": (CLEAN.assign(amount=[10.0, np.nan, 5.0, 7.5, 0.0, 3.0]),
                   ("refuse", r"Column 'amount' (is missing in 1 rows|has 1 infinite or NaN values)")),
    "negative amount": (CLEAN.assign(amount=[10.0, -2.0, 5.0, 7.5, 0.0, 3.0]),
                        ("refuse", r"Column 'amount' has 1 negative values.*refund")),
    "currency text": (CLEAN.assign(amount=["$10", "$20", "$5", "$7.50", "$0", "$3"]),
                      ("refuse", r"Column 'amount'.*not numbers.*(str.replace|currency)")),
    "zero amounts": (CLEAN, ("same", CLEAN)),
}


def run_case(function_name, fn, frame, expectation, kind, tmp_path, **kw):
    data = materialise(frame, kind, tmp_path / "events")
    status, value = outcome(fn, data, **kw)
    how, detail = expectation
    if how == "refuse":
        assert status == "error", f"accepted without a word: {function_name} on {kind}"
        assert_clean_error(value, detail)
        return value
    assert status == "ok", f"refused: {value}"
    reference = materialise(detail, "pandas", None)
    _, expected = outcome(fn, reference, **kw)
    assert repr(numbers(function_name, value)) == repr(numbers(function_name, expected))
    assert report_of(value).rows_used == report_of(expected).rows_used
    return value


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("function_name", list(FUNCTIONS))
@pytest.mark.parametrize("case", list(DATE_CASES) + list(ID_CASES))
def test_event_inputs(case, function_name, kind, tmp_path):
    frame, expectation = {**DATE_CASES, **ID_CASES}[case]
    run_case(function_name, FUNCTIONS[function_name], frame, expectation, kind, tmp_path)


@pytest.mark.parametrize("function_name", list(PANDAS_FUNCTIONS))
@pytest.mark.parametrize("case", list(DATE_CASES) + list(ID_CASES))
def test_event_inputs_pandas_only_functions(case, function_name, tmp_path):
    frame, expectation = {**DATE_CASES, **ID_CASES}[case]
    run_case(function_name, PANDAS_FUNCTIONS[function_name], frame, expectation, "pandas", tmp_path)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("function_name", list(REVENUE))
@pytest.mark.parametrize("case", list(AMOUNT_CASES))
def test_amount_inputs(case, function_name, kind, tmp_path):
    if function_name == "check_events" and kind != "pandas":
        pytest.skip("check_events takes pandas frames")
    frame, expectation = AMOUNT_CASES[case]
    run_case(function_name, REVENUE[function_name], frame, expectation, kind, tmp_path)


@pytest.mark.parametrize("case", list(DATE_CASES))
def test_the_same_refusal_or_result_on_every_input_kind(case, tmp_path):
    """pandas, CSV, Parquet and Polars agree: the same words for a refusal (up to the fix,
    which is said in each engine's terms), the same cells for a result."""
    frame, _ = DATE_CASES[case]
    seen = {}
    for kind in KINDS:
        status, value = outcome(FUNCTIONS["cohort_table"], materialise(frame, kind, tmp_path / kind))
        seen[kind] = (status, first_sentence(value) if status == "error" else numbers("cohort_table", value))
    assert len({repr(v) for v in seen.values()}) == 1, seen


def test_time_zones_give_utc_cohorts_on_every_engine(tmp_path):
    # 23:30 UTC on 31 January is 00:30 on 1 February in Berlin: the UTC calendar counts, so
    # the customer is a January customer on every engine (their local calendar would say February).
    frame = pd.DataFrame({"customer_id": ["a", "b"],
                          "date": pd.to_datetime(["2024-01-31 23:30", "2024-01-10 12:00"]).tz_localize("UTC")
                          .tz_convert("Europe/Berlin")})
    for kind in KINDS:
        table = rk.cohort_table(materialise(frame, kind, tmp_path / kind), first_cohort="keep")
        assert table.sizes.tolist() == [2], kind
        checks = report_of(table).summary
        assert checks["detail"].str.contains("converted to UTC").any(), kind


def test_categorical_ids_make_no_phantom_customer():
    frame = CLEAN.assign(customer_id=pd.Categorical(CLEAN["customer_id"], categories=["a", "b", "c", "d", "zz"]))
    lifetimes = rk.customer_lifetimes(frame, churn_after=30)
    assert "zz" not in set(lifetimes["customer_id"]) and len(lifetimes) == 4
    assert lifetimes["duration"].notna().all() and lifetimes["start"].notna().all()


@pytest.mark.parametrize("function_name", ["cohort_table", "crr_table", "customer_lifetimes", "survival_table",
                                           "check_events", "purchase_gaps"])
def test_text_and_numbers_mixed_in_the_id_column_are_refused(function_name):
    frame = CLEAN.assign(customer_id=pd.Series(["1", 1, "2", 2, "3", 4], dtype=object))
    fn = {**FUNCTIONS, **PANDAS_FUNCTIONS}[function_name]
    status, error = outcome(fn, frame)
    assert status == "error"
    assert_clean_error(error, r"Column 'customer_id' mixes text and numbers \(e.g. '1' and 1.*astype\(str\)")


# -- column labels ------------------------------------------------------------------------------

LABEL_CASES = {
    "duplicate column label": (CLEAN.set_axis(["customer_id", "date", "date"], axis=1),
                               r"Column name 'date' appears more than once.*duplicated"),
    "duplicate unused label": (CLEAN.assign(x=1, y=2).set_axis(["customer_id", "date", "amount", "x", "x"], axis=1),
                               r"Column name 'x' appears more than once"),
    "MultiIndex columns": (CLEAN.set_axis(pd.MultiIndex.from_product([["events"], CLEAN.columns]), axis=1),
                           r"MultiIndex.*Flatten them first"),
    "semicolon file read with commas": (pd.DataFrame({"customer_id;date": ["a;2024-01-05", "b;2024-01-20"]}),
                                        r"semicolon \(';'\).*sep=';'"),
    "tab file read with commas": (pd.DataFrame({"customer_id\tdate": ["a\t2024-01-05"]}), r"tab.*sep='\\t'"),
    "misspelled time column": (CLEAN.rename(columns={"date": "Date"}),
                               r"Column 'date' \(time_col\) not found.*Did you mean 'Date'\? Pass time_col='Date'"),
    "misspelled customer column": (CLEAN.rename(columns={"customer_id": "customerid"}),
                                   r"Did you mean 'customerid'\? Pass customer_col='customerid'"),
    "empty frame": (CLEAN.iloc[:0], r"empty \(0 rows\)"),
    "not a frame": ({"customer_id": ["a"], "date": ["2024-01-01"]}, r"must be a pandas DataFrame.*got dict"),
}


@pytest.mark.parametrize("function_name", list(FUNCTIONS) + list(PANDAS_FUNCTIONS))
@pytest.mark.parametrize("case", list(LABEL_CASES))
def test_column_labels(case, function_name):
    frame, pattern = LABEL_CASES[case]
    status, error = outcome({**FUNCTIONS, **PANDAS_FUNCTIONS}[function_name], frame)
    assert status == "error", "accepted without a word"
    assert_clean_error(error, pattern)


def test_polars_frame_with_a_misspelled_column(tmp_path):
    with pytest.raises(rk.DataError, match=r"Did you mean 'Date'\? Pass time_col='Date'"):
        rk.cohort_table(pl.from_pandas(CLEAN.rename(columns={"date": "Date"})))


# -- as_of --------------------------------------------------------------------------------------

AS_OF = {
    "empty text": ("", r"as_of='' is empty"),
    "NaN": (float("nan"), r"as_of=nan is a number, not a date"),
    "NaT": (pd.NaT, r"as_of=NaT is missing \(NaT\)"),
    "numpy NaT": (np.datetime64("NaT"), r"is missing \(NaT\)"),
    "text 'nan'": ("nan", r"as_of='nan' is missing"),
    "a number": (5, r"as_of=5 is a number, not a date"),
    "True": (True, r"as_of=True is a number, not a date"),
    "impossible date": ("2024-13-45", r"as_of='2024-13-45' is not a date"),
    "before the data": ("1990-01-01", r"as_of='1990-01-01' is before the first event \(2024-01-05\)"),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("function_name", list(FUNCTIONS))
@pytest.mark.parametrize("case", list(AS_OF))
def test_as_of(case, function_name, kind, tmp_path):
    value, pattern = AS_OF[case]
    status, error = outcome(FUNCTIONS[function_name], materialise(CLEAN, kind, tmp_path / "events"), as_of=value)
    assert status == "error", "accepted without a word"
    assert "as_of=" in str(error)
    assert_clean_error(error, pattern)


@pytest.mark.parametrize("function_name", list(PANDAS_FUNCTIONS))
@pytest.mark.parametrize("case", list(AS_OF))
def test_as_of_pandas_only_functions(case, function_name):
    value, pattern = AS_OF[case]
    status, error = outcome(PANDAS_FUNCTIONS[function_name], CLEAN, as_of=value)
    assert status == "error"
    assert_clean_error(error, pattern)


@pytest.mark.parametrize("kind", KINDS)
def test_time_zone_aware_as_of_is_read_in_utc(kind, tmp_path):
    aware = pd.Timestamp("2024-02-10 09:30", tz="UTC").tz_convert("Asia/Tokyo")  # 18:30 in Tokyo
    ours = rk.cohort_table(materialise(CLEAN, kind, tmp_path / "events"), first_cohort="keep", as_of=aware)
    assert ours.as_of == pd.Timestamp("2024-02-10 09:30")
    assert report_of(ours).rows_used == 3  # the three events up to 09:30 UTC on 10 February


# -- durations ------------------------------------------------------------------------------------

CHURN_AFTER = {
    "NaN": (float("nan"), r"churn_after=nan is not a finite length of time"),
    "inf": (float("inf"), r"churn_after=inf is not a finite length of time"),
    "1e12": (1e12, r"churn_after=1000000000000.0 days is longer than a century"),
    "True": (True, r"churn_after=True: Give a number of days"),
    "zero": (0, r"churn_after=0 must be longer than zero"),
    "negative": (-5, r"churn_after=-5 must be longer than zero"),
    "months": ("1M", r"churn_after='1M': months and years have no fixed length"),
    "None": (None, r"churn_after=None .*is not a length of time"),
    "NaT": (pd.NaT, r"churn_after=NaT is missing"),
    "text": ("a month", r"churn_after='a month'(: months and years have no fixed length| is not a length)"),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("function_name", ["customer_lifetimes", "survival_table"])
@pytest.mark.parametrize("case", list(CHURN_AFTER))
def test_churn_after(case, function_name, kind, tmp_path):
    value, pattern = CHURN_AFTER[case]
    fn = getattr(rk, function_name)
    status, error = outcome(lambda data, **kw: fn(data, churn_after=value),
                            materialise(CLEAN, kind, tmp_path / "events"))
    assert status == "error", "accepted without a word"
    assert_clean_error(error, pattern)


@pytest.mark.parametrize("kind", KINDS)
def test_churn_after_as_text_number_is_days(kind, tmp_path):
    data = materialise(CLEAN, kind, tmp_path / "events")
    pd.testing.assert_frame_equal(rk.survival_table(data, churn_after="30"), rk.survival_table(data, churn_after=30))


# -- files ----------------------------------------------------------------------------------------


def test_zero_byte_csv(tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes(b"")
    for fn in FUNCTIONS.values():
        with pytest.raises(rk.DataError, match=r"events.csv' is empty \(0 bytes\).*export finished"):
            fn(str(path))


def test_header_only_csv(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("customer_id,date\n")
    for fn in FUNCTIONS.values():
        with pytest.raises(rk.DataError, match=r"The event log is empty \(0 rows in csv file"):
            fn(str(path))


@pytest.mark.parametrize("content", [b"", b"PAR1", b"PAR1garbage, not a parquet file", b"hello world" * 50])
@pytest.mark.parametrize("function_name", list(FUNCTIONS))
def test_corrupt_parquet_is_wrapped_with_the_file_and_the_fix(content, function_name, tmp_path):
    path = tmp_path / "events.parquet"
    path.write_bytes(content)
    status, error = outcome(FUNCTIONS[function_name], str(path))
    assert status == "error"
    assert_clean_error(error, r"Reading parquet file '.*events.parquet' failed: .*export it again")


def test_truncated_parquet(tmp_path):
    whole = materialise(CLEAN, "parquet", tmp_path / "whole")
    data = open(whole, "rb").read()
    path = tmp_path / "cut.parquet"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(rk.DataError, match=r"Reading parquet file .*cut.parquet' failed"):
        rk.cohort_table(str(path))


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_other_separators_are_read_by_duckdb(sep, tmp_path):
    # DuckDB's sniffer finds the separator: the same result as the frame.
    path = tmp_path / ("events.tsv" if sep == "\t" else "events.csv")
    CLEAN.to_csv(path, sep=sep, index=False)
    ours = rk.cohort_table(str(path), first_cohort="keep")
    assert repr(numbers("cohort_table", ours)) == repr(numbers("cohort_table", rk.cohort_table(CLEAN, first_cohort="keep")))


def test_month_first_dates_in_a_csv_are_not_guessed_by_the_sniffer(tmp_path):
    # DuckDB's sniffer would read 01/05/2024 as 5 January (month-first) and 13/05/2024 as 13 May.
    path = tmp_path / "events.csv"
    path.write_text("customer_id,date\na,01/05/2024\nb,02/06/2024\nc,03/07/2024\n")
    assert "DATE" in str(duckdb.connect().read_csv(str(path)).types[1])  # the trap is real
    with pytest.raises(rk.DataError, match=r"3 of 3 dates are not in ISO format.*'0\d/0\d/2024'.*strptime"):
        rk.cohort_table(str(path))
    with pytest.raises(rk.DataError, match=r"3 of 3 dates are not in ISO format"):
        rk.cohort_table(pd.read_csv(path))
    with pytest.raises(rk.DataError, match=r"3 of 3 dates are not in ISO format"):
        rk.cohort_table(pl.read_csv(path))


@pytest.mark.parametrize("kind", KINDS)
def test_iso_basic_dates_are_read_alike(kind, tmp_path):
    frame = CLEAN.assign(date=CLEAN["date"].dt.strftime("%Y-%m-%d").where(CLEAN.index % 2 == 0,
                                                                          CLEAN["date"].dt.strftime("%Y%m%d")))
    ours = rk.cohort_table(materialise(frame, kind, tmp_path / "events"), first_cohort="keep")
    expected = rk.cohort_table(CLEAN.assign(date=CLEAN["date"].dt.normalize()), first_cohort="keep")
    assert repr(numbers("cohort_table", ours)) == repr(numbers("cohort_table", expected))


# -- Spark, where Java is present -----------------------------------------------------------------

SPARK_CASES = ["ambiguous day/month text", "month-first text", "unreadable text", "missing dates", "ISO text"]


@pytest.fixture(scope="module")
def spark():
    import shutil

    if not shutil.which("java"):
        pytest.skip("Spark needs Java")
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("rk-bad-inputs")
               .config("spark.sql.shuffle.partitions", "2").config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session


@pytest.mark.parametrize("case", SPARK_CASES)
def test_spark_agrees_on_dates(case, spark):
    frame, (how, detail) = DATE_CASES[case]
    rows = [(c, None if pd.isna(d) else str(d)) for c, d in zip(frame["customer_id"], frame["date"])]
    data = spark.createDataFrame(rows, schema="customer_id string, date string")
    status, value = outcome(FUNCTIONS["cohort_table"], data)
    if how == "refuse":
        assert status == "error"
        assert first_sentence(value) == first_sentence(outcome(FUNCTIONS["cohort_table"], frame)[1])
    else:
        assert repr(numbers("cohort_table", value)) == repr(numbers("cohort_table", rk.cohort_table(detail, first_cohort="keep")))


def test_spark_as_of_nan(spark):
    data = spark.createDataFrame([("a", "2024-01-05")], schema="customer_id string, date string")
    with pytest.raises(rk.ParameterError, match=r"as_of=nan is a number, not a date"):
        rk.cohort_table(data, as_of=float("nan"))
