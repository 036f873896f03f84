"""How ``retention-kit report`` writes its files: checked before the notebook runs, never
replacing a file it did not create without ``--force``, readable by colleagues, no temporary
file left behind; and how the command line reads lengths of time."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retention_kit.errors import ParameterError
from retention_kit.report import ReportConfig
from retention_kit.report import run as cli  # the report command: its checks, writing and signals

CMD = [sys.executable, "-m", "retention_kit"]


def _run(*args, cwd=None, timeout=300):
    return subprocess.run([*CMD, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def test_unwritable_folder_fails_before_the_notebook_runs():
    # /proc takes no new files, even for root (permission bits would not stop root).
    started = time.perf_counter()
    done = _run("report", "--out", "/proc/report.html")
    assert done.returncode == cli.EXIT_USAGE, done.stderr
    assert "Cannot write in the folder '/proc'" in done.stderr and "Nothing was written" in done.stderr
    assert "Running the report notebook" not in done.stderr
    assert time.perf_counter() - started < 60  # it stopped at the check, not after a run


def test_a_file_that_appears_during_the_run_is_not_replaced(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("someone else's file")  # created after the up-front check
    with pytest.raises(cli._Usage, match="appeared while the report ran"):
        cli._write_atomically([(target, "<html>new</html>")], force=False)
    assert target.read_text() == "someone else's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no temporary file


def test_two_outputs_are_placed_together_or_not_at_all(tmp_path):
    html, nb = tmp_path / "r.html", tmp_path / "r.ipynb"
    nb.write_text("kept")
    with pytest.raises(cli._Usage):
        cli._write_atomically([(html, "<html/>"), (nb, "{}")], force=False)
    # The first output, already placed, is taken back when the second cannot be.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.ipynb"] and nb.read_text() == "kept"
    cli._write_atomically([(html, "<html/>"), (nb, "{}")], force=True)
    assert html.read_text() == "<html/>" and nb.read_text() == "{}"


def test_report_files_follow_the_umask_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        cli._write_atomically([(tmp_path / "a.html", "x")], force=False)
        os.umask(0o077)
        cli._write_atomically([(tmp_path / "b.html", "x")], force=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.html").stat().st_mode) == 0o644  # 0666 & ~022
    assert stat.S_IMODE((tmp_path / "b.html").stat().st_mode) == 0o600  # 0666 & ~077


def test_a_termination_while_writing_leaves_no_temporary_file(tmp_path, monkeypatch):
    def terminated(tmp, path):
        cli._on_sigterm(signal.SIGTERM, None)

    monkeypatch.setattr(cli, "_place_new", terminated)
    with pytest.raises(cli._Terminated):
        cli._write_atomically([(tmp_path / "r.html", "<html/>")], force=False)
    assert list(tmp_path.iterdir()) == []


def test_sigterm_during_a_run_ends_cleanly(tmp_path):
    proc = subprocess.Popen([*CMD, "report", "--out", str(tmp_path / "r.html")], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 120
    line = ""
    while "Running the report notebook" not in line and time.monotonic() < deadline:
        line = proc.stderr.readline()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "Terminated." in err and "Nothing was written" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("typed, days", [("30", 30), ("45D", 45), ("8W", 56), ("7.5", 7.5)])
def test_a_bare_number_is_days(typed, days):
    cfg = ReportConfig(churn_after=typed, horizon=typed)
    assert cfg.churn_gap.total_seconds() == days * 86400
    assert cfg.horizon_gap.total_seconds() == days * 86400


@pytest.mark.parametrize("typed", ["nan", "inf", "1e12", "0", "-5", "", "NaT", "3M", "abc"])
def test_lengths_of_time_that_mean_nothing_are_refused(typed):
    with pytest.raises(ParameterError, match="--churn-after"):
        ReportConfig(churn_after=typed, cli=True)


def test_cli_says_a_bare_number_is_days():
    done = _run("report", "--help")
    help_text = " ".join(done.stdout.split())
    assert "--churn-after DAYS a customer silent for this long is counted as churned: a number of days (30)" in help_text
    assert "--horizon DAYS experiment only" in help_text and "number of days (30)" in help_text


def test_churn_after_of_30_in_the_cli_means_30_days(tmp_path):
    events = tmp_path / "events.csv"
    events.write_text("customer_id,date\n" + "".join(
        f"c{i},2024-01-{1 + i % 20:02d}\nc{i},2024-03-{1 + i % 25:02d}\n" for i in range(40)))
    done = _run("report", events.name, "--churn-after", "30", "--out", "r.html", cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "r.html").read_text()
    assert "churn after 30 days of silence" in html
    assert "e-13" not in html
    # The header names the file, not the folder it sits in.
    assert str(tmp_path) not in html and "retention-kit report events.csv" in html
