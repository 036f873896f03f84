"""One argument vocabulary (issue 14; the table is GLOSSARY.md, "Argument names").

Every public function and public method is walked: no signature may use a deprecated name.
Each deprecated spelling (old keyword, or an option passed by position) still works for one
release with a ``FutureWarning`` that names the new spelling and the release it goes away in,
and gives exactly the result of the new spelling; the old and the new name together are
refused. The numbers compared here are the library's own: the old spelling must be a pure
alias, so equality is exact.
"""

import inspect
import re
import warnings

import numpy as np
import pandas as pd
import pytest

import retention_kit as rk
from retention_kit._options import legacy_arguments, removed_in as _removed_in

# Deprecated names that no public signature may use any more.
BANNED = {"keep_cols", "breakdown", "horizons", "segment_col", "tau", "method"}
# Names banned in general but right where they are, with the reason (GLOSSARY, "Argument names").
BANNED_SOMEWHERE = {
    "t": {  # t is a horizon in days only in rmst/rmst_difference/SurvivalCurves.rmst (now horizon)
        "alpha_spent": "an information fraction in [0, 1], not a horizon",
        # Fitted purchase and contractual models: t in the model's own time unit (weeks,
        # renewal periods), the papers' notation E[Y(t)], S(t).
        **{f"{cls}.{m}": "model time in the model's unit" for cls in ("SBGModel", "BdWModel")
           for m in ("survival", "retention_rate", "churn_probability")},
        **{f"{cls}.{m}": "model time in the model's unit" for cls in ("BGNBDModel", "ParetoNBDModel")
           for m in ("expected_purchases", "expected_purchases_new", "probability_of_purchases")},
    },
    "unit": {  # unit was the calendar period of customer_lifetimes/survival_table (now freq)
        "fit_sbg": "a free-text label of one period ('year'), not a calendar frequency",
        "fit_bdw": "a free-text label of one period ('year'), not a calendar frequency",
        "monitor_look": "the unit of information ('customers', 'events')",
        "SBGModel.plot": "a free-text label of one period", "BdWModel.plot": "a free-text label of one period",
    },
}


def _public_callables():
    for name in rk.__all__:
        obj = getattr(rk, name)
        if inspect.isfunction(obj):
            yield name, obj
        elif inspect.isclass(obj):
            for attr, member in inspect.getmembers(obj, inspect.isfunction):
                if not attr.startswith("_"):
                    yield f"{name}.{attr}", member


def test_no_public_signature_uses_a_deprecated_name():
    found = []
    for name, func in _public_callables():
        params = set(inspect.signature(func).parameters)
        found += [f"{name}({p}=)" for p in params & BANNED]
        for p, allowed in BANNED_SOMEWHERE.items():
            if p in params and name not in allowed:
                found.append(f"{name}({p}=)")
    assert not found, f"deprecated argument names in public signatures: {found}"


def test_the_walk_sees_the_whole_api():
    names = dict(_public_callables())
    assert len([n for n in names if "." not in n]) >= 60
    assert {"rmst", "rmst_difference", "cohort_table", "SurvivalCurves.rmst",
            "SurvivalCurves.survival_at"} <= set(names)


def test_signatures_show_the_new_names():
    assert list(inspect.signature(rk.rmst).parameters)[:3] == ["durations", "event_observed", "horizon"]
    assert inspect.signature(rk.rmst).parameters["horizon"].kind is inspect.Parameter.KEYWORD_ONLY
    assert "by" in inspect.signature(rk.customer_lifetimes).parameters
    assert "correction" in inspect.signature(rk.adjust_p_values).parameters
    compare = inspect.signature(rk.compare_retention).parameters
    assert [p for p, v in compare.items() if v.kind is not inspect.Parameter.KEYWORD_ONLY] == ["assignments", "events"]
    assert rk.rmst.__wrapped__ is not rk.rmst and rk.rmst.__name__ == "rmst" and "horizon" in rk.rmst.__doc__


# -- data ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def events():
    rng = np.random.default_rng(14)
    n = 300
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D")
    rows = []
    for i, s in enumerate(start):
        for k in range(int(rng.integers(1, 6))):
            rows.append((f"c{i}", s + pd.Timedelta(days=int(k * rng.integers(5, 40))), ["web", "store"][i % 2]))
    return pd.DataFrame(rows, columns=["customer_id", "date", "channel"])


@pytest.fixture(scope="module")
def assignments(events):
    first = events.groupby("customer_id", as_index=False)["date"].min()
    return first.assign(arm=np.where(np.arange(len(first)) % 2 == 0, "control", "loyalty"))


@pytest.fixture(scope="module")
def life(events):
    return rk.customer_lifetimes(events, churn_after=30, by="channel")


@pytest.fixture(scope="module")
def subscriptions():
    return pd.DataFrame({"id": [1, 2, 3, 4], "start": pd.to_datetime(["2024-01-01"] * 4),
                         "end": pd.to_datetime(["2024-03-01", None, "2024-02-01", None]),
                         "plan": ["a", "b", "a", "b"]})


@pytest.fixture(scope="module")
def experiment():
    rng = np.random.default_rng(3)
    n = 2000
    arm = np.where(rng.random(n) < 0.5, "loyalty", "control")
    duration = rng.exponential(60, n)
    return pd.DataFrame({"arm": arm, "channel": rng.choice(["web", "store"], n),
                         "retained": rng.random(n) < 0.5 + 0.05 * (arm == "loyalty"), "pre": rng.normal(size=n),
                         "duration": np.minimum(duration, 120.0), "churned": duration < 120})


D, E = [2, 3, 4, 5, 6], [1, 0, 1, 0, 0]
D2, E2 = [1, 2, 3, 5, 6], [1, 1, 0, 1, 0]
COUNTS = pd.DataFrame({"n": [1000, 1000], "retained": [650, 700]}, index=["control", "loyalty"])

# (id, new spelling, old spelling, the new name the warning must name). Each entry is a
# function of the fixtures, returning a zero-argument callable.
CASES = [
    ("customer_lifetimes keep_cols", lambda f: lambda: rk.customer_lifetimes(f["events"], churn_after=30, by="channel"),
     lambda f: lambda: rk.customer_lifetimes(f["events"], churn_after=30, keep_cols="channel"), "by"),
    ("customer_lifetimes unit", lambda f: lambda: rk.customer_lifetimes(f["events"], churn_after=30, freq="W"),
     lambda f: lambda: rk.customer_lifetimes(f["events"], churn_after=30, unit="W"), "freq"),
    ("subscription_lifetimes keep_cols",
     lambda f: lambda: rk.subscription_lifetimes(f["subscriptions"], customer_col="id", as_of="2024-06-01",
                                                 by=["plan"]),
     lambda f: lambda: rk.subscription_lifetimes(f["subscriptions"], customer_col="id", as_of="2024-06-01",
                                                 keep_cols=["plan"]), "by"),
    ("survival_table unit", lambda f: lambda: rk.survival_table(f["events"], churn_after=30, freq="M"),
     lambda f: lambda: rk.survival_table(f["events"], churn_after=30, unit="M"), "freq"),
    ("cohort_table breakdown",
     lambda f: lambda: rk.cohort_table(f["events"], "M", by="channel", first_cohort="keep"),
     lambda f: lambda: rk.cohort_table(f["events"], "M", breakdown="channel", first_cohort="keep"), "by"),
    ("rmst t", lambda f: lambda: rk.rmst(D, E, horizon=5), lambda f: lambda: rk.rmst(D, E, t=5), "horizon"),
    ("rmst positional", lambda f: lambda: rk.rmst(D, E, horizon=5), lambda f: lambda: rk.rmst(D, E, 5), "horizon"),
    ("rmst_difference t", lambda f: lambda: rk.rmst_difference(D, E, D2, E2, horizon=5),
     lambda f: lambda: rk.rmst_difference(D, E, D2, E2, t=5), "horizon"),
    ("rmst_difference positional", lambda f: lambda: rk.rmst_difference(D, E, D2, E2, horizon=5),
     lambda f: lambda: rk.rmst_difference(D, E, D2, E2, 5), "horizon"),
    ("SurvivalCurves.rmst t", lambda f: lambda: rk.kaplan_meier(f["life"], by="channel").rmst(horizon=60),
     lambda f: lambda: rk.kaplan_meier(f["life"], by="channel").rmst(t=60), "horizon"),
    ("SurvivalCurves.survival_at horizons",
     lambda f: lambda: rk.kaplan_meier(f["life"]).survival_at(horizon=[7, 30]),
     lambda f: lambda: rk.kaplan_meier(f["life"]).survival_at(horizons=[7, 30]), "horizon"),
    ("pairwise_logrank method",
     lambda f: lambda: rk.pairwise_logrank(f["life"], by="channel", correction="bonferroni"),
     lambda f: lambda: rk.pairwise_logrank(f["life"], by="channel", method="bonferroni"), "correction"),
    ("adjust_p_values method", lambda f: lambda: rk.adjust_p_values([0.01, 0.04, 0.03], correction="bh"),
     lambda f: lambda: rk.adjust_p_values([0.01, 0.04, 0.03], method="bh"), "correction"),
    ("adjust_p_values positional", lambda f: lambda: rk.adjust_p_values([0.01, 0.04, 0.03], correction="bh"),
     lambda f: lambda: rk.adjust_p_values([0.01, 0.04, 0.03], "bh"), "correction"),
    ("segment_effects segment_col", lambda f: lambda: rk.segment_effects(f["experiment"], "retained", by="channel"),
     lambda f: lambda: rk.segment_effects(f["experiment"], "retained", segment_col="channel"), "by"),
    ("cuped_rmst tau", lambda f: lambda: rk.cuped_rmst(f["experiment"], horizon=90, covariates="pre"),
     lambda f: lambda: rk.cuped_rmst(f["experiment"], tau=90, covariates="pre"), "horizon"),
    ("rmst_pseudo_values tau", lambda f: lambda: rk.rmst_pseudo_values(D, E, horizon=5),
     lambda f: lambda: rk.rmst_pseudo_values(D, E, tau=5), "horizon"),
    ("rmst_sample_size tau", lambda f: lambda: rk.rmst_sample_size(horizon=60, churn_control=0.4, hazard_ratio=0.8),
     lambda f: lambda: rk.rmst_sample_size(tau=60, churn_control=0.4, hazard_ratio=0.8), "horizon"),
    ("rmst_variance tau", lambda f: lambda: rk.rmst_variance(0.01, horizon=60),
     lambda f: lambda: rk.rmst_variance(0.01, tau=60), "horizon"),
    ("compare_retention positional",
     lambda f: lambda: rk.compare_retention(f["assignments"], f["events"], horizon="30D", control="control",
                                            churn_after="30D"),
     lambda f: lambda: rk.compare_retention(f["assignments"], f["events"], "30D", "control", churn_after="30D"),
     "horizon"),
    ("compare_retention_counts positional", lambda f: lambda: rk.compare_retention_counts(COUNTS, control="control"),
     lambda f: lambda: rk.compare_retention_counts(COUNTS, "control"), "control"),
    ("sample_size positional", lambda f: lambda: rk.sample_size(0.65, 0.05, alpha=0.1, power=0.9),
     lambda f: lambda: rk.sample_size(0.65, 0.05, 0.1, 0.9), "alpha"),
    ("expected_power positional", lambda f: lambda: rk.expected_power(1000, 0.65, 0.05, alpha=0.1),
     lambda f: lambda: rk.expected_power(1000, 0.65, 0.05, 0.1), "alpha"),
    ("minimum_detectable_effect positional",
     lambda f: lambda: rk.minimum_detectable_effect(1000, 0.65, alpha=0.1, power=0.9),
     lambda f: lambda: rk.minimum_detectable_effect(1000, 0.65, 0.1, 0.9), "alpha"),
    ("peeking_false_positive_rate positional", lambda f: lambda: rk.peeking_false_positive_rate(5, alpha=0.1),
     lambda f: lambda: rk.peeking_false_positive_rate(5, 0.1), "alpha"),
    ("sample_ratio_check positional",
     lambda f: lambda: rk.sample_ratio_check({"control": 1100, "loyalty": 1900},
                                             planned_split={"control": 1, "loyalty": 2}),
     lambda f: lambda: rk.sample_ratio_check({"control": 1100, "loyalty": 1900}, {"control": 1, "loyalty": 2}),
     "planned_split"),
]


@pytest.fixture(scope="module")
def fixtures(events, assignments, life, subscriptions, experiment):
    return dict(events=events, assignments=assignments, life=life, subscriptions=subscriptions,
                experiment=experiment)


def _same(a, b):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, (float, int)):
        assert a == b or (np.isnan(a) and np.isnan(b))
    else:
        assert type(a) is type(b)
        for attr in ("summary", "table", "rates", "counts", "value"):
            if hasattr(a, attr):
                _same(getattr(a, attr), getattr(b, attr))
        assert repr(a) == repr(b)


def _quiet(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", FutureWarning)
        return call()


@pytest.mark.parametrize("case, new, old, name", CASES, ids=[c[0] for c in CASES])
def test_deprecated_spelling_warns_and_gives_the_same_result(fixtures, case, new, old, name):
    expected = _quiet(new(fixtures))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = old(fixtures)()
    future = [w for w in caught if issubclass(w.category, FutureWarning)]
    assert len(future) == 1, [str(w.message) for w in caught]
    message = str(future[0].message)
    assert f"{name}=" in message and _removed_in() in message, message
    assert future[0].filename == __file__, "the warning should point at the caller's line"
    _same(expected, got)


@pytest.mark.parametrize("call", [
    lambda f: rk.rmst(D, E, t=5, horizon=5),
    lambda f: rk.customer_lifetimes(f["events"], churn_after=30, keep_cols="channel", by="channel"),
    lambda f: rk.cohort_table(f["events"], "M", breakdown="channel", by="channel"),
    lambda f: rk.adjust_p_values([0.01], method="holm", correction="holm"),
    lambda f: rk.kaplan_meier(f["life"]).rmst(t=30, horizon=30),
], ids=["rmst", "customer_lifetimes", "cohort_table", "adjust_p_values", "SurvivalCurves.rmst"])
def test_old_and_new_name_together_are_refused(fixtures, call):
    with pytest.raises(TypeError, match=r"got both \w+= \(the old name\) and \w+=: give only \w+="):
        call(fixtures)


def test_a_position_and_its_keyword_together_are_refused():
    with pytest.raises(TypeError, match="multiple values for argument 'horizon'"):
        rk.rmst(D, E, 5, horizon=5)
    with pytest.raises(TypeError, match="at most 3 positional arguments"):
        rk.rmst(D, E, 5, 6)


def test_removal_release_is_the_next_minor_version():
    major, minor = (int(p) for p in rk.__version__.split(".")[:2])
    assert _removed_in() == f"{major}.{minor + 1}.0"


def test_decorator_keeps_signature_and_stacks_warnings_at_the_caller():
    @legacy_arguments(renamed={"old": "new"}, positional=("new",))
    def f(x, *, new=1):
        return x + new

    assert str(inspect.signature(f)) == "(x, *, new=1)"
    with pytest.warns(FutureWarning, match=re.escape("f(old=...) is deprecated and stops working in")) as rec:
        assert f(1, old=2) == 3
    assert rec[0].filename == __file__
    with pytest.warns(FutureWarning, match="passing new by position"):
        assert f(1, 2) == 3


# -- frame-based RMST ------------------------------------------------------------------------------

def test_rmst_from_a_lifetimes_frame_equals_the_arrays(life):
    frame = rk.rmst(life, horizon=60)
    arrays = rk.rmst(life["duration"], life["churned"], horizon=60)
    assert frame.value == arrays.value and frame.std_error == arrays.std_error
    assert rk.rmst(life, horizon="60D").value == frame.value  # a duration is a number of days here
    counts = rk.aggregate_lifetimes(life)
    assert rk.rmst(counts, horizon=60, weights_col="count").value == pytest.approx(frame.value, rel=1e-12)


def test_rmst_difference_from_a_lifetimes_frame_equals_the_arrays(life):
    web, store = life[life["channel"] == "web"], life[life["channel"] == "store"]
    arrays = rk.rmst_difference(store["duration"], store["churned"], web["duration"], web["churned"],
                                horizon=60, labels=("store", "web"))
    frame = rk.rmst_difference(life, by="channel", horizon=60)  # sorted groups: store, then web
    pd.testing.assert_frame_equal(frame.summary, arrays.summary)
    flipped = rk.rmst_difference(life, by="channel", horizon=60, labels=("web", "store"))
    assert flipped.difference == pytest.approx(-frame.difference)


def test_frame_rmst_refuses_mixed_forms(life):
    with pytest.raises(rk.ParameterError, match="leave out event_observed"):
        rk.rmst(life, life["churned"], horizon=60)
    with pytest.raises(rk.ParameterError, match="needs by="):
        rk.rmst_difference(life, horizon=60)
    with pytest.raises(rk.ParameterError, match="no group 'app'"):
        rk.rmst_difference(life, by="channel", horizon=60, labels=("web", "app"))
    with pytest.raises(rk.ParameterError, match="by= and weights_col= name columns"):
        rk.rmst_difference(D, E, D2, E2, horizon=5, by="arm")


# -- alpha in verdicts -----------------------------------------------------------------------------

def test_logrank_verdict_follows_alpha():
    life = pd.DataFrame({"duration": [2, 3, 4, 5, 6, 1, 2, 3, 5, 6], "churned": [1, 0, 1, 0, 0, 1, 1, 0, 1, 0],
                         "arm": ["a"] * 5 + ["b"] * 5})  # p = 0.5113
    assert "compatible with equal retention" in rk.logrank(life, by="arm").explain()
    assert "unlikely under equal retention" in rk.logrank(life, by="arm", alpha=0.6).explain()
    curves = rk.kaplan_meier(life, by="arm", alpha=0.6)
    curves.logrank()
    assert "a difference unlikely under equal retention" in curves.explain()
    assert "compatible with equal retention" in rk.kaplan_meier(life, by="arm").explain(rk.logrank(life, by="arm"))


# -- the table in GLOSSARY.md ----------------------------------------------------------------------

def _glossary_rows():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "GLOSSARY.md").read_text(encoding="utf-8")
    section = text.split("## Argument names", 1)[1]
    for line in section.splitlines():
        m = re.match(r"\| `(\w+)` \| .* \| (.*) \|$", line)
        if m:
            yield m.group(1), re.findall(r"`(rk\.\w+|\w+\.\w+)`", m.group(2))


@pytest.mark.parametrize("name", ["freq", "time_unit", "by", "horizon", "rmst_horizon", "correction", "churn_after",
                                  "control"])
def test_glossary_table_names_real_parameters(name):
    rows = dict(_glossary_rows())
    assert rows[name], f"no functions listed for {name}"
    for ref in rows[name]:
        owner, attr = ref.split(".")
        func = getattr(rk, attr) if owner == "rk" else getattr(getattr(rk, owner), attr)
        assert name in inspect.signature(func).parameters, f"GLOSSARY says {ref} takes {name}="


def test_glossary_lists_every_rename():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "GLOSSARY.md").read_text(encoding="utf-8")
    for case in CASES:
        func, old = case[0].rsplit(" ", 1)
        if old != "positional":
            assert re.search(rf"\| `{old}` \| `\w+` \| [^\n]*{re.escape(func.split('.')[-1])}", text), case[0]


# Arguments after the first that may still be given by position, with the reason (GLOSSARY).
POSITIONAL_BY_DESIGN = {
    "crr_table": {"freq"}, "cohort_table": {"freq"},  # the table's period: rk.cohort_table(events, "M")
    "rmst": {"event_observed"}, "rmst_difference": {"event_a", "durations_b", "event_b"},  # the data arrays
    "compare_retention": {"events"},  # the second data argument
    "ratio_metric": {"denominator"},  # a column of the data, like outcome
    "rfm_summary": {"calibration_end", "observation_end"}, "tracking_table": {"observation_end"},  # the split
}


def test_options_after_the_data_are_keyword_only():
    found = []
    for name in rk.__all__:
        func = getattr(rk, name)
        if not inspect.isfunction(func) or name.startswith("plot_"):  # plots: the plot contract's ax
            continue
        params = list(inspect.signature(func).parameters.values())[1:]
        optional = {p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is not p.empty}
        found += [f"{name}({p}=)" for p in sorted(optional - POSITIONAL_BY_DESIGN.get(name, set()))]
    assert not found, f"options that can still be passed by position: {found}"


@pytest.mark.parametrize("new, old", [
    (lambda: rk.classical_boundaries(3, alpha=0.1, shape="obrien-fleming"),
     lambda: rk.classical_boundaries(3, 0.1, "obrien-fleming")),
    (lambda: rk.alpha_spent(0.5, alpha=0.1, spending="pocock"), lambda: rk.alpha_spent(0.5, 0.1, "pocock")),
    (lambda: rk.simulate_shop(50, seed=3).transactions, lambda: rk.simulate_shop(50, 3).transactions),
], ids=["classical_boundaries", "alpha_spent", "simulate_shop"])
def test_more_options_by_position_warn_and_agree(new, old):
    expected = _quiet(new)
    with pytest.warns(FutureWarning, match="by position is deprecated and stops working in") as rec:
        got = old()
    assert rec[0].filename == __file__
    _same(expected, got)


def test_compare_retention_without_churn_after_warns_and_keeps_the_old_default(fixtures):
    a, ev = fixtures["assignments"], fixtures["events"]
    expected = _quiet(lambda: rk.compare_retention(a, ev, horizon="30D", churn_after="30D"))
    with pytest.warns(FutureWarning, match=r"without churn_after= is deprecated.*churn_after='30D'") as rec:
        got = rk.compare_retention(a, ev, horizon="30D")
    assert rec[0].filename == __file__
    _same(expected, got)


# -- result attributes (issue 14 leftovers) --------------------------------------------------------

# Result fields may not use a deprecated name either, except where the name means something
# else (with the reason) or the rename is still to come in a module of its own.
FIELDS_ALLOWED = {
    "SequentialMonitor.method": "the monitoring procedure ('group-sequential', 'confidence-sequence'), "
                                "not a multiple-comparison correction",
    "SequentialMonitor.unit": "the unit of information, as monitor_look(unit=)",
    "SBGModel.unit": "a free-text label of one period", "BdWModel.unit": "a free-text label of one period",
}


def test_no_result_field_uses_a_deprecated_name():
    found = []
    for name in rk.__all__:
        cls = getattr(rk, name)
        if inspect.isclass(cls) and hasattr(cls, "__dataclass_fields__"):
            for field in set(cls.__dataclass_fields__) & (BANNED | {"t", "unit"}):
                if f"{name}.{field}" not in FIELDS_ALLOWED:
                    found.append(f"{name}.{field}")
    assert not found, f"deprecated names as result fields: {found}"


RENAMED_FIELDS = [
    ("RMSTResult", "t", "horizon", lambda f: rk.rmst(D, E, horizon=5)),
    ("RMSTDifference", "t", "horizon", lambda f: rk.rmst_difference(D, E, D2, E2, horizon=5)),
    ("PairwiseLogrank", "method", "correction",
     lambda f: rk.pairwise_logrank(f["life"], by="channel", correction="bonferroni")),
    ("RMSTPlan", "tau", "horizon", lambda f: rk.rmst_sample_size(horizon=60, churn_control=0.4, hazard_ratio=0.8)),
    ("CohortTable", "breakdown", "by", lambda f: rk.cohort_table(f["events"], "M", by="channel", first_cohort="keep")),
]


@pytest.mark.parametrize("cls, old, new, make", RENAMED_FIELDS, ids=[f"{c[0]}.{c[1]}" for c in RENAMED_FIELDS])
def test_renamed_result_attribute_warns_and_reads_the_new_one(fixtures, cls, old, new, make):
    res = _quiet(lambda: make(fixtures))
    assert type(res).__name__ == cls and new in type(res).__dataclass_fields__
    assert old not in type(res).__dataclass_fields__ and old not in vars(res)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = getattr(res, old)
    assert len(caught) == 1 and caught[0].category is FutureWarning
    message = str(caught[0].message)
    assert f"{cls}.{old} is deprecated" in message and f"{cls}.{new}" in message and _removed_in() in message
    assert caught[0].filename == __file__, "the warning should point at the caller's line"
    assert value == getattr(res, new)
    assert type(res)._renamed_attributes == {old: new}
    assert f"{new}=" in repr(res) or cls in ("RMSTPlan", "CohortTable")  # a repr naming its fields shows the new name


def test_renamed_result_values():
    assert rk.rmst(D, E, horizon=5).horizon == 5.0
    assert rk.rmst_difference(D, E, D2, E2, horizon="5D").horizon == 5.0
    pairs = rk.pairwise_logrank(pd.DataFrame({"duration": [1, 2, 3, 4, 5, 6], "churned": [1] * 6,
                                              "g": list("aabbcc")}), by="g", correction="fdr_bh")
    assert pairs.correction == "bh" and "PairwiseLogrank(correction='bh')" in repr(pairs)
