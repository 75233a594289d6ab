"""Cross-validation folds are stratified, and the select step of bench/ never opens a test file."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from rnnkit.classify.cv import stratified_folds
from tests.classify.conftest import write_texts, write_ucr

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_folds_partition_the_rows_and_are_stratified():
    y = np.array([0] * 10 + [1] * 7 + [2] * 3)
    folds = stratified_folds(y, 3, seed=0)
    held = np.concatenate([h for _, h in folds])
    assert sorted(held.tolist()) == list(range(20))  # every row held out exactly once
    for fit, h in folds:
        assert not set(fit) & set(h) and len(fit) + len(h) == 20
        for c, count in ((0, 10), (1, 7), (2, 3)):
            assert (y[h] == c).sum() in (count // 3, -(-count // 3))  # floor or ceil of count / k
    assert max(len(h) for _, h in folds) - min(len(h) for _, h in folds) <= 1


def test_folds_depend_on_the_seed_only():
    y = np.arange(12) % 2
    assert all((a[1] == b[1]).all() for a, b in zip(stratified_folds(y, 2, 1), stratified_folds(y, 2, 1)))
    assert any((a[1] != b[1]).any() for a, b in zip(stratified_folds(y, 2, 1), stratified_folds(y, 2, 2)))


@pytest.fixture
def bench_modules(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "ucr").mkdir(parents=True)
    (data / "textcls").mkdir()
    write_ucr(data / "ucr" / "GunPoint_TRAIN.tsv", n=24)
    write_ucr(data / "ucr" / "GunPoint_TEST.tsv", n=12, seed=1)
    monkeypatch.setenv("RNNKIT_DATA_DIR", str(data))
    monkeypatch.syspath_prepend(str(BENCH))
    for name in ("classify_sets", "classify_select"):
        sys.modules.pop(name, None)
    import classify_select
    import classify_sets

    opened = []
    real = classify_sets.load

    def spy(path, cfg, need_labels=True):
        opened.append(Path(path).name)
        return real(path, cfg, need_labels)

    monkeypatch.setattr(classify_sets, "load", spy)
    yield classify_select, opened
    for name in ("classify_sets", "classify_select"):
        sys.modules.pop(name, None)


def test_the_select_step_reads_only_the_training_file(bench_modules):
    select, opened = bench_modules
    data, folds = select.folds_of("GunPoint", 3)
    assert opened == ["GunPoint_TRAIN.tsv"]  # the test file is never opened
    assert len(data.labels) == 24
    for fit, held in folds:
        assert len(fit.labels) + len(held.labels) == 24 and "TEST" not in fit.source + held.source
        assert sorted(set(held.labels)) == ["-1", "1"] and held.labels.count("1") == 4  # 12 per class / 3


def test_the_stopping_rule_replay():
    from_curve = [{"val_loss": v, "val_accuracy": a} for v, a in
                  [(1.0, 0.5), (0.8, 0.6), (0.9, 0.7), (0.95, 0.8), (0.99, 0.8), (1.2, 0.9)]]
    sys.path.insert(0, str(BENCH))
    try:
        import classify_select
    finally:
        sys.path.remove(str(BENCH))
    assert classify_select.replay(from_curve, "loss", 2) == 1  # stops after 2 evaluations without a better loss
    assert classify_select.replay(from_curve, "accuracy", 1) == 3  # 0.8 repeated (no gain): stops there
    assert classify_select.replay(from_curve, "accuracy", 2) == 5  # waits one more and finds 0.9
