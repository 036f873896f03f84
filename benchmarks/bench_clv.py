"""BG/NBD and Pareto/NBD fits: retention_kit against reference implementations.

A seeded summary is drawn from each model with known parameters (rk.simulate_rfm), customers
acquired over 12 weeks and observed to week 52, recency rounded to whole days as a daily
log gives it. Each contender then fits it once, in its own subprocess with a time limit,
and reports wall time (the fit alone, standard errors included where the contender computes
them), the estimates and the log-likelihood. retention_kit counts identical
(frequency, recency, T) rows once; the reference implementations evaluate every customer.

Reference implementations are optional and never project dependencies: lifetimes (0.11)
and btyd are tried if installed (``pip install lifetimes btyd`` into the venv); a contender
that does not import is listed with the reason.

    .venv/bin/python benchmarks/bench_clv.py                    # 100k and 1M customers
    .venv/bin/python benchmarks/bench_clv.py --sizes 200000
    .venv/bin/python benchmarks/bench_clv.py --quick            # 20k customers, a smoke test
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"
TRUTH = {"bgnbd": (0.25, 4.0, 0.8, 2.5), "pareto_nbd": (0.55, 10.0, 0.6, 12.0)}
CONTENDERS = {
    "bgnbd": ("retention_kit", "lifetimes", "btyd"),
    "pareto_nbd": ("retention_kit", "lifetimes", "btyd"),
}
TIME_LIMIT = 300


def generate(model: str, n: int, seed: int = 20261203) -> Path:
    import retention_kit as rk

    path = OUT / f"clv_{model}_{n}.npz"
    if not path.exists():
        rng = np.random.default_rng(seed)
        ages = 52 - rng.integers(0, 84, n) / 7  # first purchase on one of the first 84 days
        sim = rk.simulate_rfm(TRUTH[model], n, T=ages, model=model, seed=seed)
        recency = np.minimum(np.floor(sim["recency"].to_numpy() * 7) / 7, sim["T"].to_numpy())
        OUT.mkdir(exist_ok=True)
        np.savez(path, x=sim["frequency"].to_numpy(), tx=recency, T=sim["T"].to_numpy())
    return path


def run_one(contender: str, model: str, path: str) -> dict:
    """Fit in this process (called in a subprocess); returns timing and estimates."""
    import warnings

    import pandas as pd

    warnings.simplefilter("ignore")
    data = np.load(path)
    frame = pd.DataFrame({"frequency": data["x"], "recency": data["tx"], "T": data["T"]})
    if contender == "retention_kit":
        import retention_kit as rk

        fit = rk.fit_bgnbd if model == "bgnbd" else rk.fit_pareto_nbd
        started = time.perf_counter()
        result = fit(frame)
        elapsed = time.perf_counter() - started
        return {"seconds": elapsed, "params": result.params.tolist(), "ll": _loglik(model, result.params, data)}
    if contender == "lifetimes":
        from lifetimes import BetaGeoFitter, ParetoNBDFitter

        fitter = BetaGeoFitter() if model == "bgnbd" else ParetoNBDFitter()
        started = time.perf_counter()
        fitter.fit(frame["frequency"], frame["recency"], frame["T"])
        elapsed = time.perf_counter() - started
        params = fitter.params_.tolist()
        return {"seconds": elapsed, "params": params, "ll": _loglik(model, params, data)}
    if contender == "btyd":
        try:
            import btyd  # noqa: F401  (Bayesian, on pymc)
        except ImportError:
            raise RuntimeError("does not import: btyd 0.1a1 needs pymc 4.4 / aesara, which need NumPy < 2 "
                               "(np.obj2sctype), and pins autograd==1.4, psutil<6") from None
        raise RuntimeError("btyd imported, but its fits are Bayesian (MCMC), not comparable here")
    raise ValueError(contender)


def _loglik(model: str, params, data) -> float:
    """The log-likelihood at a contender's estimates, with retention_kit's formula (the
    contenders' own objectives differ by constants and scaling)."""
    from retention_kit.clv import bgnbd, pareto_nbd

    module = bgnbd if model == "bgnbd" else pareto_nbd
    return float(np.sum(module.loglik(np.asarray(params, float), data["x"], data["tx"], data["T"])))


def contend(contender: str, model: str, path: Path) -> dict:
    cmd = [sys.executable, __file__, "--run", contender, model, str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIME_LIMIT)
    except subprocess.TimeoutExpired:
        return {"error": f"over {TIME_LIMIT} s"}
    if proc.returncode:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return {"error": last[:160]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    if argv[:1] == ["--run"]:
        print(json.dumps(run_one(*argv[1:4])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    sizes = [20_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    print("| model | customers | distinct (x, t_x, T) | contender | wall time (s) | estimates |"
          " log-likelihood at the estimates | max rel. diff. vs retention_kit |")
    print("|---|---:|---:|---|---:|---|---:|---:|")
    failed = False
    for model in ("bgnbd", "pareto_nbd"):
        for n in sizes:
            path = generate(model, n)
            data = np.load(path)
            distinct = len({(a, b, c) for a, b, c in zip(data["x"], data["tx"], data["T"])})
            ours = None
            for contender in CONTENDERS[model]:
                print(f"{model} {n:,} {contender} ...", file=sys.stderr, flush=True)
                res = contend(contender, model, path)
                if "error" in res:
                    print(f"| {model} | {n:,} | {distinct:,} | {contender} | – | {res['error']} | – | – |")
                    failed |= contender == "retention_kit"
                    continue
                params = np.array(res["params"])
                ours = params if contender == "retention_kit" else ours
                diff = "–" if ours is None or contender == "retention_kit" else \
                    f"{np.max(np.abs(params - ours) / ours):.1e}"
                est = ", ".join(f"{p:.4g}" for p in params)
                print(f"| {model} | {n:,} | {distinct:,} | {contender} | {res['seconds']:.2f} | {est} | "
                      f"{res['ll']:,.1f} | {diff} |", flush=True)
    print(f"\ntrue parameters: BG/NBD r, alpha, a, b = {TRUTH['bgnbd']}; Pareto/NBD r, alpha, s, beta = "
          f"{TRUTH['pareto_nbd']}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
