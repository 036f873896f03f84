"""The private steps of cohort_table (issue 14: one function per step) and where its warnings point."""

import warnings

import numpy as np
import pandas as pd
import pytest

import retention_kit as rk
from retention_kit.cohorts.counts import cohort_rows, count_up_to_last_activity, count_within_look_ahead


def _pairs(rng, n_customers=40, n_offsets=12):
    """Distinct (customer, offset) pairs sorted by customer then offset, with a cohort per customer."""
    cust, offset = [], []
    for c in range(n_customers):
        active = np.flatnonzero(rng.uniform(size=n_offsets) < 0.3)
        cust += [c] * len(active)
        offset += list(active)
    cohort_of = rng.integers(100, 104, n_customers)
    cust, offset = np.array(cust, np.int64), np.array(offset, np.int64)
    return cust, offset, cohort_of


@pytest.mark.parametrize("look_ahead", [0, 1, 3])
def test_look_ahead_counts_match_a_loop_over_customers(look_ahead):
    rng = np.random.default_rng(look_ahead)
    cust, offset, cohort_of = _pairs(rng)
    cohorts = np.unique(cohort_of)
    n_cols = 10  # fewer columns than offsets: activity past the table still counts
    got = count_within_look_ahead(cohorts, cohort_of[cust], offset, cust, n_cols, look_ahead)
    expected = np.zeros((len(cohorts), n_cols))
    for c in np.unique(cust):
        mine = set(offset[cust == c])
        row = np.searchsorted(cohorts, cohort_of[c])
        for k in range(n_cols):
            expected[row, k] += any(k <= o <= k + look_ahead for o in mine)
    np.testing.assert_array_equal(got, expected)


def test_open_ended_counts_match_a_loop_over_customers():
    rng = np.random.default_rng(5)
    cust, offset, cohort_of = _pairs(rng)
    members = np.arange(len(cohort_of))
    cohorts = np.unique(cohort_of)
    row_of = np.searchsorted(cohorts, cohort_of)
    n_cols = 8
    got = count_up_to_last_activity(row_of, members, offset, cust, len(cohorts), n_cols, len(cohort_of))
    expected = np.zeros((len(cohorts), n_cols))
    for c in np.unique(cust):
        last = offset[cust == c].max()
        expected[row_of[c], :min(last, n_cols - 1) + 1] += 1
    np.testing.assert_array_equal(got, expected)


def test_cohort_rows_is_the_position_among_the_cohorts():
    cohorts = np.array([3, 5, 9])
    np.testing.assert_array_equal(cohort_rows(cohorts, np.array([9, 3, 5, 5])), [2, 0, 1, 1])


EVENTS = pd.DataFrame({
    "customer_id": ["a", "a", "a", "b", "b", "c", "c"],
    "date": pd.to_datetime(["2024-01-03", "2024-02-05", "2024-03-01", "2024-01-20", "2024-03-04",
                            "2024-02-10", "2024-03-20"]),
    "amount": [5.0, 0.0, 4.0, 0.0, 3.0, 0.0, 1.0],
    "channel": ["web", "web", "web", None, None, "app", "app"],
})


@pytest.mark.parametrize("kwargs, category, match", [
    ({"acquired_if": lambda d: d["amount"] > 4}, rk.DataQualityWarning, "no acquiring event"),
    ({"acquired_if": lambda d: d["amount"] > 2}, rk.DataQualityWarning, "fall before their customer's acquisition"),
    ({}, rk.LeftCensoringWarning, "cohort"),
    ({"metric": "revenue", "amount_col": "amount", "first_cohort": "keep"}, rk.RetentionWarning, "no revenue"),
    ({"by": "channel"}, rk.DataQualityWarning, "no 'channel' value"),
], ids=["no acquisition", "before acquisition", "left-censoring", "no period-0 revenue", "breakdown missing"])
def test_warnings_point_at_the_callers_line(kwargs, category, match):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rk.cohort_table(EVENTS, "M", **kwargs)
    found = [w for w in caught if issubclass(w.category, category) and match in str(w.message)]
    assert found, [str(w.message) for w in caught]
    assert all(w.filename == __file__ for w in found), [(w.filename, w.lineno) for w in found]
