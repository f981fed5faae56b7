"""Users are created on first use: the calling backend owns identities, we key data by its ids."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection


async def ensure_user(conn: AsyncConnection[Any], user_id: str) -> None:
    await conn.execute("INSERT INTO users (id) VALUES (%s) ON CONFLICT (id) DO NOTHING", (user_id,))


async def user_exists(conn: AsyncConnection[Any], user_id: str) -> bool:
    cur = await conn.execute("SELECT 1 FROM users WHERE id = %s", (user_id,))
    return await cur.fetchone() is not None
