"""The archived transcript: one JSON document per session (``chat-sessions/`` namespace).

Format ``stack-cfo/chat-transcript/v1``::

    {"format": "stack-cfo/chat-transcript/v1",
     "name": "users/{user}/sessions/{session}", "title", "provider", "model",
     "status": "archived", "tokens_used", "message_count", "auto_summarize", "summarize_interval",
     "create_time", "update_time", "last_access_time", "archive_time",   # RFC 3339 UTC
     "portfolio_context": {...PortfolioContext.to_json()...},
     "messages": [{"id", "seq", "role", "content", "create_time", "prompt_tokens",
                   "completion_tokens", "fee_neuron", "provider", "model", "verification",
                   "degraded", "offline", "incomplete", "degraded_reason",
                   "grounding", "receipt_id"}],   # assistant answers: the check and the receipt's id
     "summaries": [{"version", "from_seq", "to_seq", "content", "content_sha256",
                    "source_sha256", "offline", "create_time"}]}

``degraded_reason`` (the contract's code, "" when not degraded) is absent from archives written
before it existed; reading treats it as "". ``grounding`` (GroundingRecord JSON) and
``receipt_id`` are absent from archives written before they were kept: an answer read from one
is NOT_CHECKED, without a receipt. UserDataService.GetArchivedSession reads it back with
:func:`parse_transcript`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from stack_cfo.core.chat.models import (
    ChatMessage,
    ChatSession,
    MessageRole,
    PortfolioContext,
    SessionStatus,
    Summary,
)
from stack_cfo.core.errors import FailedPrecondition
from stack_cfo.core.provenance import GroundingRecord

FORMAT = "stack-cfo/chat-transcript/v1"


def session_name(user_id: str, session_id: str) -> str:
    return f"users/{user_id}/sessions/{session_id}"


def _ts(v: datetime | None) -> str | None:
    return v.astimezone(UTC).isoformat() if v is not None else None


def _parse_ts(v: Any) -> datetime | None:
    if not v:
        return None
    d = datetime.fromisoformat(str(v))
    return d if d.tzinfo is not None else d.replace(tzinfo=UTC)


def transcript_document(
    session: ChatSession, messages: Sequence[ChatMessage], summaries: Sequence[Summary], *, archived_at: datetime
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "name": session_name(session.user_id, session.id),
        "title": session.title,
        "provider": session.provider,
        "model": session.model,
        "status": SessionStatus.ARCHIVED.value,
        "tokens_used": session.tokens_used,
        "message_count": session.message_count,
        "auto_summarize": session.auto_summarize,
        "summarize_interval": session.summarize_interval,
        "create_time": _ts(session.created_at),
        "update_time": _ts(session.updated_at),
        "last_access_time": _ts(session.last_accessed_at),
        "archive_time": _ts(archived_at),
        "portfolio_context": session.context.to_json(),
        "messages": [
            {
                "id": m.id,
                "seq": m.seq,
                "role": m.role.value,
                "content": m.content,
                "create_time": _ts(m.created_at),
                "prompt_tokens": m.prompt_tokens,
                "completion_tokens": m.completion_tokens,
                "fee_neuron": str(m.fee_neuron) if m.fee_neuron is not None else None,
                "provider": m.provider,
                "model": m.model,
                "verification": m.verification,
                "degraded": m.degraded,
                "offline": m.offline,
                "incomplete": m.incomplete,
                "degraded_reason": m.degraded_reason,
                **_provenance(m),
            }
            for m in messages
        ],
        "summaries": [
            {
                "version": s.version,
                "from_seq": s.from_seq,
                "to_seq": s.to_seq,
                "content": s.content,
                "content_sha256": s.content_sha256,
                "source_sha256": s.source_sha256,
                "offline": s.offline,
                "create_time": _ts(s.created_at),
            }
            for s in summaries
        ],
    }


def _provenance(m: ChatMessage) -> dict[str, Any]:
    if m.role is not MessageRole.ASSISTANT:
        return {}
    receipt_id = m.receipt.id if m.receipt is not None else m.receipt_id
    return {
        "grounding": m.grounding.to_json() if m.grounding is not None else None,
        "receipt_id": receipt_id,
    }


def encode_transcript(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Transcript:
    session: ChatSession
    messages: tuple[ChatMessage, ...]


def parse_transcript(data: bytes) -> Transcript:
    """Read an archived transcript back (FailedPrecondition ARCHIVE_FORMAT_UNKNOWN if it is not one)."""
    try:
        doc = json.loads(data.decode("utf-8"))
        if doc.get("format") != FORMAT:
            raise ValueError("format")
        _, user_id, _, session_id = str(doc["name"]).split("/")
        created = _parse_ts(doc.get("create_time"))
        session = ChatSession(
            id=session_id,
            user_id=user_id,
            title=str(doc["title"]),
            status=SessionStatus.ARCHIVED,
            provider=str(doc.get("provider") or ""),
            model=str(doc.get("model") or ""),
            context=PortfolioContext.from_json(doc.get("portfolio_context"), default_time=created),
            tokens_used=int(doc.get("tokens_used") or 0),
            message_count=int(doc.get("message_count") or 0),
            auto_summarize=bool(doc.get("auto_summarize", True)),
            summarize_interval=int(doc.get("summarize_interval") or 20),
            created_at=created,
            updated_at=_parse_ts(doc.get("update_time")),
            last_accessed_at=_parse_ts(doc.get("last_access_time")),
            archive_time=_parse_ts(doc.get("archive_time")),
        )
        messages = tuple(
            ChatMessage(
                id=str(m["id"]),
                session_id=session_id,
                seq=int(m["seq"]),
                role=MessageRole(m["role"]),
                content=str(m["content"]),
                created_at=_parse_ts(m.get("create_time")) or datetime.fromtimestamp(0, UTC),
                prompt_tokens=int(m.get("prompt_tokens") or 0),
                completion_tokens=int(m.get("completion_tokens") or 0),
                fee_neuron=int(m["fee_neuron"]) if m.get("fee_neuron") not in (None, "") else None,
                provider=str(m.get("provider") or ""),
                model=str(m.get("model") or ""),
                verification=str(m.get("verification") or ""),
                degraded=bool(m.get("degraded")),
                offline=bool(m.get("offline")),
                incomplete=bool(m.get("incomplete")),
                degraded_reason=str(m.get("degraded_reason") or ""),
                grounding=GroundingRecord.from_json(m.get("grounding")) if m["role"] == "assistant" else None,
                receipt_id=str(m["receipt_id"]) if m.get("receipt_id") else None,
            )
            for m in doc.get("messages") or ()
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise FailedPrecondition(
            "archived object is not a chat transcript",
            reason="ARCHIVE_FORMAT_UNKNOWN",
            metadata={"detail": type(exc).__name__},
        ) from None
    return Transcript(session=session, messages=messages)


def with_address(t: Transcript, address: str) -> Transcript:
    return replace(t, session=replace(t.session, archive_address=address))
