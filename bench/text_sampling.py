"""Sampling speed, side by side in one run: stepping `nn.LSTM` per character, the previous stepper
(hand-unrolled torch ops + torch.multinomial, what `generate()` used before the native kernel), the
NumPy fallback, and the native kernel per precision (temperature, top-k, top-p; batch 1 and 32).

    nice -n 10 .venv/bin/python bench/text_sampling.py [--run DIR] [--reps 5] [--length 3000]
    nice -n 10 .venv/bin/python bench/text_sampling.py --bpc-run DIR   # + bits/char per precision

Speed does not depend on training, so without --run it uses a freshly initialised default model
(configs/text.toml: LSTM 2x256, layer norm) over a 65-symbol vocabulary. Figures are chars per
CPU-second of this process (1 thread), median over --reps repetitions: on a shared machine the
wall clock measures the neighbours. Wall-clock medians are printed beside them.

--bpc-run scores the start of a trained run's validation part (the last 10% of its corpus, never
its test) through the stepper at each precision: the accuracy cost of bf16/int8 weights.

The last line: `sampling chars_per_sec=<native fp32, temperature> vs_nn_lstm=<ratio, same run>`.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
import torch

from rnnkit.sample import make_stepper
from rnnkit.sample.batch import RowState, Rows
from rnnkit.sample.stepper import CharLMStepper
from rnnkit.sample.processors import process
from rnnkit.text.task import TextRunConfig, build_model, load_text_model
from rnnkit.text.tokenizer import CharTokenizer


def timed(fn, n: int, reps: int) -> tuple[float, float]:
    """Median chars per CPU-second and per wall-second of fn() producing n chars."""
    cpu, wall = [], []
    for _ in range(reps):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append(n / (time.process_time() - c))
        wall.append(n / (time.perf_counter() - w))
    return float(np.median(cpu)), float(np.median(wall))


@torch.inference_mode()
def nn_module(model, n: int) -> None:
    """The plain way: one nn.LSTM call per character."""
    token, state = torch.zeros(1, 1, dtype=torch.long), None
    g = torch.Generator().manual_seed(0)
    for _ in range(n):
        logits, state = model(token, state)
        token = torch.multinomial(torch.softmax(logits[0, -1] / 0.8, -1), 1, generator=g).view(1, 1)


@torch.inference_mode()
def torch_stepper(stepper: CharLMStepper, n: int, top_k=None, top_p=None) -> None:
    """The previous generate() loop."""
    state, token = stepper.initial_state(), 0
    g = torch.Generator().manual_seed(0)
    for _ in range(n):
        logits, state = stepper.step(token, state)
        token = int(torch.multinomial(torch.softmax(process(logits, 0.8, top_k, top_p), -1), 1, generator=g))


def stepped(stepper, n: int, batch: int, top_k=None, top_p=None) -> None:
    state = RowState.zeros(stepper.layers, batch, stepper.hidden, stepper.lstm)
    u = np.random.default_rng(0).random((n, batch))
    stepper.run(np.zeros(batch, np.int64), state, Rows.of([(0.8, top_k, top_p)] * batch), u)


def bits_per_char(model, ids: np.ndarray, precision: str) -> float:
    stepper = make_stepper(model, precision)
    state = RowState.zeros(stepper.layers, 1, stepper.hidden, stepper.lstm)
    nats = 0.0
    for t in range(len(ids) - 1):
        z = stepper.step(ids[t : t + 1], state)[0].astype(np.float64)
        m = z.max()
        nats += m + np.log(np.exp(z - m).sum()) - z[ids[t + 1]]
    return nats / (len(ids) - 1) / np.log(2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", help="time a trained run instead of a fresh default model")
    ap.add_argument("--bpc-run", help="also score this run's validation start per precision")
    ap.add_argument("--bpc-chars", type=int, default=20000)
    ap.add_argument("--length", type=int, default=3000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.run:
        model, tok, cfg = load_text_model(args.run)
    else:
        cfg = TextRunConfig()
        tok = CharTokenizer([chr(c) for c in range(32, 97)])  # 65 symbols, like tinyshakespeare
        torch.manual_seed(0)
        model = build_model(cfg.model, tok.vocab_size).eval()
    m, n, reps = cfg.model, args.length, args.reps
    print(f"model: {m.cell} {m.layers}x{m.hidden}, layer_norm={m.layer_norm}, vocab {tok.vocab_size}, 1 thread, "
          f"median of {reps}; chars per CPU-second (wall)")
    rows = []

    def row(name: str, fn, chars: int) -> float:
        cpu, wall = timed(fn, chars, reps)
        rows.append({"what": name, "chars_per_cpu_s": round(cpu), "chars_per_wall_s": round(wall)})
        print(f"{name:<46} {cpu:>9,.0f}  ({wall:,.0f})", flush=True)
        return cpu

    base = row("nn.LSTM stepped per char", lambda: nn_module(model, n // 6), n // 6)
    old = CharLMStepper(model)
    row("previous stepper (torch ops), temperature", lambda: torch_stepper(old, n // 2), n // 2)
    row("previous stepper (torch ops), top-k 10", lambda: torch_stepper(old, n // 2, top_k=10), n // 2)
    row("previous stepper (torch ops), top-p 0.9", lambda: torch_stepper(old, n // 2, top_p=0.9), n // 2)
    row("numpy stepper fp32, temperature", lambda: stepped(make_stepper(model, "fp32", "numpy"), n // 4, 1), n // 4)
    new = None
    weights = {}
    for precision in ("fp32", "bf16", "int8"):
        s = make_stepper(model, precision, "native")
        weights[precision] = s.w.matrix_bytes
        cpu = row(f"native {precision}, temperature", lambda: stepped(s, n, 1), n)
        new = cpu if precision == "fp32" else new
        row(f"native {precision}, top-k 10", lambda: stepped(s, n, 1, top_k=10), n)
        row(f"native {precision}, top-p 0.9", lambda: stepped(s, n, 1, top_p=0.9), n)
        row(f"native {precision}, batch 32 (aggregate)", lambda: stepped(s, n // 16, 32), 32 * (n // 16))
    for p, b in weights.items():
        print(f"weights multiplied per step, {p}: {b / 2**20:.2f} MiB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {rss:.0f} MiB")
    bpc = {}
    if args.bpc_run:
        bmodel, btok, bcfg = load_text_model(args.bpc_run)
        from rnnkit.text.corpus import read_text
        from rnnkit.text.task import split_ids

        from rnnkit.train.checkpoint import load_checkpoint

        corpus = load_checkpoint(args.bpc_run, kind="text")["extra"]["corpus"]
        ids = btok.encode(read_text(corpus, bcfg.data.encoding, bcfg.data.errors)).astype(np.int64)
        val = split_ids(ids, bcfg.data.val_fraction)[1][: args.bpc_chars]
        for precision in ("fp32", "bf16", "int8"):
            bpc[precision] = bits_per_char(bmodel, val, precision)
            print(f"bits/char on the first {len(val):,} validation chars of {args.bpc_run}, {precision}: "
                  f"{bpc[precision]:.4f} ({bpc[precision] - bpc.get('fp32', bpc[precision]):+.4f})")
    if args.json:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        with open(args.json, "w") as f:
            json.dump({"date": stamp, "model": f"{m.cell} {m.layers}x{m.hidden} ln={m.layer_norm}", "reps": reps,
                       "rows": rows, "weight_bytes": weights, "peak_rss_mib": round(rss), "bits_per_char": bpc,
                       "bpc_run": args.bpc_run}, f, indent=2)
    print(f"sampling chars_per_sec={new:.0f} vs_nn_lstm={new / base:.1f}")


if __name__ == "__main__":
    main()
