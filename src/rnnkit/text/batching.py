"""Truncated-BPTT batching: the corpus as B contiguous streams read in chunks of T characters.

    corpus:  a b c d e f g h i j k l m n o p q r s t u v w x      (N = 24, B = 3, T = 3)

    stream 0:  a b c | d e f | g h        chunk 0: x = [abc, ijk, qrs]  y = [bcd, jkl, rst]
    stream 1:  i j k | l m n | o p        chunk 1: x = [def, lmn, tuv]  y = [efg, mno, uvw]
    stream 2:  q r s | t u v | w x

Row b of chunk i continues row b of chunk i-1, so the hidden state is carried from one chunk to
the next (detached: gradients stop at the chunk boundary) and reset at each epoch start. Each
epoch starts at a different offset in [0, T) (seeded by the epoch) so chunk boundaries move.
Batches are views into one compact token array: no per-window Python objects.
"""

from __future__ import annotations

import numpy as np
import torch


def batches_per_epoch(n_tokens: int, batch_size: int, seq_len: int, shift: bool = True) -> int:
    """Batches an epoch of `StreamBatches` over n_tokens holds. The count uses the largest epoch
    offset so that every epoch has the same number of batches."""
    worst = (n_tokens - (seq_len - 1 if shift else 0)) // batch_size
    return (worst - 1) // seq_len


class StreamBatches:
    def __init__(self, ids: np.ndarray, batch_size: int, seq_len: int, seed: int = 0, shift: bool = True):
        if batch_size < 1 or seq_len < 1:
            raise ValueError("batch_size and seq_len must be >= 1")
        self.ids = ids
        self.batch_size = batch_size
        self.seq_len = seq_len
        self.seed = seed
        self.shift = shift
        if self.batches_per_epoch() < 1:
            raise ValueError(
                f"{len(ids)} tokens are too few for batch_size={batch_size} x seq_len={seq_len}"
            )

    def offset(self, epoch: int) -> int:
        if not self.shift or epoch == 0:
            return 0
        return int(np.random.default_rng([self.seed, epoch]).integers(0, self.seq_len))

    def _stream_len(self, epoch: int) -> int:
        return (len(self.ids) - self.offset(epoch)) // self.batch_size

    def batches_per_epoch(self, epoch: int = 0) -> int:
        return batches_per_epoch(len(self.ids), self.batch_size, self.seq_len, self.shift)

    def streams(self, epoch: int) -> np.ndarray:
        """(B, L) view of the corpus for this epoch."""
        start, length = self.offset(epoch), self._stream_len(epoch)
        return self.ids[start : start + self.batch_size * length].reshape(self.batch_size, length)

    def batch(self, epoch: int, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """x, y: (B, T) int64, y shifted one character ahead of x."""
        streams = self.streams(epoch)
        a = index * self.seq_len
        x = torch.from_numpy(streams[:, a : a + self.seq_len].astype(np.int64))
        y = torch.from_numpy(streams[:, a + 1 : a + 1 + self.seq_len].astype(np.int64))
        return x, y
