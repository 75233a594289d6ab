"""Splits, vocabulary, scaler and patching: fitted on the training part only, stored as plain data."""

from __future__ import annotations

import numpy as np
import torch
import pytest

from rnnkit.classify.config import DataConfig
from rnnkit.classify.encoding import UNK, SequenceEncoder, tokenize
from rnnkit.classify.preprocess import ordered_split, stratified_split
from rnnkit.errors import RnnkitError


def test_stratified_split_keeps_every_class_on_both_sides():
    y = np.array([0] * 50 + [1] * 10 + [2] * 2)
    keep, carve = stratified_split(y, 0.2, seed=3)
    assert sorted(np.concatenate([keep, carve]).tolist()) == list(range(len(y)))
    assert np.bincount(y[carve]).tolist() == [10, 2, 1]
    assert set(y[keep]) == {0, 1, 2}
    again = stratified_split(y, 0.2, seed=3)
    assert np.array_equal(again[1], carve)
    assert not np.array_equal(stratified_split(y, 0.2, seed=4)[1], carve)


def test_ordered_split_takes_the_last_rows():
    first, last = ordered_split(10, 0.7)
    assert first.tolist() == [0, 1, 2] and last.tolist() == list(range(3, 10))
    with pytest.raises(RnnkitError, match="split fraction must be between 0 and 1, got 1.0"):
        ordered_split(10, 1.0)


def test_tokenize_offsets_point_into_the_original_text():
    text = "Call NOW: 0800!"
    toks = tokenize(text, "word", lowercase=True)
    assert [t for t, _, _ in toks] == ["call", "now", ":", "0800", "!"]
    assert [text[a:b] for _, a, b in toks] == ["Call", "NOW", ":", "0800", "!"]
    assert [t for t, _, _ in tokenize("Ab c", "char", lowercase=False)] == ["A", "b", " ", "c"]


def test_vocabulary_comes_from_training_texts_only():
    enc = SequenceEncoder.fit(["free cash now", "see you soon"], ["spam", "ham"], True, DataConfig())
    assert enc.classes == ["ham", "spam"]
    x, lengths, truncated = enc.encode(["free pizza", "soon"])
    assert x[0, 1].item() == UNK  # "pizza" was never in the training part
    assert lengths.tolist() == [2, 1] and truncated == 0
    assert x[1, 1].item() == 0  # padding


def test_long_texts_are_truncated_and_counted():
    enc = SequenceEncoder.fit(["a b c d e f", "a b"], ["x", "y"], True, DataConfig(max_len=3))
    x, lengths, truncated = enc.encode(["a b c d e f", "a"])
    assert x.shape == (2, 3) and lengths.tolist() == [3, 1] and truncated == 1


def test_single_class_is_rejected():
    with pytest.raises(RnnkitError, match="single class"):
        SequenceEncoder.fit(["a", "b"], ["x", "x"], True, DataConfig())


def test_unseen_labels_are_marked_and_counted():
    enc = SequenceEncoder.fit(["a", "b"], ["x", "y"], True, DataConfig())
    y, unseen = enc.encode_labels(["y", "z", "x", "z"])
    assert y.tolist() == [1, -1, 0, -1] and unseen == {"z": 2}


def test_numeric_labels_sort_as_numbers():
    enc = SequenceEncoder.fit(["a"] * 3, ["10", "2", "-1"], True, DataConfig())
    assert enc.classes == ["-1", "2", "10"]


def test_train_scaler_uses_training_statistics():
    train = [np.array([[0.0, 10.0], [2.0, 30.0]], dtype=np.float32)]
    enc = SequenceEncoder.fit(train * 2, ["a", "b"], False, DataConfig(normalize="train", patch=1, context=0))
    assert enc.mean == [1.0, 20.0] and enc.std == [1.0, 10.0]
    x, lengths, _ = enc.encode([np.array([[1.0, 40.0]], dtype=np.float32)])
    assert x[0, 0].tolist() == [0.0, 2.0] and lengths.tolist() == [1]


def test_series_normalisation_is_per_sequence():
    cfg = DataConfig(normalize="series", patch=1, context=0)
    enc = SequenceEncoder.fit([np.ones((3, 1), np.float32)] * 2, ["a", "b"], False, cfg)
    x, _, _ = enc.encode([np.array([[1.0], [3.0]], dtype=np.float32), np.array([[100.0], [300.0]], dtype=np.float32)])
    assert np.allclose(x[0, :, 0], [-1, 1]) and np.allclose(x[1, :, 0], [-1, 1])


def test_patches_fold_steps_into_features():
    series = [np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(4, dtype=np.float32).reshape(2, 2)]
    enc = SequenceEncoder.fit(series, ["a", "b"], False, DataConfig(normalize="none", patch=2, context=0))
    x, lengths, _ = enc.encode(series)
    assert x.shape == (2, 3, 4) and lengths.tolist() == [3, 1] and enc.input_size == 4
    assert x[0, 0].tolist() == [0, 1, 2, 3] and x[0, 2].tolist() == [8, 9, 0, 0]


def test_context_adds_the_neighbouring_patches_in_time_order():
    series = [np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(4, dtype=np.float32).reshape(2, 2)]
    enc = SequenceEncoder.fit(series, ["a", "b"], False, DataConfig(normalize="none", patch=2, context=1))
    x, lengths, _ = enc.encode(series)
    assert x.shape == (2, 3, 12) and enc.input_size == 12 and lengths.tolist() == [3, 1]
    assert x[0, 0].tolist() == [0, 0, 0, 0] + [0, 1, 2, 3] + [4, 5, 6, 7]  # zeros before the start
    assert x[0, 1].tolist() == [0, 1, 2, 3] + [4, 5, 6, 7] + [8, 9, 0, 0]
    assert x[1, 0].tolist() == [0, 0, 0, 0] + [0, 1, 2, 3] + [0, 0, 0, 0]  # zeros past the end, as padding
    alone, _, _ = enc.encode(series[1:])  # extra padding in a batch never changes a real step
    assert torch.equal(alone[0, 0], x[1, 0])


def test_auto_patch_caps_the_number_of_steps():
    series = [np.zeros((150, 1), np.float32)] * 2
    assert SequenceEncoder.fit(series, ["a", "b"], False, DataConfig(patch=0, max_steps=64)).patch == 3
    assert SequenceEncoder.fit(series, ["a", "b"], False, DataConfig()).patch == 7
    assert SequenceEncoder.fit(series, ["a", "b"], False, DataConfig(patch=0, max_steps=200)).patch == 1


def test_state_round_trip_is_plain_data():
    enc = SequenceEncoder.fit([np.ones((4, 3), np.float32)] * 2, ["a", "b"], False, DataConfig())
    state = enc.state()
    assert all(isinstance(v, (str, int, float, bool, list)) for v in state.values())
    assert SequenceEncoder.from_state(state) == enc


def test_digits_map_to_zero_unless_kept():
    assert [t for t, _, _ in tokenize("Call 0800-123 now", "word", True, keep_digits=False)] == \
        ["call", "0000", "-", "000", "now"]
    assert [t for t, _, _ in tokenize("Call 0800", "word", True, keep_digits=True)][1] == "0800"
    enc = SequenceEncoder.fit(["call 0800", "hi"], ["a", "b"], True, DataConfig())
    x, _, _ = enc.encode(["call 9999"])
    assert UNK not in x[0].tolist()  # an unseen number of a seen shape is not unknown


@pytest.mark.parametrize("normalize", ["train", "series"])
@pytest.mark.parametrize("magnitude", [1e25, 1e-12])
def test_scaling_reads_huge_and_tiny_magnitudes_as_it_reads_order_one(normalize, magnitude):
    rng = np.random.default_rng(0)
    series = [rng.normal(0, 1, (20, 1)).astype(np.float32) for _ in range(6)]
    labels = ["a", "b"] * 3
    cfg = DataConfig(normalize=normalize, patch=1, context=0)
    unit = SequenceEncoder.fit(series, labels, False, cfg).encode_arrays(series)[0]
    scaled = [(s * magnitude).astype(np.float32) for s in series]
    x = SequenceEncoder.fit(scaled, labels, False, cfg).encode_arrays(scaled)[0]
    assert np.isfinite(x).all() and np.allclose(x, unit, atol=1e-4)


def test_random_features_standardise_huge_series():
    """(Checked with the scalers' fix, passing before it: torch's std does not overflow. With
    --normalize none the features read the series as they are; tiny ones are left to the scalers
    above: a kernel's bias, in [-1, 1], hides 1e-12 in float32.)"""
    from rnnkit.models.classifier import RandomConvFeatures

    rng = np.random.default_rng(0)
    x = torch.from_numpy((rng.normal(0, 1, (16, 30, 1)) * 1e25).astype(np.float32))
    features = RandomConvFeatures(1, 50, 30)
    features.fit_scale(x, None)
    f = features(x)  # (16, 100): [PPV; max] per kernel
    assert torch.isfinite(f).all()
    assert f[:, 50:].std(0, unbiased=False).mean() > 0.9  # the maxima vary as the series do, not flattened
