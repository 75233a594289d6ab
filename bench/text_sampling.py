"""Sampling speed at batch 1: `generate()` (hand-stepped cell) versus stepping `nn.LSTM` itself,
for the default text model (or a trained run with --run). Reports chars/s and peak memory (RSS).

    .venv/bin/python bench/text_sampling.py [--run DIR] [--length 3000] [--threads 1]
"""

from __future__ import annotations

import argparse
import resource
import time

import torch

from rnnkit.sample import generate
from rnnkit.text.task import TextRunConfig, build_model, load_text_model
from rnnkit.text.tokenizer import CharTokenizer


@torch.inference_mode()
def module_stepping(model, length: int) -> float:
    """The plain way: one nn.LSTM call per character."""
    token, state = torch.zeros(1, 1, dtype=torch.long), None
    g = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    for _ in range(length):
        logits, state = model(token, state)
        token = torch.multinomial(torch.softmax(logits[0, -1] / 0.8, -1), 1, generator=g).view(1, 1)
    return length / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run")
    ap.add_argument("--length", type=int, default=3000)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.run:
        model, tok, cfg = load_text_model(args.run)
    else:
        cfg = TextRunConfig()
        tok = CharTokenizer([chr(c) for c in range(32, 97)])  # 65 symbols, like tinyshakespeare
        model = build_model(cfg.model, tok.vocab_size).eval()
    m = cfg.model
    print(f"model: {m.cell} {m.layers}x{m.hidden}, vocab {tok.vocab_size}, {args.threads} thread(s)")
    print(f"nn.{m.cell.upper()} stepped per char: {module_stepping(model, args.length // 3):,.0f} chars/s")
    for kwargs in ({}, {"top_k": 10}, {"top_p": 0.9}):
        t0 = time.perf_counter()
        n = sum(1 for _ in generate(model, tok, tok.chars[0], args.length, 0.8, seed=0, **kwargs))
        label = ", ".join(f"{k}={v}" for k, v in kwargs.items()) or "temperature only"
        print(f"generate() ({label}): {n / (time.perf_counter() - t0):,.0f} chars/s")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
