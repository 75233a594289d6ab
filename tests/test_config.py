import pytest

from rnnkit.config import ModelConfig, TrainConfig, from_dict, resolve, to_dict, to_toml
from rnnkit.errors import RnnkitError
from rnnkit.text.task import TextRunConfig


def test_precedence_defaults_then_toml_then_flags(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("[model]\nhidden = 64\nlayers = 3\n[train]\nlr = 0.01\n")
    cfg = resolve(TextRunConfig, f, {"model": {"layers": 1, "cell": None}, "train": {}})
    assert cfg.model.hidden == 64  # from the file
    assert cfg.model.layers == 1  # the flag wins
    assert cfg.model.cell == TextRunConfig().model.cell  # None means "flag not given"
    assert cfg.train.lr == 0.01


def test_unknown_keys_are_errors(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("[model]\nhiden = 64\n")
    with pytest.raises(RnnkitError, match="model.hiden"):
        resolve(TextRunConfig, f, {})
    with pytest.raises(RnnkitError, match="unknown config key"):
        from_dict(TextRunConfig, {"modle": {}})


def test_types_are_checked():
    with pytest.raises(RnnkitError, match="hidden must be int"):
        from_dict(ModelConfig, {"hidden": "big"})
    with pytest.raises(RnnkitError, match="max_steps must be int, got True"):  # a bool is no int here
        from_dict(TrainConfig, {"max_steps": True})
    assert from_dict(TrainConfig, {"lr": 1}).lr == 1.0  # ints are fine for floats


def test_round_trip_through_dict_and_toml(tmp_path):
    import tomllib

    cfg = TextRunConfig()
    cfg.model.hidden = 32
    assert from_dict(TextRunConfig, to_dict(cfg)) == cfg
    text = to_toml(to_dict(cfg))
    parsed = tomllib.loads(text)
    assert from_dict(TextRunConfig, parsed).model.hidden == 32


def test_bad_toml_is_a_user_error(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("[model\n")
    with pytest.raises(RnnkitError, match="not valid TOML"):
        resolve(TextRunConfig, f, {})


def test_example_text_configs_load_and_text_toml_states_the_defaults():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "configs"
    assert resolve(TextRunConfig, root / "text.toml", {}) == TextRunConfig()
    assert resolve(TextRunConfig, root / "text-small.toml", {}).model.cell == "gru"
