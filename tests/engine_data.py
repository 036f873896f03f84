"""Shared data for the engine tests: the same logs as pandas frames and as files."""

from __future__ import annotations

import numpy as np
import pandas as pd

import retention_kit as rk


def synthetic_log(n_customers: int = 1500, seed: int = 7) -> pd.DataFrame:
    """A seeded log over 2023-2024 with times of day, amounts (some 0), a per-customer
    channel and string ids: arrivals spread over the two years, activity decaying."""
    rng = np.random.default_rng(seed)
    arrival = rng.uniform(0, 700 * 86400, n_customers)
    n_events = rng.geometric(0.15, n_customers)
    who = np.repeat(np.arange(n_customers), n_events)
    gap = rng.exponential(90 * 86400, len(who)) * (rng.uniform(size=len(who)) < 0.9)
    first = np.r_[0, np.cumsum(n_events)[:-1]]
    gap[first] = 0.0
    seconds = np.minimum(arrival[who] + gap, 730 * 86400 - 1).astype(np.int64)
    amount = np.round(rng.gamma(2.0, 8.0, len(who)), 2)
    amount[rng.uniform(size=len(who)) < 0.03] = 0.0
    channel = np.array(["web", "app", "store"])[rng.integers(0, 3, n_customers)]
    return pd.DataFrame({
        "user": np.char.add("u", np.char.zfill((np.arange(n_customers) * 7 + 3).astype(str), 6))[who],
        "ts": np.datetime64("2023-01-01T00:00:00", "ns") + seconds.astype("timedelta64[s]"),
        "spend": amount, "channel": channel[who]})


def write(frame: pd.DataFrame, path, fmt: str) -> str:
    """Write with DuckDB (no pyarrow needed), timestamps in microseconds (Spark reads them)."""
    import duckdb

    con = duckdb.connect()
    con.register("frame", frame)
    cols = ", ".join(f'CAST("{c}" AS TIMESTAMP) AS "{c}"' if pd.api.types.is_datetime64_any_dtype(frame[c])
                     else f'"{c}"' for c in frame.columns)
    options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"
    con.execute(f"COPY (SELECT {cols} FROM frame) TO '{path}' ({options})")
    return str(path)


def datasets():
    """name -> (pandas frame, column keywords, amount column)."""
    shop = rk.load_coffee_shop()
    return {
        "cdnow": (rk.load_cdnow(), {}, "amount"),
        "synthetic": (synthetic_log(), {"customer_col": "user", "time_col": "ts"}, "spend"),
        "shop": (shop.transactions, {}, "amount"),
    }
