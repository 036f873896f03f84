"""retention_kit.report: reading the analyst's file, checks before the report runs, the
reproducibility header and the text that adapts to the results."""

import hashlib
import warnings

import numpy as np
import pandas as pd
import pytest

import retention_kit as rk
from retention_kit import report
from retention_kit.report import ReportConfig, check_inputs, load_data


def _log(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


def _csv(tmp_path, frame, name="events.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return str(path)


# -- reading ------------------------------------------------------------------------------

def test_bundled_example_is_the_coffee_shop_with_each_customers_arm():
    shop = rk.load_coffee_shop()
    data = load_data(ReportConfig())
    assert len(data.events) == len(shop.transactions) == 45533
    arms = data.events.drop_duplicates("customer_id").set_index("customer_id")["arm"]
    truth = shop.assignments.set_index("customer_id")["arm"]
    assert arms.sort_index().equals(truth.sort_index())
    assert [p for p, _ in data.sources] == ["retention_kit/data/coffee_shop_transactions.csv.gz",
                                            "retention_kit/data/coffee_shop_assignments.csv.gz"]


def test_csv_with_own_column_names_keeps_ids_as_text(tmp_path):
    path = _csv(tmp_path, _log(client=["007", "007", "010"], when=["2024-01-03", "2024-02-05", "2024-01-09"],
                               paid=[1.5, 2.0, 3.0], other=[1, 2, 3]))
    data = load_data(ReportConfig(path, customer_col="client", time_col="when", amount_col="paid",
                                  segment_col=None, arm_col=None))
    assert data.events.columns.tolist() == ["client", "when", "paid"]  # only the mapped columns
    assert data.events["client"].tolist() == ["007", "007", "010"]
    assert data.sources == [("events.csv", hashlib.sha256(open(path, "rb").read()).hexdigest())]


def test_day_first_dates_are_recognised_from_a_day_above_12(tmp_path):
    path = _csv(tmp_path, _log(c=["a", "a", "b"], t=["05/01/2024", "25/01/2024", "02/03/2024"]))
    data = load_data(ReportConfig(path, customer_col="c", time_col="t", amount_col=None, segment_col=None,
                                  arm_col=None))
    # 05/01/2024 is 5 January (day first, because 25/01 has no month 25), not 1 May.
    assert data.events["t"].tolist() == list(pd.to_datetime(["2024-01-05", "2024-01-25", "2024-03-02"]))
    assert "day first" in data.notes[0]


def test_ambiguous_and_mixed_day_month_orders_are_refused(tmp_path):
    cfg = dict(customer_col="c", time_col="t", amount_col=None, segment_col=None, arm_col=None)
    path = _csv(tmp_path, _log(c=["a", "b"], t=["03/04/2024", "05/06/2024"]))
    with pytest.raises(rk.DataError, match=r"'t'.*'03/04/2024'.*could be\s+swapped.*date_format.*%d/%m/%Y"):
        load_data(ReportConfig(path, **cfg))
    path = _csv(tmp_path, _log(c=["a", "b"], t=["25/04/2024", "05/26/2024"]), "mixed.csv")
    with pytest.raises(rk.DataError, match=r"mixes day-first and month-first.*'25/04/2024'.*'05/26/2024'"):
        load_data(ReportConfig(path, **cfg))
    # An explicit format settles it; values that do not match are counted.
    data = load_data(ReportConfig(_csv(tmp_path, _log(c=["a"], t=["03/04/2024"]), "one.csv"),
                                  date_format="%d/%m/%Y", **cfg))
    assert data.events["t"].iloc[0] == pd.Timestamp("2024-04-03")
    with pytest.raises(rk.DataError, match=r"1 of 2 values do not match date_format '%d/%m/%Y'.*'2024-04-05'"):
        load_data(ReportConfig(_csv(tmp_path, _log(c=["a", "b"], t=["03/04/2024", "2024-04-05"]), "bad.csv"),
                               date_format="%d/%m/%Y", **cfg))


def test_missing_column_names_the_option_and_the_closest_column(tmp_path):
    path = _csv(tmp_path, _log(customer=["a"], date=["2024-01-01"]))
    with pytest.raises(rk.DataError, match=r"Column 'customer_id' \(customer_col\) was not found.*"
                                           r"Did you mean 'customer'\?"):
        load_data(ReportConfig(path, amount_col=None, segment_col=None, arm_col=None))
    with pytest.raises(rk.DataError, match=r"'plan' \(--segment-col\).*optional"):
        load_data(ReportConfig(path, customer_col="customer", amount_col=None, segment_col="plan",
                               arm_col=None, cli=True))


@pytest.mark.parametrize("content, message", [
    (b"", r"is empty \(0 bytes\)"),
    (b"customer_id,date\n", r"has column names \(customer_id and date\) but\s+no rows"),
])
def test_empty_files_are_refused(tmp_path, content, message):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(rk.DataError, match=message):
        load_data(ReportConfig(str(path), amount_col=None, segment_col=None, arm_col=None))


def test_unreadable_missing_and_unknown_files(tmp_path):
    cfg = dict(amount_col=None, segment_col=None, arm_col=None)
    with pytest.raises(rk.DataError, match="does not exist"):
        load_data(ReportConfig(str(tmp_path / "nope.csv"), **cfg))
    with pytest.raises(rk.DataError, match="is a folder"):
        load_data(ReportConfig(str(tmp_path), **cfg))
    (tmp_path / "events.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(rk.DataError, match=r"'.xlsx' is not one the report reads.*CSV.*Parquet"):
        load_data(ReportConfig(str(tmp_path / "events.xlsx"), **cfg))
    (tmp_path / "broken.parquet").write_bytes(b"this is not parquet at all")
    with pytest.raises(rk.DataError, match="could not be read as Parquet"):
        load_data(ReportConfig(str(tmp_path / "broken.parquet"), **cfg))


def test_parquet_file_is_read(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    frame = _log(user=["a", "b"], ts=pd.to_datetime(["2024-01-01", "2024-02-01"]), x=[1, 2])  # noqa: F841
    path = tmp_path / "events.parquet"
    duckdb.sql(f"COPY (SELECT * FROM frame) TO '{path}' (FORMAT parquet)")
    data = load_data(ReportConfig(str(path), customer_col="user", time_col="ts", amount_col=None,
                                  segment_col=None, arm_col=None))
    assert data.events.columns.tolist() == ["user", "ts"]
    assert data.events["ts"].tolist() == list(pd.to_datetime(["2024-01-01", "2024-02-01"]))


def test_segment_is_taken_at_the_first_event_and_missing_segments_are_grouped(tmp_path):
    path = _csv(tmp_path, _log(c=["a", "a", "b", "c"], t=["2024-01-02", "2024-01-01", "2024-01-05", "2024-01-06"],
                               seg=["app", "walk-in", "app", None]))
    data = load_data(ReportConfig(path, customer_col="c", time_col="t", amount_col=None, segment_col="seg",
                                  arm_col=None))
    # a's first event (1 January) was walk-in.
    assert data.events["seg"].tolist() == ["walk-in", "walk-in", "app", "(missing)"]
    assert any("1 customer changed 'seg'" in n for n in data.notes)


def test_arms_one_per_customer_and_the_control_arm_must_exist(tmp_path):
    base = dict(customer_col="c", time_col="t", amount_col=None, segment_col=None, arm_col="arm", assigned_col=None)
    two = _csv(tmp_path, _log(c=["a", "a", "b"], t=["2024-01-01", "2024-01-02", "2024-01-03"],
                              arm=["control", "loyalty", "control"]))
    with pytest.raises(rk.DataError, match=r"gives 1 customer more than one arm.*'a' is in control and loyalty"):
        load_data(ReportConfig(two, **base))
    ok = _csv(tmp_path, _log(c=["a", "a", "b", "d"], t=["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"],
                             arm=["Control", None, "B", None]), "arms.csv")
    with pytest.raises(rk.ParameterError, match=r"control arm 'control' \(--control\).*'B' and 'Control'.*"
                                                r"Did you mean 'Control'\?"):
        load_data(ReportConfig(ok, **base, cli=True))
    data = load_data(ReportConfig(ok, control_arm="Control", **base))
    # a's arm is spread to its second row; d has no arm and stays out of the experiment.
    assert data.events["arm"].fillna("-").tolist() == ["Control", "Control", "B", "-"]
    assert any("1 customer has no 'arm'" in n for n in data.notes)


def test_check_inputs_refuses_as_of_before_the_data_and_no_complete_period(tmp_path):
    path = _csv(tmp_path, _log(c=["a", "b"], t=["2024-03-01", "2024-03-20"]))
    base = dict(customer_col="c", time_col="t", amount_col=None, segment_col=None, arm_col=None)
    with pytest.raises(rk.DataError, match=r"as_of='2023-01-01' is before the first event \(2024-03-01\)"):
        check_inputs(ReportConfig(path, as_of="2023-01-01", **base))
    with pytest.raises(rk.DataError, match=r"2024-03-01 to 2024-03-20: not one complete\s+month.*period W or D"):
        check_inputs(ReportConfig(path, **base))
    assert len(check_inputs(ReportConfig(path, period="W", **base)).events) == 2
    with pytest.raises(rk.DataError, match=r"'t'.*could not be read as dates.*'soon'"):
        check_inputs(ReportConfig(_csv(tmp_path, _log(c=["a"], t=["soon"]), "t.csv"), **base))


def test_config_refuses_bad_options_and_rebuilds_its_command():
    with pytest.raises(rk.ParameterError, match=r"Column 'id' is given for two roles \(customer_col and arm_col\)"):
        ReportConfig("x.csv", customer_col="id", arm_col="id")
    with pytest.raises(rk.ParameterError, match="freq='fortnight'"):
        ReportConfig(period="fortnight")
    with pytest.raises(rk.ParameterError, match="months and years have no fixed length"):
        ReportConfig(churn_after="2M")
    cfg = ReportConfig("my data.csv", customer_col="client", time_col="when", amount_col=None, segment_col=None,
                       arm_col=None, date_format="%d/%m/%Y", period="W", churn_after="60D")
    assert cfg.command("r.html") == ("retention-kit report 'my data.csv' --customer-col client --time-col when "
                                     "--date-format %d/%m/%Y --period W --churn-after 60D --out r.html")
    assert ReportConfig().command() == "retention-kit report --out report.html"
    assert set(cfg.parameters()) == {"data_path", "customer_col", "time_col", "amount_col", "segment_col",
                                     "arm_col", "assigned_col", "control_arm", "date_format", "period",
                                     "as_of", "churn_after", "horizon", "planned_n", "mde", "looks", "cli"}


# -- header and text ----------------------------------------------------------------------

def test_header_names_file_checksum_parameters_version_and_run_time(tmp_path):
    path = _csv(tmp_path, _log(c=["a", "b"], t=["2024-01-01", "2024-02-01"]))
    data = load_data(ReportConfig(path, customer_col="c", time_col="t", amount_col=None, segment_col=None,
                                  arm_col=None, as_of="2024-02-29"))
    text = report.header(data, out="out.html").data
    # The file name and its checksum, never the analyst's folders (a report is forwarded).
    assert "events.csv" in text and hashlib.sha256(open(path, "rb").read()).hexdigest() in text
    assert str(tmp_path) not in text
    assert f"| retention_kit | {rk.__version__} |" in text
    assert "as of = 2024-02-29" in text and "churn after 30 days" in text
    assert "horizon" not in text  # no experiment: no experiment parameters
    assert "| Run | 20" in text
    assert f"--as-of 2024-02-29 --out out.html" in text


def test_intro_lists_only_the_sections_the_report_has():
    assert "experiment" not in report.intro_text(ReportConfig("x.csv", segment_col=None, arm_col=None)).lower()
    assert "differ by" not in report.intro_text(ReportConfig("x.csv", segment_col=None, arm_col=None))
    full = report.intro_text(ReportConfig())
    assert "differ by 'channel'" in full and "control arm 'control' 30 days" in full


def test_crr_text_on_a_hand_example():
    # a, b buy in January; a and the new c in February. February: S = 2, N = 1, E = 2,
    # CRR = (2 - 1) / 2 = 50 %; retained = 1 (a), 1 / 2 = 50 %.
    log = _log(customer_id=["a", "b", "a", "c"], date=pd.to_datetime(["2024-01-05", "2024-01-09", "2024-02-03",
                                                                      "2024-02-20"]))
    text = report.crr_text(rk.crr_table(log, "M", as_of="2024-02-29"))
    assert text.startswith("**CRR in 2024-02: 50.0 %** — of 2 customers at the start, 1 (50.0 %)")
    assert "ranged" not in text  # one period with customers at the start: no range to speak of
    assert "revenue" not in text


def test_survival_text_flags_a_threshold_shorter_than_ordinary_gaps():
    # Gaps: a 10 and 40 days, b 20 days. 90th percentile (linear) = 20 + 0.8 * (40 - 20) = 36 days.
    log = _log(customer_id=["a", "a", "a", "b", "b"],
               date=pd.to_datetime(["2024-01-01", "2024-01-11", "2024-02-20", "2024-01-01", "2024-01-21"]))
    gaps = rk.purchase_gaps(log)
    life = rk.customer_lifetimes(log, churn_after="15D")
    text = report.survival_text(rk.kaplan_meier(life), gaps, pd.Timedelta(days=15))
    assert "10 % of the gaps between purchases are longer than 36 days" in text
    # 95th percentile: 20 + 0.9 * 20 = 38 days.
    assert "about 38 days" in text
    text = report.survival_text(rk.kaplan_meier(life), gaps, pd.Timedelta(days=40))
    assert "shorter than 36 days, so ordinary pauses rarely count as churn" in text


def test_experiment_text_says_which_way_and_when_it_is_unclear():
    shop = rk.load_coffee_shop()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        res = rk.compare_retention(shop.assignments, shop.transactions, horizon="30D", churn_after="30D")
    row = res.summary.loc["loyalty"]
    text = report.experiment_text(res)
    assert text.startswith("**loyalty kept more customers.**")
    assert (f"{row['rate']:.1%} of loyalty vs {row['control_rate']:.1%} of control" in text
            and f"(95% CI {row['ci_lower'] * 100:+.1f} to {row['ci_upper'] * 100:+.1f} points)" in text)
    # Identical arms: 20 customers each, the same lifetimes -> difference 0, interval around 0.
    life = pd.DataFrame({"customer_id": [f"c{i}" for i in range(40)],
                         "start": pd.Timestamp("2024-01-01"), "duration": [10.0, 50.0] * 20,
                         "churned": True, "arm": ["control"] * 20 + ["b"] * 20})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same = rk.compare_retention(lifetimes=life, horizon="30D", churn_after="30D", as_of="2024-06-30")
    assert report.experiment_text(same).startswith("**No clear difference between b and control.**")


def test_caveats_collects_our_warnings_and_lets_others_through():
    with pytest.warns(RuntimeWarning, match="not ours"):
        with report.caveats() as notes:
            warnings.warn("cohort is partial", rk.ImmatureDataWarning)
            warnings.warn("cohort is partial", rk.ImmatureDataWarning)
            warnings.warn("not ours", RuntimeWarning)
    assert list(notes) == ["cohort is partial"]
    assert notes._repr_markdown_() == "**Caveats**\n\n* cohort is partial"
    with report.caveats() as none:
        pass
    assert none.markdown().data == ""


def test_small_text_helpers():
    assert report.pct(np.nan) == "–" and report.pct(0.5) == "50.0 %"
    assert report.count(2, "cohort") == "2 cohorts" and report.count(1, "person", "people") == "1 person"
    assert report.join_words([]) == "" and report.join_words(["x"]) == "x" and report.join_words("ab") == "a and b"
    assert report.paragraphs("one", None, "", "two").data == "one\n\ntwo"


# -- the experiment clock -----------------------------------------------------------------

def test_experiment_clock_starts_at_assignment_not_at_the_first_event(tmp_path):
    # A win-back test: a and b bought in January, were assigned on 1 March, and a bought again
    # on 10 March. From assignment, a's lifetime is 9 days; from the first event it would be
    # 68 days and include the time before the test.
    frame = _log(c=["a", "a", "a", "b", "b"],
                 t=["2024-01-01", "2024-01-15", "2024-03-10", "2024-01-02", "2024-01-20"],
                 arm=["loyalty", "loyalty", "loyalty", "control", "control"],
                 when=["2024-03-01"] * 5)
    base = dict(customer_col="c", time_col="t", amount_col=None, segment_col=None, arm_col="arm")
    data = load_data(ReportConfig(_csv(tmp_path, frame), assigned_col="when", **base))
    starts = data.assignments.set_index("c")["t"]
    assert starts.to_dict() == {"a": pd.Timestamp("2024-03-01"), "b": pd.Timestamp("2024-03-01")}
    assert data.assignments.set_index("c")["arm"].to_dict() == {"a": "loyalty", "b": "control"}
    # Without the column the clock starts at the first event that carries an arm: here the
    # arm sits on the row of the assignment only.
    only_there = _log(c=["a", "a", "b"], t=["2024-01-01", "2024-03-01", "2024-01-02"],
                      arm=[None, "loyalty", "control"])
    data = load_data(ReportConfig(_csv(tmp_path, only_there, "x.csv"), assigned_col=None, **base))
    assert data.assignments.set_index("c")["t"].to_dict() == {"a": pd.Timestamp("2024-03-01"),
                                                               "b": pd.Timestamp("2024-01-02")}


def test_assignment_column_is_checked(tmp_path):
    base = dict(customer_col="c", time_col="t", amount_col=None, segment_col=None, arm_col="arm")
    twice = _log(c=["a", "a", "b"], t=["2024-01-01", "2024-01-02", "2024-01-03"], arm=["x", "x", "y"],
                 when=["2024-01-01", "2024-01-02", "2024-01-01"])
    with pytest.raises(rk.DataError, match=r"'when' \(--assigned-col\) gives 1 customer more than one assignment"):
        load_data(ReportConfig(_csv(tmp_path, twice), assigned_col="when", control_arm="x", cli=True, **base))
    garbled = _log(c=["a", "b"], t=["2024-01-01", "2024-01-02"], arm=["x", "y"], when=["03/01/2024", "2024-01-01"])
    # An ambiguous date among ISO ones: no one --date-format reads both layouts.
    with pytest.raises(rk.DataError, match=r"'when' \(--assigned-col\) holds dates such as '03/01/2024'.*could be "
                                           r"swapped.*several layouts \(1 of 2 values are not YYYY-MM-DD.*--date-format"):
        load_data(ReportConfig(_csv(tmp_path, garbled, "g.csv"), assigned_col="when", control_arm="x", cli=True,
                               **base))
    # Without an arm the assignment time means nothing and is ignored.
    assert ReportConfig("x.csv", arm_col=None, assigned_col="when").assigned_col is None


def test_bundled_experiment_matches_the_assignment_table():
    import warnings

    data = load_data(ReportConfig())
    shop = rk.load_coffee_shop()
    assert data.assignments.equals(shop.assignments.sort_values("customer_id").reset_index(drop=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        ours = rk.compare_retention(data.assignments, data.events, horizon="30D", churn_after="30D")
        truth = rk.compare_retention(shop.assignments, shop.transactions, horizon="30D", churn_after="30D")
    pd.testing.assert_frame_equal(ours.summary, truth.summary)


# -- thresholds and headlines that mean something -----------------------------------------

def test_churn_threshold_is_chosen_from_the_data_when_not_given(tmp_path):
    # Gaps: a 10 and 40 days, b 20 days -> 95th percentile (linear) 20 + 0.9 * 20 = 38 days.
    frame = _log(c=["a", "a", "a", "b", "b"], t=["2024-01-01", "2024-01-11", "2024-02-20", "2024-01-01", "2024-01-21"])
    base = dict(customer_col="c", time_col="t", amount_col=None, segment_col=None, arm_col=None)
    cfg = ReportConfig(_csv(tmp_path, frame), cli=True, **base)
    assert cfg.churn_gap is None
    data = load_data(cfg)
    assert cfg.churn_gap == pd.Timedelta(days=38)
    assert cfg.churn_note == ("chosen from the data: 95% of the 3 gaps between purchases are shorter; "
                              "set your own with --churn-after")
    header = report.header(data, out="r.html").data
    assert "churn after 38 days of silence (chosen from the data" in header
    assert "--churn-after" not in cfg.command("r.html")  # re-running chooses the same again
    # Given by the user, it is used as it is and nothing is said about choosing.
    cfg = ReportConfig(_csv(tmp_path, frame), churn_after="15", **base)
    load_data(cfg)
    assert cfg.churn_gap == pd.Timedelta(days=15) and cfg.churn_note is None


def test_survival_headline_names_one_time_buyers_when_the_median_is_day_0():
    # 4 customers: b, c, d buy once (lifetime 0, churned); a buys on day 0 and day 100.
    log = _log(customer_id=["a", "a", "b", "c", "d"],
               date=pd.to_datetime(["2024-01-01", "2024-04-10", "2024-01-01", "2024-01-02", "2024-01-03"]))
    life = rk.customer_lifetimes(log, churn_after="30D", as_of="2024-12-31")
    text = report.survival_text(rk.kaplan_meier(life), rk.purchase_gaps(log), pd.Timedelta(days=30))
    # S(0) = 1/4 (only a bought after day 0): 75 % never bought again; S(90) = 1/4.
    assert "75 % of the customers never bought again after their first purchase day" in text
    assert "median lifetime is 0 days" in text and "25 % after 90 days" in text
    assert "by day 0" not in text


def test_small_segments_are_not_ranked():
    rows = []
    for i in range(60):  # big: 60 customers, lifetimes 10 or 100 days
        rows += [(f"big{i}", "2024-01-01", "big"), (f"big{i}", "2024-01-11" if i % 2 else "2024-04-10", "big")]
    for i in range(3):  # tiny: 3 customers
        rows += [(f"tiny{i}", "2024-01-01", "tiny"), (f"tiny{i}", "2024-01-03", "tiny")]
    log = pd.DataFrame(rows, columns=["customer_id", "date", "seg"]).assign(date=lambda d: pd.to_datetime(d["date"]))
    life = rk.customer_lifetimes(log, churn_after="30D", as_of="2024-12-31", by=["seg"])
    curves = rk.kaplan_meier(life, by="seg")
    test = rk.logrank(life, by="seg")
    text = report.survival_text(curves, rk.purchase_gaps(log), pd.Timedelta(days=30), test)
    assert "leave fastest" not in text  # one large segment only: nothing to rank
    assert "tiny has fewer than 50 customers: too few to rank." in text


def test_caveats_say_what_the_report_did_not_what_to_pass():
    with report.caveats() as notes:
        warnings.warn(rk.LeftCensoringWarning(
            "The 1997-01 cohort starts in the data's first month. Pass first_cohort='exclude' to drop it, or "
            "first_cohort='keep' if the data start with every customer's first activity."))
        warnings.warn(rk.RetentionWarning("Few customers. Use looks=3 for peeking. Read with care."))
    assert notes == ["The 1997-01 cohort starts in the data's first month. The report keeps it: read its row "
                     "with that in mind.", "Few customers. Read with care."]
