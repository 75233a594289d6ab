"""Text training throughput with 1 process vs 2 DDP processes (and 1 process with 2 threads).

    .venv/bin/python bench/ddp_throughput.py --corpus tinyshakespeare --steps 40 --out /tmp/ddp_bench

Each configuration is `rnnkit text train` (with `--nproc 2` for DDP) on the same global batch, so
the 2-process run does the same work per step as the 1-process runs. chars/s is the trainer's own
figure (training steps only, summed over ranks); wall_s includes start-up and the final evaluation.
Prints a Markdown table row per configuration.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

RUNS = [("1 process, 1 thread", 1, 1), ("1 process, 2 threads", 1, 2), ("2 processes (DDP, gloo), 1 thread each", 2, 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="tinyshakespeare")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64, help="global batch (streams), split over the processes")
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--out", default="/tmp/rnnkit_ddp_bench")
    ap.add_argument("--runs", default="1x1,1x2,2x1", help="PROCESSESxTHREADS list, run in this order")
    args = ap.parse_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    print("| configuration | chars/s (training steps) | wall s (incl. start-up, final eval) |")
    print("|---|---:|---:|")
    wanted = [tuple(int(v) for v in r.split("x")) for r in args.runs.split(",")]
    for name, nproc, threads in [r for w in wanted for r in RUNS if r[1:] == w]:
        run = out / f"p{nproc}t{threads}"
        cmd = [sys.executable, "-m", "rnnkit", "text", "train", "--corpus", args.corpus, "--out", str(run),
               "--hidden", str(args.hidden), "--layers", str(args.layers), "--batch-size", str(args.batch_size),
               "--seq-len", str(args.seq_len), "--max-steps", str(args.steps), "--eval-every", str(10 * args.steps),
               "--precision", args.precision, "--threads", str(threads), "--nproc", str(nproc)]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
        wall = time.perf_counter() - t0
        s = json.loads((run / "summary.json").read_text())
        print(f"| {name} | {s['train_chars_per_sec']:,.0f} | {wall:.1f} |", flush=True)


if __name__ == "__main__":
    main()
