"""Every result of the experiments package reads the same way: summary DataFrame, explain()
sentences, a one-screen repr and the kit's HTML layout."""

import numpy as np
import pandas as pd
import pytest

import retention_kit as rk


def _results():
    rng = np.random.default_rng(0)
    n = 400
    arm = np.where(rng.random(n) < 0.5, "loyalty", "control")
    data = pd.DataFrame({"arm": arm, "retained": rng.random(n) < 0.5, "pre": rng.poisson(2, n).astype(float),
                         "revenue": rng.gamma(2, 10, n), "orders": rng.poisson(3, n) + 1,
                         "channel": rng.choice(["app", "web"], n), "duration": np.floor(rng.exponential(40, n)),
                         "churned": rng.random(n) < 0.7})
    return {
        "spending_boundaries": rk.spending_boundaries(looks=3),
        "classical_boundaries": rk.classical_boundaries(3),
        "sequential_test": rk.sequential_test([1.0, 2.5], [100, 200], 300),
        "confidence_sequence": rk.confidence_sequence([100, 200], [30, 70], [100, 200], [30, 60], planned_n=400),
        "hazard_ratio_sample_size": rk.hazard_ratio_sample_size(0.8, churn_control=0.4),
        "rmst_sample_size": rk.rmst_sample_size(60, churn_control=0.4, hazard_ratio=0.8),
        "calendar_plan": rk.calendar_plan(1000, 100, looks=2),
        "event_plan": rk.event_plan(100, 50, enrolment_weeks=8, churn_control=0.1, hazard_ratio=0.8),
        "cuped": rk.cuped(data, "retained", "pre"),
        "cuped_rmst": rk.cuped_rmst(data, 30, "pre"),
        "ratio_metric": rk.ratio_metric(data, "revenue", "orders", margin=0.05),
        "segment_effects": rk.segment_effects(data, "retained", "channel"),
        "monitor_look": rk.monitor_look(rk.spending_boundaries([0.4, 0.7, 1.0], sides=1).with_futility(0.8),
                                        1.2, 70, 100),
        "monitor_confidence_sequence": rk.compare_retention_counts({"control": (500, 150), "loyalty": (500, 180)})
        .monitor("confidence-sequence", planned_n=1000),
    }


@pytest.mark.parametrize("name,result", list(_results().items()))
def test_result_contract(name, result):
    assert isinstance(result.summary, pd.DataFrame) and len(result.summary) > 0
    text = result.explain()
    assert isinstance(text, str) and len(text) > 80 and "nan" not in text.lower().split()
    head = repr(result).splitlines()[0]
    assert head.startswith(type(result).__name__ + ": ")
    html = result._repr_html_()
    assert html.startswith("<div class='retention-kit'>") and "<table" in html
