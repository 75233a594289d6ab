"""`rnnkit quantize`: an int8 run folder that loads with weights_only, holds int8 tensors,
computes with exactly the stored int8 weights, stays close to the float model, and is accepted
by every task command."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch

from rnnkit.cli import main
from rnnkit.export.quantize import _quantized_weights, quantize_module
from rnnkit.train.checkpoint import load_checkpoint
from tests.export import runs


@pytest.fixture(scope="module")
def text_int8(export_root, text_lstm):
    out = export_root / "text_int8"
    assert main(["quantize", "--run", str(text_lstm), "--out", str(out)]) == 0
    return out


def test_text_int8_checkpoint_is_plain_tensors(text_lstm, text_int8):
    raw = torch.load(text_int8 / "best.pt", weights_only=True)  # raises on anything but tensors / plain data
    assert raw["kind"] == "text" and raw["extra"]["quantized"]["dtype"] == "qint8"
    int8 = [k for k, v in raw["model"].items() if v.dtype == torch.int8]
    assert "core.rnn.weight_ih_l0" in int8 and "head.weight" in int8
    float_bytes = sum(v.numel() * v.element_size() for v in load_checkpoint(text_lstm)["model"].values())
    int8_bytes = sum(v.numel() * v.element_size() for v in raw["model"].values())
    assert int8_bytes < 0.5 * float_bytes


def test_loaded_int8_weights_are_the_stored_ones(text_lstm, text_int8):
    from rnnkit.text.task import load_text_model

    float_model, _, _ = load_text_model(text_lstm)
    int8_model, _, _ = load_text_model(text_int8)
    assert isinstance(int8_model.core.rnn, torch.ao.nn.quantized.dynamic.LSTM)
    want, got = _quantized_weights(quantize_module(float_model)), _quantized_weights(int8_model)
    assert set(want) == set(got)
    for key in want:
        assert torch.equal(want[key].int_repr(), got[key].int_repr()), key
        assert want[key].q_scale() == got[key].q_scale()


def test_text_commands_accept_the_int8_run(export_root, text_lstm, text_int8, capsys):
    corpus = export_root / "corpus.txt"
    scores = []
    for run in (text_lstm, text_int8):
        assert main(["text", "score", "--run", str(run), "--file", str(corpus), "--json"]) == 0
        scores.append(float(capsys.readouterr().out.split('"bits_per_char": ')[1].split(",")[0]))
    assert abs(scores[0] - scores[1]) < 0.05
    assert main(["text", "generate", "--run", str(text_int8), "--prompt", "All:", "--length", "30", "--seed", "2"]) == 0
    assert len(capsys.readouterr().out.rstrip("\n")) == 4 + 30


@pytest.fixture(scope="module")
def forecast_int8(export_root, forecast_lstm):
    out = export_root / "forecast_int8"
    assert main(["quantize", "--run", str(forecast_lstm), "--out", str(out)]) == 0
    return out


def _predicted(run, export_root, capsys) -> np.ndarray:
    """`forecast predict`'s yhat, q10, q90 columns for the test series."""
    capsys.readouterr()
    assert main(["forecast", "predict", "--run", str(run), "--csv", str(export_root / "series.csv")]) == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    return np.array([[float(r["yhat"]), float(r["q10"]), float(r["q90"])] for r in rows])


def test_forecast_predict_accepts_the_int8_run(export_root, forecast_lstm, forecast_int8, capsys):
    np.testing.assert_allclose(_predicted(forecast_int8, export_root, capsys),
                               _predicted(forecast_lstm, export_root, capsys), rtol=0.01)


def test_an_ensemble_quantizes_every_member(export_root, forecast_ensemble, capsys):
    out = export_root / "forecast_ensemble_int8"
    assert main(["quantize", "--run", str(forecast_ensemble), "--out", str(out)]) == 0
    raw = torch.load(out / "best.pt", weights_only=True)
    int8 = {k for k, v in raw["model"].items() if v.dtype == torch.int8}
    assert {"members.0.head.weight", "members.1.head.weight"} <= int8
    np.testing.assert_allclose(_predicted(out, export_root, capsys),
                               _predicted(forecast_ensemble, export_root, capsys), rtol=0.01)


def test_classify_predict_accepts_the_int8_run(export_root, classify_attention, capsys):
    out = export_root / "classify_int8"
    assert main(["quantize", "--run", str(classify_attention), "--out", str(out)]) == 0
    capsys.readouterr()
    probs = []
    for run in (classify_attention, out):
        assert main(["classify", "predict", "--run", str(run), "--data", str(export_root / "texts.tsv")]) == 0
        rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
        probs.append(np.array([float(r["p_spam"]) for r in rows]))
    assert np.abs(probs[1] - probs[0]).max() < 0.05


def test_random_feature_classifier_quantizes_its_layers_and_keeps_the_kernels_float(
        export_root, classify_kernels, capsys):
    """int8 covers LSTM/GRU/Linear layers: the random convolutions stay float; ONNX export of the
    int8 copy says to export the float run."""
    out = export_root / "classify_kernels_int8"
    assert main(["quantize", "--run", str(classify_kernels), "--out", str(out)]) == 0
    state = torch.load(out / "best.pt", weights_only=True)["model"]
    assert state["feature_head.weight"].dtype == torch.int8 and state["features.weight"].dtype == torch.float32
    data = export_root / "tiny60_TRAIN.tsv"
    capsys.readouterr()
    assert main(["classify", "predict", "--run", str(out), "--data", str(data)]) == 0
    assert capsys.readouterr().out.count("\n") > 1
    assert main(["export", "--run", str(out), "--out", str(export_root / "int8.onnx")]) == 2
    err = capsys.readouterr().err
    assert "int8 quantized model; export the float run" in err and "Traceback" not in err


def test_quantize_bad_input(export_root, text_int8, forecast_int8, tmp_path, capsys):
    def error(argv, fragment):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 2 and fragment in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err

    error(["quantize", "--run", str(text_int8), "--out", str(tmp_path / "again")], "already quantized")
    error(["quantize", "--run", str(tmp_path), "--out", str(tmp_path / "q")], "has no checkpoint")
    float_run = load_checkpoint(text_int8)["extra"]["quantized"]["source"]
    error(["quantize", "--run", float_run, "--out", str(text_int8)], "already holds a run")
    error(["export", "--run", str(text_int8), "--out", str(tmp_path / "q.onnx")], "int8 quantized")
    more = runs.series_csv(tmp_path, n=200)  # the training rows plus 40 new ones
    error(["forecast", "update", "--run", str(forecast_int8), "--csv", str(more)], "cannot be trained")
