"""cohort_table on tiny hand-built logs: every expected cell is worked out in a comment."""

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

import retention_kit as rk
from retention_kit.engines import distinct_pairs

matplotlib.use("Agg")


def log(rows, **extra):
    """rows: (customer, timestamp[, amount]) tuples."""
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"][: len(rows[0])])
    frame["date"] = pd.to_datetime(frame["date"], format="ISO8601")
    for k, v in extra.items():
        frame[k] = v
    return frame


# a: acquired on the 31st; back one day later (calendar period 1) and in April.
# b: first event exactly at the start of January; last second of February; first instant of March.
# c: a cohort of one in February. Last event 2024-04-15: April is incomplete.
MONTHLY = log([
    ("a", "2024-01-31 10:00"), ("a", "2024-02-01 09:00"), ("a", "2024-04-15 12:00"),
    ("b", "2024-01-01 00:00:00"), ("b", "2024-02-29 23:59:59"), ("b", "2024-03-01 00:00:00"),
    ("c", "2024-02-10 08:00"),
])


def table(events=MONTHLY, *args, **kw):
    kw.setdefault("first_cohort", "keep")
    return rk.cohort_table(events, *args, **kw)


def test_monthly_cells_by_hand():
    t = table(MONTHLY, "M")
    # Jan cohort {a, b}: period 0 both; 1 (Feb): a on 1 Feb, b on 29 Feb 23:59:59 -> 2;
    # 2 (Mar): b at 1 Mar 00:00 -> 1; 3 (Apr): a -> 1, April not over -> partial.
    # Feb cohort {c}: 0 -> 1; 1 (Mar) -> 0 observed; 2 (Apr) -> 0 partial; 3 (May) unobserved.
    expected = pd.DataFrame([[2, 2, 1, 1], [1, 0, 0, np.nan]], dtype=float)
    np.testing.assert_array_equal(t.counts.to_numpy(), expected.to_numpy())
    assert t.sizes.tolist() == [2, 1]
    assert [str(c) for c in t.counts.index] == ["2024-01", "2024-02"]
    np.testing.assert_array_equal(t.rates.to_numpy(), [[1, 1, 0.5, 0.5], [1, 0, 0, np.nan]])
    np.testing.assert_array_equal(t.partial.to_numpy(), [[False, False, False, True],
                                                         [False, False, True, False]])
    # average over complete cells, weighted by size: k1 (2 + 0) / (2 + 1); k2 Jan only 1 / 2;
    # k3 has only a partial cell -> not shown.
    avg = t.average()
    assert avg.index.tolist() == [0, 1, 2]
    np.testing.assert_allclose(avg.to_numpy(), [1.0, 2 / 3, 0.5])


def test_left_censoring_warns_and_excludes():
    with pytest.warns(rk.LeftCensoringWarning, match="2024-01 cohort .2 customers"):
        rk.cohort_table(MONTHLY, "M")
    t = table(MONTHLY, "M", first_cohort="exclude")
    # Only c's February cohort remains: [1, 0, 0*] over Feb, Mar, Apr.
    assert [str(c) for c in t.sizes.index] == ["2024-02"]
    np.testing.assert_array_equal(t.counts.to_numpy(), [[1, 0, 0]])
    assert "cohort 2024-01" in t.data_quality.summary["check"].tolist()


def test_unobserved_is_nan_observed_inactive_is_zero():
    t = table(MONTHLY, "M")
    assert np.isnan(t.counts.loc["2024-02", 3])  # May 2024: after the as-of date
    assert t.counts.loc["2024-02", 1] == 0  # March: observed, c inactive
    assert not t.partial.loc["2024-02", 3]  # unobserved cells are NaN, not "partial"


def test_as_of_day_counts_as_observed_and_explicit_as_of():
    # Daily dates: as of 30 April the whole of April is observed, so April is complete.
    ev = log([("a", "2024-03-05"), ("a", "2024-04-01"), ("b", "2024-04-30")])
    t = table(ev, "M")
    # Mar cohort {a}: [1, 1]; Apr cohort {b}: [1]; nothing partial.
    np.testing.assert_array_equal(t.counts.to_numpy(), [[1, 1], [1, np.nan]])
    assert not t.partial.to_numpy().any()
    # as_of 2024-04-10: b's event is dropped (after as_of), April is partial.
    t2 = table(ev, "M", as_of="2024-04-10")
    np.testing.assert_array_equal(t2.counts.to_numpy(), [[1, 1]])
    assert t2.partial.to_numpy().tolist() == [[False, True]]


def test_week_edges_are_monday():
    # Mon 00:00 and Sun 23:59:59 are one ISO week (period 0); the next Monday is period 1.
    ev = log([("x", "2024-01-01 00:00"), ("x", "2024-01-07 23:59:59"), ("x", "2024-01-08 00:00")])
    t = table(ev, "W")
    np.testing.assert_array_equal(t.counts.to_numpy(), [[1, 1]])
    # as of Mon 8 Jan (day fully observed) the week of 8 Jan is still partial.
    assert t.partial.to_numpy().tolist() == [[False, True]]


def test_relative_periods_differ_from_calendar():
    # a acquired 31 Jan 10:00. 1 Feb: calendar period 1, but day 0 of the first 30-day
    # window. 2 Mar 10:00 is 31 days later: calendar period 2 (March), relative window 1.
    ev = log([("a", "2024-01-31 10:00"), ("a", "2024-02-01 09:00"), ("a", "2024-03-02 10:00")])
    cal = table(ev, "M")
    np.testing.assert_array_equal(cal.counts.to_numpy(), [[1, 1, 1]])
    rel = table(ev, "M", periods="relative")
    np.testing.assert_array_equal(rel.counts.to_numpy(), [[1, 1]])
    # Window 1 runs 1 Mar 10:00 to 31 Mar 10:00; observed until 3 Mar 00:00 -> partial.
    assert rel.partial.to_numpy().tolist() == [[False, True]]


def test_time_zone_aware_timestamps_follow_the_utc_calendar():
    # The kit's date policy (validation.TZ_DETAIL): time-zone-aware times are converted to
    # UTC and periods follow the UTC calendar. 31 Jan 23:30 in New York is 1 Feb 04:30 UTC:
    # the cohort is February (it was January when local wall time was kept).
    ev = pd.DataFrame({
        "customer_id": ["p", "p", "q"],
        "date": pd.to_datetime(["2024-01-31 23:30", "2024-02-15 12:00", "2024-03-05 09:00"]
                               ).tz_localize("America/New_York"),
    })
    t = table(ev, "M")
    assert [str(c) for c in t.sizes.index] == ["2024-02", "2024-03"]
    # p: Feb [1] (both purchases in February UTC), Mar [0, partial]; q: Mar [1, partial].
    np.testing.assert_array_equal(t.counts.to_numpy(), [[1, 0], [1, np.nan]])
    assert t.partial.to_numpy().tolist() == [[False, True], [True, False]]
    # For local calendar periods, convert to wall time first.
    local = table(ev.assign(date=ev["date"].dt.tz_localize(None)), "M")
    assert [str(c) for c in local.sizes.index] == ["2024-01", "2024-03"]


def test_on_or_after():
    t = table(MONTHLY, "M", mode="on or after")
    # Last active period: a 3, b 2 -> Jan [2, 2, 2, 1*]; c 0 -> Feb [1, 0, 0*, NaN].
    np.testing.assert_array_equal(t.counts.to_numpy(), [[2, 2, 2, 1], [1, 0, 0, np.nan]])
    assert table(MONTHLY, "M", mode="unbounded").counts.equals(t.counts)


def test_on_or_after_with_a_bounded_look_ahead():
    # MONTHLY: a active in periods 0, 1, 3 (Jan, Feb, Apr); b in 0, 1, 2; c (Feb cohort) in 0.
    # April is not over on the as-of day (15 Apr).
    t = table(MONTHLY, "M", mode="on or after", look_ahead=1)
    # Jan cohort, cell k counts a customer active in k or k + 1: k=0 {a, b}, 1 {a, b},
    # 2 {a (Apr), b (Mar)}, 3 {a}. Feb cohort: k=0 {c}, 1 {}, 2 unobserved.
    np.testing.assert_array_equal(t.counts.to_numpy(), [[2, 2, 2, 1], [1, 0, 0, np.nan]])
    # Complete once period k + 1 has ended: Jan k=2 needs April -> partial; so does Feb k=1.
    assert t.partial.to_numpy().tolist() == [[False, False, True, True], [False, True, True, False]]
    # look_ahead=0 is "on"; a long look-ahead counts the same customers as the open end,
    # but says the cells are not final.
    zero = table(MONTHLY, "M", mode="on or after", look_ahead=0)
    np.testing.assert_array_equal(zero.counts.to_numpy(), table(MONTHLY, "M").counts.to_numpy())
    assert "look_ahead" not in " ".join(t.notes) and "within 1 month after" in t.explain()
    # Before: no look_ahead option (TypeError); the open end is kept with a caveat.
    open_end = table(MONTHLY, "M", mode="on or after")
    assert any("keeps rising as data arrive" in n for n in open_end.notes)
    assert "look_ahead=<periods>" in open_end.explain()
    with pytest.raises(rk.ParameterError, match=r"look_ahead=-1 must be a whole number of periods"):
        table(MONTHLY, "M", mode="on or after", look_ahead=-1)
    with pytest.raises(rk.ParameterError, match=r"look_ahead=2 bounds mode='on or after'"):
        table(MONTHLY, "M", look_ahead=2)


def test_brackets_in_days():
    ev = log([("d", "2024-01-01"), ("d", "2024-01-02"), ("d", "2024-01-06"), ("d", "2024-02-10"),
              ("e", "2024-01-01")])
    t = table(ev, "D", brackets=[1, (2, 7), (8, 30), (31, 90)])
    # d active on days 0, 1, 5, 40 -> brackets 1: 1, 2-7: 1, 8-30: 0, 31-90: 1 (partial:
    # day 90 is 31 Mar, after the as-of day 10 Feb). e was never back.
    assert t.counts.columns.tolist() == ["1", "2–7", "8–30", "31–90"]
    np.testing.assert_array_equal(t.counts.to_numpy(), [[1, 1, 0, 1]])
    assert t.partial.to_numpy().tolist() == [[False, False, False, True]]
    np.testing.assert_allclose(t.rates.to_numpy(), [[0.5, 0.5, 0.0, 0.5]])


def test_revenue_net_and_gross():
    ev = log([("a", "2024-01-05", 10.0), ("a", "2024-02-05", 15.0), ("a", "2024-03-05", 5.0),
              ("b", "2024-01-07", 20.0), ("b", "2024-03-31", 30.0)])
    t = table(ev, "M", metric="revenue", amount_col="amount")
    # Base (January) revenue 10 + 20 = 30. Net: Feb 15 / 30; Mar (5 + 30) / 30.
    np.testing.assert_allclose(t.counts.to_numpy(), [[30, 15, 35]])
    np.testing.assert_allclose(t.rates.to_numpy(), [[1, 0.5, 35 / 30]])
    # Gross caps each customer at their January spend: Feb min(15, 10) + 0 = 10;
    # Mar min(5, 10) + min(30, 20) = 25.
    np.testing.assert_allclose(t.gross_rates.to_numpy(), [[1, 10 / 30, 25 / 30]])
    assert "net revenue retention" in t.explain()


def test_active_if_and_acquired_if():
    ev = log([("f", "2024-01-03", 0.0), ("f", "2024-02-03", 5.0), ("f", "2024-03-03", 5.0),
              ("g", "2024-01-05", 0.0), ("g", "2024-02-03", 4.0), ("g", "2024-03-31", 0.0)])
    # Purchases only (amount > 0): f and g are acquired in February; f buys in March -> [2, 1].
    t = table(ev, "M", active_if=lambda df: df["amount"] > 0)
    np.testing.assert_array_equal(t.counts.to_numpy(), [[2, 1]])
    # Visits count as activity, the first purchase acquires: both in February's cohort;
    # March: f and g visit -> 2. The January visits precede acquisition and are dropped.
    with pytest.warns(rk.DataQualityWarning, match="2 events fall before"):
        t2 = table(ev, "M", acquired_if=lambda df: df["amount"] > 0)
    np.testing.assert_array_equal(t2.counts.to_numpy(), [[2, 2]])
    assert t2.data_quality.summary.set_index("check").loc["events before acquisition", "rows"] == 2


def test_cohort_col_keeps_customers_without_activity():
    ev = pd.DataFrame({
        "customer_id": ["h", "h", "i"],
        "date": pd.to_datetime(["2024-01-10", "2024-02-01", "2024-01-20"]),
        "kind": ["signup", "purchase", "signup"],
        "signed_up": pd.to_datetime(["2024-01-10", "2024-01-10", "2024-01-20"]),
    })
    with warnings.catch_warnings():
        warnings.simplefilter("error", rk.LeftCensoringWarning)  # known signups: no warning
        t = rk.cohort_table(ev, "M", cohort_col="signed_up",
                            active_if=lambda df: df["kind"] == "purchase")
    # January signups h, i (size 2); nobody purchased in January; h in February (partial).
    assert t.sizes.tolist() == [2]
    np.testing.assert_array_equal(t.counts.to_numpy(), [[0, 1]])
    assert t.partial.to_numpy().tolist() == [[False, True]]


def test_breakdown_uses_value_at_acquisition():
    ev = log([("a", "2024-01-05"), ("a", "2024-02-05"), ("b", "2024-01-06"), ("c", "2024-01-07"),
              ("c", "2024-02-07"), ("b", "2024-03-01")],
             channel=["app", "walk-in", "app", "walk-in", "walk-in", "app"])
    t = table(ev, "M", by="channel")
    # a acquired via app (later walk-in still counts as app); b app; c walk-in.
    # app {a, b}: Jan 2, Feb a -> 1, Mar b -> 1 (partial); walk-in {c}: 1, 1, 0 (partial).
    assert list(t.groups) == ["app", "walk-in"]
    np.testing.assert_array_equal(t.groups["app"].counts.to_numpy(), [[2, 1, 1]])
    np.testing.assert_array_equal(t.groups["walk-in"].counts.to_numpy(), [[1, 1, 0]])
    assert t.counts.index.names == ["channel", "cohort"]
    assert t.sizes.tolist() == [2, 1]
    # pooled average over both tables: period 1 (1 + 1) / (2 + 1); February is complete.
    np.testing.assert_allclose(t.average()[1], 2 / 3)
    assert "[app]" in t.explain()


def test_summary_and_text():
    t = table(MONTHLY, "M")
    s = t.summary
    assert s.columns.tolist() == ["cohort", "period", "cohort_size", "active", "retention", "partial"]
    assert len(s) == 7  # 8 cells less the unobserved one
    text = t.explain()
    assert "Of the 2 customers acquired in January 2024, 100.0 % were active in period 1" in text
    assert "2 cells are partial" in text
    assert "50.0%*" in repr(t)
    html = t._repr_html_()
    assert "50.0%*" in html and "partial" in html


def test_plots_return_labelled_axes():
    import matplotlib.pyplot as plt

    t = table(MONTHLY, "M")
    for ax in (t.plot_heatmap(), t.plot_curves()):
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    fig, ax = plt.subplots()
    assert t.plot_heatmap(ax=ax) is ax
    plt.close("all")


def test_fast_path_matches_general_path():
    rng = np.random.default_rng(7)
    n = 5000
    ev = pd.DataFrame({"customer_id": rng.integers(0, 400, n),
                       "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 500 * 86400, n), unit="s")})
    fast = table(ev, "M")
    general = table(ev, "M", active_if=np.ones(n, bool))
    pd.testing.assert_frame_equal(fast.counts, general.counts)
    pd.testing.assert_frame_equal(fast.partial, general.partial)
    # string ids are factorized: same table
    strings = table(ev.assign(customer_id="C" + ev["customer_id"].astype(str)), "M")
    pd.testing.assert_frame_equal(fast.counts, strings.counts)


@pytest.mark.parametrize("n_customers", [50, 10**9])  # bitmap path, sort path
def test_distinct_pairs_against_numpy_unique(n_customers):
    rng = np.random.default_rng(1)
    cust = rng.integers(0, n_customers, 3000)
    per = rng.integers(600, 630, 3000)
    pairs = distinct_pairs(cust, per)
    ref = np.unique(np.stack([cust, per], axis=1), axis=0)
    np.testing.assert_array_equal(np.stack([pairs.customer, pairs.period], axis=1), ref)
    first = pd.Series(ref[:, 1]).groupby(ref[:, 0]).transform("min").to_numpy()
    np.testing.assert_array_equal(pairs.first, first)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"mode": "on or afterr"}, rk.ParameterError, "Did you mean 'on or after'"),
    ({"periods": "relatve"}, rk.ParameterError, "Did you mean 'relative'"),
    ({"metric": "revenu"}, rk.ParameterError, "Did you mean 'revenue'"),
    ({"freq": "montly"}, rk.ParameterError, "Did you mean 'monthly'"),
    ({"first_cohort": "drop"}, rk.ParameterError, "first_cohort='drop'"),
    ({"metric": "revenue"}, rk.ParameterError, "needs amount_col"),
    ({"brackets": [(2, 7), (5, 9)]}, rk.ParameterError, "must not overlap"),
    ({"brackets": [(3, 1)]}, rk.ParameterError, "first <= last"),
    ({"brackets": [1], "mode": "on or after"}, rk.ParameterError, "mode='on'"),
    ({"active_if": [True, False]}, rk.ParameterError, "gave 2 values for 7 event rows"),
    ({"active_if": lambda df: df["customer_id"]}, rk.ParameterError, "must be True/False"),
    ({"customer_col": "user"}, rk.DataError, "Column 'user' .customer_col. not found"),
    ({"by": "country"}, rk.DataError, "Column 'country'"),
    ({"active_if": lambda df: df["customer_id"] == "zz"}, rk.DataError, "No customer is left"),
    ({"brackets": [1], "metric": "revenue", "amount_col": "x"}, rk.ParameterError, "metric='customers'"),
])
def test_bad_input_raises(kwargs, error, match):
    kwargs = {"freq": "M", **kwargs}
    with pytest.raises(error, match=match):
        table(MONTHLY, **kwargs)
