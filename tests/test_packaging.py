"""The two ways to install must agree: pyproject.toml (pip) and environment.yml (conda)."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_split(r) for r in project["dependencies"] + project["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(_split(d) for d in env["dependencies"] if isinstance(d, str) and d not in ("pip",))
    python = conda.pop("python")
    assert python == ">=" + project["requires-python"].removeprefix(">=")
    assert conda == wanted, "environment.yml and pyproject.toml disagree; update both"
    assert "conda-forge" in env["channels"]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in ci.splitlines()[-1]
    assert "make test" in readme and "make report" in readme


def test_one_version_everywhere():
    from retention_kit import __version__
    from retention_kit.cli import build_parser

    source = (ROOT / "retention_kit" / "_version.py").read_text()
    assert f'__version__ = "{__version__}"' in source
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "retention_kit._version.__version__"}
    assert f"Version {__version__} " in (ROOT / "README.md").read_text()
    changelog = (ROOT / "CHANGELOG.md").read_text()
    newest = re.search(r"^## (\S+) — (\d{4}-\d{2}-\d{2})$", changelog, re.M)
    assert newest and newest.group(1) == __version__, "CHANGELOG.md's newest entry is not this version"
    import contextlib, io
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        build_parser().parse_args(["--version"])
    assert out.getvalue().strip() == f"retention_kit {__version__}"


def test_every_subpackage_is_listed_for_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "retention_kit").rglob("__init__.py")
             if "__pycache__" not in p.parts}
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages in pyproject.toml"
    assert (ROOT / "LICENSE").is_file()


def test_notebooks_name_the_kernel_ipykernel_installs():
    # Another display name makes JupyterLab rewrite the metadata: every notebook would open
    # as modified. tools/refresh_notebooks.py writes this spec.
    import json

    from ipykernel.kernelspec import get_kernel_dict

    installed = get_kernel_dict()
    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        spec = json.loads(path.read_text())["metadata"]["kernelspec"]
        assert spec == {"display_name": installed["display_name"], "language": installed["language"],
                        "name": "python3"}, path.name
