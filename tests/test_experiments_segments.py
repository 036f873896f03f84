"""Effects by segment: the interaction statistic against statsmodels, and the error rates of
the interaction test and of Holm-adjusted segment p-values by simulation."""

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.meta_analysis import combine_effects

from retention_kit.errors import DataError, ParameterError
from retention_kit.experiments import segment_effects

matplotlib.use("Agg")

SEGMENTS = ["app", "delivery", "store", "web"]


def _experiment(rng, n, effects, base=(0.55, 0.40, 0.50, 0.30)):
    seg = rng.choice(SEGMENTS, n)
    arm = np.where(rng.random(n) < 0.5, "loyalty", "control")
    i = np.searchsorted(SEGMENTS, seg)
    p = np.asarray(base)[i] + np.asarray(effects)[i] * (arm == "loyalty")
    return pd.DataFrame({"channel": seg, "arm": arm, "retained": rng.random(n) < p})


def test_cochran_q_matches_statsmodels_combine_effects():
    data = _experiment(np.random.default_rng(1), 8000, effects=(0.08, 0.0, 0.03, 0.05))
    res = segment_effects(data, "retained", "channel")
    t = res.summary
    ref = combine_effects(t["diff"].to_numpy(), t["std_error"].to_numpy() ** 2)  # fixed-effect meta-analysis
    assert res.q_statistic == pytest.approx(ref.q, rel=1e-10)
    assert res.q_df == 3
    # Each segment's difference and unpooled standard error by hand for one segment:
    app = data[data["channel"] == "app"]
    yt = app.loc[app["arm"] == "loyalty", "retained"].astype(float)
    yc = app.loc[app["arm"] == "control", "retained"].astype(float)
    assert t.loc["app", "diff"] == pytest.approx(yt.mean() - yc.mean())
    assert t.loc["app", "std_error"] == pytest.approx(math.sqrt(yt.var() / len(yt) + yc.var() / len(yc)))


def _null_error_rates(sims, seed):
    rng = np.random.default_rng(seed)
    interaction, any_holm, any_raw = 0, 0, 0
    for _ in range(sims):
        res = segment_effects(_experiment(rng, 4000, effects=(0.0, 0.0, 0.0, 0.0)), "retained", "channel")
        interaction += res.interaction_p_value < 0.05
        any_holm += (res.summary["p_value_adjusted"] < 0.05).any()
        any_raw += (res.summary["p_value"] < 0.05).any()
    return interaction / sims, any_holm / sims, any_raw / sims


def _check_null(sims, seed):
    interaction, any_holm, any_raw = _null_error_rates(sims, seed)
    mc = 3 * math.sqrt(0.05 * 0.95 / sims)
    assert abs(interaction - 0.05) < mc
    assert any_holm < 0.05 + mc
    # Unadjusted, some segment "works" in about 1 - 0.95^4 = 18.5 % of null experiments.
    assert abs(any_raw - 0.185) < 3 * math.sqrt(0.185 * 0.815 / sims)


def test_interaction_test_and_holm_hold_their_error_rates():
    _check_null(sims=250, seed=2)


@pytest.mark.slow
def test_segment_error_rates_long():
    _check_null(sims=4000, seed=20)


def test_interaction_test_detects_a_real_difference():
    data = _experiment(np.random.default_rng(3), 20_000, effects=(0.10, 0.0, 0.0, 0.0))
    res = segment_effects(data, "retained", "channel")
    assert res.interaction_p_value < 0.001
    assert "The effect depends on the segment." in res.explain()
    ax = res.plot()
    assert ax.get_ylabel() == "channel"


def test_segment_errors():
    data = _experiment(np.random.default_rng(4), 400, effects=(0, 0, 0, 0))
    with pytest.raises(DataError, match="give them a segment of their own"):
        segment_effects(data.assign(channel=[None] + list(data["channel"][1:])), "retained", "channel")
    with pytest.raises(DataError, match="Fewer than two segments"):
        segment_effects(data.assign(channel="all"), "retained", "channel")
    with pytest.raises(ParameterError, match="Did you mean 'holm'"):
        segment_effects(data, "retained", "channel", correction="hom")
