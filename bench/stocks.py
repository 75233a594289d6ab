"""Stocks benchmark: one-step-ahead Close on the 4 tickers in ../shared/data/stocks (last 20% test,
the 10% before it validation), with the default settings of `rnnkit forecast train`, through the
same function the command calls. Prints, per ticker, the median over seeds of RMSE as a multiple
of persistence's, 80% interval coverage, directional accuracy beside the share of up days, and
training time; then peak memory.

    .venv/bin/python bench/stocks.py [--seeds 0,1,2] [--config FILE] [--set section.key=value ...]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from pathlib import Path

import numpy as np
import torch

from rnnkit.config import resolve
from rnnkit.forecast.config import ForecastRunConfig
from rnnkit.forecast.run import train_run

from overrides import parse_set  # bench/overrides.py

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "stocks"
TICKERS = ("AAPL", "IBM", "SPY", "XOM")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--tickers", default=",".join(TICKERS))
    ap.add_argument("--config", default=None)
    ap.add_argument("--set", nargs="*", default=[], help="overrides such as data.normalize=window")
    ap.add_argument("--out", default=str(ROOT / "runs" / "stocks"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    for ticker in args.tickers.split(","):
        per_seed = []
        for seed in (int(s) for s in args.seeds.split(",")):
            overrides = parse_set(args.set)
            overrides.setdefault("data", {})["csv"] = str(DATA / f"{ticker}.csv")
            overrides.setdefault("train", {})["seed"] = seed
            cfg = resolve(ForecastRunConfig, args.config, overrides)
            out = Path(args.out) / f"{ticker}-seed{seed}"
            shutil.rmtree(out, ignore_errors=True)
            t0 = time.time()
            report = train_run(cfg, out, log=lambda _m: None)
            elapsed = time.time() - t0
            m = report["models"][report["model"]]
            per_seed.append((m["rel_rmse_vs_naive"], m["coverage"], m["directional_accuracy"], report["up_share"],
                             report["train"]["elapsed_s"], elapsed))
            print(f"{ticker} seed {seed}: rel_rmse={per_seed[-1][0]:.4f} coverage={per_seed[-1][1]:.3f} "
                  f"dir={per_seed[-1][2]:.3f} up={per_seed[-1][3]:.3f} train_s={per_seed[-1][4]:.0f} "
                  f"outcome={report['outcome']} best_reference={report['best_reference']} "
                  f"dm_p={report['dm_p_value'] if report['dm_p_value'] is not None else float('nan'):.3g}", flush=True)
            print(f"  verdict: {report['verdict']}", flush=True)
        med = [float(np.median([r[i] for r in per_seed])) for i in range(6)]
        rows.append((ticker, *med))
    print("\n| ticker | RMSE / persistence | 80% coverage | directional accuracy | up-day share | train s |")
    print("|---|---|---|---|---|---|")
    for t, rel, cov, d, up, tr, _ in rows:
        print(f"| {t} | {rel:.4f} | {cov:.3f} | {d:.3f} | {up:.3f} | {tr:.0f} |")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worst = max(r[1] for r in rows)
    cov_ok = all(0.75 <= r[2] <= 0.85 for r in rows)
    print(f"peak memory {peak_mb:.0f} MB")
    print(f"worst_rel_rmse={worst:.4f} coverage_in_75_85={'yes' if cov_ok else 'no'} "
          f"train_s_median={float(np.median([r[5] for r in rows])):.0f}")


if __name__ == "__main__":
    main()
