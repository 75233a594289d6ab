"""Config layering: dataclass defaults <- text defaults (texts only) <- TOML file <- flags."""

from __future__ import annotations

import pytest

from rnnkit.classify.config import TEXT_DEFAULTS, ClassifyRunConfig, resolve_run
from rnnkit.classify.estimator import resolve_config
from rnnkit.errors import RnnkitError


def test_text_defaults_apply_to_texts_only(tmp_path, text_file, ucr_pair):
    numeric = resolve_config(None, {}, ucr_pair[0])
    text = resolve_config(None, {}, text_file)
    assert numeric.train.patience == ClassifyRunConfig().train.patience
    assert text.train.patience == TEXT_DEFAULTS["train"]["patience"] != numeric.train.patience


def test_file_and_flags_override_text_defaults(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text("[train]\npatience = 7\n\n[data]\nmax_len = 50\n")
    cfg = resolve_run(toml, {"train": {"patience": None}, "data": {"max_len": 9}}, is_text=True)
    assert cfg.train.patience == 7 and cfg.data.max_len == 9


def test_unknown_keys_are_errors(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text("[data]\nmaxlen = 50\n")
    with pytest.raises(RnnkitError, match="unknown config key"):
        resolve_run(toml, {}, is_text=False)


def test_example_configs_load_and_the_default_one_matches_the_dataclasses():
    from pathlib import Path

    from rnnkit.config import to_dict

    configs = Path(__file__).resolve().parents[2] / "configs"
    assert to_dict(resolve_run(configs / "classify.toml", {}, is_text=False)) == to_dict(ClassifyRunConfig())
    sms = resolve_run(configs / "classify_sms.toml", {}, is_text=True)
    assert (sms.data.split, sms.data.test_fraction, sms.data.header) == ("ordered", 0.7, False)


def test_train_gives_texts_the_text_defaults_when_the_config_was_not_resolved(tmp_path, text_file):
    from rnnkit.classify.estimator import train

    cfg = ClassifyRunConfig()
    cfg.model.hidden, cfg.train.max_epochs, cfg.train.threads, cfg.data.batch_size = 8, 1, 1, 8
    said = []
    report = train(cfg, text_file, None, tmp_path / "run", log=said.append)
    assert report["encoding"]["ngram_buckets"] == TEXT_DEFAULTS["data"]["ngrams"]
    assert report["encoding"]["blend"] == "val" and any(m.startswith("texts: summary, patience") for m in said)
    resolved = resolve_config(None, {"model": {"hidden": 8}, "train": {"max_epochs": 1, "threads": 1},
                                     "data": {"batch_size": 8, "ngrams": 0}}, text_file)
    said.clear()
    report = train(resolved, text_file, None, tmp_path / "run2", log=said.append)
    assert report["encoding"]["ngram_buckets"] == 0 and not any(m.startswith("texts:") for m in said)


def test_predict_returns_the_labels_and_probabilities_it_writes(tmp_path, ucr_pair):
    import numpy as np

    from rnnkit.classify.estimator import train
    from rnnkit.classify.inference import predict

    cfg = ClassifyRunConfig()
    cfg.model.hidden, cfg.train.max_epochs, cfg.train.threads, cfg.data.batch_size, cfg.data.kernels = 8, 1, 1, 8, 0
    train(cfg, ucr_pair[0], None, tmp_path / "run", log=lambda _: None)
    result = predict(tmp_path / "run", ucr_pair[1], tmp_path / "p.csv", log=lambda _: None)
    assert result["classes"] == ["-1", "1"] and len(result["predicted"]) == result["n"] == 12
    assert result["probabilities"].shape == (12, 2) and np.allclose(result["probabilities"].sum(1), 1, atol=1e-5)
    rows = (tmp_path / "p.csv").read_text().splitlines()[1:]
    assert [r.split(",")[1] for r in rows] == result["predicted"] and result["ids"] is None
