"""retention_kit.checks is a package of modules by concept (issue 14) and every check is declared
once (issue 13): the names are where they were, every module and function reads in one sitting,
the modules share no private helper, and every check set is well formed."""

import ast
import importlib
from pathlib import Path

import pytest

import retention_kit.checks as checks
from retention_kit.checks import ACTIONS, CHECKS, Check

PACKAGE = Path(checks.__file__).parent
CONCEPTS = ["core", "ids", "dates", "events", "subscriptions", "assignments", "lifetimes"]
SETS = {"events": "EVENT_CHECKS", "subscriptions": "SUBSCRIPTION_CHECKS", "assignments": "ASSIGNMENT_CHECKS",
        "lifetimes": "LIFETIME_CHECKS"}
# Every name retention_kit/checks.py had that is not private (and the one private name the
# validation module reads): all still importable from retention_kit.checks.
FORMER = ["ACTIONS", "example_text", "plain_values", "Finding", "Check", "find", "refuse", "run_checks",
          "refusal_from_counts", "null_ids_message", "mixed_ids_message", "missing_dates_message", "DAY_FIRST",
          "MONTH_FIRST", "AMBIGUOUS", "MIXED_ORDER", "day_month_order", "day_month_formats", "DateReading",
          "read_dates_rule", "to_datetime_code", "engine_dates_code", "swapped_dates", "bad_dates_message",
          "out_of_range_message", "nonfinite_amounts_message", "TIME_MIN", "TIME_MAX", "MIN_US", "MAX_US",
          "EVENT_CHECKS", "ROW_CHECKS", "mixed_id_mask", "mixes_types", "mixed_ids_extra", "MIXED_IDS",
          "SUBSCRIPTION_CHECKS", "validate_subscriptions", "NO_TIMES_HINT", "ASSIGNMENT_CHECKS",
          "validate_assignments", "FLAG_TRUE", "FLAG_FALSE", "read_flags", "flags_message", "parse_flags",
          "LIFETIME_CHECKS", "check_lifetimes", "check_weights", "check_groups", "CHECKS"]
FORMER_ALL = ["Check", "Finding", "run_checks", "find", "refuse", "refusal_from_counts", "EVENT_CHECKS", "ROW_CHECKS",
              "SUBSCRIPTION_CHECKS", "ASSIGNMENT_CHECKS", "LIFETIME_CHECKS", "CHECKS", "validate_subscriptions",
              "validate_assignments", "check_lifetimes", "check_weights", "parse_flags", "example_text",
              "day_month_order", "day_month_formats", "read_dates_rule", "DateReading", "bad_dates_message",
              "DAY_FIRST", "MONTH_FIRST", "AMBIGUOUS", "MIXED_ORDER"]


def _modules():
    return {path.name: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.glob("*.py"))}


def test_the_modules_are_the_concepts():
    assert sorted(_modules()) == sorted(["__init__.py"] + [f"{name}.py" for name in CONCEPTS])


def test_names_are_where_they_were():
    assert checks.__all__ == FORMER_ALL
    missing = [name for name in FORMER if not hasattr(checks, name)]
    assert not missing, missing


def test_each_name_is_defined_once_and_reexported_as_itself():
    defined = {}
    for name in CONCEPTS:
        module = importlib.import_module(f"{checks.__name__}.{name}")
        for public in module.__all__:
            assert public not in defined, f"{public} in {defined.get(public)} and {name}"
            defined[public] = name
            assert getattr(checks, public) is getattr(module, public), public


def test_the_package_init_only_reexports():
    kinds = {type(node).__name__ for node in _modules()["__init__.py"].body}
    assert kinds <= {"Expr", "ImportFrom", "Assign"}, kinds


def test_every_module_reads_in_one_sitting():
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in PACKAGE.glob("*.py")}
    assert max(sizes.values()) <= 500, sizes


@pytest.mark.parametrize("kind", list(SETS))
def test_every_check_set_is_well_formed(kind):
    declared = getattr(checks, SETS[kind])
    names = [c.name for c in declared]
    assert len(names) == len(set(names)), names  # each check of a set declared once
    assert list(CHECKS[kind]) == names and all(CHECKS[kind][c.name] is c for c in declared)
    for check in declared:
        assert isinstance(check, Check)
        assert callable(check.message), check.name
        assert check.action in ACTIONS, (check.name, check.action)
        assert check.count is not None or check.sql is not None, check.name


def test_the_registry_holds_the_sets_and_nothing_else():
    assert sorted(CHECKS) == sorted(SETS)
    assert checks.ROW_CHECKS == tuple(c for c in checks.EVENT_CHECKS if c.sql is not None)
