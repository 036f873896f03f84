"""Scale: the monthly cohort table and the survival table on pandas, DuckDB (Parquet) and Spark.

The seeded log of bench_cohorts.py (10 events per customer, integer ids, timestamps to the
second) is written once per size to a Parquet file in benchmarks/out/. Each contender runs
once, in its own subprocess, and reports the wall time of the computation, from its input to
its own result (loading the pandas frame for the in-memory contenders, imports and Spark
start-up are not timed; reading the Parquet file is, for the contenders that read it;
turning results into the common form they are compared in is not) and the peak resident
memory of the process (ru_maxrss; for Spark the Python driver plus the JVM's high-water
mark, VmHWM).

Contenders, for each of the two tables:

* retention_kit on pandas (the frame in memory), on the Parquet file through DuckDB, and on
  Spark local mode reading the same file (2 cores, 2 shuffle partitions, a warm session:
  the same call ran once before the timed one, whose time is printed on stderr);
* the pandas blog recipe (groupby-transform, nunique, pivot; groupby min/max for lifetimes)
  on the frame in memory, and the same starting from the file (``pd.read_parquet`` timed);
* hand-written DuckDB SQL over the Parquet file.

The survival table is ``(duration in days, churned, count)`` with churn_after = 30 days and
censored lifetimes ending at the as-of date (the recipe's convention; ``censor_at="as_of"``);
customers who started within 30 days of the as-of date cannot lapse yet and are left out by
every contender (the kit's rule since 0.2.0).
Every contender must give the same cells / the same table (durations compared to 1e-6 day).

    .venv/bin/python benchmarks/bench_scale.py                          # 1M, 10M, 50M rows
    .venv/bin/python benchmarks/bench_scale.py --sizes 1000000 --no-spark
    .venv/bin/python benchmarks/bench_scale.py --quick                  # 200k rows, smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))
from bench_cohorts import generate, pandas_recipe_cells  # noqa: E402  (the same log and recipe)

TABLES = ("cohort", "survival")
CONTENDERS = ("retention_kit, pandas", "retention_kit, DuckDB (Parquet)", "retention_kit, Spark local",
              "pandas recipe", "pandas recipe (Parquet)", "DuckDB SQL (Parquet)")
CHURN_DAYS = 30


def write_parquet(n_rows: int) -> Path:
    """The log as Parquet, generated in a subprocess: a child's ru_maxrss starts from its
    parent's resident size at fork, so the parent must never hold the big arrays."""
    path = OUT / f"scale_log_{n_rows}.parquet"
    if not path.exists():
        subprocess.run([sys.executable, __file__, "--write", str(n_rows)], check=True)
    return path


def _write_parquet(n_rows: int) -> None:
    path = OUT / f"scale_log_{n_rows}.parquet"
    if not path.exists():
        import duckdb

        log = pd.DataFrame(generate(n_rows))
        con = duckdb.connect()
        con.register("log", log)
        tmp = path.with_suffix(".tmp")
        con.execute(f"COPY (SELECT customer_id, CAST(date AS TIMESTAMP) AS date FROM log) TO '{tmp}' "
                    "(FORMAT parquet)")
        tmp.rename(path)


def load_frame(path: Path) -> pd.DataFrame:
    import duckdb

    frame = duckdb.connect().execute(f"SELECT * FROM read_parquet('{path}')").df()
    frame["date"] = frame["date"].astype("datetime64[ns]")
    return frame


# --- normal forms the contenders are compared in ------------------------------------------


def cohort_cells(cohort_code, period, n) -> pd.DataFrame:
    out = pd.DataFrame({"cohort": np.asarray(cohort_code, np.int64), "period": np.asarray(period, np.int64),
                        "n": np.asarray(n, np.int64)})
    return out[out["n"] > 0].sort_values(["cohort", "period"]).reset_index(drop=True)


def survival_rows(duration, churned, count) -> pd.DataFrame:
    out = pd.DataFrame({"duration": np.round(np.asarray(duration, float), 6),
                        "churned": np.asarray(churned, bool), "count": np.asarray(count, np.int64)})
    out = out.groupby(["duration", "churned"], sort=True)["count"].sum().reset_index()
    return out


def from_cohort_table(table) -> pd.DataFrame:
    cells = table.counts.stack()
    cohorts = cells.index.get_level_values(0)
    months = (np.asarray(cohorts.year) - 1970) * 12 + np.asarray(cohorts.month) - 1
    return cohort_cells(months, cells.index.get_level_values(1), cells.to_numpy())


def from_survival_table(table) -> pd.DataFrame:
    return survival_rows(table["duration"], table["churned"], table["count"])


# --- contenders ---------------------------------------------------------------------------


# Each contender returns its own result (timed); normal_form() turns it into the form the
# contenders are compared in (not timed: the conversion is the benchmark's, not the user's).


def rk_run(events, table):
    import retention_kit as rk

    if table == "cohort":
        return rk.cohort_table(events, "M", first_cohort="keep")
    return rk.survival_table(events, churn_after=CHURN_DAYS, censor_at="as_of")


def recipe_run(df, table):
    if table == "cohort":
        return pandas_recipe_cells(df)
    # Lifetimes the blog way: first/last purchase per customer, churned if silent 30+ days;
    # customers who started in the last 30 days cannot lapse yet and are left out (the kit's
    # "not yet classifiable" rule, so that every contender computes the same table).
    life = df.groupby("customer_id")["date"].agg(["min", "max"])
    as_of = df["date"].max()
    life = life[life["min"] <= as_of - pd.Timedelta(days=CHURN_DAYS)]
    churned = (as_of - life["max"]) >= pd.Timedelta(days=CHURN_DAYS)
    end = life["max"].where(churned, as_of)
    life = pd.DataFrame({"duration": (end - life["min"]) / pd.Timedelta(days=1), "churned": churned})
    return life.groupby(["duration", "churned"]).size().rename("count").reset_index()


def duckdb_sql_run(path, table):
    import duckdb

    con = duckdb.connect()
    if table == "cohort":
        return con.execute(f"""
            WITH acts AS (SELECT DISTINCT customer_id, date_trunc('month', date) AS m
                          FROM read_parquet('{path}')),
                 firsts AS (SELECT customer_id, min(m) AS cohort FROM acts GROUP BY 1)
            SELECT (year(cohort) - 1970) * 12 + month(cohort) - 1 AS cohort,
                   date_diff('month', cohort, m) AS period, count(*) AS n
            FROM acts JOIN firsts USING (customer_id) GROUP BY 1, 2""").df()
    return con.execute(f"""
        WITH life AS (SELECT customer_id, min(date) AS first, max(date) AS last
                      FROM read_parquet('{path}') GROUP BY 1),
             cutoff AS (SELECT max(last) AS t FROM life),
             flags AS (SELECT first, last, (SELECT t FROM cutoff) - last >= INTERVAL {CHURN_DAYS} DAY AS churned
                       FROM life WHERE first <= (SELECT t FROM cutoff) - INTERVAL {CHURN_DAYS} DAY)
        SELECT epoch_us(CASE WHEN churned THEN last ELSE (SELECT t FROM cutoff) END - first) / 86400e6
                   AS duration, churned, count(*) AS n
        FROM flags GROUP BY 1, 2""").df()


def normal_form(name: str, table: str, out) -> pd.DataFrame:
    if name.startswith("retention_kit"):
        return from_cohort_table(out) if table == "cohort" else from_survival_table(out)
    if name.startswith("pandas recipe") and table == "cohort":
        return cohort_cells([p.ordinal for p in out.index.get_level_values(0)], out.index.get_level_values(1),
                            out.to_numpy())
    if name.startswith("pandas recipe"):
        return survival_rows(out["duration"], out["churned"], out["count"])
    if table == "cohort":
        return cohort_cells(out["cohort"], out["period"], out["n"])
    return survival_rows(out["duration"], out["churned"], out["n"])


def jvm_peak_mib() -> float:
    """High-water RSS of the Spark JVM (a child of this process)."""
    total = 0.0
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for child in (task / "children").read_text().split():
            status = Path(f"/proc/{child}/status")
            if status.exists():
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) / 1024
    return total


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(name: str, table: str, path: Path, result: Path) -> None:
    import retention_kit  # noqa: F401  (imports are not timed)

    events = spark = None
    if name in ("retention_kit, pandas", "pandas recipe"):
        events = load_frame(path)
    elif name == "retention_kit, Spark local":
        from pyspark.sql import SparkSession

        spark = (SparkSession.builder.master("local[2]").config("spark.sql.shuffle.partitions", "2")
                 .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC")
                 .config("spark.driver.memory", "3g").config("spark.ui.showConsoleProgress", "false")
                 .getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        # A warm session, as from a notebook's second cell: the first query of a fresh JVM also
        # loads classes and generates code (reported as first_seconds, not timed).
        first = time.perf_counter()
        rk_run(spark.read.parquet(str(path)), table)
        first_seconds = time.perf_counter() - first
    else:
        import duckdb  # noqa: F401
    started = time.perf_counter()
    if name == "retention_kit, pandas":
        out = rk_run(events, table)
    elif name == "retention_kit, DuckDB (Parquet)":
        out = rk_run(str(path), table)
    elif name == "retention_kit, Spark local":
        out = rk_run(spark.read.parquet(str(path)), table)
    elif name == "pandas recipe":
        out = recipe_run(events, table)
    elif name == "pandas recipe (Parquet)":
        out = recipe_run(pd.read_parquet(path), table)
    else:
        out = duckdb_sql_run(path, table)
    seconds = time.perf_counter() - started
    peak = peak_mib() + (jvm_peak_mib() if spark is not None else 0.0)
    normal_form(name, table, out).to_pickle(result)
    extra = {"first_seconds": first_seconds} if spark is not None else {}
    print(json.dumps({"seconds": seconds, "peak_mib": peak, **extra}))
    if spark is not None:
        spark.stop()


def bench(n_rows: int, contenders) -> list[dict]:
    OUT.mkdir(exist_ok=True)
    path = write_parquet(n_rows)
    rows = []
    for table in TABLES:
        reference = None
        for name in contenders:
            result = OUT / f"scale_{table}_{n_rows}_{name.replace(' ', '_').replace(',', '')}.pkl"
            proc = subprocess.run([sys.executable, __file__, "--child", name, table, str(path), str(result)],
                                  capture_output=True, text=True)
            if proc.returncode:
                raise SystemExit(f"{name} ({table}) failed at {n_rows:,} rows:\n{proc.stderr[-3000:]}")
            info = json.loads(proc.stdout.strip().splitlines()[-1])
            cells = pd.read_pickle(result)
            reference = cells if reference is None else reference
            info["agrees"] = cells.equals(reference)
            rows.append({"rows": n_rows, "table": table, "contender": name, **info})
            first = f"  (first query of the session: {info['first_seconds']:.2f} s)" if "first_seconds" in info else ""
            print(f"  {n_rows:>11,} rows  {table:<8} {name:<32} {info['seconds']:8.2f} s  "
                  f"peak {info['peak_mib']:7.0f} MiB  agrees={info['agrees']}{first}", file=sys.stderr, flush=True)
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| rows | table | contender | wall time (s) | × DuckDB SQL | × pandas recipe | peak RSS (MiB) | "
             "same result |", "|---:|---|---|---:|---:|---:|---:|:---:|"]
    for r in rows:
        same = [x for x in rows if x["rows"] == r["rows"] and x["table"] == r["table"]]
        sql = next((x["seconds"] for x in same if x["contender"].startswith("DuckDB SQL")), np.nan)
        recipe = next((x["seconds"] for x in same if x["contender"] == "pandas recipe"), np.nan)
        lines.append(f"| {r['rows']:,} | {r['table']} | {r['contender']} | {r['seconds']:.2f} | "
                     f"{r['seconds'] / sql:.2f} | {r['seconds'] / recipe:.2f} | {r['peak_mib']:,.0f} | "
                     f"{'yes' if r['agrees'] else 'NO'} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000,50000000",
                        help="comma-separated row counts (default 1000000,10000000,50000000)")
    parser.add_argument("--quick", action="store_true", help="one small size (200,000 rows)")
    parser.add_argument("--no-spark", action="store_true", help="leave Spark out")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--write", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write:
        _write_parquet(args.write)
        return 0
    if args.child:
        child(args.child[0], args.child[1], Path(args.child[2]), Path(args.child[3]))
        return 0
    sizes = [200_000] if args.quick else [int(float(s)) for s in args.sizes.split(",") if s]
    contenders = [c for c in CONTENDERS if not (args.no_spark and "Spark" in c)]
    try:
        import pyspark  # noqa: F401
    except ImportError:
        print("pyspark is not installed: Spark is left out.", file=sys.stderr)
        contenders = [c for c in contenders if "Spark" not in c]
    print(f"Scale benchmark, one run per contender ({', '.join(f'{s:,}' for s in sizes)} rows)", file=sys.stderr)
    rows = [r for n in sizes for r in bench(n, contenders)]
    print(markdown(rows))
    return 0 if all(r["agrees"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
