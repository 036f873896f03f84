"""Cross-check cohort_table on the real CDNOW log against SQL written independently in DuckDB
(date_trunc / date_diff instead of the kit's integer period codes)."""

import numpy as np
import pandas as pd
import pytest

import retention_kit as rk

duckdb = pytest.importorskip("duckdb")


@pytest.fixture(scope="module")
def cdnow():
    return rk.load_cdnow()


def sql_cells(cdnow, unit: str) -> pd.DataFrame:
    """Distinct active customers per (cohort start, periods since), revenue, and whether the
    period had ended by the end of the as-of day (1998-06-30, data are daily)."""
    con = duckdb.connect()
    con.register("events", cdnow)
    return con.execute(f"""
        WITH acts AS (
            SELECT customer_id, date_trunc('{unit}', date) AS p, sum(amount) AS revenue
            FROM events GROUP BY 1, 2),
        firsts AS (SELECT customer_id, min(p) AS cohort FROM acts GROUP BY 1),
        until AS (SELECT max(date) + INTERVAL 1 DAY AS t FROM events)
        SELECT cohort, date_diff('{unit}', cohort, p) AS k,
               count(*) AS active, sum(revenue) AS revenue,
               max(p + INTERVAL 1 {unit}) <= (SELECT t FROM until) AS complete
        FROM acts JOIN firsts USING (customer_id)
        GROUP BY 1, 2 ORDER BY 1, 2
    """).df()


@pytest.mark.parametrize("freq, unit", [("M", "month"), ("W", "week")])
def test_cdnow_matches_duckdb(cdnow, freq, unit):
    ours = rk.cohort_table(cdnow, freq, first_cohort="keep")
    ref = sql_cells(cdnow, unit)
    ref["cohort"] = pd.PeriodIndex(pd.DatetimeIndex(ref["cohort"]), freq=ours.freq.pandas_freq)
    ref = ref.set_index(["cohort", "k"])
    sizes = ref.xs(0, level="k")["active"]
    # Sizes: SQL period-0 counts; all 23,570 customers (CDNOW: everyone buys in Jan-Mar 1997).
    assert ours.sizes.sum() == 23570
    np.testing.assert_array_equal(ours.sizes.to_numpy(), sizes.reindex(ours.sizes.index).to_numpy())
    # Every non-empty SQL cell equals ours; every other observed cell of ours is 0.
    long = ours.counts.stack(future_stack=True)
    got = long.reindex(ref.index)
    np.testing.assert_array_equal(got.to_numpy(), ref["active"].to_numpy())
    rest = long.drop(ref.index)
    assert (rest.dropna() == 0).all()
    # Partial cells: SQL says incomplete exactly where ours says partial (for cells with activity).
    np.testing.assert_array_equal(ours.partial.stack().reindex(ref.index).to_numpy(),
                                  ~ref["complete"].to_numpy())
    if freq == "M":
        # June 1998 is complete (the as-of day counts as observed); nothing is partial.
        assert not ours.partial.to_numpy().any()
        assert ours.counts.shape == (3, 18)
    else:
        # The week of Mon 29 June 1998 ends after the as-of day: its column of cells is partial.
        assert ours.partial.to_numpy().sum() == len(ours.sizes)


def test_cdnow_revenue_matches_duckdb(cdnow):
    ours = rk.cohort_table(cdnow, "M", metric="revenue", amount_col="amount", first_cohort="keep")
    ref = sql_cells(cdnow, "month")
    ref["cohort"] = pd.PeriodIndex(pd.DatetimeIndex(ref["cohort"]), freq="M")
    ref = ref.set_index(["cohort", "k"])
    got = ours.counts.stack(future_stack=True).reindex(ref.index)
    np.testing.assert_allclose(got.to_numpy(), ref["revenue"].to_numpy(), rtol=1e-9)
    base = ref.xs(0, level="k")["revenue"]
    np.testing.assert_allclose(ours.rates[1].to_numpy(),
                               (ref.xs(1, level="k")["revenue"] / base).to_numpy(), rtol=1e-9)


def test_cdnow_explain_quotes_the_numbers(cdnow):
    text = rk.cohort_table(cdnow, "M", first_cohort="keep").explain()
    # 1,157 of the 7,846 January customers bought in February: 14.7 %.
    assert "Of the 7,846 customers acquired in January 1997, 14.7 % were active in period 1" in text


def test_cdnow_bounded_on_or_after_matches_duckdb_and_holds_still(cdnow):
    # look_ahead=3: cell k counts customers active in any of months k..k+3 after acquisition.
    con = duckdb.connect()
    con.register("events", cdnow)
    ref = con.execute("""
        WITH acts AS (SELECT DISTINCT customer_id, date_trunc('month', date) AS p FROM events),
             firsts AS (SELECT customer_id, min(p) AS cohort FROM acts GROUP BY 1),
             offs AS (SELECT customer_id, cohort, date_diff('month', cohort, p) AS o
                      FROM acts JOIN firsts USING (customer_id)),
             ks AS (SELECT range AS k FROM range(0, 18))
        SELECT cohort, k, count(DISTINCT customer_id) AS active
        FROM offs JOIN ks ON o BETWEEN k AND k + 3 GROUP BY 1, 2 ORDER BY 1, 2
    """).df()
    ref["cohort"] = pd.PeriodIndex(pd.DatetimeIndex(ref["cohort"]), freq="M")
    ref = ref.set_index(["cohort", "k"])["active"]
    ours = rk.cohort_table(cdnow, "M", first_cohort="keep", mode="on or after", look_ahead=3)
    got = ours.counts.stack(future_stack=True).reindex(ref.index)
    np.testing.assert_array_equal(got.to_numpy(), ref.to_numpy())
    # January 1997 cohort, period 3 (April): 1,911 of 7,846 = 24.4 % active April-July 1997.
    assert ours.counts.loc["1997-01", 3] == 1_911 == ref.loc[(pd.Period("1997-01", "M"), 3)]
    # The same cell at three as-of dates. Open-ended ("on or after" up to the as-of date),
    # complete every time: 2,262, 2,711 and 3,140 customers (28.8 %, 34.6 %, 40.0 %).
    # Bounded: 1,911 every time.
    for as_of in ("1997-09-30", "1997-12-31", "1998-06-30"):
        bounded = rk.cohort_table(cdnow, "M", first_cohort="keep", mode="on or after", look_ahead=3,
                                  as_of=as_of)
        assert bounded.counts.loc["1997-01", 3] == 1_911 and not bounded.partial.loc["1997-01", 3]
    open_end = [rk.cohort_table(cdnow, "M", first_cohort="keep", mode="on or after", as_of=a).counts.loc["1997-01", 3]
                for a in ("1997-09-30", "1997-12-31", "1998-06-30")]
    assert open_end == [2_262, 2_711, 3_140]
    # Cells whose look-ahead has not ended are partial: as of June 1998 the last complete
    # period for the March 1997 cohort is 15 - 3 = 12 (months 12-15: March-June 1998).
    assert not ours.partial.loc["1997-03", 12] and ours.partial.loc["1997-03", 13]
