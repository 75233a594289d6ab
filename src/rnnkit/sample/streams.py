"""Sampling streams, and a batch that steps many of them together.

A `Stream` is one request: its prompt (read into its own state), sampling settings, and the
generator of the uniforms it samples with, seeded by its own seed and drawn a chunk at a time (so a
long sample holds one chunk, not 8 bytes per character). Token t of a stream is always chosen with
its uniform t, and the kernel computes each row bitwise the same whatever else is in the batch
(see kernel.c), so a stream's text does not depend on what it is batched with, or on how many
steps a call covers. Same seed, same text.

    batch = Batch(stepper)
    batch.add(stream); ...
    while batch: batch.advance()      # every stream gains up to `steps` characters
"""

from __future__ import annotations

import numpy as np

from rnnkit.sample.batch import RowState, Rows
from rnnkit.text.checks import check_request, default_prompt
from rnnkit.text.tokenizer import CharTokenizer

__all__ = ["Batch", "Stream", "check_request", "default_prompt"]  # the checks live in text/checks.py


class Stream:
    """One sample in progress. `take()` returns the characters sampled since the last call."""

    def __init__(self, stepper, tokenizer: CharTokenizer, prompt: str, length: int, temperature: float = 1.0,
                 top_k: int | None = None, top_p: float | None = None, seed: int | None = None):
        check_request(tokenizer, prompt, length, temperature, top_k, top_p, seed)
        self.tokenizer, self.length = tokenizer, length
        ids = tokenizer.encode(prompt or default_prompt(tokenizer)).astype(np.int64)
        self.state = RowState.zeros(stepper.layers, 1, stepper.hidden, stepper.lstm)
        for t in ids[:-1]:  # the prompt warms this stream's own state (the last id is fed with the first step)
            stepper.step(np.array([t], np.int64), self.state)
        self.token = int(ids[-1])
        self.rows = Rows.of([(temperature, top_k, top_p)])
        self.rng = np.random.default_rng(seed)  # seed None: fresh entropy; uniform t is its t-th draw
        self.done = 0  # characters sampled
        self._new: list[int] = []

    @property
    def remaining(self) -> int:
        return self.length - self.done

    def take(self) -> str:
        out, self._new = self._new, []
        return "".join(self.tokenizer.chars[i] for i in out)


class Batch:
    """Streams stepped together; finished ones leave after each advance, added ones join before the next."""

    def __init__(self, stepper):
        self.stepper = stepper
        self.streams: list[Stream] = []
        self.joining: list[Stream] = []
        self.state: RowState | None = None
        self.rows: Rows | None = None

    def __len__(self) -> int:
        return len(self.streams) + len(self.joining)

    def add(self, stream: Stream) -> None:
        if stream.remaining > 0:
            self.joining.append(stream)

    def _join(self) -> None:
        if not self.joining:
            return
        parts = ([self.state] if self.streams else []) + [s.state for s in self.joining]
        rows = ([self.rows] if self.streams else []) + [s.rows for s in self.joining]
        self.state, self.rows = RowState.concat(parts), Rows.concat(rows)
        for s in self.joining:
            s.state = None  # the batch holds it now
        self.streams += self.joining
        self.joining = []

    def advance(self, steps: int = 1) -> list[Stream]:
        """Step every stream min(steps, its remaining) characters; returns the streams that finished."""
        self._join()
        if not self.streams:
            return []
        steps = min(steps, min(s.remaining for s in self.streams))
        tokens = np.array([s.token for s in self.streams], np.int64)
        u = np.stack([s.rng.random(steps) for s in self.streams], axis=1)  # (steps, B): the next uniforms of each
        out = self.stepper.run(tokens, self.state, self.rows, u)
        for b, s in enumerate(self.streams):
            s._new.extend(out[:, b].tolist())
            s.token, s.done = int(out[-1, b]), s.done + steps
        finished = [s for s in self.streams if s.remaining == 0]
        if finished:
            keep = [b for b, s in enumerate(self.streams) if s.remaining > 0]
            self.streams = [self.streams[b] for b in keep]
            self.state, self.rows = (self.state.take(keep), self.rows.take(keep)) if keep else (None, None)
        return finished
