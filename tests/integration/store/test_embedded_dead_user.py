"""The embedded PostgreSQL stops when its last user exits, even after another user was killed -9.

``pgserver`` lists the processes using a data directory's server in ``.handle_pids.json`` and the
last one to exit stops it. A user killed with SIGKILL never takes itself off the list, so before
the fix no later clean exit was ever "the last": the server ran on for good (a tester's
``kill -9`` of ``stack-cfo serve`` left a postmaster behind every later run).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)

_USER = """
import sys, time
from stack_cfo.store.embedded import start_embedded
uri, handle = start_embedded(sys.argv[1])
print(handle.get_pid(), flush=True)
if sys.argv[2] == "hang":
    time.sleep(600)
"""


def _postmaster_pid(pgdata: Path) -> int | None:
    pid_file = pgdata / "postmaster.pid"
    return int(pid_file.read_text().splitlines()[0]) if pid_file.exists() else None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_clean_exit_after_a_killed_user_stops_the_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    killed = subprocess.Popen(
        [sys.executable, "-c", _USER, str(data), "hang"], stdout=subprocess.PIPE, text=True, env=env
    )
    assert killed.stdout is not None
    postmaster = int(killed.stdout.readline())
    try:
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait(10)
        pids = json.loads((data / "pgdata" / ".handle_pids.json").read_text())
        assert killed.pid in pids  # what the kill left behind
        assert _running(postmaster)

        # A later user that exits cleanly is the last one alive: it stops the server.
        done = subprocess.run(
            [sys.executable, "-c", _USER, str(data), "exit"], capture_output=True, text=True, env=env, timeout=90
        )
        assert done.returncode == 0, done.stderr
        assert int(done.stdout.split()[0]) == postmaster  # it reused the running server
        deadline = time.monotonic() + 20
        while _running(postmaster) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _running(postmaster), "the embedded PostgreSQL was left running"
        assert _postmaster_pid(data / "pgdata") is None
    finally:
        if _running(postmaster):
            os.kill(postmaster, signal.SIGTERM)
