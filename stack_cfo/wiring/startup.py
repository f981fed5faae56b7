"""What every process does before it serves: find the database and check the configuration.

Both ``stack-cfo serve`` and ``stack-cfo scheduler`` call these, so a bad value stops either
process at start-up (exit 2, naming the key) instead of failing on first use, and no
configured secret can reach a log line.
"""

from __future__ import annotations

import logging
from typing import Any

from stack_cfo.config import Config
from stack_cfo.telemetry import logging as tlog

log = logging.getLogger(__name__)


def resolve_database_url(config: Config) -> tuple[str, Any]:
    """``DATABASE_URL`` when set; else the embedded server (returns its keep-alive handle)."""
    if config.database.url is not None:
        return config.database.url.get(), None
    from stack_cfo.store.embedded import start_embedded

    uri, handle = start_embedded(config.database.data_dir)
    log.info(
        "DATABASE_URL is unset: using the embedded PostgreSQL",
        extra={"data_dir": str(config.database.data_dir / "pgdata")},
    )
    return uri, handle


def register_config_secrets(config: Config) -> None:
    """Tell the log formatter which values must never appear in a line: every secret key's."""
    tlog.register_secrets([secret.get() for secret in config.secrets()])


def check_feature_configs(config: Config) -> None:
    """Check at start-up what loading the config cannot, so a bad value stops the process
    (exit 2, naming the key) instead of failing on first use: the archive master keys (well
    formed, and present whenever the database is external)."""
    if config.archive.master_keys is not None or config.database.url is not None:
        from stack_cfo.wiring.archive import master_keys

        master_keys(config)
