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
from dataclasses import dataclass
from typing import Any, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rnnkit import __version__
from rnnkit.errors import RnnkitError
from rnnkit import tasks
from rnnkit.serve import registry

MAX_LENGTH = 2000  # generated characters per request
MAX_BODY = 1 << 20  # bytes


class NotFound(Exception):
    pass


@dataclass(frozen=True)
class Api:
    """What a task's endpoints get from the app: `pick(name, kind)` finds the loaded run a
    request names (or the only one of its kind), and the server's limits."""

    pick: Callable[[str | None, str], registry.Loaded]
    max_length: int


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

    api = Api(pick, max_length)
    for kind in tasks.names():  # each task adds its own endpoints (its spec.py)
        spec = tasks.get(kind, "serve")
        if spec.serve_routes is not None:
            spec.serve_routes(app, api)

    return app
