"""The kit's one option reader, ``_options.choose`` (issue 14: one validator with "did you
mean"), and the helper that keeps renamed result attributes working for one release."""

import pickle
import warnings
from dataclasses import dataclass

import pytest

import retention_kit as rk
from retention_kit._options import choose, removed_in, renamed_attributes
from retention_kit.errors import ParameterError

SPENDING = ("obrien-fleming", "pocock")
ALIASES = {"obf": "obrien-fleming", "asof": "obrien-fleming", "asp": "pocock"}


@pytest.mark.parametrize("value, expected", [
    ("pocock", "pocock"), (" Pocock ", "pocock"), ("OBrien-Fleming", "obrien-fleming"),
    ("obrien_fleming", "obrien-fleming"), ("obrien fleming", "obrien-fleming"), ("ASOF", "obrien-fleming"),
    ("asP", "pocock"), ("OBF", "obrien-fleming"),
])
def test_choose_reads_case_separators_and_aliases(value, expected):
    assert choose(value, SPENDING, "spending", aliases=ALIASES, separator="-") == expected


def test_choose_without_separator_keeps_the_text():
    assert choose("on or after", {"on": "on", "on or after": "on or after"}, "mode") == "on or after"
    with pytest.raises(ParameterError, match="Did you mean 'obrien-fleming'"):
        choose("obrien_fleming", SPENDING, "spending")  # separators are read only when asked


def test_choose_message_names_the_closest_spelling_and_lists_the_options():
    with pytest.raises(ParameterError) as err:
        choose("pocok", SPENDING, "spending", aliases=ALIASES, separator="-")
    assert str(err.value) == ("spending='pocok' is not an option. Did you mean 'pocock'? "
                              "Use one of ['obrien-fleming', 'pocock'].")
    with pytest.raises(ParameterError, match=r"Did you mean 'asof'\? Use one of \['obrien-fleming', 'pocock'\]"):
        choose("asfo", SPENDING, "spending", aliases=ALIASES)  # aliases are suggested, not listed
    with pytest.raises(ParameterError, match=r"shape=\['pocock'\] is not an option\."):
        choose(["pocock"], SPENDING, "shape", aliases=ALIASES, separator="-")  # unhashable: no option
    with pytest.raises(ParameterError, match="spending=None is not an option"):
        choose(None, SPENDING, "spending", aliases=ALIASES, separator="-")


def test_experiments_use_the_one_reader():
    from retention_kit.experiments import _common, ratio, spending

    assert not hasattr(_common, "choose")  # the duplicate is gone
    assert spending.choose is choose and ratio.choose is choose
    assert rk.spending_boundaries(looks=2, spending="O'Brien_Fleming").spending == "obrien-fleming"
    assert rk.classical_boundaries(3, shape="ldPocock").boundaries[0] == rk.classical_boundaries(3).boundaries[0]
    with pytest.raises(ParameterError, match="beta_spending='pocok' is not an option. Did you mean 'pocock'"):
        rk.spending_boundaries(looks=3, sides=1).with_futility(beta_spending="pocok")


@renamed_attributes(t="horizon")
@dataclass
class _Area:
    horizon: float


def test_renamed_attribute_reads_and_sets_the_new_one_with_a_warning():
    area = _Area(5.0)
    with pytest.warns(FutureWarning, match=rf"_Area.t is deprecated and stops working in {removed_in()}: "
                                           r"use _Area.horizon instead") as rec:
        assert area.t == 5.0
    assert rec[0].filename == __file__
    with pytest.warns(FutureWarning, match="use _Area.horizon"):
        area.t = 7.0
    assert area.horizon == 7.0 and "t" not in vars(area)


def test_renamed_attribute_loads_pickles_made_before_the_rename():
    old = _Area.__new__(_Area)
    state = {"t": 5.0}  # the state a pickle of the old class holds
    old.__setstate__(state)
    assert old.horizon == 5.0
    assert pickle.loads(pickle.dumps(_Area(3.0))).horizon == 3.0


def test_renamed_attribute_refuses_a_field_that_still_has_the_old_name():
    with pytest.raises(AssertionError, match="still has a field 't'"):
        @renamed_attributes(t="horizon")
        @dataclass
        class _Both:
            t: float
            horizon: float
