"""Running the app with uvicorn: `serve()` for the CLI, `start_in_thread()` for tests and benchmarks."""

from __future__ import annotations

import errno
import socket
import threading
import time
from pathlib import Path
from typing import Callable

from rnnkit.errors import RnnkitError


def require_serve_extra() -> None:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        raise RnnkitError(f"serving needs {e.name}: pip install 'rnnkit[serve]'") from None


def build(runs: list[str | Path], max_length: int, max_body: int):
    """Load every run (distinct names: the folder names) and make the app."""
    require_serve_extra()
    import torch

    from rnnkit.serve.app import create_app
    from rnnkit.serve.registry import load_run

    torch.set_num_threads(1)  # many requests in parallel threads beat one request on many cores
    if not runs:
        raise RnnkitError("give at least one --run DIR")
    entries = [load_run(*_named(str(r))) for r in runs]
    names = [e.name for e in entries]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RnnkitError(f"two runs share the folder name {dupes[0]!r}; name them with --run NAME=DIR")
    if max_length < 1 or max_body < 1024:
        raise RnnkitError("--max-length must be >= 1 and --max-body >= 1024")
    return create_app(entries, max_length, max_body), entries


def _named(arg: str) -> tuple[str, str | None]:
    """`NAME=DIR` -> (DIR, NAME); a plain DIR is named by its folder."""
    name, sep, path = arg.partition("=")
    if sep and name and not Path(arg).exists():
        if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise RnnkitError(f"model name {name!r} in --run {arg}: use letters, digits, '-', '_' or '.'")
        return path, name
    return arg, None


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted connections inherit it (Linux): without it Nagle holds a streamed chunk that follows
    # the headers until the client's delayed ACK, 40 ms on loopback
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        flag = "--host" if isinstance(e, socket.gaierror) or e.errno == errno.EADDRNOTAVAIL else "--port"
        raise RnnkitError(f"cannot listen on {host}:{port} ({e.strerror or e}); choose another {flag}") from None
    return sock


def serve(app, host: str, port: int, log: Callable[[str], None] = print) -> None:
    import uvicorn

    sock = _bind(host, port)
    log(f"rnnkit serve: http://{host}:{sock.getsockname()[1]} (API docs at /docs); Ctrl-C stops")
    uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=5)).run(sockets=[sock])


def start_in_thread(app, host: str = "127.0.0.1", timeout: float = 30.0) -> tuple[str, Callable[[], None]]:
    """Serve `app` on a free port of `host` in a daemon thread -> (base URL, stop())."""
    import uvicorn

    sock = _bind(host, 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout)
        sock.close()

    return f"http://{host}:{sock.getsockname()[1]}", stop
