"""CRR and the period table, against hand arithmetic written next to every expected value."""

import numpy as np
import pandas as pd
import pytest

import retention_kit as rk


def log(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date"]).assign(date=lambda d: pd.to_datetime(d["date"], format="mixed"))


# --- rk.crr -------------------------------------------------------------------------------

def test_crr_worked_example():
    # (E - N) / S = (120 - 20) / 100 = 1.0
    assert rk.crr(start=100, end=120, new=20) == 1.0


@pytest.mark.parametrize("start,end,new,expected", [
    (200, 190, 30, 0.8),        # (190 - 30) / 200 = 160 / 200
    (50, 10, 10, 0.0),          # (10 - 10) / 50: everyone from the start left
    (10, 25, 0, 2.5),           # (25 - 0) / 10: lapsed customers came back
    (np.int64(4), 3.0, 1, 0.5),  # numpy and whole floats are accepted: (3 - 1) / 4
])
def test_crr_hand_values(start, end, new, expected):
    assert rk.crr(start, end, new) == pytest.approx(expected)


@pytest.mark.parametrize("kwargs,match", [
    (dict(start=0, end=5, new=1), "start=0"),
    (dict(start=-3, end=5, new=1), "start=-3 must be a count"),
    (dict(start=10, end=-1, new=0), "end=-1 must be a count"),
    (dict(start=10, end=5, new=6), "new=6 is larger than end=5"),
    (dict(start=10.5, end=5, new=1), "whole number"),
    (dict(start="100", end=5, new=1), "must be a number"),
    (dict(start=True, end=5, new=1), "must be a number"),
    (dict(start=float("nan"), end=5, new=1), "must be a count"),
])
def test_crr_invalid_counts(kwargs, match):
    with pytest.raises(rk.ParameterError, match=match):
        rk.crr(**kwargs)
    assert issubclass(rk.ParameterError, ValueError)


# --- rk.crr_table on transaction logs ---------------------------------------------------------

THREE_MONTHS = log([
    ("a", "2024-01-03"), ("b", "2024-01-10"), ("c", "2024-01-31 23:00"),
    ("a", "2024-02-01"), ("d", "2024-02-14"),
    ("a", "2024-03-02"), ("c", "2024-03-15"), ("e", "2024-03-31"),
])


def test_monthly_table_by_hand():
    t = rk.crr_table(THREE_MONTHS, freq="M").table
    assert list(t.index.astype(str)) == ["2024-01", "2024-02", "2024-03"]
    # January: nothing before the log, 3 new (a, b, c), all bought in January.
    assert t.loc["2024-01", ["start", "new", "end"]].tolist() == [0, 3, 3]
    assert np.isnan(t.loc["2024-01", "crr"])
    # February: S = {a, b, c}, N = {d}, E = {a, d}; retained {a}; lost {b, c}.
    feb = t.loc["2024-02"]
    assert feb[["start", "new", "end", "retained", "lost", "new_lost", "reactivated"]].tolist() == [3, 1, 2, 1, 2, 0, 0]
    assert feb["crr"] == pytest.approx((2 - 1) / 3)
    assert feb["churn_rate"] == pytest.approx(2 / 3)
    # March: S = {a, d}, N = {e}, E = {a, c, e}; retained {a}, c came back, d lost.
    mar = t.loc["2024-03"]
    assert mar[["start", "new", "end", "retained", "lost", "new_lost", "reactivated"]].tolist() == [2, 1, 3, 1, 1, 0, 1]
    assert mar["crr"] == pytest.approx((3 - 1) / 2)          # 1.0 although half of S left
    assert mar["cohort_retention"] == pytest.approx(1 / 2)
    # The decomposition identity E - N = retained + reactivated - new_lost holds everywhere.
    assert ((t["end"] - t["new"]) == t["retained"] + t["reactivated"] - t["new_lost"]).all()


def test_event_at_month_edge_belongs_to_the_new_month():
    # a's purchase at exactly 2024-02-01 00:00 is February activity; c's at 23:00 on
    # 31 January is January activity (see THREE_MONTHS).
    t = rk.crr_table(THREE_MONTHS, freq="M").table
    assert t.loc["2024-02", "retained"] == 1  # a: January and February


def test_incomplete_last_period_is_left_out_and_said():
    short = pd.concat([THREE_MONTHS, log([("a", "2024-04-10")])])
    table = rk.crr_table(short, freq="M")
    assert list(table.table.index.astype(str)) == ["2024-01", "2024-02", "2024-03"]
    assert any("2024-04 is not over" in n for n in table.notes)
    # With as_of at the end of April, April is complete.
    assert "2024-04" in rk.crr_table(short, freq="M", as_of="2024-04-30").table.index.astype(str)


QUARTERS = log([
    ("x", "2024-01-10"), ("y", "2024-02-15"), ("y", "2024-03-20"), ("z", "2024-03-25"),
    ("y", "2024-04-05"), ("w", "2024-05-01"), ("x", "2024-06-15"),
])


def test_window_shorter_than_period_shows_new_customers_lost_inside_the_period():
    t = rk.crr_table(QUARTERS, freq="Q", activity_window="30D", as_of="2024-06-30").table
    # Q1: customers at 1 Apr bought in [2 Mar, 1 Apr): y, z. New: x, y, z; x lapsed inside Q1.
    assert t.loc["2024Q1", ["start", "new", "end", "new_lost"]].tolist() == [0, 3, 2, 1]
    # Q2: S = {y, z}; at 1 Jul, window [1 Jun, 1 Jul): only x (a comeback). New w lapsed.
    q2 = t.loc["2024Q2"]
    assert q2[["start", "new", "end", "retained", "reactivated", "new_lost"]].tolist() == [2, 1, 1, 0, 1, 1]
    assert q2["crr"] == pytest.approx((1 - 1) / 2)   # 0.0 ...
    assert q2["churn_rate"] == pytest.approx(1.0)    # ... while everyone from the start left


def test_crr_can_go_below_zero():
    # S = {a}; three new customers buy in Q2 but none is a customer at the end (window 7D).
    rows = log([("a", "2024-03-30"), ("n1", "2024-04-02"), ("n2", "2024-04-03"), ("n3", "2024-04-04")])
    t = rk.crr_table(rows, freq="Q", activity_window="7D", as_of="2024-06-30").table
    q2 = t.loc["2024Q2"]
    assert q2[["start", "new", "end"]].tolist() == [1, 3, 0]
    assert q2["crr"] == pytest.approx((0 - 3) / 1)   # -3.0: cohort retention stays in [0, 1]
    assert q2["cohort_retention"] == 0


def test_revenue_retention_and_repeat_purchases_by_hand():
    rows = pd.DataFrame({
        "customer_id": ["a", "b", "a", "a", "b", "c"],
        "date": pd.to_datetime(["2024-01-05", "2024-01-06", "2024-02-01", "2024-02-20", "2024-02-10", "2024-02-11"]),
        "amount": [10.0, 20.0, 10.0, 5.0, 5.0, 100.0],
    })
    t = rk.crr_table(rows, freq="M", amount_col="amount", as_of="2024-02-29").table
    feb = t.loc["2024-02"]
    # S = {a, b}: January revenue 10 + 20 = 30; their February revenue 15 + 5 = 20.
    assert feb["net_revenue_retention"] == pytest.approx(20 / 30)
    # Gross caps each at last period: min(15, 10) + min(5, 20) = 15.
    assert feb["gross_revenue_retention"] == pytest.approx(15 / 30)
    # February buyers a (2 purchases), b, c: 1 of 3 bought more than once.
    assert feb["repeat_purchase_rate"] == pytest.approx(1 / 3)
    assert feb["revenue"] == pytest.approx(120.0)
    assert t.loc["2024-01", "repeat_purchase_rate"] == 0


def test_column_names_are_arguments():
    renamed = THREE_MONTHS.rename(columns={"customer_id": "user", "date": "ts"})
    a = rk.crr_table(renamed, customer_col="user", time_col="ts").table
    b = rk.crr_table(THREE_MONTHS).table
    pd.testing.assert_frame_equal(a, b)


def test_misspelled_options_raise():
    with pytest.raises(rk.ParameterError, match="Did you mean 'month'"):
        rk.crr_table(THREE_MONTHS, freq="mnth")
    with pytest.raises(rk.ParameterError, match="kind='subs'"):
        rk.crr_table(THREE_MONTHS, kind="subs")
    with pytest.raises(rk.ParameterError, match="no fixed length"):
        rk.crr_table(THREE_MONTHS, activity_window="1M")


def test_no_complete_period_is_a_clear_error():
    with pytest.raises(rk.DataError, match="No complete year"):
        rk.crr_table(THREE_MONTHS, freq="Y")


# --- subscriptions ---------------------------------------------------------------------------

SUBSCRIPTIONS = pd.DataFrame({
    "customer_id": ["a", "b", "c", "d", "b"],
    "start": pd.to_datetime(["2024-01-01", "2023-12-15", "2024-01-20", "2024-02-05", "2024-03-10"]),
    "end": pd.to_datetime([None, "2024-02-10", "2024-03-01", None, None]),
})


def test_subscription_table_by_hand():
    t = rk.crr_table(SUBSCRIPTIONS, freq="M", kind="subscriptions", as_of="2024-03-31").table
    cols = ["start", "new", "end", "retained", "lost", "reactivated"]
    # Customers at 1 Jan: b (a starts exactly at 1 Jan, so a is new in January).
    # At 1 Feb: a, b, c. At 1 Mar: a, d (c ends exactly at 1 Mar: lost in February).
    # At 1 Apr: a, d and b, who re-subscribed on 10 March.
    assert t.loc["2023-12", cols].tolist() == [0, 1, 1, 0, 0, 0]
    assert t.loc["2024-01", cols].tolist() == [1, 2, 3, 1, 0, 0]   # CRR (3 - 2) / 1
    assert t.loc["2024-02", cols].tolist() == [3, 1, 2, 1, 2, 0]   # CRR (2 - 1) / 3
    assert t.loc["2024-03", cols].tolist() == [2, 0, 3, 2, 0, 1]   # CRR (3 - 0) / 2
    assert t["crr"].tolist()[1:] == pytest.approx([1.0, 1 / 3, 1.5])


def test_subscription_errors():
    bad = SUBSCRIPTIONS.assign(end=pd.to_datetime(["2023-01-01", None, None, None, None]))
    with pytest.raises(rk.DataError, match="'end' is before 'start' in 1 rows"):
        rk.crr_table(bad, kind="subscriptions")
    with pytest.raises(rk.DataError, match="Column 'begin'"):
        rk.crr_table(SUBSCRIPTIONS, kind="subscriptions", start_col="begin")


# --- real data: CDNOW, against an independent set-based computation --------------------------

def test_cdnow_monthly_against_python_sets():
    cdnow = rk.load_cdnow()
    table = rk.crr_table(cdnow, freq="M").table
    month = cdnow["date"].dt.to_period("M")
    buyers = {m: set(g) for m, g in cdnow.groupby(month)["customer_id"]}
    first = cdnow.groupby("customer_id")["date"].min().dt.to_period("M")
    months = sorted(buyers)
    assert len(table) == len(months) == 18
    for prev, cur in zip(months, months[1:]):
        s, e = buyers[prev], buyers[cur]
        new = set(first[first == cur].index)
        row = table.loc[cur]
        assert (row["start"], row["end"], row["new"]) == (len(s), len(e), len(new))
        assert row["retained"] == len(s & e)
        assert row["reactivated"] == len(e - s - new)
    # Published cohort fact: 7,846 January 1997 customers, 1,157 (14.7 %) bought in February.
    assert table.loc["1997-02", ["start", "retained"]].tolist() == [7846, 1157]


def test_plots_and_rendering():
    table = rk.crr_table(rk.load_cdnow(), freq="M", amount_col="amount")
    ax = table.plot()
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert len(ax.get_lines()) >= 3
    ax2 = table.plot_decomposition()
    assert ax2.get_title().startswith("Customers at the end")
    html = table._repr_html_()
    assert "Customer retention rate per month" in html and "14.7 %" in html
    assert "CRRTable(transactions, per month" in repr(table)
    assert "1,488 customers (S)" in table.explain()


def test_html_shows_rates_as_percentages_and_leaves_out_repeated_columns():
    # Display only: the table keeps fractions and every column.
    table = rk.crr_table(rk.load_cdnow(), freq="M")
    html = table._repr_html_()
    feb = table.table.loc["1997-02"]
    assert f"{100 * feb['cohort_retention']:.1f} %" in html and f"{feb['cohort_retention']:.4f}" not in html
    assert 0 < feb["cohort_retention"] < 1 and {"buyers", "new_lost"} <= set(table.table.columns)
    # Under the default activity window buyers = E and new_lost = 0: not shown, and said so.
    assert ">buyers<" not in html and ">new_<wbr>lost<" not in html and "say nothing new here" in html
    assert "7,846" in html  # counts keep thousands separators
    # With another activity window they carry information and are shown.
    short = rk.crr_table(rk.load_cdnow(), freq="M", activity_window="14D")
    assert (short.table["new_lost"] > 0).any() and not short.table["buyers"].equals(short.table["end"])
    assert ">new_<wbr>lost<" in short._repr_html_() and ">buyers<" in short._repr_html_()
