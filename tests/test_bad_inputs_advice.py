"""The bad-input matrix, part two (issue 13): lifetime-level functions, the A/B comparisons,
subscriptions, the ledger's headline counts, and the advice in messages -- every option a
message names exists on the function the user called, and every code suggestion runs and
fixes what it says it fixes.
"""

from __future__ import annotations

import inspect
import re
import warnings

import numpy as np
import pandas as pd
import pytest

import retention_kit as rk


def outcome(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rk.RetentionWarning)
            return "ok", fn()
    except (rk.DataError, rk.ParameterError) as error:
        return "error", error
    except Exception as error:  # noqa: BLE001 - the point of the matrix
        pytest.fail(f"raw {type(error).__module__}.{type(error).__name__} reached the user: {error}")


def refuses(fn, pattern):
    status, value = outcome(fn)
    assert status == "error", f"accepted without a word: {value!r:.200}"
    assert re.search(pattern, str(value), re.S), f"{pattern!r} not in: {value}"


LIFE = pd.DataFrame({"duration": [1.0, 5.0, 10.0, 3.0, 8.0, 2.0], "churned": [True, False, True, True, False, True],
                     "arm": list("aaabbb")})
D, E = LIFE["duration"].to_numpy(), LIFE["churned"].to_numpy()
COUNTS = pd.DataFrame({"n": [100, 100], "retained": [40, 50]}, index=pd.Index(["control", "treatment"], name="arm"))
EVENTS = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c", "d"],
                       "date": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-01-20", "2024-03-01", "2024-04-02",
                                               "2024-02-29"])})

# -- lifetimes: kaplan_meier, logrank, aggregate_lifetimes ----------------------------------------

LIFETIME_CASES = {
    "NaN duration": (LIFE.assign(duration=[np.nan, 5, 10, 3, 8, 2.0]), r"'duration' has 1 missing or negative"),
    "infinite duration": (LIFE.assign(duration=[np.inf, 5, 10, 3, 8, 2.0]), r"'duration' has 1 missing or negative"),
    "negative duration": (LIFE.assign(duration=[-1.0, 5, 10, 3, 8, 2.0]), r"'duration' has 1 missing or negative"),
    "churned is 2": (LIFE.assign(churned=[2, 0, 1, 1, 0, 1]), r"'churned' must be True/False \(or 1/0\)"),
    "churned is maybe": (LIFE.assign(churned=["yes", "maybe", "yes", "yes", "no", "yes"]), r"'churned' must be True/False"),
    "churned NaN": (LIFE.assign(churned=[np.nan, 0, 1, 1, 0, 1]), r"'churned' must be True/False"),
    "empty": (LIFE.iloc[:0], r"empty \(0 rows\)"),
    "duplicate labels": (LIFE.set_axis(["duration", "duration", "arm"], axis=1), r"'duration' appears more than once"),
    "MultiIndex labels": (LIFE.set_axis(pd.MultiIndex.from_product([["x"], LIFE.columns]), axis=1), r"MultiIndex"),
    "missing duration column": (LIFE.rename(columns={"duration": "days"}), r"'duration'.*not found"),
    "missing group": (LIFE.assign(arm=["a", None, "a", "b", "b", "b"]), r"\['arm'\] \(by\) are missing in 1 rows"),
}
FITTERS = {
    "kaplan_meier": lambda life: rk.kaplan_meier(life).summary,
    "kaplan_meier by": lambda life: rk.kaplan_meier(life, by="arm").summary,
    "logrank": lambda life: rk.logrank(life, by="arm").summary,
    "aggregate_lifetimes": lambda life: rk.aggregate_lifetimes(life, by="arm"),
}
def _lifetime_params():
    for case, (frame, pattern) in LIFETIME_CASES.items():
        for name in FITTERS:
            if case == "missing group" and name in ("kaplan_meier", "aggregate_lifetimes"):
                continue  # no groups asked for / a missing group is a group of its own there
            yield pytest.param(name, frame, pattern, id=f"{case}-{name}")


@pytest.mark.parametrize("name, frame, pattern", list(_lifetime_params()))
def test_lifetime_tables(name, frame, pattern):
    refuses(lambda: FITTERS[name](frame), pattern)


@pytest.mark.parametrize("count_col", [
    "duration", "churned",
])
def test_aggregate_count_col_clashing_with_an_output_column(count_col):
    refuses(lambda: rk.aggregate_lifetimes(LIFE, count_col=count_col), rf"count_col={count_col!r}")


@pytest.mark.parametrize("count_col", [
    "duration", "churned",
])
def test_survival_table_count_col_clashing_with_an_output_column(count_col):
    refuses(lambda: rk.survival_table(EVENTS, churn_after=30, count_col=count_col), rf"count_col={count_col!r}")


@pytest.mark.parametrize("weights, pattern", [
    (-1.0, r"'w' \(weights_col\) must hold whole, non-negative counts"),
    (np.inf, r"'w' \(weights_col\) must hold whole, non-negative counts"),
    (0.5, r"'w' \(weights_col\) must hold whole, non-negative counts"),
    (True, r"'w' \(weights_col\) must hold whole"),
])
def test_kaplan_meier_weights(weights, pattern):
    refuses(lambda: rk.kaplan_meier(LIFE.assign(w=weights), weights_col="w"), pattern)


# -- rmst --------------------------------------------------------------------------------------------

RMST_CASES = {
    "t=inf": (dict(t=np.inf), r"horizon=inf must be a positive horizon"),
    "t=NaN": (dict(t=np.nan), r"horizon=nan must be a positive horizon"),
    "t=0": (dict(t=0), r"horizon=0 must be a positive horizon"),
    "t=-1": (dict(t=-1), r"horizon=-1 must be a positive horizon"),
    "t=None": (dict(t=None), r"horizon=None must be a number"),
    "t=True": (dict(t=True), r"horizon=True"),
    "NaN duration": (dict(durations=np.r_[np.nan, D[1:]]), r"durations has 1 missing or negative"),
    "infinite duration": (dict(durations=np.r_[np.inf, D[1:]]), r"durations has 1 missing or negative"),
    "text durations": (dict(durations=["a"] * 6), r"durations"),
    "event 2": (dict(event_observed=np.r_[2, E[1:]]), r"event_observed must be True/False"),
    "lengths differ": (dict(event_observed=E[:3]), r"same length"),
    "empty": (dict(durations=[], event_observed=[]), r"durations is empty"),
    "negative weights": (dict(weights=-np.ones(6)), r"weights must hold whole, non-negative counts"),
    "alpha 2": (dict(alpha=2), r"alpha=2 must be a probability strictly between 0 and 1"),
}


def _rmst_params():
    for case, (kw, pattern) in RMST_CASES.items():
        yield pytest.param(kw, pattern, id=f"rmst-{case}")


@pytest.mark.parametrize("kw, pattern", list(_rmst_params()))
def test_rmst(kw, pattern):
    args = dict(durations=D, event_observed=E, t=5)
    args.update(kw)
    refuses(lambda: rk.rmst(args.pop("durations"), args.pop("event_observed"), horizon=args.pop("t"), **args), pattern)


@pytest.mark.parametrize("t, pattern", [(np.inf, r"horizon=inf"), (np.nan, r"horizon=nan"), (-3, r"horizon=-3"),
                                        (True, r"horizon=True")])
def test_rmst_difference_horizon(t, pattern):
    refuses(lambda: rk.rmst_difference(D, E, D, E, horizon=t), pattern)


# -- counts: compare_retention_counts, sample_size ---------------------------------------------------

COUNT_CASES = {
    "n=inf": (COUNTS.assign(n=[np.inf, 100]), r"n of arm 'control'", None),
    "retained=inf": (COUNTS.assign(retained=[np.inf, 50]), r"retained of arm 'control'", None),
    "n=NaN": (COUNTS.assign(n=[np.nan, 100]), r"n of arm 'control' is nan", None),
    "n negative": (COUNTS.assign(n=[-5, 100]), r"n of arm 'control' is -5", None),
    "n fractional": (COUNTS.assign(n=[100.5, 100]), r"n of arm 'control' is 100.5", None),
    "retained > n": (COUNTS.assign(retained=[140, 50]), r"retained=140 > n=100", None),
    "retained negative": (COUNTS.assign(retained=[-1, 50]), r"retained of arm 'control' is -1", None),
    "n booleans": (COUNTS.assign(n=[True, True]), r"n of arm 'control'.*True", None),
    "retained booleans": (COUNTS.assign(retained=[True, False]), r"retained of arm 'control'", None),
    "n beyond int64": (COUNTS.assign(n=[10**20, 100]), r"n of arm 'control'", None),
    "one arm": (COUNTS.iloc[:1], r"Only one arm \('control'\)", None),
    "missing column": (COUNTS.drop(columns="retained"), r"missing the column\(s\) \['retained'\]", None),
    "no control arm": (COUNTS.set_axis(["ctrl", "treatment"]), r"control='control' is not one of the arms.*'ctrl'", None),
    "dict of 3-tuples": ({"control": (100, 40, 1), "treatment": (100, 50)}, r"give \(n, retained\)", None),
    "dict with inf": ({"control": (np.inf, 40), "treatment": (100, 50)}, r"n of arm 'control'", None),
}


@pytest.mark.parametrize("counts, pattern", [
    pytest.param(c, p, id=k, marks=(m,) if m else ()) for k, (c, p, m) in COUNT_CASES.items()])
def test_compare_retention_counts(counts, pattern):
    refuses(lambda: rk.compare_retention_counts(counts), pattern)


@pytest.mark.parametrize("kw, pattern", [
    (dict(alpha=1.5), r"alpha=1.5 must be a probability"),
    (dict(alpha=np.nan), r"alpha=nan"),
    (dict(ci_method="wald2"), r"ci_method='wald2' is not an option. Did you mean 'wald'"),
    (dict(correction="bonf"), r"correction='bonf'.*Did you mean 'bonferroni'"),
    (dict(looks=np.inf, planned_n=200), r"looks=inf must be a whole number"),
    (dict(prior=(0, -1)), r"prior=\(0, -1\)"),
    (dict(primary="rmst"), r"primary='rmst' needs the survival curves"),
    (dict(planned_n=np.inf), r"planned_n=inf"),
    (dict(planned_n=True), r"planned_n=True"),
])
def test_compare_retention_counts_options(kw, pattern):
    refuses(lambda: rk.compare_retention_counts(COUNTS, **kw), pattern)


@pytest.mark.parametrize("kw, pattern", [
    (dict(baseline=0, mde=0.05), r"baseline=0 must be the control arm's retention rate"),
    (dict(baseline=1, mde=0.05), r"baseline=1"),
    (dict(baseline=np.nan, mde=0.05), r"baseline=nan"),
    (dict(baseline="0.4", mde=0.05), r"baseline='0.4'"),
    (dict(baseline=True, mde=0.05), r"baseline=True"),
    (dict(baseline=0.4, mde=0), r"mde=0 must be a non-zero"),
    (dict(baseline=0.4, mde=np.inf), r"mde=inf"),
    (dict(baseline=0.4, mde=0.7), r"baseline \+ mde = 0.4 \+ 0.7 = 1.1"),
    (dict(baseline=0.4, mde=0.05, alpha=1.5), r"alpha=1.5"),
    (dict(baseline=0.4, mde=0.05, power=1), r"power=1"),
    (dict(baseline=0.4, mde=0.05, power=True), r"power=True"),
    (dict(baseline=0.4, mde=0.05, ratio=0), r"ratio=0 must be a positive number"),
    (dict(baseline=0.4, mde=0.05, ratio=np.inf), r"ratio=inf"),
    (dict(baseline=0.4, mde=0.05, ratio=True), r"ratio=True"),
    (dict(baseline=0.4, mde=True), r"mde=True"),
])
def test_sample_size(kw, pattern):
    refuses(lambda: rk.sample_size(**kw), pattern)


# -- compare_retention: assignments and events ------------------------------------------------------


@pytest.fixture(scope="module")
def shop():
    return rk.load_coffee_shop()


@pytest.mark.parametrize("kw, pattern", [
    (dict(horizon=np.nan), r"horizon=nan is not a finite length"),
    (dict(horizon=np.inf), r"horizon=inf is not a finite length"),
    (dict(horizon=1e12), r"horizon=1000000000000.0 days is longer than a century"),
    (dict(horizon=True), r"horizon=True"),
    (dict(churn_after=np.inf), r"churn_after=inf"),
    (dict(churn_after="1M"), r"churn_after='1M': months and years"),
    (dict(control="ctrl"), r"control='ctrl' is not one of the arms.*Did you mean 'control'"),
    (dict(as_of=""), r"as_of='' is empty"),
    (dict(as_of=np.nan), r"as_of=nan is a number"),
    (dict(as_of=pd.NaT), r"as_of=NaT is missing"),
    (dict(time_col="when"), r"Column 'when' \(time_col\) not found in assignments"),
    (dict(arm_col="group"), r"Column 'group' \(arm_col\) not found"),
])
def test_compare_retention_options(shop, kw, pattern):
    refuses(lambda: rk.compare_retention(shop.assignments, shop.transactions, **{"churn_after": "30D", **kw}), pattern)


def test_compare_retention_day_first_assignment_dates_name_the_column(shop):
    a = shop.assignments.assign(date=shop.assignments["date"].dt.strftime("%d/%m/%Y"))
    refuses(lambda: rk.compare_retention(a, shop.transactions, churn_after="30D"), r"not in ISO format")


def test_compare_retention_dates_message_names_the_assignments_column(shop):
    a = shop.assignments.assign(date=shop.assignments["date"].dt.strftime("%d/%m/%Y"))
    refuses(lambda: rk.compare_retention(a, shop.transactions, churn_after="30D"), r"Column 'date'")


def test_compare_retention_mixed_id_types_are_refused(shop):
    # Integer ids in both tables, then half of the assignments' ids written as text.
    codes = {c: i for i, c in enumerate(shop.assignments["customer_id"])}
    a = shop.assignments.assign(customer_id=shop.assignments["customer_id"].map(codes).astype(object))
    a["customer_id"] = a["customer_id"].where(a.index % 2 == 0, a["customer_id"].astype(str))
    ev = shop.transactions.assign(customer_id=shop.transactions["customer_id"].map(codes))
    assert {type(v) for v in a["customer_id"]} == {int, str}
    refuses(lambda: rk.compare_retention(a, ev, churn_after="30D"), r"mixes text and numbers")


# -- subscriptions ---------------------------------------------------------------------------------

SUBS = pd.DataFrame({"customer_id": ["a", "b", "c"], "start": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
                     "end": pd.to_datetime(["2024-02-01", None, "2024-03-15"])})


@pytest.mark.parametrize("frame, kw, pattern", [
    (SUBS.assign(end=pd.to_datetime(["2023-12-01", None, "2024-03-15"])), {}, r"'end' is before 'start' in 1 rows"),
    (SUBS.assign(start=["01/01/2024", "01/02/2024", "01/03/2024"]), {}, r"'start': 3 of 3 dates are not in ISO format"),
    (SUBS.assign(start=[pd.NaT, SUBS["start"][1], SUBS["start"][2]]), {}, r"'start' has 1 missing dates"),
    (SUBS.assign(start=[20240101, 20240201, 20240301]), {}, r"'start' holds numbers, not dates"),
    (SUBS.assign(customer_id=["a", "a", "c"]), {}, r"'customer_id' repeats 1 customers"),
    (SUBS.set_axis(["customer_id", "start", "start"], axis=1), {}, r"'start' appears more than once"),
    (SUBS, dict(as_of=""), r"as_of='' is empty"),
    (SUBS, dict(as_of=np.nan), r"as_of=nan is a number"),
    (SUBS, dict(end_col="stop"), r"Column 'stop' \(end_col\) not found"),
], ids=["end before start", "day-first", "missing start", "numeric start", "repeated ids", "duplicate labels",
        "as_of empty", "as_of NaN", "missing end column"])
def test_subscription_lifetimes(frame, kw, pattern):
    refuses(lambda: rk.subscription_lifetimes(frame, customer_col="customer_id", **kw), pattern)


def test_subscriptions_with_time_zones_follow_the_utc_rule():
    aware = SUBS.assign(start=SUBS["start"].dt.tz_localize("Europe/Berlin"), end=SUBS["end"].dt.tz_localize("Europe/Berlin"))
    ours = rk.subscription_lifetimes(aware, customer_col="customer_id")
    assert ours["start"].iloc[0] == pd.Timestamp("2023-12-31 23:00")  # midnight in Berlin is 23:00 UTC


def test_subscriptions_categorical_ids_make_no_phantom_customer():
    subs = SUBS.assign(customer_id=pd.Categorical(SUBS["customer_id"], categories=["a", "b", "c", "zz"]))
    assert sorted(map(str, rk.subscription_lifetimes(subs, customer_col="customer_id")["customer_id"])) == ["a", "b", "c"]


# -- cohort_col: the date policy applies to it too --------------------------------------------------

@pytest.mark.parametrize("values, pattern", [
    pytest.param(["01/02/2024"] * 6, r"'acq'.*not in ISO format", id="day-first"),
    pytest.param([1704067200] * 6, r"'acq' holds numbers, not dates", id="epoch seconds"),
])
def test_cohort_col_dates(values, pattern):
    refuses(lambda: rk.cohort_table(EVENTS.assign(acq=values), cohort_col="acq"), pattern)


# -- the ledger: every row dropped anywhere is in the headline counts -------------------------------

@pytest.mark.parametrize("kind", ["pandas", pytest.param("parquet", marks=pytest.mark.filterwarnings("ignore"))])
def test_rows_dropped_after_validation_are_in_the_headline(kind, tmp_path):
    starts = pd.DataFrame({"customer_id": ["a", "b"], "date": pd.to_datetime(["2024-01-10", "2024-01-01"])})
    data = EVENTS
    if kind == "parquet":
        data = str(tmp_path / "events.parquet")
        EVENTS.to_parquet(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        out = rk.customer_lifetimes(data, churn_after=30, start_times=starts)
    report = out.attrs["data_quality"]
    dropped = sum(c["rows"] for c in report.checks if c["action"] == "dropped")
    assert dropped == 4  # c and d have no start (3 rows); a's event of 5 January is before its start (1 row)
    assert report.rows_dropped == dropped


def test_rows_dropped_by_validation_are_in_the_headline():
    log = rk.check_events(EVENTS, as_of="2024-02-29")
    assert log.rows_dropped == 2 == sum(c["rows"] for c in log.checks if c["action"] == "dropped")


# -- advice: the options a message names exist, and its code runs ----------------------------------

BAD = pd.DataFrame({"customer_id": ["a", "b", None], "date": ["05/01/2024", "06/01/2024", "07/01/2024"],
                    "amount": [1.0, 2.0, 3.0]})
ADVICE_CASES = {
    # name: (function, frame, keywords)
    "day-first dates": (rk.cohort_table, BAD.assign(customer_id=["a", "b", "c"]), {}),
    "missing ids": (rk.cohort_table, BAD.assign(date=["2024-01-05", "2024-01-06", "2024-01-07"]), {}),
    "missing dates": (rk.crr_table, BAD.assign(customer_id=["a", "b", "c"], date=["2024-01-05", None, "2024-01-07"]), {}),
    "numeric dates": (rk.customer_lifetimes, BAD.assign(customer_id=["a", "b", "c"], date=[19970101, 19970102, 19970103]),
                      dict(churn_after=30)),
    "duplicate labels": (rk.survival_table, BAD.assign(customer_id=["a", "b", "c"], date=["2024-01-05"] * 3)
                         .set_axis(["customer_id", "date", "date"], axis=1), dict(churn_after=30)),
    "MultiIndex": (rk.check_events, BAD.assign(customer_id=["a", "b", "c"], date=["2024-01-05"] * 3)
                   .set_axis(pd.MultiIndex.from_product([["x"], ["customer_id", "date", "amount"]]), axis=1), {}),
    "mixed ids": (rk.purchase_gaps, BAD.assign(customer_id=pd.Series(["1", 1, "2"], dtype=object),
                                               date=["2024-01-05", "2024-01-06", "2024-01-07"]), {}),
    "infinite amount": (rk.crr_table, BAD.assign(customer_id=["a", "b", "c"], date=["2024-01-05"] * 3,
                                                 amount=[1.0, np.inf, 2.0]), dict(amount_col="amount")),
    "out of range": (rk.cohort_table, BAD.assign(customer_id=["a", "b", "c"], date=np.array(
        ["1500-01-01", "2024-01-02", "2024-01-03"], dtype="datetime64[s]")), {}),
    "currency": (rk.cohort_table, BAD.assign(customer_id=["a", "b", "c"], date=["2024-01-05"] * 3,
                                             amount=["$1", "$2,000", "3"]), dict(metric="revenue", amount_col="amount")),
    "misspelled column": (rk.cohort_table, BAD.assign(customer_id=["a", "b", "c"], date=["2024-01-05"] * 3)
                          .rename(columns={"date": "Date"}), {}),
    "semicolon": (rk.cohort_table, pd.DataFrame({"customer_id;date": ["a;2024-01-05", "b;2024-01-06"]}), {}),
    "period dates": (rk.cohort_table, BAD.assign(customer_id=["a", "b", "c"],
                                                 date=pd.period_range("2024-01-05", periods=3, freq="D")), {}),
    "missing segment column": (rk.survival_table, BAD.assign(customer_id=["a", "b", "c"], date=["2024-01-05"] * 3),
                               dict(churn_after=30, by="segment")),
    # The declared checks' fixes (retention_kit.checks): amounts, subscriptions, lifetimes.
    "missing amounts": (rk.crr_table, BAD.assign(customer_id=["a", "b", "c"], date=["2024-01-05"] * 3,
                                                 amount=[1.0, np.nan, 2.0]), dict(amount_col="amount")),
    "negative amounts": (rk.crr_table, BAD.assign(customer_id=["a", "b", "c"], date=["2024-01-05"] * 3,
                                                  amount=[1.0, -2.0, 2.0]), dict(amount_col="amount")),
    "subscription end before start": (rk.crr_table, SUBS.assign(end=["2023-12-01", None, "2024-03-15"]),
                                      dict(kind="subscriptions")),
    "subscription without id": (rk.crr_table, SUBS.assign(customer_id=["a", None, "c"]), dict(kind="subscriptions")),
    "lifetime end before start": (rk.subscription_lifetimes, SUBS.assign(end=["2023-12-01", None, "2024-03-15"]),
                                  dict(customer_col="customer_id")),
    "repeated spells": (rk.subscription_lifetimes, SUBS.assign(customer_id=["a", "a", "c"]),
                        dict(customer_col="customer_id")),
    "bad durations": (rk.kaplan_meier, LIFE.assign(duration=[np.nan, 5, 10, 3, 8, -2.0]), {}),
    "bad churn flags": (rk.kaplan_meier, LIFE.assign(churned=["yes", "maybe", "yes", "yes", "no", "yes"]), {}),
    "missing churn flags": (rk.kaplan_meier, LIFE.assign(churned=["yes", None, "yes", "yes", "no", "yes"]), {}),
    "bad weights": (rk.kaplan_meier, LIFE.assign(w=[1, 0.5, 1, -1, 1, 1]), dict(weights_col="w")),
    "missing groups": (rk.logrank, LIFE.assign(arm=["a", None, "a", "b", "b", "b"]), dict(by="arm")),
    "text durations": (rk.kaplan_meier, LIFE.assign(duration=["1", "five", "10", "3", "8", "2"]), {}),
}

# Statements a message suggests start with "df = ", "df[...] = " or "df.columns = "; they run
# to the end of the bracketed expression. "Pass x=..." names an option.
START = re.compile(r"\bdf(?:\.columns|\[[^\]]*\])? = ")
OPTION = re.compile(r"\b[Pp]ass (\w+)=")


def suggestions(message: str) -> list[str]:
    """The statements in a message, each cut where its brackets close and the prose resumes."""
    out = []
    for match in START.finditer(message):
        depth, quote, i = 0, None, match.end()
        while i < len(message):
            ch = message[i]
            if quote:
                quote = None if ch == quote else quote
            elif ch in "'\"":
                quote = ch
            elif ch in "([{":
                depth += 1
            elif ch in ")]}":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and (message.startswith((", ", "; ", " or ", ". "), i) or message[i:] == "."):
                break
            i += 1
        out.append(message[match.start():i])
    return out


def advice(case):
    fn, frame, kw = ADVICE_CASES[case]
    status, error = outcome(lambda: fn(frame, **kw))
    assert status == "error", case
    return fn, frame, kw, str(error)


@pytest.mark.parametrize("case", list(ADVICE_CASES))
def test_options_a_message_names_exist_on_the_function(case):
    fn, _, _, message = advice(case)
    for option in OPTION.findall(message):
        assert option in inspect.signature(fn).parameters, f"{option}= is not an option of {fn.__name__}: {message}"
    for phrase in ("missing_customers=", "duplicates=", "'<your column>'"):
        assert phrase not in message, message


@pytest.mark.parametrize("case", [c for c in ADVICE_CASES
                                  if c not in ("misspelled column", "semicolon", "missing segment column")])
def test_code_a_message_suggests_runs_and_fixes_the_problem(case):
    fn, frame, kw, message = advice(case)
    snippets = suggestions(message)
    assert snippets, f"no runnable suggestion in: {message}"
    df = frame.copy()
    for code in snippets[:1]:  # the first suggestion is the main fix
        exec(code, {"pd": pd, "np": np}, scope := {"df": df})  # noqa: S102 - the point of the test
        df = scope["df"]
    status, value = outcome(lambda: fn(df, **kw))
    if status == "error":  # the problem is gone; another may remain, but not the same one
        assert re.split(r"[.:] ", str(value))[0] != re.split(r"[.:] ", message)[0], (code, str(value))


def test_misspelled_column_advice_runs():
    fn, frame, kw, message = advice("misspelled column")
    option, value = re.search(r"Pass (\w+)=('[^']+')", message).groups()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)  # the data's caveats, not the advice's
        fn(frame, **kw, **{option: eval(value)})  # noqa: S307 - the suggestion, taken literally


def test_semicolon_advice_runs(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("customer_id;date\na;2024-01-05\nb;2024-01-06\n")
    fn, _, kw, message = advice("semicolon")
    call = re.search(r"(pd.read_csv\(path, sep='.'\))", message).group(1)
    df = eval(call, {"pd": pd, "path": path})  # noqa: S307
    assert fn(df, first_cohort="keep").sizes.sum() == 2


def test_csv_id_advice_runs(tmp_path):
    import duckdb

    ids = [str(100 + i) for i in range(30_000)] + ["00017"]
    path = tmp_path / "ids.csv"
    path.write_text("customer_id,date\n" + "".join(f"{i},2024-01-{1 + n % 28:02d}\n" for n, i in enumerate(ids)))
    status, error = outcome(lambda: rk.cohort_table(str(path)))
    assert status == "error"
    call = re.search(r"pass (duckdb.read_csv\(path, dtype=\{[^}]+\}\))", str(error)).group(1)
    relation = eval(call, {"duckdb": duckdb, "path": str(path)})  # noqa: S307
    assert rk.cohort_table(relation, first_cohort="keep").sizes.sum() == 30_001
