"""How the prediction weighs its heads (classify/blend.py, `data.blend`): the grid, the choice on a
validation part, the weighted average, and a run whose checkpoint carries the chosen weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from rnnkit.classify.blend import choose_blend, simplex_grid
from rnnkit.classify.task import Encoded
from rnnkit.models.classifier import Classified, SequenceClassifier, average_heads


class _TwoHeads(nn.Module):
    """Head 'sure' gives the label `x[:, 0]` probability 0.9, head 'unsure' is uniform."""

    def head_names(self) -> list[str]:
        return ["sure", "unsure"]

    def forward(self, x, state=None, lengths=None):
        sure = torch.log(torch.full((len(x), 2), 0.1).scatter(1, x[:, :1].long(), 0.9))
        unsure = torch.zeros(len(x), 2)
        return Classified(average_heads([sure, unsure]), None, (sure, unsure)), None


def _part(n: int, seed: int = 0) -> Encoded:
    y = torch.tensor(np.random.default_rng(seed).integers(0, 2, n))
    return Encoded(y.unsqueeze(1).float(), torch.ones(n, dtype=torch.int64), y)


def test_the_grid_starts_with_equal_weights_and_covers_the_simplex():
    grid = simplex_grid(3)
    assert grid[0] == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert len(grid) == 1 + 66  # equal weights, then the C(12, 2) points of steps of 1/10
    assert all(sum(w) == pytest.approx(1.0) and min(w) >= 0 for w in grid)
    assert (1.0, 0.0, 0.0) in grid and (0.0, 0.0, 1.0) in grid


def test_validation_gives_the_weight_to_the_head_that_knows():
    weights, how = choose_blend(_TwoHeads(), _part(40), min_val=30)
    assert weights == [1.0, 0.0]
    assert "sure 1.00" in how and "40 validation sequences" in how


def test_a_small_validation_part_or_a_single_head_keeps_equal_weights():
    weights, how = choose_blend(_TwoHeads(), _part(12), min_val=30)
    assert weights == [] and "12 sequences" in how
    single = SequenceClassifier("gru", 2, input_size=1, hidden=4, summary="final")
    assert choose_blend(single, _part(40), min_val=30)[0] == []


def test_weights_change_the_average_and_equal_weights_change_nothing():
    torch.manual_seed(0)
    a, b = torch.randn(5, 3), torch.randn(5, 3)
    torch.testing.assert_close(average_heads([a, b], [0.5, 0.5]), average_heads([a, b]))
    torch.testing.assert_close(average_heads([a, b], [1.0, 0.0]), torch.log_softmax(a, -1))
    mixed = torch.log(0.3 * torch.softmax(a, -1) + 0.7 * torch.softmax(b, -1))
    torch.testing.assert_close(average_heads([a, b], [0.3, 0.7]), mixed)


def test_the_model_refuses_weights_for_other_heads():
    with pytest.raises(ValueError, match="3 head weights for 2 heads"):
        SequenceClassifier("gru", 2, input_size=1, hidden=4, kernels=10, series_len=20, head_weights=[0.2, 0.3, 0.5])
    model = SequenceClassifier("gru", 2, input_size=1, hidden=4, kernels=10, series_len=20, summary="pooled")
    assert model.head_names() == ["pooled", "features"]
    both = SequenceClassifier("gru", 2, vocab_size=30, hidden=4, ngrams=16, summary="both")
    assert both.head_names() == ["final", "pooled", "bag"]


@pytest.mark.parametrize("refit", [True, False])
def test_a_val_blend_run_predicts_with_the_weights_it_chose(tmp_path, ucr_pair, refit):
    from rnnkit.classify.config import ClassifyRunConfig
    from rnnkit.classify.estimator import train
    from rnnkit.classify.inference import load_run
    from rnnkit.classify.task import predict_proba

    train_file, test_file = ucr_pair
    cfg = ClassifyRunConfig()
    cfg.model.cell, cfg.model.hidden = "gru", 8
    cfg.train.max_epochs, cfg.train.threads = 2, 1
    cfg.data.batch_size, cfg.data.kernels, cfg.data.refit = 8, 20, refit
    cfg.data.blend, cfg.data.val_fraction, cfg.data.min_val_stopping = "val", 0.5, 5
    messages = []
    report = train(cfg, train_file, test_file, tmp_path / "run", log=messages.append)
    model, _, run_cfg = load_run(tmp_path / "run")
    chosen = run_cfg.data.blend_weights
    assert len(chosen) == 2 and sum(chosen) == pytest.approx(1.0)
    assert model.head_weights == chosen
    assert report["encoding"]["head_weights"] == dict(zip(["pooled", "features"], chosen))
    assert any(m.startswith("head weights: pooled") for m in messages)
    shown = ", ".join(f"{name} {w:.2f}" for name, w in zip(["pooled", "features"], chosen))
    assert f"Heads averaged (probabilities): {shown}; weights chosen on the validation part" in (
        tmp_path / "run" / "report.md").read_text()
    from rnnkit.classify.estimator import prepare

    prep = prepare(run_cfg, train_file, test_file, lambda _: None)
    probs, _ = predict_proba(model, prep.test)  # what predict computes: the report's figure
    assert float((probs.argmax(1) == prep.test.y.numpy()).mean()) == pytest.approx(report["test"]["accuracy"])


def test_weights_a_user_sets_are_checked_in_one_line(tmp_path, ucr_pair, capsys):
    from rnnkit.cli import main

    train_file, _ = ucr_pair
    for weights, fragment in (("[0.2, 0.3, 0.5]", "3 head weights for 2 heads (pooled, features)"),
                              ("[0.2, 0.3]", "blend_weights must be >= 0 and sum to 1")):
        config = tmp_path / "weights.toml"
        config.write_text(f"[data]\nblend_weights = {weights}\n")
        out = tmp_path / "run"
        assert main(["classify", "train", "--data", str(train_file), "--config", str(config), "--out", str(out),
                     "--max-epochs", "1"]) == 2
        err = capsys.readouterr().err
        assert fragment in err and "Traceback" not in err and not out.exists()


def test_a_val_blend_that_falls_back_to_equal_weights_says_so_in_the_report(tmp_path, ucr_pair):
    from rnnkit.classify.config import ClassifyRunConfig
    from rnnkit.classify.estimator import train

    cfg = ClassifyRunConfig()
    cfg.model.cell, cfg.model.hidden = "gru", 8
    cfg.train.max_epochs, cfg.train.threads = 1, 1
    cfg.data.batch_size, cfg.data.kernels, cfg.data.refit, cfg.data.blend = 8, 20, False, "val"
    report = train(cfg, *ucr_pair, tmp_path / "run", log=lambda _: None)  # 24 rows: validation < 30
    md = (tmp_path / "run" / "report.md").read_text()
    n = report["sizes"]["validation"]
    assert f"weights equal, not chosen: the validation part holds {n} sequences, fewer than min_val_stopping = 30" in md
    assert "chosen on the validation part" not in md
