"""Issue 11: every option of every (sub)command has a help text, and its --help shows the default."""

from __future__ import annotations

import argparse
import re

import pytest

from rnnkit.cli import build_parser, main
from rnnkit.cli.common import config_defaults, default_text


def _commands(parser: argparse.ArgumentParser, path: str = ""):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _commands(child, f"{path} {name}".strip())


COMMANDS = dict(_commands(build_parser()))


def _options(parser):
    return [a for a in parser._actions if a.option_strings and not isinstance(a, argparse._HelpAction)]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_has_a_help_text_with_its_default(command):
    parser = COMMANDS[command]
    lacking = [a.option_strings[0] for a in _options(parser) if not (a.help or "").strip()]
    assert not lacking, f"`rnnkit {command}`: no help for {', '.join(lacking)}"
    text = parser.format_help()
    assert "%%" not in text and "None" not in text, text
    formatter = parser._get_formatter()
    for a in _options(parser):
        if a.required or isinstance(a, argparse._VersionAction):
            continue
        shown = formatter._get_help_string(a)
        assert "default" in shown.lower(), f"`rnnkit {command}` {a.option_strings[0]}: {shown!r} shows no default"


def _run_config(command):
    """The dataclass defaults a `<task> train` command starts from, and the texts' own (classify)."""
    from rnnkit.config import to_dict

    if command == "forecast train":
        from rnnkit.forecast.config import ForecastRunConfig

        return to_dict(ForecastRunConfig()), {}
    if command == "classify train":
        from rnnkit.classify.config import TEXT_DEFAULTS, ClassifyRunConfig

        return to_dict(ClassifyRunConfig()), TEXT_DEFAULTS
    from rnnkit.text.task import TextRunConfig

    return to_dict(TextRunConfig()), {}


@pytest.mark.parametrize("command", ["forecast train", "classify train", "text train"])
def test_the_numeric_defaults_in_help_are_the_run_configs(command):
    """A flag that sets a config key shows the dataclass's value, including defaults written into
    the help text by hand ("(default 0.4)"), and leaves the config alone unless given (default None)."""
    data, texts = _run_config(command)
    parser = COMMANDS[command]
    formatter = parser._get_formatter()
    checked = []
    for a in _options(parser):
        section = next((s for s in ("train", "model", "forecast", "data") if a.dest in data.get(s, {})), None)
        if section is None:
            continue
        assert a.default is None, f"`rnnkit {command}` {a.option_strings[0]} overrides the config with {a.default!r}"
        value = data[section][a.dest]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        shown = formatter._get_help_string(a)
        stated = re.findall(r"default:? (-?\d[\d.e-]*)", shown)
        if a.dest in texts.get(section, {}):
            assert re.search(rf"texts:? {texts[section][a.dest]}\b", shown), (a.option_strings[0], shown)
        else:
            assert stated, f"`rnnkit {command}` {a.option_strings[0]}: {shown!r} states no number"
        if stated:
            flag = a.option_strings[0]
            assert float(stated[0].rstrip(".")) == value, f"`rnnkit {command}` {flag}: {shown!r} != {value}"
        checked.append(a.dest)
    assert {"lr", "hidden", "layers", "dropout", "batch_size", "seed"} <= set(checked)


@pytest.mark.parametrize("command", sorted(c for c, p in COMMANDS.items()
                                            if any(isinstance(a, argparse._SubParsersAction) for a in p._actions)))
def test_command_lists_show_no_default(command):
    """A command name is not a setting: `rnnkit --help` lists commands without "(default: none)"."""
    sub = next(a for a in COMMANDS[command]._actions if isinstance(a, argparse._SubParsersAction))
    formatter = COMMANDS[command]._get_formatter()
    assert all("default" not in formatter._get_help_string(choice) for choice in sub._choices_actions)


def test_defaults_come_from_the_run_config():
    forecast = dict(config_defaults("forecast"))[""]
    hidden = next(a for a in COMMANDS["forecast train"]._actions if a.dest == "hidden")
    assert default_text(hidden, config_defaults("forecast")) == f"(default: {forecast['model']['hidden']})"
    patience = next(a for a in COMMANDS["classify train"]._actions if a.dest == "patience")
    assert default_text(patience, config_defaults("classify")) == "(default: none; texts: 15)"
    max_steps = next(a for a in COMMANDS["classify train"]._actions if a.dest == "max_steps")
    assert default_text(max_steps, config_defaults("classify")) == "(default: none)"  # train.max_steps, not data's


def test_text_train_help_has_no_literal_percent_signs():
    assert "10% of" in " ".join(COMMANDS["text train"].format_help().split())


def test_normalize_says_what_it_means_in_each_task():
    forecast = next(a for a in COMMANDS["forecast train"]._actions if a.dest == "normalize")
    classify = next(a for a in COMMANDS["classify train"]._actions if a.dest == "normalize")
    assert "window" in forecast.help and "forecast" not in classify.help
    assert "classify" not in forecast.help.lower()
    assert "per window" in forecast.help and "scaler" in classify.help


@pytest.mark.parametrize("argv, fragment", [
    (["serve", "--run", "x", "--port", "abc"], "argument --port: invalid int value: 'abc' (see `rnnkit serve --help`)"),
    (["forecast", "predict", "--run", "x"], "required: --csv (see `rnnkit forecast predict --help`)"),
    (["fly"], "invalid choice: 'fly'"),
])
def test_a_flag_argparse_cannot_read_is_one_line(argv, fragment, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and err.startswith("rnnkit: error: ") and fragment in err
