"""Load test of `rnnkit serve` over loopback: requests/s, generated chars/s and latency p50/p99 for
/v1/generate (and /v1/forecast when --forecast-run is given) at concurrency 1, 8 and 32.

    nice -n 10 .venv/bin/python bench/serve_load.py --text-run DIR [--forecast-run DIR] [--requests 64] [--length 200]

Concurrent generate requests of one model are stepped in one batch by the server (serve/batcher.py).
The last line: `generate_scaling=<aggregate generated chars/s at concurrency 32 / at concurrency 1>`.

The server runs as its own process (`python -m rnnkit serve`, one torch thread), the load comes from
an asyncio httpx client in this process. A generate request counts as done when its whole stream has
arrived (time to first chunk is reported too). Each level sends --requests requests (at least 2 per
worker). Defaults: the runs bench/quantize.py trains.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np



def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(runs: list[str], port: int, max_length: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "rnnkit", "serve", "--port", str(port), "--max-length", str(max_length)]
    for r in runs:
        cmd += ["--run", r]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not start within 120 s")


async def one(client: httpx.AsyncClient, path: str, body: dict, stream: bool) -> tuple[float, float]:
    """(latency, time to first byte) of one request, in seconds."""
    t = time.perf_counter()
    first = None
    if stream:
        async with client.stream("POST", path, json=body) as r:
            r.raise_for_status()
            async for chunk in r.aiter_bytes():
                if first is None and chunk:
                    first = time.perf_counter() - t
    else:
        r = await client.post(path, json=body)
        r.raise_for_status()
    total = time.perf_counter() - t
    return total, first if first is not None else total


async def level(url: str, path: str, bodies: list[dict], concurrency: int, stream: bool) -> dict:
    queue = list(enumerate(bodies))
    results: list[tuple[float, float]] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as client:
        async def worker():
            while queue:
                _, body = queue.pop()
                results.append(await one(client, path, body, stream))

        t = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t
    lat = np.array([r[0] for r in results]) * 1000
    ttfb = np.array([r[1] for r in results]) * 1000
    chars = sum(b.get("length", 0) for b in bodies) if stream else 0
    return {"endpoint": path, "concurrency": concurrency, "requests": len(results), "rps": len(results) / wall,
            "chars_per_s": chars / wall if stream else None,
            "p50_ms": float(np.percentile(lat, 50)), "p99_ms": float(np.percentile(lat, 99)),
            "ttfb_p50_ms": float(np.percentile(ttfb, 50)) if stream else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--text-run", default="/tmp/rnnkit-quantize-bench/text/float")
    ap.add_argument("--forecast-run", help="also load-test /v1/forecast with this run")
    ap.add_argument("--requests", type=int, default=64, help="requests per endpoint and concurrency level")
    ap.add_argument("--length", type=int, default=200, help="characters per generate request")
    ap.add_argument("--levels", default="1,8,32")
    ap.add_argument("--json", help="also write the raw results to this file")
    args = ap.parse_args()
    port = free_port()
    runs = [f"text={args.text_run}"] + ([f"forecast={args.forecast_run}"] if args.forecast_run else [])
    proc = start_server(runs, port, max(args.length, 1))
    url = f"http://127.0.0.1:{port}"
    rows = []
    try:
        for c in map(int, args.levels.split(",")):
            n = max(args.requests, 2 * c)
            gen = [{"prompt": "ROMEO:", "length": args.length, "temperature": 0.8, "seed": i} for i in range(n)]
            rows.append(asyncio.run(level(url, "/v1/generate", gen, c, stream=True)))
            print(json.dumps(rows[-1]), flush=True)
            if args.forecast_run:
                rows.append(asyncio.run(level(url, "/v1/forecast", [{}] * n, c, stream=False)))
                print(json.dumps(rows[-1]), flush=True)
    finally:
        proc.terminate()
        proc.wait(30)
    print(f"\n| endpoint | concurrency | requests | req/s | chars/s | p50 | p99 | first chunk p50 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        ttfb = f"{r['ttfb_p50_ms']:.0f} ms" if r["ttfb_p50_ms"] is not None else "-"
        cps = f"{r['chars_per_s']:,.0f}" if r["chars_per_s"] is not None else "-"
        print(f"| {r['endpoint']} | {r['concurrency']} | {r['requests']} | {r['rps']:.1f} | {cps} | {r['p50_ms']:.0f} ms "
              f"| {r['p99_ms']:.0f} ms | {ttfb} |")
    if args.json:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        Path(args.json).write_text(json.dumps({"date": stamp, "length": args.length, "rows": rows}, indent=2) + "\n")
    gen = {r["concurrency"]: r["chars_per_s"] for r in rows if r["endpoint"] == "/v1/generate"}
    if 1 in gen and 32 in gen:
        print(f"generate_scaling={gen[32] / gen[1]:.2f}")


if __name__ == "__main__":
    main()
