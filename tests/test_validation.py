"""Validation at the door: every bad input gets a clear error naming the column, the count,
an example and the fix; normal quirks get a documented treatment that the report shows."""

import pandas as pd
import pytest

import retention_kit as rk
from retention_kit.validation import prepare_events


def events(**cols):
    base = {"customer_id": ["a", "b", "c"], "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "amount": [1.0, 2.0, 3.0]}
    base.update(cols)
    return pd.DataFrame(base)


def test_missing_column_suggests_the_close_match():
    df = events().rename(columns={"customer_id": "customerid"})
    with pytest.raises(rk.DataError, match=r"Column 'customer_id' \(customer_col\) not found.*Did you mean 'customerid'\? Pass customer_col='customerid'"):
        prepare_events(df)


def test_missing_column_without_match_lists_columns():
    with pytest.raises(rk.DataError, match=r"Column 'ts' \(time_col\) not found.*\['customer_id', 'date', 'amount'\]"):
        prepare_events(events(), time_col="ts")


def test_not_a_dataframe():
    with pytest.raises(rk.DataError, match="must be a pandas DataFrame, got list"):
        prepare_events([1, 2, 3])


def test_empty_frame():
    with pytest.raises(rk.DataError, match=r"empty \(0 rows\)"):
        prepare_events(events().iloc[:0])


def test_unparseable_dates_are_counted_with_an_example():
    with pytest.raises(rk.DataError, match=r"'date': 1 of 3 values could not be read as dates, for example 'soon'"):
        prepare_events(events(date=["2024-01-01", "soon", "2024-01-03"]))


def test_day_first_dates_are_not_guessed():
    with pytest.raises(rk.DataError, match=r"3 of 3 dates are not in ISO format.*'05/01/2024'.*format='%d/%m/%Y'"):
        prepare_events(events(date=["05/01/2024", "06/01/2024", "07/01/2024"]))
    # ISO text with or without a time is read.
    log = prepare_events(events(date=["2024-01-05", "2024-01-06T10:30:00", "2024-01-07 23:59"]))
    assert log.frame["date"].iloc[1] == pd.Timestamp("2024-01-06 10:30")


def test_missing_dates():
    with pytest.raises(rk.DataError, match=r"'date' has 2 missing dates out of 3 rows.*dropna"):
        prepare_events(events(date=[pd.NaT, "2024-01-02", None]))


def test_numeric_dates_get_the_yyyymmdd_hint():
    with pytest.raises(rk.DataError, match=r"holds numbers.*format='%Y%m%d'"):
        prepare_events(events(date=[19970101, 19970102, 19970103]))


def test_mixed_time_zone_offsets_are_read_as_utc_instants():
    # One rule on every engine (DuckDB casts offsets the same way): each offset is applied,
    # the instant is kept in UTC. 10:00+01:00 is 09:00 UTC; 10:00-05:00 is 15:00 UTC.
    mixed = ["2024-01-01T10:00+01:00", "2024-01-02T10:00-05:00", "2024-01-03T10:00+00:00"]
    log = prepare_events(events(date=mixed))
    assert log.frame["date"].tolist() == list(pd.to_datetime(["2024-01-01 09:00", "2024-01-02 15:00",
                                                              "2024-01-03 10:00"]))
    assert log.tz == "UTC"


def test_mixed_naive_and_aware():
    values = [pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    with pytest.raises(rk.DataError, match="mixes time-zone-aware and naive"):
        prepare_events(events(date=pd.Series(values, dtype=object)))


def test_time_zone_aware_is_converted_to_utc_and_reported():
    # 23:30 UTC on 31 January is 00:30 on 1 February in Berlin; the kit reads the instant in
    # UTC on every engine (DuckDB and Polars cannot know a Parquet file's zone), so January.
    utc = pd.to_datetime(["2024-01-31 23:30", "2024-01-02 00:00", "2024-01-03 00:00"]).tz_localize("UTC")
    log = prepare_events(events(date=utc.tz_convert("Europe/Berlin")))
    assert log.frame["date"].iloc[0] == pd.Timestamp("2024-01-31 23:30")
    assert log.tz == "UTC"
    assert "converted to UTC" in log.report.summary["detail"].iloc[0]


def test_negative_amounts():
    with pytest.raises(rk.DataError, match=r"'amount' has 1 negative values, for example -2.0 \(refunds"):
        prepare_events(events(amount=[1.0, -2.0, 3.0]), amount_col="amount")


def test_amount_text_with_currency_signs():
    with pytest.raises(rk.DataError, match=r"2 values are not numbers, for example '\$2.00'.*str.replace"):
        prepare_events(events(amount=["1", "$2.00", "3,000"]), amount_col="amount")


def test_missing_amount():
    with pytest.raises(rk.DataError, match="'amount' is missing in 1 rows"):
        prepare_events(events(amount=[1.0, None, 3.0]), amount_col="amount")


def test_zero_amounts_are_kept_and_reported():
    log = prepare_events(events(amount=[0.0, 2.0, 0.0]), amount_col="amount")
    assert len(log.frame) == 3
    row = log.report.summary.set_index("check").loc["amount"]
    assert (row["rows"], row["action"]) == (2, "kept")


def test_missing_customer_ids_raise_or_are_dropped_and_reported():
    df = events(customer_id=["a", None, "c"])
    with pytest.raises(rk.DataError, match=r"'customer_id' is empty in 1 of 3 rows.*dropna\(subset=\['customer_id'\]\)"):
        prepare_events(df)
    log = prepare_events(df, missing_customers="drop")
    assert len(log.frame) == 2 and log.report.rows_dropped == 1
    assert log.report.summary.loc[0, "detail"] == "no customer id"


def test_events_after_as_of_are_dropped_and_reported():
    log = prepare_events(events(), as_of="2024-01-02")
    assert len(log.frame) == 2
    assert log.report.summary.loc[0, "action"] == "dropped"
    assert "after the as-of date 2024-01-02" in log.report.summary.loc[0, "detail"]


def test_as_of_date_keeps_the_whole_day():
    # as_of="2024-01-02" means through the end of 2 January: its afternoon event is kept.
    df = events(date=pd.to_datetime(["2024-01-01 09:00", "2024-01-02 15:30", "2024-01-03 08:00"]))
    log = prepare_events(df, as_of="2024-01-02")
    assert len(log.frame) == 2 and log.as_of == pd.Timestamp("2024-01-02 15:30")
    assert log.report.rows_dropped == 1
    # An instant with a time is taken literally.
    assert len(prepare_events(df, as_of="2024-01-02 12:00").frame) == 1


def test_as_of_defaults_to_last_date_and_before_the_data_is_an_error():
    assert prepare_events(events()).as_of == pd.Timestamp("2024-01-03")
    with pytest.raises(rk.DataError, match="is before the first event"):
        prepare_events(events(), as_of="2023-12-31")
    with pytest.raises(rk.ParameterError, match="as_of='yesterday' is not a date"):
        prepare_events(events(), as_of="yesterday")


def test_duplicates_kept_by_default_dropped_on_request():
    df = pd.concat([events(), events().iloc[[0]]])
    assert len(prepare_events(df, amount_col="amount").frame) == 4
    log = prepare_events(df, amount_col="amount", duplicates="drop")
    assert len(log.frame) == 3
    assert log.report.summary.set_index("check").loc["duplicate rows", "rows"] == 1


def test_misspelled_options():
    with pytest.raises(rk.ParameterError, match="duplicates='remove'"):
        prepare_events(events(), duplicates="remove")
    with pytest.raises(rk.ParameterError, match="missing_customers='skip'"):
        prepare_events(events(), missing_customers="skip")


def test_check_events_counts_quirks_without_changing_anything():
    df = pd.concat([events(), events().iloc[[0, 0]]])
    report = rk.check_events(df, amount_col="amount")
    found = report.summary.set_index("check")["rows"]
    assert found["exact duplicate rows"] == 2 and found["same customer/day"] == 2
    assert "5 rows in, 5 used (0 dropped)" in repr(report)
    assert "<table" in report._repr_html_()
