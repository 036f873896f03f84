"""retention_kit.compare is a package of modules by concept (issue 14): the public names are
where they were, every function reads in one sitting, and its modules share no private helper."""

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

import retention_kit as rk
import retention_kit.compare as compare

PACKAGE = Path(compare.__file__).parent
PUBLIC = ["RetentionComparison", "SampleSizePlan", "SampleRatioCheck", "compare_retention", "compare_retention_counts",
          "compare_retained", "sample_size", "minimum_detectable_effect", "expected_power",
          "peeking_false_positive_rate", "sample_ratio_check"]


def _modules():
    return {path.name: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.glob("*.py"))}


def test_public_names_are_where_they_were():
    assert sorted(compare.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(rk, name) is getattr(compare, name), name
        assert name in rk.__all__


def test_the_package_init_only_reexports():
    tree = _modules()["__init__.py"]
    kinds = {type(node).__name__ for node in tree.body}
    assert kinds <= {"Expr", "ImportFrom", "Assign"}, kinds


def test_every_module_reads_in_one_sitting():
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in PACKAGE.glob("*.py")}
    assert max(sizes.values()) <= 450, sizes


def test_planning_warning_points_at_the_callers_line():
    # It pointed into the keyword-argument wrapper before the package split.
    with pytest.warns(rk.SmallSampleWarning, match="no increase of a 30.0% retention rate") as rec:
        assert np.isnan(rk.minimum_detectable_effect(3, 0.30))
    assert rec[0].filename == __file__


def test_signature_of_compare_retention_keeps_its_data_positional():
    params = inspect.signature(rk.compare_retention).parameters
    assert [p for p, v in params.items() if v.kind is not inspect.Parameter.KEYWORD_ONLY] == ["assignments", "events"]
    assert list(params)[-3:] == ["duration_col", "event_col", "time_unit"]
