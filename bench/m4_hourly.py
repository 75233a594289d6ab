"""M4 Hourly end to end, through the code paths users get: the wide official CSVs are rewritten
as a long-format CSV (unique_id, ds, y), read back with rnnkit's reader, one global model is
trained with rnnkit's default design given only the data's facts (season 24, horizon 48; no special
config), forecasts 48 hours past each series, and the official sMAPE / MASE / OWA are computed here,
with Naive2 and seasonal naive scored by the same code and checked against the published figures.

    select: the last 48 hours of each training series are held out and scored (validation); use
            it with --set to compare ablations. The test file is not read.
    report: trained on the full training series, the test file scored once.
    long:   only write the long-format training CSV (for the README's CLI command).
Last line: <mode>: owa=<x> smape=<y> mase=<z> train_cpu_s=<t>.

    nice -n 10 .venv/bin/python bench/m4_hourly.py select [--set forecast.residual=none] [--seeds 0]
    nice -n 10 .venv/bin/python bench/m4_hourly.py report [--seeds 0]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rnnkit.config import merge, resolve
from rnnkit.forecast import shares
from rnnkit.forecast.baselines import Naive2, SeasonalNaive
from rnnkit.forecast.config import ForecastRunConfig
from rnnkit.forecast.estimator import Forecaster
from rnnkit.forecast.metrics import mase_scale, owa
from rnnkit.forecast.run import predict_table
from rnnkit.series.frame import SeriesSet
from rnnkit.series.io import from_dataframe, read_csv

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "m4"
H, M = 48, 24
PUBLISHED = {"naive2": (18.383, 2.395), "snaive": (13.912, 1.193, 0.627)}


def wide_to_long(train_csv: Path, out_csv: Path) -> None:
    wide = pd.read_csv(train_csv)
    rows = []
    for _, r in wide.iterrows():
        y = r.iloc[1:].dropna().to_numpy(dtype=float)
        rows.append(pd.DataFrame({"unique_id": r.iloc[0], "ds": np.arange(1, len(y) + 1), "y": y}))
    pd.concat(rows).to_csv(out_csv, index=False)


def load_test(test_csv: Path) -> dict[str, np.ndarray]:
    wide = pd.read_csv(test_csv)
    return {r.iloc[0]: r.iloc[1:].to_numpy(dtype=float) for _, r in wide.iterrows()}


def score(forecasts: dict[str, np.ndarray], test: dict[str, np.ndarray], train: dict[str, np.ndarray]) -> tuple[float, float]:
    """Official sMAPE and MASE, each averaged over series."""
    smapes, mases = [], []
    for sid, y in test.items():
        f = forecasts[sid]
        smapes.append(np.mean(200 * np.abs(y - f) / (np.abs(y) + np.abs(f))))
        mases.append(np.mean(np.abs(y - f)) / mase_scale(train[sid], M))
    return float(np.mean(smapes)), float(np.mean(mases))


def facts_config(seed: int, overrides: dict, config: str | None) -> ForecastRunConfig:
    """Only the data's facts (long format, season 24, horizon 48, the last 48 hours for early
    stopping, no test part inside the training file); everything else is rnnkit's default."""
    base = {"data": {"date_col": "ds", "target": "y", "id_col": "unique_id", "season": M, "val": H, "test": 0},
            "forecast": {"horizon": H, "stat_models": []}, "train": {"threads": 1, "seed": seed}}
    return resolve(ForecastRunConfig, config, merge(base, overrides))


def forecasts(est: Forecaster, data: SeriesSet) -> dict[str, np.ndarray]:
    """Series id -> the H point forecasts past its end, read from what `rnnkit forecast predict`
    prints (unique_id, date, yhat, q10, q90)."""
    pred = predict_table(est, data, H)
    return {sid: g["yhat"].to_numpy() for sid, g in pred.groupby("unique_id", sort=False)}


def _same_fit(est: Forecaster, data: SeriesSet, splits: list, test: dict, train: dict,
               naive2: tuple[float, float], label: str, **changes) -> None:
    """Score the same network with its combination chosen under other forecast settings (e.g. the
    share of each series: combine_per_series, or another partner: combine="best"), then put the
    run's choice back."""
    f, shipped = est.cfg.forecast, (est.combination, est.meta["combine"], list(est.design))
    before = {k: getattr(f, k) for k in changes}
    for k, v in changes.items():
        setattr(f, k, v)
    c0 = time.process_time()
    shares.choose_combination(est, data, splits)
    s_smape, s_mase = score(forecasts(est, data), test, train)
    print(f"  the same fit with {label}: owa={owa(s_smape, s_mase, *naive2):.3f} smape={s_smape:.3f} "
          f"mase={s_mase:.3f} ({est.design[-1]}; choosing and forecasting {time.process_time() - c0:.0f} CPU s)",
          flush=True)
    for k, v in before.items():
        setattr(f, k, v)
    est.combination, est.meta["combine"], est.design = shipped


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", nargs="?", choices=["select", "report", "long"], default="report",
                    help="select: score on the last 48 hours of each training series (validation); "
                         "report: train on the full training series, score the test file once")
    ap.add_argument("--minutes", type=float, default=None, help="training budget per seed (default: none)")
    ap.add_argument("--seeds", default="0", help="comma-separated seeds; each trains one model (no ensemble)")
    ap.add_argument("--config", default=None, help="a TOML config instead of the default (for comparisons)")
    ap.add_argument("--out", default=str(ROOT / "runs" / "m4_hourly"))
    ap.add_argument("--set", nargs="*", default=[], help="config overrides, e.g. forecast.residual=none")
    ap.add_argument("--long-csv", default="m4_long.csv", help="long: where to write the long-format training CSV")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.mode == "long":  # for the README's `rnnkit forecast train --csv m4_long.csv ... --holdout`
        wide_to_long(DATA / "Hourly-train.csv", Path(args.long_csv))
        print(f"wrote {args.long_csv} (unique_id, ds, y)")
        return

    tmp = Path(tempfile.mkdtemp(prefix="rnnkit_m4_"))
    long_csv = tmp / "m4_hourly_long.csv"
    wide_to_long(DATA / "Hourly-train.csv", long_csv)
    test = load_test(DATA / "Hourly-test.csv")

    # -- the user's path: long CSV -> reader -> SeriesSet
    from overrides import parse_set  # bench/overrides.py: "section.key=value" -> nested dict

    overrides = merge(parse_set(args.set), {"train": {"max_minutes": args.minutes}, "data": {"csv": str(long_csv)}})
    cfg = facts_config(0, overrides, args.config)
    d = cfg.data
    from rnnkit.forecast.config import clean_policy

    data, report = from_dataframe(read_csv(str(long_csv)), d.date_col, d.target, d.features, d.id_col,
                                  clean_policy(d), source=str(long_csv))
    print(f"read {report.series} series, {report.rows_out} rows from the long CSV", flush=True)
    if args.mode == "select":  # the last 48 training hours become the scored window; the test file is unused
        test = {s.id: s.y[-H:] for s in data.series}
        data = SeriesSet([s.head(len(s) - H) for s in data.series], data.target, data.features, data.freq)
        print("select: scored on the last 48 hours of each training series (validation), never on the test file")
    train = {s.id: s.y for s in data.series}

    # -- baselines through the same interface, scored by the same code
    n2, sn = Naive2(M), SeasonalNaive(M)
    f_n2 = {s.id: n2.forecast(s, np.array([len(s)]), H)[0, :, 0] for s in data.series}
    f_sn = {s.id: sn.forecast(s, np.array([len(s)]), H)[0, :, 0] for s in data.series}
    n2_smape, n2_mase = score(f_n2, test, train)
    sn_smape, sn_mase = score(f_sn, test, train)
    sn_owa = owa(sn_smape, sn_mase, n2_smape, n2_mase)
    print(f"naive2: smape={n2_smape:.3f} mase={n2_mase:.3f}" + (f" (published {PUBLISHED['naive2']})" if args.mode == "report" else ""))
    print(f"snaive: smape={sn_smape:.3f} mase={sn_mase:.3f} owa={sn_owa:.3f}" + (f" (published {PUBLISHED['snaive']})" if args.mode == "report" else ""))
    if args.mode == "report":
        ok = (abs(n2_smape - 18.383) < 0.05 and abs(n2_mase - 2.395) < 0.01 and abs(sn_smape - 13.912) < 0.05
              and abs(sn_mase - 1.193) < 0.01 and abs(sn_owa - 0.627) < 0.002)
        print(f"scorer check against the published figures: {'OK' if ok else 'MISMATCH'}", flush=True)

    results = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        cfg = facts_config(seed, overrides, args.config)
        run = Path(args.out) / f"{args.mode}-seed{seed}"
        shutil.rmtree(run, ignore_errors=True)
        est = Forecaster(cfg)
        c0 = time.process_time()
        _, splits = est.fit_run(data, run, log=lambda msg: print("  " + msg, flush=True))
        train_s = time.process_time() - c0
        print(f"  design: {', '.join(est.design)}; correction share {est.shrink:g}", flush=True)
        s_smape, s_mase = score(forecasts(est, data), test, train)
        s_owa = owa(s_smape, s_mase, n2_smape, n2_mase)
        results.append((s_owa, s_smape, s_mase, train_s))
        print(f"seed {seed}: owa={s_owa:.3f} smape={s_smape:.3f} mase={s_mase:.3f} train_cpu_s={train_s:.0f}", flush=True)
        if args.mode == "select" and est.combination is not None:  # the other share rule, on the same fit
            f = est.cfg.forecast
            _same_fit(est, data, splits, test, train, (n2_smape, n2_mase),
                      "one pooled share" if f.combine_per_series else "each series' own share",
                      combine_per_series=not f.combine_per_series)
            if f.combine != "best":
                _same_fit(est, data, splits, test, train, (n2_smape, n2_mase),
                          "the partner chosen on validation (combine best)", combine="best")
    shutil.rmtree(tmp, ignore_errors=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    o, s, m, t = (float(np.median([r[i] for r in results])) for i in range(4))
    print(f"median over {len(results)} seed(s); peak memory {peak_mb:.0f} MB")
    print(f"{args.mode}: owa={o:.3f} smape={s:.3f} mase={m:.3f} train_cpu_s={t:.0f}")


if __name__ == "__main__":
    sys.exit(main())
