"""One date policy everywhere (issue 13): the day/month rule of ``retention_kit.checks``
(``day_month_order``) decides, on every path, what a column of text dates is.

* The library (a pandas frame, a CSV path through DuckDB, a Polars frame) reads ISO 8601 only
  and refuses every other column -- the same cases on every engine -- with the fix of that
  path: the ``pd.to_datetime`` statement (pandas) or the DuckDB ``strptime`` / Polars
  ``str.to_datetime`` expression (engines) that reads the column in the order the rule finds
  (both orders when the column cannot tell, none when it mixes them). Every fix suggested
  is executed here, and the result must then validate, with the right dates.
* The report's loader reads ISO columns and the columns whose order the rule settles (with a
  note), and refuses the others with the ``--date-format`` that reads them; that option is
  applied through the report's config and the data must then load.
"""

from __future__ import annotations

import re
import warnings

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest

import retention_kit as rk
from retention_kit.checks import (AMBIGUOUS, DAY_FIRST, MIXED_ORDER, MONTH_FIRST, bad_dates_message,
                                  day_month_formats, day_month_order, read_dates_rule)
from retention_kit.cli import main
from retention_kit.report import ReportConfig, load_data

# -- the matrix -------------------------------------------------------------------------------------
# name -> (texts, verdict of the rule on the non-ISO texts, the true dates). The true dates of an
# ambiguous column are those read day first; None marks a value that is no date at all.

CASES = {
    "ISO dates": (["2024-01-05", "2024-01-25", "2024-03-02", "2024-02-14"], "iso",
                  ["2024-01-05", "2024-01-25", "2024-03-02", "2024-02-14"]),
    "ISO with times": (["2024-01-05 10:30", "2024-01-25T11:00:15", "2024-03-02 08:00", "2024-02-14 23:59"], "iso",
                       ["2024-01-05 10:30", "2024-01-25 11:00:15", "2024-03-02 08:00", "2024-02-14 23:59"]),
    "day first, slashes": (["05/01/2024", "25/01/2024", "02/03/2024", "14/02/2024"], DAY_FIRST,
                           ["2024-01-05", "2024-01-25", "2024-03-02", "2024-02-14"]),
    "day first, dots, 2-digit years": (["05.01.24", "25.01.24", "02.03.24", "14.02.24"], DAY_FIRST,
                                       ["2024-01-05", "2024-01-25", "2024-03-02", "2024-02-14"]),
    "day first, dashes, times": (["05-01-2024 10:30", "25-01-2024 11:00", "02-03-2024 08:15", "14-02-2024 23:59"],
                                 DAY_FIRST, ["2024-01-05 10:30", "2024-01-25 11:00", "2024-03-02 08:15",
                                             "2024-02-14 23:59"]),
    "day first, seconds": (["05/01/2024 10:30:15", "25/01/2024 11:00:00", "02/03/2024 08:15:30",
                            "14/02/2024 23:59:59"], DAY_FIRST,
                           ["2024-01-05 10:30:15", "2024-01-25 11:00", "2024-03-02 08:15:30", "2024-02-14 23:59:59"]),
    "day first, some with times": (["05/01/2024", "25/01/2024 11:00", "02/03/2024", "14/02/2024 09:00"], DAY_FIRST,
                                   ["2024-01-05", "2024-01-25 11:00", "2024-03-02", "2024-02-14 09:00"]),
    "day first among ISO": (["2024-01-05", "25/01/2024", "02/03/2024", "2024-02-14"], DAY_FIRST,
                            ["2024-01-05", "2024-01-25", "2024-03-02", "2024-02-14"]),
    "month first, slashes": (["12/13/2024", "02/02/2024", "01/25/2024", "03/01/2024"], MONTH_FIRST,
                             ["2024-12-13", "2024-02-02", "2024-01-25", "2024-03-01"]),
    "month first, dots": (["01.25.2024", "02.03.2024", "03.14.2024", "01.05.2024"], MONTH_FIRST,
                          ["2024-01-25", "2024-02-03", "2024-03-14", "2024-01-05"]),
    "month first, 2-digit years, AM/PM": (["01/25/24 09:15 PM", "02/03/24 10:00 AM", "03/14/24 12:30 PM",
                                           "01/05/24 01:00 AM"], MONTH_FIRST,
                                          ["2024-01-25 21:15", "2024-02-03 10:00", "2024-03-14 12:30",
                                           "2024-01-05 01:00"]),
    "ambiguous, slashes": (["03/04/2024", "05/06/2024", "01/02/2024", "11/12/2024"], AMBIGUOUS,
                           ["2024-04-03", "2024-06-05", "2024-02-01", "2024-12-11"]),
    "ambiguous, dots, 2-digit years, times": (["03.04.24 10:30", "05.06.24 11:00", "01.02.24 08:00", "11.12.24 09:45"],
                                              AMBIGUOUS, ["2024-04-03 10:30", "2024-06-05 11:00", "2024-02-01 08:00",
                                                          "2024-12-11 09:45"]),
    "ambiguous, dashes": (["03-04-2024", "05-06-2024", "01-02-2024", "11-12-2024"], AMBIGUOUS,
                          ["2024-04-03", "2024-06-05", "2024-02-01", "2024-12-11"]),
    "mixed orders": (["25/04/2024", "05/26/2024", "03/04/2024", "01/02/2024"], MIXED_ORDER, None),
    "month names": (["05 Jan 2024", "25 Jan 2024", "02 Mar 2024", "14 Feb 2024"], None,
                    ["2024-01-05", "2024-01-25", "2024-03-02", "2024-02-14"]),
    "not dates among ISO": (["2024-01-05", "soon", "2024-03-02", "later"], None,
                            ["2024-01-05", None, "2024-03-02", None]),
}
NOT_ISO = [name for name, (_, verdict, _) in CASES.items() if verdict != "iso"]
UNAMBIGUOUS = [name for name, (_, verdict, _) in CASES.items() if verdict in (DAY_FIRST, MONTH_FIRST)]


def events(name: str) -> pd.DataFrame:
    texts = CASES[name][0]
    return pd.DataFrame({"customer_id": ["a", "b", "a", "c"][:len(texts)], "date": texts})


def truth(name: str, order: str | None = None) -> list:
    """The dates the fix must give (an ambiguous column read month first: day and month swapped)."""
    texts, verdict, dates = CASES[name]
    if verdict == AMBIGUOUS and order == MONTH_FIRST:
        return sorted(pd.to_datetime(texts, format="mixed", dayfirst=False))
    return sorted(pd.Timestamp(d) for d in dates if d is not None)


def refusal(fn) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        with pytest.raises(rk.DataError) as info:
            fn()
    return str(info.value)


def validated_dates(data) -> list:
    """The dates of ``data`` once ``rk.validate_events`` accepts it: as the kit read them (a pandas
    frame), or as the engine holds them (a Polars frame or DuckDB relation the fix typed); a
    CSV path: the first and last time (an engine log keeps no rows in pandas)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        log = rk.validate_events(data)
    if isinstance(data, pd.DataFrame):
        dates = log.to_frame()["date"]
    elif isinstance(data, pl.DataFrame):
        dates = data["date"].to_list()
    elif isinstance(data, duckdb.DuckDBPyRelation):
        dates = data.df()["date"]
    else:
        return [log.first_time, log.last_time, log.rows]
    return sorted(pd.Timestamp(d) for d in dates)


# -- the rule ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CASES))
def test_the_rule_gives_each_column_its_verdict(name):
    texts, verdict, _ = CASES[name]
    not_iso = [t for t in texts if not re.match(r"\d{4}-", t)]
    assert day_month_order(not_iso) == (None if verdict == "iso" else verdict)


def test_the_rule_formats_cover_separators_years_and_times():
    assert day_month_formats(["05/01/2024"], DAY_FIRST) == ["%d/%m/%Y"]
    assert day_month_formats(["05.01.24 10:30:15.25"], MONTH_FIRST) == ["%m.%d.%y %H:%M:%S.%f"]
    assert day_month_formats(["05-01-2024T10:30"], DAY_FIRST) == ["%d-%m-%YT%H:%M"]
    assert day_month_formats(["05-01-2024 10:30pm", "06-01-2024"], MONTH_FIRST) == ["%m-%d-%Y %I:%M%p", "%m-%d-%Y"]
    assert day_month_formats(["05/01/2024 at noon"], DAY_FIRST) == [None]
    # Not day/month dates: no verdict; a value that is no date either way (13/13) is none either.
    assert day_month_order(["13/13/2024"]) is None and day_month_order(["2024/01/05"]) is None
    assert day_month_order([None, np.nan, "25/01/2024"]) == DAY_FIRST


def test_the_rule_offers_only_readings_that_parse_the_whole_column():
    # One layout: its format; several layouts or ISO values among them: format="mixed" in the settled order.
    assert read_dates_rule(["25/01/2024"]).formats == ["%d/%m/%Y"]
    assert read_dates_rule(["25/01/2024"], ["25/01/2024", "2024-01-26"]).options == (
        (DAY_FIRST, {"format": "mixed", "dayfirst": True}),)
    assert [o for o, _ in read_dates_rule(["03/04/2024"]).options] == [DAY_FIRST, MONTH_FIRST]
    assert read_dates_rule(["25/04/2024", "05/26/2024"]).options == ()
    assert read_dates_rule(["31/02/2024", "25/01/2024"]).options == ()  # 31 February: no reading offered


# -- the library: pandas frames ------------------------------------------------------------------------

PANDAS_FIX = re.compile(r"df\[('\w+')\] = pd\.to_datetime\(df\[\1\](?:, \w+=(?:'[^']*'|True|False))*\)|"
                        r"df = df\[pd\.to_datetime\(df\['\w+'\][^\]]*\)\.notna\(\)\]")


def pandas_fixes(message: str) -> list[tuple[str | None, str]]:
    """(the order the fix is for, or None, the statement) of each statement in a message."""
    out = []
    for match in PANDAS_FIX.finditer(message):
        before = message[:match.start()]
        when = re.search(r"if the (day|month) comes first, $", before)
        out.append(((when.group(1) + " first") if when else None, match.group(0)))
    return out


@pytest.mark.parametrize("name", ["ISO dates", "ISO with times"])
def test_iso_dates_are_read_on_every_path(name, tmp_path):
    expected = truth(name)
    assert validated_dates(events(name)) == expected
    path = tmp_path / "events.csv"
    events(name).to_csv(path, index=False)
    assert validated_dates(str(path)) == [expected[0], expected[-1], len(expected)]
    assert validated_dates(pl.from_pandas(events(name))) == expected


@pytest.mark.parametrize("name", NOT_ISO)
def test_pandas_refusal_suggests_the_fix_that_reads_the_column(name):
    verdict = CASES[name][1]
    message = refusal(lambda: rk.validate_events(events(name)))
    fixes = pandas_fixes(message)
    if verdict == MIXED_ORDER:
        assert "mixes day-first and month-first dates ('25/04/2024' has the day first, '05/26/2024' the month first)" \
            in message and "make the column consistent" in message
        assert fixes == []  # nothing to run: no format reads both orders, and none is guessed
        return
    if verdict in (DAY_FIRST, MONTH_FIRST):
        assert f"here the {verdict.split()[0]} comes first" in message
        assert [when for when, _ in fixes] == [None]
    elif verdict == AMBIGUOUS:
        assert "no value has a number above 12 to tell, so they are not guessed" in message
        assert [when for when, _ in fixes] == [DAY_FIRST, MONTH_FIRST]
    else:
        assert len(fixes) == 1
    for when, code in fixes:
        df = events(name)
        exec(code, {"pd": pd, "np": np}, scope := {"df": df})  # noqa: S102 - the suggestion, taken literally
        assert validated_dates(scope["df"]) == truth(name, when), code


def test_the_reported_example_of_issue_13():
    # Month-first dates were told to use '%d/%m/%Y', which fails on '12/13/2024' (month 13).
    frame = pd.DataFrame({"customer_id": ["a", "b"], "date": ["12/13/2024", "02/02/2024"]})
    message = refusal(lambda: rk.validate_events(frame))
    assert "format='%m/%d/%Y'" in message and "'%d/%m/%Y'" not in message
    assert "'12/13/2024' has no month 13" in message


def test_subscription_and_assignment_dates_follow_the_same_rule():
    subs = pd.DataFrame({"id": ["a", "b", "c"], "start": ["12/13/2023", "01/02/2024", "02/03/2024"],
                         "end": [None, "03/25/2024", None]})
    message = refusal(lambda: rk.subscription_lifetimes(subs, customer_col="id", as_of="2024-06-30"))
    (_, code), = pandas_fixes(message)
    assert "format='%m/%d/%Y'" in code
    df = subs.copy()
    exec(code, {"pd": pd}, scope := {"df": df})  # noqa: S102
    message = refusal(lambda: rk.subscription_lifetimes(scope["df"], customer_col="id", as_of="2024-06-30"))
    (_, code), = pandas_fixes(message)  # now the end column, read by the same rule
    assert code == "df['end'] = pd.to_datetime(df['end'], format='%m/%d/%Y')"
    exec(code, {"pd": pd}, scope)  # noqa: S102
    life = rk.subscription_lifetimes(scope["df"], customer_col="id", as_of="2024-06-30")
    assert len(life) == 3

    shop = rk.load_coffee_shop()
    assignments = shop.assignments.assign(date=shop.assignments["date"].dt.strftime("%d/%m/%Y"))
    message = refusal(lambda: rk.compare_retention(assignments, shop.transactions, churn_after="30D"))
    (_, code), = pandas_fixes(message)
    assert "format='%d/%m/%Y'" in code
    exec(code, {"pd": pd}, scope := {"df": assignments.copy()})  # noqa: S102
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        fixed = rk.compare_retention(scope["df"], shop.transactions, churn_after="30D")
        expected = rk.compare_retention(shop.assignments.assign(date=shop.assignments["date"].dt.normalize()),
                                        shop.transactions, churn_after="30D")
    pd.testing.assert_frame_equal(fixed.summary, expected.summary)


# -- the library: a CSV path (DuckDB) and a Polars frame --------------------------------------------------

ENGINE_FIX = re.compile(r"(?:if the (day|month) comes first, )?DuckDB strptime\(\"date\", '([^']*)'\), "
                        r"Polars (pl\.col\('date'\)\.str\.to_datetime\('[^']*'\))")


def engine_fixes(message: str) -> list[tuple[str | None, str, str]]:
    """(the order it is for, the DuckDB format, the Polars expression) of each engine fix."""
    return [((m.group(1) + " first") if m.group(1) else None, m.group(2), m.group(3))
            for m in ENGINE_FIX.finditer(message)]


def _csv(name: str, tmp_path) -> str:
    path = tmp_path / (re.sub(r"\W+", "_", name) + ".csv")
    events(name).to_csv(path, index=False)
    return str(path)


# Columns an engine's examples (the smallest unreadable text, and one value whose day, one whose month
# must come first) cannot describe in one format: two orders, or several layouts (the pandas path, which
# sees every value, offers the reading of the whole column).
ONE_LAYOUT_ONLY = ("mixed orders", "day first, some with times", "day first among ISO")


def _applies(when, name) -> bool:
    """Whether a fix for ``when`` fits the column (an engine judges one example, so it may offer both orders)."""
    verdict = CASES[name][1]
    return when is None or verdict == AMBIGUOUS or when == verdict


@pytest.mark.parametrize("kind", ["csv", "polars"])
@pytest.mark.parametrize("name", NOT_ISO)
def test_engines_refuse_the_same_cases_and_their_fix_runs(name, kind, tmp_path):
    data = _csv(name, tmp_path) if kind == "csv" else pl.from_pandas(events(name))
    message = refusal(lambda: rk.validate_events(data))
    assert "guessed" in message or "could not be read as dates" in message
    fixes = engine_fixes(message)
    if name == "not dates among ISO":
        assert fixes == [] and "fix or drop those rows" in message
        return
    if CASES[name][1] == MIXED_ORDER:  # the engine finds a day-first and a month-first value, as pandas does
        assert fixes == [] and "make the column consistent" in message
        return
    if not fixes:  # examples in several layouts: no one engine format reads them, and none is offered
        assert name in ONE_LAYOUT_ONLY and "no one format reads every value" in message, message
        return
    ran = 0
    for when, fmt, polars_expr in fixes:
        if not _applies(when, name):
            continue
        if name in ONE_LAYOUT_ONLY:
            # The engine reports one example, and its fix is that example's format (the message says so):
            # on rows written the other way or in another layout it fails, loudly, in the engine itself.
            assert "rows written in another layout need theirs" in message
            with pytest.raises(pl.exceptions.PolarsError):
                pl.from_pandas(events(name)).with_columns(eval(polars_expr, {"pl": pl}))  # noqa: S307
            with pytest.raises(duckdb.Error):
                duckdb.sql(f"SELECT strptime(\"date\", '{fmt}') FROM read_csv('{_csv(name, tmp_path)}', "
                           "all_varchar = true)").fetchall()
            continue
        if kind == "polars":
            fixed = pl.from_pandas(events(name)).with_columns(eval(polars_expr, {"pl": pl}))  # noqa: S307
        else:
            fixed = duckdb.sql(f"SELECT * REPLACE (strptime(\"date\", '{fmt}') AS \"date\") "
                               f"FROM read_csv('{data}', all_varchar = true)")
        assert validated_dates(fixed) == truth(name, when), (fmt, polars_expr)
        ran += 1
    assert ran or name in ONE_LAYOUT_ONLY


@pytest.mark.parametrize("name", NOT_ISO)
def test_every_path_refuses_or_accepts_alike(name, tmp_path):
    """pandas, a CSV path and a Polars frame: each refuses (no path guesses an order or a layout)."""
    for data in (events(name), _csv(name, tmp_path), pl.from_pandas(events(name))):
        refusal(lambda: rk.validate_events(data))


def test_engine_message_reads_its_one_example_with_the_rule():
    # The engines count the bad dates and report one example: the rule reads that example.
    one = bad_dates_message("date", 4, 4, ["25/01/2024"], engine=True)
    assert "here the day comes first ('25/01/2024' has no month 25)" in one
    assert "strptime(\"date\", '%d/%m/%Y')" in one and "str.to_datetime('%d/%m/%Y')" in one
    two = bad_dates_message("date", 4, 4, ["03/04/2024"], engine=True)
    assert [w for w, _, _ in engine_fixes(two)] == [DAY_FIRST, MONTH_FIRST]
    assert "no value has a number above 12" not in two  # the engine did not look at every value
    frac = bad_dates_message("date", 1, 1, ["25.01.24 10:30:15.5"], engine=True)
    assert "strptime(\"date\", '%d.%m.%y %H:%M:%S.%f')" in frac and "'%d.%m.%y %H:%M:%S%.f'" in frac


# -- the report's loader, and the CLI -----------------------------------------------------------------------

REPORT = dict(customer_col="customer_id", time_col="date", amount_col=None, segment_col=None, arm_col=None,
              churn_after="30D")


def _load(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        data = load_data(ReportConfig(path, cli=True, **{**REPORT, **kw}))
        return data, sorted(data.log.to_frame()["date"])


@pytest.mark.parametrize("name", list(CASES))
def test_report_reads_settled_columns_and_refuses_the_others_with_date_format(name, tmp_path):
    path = _csv(name, tmp_path)
    verdict = CASES[name][1]
    if verdict == "iso" or verdict in (DAY_FIRST, MONTH_FIRST):
        data, dates = _load(path)
        assert dates == truth(name)
        if verdict != "iso":
            assert any(f"were read {verdict}" in note for note in data.notes), data.notes
        return
    message = refusal(lambda: _load(path))
    assert "pd.to_datetime" not in message and "df[" not in message  # the CLI's fix, not Python
    formats = re.findall(r"(?:if the (day|month) comes first, )?--date-format '([^']+)'", message)
    if verdict == MIXED_ORDER:
        assert "mixes day-first and month-first dates" in message and formats == []
        return
    if name == "not dates among ISO":
        assert "could not be read as dates" in message and "'soon'" in message and formats == []
        return
    assert formats, message
    if verdict == AMBIGUOUS:
        assert "could be swapped" in message and [w for w, _ in formats] == ["day", "month"]
    for when, fmt in formats:
        _, dates = _load(path, date_format=fmt)  # the option applied as the report's config
        assert dates == truth(name, f"{when} first" if when else None)


def test_report_month_first_column_is_read_not_refused(tmp_path):
    # Issue 13: the report command refused unambiguous month-first dates such as 12/13/2010.
    path = tmp_path / "us.csv"
    pd.DataFrame({"customer_id": ["a", "b", "a"], "date": ["12/13/2010", "12/01/2010", "01/25/2011"]}).to_csv(
        path, index=False)
    data, dates = _load(str(path))
    assert dates == list(pd.to_datetime(["2010-12-01", "2010-12-13", "2011-01-25"]))
    assert data.notes == ["Dates in 'date' were read month first ('12/13/2010' has no month 13)."]


def test_report_assignment_column_follows_the_same_rule(tmp_path):
    path = tmp_path / "exp.csv"
    pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "date": ["2024-01-05", "2024-01-06", "2024-01-07", "2024-01-08"],
                  "arm": ["control", "test", "control", "test"],
                  "when": ["12/13/2023", "12/14/2023", "01/02/2024", "01/03/2024"]}).to_csv(path, index=False)
    base = dict(REPORT, arm_col="arm", assigned_col="when")
    data = load_data(ReportConfig(str(path), cli=True, **base))
    assert data.assignments.set_index("customer_id")["date"].to_dict()["a"] == pd.Timestamp("2023-12-13")
    pd.DataFrame({"customer_id": ["a", "b"], "date": ["2024-01-05", "2024-01-06"], "arm": ["control", "test"],
                  "when": ["03/01/2024", "04/01/2024"]}).to_csv(path, index=False)
    message = refusal(lambda: load_data(ReportConfig(str(path), cli=True, **base)))
    assert re.search(r"'when' \(--assigned-col\) holds dates such as '03/01/2024'.*if the day comes first, "
                     r"--date-format '%d/%m/%Y'", message)
    data = load_data(ReportConfig(str(path), cli=True, date_format="%d/%m/%Y", **base))
    assert data.assignments["date"].tolist() == list(pd.to_datetime(["2024-01-03", "2024-01-04"]))


def test_report_numbers_as_dates_get_the_cli_fix(tmp_path):
    path = tmp_path / "n.csv"
    pd.DataFrame({"customer_id": ["a", "b"], "date": [20240105, 20240202]}).to_csv(path, index=False)
    message = refusal(lambda: _load(str(path)))
    assert "holds numbers, not dates" in message and "--date-format '%Y%m%d'" in message
    _, dates = _load(str(path), date_format="%Y%m%d")
    assert dates == list(pd.to_datetime(["2024-01-05", "2024-02-02"]))


def test_cli_refusal_names_the_date_format_option(tmp_path, capsys):
    path = _csv("ambiguous, slashes", tmp_path)
    out = tmp_path / "r.html"
    assert main(["report", path, "--out", str(out), "-q"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "if the day comes first, --date-format '%d/%m/%Y'; if the month comes first, --date-format '%m/%d/%Y'" \
        in err
    assert "pd.to_datetime" not in err and not out.exists()


# -- as_of: the same rule -----------------------------------------------------------------------------------

@pytest.mark.parametrize("as_of, expected", [
    ("25/01/2024", ["2024-01-25"]), ("01/25/2024", ["2024-01-25"]), ("05.01.24", ["2024-01-05", "2024-05-01"]),
    ("05/01/2024 10:30", ["2024-01-05 10:30:00", "2024-05-01 10:30:00"])])
def test_day_month_as_of_is_refused_on_every_path_with_the_iso_date_to_write(as_of, expected, tmp_path):
    # pd.Timestamp("05/01/2024") is 1 May: a guess. The rule says which ISO date to write.
    frame = pd.DataFrame({"customer_id": ["a", "b", "a"], "date": ["2024-01-02", "2024-01-03", "2024-06-01"]})
    path = tmp_path / "e.csv"
    frame.to_csv(path, index=False)
    for data in (frame, str(path), pl.from_pandas(frame)):
        with pytest.raises(rk.ParameterError) as info:
            rk.validate_events(data, as_of=as_of)
        suggested = re.findall(r"as_of='([^']+)'", str(info.value))[1:]
        assert suggested == expected, str(info.value)
        for iso in suggested:
            assert rk.validate_events(data, as_of=iso).rows >= 2


@pytest.mark.parametrize("kind", ["csv", "polars"])
def test_an_engine_finds_the_value_that_tells_the_order(kind, tmp_path):
    """The smallest unreadable text ('02/02/2024') tells no order; the engine also looks for a value
    whose month must come first ('12/13/2024'), so it offers the one format pandas offers (not both)."""
    frame = pd.DataFrame({"customer_id": ["a", "b", "c"], "date": ["02/02/2024", "12/13/2024", "03/01/2024"]})
    path = tmp_path / "month_first.csv"
    frame.to_csv(path, index=False)
    data = str(path) if kind == "csv" else pl.from_pandas(frame)
    message = refusal(lambda: rk.validate_events(data))
    assert "'12/13/2024' has no month 13" in message
    fixes = engine_fixes(message)
    assert [fmt for _, fmt, _ in fixes] == ["%m/%d/%Y"]  # one fix, month first (not one per order)
    fixed = pl.from_pandas(frame).with_columns(eval(fixes[0][2], {"pl": pl}))  # noqa: S307 - the suggestion
    # 2 February, 13 December and 1 March 2024, read month first
    assert sorted(validated_dates(fixed)) == [pd.Timestamp("2024-02-02"), pd.Timestamp("2024-03-01"),
                                              pd.Timestamp("2024-12-13")]
