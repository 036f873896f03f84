"""The report's customer-value section (retention_kit.report.customer_value and its text):
numbers in the sentences against independent computations, the reasons it is left out, its
caveats, and the section in ``retention-kit report`` end to end."""

import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import retention_kit as rk
from retention_kit import report
from retention_kit.report import ReportConfig

WEEKLY_10_PCT = 1.10 ** (1 / 52) - 1  # the section's 10 % a year, per week


def _shop(n=300, seed=7, weeks=52.0, spend_follows_rate=False) -> pd.DataFrame:
    """A seeded purchase log: each customer buys at their own rate until a random lifetime ends."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    rows = []
    for i in range(n):
        first, rate, life = rng.uniform(0, weeks / 2), rng.gamma(1.0, 0.5), rng.exponential(20)
        spend = 4 * rate * 10 if spend_follows_rate else rng.gamma(5, 2)
        times, t = [first], first
        while True:
            t += rng.exponential(1 / rate)
            if t > min(first + life, weeks):
                break
            times.append(t)
        for t in times:
            rows.append((f"c{i:04d}", start + pd.Timedelta(weeks=t), round(spend * rng.gamma(8, 1 / 8) + 0.01, 2)))
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def _config(**kw) -> ReportConfig:
    args = dict(segment_col=None, arm_col=None, churn_after="60D")
    return ReportConfig("shop.csv", **{**args, **kw})


def _section(events, config):
    with report.caveats() as notes:
        section = report.customer_value(events, config)
    return section, notes


@pytest.fixture(scope="module")
def shop():
    events = _shop()
    section, notes = _section(events, _config())
    return events, section, notes, report.customer_value_text(section)


def test_counts_in_the_text_are_those_of_the_log(shop):
    events, section, _, text = shop
    days = events.assign(day=events["date"].dt.normalize()).groupby("customer_id")["day"].nunique()
    n, repeat = len(days), int((days > 1).sum())
    assert 100 <= repeat < n  # enough repeat buyers for the section, and some one-time buyers
    assert f"Of the {n:,} customers, {repeat:,} ({100 * repeat / n:.1f} %) bought on more than one day" in text
    last = events["date"].max()
    assert f"for the 52 weeks after {last.day} {last:%B %Y}." in text


def test_value_and_purchases_equal_the_clv_functions(shop):
    events, section, _, text = shop
    # Fitted here from the kit's default starting values (the report starts the spend model elsewhere).
    summary = rk.rfm_summary(events, time_unit="W", amount_col="amount")
    bg = rk.fit_bgnbd(summary)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rk.RetentionWarning)
        gg = rk.fit_gamma_gamma(summary)
    value = rk.customer_lifetime_value(bg, gg, summary, horizon=52, discount_rate=WEEKLY_10_PCT)
    total = value.summary.iloc[0]
    assert (f"**Expected value over the next 52 weeks: {total['total_clv']:,.0f}** (95 % interval "
            f"{total['total_lower']:,.0f} to {total['total_upper']:,.0f}") in text
    assert f"{total['mean_clv']:,.2f} per customer on average" in text
    purchases = bg.expected_purchases(52, summary)
    median = purchases.median()
    assert (f"from {purchases.sum():,.0f} expected purchases: "
            f"{median:.2f}" if median < 1 else f"{median:.1f}") in text
    # Top 10 %: the n // 10 most valuable customers (n = 300: 30), by hand.
    clv = value.table["clv"].sort_values(ascending=False)
    top = clv.head(len(clv) // 10).sum() / clv.sum()
    assert f"The top 10 % of customers ({len(clv) // 10}) hold {100 * top:.1f} % of the value." in text
    deciles = section.deciles
    assert deciles["customers"].tolist() == [30] * 10
    assert deciles["value"].sum() == pytest.approx(clv.sum(), rel=1e-6)


def test_churn_rule_against_p_alive_by_hand(shop):
    events, section, _, text = shop
    day = events["date"].dt.normalize()
    per = events.assign(day=day).groupby("customer_id")["day"].agg(["max", "nunique"])
    silent = (day.max() - per["max"]).dt.days
    churned = silent >= 60  # the rule: 60 days without a purchase at the last date of the data
    summary = rk.rfm_summary(events, time_unit="W", amount_col="amount")
    alive = rk.fit_bgnbd(summary).probability_alive(summary) >= 0.5
    both = churned & alive
    once = both & (per["nunique"] == 1)
    assert once.sum() > 0 and (both & ~once).sum() > 0
    assert f"(no purchase for 60 days) calls {churned.sum():,} customers churned." in text
    assert (f"gives {both.sum():,} of them at least a 50 % chance of still being customers: "
            f"{(both & ~once).sum():,} repeat buyers") in text
    assert f"and {once.sum():,} one-time buyers, whom this model never counts as gone" in text
    gone = int((~churned & ~alive).sum())
    assert f"it gives {gone:,} customer{'s' if gone != 1 else ''} the rule calls active less than" in text


def test_fit_check_sentence_is_the_frequency_table(shop):
    events, section, _, text = shop
    table = rk.frequency_histogram_table(section.purchase_model, section.summary,
                                         max_frequency=section.frequency_check.index.size - 1)
    gap = (table["actual"] - table["expected"]).abs().sum() / 2 / len(section.summary)
    assert f"The two differ by {100 * gap:.1f} % of the customers" in text


def test_section_is_left_out_without_an_amount_column():
    section = report.customer_value(_shop(50), _config(amount_col=None))
    assert section.value is None
    assert report.customer_value_text(section) == (
        "Customer value needs the amount of each purchase, and the report was run without an amount column "
        "(amount_col), so this section is left out.")
    section = report.customer_value(_shop(50), _config(amount_col=None, cli=True))
    assert "(--amount-col)" in report.customer_value_text(section)
    assert "customer value" not in report.intro_text(_config(amount_col=None))
    assert "(customer value)" in report.intro_text(_config())


def test_section_is_left_out_with_too_few_repeat_buyers():
    events = _shop()
    days = events.assign(day=events["date"].dt.normalize()).groupby("customer_id")["day"].nunique()
    repeaters = days.index[days > 1]
    # Keep 99 repeat buyers (one short of the minimum) and every one-time buyer.
    kept = events[~events["customer_id"].isin(repeaters[99:])]
    n = kept["customer_id"].nunique()
    section, notes = _section(kept, _config())
    assert section.purchase_model is None and not notes
    assert report.customer_value_text(section) == (
        f"Customer value is left out: only 99 of the {n:,} customers bought on more than one day. The models "
        "behind it learn how often customers buy and how much they spend from these repeat buyers, and need at "
        "least 100 of them for estimates that do not swing with a handful of customers.")
    # One more repeat buyer and the section is there.
    section, _ = _section(events[~events["customer_id"].isin(repeaters[100:])], _config())
    assert section.skipped is None and section.value is not None


def test_caveats_one_time_buyers_free_repeat_purchases_and_a_short_history():
    events = _shop(weeks=30.0)
    extra = pd.DataFrame({"customer_id": [f"z{i:04d}" for i in range(400)],
                          "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(400) % 150, unit="D"),
                          "amount": 5.0})
    free = pd.DataFrame({"customer_id": ["free"] * 2, "date": pd.to_datetime(["2024-02-01", "2024-03-01"]),
                         "amount": [7.0, 0.0]})
    last = events["date"].max()
    late = pd.DataFrame({"customer_id": ["late1", "late2"], "date": [last, last.normalize()], "amount": 3.0})
    log = pd.concat([events, extra, free, late], ignore_index=True)
    section, notes = _section(log, _config())
    days = log.assign(day=log["date"].dt.normalize()).groupby("customer_id")["day"].nunique()
    once = (days == 1).mean()
    assert once > 0.5
    history = (log["date"].max().normalize() - log.groupby("customer_id")["date"].min().dt.normalize()).max().days / 7
    assert notes == [
        f"{100 * once:.1f} % of the customers bought only once. The models know little about them beyond how "
        "long they have been silent, so their forecasts rest mostly on the models' assumptions rather than on "
        "their own history.",
        f"The forecast looks 52 weeks ahead, further than the data go back ({history:,.0f} weeks): read it as "
        "an extrapolation.",
        "2 customers first bought on the last day of the data: the purchase model learns nothing from them and "
        "values them as new customers.",
        "1 repeat buyer paid nothing for their repeat purchases and is left out of the spend model's fit; their "
        "value is still computed."]
    assert section.no_spend == 1 and section.spend_model.n_customers == int((days > 1).sum()) - 1
    assert np.isfinite(section.value.table.loc["free", "clv"])


def test_caveats_spend_that_follows_frequency_in_words_for_a_reader():
    events = _shop(spend_follows_rate=True)
    section, notes = _section(events, _config())
    r = section.spend_model.spend_correlation
    assert r >= 0.3
    assert notes == [f"Customers who buy more often spend more per purchase (correlation {r:.2f} between repeat "
                     "purchases and mean spend); the spend model assumes the two are unrelated, so expected "
                     "spend and values may be biased."]


def test_a_fit_that_did_not_converge_is_a_caveat_not_python_advice(monkeypatch):
    real = rk.clv.fit_bgnbd

    def stalls(summary, **kwargs):
        warnings.warn("The BG/NBD fit did not converge cleanly (ABNORMAL: ). Try a longer calibration period or "
                      "pass initial_params= closer to the expected values.", rk.ConvergenceWarning)
        return real(summary, **kwargs)

    monkeypatch.setattr(rk.clv, "fit_bgnbd", stalls)
    _, notes = _section(_shop(), _config())
    assert notes == ["The purchase model's fit did not converge cleanly: its estimates, and every number of this "
                     "section built on them, may be unreliable."]


def test_deciles_table_is_formatted_for_reading(shop):
    _, section, _, _ = shop
    html = section._repr_html_()
    assert "<th>1 (top 10 %)</th>" in html and "<th>10 (lowest)</th>" in html
    top = section.deciles.iloc[0]
    assert f"<td>{top['value']:,.0f}</td>" in html and f"<td>{100 * top['share_of_value']:.1f} %</td>" in html
    assert not re.search(r"\d\.\d{5}", html)  # no raw floats


# -- end to end: retention-kit report -----------------------------------------------------

def _run(*args):
    done = subprocess.run([sys.executable, "-m", "retention_kit", "report", *map(str, args), "-q"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_bundled_report_has_the_section_with_independent_numbers(tmp_path):
    _run("--out", tmp_path / "example.html")
    html = (tmp_path / "example.html").read_text()
    text = _text(html)
    assert "6. Customer value" in text and "What are the customers worth over the next year" in text
    events = rk.load_coffee_shop().transactions
    summary = rk.rfm_summary(events, time_unit="W", amount_col="amount")
    bg = rk.fit_bgnbd(summary)
    mean = summary["monetary_value"].mean()
    # Another start than the report's: both must reach the same optimum.
    gg = rk.fit_gamma_gamma(summary, initial_params=[1.0, 10.0, 9 * mean])
    total = rk.customer_lifetime_value(bg, gg, summary, horizon=52, discount_rate=WEEKLY_10_PCT).summary.iloc[0]
    assert (f"customer value, next 52 weeks: {total['total_clv']:,.0f} (95% interval "
            f"{total['total_lower']:,.0f} to {total['total_upper']:,.0f})") in text
    assert f"Expected value over the next 52 weeks: {total['total_clv']:,.0f}" in text
    repeat = int((events.assign(d=events["date"].dt.normalize()).groupby("customer_id")["d"].nunique() > 1).sum())
    assert f"Of the 3,000 customers, {repeat:,} (" in text
    assert "Value by decile of customers" in text
    assert len(re.findall(r"<img[^>]+src=\"data:image/png;base64,", html)) == 5


def test_report_without_an_amount_column_has_no_customer_value(tmp_path):
    events = rk.load_coffee_shop().transactions
    events = events[events["customer_id"] <= "C00300"][["customer_id", "date"]]
    events.to_csv(tmp_path / "visits.csv", index=False)
    _run(tmp_path / "visits.csv", "--out", tmp_path / "visits.html")
    text = _text((tmp_path / "visits.html").read_text())
    assert "Customer retention rate" in text  # the report itself is there
    assert "customer value" not in text.lower() and "P(alive)" not in text
