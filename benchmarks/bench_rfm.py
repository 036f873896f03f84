"""RFM summary: rk.rfm_summary (Parquet through DuckDB, pandas) against hand-written DuckDB SQL,
lifetimes' summary_data_from_transaction_data and a plain pandas groupby recipe.

The seeded log of bench_cohorts.py (10 events per customer, integer ids, timestamps to the
second, several events on one day for some customers) gets a seeded amount column (cents,
log-normal) and is written once per size to benchmarks/out/rfm_log_<rows>.parquet
(customer_id BIGINT, date TIMESTAMP in microseconds, amount DOUBLE), in its own process.

Every contender computes, per customer, with the calibration end at the last date of the log
and weeks as the unit: frequency (distinct purchase days after the first), recency (first to
last purchase day), T (first purchase day to the calibration end day) and monetary_value
(mean spend of the repeat purchase days, a day's purchases summed; NaN without repeats, where
lifetimes writes 0). Contenders, each run --repeat times (default 3; round-robin, every
contender once, then again), every run in its own subprocess:

* retention_kit on the Parquet path (DuckDB engine, validation included);
* retention_kit on the pandas frame already in memory (validation included);
* hand-written DuckDB SQL over the Parquet file (group by customer and day, then by customer;
  ``arg_min`` for the first day's spend), fetched as a pandas frame;
* lifetimes 0.11.3 ``summary_data_from_transaction_data(freq="D", freq_multiplier=7)`` on the
  frame in memory, under a time limit (--lifetimes-timeout, default 300 s);
* the plain pandas recipe (groupby customer and day, then ``agg`` per customer) on the frame.

A contender is not run again after a run over 60 s (or over its limit).

Timed: from the contender's input to its own result (loading the in-memory frame and imports
are not timed; reading the Parquet file is, for the contenders that read it; turning results
into the common form they are compared in is not). Reported per contender: the best and
median wall time over the runs, the CPU time (user + system, all threads) of the best run,
and the largest peak resident memory of the process (ru_maxrss). The common forms (index =
customer id, float columns) are compared in a separate process: same customers, same
frequency, recency and T to 1e-9 week, monetary_value to 1e-9 relative; the script exits
non-zero if any contender disagrees. At the smallest size, rk on Parquet and on pandas are
also compared with a calibration end and a holdout period (frequency_holdout), not timed.

    .venv/bin/python benchmarks/bench_rfm.py                        # 1M and 10M rows, 3 runs each
    .venv/bin/python benchmarks/bench_rfm.py --sizes 1000000 --repeat 5
    .venv/bin/python benchmarks/bench_rfm.py --quick                # 200k rows, one run, smoke test
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))
from bench_cohorts import generate  # noqa: E402  (the same log as the cohort and scale benchmarks)
from bench_scale import load_frame  # noqa: E402  (the Parquet log as the frame the pandas contenders get)

RK_PARQUET, RK_PANDAS, SQL, LIFETIMES, RECIPE = (
    "retention_kit, DuckDB (Parquet)", "retention_kit, pandas", "DuckDB SQL (Parquet)",
    "lifetimes summary_data_from_transaction_data", "pandas recipe")
CONTENDERS = (RK_PARQUET, RK_PANDAS, SQL, LIFETIMES, RECIPE)
COLUMNS = ["frequency", "recency", "T", "monetary_value"]
AMOUNT_SEED = 20240602
SLOW = 60.0  # seconds: a contender whose first run takes longer is not repeated


# --- the log ------------------------------------------------------------------------------


def log_path(n_rows: int) -> Path:
    """The log as Parquet, generated in a subprocess: a child's ru_maxrss starts from its
    parent's resident size, so the parent must never hold the big arrays."""
    path = OUT / f"rfm_log_{n_rows}.parquet"
    if not path.exists():
        OUT.mkdir(exist_ok=True)
        subprocess.run([sys.executable, __file__, "--write", str(n_rows)], check=True)
    return path


def _write(n_rows: int) -> None:
    import duckdb

    path = OUT / f"rfm_log_{n_rows}.parquet"
    log = pd.DataFrame(generate(n_rows))
    rng = np.random.default_rng(AMOUNT_SEED)
    log["amount"] = np.round(np.exp(rng.normal(3.0, 0.8, n_rows)), 2) + 0.5  # 0.50 and up, in cents
    con = duckdb.connect()
    con.register("log", log)
    tmp = path.with_suffix(".tmp")
    con.execute(f"COPY (SELECT customer_id, CAST(date AS TIMESTAMP) AS date, amount FROM log) TO '{tmp}' "
                "(FORMAT parquet)")
    tmp.rename(path)


# --- contenders: each returns its own result (timed) ---------------------------------------


def rk_run(events):
    import retention_kit as rk

    return rk.rfm_summary(events, time_unit="W", amount_col="amount")


def sql_run(path: Path) -> pd.DataFrame:
    """What an analyst would write: one row per (customer, day), then one per customer."""
    import duckdb

    return duckdb.connect().execute(f"""
        WITH days AS (
            SELECT customer_id, CAST(date AS DATE) AS day, SUM(amount) AS spend
            FROM read_parquet('{path}') GROUP BY customer_id, day),
        per AS (
            SELECT customer_id, MIN(day) AS first_day, MAX(day) AS last_day, COUNT(*) AS n_days,
                   arg_min(spend, day) AS first_spend, SUM(spend) AS total
            FROM days GROUP BY customer_id),
        cal AS (SELECT MAX(last_day) AS end_day FROM per)
        SELECT customer_id, n_days - 1 AS frequency, (last_day - first_day) / 7.0 AS recency,
               (end_day - first_day) / 7.0 AS T,
               CASE WHEN n_days > 1 THEN (total - first_spend) / (n_days - 1) END AS monetary_value
        FROM per, cal ORDER BY customer_id""").df()


def lifetimes_run(frame: pd.DataFrame) -> pd.DataFrame:
    from lifetimes.utils import summary_data_from_transaction_data

    return summary_data_from_transaction_data(frame, "customer_id", "date", monetary_value_col="amount",
                                              freq="D", freq_multiplier=7)


def recipe_run(frame: pd.DataFrame) -> pd.DataFrame:
    """The plain pandas way: spend per (customer, day), then first/last day, days and spend."""
    daily = (frame.assign(day=frame["date"].dt.normalize())
             .groupby(["customer_id", "day"], as_index=False)["amount"].sum())
    end = daily["day"].max()
    per = daily.groupby("customer_id").agg(first=("day", "min"), last=("day", "max"), n=("day", "size"),
                                           total=("amount", "sum"), first_spend=("amount", "first"))
    week = pd.Timedelta(days=7)
    return pd.DataFrame({"frequency": per["n"] - 1, "recency": (per["last"] - per["first"]) / week,
                         "T": (end - per["first"]) / week,
                         "monetary_value": ((per["total"] - per["first_spend"]) / (per["n"] - 1)).where(per["n"] > 1)})


def normal_form(name: str, out: pd.DataFrame) -> pd.DataFrame:
    """Index = customer id (int64, sorted), the four columns as floats, monetary_value NaN
    without repeat purchases (lifetimes writes 0 there)."""
    if name == SQL:
        out = out.set_index("customer_id")
    out = out[COLUMNS].astype(float)
    out.index = pd.Index(np.asarray(out.index, np.int64), name="customer_id")
    out = out.sort_index()
    out.loc[out["frequency"] == 0, "monetary_value"] = np.nan
    return out


def _rusage() -> tuple[float, float]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_maxrss / 1024  # CPU seconds (all threads), peak MiB (KiB on Linux)


def child(name: str, path: Path, result: Path | None) -> None:
    import duckdb  # noqa: F401  (imports are not timed)
    import retention_kit  # noqa: F401

    if name == LIFETIMES:
        import lifetimes.utils  # noqa: F401
    frame = load_frame(path) if name in (RK_PANDAS, LIFETIMES, RECIPE) else None
    cpu0 = _rusage()[0]
    started = time.perf_counter()
    if name == RK_PARQUET:
        out = rk_run(str(path))
    elif name == RK_PANDAS:
        out = rk_run(frame)
    elif name == SQL:
        out = sql_run(path)
    elif name == LIFETIMES:
        out = lifetimes_run(frame)
    else:
        out = recipe_run(frame)
    seconds = time.perf_counter() - started
    cpu, peak = _rusage()
    if result is not None:
        normal_form(name, out).to_pickle(result)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu - cpu0, "peak_mib": peak}))


def compare(results: list[Path]) -> None:
    """Every common form against the first (retention_kit on Parquet), in its own process."""
    ref = pd.read_pickle(results[0])
    report = {"customers": len(ref)}
    for p in results[1:]:
        got = pd.read_pickle(p)
        same_ids = got.index.equals(ref.index)
        info = {"same_customers": bool(same_ids)}
        if same_ids:
            info["same_frequency"] = bool((got["frequency"].to_numpy() == ref["frequency"].to_numpy()).all())
            for col in ("recency", "T"):
                info[f"max_diff_{col}"] = float(np.max(np.abs(got[col].to_numpy() - ref[col].to_numpy())))
            a, b = got["monetary_value"].to_numpy(), ref["monetary_value"].to_numpy()
            info["same_nan_monetary"] = bool((np.isnan(a) == np.isnan(b)).all())
            ok = ~np.isnan(b)
            info["max_rel_diff_monetary"] = float(np.max(np.abs(a[ok] - b[ok]) / np.abs(b[ok]), initial=0.0))
            info["agrees"] = (info["same_frequency"] and info["same_nan_monetary"]
                              and max(info["max_diff_recency"], info["max_diff_T"]) <= 1e-9
                              and info["max_rel_diff_monetary"] <= 1e-9)
        else:
            info["agrees"] = False
            info["customers"] = len(got)
        report[p.name] = info
    print(json.dumps(report))


def check_holdout(path: Path) -> None:
    """rk on Parquet and on pandas with a calibration end and a holdout period (not timed)."""
    import retention_kit as rk

    frame = load_frame(path)
    last = frame["date"].max().normalize()
    cal, obs = last - pd.Timedelta(days=180), last - pd.Timedelta(days=30)
    a = rk.rfm_summary(str(path), cal, obs, time_unit="W", amount_col="amount")
    b = rk.rfm_summary(frame, cal, obs, time_unit="W", amount_col="amount")
    ok = a.index.equals(b.index) and list(a.columns) == list(b.columns)
    if ok:
        ok = all(np.allclose(a[c].to_numpy(float), b[c].to_numpy(float), rtol=1e-9, atol=1e-9, equal_nan=True)
                 for c in a.columns)
    print(json.dumps({"agrees": bool(ok), "customers": [len(a), len(b)], "columns": list(a.columns)}))


# --- the run ------------------------------------------------------------------------------


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.split(" summary_data")[0])


def run_child(args: list[str], timeout: float | None = None) -> dict:
    try:
        proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    if proc.returncode:
        raise SystemExit(f"{args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench(n_rows: int, repeat: int, lifetimes_timeout: float, check_hold: bool) -> tuple[list[dict], bool]:
    path = log_path(n_rows)
    results, runs, stopped = {}, {name: [] for name in CONTENDERS}, set()
    for i in range(repeat):  # round-robin, so that a busy spell of the machine hits every contender
        for name in CONTENDERS:
            if name in stopped:
                continue
            result = OUT / f"rfm_{n_rows}_{_slug(name)}.pkl"
            info = run_child(["--child", name, str(path), str(result) if i == 0 else "-"],
                             timeout=lifetimes_timeout if name == LIFETIMES else None)
            runs[name].append(info)
            if "timeout" in info:
                print(f"  {n_rows:>11,} rows  {name:<46} over {lifetimes_timeout:.0f} s (stopped)",
                      file=sys.stderr, flush=True)
                stopped.add(name)
                continue
            if i == 0:
                results[name] = result
            print(f"  {n_rows:>11,} rows  {name:<46} run {i + 1}: {info['seconds']:8.2f} s wall  "
                  f"{info['cpu_seconds']:7.2f} s CPU  peak {info['peak_mib']:7.0f} MiB", file=sys.stderr, flush=True)
            if info["seconds"] > SLOW:
                stopped.add(name)  # the noise of a shared machine is small next to it: one run
    rows = []
    for name in CONTENDERS:
        done = [r for r in runs[name] if "timeout" not in r]
        best = min(done, key=lambda r: r["seconds"]) if done else None
        rows.append({"rows": n_rows, "contender": name, "runs": len(done),
                     "timeout": lifetimes_timeout if len(done) < len(runs[name]) else None,
                     "seconds": best["seconds"] if best else np.nan,
                     "median": statistics.median(r["seconds"] for r in done) if done else np.nan,
                     "cpu_seconds": best["cpu_seconds"] if best else np.nan,
                     "peak_mib": max(r["peak_mib"] for r in done) if done else np.nan})
    names = [n for n in CONTENDERS if n in results]
    check = run_child(["--compare", *(str(results[n]) for n in names)])
    ok = True
    for row in rows:
        if row["contender"] == RK_PARQUET:
            row["agrees"] = True
        elif row["contender"] in results:
            info = check[results[row["contender"]].name]
            row["agrees"] = info["agrees"]
            ok &= info["agrees"]
            print(f"  {n_rows:>11,} rows  {row['contender']:<46} vs retention_kit (Parquet): {info}",
                  file=sys.stderr, flush=True)
        else:
            row["agrees"] = None
        row["customers"] = check["customers"]
    for p in results.values():
        p.unlink(missing_ok=True)
    if check_hold:
        hold = run_child(["--holdout", str(path)])
        print(f"  {n_rows:>11,} rows  holdout check, rk Parquet vs rk pandas: {hold}", file=sys.stderr, flush=True)
        ok &= hold["agrees"]
    return rows, ok


def markdown(rows: list[dict], repeat: int) -> str:
    lines = [f"| rows | customers | contender | best wall (s) | median wall (s) | CPU (s) | × DuckDB SQL | "
             f"peak RSS (MiB) | same table |", "|---:|---:|---|---:|---:|---:|---:|---:|:---:|"]
    for r in rows:
        sql = next(x["seconds"] for x in rows if x["rows"] == r["rows"] and x["contender"] == SQL)
        if r["runs"] == 0:
            cells = f"> {r['timeout']:.0f} | – | – | – | – | –"
        else:
            runs = f" ({r['runs']} run{'s' if r['runs'] > 1 else ''})" if r["runs"] < repeat else ""
            cells = (f"{r['seconds']:.2f}{runs} | {r['median']:.2f} | {r['cpu_seconds']:.2f} | "
                     f"{r['seconds'] / sql:.2f} | {r['peak_mib']:,.0f} | "
                     f"{'–' if r['agrees'] is None else 'yes' if r['agrees'] else 'NO'}")
        lines.append(f"| {r['rows']:,} | {r['customers']:,} | {r['contender']} | {cells} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000",
                        help="comma-separated row counts (default 1000000,10000000)")
    parser.add_argument("--quick", action="store_true", help="one small size (200,000 rows), one run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (default 3; best reported)")
    parser.add_argument("--lifetimes-timeout", type=float, default=300.0,
                        help="time limit of one lifetimes run in seconds (default 300)")
    parser.add_argument("--no-spark", action="store_true", help=argparse.SUPPRESS)  # bench_scale's, via run.py
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--compare", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--holdout", help=argparse.SUPPRESS)
    parser.add_argument("--write", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write:
        _write(args.write)
        return 0
    if args.child:
        child(args.child[0], Path(args.child[1]), None if args.child[2] == "-" else Path(args.child[2]))
        return 0
    if args.compare:
        compare([Path(p) for p in args.compare])
        return 0
    if args.holdout:
        check_holdout(Path(args.holdout))
        return 0
    sizes = [200_000] if args.quick else [int(float(s)) for s in args.sizes.split(",") if s]
    repeat = 1 if args.quick else max(args.repeat, 1)
    timeout = min(args.lifetimes_timeout, 120.0) if args.quick else args.lifetimes_timeout
    OUT.mkdir(exist_ok=True)
    started = time.perf_counter()
    print(f"RFM summary benchmark, {repeat} run(s) per contender ({', '.join(f'{s:,}' for s in sizes)} rows)",
          file=sys.stderr)
    rows, ok = [], True
    for i, n in enumerate(sizes):
        r, agrees = bench(n, repeat, timeout, check_hold=i == 0)
        rows += r
        ok &= agrees
    print(markdown(rows, repeat))
    print()
    for n in sizes:
        by = {r["contender"]: r for r in rows if r["rows"] == n}
        rk, sql = by[RK_PARQUET], by[SQL]
        print(f"* {n:,} rows: retention_kit (Parquet) / DuckDB SQL = {rk['seconds'] / sql['seconds']:.2f} "
              f"(best wall), {rk['cpu_seconds'] / sql['cpu_seconds']:.2f} (CPU)")
    print(f"\nTotal run time {time.perf_counter() - started:.0f} s.", file=sys.stderr)
    if not ok:
        print("FAILED: some contender's RFM table differs from retention_kit's (see stderr).", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
