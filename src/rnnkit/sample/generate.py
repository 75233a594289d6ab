"""Text generation: warm the state on the prompt, then step one character at a time.

Both functions build a stepper (batch.py: the native kernel when a C compiler is there) unless given
one; pass `stepper=make_stepper(model)` to reuse it across calls. `precision` picks the weights the
stepper multiplies by: fp32 (the model's own distribution, the default), bf16 or int8 (see
BENCHMARKS.md for what they cost in bits/char).
"""

from __future__ import annotations

from typing import Iterator

from rnnkit.errors import RnnkitError
from rnnkit.models import CharLM
from rnnkit.sample.batch import make_stepper
from rnnkit.sample.streams import Batch, Stream, check_request, default_prompt
from rnnkit.text.tokenizer import CharTokenizer

CHUNK = 64  # characters per kernel call while streaming

__all__ = ["default_prompt", "generate", "generate_batch"]


def generate(
    model: CharLM,
    tokenizer: CharTokenizer,
    prompt: str,
    length: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    precision: str = "fp32",
    stepper=None,
) -> Iterator[str]:
    """Yield `length` characters continuing `prompt` (the prompt itself is not yielded).
    Arguments are checked at the first `next()`. Same seed, same text."""
    check_request(tokenizer, prompt, length, temperature, top_k, top_p, seed)
    batch, (stream,) = _start(model, tokenizer, prompt, length, temperature, top_k, top_p, [seed], precision,
                              stepper)
    steps = 1  # the first character at once, then chunks
    while batch:
        batch.advance(steps)
        yield from stream.take()
        steps = CHUNK


MAX_BATCH_CHARS = 10**8  # a batch's samples are kept until all are done: about 0.1-0.4 GB of text


def generate_batch(
    model: CharLM,
    tokenizer: CharTokenizer,
    prompt: str,
    n: int,
    length: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    precision: str = "fp32",
    stepper=None,
) -> list[str]:
    """`n` samples of `length` characters, stepped together. Sample i uses seed `seed + i`, so it
    equals `generate(..., seed=seed + i)`."""
    if n < 1:
        raise RnnkitError(f"--batch must be >= 1, got {n}")
    if n > 1 and n * length > MAX_BATCH_CHARS:  # the samples are returned whole; one sample streams
        raise RnnkitError(f"--batch {n} x --length {length} is {n * length:,} characters to hold in memory, more "
                          f"than {MAX_BATCH_CHARS:,}; ask for fewer, or one sample (--batch 1), which is written "
                          "as it is sampled")
    check_request(tokenizer, prompt, length, temperature, top_k, top_p, seed)
    if seed is not None:
        check_request(tokenizer, prompt, length, temperature, top_k, top_p, seed + n - 1)
    seeds = [None if seed is None else seed + i for i in range(n)]
    batch, streams = _start(model, tokenizer, prompt, length, temperature, top_k, top_p, seeds, precision, stepper)
    texts = [[] for _ in streams]
    while batch:
        batch.advance(CHUNK)
        for t, s in zip(texts, streams):
            t.append(s.take())
    return ["".join(t) for t in texts]


def _start(model, tokenizer, prompt, length, temperature, top_k, top_p, seeds, precision, stepper):
    """One stream per seed, warmed on the prompt and added to one batch: (batch, streams)."""
    stepper = stepper or make_stepper(model, precision)
    streams = [Stream(stepper, tokenizer, prompt, length, temperature, top_k, top_p, s) for s in seeds]
    batch = Batch(stepper)
    for s in streams:
        batch.add(s)
    return batch, streams
