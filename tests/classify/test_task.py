"""The task adapter: batches are a pure function of (seed, epoch, index), cover every row once per
epoch, and augmentation never touches padding."""

from __future__ import annotations

import torch

from rnnkit.classify.task import ClassifyTask, Encoded


def _data(n: int = 50) -> Encoded:
    g = torch.Generator().manual_seed(0)
    lengths = torch.randint(1, 9, (n,), generator=g)
    x = torch.randn(n, 8, 2, generator=g) * (torch.arange(8)[None, :, None] < lengths[:, None, None])
    return Encoded(x, lengths, torch.arange(n) % 3)


def test_batches_are_deterministic_and_cover_each_row_once():
    data = _data()
    task = ClassifyTask(data, data, batch_size=7, seed=5, monitor="loss")
    assert task.batches_per_epoch() == 8
    seen = torch.cat([task.batch(2, i)[2] for i in range(8)])
    assert len(seen) == 50
    fresh = ClassifyTask(data, data, batch_size=7, seed=5, monitor="loss")
    for i in (0, 3, 7):
        for a, b in zip(task.batch(2, i), fresh.batch(2, i)):
            assert torch.equal(a, b)
    assert not torch.equal(task.batch(3, 0)[0], task.batch(2, 0)[0])


def test_batches_are_cut_to_their_longest_sequence():
    task = ClassifyTask(_data(), _data(), batch_size=7, seed=0, monitor="loss")
    x, lengths, _ = task.batch(0, 1)
    assert x.shape[1] == int(lengths.max())


def test_jitter_changes_real_steps_only():
    data = _data()
    plain = ClassifyTask(data, data, batch_size=10, seed=1, monitor="loss")
    noisy = ClassifyTask(data, data, batch_size=10, seed=1, monitor="loss", jitter=0.5)
    for i in range(5):
        x0, lengths, _ = plain.batch(0, i)
        x1, _, _ = noisy.batch(0, i)
        real = torch.arange(x0.shape[1])[None, :] < lengths[:, None]
        assert torch.all(x1[~real] == 0)
        assert not torch.allclose(x1[real], x0[real])
        assert torch.equal(x1, noisy.batch(0, i)[0])  # same noise when the batch is read again (resume)


def test_monitor_names():
    data = _data()
    assert ClassifyTask(data, data, 8, 0, "loss").monitor == "val_loss"
    assert ClassifyTask(data, data, 8, 0, "accuracy").monitor == "val_error"
