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
