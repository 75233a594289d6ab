"""int8 dynamic quantization vs float, one benchmark model per task (not a test: takes minutes).

    .venv/bin/python bench/quantize.py [--work /tmp/qbench] [--text-minutes 4] [--tasks text,forecast,classify]

Each task's model is trained here with the task's default config (text: a time budget, since the
default 20k steps take hours on this machine), quantized with `quantize_run` (what `rnnkit quantize`
calls), and both folders are measured the same way, on one thread:
  text      tinyshakespeare; bits/char on the last 10% (as `rnnkit text score`); latency = one generated
            character (`generate`, batch 1); throughput = scoring chars/s
  forecast  AAPL daily Close, default settings; MASE on the test part (`evaluate_test`); latency = one
            forecast from the series end; throughput = test-origin forecasts/s (batch up to 2048)
  classify  GunPoint, default settings (attention); test accuracy; latency = one series; throughput =
            test series/s (batch 256)
Prints a markdown table (--json FILE: also the raw rows). Data: $RNNKIT_DATA_DIR or ../shared/data.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("RNNKIT_DATA_DIR") or ROOT.parent / "shared" / "data")


def quiet(_msg: str) -> None:
    pass


def percentiles(samples: list[float]) -> tuple[float, float]:
    ms = np.array(samples) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def weight_bytes(run: Path) -> int:
    from rnnkit.train.checkpoint import load_checkpoint

    return sum(v.numel() * v.element_size() for v in load_checkpoint(run)["model"].values())


# -- text --------------------------------------------------------------------------------------
def train_text(out: Path, minutes: float) -> None:
    from rnnkit.text.task import TextRunConfig, train_text as fit

    cfg = TextRunConfig()
    cfg.data.corpus = str(DATA / "text" / "tinyshakespeare.txt")
    cfg.train.max_minutes, cfg.train.threads, cfg.train.max_steps = minutes, 1, None
    fit(cfg, out, log=quiet)


def measure_text(run: Path, chars: int, reps: int) -> dict:
    from rnnkit.sample import generate
    from rnnkit.text.corpus import read_text
    from rnnkit.text.task import load_text_model, score_text

    model, tok, _ = load_text_model(run)
    text = read_text(DATA / "text" / "tinyshakespeare.txt")
    val = text[int(len(text) * 0.9):][:chars] if chars else text[int(len(text) * 0.9):]
    t = time.perf_counter()
    score = score_text(model, tok, val)
    elapsed = time.perf_counter() - t
    stream = generate(model, tok, "ROMEO:", reps, 0.8, None, None, 0)
    lat = []
    for _ in range(reps):
        t = time.perf_counter()
        next(stream)
        lat.append(time.perf_counter() - t)
    p50, p99 = percentiles(lat[10:])
    return {"metric": "bits/char", "value": score["bits_per_char"], "p50_ms": p50, "p99_ms": p99,
            "throughput": score["chars"] / elapsed, "throughput_unit": "chars/s (scoring)"}


# -- forecast ----------------------------------------------------------------------------------
def train_forecast(out: Path) -> None:
    from rnnkit.forecast.config import ForecastRunConfig
    from rnnkit.forecast.run import train_run

    cfg = ForecastRunConfig()
    cfg.data.csv, cfg.train.threads = str(DATA / "stocks" / "AAPL.csv"), 1
    train_run(cfg, out, log=quiet)


def measure_forecast(run: Path, reps: int) -> dict:
    from rnnkit.forecast.estimator import Forecaster, make_splits
    from rnnkit.forecast.run import evaluate_test, load_data

    est = Forecaster.load(run)
    data, _ = load_data(est.cfg)
    splits = make_splits(data, est.cfg)
    ev = evaluate_test(est, data, splits)
    s = data.series[0]
    end = np.array([len(s)])
    lat = []
    for _ in range(reps):
        t = time.perf_counter()
        est.forecast(s, end)
        lat.append(time.perf_counter() - t)
    at = np.arange(splits[0].val_end, len(s))
    t = time.perf_counter()
    est.forecast(s, at)
    elapsed = time.perf_counter() - t
    p50, p99 = percentiles(lat[5:])
    return {"metric": "MASE", "value": ev.scores[est.name]["mase"], "p50_ms": p50, "p99_ms": p99,
            "throughput": len(at) / elapsed, "throughput_unit": "forecasts/s"}


# -- classify ----------------------------------------------------------------------------------
def train_classify(out: Path) -> None:
    from rnnkit.classify.config import ClassifyRunConfig
    from rnnkit.classify.estimator import train

    cfg = ClassifyRunConfig()
    cfg.model.cell = "attention"  # the model with the most layers to quantize (and its weights to show)
    cfg.train.threads = 1
    train(cfg, DATA / "ucr" / "GunPoint_TRAIN.tsv", DATA / "ucr" / "GunPoint_TEST.tsv", out, log=quiet)


def measure_classify(run: Path, reps: int) -> dict:
    from rnnkit.classify.inference import load_run, predict
    from rnnkit.classify.loaders import load
    from rnnkit.classify.task import Encoded, predict_proba

    test = DATA / "ucr" / "GunPoint_TEST.tsv"
    result = predict(run, test, os.devnull, log=quiet)
    model, enc, cfg = load_run(run)
    data = load(test, cfg.data, need_labels=False)
    x, lengths, _ = enc.encode(data.inputs)
    one = Encoded(x[:1], lengths[:1], torch.tensor([-1]))
    lat = []
    for _ in range(reps):
        t = time.perf_counter()
        predict_proba(model, one)
        lat.append(time.perf_counter() - t)
    everything = Encoded(x, lengths, torch.full((len(lengths),), -1))
    t = time.perf_counter()
    predict_proba(model, everything)
    elapsed = time.perf_counter() - t
    p50, p99 = percentiles(lat[5:])
    return {"metric": "accuracy", "value": result["accuracy"], "p50_ms": p50, "p99_ms": p99,
            "throughput": len(lengths) / elapsed, "throughput_unit": "series/s"}


def main() -> None:
    from rnnkit.export.quantize import API, quantize_run

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/rnnkit-quantize-bench", help="run folders go here (reused if present)")
    ap.add_argument("--tasks", default="text,forecast,classify")
    ap.add_argument("--text-minutes", type=float, default=4.0, help="training budget of the text model")
    ap.add_argument("--score-chars", type=int, default=0, help="score only this many validation chars (0: all)")
    ap.add_argument("--reps", type=int, default=300, help="timed batch-1 calls per model")
    ap.add_argument("--json", help="also write the raw results to this file")
    args = ap.parse_args()
    torch.set_num_threads(1)
    work = Path(args.work)
    rows = []
    for task in args.tasks.split(","):
        fp, q8 = work / task / "float", work / task / "int8"
        if not (fp / "best.pt").exists():
            t = time.perf_counter()
            {"text": lambda: train_text(fp, args.text_minutes), "forecast": lambda: train_forecast(fp),
             "classify": lambda: train_classify(fp)}[task]()
            print(f"{task}: trained in {time.perf_counter() - t:.0f} s", flush=True)
        if not (q8 / "best.pt").exists():
            quantize_run(fp, q8)
        for name, run in (("float32", fp), ("int8", q8)):
            m = {"text": lambda: measure_text(run, args.score_chars, args.reps),
                 "forecast": lambda: measure_forecast(run, args.reps),
                 "classify": lambda: measure_classify(run, args.reps)}[task]()
            m.update(task=task, weights=name, file_bytes=(run / "best.pt").stat().st_size,
                     weight_bytes=weight_bytes(run))
            rows.append(m)
            print(json.dumps(m), flush=True)
    print(f"\nAPI: {API}; torch {torch.__version__}; {platform.processor() or platform.machine()}, 1 thread\n")
    print("| task | weights | checkpoint | weights | metric | latency p50 / p99 (batch 1) | throughput |")
    print("|---|---|---:|---:|---|---|---:|")
    for r in rows:
        print(f"| {r['task']} | {r['weights']} | {r['file_bytes'] / 1024:,.0f} KiB "
              f"| {r['weight_bytes'] / 1024:,.0f} KiB "
              f"| {r['metric']} {r['value']:.4f} | {r['p50_ms']:.3f} / {r['p99_ms']:.3f} ms "
              f"| {r['throughput']:,.0f} {r['throughput_unit']} |")
    if args.json:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        doc = {"api": API, "torch": torch.__version__, "rows": rows, "date": stamp}
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    main()
