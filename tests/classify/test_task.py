"""The task adapter: batches are a pure function of (seed, epoch, index), cover every row once per
epoch, augmentation never touches padding, and the loss is the mixup-weighted cross-entropy."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from rnnkit.classify.task import ClassifyTask, Encoded
from rnnkit.models.classifier import Classified


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
    x, lengths, *_ = task.batch(0, 1)
    assert x.shape[1] == int(lengths.max())


def test_jitter_changes_real_steps_only():
    data = _data()
    plain = ClassifyTask(data, data, batch_size=10, seed=1, monitor="loss")
    noisy = ClassifyTask(data, data, batch_size=10, seed=1, monitor="loss", jitter=0.5)
    for i in range(5):
        x0, lengths, *_ = plain.batch(0, i)
        x1, *_ = noisy.batch(0, i)
        real = torch.arange(x0.shape[1])[None, :] < lengths[:, None]
        assert torch.all(x1[~real] == 0)
        assert not torch.allclose(x1[real], x0[real])
        assert torch.equal(x1, noisy.batch(0, i)[0])  # same noise when the batch is read again (resume)


def test_monitor_names():
    data = _data()
    assert ClassifyTask(data, data, 8, 0, "loss").monitor == "val_loss"
    assert ClassifyTask(data, data, 8, 0, "accuracy").monitor == "val_error"


def test_without_mixup_the_batch_has_plain_labels():
    data = _data()
    _, _, y, y_mix, lam = ClassifyTask(data, data, batch_size=7, seed=0, monitor="loss").batch(0, 0)
    assert torch.equal(y, y_mix) and torch.all(lam == 1)


def test_mixup_blends_pairs_and_keeps_padding_zero():
    data = _data()
    plain = ClassifyTask(data, data, batch_size=10, seed=1, monitor="loss")
    mixed = ClassifyTask(data, data, batch_size=10, seed=1, monitor="loss", mixup=0.4)
    for i in range(5):
        x0, len0, y0, *_ = plain.batch(0, i)
        x1, len1, y1, y_mix, lam = mixed.batch(0, i)
        assert torch.equal(y0, y1) and torch.all(lam == lam[0]) and 0 < float(lam[0]) < 1
        # every row is lam * its own row + (1 - lam) * the row whose label is y_mix
        m = float(lam[0])
        perm = [next(j for j in range(len(y0)) if torch.allclose(x1[r], m * x0[r] + (1 - m) * x0[j], atol=1e-6))
                for r in range(len(y0))]
        assert torch.equal(y_mix, y0[perm])
        assert torch.equal(len1, torch.maximum(len0, len0[perm]))
        steps = torch.arange(x1.shape[1])[None, :]
        assert torch.all(x1[steps >= len1[:, None]] == 0)
        for a, b in zip(mixed.batch(0, i), mixed.batch(0, i)):
            assert torch.equal(a, b)  # the same mix when the batch is read again (resume)


def test_texts_are_never_mixed():
    ids = Encoded(torch.randint(2, 50, (20, 6)), torch.full((20,), 6), torch.arange(20) % 2)
    x, _, y, y_mix, lam = ClassifyTask(ids, ids, batch_size=8, seed=0, monitor="loss", mixup=0.4).batch(0, 0)
    assert x.dtype == torch.int64 and torch.equal(y, y_mix) and torch.all(lam == 1)


class _Fixed(torch.nn.Module):
    def __init__(self, *heads: torch.Tensor):
        super().__init__()
        self.heads = heads

    def forward(self, x, lengths=None):
        return Classified(self.heads[0], None, self.heads if len(self.heads) > 1 else ()), None


def test_loss_is_weighted_cross_entropy_and_sums_heads():
    g = torch.Generator().manual_seed(0)
    logits, other = torch.randn(6, 3, generator=g), torch.randn(6, 3, generator=g)
    y, y_mix = torch.tensor([0, 1, 2, 0, 1, 2]), torch.tensor([1, 1, 0, 2, 2, 0])
    weights = torch.tensor([0.5, 1.0, 2.0])
    data = _data()
    task = ClassifyTask(data, data, 8, 0, "loss", class_weights=weights)
    x = torch.zeros(6, 1, 1)
    plain, _, _ = task.train_loss(_Fixed(logits), (x, None, y, y, torch.ones(6)), None)
    assert torch.allclose(plain, F.cross_entropy(logits, y, weight=weights))
    lam = torch.full((6,), 0.3)
    mixed, _, _ = task.train_loss(_Fixed(logits), (x, None, y, y_mix, lam), None)
    w_rows = 0.3 * weights[y] + 0.7 * weights[y_mix]
    logp = torch.log_softmax(logits, -1)
    expected = -(0.3 * weights[y] * logp[range(6), y] + 0.7 * weights[y_mix] * logp[range(6), y_mix]).sum() / w_rows.sum()
    assert torch.allclose(mixed, expected)
    two, _, _ = task.train_loss(_Fixed(logits, other), (x, None, y, y, torch.ones(6)), None)
    assert torch.allclose(two, F.cross_entropy(logits, y, weight=weights) + F.cross_entropy(other, y, weight=weights))


def test_concat_pads_both_parts_to_the_longer():
    a = Encoded(torch.ones(2, 3, 2), torch.tensor([3, 2]), torch.tensor([0, 1]))
    b = Encoded(torch.full((1, 5, 2), 2.0), torch.tensor([5]), torch.tensor([1]))
    both = a.concat(b)
    assert both.x.shape == (3, 5, 2) and both.lengths.tolist() == [3, 2, 5] and both.y.tolist() == [0, 1, 1]
    assert torch.all(both.x[:2, 3:] == 0) and torch.equal(both.x[2], b.x[0])
    ids = Encoded(torch.ones(1, 2, dtype=torch.int64), torch.tensor([2]), torch.tensor([0]))
    assert ids.concat(Encoded(torch.ones(1, 4, dtype=torch.int64), torch.tensor([4]), torch.tensor([1]))).x.shape == (2, 4)
