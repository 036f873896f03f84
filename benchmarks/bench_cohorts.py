"""Monthly cohort table: retention_kit against the pandas blog recipe, DuckDB SQL and Polars.

A seeded synthetic event log (10 events per customer on average, customers arriving over two
years, integer customer ids) is written once to benchmarks/out/; each contender then runs
once in its own subprocess, which loads the log into a pandas frame, records its peak
resident memory (ru_maxrss), computes the monthly cohort counts (cohort x months since the
acquisition month, distinct active customers) from that frame and reports wall time and the
peak memory above the loaded frame. All contenders must give identical cells.

    .venv/bin/python benchmarks/bench_cohorts.py                  # 1M and 10M rows
    .venv/bin/python benchmarks/bench_cohorts.py --sizes 2000000
    .venv/bin/python benchmarks/bench_cohorts.py --quick          # 200k rows, a smoke test
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "out"
CONTENDERS = ("retention_kit", "pandas recipe", "DuckDB SQL", "Polars")
START = np.datetime64("2023-01-01T00:00:00", "s")
DAYS = 730


def generate(n_rows: int, seed: int = 20240601) -> dict[str, np.ndarray]:
    """About n_rows / 10 customers arriving uniformly over two years; each event falls after
    its customer's arrival, skewed towards it (activity decays)."""
    rng = np.random.default_rng(seed)
    n_customers = max(n_rows // 10, 1)
    arrival = rng.uniform(0, DAYS * 86400, n_customers)
    ids = rng.permutation(n_customers).astype(np.int64) + 10_000_000  # ids unrelated to order
    who = rng.integers(0, n_customers, n_rows)
    first = np.unique(who, return_index=True)[1]
    gap = rng.uniform(0, 1, n_rows) ** 2 * (DAYS * 86400 - arrival[who])
    gap[first] = 0.0  # every customer's arrival is an event
    seconds = (arrival[who] + gap).astype(np.int64)
    return {"customer_id": ids[who], "date": START + seconds.astype("timedelta64[s]")}


def load(path: Path) -> pd.DataFrame:
    data = np.load(path)
    return pd.DataFrame({"customer_id": data["customer_id"],
                         "date": data["date"].astype("datetime64[ns]")})


def long_form(cohort, period, n) -> pd.DataFrame:
    out = pd.DataFrame({"cohort": pd.Series(cohort).astype(str).str[:7].to_numpy(),
                        "period": np.asarray(period, np.int64), "n": np.asarray(n, np.int64)})
    return out[out["n"] > 0].sort_values(["cohort", "period"]).reset_index(drop=True)


# --- contenders: each takes the pandas frame and returns long (cohort, period, n) -------


def run_retention_kit(df):
    import retention_kit as rk

    table = rk.cohort_table(df, "M", first_cohort="keep")
    cells = table.counts.stack()
    return long_form(cells.index.get_level_values(0), cells.index.get_level_values(1), cells)


def run_validation_only(df):
    """Not a contender: retention_kit's validation at the door alone (prepare_events), to
    show how much of retention_kit's time it takes."""
    from retention_kit.validation import prepare_events

    prepare_events(df)
    return None


def pandas_recipe_cells(df) -> pd.Series:
    """The usual blog recipe: transform-min, to_period, nunique, pivot. Returns the pivot's
    cells stacked, indexed by (cohort month, months since)."""
    df = df.copy()
    df["order_month"] = df["date"].dt.to_period("M")
    df["cohort"] = df.groupby("customer_id")["date"].transform("min").dt.to_period("M")
    agg = df.groupby(["cohort", "order_month"]).agg(n=("customer_id", "nunique")).reset_index()
    agg["period"] = (agg["order_month"] - agg["cohort"]).apply(lambda x: x.n)
    pivot = agg.pivot_table(index="cohort", columns="period", values="n")
    return pivot.stack()


def run_pandas_recipe(df):
    cells = pandas_recipe_cells(df)
    return long_form(cells.index.get_level_values(0), cells.index.get_level_values(1), cells)


def run_duckdb(df):
    import duckdb

    con = duckdb.connect()
    res = con.execute("""
        WITH acts AS (SELECT DISTINCT customer_id, date_trunc('month', date) AS m FROM df),
             firsts AS (SELECT customer_id, min(m) AS cohort FROM acts GROUP BY 1)
        SELECT cohort, date_diff('month', cohort, m) AS period, count(*) AS n
        FROM acts JOIN firsts USING (customer_id) GROUP BY 1, 2
    """).df()
    return long_form(res["cohort"].dt.strftime("%Y-%m"), res["period"], res["n"])


def run_polars(df):
    import polars as pl

    months = lambda c: pl.col(c).dt.year() * 12 + pl.col(c).dt.month()  # noqa: E731
    res = (pl.from_pandas(df).lazy()
           .select("customer_id", pl.col("date").dt.truncate("1mo").alias("m"))
           .unique()
           .with_columns(pl.col("m").min().over("customer_id").alias("cohort"))
           .group_by("cohort", "m").len()
           .with_columns((months("m") - months("cohort")).alias("period"))
           .collect())
    return long_form(res["cohort"].dt.strftime("%Y-%m").to_numpy(), res["period"].to_numpy(),
                     res["len"].to_numpy())


RUNNERS = dict(zip(CONTENDERS, (run_retention_kit, run_pandas_recipe, run_duckdb, run_polars)))
VALIDATION = "(its validation alone)"
RUNNERS[VALIDATION] = run_validation_only


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(name: str, data: Path, result: Path) -> None:
    """Runs in a subprocess: load, measure one contender, save its cells."""
    df = load(data)
    if name == "DuckDB SQL":
        import duckdb  # noqa: F401  (imports are not timed)
    if name == "Polars":
        import polars  # noqa: F401
    if name in ("retention_kit", VALIDATION):
        import retention_kit  # noqa: F401
    base = peak_mib()
    started = time.perf_counter()
    cells = RUNNERS[name](df)
    seconds = time.perf_counter() - started
    extra = peak_mib() - base
    info = {"seconds": seconds, "peak_mib": peak_mib(), "extra_mib": extra, "frame_mib": base}
    if cells is not None:
        cells.to_pickle(result)
    print(json.dumps(info))


def bench(n_rows: int) -> list[dict]:
    OUT.mkdir(exist_ok=True)
    data = OUT / f"cohort_log_{n_rows}.npz"
    if not data.exists():
        np.savez(data, **generate(n_rows))
    rows, reference = [], None
    for name in (CONTENDERS[0], VALIDATION, *CONTENDERS[1:]):
        result = OUT / f"cells_{n_rows}_{name.replace(' ', '_').strip('()')}.pkl"
        proc = subprocess.run([sys.executable, __file__, "--child", name, str(data), str(result)],
                              capture_output=True, text=True)
        if proc.returncode:
            raise SystemExit(f"{name} failed at {n_rows:,} rows:\n{proc.stderr[-2000:]}")
        info = json.loads(proc.stdout.strip().splitlines()[-1])
        if name == VALIDATION:
            info["agrees"] = None
        else:
            cells = pd.read_pickle(result)
            if reference is None:
                reference = cells
            info["agrees"] = cells.equals(reference)
        rows.append({"rows": n_rows, "contender": name, **info})
        print(f"  {n_rows:>11,} rows  {name:<14} {info['seconds']:7.2f} s  "
              f"peak {info['peak_mib']:7.0f} MiB  agrees={info['agrees']}", file=sys.stderr, flush=True)
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| rows | customers | contender | wall time (s) | × retention_kit | peak RSS (MiB) | "
             "peak above input frame (MiB) | same cells |",
             "|---:|---:|---|---:|---:|---:|---:|:---:|"]
    for r in rows:
        ours = next(x for x in rows if x["rows"] == r["rows"] and x["contender"] == "retention_kit")
        lines.append(f"| {r['rows']:,} | {r['rows'] // 10:,} | {r['contender']} | {r['seconds']:.2f} | "
                     f"{r['seconds'] / ours['seconds']:.1f} | {r['peak_mib']:,.0f} | "
                     f"{r['extra_mib']:,.0f} | {'–' if r['agrees'] is None else 'yes' if r['agrees'] else 'NO'} |")
    return "\n".join(lines) + (f"\n\n{VALIDATION}: prepare_events on the same frame in its own "
                               "process; it is part of retention_kit's time.")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000",
                        help="comma-separated row counts (default 1000000,10000000)")
    parser.add_argument("--quick", action="store_true", help="one small size (200,000 rows)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return 0
    sizes = [200_000] if args.quick else [int(float(s)) for s in args.sizes.split(",") if s]
    print(f"Monthly cohort table, one run per contender ({', '.join(f'{s:,}' for s in sizes)} rows)",
          file=sys.stderr)
    rows = [r for n in sizes for r in bench(n)]
    print(markdown(rows))
    return 0 if all(r["agrees"] is not False for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
