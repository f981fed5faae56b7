"""The process's archive store: every archived byte is sealed per user (envelope encryption),
then kept in PostgreSQL (``archive.backend: postgres``, the default) or on 0G Storage
(``archive.backend: 0g``, configured by the ``zerog.storage`` block).

Master keys come from ``archive.master_keys`` / ``STACK_CFO_ARCHIVE_MASTER_KEYS``
(``id:base64key[,id:key...]``, first = primary). With none configured and the embedded
PostgreSQL (no ``DATABASE_URL``), a key is generated once into
``$STACK_CFO_DATA_DIR/archive-master-key`` (mode 0600) so a local set-up works. With an external
database the keys are required: every pod generating its own key would make archives sealed by
one pod unreadable by the others and after a restart. Production keeps them outside the
database backups.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stack_cfo.config import Config, ConfigError
from stack_cfo.core.data_scope import system_scope
from stack_cfo.core.errors import InvalidArgument
from stack_cfo.crypto.envelope import EncryptingArchiveStore, MasterKeys
from stack_cfo.crypto.fields import FieldSealer
from stack_cfo.secret import read_or_create_private_file

if TYPE_CHECKING:
    from stack_cfo.store.db import Database

log = logging.getLogger(__name__)


def local_master_key_file(data_dir: Path) -> Path:
    """The local archive master key's file in ``data_dir`` (generated at first use): the key of
    an embedded-database set-up, read by every process of one (``serve --workers N`` hands its
    path to the workers as ``STACK_CFO_ARCHIVE_MASTER_KEYS_FILE``)."""
    path = data_dir / "archive-master-key"
    _, created = read_or_create_private_file(path, lambda: MasterKeys.generate("local1")[1])
    if created:
        log.warning("generated a local archive master key; set STACK_CFO_ARCHIVE_MASTER_KEYS in production",
                    extra={"path": str(path)})
    return path


def _local_master_keys(data_dir: Path) -> MasterKeys:
    return MasterKeys.from_config(local_master_key_file(data_dir).read_text("utf-8").strip())


def master_keys(config: Config) -> MasterKeys:
    configured = config.archive.master_keys
    if configured is None:
        if config.database.url is not None:
            raise ConfigError(
                config.label("archive.master_keys"),
                "is required with an external database (DATABASE_URL): set STACK_CFO_ARCHIVE_MASTER_KEYS "
                "(or its _FILE form) to the same keys on every replica",
            )
        return _local_master_keys(config.database.data_dir)
    try:
        return MasterKeys.from_config(configured)
    except InvalidArgument as exc:
        raise ConfigError(config.label("archive.master_keys"), exc.message) from None


def build_archive_store(config: Config, db: Database) -> ClosingArchiveStore:
    """The sealed archive store over ``db`` (keys) and the configured backend (blobs)."""
    from stack_cfo.store.archive_keys import PgKeyRing

    inner: Any
    if config.archive.backend == "0g":
        from stack_cfo.zerog.storage.client import ZeroGStorageStore

        inner = ZeroGStorageStore(config.zerog.storage)
    else:
        from stack_cfo.store.archive_pg import PgArchiveStore

        inner = PgArchiveStore(db)
    return ClosingArchiveStore(inner, PgKeyRing(db), master_keys(config))


def build_field_sealer(config: Config, db: Database) -> tuple[FieldSealer, Any]:
    """Row fields sealed under each user's data key: the same key ring and master keys as the
    archive; and the listener (close it at shutdown) through which erasures in any process reach
    this process's key cache."""
    from stack_cfo.store.archive_keys import KeyCacheListener, PgKeyRing

    a = config.archive
    holder: list[FieldSealer] = []
    listener = KeyCacheListener(db.conninfo, forget=lambda user: holder[0].forget(user),
                                forget_all=lambda: holder[0].clear())
    sealer = FieldSealer(
        PgKeyRing(db), master_keys(config), max_users=a.key_cache_size, ttl=a.key_cache_ttl,
        sealing=a.encrypt_at_rest, on_first_use=listener.ensure_started,
    )
    holder.append(sealer)
    return sealer, listener


class ClosingArchiveStore(EncryptingArchiveStore):
    """Closes the inner backend (0G sessions) at shutdown."""

    def __init__(self, inner: Any, keys: Any, keks: MasterKeys) -> None:
        super().__init__(inner, keys, keks)
        self._inner_backend = inner

    async def aclose(self) -> None:
        closer = getattr(self._inner_backend, "close", None)
        if closer is not None:
            await closer()


async def rotate_master_keys(config: Config, db: Database, *, batch: int = 500) -> dict[str, int]:
    """Re-wrap every live user data key under the primary master key (``stack-cfo keys rotate``).

    Online: each key is re-wrapped in its own short UPDATE guarded by the id of the key that
    wrapped it, and processes that still have the old master key configured read either form, so
    nothing stops. The data keys themselves (and so every sealed row and archive) do not change.
    Returns ``rewrapped``, ``skipped`` (changed meanwhile: erased, or re-wrapped by a concurrent
    run) and the live keys left per master key id.
    """
    with system_scope("key-rotation"):  # every user's data key (row-level security)
        from stack_cfo.crypto.envelope import rewrap
        from stack_cfo.store.archive_keys import PgKeyRing

        keks = master_keys(config)
        ring = PgKeyRing(db)
        rewrapped = skipped = 0
        seen: set[tuple[str, int]] = set()
        while True:
            pending = [r for r in await ring.wrapped_by_other_keys(keks.primary.kek_id, limit=batch)
                       if (r.user_id, r.version) not in seen]
            if not pending:
                break
            for record in pending:
                seen.add((record.user_id, record.version))
                wrapped, kek_id = rewrap(record, keks)  # ArchiveKeyMismatch if its master key is not configured
                if await ring.replace_wrapped(record, wrapped, kek_id):
                    rewrapped += 1
                else:
                    skipped += 1
        left = await ring.count_by_kek()
        log.info("master key rotation done", extra={"primary": keks.primary.kek_id, "rewrapped": rewrapped,
                                                    "skipped": skipped})
        return {"rewrapped": rewrapped, "skipped": skipped, **{f"live:{k}": v for k, v in sorted(left.items())}}
