"""Users are created on first use: the calling backend owns identities, we key data by its ids."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection


async def ensure_user(conn: AsyncConnection[Any], user_id: str) -> None:
    """The user's row, created on first use. A user erased before (EraseUserData left its tombstone,
    ``erased_at``) who writes again is a user again: planned for notifications, found by RunJob."""
    await conn.execute(
        "INSERT INTO users (id) VALUES (%s) ON CONFLICT (id) DO UPDATE SET erased_at = NULL "
        "WHERE users.erased_at IS NOT NULL",
        (user_id,),
    )


async def user_exists(conn: AsyncConnection[Any], user_id: str) -> bool:
    cur = await conn.execute("SELECT 1 FROM users WHERE id = %s", (user_id,))
    return await cur.fetchone() is not None
