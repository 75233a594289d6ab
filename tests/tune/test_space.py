"""Search spaces: defaults per task, and a TOML file that narrows, fixes, drops and extends them."""

from __future__ import annotations

import pytest

from rnnkit.errors import RnnkitError
from rnnkit.forecast.config import ForecastRunConfig
from rnnkit.text.task import TextRunConfig
from rnnkit.tasks import names
from rnnkit.tune.space import apply, default_space, load_space


def _space(tmp_path, text, task="text", cls=TextRunConfig):
    path = tmp_path / "space.toml"
    path.write_text(text)
    return {p.path: p for p in load_space(task, cls, path)}


def test_default_spaces_cover_the_practitioners_ranges():
    for task in names():
        params = default_space(task)
        byname = {p.path: p for p in params}
        assert (byname["model.hidden"].low, byname["model.hidden"].high) == (64, 512), task
        assert (byname["model.layers"].low, byname["model.layers"].high) == (1, 3), task
        assert (byname["model.dropout"].low, byname["model.dropout"].high) == (0.0, 0.5), task
        assert byname["train.lr"].log and (byname["train.lr"].low, byname["train.lr"].high) == (1e-4, 1e-2), task
        assert "model.cell" in byname and any(k.endswith("batch_size") for k in byname), task
    assert "data.seq_len" in {p.path for p in default_space("text")}
    assert "forecast.lookback" in {p.path for p in default_space("forecast")}


def test_toml_narrows_fixes_drops_and_extends(tmp_path):
    space = _space(tmp_path, """
[model.hidden]
low = 64
high = 128
[model.cell]
choices = ["gru"]
[model.dropout]
search = false
[train.weight_decay]
low = 0.0
high = 0.1
[model.layer_norm]
choices = [true, false]
""")
    hidden = space["model.hidden"]
    assert (hidden.kind, hidden.low, hidden.high, hidden.log) == ("int", 64, 128, True)  # log kept from the default
    assert space["model.cell"].choices == ("gru",)
    assert "model.dropout" not in space
    assert space["train.weight_decay"].kind == "float" and space["train.weight_decay"].high == 0.1
    assert space["model.layer_norm"].choices == (True, False)
    assert space["train.lr"].low == 1e-4  # untouched parameters keep their defaults


def test_forecast_sections_are_known(tmp_path):
    space = _space(tmp_path, "[forecast.lookback]\nchoices = [10, 20]\n", "forecast", ForecastRunConfig)
    assert space["forecast.lookback"].choices == (10, 20)


@pytest.mark.parametrize("text, message", [
    ("[model.hiden]\nlow = 1\nhigh = 2\n", "unknown key model.hiden"),
    ("[model.CELLS]\nchoices = [\"lstm\"]\n", "unknown key model.CELLS"),  # a class constant, not a key
    ("[modle.hidden]\nlow = 1\nhigh = 2\n", "unknown section [modle]"),
    ("[model.hidden]\nlo = 1\n", "unknown setting(s) lo"),
    ("[model.hidden]\nlow = 300\nhigh = 100\n", "is above"),
    ("[model.hidden]\nlow = 1.5\nhigh = 3\n", "whole numbers"),
    ("[train.lr]\nlow = 0.0\nhigh = 0.1\nlog = true\n", "needs low > 0"),
    ("[model.cell]\nlow = 1\nhigh = 2\n", "not numeric"),
    ("[model.cell]\nchoices = []\n", "non-empty list"),
    ("[train.weight_decay]\nlow = 0.1\n", "needs low and high"),
    ("model = 3\n", "must be a table"),
])
def test_bad_space_files_are_one_line_errors(tmp_path, text, message):
    with pytest.raises(RnnkitError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")) as e:
        _space(tmp_path, text)
    assert "\n" not in str(e.value)


def test_apply_sets_dotted_paths_without_touching_the_base():
    base = {"model": {"hidden": 256}, "train": {"lr": 1e-3}}
    out = apply(base, {"model.hidden": 64, "train.lr": 0.01})
    assert out == {"model": {"hidden": 64}, "train": {"lr": 0.01}}
    assert base["model"]["hidden"] == 256
