"""ONNX export of each task's benchmark model: export time, file size, parity, and batch-1 latency
of onnxruntime against PyTorch on the same input (not a test: about a minute).

    .venv/bin/python bench/export_latency.py [--work /tmp/rnnkit-quantize-bench] [--reps 300] [--tasks classify]

Uses the float runs bench/quantize.py trains. Latency of one call, one thread each:
  text      one character step (step graph + state) vs the PyTorch model on one step
  forecast  one forecast from a full window (streamed through the step graph, or whole) vs model(window)
  classify  one test-length series vs model(series)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch



def timed(fn, reps: int) -> tuple[float, float]:
    for _ in range(5):
        fn()
    lat = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        lat.append(time.perf_counter() - t)
    ms = np.array(lat) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def main() -> None:
    from rnnkit.export.onnx import load_for_export, export_run
    from rnnkit.export.runner import OnnxModel, zero_state

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/rnnkit-quantize-bench")
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--json", help="also write the raw results to this file")
    ap.add_argument("--tasks", default="text,forecast,classify", help="comma-separated: the runs to export")
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    for task in args.tasks.split(","):
        run = Path(args.work) / task / "float"
        path = Path(args.work) / f"{task}.onnx"
        t = time.perf_counter()
        meta = export_run(run, path)
        export_s = time.perf_counter() - t
        model, _, is_tokens, n_inputs, whole_steps, _ = load_for_export(run)
        onnx_model = OnnxModel(path)
        steps = 1 if task == "text" else (whole_steps if task == "forecast" else 150)
        x = np.zeros((1, steps), dtype=np.int64) if is_tokens else np.random.default_rng(0).standard_normal(
            (1, steps, n_inputs)).astype(np.float32)
        xt = torch.from_numpy(x)
        if task == "text":
            state = zero_state(meta, 1)
            ort_fn = lambda: onnx_model.step(x, state)  # noqa: E731
        else:
            ort_fn = lambda: onnx_model.sequence(x)  # noqa: E731

        @torch.no_grad()
        def torch_fn():
            model(xt)

        o50, o99 = timed(ort_fn, args.reps)
        t50, t99 = timed(torch_fn, args.reps)
        row = {"task": task, "model": meta["model"], "graph": "step" if meta["streaming"] else "whole",
               "steps": steps, "export_s": export_s, "bytes": meta["bytes"],
               "parity": meta["parity"]["max_abs_diff"], "ort_p50_ms": o50, "ort_p99_ms": o99,
               "torch_p50_ms": t50, "torch_p99_ms": t99}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print("\n| task | graph | steps/call | export | .onnx | max abs diff | onnxruntime p50 / p99 | PyTorch p50 / p99 |")
    print("|---|---|---:|---:|---:|---:|---|---|")
    for r in rows:
        print(f"| {r['task']} ({r['model']}) | {r['graph']} | {r['steps']} | {r['export_s']:.1f} s | "
              f"{r['bytes'] / 1024:,.0f} KiB | {r['parity']:.1e} | {r['ort_p50_ms']:.3f} / {r['ort_p99_ms']:.3f} ms | "
              f"{r['torch_p50_ms']:.3f} / {r['torch_p99_ms']:.3f} ms |")
    if args.json:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        Path(args.json).write_text(json.dumps({"date": stamp, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
