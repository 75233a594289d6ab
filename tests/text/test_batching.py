import numpy as np
import pytest
import torch

from rnnkit.text.batching import StreamBatches


def test_layout_matches_the_diagram():
    ids = np.arange(24, dtype=np.uint16)  # a..x
    sb = StreamBatches(ids, batch_size=3, seq_len=3, shift=False)
    assert sb.batches_per_epoch() == 2
    x0, y0 = sb.batch(0, 0)
    assert x0.tolist() == [[0, 1, 2], [8, 9, 10], [16, 17, 18]]
    assert y0.tolist() == [[1, 2, 3], [9, 10, 11], [17, 18, 19]]
    x1, y1 = sb.batch(0, 1)
    assert x1.tolist() == [[3, 4, 5], [11, 12, 13], [19, 20, 21]]
    assert x0.dtype == torch.int64


def test_chunks_are_contiguous_per_stream_for_every_epoch():
    ids = np.arange(1000, dtype=np.uint16)
    sb = StreamBatches(ids, batch_size=4, seq_len=7, seed=3)
    offsets = {sb.offset(e) for e in range(1, 10)}
    assert len(offsets) > 1 and all(0 <= o < 7 for o in offsets)
    for epoch in range(4):
        xs, ys = zip(*(sb.batch(epoch, i) for i in range(sb.batches_per_epoch())))
        x, y = torch.cat(xs, 1), torch.cat(ys, 1)
        assert torch.all(y == x + 1)  # targets are the next character
        assert torch.all(x[:, 1:] == x[:, :-1] + 1)  # each row reads one contiguous stream
        assert x.shape[1] == 7 * sb.batches_per_epoch()


def test_same_epoch_same_batches():
    ids = np.arange(500, dtype=np.uint16)
    a = StreamBatches(ids, 2, 5, seed=1).batch(3, 4)[0]
    b = StreamBatches(ids, 2, 5, seed=1).batch(3, 4)[0]
    assert torch.equal(a, b)


def test_too_short():
    with pytest.raises(ValueError, match="too few"):
        StreamBatches(np.arange(10, dtype=np.uint16), batch_size=4, seq_len=8)
