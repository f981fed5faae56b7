"""A configured address already in use stops ``serve`` and ``scheduler`` with one log line naming the
setting and exit status 2, as a refused configuration (it was a traceback: grpc's RuntimeError, aiohttp's OSError)."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest

from tests.support.proc import cli_env, finish, free_port, start_cli


def _taken() -> tuple[socket.socket, str]:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s, f"127.0.0.1:{s.getsockname()[1]}"


@pytest.mark.parametrize("command, env_key, key", [
    ("serve", "STACK_CFO_LISTEN", "server.listen"),
    ("serve", "STACK_CFO_HEALTH_LISTEN", "server.health_listen"),
    ("serve", "STACK_CFO_METRICS_LISTEN", "server.metrics_listen"),
    ("scheduler", "SCHEDULER_METRICS_LISTEN", "scheduler.metrics_listen"),
])
async def test_an_address_in_use_is_one_line_and_exit_2(
    command: str, env_key: str, key: str, db_dsn: str, tmp_path: Path
) -> None:
    sock, address = _taken()
    try:
        env = cli_env({"DATABASE_URL": db_dsn, "STACK_CFO_DATA_DIR": str(tmp_path),
                       "STACK_CFO_LISTEN": f"127.0.0.1:{free_port()}",
                       "SCHEDULER_METRICS_LISTEN": f"127.0.0.1:{free_port()}", env_key: address})
        rc, _, err = await asyncio.to_thread(finish, start_cli([command], env), command, 60)
    finally:
        sock.close()
    assert rc == 2, err
    assert "Traceback" not in err, err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    said = [line for line in lines if line.get("msg") == "cannot listen"]
    assert len(said) == 1 and said[0]["key"] == key and said[0]["listen"] == address, err


@pytest.mark.parametrize("env_key, key, who", [
    ("STACK_CFO_LISTEN", "server.listen", "worker"),  # each worker fails to bind: the pod stops
    ("STACK_CFO_HEALTH_LISTEN", "server.health_listen", "supervisor"),
])
async def test_workers_stop_instead_of_restarting_forever(
    env_key: str, key: str, who: str, db_dsn: str, tmp_path: Path
) -> None:
    sock, address = _taken()
    try:
        env = cli_env({"DATABASE_URL": db_dsn, "STACK_CFO_DATA_DIR": str(tmp_path),
                       "STACK_CFO_LISTEN": f"127.0.0.1:{free_port()}", env_key: address})
        rc, _, err = await asyncio.to_thread(finish, start_cli(["serve", "--workers", "2"], env), "serve", 90)
    finally:
        sock.close()
    assert rc == 2, err
    assert "Traceback" not in err, err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    said = [line for line in lines if line.get("msg") == "cannot listen"]
    assert said and all(line["key"] == key and line["listen"] == address for line in said), err
    assert ("worker" in said[0]) == (who == "worker")
    assert not [line for line in lines if line.get("msg") == "worker exited; restarting it"], err
