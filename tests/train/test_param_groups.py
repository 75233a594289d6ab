"""Optimizer parameter groups come from the model (or the default rule), never from names."""

import pytest
import torch
from torch import nn

from rnnkit.errors import RnnkitError
from rnnkit.models import CharLM, SequenceClassifier
from rnnkit.models.groups import decay_groups, optimizer_groups
from rnnkit.train import fit, load_checkpoint, save_checkpoint
from tests.helpers import tiny_task, tiny_text_config, write_corpus


def _ids(group):
    return {id(p) for p in group["params"]}


def test_default_decays_matrices_but_not_embeddings_biases_or_norms():
    model = CharLM(vocab_size=11, hidden=8, layers=1, layer_norm=True, tie_weights=True)
    decay, no_decay = decay_groups(model, 0.1)
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert id(model.embed.weight) in _ids(no_decay)  # tied to the head: counted once, as an embedding
    assert id(model.norm.weight) in _ids(no_decay) and id(model.head.bias) in _ids(no_decay)
    assert _ids(decay) == {id(p) for p in model.core.parameters() if p.dim() >= 2}
    assert len(_ids(decay) | _ids(no_decay)) == len(list(model.parameters()))


def test_an_embedding_named_otherwise_is_still_not_decayed():
    model = nn.Sequential(nn.Embedding(5, 3), nn.Linear(3, 2))  # names "0.weight", "1.weight"
    decay, no_decay = decay_groups(model, 0.1)
    assert _ids(decay) == {id(model[1].weight)}
    assert id(model[0].weight) in _ids(no_decay)


def test_frozen_parameters_and_empty_groups_are_left_out():
    model = nn.Linear(3, 2)
    model.weight.requires_grad_(False)
    groups = decay_groups(model, 0.1)
    assert len(groups) == 1 and groups[0]["weight_decay"] == 0.0 and _ids(groups[0]) == {id(model.bias)}


def test_classifier_groups_cover_every_trainable_parameter_once():
    model = SequenceClassifier("bilstm", n_classes=3, vocab_size=20, hidden=8, summary="both")
    groups = optimizer_groups(model, 0.01)
    seen = [id(p) for g in groups for p in g["params"]]
    assert len(seen) == len(set(seen)) == len(list(model.parameters()))
    assert id(model.embed.weight) in _ids(groups[1])


class _OwnGroups(CharLM):
    def optimizer_groups(self, weight_decay):
        return [{"params": list(self.parameters()), "weight_decay": 0.5}]


def test_fit_uses_the_groups_the_model_offers(tmp_path):
    corpus = write_corpus(tmp_path)
    cfg = tiny_text_config(corpus, max_steps=2, eval_every=2)
    tok, task = tiny_task()
    model = _OwnGroups(tok.vocab_size, hidden=8, layers=1)
    fit(model, task, cfg.train, tmp_path / "run", kind="text", config={}, log=lambda m: None)
    groups = load_checkpoint(tmp_path / "run" / "last.pt")["optimizer"]["param_groups"]
    assert [g["weight_decay"] for g in groups] == [0.5]
    assert len(groups[0]["params"]) == len(list(model.parameters()))


def test_architecture_is_stored_and_checked_on_resume(tmp_path):
    corpus = write_corpus(tmp_path)
    cfg = tiny_text_config(corpus, max_steps=2, eval_every=2)
    tok, task = tiny_task()
    torch.manual_seed(0)
    model = CharLM(tok.vocab_size, hidden=8, layers=1)
    fit(model, task, cfg.train, tmp_path / "run", kind="text", config={}, architecture={"hidden": 8},
        log=lambda m: None)
    assert load_checkpoint(tmp_path / "run" / "last.pt")["architecture"] == {"hidden": 8}
    with pytest.raises(RnnkitError, match=r"changed architecture \(hidden: 8 -> 9\)"):
        fit(model, task, cfg.train, tmp_path / "run", kind="text", config={}, architecture={"hidden": 9},
            resume=True, log=lambda m: None)


def test_a_checkpoint_from_before_the_architecture_key_is_checked_by_its_model_table(tmp_path):
    corpus = write_corpus(tmp_path)
    cfg = tiny_text_config(corpus, max_steps=2, eval_every=2)
    tok, task = tiny_task()
    model = CharLM(tok.vocab_size, hidden=8, layers=1)
    fit(model, task, cfg.train, tmp_path / "run", kind="text", config={"model": {"hidden": 8}},
        architecture={"hidden": 8}, log=lambda m: None)
    last = load_checkpoint(tmp_path / "run" / "last.pt")
    del last["architecture"]
    save_checkpoint(tmp_path / "run" / "last.pt", {k: v for k, v in last.items() if k not in ("format", "version")})
    with pytest.raises(RnnkitError, match=r"changed architecture \(hidden: 8 -> 9\)"):
        fit(model, task, cfg.train, tmp_path / "run", kind="text", config={}, architecture={"hidden": 9},
            resume=True, log=lambda m: None)
