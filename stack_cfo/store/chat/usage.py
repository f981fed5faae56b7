"""The tokens each user spent per UTC day (``chat_token_usage``), for AI texts other than chat
turns (whose two transactions book their own): :class:`stack_cfo.core.ai.budget.TokenLedger`."""

from __future__ import annotations

from datetime import date

from stack_cfo.store.chat._common import Q
from stack_cfo.store.db import Database


class TokenUsage:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def daily_tokens(self, user_id: str, day: date) -> int:
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.daily_tokens, {"user_id": user_id, "day": day})
            row = await cur.fetchone()
        return int(row["tokens"]) if row is not None else 0

    async def add_daily_tokens(self, user_id: str, day: date, tokens: int) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(Q.add_daily_tokens, {"user_id": user_id, "day": day, "tokens": tokens})
