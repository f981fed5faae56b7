"""What every process does before it serves: find the database and check the configuration.

Both ``stack-cfo serve`` and ``stack-cfo scheduler`` call these, so a bad value stops either
process at start-up (exit 2, naming the key) instead of failing on first use, and no
configured secret can reach a log line.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from stack_cfo.config import Config, ConfigError
from stack_cfo.telemetry import logging as tlog

log = logging.getLogger(__name__)


def resolve_database_url(config: Config) -> tuple[str, Any]:
    """``DATABASE_URL`` when set; else the embedded server (returns its keep-alive handle)."""
    if config.database.url is not None:
        return with_connect_timeout(config.database.url.get()), None
    from stack_cfo.store.embedded import start_embedded

    uri, handle = start_embedded(config.database.data_dir)
    log.info(
        "DATABASE_URL is unset: using the embedded PostgreSQL",
        extra={"data_dir": str(config.database.data_dir / "pgdata")},
    )
    return uri, handle


#: Seconds a connection may take to open when DATABASE_URL sets no ``connect_timeout``: a database
#: host that accepts the TCP connection and never answers (a black-holed proxy) otherwise holds
#: every command, and the scheduler's start-up, for ever.
CONNECT_TIMEOUT = 10


def with_connect_timeout(conninfo: str) -> str:
    """``conninfo`` with ``connect_timeout`` set (the operator's own value is kept)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    if "connect_timeout" in conninfo_to_dict(conninfo):
        return conninfo
    return make_conninfo(conninfo, connect_timeout=CONNECT_TIMEOUT)


async def require_schema_at_head(conninfo: str) -> None:
    """For the one-shot commands that use the service's tables (import, key rotation): a
    database ``serve`` has not migrated yet (nor ``migrate up``) has no tables and no role for
    the pool, so say that at once instead of failing on a pool that never opens."""
    from stack_cfo.core.errors import FailedPrecondition
    from stack_cfo.store.migrations import Migrator

    status = await Migrator(conninfo).status()
    if not status.at_head:
        raise FailedPrecondition(
            f"the database schema is at migration {status.current:04d} and this version needs "
            f"{status.head:04d}: run `stack-cfo migrate up` (serve migrates at start-up)",
            reason="SCHEMA_NOT_AT_HEAD",
        )


async def check_master_keys_before(config: Config, conninfo: str) -> None:
    """For a one-shot command that may wrap data keys (``import-transactions``), before it starts:
    :class:`ConfigError` (exit 2, naming the key id) when a configured master key does not unwrap
    the data keys stored under its id. Configured with the right id and the wrong bytes, it would
    wrap new users' data keys with bytes no other process has (lost for good once the right key is
    back). One query over a connection of its own (a live key per configured id; an id that wraps
    none yet is accepted). A database that does not answer is the command's own error, next; the
    key ring checks again before it stores a new data key."""
    import psycopg

    from stack_cfo.store.archive_keys import one_live_per_kek_at_start, wrong_master_key
    from stack_cfo.store.db import SYSTEM_ROLE
    from stack_cfo.wiring.archive import master_keys, master_keys_label

    keks = master_keys(config)
    try:
        records = await one_live_per_kek_at_start(
            conninfo, keks.ids, system_role=SYSTEM_ROLE if config.database.role else None
        )
    except psycopg.Error as exc:
        log.debug("master keys not checked before the command", extra={"error": type(exc).__name__})
        return
    wrong = wrong_master_key(keks, records)
    if wrong is not None:
        raise ConfigError(master_keys_label(config), wrong[1])


def register_config_secrets(config: Config) -> None:
    """Tell the log formatter which values must never appear in a line: every secret key's."""
    tlog.register_secrets([secret.get() for secret in config.secrets()])


def check_feature_configs(config: Config) -> None:
    """Check at start-up what loading the config cannot, so a bad value stops the process
    (exit 2, naming the key) instead of failing on first use: the archive master keys (well
    formed, and present whenever the database is external). Then warn about what a setting
    allows that production must not: webhooks to private and loopback addresses (``serve`` and
    ``scheduler`` both build a webhook sender; under ``serve --workers N`` the supervisor says it,
    once, not every worker)."""
    if config.archive.master_keys is not None or config.database.url is not None:
        from stack_cfo.wiring.archive import master_keys

        master_keys(config)
    if not os.environ.get("STACK_CFO_WORKER_INDEX"):
        from stack_cfo.core.notifications.webhooks import warn_if_private_networks_allowed

        key = "notifications.webhook.allow_private_networks"
        warn_if_private_networks_allowed(config.notifications.webhook.allow_private_networks, config.label(key))


async def check_compute_model(config: Config) -> None:
    """Direct mode: stop (exit 2, naming the key) when no provider serves ``default_model``.

    Exit rather than adopt the provider's model: every chat session stores and shows its model,
    so switching silently would change what users were promised (and what they pay for), and a
    wrong model sent again and again gets wallets blocked by real providers; an operator decides.
    With the router as fallback (auto mode with an API key) the process starts and warns. When
    the chain cannot be read the process starts and warns too (an outage is not a bad value).
    """
    from stack_cfo.wiring.settings import compute_config
    from stack_cfo.zerog.model_check import check_default_model, needs_check

    cfg = compute_config(config)
    if not needs_check(cfg):
        return
    key = config.label("zerog.compute.model_config.default_model")
    try:
        result = await check_default_model(cfg)
    except Exception as exc:
        log.warning(
            "could not check the default model against the providers; chat answers degrade if no provider "
            "serves it",
            extra={"model": cfg.default_model, "error": type(exc).__name__},
        )
        return
    if result.ok:
        log.info("default model is served", extra={"model": result.model, "providers": list(result.served_by)})
        return
    if cfg.router_enabled:
        log.warning(
            "%s: %s; chat answers go to the router until that is fixed", key, result.problem()
        )
        return
    raise ConfigError(key, result.problem())
