"""How a global batch is split over ranks (no process group needed: rank and size are faked)."""

from __future__ import annotations

import torch

from rnnkit.train import distributed


def _shards(monkeypatch, n: int, world: int):
    batch = (torch.arange(n), torch.arange(n) * 10)
    out = []
    for r in range(world):
        monkeypatch.setattr(distributed, "rank", lambda r=r: r)
        monkeypatch.setattr(distributed, "world_size", lambda: world)
        out.append(distributed.shard(batch))
    return out


def test_even_batches_split_into_contiguous_disjoint_rows(monkeypatch):
    shards = _shards(monkeypatch, 8, 2)
    assert [s[0].tolist() for s in shards] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert shards[1][1].tolist() == [40, 50, 60, 70]  # every tensor of the batch, the same rows


def test_uneven_batches_give_every_rank_as_many_rows_wrapping_to_the_start(monkeypatch):
    assert [s[0].tolist() for s in _shards(monkeypatch, 5, 2)] == [[0, 1, 2], [3, 4, 0]]
    assert [s[0].tolist() for s in _shards(monkeypatch, 1, 2)] == [[0], [0]]  # never an empty shard


def test_one_process_gets_the_batch_unchanged():
    batch = (torch.arange(3),)
    assert distributed.shard(batch) is batch
