"""Chat sessions: create (idempotent), read, list, delete, context, archive."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from stack_cfo.core.archive import StoreSubmission
from stack_cfo.core.chat.models import (
    ChatSession,
    NewSession,
    PortfolioContext,
    SessionStatus,
)
from stack_cfo.core.chat.ports import SessionRows
from stack_cfo.crypto.fields import UserCipher, is_sealed
from stack_cfo.store.chat._common import (
    CONTENT,
    CONTEXT,
    SUMMARY,
    TITLE,
    Q,
    RepoBase,
    inactive,
    is_uuid,
    message_ref,
    missing,
    reused,
    session_row,
)
from stack_cfo.store.idempotency import run_idempotent
from stack_cfo.store.users import ensure_user

log = logging.getLogger(__name__)

RECENT_SECONDS = 900.0
"""A session (and its user) counts as recently active when it was used in the last 15 minutes
(the seed's context staleness threshold)."""


LIST_BATCH_BYTES = 512 * 1024
"""ListSessions reads its rows in batches of about this many stored context bytes (one row at least),
and stops reading once the page is full: a page of a few large contexts reads little more than it sends."""
def _listed(row: Mapping[str, Any], cipher: UserCipher) -> ChatSession:
    """The session of a ``list_sessions_by_id`` row (its context opened when sealed)."""
    text = row["context_json"]
    value = json.loads(text) if text is not None else None
    if is_sealed(value):
        plain = cipher.open(CONTEXT, str(row["id"]), cast(str, value))
        if plain is not value:
            value = json.loads(plain)
    return session_row({**row, "context": value}, cipher)


def _decode_batch(
    rows: list[Mapping[str, Any] | None],
    cipher: UserCipher,
    measure: Callable[[ChatSession], int] | None,
    room: int | None,
    more: bool,
) -> tuple[list[ChatSession], int, bool]:
    """The sessions of ``rows`` (None: a row deleted since the keys were read) in order, their bytes
    by ``measure``, and whether it stopped with sessions left (``more``: after ``rows``) once their
    bytes passed ``room``: the rows after that one are not opened."""
    out: list[ChatSession] = []
    used = 0
    for i, row in enumerate(rows):
        if row is None:
            continue
        session = _listed(row, cipher)
        out.append(session)
        used += measure(session) if measure is not None else 0
        if room is not None and used > room:
            return out, used, more or i + 1 < len(rows)
    return out, used, False


@dataclass(frozen=True, slots=True)
class ChatActivity:
    active_sessions: int
    """Sessions with status active (not deleted or archived)."""
    recent_sessions: int
    recent_users: int


class SessionQueries(RepoBase):
    # ------------------------------------------------------------------ sessions

    async def create_session(self, new: NewSession, *, request_id: str = "", request_hash: str = "") -> ChatSession:
        cipher = await self._sealer.cipher(new.user_id, create=True)

        async def work(conn: AsyncConnection[Any]) -> bytes:
            await ensure_user(conn, new.user_id)
            await conn.execute(
                Q.insert_session,
                {
                    "id": new.id,
                    "user_id": new.user_id,
                    "title": cipher.seal(TITLE, new.id, new.title),
                    "context": Jsonb(cipher.seal_json(CONTEXT, new.id, new.context.to_json())),
                    "at": new.created_at,
                    "provider": new.provider,
                    "model": new.model,
                    "auto_summarize": new.auto_summarize,
                    "summarize_interval": new.summarize_interval,
                },
            )
            return new.id.encode()

        session_id = (
            await run_idempotent(
                self._db,
                method="ChatService.CreateSession",
                principal=new.user_id,
                request_id=request_id,
                payload=request_hash.encode(),
                work=work,
            )
        ).decode()
        session = await self.get_session(session_id)
        if session is None:  # the session of an earlier request was erased since
            raise missing(session_id)
        return session

    async def get_session(self, session_id: str, *, touch_at: datetime | None = None) -> ChatSession | None:
        if not is_uuid(session_id):
            return None
        async with self._db.connection() as conn:
            if touch_at is not None:
                cur = await conn.execute(Q.touch_session, {"id": session_id, "at": touch_at})
            else:
                cur = await conn.execute(Q.get_session, {"id": session_id})
            row = await cur.fetchone()
        return await self._session(row) if row is not None else None

    async def list_sessions(
        self,
        user_id: str,
        statuses: Sequence[SessionStatus],
        *,
        limit: int,
        after: tuple[datetime, str] | None = None,
        max_bytes: int | None = None,
        measure: Callable[[ChatSession], int] | None = None,
    ) -> SessionRows:
        params = {
            "user_id": user_id,
            "statuses": [s.value for s in statuses],
            "after_time": after[0] if after else None,
            "after_id": after[1] if after else None,
            "limit": limit,
        }
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.list_session_keys, params)
            keys = [(str(r["id"]), int(r["context_bytes"] or 0)) for r in await cur.fetchall()]
        if not keys:
            return SessionRows([], cut=False)
        cipher = await self._sealer.cipher(user_id)
        out: list[ChatSession] = []
        used = 0
        at = 0
        while at < len(keys):
            # the next batch: rows whose stored contexts add up to LIST_BATCH_BYTES (at least one row)
            end, stored = at + 1, keys[at][1]
            while end < len(keys) and stored + keys[end][1] <= LIST_BATCH_BYTES:
                stored += keys[end][1]
                end += 1
            batch = keys[at:end]
            async with self._db.connection() as conn:
                cur = await conn.execute(
                    Q.list_sessions_by_id,
                    {"ids": [k for k, _ in batch], "user_id": user_id, "statuses": params["statuses"]},
                )
                rows = {str(r["id"]): r for r in await cur.fetchall()}
            room = max_bytes - used if max_bytes is not None and measure is not None else None
            more = end < len(keys)
            # in a thread: a context stored small may open to megabytes (it is compressed when sealed)
            got, n, cut = await asyncio.to_thread(_decode_batch, [rows.get(k) for k, _ in batch], cipher, measure,
                                                  room, more)
            out += got
            used += n
            if cut:
                return SessionRows(out, cut=True)  # the page is full: the rest stay unread
            at = end
        return SessionRows(out, cut=False)

    async def delete_session(self, session_id: str, *, at: datetime) -> ChatSession | None:
        async with self._db.connection() as conn:
            await conn.execute(Q.delete_session, {"id": session_id, "at": at})
            cur = await conn.execute(Q.get_session, {"id": session_id})
            row = await cur.fetchone()
        return await self._session(row) if row is not None else None

    async def update_context(self, session_id: str, context: PortfolioContext, *, at: datetime) -> ChatSession:
        if not is_uuid(session_id):
            raise missing(session_id)
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.get_session, {"id": session_id})
            found = await cur.fetchone()
        if found is None:
            raise missing(session_id)
        cipher = await self._sealer.cipher(str(found["user_id"]), create=True)
        sealed = cipher.seal_json(CONTEXT, session_id, context.to_json())
        async with self._db.transaction() as conn:
            cur = await conn.execute(Q.update_context, {"id": session_id, "context": Jsonb(sealed), "at": at})
            row = await cur.fetchone()
            if row is None:
                cur = await conn.execute(Q.get_session, {"id": session_id})
                current = await cur.fetchone()
                if current is None:
                    raise missing(session_id)
                raise inactive(session_row(current))
        return await self._session(row)

    async def check_request(self, method: str, principal: str, request_id: str, request_hash: str) -> bool:
        async with self._db.connection() as conn:
            cur = await conn.execute(
                Q.request_hash, {"method": method, "principal": principal, "request_id": request_id}
            )
            row = await cur.fetchone()
        if row is None:
            return False
        if row["request_hash"] != request_hash:
            raise reused(request_id)
        return True

    async def archive_session(
        self,
        session_id: str,
        *,
        address: str,
        at: datetime,
        request: tuple[str, str, str, str] | None = None,
    ) -> ChatSession:
        async with self._db.transaction() as conn:
            if request is not None:
                method, principal, request_id, request_hash = request
                cur = await conn.execute(
                    Q.record_request,
                    {
                        "method": method,
                        "principal": principal,
                        "request_id": request_id,
                        "request_hash": request_hash,
                        "response": session_id.encode(),
                    },
                )
                if await cur.fetchone() is None:
                    cur = await conn.execute(
                        Q.request_hash, {"method": method, "principal": principal, "request_id": request_id}
                    )
                    prior = await cur.fetchone()
                    if prior is None or prior["request_hash"] != request_hash:
                        raise reused(request_id)
            cur = await conn.execute(Q.archive_session, {"id": session_id, "address": address, "at": at})
            row = await cur.fetchone()
            await conn.execute(Q.drop_archive_upload, {"id": session_id})
            if row is None:
                cur = await conn.execute(Q.get_session, {"id": session_id})
                current = await cur.fetchone()
                if current is None:
                    raise missing(session_id)
                session = await self._session(current)
                if session.status is not SessionStatus.ARCHIVED:
                    raise inactive(session)
                return session
        archived = await self._session(row)
        await self.seal_leftovers(archived.id, archived.user_id)
        return archived

    async def archive_upload(self, session_id: str) -> bytes | None:
        """The sealed transcript an earlier archive attempt kept and did not record (None: none)."""
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.archive_upload, {"id": session_id})
            row = await cur.fetchone()
        return bytes(row["sealed"]) if row is not None else None

    async def drop_archive_upload(self, session_id: str) -> None:
        """Forget the kept sealed transcript: the next attempt seals a new one."""
        async with self._db.connection() as conn:
            await conn.execute(Q.drop_archive_upload, {"id": session_id})

    async def archive_submission(self, session_id: str) -> StoreSubmission | None:
        """The storage payment remembered for the kept transcript (None: none)."""
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.archive_submission, {"id": session_id})
            row = await cur.fetchone()
        if row is None:
            return None
        return StoreSubmission(str(row["submit_tx_hash"]), int(row["submit_nonce"]), bytes(row["submit_raw"]))

    async def remember_archive_submission(self, session_id: str, sealed: bytes, submission: StoreSubmission) -> bool:
        """Remember ``submission`` with the kept transcript ``sealed``; False when those are no
        longer the kept bytes (nothing remembered)."""
        args = {
            "id": session_id,
            "sealed": sealed,
            "tx_hash": submission.tx_hash,
            "nonce": submission.nonce,
            "raw": submission.raw,
        }
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.remember_archive_submission, args)
            return await cur.fetchone() is not None

    async def keep_archive_upload(self, session_id: str, sealed: bytes) -> bool:
        """Keep ``sealed`` (replacing an earlier one) before it is uploaded; False when the session
        is no longer active (nothing kept)."""
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.keep_archive_upload, {"id": session_id, "sealed": sealed})
            return await cur.fetchone() is not None

    async def seal_leftovers(self, session_id: str, user_id: str) -> int:
        """Seal what of a session is still in the clear (rows from before encryption at rest): its
        title, messages, summaries and the recent-message window. Archiving calls it, so an archived
        transcript is left nowhere in plaintext. Returns the number of values sealed."""
        cipher = await self._sealer.cipher(user_id, create=True)
        if not cipher.sealing:
            return 0
        sealed = 0
        async with self._db.transaction() as conn:
            cur = await conn.execute(Q.clear_title, {"id": session_id})
            row = await cur.fetchone()
            if row is not None:
                title = cipher.seal(TITLE, session_id, row["title"])
                await conn.execute(Q.set_title, {"id": session_id, "title": title})
                sealed += 1
            for query, update, column in ((Q.clear_messages, Q.set_message_content, CONTENT),
                                          (Q.clear_summaries, Q.set_summary_content, SUMMARY)):
                cur = await conn.execute(query, {"session_id": session_id})
                for r in await cur.fetchall():
                    ref = message_ref(session_id, str(r["id"]))
                    await conn.execute(update, {"id": r["id"], "content": cipher.seal(column, ref, r["content"])})
                    sealed += 1
            if sealed:
                await conn.execute(Q.rebuild_window, {"id": session_id})
        return sealed

    # ------------------------------------------------------------------ dashboard figures

    async def activity(self, *, recent_seconds: float = RECENT_SECONDS) -> ChatActivity:
        """Open sessions, and sessions and users active within ``recent_seconds``."""
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.chat_activity, {"recent": recent_seconds})
            row = await cur.fetchone()
        assert row is not None
        return ChatActivity(int(row["active_sessions"]), int(row["recent_sessions"]), int(row["recent_users"]))
