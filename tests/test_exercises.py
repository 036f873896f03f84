"""The exercise checkers: the right answer passes, each anticipated mistake gets its hint.

The right answers are also recomputed here by hand (pandas, lifelines) for the exercises
whose arithmetic is short, so a checker that computed the wrong thing would fail.
"""

import re

import numpy as np
import pandas as pd
import pytest

import retention_kit as rk
from retention_kit import exercises
from retention_kit.exercises import check, list_exercises

EXERCISES = exercises._EXERCISES
MISTAKES = [(e.id, m.key) for e in EXERCISES for m in e.mistakes]


def _solution(exercise_id):
    return exercises._BY_ID[exercise_id].solve()


# -- structure --------------------------------------------------------------------------

def test_every_main_notebook_has_two_or_three_exercises_each_with_anticipated_mistakes():
    per_notebook = list_exercises().groupby("notebook").size()
    assert list(per_notebook.index) == ["01_customer_retention_rate", "02_cohort_analysis",
                                        "03_survival_churn", "04_ab_test_retention",
                                        "06_customer_lifetime_value"]
    assert per_notebook.between(2, 3).all()
    assert all(len(e.mistakes) >= 2 for e in EXERCISES)


def test_list_exercises_filters_by_notebook_number_and_refuses_an_unknown_one():
    assert list(list_exercises("03")["id"]) == ["survival-1", "survival-2", "survival-3"]
    assert list(list_exercises("04_ab_test_retention")["id"]) == ["ab-1", "ab-2", "ab-3"]
    with pytest.raises(rk.ParameterError, match=r"notebook='05' has no exercises"):
        list_exercises("05")


# -- right answers ----------------------------------------------------------------------

@pytest.mark.parametrize("exercise_id", [e.id for e in EXERCISES])
def test_the_right_answer_passes_also_rounded_as_the_question_asks(exercise_id):
    ex = exercises._BY_ID[exercise_id]
    right = _solution(exercise_id).right
    decimals = {"fraction": 3, "days": 1, "customers": 0}[ex.unit]
    for answer in (right, round(right, decimals)):
        result = check(exercise_id, answer)
        assert result.correct and result.status == "right", result
        assert result.message.startswith("Right.")


@pytest.mark.parametrize("exercise_id", [e.id for e in EXERCISES if e.unit == "fraction"])
def test_rates_are_accepted_as_percentages_too(exercise_id):
    right = _solution(exercise_id).right
    assert check(exercise_id, round(100 * right, 1)).correct
    assert check(exercise_id, f"{100 * right:.1f}%").correct


@pytest.mark.parametrize("exercise_id", [e.id for e in EXERCISES])
def test_a_clearly_wrong_answer_is_not_yet_with_the_general_hint(exercise_id):
    ex = exercises._BY_ID[exercise_id]
    right = _solution(exercise_id).right
    wrong = right + 0.3 if ex.unit == "fraction" else right * 1.5 + 7
    result = check(exercise_id, wrong)
    assert not result.correct and result.status == "not yet"
    assert ex.hint in result.message


# -- anticipated mistakes -----------------------------------------------------------------

@pytest.mark.parametrize(("exercise_id", "key"), MISTAKES)
def test_each_anticipated_mistake_gets_its_hint(exercise_id, key):
    ex = exercises._BY_ID[exercise_id]
    sol = _solution(exercise_id)
    hint = next(m.hint for m in ex.mistakes if m.key == key)
    for wrong in np.atleast_1d(sol.wrong[key]):
        # The mistake must be told apart from the right answer, beyond the tolerance.
        assert abs(wrong - sol.right) > 2 * ex.allowed_error(sol.right)
        result = check(exercise_id, float(wrong))
        assert (result.correct, result.status, result.message) == (False, "hint", hint)


def test_a_mistake_given_as_a_percentage_still_gets_its_hint():
    # E / S for March 1997 is 9,524 / 9,633 = 98.9 %.
    assert check("crr-1", 98.9).message.startswith("That is E / S")


# -- independent references ---------------------------------------------------------------

def test_crr_1_matches_hand_counts_from_the_raw_cdnow_log():
    cdnow = rk.load_cdnow()
    month = cdnow["date"].dt.to_period("M")
    first = cdnow.groupby("customer_id")["date"].transform("min").dt.to_period("M")
    feb = set(cdnow.loc[month == pd.Period("1997-02", "M"), "customer_id"])  # S: February's buyers
    mar = set(cdnow.loc[month == pd.Period("1997-03", "M"), "customer_id"])  # E: March's buyers
    new = set(cdnow.loc[first == pd.Period("1997-03", "M"), "customer_id"])  # N
    expected = (len(mar) - len(new)) / len(feb)
    assert _solution("crr-1").right == pytest.approx(expected, abs=1e-12)
    assert _solution("crr-1").wrong["no_new"] == pytest.approx(len(mar) / len(feb), abs=1e-12)


def test_cohorts_1_matches_hand_counts_from_the_raw_cdnow_log():
    cdnow = rk.load_cdnow()
    first = cdnow.groupby("customer_id")["date"].min()
    january = set(first[first.dt.to_period("M") == pd.Period("1997-01", "M")].index)
    february = set(cdnow.loc[cdnow["date"].dt.to_period("M") == pd.Period("1997-02", "M"), "customer_id"])
    expected = len(january & february) / len(january)  # 1,157 / 7,846 in the example
    assert _solution("cohorts-1").right == pytest.approx(expected, abs=1e-12)


def test_survival_answers_match_lifelines_on_the_same_lifetimes():
    from lifelines import KaplanMeierFitter

    life = exercises._shop_lifetimes()
    kmf = KaplanMeierFitter().fit(life["duration"], life["churned"])
    assert _solution("survival-1").right == pytest.approx(float(kmf.predict(60)), abs=1e-12)
    assert _solution("survival-2").right == pytest.approx(kmf.median_survival_time_, abs=1e-9)
    from lifelines.utils import restricted_mean_survival_time

    assert _solution("survival-3").right == pytest.approx(restricted_mean_survival_time(kmf, t=90), rel=1e-9)


def test_ab_1_counts_only_mature_customers_by_hand():
    shop = rk.load_coffee_shop()
    # The as-of instant the kit resolves "2024-06-30" to (the as-of day counts as observed).
    with pytest.warns(rk.RetentionWarning):  # immature customers; customers assigned later
        as_of = exercises._compare("2024-06-30").as_of
    assert as_of.normalize() == pd.Timestamp("2024-06-30")
    loyal = shop.assignments[shop.assignments["arm"] == "loyalty"].set_index("customer_id")["date"]
    mature = loyal[loyal + pd.Timedelta(days=60) <= as_of]  # horizon 30 + window (= churn_after) 30
    tx = shop.transactions
    tx = tx[tx["customer_id"].isin(mature.index) & (tx["date"] <= as_of)]
    # Retained at day 30: some purchase in (assignment + 30 days, assignment + 60 days].
    start = tx["customer_id"].map(mature)
    inside = (tx["date"] > start + pd.Timedelta(days=30)) & (tx["date"] <= start + pd.Timedelta(days=60))
    expected = tx.loc[inside, "customer_id"].nunique() / len(mature)  # 513 / 749 (open end: 539 / 749)
    assert _solution("ab-1").right == pytest.approx(expected, abs=1e-12)


def test_ab_3_matches_statsmodels_sample_size_for_two_proportions():
    from statsmodels.stats.proportion import samplesize_proportions_2indep_onetail

    base = exercises._planning_baseline()
    expected = samplesize_proportions_2indep_onetail(0.05, base, 0.8, alpha=0.05, alternative="two-sided")
    assert _solution("ab-3").right == np.ceil(expected)


# -- input handling -----------------------------------------------------------------------

def test_none_asks_for_an_answer_without_raising():
    result = check("cohorts-1", None)
    assert (result.correct, result.status) == (False, "no answer")
    assert "Write your answer first" in repr(result)
    assert "write your answer first" in result._repr_html_()


@pytest.mark.parametrize(("answer", "match"), [
    ("fourteen", r"'fourteen' is not a number"),
    (True, r"True is not a number"),
    (pd.Series([0.1, 0.2]), r"holds 2 values \(Series\)"),
    (float("nan"), r"Your answer is nan"),
])
def test_unreadable_answers_say_why(answer, match):
    result = check("cohorts-1", answer)
    assert (result.correct, result.status) == (False, "unreadable")
    assert re.search(match, result.message)


def test_a_single_value_series_or_numpy_scalar_is_read():
    right = _solution("cohorts-1").right
    assert check("cohorts-1", pd.Series([right])).correct
    assert check("cohorts-1", np.float64(right)).correct
    assert check("ab-3", f"{_solution('ab-3').right:,.0f}").correct  # "1,342": separators are read


def test_an_unknown_exercise_raises_with_the_closest_id():
    with pytest.raises(rk.ParameterError, match=r"exercise_id='cohort-1' is not an exercise\. Did you mean 'cohorts-1'\?"):
        check("cohort-1", 0.1)


def test_results_read_well_as_text_and_html():
    result = check("crr-1", _solution("crr-1").right)
    assert repr(result).splitlines()[0] == "✓ crr-1: right"
    html = result._repr_html_()
    assert "retention-kit" in html and "CRR = (E - N) / S" in html
