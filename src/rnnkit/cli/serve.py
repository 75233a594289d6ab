"""`rnnkit serve --run DIR [--run DIR2 ...]`."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve", help="HTTP API over trained runs (generate, forecast, classify)",
        description="Serve run folders over HTTP (FastAPI + uvicorn): POST /v1/generate (streamed text), "
        "/v1/forecast, /v1/classify; GET /healthz, /v1/models; OpenAPI docs at /docs. Models are named by "
        "their folder names. Binds 127.0.0.1 unless told otherwise.")
    p.add_argument("--run", action="append", required=True, metavar="DIR",
                   help="run folder to load (repeatable); NAME=DIR names the model (default: the folder name)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--max-length", type=int, default=2000, help="most characters one generate request may ask for")
    p.add_argument("--max-body", type=int, default=1 << 20, help="largest request body in bytes (default 1 MiB)")
    p.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from rnnkit.errors import RnnkitError
    from rnnkit.serve.server import build, serve

    if not 0 <= args.port <= 65535:
        raise RnnkitError(f"--port must be in 0 .. 65535, got {args.port}")
    app, entries = build(args.run, args.max_length, args.max_body)
    for e in entries:
        print(f"loaded {e.name}: {e.kind} {e.info.get('model')}{' (int8)' if e.info.get('quantized') else ''}")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {args.host}, reachable from other machines; the API has no authentication",
              file=sys.stderr)
    serve(app, args.host, args.port)
    return 0
