"""The display layer of results: what a person sees in a notebook. Formatting is for display
only; the frames behind it keep raw numbers."""

import warnings

import pandas as pd
import pytest

import retention_kit as rk
from retention_kit.results import format_number, format_p, format_percent, is_rate_column, render_html


def test_counts_of_ten_thousand_or_more_have_separators_not_scientific_notation():
    assert format_number(23570.0) == "23,570" and format_number(22060) == "22,060"
    assert format_number(3.0) == "3" and format_number(1_234_567.0) == "1,234,567"
    html = render_html("t", pd.DataFrame({"customers": [23570.0, 3.0], "churned": [22060.0, 1.0]}))
    assert "23,570" in html and "22,060" in html and "e+04" not in html and ">3.0<" not in html


def test_p_values_below_a_thousandth_read_as_such():
    assert format_p(1.2e-18) == "< 0.001" and format_p(0.0493) == "0.049"
    html = render_html("t", pd.DataFrame({"group": ["a"], "p_value": [6.2e-18], "p_adjusted": [2e-5]}))
    assert html.count("&lt; 0.001") == 2 and "0.000" not in html


def test_rates_show_as_percentages_while_the_frame_keeps_fractions():
    assert format_percent(0.6289) == "62.9 %" and format_percent(float("nan")) == "–"
    assert [is_rate_column(c) for c in ("crr", "cohort_retention", "control_rate", "survival",
                                         "silent_share", "rate_t", "visit_rate_shape", "customers")] == \
        [True, True, True, True, True, True, False, False]
    frame = pd.DataFrame({"customers": [12000], "churn_rate": [0.629], "gap_days": [14.87]})
    html = render_html("t", frame)
    assert "62.9 %" in html and "0.629" not in html and "14.87" in html and "12,000" in html
    assert frame.loc[0, "churn_rate"] == 0.629  # display only
    # Explicit columns win over the names.
    assert "14.87" not in render_html("t", frame, percent=["gap_days"])


def test_purchase_gaps_show_the_silent_share_as_a_percentage():
    gaps = rk.purchase_gaps(rk.load_coffee_shop().transactions)
    html = gaps._repr_html_()
    share = gaps.summary["silent_longer_now"].iloc[0]
    assert f"{100 * share:.1f} %" in html and 0 < share < 1


def test_caveats_show_kit_warnings_as_notes_and_hide_nothing_from_scripts():
    # Outside a notebook the kit's warnings are issued again as ordinary warnings.
    with pytest.warns(rk.LeftCensoringWarning, match="first month"):
        with rk.caveats():
            rk.cohort_table(rk.load_coffee_shop().transactions, "M")
    # Collected only: a styled note with the message, without a file path or source line.
    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        with rk.caveats(show=False) as notes:
            rk.cohort_table(rk.load_coffee_shop().transactions, "M")
    assert escaped == [] and len(notes) == 1 and notes[0].category is rk.LeftCensoringWarning
    html = notes._repr_html_()
    assert "<b>Left censoring.</b>" in html and "first month" in html and ".py" not in html
    assert repr(notes).startswith("Left censoring: The 2024-01 cohort")
    # Other warnings pass through untouched; filters still apply.
    with pytest.warns(RuntimeWarning, match="not ours"):
        with rk.caveats(show=False) as notes:
            warnings.warn("not ours", RuntimeWarning)
    assert len(notes) == 0 and repr(notes) == "No caveats."
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.LeftCensoringWarning)
        with rk.caveats(show=False) as notes:
            rk.cohort_table(rk.load_coffee_shop().transactions, "M")
    assert len(notes) == 0


def test_result_notes_can_carry_styled_warnings():
    html = render_html("t", None, ["a note"], warnings=[rk.ImmatureDataWarning("12 customers are not mature yet.")])
    assert "<b>Immature data.</b> 12 customers are not mature yet." in html
