"""retention_kit.cohorts is a package of modules by concept (issue 14): the public names are
where they were, every module and function reads in one sitting, and its modules share no
private helper."""

import ast
from pathlib import Path

import pandas as pd

import retention_kit as rk
import retention_kit.cohorts as cohorts

PACKAGE = Path(cohorts.__file__).parent
KIT = PACKAGE.parent
PUBLIC = ["CohortTable", "cohort_table"]


def _modules():
    return {path.name: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.glob("*.py"))}


def test_cohorts_is_a_package_of_modules():
    assert PACKAGE.name == "cohorts" and (PACKAGE / "__init__.py").exists()
    assert not (KIT / "cohorts.py").exists()
    assert len(_modules()) >= 6


def test_public_names_are_where_they_were():
    assert sorted(cohorts.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(rk, name) is getattr(cohorts, name), name
        assert name in rk.__all__
    events = pd.DataFrame({"customer_id": ["a", "b"], "date": pd.to_datetime(["2024-01-05", "2024-02-01"])})
    assert type(rk.cohort_table(events, first_cohort="keep")) is rk.CohortTable


def test_the_package_init_only_reexports():
    tree = _modules()["__init__.py"]
    kinds = {type(node).__name__ for node in tree.body}
    assert kinds <= {"Expr", "ImportFrom", "Assign"}, kinds


def test_every_module_reads_in_one_sitting():
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in PACKAGE.glob("*.py")}
    assert max(sizes.values()) <= 500, sizes


