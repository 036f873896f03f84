"""Run every benchmarks/bench_*.py in turn, forwarding the arguments (--sizes, --quick).

Every script whose name matches is run, in name order: bench_clv (BG/NBD and Pareto/NBD fits),
bench_cohorts (cohort table), bench_rfm (rfm_summary against DuckDB SQL and lifetimes) and
bench_scale (pandas, DuckDB and Spark). Options only one script knows (bench_rfm's --repeat,
bench_scale's --no-spark) are for running that script alone; --no-spark is also accepted, and
ignored, by bench_rfm.

    .venv/bin/python benchmarks/run.py                 # what `make bench` runs
    .venv/bin/python benchmarks/run.py --quick         # small sizes, a smoke test
    .venv/bin/python benchmarks/run.py --sizes 1000000
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    failed = []
    for bench in sorted(Path(__file__).resolve().parent.glob("bench_*.py")):
        print(f"## {bench.stem}\n", flush=True)
        code = subprocess.run([sys.executable, str(bench), *argv]).returncode
        print(flush=True)
        if code:
            failed.append(f"{bench.name} (exit {code})")
    if failed:
        print("Failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
