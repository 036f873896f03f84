"""Backtests: results recomputed at earlier as-of dates, and false / missed churn of candidate
thresholds after a cut. Expected values: hand arithmetic on tiny logs (in the comments), the
kit's own functions called directly at the same as-of date, and a plain pandas recount on CDNOW."""

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

import retention_kit as rk

matplotlib.use("Agg")


def log(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "date"])
    return frame.assign(date=pd.to_datetime(frame["date"], format="ISO8601"))


TINY = log([("a", "2024-01-01"), ("a", "2024-01-05 10:00"), ("b", "2024-01-02"), ("b", "2024-02-01"),
            ("c", "2024-01-20")])


def repeat_share(ev, as_of):
    return ev.groupby("customer_id")["date"].nunique().gt(1).mean()


# ---------------------------------------------------------------- backtest

def test_backtest_by_hand():
    seen = []

    def spy(ev, as_of, extra):
        seen.append((as_of, len(ev), extra))
        return {"repeat": repeat_share(ev, as_of), "customers": ev["customer_id"].nunique()}

    bt = rk.backtest(spy, TINY, ["2024-02-01", "2024-01-05", "2024-01-10"], extra=7)
    # Sorted dates; a date without a time keeps that whole day (a's 01-05 10:00 purchase counts
    # on 2024-01-05). 01-05: a (2 days), b (1) -> 1/2 repeat, 2 customers, 3 events. 01-10: the
    # same. 02-01: a, b repeat, c once -> 2/3, 3 customers, 5 events.
    assert [s[0] for s in seen] == [pd.Timestamp(d) for d in ("2024-01-05", "2024-01-10", "2024-02-01")]
    assert [s[1] for s in seen] == [3, 3, 5] and {s[2] for s in seen} == {7}
    assert bt.summary.columns.tolist() == ["repeat", "customers"]
    np.testing.assert_allclose(bt.summary["repeat"], [0.5, 0.5, 2 / 3])
    assert bt.events_used.tolist() == [3, 3, 5]
    move = bt.movement.set_index("metric")
    # repeat: first 0.5, last 2/3, change 1/6, largest distance from the last value 1/6.
    assert move.loc["repeat", ["first", "last"]].tolist() == pytest.approx([0.5, 2 / 3])
    assert move.loc["repeat", "max_abs_deviation"] == pytest.approx(1 / 6)
    assert move.loc["customers", "change"] == 1
    text = bt.explain()
    assert "recomputed at 3 as-of dates from 2024-01-05 to 2024-02-01" in text
    assert "The number that moved most is customers: 2 as of 2024-01-05, 3 as of 2024-02-01" in text
    assert "Backtest(spy)" in repr(bt) and "<table" in bt._repr_html_()
    ax = bt.plot(metrics="repeat")
    assert ax.get_title() == "spy recomputed at earlier as-of dates" and ax.get_xlabel() == "as of"
    matplotlib.pyplot.close("all")


def test_backtest_flattens_summaries_and_filters_metrics():
    # A kit result with .summary: Kaplan-Meier survival_at per group, named column[group, horizon].
    def curve(ev, as_of):
        life = rk.customer_lifetimes(ev, churn_after=10, as_of=as_of)
        return rk.kaplan_meier(life).survival_at([0]).set_index(["group", "horizon"])[["survival"]]

    bt = rk.backtest(curve, TINY, ["2024-01-25", "2024-02-20"], metrics=["survival"])
    assert bt.summary.columns.tolist() == ["survival[all customers, 0.0]"]
    # As of 01-25 (limit 01-15): a churned at 4.4 days, b (02-01 not seen yet) churned at 0,
    # c started 01-20, not yet classifiable -> 1 of 2 churned at 0, S(0) = 1/2. As of 02-20
    # (limit 02-10): a at 4.4 days, b at 30 days, c churned at 0 -> S(0) = 2/3.
    np.testing.assert_allclose(bt.summary.iloc[:, 0], [0.5, 2 / 3])
    by_callable = rk.backtest(curve, TINY, ["2024-02-20"], metrics=lambda r: {"s0": r.iloc[0, 0]})
    assert by_callable.summary["s0"].tolist() == pytest.approx([2 / 3])


def test_backtest_matches_the_kit_called_directly():
    # Retention rates: crr_table at each date equals the backtest's column for that period.
    shop = rk.load_coffee_shop()
    tx = shop.transactions
    dates = ["2024-06-30", "2024-09-30", "2024-12-31"]
    bt = rk.backtest(rk.crr_table, tx, dates, freq="M", metrics=["crr"])
    for d in dates:
        direct = rk.crr_table(tx[tx["date"] < pd.Timestamp(d) + pd.Timedelta(days=1)], freq="M", as_of=d).summary
        for period, value in direct["crr"].dropna().items():
            assert bt.summary.loc[pd.Timestamp(d), f"crr[{period}]"] == pytest.approx(value)
    # A month's CRR, once complete, does not move with later data: June 2024 is the same at
    # every date (hand check of the backtest's purpose: only unfinished periods move).
    june = bt.summary.filter(like="2024-06").iloc[:, 0]
    assert june.nunique() == 1


def test_backtest_of_the_experiment_effect():
    shop = rk.load_coffee_shop()

    def effect(ev, as_of):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rk.RetentionWarning)
            return rk.compare_retention(shop.assignments, ev, as_of=as_of, horizon="30D", churn_after="30D")

    dates = ["2024-06-30", "2024-12-31"]
    bt = rk.backtest(effect, shop.transactions, dates, metrics=["diff", "ci_lower", "ci_upper"])
    assert bt.summary.columns.tolist() == ["diff[loyalty]", "ci_lower[loyalty]", "ci_upper[loyalty]"]
    for d in dates:
        direct = effect(shop.transactions, d).summary.loc["loyalty"]
        assert bt.summary.loc[pd.Timestamp(d), "diff[loyalty]"] == pytest.approx(direct["diff"])


def test_backtest_errors():
    with pytest.raises(rk.ParameterError, match="func must be a function"):
        rk.backtest("crr_table", TINY, ["2024-01-10"])
    with pytest.raises(rk.ParameterError, match="as_of_dates='soon' must be dates"):
        rk.backtest(repeat_share, TINY, "soon")
    with pytest.raises(rk.DataError, match="No events up to as-of 2023-12-31 00:00: the data start on 2024-01-01"):
        rk.backtest(repeat_share, TINY, ["2023-12-31"])
    with pytest.raises(rk.DataError, match=r"Column 'when' \(time_col\) not found"):
        rk.backtest(repeat_share, TINY, ["2024-01-10"], time_col="when")
    with pytest.raises(rk.ParameterError, match="returned a str, which has no numbers"):
        rk.backtest(lambda ev, as_of: "x", TINY, ["2024-01-10"])
    with pytest.raises(rk.ParameterError, match="metrics returned a list"):
        rk.backtest(repeat_share, TINY, ["2024-01-10"], metrics=lambda r: [r])
    with pytest.raises(rk.ParameterError, match="matched nothing"):
        rk.backtest(repeat_share, TINY, ["2024-01-10"], metrics=["crr"])
    with pytest.raises(rk.ParameterError, match=r"metrics \['nope'\] are not in the backtest"):
        rk.backtest(repeat_share, TINY, ["2024-01-10"]).plot(metrics="nope")


# ---------------------------------------------------------------- churn threshold backtest

def test_threshold_backtest_by_hand():
    events = log([("a", "2024-01-01"), ("a", "2024-02-01"), ("a", "2024-04-10"),
                  ("b", "2024-01-05"), ("b", "2024-03-20"),
                  ("c", "2024-01-10"),
                  ("d", "2024-02-25"), ("d", "2024-03-30"),
                  ("e", "2024-05-30")])
    res = rk.churn_threshold_backtest(events, ["20D", 45], cut="2024-03-31", look_ahead="60D")
    # Classified on data up to 03-31 (as of 03-31 00:00), outcome from 04-01 to 05-30.
    # Last purchases: a 02-01 (silent 59 days), b 03-20 (11), c 01-10 (81), d 03-30 (1).
    # 20 days (limit 03-11; all started before): churned a, c; active b, d. a came back on
    # 04-10 -> false churn 1 of 2; b and d silent after the cut -> missed churn 2 of 2.
    # 45 days (limit 02-15): d started 02-25, not yet classifiable. Churned a, c (a false);
    # active b (silent -> missed 1 of 1).
    t = res.summary.set_index("churn_after")
    assert t.loc[20.0, ["customers", "called_churned", "false_churn", "called_active", "missed_churn"]].tolist() \
        == [4, 2, 1, 2, 2]
    assert t.loc[45.0, ["customers", "called_churned", "false_churn", "called_active", "missed_churn",
                        "not_yet_classifiable"]].tolist() == [3, 2, 1, 1, 1, 1]
    assert t.loc[20.0, "false_churn_rate"] == 0.5 and t.loc[45.0, "missed_churn_rate"] == 1.0
    assert "churn_after = 20 days: 2 called churned, of whom 1 (50.0%) bought again" in res.explain()
    assert "ThresholdBacktest(cut=2024-03-31, look_ahead=60 days)" in repr(res) and "<table" in res._repr_html_()
    ax = res.plot()
    assert ax.get_xlabel() == "churn_after (days of silence)" and len(ax.lines) == 2
    matplotlib.pyplot.close("all")
    # Default cut: the last day (05-30, so data through 05-31) minus 60 days = 03-31.
    assert rk.churn_threshold_backtest(events, [20], look_ahead=60).cut == pd.Timestamp("2024-03-31")


def test_threshold_backtest_errors():
    events = log([("a", "2024-01-01"), ("a", "2024-03-01")])
    with pytest.raises(rk.ParameterError, match="less than look_ahead = 60 days after the cut 2024-02-15: "
                                                 "choose a cut on or before 2024-01-01"):
        rk.churn_threshold_backtest(events, [30], cut="2024-02-15", look_ahead=60)
    with pytest.raises(rk.ParameterError, match="look_ahead=0 must be longer than zero"):
        rk.churn_threshold_backtest(events, [30], look_ahead=0)
    with pytest.raises(rk.ParameterError, match="candidates is empty"):
        rk.churn_threshold_backtest(events, [], look_ahead=30)
    with pytest.raises(rk.ParameterError, match="cut='soon' is not a date"):
        rk.churn_threshold_backtest(events, [30], cut="soon", look_ahead=30)


def test_cdnow_one_in_five_called_churned_buys_again():
    # Issue 15: on CDNOW about one customer in five called churned after 60-120 days of silence
    # buys again within the next 39 weeks. The data end on 1998-06-30, so the cut is
    # 1997-09-30. Recounted here with plain pandas, then compared with the function.
    cdnow = rk.load_cdnow()
    res = rk.churn_threshold_backtest(cdnow, [60, 90, 120], look_ahead="39W")
    assert res.cut == pd.Timestamp("1997-09-30")
    t = res.summary.set_index("churn_after")
    before = cdnow[cdnow["date"] <= "1997-09-30"].groupby("customer_id")["date"].agg(["min", "max"])
    after = cdnow[(cdnow["date"] >= "1997-10-01") & (cdnow["date"] < "1998-07-01")]
    back = before.index.isin(after["customer_id"].unique())
    as_of = pd.Timestamp("1997-09-30")
    for days in (60, 90, 120):
        gap = pd.Timedelta(days=days)
        classifiable = (before["min"] <= as_of - gap).to_numpy()
        churned = ((as_of - before["max"]) >= gap).to_numpy() & classifiable
        assert t.loc[float(days), "called_churned"] == churned.sum()
        assert t.loc[float(days), "false_churn"] == (churned & back).sum()
        assert t.loc[float(days), "missed_churn"] == (classifiable & ~churned & ~back).sum()
    # 4,894 of 20,646 (23.7 %), 4,109 of 19,375 (21.2 %), 3,500 of 18,268 (19.2 %): one in five.
    assert t["false_churn"].tolist() == [4_894, 4_109, 3_500]
    assert t["called_churned"].tolist() == [20_646, 19_375, 18_268]
    assert ((t["false_churn_rate"] > 0.18) & (t["false_churn_rate"] < 0.25)).all()
