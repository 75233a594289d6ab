"""Trainer overhead: `fit()` versus a bare PyTorch loop training the same model on the same batches.

Both loops do the same work per step (TBPTT batch, forward, cross-entropy, backward, clipping,
AdamW, state detach). The trainer is timed as a whole `fit()` call (its final evaluation runs on a
2,000-character validation slice, its checkpoints and logs are written). Rounds alternate and the
median is taken, since this machine is shared. Last line: overhead_ratio=<trainer time / bare time>.

    .venv/bin/python bench/text_throughput.py [--steps 60] [--threads 2] [--precision fp32]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from rnnkit import datasets
from rnnkit.config import TrainConfig
from rnnkit.models.state import detach_state
from rnnkit.text.corpus import read_text
from rnnkit.text.task import TextDataConfig, TextLMTask, build_model, split_ids
from rnnkit.config import TextModelConfig
from rnnkit.text.tokenizer import CharTokenizer
from rnnkit.train import fit


def bare_loop(model, task, steps, precision):
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    state = None
    t0 = time.perf_counter()
    for i in range(steps):
        x, y = task.batch(0, i)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            logits, state = model(x, state)
            loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        state = detach_state(state)
    return time.perf_counter() - t0


def trainer_loop(model, task, steps, precision, threads, run_dir):
    cfg = TrainConfig(lr=2e-3, max_steps=steps, eval_every=10**9, threads=threads, precision=precision,
                      warmup_steps=0, schedule="constant")
    t0 = time.perf_counter()
    fit(model, task, cfg, run_dir, kind="text", config={}, log=lambda m: None)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    text = read_text(datasets.fetch("tinyshakespeare"))
    tok = CharTokenizer.from_text(text)
    train_ids, _ = split_ids(tok.encode(text), 0.1)
    data = TextDataConfig(seq_len=100, batch_size=64)
    task = TextLMTask(train_ids, train_ids[-2001:], data, seed=0)
    mcfg = TextModelConfig(cell="lstm", hidden=256, layers=2, dropout=0.0)
    chars = args.steps * 64 * 100
    bare, trainer = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            torch.manual_seed(0)
            bare.append(bare_loop(build_model(mcfg, tok.vocab_size), task, args.steps, args.precision))
            torch.manual_seed(0)
            trainer.append(trainer_loop(build_model(mcfg, tok.vocab_size), task, args.steps, args.precision,
                                        args.threads, Path(tmp) / f"run{r}"))
            print(f"round {r}: bare {chars / bare[-1]:,.0f} chars/s, trainer {chars / trainer[-1]:,.0f} chars/s")
    b, t = statistics.median(bare), statistics.median(trainer)
    print(f"model lstm 2x256, batch 64, seq 100, {args.threads} threads, {args.precision}: "
          f"bare {chars / b:,.0f} chars/s, trainer {chars / t:,.0f} chars/s")
    print(f"overhead_ratio={t / b:.3f}")


if __name__ == "__main__":
    main()
