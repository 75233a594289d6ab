"""M4 Hourly end to end, through the code paths users get: the wide official CSVs are rewritten
as a long-format CSV (unique_id, ds, y), read back with rnnkit's reader, one global model is
trained, `predict()` forecasts 48 hours past each series, and the official sMAPE / MASE / OWA are
computed here, with Naive2 and seasonal naive scored by the same code and checked against the
published figures. Last line: owa=<x> smape=<y> mase=<z> train_s=<t>.

    .venv/bin/python bench/m4_hourly.py [--minutes 15] [--seeds 0] [--out runs/m4]
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

from rnnkit.config import merge, resolve
from rnnkit.forecast.baselines import Naive2, SeasonalNaive
from rnnkit.forecast.config import ForecastRunConfig
from rnnkit.forecast.estimator import Forecaster
from rnnkit.forecast.metrics import mase_scale, owa
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=None, help="training budget per seed (default: the config's)")
    ap.add_argument("--seeds", default="0", help="comma-separated seeds; each trains one model (no ensemble)")
    ap.add_argument("--config", default=str(ROOT / "configs" / "forecast_m4_hourly.toml"))
    ap.add_argument("--out", default=str(ROOT / "runs" / "m4_hourly"))
    ap.add_argument("--set", nargs="*", default=[], help="config overrides, e.g. forecast.residual=none")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="rnnkit_m4_"))
    long_csv = tmp / "m4_hourly_long.csv"
    wide_to_long(DATA / "Hourly-train.csv", long_csv)
    test = load_test(DATA / "Hourly-test.csv")

    # -- the user's path: long CSV -> reader -> SeriesSet
    from overrides import parse_set  # bench/overrides.py: "section.key=value" -> nested dict

    overrides = merge(parse_set(args.set), {"train": {"max_minutes": args.minutes}, "data": {"csv": str(long_csv)}})
    cfg = resolve(ForecastRunConfig, args.config, overrides)
    d = cfg.data
    from rnnkit.forecast.config import clean_policy

    data, report = from_dataframe(read_csv(str(long_csv)), d.date_col, d.target, d.features, d.id_col,
                                  clean_policy(d), source=str(long_csv))
    train = {s.id: s.y for s in data.series}
    print(f"read {report.series} series, {report.rows_out} rows from the long CSV", flush=True)

    # -- baselines through the same interface, scored by the same code
    n2, sn = Naive2(M), SeasonalNaive(M)
    f_n2 = {s.id: n2.forecast(s, np.array([len(s)]), H)[0, :, 0] for s in data.series}
    f_sn = {s.id: sn.forecast(s, np.array([len(s)]), H)[0, :, 0] for s in data.series}
    n2_smape, n2_mase = score(f_n2, test, train)
    sn_smape, sn_mase = score(f_sn, test, train)
    sn_owa = owa(sn_smape, sn_mase, n2_smape, n2_mase)
    print(f"naive2: smape={n2_smape:.3f} mase={n2_mase:.3f} (published {PUBLISHED['naive2']})")
    print(f"snaive: smape={sn_smape:.3f} mase={sn_mase:.3f} owa={sn_owa:.3f} (published {PUBLISHED['snaive']})")
    ok = (abs(n2_smape - 18.383) < 0.05 and abs(n2_mase - 2.395) < 0.01 and abs(sn_smape - 13.912) < 0.05
          and abs(sn_mase - 1.193) < 0.01 and abs(sn_owa - 0.627) < 0.002)
    print(f"scorer check against the published figures: {'OK' if ok else 'MISMATCH'}", flush=True)

    results = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        cfg.train.seed = seed
        run = Path(args.out) / f"seed{seed}"
        shutil.rmtree(run, ignore_errors=True)
        est = Forecaster(cfg)
        t0 = time.time()
        est.fit_run(data, run, log=lambda msg: print("  " + msg, flush=True))
        train_s = time.time() - t0
        pred = est.predict_table(data, H)  # the user's predict(): unique_id, date, yhat, q10, q90
        f_model = {sid: g["yhat"].to_numpy() for sid, g in pred.groupby("unique_id", sort=False)}
        s_smape, s_mase = score(f_model, test, train)
        s_owa = owa(s_smape, s_mase, n2_smape, n2_mase)
        results.append((s_owa, s_smape, s_mase, train_s))
        print(f"seed {seed}: owa={s_owa:.3f} smape={s_smape:.3f} mase={s_mase:.3f} train_s={train_s:.0f}", flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    o, s, m, t = (float(np.median([r[i] for r in results])) for i in range(4))
    print(f"median over {len(results)} seed(s); peak memory {peak_mb:.0f} MB")
    print(f"owa={o:.3f} smape={s:.3f} mase={m:.3f} train_s={t:.0f}")


if __name__ == "__main__":
    sys.exit(main())
