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
