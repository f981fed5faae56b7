"""AIP-155 request ids over PostgreSQL (implements :class:`~stack_cfo.core.idempotency.IdempotencyStore`).

The idempotency row is inserted in the *same* transaction as the work, so a concurrent
duplicate blocks on the primary key until the first commits, then reads its response. A
request id reused with a different request is INVALID_ARGUMENT (REQUEST_ID_REUSED).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from psycopg import AsyncConnection

from stack_cfo.core import data_scope
from stack_cfo.core.errors import FieldViolation, InvalidArgument
from stack_cfo.core.idempotency import Idempotency
from stack_cfo.crypto.fields import SealerSource, UserCipher
from stack_cfo.store.db import Database


def request_hash(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


#: A stored response sealed under a user's data key: ``sealed:<user id>:<sc1 token>`` (the id in the
#: clear so erasure finds the row, as it finds one whose response names the user).
_SEALED = b"sealed:"
_COLUMN = "idempotency_keys.response"
#: Kept in the clear: an erasure's own answer (counts) outlives the key it destroys, and its retry
#: must replay it (the erasure keeps these rows, see ``store.erasure``).
_CLEAR_METHODS = frozenset({"EraseUserData"})


def _sealed(cipher: UserCipher | None, owner: str, ref: str, response: bytes) -> bytes:
    if cipher is None or not cipher.sealing:
        return response
    token = cipher.seal(_COLUMN, ref, base64.b64encode(response).decode("ascii"))
    return _SEALED + owner.encode("ascii") + b":" + token.encode("ascii")


async def _opened(sealer: SealerSource | None, ref: str, stored: bytes) -> bytes:
    if sealer is None or not stored.startswith(_SEALED):
        return stored  # clear (no user acting, sealing off, or written before sealing existed)
    owner, _, token = stored[len(_SEALED):].partition(b":")
    cipher = await sealer.cipher(owner.decode("ascii"))
    return base64.b64decode(cipher.open(_COLUMN, ref, token.decode("ascii")))


async def run_idempotent(
    db: Database,
    *,
    method: str,
    principal: str,
    request_id: str,
    payload: bytes,
    work: Callable[[AsyncConnection[Any]], Awaitable[bytes]],
    sealer: SealerSource | None = None,
) -> bytes:
    """Run ``work`` once per (method, principal, request_id); return its (stored) response bytes.

    With ``sealer`` and a user acting (:mod:`~stack_cfo.core.data_scope`), the stored response is
    sealed under that user's data key: responses carry what the tables seal (a webhook endpoint's
    signing secret and URL, a device's name), and a retry's replay opens it."""
    if not request_id:
        async with db.transaction() as conn:
            return await work(conn)
    digest = request_hash(payload)
    scope = data_scope.current()
    owner = scope.user_id if scope is not None else None
    cipher = (
        await sealer.cipher(owner, create=True)
        if sealer is not None and owner and method not in _CLEAR_METHODS else None
    )
    ref = f"{method}|{principal}|{request_id}"
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
                (_sealed(cipher, owner or "", ref, response), method, principal, request_id),
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
    return await _opened(sealer, ref, bytes(row["response"] or b""))


class PgIdempotencyStore:
    """:class:`~stack_cfo.core.idempotency.IdempotencyStore` for work that keeps its own transactions:
    the key row is written in a transaction of its own around ``work``, so a concurrent retry
    waits for the first call and then replays its response."""

    def __init__(self, db: Database, sealer: SealerSource | None = None) -> None:
        self.db = db
        self.sealer = sealer

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
            sealer=self.sealer,
        )
