"""What rnnkit tells people while it works: progress and notes go to stderr, one line each, so
that stdout holds only a command's results (forecasts, generated text, JSON)."""

from __future__ import annotations

import sys


def progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
