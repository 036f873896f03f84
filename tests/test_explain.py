"""Every result explains itself in plain language: these tests pin the sentences for fixed
data, so a change in wording or numbers is a visible, reviewed change. The numbers in them
are checked against independent references in each module's own tests; here the words
matter: what the number means and what it does not say."""

import warnings

import pytest

import retention_kit as rk


@pytest.fixture(scope="module")
def shop_lifetimes():
    shop = rk.load_coffee_shop()
    life = rk.customer_lifetimes(shop.transactions, churn_after=30, start_times=shop.assignments,
                                 by=["channel", "arm"])
    return shop, life


def pinned(text: str, expected: str):
    assert text == expected, f"explain() changed; new text:\n{text}"

def test_cohort_table_explains_the_first_cohort_and_the_caveats():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.LeftCensoringWarning)
        text = rk.cohort_table(rk.load_cdnow(), freq="M").explain()
    pinned(text, (
        'Of the 7,846 customers acquired in January 1997, 14.7 % were active in period 1 '
        '(February 1997). Weighted by cohort size over complete cells only, the share of '
        'customers active was 14.9 % in period 1, 11.4 % in period 2, 10.0 % in period 3. Period '
        '0 is the acquisition month, about 100 % by construction: it says nothing about retention'
        " and is not a data point to average. 'On' retention counts activity in each period: it "
        'is not survival, and a customer inactive in one period may come back in a later one. The'
        ' first cohort (1997-01) may include customers acquired before the data began '
        '(left-censoring).'
    ))


def test_survival_curves_explain_medians_threshold_and_censoring(shop_lifetimes):
    text = rk.kaplan_meier(shop_lifetimes[1], by="channel").explain()
    pinned(text, (
        'app: 910 customers, 643 churned and 267 still active (censored); half had churned by '
        '106.3 days (95% interval 96.0 to 119.3). delivery: 557 customers, 515 churned and 42 '
        'still active (censored); half had churned by 44.3 days (95% interval 37.5 to 50.9). '
        'walk-in: 1,533 customers, 1,324 churned and 209 still active (censored); half had '
        'churned by 61.0 days (95% interval 56.0 to 66.0). A customer counts as churned after 30 '
        'days without activity; the others are censored at the last instant a lapse could be '
        'seen, as of minus that threshold, and a different threshold gives different curves. '
        'Censored customers count for as long as they were observed, so the curves are not biased'
        ' towards short lifetimes; bands widen where few remain at risk. Differences between '
        'curves are descriptive: use logrank() for a test.'
    ))


def test_logrank_explains_evidence_not_size(shop_lifetimes):
    text = rk.logrank(shop_lifetimes[1], by="arm").explain()
    pinned(text, (
        'Log-rank test across 2 groups: chi-square 74.46 on 1 df, p = 6.2e-18, a difference '
        'unlikely under equal retention. control churned most relative to expectation (1,340 '
        'observed vs 1,128.2 expected). The test weighs all times equally and has most power when'
        ' one curve stays below the other; it measures evidence, not the size of the gap (see '
        'rmst or survival_at for that).'
    ))


def test_rmst_explains_a_hand_checked_value():
    # Kaplan-Meier: S = 0.8 after t=1, 0.8 * 3/4 = 0.6 after t=2, 0.3 after t=4, so
    # RMST(4) = 1 * 1 + 0.8 * (2 - 1) + 0.6 * (4 - 2) = 3.0 days, 75 % of the horizon.
    text = rk.rmst([1, 2, 2, 4, 5], [1, 1, 0, 1, 0], horizon=4).explain()
    pinned(text, (
        'Within the first 4 days, a customer stays on average 3.0 days (95% interval 1.9 to 4.1),'
        ' i.e. 75.0% of the horizon; estimated from 5 customers of whom 3 churned. It says '
        'nothing about time after 4 days.'
    ))


def test_sbg_explains_the_published_fit():
    # Fader & Hardie (2007), "regular" customers: alpha 0.704, beta 1.182.
    text = rk.fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241]).explain()
    pinned(text, (
        'Fitted on 7 periods of a cohort of 1,000: per-period churn probabilities vary across '
        'customers as Beta(alpha=0.704, beta=1.182), mean 37.3%. The retention rate rises from '
        '62.7% in period 1 to 91.1% in period 7 and 92.1% next: the customers most likely to '
        'leave go first, so those who remain are the loyal ones. Projections assume the cohort '
        "keeps behaving like this and that no individual's churn probability changes with tenure "
        '(see fit_bdw).'
    ))


def test_comparison_from_counts_explains_size_and_significance():
    # 45.0 % - 40.0 % = +5.0 points; relative 5 / 40 = +12.5 %. The verdict (first line)
    # follows the declared primary test, the pooled z-test here (p = 0.024 < 0.05).
    text = rk.compare_retention_counts({"control": (1000, 400), "loyalty": (1000, 450)},
                                       control="control").explain()
    pinned(text, (
        'Verdict for loyalty (primary analysis: retention at the horizon, pooled z-test): loyalty'
        ' kept more customers than control; +5.0 points (95% CI +0.7 to +9.3), p = 0.024.\nControl'
        ' (control): 400 of 1,000 retained (40.0%).\nloyalty: 450 of 1,000 (45.0%), a difference o'
        'f +5.0 points (95% CI +0.7 to +9.3; relative +12.5%), p = 0.024. Bayesian view (Beta(1, '
        '1) prior on each rate): P(loyalty beats control) = 98.8%, expected loss if you ship it 0'
        '.01 points.\nOf 2,000 assigned customers: control 50.0% (planned 50.0%), loyalty 50.0% (p'
        'lanned 50.0%). Chi-square 0.00 on 1 degree(s) of freedom, p = 1.000. No sign of a broken'
        ' split (the alarm is p < 0.001).\nA small p-value says the difference is unlikely to be c'
        'hance, not that it is large: judge the size by the interval.'
    ))


def test_experiment_verdict_explains_definition_and_every_view(shop_lifetimes):
    # Retained = a purchase 30 to 60 days after assignment (window = churn_after = 30 days).
    # Before the bounded window: 1,017 of 1,529 (66.5%) and 1,086 of 1,471 (73.8%), +7.3 points.
    shop = shop_lifetimes[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        text = rk.compare_retention(shop.assignments, shop.transactions, horizon="30D", churn_after="30D").explain()
    pinned(text, (
        'Verdict for loyalty (primary analysis: retention at day 30, pooled z-test): loyalty kept'
        " more customers than control; +6.0 points (95% CI +2.6 to +9.4), p = 0.0005.\n'Retained a"
        "t day 30' means some activity more than 30 and at most 60 days after assignment (a 30-da"
        'y window after the horizon, the churn window); only customers whose 30 + 30 days had ela'
        'psed by 2024-12-31 are counted, so their status is final.\nControl (control): 962 of 1,52'
        '9 retained (62.9%).\nloyalty: 1,014 of 1,471 (68.9%), a difference of +6.0 points (95% CI'
        ' +2.6 to +9.4; relative +9.6%), p = 0.0005. Bayesian view (Beta(1, 1) prior on each rate'
        '): P(loyalty beats control) > 99.9%, expected loss if you ship it < 0.01 points.\nWhole c'
        'urve, all 1,471 loyalty customers: log-rank p < 0.0001; mean days retained within the fi'
        'rst 30 (RMST) 24.7 vs 23.1, +1.7 days (95% CI +0.9 to +2.4); time-averaged hazard ratio '
        '0.71 (95% CI 0.65 to 0.77; proportional hazards not rejected, p = 0.789).\nOf 3,000 assig'
        'ned customers: control 51.0% (planned 50.0%), loyalty 49.0% (planned 50.0%). Chi-square '
        '1.12 on 1 degree(s) of freedom, p = 0.290. No sign of a broken split (the alarm is p < 0'
        '.001).\nThe analyses other than the primary one test the same hypothesis another way: the'
        'y support the verdict, they do not replace it.\nA small p-value says the difference is un'
        'likely to be chance, not that it is large: judge the size by the interval.'
    ))


def test_purchase_gaps_explain_how_to_choose_the_threshold():
    text = rk.purchase_gaps(rk.load_coffee_shop().transactions).explain()
    pinned(text, (
        'Half of the gaps between consecutive purchases are shorter than 3.7 days; 90 % are '
        'shorter than 14.9 days and 95 % shorter than 21.8 days. A customer silent for longer '
        'than about 15-22 days is unlikely to be on an ordinary pause, which makes it a '
        'defensible churn_after. By that rule 86.4% of the customers are silent for longer than '
        '15 days now. Gaps longer than the data window cannot be seen, so these quantiles are '
        'lower bounds: check how the survival results change with the threshold.'
    ))


def test_cox_drivers_explain_hazard_ratios_and_causality(shop_lifetimes):
    text = rk.cox_drivers(shop_lifetimes[1], covariates=["arm", "channel"]).explain()
    pinned(text, (
        'Cox model on 3,000 customers (2,482 churned). arm = loyalty (vs control): churn hazard '
        '31% lower (hazard ratio 0.69, 95% interval 0.64 to 0.75, p = 2.65e-19). channel = app '
        '(vs walk-in): churn hazard 41% lower (hazard ratio 0.59, 95% interval 0.54 to 0.65, p = '
        '1.75e-27). channel = delivery (vs walk-in): churn hazard 39% higher (hazard ratio 1.39, '
        "95% interval 1.26 to 1.54, p = 2.56e-10). Proportional-hazards check: no term's effect "
        'was found to change over the lifetime (all test p >= 0.05), so one hazard ratio per term'
        ' is a fair summary. Hazard ratios describe associations; only randomised terms (an '
        'experiment arm) read as causal effects.'
    ))


# --------------------------------------------------------------------------------------
# How an explanation shows: plain text that notebooks render as paragraphs
# --------------------------------------------------------------------------------------

def test_explain_returns_text_that_notebooks_render_as_paragraphs(shop_lifetimes):
    km = rk.kaplan_meier(shop_lifetimes[1], by="channel")
    results = [km, rk.crr_table(rk.load_coffee_shop().transactions, freq="M"),
               rk.purchase_gaps(rk.load_coffee_shop().transactions), rk.rmst([1, 2, 2, 4, 5], [1, 1, 0, 1, 0], horizon=4),
               rk.fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241])]
    for result in results:
        text = result.explain()
        assert isinstance(text, str) and isinstance(text, rk.results.Explanation)
        plain = str.__str__(text)
        assert text == plain and f"{text}" == plain and print_of(text) == plain + "\n"
        html = text._repr_html_()
        assert html.count("<p") == len(text.paragraphs()) and "white-space:normal" in html
        # The plain-text display (IPython) wraps between words only: no word is cut.
        pretty = text.wrapped(60)
        assert pretty.split() == plain.split() and max(map(len, pretty.splitlines())) <= 60
    html = km.explain()._repr_html_()
    assert "<code>logrank()</code>" in html and "<code>" not in km.explain()


def print_of(text) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print(text)
    return out.getvalue()


def test_multi_paragraph_explanations_keep_their_paragraphs():
    text = rk.results.Explanation("First paragraph, 13.2 % kept.\nSecond one: p < 0.001.")
    assert text.paragraphs() == ["First paragraph, 13.2 % kept.", "Second one: p < 0.001."]
    assert "13.2 %" in text._repr_html_() and "p &lt; 0.001" in text._repr_html_()
    assert text.wrapped() == "First paragraph, 13.2 % kept.\n\nSecond one: p < 0.001."


def test_survival_curves_suggest_a_test_only_until_one_is_run(shop_lifetimes):
    life = shop_lifetimes[1]
    km = rk.kaplan_meier(life, by="arm")
    assert km.explain().endswith("Differences between curves are descriptive: use logrank() for a test.")
    test = km.logrank()
    assert test.p_value == rk.logrank(life, by="arm").p_value
    text = km.explain()
    assert "use logrank()" not in text
    assert text.endswith("The log-rank test of the differences: chi-square 74.46 on 1 df, p < 0.001, "
                         "a difference unlikely under equal retention.")
    # A test run separately can be handed over; one curve has nothing to compare.
    other = rk.kaplan_meier(life, by="channel")
    assert "use logrank()" not in other.explain(logrank=rk.logrank(life, by="channel"))
    single = rk.kaplan_meier(life)
    assert "logrank" not in single.explain()
    with pytest.raises(rk.DataError):
        single.logrank()
