"""An embedded PostgreSQL (the ``pgserver`` wheel) for ``make run``/``make test`` without a server."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path(os.path.expanduser("~/.local/share/stack-cfo"))


def start_embedded(data_dir: Path | str | None = None) -> tuple[str, Any]:
    """Start (or reuse) the embedded server in ``data_dir/pgdata``; returns (conninfo, handle).

    The handle keeps the server alive while referenced; ``pgserver`` shares one server per
    data directory between processes and stops it when the last user exits.
    """
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless here.
        warnings.simplefilter("ignore", UserWarning)
        import pgserver

    base = Path(data_dir) if data_dir else DEFAULT_DATA_DIR
    pgdata = base / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    _forget_dead_users(pgdata)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    uri: str = server.get_uri()
    log.info("using embedded PostgreSQL", extra={"data_dir": str(pgdata)})
    return uri, server


def _forget_dead_users(pgdata: Path) -> None:
    """Drop the processes that died without saying so (``kill -9``) from ``pgserver``'s list of the
    server's users (``.handle_pids.json``). The last user to exit stops the server; a dead pid left
    in the list is never "the last", so every later clean exit left the server running for good.
    Done under ``pgserver``'s own inter-process lock, as it reads and writes that list."""
    import fasteners
    from pgserver.postgres_server import PostgresServer

    path = pgdata / ".handle_pids.json"
    with fasteners.InterProcessLock(PostgresServer.lock_path):
        try:
            pids = json.loads(path.read_text())
        except (OSError, ValueError):
            return
        if not isinstance(pids, list):
            return
        alive = [pid for pid in pids if isinstance(pid, int) and _alive(pid)]
        if alive != pids:
            log.info("embedded PostgreSQL: forgetting users that died", extra={"pids": sorted(set(pids) - set(alive))})
            path.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True
