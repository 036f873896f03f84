"""Monitoring the main comparison: ``RetentionComparison.monitor`` and ``monitor_look`` read one
look against a planned design. Checked against published boundaries (gsDesign, rpact), a hand
computation of the first look's boundary and z, and the experiments module's own
``sequential_test`` / ``confidence_sequence`` on the same looks."""

import math
import warnings

import matplotlib
import numpy as np
import pytest
from scipy import stats

import retention_kit as rk
from retention_kit.errors import DataError, ParameterError
from retention_kit.experiments import (
    classical_boundaries, confidence_sequence, monitor_look, sequential_test, spending_boundaries,
)

matplotlib.use("Agg")


def _counts(n_c, x_c, n_t, x_t):
    return rk.compare_retention_counts({"control": (n_c, x_c), "loyalty": (n_t, x_t)})


# -- the boundary at this look -----------------------------------------------------------

def test_first_look_boundary_is_the_closed_form_of_the_spending_function():
    # At look 1 nothing was spent before, so the boundary is Phi^-1(1 - alpha*(t)) per side with
    # alpha*(t) = 2 - 2 Phi(z_{1 - 0.025/2} / sqrt(t)) (Lan & DeMets 1983), by hand with scipy.
    for t in (0.37, 0.5):
        spent = 2 - 2 * stats.norm.cdf(stats.norm.isf(0.0125) / math.sqrt(t))
        res = monitor_look(spending_boundaries(looks=2), 1.0, t * 1000, 1000)
        assert res.look == 1 and res.boundary == pytest.approx(stats.norm.isf(spent), abs=1e-7)
    # gsDesign(k = 2, test.type = 2, sfu = sfLDOF): 2.9626 at t = 0.5.
    assert monitor_look(spending_boundaries(looks=2), 1.0, 500, 1000).boundary == pytest.approx(2.9626, abs=5e-5)


def test_looks_at_the_planned_fractions_reproduce_rpact_efficacy_and_futility_bounds():
    # rpact test-f_design_group_sequential.R, dl1: kMax 3, one-sided alpha 0.05, beta 0.1, "asP", "bsP",
    # informationRates c(0.4, 0.65, 1), non-binding: criticalValues 1.9405431, 2.0327662, 1.9734104;
    # futilityBounds 0.5448398, 1.0899149.
    design = spending_boundaries([0.4, 0.65, 1.0], alpha=0.05, spending="pocock", sides=1).with_futility(0.9, "pocock")
    expected = {1: (1.9405431, 0.5448398), 2: (2.0327662, 1.0899149), 3: (1.9734104, 1.9734104)}
    for k, info in ((1, 400), (2, 650), (3, 1000)):
        res = monitor_look(design, 1.0, info, 1000)
        assert res.look == k
        assert (res.boundary, res.futility_bound) == pytest.approx(expected[k], abs=2e-7)
    assert monitor_look(design, 0.3, 400, 1000).decision == "stop for futility"
    assert monitor_look(design, 0.6, 400, 1000).decision == "continue"
    assert monitor_look(design, 1.95, 400, 1000).decision == "stop for efficacy"
    assert monitor_look(design, 1.9, 1000, 1000).decision == "final look: no significant difference"


def test_four_look_obrien_fleming_at_the_planned_looks_matches_gsdesign():
    # gsDesign(k = 4, test.type = 2, alpha = 0.025, sfu = sfLDOF)$upper$bound: 4.3326, 2.9631, 2.3590, 2.0141.
    design = spending_boundaries(looks=4)
    got = [monitor_look(design, 0.0, info, 1000).boundary for info in (250, 500, 750, 1000)]
    assert got == pytest.approx([4.3326, 2.9631, 2.3590, 2.0141], abs=5e-5)


def test_observed_looks_give_the_boundaries_of_sequential_test():
    # The module's own monitoring function on the same z and information.
    z, info = [0.8, 1.9, 2.4], [330, 610, 870]
    ref = sequential_test(z, info, 1200)
    res = monitor_look(spending_boundaries(looks=4), z[-1], info[-1], 1200, earlier_information=info[:-1],
                       earlier_z=z[:-1])
    assert res.look == 3
    assert res.summary["z_boundary"].to_numpy() == pytest.approx(ref.summary["z_boundary"].to_numpy(), abs=1e-9)
    assert res.summary["cumulative_alpha"].to_numpy() == pytest.approx(ref.summary["cumulative_alpha"], abs=1e-12)
    assert res.decision == "continue" and ref.decision == "continue"
    # A look that crossed earlier is the decision, whatever happens later.
    crossed = monitor_look(spending_boundaries(looks=4), 1.0, 870, 1200, earlier_information=[330, 610],
                           earlier_z=[0.5, 3.5])
    assert (crossed.decision, crossed.stopped_at) == ("stop for efficacy", 2)
    assert "already crossed at look 2" in crossed.explain()


def test_harm_and_the_final_look_with_a_two_sided_design():
    design = spending_boundaries(looks=3)
    assert monitor_look(design, -3.0, 700, 1000).decision == "stop for harm"
    last = monitor_look(design, 1.5, 1000, 1000)
    assert last.look == 3 and last.decision == "final look: no significant difference"
    # An overrun of the planned information is the final look and spends all of alpha.
    over = monitor_look(design, 2.1, 1100, 1000)
    assert over.decision == "stop for efficacy" and over.summary["cumulative_alpha"].iloc[-1] == pytest.approx(0.05)
    ref = sequential_test([0.0, 0.0, 2.1], [1000 / 3, 2000 / 3, 1100], 1000)  # the same looks, by the module
    assert over.boundary == pytest.approx(ref.summary["z_boundary"].iloc[-1], abs=1e-9)
    assert 1.96 < over.boundary < 2.1


# -- RetentionComparison.monitor ------------------------------------------------------------

def test_monitor_z_and_information_by_hand():
    res = _counts(700, 455, 700, 490)
    look = res.monitor(spending_boundaries(looks=2), planned_n=1400)
    # Pooled: p = 945 / 1400 = 0.675; z = 0.05 / sqrt(0.675 * 0.325 * (2 / 700)) = 1.99715.
    assert look.z == pytest.approx(0.05 / math.sqrt(0.675 * 0.325 * 2 / 700), abs=1e-12)
    assert 2 * stats.norm.sf(look.z) == pytest.approx(res.summary.loc["loyalty", "p_value"], abs=1e-12)
    assert look.information_fraction == pytest.approx(0.5)
    assert (look.decision, round(look.boundary, 4)) == ("continue", 2.9626)
    # Unequal arms: the information is the harmonic mean 2 / (1/600 + 1/800) = 685.714 per arm.
    with pytest.warns(rk.SampleRatioMismatchWarning):
        uneven = _counts(600, 390, 800, 560).monitor(spending_boundaries(looks=2), planned_n=1400)
    assert uneven.summary["information"].iloc[-1] == pytest.approx(2 / (1 / 600 + 1 / 800))
    # A SampleSizePlan counts as the maximum as it is (here 1,377 per arm).
    planned = _counts(700, 455, 700, 490).monitor(spending_boundaries(looks=2), planned_n=rk.sample_size(0.30, 0.05))
    assert planned.information_fraction == pytest.approx(700 / 1377)


def test_monitor_with_earlier_looks_equals_sequential_test_on_their_counts():
    looks = [_counts(300, 190, 300, 205), _counts(650, 420, 640, 450), _counts(1000, 650, 990, 700)]
    res = looks[-1].monitor(spending_boundaries(looks=3), planned_n=1500, earlier=looks[:-1])
    n = np.array([[300, 300], [650, 640], [1000, 990]], float)
    x = np.array([[190, 205], [420, 450], [650, 700]], float)
    pooled = x.sum(1) / n.sum(1)
    z = (x[:, 1] / n[:, 1] - x[:, 0] / n[:, 0]) / np.sqrt(pooled * (1 - pooled) * (1 / n[:, 0] + 1 / n[:, 1]))
    info = 2 / (1 / n[:, 0] + 1 / n[:, 1])
    ref = sequential_test(z, info, 1500)
    assert res.summary["z"].to_numpy() == pytest.approx(z, abs=1e-12)
    assert res.summary["z_boundary"].to_numpy() == pytest.approx(ref.summary["z_boundary"].to_numpy(), abs=1e-9)
    assert (res.decision == "stop for efficacy") == (ref.decision.startswith("stop"))


def test_monitor_with_a_confidence_sequence_equals_the_module():
    looks = [_counts(300, 190, 300, 205), _counts(650, 420, 640, 450), _counts(1000, 650, 990, 700)]
    res = looks[-1].monitor("confidence-sequence", planned_n=1500, earlier=looks[:-1])
    ref = confidence_sequence([300, 640, 990], [205, 450, 700], [300, 650, 1000], [190, 420, 650], planned_n=3000)
    last = ref.summary.iloc[-1]
    assert res.boundary == pytest.approx(last["multiplier"], abs=1e-12)
    assert res.z == pytest.approx(last["diff"] / last["se"], abs=1e-12)
    excludes = last["running_lower"] > 0
    assert res.decision == ("stop for efficacy" if excludes else "continue")
    assert (res.decision == "stop for efficacy") == (last["always_valid_p"] < 0.05)
    assert "always-valid" in res.explain() and res.plot().get_xlabel().startswith("customers")


def test_monitor_result_contract():
    res = _counts(700, 455, 700, 490).monitor(spending_boundaries(looks=4), planned_n=1400)
    assert res.look == 2 and res.assumed_earlier
    text = res.explain()
    assert "look 2 of a 4-look O'Brien-Fleming-type design" in text and "Continue" in text
    assert "taken at their planned information (25%)" in text
    assert "retention-kit" in res._repr_html_() and "continue" in repr(res)
    ax = res.plot()
    assert ax.get_title() == res.title and ax.get_xlabel() == "information fraction"
    assert list(res.summary.columns) == ["information", "information_fraction", "z", "z_boundary", "nominal_p",
                                         "cumulative_alpha", "crossed"]
    assert not res.stop


def test_monitor_refuses_what_it_cannot_read():
    res = _counts(700, 455, 700, 490)
    design = spending_boundaries(looks=4)
    with pytest.raises(ParameterError, match="design must be a SequentialDesign"):
        monitor_look(0.05, 1.0, 100, 1000)
    with pytest.raises(ParameterError, match="no spending function"):
        res.monitor(classical_boundaries(3), planned_n=1400)
    with pytest.raises(ParameterError, match="planned_n=0 must be"):
        res.monitor(design, planned_n=0)
    with pytest.raises(ParameterError, match="'confidence' is not an option"):
        res.monitor("confidence", planned_n=1400)
    with pytest.raises(ParameterError, match=r"look=5 must be a planned look, 1 to 4"):
        res.monitor(design, planned_n=1400, look=5)
    with pytest.raises(ParameterError, match="information only grows"):
        res.monitor(design, planned_n=1400, look=4)  # 50 % of the information cannot be look 4 (after 75 %)
    with pytest.raises(ParameterError, match=r"earlier\[0\] is a dict"):
        res.monitor(design, planned_n=1400, earlier=[{"n": 3}])
    with pytest.raises(ParameterError, match="information only grows"):
        _counts(300, 190, 300, 205).monitor(design, planned_n=1400, earlier=[res])
    many = rk.compare_retention_counts({"control": (700, 455), "a": (700, 490), "b": (700, 460)})
    with pytest.raises(ParameterError, match="name the one to monitor with arm="):
        many.monitor(design, planned_n=1400)
    assert many.monitor(design, planned_n=1400, arm="b").label.startswith("b vs control")
    fut = spending_boundaries([0.4, 0.65, 1.0], alpha=0.05, spending="pocock", sides=1).with_futility(
        0.9, [0.02, 0.05, 0.1])
    with pytest.raises(ParameterError, match="list of beta values"):
        monitor_look(fut, 0.5, 450, 1000)
    assert monitor_look(fut, 0.5, 400, 1000).look == 1  # exactly on the plan: the list applies
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        empty = _counts(700, 455, 0, 0)
    with pytest.raises(DataError, match="z statistic is undefined"):
        empty.monitor(design, planned_n=1400)


@pytest.mark.slow
def test_monitoring_at_unplanned_looks_holds_alpha_by_simulation():
    # 2,000 null experiments, four looks whose information falls off the plan (+-8 % of the planned
    # fractions); each is read by monitor_look at its last look, with the earlier looks' z. The
    # false-positive rate stays at 0.05 (3 simulation s.e. = 0.015), against 0.126 for 1.96 at
    # every look (Armitage, McPherson & Rowe 1969; rk.peeking_false_positive_rate(4)).
    rng = np.random.default_rng(18)
    design = spending_boundaries(looks=4)
    sims, hits, naive = 2_000, 0, 0
    for _ in range(sims):
        t = np.clip(design.information_fractions + rng.uniform(-0.08, 0.08, 4), 0.05, None)
        t[-1] = 1.0
        t = np.maximum.accumulate(t + np.arange(4) * 1e-6)
        s = np.cumsum(rng.standard_normal(4) * np.sqrt(np.diff(np.concatenate([[0.0], t]))))
        z = s / np.sqrt(t)
        res = monitor_look(design, z[-1], t[-1] * 1000, 1000, earlier_information=t[:-1] * 1000, earlier_z=z[:-1])
        hits += res.decision in ("stop for efficacy", "stop for harm")
        naive += bool((np.abs(z) >= 1.959964).any())
    assert abs(hits / sims - 0.05) < 0.015
    assert naive / sims > 0.09


# -- the design recomputed at the looks taken (K looks, not K + 1) ------------------------------

def _exit_probability(t, c, j, sides):
    """P(some |Z_i| >= c_i (Z_i >= c_i one-sided), i <= j) under H0 for the canonical joint
    distribution of the Z statistics: standard normal, corr(Z_i, Z_l) = sqrt(t_i / t_l) for
    t_i <= t_l (Jennison & Turnbull 2000, section 3.1). scipy's multivariate normal CDF (Genz's
    algorithm): no recursion, grid or code shared with the module."""
    t, c = np.asarray(t[:j], float), np.asarray(c[:j], float)
    corr = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    mvn = stats.multivariate_normal(mean=np.zeros(j), cov=corr, abseps=1e-8, releps=1e-8, maxpts=1_000_000)
    inside = mvn.cdf(c, lower_limit=-c) if sides == 2 else mvn.cdf(c)
    return 1.0 - float(inside)


def _independent_boundary(t, c_before, spent, sides, near):
    """The boundary at look len(c_before) + 1 that brings the exit probability to ``spent``,
    given the boundaries already used at the earlier looks (searched within 0.25 of ``near``)."""
    from scipy import optimize

    j = len(c_before) + 1
    return optimize.brentq(lambda x: _exit_probability(t, [*c_before, x], j, sides) - spent, near - 0.25,
                           near + 0.25, xtol=1e-6)


@pytest.mark.parametrize("case", ["look 2 of 4 early, two-sided O'Brien-Fleming",
                                  "observed earlier look, one-sided Pocock"])
def test_unplanned_look_replaces_the_planned_one_and_later_boundaries_spend_the_rest(case):
    if case.startswith("look 2"):
        design = spending_boundaries(looks=4)  # gsDesign sfLDOF 4 looks: 4.3326, 2.9631, 2.3590, 2.0141
        res = monitor_look(design, 1.0, 450, 1000)
        expected_t = [0.25, 0.45, 0.75, 1.0]
    else:
        design = spending_boundaries([0.4, 0.65, 1.0], alpha=0.05, spending="pocock", sides=1)
        res = monitor_look(design, 1.0, 500, 1000, earlier_information=[330], earlier_z=[0.2])
        expected_t = [0.33, 0.5, 1.0]
    seq = res.design
    # K looks: this look in place of the planned one (not next to it), then the planned later looks.
    assert seq.information_fractions.tolist() == pytest.approx(expected_t, abs=1e-12)
    assert seq.looks == design.looks
    # The same design as planning these fractions from the start (what report.look_design drew).
    planned_here = spending_boundaries(expected_t, alpha=design.alpha, spending=design.spending, sides=design.sides)
    assert seq.boundaries == pytest.approx(planned_here.boundaries, abs=1e-9)
    # Every look's exit probability is the alpha spent by its fraction, given the boundaries
    # before it; each boundary is solved again from the multivariate normal and agrees.
    for j in range(1, seq.looks + 1):
        spent = float(seq.cumulative_alpha[j - 1])
        assert spent == pytest.approx(float(rk.alpha_spent(expected_t[j - 1], alpha=design.alpha,
                                                           spending=design.spending, sides=design.sides)), abs=1e-15)
        assert _exit_probability(expected_t, seq.boundaries, j, design.sides) == pytest.approx(spent, abs=2e-7)
        if j > res.look:  # the recomputed later looks
            assert seq.boundaries[j - 1] == pytest.approx(
                _independent_boundary(expected_t, seq.boundaries[:j - 1], spent, design.sides, seq.boundaries[j - 1]),
                abs=1e-4)


def test_unplanned_look_keeps_the_plans_boundaries_up_to_this_look():
    design = spending_boundaries(looks=4)
    res = monitor_look(design, 1.0, 450, 1000)
    assert res.design.boundaries[0] == pytest.approx(4.3326, abs=5e-5)  # gsDesign, planned look 1
    spent = rk.alpha_spent(0.45)  # look 2 at 45 %: what the spending function allows by then
    assert res.design.cumulative_alpha[1] == pytest.approx(spent, abs=1e-15)
    # At the planned fractions the monitor's design is the plan itself.
    on_plan = monitor_look(design, 1.0, 500, 1000).design
    assert on_plan.boundaries == pytest.approx(design.boundaries, abs=1e-9)
    # An early look 1 of a futility design: three looks, and the plot draws three points.
    fut = spending_boundaries([0.4, 0.65, 1.0], alpha=0.05, spending="pocock", sides=1).with_futility(0.9, "pocock")
    early = monitor_look(fut, 0.5, 300, 1000)
    assert early.design.information_fractions.tolist() == pytest.approx([0.3, 0.65, 1.0])
    assert early.futility.futility.size == 3
    ax = early.plot()
    assert len(ax.lines[0].get_xdata()) == 3
    import matplotlib.pyplot as plt
    plt.close("all")
