"""Text generation: warm the state on the prompt, then step one character at a time."""

from __future__ import annotations

from typing import Iterator

import torch

from rnnkit.errors import RnnkitError
from rnnkit.models import CharLM
from rnnkit.sample.processors import check_sampling, process
from rnnkit.sample.stepper import CharLMStepper
from rnnkit.text.tokenizer import CharTokenizer


def default_prompt(tokenizer: CharTokenizer) -> str:
    """Used when the prompt is empty: a newline when the corpus has one, else its first character."""
    return "\n" if "\n" in tokenizer.chars else tokenizer.chars[0]


@torch.inference_mode()
def generate(
    model: CharLM,
    tokenizer: CharTokenizer,
    prompt: str,
    length: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
) -> Iterator[str]:
    """Yield `length` characters continuing `prompt` (the prompt itself is not yielded).

    The prompt is read in one batched forward pass to warm the state; sampling then steps a
    hand-unrolled copy of the network (see stepper.py). Same seed, same text."""
    check_sampling(temperature, top_k, top_p)
    if length < 0:
        raise RnnkitError(f"--length must be >= 0, got {length}")
    unknown = tokenizer.unknown(prompt)
    if unknown:
        raise RnnkitError(
            f"the prompt has characters the model never saw: {', '.join(repr(c) for c in unknown[:10])}; "
            f"remove them or retrain on a corpus that has them"
        )
    model.eval()
    prompt = prompt or default_prompt(tokenizer)
    ids = torch.from_numpy(tokenizer.encode(prompt).astype("int64"))[None, :]
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    state = None
    if ids.shape[1] > 1:
        _, state = model(ids[:, :-1], None)
    # the hand-stepped cell reads float weights; an int8 model (rnnkit quantize) steps its own forward
    stepper = CharLMStepper(model) if isinstance(model.head, torch.nn.Linear) and isinstance(
        model.core.rnn, torch.nn.RNNBase) else None
    if stepper is not None:
        state = stepper.from_module_state(state)
    token = int(ids[0, -1])
    for _ in range(length):
        if stepper is not None:
            logits, state = stepper.step(token, state)
        else:
            out, state = model(torch.tensor([[token]]), state)
            logits = out[:, -1]
        probs = torch.softmax(process(logits, temperature, top_k, top_p), dim=-1)
        token = int(torch.multinomial(probs, 1, generator=generator))
        yield tokenizer.chars[token]
