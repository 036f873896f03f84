"""The report's experiment section when the data are not yet mature: maturity per arm, the
enrolment rate and when the experiment can be read, the plan (``--planned-n``, or the sample
``--mde`` needs) and the comparison read as an interim look of a group-sequential plan.

Every number in the sentences is checked against an independent computation: counts and
dates by hand on a seeded log, sample sizes with ``rk.sample_size``, calendar weeks with
``rk.calendar_plan`` and hand arithmetic, boundaries with ``rk.spending_boundaries`` or the
O'Brien-Fleming-type spending function written out with scipy. Then the new command-line
options, and the command end to end on the bundled example at an earlier ``--as-of``."""

import html as html_module
import math
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import retention_kit as rk
from retention_kit import report
from retention_kit.cli import build_parser, main
from retention_kit.report import ReportConfig

H, W = pd.Timedelta(days=30), pd.Timedelta(days=20)   # horizon and window (churn_after) of the tests
START = pd.Timestamp("2024-01-01")


def _experiment(n=1200, days=120, seed=3, rates=(0.55, 0.65)):
    """Customers assigned uniformly over ``days``; a retained customer buys once in the window
    (day 31 to 49 after assignment), a lapsed one never again."""
    rng = np.random.default_rng(seed)
    offsets = np.sort(rng.uniform(0, days, n))
    arm = np.where(rng.random(n) < 0.5, "control", "treatment")
    ids = [f"c{i:05d}" for i in range(n)]
    starts = START + pd.to_timedelta(offsets, unit="D")
    assignments = pd.DataFrame({"customer_id": ids, "arm": arm, "date": starts})
    back = rng.random(n) < np.where(arm == "control", rates[0], rates[1])
    later = starts + pd.to_timedelta(rng.uniform(31, 49, n), unit="D")
    events = pd.concat([assignments[["customer_id", "date"]],
                        pd.DataFrame({"customer_id": np.array(ids)[back], "date": later[back]})])
    return assignments, events.sort_values("date", ignore_index=True)


def _config(**kw):
    base = dict(amount_col=None, segment_col=None, arm_col="arm", assigned_col=None, horizon="30D",
                churn_after="20D")
    return ReportConfig("experiment.csv", **{**base, **kw})


def _read(assignments, events, config):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        result = rk.compare_retention(assignments, events, horizon=config.horizon, churn_after=config.churn_gap,
                                      as_of=config.as_of, control="control", arm_col="arm")
    return result, report.experiment_plan(result, assignments, config)


def _hand_counts(assignments, events, as_of):
    """Assigned by the end of the as-of day, mature (assignment + H + w <= as of), per arm."""
    as_of_ts = events.loc[events["date"] <= pd.Timestamp(as_of) + pd.Timedelta(days=1), "date"].max()
    seen = assignments[assignments["date"] < pd.Timestamp(as_of) + pd.Timedelta(days=1)]
    mature = seen[seen["date"] + H + W <= as_of_ts]
    return seen, seen.groupby("arm").size(), mature.groupby("arm").size()


def _pooled_z(row):
    p = (row["retained"] + row["control_retained"]) / (row["n"] + row["control_n"])
    se = math.sqrt(p * (1 - p) * (1 / row["n"] + 1 / row["control_n"]))
    return (row["rate"] - row["control_rate"]) / se, se


def _obf_first_look(t, alpha=0.05):
    """Look 1 of a two-sided O'Brien-Fleming-type design by hand (Lan & DeMets 1983): each
    side spends 2 - 2 Phi(z_{1 - alpha/4} / sqrt(t)) by information fraction t; the first
    boundary is the z with that tail probability."""
    spent = 2 * stats.norm.sf(stats.norm.isf(alpha / 4) / math.sqrt(t))  # 2 - 2 Phi(.), without cancellation
    return stats.norm.isf(spent)


def _flat(text):
    return " ".join(text.replace("**", "").split())


# -- maturity, the plan and the interim look on a seeded log --------------------------------

@pytest.fixture(scope="module")
def interim():
    assignments, events = _experiment()
    config = _config(as_of="2024-03-31")
    result, plan = _read(assignments, events, config)
    return assignments, events, config, result, plan


def test_maturity_counts_rate_and_dates_by_hand(interim):
    assignments, events, config, result, plan = interim
    seen, assigned, mature = _hand_counts(assignments, events, "2024-03-31")
    assert plan.assigned.to_dict() == assigned.to_dict() and plan.mature.to_dict() == mature.to_dict()
    assert plan.immature == len(seen) - mature.sum() > 0
    first, last = seen["date"].min(), seen["date"].max()
    per_week = len(seen) / ((last - first) / pd.Timedelta(weeks=1))
    assert plan.per_week == pytest.approx(per_week)
    text = _flat(report.maturity_text(plan))
    arm_words = f"{mature['control']:,} of {assigned['control']:,} control and {mature['treatment']:,} of " \
                f"{assigned['treatment']:,} treatment"
    assert (f"Of the {len(seen):,} customers assigned by 31 March 2024, {mature.sum():,} are mature ({arm_words}): "
            "observed for the 30-day horizon and the 20-day window after it.") in text
    assert f"The other {len(seen) - mature.sum():,}, assigned after" in text
    assert f"Customers were assigned at about {per_week:,.0f} a week" in text
    done = last + H + W
    assert f"Every customer assigned so far is mature on {done.day} {done:%B %Y}" in text


def test_plan_from_the_mde_is_the_sample_size_times_the_inflation_factor(interim):
    _, _, config, result, plan = interim
    control_rate = result.summary["control_rate"].iloc[0]
    fixed = rk.sample_size(control_rate, 0.05, alpha=0.05, power=0.8)
    inflation = rk.spending_boundaries(looks=4, alpha=0.05).inflation_factor(0.8)
    target = math.ceil(fixed.n_control * inflation)
    assert plan.target == target and plan.looks == 4
    text = _flat(report.maturity_text(plan))
    assert (f"detect a rise of 5 percentage points (the minimum detectable effect; set it with mde) from the "
            f"control's observed {100 * control_rate:.1f} % to {100 * (control_rate + 0.05):.1f} %") in text
    assert f"{fixed.n_control:,} mature customers per arm for a single look at the end, {target:,} per arm" in text
    # When: 2 x target customers at the observed rate, then the horizon and the window (hand and calendar_plan).
    weeks = (H + W) / pd.Timedelta(weeks=1) + 2 * target / plan.per_week
    assert rk.calendar_plan(2 * target, plan.per_week, horizon="30D", churn_after="20D").readable_week == \
        pytest.approx(weeks)
    when = plan.first + pd.Timedelta(weeks=weeks)
    assert (f"split evenly between the arms, {target:,} mature customers per arm are reached in week {weeks:.0f} "
            f"after the first assignment, around {when.day} {when:%B %Y}.") in text


def test_interim_look_boundary_and_z_by_hand(interim):
    _, _, _, result, plan = interim
    row = result.summary.loc["treatment"]
    z, se = _pooled_z(row)
    t = 2 / (1 / row["n"] + 1 / row["control_n"]) / plan.target
    assert 0 < t < 1
    planned = np.array([0.25, 0.5, 0.75, 1.0])
    k = min(int(np.argmin(abs(planned - t))) + 1, 3)
    fractions = np.concatenate([planned[:k - 1], [t], planned[k:]])
    boundary = rk.spending_boundaries(fractions, alpha=0.05).boundaries[k - 1]
    if k == 1:
        assert boundary == pytest.approx(_obf_first_look(t), abs=1e-6)
    look = plan.monitors["treatment"]
    assert look.boundary == pytest.approx(boundary, abs=1e-6) and look.z == pytest.approx(z, abs=1e-9)
    assert report.look_design(plan, "treatment").boundaries[k - 1] == pytest.approx(boundary, abs=1e-6)
    decision = "continue" if abs(z) < boundary else "stop, treatment kept more customers"
    text = _flat(report.monitoring_text(plan))
    assert text.startswith(f"Interim look: {decision}. This is an interim look ({100 * t:.0f} % of the planned "
                           f"information: {2 / (1 / row['n'] + 1 / row['control_n']):,.0f} of {plan.target:,} "
                           f"mature customers per arm), read as look {k} of a plan of 4 looks")
    assert (f"The evidence needed to stop early at this look is z ≥ {boundary:.2f} in either direction (a "
            f"difference of {boundary * se * 100:.1f} points or more); the data give z = {z:+.2f} "
            f"({row['diff'] * 100:+.1f} points)") in text
    # The numbers below say they are interim: no verdict before the plan's last look.
    verdict = _flat(report.experiment_text(result, plan))
    assert verdict.startswith("treatment vs control so far.") and "kept more customers" not in verdict


def test_first_look_against_the_spending_function_written_out():
    # A large planned sample puts the look near the plan's first quarter: look 1, whose boundary
    # is the spending function's tail quantile, no recursion needed.
    assignments, events = _experiment()
    config = _config(as_of="2024-03-31", planned_n=1000, looks=4)
    result, plan = _read(assignments, events, config)
    row = result.summary.loc["treatment"]
    t = 2 / (1 / row["n"] + 1 / row["control_n"]) / 1000
    assert t < 0.375  # nearest to the first planned look (25 %)
    look = plan.monitors["treatment"]
    assert look.look == 1 and look.boundary == pytest.approx(_obf_first_look(t), abs=1e-6)
    assert f"z ≥ {_obf_first_look(t):.2f} in either direction" in report.monitoring_text(plan)
    text = _flat(report.maturity_text(plan))
    assert "The plan: 1,000 mature customers per arm at the last of 4 looks." in text
    assert "No planned sample was given" not in text


def test_a_planned_sample_already_assigned_is_mature_on_a_known_day():
    assignments, events = _experiment()
    config = _config(as_of="2024-03-31", planned_n=250)
    result, plan = _read(assignments, events, config)
    seen, assigned, mature = _hand_counts(assignments, events, "2024-03-31")
    assert mature.min() < 250 <= assigned.min()  # the 250th of each arm is assigned but not yet mature
    nth = seen.sort_values("date").groupby("arm")["date"].nth(249).max()
    when = nth + H + W
    assert plan.target_how == "assigned" and plan.target_date == when
    assert (f"Enough customers are assigned already: every arm has 250 mature customers per arm on "
            f"{when.day} {when:%B %Y}.") in _flat(report.maturity_text(plan))


def test_all_mature_without_a_plan_keeps_the_section_as_it_was():
    assignments, events = _experiment()
    config = _config()  # as of the last event, under 49 days after the last assignment: some are immature
    config_late = _config(as_of="2024-07-31")
    result, plan = _read(assignments, events, config_late)
    assert plan.immature == 0 and not plan.monitoring and not plan.monitors
    assert report.monitoring_text(plan) == ""
    assert report.experiment_text(result, plan) == report.experiment_text(result)
    last = assignments["date"].max()
    done = last + H + W
    text = _flat(report.maturity_text(plan))
    assert text == (f"All {len(assignments):,} assigned customers ({(assignments['arm'] == 'control').sum():,} "
                    f"control and {(assignments['arm'] == 'treatment').sum():,} treatment) are mature, that is "
                    "observed for the 30-day horizon and the 20-day window after it (the last, assigned on "
                    f"{last.day} {last:%B %Y}, since {done.day} {done:%B %Y}), so the experiment can be read in full.")
    # At the last event some customers are not mature yet: then the look is read.
    assert _read(assignments, events, config)[1].monitoring


def test_final_look_when_the_plan_is_reached_decides_the_verdict():
    assignments, events = _experiment(n=3000, rates=(0.55, 0.62))
    config = _config(as_of="2024-07-31", planned_n=600, looks=3)
    result, plan = _read(assignments, events, config)
    look = plan.monitors["treatment"]
    assert plan.target_how == "reached" and look.information_fraction >= 1
    z, _ = _pooled_z(result.summary.loc["treatment"])
    assert look.decision == "stop for efficacy" and z >= look.boundary
    text = _flat(report.monitoring_text(plan))
    assert text.startswith("Final look: treatment kept more customers. The plan's 600 mature customers per arm "
                           "are reached, so this is the last look of a plan of 3 looks")
    assert "The verdict is the plan's final look, above." in report.experiment_text(result, plan)
    assert "The experiment has reached 600 mature customers per arm" in _flat(report.maturity_text(plan))


def test_plan_options_in_the_config_header_and_command():
    cfg = ReportConfig(planned_n="1,500", mde="2.5", looks="3", cli=True)
    assert (cfg.planned_n, cfg.mde, cfg.looks) == (1500, 2.5, 3)
    assert cfg.command() == "retention-kit report --planned-n 1500 --mde 2.5 --looks 3 --out report.html"
    assert ReportConfig().command() == "retention-kit report --out report.html"
    data = report.load_data(ReportConfig(planned_n=1500, looks=3))
    params = report.header(data).data
    assert ("minimum detectable effect = 2.5 points" not in params and "minimum detectable effect = 5 points; "
            "planned = 1,500 mature customers per arm; looks = 3" in params)
    for kw, message in [({"mde": 0}, "mde = 0 is not a minimum detectable effect"),
                        ({"mde": 0.05}, "If you meant 5 % (a share of 0.05), write mde = 5"),
                        ({"looks": 1}, "looks = 1 is not a number of looks"),
                        ({"planned_n": 12.5}, "planned_n = 12.5 is not a number of customers")]:
        with pytest.raises(rk.ParameterError, match=re.escape(message)):
            ReportConfig(**kw)


# -- the command line ----------------------------------------------------------------------

def _args(*argv):
    return build_parser().parse_args(["report", *argv, "--out", "r.html"])


def test_cli_reads_the_plan_options():
    from retention_kit.report.run import _config as cli_config

    cfg = cli_config(_args("--planned-n", "1,400", "--mde", "3", "--looks", "5"))
    assert (cfg.planned_n, cfg.mde, cfg.looks, cfg.cli) == (1400, 3.0, 5, True)
    cfg = cli_config(_args())
    assert (cfg.planned_n, cfg.mde, cfg.looks) == (None, 5.0, None)
    cfg = cli_config(_args("data.csv", "--arm-col", "variant", "--mde", "2%"))
    assert cfg.mde == 2.0 and cfg.arm_col == "variant"


@pytest.mark.parametrize("flag, value, message", [
    ("--planned-n", "0", "--planned-n '0' is not a number of customers"),
    ("--planned-n", "many", "--planned-n 'many' is not a number of customers"),
    ("--planned-n", "1400.5", "give a whole number of at least 1"),
    ("--mde", "-5", "--mde '-5' is not a minimum detectable effect: give it in percentage points"),
    ("--mde", "0.05", "--mde '0.05' is in percentage points"),
    ("--mde", "five", "--mde 'five' is not a minimum detectable effect"),
    ("--looks", "1", "--looks '1' is not a number of looks"),
    ("--looks", "50", "give a whole number from 2 to 20"),
])
def test_bad_plan_options_stop_with_exit_2_and_nothing_written(capsys, tmp_path, flag, value, message):
    out = tmp_path / "report.html"
    assert main(["report", flag, value, "--out", str(out), "-q"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith("retention-kit: ") and message in err and err.endswith("Nothing was written.")
    assert list(tmp_path.iterdir()) == []


def test_plan_options_need_an_experiment_on_your_own_file(capsys, tmp_path):
    data = tmp_path / "events.csv"
    pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01"]}).to_csv(data, index=False)
    assert main(["report", str(data), "--looks", "3", "--mde", "4", "--out", str(tmp_path / "r.html"), "-q"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--mde and --looks plan an experiment: give --arm-col too." in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv"]


def test_help_names_the_plan_options():
    text = " ".join(build_parser()._subparsers._group_actions[0].choices["report"].format_help().split())
    for phrase in ("--planned-n N", "--mde POINTS", "--looks K", "minimum detectable effect in percentage points",
                   "(default: 5)", "read as an interim look of a group-sequential plan"):
        assert phrase in text


# -- end to end: the bundled example read at 31 May 2024 ----------------------------------

def _text(html: str) -> str:
    return html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture(scope="module")
def bundled_interim(tmp_path_factory):
    folder = tmp_path_factory.mktemp("interim")
    done = subprocess.run([sys.executable, "-m", "retention_kit", "report", "--as-of", "2024-05-31", "--mde", "4",
                           "--out", str(folder / "interim.html"), "-q"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return _text((folder / "interim.html").read_text())


def test_bundled_interim_report_reads_the_look_against_an_independent_boundary(bundled_interim):
    text = bundled_interim
    shop = rk.load_coffee_shop()
    events = shop.transactions
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        # No --churn-after: the report takes the 95th percentile of the gaps up to the as-of date.
        churn = pd.Timedelta(days=float(np.ceil(rk.purchase_gaps(events, as_of="2024-05-31").quantile(0.95))))
        res = rk.compare_retention(shop.assignments, events, horizon="30D", churn_after=churn, as_of="2024-05-31")
    row = res.summary.loc["loyalty"]
    z, se = _pooled_z(row)
    fixed = rk.sample_size(row["control_rate"], 0.04, alpha=0.05, power=0.8)
    target = math.ceil(fixed.n_control * rk.spending_boundaries(looks=4).inflation_factor(0.8))
    t = 2 / (1 / row["n"] + 1 / row["control_n"]) / target
    planned = np.array([0.25, 0.5, 0.75, 1.0])
    k = min(int(np.argmin(abs(planned - t))) + 1, 3)
    boundary = rk.spending_boundaries(np.concatenate([planned[:k - 1], [t], planned[k:]])).boundaries[k - 1]
    assert abs(z) < boundary  # this look continues
    assert (f"Interim look: continue. This is an interim look ({100 * t:.0f} % of the planned information") in text
    assert (f"The evidence needed to stop early at this look is z ≥ {boundary:.2f} in either direction (a "
            f"difference of {boundary * se * 100:.1f} points or more); the data give z = {z:+.2f}") in text
    assert f"--planned-n), so the report reads the experiment against the sample needed to detect a rise of 4 " \
           f"percentage points (the minimum detectable effect; set it with --mde)" in text
    assert f"{fixed.n_control:,} mature customers per arm for a single look at the end, {target:,} per arm" in text
    mature, assigned = int(row["n"] + row["control_n"]), int(row["n"] + row["control_n"] + res.immature.sum())
    assert f"Of the {assigned:,} customers assigned by 31 May 2024, {mature:,} are mature" in text
    assert "loyalty vs control so far." in text and "loyalty kept more customers." not in text
    # The parameters and the command that re-runs it name the new option; the key numbers the look.
    assert "minimum detectable effect = 4 points" in text and "--as-of 2024-05-31 --mde 4 --out" in text
    assert f"loyalty: look {k} of 4 at {t:.1%} of {target:,} per arm, z = {z:+.2f} vs boundary {boundary:.3f}: " \
           "continue" in text
    assert "start_times" not in text and "customers assigned after the as-of date (2024-05-31) are left out" in text
