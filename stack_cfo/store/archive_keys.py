"""The PostgreSQL :class:`~stack_cfo.crypto.envelope.KeyRing`: wrapped per-user data keys.

Destroying a user's keys notifies ``user_data_keys`` (payload: the user id) when the transaction
commits, so every process's key cache (:class:`KeyCacheListener`) forgets them at once.
"""

from __future__ import annotations

from collections.abc import Callable

from stack_cfo.crypto.envelope import WrappedDek
from stack_cfo.store import metrics as store_metrics
from stack_cfo.store.db import Database
from stack_cfo.store.listen import PgListener

CHANNEL = "user_data_keys"

_COLUMNS = "user_id, version, kek_id, wrapped_dek, created_at, destroyed_at"


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


class KeyCacheListener(PgListener):
    """Forgets a user's cached data key in this process when any process destroys it; after a
    (re)connect, when notifications may have been missed, forgets every cached key."""

    channels = (CHANNEL,)
    name = "pg-listen-user-keys"

    def __init__(self, conninfo: str, *, forget: Callable[[str], None], forget_all: Callable[[], None],
                 **kw: object) -> None:
        super().__init__(conninfo, **kw)  # type: ignore[arg-type]
        self._forget = forget
        self._forget_all = forget_all

    def ensure_started(self) -> None:
        self._start_task()

    async def aclose(self) -> None:
        await self.stop()

    def _dispatch(self, channel: str, payload: str) -> None:
        self._forget(payload)

    def _on_connect(self) -> None:
        self._forget_all()
