"""Does bf16 autocast keep the loss curve? The same model, seed and batches trained in fp32 and in
bf16; validation loss at every evaluation side by side, and the speed of each.

    .venv/bin/python bench/text_precision.py [--steps 500] [--hidden 256]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from rnnkit.text.task import TextRunConfig, train_text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    curves, speed = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for precision in ("fp32", "bf16"):
            cfg = TextRunConfig()
            cfg.model.hidden = args.hidden
            cfg.train.max_steps, cfg.train.eval_every = args.steps, max(args.steps // 5, 1)
            cfg.train.precision, cfg.train.threads = precision, args.threads
            result = train_text(cfg, Path(tmp) / precision, log=lambda m: None)
            rows = [json.loads(line) for line in (Path(tmp) / precision / "metrics.jsonl").read_text().splitlines()]
            curves[precision] = [(r["step"], r["val_loss"]) for r in rows if r["event"] == "eval"]
            speed[precision] = result.summary["train_chars_per_sec"]
    print(f"lstm 2x{args.hidden}, {args.threads} thread(s); val loss (nats/char) by step")
    print("step   fp32    bf16    diff")
    for (step, a), (_, b) in zip(curves["fp32"], curves["bf16"]):
        print(f"{step:5d}  {a:.4f}  {b:.4f}  {b - a:+.4f}")
    print(f"chars/s: fp32 {speed['fp32']:,.0f}, bf16 {speed['bf16']:,.0f}")


if __name__ == "__main__":
    main()
