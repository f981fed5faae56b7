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

A key configured under a known id with other bytes would wrap keys nobody else can unwrap: every
process checks its keys against the stored data keys before it wraps one (at start-up,
``stack-cfo keys rotate`` before re-wrapping, and the key ring before its first new key; see
:func:`stack_cfo.store.archive_keys.wrong_master_key`).
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
    from stack_cfo.store.archive_keys import CheckedKeyRing
    from stack_cfo.store.db import Database

log = logging.getLogger(__name__)


LOCAL_KEY_FILE = "archive-master-key"


def local_master_key_file(data_dir: Path) -> Path:
    """The local archive master key's file in ``data_dir`` (generated at first use): the key of
    an embedded-database set-up, read by every process of one (``serve --workers N`` hands its
    path to the workers as ``STACK_CFO_ARCHIVE_MASTER_KEYS_FILE``)."""
    path = data_dir / LOCAL_KEY_FILE
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


def master_keys_label(config: Config) -> str:
    """The master keys named for an operator: the setting, or the generated key's file."""
    if config.archive.master_keys is None and config.database.url is None:
        return str(config.database.data_dir / LOCAL_KEY_FILE)
    return config.label("archive.master_keys")


def build_archive_store(config: Config, db: Database) -> ClosingArchiveStore:
    """The sealed archive store over ``db`` (keys) and the configured backend (blobs)."""
    from stack_cfo.store.archive_keys import CheckedKeyRing

    inner: Any
    if config.archive.backend == "0g":
        from stack_cfo.zerog.storage.client import ZeroGStorageStore

        inner = ZeroGStorageStore(config.zerog.storage)
    else:
        from stack_cfo.store.archive_pg import PgArchiveStore

        inner = PgArchiveStore(db)
    keks = master_keys(config)
    return ClosingArchiveStore(inner, CheckedKeyRing(db, keks), keks)


def build_field_sealer(config: Config, db: Database) -> tuple[FieldSealer, Any]:
    """Row fields sealed under each user's data key: the same key ring and master keys as the
    archive; and the listener (close it at shutdown) through which erasures in any process reach
    this process's key cache. The listener's start (``Container.astart``, once the database
    answers) checks the master keys against the stored data keys (:func:`check_master_keys`)."""
    from stack_cfo.store.archive_keys import CheckedKeyRing, KeyCacheListener

    a = config.archive
    keks = master_keys(config)
    ring = CheckedKeyRing(db, keks)
    holder: list[FieldSealer] = []
    listener = KeyCacheListener(db.conninfo, forget=lambda user: holder[0].forget(user),
                                forget_all=lambda: holder[0].clear(),
                                on_start=lambda: check_master_keys(config, ring))
    sealer = FieldSealer(
        ring, keks, max_users=a.key_cache_size, ttl=a.key_cache_ttl,
        sealing=a.encrypt_at_rest, on_first_use=listener.ensure_started,
    )
    holder.append(sealer)
    return sealer, listener


async def check_master_keys(config: Config, ring: CheckedKeyRing) -> None:
    """At the start of ``serve`` and ``scheduler``, once the database answers and before anything
    is served: :class:`ConfigError` (exit 2, naming the key id) when a configured master key does
    not unwrap the data keys stored under its id (one query: a live key per configured id; an id
    that wraps none yet is accepted). ``serve`` stops on it (:func:`~stack_cfo.wiring.refusals.refuse`).
    A check the database does not answer is left to the key ring, before its first new key."""
    from stack_cfo.wiring.refusals import refuse

    try:
        wrong = await ring.wrong_key()
    except Exception as exc:  # the database went away again: the ring checks before it stores a key
        log.warning("master keys not checked against the stored data keys at start-up; checked before the "
                    "first new data key", extra={"error": type(exc).__name__})
        return
    if wrong is not None:
        refused = ConfigError(master_keys_label(config), wrong[1])
        refuse(refused)
        raise refused


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
    run) and the live keys left per master key id. First, :class:`ConfigError` (exit 2) when a
    configured master key does not unwrap the data keys stored under its id: re-wrapping under the
    primary with the wrong bytes would lose them for good.
    """
    with system_scope("key-rotation"):  # every user's data key (row-level security)
        from stack_cfo.crypto.envelope import rewrap
        from stack_cfo.store.archive_keys import PgKeyRing, wrong_master_key

        keks = master_keys(config)
        ring = PgKeyRing(db)
        wrong = wrong_master_key(keks, await ring.one_live_per_kek(keks.ids))
        if wrong is not None:
            raise ConfigError(master_keys_label(config), wrong[1])
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
