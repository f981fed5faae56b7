"""The PostgreSQL :class:`~stack_cfo.crypto.envelope.KeyRing`: wrapped per-user data keys.

Before a process wraps a data key it checks its master keys against the stored ones
(:func:`wrong_master_key`): ``serve`` and ``scheduler`` once the database answers
(:meth:`KeyCacheListener.astart`), ``import-transactions`` before it starts
(:func:`one_live_per_kek_at_start`), ``keys rotate`` before re-wrapping, and
:class:`CheckedKeyRing` before its first new key.

Destroying a user's keys notifies ``user_data_keys`` (payload: the user id) when the transaction
commits, so every process's key cache (:class:`KeyCacheListener`) forgets them at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable, Sequence

from stack_cfo.core.archive import ArchiveKeyMismatch
from stack_cfo.core.data_scope import system_scope
from stack_cfo.crypto.envelope import MasterKeys, WrappedDek
from stack_cfo.store import metrics as store_metrics
from stack_cfo.store.db import Database
from stack_cfo.store.listen import PgListener

CHANNEL = "user_data_keys"

_COLUMNS = "user_id, version, kek_id, wrapped_dek, created_at, destroyed_at"

#: Up to three live data keys wrapped under each of the given master key ids (none for an id that
#: wraps none). A key whose bytes unwrap none of them is not the one that wrapped under its id; one
#: that unwraps any is (a database where a wrong-bytes process already wrapped some keys under the
#: id holds both kinds: the right key must not be refused for the sample). Each lookup stops at its
#: first rows (no ordering: no scan of every user's key at start-up).
_ONE_LIVE_PER_KEK = (
    "SELECT k.user_id, k.version, k.kek_id, k.wrapped_dek, k.created_at, k.destroyed_at "
    "FROM unnest(%s::text[]) AS ids(kek_id) CROSS JOIN LATERAL ("
    f"SELECT {_COLUMNS} FROM archive_data_keys d WHERE d.kek_id = ids.kek_id AND d.destroyed_at IS NULL LIMIT 3"
    ") k"
)


def _row(r: dict) -> WrappedDek:  # type: ignore[type-arg]
    return WrappedDek(
        user_id=str(r["user_id"]),
        version=int(r["version"]),
        kek_id=r["kek_id"],
        wrapped=bytes(r["wrapped_dek"]) if r["wrapped_dek"] is not None else None,
        created_at=r["created_at"],
        destroyed_at=r["destroyed_at"],
    )


@store_metrics.timed(store_metrics.ARCHIVE)
class PgKeyRing:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get_wrapped(self, user_id: str, version: int | None = None) -> WrappedDek | None:
        async with self._db.connection() as conn:
            if version is None:
                cur = await conn.execute(
                    f"SELECT {_COLUMNS} FROM archive_data_keys WHERE user_id = %s AND destroyed_at IS NULL",
                    (user_id,),
                )
            else:
                cur = await conn.execute(
                    f"SELECT {_COLUMNS} FROM archive_data_keys WHERE user_id = %s AND version = %s",
                    (user_id, version),
                )
            row = await cur.fetchone()
        return _row(row) if row else None

    async def put_wrapped(self, user_id: str, wrapped: bytes, kek_id: str, version: int) -> WrappedDek:
        async with self._db.transaction() as conn:
            await conn.execute("INSERT INTO users (id) VALUES (%s) ON CONFLICT (id) DO NOTHING", (user_id,))
            await conn.execute(
                "INSERT INTO archive_data_keys (user_id, version, kek_id, wrapped_dek) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                (user_id, version, kek_id, wrapped),
            )
            cur = await conn.execute(
                f"SELECT {_COLUMNS} FROM archive_data_keys WHERE user_id = %s AND destroyed_at IS NULL",
                (user_id,),
            )
            row = await cur.fetchone()
        assert row is not None  # the insert or a concurrent winner left a live key
        return _row(row)

    async def next_version(self, user_id: str) -> int:
        async with self._db.connection() as conn:
            cur = await conn.execute(
                "SELECT coalesce(max(version), 0) + 1 AS v FROM archive_data_keys WHERE user_id = %s", (user_id,)
            )
            row = await cur.fetchone()
        return int(row["v"]) if row else 1

    async def wrapped_by_other_keys(self, primary: str, *, limit: int = 500) -> list[WrappedDek]:
        """Live keys wrapped by a master key other than ``primary`` (the next batch to re-wrap)."""
        async with self._db.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_COLUMNS} FROM archive_data_keys WHERE kek_id <> %s AND destroyed_at IS NULL "
                "ORDER BY user_id, version LIMIT %s",
                (primary, limit),
            )
            rows = await cur.fetchall()
        return [_row(r) for r in rows]

    async def replace_wrapped(self, record: WrappedDek, wrapped: bytes, kek_id: str) -> bool:
        """Store a re-wrapped key unless it changed meanwhile (erased, or re-wrapped by someone else)."""
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE archive_data_keys SET wrapped_dek = %s, kek_id = %s "
                "WHERE user_id = %s AND version = %s AND kek_id = %s AND destroyed_at IS NULL",
                (wrapped, kek_id, record.user_id, record.version, record.kek_id),
            )
            return cur.rowcount == 1

    async def one_live_per_kek(self, kek_ids: Sequence[str]) -> list[WrappedDek]:
        """A live data key wrapped under each of ``kek_ids`` that wraps any (the system scope
        sees every user's)."""
        async with self._db.connection() as conn:
            cur = await conn.execute(_ONE_LIVE_PER_KEK, (list(kek_ids),))
            return [_row(r) for r in await cur.fetchall()]

    async def count_by_kek(self) -> dict[str, int]:
        """Live keys per master key id."""
        async with self._db.connection() as conn:
            cur = await conn.execute(
                "SELECT kek_id, count(*) AS n FROM archive_data_keys WHERE destroyed_at IS NULL GROUP BY kek_id"
            )
            return {r["kek_id"]: int(r["n"]) for r in await cur.fetchall()}

    async def destroy(self, user_id: str) -> int:
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE archive_data_keys SET wrapped_dek = NULL, destroyed_at = now() "
                "WHERE user_id = %s AND destroyed_at IS NULL",
                (user_id,),
            )
            await conn.execute("SELECT pg_notify(%s, %s::text)", (CHANNEL, user_id))
            return cur.rowcount


def wrong_master_key(keks: MasterKeys, records: Iterable[WrappedDek]) -> tuple[str, str] | None:
    """``(id, problem)`` of the first configured master key that does not unwrap the stored data key
    of ``records`` wrapped under its id (none of them, when there are several); None when each does.
    An id no record has, or a record of an id that is not configured, proves nothing and is passed
    over."""
    tried: dict[str, bool] = {}
    for record in records:
        if record.wrapped is None or record.kek_id not in keks.ids or tried.get(record.kek_id):
            continue
        try:
            keks.get(record.kek_id).unwrap(record.user_id, record.version, record.wrapped)
        except ArchiveKeyMismatch:
            tried.setdefault(record.kek_id, False)
        else:
            tried[record.kek_id] = True
    wrong = next((kek_id for kek_id, ok in tried.items() if not ok), None)
    if wrong is None:
        return None
    return wrong, (
        f"master key {wrong!r} does not unwrap the data keys stored under that id: it is not "
        "the key that wrapped them (an id keeps its bytes for good; a new key needs a new id)"
    )


class CheckedKeyRing(PgKeyRing):
    """A :class:`PgKeyRing` that stores no new data key before it found that the master keys unwrap
    the stored ones (:meth:`wrong_key`: one query, until it passed once): a key configured under a
    known id with other bytes would wrap new users' keys with bytes no other process has, lost for
    good once the right key is back. ``serve`` and ``scheduler`` ask at start-up, once the database
    answers, and stop (exit 2); this guard covers a check that could not run then."""

    def __init__(self, db: Database, keks: MasterKeys) -> None:
        super().__init__(db)
        self._keks = keks
        self._checked = False

    async def wrong_key(self) -> tuple[str, str] | None:
        """``(id, problem)`` of a master key that does not unwrap the data keys stored under its id."""
        if self._checked:
            return None
        with system_scope("master-key-check"):  # every user's data keys
            wrong = wrong_master_key(self._keks, await self.one_live_per_kek(self._keks.ids))
        self._checked = wrong is None
        return wrong

    async def put_wrapped(self, user_id: str, wrapped: bytes, kek_id: str, version: int) -> WrappedDek:
        wrong = await self.wrong_key()
        if wrong is not None:
            raise ArchiveKeyMismatch(f"{wrong[1]}; no new data key is stored until it is fixed", kek_id=wrong[0])
        return await super().put_wrapped(user_id, wrapped, kek_id, version)


async def one_live_per_kek_at_start(conninfo: str, kek_ids: Sequence[str], *, system_role: str | None
                                    ) -> list[WrappedDek]:
    """:meth:`PgKeyRing.one_live_per_kek` over a connection of its own, before any pool: the
    schema may not be migrated yet (no key table: no keys, ``[]``; no roles yet).

    Every user's keys, as the system scope sees them: as ``system_role`` when given (what the
    pool's system scope switches to, when the login user may), else as the login user with
    ``stack_cfo.scope = 'system'`` (the table owner's view, as the migrator's). Connection errors
    (``psycopg.OperationalError``) are the caller's."""
    import psycopg
    from psycopg import sql
    from psycopg.rows import dict_row

    connect = psycopg.AsyncConnection.connect(conninfo, autocommit=True, row_factory=dict_row)
    async with await connect as conn, conn.transaction():
        await conn.execute("SELECT set_config('stack_cfo.scope', 'system', true)")
        if system_role:  # in a savepoint: a role not there (yet), or not granted, is no error
            with contextlib.suppress(psycopg.errors.InvalidParameterValue, psycopg.errors.InsufficientPrivilege):
                async with conn.transaction():
                    await conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(system_role)))
        try:
            async with conn.transaction():
                cur = await conn.execute(_ONE_LIVE_PER_KEK, (list(kek_ids),))
                rows = await cur.fetchall()
        except psycopg.errors.UndefinedTable:
            return []
    return [_row(r) for r in rows]


class KeyCacheListener(PgListener):
    """Forgets a user's cached data key in this process when any process destroys it; after a
    (re)connect, when notifications may have been missed, forgets every cached key."""

    channels = (CHANNEL,)
    name = "pg-listen-user-keys"

    def __init__(self, conninfo: str, *, forget: Callable[[str], None], forget_all: Callable[[], None],
                 on_start: Callable[[], Awaitable[None]] | None = None, **kw: object) -> None:
        super().__init__(conninfo, **kw)  # type: ignore[arg-type]
        self._forget = forget
        self._forget_all = forget_all
        self._on_start = on_start

    def ensure_started(self) -> None:
        self._start_task()

    async def astart(self) -> None:
        """The process's start, once the database answers (``Container.astart``): ``on_start``
        (the master keys checked against the stored data keys)."""
        if self._on_start is not None:
            await self._on_start()

    async def aclose(self) -> None:
        await self.stop()

    def _dispatch(self, channel: str, payload: str) -> None:
        self._forget(payload)

    def _on_connect(self) -> None:
        self._forget_all()
