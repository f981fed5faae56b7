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
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, TypeVar

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
T = TypeVar("T")

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
        degraded_reason=row["degraded_reason"],
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
        "degraded_reason": m.degraded_reason,
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
            return _turn(await cur.fetchall())

    async def begin_turn(
        self,
        session_id: str,
        message: ChatMessage,
        *,
        owner: str,
        day: date,
        admit: Callable[[ChatSession, int], None],
        recent_window: int,
        lease: TurnLease | None = None,
    ) -> TurnStart:
        if not _is_uuid(session_id):
            raise _missing(session_id)
        take = lease is not None and not lease.held
        delay = 0.005
        while True:
            try:
                # One attempt is one short transaction: a caller cancelled meanwhile waits for
                # it, so a lease it committed always has a holder that will release it.
                return await _run_to_end(
                    self._begin_turn(
                        session_id, message, owner, day, admit, recent_window, lease if take else None
                    )
                )
            except _Busy:
                assert lease is not None
                delay = await self._wait(lease, delay)

    async def _begin_turn(
        self,
        session_id: str,
        message: ChatMessage,
        owner: str,
        day: date,
        admit: Callable[[ChatSession, int], None],
        recent_window: int,
        lease: TurnLease | None,
    ) -> TurnStart:
        # One transaction, pipelined: every statement is sent at once and the checks run on
        # the results before the commit; a failed check raises, which rolls everything back.
        request_id = message.request_id
        try:
            async with self._db.transaction() as conn:
                async with conn.pipeline():
                    took = (
                        await conn.execute(
                            Q.acquire_lease, {"id": session_id, "owner": lease.owner, "ttl": self._lease_ttl}
                        )
                        if lease is not None
                        else None
                    )
                    lock = await conn.execute(Q.lock_for_turn, {"id": session_id, "day": day})
                    ins = await conn.execute(
                        Q.insert_user_message,
                        {
                            "id": message.id,
                            "session_id": session_id,
                            "content": message.content,
                            "request_id": request_id,
                            "created_at": message.created_at,
                        },
                    )
                    upd = await conn.execute(
                        Q.after_message,
                        {
                            "id": session_id,
                            "tokens": 0,
                            "at": message.created_at,
                            "context": None,
                            "window": recent_window,
                        },
                    )
                    summ = await conn.execute(Q.latest_summary, {"session_id": session_id})
                    unc = await conn.execute(Q.uncovered_messages, {"session_id": session_id})
                    prior = (
                        await conn.execute(Q.find_turn, {"session_id": session_id, "request_id": request_id})
                        if request_id
                        else None
                    )
                locked = await lock.fetchone()
                if locked is None or str(locked["user_id"]) != owner:
                    raise _missing(session_id)
                earlier = _turn(await prior.fetchall()) if prior is not None else None
                inserted = await ins.fetchone()
                srow = await upd.fetchone()
                sum_row = await summ.fetchone()
                uncovered = tuple(_message(r) for r in await unc.fetchall())
                assert srow is not None
                start = TurnStart(
                    message=_message(inserted) if inserted is not None else message,
                    session=_session(srow),
                    summary=_summary(sum_row) if sum_row is not None else None,
                    uncovered=uncovered,
                )
                if inserted is None and earlier is not None:
                    start = replace(start, message=earlier[0], existing=True, answer=earlier[1])
                    if earlier[1] is not None:
                        raise _Replay(start)  # answered: change nothing, take no lease
                admit(_session(locked), int(locked["day_tokens"]))
                if took is not None:
                    got = await took.fetchone()
                    if got is None or not got["acquired"]:
                        raise _Busy
                if inserted is None and earlier is None:
                    raise _inactive(_session(locked))  # the insert only skips a used request_id or an inactive session
        except _Replay as replay:
            return replay.start
        if lease is not None:
            self._held(lease)
        return start

    async def complete_turn(
        self,
        session_id: str,
        user_id: str,
        message: ChatMessage,
        *,
        day: date,
        recent_window: int,
        lease: TurnLease | None = None,
    ) -> ChatMessage:
        tokens = message.total_tokens
        release = lease is not None and lease.held
        async with self._db.transaction() as conn:
            async with conn.pipeline():
                lock = await conn.execute(Q.lock_session, {"id": session_id})
                ins = await conn.execute(Q.insert_message, _message_params(message))
                await conn.execute(
                    Q.after_message,
                    {
                        "id": session_id,
                        "tokens": tokens,
                        "at": message.created_at,
                        "context": None,
                        "window": recent_window,
                    },
                )
                if tokens:
                    await conn.execute(Q.add_daily_tokens, {"user_id": user_id, "day": day, "tokens": tokens})
                if release:
                    assert lease is not None
                    await conn.execute(Q.release_lease, {"id": session_id, "owner": lease.owner})
            if await lock.fetchone() is None:
                raise _missing(session_id)
            row = await ins.fetchone()
            assert row is not None
        if release:
            assert lease is not None
            lease.held = False
            if lease.renewer is not None:
                lease.renewer.cancel()
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
    async def lease(
        self, session_id: str, *, wait_until: float | None = None, eager: bool = True
    ) -> AsyncIterator[TurnLease]:
        handle = TurnLease(session_id, str(uuid.uuid4()), wait_until)
        try:
            if eager:
                await self._acquire(handle)
            yield handle
        finally:
            if handle.renewer is not None:
                handle.renewer.cancel()
            if handle.held:
                release = asyncio.ensure_future(self._release(session_id, handle.owner))
                # Let the release finish on its own if the caller is cancelled meanwhile.
                await asyncio.shield(release)
                handle.held = False

    def _held(self, handle: TurnLease) -> None:
        handle.held = True
        handle.renewer = asyncio.create_task(
            self._renew(handle.session_id, handle.owner), name=f"chat-lease-{handle.session_id}"
        )

    async def _wait(self, handle: TurnLease, delay: float) -> float:
        """Back off before trying again; Aborted SESSION_BUSY once the wait limit is reached."""
        now = time.monotonic()
        if handle.wait_until is not None and now >= handle.wait_until:
            raise Aborted(
                "another message on this session is still being answered; retry later",
                reason="SESSION_BUSY",
                metadata={"session_id": handle.session_id},
            )
        pause = delay if handle.wait_until is None else min(delay, max(0.0, handle.wait_until - now))
        await asyncio.sleep(pause)
        return min(delay * 2, 0.2)

    async def _acquire(self, handle: TurnLease) -> None:
        delay = 0.005
        while True:
            async with self._db.connection() as conn:
                cur = await conn.execute(
                    Q.acquire_lease, {"id": handle.session_id, "owner": handle.owner, "ttl": self._lease_ttl}
                )
                row = await cur.fetchone()
            assert row is not None
            if row["acquired"]:
                self._held(handle)
                return
            if not row["found"]:
                raise _missing(handle.session_id)
            delay = await self._wait(handle, delay)

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


@dataclass(eq=False)
class TurnLease:
    """A handle on a session's turn lease (see :meth:`ChatRepository.lease`)."""

    session_id: str
    owner: str
    wait_until: float | None
    held: bool = False
    renewer: asyncio.Task[None] | None = None


class _Busy(Exception):
    """The lease is held by someone else (begin_turn rolls back and waits)."""


class _Replay(Exception):
    """Leave the begin_turn transaction without changes: the request was answered already."""

    def __init__(self, start: TurnStart) -> None:
        self.start = start


async def _run_to_end(aw: Awaitable[T]) -> T:
    """Await ``aw`` to its end even if the caller is cancelled meanwhile, then re-raise that."""
    task = asyncio.ensure_future(aw)
    interrupted = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled():
                raise
            interrupted = True
    if interrupted:
        raise asyncio.CancelledError
    return task.result()


def _turn(rows: Sequence[Mapping[str, Any]]) -> tuple[ChatMessage, ChatMessage | None] | None:
    msgs = [_message(r) for r in rows]
    user = next((m for m in msgs if m.role is MessageRole.USER), None)
    if user is None:
        return None
    return user, next((m for m in msgs if m.role is MessageRole.ASSISTANT), None)


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
