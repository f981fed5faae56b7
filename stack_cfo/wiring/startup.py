"""What every process does before it serves: find the database and check the configuration.

Both ``stack-cfo serve`` and ``stack-cfo scheduler`` call these, so a bad value stops either
process at start-up (exit 2, naming the key) instead of failing on first use, and no
configured secret can reach a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
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
    """Tell the log formatter which values must never appear in a line."""
    values: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(v, str) and any(s in k.lower() for s in ("key", "secret", "password", "token")):
                    values.append(v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(dict(config.raw))
    if config.auth.jwt_secret is not None:
        values.append(config.auth.jwt_secret.get())
    tlog.register_secrets(values)


def check_feature_configs(config: Config) -> None:
    """Build every feature's typed config once at start-up so a bad value stops the process
    (exit 2, naming the key) instead of failing on first use."""
    from stack_cfo.core.errors import InvalidArgument

    def check(build: Callable[[], object]) -> None:
        try:
            build()
        except InvalidArgument as exc:
            key = exc.violations[0].field if exc.violations else exc.metadata.get("field", "config")
            raise config.config_error(key, exc.violations[0].description if exc.violations else exc.message) from None

    from stack_cfo.wiring.settings import compute_config, scheduler_config

    check(lambda: compute_config(config))
    check(lambda: scheduler_config(config))
    archive = config.section("archive")
    if str(archive.get("backend") or "postgres").lower() == "0g":
        from stack_cfo.zerog.storage.config import StorageConfig

        check(lambda: StorageConfig.from_mapping(config.section("zerog.storage")))
    if archive.get("master_keys"):
        from stack_cfo.crypto.envelope import MasterKeys

        check(lambda: MasterKeys.from_config(archive["master_keys"]))


