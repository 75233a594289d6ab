"""A short `rnnkit tune text` demo: N trials of a fixed step budget on a corpus, timed.

    .venv/bin/python bench/tune_demo.py --corpus tinyshakespeare --trials 6 --steps 60 --out /tmp/tune_demo

Runs the CLI (space: configs/tune_text_demo.toml) and prints the best validation loss, the trial
states and the wall time; the search folder keeps best.toml, trials.csv and the plots.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="tinyshakespeare")
    ap.add_argument("--trials", type=int, default=6)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--eval-every", type=int, default=20)
    ap.add_argument("--out", default="/tmp/rnnkit_tune_demo")
    args = ap.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    cmd = [sys.executable, "-m", "rnnkit", "tune", "text", "--corpus", args.corpus, "--out", args.out,
           "--trials", str(args.trials), "--max-steps", str(args.steps), "--eval-every", str(args.eval_every),
           "--precision", "fp32", "--space", str(ROOT / "configs" / "tune_text_demo.toml")]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t0
    rows = list(csv.DictReader(open(Path(args.out) / "trials.csv")))
    done = [r for r in rows if r["state"] == "COMPLETE"]
    best = min(done, key=lambda r: float(r["value"]))
    states = {s: sum(r["state"] == s for r in rows) for s in sorted({r["state"] for r in rows})}
    shown = ", ".join(f"{k}={v}" for k, v in best.items() if "." in k)
    print(f"\n{args.trials} trials x {args.steps} steps: best val loss {float(best['value']):.4f} nats/char "
          f"(trial {best['number']}: {shown}); states {states}; wall {wall:.0f} s")


if __name__ == "__main__":
    main()
