"""The report package's layout (issue 14, "modules by concept"): retention_kit.report keeps every
public name it had as one module, its modules and functions stay readable in one sitting, no
private helper crosses modules, and sentences that a result already says come from the result."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import pytest

import retention_kit as rk
from retention_kit import cli, report

PACKAGE = Path(report.__file__).parent
SOURCES = sorted(PACKAGE.glob("*.py")) + [Path(cli.__file__)]

# Every public name of retention_kit/report.py before it became a package (the notebook's and
# the tests' retention_kit.report.X), less the error classes and period parsers it only imported.
PUBLIC_BEFORE = [
    "validate_events", "CSV_SUFFIXES", "COMPRESSIONS", "PARQUET_SUFFIXES", "BUNDLED", "CLI_FLAGS",
    "ReportConfig", "ReportData", "sha256", "load_data", "CHURN_QUANTILE", "check_inputs", "report_notebook",
    "header", "pct", "count", "join_words", "paragraphs", "for_reader", "caveats", "intro_text", "quality_text",
    "crr_text", "cohort_text", "MIN_NAMED_SEGMENT", "survival_text", "experiment_intro", "experiment_text",
    "DEFAULT_MDE", "DEFAULT_LOOKS", "PLAN_POWER", "PLAN_SPENDING", "plan_options", "ExperimentPlan",
    "experiment_plan", "maturity_text", "monitoring_text", "look_design", "plot_monitoring", "VALUE_TIME_UNIT",
    "VALUE_HORIZON", "ANNUAL_DISCOUNT", "ALIVE_THRESHOLD", "MIN_REPEAT_BUYERS", "ONE_TIME_HEAVY", "FIT_GAP",
    "CustomerValueSection", "customer_value", "customer_value_intro", "customer_value_text",
    "plot_frequency_check", "plot_value_distribution",
]

MAX_MODULE_LINES = 450


def test_every_public_name_of_the_old_module_is_still_there():
    missing = [name for name in PUBLIC_BEFORE if not hasattr(report, name)]
    assert not missing, missing
    assert set(report.__all__) <= set(PUBLIC_BEFORE)
    # Functions keep the module the notebook calls them by; classes live (and pickle) where defined.
    assert report.plot_monitoring.__module__ == "retention_kit.report"
    assert report.crr_text.__module__ == "retention_kit.report"
    config = pickle.loads(pickle.dumps(report.ReportConfig(period="W")))
    assert config == report.ReportConfig(period="W") and config.freq.name == "week"


def test_the_console_script_is_still_cli_main():
    assert callable(cli.main) and cli.build_parser().prog == "retention-kit"
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_modules_read_in_one_sitting(path):
    lines = path.read_text().splitlines()
    assert len(lines) <= MAX_MODULE_LINES, f"{path.name} has {len(lines)} lines"


def test_a_broken_split_is_reported_in_the_checks_own_sentences():
    config = report.ReportConfig()
    data = report.load_data(config)
    a = data.assignments
    # Two thirds of the treatment arm's customers lost (say by a logging filter): 75 % vs 25 %.
    kept = a[(a[config.arm_col] == config.control_arm) | (a.index % 3 == 0)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        result = rk.compare_retention(kept, data.log, horizon=config.horizon, control=config.control_arm,
                                      churn_after=config.churn_gap, arm_col=config.arm_col, **config.cols)
    assert result.srm.mismatch
    text = report.experiment_text(result)
    warning = text.split("\n\n")[-1]
    assert warning == f"**Warning: the arms' sizes do not match the planned split.** {result.srm.explain()}"
    assert "control 75.3% (planned 50.0%)" in warning and "must not be trusted" in warning
