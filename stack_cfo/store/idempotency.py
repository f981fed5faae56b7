"""AIP-155 request ids over PostgreSQL (implements :class:`~stack_cfo.core.idempotency.IdempotencyStore`).

The idempotency row is inserted in the *same* transaction as the work, so a concurrent
duplicate blocks on the primary key until the first commits, then reads its response. A
request id reused with a different request is INVALID_ARGUMENT (REQUEST_ID_REUSED).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from psycopg import AsyncConnection

from stack_cfo.core.errors import FieldViolation, InvalidArgument
from stack_cfo.core.idempotency import Idempotency
from stack_cfo.store.db import Database


def request_hash(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


async def run_idempotent(
    db: Database,
    *,
    method: str,
    principal: str,
    request_id: str,
    payload: bytes,
    work: Callable[[AsyncConnection[Any]], Awaitable[bytes]],
) -> bytes:
    """Run ``work`` once per (method, principal, request_id); return its (stored) response bytes."""
    if not request_id:
        async with db.transaction() as conn:
            return await work(conn)
    digest = request_hash(payload)
    async with db.transaction() as conn:
        cur = await conn.execute(
            "INSERT INTO idempotency_keys (method, principal, request_id, request_hash) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING RETURNING 1",
            (method, principal, request_id, digest),
        )
        if await cur.fetchone() is not None:
            response = await work(conn)
            await conn.execute(
                "UPDATE idempotency_keys SET response = %s WHERE method = %s AND principal = %s AND request_id = %s",
                (response, method, principal, request_id),
            )
            return response
        cur = await conn.execute(
            "SELECT request_hash, response FROM idempotency_keys WHERE method = %s AND principal = %s "
            "AND request_id = %s",
            (method, principal, request_id),
        )
        row = await cur.fetchone()
    if row is None or row["request_hash"] != digest:
        raise InvalidArgument(
            "request_id: was already used for a different request",
            violations=[FieldViolation("request_id", "already used for a different request")],
            reason="REQUEST_ID_REUSED",
            metadata={"request_id": request_id},
        )
    return bytes(row["response"] or b"")


class PgIdempotencyStore:
    """:class:`~stack_cfo.core.idempotency.IdempotencyStore` for work that keeps its own transactions:
    the key row is written in a transaction of its own around ``work``, so a concurrent retry
    waits for the first call and then replays its response."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def run(self, key: Idempotency | None, work: Callable[[], Awaitable[bytes]]) -> bytes:
        if key is None:
            return await work()

        async def in_transaction(_conn: AsyncConnection[Any]) -> bytes:
            return await work()

        return await run_idempotent(
            self.db,
            method=key.method,
            principal=key.principal,
            request_id=key.request_id,
            payload=key.fingerprint,
            work=in_transaction,
        )
