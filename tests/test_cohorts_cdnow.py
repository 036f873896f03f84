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
