"""Run ``stack-cfo`` as a real OS process (for signals, exit codes, the embedded set-up)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Mapping

from tests.support.logcapture import record_output
from tests.support.secrets import JWT_SECRET


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "STACK_CFO_JWT_SECRET": JWT_SECRET,
        "STACK_CFO_METRICS_LISTEN": f"127.0.0.1:{free_port()}",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra or {})
    return env


def start_cli(args: list[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "stack_cfo.cli", *args],
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(proc: subprocess.Popen[bytes], label: str, timeout: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    record_output(label, out + b"\n" + err)
    return proc.returncode, out.decode(), err.decode()
