"""Everything fitted on the training part and stored in the checkpoint as plain data: the label
classes, the text vocabulary or the numeric scaler, the patch size and context.

Free of torch (numpy only), so that training, `classify predict` and the ONNX runner
(export/runner.py, no PyTorch) encode inputs with the same code. Leakage is impossible by
construction: `SequenceEncoder.fit` is only ever given the training part (after the validation and
test parts were carved off, see preprocess.py).
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np

from rnnkit.classify.config import DataConfig
from rnnkit.errors import RnnkitError

PAD, UNK = 0, 1
CHAR_GRAMS = (2, 5)  # character n-grams of each word, as the TF-IDF baseline's char_wb analyser reads them
MAX_CHAR_GRAMS = 64  # per token (a word of 15 characters has 62)
_WORD = re.compile(r"\w+|[^\w\s]")
_DIGIT = re.compile(r"\d")


def tokenize(text: str, mode: str, lowercase: bool, keep_digits: bool = True) -> list[tuple[str, int, int]]:
    """(token, start, end) with offsets into `text`, so attention can be drawn on the original.
    Without `keep_digits` every digit of a word token becomes 0, so numbers never seen in training
    (phone numbers, prices) still share a token with numbers of the same shape."""
    if mode == "char":
        spans = [(text[i], i, i + 1) for i in range(len(text))]
    elif mode == "word":
        spans = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
    else:
        raise RnnkitError(f"unknown tokens {mode!r}; use word or char")
    if lowercase:
        spans = [(t.lower(), a, b) for t, a, b in spans]
    if not keep_digits and mode == "word":
        spans = [(_DIGIT.sub("0", t), a, b) for t, a, b in spans]
    return spans


@dataclass
class SequenceEncoder:
    """Turns raw inputs (texts or (T, F) arrays) into padded tensors. All fields are plain data."""

    classes: list[str]
    is_text: bool
    # texts
    tokens: str = "word"
    lowercase: bool = True
    keep_digits: bool = True
    max_len: int = 200
    vocab: list[str] = field(default_factory=list)  # index -> token; 0 = PAD, 1 = UNK
    # numeric
    n_features: int = 0
    normalize: str = "none"
    mean: list[float] = field(default_factory=list)
    std: list[float] = field(default_factory=list)
    patch: int = 1
    context: int = 0  # neighbouring patches seen on either side of each step (0 in runs from before it existed)
    length: int = 0  # longest training series (sizes the random features' dilations)
    shortest: int = 0  # shortest training series (0 in runs from before it was kept): equal to length when the
    # training series are of one length, which lets predict tell a label column from a first value
    features: list[str] = field(default_factory=list)  # long format: the value columns' names, in the model's
    # order (empty in runs from before they were kept, and for formats whose features have no names)

    @classmethod
    def fit(cls, inputs: list, labels: list[str], is_text: bool, cfg: DataConfig,
            features: list[str] | None = None) -> "SequenceEncoder":
        classes = sorted(set(labels), key=_class_key)
        if len(classes) < 2:
            raise RnnkitError(f"the training labels hold a single class ({classes[0]!r}); "
                              "a classifier needs two or more")
        if is_text:
            return cls(classes, True, cfg.tokens, cfg.lowercase, cfg.keep_digits, cfg.max_len,
                       _build_vocab(inputs, cfg))
        if cfg.normalize not in ("train", "series", "none"):
            raise RnnkitError(f"unknown normalize {cfg.normalize!r}; use train, series or none")
        widths = {x.shape[1] for x in inputs}
        if len(widths) != 1:
            raise RnnkitError(f"sequences have different numbers of features: {sorted(widths)}")
        enc = cls(classes, False, n_features=widths.pop(), normalize=cfg.normalize, context=cfg.context,
                  features=list(features or []))
        if cfg.normalize == "train":
            mean, std = spread(np.concatenate(inputs, axis=0))  # (sum T, F) -> (F,), (F,)
            enc.mean, enc.std = mean.tolist(), std.tolist()
        longest = max(len(x) for x in inputs)
        enc.length, enc.shortest = longest, min(len(x) for x in inputs)
        enc.patch = cfg.patch if cfg.patch > 0 else max(1, math.ceil(longest / max(cfg.max_steps, 1)))
        return enc

    @property
    def input_size(self) -> int:
        """Vocabulary size for texts, features per recurrent step for numeric input."""
        return len(self.vocab) if self.is_text else self.n_features * self.patch * (2 * self.context + 1)

    def encode_labels(self, labels: list[str]) -> tuple[np.ndarray, dict[str, int]]:
        """Class indices, with -1 for labels never seen in training (and their counts)."""
        index = {c: i for i, c in enumerate(self.classes)}
        y = np.array([index.get(lab, -1) for lab in labels], dtype=np.int64)
        unseen = Counter(lab for lab in labels if lab not in index)
        return y, dict(sorted(unseen.items()))

    def encode(self, inputs: list):
        """As `encode_arrays`, as torch tensors: (x, lengths, truncated), the network's input."""
        import torch  # here only: the ONNX runner uses this module without PyTorch

        x, lengths, truncated = self.encode_arrays(inputs)
        return torch.from_numpy(x), torch.from_numpy(lengths), truncated

    def encode_arrays(self, inputs: list) -> tuple[np.ndarray, np.ndarray, int]:
        """(x, lengths, truncated): x (N, T) int64 for texts or (N, T, input_size) float32, lengths
        (N,) int64 in recurrent steps, and how many texts were cut to max_len."""
        return self._encode_texts(inputs) if self.is_text else (*self._encode_series(inputs), 0)

    def _encode_texts(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, int]:
        index = {t: i for i, t in enumerate(self.vocab)}
        ids, truncated = [], 0
        for text in texts:
            toks = [index.get(t, UNK) for t, _, _ in tokenize(text, self.tokens, self.lowercase, self.keep_digits)]
            if not toks:
                raise RnnkitError(f"a text has no {self.tokens} tokens: {text[:40]!r}")
            truncated += len(toks) > self.max_len
            ids.append(toks[: self.max_len])
        lengths = np.array([len(t) for t in ids], dtype=np.int64)
        x = np.full((len(ids), int(lengths.max())), PAD, dtype=np.int64)
        for i, t in enumerate(ids):
            x[i, : len(t)] = t
        return x, lengths, truncated

    def _encode_series(self, series: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        p, f = self.patch, self.n_features
        steps = [math.ceil(len(s) / p) for s in series]
        x = np.zeros((len(series), max(steps) * p, f), dtype=np.float32)
        for i, s in enumerate(series):
            if s.ndim != 2 or s.shape[1] != f:
                raise RnnkitError(f"a sequence has {s.shape[-1]} features, the model was trained on {f}")
            x[i, : len(s)] = self.scale(s)
        x = with_context(x.reshape(len(series), max(steps), p * f), self.context)  # (N, T/p, (2c+1)*p*F)
        return x, np.array(steps, dtype=np.int64)

    def scale(self, s: np.ndarray) -> np.ndarray:
        """(T, F) -> (T, F) float32, computed in float64 (1e25 or 1e-12 values scale to order 1)."""
        if self.normalize == "train":
            return ((s.astype(np.float64) - np.asarray(self.mean)) / np.asarray(self.std)).astype(np.float32)
        if self.normalize == "series":
            mean, std = spread(s)
            return ((s.astype(np.float64) - mean) / std).astype(np.float32)
        return s

    def state(self) -> dict:
        return asdict(self)

    @classmethod
    def from_state(cls, state: dict) -> "SequenceEncoder":
        return cls(**state)


def spread(steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, F) -> per-feature mean and std (F,), float64: in float32 the squares of 1e25 values are
    inf. The std is floored at 1e-6 of the feature's largest magnitude (a constant feature scales to
    0), not at a fixed 1e-8, which would flatten every series of 1e-12 values; 1 for an all-zero one."""
    steps = steps.astype(np.float64)
    floor = 1e-6 * np.abs(steps).max(axis=0)
    return steps.mean(axis=0), np.maximum(steps.std(axis=0), np.where(floor > 0, floor, 1.0))


def with_context(x: np.ndarray, context: int) -> np.ndarray:
    """(N, S, D) patches -> (N, S, (2c+1)*D): each step with its c neighbouring patches on either
    side, in time order, zeros beyond either end. Past a sequence's end the padded patches are
    zeros already, so extra padding never changes what a real step sees."""
    if context == 0:
        return x
    padded = np.pad(x, ((0, 0), (context, context), (0, 0)))
    s = x.shape[1]
    return np.concatenate([padded[:, k: k + s] for k in range(2 * context + 1)], axis=2)


def _class_key(label: str) -> tuple:
    """Numeric labels sort as numbers ('2' before '10'), others alphabetically."""
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


def _build_vocab(texts: list[str], cfg: DataConfig) -> list[str]:
    if cfg.max_len < 1:
        raise RnnkitError(f"max_len must be >= 1, got {cfg.max_len}")
    counts = Counter(t for text in texts for t, _, _ in tokenize(text, cfg.tokens, cfg.lowercase, cfg.keep_digits))
    kept = [t for t, c in counts.most_common(max(cfg.max_vocab - 2, 0)) if c >= cfg.min_freq]
    return ["<pad>", "<unk>", *sorted(kept)]


def char_gram_table(vocab: list[str], buckets: int) -> np.ndarray:
    """(len(vocab), G) int64: for each vocabulary token, its character 2-5-grams within word
    boundaries (" word " -> " w", "wo", ..., "rd ", as scikit-learn's `char_wb`), each hashed
    (CRC-32, stable across processes) into `buckets`, -1 after the last (and for <pad>, <unk>).
    Out-of-vocabulary tokens have no characters to read: the bag sees only in-vocabulary words'."""
    rows = []
    for i, token in enumerate(vocab):
        padded = f" {token} "
        grams = [] if i in (PAD, UNK) else [padded[a: a + n] for n in range(CHAR_GRAMS[0], CHAR_GRAMS[1] + 1)
                                              for a in range(len(padded) - n + 1)]
        rows.append([zlib.crc32(g.encode("utf-8")) % buckets for g in grams[:MAX_CHAR_GRAMS]])
    table = np.full((len(vocab), max(1, max(map(len, rows), default=1))), -1, dtype=np.int64)
    for i, row in enumerate(rows):
        table[i, : len(row)] = row
    return table
