"""Architecture comparisons at a fixed number of steps (so machine load changes the time, not the
result): weight tying, layer norm, dropout, cell type, width, against the default text model.

    .venv/bin/python bench/text_sweep.py [--steps 600] [--only base,layer_norm]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from rnnkit.text.task import TextRunConfig, train_text

VARIANTS = {
    "base": {},
    "layer_norm": {"layer_norm": True},
    "tie_weights": {"tie_weights": True},
    "ln_tie": {"layer_norm": True, "tie_weights": True},
    "dropout_0.0": {"dropout": 0.0},
    "dropout_0.25": {"dropout": 0.25},
    "gru": {"cell": "gru"},
    "hidden_384": {"hidden": 384},
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--only", help="comma-separated variant names")
    args = ap.parse_args()
    names = args.only.split(",") if args.only else list(VARIANTS)
    print(f"{'variant':14s} {'best val loss':>13s} {'chars/s':>9s}  ({args.steps} steps, default data and schedule)")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            cfg = TextRunConfig()
            for key, value in VARIANTS[name].items():
                setattr(cfg.model, key, value)
            cfg.train.max_steps, cfg.train.eval_every = args.steps, args.steps // 4
            s = train_text(cfg, Path(tmp) / name, log=lambda m: None).summary
            print(f"{name:14s} {s['best_val_loss']:13.4f} {s['train_chars_per_sec']:9,.0f}", flush=True)


if __name__ == "__main__":
    main()
