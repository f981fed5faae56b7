"""The Go load generator (``bench/loadgen``): built here, offline, and run against one unary method.

Benches that measure a server's throughput on this 2-core machine drive it from Go: the
generator sends pre-encoded request bytes and reads responses as bytes (no protobuf work) with
``GOMAXPROCS=1``, costing a fraction of the server's CPU per call. A Python grpc.aio client costs
about as much CPU per call as the server itself and takes the core the server would use.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.tools import go_toolchain  # noqa: E402


def build_go(program: str, workdir: Path) -> Path:
    """``go build`` of ``bench/<program>`` (one main.go) in GOPATH mode against Debian's
    /usr/share/gocode (gRPC, x/sys; no network). Returns the binary."""
    go = go_toolchain()
    src = workdir / "gopath" / "src" / program
    src.mkdir(parents=True)
    shutil.copy(ROOT / "bench" / program / "main.go", src / "main.go")
    binary = workdir / program
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": f"{workdir / 'gopath'}:/usr/share/gocode",
           "GOPROXY": "off", "GOFLAGS": "", "GOCACHE": os.environ.get("GOCACHE", str(ROOT / ".cache" / "go-build"))}
    subprocess.run([go, "build", "-o", str(binary), "."], cwd=src, env=env, check=True, timeout=600)
    return binary


def build_loadgen(workdir: Path) -> Path:
    """``go build`` of bench/loadgen in GOPATH mode against /usr/share/gocode (no network)."""
    return build_go("loadgen", workdir)


def run_unary_load(loadgen: Path, target: str, method: str, request: bytes, token: str, *, conns: int,
                   concurrency: int, seconds: float, warmup: float = 1.0) -> dict[str, Any]:
    """Drive ``method`` for ``warmup`` + ``seconds``; the generator's JSON (calls, seconds, p50_ms,
    p99_ms, cpu_seconds, errors) with ``rps`` added. Failed calls raise."""
    out = subprocess.run(
        [str(loadgen), "-target", target, "-method", method, "-request", request.hex(), "-token", token,
         "-conns", str(conns), "-concurrency", str(concurrency), "-duration", f"{seconds}s",
         "-warmup", f"{warmup}s"],
        env={**os.environ, "GOMAXPROCS": "1"}, capture_output=True, text=True, check=True, timeout=seconds + 60,
    )
    r: dict[str, Any] = json.loads(out.stdout)
    if r["errors"]:
        raise RuntimeError(f"{r['errors']} failed calls: {r.get('first_error')}")
    r["rps"] = r["calls"] / r["seconds"]
    return r


def run_h2load(target: str, method: str, request: bytes, token: str, *, conns: int, concurrency: int,
               seconds: float, warmup: float = 1.0, response_bytes: int = 0) -> dict[str, Any]:
    """Drive ``method`` with nghttp2's ``h2load`` (C, one thread: a wrk-style HTTP/2 client that
    sends the pre-framed gRPC request and reads the response without decoding it) for ``warmup`` +
    ``seconds``: the same keys as :func:`run_unary_load` (p50_ms/p99_ms hold the mean: h2load prints
    no percentiles). Debian's ``nghttp2-client`` is installed when missing.

    h2load counts HTTP/2 answers, and a gRPC error is an HTTP 200 too: with ``response_bytes`` (the
    size of a good answer), fewer body bytes per call than 90% of it raise, so a load of cheap
    errors (RATE_LIMITED, UNAUTHENTICATED) is never mistaken for throughput."""
    import re
    import resource
    import tempfile

    from tests.support.tools import debian_tool

    h2load = debian_tool("h2load", "nghttp2-client")
    with tempfile.NamedTemporaryFile(prefix="grpc-request-", suffix=".bin") as body:
        body.write(b"\x00" + len(request).to_bytes(4, "big") + request)  # the gRPC length-prefixed frame
        body.flush()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(
            [h2load, "-t", "1", "-c", str(conns), "-m", str(max(1, concurrency // conns)),
             "-D", f"{seconds:g}", "--warm-up-time", f"{warmup:g}", "-d", body.name,
             "-H", "content-type: application/grpc", "-H", "te: trailers",
             "-H", f"authorization: Bearer {token}", f"http://{target}{method}"],
            capture_output=True, text=True, check=True, timeout=seconds + warmup + 60,
        ).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored",
                     out)
    data = re.search(r"traffic: .*?\((\d+)\) total, .*?\((\d+)\) headers .*?, .*?\((\d+)\) data", out)
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)\b", out)
    if done is None or data is None or mean is None:
        raise RuntimeError(f"unexpected h2load output:\n{out}")
    calls, succeeded = int(done.group(1)), int(done.group(2))
    if not calls or succeeded != calls:
        raise RuntimeError(f"h2load: {calls - succeeded} of {calls} requests failed:\n{out}")
    per_call = int(data.group(3)) / calls
    if response_bytes and per_call < 0.9 * response_bytes:
        raise RuntimeError(f"h2load: {per_call:.0f} body bytes a call, a good answer has {response_bytes}: "
                           f"calls are failing in gRPC\n{out}")
    mean_ms = float(mean.group(1)) * {"ms": 1.0, "us": 1e-3, "s": 1e3}[mean.group(2)]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"calls": calls, "seconds": seconds, "rps": calls / seconds, "p50_ms": mean_ms, "p99_ms": mean_ms,
            "cpu_seconds": cpu * seconds / (seconds + warmup), "errors": 0}
