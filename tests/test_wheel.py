"""The package as a user gets it: build the wheel, install it into a fresh virtual environment
outside the checkout, and there load both bundled data sets, run an analysis of each kind and
the report command, with the numbers checked against this (editable) installation.

Every other test runs on the editable install, where the checkout's ``data/`` and
``notebooks/`` are visible, so a file missing from the wheel (the CDNOW log and the report
notebook once were) shows only here. The fresh environment reuses the installed dependencies
through a ``.pth`` line (no download, a few seconds), but not the editable finder, so
``retention_kit`` can come only from the wheel.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "retention_kit", "data", "notebooks")

# Run in both installations; prints one JSON record of what a user would look at first.
PROBE = r'''
import io, json, sys, warnings
import pandas as pd
import retention_kit as rk
from jupyter_client.kernelspec import KernelSpecManager

warnings.simplefilter("ignore")
cdnow = rk.load_cdnow()
shop = rk.load_coffee_shop()
crr = rk.crr_table(cdnow, freq="M").table
cohorts = rk.cohort_table(cdnow, freq="M")
life = rk.customer_lifetimes(cdnow, churn_after=180)
km = rk.kaplan_meier(life)
ab = rk.compare_retention(shop.assignments, shop.transactions, horizon="30D", churn_after="30D")
sbg = rk.fit_sbg([1000, 869, 743, 653, 593, 551, 517, 491])
back = pd.read_parquet(io.BytesIO(cdnow.to_parquet()))
print(json.dumps({
    "package": rk.__file__,
    "version": rk.__version__,
    "kernel": KernelSpecManager().get_kernel_spec("python3").argv[0],
    "cdnow": [len(cdnow), int(cdnow["customer_id"].nunique()), round(float(cdnow["amount"].sum()), 2)],
    "shop": [len(shop.transactions), len(shop.assignments)],
    "crr": [round(float(v), 10) for v in crr["crr"].dropna()],
    "cohorts": round(float(cohorts.rates.fillna(0).to_numpy().sum()), 8),
    "km": km.summary.round(8).astype(str).to_dict(orient="list"),
    "ab": ab.summary.round(10).astype(str).to_dict(orient="list"),
    "sbg": {k: round(float(v), 8) for k, v in sbg.params.items()},
    "parquet_rows_in": rk.data_quality(back).rows_in,
}))
'''


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy, so the checkout gets no build/ or *.egg-info folders.
    src = tmp_path_factory.mktemp("src")
    skip = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=skip)
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(out), str(src)], check=True, capture_output=True, text=True)
    (built,) = out.glob("retention_kit-*.whl")
    return built


@pytest.fixture(scope="module")
def user_env(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed; returns its python."""
    env = tmp_path_factory.mktemp("user") / "venv"
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    site = Path(subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    # A path line in a .pth file adds the folder without running its .pth files, so the
    # dependencies are visible and the editable finder of the checkout is not.
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_retention_kit_test_deps.pth").write_text("\n".join(sorted(ours)) + "\n")
    # Jupyter's shared files (nbconvert's templates, kernel specs) sit under the prefix in a
    # real installation; the fresh environment sees this installation's.
    (env / "share").mkdir(exist_ok=True)
    (env / "share" / "jupyter").symlink_to(Path(sys.prefix) / "share" / "jupyter")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True, text=True)
    return python


def _clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JUPYTER_PATH")}
    env["MPLBACKEND"] = "Agg"
    return env


def _probe(python, cwd) -> dict:
    done = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True, cwd=cwd,
                          env=_clean_env(), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_wheel_carries_every_runtime_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {f"retention_kit/{p.relative_to(ROOT / 'retention_kit').as_posix()}"
               for p in (ROOT / "retention_kit").rglob("*.py") if "__pycache__" not in p.parts}
    assert modules <= names, f"modules missing from the wheel: {sorted(modules - names)}"
    data = {f"retention_kit/data/{p.name}" for p in (ROOT / "data").iterdir() if p.suffix in (".gz", ".md")}
    assert data <= names, f"bundled data missing from the wheel: {sorted(data - names)}"
    assert "retention_kit/data/CDNOW_master.txt.gz" in names
    assert "retention_kit/notebooks/retention_report.ipynb" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    # The course notebooks, tests and benchmarks are for a clone, not for the installed kit.
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/"))]
    assert [n for n in names if n.endswith(".ipynb")] == ["retention_kit/notebooks/retention_report.ipynb"]


def test_wheel_metadata_names_the_release(wheel):
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dynamic"]
    assert version == ["version"]
    with zipfile.ZipFile(wheel) as zf:
        meta = zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    from retention_kit import __version__
    assert f"\nVersion: {__version__}\n" in meta
    assert "License-Expression: MIT" in meta
    assert "Classifier: Programming Language :: Python :: 3.11" in meta
    assert re.search(r"^Project-URL: Source, ", meta, re.M)
    assert "Requires-Dist: lifelines>=" in meta and "Requires-Dist: pandas<3,>=" in meta


def test_installed_wheel_gives_the_numbers_of_the_source_tree(user_env, tmp_path):
    installed = _probe(user_env, tmp_path)
    source = _probe(sys.executable, tmp_path)
    # Proof that the probe ran on the wheel: the package and the report's kernel live in the
    # fresh environment, not in the checkout.
    assert installed["package"].startswith(str(user_env.parents[1])), installed["package"]
    assert not installed["package"].startswith(str(ROOT))
    # jupyter_client runs a kernel spec whose command is plain "python" with the interpreter
    # that launched it, here the fresh environment's.
    assert installed["kernel"] == "python" or installed["kernel"].startswith(str(user_env.parents[1]))
    for key in ("package", "kernel"):
        installed.pop(key), source.pop(key)
    assert installed == source
    assert installed["cdnow"] == [69659, 23570, 2500315.63]  # data/README.md, measured on the file
    assert installed["shop"] == [45533, 3000]


def test_installed_report_command_runs_on_the_bundled_example(user_env, tmp_path):
    out = tmp_path / "example.html"
    done = subprocess.run([str(user_env.parent / "retention-kit"), "report", "--out", out.name],
                          capture_output=True, text=True, cwd=tmp_path, env=_clean_env(), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    html = out.read_text()
    from retention_kit import __version__
    assert re.search(rf"retention_kit\s*</t[dh]>\s*<t[dh][^>]*>\s*{re.escape(__version__)}", html), \
        "the report header does not name the installed version"
    assert "CRR" in html and "Kaplan" in html
    assert "Traceback" not in html
