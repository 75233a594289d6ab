"""A text generation request, checked before any work: sampling settings, length, seed and the
prompt's characters. Free of torch, so that `rnnkit text generate` / `serve` (sample/streams.py)
and the ONNX runner (export/runner.py, no PyTorch) check requests with the same code."""

from __future__ import annotations

import math

from rnnkit.errors import RnnkitError
from rnnkit.text.tokenizer import CharTokenizer

MAX_SEED = 2**63 - 1
# sampling divides float32 logits by the temperature: far below 1e-6 the quotients overflow (1e-40
# sampled the last character every time), far above 1e6 the cast does; 1e-6 is already greedy
TEMPERATURE_RANGE = (1e-6, 1e6)


def check_sampling(temperature: float, top_k: int | None, top_p: float | None) -> None:
    low, high = TEMPERATURE_RANGE
    if not (temperature > 0 and math.isfinite(temperature)):
        raise RnnkitError(f"--temperature must be a finite number > 0, got {temperature}")
    if not low <= temperature <= high:
        raise RnnkitError(f"--temperature must be between {low:g} and {high:g}, got {temperature:g}"
                          + (" (for greedy decoding give --top-k 1)" if temperature < low else ""))
    if top_k is not None and top_k < 1:
        raise RnnkitError(f"--top-k must be >= 1, got {top_k}")
    if top_p is not None and not 0.0 < top_p <= 1.0:
        raise RnnkitError(f"--top-p must be in (0, 1], got {top_p}")


def default_prompt(tokenizer: CharTokenizer) -> str:
    """Used when the prompt is empty: a newline when the corpus has one, else its first character."""
    return "\n" if "\n" in tokenizer.chars else tokenizer.chars[0]


def check_request(tokenizer: CharTokenizer, prompt: str, length: int, temperature: float, top_k: int | None,
                  top_p: float | None, seed: int | None) -> None:
    check_sampling(temperature, top_k, top_p)
    if length < 0:
        raise RnnkitError(f"--length must be >= 0, got {length}")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise RnnkitError(f"--seed must be in [0, 2**63 - 1], got {seed}")
    unknown = tokenizer.unknown(prompt)
    if unknown:
        raise RnnkitError(
            f"the prompt has characters the model never saw: {', '.join(repr(c) for c in unknown[:10])}; "
            f"remove them or retrain on a corpus that has them"
        )
