"""An embedded PostgreSQL (the ``pgserver`` wheel) for ``make run``/``make test`` without a server."""

from __future__ import annotations

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
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    uri: str = server.get_uri()
    log.info("using embedded PostgreSQL", extra={"data_dir": str(pgdata)})
    return uri, server
