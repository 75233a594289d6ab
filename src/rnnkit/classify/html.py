"""A self-contained HTML page that highlights each character/word of a text by its attention weight."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from rnnkit.classify.encoding import SequenceEncoder, tokenize
from rnnkit.files import write_text

_STYLE = """body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.9}
.ex{margin:1.2em 0;padding:.6em;border:1px solid #ddd;border-radius:4px}
.t{font-size:.85em;color:#555}.cut{color:#aaa}span.w{border-radius:3px;padding:1px 0}"""


def highlight(text: str, enc: SequenceEncoder, weights: np.ndarray) -> str:
    """`text` as HTML with every token's background red in proportion to weight / max weight.
    Text past max_len (truncated before the model saw it) is grey."""
    spans = tokenize(text, enc.tokens, enc.lowercase, enc.keep_digits)
    shown = spans[: enc.max_len]
    w = np.asarray(weights[: len(shown)], dtype=float)
    top = max(float(w.max()) if len(w) else 0.0, 1e-12)
    parts, pos = [], 0
    for (_, start, end), weight in zip(shown, w):
        parts.append(html.escape(text[pos:start]))
        alpha = weight / top
        parts.append(f'<span class="w" title="{weight:.4f}" style="background:rgba(220,30,30,{alpha:.3f})">'
                     f"{html.escape(text[start:end])}</span>")
        pos = end
    if pos < len(text):
        tail = html.escape(text[pos:])
        parts.append(f'<span class="cut" title="truncated">{tail}</span>' if len(spans) > len(shown) else tail)
    return "".join(parts)


def attention_html(enc: SequenceEncoder, texts: list[str], weights: np.ndarray, titles: list[str],
                   path: str | Path) -> Path:
    blocks = [
        f'<div class="ex"><div class="t">{html.escape(title)}</div>{highlight(text, enc, w)}</div>'
        for text, w, title in zip(texts, weights, titles)
    ]
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>attention</title><style>{_STYLE}</style>"
            f"</head><body><h2>Attention weights ({enc.tokens} tokens; darker = more weight, hover for the value)</h2>"
            + "\n".join(blocks) + "</body></html>\n")
    path = Path(path)
    write_text(path, page)
    return path
