"""compare_retention(lifetimes=...) reads lifetimes in the analyst's own shape (issue 13):
its own column names (duration_col=, event_col=), Yes/No or 1/0 churn flags by the one flag
rule of the survival functions, and the unit of the durations (time_unit=), which names the
horizon, the RMST, the explanations and the plots' axes."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from lifelines import KaplanMeierFitter  # noqa: E402
from lifelines.statistics import logrank_test  # noqa: E402
from lifelines.utils import restricted_mean_survival_time  # noqa: E402

import retention_kit as rk  # noqa: E402

OWN = dict(duration_col="tenure_days", event_col="Churn", customer_col="user")


def _quiet(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        warnings.simplefilter("ignore", rk.ImmatureDataWarning)
        return call()


@pytest.fixture(scope="module")
def shop():
    return rk.load_coffee_shop()


@pytest.fixture(scope="module")
def canonical(shop):
    """The kit's own lifetimes of the coffee-shop experiment (duration, churned, in days)."""
    return rk.customer_lifetimes(shop.transactions, churn_after="30D", start_times=shop.assignments, by=["arm"])


@pytest.fixture(scope="module")
def own(canonical):
    """The same lifetimes as an export names them: other columns, churn as text Yes/No."""
    table = canonical.rename(columns={"customer_id": "user", "duration": "tenure_days", "churned": "Churn"})
    return table.assign(Churn=np.where(table["Churn"], "Yes", "No"))


@pytest.fixture(scope="module")
def monthly():
    """A subscription export in months: start date, arm, whole months of tenure, Churn Yes/No."""
    rng = np.random.default_rng(13)
    n = 600
    arm = np.where(rng.random(n) < 0.5, "loyalty", "control")
    start = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    as_of = pd.Timestamp("2024-12-31")
    follow = (as_of - start).days / (365.25 / 12)
    life = rng.exponential(np.where(arm == "loyalty", 16.0, 11.0))
    return pd.DataFrame({"user": [f"u{i}" for i in range(n)], "start": start, "group": arm,
                         "tenure_months": np.floor(np.minimum(life, follow)),
                         "Churn": np.where(life < follow, "Yes", "No")})


MONTHLY = dict(duration_col="tenure_months", event_col="Churn", customer_col="user", arm_col="group",
               time_unit="months", horizon=6, churn_after="30D", as_of="2024-12-31")


@pytest.fixture(scope="module")
def by_month(monthly):
    return _quiet(lambda: rk.compare_retention(lifetimes=monthly, **MONTHLY))


# -- own column names and Yes/No flags give exactly the canonical result ---------------------------

def test_own_names_and_yes_no_flags_equal_the_canonical_frame(canonical, own):
    ref = _quiet(lambda: rk.compare_retention(lifetimes=canonical, horizon="30D", churn_after="30D"))
    res = _quiet(lambda: rk.compare_retention(lifetimes=own, horizon="30D", churn_after="30D", **OWN))
    pd.testing.assert_frame_equal(res.summary, ref.summary)
    assert res.explain() == ref.explain()
    assert res.time_unit == ref.time_unit == "days"
    pd.testing.assert_series_equal(res.lifetimes["churned"], ref.lifetimes["churned"])


@pytest.mark.parametrize("flags", [("Yes", "No"), (" YES ", "no"), ("churned", "Active"), (1, 0), ("1", "0"),
                                   (True, False)])
def test_every_flag_spelling_reads_the_same(canonical, own, flags):
    ref = _quiet(lambda: rk.compare_retention(lifetimes=canonical, horizon="30D", churn_after="30D"))
    spelled = own.assign(Churn=np.where(canonical["churned"], flags[0], flags[1]))
    res = _quiet(lambda: rk.compare_retention(lifetimes=spelled, horizon="30D", churn_after="30D", **OWN))
    pd.testing.assert_frame_equal(res.summary, ref.summary)


def test_own_names_with_the_activity_log_equal_the_log_alone(shop, canonical, own):
    # With events the window after the horizon is read from the log; the lifetimes' own names
    # only change where the curves' durations and flags are read from.
    asg, tx = shop.assignments.rename(columns={"customer_id": "user"}), shop.transactions.rename(
        columns={"customer_id": "user"})
    kw = dict(horizon="30D", churn_after="30D", rmst_horizon="90D")
    ref = _quiet(lambda: rk.compare_retention(shop.assignments, shop.transactions, **kw))
    res = _quiet(lambda: rk.compare_retention(asg, tx, lifetimes=own, **kw, **OWN))
    pd.testing.assert_frame_equal(res.summary, ref.summary)


# -- refusals --------------------------------------------------------------------------------------

def test_a_bad_flag_is_refused_with_column_values_count_and_fix(own):
    bad = own.copy()
    bad.loc[bad.index[:3], "Churn"] = "maybe"
    bad.loc[bad.index[3], "Churn"] = None
    with pytest.raises(rk.DataError) as err:
        rk.compare_retention(lifetimes=bad, horizon="30D", churn_after="30D", **OWN)
    msg = str(err.value)
    assert "Column 'Churn'" in msg and "'maybe'" in msg and "1 missing" in msg
    assert f"4 of {len(bad):,} rows" in msg and "replace({'maybe': False})" in msg
    # The suggested fix runs and makes the table acceptable.
    fixed = bad.dropna(subset=["Churn"]).copy()
    fixed["Churn"] = fixed["Churn"].replace({"maybe": False})
    _quiet(lambda: rk.compare_retention(lifetimes=fixed, horizon="30D", churn_after="30D", **OWN))


def test_bad_durations_are_refused(own):
    bad = own.assign(tenure_days=own["tenure_days"].where(own.index != own.index[0], -1.0))
    with pytest.raises(rk.DataError, match=r"column 'tenure_days' has 1 missing or negative values") as info:
        rk.compare_retention(lifetimes=bad, horizon="30D", churn_after="30D", **OWN)
    # the declared lifetimes check's words, as the survival functions say them, and its fix runs
    with pytest.raises(rk.DataError) as survival:
        rk.kaplan_meier(bad, duration_col="tenure_days", event_col="Churn")
    assert str(survival.value) == str(info.value)
    df = bad.copy()
    exec(str(info.value).split("e.g. ", 1)[1].rstrip("."), {"np": np, "pd": pd, "df": df}, scope := {"df": df})
    _quiet(lambda: rk.compare_retention(lifetimes=scope["df"], horizon="30D", churn_after="30D", **OWN))


def test_a_misspelled_column_gets_did_you_mean(own, monthly):
    with pytest.raises(rk.DataError, match=r"Column 'tenure_day' \(duration_col\) not found in lifetimes.*"
                                           r"Did you mean 'tenure_days'\? Pass duration_col='tenure_days'"):
        rk.compare_retention(lifetimes=own, horizon="30D", churn_after="30D", **{**OWN, "duration_col": "tenure_day"})
    with pytest.raises(rk.DataError, match=r"Column 'churn' \(event_col\) not found in lifetimes.*"
                                           r"Did you mean 'Churn'\? Pass event_col='Churn'"):
        rk.compare_retention(lifetimes=monthly, **{**MONTHLY, "event_col": "churn"})
    # The canonical names, when missing, say what the lifetimes need and how to rename.
    with pytest.raises(rk.DataError, match=r"Column 'duration' \(duration_col\) not found in lifetimes.*"
                                           r"Pass duration_col=.*columns start, duration, churned"):
        rk.compare_retention(lifetimes=own, horizon="30D", churn_after="30D", customer_col="user")


def test_units_that_do_not_fit_are_refused(shop, monthly, own):
    with pytest.raises(rk.ParameterError, match="horizon='30D' must be a number of months"):
        rk.compare_retention(lifetimes=monthly, **{**MONTHLY, "horizon": "30D"})
    with pytest.raises(rk.ParameterError, match=r"time_unit='sessions': a comparison needs the calendar time"):
        rk.compare_retention(lifetimes=monthly, **{**MONTHLY, "time_unit": "sessions"})
    with pytest.raises(rk.ParameterError, match=r"time_unit='months' is the unit of a lifetimes table"):
        rk.compare_retention(shop.assignments, shop.transactions, churn_after="30D", time_unit="months")
    with pytest.raises(rk.ParameterError, match=r"time_unit='': name the unit"):
        rk.compare_retention(lifetimes=own, churn_after="30D", time_unit="", **OWN)


# -- numbers against an independent computation ------------------------------------------------------

def test_monthly_numbers_match_hand_counts_and_lifelines(monthly, by_month):
    row = by_month.summary.loc["loyalty"]
    # Fixed horizon by hand: mature when start + 6 months (6 * 365.25 / 12 days) + 30 days <= as_of;
    # retained (open end) when still active or when the tenure exceeds 6 months.
    mature = monthly["start"] + pd.Timedelta(days=6 * 365.25 / 12) + pd.Timedelta(days=30) <= "2024-12-31"
    kept = (monthly["Churn"] == "No") | (monthly["tenure_months"] > 6)
    for arm, prefix in (("loyalty", ""), ("control", "control_")):
        mine = mature & (monthly["group"] == arm)
        assert (row[prefix + "n"], row[prefix + "retained"]) == (mine.sum(), (kept & mine).sum())
    assert row["diff"] == pytest.approx(row["rate"] - row["control_rate"], abs=1e-15)
    # Whole curve against lifelines: the area under each arm's Kaplan-Meier curve up to 6 months
    # and the log-rank test of the two arms.
    d, e = monthly["tenure_months"], monthly["Churn"] == "Yes"
    area = {}
    for arm in ("control", "loyalty"):
        m = monthly["group"] == arm
        area[arm] = restricted_mean_survival_time(KaplanMeierFitter().fit(d[m], e[m]), t=6)
    assert (row["rmst"], row["control_rmst"]) == pytest.approx((area["loyalty"], area["control"]), rel=1e-9)
    t, c = monthly["group"] == "loyalty", monthly["group"] == "control"
    assert row["logrank_p_value"] == pytest.approx(logrank_test(d[t], d[c], e[t], e[c]).p_value, rel=1e-9)


def test_time_unit_reaches_the_words_and_the_axes(by_month):
    text = by_month.explain()
    assert by_month.time_unit == "months" and by_month.title == "Retention at month 6: loyalty vs control"
    assert "mean months retained within the first 6 (RMST)" in text
    assert "more than 6 months after assignment" in text and "whose 6 months plus the 30-day churn window" in text
    assert "days retained" not in text and "day 6" not in text
    assert "RMST diff (6 months)" in by_month._repr_html_()
    assert by_month.plot_curves().get_xlabel() == "months since assignment"
    assert by_month.plot_hazard_ratio().get_xlabel() == "months since assignment (middle of the period)"
    assert by_month.plot_difference().get_title() == "Retention at month 6: difference from control"
    plt.close("all")


def test_rmst_as_primary_speaks_in_the_unit(monthly):
    res = _quiet(lambda: rk.compare_retention(lifetimes=monthly, primary="rmst", rmst_horizon=12, **MONTHLY))
    line = res.explain().split("\n")[0]
    assert "restricted mean survival time to month 12" in line and "months of the first 12" in line


def test_unit_defaults_to_the_frames_metadata(shop):
    life = rk.customer_lifetimes(shop.transactions, churn_after="30D", start_times=shop.assignments, by=["arm"],
                                 freq="M")
    assert rk.metadata(life)["time_unit"] == "months"
    res = _quiet(lambda: rk.compare_retention(shop.assignments, lifetimes=life, horizon=2, churn_after="30D"))
    assert res.time_unit == "months" and res.title.startswith("Retention at month 2")


def test_the_open_end_warning_points_at_the_callers_line(monthly):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rk.compare_retention(lifetimes=monthly, **MONTHLY)
    found = [w for w in caught if issubclass(w.category, rk.RetentionWarning)]
    assert found and "Retention at month 6 is counted with an open end" in str(found[0].message)
    assert all(w.filename == __file__ for w in found)

