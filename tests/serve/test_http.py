"""`rnnkit serve` over real HTTP on a free localhost port: every endpoint, streaming, validation
(each bad body -> 4xx JSON, never 500), body limit, and concurrent requests that share no state."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from rnnkit.cli import main
from rnnkit.serve.server import build, start_in_thread
from tests.export import runs


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    return {"text": runs.text_run(root), "forecast": runs.forecast_run(root),
            "classify": runs.classify_run(root, "attention", text=True),
            "numeric": runs.classify_run(root, "gru", text=False), "root": root}


@pytest.fixture(scope="module")
def client(trained):
    app, _ = build([trained["text"], trained["forecast"], trained["classify"], trained["numeric"]], max_length=300,
                   max_body=16384)
    url, stop = start_in_thread(app)
    with httpx.Client(base_url=url, timeout=60) as c:
        yield c
    stop()


def test_health_models_and_docs(client, trained):
    assert client.get("/healthz").json() == {"status": "ok", "models": 4}
    models = {m["name"]: m for m in client.get("/v1/models").json()["models"]}
    assert {n: m["kind"] for n, m in models.items()} == {
        trained["text"].name: "text", trained["forecast"].name: "forecast", trained["classify"].name: "classify",
        trained["numeric"].name: "classify"}
    assert models[trained["forecast"].name]["stored_context"] == ["series"]
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/generate", "/v1/forecast", "/v1/classify", "/healthz", "/v1/models"} <= set(paths)
    assert client.get("/docs").status_code == 200


def _generate(client, body) -> tuple[str, int]:
    with client.stream("POST", "/v1/generate", json=body) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        chunks = [c for c in r.iter_text() if c]
    return "".join(chunks), len(chunks)


def test_generate_streams_the_same_text_as_the_library(client, trained):
    from rnnkit.sample import generate
    from rnnkit.text.task import load_text_model

    text, chunks = _generate(client, {"prompt": "First", "length": 40, "temperature": 0.9, "top_k": 8, "seed": 7})
    model, tok, _ = load_text_model(trained["text"])
    assert text == "".join(generate(model, tok, "First", 40, 0.9, 8, None, 7))
    assert chunks > 1  # the first character goes out at once, before the rest is sampled


def test_concurrent_requests_equal_sequential_ones(client):
    bodies = [{"prompt": p, "length": 120, "seed": s, "temperature": 1.0}
              for p, s in (("First Citizen:", 1), ("All:\nSpeak", 2))] * 3
    sequential = [_generate(client, b)[0] for b in bodies]
    with ThreadPoolExecutor(len(bodies)) as pool:
        concurrent = list(pool.map(lambda b: _generate(client, b)[0], bodies))
    assert concurrent == sequential and sequential[0] != sequential[1]


def test_concurrent_requests_are_batched_and_each_equals_its_alone_text(client, trained):
    from rnnkit.serve.registry import load_run

    settings = [{"temperature": 0.7}, {"temperature": 1.3, "top_k": 5}, {"top_p": 0.8}, {"top_k": 2, "top_p": 0.9}]
    bodies = [{"prompt": ("First", "All:", "\n", "Speak, speak")[i % 4], "length": 40 + 21 * i, "seed": 100 + i,
               **settings[i % 4]} for i in range(12)]
    alone = [_generate(client, b)[0] for b in bodies]  # one request at a time: a batch of one
    with ThreadPoolExecutor(len(bodies)) as pool:  # lengths differ: streams leave and join mid-way
        together = list(pool.map(lambda b: _generate(client, b)[0], bodies))
    assert together == alone and [len(t) for t in alone] == [b["length"] for b in bodies]
    assert len(set(alone)) == len(alone)
    entry = load_run(trained["text"])  # a fresh server-side batcher, driven directly
    batcher = entry.objects["batcher"]
    streams = [batcher.submit(b["prompt"], b["length"], b.get("temperature", 0.8), b.get("top_k"), b.get("top_p"),
                              b["seed"]) for b in bodies]
    assert ["".join(s) for s in streams] == alone and batcher.max_batch > 1


def test_chunked_body_over_the_limit_is_413(client):
    def chunks():  # no Content-Length: the server counts what arrives
        for _ in range(32):
            yield b" " * 65536

    r = client.post("/v1/generate", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "larger than" in r.json()["error"], r.text


BAD_GENERATE = [
    ({"temperature": 0}, 422), ({"temperature": -1}, 422), ({"top_k": 0}, 422), ({"top_p": 0}, 422),
    ({"top_p": 1.5}, 422), ({"length": -1}, 422), ({"length": 301}, 400), ({"seed": -3}, 422),
    ({"temperature": "hot"}, 422), ({"lenght": 5}, 422), ({"prompt": "\u4e2d"}, 400),
    ({"prompt": "x" * 10_001}, 422), ({"model": "nope"}, 404), ([1, 2], 422), ("text", 422),
    ({"length": True}, 422), ({"length": "20"}, 422), ({"seed": "7"}, 422),  # no silent coercion
]


@pytest.mark.parametrize("body,status", BAD_GENERATE)
def test_bad_generate_bodies_are_4xx_json(client, body, status):
    r = client.post("/v1/generate", json=body)
    assert r.status_code == status and r.json()["error"], r.text


def test_malformed_and_oversized_bodies(client, trained):
    r = client.post("/v1/generate", content=b'{"prompt": ', headers={"content-type": "application/json"})
    assert r.status_code == 422 and "body" in r.json()["error"]
    r = client.post("/v1/forecast", json={"series": [{"ds": "2021-01-01", "y": 1.0}] * 1000})
    assert r.status_code == 413 and "larger than" in r.json()["error"]
    r = client.post("/v1/generate", json={"model": trained["forecast"].name})
    assert r.status_code == 400 and "not a text model" in r.json()["error"]


def test_forecast_stored_context_and_posted_series(client, trained):
    from rnnkit.forecast.run import predict_run

    r = client.post("/v1/forecast", json={"horizon": 2})
    assert r.status_code == 200, r.text
    (f,) = r.json()["forecasts"]
    want = predict_run(str(trained["forecast"]), str(trained["root"] / "series.csv"), 2, None)
    assert f["dates"] == [d.strftime("%Y-%m-%d") for d in want["date"]]
    assert f["values"] == pytest.approx(want["yhat"].tolist()) and set(f["intervals"]) == {"q10", "q90"}
    assert f["model"] == (want["model"].iloc[0] if "model" in want else "lstm")  # what made the forecast
    points = [{"ds": f"2021-03-{d:02d}", "y": 100.0 + (d % 5)} for d in range(1, 21)]
    r = client.post("/v1/forecast", json={"series": points})
    assert r.status_code == 200 and len(r.json()["forecasts"][0]["values"]) == 3


@pytest.mark.parametrize("body,status", [
    ({"horizon": 0}, 422), ({"horizon": 50}, 400), ({"series": []}, 422),
    ({"series": [{"ds": "2021-01-01", "y": 1.0}] * 3}, 400), ({"series": [{"ds": "2021-01-01"}]}, 422),
    ({"series": [{"ds": "not a date", "y": 1.0}] * 12}, 400), ({"series": [{"ds": "2021-01-01", "y": "NaN"}]}, 422),
    ({"series": [{"ds": i, "y": 100.0 + i % 5} for i in range(30)]}, 400),  # positions for a dated model
    ({"series": [{"ds": f"2021-03-{d:02d}", "y": 1.0 + d, "features": {"Open": 1.0}} for d in range(1, 21)]}, 400),
])
def test_bad_forecast_bodies_are_4xx_json(client, body, status):
    r = client.post("/v1/forecast", json=body)
    assert r.status_code == status and r.json()["error"], r.text


def test_classify(client, trained):
    texts = trained["classify"].name
    r = client.post("/v1/classify", json={"model": texts, "text": "WIN a FREE prize now"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body["probabilities"]) == {"ham", "spam"} and body["predicted"] in ("ham", "spam")
    assert sum(body["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    numeric = trained["numeric"].name
    r = client.post("/v1/classify", json={"model": numeric, "series": [0.1 * i for i in range(20)]})
    assert r.status_code == 200 and set(r.json()["probabilities"]) == {"-1", "1"}, r.text
    bad_bodies = [
        ({"model": texts, "series": [1.0, 2.0]}, 400), ({"model": texts, "text": ""}, 422),
        ({"model": texts, "text": "  "}, 400), ({"model": texts, "text": "a", "series": [1.0]}, 400),
        ({"model": numeric, "series": [[1.0, 2.0], [3.0]]}, 400), ({"model": numeric, "series": [[1.0, 2.0]]}, 400),
        ({"model": numeric, "text": "hello"}, 400), ({"model": numeric}, 400),
        ({"series": [1.0]}, 400),  # two classifiers are loaded: "model" must say which
        ({"model": "nope", "text": "a"}, 404),
    ]
    for bad, status in bad_bodies:
        r = client.post("/v1/classify", json=bad)
        assert r.status_code == status and r.json()["error"], (bad, r.text)


def test_cli_serve_bad_input(tmp_path, trained, capsys):
    assert main(["serve", "--run", str(tmp_path)]) == 2
    assert "has no checkpoint" in capsys.readouterr().err
    assert main(["serve", "--run", str(trained["text"]), "--port", "70000"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "rnnkit: error: --port must be in 0 .. 65535, got 70000"
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        assert main(["serve", "--run", str(trained["text"]), "--port", str(busy.getsockname()[1])]) == 2
        assert "choose another --port" in capsys.readouterr().err
    finally:
        busy.close()
    assert main(["serve", "--run", str(trained["text"]), "--host", "999.1.1.1", "--port", "0"]) == 2
    assert "choose another --host" in capsys.readouterr().err


def test_a_request_without_length_gets_the_default_within_the_server_limit(trained):
    app, _ = build([trained["text"]], max_length=10, max_body=4096)
    url, stop = start_in_thread(app)
    try:
        with httpx.Client(base_url=url, timeout=60) as small:
            r = small.post("/v1/generate", json={"prompt": "All:", "seed": 1})
            assert r.status_code == 200 and len(r.text) == 10  # the default 200, capped by --max-length 10
            assert small.post("/v1/generate", json={"length": 11}).status_code == 400  # asked for: refused
    finally:
        stop()


def test_runs_can_be_named_and_int8_runs_served(trained):
    from rnnkit.export.quantize import quantize_run

    int8 = trained["root"] / "text_int8"
    quantize_run(trained["text"], int8)
    _, entries = build([f"shakespeare={trained['text']}", int8], max_length=10, max_body=4096)
    assert [e.name for e in entries] == ["shakespeare", "text_int8"]
    assert [e.info["quantized"] for e in entries] == [False, True]
    assert len("".join(entries[1].objects["batcher"].submit("All:", 10, 1.0, None, None, 0))) == 10


def test_a_long_format_run_is_served_under_its_own_column_names(tmp_path):
    import numpy as np
    import pandas as pd

    from rnnkit.forecast.config import ForecastRunConfig
    from rnnkit.forecast.run import predict_run, train_run

    t = np.arange(1, 121)
    rows = [pd.DataFrame({"unique_id": f"S{k}", "ds": t, "y": 50 + 10 * k + 8 * np.sin(2 * np.pi * t / 12)})
            for k in range(2)]
    pd.concat(rows).to_csv(tmp_path / "panel.csv", index=False)
    cfg = ForecastRunConfig()
    cfg.model.hidden, cfg.model.layers, cfg.train.max_epochs, cfg.train.threads = 8, 1, 1, 1
    cfg.forecast.lookback, cfg.forecast.horizon, cfg.data.csv = 12, 2, str(tmp_path / "panel.csv")
    train_run(cfg, tmp_path / "run", log=lambda _: None)
    app, _ = build([tmp_path / "run"], max_length=300, max_body=16384)
    url, stop = start_in_thread(app)
    try:
        with httpx.Client(base_url=url, timeout=60) as c:
            r = c.post("/v1/forecast", json={"horizon": 2})
    finally:
        stop()
    assert r.status_code == 200, r.text
    want = predict_run(str(tmp_path / "run"), str(tmp_path / "panel.csv"), 2, None)
    got = {f["id"]: f for f in r.json()["forecasts"]}
    assert set(got) == {"S0", "S1"} and got["S1"]["dates"] == [121, 122]
    assert got["S1"]["values"] == pytest.approx(want[want.unique_id == "S1"]["yhat"].tolist())
