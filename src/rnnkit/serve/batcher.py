"""Batched text generation for the server: concurrent /v1/generate requests step together.

One thread per loaded text model runs the batch loop (sample/streams.py): a request's prompt is
read into its own state in the request's thread, then the stream joins the batch before the loop's
next advance (at most `steps` = 16 characters later, a millisecond or two) and leaves when its length is reached. Every row of
the kernel is computed bitwise the same whatever else is in the batch, and each stream samples with
its own seeded uniforms, so a request returns exactly the text it gets alone.

Text goes back through a queue per request: the first characters at once, then whatever was sampled
in each `flush_s` interval (one HTTP chunk per character would cost more than sampling it).
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Iterator

from rnnkit.sample.batch import make_stepper
from rnnkit.sample.streams import Batch, Stream


class TextBatcher:
    def __init__(self, model, tokenizer, steps: int = 16, flush_s: float = 0.05):
        self.stepper = make_stepper(model)
        self.tokenizer, self.steps, self.flush_s = tokenizer, steps, flush_s
        self._cond = threading.Condition()
        self._pending: list[tuple[Stream, queue.SimpleQueue]] = []
        self._thread: threading.Thread | None = None
        self.max_batch = 0  # the largest batch stepped so far (for tests and /v1/models)

    def submit(self, prompt: str, length: int, temperature: float, top_k: int | None, top_p: float | None,
               seed: int | None) -> Iterator[str]:
        """Validate (RnnkitError before anything is sampled), warm the prompt, queue the stream;
        returns the text as it arrives."""
        stream = Stream(self.stepper, self.tokenizer, prompt, length, temperature, top_k, top_p, seed)
        out: queue.SimpleQueue = queue.SimpleQueue()
        if length == 0:
            return iter(())
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="rnnkit-generate", daemon=True)
                self._thread.start()
            self._pending.append((stream, out))
            self._cond.notify()

        def chunks() -> Iterator[str]:
            while (text := out.get()) is not None:
                yield text

        return chunks()

    def _loop(self) -> None:
        batch = Batch(self.stepper)
        sinks: dict[int, list] = {}  # id(stream) -> [queue, last flush time, flushed anything]
        while True:
            with self._cond:
                while not self._pending and not batch:
                    self._cond.wait()
                for stream, out in self._pending:
                    batch.add(stream)
                    sinks[id(stream)] = [out, 0.0, False]
                self._pending.clear()
            finished = batch.advance(self.steps)
            self.max_batch = max(self.max_batch, len(batch.streams) + len(finished))
            now = time.monotonic()
            for s in batch.streams:
                sink = sinks[id(s)]
                if not sink[2] or now - sink[1] >= self.flush_s:
                    sink[0].put(s.take())
                    sink[1], sink[2] = now, True
            for s in finished:
                out = sinks.pop(id(s))[0]
                text = s.take()
                if text:
                    out.put(text)
                out.put(None)
