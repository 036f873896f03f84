"""One result contract (issue #14): every public result class derives from
:class:`retention_kit.results.Result` and keeps what it promises — ``summary`` a read-only
property returning a non-empty DataFrame, ``to_frame()`` a copy of it, ``explain()`` an
:class:`~retention_kit.results.Explanation`, a ``title``, ``notes``, a text and an HTML display,
and pickle/deepcopy round trips. One instance of every class is built on small real inputs
(the bundled coffee shop and CDNOW sample, published counts, seeded synthetic data); a
package walk fails when a class that looks like a result skips the contract or has no
instance here."""

from __future__ import annotations

import copy
import importlib
import inspect
import pickle
import pkgutil
import warnings

import numpy as np
import pandas as pd
import pytest

import retention_kit as rk
from retention_kit.results import Explanation, Result

# Bases that only share behaviour: never returned by a public function.
ABSTRACT = {"Result", "ResultMixin", "FittedModel", "PurchaseModel"}

# Results whose to_frame() is documented to return their per-row table, not the one-row summary.
TO_FRAME_IS_TABLE = {"CustomerValue"}


def _build() -> dict:
    shop = rk.load_coffee_shop()
    tx = shop.transactions
    cdnow = rk.load_cdnow()
    sample = cdnow[cdnow["customer_id"].isin(rk.cdnow_sample_ids())]
    life = rk.customer_lifetimes(tx, churn_after=30, by=["channel"])
    loyal, walk_in = life[life["channel"] == "app"], life[life["channel"] == "walk-in"]
    rfm = rk.rfm_summary(sample, "1997-09-30", "1998-06-30", amount_col="amount")
    bg, pn, gg = rk.fit_bgnbd(rfm), rk.fit_pareto_nbd(rfm), rk.fit_gamma_gamma(rfm)
    counts = {"control": (500, 150), "loyalty": (500, 180)}

    rng = np.random.default_rng(0)
    n = 400
    data = pd.DataFrame({"arm": np.where(rng.random(n) < 0.5, "loyalty", "control"),
                         "retained": rng.random(n) < 0.5, "pre": rng.poisson(2, n).astype(float),
                         "revenue": rng.gamma(2, 10, n), "orders": rng.poisson(3, n) + 1,
                         "channel": rng.choice(["app", "web"], n),
                         "duration": np.floor(rng.exponential(40, n)), "churned": rng.random(n) < 0.7})
    tiny = pd.DataFrame({"customer_id": list("aabbcddde"), "date": pd.to_datetime(
        ["2024-01-01", "2024-02-01", "2024-01-05", "2024-03-20", "2024-01-10", "2024-02-25",
         "2024-03-30", "2024-04-10", "2024-05-30"])})
    design = rk.spending_boundaries([0.4, 0.7, 1.0], sides=1)
    return {
        "CRRTable": rk.crr_table(sample, freq="M", amount_col="amount"),
        "CohortTable": rk.cohort_table(tx, freq="M"),
        "PurchaseGaps": rk.purchase_gaps(tx),
        "RMSTResult": rk.rmst(life["duration"], life["churned"], horizon=90),
        "RMSTDifference": rk.rmst_difference(walk_in["duration"], walk_in["churned"],
                                             loyal["duration"], loyal["churned"], horizon=90),
        "SurvivalCurves": rk.kaplan_meier(life, by="channel"),
        "LogrankResult": rk.logrank(life, by="channel"),
        "PairwiseLogrank": rk.pairwise_logrank(life, by="channel"),
        "CoxDrivers": rk.cox_drivers(life, covariates=["channel"]),
        "SampleRatioCheck": rk.sample_ratio_check({"control": 1529, "loyalty": 1471}),
        "SampleSizePlan": rk.sample_size(0.66, 0.05),
        "RetentionComparison": rk.compare_retention(shop.assignments, tx, horizon="30D", churn_after="30D"),
        "RetentionComparison from counts": rk.compare_retention_counts(counts),
        "SBGModel": rk.fit_sbg([1000, 869, 743, 653, 593, 551, 517, 491]),
        "BdWModel": rk.fit_bdw([1000, 869, 743, 653, 593, 551, 517, 491]),
        "Backtest": rk.backtest(rk.crr_table, sample, ["1997-12-31", "1998-03-31", "1998-06-30"],
                                freq="M", metrics=["crr"]),
        "ThresholdBacktest": rk.churn_threshold_backtest(tiny, ["20D", 45], cut="2024-03-31", look_ahead="60D"),
        "BGNBDModel": bg,
        "ParetoNBDModel": pn,
        "GammaGammaModel": gg,
        "AliveComparison": rk.alive_vs_inactivity(bg, rfm, churn_after=13),
        "CustomerValue": rk.customer_lifetime_value(bg, gg, rfm, horizon=52, discount_rate=0.002),
        "SequentialDesign": rk.spending_boundaries(looks=3),
        "SequentialDesign (classical)": rk.classical_boundaries(3),
        "FutilityDesign": design.with_futility(0.8),
        "SequentialTest": rk.sequential_test([1.0, 2.5], [100, 200], 300),
        "ConfidenceSequence": rk.confidence_sequence([100, 200], [30, 70], [100, 200], [30, 60], planned_n=400),
        "HazardRatioPlan": rk.hazard_ratio_sample_size(0.8, churn_control=0.4),
        "RMSTPlan": rk.rmst_sample_size(60, churn_control=0.4, hazard_ratio=0.8),
        "CalendarPlan": rk.calendar_plan(1000, 100, looks=2),
        "CalendarPlan (events)": rk.event_plan(100, 50, enrolment_weeks=8, churn_control=0.1, hazard_ratio=0.8),
        "AdjustedComparison": rk.cuped(data, "retained", "pre"),
        "AdjustedComparison (RMST)": rk.cuped_rmst(data, 30, "pre"),
        "AdjustedHazardRatio": rk.cuped_hazard_ratio(data, "pre"),
        "RatioComparison": rk.ratio_metric(data, "revenue", "orders", margin=0.05),
        "SegmentEffects": rk.segment_effects(data, "retained", "channel"),
        "SequentialMonitor": rk.monitor_look(design.with_futility(0.8), 1.2, 70, 100),
        "SequentialMonitor (confidence sequence)": rk.compare_retention_counts(counts)
        .monitor("confidence-sequence", planned_n=1000),
    }


@pytest.fixture(scope="module")
def results() -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        return _build()


NAMES = ["CRRTable", "CohortTable", "PurchaseGaps", "RMSTResult", "RMSTDifference", "SurvivalCurves",
         "LogrankResult", "PairwiseLogrank", "CoxDrivers", "SampleRatioCheck", "SampleSizePlan",
         "RetentionComparison", "RetentionComparison from counts", "SBGModel", "BdWModel", "Backtest",
         "ThresholdBacktest", "BGNBDModel", "ParetoNBDModel", "GammaGammaModel", "AliveComparison",
         "CustomerValue", "SequentialDesign", "SequentialDesign (classical)", "FutilityDesign",
         "SequentialTest", "ConfidenceSequence", "HazardRatioPlan", "RMSTPlan", "CalendarPlan",
         "CalendarPlan (events)", "AdjustedComparison", "AdjustedComparison (RMST)", "AdjustedHazardRatio",
         "RatioComparison",
         "SegmentEffects", "SequentialMonitor", "SequentialMonitor (confidence sequence)"]


def test_the_parametrised_names_are_the_built_ones(results):
    assert sorted(NAMES) == sorted(results)


@pytest.mark.parametrize("name", NAMES)
def test_result_keeps_the_contract(results, name):
    result = results[name]
    cls = type(result)
    assert isinstance(result, Result), f"{cls.__name__} does not derive from Result"
    assert cls.__name__ == name.split(" ")[0]

    prop = inspect.getattr_static(cls, "summary")
    assert isinstance(prop, property) and prop.fset is None, f"{cls.__name__}.summary is not a read-only property"
    with pytest.raises(AttributeError):
        result.summary = pd.DataFrame()
    summary = result.summary
    assert isinstance(summary, pd.DataFrame) and len(summary) > 0 and summary.shape[1] > 0

    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame) and frame is not summary
    expected = result.table if cls.__name__ in TO_FRAME_IS_TABLE else summary
    pd.testing.assert_frame_equal(frame, expected)
    frame["__added__"] = 1  # the copy is the caller's: the result does not change
    assert "__added__" not in result.summary.columns and "__added__" not in expected.columns

    text = result.explain()
    assert isinstance(text, Explanation) and len(text.strip()) > 40

    assert isinstance(result.title, str) and result.title.strip()
    assert all(isinstance(note, str) for note in result.notes)

    text_repr = repr(result)
    assert isinstance(text_repr, str) and text_repr.strip()
    html = result._repr_html_()
    assert isinstance(html, str) and html.startswith("<div class='retention-kit'>")

    for clone in (pickle.loads(pickle.dumps(result)), copy.deepcopy(result)):
        assert type(clone) is cls
        pd.testing.assert_frame_equal(clone.summary, summary)
        assert clone.explain() == text and clone.title == result.title


def test_the_default_display_is_title_summary_and_notes():
    class Tally(Result):
        title = "Customers per arm"
        notes = ["Counts are of assigned customers."]

        @property
        def summary(self):
            return pd.DataFrame({"arm": ["control", "loyalty"], "share": [0.5, 0.5]})

        @rk.results.explains
        def explain(self):
            return "Half and half."

    tally = Tally()
    assert repr(tally).splitlines()[0] == "Tally: Customers per arm"
    assert repr(tally).endswith("(.explain() for the reading in words)")
    html = tally._repr_html_()
    assert "Customers per arm" in html and "50.0 %" in html and "Counts are of assigned customers." in html


def test_an_incomplete_result_says_what_it_lacks():
    class Half(Result):
        pass

    for attr in ("summary", "title"):
        with pytest.raises(NotImplementedError, match=attr):
            getattr(Half(), attr)
    with pytest.raises(NotImplementedError, match="explain"):
        Half().explain()


def _package_classes() -> dict:
    found = {}
    for info in pkgutil.walk_packages(rk.__path__, prefix="retention_kit."):
        if info.name.rsplit(".", 1)[-1] in ("__main__",):
            continue
        module = importlib.import_module(info.name)
        for name, cls in vars(module).items():
            if inspect.isclass(cls) and cls.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = cls
    return found


RESULT_NAME = ("Result", "Curves", "Table", "Model", "Comparison", "Plan", "Check", "Test", "Design",
               "Effects", "Sequence", "Monitor", "Backtest", "Value", "Gaps", "Difference", "Logrank",
               "Drivers")


def test_no_result_class_skips_the_contract(results):
    """A public class that looks like a result (``explain`` and ``_repr_html_``) must derive from
    Result, and every concrete public Result class must have an instance in this file."""
    classes = _package_classes()
    assert len(classes) > 30
    skipping = sorted(qual for qual, cls in classes.items()
                      if not cls.__name__.startswith("_") and hasattr(cls, "explain")
                      and hasattr(cls, "_repr_html_") and not issubclass(cls, Result))
    assert not skipping, f"result classes outside the contract: {skipping}"
    # Named like a result and showing itself in Jupyter: a result, or say here why not.
    not_results = {"DataQualityReport", "CheckResult"}  # a validation ledger; an exercise's verdict
    looks_like = sorted(qual for qual, cls in classes.items()
                        if not cls.__name__.startswith("_") and cls.__name__.endswith(RESULT_NAME)
                        and hasattr(cls, "_repr_html_") and not issubclass(cls, Result)
                        and cls.__name__ not in not_results)
    assert not looks_like, f"classes named and displayed like results, outside the contract: {looks_like}"
    tested = {type(r) for r in results.values()}
    untested = sorted(qual for qual, cls in classes.items() if issubclass(cls, Result)
                      and not cls.__name__.startswith("_") and cls.__name__ not in ABSTRACT and cls not in tested)
    assert not untested, f"result classes with no instance in test_result_contract.py: {untested}"
