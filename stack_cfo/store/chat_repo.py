"""PostgreSQL persistence of chat sessions (the seed's ChatSessionRepository), the transcript,
summaries, the daily token ledger and the per-session turn lease.

No method keeps a transaction open after it returns. Turns are serialised by a lease row
(``chat_sessions.lease_owner`` / ``lease_expires_at``) that a background task renews while
the AI answers, so neither a transaction nor a pooled connection is held across the AI call,
and a crashed holder's lease simply expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from stack_cfo.core.chat.models import (
    ChatMessage,
    ChatSession,
    MessageRole,
    NewSession,
    PortfolioContext,
    SessionStatus,
    Summary,
)
from stack_cfo.core.chat.ports import TurnStart
from stack_cfo.core.errors import Aborted, FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from stack_cfo.store.db import Database
from stack_cfo.store.idempotency import run_idempotent
from stack_cfo.store.queries import load_queries
from stack_cfo.store.users import ensure_user

log = logging.getLogger(__name__)

Q = load_queries("chat")

LEASE_TTL = 30.0
"""Seconds a turn lease lives without renewal (a crashed holder blocks the session this long)."""
LEASE_RENEW_EVERY = 10.0


def _session(row: Mapping[str, Any]) -> ChatSession:
    return ChatSession(
        id=str(row["id"]),
        user_id=str(row["user_id"]),
        title=row["title"],
        status=SessionStatus(row["status"]),
        provider=row["provider_address"],
        model=row["model"],
        context=PortfolioContext.from_json(row["context"], default_time=row["created_at"]),
        tokens_used=int(row["tokens_used"]),
        message_count=int(row["message_count"]),
        auto_summarize=bool(row["auto_summarize"]),
        summarize_interval=int(row["summarize_interval"]),
        archive_address=row["archive_address"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        last_accessed_at=row["last_accessed_at"],
        archive_time=row["archive_time"],
    )


def _message(row: Mapping[str, Any]) -> ChatMessage:
    return ChatMessage(
        id=str(row["id"]),
        session_id=str(row["session_id"]),
        seq=int(row["seq"]),
        role=MessageRole(row["role"]),
        content=row["content"],
        created_at=row["created_at"],
        prompt_tokens=int(row["prompt_tokens"]),
        completion_tokens=int(row["completion_tokens"]),
        fee_neuron=int(row["fee_neuron"]) if row["fee_neuron"] is not None else None,
        provider=row["provider"],
        model=row["model"],
        verification=row["verification"],
        degraded=bool(row["degraded"]),
        offline=bool(row["offline"]),
        incomplete=bool(row["incomplete"]),
        context_refreshed=bool(row["context_refreshed"]),
        compressed=bool(row["compressed"]),
        request_id=row["request_id"],
        reply_to=str(row["reply_to"]) if row["reply_to"] is not None else None,
    )


def _summary(row: Mapping[str, Any]) -> Summary:
    return Summary(
        id=str(row["id"]),
        session_id=str(row["session_id"]),
        version=int(row["version"]),
        from_seq=int(row["from_seq"]),
        to_seq=int(row["to_seq"]),
        content=row["content"],
        content_sha256=row["content_sha256"],
        source_sha256=row["source_sha256"],
        previous_id=str(row["previous_id"]) if row["previous_id"] is not None else None,
        provider=row["provider"],
        model=row["model"],
        offline=bool(row["offline"]),
        prompt_tokens=int(row["prompt_tokens"]),
        completion_tokens=int(row["completion_tokens"]),
        created_at=row["created_at"],
    )


def _message_params(m: ChatMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "session_id": m.session_id,
        "role": m.role.value,
        "content": m.content,
        "prompt_tokens": m.prompt_tokens,
        "completion_tokens": m.completion_tokens,
        "fee_neuron": m.fee_neuron,
        "provider": m.provider,
        "model": m.model,
        "verification": m.verification,
        "degraded": m.degraded,
        "offline": m.offline,
        "incomplete": m.incomplete,
        "context_refreshed": m.context_refreshed,
        "compressed": m.compressed,
        "request_id": m.request_id,
        "reply_to": m.reply_to,
        "created_at": m.created_at,
    }


def _missing(session_id: str) -> NotFound:
    return NotFound(
        f"session {session_id!r} not found",
        reason="SESSION_NOT_FOUND",
        metadata={"resource_type": "session", "session_id": session_id},
    )


def _inactive(session: ChatSession) -> FailedPrecondition:
    return FailedPrecondition(
        f"session is {session.status.value}; it accepts no changes",
        reason="SESSION_NOT_ACTIVE",
        metadata={"status": session.status.value, "session_id": session.id},
    )


class ChatRepository:
    """Implements :class:`stack_cfo.core.chat.ports.ChatStore` on the shared pool."""

    def __init__(self, db: Database, *, lease_ttl: float = LEASE_TTL, lease_renew_every: float = LEASE_RENEW_EVERY):
        self._db = db
        self._lease_ttl = lease_ttl
        self._lease_renew_every = lease_renew_every

    # ------------------------------------------------------------------ sessions

    async def create_session(self, new: NewSession, *, request_id: str = "", request_hash: str = "") -> ChatSession:
        async def work(conn: AsyncConnection[Any]) -> bytes:
            await ensure_user(conn, new.user_id)
            await conn.execute(
                Q.insert_session,
                {
                    "id": new.id,
                    "user_id": new.user_id,
                    "title": new.title,
                    "context": Jsonb(new.context.to_json()),
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
            raise _missing(session_id)
        return session

    async def get_session(self, session_id: str, *, touch_at: datetime | None = None) -> ChatSession | None:
        if not _is_uuid(session_id):
            return None
        async with self._db.connection() as conn:
            if touch_at is not None:
                cur = await conn.execute(Q.touch_session, {"id": session_id, "at": touch_at})
            else:
                cur = await conn.execute(Q.get_session, {"id": session_id})
            row = await cur.fetchone()
        return _session(row) if row is not None else None

    async def list_sessions(
        self,
        user_id: str,
        statuses: Sequence[SessionStatus],
        *,
        limit: int,
        after: tuple[datetime, str] | None = None,
    ) -> list[ChatSession]:
        params = {
            "user_id": user_id,
            "statuses": [s.value for s in statuses],
            "after_time": after[0] if after else None,
            "after_id": after[1] if after else None,
            "limit": limit,
        }
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.list_sessions, params)
            rows = await cur.fetchall()
        return [_session(r) for r in rows]

    async def delete_session(self, session_id: str, *, at: datetime) -> ChatSession | None:
        async with self._db.connection() as conn:
            await conn.execute(Q.delete_session, {"id": session_id, "at": at})
            cur = await conn.execute(Q.get_session, {"id": session_id})
            row = await cur.fetchone()
        return _session(row) if row is not None else None

    async def update_context(self, session_id: str, context: PortfolioContext, *, at: datetime) -> ChatSession:
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                Q.update_context, {"id": session_id, "context": Jsonb(context.to_json()), "at": at}
            )
            row = await cur.fetchone()
            if row is None:
                cur = await conn.execute(Q.get_session, {"id": session_id})
                current = await cur.fetchone()
                if current is None:
                    raise _missing(session_id)
                raise _inactive(_session(current))
        return _session(row)

    async def check_request(self, method: str, principal: str, request_id: str, request_hash: str) -> bool:
        async with self._db.connection() as conn:
            cur = await conn.execute(
                Q.request_hash, {"method": method, "principal": principal, "request_id": request_id}
            )
            row = await cur.fetchone()
        if row is None:
            return False
        if row["request_hash"] != request_hash:
            raise _reused(request_id)
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
                        raise _reused(request_id)
            cur = await conn.execute(Q.archive_session, {"id": session_id, "address": address, "at": at})
            row = await cur.fetchone()
            if row is None:
                cur = await conn.execute(Q.get_session, {"id": session_id})
                current = await cur.fetchone()
                if current is None:
                    raise _missing(session_id)
                session = _session(current)
                if session.status is not SessionStatus.ARCHIVED:
                    raise _inactive(session)
                return session
        return _session(row)

    # ------------------------------------------------------------------ transcript

    async def messages(self, session_id: str, *, after_seq: int = 0) -> list[ChatMessage]:
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.messages_after, {"session_id": session_id, "after_seq": after_seq})
            rows = await cur.fetchall()
        return [_message(r) for r in rows]

    async def find_turn(self, session_id: str, request_id: str) -> tuple[ChatMessage, ChatMessage | None] | None:
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.find_turn, {"session_id": session_id, "request_id": request_id})
            rows = [_message(r) for r in await cur.fetchall()]
        user = next((m for m in rows if m.role is MessageRole.USER), None)
        if user is None:
            return None
        answer = next((m for m in rows if m.role is MessageRole.ASSISTANT), None)
        return user, answer

    async def begin_turn(
        self,
        session_id: str,
        message: ChatMessage,
        *,
        context: PortfolioContext | None,
        recent_window: int,
        resume: bool = False,
    ) -> TurnStart:
        async with self._db.transaction() as conn:
            cur = await conn.execute(Q.lock_session, {"id": session_id})
            row = await cur.fetchone()
            if row is None:
                raise _missing(session_id)
            locked = _session(row)
            if locked.status is not SessionStatus.ACTIVE:
                raise _inactive(locked)
            if not resume:
                cur = await conn.execute(Q.insert_message, _message_params(message))
                stored_row = await cur.fetchone()
                assert stored_row is not None
                message = _message(stored_row)
            cur = await conn.execute(
                Q.after_message,
                {
                    "id": session_id,
                    "added": 0 if resume else 1,
                    "tokens": 0,
                    "at": message.created_at,
                    "context": Jsonb(context.to_json()) if context is not None else None,
                    "window": recent_window,
                },
            )
            srow = await cur.fetchone()
            assert srow is not None
            cur = await conn.execute(Q.latest_summary, {"session_id": session_id})
            sum_row = await cur.fetchone()
            summary = _summary(sum_row) if sum_row is not None else None
            cur = await conn.execute(
                Q.messages_after, {"session_id": session_id, "after_seq": summary.to_seq if summary else 0}
            )
            uncovered = tuple(_message(r) for r in await cur.fetchall())
        return TurnStart(message=message, session=_session(srow), summary=summary, uncovered=uncovered)

    async def complete_turn(
        self, session_id: str, user_id: str, message: ChatMessage, *, day: date, recent_window: int
    ) -> ChatMessage:
        tokens = message.total_tokens
        async with self._db.transaction() as conn:
            cur = await conn.execute(Q.lock_session, {"id": session_id})
            if await cur.fetchone() is None:
                raise _missing(session_id)
            cur = await conn.execute(Q.insert_message, _message_params(message))
            row = await cur.fetchone()
            assert row is not None
            await conn.execute(
                Q.after_message,
                {
                    "id": session_id,
                    "added": 1,
                    "tokens": tokens,
                    "at": message.created_at,
                    "context": None,
                    "window": recent_window,
                },
            )
            if tokens:
                await conn.execute(Q.add_daily_tokens, {"user_id": user_id, "day": day, "tokens": tokens})
        return _message(row)

    async def latest_summary(self, session_id: str) -> Summary | None:
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.latest_summary, {"session_id": session_id})
            row = await cur.fetchone()
        return _summary(row) if row is not None else None

    async def summaries(self, session_id: str) -> list[Summary]:
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.summaries, {"session_id": session_id})
            rows = await cur.fetchall()
        return [_summary(r) for r in rows]

    async def save_summary(self, summary: Summary, user_id: str, *, day: date) -> Summary:
        tokens = summary.total_tokens
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                Q.insert_summary,
                {
                    "id": summary.id,
                    "session_id": summary.session_id,
                    "version": summary.version,
                    "from_seq": summary.from_seq,
                    "to_seq": summary.to_seq,
                    "content": summary.content,
                    "content_sha256": summary.content_sha256,
                    "source_sha256": summary.source_sha256,
                    "previous_id": summary.previous_id,
                    "provider": summary.provider,
                    "model": summary.model,
                    "offline": summary.offline,
                    "prompt_tokens": summary.prompt_tokens,
                    "completion_tokens": summary.completion_tokens,
                    "created_at": summary.created_at,
                },
            )
            row = await cur.fetchone()
            assert row is not None
            if tokens:
                await conn.execute(Q.add_session_tokens, {"id": summary.session_id, "tokens": tokens})
                await conn.execute(Q.add_daily_tokens, {"user_id": user_id, "day": day, "tokens": tokens})
        return _summary(row)

    async def daily_tokens(self, user_id: str, day: date) -> int:
        async with self._db.connection() as conn:
            cur = await conn.execute(Q.daily_tokens, {"user_id": user_id, "day": day})
            row = await cur.fetchone()
        return int(row["tokens"]) if row is not None else 0

    # ------------------------------------------------------------------ turn lease

    @contextlib.asynccontextmanager
    async def lease(self, session_id: str, *, wait_until: float | None = None) -> AsyncIterator[None]:
        owner = str(uuid.uuid4())
        await self._acquire(session_id, owner, wait_until)
        renewer = asyncio.create_task(self._renew(session_id, owner), name=f"chat-lease-{session_id}")
        try:
            yield
        finally:
            renewer.cancel()
            release = asyncio.ensure_future(self._release(session_id, owner))
            try:
                await asyncio.shield(release)
            except asyncio.CancelledError:
                # Let the release finish on its own; the caller's cancellation goes on.
                raise

    async def _acquire(self, session_id: str, owner: str, wait_until: float | None) -> None:
        delay = 0.005
        while True:
            async with self._db.connection() as conn:
                cur = await conn.execute(Q.acquire_lease, {"id": session_id, "owner": owner, "ttl": self._lease_ttl})
                row = await cur.fetchone()
            assert row is not None
            if row["acquired"]:
                return
            if not row["found"]:
                raise _missing(session_id)
            now = time.monotonic()
            if wait_until is not None and now >= wait_until:
                raise Aborted(
                    "another message on this session is still being answered; retry later",
                    reason="SESSION_BUSY",
                    metadata={"session_id": session_id},
                )
            pause = delay if wait_until is None else min(delay, max(0.0, wait_until - now))
            await asyncio.sleep(pause)
            delay = min(delay * 2, 0.2)

    async def _renew(self, session_id: str, owner: str) -> None:
        while True:
            await asyncio.sleep(self._lease_renew_every)
            try:
                async with self._db.connection() as conn:
                    cur = await conn.execute(Q.renew_lease, {"id": session_id, "owner": owner, "ttl": self._lease_ttl})
                    if await cur.fetchone() is None:
                        log.warning("chat turn lease was lost", extra={"session_id": session_id})
                        return
            except Exception as exc:  # a database blip: try again at the next interval
                log.warning("chat turn lease renewal failed", extra={"session_id": session_id,
                                                                     "error": type(exc).__name__})

    async def _release(self, session_id: str, owner: str) -> None:
        try:
            async with self._db.connection() as conn:
                await conn.execute(Q.release_lease, {"id": session_id, "owner": owner})
        except Exception as exc:  # it expires by itself
            log.warning("chat turn lease release failed", extra={"session_id": session_id,
                                                                 "error": type(exc).__name__})


def _reused(request_id: str) -> InvalidArgument:
    return InvalidArgument(
        "request_id: was already used for a different request",
        violations=[FieldViolation("request_id", "already used for a different request")],
        reason="REQUEST_ID_REUSED",
        metadata={"request_id": request_id},
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
