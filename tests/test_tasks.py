"""The task registry (rnnkit/tasks.py): every task is found by its kind, a new task is one
registration, and an unknown kind is a one-line error."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnkit import tasks
from rnnkit.errors import RnnkitError
from rnnkit.taskspec import TaskSpec
from rnnkit.tune.space import default_space
from rnnkit.tune.tasks import get_task


class EchoRunConfig:
    """The dummy task's run config."""


def _echo_routes(app, api) -> None:
    @app.get("/v1/echo")
    def echo(model: str | None = None) -> dict:
        entry = api.pick(model, "echo")
        return {"model": entry.name, "path": str(entry.objects["path"])}


def _dummy() -> TaskSpec:
    def fail(*args):
        raise AssertionError("not called in these tests")

    return TaskSpec(
        kind="echo", run_config=lambda: EchoRunConfig, help_defaults=lambda: [("", {"model": {"hidden": 7}})],
        resolve=lambda config_file, overrides, data: EchoRunConfig(), monitor=lambda cfg: "val_echo",
        check=fail, train_trial=fail, tune_choices=(("data.width", (1, 2)),),
        load_model=lambda path: f"echo model from {path}", export_source=fail, onnx_output="echo",
        onnx_pick=lambda out: out, run_onnx=fail, serve_load=lambda path: ({"model": "echo"}, {"path": path}),
        serve_routes=_echo_routes,
    )


@pytest.fixture
def echo():
    spec = tasks.register(_dummy())
    yield spec
    tasks.unregister("echo")
    assert "echo" not in tasks.names()


def test_the_three_tasks_are_registered_under_their_checkpoint_kinds():
    assert tasks.names()[:3] == ("text", "forecast", "classify")
    for kind in tasks.names():
        spec = tasks.get(kind)
        assert spec.kind == kind
        assert spec.run_config().__name__.endswith("RunConfig")


def test_an_unknown_kind_is_a_one_line_error():
    with pytest.raises(RnnkitError) as e:
        tasks.get("speech", "serve")
    assert str(e.value) == "cannot serve a 'speech' run; rnnkit knows text, forecast, classify runs"
    with pytest.raises(RnnkitError, match="unknown task 'speech'; tune one of text, forecast, classify"):
        get_task("speech")


def test_a_fourth_task_is_one_registration_and_every_lookup_sees_it(echo):
    assert tasks.names()[-1] == "echo" and tasks.get("echo") is echo
    tune = get_task("echo")
    assert tune.config_cls is EchoRunConfig and tune.monitor(None) == "val_echo"
    assert "data.width" in {p.path for p in default_space("echo")}
    assert "model.hidden" in {p.path for p in default_space("echo")}  # the common dimensions too
    with pytest.raises(RnnkitError, match="rnnkit knows text, forecast, classify, echo runs"):
        tasks.get("speech")


def _run_of(kind: str, folder: Path) -> Path:
    from rnnkit.train.checkpoint import save_checkpoint

    folder.mkdir()
    save_checkpoint(folder / "best.pt", {"kind": kind, "config": {}, "extra": {}, "model": {}})
    return folder


def test_serve_quantize_and_export_find_the_fourth_task(echo, tmp_path):
    from rnnkit.export.graphs import _spec
    from rnnkit.export.quantize import _float_model
    from rnnkit.serve.registry import load_run

    run = _run_of("echo", tmp_path / "echo-run")
    entry = load_run(run)
    assert (entry.kind, entry.name, entry.info) == ("echo", "echo-run", {"quantized": False, "model": "echo"})
    assert entry.objects == {"path": run / "best.pt"}
    assert _float_model(run, "echo") == f"echo model from {run}"
    assert _spec("echo").onnx_output == "echo"


def test_the_server_gets_the_fourth_task_s_endpoint_from_its_spec(echo, tmp_path):
    import httpx

    from rnnkit.serve.app import create_app
    from rnnkit.serve.registry import load_run
    from rnnkit.serve.server import start_in_thread

    run = _run_of("echo", tmp_path / "echo-run")
    url, stop = start_in_thread(create_app([load_run(run)]))
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            assert client.get("/v1/echo").json() == {"model": "echo-run", "path": str(run / "best.pt")}
            assert client.post("/v1/forecast", json={}).status_code == 404  # the other tasks' endpoints stay
    finally:
        stop()


@pytest.mark.parametrize("command", ["serve", "export", "quantize"])
def test_a_run_of_an_unknown_kind_is_refused_in_one_line(command, tmp_path, capsys):
    from rnnkit.export.onnx import load_for_export
    from rnnkit.export.quantize import quantize_run
    from rnnkit.serve.registry import load_run

    run = _run_of("speech", tmp_path / "run")
    call = {"serve": lambda: load_run(run), "export": lambda: load_for_export(run),
            "quantize": lambda: quantize_run(run, tmp_path / "q")}[command]
    with pytest.raises(RnnkitError) as e:
        call()
    assert str(e.value) == f"cannot {command} a 'speech' run; rnnkit knows text, forecast, classify runs"


def test_the_cli_finds_a_task_s_commands_and_help_defaults_by_its_kind(echo):
    from rnnkit.cli import build_parser
    from rnnkit.cli.common import command_task, config_defaults

    assert [command_task(c) for c in ("forecast train", "tune classify", "echo train", "forecast predict", "serve")] \
        == ["forecast", "classify", "echo", None, None]
    assert config_defaults("echo") == [("", {"model": {"hidden": 7}})]
    build_parser()  # a task without rnnkit/cli/<kind>.py has no commands of its own, and that is fine


# -- the model kinds: declared once, on each task's model config --------------------------------

def test_each_task_s_model_kinds_are_the_ones_its_network_builds():
    from rnnkit.config import ClassifyModelConfig, ForecastModelConfig, TextModelConfig
    from rnnkit.models import CLASSIFIER_KINDS
    from rnnkit.models.forecaster import ENCODERS
    from rnnkit.models.recurrent import _CELLS

    assert TextModelConfig.CELLS == tuple(_CELLS)
    assert ForecastModelConfig.CELLS == ENCODERS
    assert ClassifyModelConfig.CELLS == CLASSIFIER_KINDS


@pytest.mark.parametrize("kind", ["text", "forecast", "classify"])
def test_cli_choices_and_the_search_space_use_the_declared_kinds(kind):
    from rnnkit.cli.tune import _train_parser

    spec = tasks.get(kind)
    cells = spec.run_config()().model.CELLS
    flag = next(a for a in _train_parser(kind)._actions if a.dest == "cell")
    assert tuple(flag.choices) == cells
    searched = dict(spec.tune_choices)["model.cell"]
    assert set(searched) <= set(cells)
