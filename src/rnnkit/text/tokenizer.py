"""Character tokenizer over Unicode code points (works for any script: English, Chinese, code).

Encoding is vectorised (code points through numpy), so a 100 MB corpus encodes in seconds without
a Python object per character."""

from __future__ import annotations

import numpy as np

from rnnkit.errors import RnnkitError

# Characters converted per numpy pass: bounds the temporaries (4-8 bytes per character) on big corpora.
CHUNK = 1 << 22


class CharTokenizer:
    def __init__(self, chars: list[str]):
        if len(set(chars)) != len(chars) or any(len(c) != 1 for c in chars):
            raise ValueError("chars must be distinct single characters")
        self.chars = sorted(chars)
        self._codepoints = np.array([ord(c) for c in self.chars], dtype=np.uint32)

    @classmethod
    def from_text(cls, text: str) -> "CharTokenizer":
        seen: set[int] = set()
        for a in range(0, len(text), CHUNK):
            seen.update(np.unique(_codepoints(text[a : a + CHUNK])).tolist())
        return cls([chr(c) for c in sorted(seen)])

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.uint16 if self.vocab_size <= 1 << 16 else np.uint32)

    def unknown(self, text: str) -> list[str]:
        """Characters of `text` outside the vocabulary, in order of first appearance."""
        cps = _codepoints(text)
        idx = np.searchsorted(self._codepoints, cps).clip(0, max(self.vocab_size - 1, 0))
        missing = cps[self._codepoints[idx] != cps] if self.vocab_size else cps
        return list(dict.fromkeys(chr(c) for c in missing.tolist()))

    def encode(self, text: str) -> np.ndarray:
        """Token ids in the tokenizer's compact dtype; unknown characters are an error."""
        out = np.empty(len(text), dtype=self.dtype)
        for a in range(0, len(text), CHUNK):
            cps = _codepoints(text[a : a + CHUNK])
            idx = np.searchsorted(self._codepoints, cps).clip(0, max(self.vocab_size - 1, 0))
            if self.vocab_size == 0 or not np.array_equal(self._codepoints[idx], cps):
                unknown = self.unknown(text)
                shown = ", ".join(repr(c) for c in unknown[:10])
                crlf = "; '\\r' comes from Windows line ends (\\r\\n): convert the file to \\n line ends " \
                    "(e.g. dos2unix)" if "\r" in unknown and "\n" in self.chars else ""
                raise RnnkitError(f"text has characters the model never saw: {shown}{crlf}")
            out[a : a + len(cps)] = idx
        return out

    def decode(self, ids) -> str:
        return "".join(self.chars[i] for i in np.asarray(ids).tolist())

    def to_dict(self) -> dict:
        return {"type": "char", "chars": "".join(self.chars)}

    @classmethod
    def from_dict(cls, data: dict) -> "CharTokenizer":
        if data.get("type") != "char":
            raise RnnkitError(f"unsupported tokenizer type {data.get('type')!r}")
        return cls(list(data["chars"]))


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)
