"""``retention-kit report`` end to end: the bundled example and an analyst's own CSV, the
numbers in the HTML against the public API, and every bad input stopping before anything is
written."""

import hashlib
import re
import subprocess
import sys
import warnings
from importlib.resources import files

import nbformat
import numpy as np
import pandas as pd
import pytest

import retention_kit as rk
from retention_kit.cli import main

CMD = [sys.executable, "-m", "retention_kit"]


def _run(*args, cwd=None):
    return subprocess.run([*CMD, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


def _text(html: str) -> str:
    """The HTML without tags, blanks collapsed: what a reader sees."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- the bundled example ------------------------------------------------------------------

@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundled")
    (folder / "example.html").write_text("an older report")
    done = _run("report", "--out", folder / "example.html", "--notebook-out", folder / "example.ipynb",
                "--show-code", "--force")
    return done, folder


def test_bundled_report_is_written_with_progress(bundled):
    done, folder = bundled
    assert done.returncode == 0, done.stderr
    assert "Executing" in done.stderr and "cell/s" in done.stderr  # papermill's progress bar
    assert f"Wrote {folder / 'example.html'}" in done.stderr
    # --force replaced the older file; nothing else (no temporary files) is left in the folder.
    assert sorted(p.name for p in folder.iterdir()) == ["example.html", "example.ipynb"]


def test_bundled_report_numbers_match_the_public_api(bundled):
    _, folder = bundled
    html = (folder / "example.html").read_text()
    text = _text(html)
    shop = rk.load_coffee_shop()
    events = shop.transactions
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        crr = rk.crr_table(events, "M", amount_col="amount").table
        # The experiment from the assignment table itself, not from the first events the report uses.
        # No --churn-after: the report chooses the 95th percentile of the gaps between purchases.
        churn = pd.Timedelta(days=float(np.ceil(rk.purchase_gaps(events).quantile(0.95))))
        ab = rk.compare_retention(shop.assignments, events, horizon="30D", churn_after=churn).summary.loc["loyalty"]
        life = rk.customer_lifetimes(events, churn_after=churn, by=["channel"])
        medians = rk.kaplan_meier(life, by="channel").median_lifetime().set_index("group")["median"]
    last = crr.iloc[-1]
    assert (f"CRR {last.name}: {last['crr']:.1%} (S={last['start']:,.0f}, N={last['new']:,.0f}, "
            f"E={last['end']:,.0f})") in text
    assert f"**CRR in {last.name}" not in text and f"CRR in {last.name}: {100 * last['crr']:.1f} %" in text
    for channel, median in medians.items():
        assert f"median lifetime, {channel}: {median:.1f} days" in text
    assert (f"loyalty vs control at day 30: {ab['rate']:.1%} vs {ab['control_rate']:.1%}, diff "
            f"{ab['diff'] * 100:+.1f} points (CI {ab['ci_lower'] * 100:+.1f} to {ab['ci_upper'] * 100:+.1f})") in text
    assert "loyalty kept more customers." in text
    assert f"churn after {churn.days} days of silence (chosen from the data: 95% of the" in text


def test_bundled_report_is_reproducible_and_self_contained(bundled):
    _, folder = bundled
    html = (folder / "example.html").read_text()
    text = _text(html)
    data = files("retention_kit.data")
    for name in ("coffee_shop_transactions.csv.gz", "coffee_shop_assignments.csv.gz"):
        assert hashlib.sha256((data / name).read_bytes()).hexdigest() in text
    assert f"retention_kit {rk.__version__}" in text
    assert re.search(r"Run \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", text)
    assert "retention-kit report --out example.html" in text
    # Plots are embedded; nothing is fetched from the network when the file is opened.
    assert len(re.findall(r"<img[^>]+src=\"data:image/png;base64,", html)) == 5  # CRR, cohorts, survival, experiment, customer value
    assert not re.search(r"<script[^>]*src=\"https?:", html)
    # --show-code keeps the code; --notebook-out wrote the executed notebook with the parameters.
    assert "crr_table" in text
    nb = nbformat.read(folder / "example.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'report_out = "example.html"' in injected[0].source
    assert all(c.outputs for c in nb.cells if c.cell_type == "code" and c.source and "import" in c.source)


# -- an analyst's own CSV -----------------------------------------------------------------

@pytest.fixture(scope="module")
def own_csv(tmp_path_factory):
    folder = tmp_path_factory.mktemp("own")
    shop = rk.load_coffee_shop()
    keep = shop.transactions["customer_id"] <= "C00900"
    # Minutes only: the file below has no seconds, and the expected numbers use the same times.
    events = shop.transactions[keep].assign(date=lambda d: d["date"].dt.floor("min"))
    written = pd.DataFrame({
        "Client ID": events["customer_id"].str.replace("C", "client-"),
        "Purchased on": events["date"].dt.strftime("%d/%m/%Y %H:%M"),
        "Paid (EUR)": events["amount"], "Channel": events["channel"], "Store": "Main street"})
    path = folder / "my shop.csv"
    written.to_csv(path, index=False)
    (folder / "out").mkdir()
    done = _run("report", path.name, "--customer-col", "Client ID", "--time-col", "Purchased on",
                "--date-format", "%d/%m/%Y %H:%M", "--amount-col", "Paid (EUR)", "--segment-col", "Channel",
                "--period", "Q", "--churn-after", "45D", "--out", "out/report.html", cwd=folder)
    return done, folder, events, path


def test_own_csv_report_numbers_match_the_public_api(own_csv):
    done, folder, events, path = own_csv
    assert done.returncode == 0, done.stderr
    html = (folder / "out" / "report.html").read_text()
    text = _text(html)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        crr = rk.crr_table(events, "Q", amount_col="amount").table
        cohorts = rk.cohort_table(events, "Q").average()
        life = rk.customer_lifetimes(events, churn_after="45D", by=["channel"])
        medians = rk.kaplan_meier(life, by="channel").median_lifetime().set_index("group")["median"]
    last = crr.iloc[-1]
    assert str(last.name) == "2024Q4"
    assert (f"CRR 2024Q4: {last['crr']:.1%} (S={last['start']:,.0f}, N={last['new']:,.0f}, "
            f"E={last['end']:,.0f})") in text
    assert "cohort retention, periods 1-3: " + ", ".join(f"{cohorts[k]:.1%}" for k in (1, 2, 3)) in text
    for channel, median in medians.items():
        assert f"median lifetime, {channel}: {median:.1f} days" in text
    # The header names this file, its checksum and how to re-run it.
    assert hashlib.sha256(path.read_bytes()).hexdigest() in text
    assert "--date-format '%d/%m/%Y %H:%M'" in text and "--period Q --churn-after 45D" in text


def test_own_csv_report_has_no_experiment_and_hides_code(own_csv):
    _, _, _, path = own_csv
    text = _text((path.parent / "out" / "report.html").read_text())
    assert "differ by 'Channel'" in text
    assert "experiment" not in text.lower() and "arm" not in re.findall(r"\w+", text.lower())
    assert "crr_table" not in text and "import retention_kit" not in text
    assert "Retention report – my shop.csv" in text


# -- bad input: exit code, message, nothing written ---------------------------------------

@pytest.fixture
def small_csv(tmp_path):
    path = tmp_path / "events.csv"
    pd.DataFrame({"client": ["a", "a", "b", "b"], "day": ["2024-01-05", "2024-02-07", "2024-01-20", "2024-03-02"],
                  "label": ["x", "y", "z", "w"]}).to_csv(path, index=False)
    return path


def _fails(capsys, tmp_path, *args, code=1):
    out = tmp_path / "report.html"
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["report", *map(str, args), "--out", str(out), "-q"]) == code
    err = capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no report, no temporary file
    assert err.startswith("retention-kit: ") and err.rstrip().endswith("Nothing was written.")
    return " ".join(err.split())


def test_missing_column(capsys, tmp_path, small_csv):
    err = _fails(capsys, tmp_path, small_csv, "--customer-col", "clientid", "--time-col", "day")
    assert "Column 'clientid' (--customer-col) was not found in 'events.csv'" in err
    assert "['client', 'day', 'label']" in err and "Re-run with --customer-col 'client'" in err


def test_unreadable_and_missing_file(capsys, tmp_path):
    broken = tmp_path / "events.parquet"
    broken.write_bytes(b"\x00\x01 not parquet")
    err = _fails(capsys, tmp_path, broken)
    assert "could not be read as Parquet" in err
    err = _fails(capsys, tmp_path, tmp_path / "typo.csv")
    assert "typo.csv' does not exist" in err


def test_date_column_that_is_not_dates(capsys, tmp_path, small_csv):
    err = _fails(capsys, tmp_path, small_csv, "--customer-col", "client", "--time-col", "label")
    assert "Column 'label': 4 of 4 values could not be read as dates, for example 'x', 'y', 'z'" in err


def test_as_of_before_the_data(capsys, tmp_path, small_csv):
    err = _fails(capsys, tmp_path, small_csv, "--customer-col", "client", "--time-col", "day",
                 "--as-of", "2023-12-31")
    assert "--as-of='2023-12-31' is before the first event (2024-01-05)" in err
    assert "Leave --as-of out" in err


def test_empty_file(capsys, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "is empty (0 bytes)" in _fails(capsys, tmp_path, empty)
    empty.write_text("customer_id,date\n")
    assert "has column names (customer_id and date) but no rows" in _fails(capsys, tmp_path, empty)


def test_bad_options(capsys, tmp_path, small_csv):
    err = _fails(capsys, tmp_path, small_csv, "--customer-col", "client", "--time-col", "day", "--period", "fortnight")
    assert "--period='fortnight' is not a period this kit knows" in err
    err = _fails(capsys, tmp_path, "--customer-col", "client", code=2)
    assert "--customer-col describe your own file: give the file (DATA) too" in err


def test_existing_output_is_kept_without_force(capsys, tmp_path, small_csv):
    out = tmp_path / "report.html"
    out.write_text("keep me")
    assert main(["report", str(small_csv), "--out", str(out)]) == 2
    assert "already exists and was left as it is. Pass --force" in " ".join(capsys.readouterr().err.split())
    assert out.read_text() == "keep me"


def test_real_exit_code_and_message_from_the_command_line(tmp_path, small_csv):
    done = _run("report", small_csv, "--customer-col", "client", "--time-col", "day", "--as-of", "2020-01-01",
                "--out", tmp_path / "r.html")
    assert done.returncode == 1
    assert "before the first event" in done.stderr and not (tmp_path / "r.html").exists()
    usage = _run("report", small_csv)
    assert usage.returncode == 2 and "the following arguments are required: --out/-o" in usage.stderr


@pytest.mark.parametrize("error, code, message", [
    ("rk.DataError('Column x is odd: fix it.')", 1, "Column x is odd: fix it."),
    ("RuntimeError('boom')", 3, "failed at cell 3: RuntimeError: boom. Run it in JupyterLab"),
])
def test_failure_inside_the_notebook_leaves_nothing_behind(tmp_path, small_csv, error, code, message):
    # Cell 3: papermill inserts the injected parameters after the parameters cell.
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("data_path = None", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(f"import retention_kit as rk\nraise {error}")]
    template = tmp_path / "failing.ipynb"
    nbformat.write(nb, template)
    done = _run("report", small_csv, "--customer-col", "client", "--time-col", "day", "--notebook", template,
                "--out", tmp_path / "r.html", "--notebook-out", tmp_path / "r.ipynb", "-q")
    assert done.returncode == code, done.stderr
    assert message in " ".join(done.stderr.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv", "failing.ipynb"]


def test_help_is_written_for_an_analyst():
    from retention_kit.cli import build_parser

    text = " ".join(build_parser()._subparsers._group_actions[0].choices["report"].format_help().split())
    for phrase in ("Leave it out to run on the bundled coffee-shop example", "--date-format",
                   "default: the last date in the data", "exit codes"):
        assert phrase in text
