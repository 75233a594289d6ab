"""ONNX export: every model kind streams (or runs whole) through onnxruntime exactly as PyTorch
computes it, the numpy runner reproduces the PyTorch commands, and bad input is one line, exit 2."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest
import torch

from rnnkit.cli import main
from rnnkit.export import runner
from rnnkit.export.onnx import export_model, export_run
from rnnkit.models import CharLM, SequenceClassifier, WindowForecaster
from tests.export import runs

TOL = 1e-4


def _session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _stream(session, meta, x):
    """Feed x (B, T[, F]) one step at a time, state fed back -> per-step outputs, final state."""
    state = runner.zero_state(meta, x.shape[0])
    outs = []
    for t in range(x.shape[1]):
        result = session.run(None, {"x": x[:, t:t + 1], **dict(zip(("h", "c"), state))})
        outs.append(result[0])
        state = result[1:]
    return outs, state


def _check_a_fresh_input(proto, model, meta, tmp_path, name="model"):
    """Open the written graph in onnxruntime and feed it an input the export's own parity check did
    not use (another batch size, values and, where the graph allows, length): it must give what
    the PyTorch model gives, to TOL."""
    path = tmp_path / f"{name}.onnx"
    path.write_bytes(proto.SerializeToString())
    session = _session(path)
    rng = np.random.default_rng(123)
    steps = meta["time_steps"] + 9 if meta["time_dynamic"] or meta["streaming"] else meta["time_steps"]
    if meta["input_dtype"] == "int64":
        x = rng.integers(2, meta["vocab"], size=(3, steps))
    else:
        x = rng.standard_normal((3, steps, meta["n_inputs"])).astype(np.float32)
    with torch.no_grad():
        out, ref_state = model(torch.from_numpy(x))
    if meta["streaming"]:  # text: the step graph's logits after each step, and the final state
        outs, state = _stream(session, meta, x)
        assert np.abs(np.stack(outs, axis=1) - out.numpy()).max() < TOL
        ref_state = ref_state if isinstance(ref_state, tuple) else (ref_state,)
        assert len(state) == len(ref_state) and all(np.abs(s - r.numpy()).max() < TOL for s, r in zip(state, ref_state))
        return
    result = session.run(None, {"x": x})
    assert len(result) == len(meta["outputs"])
    want = out if meta["kind"] == "forecast" else out.logits
    assert result[0].shape == tuple(want.shape) and np.abs(result[0] - want.numpy()).max() < TOL
    if "attention" in meta["outputs"]:
        assert np.abs(result[1] - out.weights.numpy()).max() < TOL


@pytest.fixture(scope="module")
def text_onnx(export_root, text_lstm):
    """The text run exported through the CLI -> (path, what it printed)."""
    path = export_root / "cli" / "text.onnx"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["export", "--run", str(text_lstm), "--out", str(path)]) == 0
    return path, printed.getvalue()


def test_text_step_graph_streams_like_the_whole_sequence(text_onnx, text_lstm):
    from rnnkit.text.task import load_text_model

    path, printed = text_onnx
    assert "onnxruntime parity: max abs difference" in printed and "step graph" in printed
    model = runner.OnnxModel(path)
    assert model.meta["inputs"] == ["x", "h", "c"] and model.meta["outputs"] == ["logits", "h_out", "c_out"]
    torch_model, tok, _ = load_text_model(text_lstm)
    ids = tok.encode("First Citizen:\nSpeak, speak.").astype(np.int64)[None, :]
    outs, state = _stream(model.session, model.meta, ids)
    with torch.no_grad():
        logits, ref_state = torch_model(torch.from_numpy(ids))
    assert np.abs(np.stack(outs, axis=1) - logits.numpy()).max() < TOL
    assert all(np.abs(s - r.numpy()).max() < TOL for s, r in zip(state, ref_state))
    # a chunk in one call (how the runner reads a prompt), then the rest: same logits, same state
    first, state = model.step(ids[:, :10], runner.zero_state(model.meta, 1))
    last, state = model.step(ids[:, 10:], state)
    assert np.abs(first - logits[:, 9].numpy()).max() < TOL and np.abs(last - logits[:, -1].numpy()).max() < TOL
    assert all(np.abs(s - r.numpy()).max() < TOL for s, r in zip(state, ref_state))


def test_runner_generates_text_without_torch_models(text_onnx, text_lstm, capsys):
    model = runner.OnnxModel(text_onnx[0])
    a = "".join(runner.generate(model, "First", 50, 0.8, top_k=5, top_p=0.9, seed=3))
    b = "".join(runner.generate(model, "First", 50, 0.8, top_k=5, top_p=0.9, seed=3))
    assert len(a) == 50 and a == b and set(a) <= set(model.meta["tokenizer"]["chars"])
    greedy = "".join(runner.generate(model, "First", 20, 1.0, top_k=1))
    from rnnkit.sample import generate
    from rnnkit.text.task import load_text_model

    torch_model, tok, _ = load_text_model(text_lstm)
    assert greedy == "".join(generate(torch_model, tok, "First", 20, 1.0, top_k=1, seed=0))  # argmax agrees
    argv = ["export", "run", "--onnx", str(text_onnx[0]), "--prompt", "All:", "--length", "12", "--seed", "1"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert text.startswith("All:") and text.endswith("\n") and len(text) == 4 + 12 + 1  # prompt, 12 characters


def test_forecast_graph_and_runner_match_predict(export_root, forecast_lstm):
    from rnnkit.forecast.run import predict_run

    run = forecast_lstm
    path = export_root / "forecast_lstm.onnx"
    meta = export_run(run, path)
    assert meta["streaming"] and meta["time_dynamic"]  # the runner sends the whole window in one call
    csv = str(export_root / "series.csv")
    got = runner.forecast(runner.OnnxModel(path), csv)
    want = predict_run(str(run), csv, None, None)
    assert list(got.columns) == list(want.columns)
    assert [c for c in got.columns if c != "model"] == ["date", "yhat", "q10", "q90"]
    if "model" in got.columns:  # the network combined with a statistical forecast: named alike
        assert (got["model"] == want["model"]).all()
    assert (got["date"] == want["date"]).all()
    np.testing.assert_allclose(got[["yhat", "q10", "q90"]].to_numpy(), want[["yhat", "q10", "q90"]].to_numpy(),
                               rtol=1e-5)


def test_an_ensemble_exports_as_one_whole_window_graph_that_matches_predict(export_root, forecast_ensemble):
    from rnnkit.forecast.run import predict_run

    run = forecast_ensemble
    path = export_root / "forecast_lstm_x2.onnx"
    meta = export_run(run, path)
    assert not meta["streaming"]  # the members' states are not one state a consumer could carry
    csv = str(export_root / "series.csv")
    got = runner.forecast(runner.OnnxModel(path), csv)
    want = predict_run(str(run), csv, None, None)
    np.testing.assert_allclose(got[["yhat", "q10", "q90"]].to_numpy(), want[["yhat", "q10", "q90"]].to_numpy(),
                               rtol=1e-5)


def test_the_runner_applies_the_correction_share_and_the_combination(export_root, forecast_lstm, tmp_path):
    """What forecast/estimator.py does after the network (the correction share, the statistical
    combination) the runner does too: forced to 0.5 each here, whatever validation chose."""
    import shutil

    from rnnkit.forecast.run import predict_run
    from rnnkit.train.checkpoint import load_checkpoint, save_checkpoint

    pytest.importorskip("statsforecast")
    run = tmp_path / "run"
    shutil.copytree(forecast_lstm, run)
    ckpt = load_checkpoint(run / "best.pt", kind="forecast")
    ckpt["extra"]["meta"].update(shrink=0.5, combine={"kind": "theta", "weight": 0.5})
    save_checkpoint(run / "best.pt", ckpt)
    path = tmp_path / "forecast.onnx"
    export_run(run, path)
    csv = str(export_root / "series.csv")
    got = runner.forecast(runner.OnnxModel(path), csv)
    want = predict_run(str(run), csv, None, None)
    plain = predict_run(str(forecast_lstm), csv, None, None)
    assert not np.allclose(want["yhat"], plain["yhat"])  # the forced choices do change the forecast
    np.testing.assert_allclose(got[["yhat", "q10", "q90"]].to_numpy(), want[["yhat", "q10", "q90"]].to_numpy(),
                               rtol=1e-5)


def test_classify_attention_whole_graph_takes_any_length(export_root, classify_attention):
    from rnnkit.classify.inference import load_run
    from rnnkit.classify.task import Encoded, predict_proba

    path = export_root / "classify_attention.onnx"
    meta = export_run(classify_attention, path)
    assert not meta["streaming"] and meta["outputs"] == ["logits", "attention"] and meta["time_dynamic"]
    onnx_model = runner.OnnxModel(path)
    model, enc, _ = load_run(classify_attention)
    for text in ["win", "WIN a FREE prize now, call 0800 123 today!", "see you at lunch " * 9]:
        ids, lengths, _ = enc.encode([text])
        probs, _ = predict_proba(model, Encoded(ids, lengths, torch.tensor([-1])))
        got = runner.classify(onnx_model, text)
        assert np.abs(np.array([got[c] for c in enc.classes]) - probs[0]).max() < TOL


def test_classify_numeric_step_graph(export_root):
    from rnnkit.classify.inference import load_run
    from rnnkit.classify.task import Encoded, predict_proba

    run = runs.classify_run(export_root, "gru", text=False, summary="final")
    path = export_root / "classify_gru.onnx"
    meta = export_run(run, path)
    assert meta["streaming"] and meta["inputs"] == ["x", "h"]
    model, enc, _ = load_run(run)
    series = np.random.default_rng(0).normal(size=(20, 1)).astype(np.float32)
    x, lengths, _ = enc.encode([series])
    probs, _ = predict_proba(model, Encoded(x, lengths, torch.tensor([-1])))
    got = runner.classify(runner.OnnxModel(path), series)
    assert np.abs(np.array([got[c] for c in enc.classes]) - probs[0]).max() < TOL


def test_classify_pooled_summary_exports_a_whole_sequence_graph(export_root):
    """A head on the mean and max of all step outputs needs the whole sequence: no step graph."""
    from rnnkit.classify.inference import load_run
    from rnnkit.classify.task import Encoded, predict_proba

    run = runs.classify_run(export_root, "gru", text=False, summary="both")
    path = export_root / "classify_gru_both.onnx"
    meta = export_run(run, path)
    assert not meta["streaming"] and meta["inputs"] == ["x"]
    model, enc, _ = load_run(run)
    for steps in (20, 33):  # the graph takes any length
        series = np.random.default_rng(steps).normal(size=(steps, 1)).astype(np.float32)
        x, lengths, _ = enc.encode([series])
        probs, _ = predict_proba(model, Encoded(x, lengths, torch.tensor([-1])))
        got = runner.classify(runner.OnnxModel(path), series)
        assert np.abs(np.array([got[c] for c in enc.classes]) - probs[0]).max() < TOL


def test_classify_default_random_feature_head_exports_and_matches_torch(export_root, classify_kernels, capsys):
    """The classify defaults (bilstm, both heads, `kernels = 500` random convolutions) on series
    folded into patches of 3: `rnnkit export` writes the graph, and the runner's probabilities equal
    the PyTorch model's to 1e-4 for lengths that are and are not a multiple of the patch."""
    from rnnkit.classify.config import ClassifyRunConfig
    from rnnkit.classify.inference import load_run
    from rnnkit.classify.task import Encoded, predict_proba

    assert ClassifyRunConfig().data.kernels == 500
    run = classify_kernels
    path = export_root / "classify_kernels.onnx"
    assert main(["export", "--run", str(run), "--out", str(path)]) == 0
    assert "parity" in capsys.readouterr().out
    model, enc, _ = load_run(run)
    assert model.features is not None and model.features.out_dim == 1000 and enc.patch == 3
    onnx_model = runner.OnnxModel(path)
    assert not onnx_model.meta["streaming"]
    for steps in (60, 47, 90):
        series = np.random.default_rng(steps).normal(size=(steps, 1)).astype(np.float32)
        x, lengths, _ = enc.encode([series])
        probs, _ = predict_proba(model, Encoded(x, lengths, torch.tensor([-1])))
        got = runner.classify(onnx_model, series)
        assert np.abs(np.array([got[c] for c in enc.classes]) - probs[0]).max() < TOL, steps


def test_attention_classifier_with_random_features_exports_with_parity(tmp_path):
    """The attention graph is composed from the classifier's layers: it must add the features head too."""
    torch.manual_seed(0)
    model = SequenceClassifier("attention", 3, input_size=2 * 3 * 2, hidden=6, kernels=16, unpatch=(2, 1, 2),
                               series_len=40)
    model.fit_features(torch.randn(6, 20, 12), None)
    meta = {"kind": "classify"}
    proto = export_model(model.eval(), meta, False, 12, 12, True)
    assert meta["outputs"] == ["logits", "attention"] and meta["parity"]["max_abs_diff"] < 1e-5
    _check_a_fresh_input(proto, model, meta, tmp_path)


@pytest.mark.parametrize("weights", [[0.3, 0.7], [0.0, 1.0]])
def test_weighed_heads_export_with_parity(weights, tmp_path):
    """Heads weighed by `blend = val` (one of them left out at weight 0): the attention graph, which
    composes the heads itself, and a traced text classifier with its bag both match PyTorch."""
    torch.manual_seed(0)
    attention = SequenceClassifier("attention", 3, input_size=2 * 3 * 2, hidden=6, kernels=16, unpatch=(2, 1, 2),
                                   series_len=40, head_weights=weights)
    attention.fit_features(torch.randn(6, 20, 12), None)
    meta = {"kind": "classify"}
    proto = export_model(attention.eval(), meta, False, 12, 12, True)
    assert meta["parity"]["max_abs_diff"] < 1e-5
    _check_a_fresh_input(proto, attention, meta, tmp_path, "attention")
    text = SequenceClassifier("bilstm", 2, vocab_size=30, hidden=6, ngrams=16, summary="both",
                              bag_weighting="tfidf", head_weights=[0.5, 0.0, 0.5] if weights[0] == 0 else [0.2, 0.3, 0.5])
    text.fit_features(torch.randint(2, 30, (8, 12)), None)
    torch.nn.init.normal_(text.bag.weight)
    meta = {"kind": "classify"}
    proto = export_model(text.eval(), meta, True, 30, 12, True)
    assert meta["parity"]["max_abs_diff"] < 1e-5
    _check_a_fresh_input(proto, text, meta, tmp_path, "text")


def _one_line_error(code, err, fragment):
    lines = [line for line in err.splitlines() if line.startswith("rnnkit: error:")]
    assert code == 2 and len(lines) == 1 and fragment in lines[0], err
    assert "Traceback" not in err


def test_cli_bad_input(export_root, text_lstm, tmp_path, capsys):
    empty = tmp_path / "empty_run"
    empty.mkdir()
    _one_line_error(main(["export", "--run", str(empty), "--out", str(tmp_path / "m.onnx")]),
                    capsys.readouterr().err, "has no checkpoint")
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    _one_line_error(main(["export", "--run", str(text_lstm), "--out", str(blocker / "m.onnx")]),
                    capsys.readouterr().err, "cannot write")
    _one_line_error(main(["export", "--run", str(text_lstm), "--out", str(tmp_path)]),
                    capsys.readouterr().err, "is a folder")
    _one_line_error(main(["export", "run", "--onnx", str(tmp_path / "missing.onnx")]),
                    capsys.readouterr().err, "no such ONNX file")
    before = (text_lstm / "best.pt").read_bytes()  # --out onto the run's own checkpoint, or a user's file
    for out in (text_lstm / "best.pt", tmp_path / "notes.txt"):
        _one_line_error(main(["export", "--run", str(text_lstm), "--out", str(out)]),
                        capsys.readouterr().err, "--out must name a .onnx file")
    assert (text_lstm / "best.pt").read_bytes() == before and not (tmp_path / "notes.txt").exists()
    for tolerance in ("-1", "nan"):
        _one_line_error(main(["export", "--run", str(text_lstm), "--out", str(tmp_path / "m.onnx"),
                              "--tolerance", tolerance]), capsys.readouterr().err, "--tolerance must be")


def test_parity_failure_writes_nothing(text_onnx, text_lstm, tmp_path, monkeypatch):
    import onnx

    from rnnkit.errors import RnnkitError
    from rnnkit.export import onnx as onnx_export

    # reuse the exported graph (the exporter is slow) and make onnxruntime "disagree"
    monkeypatch.setattr(onnx_export, "_export", lambda graph: onnx.load(str(text_onnx[0])))
    monkeypatch.setattr(onnx_export, "parity", lambda blob, model, meta, seed=0: (0.5, 1.0))
    with pytest.raises(RnnkitError, match="disagrees"):
        export_run(text_lstm, tmp_path / "bad.onnx")
    assert not (tmp_path / "bad.onnx").exists()


def test_metadata_is_plain_json(export_root, forecast_lstm):
    path = export_root / "forecast_lstm.onnx"
    if not path.exists():  # normally written by the forecast parity test
        export_run(forecast_lstm, path)
    meta = json.loads(_session(path).get_modelmeta().custom_metadata_map["rnnkit"])
    assert meta["format"] == "rnnkit-onnx" and meta["kind"] == "forecast" and meta["pipeline"]["lookback"] == 10


def test_runner_imports_no_torch(text_onnx, export_root, forecast_lstm, classify_attention):
    """The runner is for machines without PyTorch: generating, forecasting and classifying must
    not import it."""
    forecast_onnx = export_root / "forecast_lstm.onnx"
    if not forecast_onnx.exists():
        export_run(forecast_lstm, forecast_onnx)
    classify_onnx = export_root / "classify_attention.onnx"
    if not classify_onnx.exists():
        export_run(classify_attention, classify_onnx)
    code = (
        "import sys\n"
        "from rnnkit.export import runner\n"
        f"m = runner.OnnxModel({str(text_onnx[0])!r})\n"
        "assert len(''.join(runner.generate(m, 'First', 5, seed=0))) == 5\n"
        f"f = runner.forecast(runner.OnnxModel({str(forecast_onnx)!r}), {str(export_root / 'series.csv')!r})\n"
        "assert len(f) == 3\n"
        f"p = runner.classify(runner.OnnxModel({str(classify_onnx)!r}), 'win a free prize now')\n"
        "assert abs(sum(p.values()) - 1) < 1e-6\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("kind,build", [
    ("classify", lambda: (SequenceClassifier("bilstm", 3, input_size=2, hidden=6, layers=2), False, 2, 9, True)),
    ("forecast", lambda: (WindowForecaster(2, 4, 3, "attention", 6, 1), False, 2, 7, False)),
    ("text", lambda: (CharLM(11, "rnn", 6, 2, layer_norm=True), True, 0, 0, False)),
])
def test_remaining_kinds_export_with_parity(kind, build, tmp_path):
    """Kinds the trained-run tests above do not cover (a bilstm classifier, an attention forecaster,
    an Elman text model with layer norm), at random weights: the export's own parity check passes,
    and the written graph agrees with PyTorch on a fresh input."""
    torch.manual_seed(0)
    model, is_tokens, n_inputs, steps, time_dynamic = build()
    meta = {"kind": kind}
    proto = export_model(model.eval(), meta, is_tokens, n_inputs, steps, time_dynamic)
    assert meta["parity"]["max_abs_diff"] <= meta["parity"]["tolerance"]
    assert meta["streaming"] == (kind == "text")
    _check_a_fresh_input(proto, model, meta, tmp_path)
