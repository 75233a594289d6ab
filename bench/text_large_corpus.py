"""Memory for a large corpus: a synthetic 100 MB UTF-8 file (tinyshakespeare repeated, with some
Chinese mixed in), loaded, tokenised, split and trained for a few steps. Reports the peak RSS and
the time of each stage. The corpus is one compact token array (uint16), and batches are views.

    .venv/bin/python bench/text_large_corpus.py [--mb 100] [--steps 20]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from rnnkit import datasets
from rnnkit.text.task import TextRunConfig, train_text


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    base = datasets.fetch("tinyshakespeare").read_text() + "\n床前明月光，疑是地上霜。\n"
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "big.txt"
        with corpus.open("w", encoding="utf-8") as f:
            written = 0
            while written < args.mb * 1_000_000:
                f.write(base)
                written += len(base.encode())
        size = corpus.stat().st_size
        print(f"corpus: {size / 1e6:.0f} MB; peak RSS before loading {rss_mib():.0f} MiB")
        cfg = TextRunConfig()
        cfg.data.corpus = str(corpus)
        cfg.train.max_steps, cfg.train.eval_every = args.steps, args.steps
        cfg.data.val_max_chars = 200_000
        t0 = time.perf_counter()
        s = train_text(cfg, Path(tmp) / "run", log=lambda m: None).summary
        print(f"load + tokenise + {args.steps} steps + one validation pass (first 200k held-out chars): "
              f"{time.perf_counter() - t0:.0f} s, val loss {s['best_val_loss']:.3f}")
        print(f"peak RSS: {rss_mib():.0f} MiB ({rss_mib() * 2**20 / size:.1f} bytes per corpus byte)")


if __name__ == "__main__":
    main()
