"""The HTTP API: `create_app(entries)` -> a FastAPI app (OpenAPI docs at /docs).

Bad input never reaches a 500: pydantic bounds -> 422, `RnnkitError` from the task code -> 400,
unknown model -> 404, a body over the limit -> 413; each as `{"error": "...", ...}` JSON.
Model calls are plain (sync) functions, so FastAPI runs them in its thread pool; each request
builds its own recurrent state, so concurrent requests cannot see each other's. Generate requests
of one model are stepped together in one batch (serve/batcher.py), each with its own state,
settings and seed, so each returns the text it would get alone.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rnnkit import __version__
from rnnkit.errors import RnnkitError
from rnnkit.serve import registry
from rnnkit.serve.schemas import ClassifyRequest, ForecastRequest, GenerateRequest

MAX_LENGTH = 2000  # generated characters per request
MAX_BODY = 1 << 20  # bytes


class NotFound(Exception):
    pass


def _error(status: int, message: str, detail: Any = None) -> JSONResponse:
    body = {"error": message}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse(body, status_code=status)


class BodyLimit:
    """413 for a body over `limit` bytes, whether or not the client sent Content-Length.

    The body is read here first (it is at most `limit` bytes), then replayed to the app: an error
    raised from inside the app's own body parsing would come out as FastAPI's 400 instead."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await self._reject(send)
        messages, seen = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break  # a disconnect: let the app see it
            seen += len(message.get("body", b""))
            if seen > self.limit:
                return await self._reject(send)
            if not message.get("more_body", False):
                break
        replay = iter(messages)

        async def replayed():
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)

    async def _reject(self, send):
        body = json.dumps({"error": f"request body larger than {self.limit} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def create_app(entries: list[registry.Loaded], max_length: int = MAX_LENGTH, max_body: int = MAX_BODY) -> FastAPI:
    by_name = {e.name: e for e in entries}
    app = FastAPI(title="rnnkit", version=__version__,
                  description="Text generation, forecasting and classification with trained rnnkit runs.")
    app.add_middleware(BodyLimit, limit=max_body)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        detail = [{"field": "body" if e.get("type") == "json_invalid" else
                   ".".join(str(p) for p in e.get("loc", ())[1:]) or "body", "message": e.get("msg")}
                  for e in exc.errors()]
        first = detail[0] if detail else {"field": "body", "message": "invalid"}
        return _error(422, f"invalid request: {first['field']}: {first['message']}", detail)

    @app.exception_handler(RnnkitError)
    async def _bad(request: Request, exc: RnnkitError):
        return _error(400, str(exc))

    @app.exception_handler(NotFound)
    async def _missing(request: Request, exc: NotFound):
        return _error(404, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):  # a defect, not bad input: still JSON
        return _error(500, f"internal error: {type(exc).__name__}")

    def pick(name: str | None, kind: str) -> registry.Loaded:
        if name is not None:
            if name not in by_name:
                raise NotFound(f"no model named {name!r}; loaded: {', '.join(by_name) or 'none'}")
            entry = by_name[name]
            if entry.kind != kind:
                raise RnnkitError(f"model {name!r} is a {entry.kind} model, not a {kind} model")
            return entry
        of_kind = [e for e in entries if e.kind == kind]
        if not of_kind:
            raise NotFound(f"no {kind} model is loaded")
        if len(of_kind) > 1:
            raise RnnkitError(f"{len(of_kind)} {kind} models are loaded; say which with \"model\": "
                              f"{', '.join(e.name for e in of_kind)}")
        return of_kind[0]

    @app.get("/healthz", summary="liveness")
    def healthz() -> dict:
        return {"status": "ok", "models": len(entries)}

    @app.get("/v1/models", summary="the loaded runs")
    def models() -> dict:
        return {"models": [{"name": e.name, "kind": e.kind, "path": e.path, **e.info} for e in entries],
                "limits": {"max_length": max_length, "max_body_bytes": max_body}}

    @app.post("/v1/generate", summary="stream generated text (text/plain: first characters at once, then every 50 ms)")
    def generate(req: GenerateRequest):
        """The continuation of `prompt` (not the prompt itself) as text/plain, sent while it is
        sampled. Same seed, same text. 400 for characters the model never saw or a length over
        the server's --max-length."""
        if req.length > max_length:
            raise RnnkitError(f"length must be <= {max_length} (the server's --max-length), got {req.length}")
        entry = pick(req.model, "text")
        chars = registry.generate(entry, req.prompt, req.length, req.temperature, req.top_k, req.top_p, req.seed)
        return StreamingResponse(chars, media_type="text/plain; charset=utf-8",
                                 headers={"X-Rnnkit-Model": entry.name})

    @app.post("/v1/forecast", summary="forecast a posted series, or the model's stored context")
    def forecast(req: ForecastRequest) -> dict:
        """Per series: `dates`, `values` (the median, or the point forecast) and `intervals` (one
        list per quantile column, e.g. q10 and q90). Without `series`, the model's training data is
        the history."""
        entry = pick(req.model, "forecast")
        points = None if req.series is None else [p.model_dump() for p in req.series]
        horizon = req.horizon or entry.info["horizon"]
        return {"model": entry.name, "horizon": horizon, "quantiles": entry.info["quantiles"],
                "forecasts": registry.forecast(entry, horizon, points)}

    @app.post("/v1/classify", summary="class probabilities for a text or a numeric series")
    def classify(req: ClassifyRequest) -> dict:
        """`predicted` class and `probabilities` per class; `truncated` when a text was cut to the
        model's max_len tokens."""
        entry = pick(req.model, "classify")
        return {"model": entry.name, **registry.classify(entry, req.text, req.series)}

    return app
