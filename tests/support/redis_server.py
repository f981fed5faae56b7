"""A real Redis on 127.0.0.1:6379 for the shared-limit tests: used when one answers, started
(in the background, nothing kept on disk) when ``redis-server`` is installed but not running.
Tests skip only when ``redis-server`` is not installed at all."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time

import pytest

HOST, PORT = "127.0.0.1", 6379
URL = f"redis://{HOST}:{PORT}/0"


def _answers() -> bool:
    try:
        with socket.create_connection((HOST, PORT), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ensure_redis() -> str:
    """The URL of a running Redis (starting one if needed); skips the test if none can run."""
    if _answers():
        return URL
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    workdir = tempfile.mkdtemp(prefix="stack-cfo-redis-")
    subprocess.run(
        [binary, "--daemonize", "yes", "--bind", HOST, "--port", str(PORT), "--save", "", "--appendonly", "no",
         "--dir", workdir, "--logfile", f"{workdir}/redis.log"],
        check=True, timeout=10,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _answers():
            return URL
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")
