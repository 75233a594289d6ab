"""The classifier network: padding never changes a prediction; attention weights are a
distribution over real steps and exactly 0 on padding."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from rnnkit.models import CLASSIFIER_KINDS, SequenceClassifier
from rnnkit.models.classifier import SUMMARIES, mean_max


def _numeric(kind: str, summary: str = "final") -> SequenceClassifier:
    torch.manual_seed(0)
    return SequenceClassifier(kind, 3, input_size=2, hidden=8, layers=2, dropout=0.1, summary=summary).eval()


def _tokens(kind: str, summary: str = "final") -> SequenceClassifier:
    torch.manual_seed(0)
    return SequenceClassifier(kind, 2, vocab_size=20, hidden=8, embed_dim=6, summary=summary).eval()


@pytest.mark.parametrize("summary", SUMMARIES)
@pytest.mark.parametrize("kind", CLASSIFIER_KINDS)
def test_extra_padding_does_not_change_numeric_predictions(kind, summary):
    model = _numeric(kind, summary)
    x = torch.randn(4, 9, 2)
    lengths = torch.tensor([9, 3, 6, 1])
    out, _ = model(x, lengths=lengths)
    # more padding, and garbage (not zeros) in the padded steps
    padded = torch.cat([x, torch.randn(4, 7, 2) * 100], dim=1)
    for i, n in enumerate(lengths):
        padded[i, n:] = torch.randn(16 - n, 2) * 100
    out2, _ = model(padded, lengths=lengths)
    assert out.logits.shape == (4, 3)
    torch.testing.assert_close(out.logits, out2.logits, rtol=1e-5, atol=1e-5)
    # and a sequence alone, unpadded, gives the same logits as inside the padded batch
    alone, _ = model(x[1:2, :3])
    torch.testing.assert_close(alone.logits[0], out.logits[1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("summary", SUMMARIES)
@pytest.mark.parametrize("kind", CLASSIFIER_KINDS)
def test_extra_padding_does_not_change_token_predictions(kind, summary):
    model = _tokens(kind, summary)
    ids = torch.randint(2, 20, (3, 5))
    lengths = torch.tensor([5, 2, 4])
    ids[1, 2:] = 0
    ids[2, 4:] = 0
    out, _ = model(ids, lengths=lengths)
    out2, _ = model(torch.cat([ids, torch.zeros(3, 6, dtype=torch.int64)], 1), lengths=lengths)
    torch.testing.assert_close(out.logits, out2.logits, rtol=1e-5, atol=1e-5)


def test_attention_weights_sum_to_one_over_real_steps_and_are_zero_on_padding():
    model = _numeric("attention")
    lengths = torch.tensor([7, 2, 5])
    out, _ = model(torch.randn(3, 7, 2), lengths=lengths)
    w = out.weights
    assert w.shape == (3, 7)
    torch.testing.assert_close(w.sum(dim=1), torch.ones(3))
    for i, n in enumerate(lengths):
        assert torch.all(w[i, n:] == 0.0)
        assert torch.all(w[i, :n] > 0.0)


def test_only_attention_returns_weights():
    assert _numeric("bilstm")(torch.randn(2, 4, 2))[0].weights is None
    assert _numeric("attention")(torch.randn(2, 4, 2))[0].weights.shape == (2, 4)


@pytest.mark.parametrize("summary", SUMMARIES)
def test_gradients_reach_every_parameter(summary):
    for kind in CLASSIFIER_KINDS:
        model = _tokens(kind, summary).train()
        out, _ = model(torch.randint(1, 20, (2, 5)), lengths=torch.tensor([5, 3]))
        sum(z.sum() for z in out.heads or (out.logits,)).backward()
        missing = [n for n, p in model.named_parameters() if p.grad is None]
        assert not missing, (kind, summary, missing)


def test_both_summaries_average_the_heads_probabilities():
    model = _numeric("bilstm", "both")
    out, _ = model(torch.randn(3, 5, 2), lengths=torch.tensor([5, 2, 4]))
    assert len(out.heads) == 2 and model.kind == "bilstm"
    mean = sum(torch.softmax(z, -1) for z in out.heads) / 2
    torch.testing.assert_close(torch.softmax(out.logits, -1), mean)
    assert _numeric("bilstm", "final")(torch.randn(1, 3, 2))[0].heads == ()
    assert _numeric("attention", "both").summary == "final"  # attention pools by its own weights


def test_mean_max_ignores_padding():
    out = torch.tensor([[[1.0], [3.0], [-50.0]], [[2.0], [100.0], [7.0]]])  # (2, 3, 1)
    pooled = mean_max(out, torch.tensor([2, 3]))
    torch.testing.assert_close(pooled, torch.tensor([[2.0, 3.0], [109 / 3, 100.0]]))


@pytest.mark.parametrize("kind", ["bilstm", "attention", "gru"])
def test_random_features_ignore_padding_and_add_a_head(kind):
    torch.manual_seed(0)
    model = SequenceClassifier(kind, 3, input_size=2 * 3, hidden=8, summary="both", kernels=20,
                               unpatch=(2, 1, 1), series_len=18)
    x, lengths = torch.randn(3, 9, 6), torch.tensor([9, 4, 6])
    for i, n in enumerate(lengths):
        x[i, n:] = 0.0  # the encoder pads with zeros
    model.fit_features(x, lengths)
    model.eval()
    out, _ = model(x, lengths=lengths)
    assert len(out.heads) == (2 if kind == "attention" else 3)
    padded = torch.cat([x, torch.zeros(3, 5, 6)], dim=1)
    torch.testing.assert_close(model(padded, lengths=lengths)[0].logits, out.logits, rtol=1e-5, atol=1e-5)
    feats = model.features(*model.raw_series(x, lengths))
    assert feats.shape == (3, 40) and torch.isfinite(feats).all()
    # the scaler was fit on these rows: standardised features have mean 0 over them
    torch.testing.assert_close(feats.mean(0), torch.zeros(40), atol=1e-4, rtol=0)


@pytest.mark.parametrize("kind", ["bilstm", "attention", "gru"])
def test_the_ngram_bag_ignores_padding_and_adds_a_head(kind):
    torch.manual_seed(0)
    model = SequenceClassifier(kind, 3, vocab_size=20, hidden=8, ngrams=16)
    nn.init.normal_(model.bag.weight)  # (it starts at zero: no opinion)
    ids, lengths = torch.randint(2, 20, (3, 5)), torch.tensor([5, 2, 4])
    ids[1, 2:] = 0
    ids[2, 4:] = 0
    out, _ = model(ids, lengths=lengths)
    assert len(out.heads) == 2
    padded = torch.cat([ids, torch.zeros(3, 4, dtype=torch.int64)], 1)
    torch.testing.assert_close(model(padded, lengths=lengths)[0].logits, out.logits, rtol=1e-5, atol=1e-5)
    # row 1 holds tokens a, b: its bag is the mean of rows a, b and the pair (a, b)
    a, b = ids[1, 0].item(), ids[1, 1].item()
    pair = 20 + (a * 1_000_003 + b) % 16
    expected = model.bag.weight[[a, b, pair]].mean(0)
    torch.testing.assert_close(model.bag_logits(ids)[1], expected)
    assert SequenceClassifier(kind, 3, input_size=4, hidden=8, ngrams=16).bag is None  # numeric: never


def test_the_tfidf_bag_weighs_grams_as_the_baseline_does():
    """idf from the training texts (sklearn's smoothed formula, 0 for grams no text holds),
    (1 + log tf) per gram, counted once however often it occurs, L2-normalised; padding ignored."""
    model = SequenceClassifier("gru", 2, vocab_size=10, hidden=4, ngrams=1000, bag_weighting="tfidf")
    train = torch.tensor([[2, 2, 3, 0], [3, 4, 0, 0]])
    model.fit_features(train, None)
    pair = lambda a, b: 10 + (a * 1_000_003 + b) % 1000  # noqa: E731
    idf = lambda df: math.log(3 / (1 + df)) + 1  # noqa: E731
    assert model.bag_idf[2].item() == pytest.approx(idf(1)) and model.bag_idf[3].item() == pytest.approx(idf(2))
    assert model.bag_idf[pair(2, 2)].item() == pytest.approx(idf(1))
    assert model.bag_idf[5].item() == 0.0 and model.bag_idf[0].item() == 0.0  # unseen, padding
    nn.init.normal_(model.bag.weight)
    text = torch.tensor([[2, 2, 3, 5, 0, 0]])  # 5 was never seen: it weighs nothing
    values = {2: (1 + math.log(2)) * idf(1), 3: idf(2), pair(2, 2): idf(1), pair(2, 3): idf(1)}
    norm = math.sqrt(sum(v * v for v in values.values()))
    expected = sum(model.bag.weight[g] * v / norm for g, v in values.items())
    torch.testing.assert_close(model.bag_logits(text)[0], expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(model.bag_logits(text), model.bag_logits(text[:, :4]))  # padding changes nothing


@pytest.mark.parametrize("scale", [1.0, 1e-12])
def test_the_bag_learns_at_its_own_learning_rate(tmp_path, scale):
    """The bag's optimizer group carries lr_scale and the trainer applies it: a vanishing scale
    leaves the zero-initialised bag (all but) untouched, the normal one moves it."""
    from rnnkit.classify.config import ClassifyRunConfig
    from rnnkit.classify.estimator import train
    from rnnkit.classify.inference import load_run
    from tests.classify.conftest import write_texts

    cfg = ClassifyRunConfig()
    cfg.model.cell, cfg.model.hidden = "gru", 8
    cfg.train.max_epochs, cfg.train.threads, cfg.train.patience = 2, 1, None
    cfg.data.batch_size, cfg.data.ngrams, cfg.data.ngram_lr_scale, cfg.data.refit = 8, 32, scale, False
    cfg.data.linear_heads = "train"  # the bag starts at zero (as texts do by default)
    train(cfg, write_texts(tmp_path / "t.tsv", sep="\t"), None, tmp_path / "run", log=lambda _: None)
    model = load_run(tmp_path / "run")[0]
    groups = model.optimizer_groups(0.1)
    assert groups[-1]["params"] == [model.bag.weight] and groups[-1]["lr_scale"] == scale
    moved = float(model.bag.weight.detach().abs().max())
    assert (moved > 1e-4) if scale == 1.0 else (moved < 1e-9)


def test_a_run_from_before_the_tfidf_bag_loads_with_the_mean_bag_it_trained(tmp_path):
    """Checkpoints written before `ngram_weighting` existed have no such key and no idf buffer:
    they load with the mean weighting and predict as they did (whatever the defaults become)."""
    from rnnkit.classify.config import ClassifyRunConfig
    from rnnkit.classify.estimator import train
    from rnnkit.classify.inference import load_run
    from rnnkit.train import load_checkpoint, save_checkpoint
    from tests.classify.conftest import write_texts

    cfg = ClassifyRunConfig()
    cfg.model.cell, cfg.model.hidden = "gru", 8
    cfg.train.max_epochs, cfg.train.threads, cfg.train.patience = 1, 1, None
    cfg.data.batch_size, cfg.data.ngrams, cfg.data.ngram_weighting, cfg.data.refit = 8, 32, "mean", False
    train(cfg, write_texts(tmp_path / "t.tsv", sep="\t"), None, tmp_path / "run", log=lambda _: None)
    model, enc, _ = load_run(tmp_path / "run")
    ids = torch.randint(2, enc.input_size, (3, 6))
    before = model(ids)[0].logits
    ckpt = load_checkpoint(tmp_path / "run", kind="classify")
    del ckpt["config"]["data"]["ngram_weighting"]  # as an older rnnkit wrote it
    save_checkpoint(tmp_path / "run" / "best.pt", {k: v for k, v in ckpt.items() if k not in ("format", "version")})
    old, _, old_cfg = load_run(tmp_path / "run")
    assert old.bag_weighting == "mean" and old_cfg.data.ngram_weighting == "mean"
    assert "bag_idf" not in dict(old.named_buffers())
    torch.testing.assert_close(old(ids)[0].logits, before)
