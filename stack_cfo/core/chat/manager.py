"""ChatManager: the seed's chat sessions, as a domain service over small ports.

Sessions (create, read, list, delete, context refresh) and archiving live here; a turn of
:meth:`ChatManager.send_message` is run by :class:`~stack_cfo.core.chat.turn.Turns` and
compression by :class:`~stack_cfo.core.chat.summarizer.Summarizer`.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from opentelemetry import trace

from stack_cfo.core.ai import (
    ComputeClient,
)
from stack_cfo.core.archive import CHAT_SESSIONS, ArchivePruned, SealedArchive, StoreSubmission
from stack_cfo.core.chat import metrics
from stack_cfo.core.chat.compression import (
    sha256_text,
)
from stack_cfo.core.chat.models import (
    ChatEvent,
    ChatMessage,
    ChatSession,
    NewSession,
    PortfolioContext,
    SessionStatus,
)
from stack_cfo.core.chat.ports import ChatStore, PortfolioContextSource
from stack_cfo.core.chat.prompt import sanitize_content
from stack_cfo.core.chat.settings import ChatSettings
from stack_cfo.core.chat.summarizer import Summarizer
from stack_cfo.core.chat.support import (
    Background,
    current,
    not_active,
    record_error,
    session_errors,
    session_not_found,
    tracer,
)
from stack_cfo.core.chat.transcript import (
    Transcript,
    encode_transcript,
    parse_transcript,
    session_name,
    transcript_document,
)
from stack_cfo.core.chat.turn import SessionLocks, Turns, busy_until
from stack_cfo.core.clock import Clock
from stack_cfo.core.errors import (
    DataLoss,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    Unavailable,
)
from stack_cfo.core.i18n import UserLocales
from stack_cfo.core.provenance import Audit

log = logging.getLogger(__name__)
MIN_INTERVAL, MAX_INTERVAL = 4, 1000


def _same_transcript(a: bytes, b: bytes) -> bool:
    """The same session content (reading the session to archive it is not a change of it)."""

    def content(data: bytes) -> object:
        doc = json.loads(data)
        doc.pop("last_access_time", None)
        return doc

    return bool(content(a) == content(b))


@dataclass(frozen=True, slots=True)
class _KeptUploadMemory:
    """The archive store's payment for the kept transcript (migration 0024), kept in its row: a
    retry finds the payment even while the storage network has not heard of it yet."""

    store: ChatStore
    session_id: str
    sealed: bytes

    async def recall(self) -> StoreSubmission | None:
        return await self.store.archive_submission(self.session_id)

    async def remember(self, submission: StoreSubmission) -> None:
        if not await self.store.remember_archive_submission(self.session_id, self.sealed, submission):
            # the kept transcript is gone (session deleted, erased): do not pay for it
            raise Unavailable(
                "the transcript to archive is no longer kept; retry with the same request_id",
                reason="ARCHIVE_UPLOAD_GONE",
                metadata={"session_id": self.session_id},
            )


@dataclass(frozen=True, slots=True)
class SessionPage:
    sessions: list[ChatSession]
    next_after: tuple[datetime, str] | None


class ChatManager:
    def __init__(
        self,
        store: ChatStore,
        compute: ComputeClient,
        context_source: PortfolioContextSource,
        archive: SealedArchive | Callable[[], SealedArchive | None] | None,
        clock: Clock,
        settings: ChatSettings,
        locales: UserLocales | None = None,
    ) -> None:
        self._store = store
        self._context = context_source
        self._archive = archive
        self._clock = clock
        self.settings = settings
        self._locks = SessionLocks()
        self._background = Background()
        audit = Audit(clock)
        self._summarizer = Summarizer(store, compute, clock, settings, audit)
        self._turns = Turns(
            store, compute, context_source, clock, settings, self._summarizer, self._background, self._locks, audit,
            locales,
        )

    # ------------------------------------------------------------------ helpers

    def now(self) -> datetime:
        return self._clock.now()

    def _label_provider(self, provider: str) -> str:
        return provider if provider in self.settings.known_providers else "other"

    async def _owned(self, user_id: str, session_id: str, *, touch: bool = False) -> ChatSession:
        session = await self._store.get_session(session_id, touch_at=self._clock.now() if touch else None)
        if session is None or session.user_id != user_id:
            raise session_not_found(user_id, session_id)
        return session

    def _archive_store(self) -> SealedArchive | None:
        if self._archive is None or not callable(self._archive):
            return self._archive
        return self._archive()

    async def astart(self) -> None:
        """Start hearing of sessions deleted or erased on any replica (their answers in flight here
        stop at once); the first turn starts it otherwise."""
        self._turns.watch()

    def begin_shutdown(self) -> None:
        """The process is stopping: turns cut short from now on were cut by the server (what their logs say)."""
        self._turns.shutting_down = True

    def end_turns_of(self, user_id: str) -> None:
        """The user's data was erased: their answers (NOT_FOUND) and background summaries in flight on
        this process stop now, nothing stored, before the erasure returns (other replicas hear of it
        from the database)."""
        self._turns.inflight.user_gone(user_id)

    async def aclose(self) -> None:
        await self._summarizer.aclose()
        await self._background.aclose()

    def send_message(
        self,
        user_id: str,
        session_id: str,
        content: str,
        *,
        request_id: str = "",
        deadline: float | None = None,
    ) -> AsyncGenerator[ChatEvent, None]:
        """Events of one turn: Accepted, Delta*, Completed. Errors before Accepted are raised."""
        return self._turns.send(user_id, session_id, content, request_id=request_id, deadline=deadline)

    # ------------------------------------------------------------------ sessions

    async def create_session(
        self,
        user_id: str,
        title: str,
        *,
        provider: str = "",
        model: str = "",
        auto_summarize: bool | None = None,
        summarize_interval: int = 0,
        request_id: str = "",
    ) -> ChatSession:
        span = tracer.start_span("chat_manager.create_session", attributes={"user.id": user_id})
        try:
            with current(span):
                clean_title = sanitize_content(title).replace("\n", " ")
                if not clean_title:
                    raise InvalidArgument(
                        "session.title: is required",
                        violations=[FieldViolation("session.title", "is required")],
                        reason="MISSING_FIELD",
                        metadata={"field": "session.title"},
                    )
                if len(clean_title) > self.settings.max_title_chars:
                    raise InvalidArgument(
                        f"session.title: at most {self.settings.max_title_chars} characters",
                        violations=[FieldViolation("session.title", "too long")],
                        reason="TITLE_TOO_LONG",
                        metadata={"field": "session.title", "max_chars": self.settings.max_title_chars},
                    )
                model = model.strip() or self.settings.default_model
                if model not in self.settings.allowed_models:
                    raise InvalidArgument(
                        f"session.model: {model[:64]!r} is not an available model",
                        violations=[FieldViolation("session.model", "unknown model")],
                        reason="UNKNOWN_MODEL",
                        metadata={"field": "session.model", "model": model},
                    )
                provider = provider.strip() or self.settings.default_provider
                if not _valid_provider(provider):
                    raise InvalidArgument(
                        "session.provider: must be a 0G provider address (0x...) or \"router\"",
                        violations=[FieldViolation("session.provider", "must be 0x<40 hex> or router")],
                        reason="INVALID_PROVIDER",
                        metadata={"field": "session.provider"},
                    )
                known = {p.lower(): p for p in self.settings.known_providers}
                if known and provider.lower() not in known:
                    # A well-formed address no one configured: every answer would come from another
                    # provider (MODEL_SUBSTITUTED) for the session's whole life.
                    raise InvalidArgument(
                        f"session.provider: {provider!r} is not a provider this server uses",
                        violations=[FieldViolation("session.provider", "not a configured provider")],
                        reason="UNKNOWN_PROVIDER",
                        metadata={"field": "session.provider", "provider": provider,
                                  "known": ", ".join(sorted(known.values()))},
                    )
                provider = known.get(provider.lower(), provider)
                interval = summarize_interval or self.settings.summarize_interval
                if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
                    raise InvalidArgument(
                        f"session.summarize_interval: must be between {MIN_INTERVAL} and {MAX_INTERVAL}",
                        violations=[FieldViolation("session.summarize_interval", "out of range")],
                        reason="INVALID_SUMMARIZE_INTERVAL",
                        metadata={"field": "session.summarize_interval", "value": interval},
                    )
                auto = True if auto_summarize is None else auto_summarize
                request_hash = ""
                if request_id:
                    request_hash = sha256_text(json.dumps([user_id, clean_title, provider, model, auto, interval]))
                with tracer.start_as_current_span("portfolio_context.snapshot"):
                    context = await self._snapshot(user_id)
                new = NewSession(
                    id=str(uuid.uuid4()),
                    user_id=user_id,
                    title=clean_title,
                    provider=provider,
                    model=model,
                    context=context,
                    auto_summarize=auto,
                    summarize_interval=interval,
                    created_at=self._clock.now(),
                )
                with tracer.start_as_current_span("chat_session_repo.save"):
                    session = await self._store.create_session(new, request_id=request_id, request_hash=request_hash)
            if session.id == new.id:
                metrics.SESSIONS_CREATED.labels(self._label_provider(provider), model).inc()
                log.info("chat session created", extra={"session_id": session.id, "user_id": user_id})
            span.set_attribute("chat.session_id", session.id)
            return session
        except BaseException as exc:
            record_error("create_session", exc)
            span.record_exception(exc)
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            span.end()

    async def _snapshot(self, user_id: str) -> PortfolioContext:
        ctx = await self._context.snapshot(user_id)
        return ctx if ctx is not None else PortfolioContext.empty(self._clock.now())

    async def get_session(
        self, user_id: str, session_id: str, *, with_messages: bool, touch: bool
    ) -> tuple[ChatSession, list[ChatMessage] | None]:
        with session_errors("get_session", user_id, session_id):
            session = await self._owned(user_id, session_id, touch=touch)
            messages = await self._store.messages(session_id) if with_messages else None
            return session, messages

    async def list_sessions(
        self,
        user_id: str,
        statuses: Sequence[SessionStatus],
        *,
        limit: int,
        after: tuple[datetime, str] | None = None,
        max_bytes: int | None = None,
        measure: Callable[[ChatSession], int] | None = None,
    ) -> SessionPage:
        """A page of at most ``limit`` sessions; with ``max_bytes``, the store stops reading once the
        sessions read pass that size by ``measure`` (see ChatStore.list_sessions; the caller trims
        the page to what fits)."""
        try:
            found = await self._store.list_sessions(
                user_id, statuses, limit=limit + 1, after=after, max_bytes=max_bytes, measure=measure
            )
        except BaseException as exc:
            record_error("list_sessions", exc)
            raise
        rows = found.sessions
        page = rows[:limit]
        nxt = None
        if (len(rows) > limit or found.cut) and page:
            last = page[-1]
            assert last.last_accessed_at is not None
            nxt = (last.last_accessed_at, last.id)
        return SessionPage(page, nxt)

    async def delete_session(self, user_id: str, session_id: str) -> None:
        with session_errors("delete_session", user_id, session_id):
            await self._owned(user_id, session_id)
            await self._store.delete_session(session_id, at=self._clock.now())
            # an answer or a summary in flight on this process stops now (other replicas hear of it from the store)
            self._turns.inflight.session_gone(session_id)

    async def _touched(self, session: ChatSession, at: datetime | None, touch: bool) -> ChatSession:
        """``session`` with its ``last_accessed_at`` moved to ``at`` (now by default) when ``touch``:
        the user read or wrote it (a service principal's call does not count)."""
        if not touch:
            return session
        touched = await self._store.get_session(session.id, touch_at=at or self._clock.now())
        return touched if touched is not None else session

    async def update_context(
        self, user_id: str, session_id: str, context: PortfolioContext | None, *, touch: bool = False
    ) -> ChatSession:
        """Refresh from the portfolio store (``context`` None) or store the supplied one; with
        ``touch`` (a user's call) the session's last access moves too."""
        with session_errors("update_context", user_id, session_id):
            session = await self._owned(user_id, session_id)
            if session.status is not SessionStatus.ACTIVE:
                raise not_active(session)
            if context is None:
                fresh = await self._context.snapshot(user_id)
                if fresh is None:
                    raise NotFound(
                        "the user has no portfolio to refresh the context from",
                        reason="PORTFOLIO_NOT_FOUND",
                        metadata={"resource_type": "portfolio", "resource_name": f"users/{user_id}/portfolio"},
                    )
                context = fresh
            at = self._clock.now()
            updated = await self._store.update_context(session_id, context, at=at)
            return await self._touched(updated, at, touch)

    # ------------------------------------------------------------------ archive

    async def archive_session(
        self,
        user_id: str,
        session_id: str,
        *,
        request_id: str = "",
        principal: str = "",
        deadline: float | None = None,
        touch: bool = False,
    ) -> ChatSession:
        """Archive the session's transcript and mark it ARCHIVED. Waiting for a message still being
        answered ends with ABORTED SESSION_BUSY shortly before ``deadline`` (``time.monotonic()``;
        ``lock_wait`` without one), as for SendMessage. ``touch``: a user's call (last access)."""
        with session_errors("archive_session", user_id, session_id):
            session, at = await self._archive_session(
                user_id, session_id, request_id=request_id, principal=principal, deadline=deadline
            )
            return await self._touched(session, at, touch)

    async def _archive_session(
        self, user_id: str, session_id: str, *, request_id: str, principal: str, deadline: float | None
    ) -> tuple[ChatSession, datetime | None]:
        """The session, and when this call archived it (None: it was archived before)."""
        session = await self._owned(user_id, session_id)
        request = None
        if request_id:
            request = ("ChatService.ArchiveSession", principal or user_id, request_id, sha256_text(session_id))
            if await self._store.check_request(*request):
                return session, None
        if session.status is SessionStatus.ARCHIVED:
            return session, None
        if session.status is not SessionStatus.ACTIVE:
            raise not_active(session)
        archive = self._archive_store()
        if archive is None:
            raise Unavailable("no archive store is configured", reason="ARCHIVE_STORE_UNAVAILABLE")
        wait_until = busy_until(deadline, self.settings.lock_wait)
        async with self._locks.hold(session_id, wait_until), self._store.lease(session_id, wait_until=wait_until):
            session = await self._owned(user_id, session_id)
            if session.status is SessionStatus.ARCHIVED:
                return session, None
            if session.status is not SessionStatus.ACTIVE:
                raise not_active(session)
            sealed, at = await self._sealed_transcript(archive, session)
            with tracer.start_as_current_span("0g_storage.store", attributes={"chat.session_id": session_id}):
                try:
                    address = await archive.put_sealed(
                        CHAT_SESSIONS,
                        f"{session_id}.json",
                        sealed,
                        owner=user_id,
                        memory=_KeptUploadMemory(self._store, session_id, sealed),
                    )
                except ArchivePruned:
                    # The nodes dropped that very file: the same bytes would meet the same answer.
                    await self._store.drop_archive_upload(session_id)
                    raise
                except Unavailable as exc:
                    raise Unavailable(
                        "the archive store is unavailable; retry with the same request_id",
                        reason="ARCHIVE_STORE_UNAVAILABLE",
                        metadata={"cause": exc.reason},
                    ) from exc
            archived = await self._store.archive_session(session_id, address=address, at=at, request=request)
            log.info("chat session archived", extra={"session_id": session_id, "address": address})
            return archived, at

    async def _sealed_transcript(self, archive: SealedArchive, session: ChatSession) -> tuple[bytes, datetime]:
        """The sealed transcript to upload and its archive time, kept in the store before the upload.

        An earlier attempt's bytes are reused when the session has not changed since (its
        transcript rebuilt at the kept archive time is the same, the last access time aside): the
        retry uploads the very blob the earlier attempt may have submitted and paid for (sealing
        again would draw a new nonce: a new address, a second payment)."""
        key = f"{session.id}.json"
        messages = await self._store.messages(session.id)
        summaries = await self._store.summaries(session.id)
        kept = await self._store.archive_upload(session.id)
        if kept is not None:
            try:
                earlier = await archive.open_sealed(kept, owner=session.user_id, namespace=CHAT_SESSIONS, key=key)
                at = parse_transcript(earlier).session.archive_time
            except (DataLoss, FailedPrecondition, NotFound) as exc:
                log.warning(
                    "chat archive: the kept transcript does not open; sealing a new one",
                    extra={"session_id": session.id, "reason": exc.reason},
                )
            else:
                if at is not None and _same_transcript(
                    earlier, encode_transcript(transcript_document(session, messages, summaries, archived_at=at))
                ):
                    return kept, at
        at = self._clock.now()
        data = encode_transcript(transcript_document(session, messages, summaries, archived_at=at))
        sealed = await archive.seal(CHAT_SESSIONS, key, data, owner=session.user_id)
        if not await self._store.keep_archive_upload(session.id, sealed):
            raise not_active(await self._owned(session.user_id, session.id))
        return sealed, at

    async def archived_transcript(self, user_id: str, session_id: str) -> tuple[Transcript, str, datetime | None]:
        """The archived transcript of a session read back from the archive store (decrypted and
        checked against its address), with the address and the session's archive time.

        FAILED_PRECONDITION (SESSION_NOT_ARCHIVED) when it was never archived; DATA_LOSS
        (ARCHIVE_CORRUPTED) when the stored transcript belongs to another session."""
        session, _ = await self.get_session(user_id, session_id, with_messages=False, touch=False)
        name = session_name(user_id, session_id)
        address = session.archive_address
        if not address:
            raise FailedPrecondition(
                f"session {name!r} has not been archived",
                reason="SESSION_NOT_ARCHIVED",
                metadata={"session": name},
            )
        archive = self._archive_store()
        if archive is None:
            raise Unavailable("no archive store is configured", reason="ARCHIVE_STORE_UNAVAILABLE")
        try:
            data = await archive.get(address, owner=user_id, namespace=CHAT_SESSIONS, key=f"{session_id}.json")
        except Unavailable as exc:
            if exc.reason == "ARCHIVE_STORE_UNAVAILABLE":
                raise
            raise Unavailable(
                "the archive store is unavailable; try again later",
                reason="ARCHIVE_STORE_UNAVAILABLE",
                metadata={"cause": exc.reason, "session": name},
            ) from exc
        transcript = parse_transcript(data)
        if transcript.session.id != session_id or transcript.session.user_id != user_id:
            raise DataLoss(
                "the archived transcript belongs to another session",
                reason="ARCHIVE_CORRUPTED",
                metadata={"session": name, "address": address},
            )
        # the answers' receipts as GetSession shows them (still stored: erasure removes both)
        transcript = replace(transcript, messages=tuple(await self._store.with_receipts(transcript.messages)))
        return transcript, address, transcript.session.archive_time or session.archive_time

# ---------------------------------------------------------------------------- helpers


_HEX = frozenset("0123456789abcdefABCDEF")


def _valid_provider(provider: str) -> bool:
    if provider == "router":
        return True
    return len(provider) == 42 and provider.startswith("0x") and all(c in _HEX for c in provider[2:])
