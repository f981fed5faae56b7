"""A configured address already in use stops ``serve``, ``scheduler`` and the ``--workers`` supervisor
with one log line naming the setting and exit status 2, as a refused configuration (it was a
traceback: grpc's RuntimeError, aiohttp's OSError; under ``--workers`` the workers were restarted
forever)."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import pytest

from tests.support.proc import cli_env, finish, free_port, start_cli


async def _with_address_taken(argv: list[str], env_key: str, db_dsn: str, tmp_path: Path,
                              reuseport: bool = False) -> tuple[str, list[Any]]:
    """Run ``argv`` with ``env_key`` set to an address a socket of ours holds (with ``SO_REUSEPORT``,
    as another ``--workers`` deployment's would be, when ``reuseport``); its ``cannot listen`` lines
    (and the address), after checking it exited 2 without a traceback."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if reuseport:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    address = f"127.0.0.1:{sock.getsockname()[1]}"
    try:
        env = cli_env({"DATABASE_URL": db_dsn, "STACK_CFO_DATA_DIR": str(tmp_path),
                       "STACK_CFO_LISTEN": f"127.0.0.1:{free_port()}",
                       "SCHEDULER_METRICS_LISTEN": f"127.0.0.1:{free_port()}", env_key: address})
        rc, _, err = await asyncio.to_thread(finish, start_cli(argv, env), argv[0], 90)
    finally:
        sock.close()
    assert rc == 2, err
    assert "Traceback" not in err, err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert not [line for line in lines if line.get("msg") == "worker exited; restarting it"], err
    return address, [line for line in lines if line.get("msg") == "cannot listen"]


@pytest.mark.parametrize("command, env_key, key", [
    ("serve", "STACK_CFO_LISTEN", "server.listen"),
    ("serve", "STACK_CFO_HEALTH_LISTEN", "server.health_listen"),
    ("serve", "STACK_CFO_METRICS_LISTEN", "server.metrics_listen"),
    ("scheduler", "SCHEDULER_METRICS_LISTEN", "scheduler.metrics_listen"),
])
async def test_an_address_in_use_is_one_line_and_exit_2(
    command: str, env_key: str, key: str, db_dsn: str, tmp_path: Path
) -> None:
    address, said = await _with_address_taken([command], env_key, db_dsn, tmp_path)
    assert len(said) == 1 and said[0]["key"] == key and said[0]["listen"] == address


@pytest.mark.parametrize("env_key, key, reuseport", [
    ("STACK_CFO_LISTEN", "server.listen", False),
    # another deployment's workers (SO_REUSEPORT): the kernel would let ours share the port and
    # split the traffic between two databases without a word; the supervisor checks first
    ("STACK_CFO_LISTEN", "server.listen", True),
    ("STACK_CFO_HEALTH_LISTEN", "server.health_listen", False),
])
async def test_workers_stop_instead_of_restarting_forever(
    env_key: str, key: str, reuseport: bool, db_dsn: str, tmp_path: Path
) -> None:
    address, said = await _with_address_taken(["serve", "--workers", "2"], env_key, db_dsn, tmp_path, reuseport)
    assert said and all(line["key"] == key and line["listen"] == address for line in said)
    assert "worker" not in said[0]  # the supervisor said it, before starting any worker


async def test_workers_flag_needs_a_fixed_port(db_dsn: str, tmp_path: Path) -> None:
    """``--workers 2`` with port 0 is refused like ``server.workers: 2`` (each worker would bind a
    port of its own), naming the variable it came from."""
    env = cli_env({"DATABASE_URL": db_dsn, "STACK_CFO_DATA_DIR": str(tmp_path), "STACK_CFO_LISTEN": "127.0.0.1:0"})
    rc, _, err = await asyncio.to_thread(finish, start_cli(["serve", "--workers", "2"], env), "serve", 60)
    assert rc == 2 and "STACK_CFO_LISTEN" in err and "fixed port" in err, err
