"""The declared checks (retention_kit.checks, issue 13): every check of every kind of table
has a case that triggers it, and its words name the column, the count and a fix; the pandas
count and the SQL condition of each check agree (run on DuckDB over the same small frame);
the two subscription validators refuse in the same words; arrays read churn flags by the
frames' rule."""

from __future__ import annotations

import re
import warnings

import duckdb
import numpy as np
import pandas as pd
import pytest

import retention_kit as rk
from retention_kit import checks
from retention_kit.checks import CHECKS, validate_assignments
from retention_kit.validation import prepare_events

# -- cases: one per declared check ------------------------------------------------------------------

EV = pd.DataFrame({"customer_id": ["a", "b", "c"], "date": ["2024-01-01", "2024-01-02", "2024-01-03"],
                   "amount": [1.0, 2.0, 3.0]})
SUBS = pd.DataFrame({"customer_id": ["a", "b", "c"], "start": ["2024-01-01", "2024-02-01", "2024-03-01"],
                     "end": ["2024-02-01", None, "2024-03-15"]})
ASSIGN = pd.DataFrame({"customer_id": ["a", "b", "c"], "arm": ["control", "test", "test"],
                       "date": ["2024-01-01", "2024-01-02", "2024-01-03"]})
LIFE = pd.DataFrame({"duration": [1.0, 5.0, 10.0], "churned": [True, False, True], "arm": ["x", "x", "y"],
                     "w": [1, 2, 1]})


def events_call(frame, **kw):
    return lambda: rk.check_events(frame, **kw)


def subs_call(frame, **kw):
    return lambda: rk.subscription_lifetimes(frame, customer_col="customer_id", **kw)


def assign_call(frame):
    return lambda: validate_assignments(frame, customer_col="customer_id", arm_col="arm", time_col="date")


def km_call(frame, **kw):
    return lambda: rk.kaplan_meier(frame, **kw)


# (kind, check): (call, column named, count as said, the fix as said)
REFUSALS = {
    ("events", "null_ids"): (events_call(EV.assign(customer_id=["a", None, "c"])), "customer_id", "1 of 3 rows",
                             r"df = df\.dropna\(subset=\['customer_id'\]\)"),
    ("events", "null_dates"): (events_call(EV.assign(date=["2024-01-01", None, "2024-01-03"])), "date",
                               "1 missing dates out of 3 rows", r"df = df\.dropna\(subset=\['date'\]\)"),
    ("events", "bad_dates"): (events_call(EV.assign(date=["05/01/2024", "06/01/2024", "2024-01-03"])), "date",
                              "2 of 3 dates", r"pd\.to_datetime\(df\['date'\], format="),
    ("events", "out_of_range"): (events_call(EV.assign(date=np.array(["1500-01-01", "2024-01-02", "2024-01-03"],
                                                                     dtype="datetime64[s]"))), "date", "1 values",
                                 r"df = df\[df\['date'\]\.between"),
    ("events", "nonnumeric_amounts"): (events_call(EV.assign(amount=["$1", "2", "3"]), amount_col="amount"),
                                       "amount", "1 values are not numbers", r"\.str\.replace"),
    ("events", "nonfinite_amounts"): (events_call(EV.assign(amount=[1.0, np.inf, 3.0]), amount_col="amount"),
                                      "amount", "1 infinite", r"df = df\[np\.isfinite\(df\['amount'\]\)\]"),
    ("events", "null_amounts"): (events_call(EV.assign(amount=[1.0, np.nan, 3.0]), amount_col="amount"),
                                 "amount", "1 rows of 3", r"df\['amount'\] = df\['amount'\]\.fillna\(0\)"),
    ("events", "negative_amounts"): (events_call(EV.assign(amount=[1.0, -2.0, 3.0]), amount_col="amount"),
                                     "amount", "1 negative values", r"df = df\[df\['amount'\] >= 0\]"),
    ("subscriptions", "null_ids"): (subs_call(SUBS.assign(customer_id=["a", None, "c"])), "customer_id",
                                    "1 of 3 rows", r"df = df\.dropna\(subset=\['customer_id'\]\)"),
    ("subscriptions", "mixed_ids"): (subs_call(SUBS.assign(customer_id=pd.Series(["1", 2, "3"], dtype=object))),
                                     "customer_id", "1 of 3 ids", r"df\['customer_id'\] = df\['customer_id'\]\.astype\(str\)"),
    ("subscriptions", "duplicate_ids"): (subs_call(SUBS.assign(customer_id=["a", "a", "c"])), "customer_id",
                                         "2 of 3 rows", r"df = df\.sort_values\('start'\)\.drop_duplicates\('customer_id'\)"),
    ("subscriptions", "null_starts"): (subs_call(SUBS.assign(start=["2024-01-01", None, "2024-03-01"])), "start",
                                      "1 missing dates out of 3 rows", r"df = df\.dropna\(subset=\['start'\]\)"),
    ("subscriptions", "bad_starts"): (subs_call(SUBS.assign(start=["01/01/2024", "2024-02-01", "2024-03-01"])),
                                     "start", "1 of 3 dates", r"pd\.to_datetime\(df\['start'\], format="),
    ("subscriptions", "starts_out_of_range"): (
        subs_call(SUBS.assign(start=np.array(["1500-01-01", "2024-02-01", "2024-03-01"], dtype="datetime64[s]"))),
        "start", "1 values", r"df = df\[df\['start'\]\.between"),
    ("subscriptions", "bad_ends"): (subs_call(SUBS.assign(end=["2024-02-01", "someday", None])), "end",
                                   "1 of 2 values", r"pd\.to_datetime\(df\['end'\], format="),
    ("subscriptions", "ends_out_of_range"): (
        subs_call(SUBS.assign(end=np.array(["2024-02-01", "2024-03-01", "9999-12-31"], dtype="datetime64[s]"))),
        "end", "1 values", r"df = df\[df\['end'\]\.between"),
    ("subscriptions", "end_before_start"): (subs_call(SUBS.assign(end=["2023-12-01", None, "2024-03-15"])), "end",
                                           "1 rows of 3", r"df = df\[~\(pd\.to_datetime\(df\['end'\]\) < "),
    ("assignments", "null_ids"): (assign_call(ASSIGN.assign(customer_id=["a", None, "c"])), "customer_id",
                                  "1 missing values", r"df = df\.dropna\(subset=\['customer_id'\]\)"),
    ("assignments", "null_arms"): (assign_call(ASSIGN.assign(arm=["control", None, "test"])), "arm",
                                   "1 missing values", r"df = df\.dropna\(subset=\['arm'\]\)"),
    ("assignments", "mixed_ids"): (assign_call(ASSIGN.assign(customer_id=pd.Series([1, "2", 3], dtype=object))),
                                   "customer_id", "2 of 3 ids", r"df\['customer_id'\] = df\['customer_id'\]\.astype\(str\)"),
    ("assignments", "duplicate_ids"): (assign_call(ASSIGN.assign(customer_id=["a", "a", "c"])), "customer_id",
                                       "repeats 1 customers",
                                       r"df = df\.sort_values\('date'\)\.drop_duplicates\('customer_id', keep='first'\)"),
    ("lifetimes", "nonnumeric_durations"): (km_call(LIFE.assign(duration=["1", "five", "10"])), "duration",
                                            "1 of 3 values", r"df\['duration'\] = pd\.to_numeric\(df\['duration'\], errors='coerce'\)"),
    ("lifetimes", "bad_durations"): (km_call(LIFE.assign(duration=[1.0, -5.0, np.nan])), "duration",
                                     "2 missing or negative values", r"df = df\[np\.isfinite\(df\['duration'\]\)"),
    ("lifetimes", "bad_flags"): (km_call(LIFE.assign(churned=["yes", "maybe", "no"])), "churned", "1 of 3 rows",
                                 r"df\['churned'\] = df\['churned'\]\.replace\(\{'maybe': False\}\)"),
    ("lifetimes", "bool_weights"): (km_call(LIFE.assign(w=[True, False, True]), weights_col="w"), "w",
                                    "True/False values", r"a flag is not a count"),
    ("lifetimes", "bad_weights"): (km_call(LIFE.assign(w=[1.0, 0.5, -1.0]), weights_col="w"), "w", "2 of 3 rows",
                                   r"df = df\[np\.isfinite\(df\['w'\]\)"),
    ("lifetimes", "null_groups"): (km_call(LIFE.assign(arm=["x", None, "y"]), by="arm"), "arm", "1 rows of 3",
                                   r"df = df\.dropna\(subset=\['arm'\]\)"),
}

# Checks that do not refuse: (call returning the data-quality report, column, rows, action, detail)
LEDGER = {
    ("events", "zero_amounts"): (lambda: rk.check_events(EV.assign(amount=[0.0, 2.0, 0.0]), amount_col="amount"),
                                 "amount", 2, "kept", "amount is 0"),
    ("subscriptions", "open_ends"): (lambda: rk.data_quality(subs_call(SUBS)()), "end", 1, "kept", "still active"),
    ("subscriptions", "start_after_as_of"): (
        lambda: rk.data_quality(subs_call(SUBS, as_of="2024-02-15")()), "start", 1, "dropped", "after the as-of date"),
    ("subscriptions", "end_after_as_of"): (
        lambda: rk.data_quality(subs_call(SUBS, as_of="2024-03-10")()), "end", 1, "converted", "after the as-of date"),
}


def test_every_declared_check_has_a_case():
    declared = {(kind, name) for kind, found in CHECKS.items() for name in found}
    assert declared == set(REFUSALS) | set(LEDGER)
    for (kind, name) in REFUSALS:
        assert CHECKS[kind][name].refuse
    for (kind, name) in LEDGER:
        assert not CHECKS[kind][name].refuse


@pytest.mark.parametrize("key", list(REFUSALS), ids=[f"{k}-{n}" for k, n in REFUSALS])
def test_each_refusal_names_the_column_the_count_and_the_fix(key):
    call, column, count, fix = REFUSALS[key]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        with pytest.raises(rk.DataError) as info:
            call()
    message = str(info.value)
    assert repr(column) in message, message
    assert count in message, message
    assert re.search(fix, message), message


@pytest.mark.parametrize("key", list(LEDGER), ids=[f"{k}-{n}" for k, n in LEDGER])
def test_each_ledger_check_is_counted(key):
    call, column, rows, action, detail = LEDGER[key]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.DataQualityWarning)
        report = call()
    found = [c for c in report.checks if c["check"] == column and c["action"] == action and detail in c["detail"]]
    assert len(found) == 1 and found[0]["rows"] == rows, report.checks
    if action == "dropped":
        assert report.rows_dropped == rows
    # Its one message function says the column and the count too (the warning of a drop).
    check = CHECKS[key[0]][key[1]]
    words = check.say(checks.Finding(check.name, column, rows, 3, extra={"as_of": pd.Timestamp("2024-02-15")}))
    assert repr(column) in words and f"{rows:,} of 3" in words


def test_starts_after_as_of_are_dropped_with_a_warning_naming_the_count():
    with pytest.warns(rk.DataQualityWarning, match=r"1 of 3 subscriptions start after the as-of date 2024-02-15 "
                                                   r"\(column 'start'\).*as_of="):
        life = subs_call(SUBS, as_of="2024-02-15")()
    assert life["customer_id"].tolist() == ["a", "b"]


def test_missing_customers_drop_follows_the_declared_check():
    report = prepare_events(EV.assign(customer_id=["a", None, "c"]), missing_customers="drop").report
    assert report.checks[0] == {"check": "customer_id", "rows": 1, "action": "dropped", "detail": "no customer id"}
    assert report.rows_used == 2


def test_row_checks_are_the_event_checks_with_sql():
    from retention_kit.engines import _sql  # noqa: F401 - engines read ROW_CHECKS from validation
    from retention_kit.validation import ROW_CHECKS, RowCheck

    assert ROW_CHECKS == tuple(c for c in checks.EVENT_CHECKS if c.sql is not None)
    assert RowCheck is checks.Check
    names = [c.name for c in ROW_CHECKS]
    assert names == ["null_ids", "null_dates", "bad_dates", "out_of_range", "nonfinite_amounts", "null_amounts",
                     "negative_amounts", "zero_amounts"]
    assert [c.name for c in ROW_CHECKS if c.amount] == names[4:]
    assert [c.name for c in ROW_CHECKS if not c.refuse] == ["zero_amounts"]


def test_engine_words_are_the_same_function():
    f = checks.Finding("null_ids", "user", 2, 10, engine=True, extra={"quoted": '"user"'})
    assert checks.null_ids_message(f) == ('Column \'user\' is empty in 2 of 10 rows. Events without a customer cannot '
                                          'be attributed: filter them out in the engine (WHERE "user" IS NOT NULL) or '
                                          'fill the ids.')


# -- pandas counts and SQL conditions agree ----------------------------------------------------------

AS_OF = pd.Timestamp("2024-03-01")
# Small frames per kind, in the checks' roles; parsed roles as an engine reads them (TRY_CAST of
# text; typed times as they are, here second-resolution times beyond what nanoseconds hold).
_FAR = np.array(["1500-01-01", "2024-01-02", "9999-12-31"], dtype="datetime64[s]")
SQL_FRAMES = {
    "events": [
        pd.DataFrame({"cust": ["a", None, "c", "d", "e", "f"],
                      "t_raw": ["2024-01-01", "2024-01-02", None, "01/02/2024", "2024-01-05", "2024-01-06"],
                      "amount": [1.0, np.nan, np.inf, -2.0, 0.0, 0.0]}),
        pd.DataFrame({"cust": ["a", "b", "c"], "t_raw": _FAR, "amount": [1.0, 2.0, -np.inf]}),
    ],
    "subscriptions": [
        pd.DataFrame({"cust": ["a", None, "c", "d", "e"],
                      "start_raw": ["2024-01-01", "2024-02-01", None, "2024-04-01", "garbage"],
                      "end_raw": ["2023-12-01", None, "2024-05-01", "2024-04-10", "sometime"]}),
        pd.DataFrame({"cust": ["a", "b", "c"], "start_raw": _FAR, "end_raw": _FAR[::-1]}),
    ],
    "assignments": [pd.DataFrame({"cust": ["a", None, "c", None], "arm": ["x", "y", None, "x"]})],
    "lifetimes": [
        pd.DataFrame({"duration": [1.0, -1.0, np.nan, np.inf, 4.0, 0.0],
                      "event": ["Yes", " no ", "maybe", None, "CHURNED", "1"],
                      "weight": [1.0, 0.5, -1.0, np.nan, 2.0, np.inf],
                      "group_key": ["x", None, "y", "y", None, "x"]}),
        pd.DataFrame({"duration": [3, 4], "event": [True, False], "weight": [1, 2], "group_key": [1, 2]}),
        pd.DataFrame({"duration": [3, 4, 5], "event": [1.0, 0.0, 2.0], "weight": [1, 2, 3], "group_key": [1, 2, 3]}),
    ],
}


def _parsed(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the parsed roles (``t``, ``start_t``, ``end_t``) as the pandas path reads them."""
    out = frame.copy()
    for raw, parsed in (("t_raw", "t"), ("start_raw", "start_t"), ("end_raw", "end_t")):
        if raw in out:
            typed = out[raw].dtype.kind == "M"
            out[parsed] = out[raw] if typed else pd.to_datetime(out[raw], format="ISO8601", errors="coerce")
    return out


def _sql_counts(kind: str, frame: pd.DataFrame) -> dict:
    con = duckdb.connect()
    con.register("raw", frame)
    casts = ", ".join(f"TRY_CAST({raw} AS TIMESTAMP) AS {parsed}"
                      for raw, parsed in (("t_raw", "t"), ("start_raw", "start_t"), ("end_raw", "end_t"))
                      if raw in frame)
    base = f"SELECT *{', ' + casts if casts else ''} FROM raw"
    fill = dict(us="epoch_us(t)", start_us="epoch_us(start_t)", end_us="epoch_us(end_t)",
                as_of=f"TIMESTAMP '{AS_OF:%Y-%m-%d %H:%M:%S}'")
    with_sql = [c for c in CHECKS[kind].values() if c.sql is not None]
    parts = ", ".join(f"SUM(CASE WHEN {c.sql.format(**fill)} THEN 1 ELSE 0 END) AS {c.name}" for c in with_sql)
    row = con.execute(f"WITH r AS ({base}) SELECT {parts} FROM r").fetchone()
    return {c.name: int(v or 0) for c, v in zip(with_sql, row)}


def _pandas_counts(kind: str, frame: pd.DataFrame) -> dict:
    cols = {name: frame[name] for name in frame.columns}
    cols["as_of"] = AS_OF
    return {c.name: int(np.asarray(c.count(cols), dtype=bool).sum())
            for c in CHECKS[kind].values() if c.sql is not None}


@pytest.mark.parametrize("kind", list(SQL_FRAMES))
def test_pandas_and_sql_count_the_same_rows(kind):
    total = {}
    for frame in SQL_FRAMES[kind]:
        sql = _sql_counts(kind, frame)
        assert sql == _pandas_counts(kind, _parsed(frame)), frame
        total = {k: total.get(k, 0) + v for k, v in sql.items()}
    assert all(v > 0 for v in total.values()), total  # every check with SQL is exercised


def test_the_engines_count_the_event_checks_with_the_declared_sql(tmp_path):
    """The engines' one validation query counts ROW_CHECKS: the same refusal as pandas."""
    path = tmp_path / "ev.csv"
    EV.assign(amount=[1.0, -2.0, 3.0]).to_csv(path, index=False)
    with pytest.raises(rk.DataError, match=r"Column 'amount' has 1 negative values"):
        rk.validate_events(str(path), amount_col="amount")
    with pytest.raises(rk.DataError, match=r"Column 'amount' has 1 negative values"):
        rk.check_events(EV.assign(amount=[1.0, -2.0, 3.0]), amount_col="amount")


# -- subscriptions: one validator, the same words through both doors --------------------------------

BAD_SUBS = {
    "end before start": SUBS.assign(end=["2023-12-01", None, "2024-03-15"]),
    "missing id": SUBS.assign(customer_id=["a", None, "c"]),
    "mixed ids": SUBS.assign(customer_id=pd.Series(["1", 2, "3"], dtype=object)),
    "missing start": SUBS.assign(start=["2024-01-01", None, "2024-03-01"]),
    "day-first start": SUBS.assign(start=["01/01/2024", "2024-02-01", "2024-03-01"]),
    "numeric start": SUBS.assign(start=[20240101, 20240201, 20240301]),
    "unreadable end": SUBS.assign(end=["2024-02-01", "someday", None]),
    "empty": SUBS.iloc[:0],
    "missing end column": SUBS.rename(columns={"end": "stop"}),
    "as_of before the data": SUBS,
}


@pytest.mark.parametrize("case", list(BAD_SUBS))
def test_subscription_tables_are_refused_in_the_same_words_by_both_doors(case):
    frame = BAD_SUBS[case]
    kw = {"as_of": "2020-01-01"} if case == "as_of before the data" else {}
    with pytest.raises((rk.DataError, rk.ParameterError)) as crr:
        rk.crr_table(frame, kind="subscriptions", **kw)
    with pytest.raises((rk.DataError, rk.ParameterError)) as life:
        rk.subscription_lifetimes(frame, customer_col="customer_id", **kw)
    assert type(crr.value) is type(life.value)
    assert str(crr.value) == str(life.value)


def test_subscriptions_ledger_is_the_same_through_both_doors():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        a = rk.crr_table(SUBS, kind="subscriptions", as_of="2024-02-15").data_quality
        b = rk.data_quality(rk.subscription_lifetimes(SUBS, customer_col="customer_id", as_of="2024-02-15"))
    assert a.checks == b.checks
    assert (a.rows_in, a.rows_used, a.as_of) == (b.rows_in, b.rows_used, b.as_of)


def test_repeated_customers_are_a_subscription_history_for_crr_and_refused_for_lifetimes():
    subs = SUBS.assign(customer_id=["a", "a", "c"])
    assert rk.crr_table(subs, kind="subscriptions").data_quality.rows_used == 3
    with pytest.raises(rk.DataError, match=r"'customer_id' repeats 1 customers"):
        rk.subscription_lifetimes(subs, customer_col="customer_id")


# -- assignments: compare reads them through validate_assignments --------------------------------------

ASSIGN_CASES = {
    "fine": ASSIGN,
    "categorical ids": ASSIGN.assign(customer_id=pd.Categorical(["a", "b", "c"], categories=list("abcz"))),
    "missing id": ASSIGN.assign(customer_id=["a", None, "c"]),
    "missing arm": ASSIGN.assign(arm=["control", None, "test"]),
    "mixed ids": ASSIGN.assign(customer_id=pd.Series([1, "2", 3], dtype=object)),
    "duplicates": ASSIGN.assign(customer_id=["a", "a", "c"]),
    "no time column": ASSIGN.drop(columns="date"),
    "no arm column": ASSIGN.drop(columns="arm"),
    "empty": ASSIGN.iloc[:0],
    "not a frame": [1, 2],
}


EVENTS = pd.DataFrame({"customer_id": ["a", "b", "c"], "date": pd.to_datetime(["2024-03-01"] * 3)})


@pytest.mark.parametrize("case", [c for c in ASSIGN_CASES if c not in ("fine", "categorical ids")])
def test_compare_refuses_assignments_in_the_declared_words(case):
    """compare_retention reads assignments through validate_assignments: the same refusal."""
    frame = ASSIGN_CASES[case]
    kw = dict(customer_col="customer_id", arm_col="arm", time_col="date")
    with pytest.raises(rk.DataError) as declared:
        validate_assignments(frame, **kw)
    with pytest.raises(rk.DataError) as compared:
        rk.compare_retention(frame, EVENTS, horizon=10, churn_after=30, **kw)
    assert str(compared.value) == str(declared.value)


@pytest.mark.parametrize("case", ["fine", "categorical ids"])
def test_validate_assignments_keeps_good_tables(case):
    out = validate_assignments(ASSIGN_CASES[case], customer_col="customer_id", arm_col="arm", time_col="date")
    assert list(out["customer_id"]) == ["a", "b", "c"] and out["customer_id"].dtype == object  # categories as values
    assert list(out.columns) == ["customer_id", "arm", "date"]


@pytest.mark.parametrize("case", ["missing id", "missing arm", "mixed ids", "duplicates"])
def test_assignment_fixes_run(case):
    df = ASSIGN_CASES[case].copy()
    kw = dict(customer_col="customer_id", arm_col="arm", time_col="date")
    with pytest.raises(rk.DataError) as info:
        validate_assignments(df, **kw)
    code = re.search(r"\b(df(?:\[[^\]]*\])? = [^:]*?)(?:\)(?: and|,)|, or| before|\.$)", str(info.value)).group(1)
    scope = {"df": df}
    exec(code, {"pd": pd, "np": np}, scope)  # noqa: S102 - the suggestion, taken literally
    validate_assignments(scope["df"], **kw)


# -- lifetimes: arrays take churn flags by the frames' rule --------------------------------------------

D = np.array([2.0, 3.0, 4.0, 5.0, 6.0])
E = np.array([1, 0, 1, 0, 0])


@pytest.mark.parametrize("flags", [
    ["Yes", "No", "yes", "no", "NO"],
    [True, False, True, False, False],
    np.array([1.0, 0.0, 1.0, 0.0, 0.0]),
    pd.Series(["churned", "active", "Churned", "active", "n"]),
    pd.Series(["Yes", "No", "Yes", "No", "No"], dtype="category"),
])
def test_rmst_arrays_read_yes_no_flags_by_the_frame_rule(flags):
    ref = rk.rmst(D, E, horizon=5)
    res = rk.rmst(D, flags, horizon=5)
    assert (res.value, res.std_error) == (ref.value, ref.std_error)
    frame = rk.rmst(pd.DataFrame({"duration": D, "churned": list(flags)}), horizon=5)
    assert frame.value == ref.value


def test_rmst_difference_arrays_read_yes_no_flags():
    yes_no = np.where(E == 1, "Yes", "No")
    a = rk.rmst_difference(D, yes_no, D + 1, yes_no, horizon=5)
    b = rk.rmst_difference(D, E, D + 1, E, horizon=5)
    pd.testing.assert_frame_equal(a.summary, b.summary)


@pytest.mark.parametrize("kw, pattern", [
    (dict(event_observed=["Yes", "maybe", "No", "no", "no"]),
     r"^event_observed must be True/False \(or 1/0\).*1 of 5 values are not \(for example 'maybe'\)"),
    (dict(event_observed=["Yes", None, "No", "no", "no"]), r"^event_observed must be True/False.*1 missing"),
    (dict(durations=[2.0, np.nan, 4.0, 5.0, 6.0]), r"^durations has 1 missing or negative values"),
    (dict(weights=[1, 1, 0.5, 1, 1]), r"^weights must hold whole, non-negative counts.*1 of 5 rows"),
])
def test_array_fixes_run(kw, pattern):
    args = dict(durations=D, event_observed=E, weights=None)
    args.update(kw)
    with pytest.raises(rk.DataError, match=pattern) as info:
        rk.rmst(args["durations"], args["event_observed"], weights=args["weights"], horizon=5)
    message = str(info.value)
    code = re.search(r"e\.g\. (.*?)(?:, then pass each array's \[keep\]|, or drop those rows)", message).group(1)
    scope = {k: (np.asarray(v) if k != "event_observed" and v is not None else v) for k, v in args.items()}
    exec(code, {"pd": pd, "np": np}, scope)  # noqa: S102 - the suggestion, taken literally
    if "keep" in scope:
        keep = np.asarray(scope["keep"])
        scope = {k: (None if v is None else np.asarray(v)[keep]) for k, v in scope.items() if k != "keep"}
    res = rk.rmst(scope["durations"], scope["event_observed"], weights=scope["weights"], horizon=5)
    assert np.isfinite(res.value)


def test_array_durations_fix_runs():
    durations = ["2", "x", "4", "5", "6"]
    with pytest.raises(rk.DataError, match=r"^durations must be numbers.*'x' is not \(1 of 5 values") as info:
        rk.rmst(durations, E, horizon=5)
    code = re.search(r"e\.g\. (.*?), and fix or drop", str(info.value)).group(1)
    scope = {"durations": durations}
    exec(code, {"pd": pd, "np": np}, scope)  # noqa: S102 - the suggestion, taken literally
    # the rows left missing are the next refusal, with its own fix
    with pytest.raises(rk.DataError, match=r"^durations has 1 missing or negative values"):
        rk.rmst(scope["durations"], E, horizon=5)


def test_engine_counts_give_the_declared_words():
    """An engine's counts (here DuckDB's, from the declared SQL) say the declared message."""
    frame = pd.DataFrame({"cust": ["a", "b"], "t_raw": ["2024-01-01", "2024-01-02"], "amount": [1.0, -3.0]})
    said = checks.refusal_from_counts(checks.ROW_CHECKS, _sql_counts("events", frame), names={"amount": "paid"},
                                      of=2, what="events")
    assert said.startswith("Column 'paid' has 1 negative values (refunds or returns?)")
    assert "WHERE paid >= 0" in said
    assert checks.refusal_from_counts(checks.ROW_CHECKS, {"zero_amounts": 5}, names={}, of=5, what="events") is None
