"""What the chat repository's parts share: statements, row converters, errors, the lease handle."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from stack_cfo.core.archive import canonical_address
from stack_cfo.core.chat.models import (
    ChatMessage,
    ChatSession,
    MessageRole,
    PortfolioContext,
    SessionStatus,
    Summary,
)
from stack_cfo.core.chat.ports import TurnStart
from stack_cfo.core.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from stack_cfo.core.provenance import GroundingRecord
from stack_cfo.crypto.fields import CLEAR, SealerSource, UserCipher
from stack_cfo.store.chat.replica import ReplicaHeartbeat
from stack_cfo.store.db import Database
from stack_cfo.store.queries import load_queries

Q = load_queries("chat")

LEASE_TTL = 30.0
"""Seconds a turn lease lives without renewal. A crashed holder blocks the session this long when
it recorded no replica heartbeat; with one, until its heartbeat is stale (store.chat.replica)."""
LEASE_RENEW_EVERY = 10.0


#: Sealed columns (see :mod:`stack_cfo.crypto.fields`) and the row identity each is bound to.
TITLE = "chat_sessions.title"
CONTENT = "chat_messages.content"
SUMMARY = "chat_summaries.content"
GROUNDING = "chat_messages.grounding"
CONTEXT = "chat_sessions.context"


def message_ref(session_id: str, message_id: str) -> str:
    return f"{session_id}/{message_id}"


def session_row(row: Mapping[str, Any], cipher: UserCipher | None = None) -> ChatSession:
    """A session; its title opened with ``cipher`` (without one it stays as stored: only for
    rows whose title is not shown, such as the state named in an error)."""
    title, context = row["title"], row["context"]
    if cipher is not None:
        title = cipher.open(TITLE, str(row["id"]), title) if title is not None else None
        context = cipher.open_json(CONTEXT, str(row["id"]), context)
    elif isinstance(context, str):
        context = {}  # sealed, and not opened here (see the docstring)
    return ChatSession(
        id=str(row["id"]),
        user_id=str(row["user_id"]),
        title=title,
        status=SessionStatus(row["status"]),
        provider=row["provider_address"],
        model=row["model"],
        context=PortfolioContext.from_json(context, default_time=row["created_at"]),
        tokens_used=int(row["tokens_used"]),
        message_count=int(row["message_count"]),
        auto_summarize=bool(row["auto_summarize"]),
        summarize_interval=int(row["summarize_interval"]),
        archive_address=canonical_address(row["archive_address"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        last_accessed_at=row["last_accessed_at"],
        archive_time=row["archive_time"],
    )


def message_row(row: Mapping[str, Any], cipher: UserCipher) -> ChatMessage:
    return ChatMessage(
        id=str(row["id"]),
        session_id=str(row["session_id"]),
        seq=int(row["seq"]),
        role=MessageRole(row["role"]),
        content=cipher.open(CONTENT, message_ref(str(row["session_id"]), str(row["id"])), row["content"]),
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
        grounding=(
            GroundingRecord.from_json(
                cipher.open_json(GROUNDING, message_ref(str(row["session_id"]), str(row["id"])), row["grounding"])
            )
            if "grounding" in row and MessageRole(row["role"]) is MessageRole.ASSISTANT
            else None  # not selected (the transcript for a prompt), or a user message
        ),
        receipt_id=str(row["receipt_id"]) if row.get("receipt_id") is not None else None,
    )


def summary_row(row: Mapping[str, Any], cipher: UserCipher) -> Summary:
    return Summary(
        id=str(row["id"]),
        session_id=str(row["session_id"]),
        version=int(row["version"]),
        from_seq=int(row["from_seq"]),
        to_seq=int(row["to_seq"]),
        content=cipher.open(SUMMARY, message_ref(str(row["session_id"]), str(row["id"])), row["content"]),
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


def message_params(m: ChatMessage, cipher: UserCipher) -> dict[str, Any]:
    return {
        "id": m.id,
        "session_id": m.session_id,
        "role": m.role.value,
        "content": cipher.seal(CONTENT, message_ref(m.session_id, m.id), m.content),
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
        "grounding": (
            Jsonb(cipher.seal_json(GROUNDING, message_ref(m.session_id, m.id), m.grounding.to_json()))
            if m.grounding is not None
            else None
        ),
        "receipt_id": m.receipt.id if m.receipt is not None else m.receipt_id,
    }


def message_json(m: ChatMessage, cipher: UserCipher) -> Jsonb:
    """:func:`message_params` as one JSON object (a ``chat_messages`` row for
    ``jsonb_populate_record``): one parameter instead of twenty-one."""
    row = message_params(m, cipher)
    row["created_at"] = m.created_at.isoformat()
    grounding = row["grounding"]
    row["grounding"] = grounding.obj if grounding is not None else None
    return Jsonb(row)


def missing(session_id: str) -> NotFound:
    return NotFound(
        f"session {session_id!r} not found",
        reason="SESSION_NOT_FOUND",
        metadata={"resource_type": "session", "session_id": session_id},
    )


def inactive(session: ChatSession) -> FailedPrecondition:
    return FailedPrecondition(
        f"session is {session.status.value}; it accepts no changes",
        reason="SESSION_NOT_ACTIVE",
        metadata={"status": session.status.value, "session_id": session.id},
    )


class RepoBase:
    """The pool and the lease timing every part of :class:`~stack_cfo.store.chat.ChatRepository` uses."""

    def __init__(
        self,
        db: Database,
        *,
        lease_ttl: float = LEASE_TTL,
        lease_renew_every: float = LEASE_RENEW_EVERY,
        sealer: SealerSource = CLEAR,
        replica: ReplicaHeartbeat | None = None,
    ) -> None:
        self._db = db
        self._sealer = sealer
        """Seals titles, message contents and summaries under their owner's data key."""
        self._lease_ttl = lease_ttl
        self._lease_renew_every = lease_renew_every
        self._orphans: dict[str, dict[str, float]] = {}
        """Leases this process gave up but could not release: session -> owner -> monotonic expiry."""
        self._reclaimer: asyncio.Task[None] | None = None
        self._replica = replica or ReplicaHeartbeat(db.conninfo, role=db.role)
        """This process's heartbeat (started by ``astart``): the leases taken record it."""

    async def _session(self, row: Mapping[str, Any]) -> ChatSession:
        return session_row(row, await self._sealer.cipher(str(row["user_id"])))


@dataclass(eq=False)
class TurnLease:
    """A handle on a session's turn lease (see :meth:`ChatRepository.lease`)."""

    session_id: str
    owner: str
    wait_until: float | None
    held: bool = False
    renewer: asyncio.Task[None] | None = None


class Busy(Exception):
    """The lease is held by someone else (begin_turn rolls back and waits)."""


class Replay(Exception):
    """Leave the begin_turn transaction without changes: the request was answered already."""

    def __init__(self, start: TurnStart) -> None:
        self.start = start


def turn_row(
    rows: Sequence[Mapping[str, Any]], cipher: UserCipher
) -> tuple[ChatMessage, ChatMessage | None] | None:
    msgs = [message_row(r, cipher) for r in rows]
    user = next((m for m in msgs if m.role is MessageRole.USER), None)
    if user is None:
        return None
    return user, next((m for m in msgs if m.role is MessageRole.ASSISTANT), None)


def reused(request_id: str) -> InvalidArgument:
    return InvalidArgument(
        "request_id: was already used for a different request",
        violations=[FieldViolation("request_id", "already used for a different request")],
        reason="REQUEST_ID_REUSED",
        metadata={"request_id": request_id},
    )


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
