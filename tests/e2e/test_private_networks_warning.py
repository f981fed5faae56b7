"""``notifications.webhook.allow_private_networks`` turns the webhooks' SSRF guard off: ``stack-cfo serve``
and ``stack-cfo scheduler`` say so in one WARNING at start-up (under ``serve --workers N``: once, from the
supervisor), so an operator who left local mode on in production finds it in the log."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.support.proc import cli_env, finish, free_port, start_cli, wait_ready

pytestmark = pytest.mark.slow

SAYS = "webhooks may reach private and loopback addresses"


def _warnings(out: str) -> list[dict[str, object]]:
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [r for r in records if SAYS in str(r.get("msg", ""))]


def _stop(proc: subprocess.Popen[bytes], label: str) -> str:
    """SIGTERM (the supervisor stops its workers), then everything the process and its workers wrote."""
    if proc.poll() is None:
        proc.terminate()
    try:
        _, out, err = finish(proc, label, timeout=60)
    except subprocess.TimeoutExpired:
        for child in psutil.Process(proc.pid).children(recursive=True):
            child.kill()
        proc.kill()
        raise
    return out + err


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
            return bool(resp.status == 200)
    except (OSError, urllib.error.HTTPError):
        return False


def _wait_ready(proc: subprocess.Popen[bytes], target: str, timeout: float = 90) -> None:
    """Until the server is ready; at once if it exited instead."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        try:
            asyncio.run(wait_ready(target, timeout=1))
            return
        except TimeoutError:
            continue
    raise AssertionError(f"the server never became ready (exit code {proc.poll()})")


@pytest.mark.parametrize("allowed", [True, False])
def test_serve_with_workers_warns_once_when_webhooks_may_reach_private_addresses(
    db_dsn: str, tmp_path: Path, allowed: bool
) -> None:
    port = free_port()
    env = cli_env({
        "DATABASE_URL": db_dsn,
        "STACK_CFO_LISTEN": f"127.0.0.1:{port}",
        "STACK_CFO_DRAIN_DELAY": "0s",
        "STACK_CFO_DATA_DIR": str(tmp_path),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "STACK_CFO_LOG_LEVEL": "INFO",
        **({"WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true"} if allowed else {}),
    })  # fmt: skip
    proc = start_cli(["serve", "--workers", "2"], env)
    try:
        _wait_ready(proc, f"127.0.0.1:{port}")
        workers = [c for c in psutil.Process(proc.pid).children() if "stack_cfo.cli" in " ".join(c.cmdline())]
        assert len(workers) == 2
    finally:
        out = _stop(proc, f"stack-cfo serve --workers 2 (allow_private_networks={allowed})")
    warned = _warnings(out)
    if not allowed:
        assert warned == []
        return
    [record] = warned
    assert record["level"] == "warning"
    assert "WEBHOOK_ALLOW_PRIVATE_NETWORKS" in str(record["msg"])  # named as the operator set it


def test_scheduler_warns_once_when_webhooks_may_reach_private_addresses(db_dsn: str, tmp_path: Path) -> None:
    metrics = free_port()
    env = cli_env({
        "DATABASE_URL": db_dsn,
        "STACK_CFO_DATA_DIR": str(tmp_path),
        "SCHEDULER_METRICS_LISTEN": f"127.0.0.1:{metrics}",
        "STACK_CFO_LOG_LEVEL": "INFO",
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
    })  # fmt: skip
    proc = start_cli(["scheduler"], env)
    try:
        for _ in range(600):
            if _ready(metrics) or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert _ready(metrics), "the scheduler never became ready"
    finally:
        out = _stop(proc, "stack-cfo scheduler (allow_private_networks)")
    [record] = _warnings(out)
    assert record["level"] == "warning"
