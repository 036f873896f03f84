"""retention_kit.experiments is a package of modules by concept (issue 14): the sequential
names are where they were, every module and function reads in one sitting, and the modules
share no private helper."""

import ast
import importlib
import pickle
from pathlib import Path

import pytest

import retention_kit as rk
import retention_kit.experiments as experiments
from retention_kit.experiments import sequential

PACKAGE = Path(experiments.__file__).parent
SEQUENTIAL = ["SequentialDesign", "FutilityDesign", "SequentialTest", "ConfidenceSequence", "spending_boundaries",
              "classical_boundaries", "sequential_test", "crossing_probabilities", "alpha_spent",
              "confidence_sequence", "SequentialMonitor", "monitor_look", "monitor_confidence_sequence"]
CONCEPTS = ["spending", "boundaries", "interim", "confidence_sequences", "monitoring"]
ADJUSTMENT = ["AdjustedComparison", "AdjustedHazardRatio", "cuped", "cuped_hazard_ratio", "cuped_rmst",
              "rmst_pseudo_values"]


def _modules():
    return {path.name: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.glob("*.py"))}


def test_sequential_names_are_where_they_were():
    assert sequential.__all__ == SEQUENTIAL  # and so in the same order in rk.__all__
    assert experiments.__all__[:len(SEQUENTIAL)] == SEQUENTIAL
    for name in SEQUENTIAL:
        assert getattr(rk, name) is getattr(experiments, name) is getattr(sequential, name), name
        assert name in rk.__all__


def test_covariate_adjustment_names_are_where_they_were():
    modules = [importlib.import_module(f"{experiments.__name__}.{name}") for name in ("cuped", "adjusted_hazard")]
    assert sorted(name for module in modules for name in module.__all__) == ADJUSTMENT
    start = experiments.__all__.index(ADJUSTMENT[0])
    assert experiments.__all__[start:start + len(ADJUSTMENT)] == ADJUSTMENT
    for name in ADJUSTMENT:
        assert getattr(rk, name) is getattr(experiments, name), name


def test_the_concept_modules_export_exactly_the_sequential_names():
    modules = [importlib.import_module(f"{experiments.__name__}.{name}") for name in CONCEPTS]
    exported = [name for module in modules for name in module.__all__]
    assert sorted(exported) == sorted(SEQUENTIAL)


@pytest.mark.parametrize("module", ["__init__.py", "sequential.py"])
def test_the_reexporting_modules_only_reexport(module):
    kinds = {type(node).__name__ for node in _modules()[module].body}
    assert kinds <= {"Expr", "ImportFrom", "Assign"}, kinds


def test_every_module_reads_in_one_sitting():
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in PACKAGE.glob("*.py")}
    assert max(sizes.values()) <= 500, sizes


def test_legacy_positional_warnings_point_at_the_callers_line():
    with pytest.warns(FutureWarning, match=r"alpha_spent\(\): passing alpha, spending, sides by position") as rec:
        assert round(rk.alpha_spent(0.5, 0.025, "obrien-fleming", 1), 6) == 0.001525
    assert rec[0].filename == __file__
    with pytest.warns(FutureWarning, match=r"classical_boundaries\(\): passing alpha, shape, sides") as rec:
        assert round(float(rk.classical_boundaries(5, 0.05, "pocock", 2).boundaries[0]), 3) == 2.413
    assert rec[0].filename == __file__
    with pytest.warns(FutureWarning, match=r"rmst_pseudo_values\(tau=...\) is deprecated") as rec:
        assert rk.rmst_pseudo_values([2, 5, 9], [True, True, True], tau=6).round(6).tolist() == [2.0, 5.0, 6.0]
    assert rec[0].filename == __file__


def test_results_pickle_and_keep_their_reprs():
    design = rk.spending_boundaries(looks=3, alpha=0.025, sides=1)
    monitor = rk.monitor_look(rk.spending_boundaries(looks=2), 2.5, 700, 1400)
    sequence = rk.confidence_sequence(1000, 350, 1000, 300, planned_n=2000)
    for result in (design, design.with_futility(), monitor, sequence):
        again = pickle.loads(pickle.dumps(result))
        assert repr(again) == repr(result) and again.explain() == result.explain()
