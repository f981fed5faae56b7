"""Users are created on first use: the calling backend owns identities, we key data by its ids."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection


async def ensure_user(conn: AsyncConnection[Any], user_id: str) -> None:
    """The user's row, created on first use. A user erased before (EraseUserData left its tombstone,
    ``erased_at``) who writes again is a user again: planned for notifications, found by RunJob."""
    # One statement that locks the row only to revive it: ON CONFLICT DO UPDATE would lock every
    # existing user's row for the rest of the transaction, blocking other writes that reference it.
    await conn.execute(
        "WITH revived AS (UPDATE users SET erased_at = NULL WHERE id = %(id)s AND erased_at IS NOT NULL "
        "RETURNING id) "
        "INSERT INTO users (id) SELECT %(id)s WHERE NOT EXISTS (SELECT 1 FROM revived) "
        "ON CONFLICT (id) DO NOTHING",
        {"id": user_id},
    )


async def user_exists(conn: AsyncConnection[Any], user_id: str) -> bool:
    cur = await conn.execute("SELECT 1 FROM users WHERE id = %s", (user_id,))
    return await cur.fetchone() is not None
