"""Run an exported .onnx file with numpy + onnxruntime only: no PyTorch, no rnnkit model code.

`rnnkit export run --onnx FILE` generates text, forecasts a CSV, or classifies a text or a series,
reading the tokenizer / encoder / forecast pipeline from the file's "rnnkit" metadata. What it
shares with the PyTorch commands is their own torch-free code, not a copy: the character tokenizer
and request checks (`text/tokenizer.py`, `text/checks.py`), the classification encoder
(`classify/encoding.py`) and the forecast pipeline (`forecast/pipeline.py`, `series/`). Sampling
uses numpy's generator (`process` is the numpy twin of sample/processors.py), so a seed reproduces
the runner's own samples, not those of `rnnkit text generate` (torch's generator draws differently).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from rnnkit.classify.encoding import SequenceEncoder
from rnnkit.errors import RnnkitError
from rnnkit.text.checks import check_request, default_prompt
from rnnkit.text.tokenizer import CharTokenizer


class OnnxModel:
    """An exported rnnkit graph and its metadata."""

    def __init__(self, path: str | Path, threads: int = 1):
        try:
            import onnxruntime as ort
        except ImportError:
            raise RnnkitError("running an ONNX file needs onnxruntime: pip install 'rnnkit[export]'") from None
        path = Path(path)
        if not path.is_file():
            raise RnnkitError(f"no such ONNX file: {path}")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as e:
            raise RnnkitError(f"{path} is not a readable ONNX file ({str(e).splitlines()[0][:120]})") from None
        raw = self.session.get_modelmeta().custom_metadata_map.get("rnnkit")
        if raw is None:
            raise RnnkitError(f"{path} was not exported by rnnkit (no 'rnnkit' metadata); use `rnnkit export`")
        self.meta: dict[str, Any] = json.loads(raw)
        self.kind: str = self.meta["kind"]

    def step(self, x: np.ndarray, state: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        """x (B, T[, F]), any T >= 1, through a step graph -> (out after the last step, new state).
        One call when the graph's time axis is free, else one call per step (Elman graphs)."""
        if self.meta["time_dynamic"]:
            result = self.session.run(None, {"x": x, **dict(zip(("h", "c"), state))})
            return result[0], result[1:]
        out = None
        for t in range(x.shape[1]):
            result = self.session.run(None, {"x": x[:, t:t + 1], **dict(zip(("h", "c"), state))})
            out, state = result[0], result[1:]
        return out, state

    def sequence(self, x: np.ndarray) -> np.ndarray:
        """The model's output after reading all of x (B, T[, F]), in one call."""
        if not self.meta["streaming"]:
            return self.session.run(None, {"x": x})[0]
        return self.step(x, zero_state(self.meta, x.shape[0]))[0]


def zero_state(meta: dict, batch: int) -> list[np.ndarray]:
    return [np.zeros([batch if d == "batch" else d for d in s["shape"]], dtype=np.float32) for s in meta["state"]]


def _need(model: OnnxModel, kind: str) -> None:
    if model.kind != kind:
        raise RnnkitError(f"this ONNX file holds a {model.kind} model, not a {kind} model")


# -- text --------------------------------------------------------------------------------------
def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()


def process(logits: np.ndarray, temperature: float, top_k: int | None, top_p: float | None) -> np.ndarray:
    """numpy twin of sample/processors.py for one row of logits."""
    logits = logits.astype(np.float64) / temperature
    if top_k is not None and top_k < len(logits):
        kth = np.sort(logits)[-top_k]
        logits = np.where(logits < kth, -np.inf, logits)
    if top_p is not None and top_p < 1.0:
        order = np.argsort(-logits, kind="stable")
        probs = _softmax(logits[order])
        before = np.cumsum(probs) - probs
        drop = np.zeros(len(logits), dtype=bool)
        drop[order] = before >= top_p
        logits = np.where(drop, -np.inf, logits)
    return logits


def generate(model: OnnxModel, prompt: str, length: int, temperature: float = 1.0, top_k: int | None = None,
             top_p: float | None = None, seed: int | None = None) -> Iterator[str]:
    """Yield `length` characters continuing `prompt`, stepping the graph one character at a time."""
    _need(model, "text")
    tokenizer = CharTokenizer.from_dict(model.meta["tokenizer"])
    check_request(tokenizer, prompt, length, temperature, top_k, top_p, seed)
    ids = tokenizer.encode(prompt or default_prompt(tokenizer)).astype(np.int64)
    rng = np.random.default_rng(seed)
    logits, state = model.step(ids[None], zero_state(model.meta, 1))
    for _ in range(length):
        probs = _softmax(process(logits[0], temperature, top_k, top_p))
        token = int(rng.choice(len(probs), p=probs))
        yield tokenizer.chars[token]
        logits, state = model.step(np.array([[token]], dtype=np.int64), state)


# -- forecast ----------------------------------------------------------------------------------
def forecast(model: OnnxModel, csv: str, horizon: int | None = None):
    """Forecasts past the end of every series in `csv` -> DataFrame (date, yhat, q.. columns), as
    `rnnkit forecast predict` writes them (direct strategy)."""
    import pandas as pd

    from rnnkit.forecast.combine import from_meta
    from rnnkit.forecast.pipeline import Pipeline
    from rnnkit.series.clean import CleanPolicy
    from rnnkit.series.io import from_dataframe, read_csv

    _need(model, "forecast")
    m, d, f = model.meta, model.meta["data"], model.meta["forecast"]
    horizon = f["horizon"] if horizon is None else horizon
    if f["strategy"] != "direct":
        raise RnnkitError("the ONNX runner forecasts direct-strategy models only; use `rnnkit forecast predict`")
    if not 1 <= horizon <= f["horizon"]:
        raise RnnkitError(f"--horizon must be between 1 and {f['horizon']} (the trained horizon), got {horizon}")
    raw = read_csv(csv, d.get("sep", ","), d.get("encoding", "utf-8"), d.get("errors", "strict"))
    lacking = [c for c in d["features"] if c not in raw.columns]
    if lacking:
        raise RnnkitError(f"the model was trained with features {', '.join(d['features'])}; "
                          f"{csv} lacks {', '.join(lacking)}")
    data, _ = from_dataframe(raw, d["date_col"], d["target"], d["features"], d["id_col"],
                             CleanPolicy(**d["policy"]), source=str(csv))
    p = Pipeline.from_state(m["pipeline"])
    need = f["lookback"] + m["first"]
    quantiles, point = m["quantiles"], m["point_index"]
    shrink, combination = float(m["meta"].get("shrink", 1.0)), from_meta(m["meta"], m["pipeline"]["season"])
    frames = []
    for s in data.series:
        if len(s) < need:
            raise RnnkitError(f"series {s.id}: a forecast needs at least {need} rows of history (--lookback)")
        a = p.arrays([s])
        g = np.array([len(s)])
        out = model.sequence(p.inputs(a, g)).astype(np.float64)  # (1, H, Q) in model space
        out = out + (shrink - 1.0) * out[..., point:point + 1]  # as Forecaster._direct
        out = out + p.base(a, g, out.shape[1])[:, :, None]
        levels = np.sort(p.decode(a, g, out)[:, :horizon], axis=-1)  # (1, horizon, Q)
        if combination is not None:
            levels = combination.apply(s, g, levels, point, quantiles)
        levels = p.floor(levels)[0]
        frame = pd.DataFrame({data.id_col: s.id, data.date_col: data.future(s, p.freq, horizon), "yhat": levels[:, point]})
        frame["model"] = combination.made_by(s.id, m["model"]) if combination is not None else m["model"]
        for j, q in enumerate(quantiles):
            if q != 0.5:
                frame[f"q{q * 100:g}"] = levels[:, j]
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out = out if (out["model"] != m["model"]).any() else out.drop(columns="model")  # as predict: which model made it
    return out if len(data.series) > 1 else out.drop(columns=data.id_col)


# -- classify ----------------------------------------------------------------------------------
def encode_series(encoder: SequenceEncoder, series: np.ndarray) -> np.ndarray:
    """(T, F) values -> (1, ceil(T / patch), (2 * context + 1) * patch * F) float32, as in training."""
    s = np.asarray(series, dtype=np.float32)  # as the loaders read series
    if s.ndim == 1 and encoder.n_features == 1:
        s = s[:, None]
    if s.ndim != 2 or s.shape[1] != encoder.n_features or len(s) == 0 or not np.isfinite(s).all():
        raise RnnkitError(f"a series must be (steps, {encoder.n_features}) finite values")
    return encoder.encode_arrays([s])[0]


def classify(model: OnnxModel, item: str | np.ndarray) -> dict[str, float]:
    """Class probabilities for one text (text models) or one (T, F) series (numeric models)."""
    _need(model, "classify")
    enc = SequenceEncoder.from_state(model.meta["encoder"])
    if enc.is_text != isinstance(item, str):
        raise RnnkitError(f"this model classifies {'texts' if enc.is_text else 'numeric series'}")
    x = enc.encode_arrays([item])[0] if enc.is_text else encode_series(enc, item)
    logits = model.sequence(x)[0].astype(np.float64)
    return dict(zip(enc.classes, _softmax(logits).tolist()))
