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


def _dummy() -> TaskSpec:
    def fail(*args):
        raise AssertionError("not called in these tests")

    return TaskSpec(
        kind="echo", run_config=lambda: EchoRunConfig, help_defaults=lambda: [("", {"model": {"hidden": 7}})],
        resolve=lambda config_file, overrides, data: EchoRunConfig(), monitor=lambda cfg: "val_echo",
        check=fail, train_trial=fail, tune_choices=(("data.width", (1, 2)),),
        load_model=lambda path: f"echo model from {path}", export_source=fail, onnx_output="echo",
        onnx_pick=lambda out: out, run_onnx=fail, serve_load=lambda path: ({"model": "echo"}, {"path": path}),
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
