"""Real data come in other shapes (issue 13): ready-made lifetimes with their own column names,
Yes/No or 1/0 churn flags and any unit; a per-customer table of arm and retained flag straight
into the A/B comparison; a table without timestamps pointed to the comparisons that need none."""

import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import retention_kit as rk


@pytest.fixture(scope="module")
def telecom():
    """A telecom-like subscription table: tenure in months, Churn as Yes/No."""
    rng = np.random.default_rng(13)
    n = 400
    contract = rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.5, 0.3, 0.2])
    scale = pd.Series(contract).map({"Month-to-month": 20, "One year": 45, "Two year": 80}).to_numpy()
    tenure = np.minimum(rng.exponential(scale), 72).round()
    churn = np.where((tenure < 72) & (rng.random(n) < 0.7), "Yes", "No")
    return pd.DataFrame({"customerID": [f"c{i}" for i in range(n)], "tenure_months": tenure,
                         "Churn": churn, "Contract": contract})


@pytest.fixture(scope="module")
def canonical(telecom):
    """The same table renamed to the kit's names by hand, as users had to do before."""
    return telecom.rename(columns={"tenure_months": "duration", "Churn": "churned"}).assign(
        churned=lambda d: d["churned"] == "Yes")


COLS = dict(duration_col="tenure_months", event_col="Churn")


def test_kaplan_meier_logrank_pairwise_equal_the_canonical_frame(telecom, canonical):
    km = rk.kaplan_meier(telecom, by="Contract", time_unit="months", **COLS)
    ref = rk.kaplan_meier(canonical, by="Contract", time_unit="months")
    pd.testing.assert_frame_equal(km.summary, ref.summary)
    pd.testing.assert_frame_equal(km.survival_at([6, 12, 24]), ref.survival_at([6, 12, 24]))
    lr, lr_ref = rk.logrank(telecom, by="Contract", **COLS), rk.logrank(canonical, by="Contract")
    assert lr.test_statistic == pytest.approx(lr_ref.test_statistic, rel=1e-12)
    assert lr.p_value == pytest.approx(lr_ref.p_value, rel=1e-12)
    pw = rk.pairwise_logrank(telecom, by="Contract", **COLS).summary
    pd.testing.assert_frame_equal(pw, rk.pairwise_logrank(canonical, by="Contract").summary)


def test_rmst_and_cox_equal_the_canonical_frame(telecom, canonical):
    r = rk.rmst(telecom, horizon=24, time_unit="months", **COLS)
    assert (r.value, r.std_error) == pytest.approx((rk.rmst(canonical, horizon=24).value,
                                                    rk.rmst(canonical, horizon=24).std_error), rel=1e-12)
    diff = rk.rmst_difference(telecom, by="Contract", labels=("Month-to-month", "One year"), horizon=24, **COLS)
    ref = rk.rmst_difference(canonical, by="Contract", labels=("Month-to-month", "One year"), horizon=24)
    assert (diff.difference, diff.p_value) == pytest.approx((ref.difference, ref.p_value), rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.ProportionalHazardsWarning)
        cox = rk.cox_drivers(telecom, covariates=["Contract"], **COLS)
        cox_ref = rk.cox_drivers(canonical, covariates=["Contract"])
    pd.testing.assert_frame_equal(cox.summary, cox_ref.summary)


def test_aggregated_flags_become_booleans_and_fit_the_same(telecom, canonical):
    agg = rk.aggregate_lifetimes(telecom, by="Contract", **COLS)
    assert agg["Churn"].dtype == bool and agg["count"].sum() == len(telecom)
    km = rk.kaplan_meier(agg, by="Contract", weights_col="count", **COLS)
    pd.testing.assert_frame_equal(km.summary, rk.kaplan_meier(canonical, by="Contract").summary)


@pytest.mark.parametrize("flags", [
    ["Yes", "No"], ["yes", "no"], [" YES ", "No"], ["True", "false"], ["churned", "Active"], [1, 0], [1.0, 0.0],
    [True, False], ["1", "0"]])
def test_every_flag_spelling_reads_the_same(canonical, flags):
    life = canonical.assign(churned=np.where(canonical["churned"], flags[0], flags[1]))
    ref = rk.kaplan_meier(canonical).summary
    pd.testing.assert_frame_equal(rk.kaplan_meier(life).summary, ref)


def test_unit_in_explanations_and_axis_labels(telecom):
    km = rk.kaplan_meier(telecom, by="Contract", time_unit="months", **COLS)
    assert "months" in km.explain() and "days" not in km.explain()
    ax = km.plot()
    assert ax.get_xlabel() == "months since start"
    matplotlib.pyplot.close("all")
    r = rk.rmst(telecom, horizon=24, time_unit="months", **COLS)
    assert "24 months" in r.explain() and "days" not in r.explain() and "months" in r.title
    d = rk.rmst_difference(telecom, by="Contract", labels=("Month-to-month", "One year"), horizon=24,
                           time_unit="months", **COLS)
    assert "months" in d.explain() and "days" not in d.explain()


def test_unit_defaults_to_the_frames_metadata_then_days(telecom):
    recorded = telecom.copy()
    recorded.attrs["time_unit"] = "weeks"
    assert rk.kaplan_meier(recorded, **COLS).time_unit == "weeks"
    assert rk.rmst(recorded, horizon=10, **COLS).time_unit == "weeks"
    assert rk.kaplan_meier(telecom, **COLS).time_unit == "days"
    assert rk.kaplan_meier(recorded, time_unit="months", **COLS).time_unit == "months"
    with pytest.raises(rk.ParameterError, match="time_unit=''"):
        rk.kaplan_meier(telecom, time_unit="", **COLS)


@pytest.mark.parametrize("fit", [
    lambda life: rk.kaplan_meier(life, **COLS),
    lambda life: rk.logrank(life, by="Contract", **COLS),
    lambda life: rk.pairwise_logrank(life, by="Contract", **COLS),
    lambda life: rk.rmst(life, horizon=12, **COLS),
    lambda life: rk.rmst_difference(life, by="Contract", labels=("One year", "Two year"), horizon=12, **COLS),
    lambda life: rk.cox_drivers(life, covariates=["Contract"], **COLS),
    lambda life: rk.aggregate_lifetimes(life, **COLS),
], ids=["kaplan_meier", "logrank", "pairwise_logrank", "rmst", "rmst_difference", "cox_drivers",
        "aggregate_lifetimes"])
def test_bad_flags_are_refused_with_column_values_count_and_fix(telecom, fit):
    bad = telecom.copy()
    bad.loc[bad.index[:3], "Churn"] = "maybe"
    bad.loc[bad.index[3], "Churn"] = None
    with pytest.raises(rk.DataError) as err:
        fit(bad)
    msg = str(err.value)
    assert "Column 'Churn'" in msg and "'maybe'" in msg and "1 missing" in msg
    assert f"4 of {len(bad):,} rows" in msg
    assert "replace({'maybe': False})" in msg
    # The suggested fix runs and makes the data acceptable.
    fixed = bad.dropna(subset=["Churn"]).copy()
    fixed["Churn"] = fixed["Churn"].replace({"maybe": False})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.ProportionalHazardsWarning)
        fit(fixed)


def test_a_misnamed_duration_column_names_the_argument_that_renames_it(telecom):
    with pytest.raises(rk.DataError, match=r"Column 'tenure' \(duration_col\) not found.*Pass duration_col='tenure_months'"):
        rk.kaplan_meier(telecom, duration_col="tenure", event_col="Churn")
    with pytest.raises(rk.ParameterError, match="duration_col"):
        rk.rmst([1, 2], [1, 0], horizon=1, duration_col="tenure")


# -- 2. a per-customer table of arm and retained flag --------------------------------------------

@pytest.fixture(scope="module")
def game():
    """A mobile-game-like A/B export: one row per player, version and a 7-day retained flag."""
    rng = np.random.default_rng(7)
    n = 600
    version = rng.choice(["gate_30", "gate_40"], n)
    retained = rng.random(n) < np.where(version == "gate_30", 0.19, 0.18)
    return pd.DataFrame({"userid": np.arange(n), "version": version, "retention_7": retained})


def test_per_customer_table_equals_the_hand_aggregated_counts(game):
    res = rk.compare_retained(game, arm_col="version", retained_col="retention_7", control="gate_30")
    counts = {arm: (int(len(g)), int(g["retention_7"].sum())) for arm, g in game.groupby("version")}
    ref = rk.compare_retention_counts(counts, control="gate_30")
    pd.testing.assert_frame_equal(res.summary, ref.summary)
    assert res.explain() == ref.explain()
    # Text flags and an id column give the same numbers.
    text = game.assign(retention_7=game["retention_7"].map({True: "Yes", False: "no"}))
    again = rk.compare_retained(text, arm_col="version", retained_col="retention_7", customer_col="userid",
                                control="gate_30", correction="bonferroni", alpha=0.1)
    pd.testing.assert_frame_equal(again.summary, rk.compare_retention_counts(
        counts, control="gate_30", correction="bonferroni", alpha=0.1).summary)


def test_per_customer_table_refusals(game):
    kw = dict(arm_col="version", retained_col="retention_7", control="gate_30")
    dup = pd.concat([game, game.iloc[:2]])
    with pytest.raises(rk.DataError, match=r"'userid' \(customer_col\) repeats 2 customers in 4 rows"):
        rk.compare_retained(dup, customer_col="userid", **kw)
    no_arm = game.assign(version=game["version"].where(game.index >= 5))
    with pytest.raises(rk.DataError, match=r"'version' \(arm_col\) is missing in 5 of 600 rows.*dropna"):
        rk.compare_retained(no_arm, **kw)
    no_flag = game.astype({"retention_7": object})
    no_flag.loc[:6, "retention_7"] = None
    with pytest.raises(rk.DataError, match=r"Column 'retention_7' must be True/False.*7 of 600 rows.*7 missing"):
        rk.compare_retained(no_flag, **kw)
    with pytest.raises(rk.DataError, match=r"Column 'retained' \(retained_col\) not found.*retention_7"):
        rk.compare_retained(game, arm_col="version", control="gate_30")
    with pytest.raises(rk.ParameterError, match="control='gate30'.*Did you mean 'gate_30'"):
        rk.compare_retained(game, **{**kw, "control": "gate30"})


# -- 3. a table without timestamps is pointed to the comparisons that need none --------------------

def test_compare_retention_without_dates_points_to_the_per_customer_and_counts_forms(game):
    table = game.rename(columns={"userid": "customer_id", "version": "arm"})
    with pytest.raises(rk.DataError, match=r"Column 'date' \(time_col\) not found in assignments.*"
                                           r"rk\.compare_retained\(.*rk\.compare_retention_counts\("):
        rk.compare_retention(table, table, churn_after=30, control="gate_30")
    dated = table.assign(date=pd.Timestamp("2024-01-01"))
    with pytest.raises(rk.DataError, match=r"not found in events.*rk\.compare_retained\("):
        rk.compare_retention(dated, table, churn_after=30, control="gate_30")
    with pytest.raises(rk.DataError, match=r"Column 'start' not found in lifetimes.*rk\.compare_retained\("):
        rk.compare_retention(lifetimes=table, churn_after=30, control="gate_30")
    # The advice, followed, works.
    res = rk.compare_retained(table, arm_col="arm", retained_col="retention_7", control="gate_30")
    assert "gate_40" in res.summary.index


# -- 4. the report validates its data once ------------------------------------------------------

@pytest.mark.parametrize("as_of", [None, "2024-05-31"])
def test_the_report_validates_its_data_once_with_the_same_numbers(monkeypatch, as_of):
    from retention_kit import report
    from retention_kit.report import inputs

    calls = []
    real = inputs.validate_events  # the door the report's data go through
    monkeypatch.setattr(inputs, "validate_events", lambda *a, **k: calls.append(a) or real(*a, **k))
    config = report.ReportConfig(as_of=as_of)
    data = report.check_inputs(config)  # reads, chooses churn_after from the gaps, checks the period
    log = data.log
    assert isinstance(log, rk.EventLog) and data.log is log and len(calls) == 1
    events, cols = data.events, config.cols
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        pd.testing.assert_frame_equal(rk.crr_table(log, config.period, amount_col=config.amount_col, as_of=as_of,
                                                  **cols).table,
                                      rk.crr_table(events, config.period, amount_col=config.amount_col, as_of=as_of,
                                                   **cols).table)
        by = [config.segment_col]
        pd.testing.assert_frame_equal(
            rk.customer_lifetimes(log, churn_after=config.churn_gap, by=by, as_of=as_of, **cols),
            rk.customer_lifetimes(events, churn_after=config.churn_gap, by=by, as_of=as_of, **cols))
        a = rk.compare_retention(data.assignments, log, horizon=config.horizon, control=config.control_arm,
                                 churn_after=config.churn_gap, arm_col=config.arm_col, as_of=as_of, **cols)
        b = rk.compare_retention(data.assignments, events, horizon=config.horizon, control=config.control_arm,
                                 churn_after=config.churn_gap, arm_col=config.arm_col, as_of=as_of, **cols)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    assert len(calls) == 1
