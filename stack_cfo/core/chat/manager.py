"""ChatManager: the seed's chat sessions, as a domain service over small ports.

A turn of :meth:`ChatManager.send_message`, in order::

    validate content -> one read: the session, today's tokens, the request_id's earlier turn
    -> replay if that turn was answered -> status and budget checks
    -> the in-process queue of the session -> refresh a stale context
    -> one transaction: take the session's lease row, store the user message  => Accepted
       (no DB transaction and no pooled connection is held while the AI answers; a
       background task renews the lease)
    -> summarise older turns if overdue -> build the prompt -> stream         => Delta*
    -> one transaction: store the answer (partial and marked incomplete if it broke),
       count its tokens, release the lease                                    => Completed
    -> leave the queue; fold older turns into the summary in the background if due

A client that goes away cancels the provider request; what arrived is stored, shielded from
the cancellation, before the lock is released.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace

from stack_cfo.core.ai import (
    CompletionOptions,
    CompletionResult,
    ComputeClient,
    DegradedReason,
    IncompleteCompletion,
    Verification,
    degraded_reason,
)
from stack_cfo.core.archive import CHAT_SESSIONS, SealedArchive
from stack_cfo.core.chat import metrics
from stack_cfo.core.chat.budget import check_budget, usage_day
from stack_cfo.core.chat.compression import (
    CompressionPlan,
    cap_summary,
    effective_keep,
    offline_summary,
    plan_after_turn,
    plan_compression,
    sha256_text,
    source_hash,
    summariser_messages,
)
from stack_cfo.core.chat.models import (
    Accepted,
    ChatEvent,
    ChatMessage,
    ChatSession,
    Completed,
    Delta,
    MessageRole,
    NewSession,
    PortfolioContext,
    SessionStatus,
    Summary,
)
from stack_cfo.core.chat.offline import offline_answer
from stack_cfo.core.chat.ports import ChatStore, PortfolioContextSource
from stack_cfo.core.chat.prompt import build_prompt, sanitize_content, validate_content
from stack_cfo.core.chat.settings import ChatSettings
from stack_cfo.core.chat.staleness import is_stale
from stack_cfo.core.chat.transcript import (
    Transcript,
    encode_transcript,
    parse_transcript,
    session_name,
    transcript_document,
)
from stack_cfo.core.clock import Clock
from stack_cfo.core.errors import (
    Aborted,
    DataLoss,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    StackCfoError,
    Unavailable,
)

log = logging.getLogger(__name__)
tracer = trace.get_tracer("stack_cfo.core.chat")

T = TypeVar("T")

MIN_INTERVAL, MAX_INTERVAL = 4, 1000


def session_not_found(user_id: str, session_id: str) -> NotFound:
    name = session_name(user_id, session_id)
    return NotFound(
        f"session {name!r} not found",
        reason="SESSION_NOT_FOUND",
        metadata={"resource_type": "session", "resource_name": name},
    )


def not_active(session: ChatSession) -> FailedPrecondition:
    return FailedPrecondition(
        f"session is {session.status.value}; it accepts no changes",
        reason="SESSION_NOT_ACTIVE",
        metadata={"status": session.status.value, "resource_name": session_name(session.user_id, session.id)},
    )


@contextlib.contextmanager
def _current(span: trace.Span) -> Iterator[None]:
    """Make ``span`` current for a block that does not cross a ``yield``."""
    token = otel_context.attach(trace.set_span_in_context(span))
    try:
        yield
    finally:
        otel_context.detach(token)


class _SessionLocks:
    """In-process FIFO queue per session, so only one local turn at a time contends for the lease."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str, wait_until: float | None = None) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            if wait_until is None:
                await lock.acquire()
            else:
                try:
                    await asyncio.wait_for(lock.acquire(), max(0.0, wait_until - time.monotonic()))
                except TimeoutError:
                    raise Aborted(
                        "another message on this session is still being answered; retry later",
                        reason="SESSION_BUSY",
                        metadata={"session_id": key},
                    ) from None
            try:
                yield
            finally:
                lock.release()
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


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
    ) -> None:
        self._store = store
        self._compute = compute
        self._context = context_source
        self._archive = archive
        self._clock = clock
        self.settings = settings
        self._locks = _SessionLocks()
        self._background: set[asyncio.Task[Any]] = set()
        self._summarizing: dict[str, asyncio.Task[None]] = {}

    # ------------------------------------------------------------------ helpers

    def now(self) -> datetime:
        return self._clock.now()

    def _label_provider(self, provider: str) -> str:
        return provider if provider in self.settings.known_providers else "other"

    def _error(self, operation: str, exc: BaseException) -> None:
        if isinstance(exc, asyncio.CancelledError | GeneratorExit):
            return  # the caller went away: not an error of ours
        code = exc.reason if isinstance(exc, StackCfoError) else "INTERNAL"
        metrics.ERRORS.labels(operation, code).inc()

    async def _owned(self, user_id: str, session_id: str, *, touch: bool = False) -> ChatSession:
        session = await self._store.get_session(session_id, touch_at=self._clock.now() if touch else None)
        if session is None or session.user_id != user_id:
            raise session_not_found(user_id, session_id)
        return session

    async def _finish(self, aw: Awaitable[T]) -> T:
        """Run ``aw`` to completion even if the caller is cancelled meanwhile (then re-raise)."""
        task = asyncio.ensure_future(aw)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
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

    def _archive_store(self) -> SealedArchive | None:
        if self._archive is None or not callable(self._archive):
            return self._archive
        return self._archive()

    async def aclose(self) -> None:
        for task in list(self._summarizing.values()):
            task.cancel()  # optional work: the next turn redoes it if needed
        if self._summarizing:
            await asyncio.gather(*list(self._summarizing.values()), return_exceptions=True)
        if self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

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
            with _current(span):
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
                        metadata={"field": "session.model", "model": model[:64]},
                    )
                provider = provider.strip() or self.settings.default_provider
                if not _valid_provider(provider):
                    raise InvalidArgument(
                        "session.provider: must be a 0G provider address (0x...) or \"router\"",
                        violations=[FieldViolation("session.provider", "must be 0x<40 hex> or router")],
                        reason="INVALID_PROVIDER",
                        metadata={"field": "session.provider"},
                    )
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
            self._error("create_session", exc)
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
        try:
            session = await self._owned(user_id, session_id, touch=touch)
            messages = await self._store.messages(session_id) if with_messages else None
            return session, messages
        except BaseException as exc:
            self._error("get_session", exc)
            raise

    async def list_sessions(
        self,
        user_id: str,
        statuses: Sequence[SessionStatus],
        *,
        limit: int,
        after: tuple[datetime, str] | None = None,
    ) -> SessionPage:
        try:
            rows = await self._store.list_sessions(user_id, statuses, limit=limit + 1, after=after)
        except BaseException as exc:
            self._error("list_sessions", exc)
            raise
        page = rows[:limit]
        nxt = None
        if len(rows) > limit and page:
            last = page[-1]
            assert last.last_accessed_at is not None
            nxt = (last.last_accessed_at, last.id)
        return SessionPage(page, nxt)

    async def delete_session(self, user_id: str, session_id: str) -> None:
        try:
            await self._owned(user_id, session_id)
            await self._store.delete_session(session_id, at=self._clock.now())
        except BaseException as exc:
            self._error("delete_session", exc)
            raise

    async def update_context(
        self, user_id: str, session_id: str, context: PortfolioContext | None
    ) -> ChatSession:
        """Refresh from the portfolio store (``context`` None) or store the supplied one."""
        try:
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
            return await self._store.update_context(session_id, context, at=self._clock.now())
        except BaseException as exc:
            self._error("update_context", exc)
            raise

    # ------------------------------------------------------------------ archive

    async def archive_session(
        self, user_id: str, session_id: str, *, request_id: str = "", principal: str = ""
    ) -> ChatSession:
        try:
            return await self._archive_session(user_id, session_id, request_id=request_id, principal=principal)
        except BaseException as exc:
            self._error("archive_session", exc)
            raise

    async def _archive_session(
        self, user_id: str, session_id: str, *, request_id: str, principal: str
    ) -> ChatSession:
        session = await self._owned(user_id, session_id)
        request = None
        if request_id:
            request = ("ChatService.ArchiveSession", principal or user_id, request_id, sha256_text(session_id))
            if await self._store.check_request(*request):
                return session
        if session.status is SessionStatus.ARCHIVED:
            return session
        if session.status is not SessionStatus.ACTIVE:
            raise not_active(session)
        archive = self._archive_store()
        if archive is None:
            raise Unavailable("no archive store is configured", reason="ARCHIVE_STORE_UNAVAILABLE")
        wait_until = time.monotonic() + self.settings.lock_wait
        async with self._locks.hold(session_id, wait_until), self._store.lease(session_id, wait_until=wait_until):
            session = await self._owned(user_id, session_id)
            if session.status is SessionStatus.ARCHIVED:
                return session
            if session.status is not SessionStatus.ACTIVE:
                raise not_active(session)
            messages = await self._store.messages(session_id)
            summaries = await self._store.summaries(session_id)
            at = self._clock.now()
            data = encode_transcript(transcript_document(session, messages, summaries, archived_at=at))
            with tracer.start_as_current_span("0g_storage.store", attributes={"chat.session_id": session_id}):
                try:
                    address = await archive.put(CHAT_SESSIONS, f"{session_id}.json", data, owner=user_id)
                except Unavailable as exc:
                    raise Unavailable(
                        "the archive store is unavailable; retry with the same request_id",
                        reason="ARCHIVE_STORE_UNAVAILABLE",
                        metadata={"cause": exc.reason},
                    ) from exc
            archived = await self._store.archive_session(session_id, address=address, at=at, request=request)
            log.info("chat session archived", extra={"session_id": session_id, "address": address})
            return archived

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
        data = await archive.get(address, owner=user_id, namespace=CHAT_SESSIONS, key=f"{session_id}.json")
        transcript = parse_transcript(data)
        if transcript.session.id != session_id or transcript.session.user_id != user_id:
            raise DataLoss(
                "the archived transcript belongs to another session",
                reason="ARCHIVE_CORRUPTED",
                metadata={"session": name, "address": address},
            )
        return transcript, address, transcript.session.archive_time or session.archive_time

    # ------------------------------------------------------------------ messages

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
        return self._send(user_id, session_id, content, request_id=request_id, deadline=deadline)

    async def _send(
        self, user_id: str, session_id: str, content: str, *, request_id: str, deadline: float | None
    ) -> AsyncGenerator[ChatEvent, None]:
        span = tracer.start_span(
            "chat_manager.send_message", attributes={"user.id": user_id, "chat.session_id": session_id}
        )
        try:
            clean = validate_content(content, max_chars=self.settings.max_message_chars)
            wait_until = deadline if deadline is not None else time.monotonic() + self.settings.lock_wait
            async with self._locks.hold(session_id, wait_until), self._store.lease(
                session_id, wait_until=wait_until, eager=False
            ) as lease:
                turn = self._turn(span, user_id, session_id, clean, lease, request_id=request_id, deadline=deadline)
                try:
                    async for event in turn:
                        yield event
                finally:
                    await turn.aclose()
        except BaseException as exc:
            if not isinstance(exc, GeneratorExit | asyncio.CancelledError):
                self._error("send_message", exc)
                span.record_exception(exc)
                span.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            span.end()

    async def _turn(
        self,
        span: trace.Span,
        user_id: str,
        sid: str,
        clean: str,
        lease: Any,
        *,
        request_id: str,
        deadline: float | None,
    ) -> AsyncGenerator[ChatEvent, None]:
        """One turn, in the session's in-process queue."""
        pending = self._summarizing.get(sid)
        if pending is not None and not pending.done():
            # A summary of the previous turns is being written: use it if it is ready soon.
            await asyncio.wait({pending}, timeout=self.settings.summary_wait)
        now = self._clock.now()

        def admit(session: ChatSession, day_tokens: int) -> None:
            if session.status is not SessionStatus.ACTIVE:
                raise not_active(session)
            check_budget(day_tokens, self.settings.daily_token_budget, now)

        assistant_id = str(uuid.uuid4())
        with _current(span), tracer.start_as_current_span("chat_session_repo.get"):
            try:
                start = await self._store.begin_turn(
                    sid,
                    ChatMessage(
                        id=str(uuid.uuid4()),
                        session_id=sid,
                        seq=0,
                        role=MessageRole.USER,
                        content=clean,
                        created_at=now,
                        request_id=request_id or None,
                    ),
                    owner=user_id,
                    day=usage_day(now),
                    admit=admit,
                    recent_window=self.settings.keep_recent_messages,
                    lease=lease,
                )
            except NotFound:
                raise session_not_found(user_id, sid) from None
        resume = start.existing
        if resume:
            _same_request(start.message, clean, request_id)
            if start.answer is not None:
                span.set_attribute("chat.replayed", True)
                for event in _replay(start.message, start.answer):
                    yield event
                return
            if start.message.seq != start.session.message_count:
                raise FailedPrecondition(
                    "the message sent with this request_id was never answered and newer messages followed it",
                    reason="REQUEST_NOT_RESUMABLE",
                    metadata={"request_id": request_id},
                )
        user_msg, session = start.message, start.session
        if not resume:
            metrics.MESSAGES_SENT.inc()
        started = time.perf_counter()
        yield Accepted(user_msg.id, assistant_id, replayed=False)

        refreshed: PortfolioContext | None = None
        if is_stale(session.context, now, self.settings.context_staleness):
            with _current(span), tracer.start_as_current_span("portfolio_context.refresh"):
                refreshed = await self._refresh(user_id, session)
            if refreshed is not None:
                session = replace(session, context=refreshed)

        # Compression: summarise older turns when due (the transcript is not touched).
        summary, uncovered = start.summary, list(start.uncovered)
        if session.auto_summarize:
            plan = plan_compression(
                uncovered=uncovered,
                previous=summary,
                interval=session.summarize_interval,
                keep_recent=self.settings.keep_recent_messages,
            )
            if plan is not None:
                with _current(span):
                    written = await self._summarize(session, plan, deadline)
                if written is not None:
                    summary = written
                    uncovered = [m for m in uncovered if m.seq > written.to_seq]
        history = [m for m in uncovered if m.seq < user_msg.seq]
        prompt = build_prompt(
            context=session.context,
            now=now,
            summary=summary,
            history=history,
            new_message=user_msg.content,
            budget_tokens=self.settings.prompt_budget_tokens,
        )
        span.set_attribute("chat.prompt_estimated_tokens", prompt.estimated_tokens)
        compressed = prompt.summary_used

        ctx = session.context
        options = CompletionOptions(
            max_tokens=self.settings.max_answer_tokens,
            fallback=lambda: offline_answer(ctx, now),
            deadline=deadline,
            operation="chat",
        )
        # The compute client opens ``compute.generate_inference`` (with its http.request and
        # compute.verify_response children) under whatever span is current when it starts.
        parts: list[str] = []
        result: CompletionResult | None = None
        failure: StackCfoError | None = None  # why no result came back (InsufficientFunds is raised)
        with _current(span):
            stream = self._compute.stream(prompt.messages, model=session.model, options=options)
        iterator = stream.__aiter__()
        try:
            while True:
                with _current(span):
                    try:
                        delta = await iterator.__anext__()
                    except StopAsyncIteration:
                        break
                if delta:
                    parts.append(delta)
                    yield Delta(delta)
            result = stream.result
        except IncompleteCompletion as exc:
            result = replace(exc.partial, incomplete=True)
        except (asyncio.CancelledError, GeneratorExit):
            span.set_attribute("chat.cancelled", True)
            partial = _partial(stream, parts, session)
            await self._finish(
                self._store_cancelled(
                    stream, session, user_msg, assistant_id, partial, refreshed is not None, compressed, lease,
                    started,
                )
            )
            raise
        except StackCfoError as exc:
            log.warning("provider failed after accepting the message", extra={"reason": exc.reason})
            result, failure = None, exc
        if result is None:
            # Nothing usable came back. With no text at all, answer with the deterministic
            # writer (the user's message is kept); with some text, the answer broke.
            if parts:
                result = _partial(stream, parts, session)
            else:
                text = offline_answer(ctx, now)
                parts.append(text)
                yield Delta(text)
                result = CompletionResult(text=text, model="offline", provider="offline", degraded=True, offline=True)

        answer = self._answer(session, user_msg, assistant_id, "".join(parts), result, refreshed is not None,
                              compressed, failure)
        if answer.degraded_reason:
            span.set_attribute("chat.degraded_reason", answer.degraded_reason)
        with _current(span), tracer.start_as_current_span("chat_session_repo.update"):
            stored = await self._finish(
                self._store.complete_turn(sid, user_id, answer, day=usage_day(self._clock.now()),
                                          recent_window=self.settings.keep_recent_messages, lease=lease)
            )
        if session.auto_summarize:
            with _current(span):
                self._summarize_soon(session, stored.seq, summary.to_seq if summary is not None else 0)
        success = not (stored.incomplete or stored.offline)
        metrics.MESSAGE_DURATION.labels("true" if success else "false").observe(time.perf_counter() - started)
        span.set_attribute("chat.tokens", stored.total_tokens)
        yield Completed(stored, context_refreshed=refreshed is not None, compressed=compressed)

    def _answer(
        self,
        session: ChatSession,
        user_msg: ChatMessage,
        assistant_id: str,
        text: str,
        result: CompletionResult,
        refreshed: bool,
        compressed: bool,
        failure: BaseException | None = None,
    ) -> ChatMessage:
        substituted = not result.offline and (
            bool(result.model and result.model != session.model)
            or bool(
                result.provider
                and session.provider not in ("", "router")
                and result.provider.lower() != session.provider.lower()
            )
        )
        reason = degraded_reason(result, failure, substituted=substituted)
        degraded = (
            result.degraded or result.offline or substituted or reason == DegradedReason.MODEL_SUBSTITUTED
        )
        return ChatMessage(
            id=assistant_id,
            session_id=session.id,
            seq=0,
            role=MessageRole.ASSISTANT,
            content=text,
            created_at=self._clock.now(),
            prompt_tokens=max(0, result.prompt_tokens),
            completion_tokens=max(0, result.completion_tokens),
            # Offline text is free; a provider that reported no fee leaves it unknown.
            fee_neuron=result.fee_neuron or (0 if result.offline else None),
            provider=result.provider,
            model="offline" if result.offline else result.model,
            verification=result.verification.value,
            degraded=degraded,
            offline=result.offline,
            incomplete=result.incomplete,
            degraded_reason=reason,
            context_refreshed=refreshed,
            compressed=compressed,
            reply_to=user_msg.id,
        )

    async def _store_cancelled(
        self,
        stream: Any,
        session: ChatSession,
        user_msg: ChatMessage,
        assistant_id: str,
        partial: CompletionResult,
        refreshed: bool,
        compressed: bool,
        lease: Any,
        started: float,
    ) -> None:
        """The client went away: cancel the provider request, keep what arrived."""
        try:
            await stream.aclose()
        except Exception:
            log.warning("closing the provider stream failed", exc_info=True)
        usage = stream.result if getattr(stream, "result", None) is not None else partial
        result = replace(
            partial,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            fee_neuron=usage.fee_neuron,
            incomplete=True,
        )
        answer = self._answer(session, user_msg, assistant_id, partial.text, result, refreshed, compressed)
        await self._store.complete_turn(
            session.id, session.user_id, answer, day=usage_day(self._clock.now()),
            recent_window=self.settings.keep_recent_messages, lease=lease,
        )
        metrics.MESSAGE_DURATION.labels("false").observe(time.perf_counter() - started)
        log.info("chat answer cancelled by the client; partial answer stored",
                 extra={"session_id": session.id, "chars": len(partial.text)})

    async def _refresh(self, user_id: str, session: ChatSession) -> PortfolioContext | None:
        """A fresh context, stored on the session; None when the portfolio store could not answer
        (the answer then uses the previous snapshot)."""
        try:
            fresh = await self._snapshot(user_id)
        except Exception as exc:
            self._error("refresh_context", exc)
            log.warning("portfolio context refresh failed; answering from the previous snapshot",
                        extra={"session_id": session.id, "error": type(exc).__name__})
            return None
        try:
            await self._store.update_context(session.id, fresh, at=self._clock.now())
        except StackCfoError as exc:  # answer from the fresh numbers anyway; the next turn retries
            self._error("refresh_context", exc)
            log.warning("refreshed portfolio context could not be stored", extra={"session_id": session.id})
        return fresh

    def _summarize_soon(self, session: ChatSession, last_seq: int, covered_to: int) -> None:
        """Fold older turns into the summary after this turn, off the answer's path.

        The next turn on this process waits for it at most ``summary_wait`` seconds, then goes
        on with the previous summary (as a turn on another replica does). Two writers of one
        version cannot both win (the version is unique); the loser changes nothing.
        """
        keep = effective_keep(self.settings.keep_recent_messages, session.summarize_interval)
        uncovered = last_seq - covered_to
        due = uncovered >= session.summarize_interval if covered_to == 0 else (
            uncovered >= keep + max(1, self.settings.summary_step)
        )
        if not due or session.id in self._summarizing:
            return
        task = asyncio.create_task(self._summarize_later(session), name=f"chat-summary-{session.id}")
        self._summarizing[session.id] = task

    async def _summarize_later(self, session: ChatSession) -> None:
        try:
            previous = await self._store.latest_summary(session.id)
            uncovered = await self._store.messages(session.id, after_seq=previous.to_seq if previous is not None else 0)
            plan = plan_after_turn(
                uncovered=uncovered,
                previous=previous,
                interval=session.summarize_interval,
                keep_recent=self.settings.keep_recent_messages,
                step=self.settings.summary_step,
            )
            if plan is not None:
                await self._summarize(session, plan, None)
        except Exception as exc:
            self._error("summarize", exc)
            log.warning("background summary failed", extra={"session_id": session.id, "error": type(exc).__name__})
        finally:
            self._summarizing.pop(session.id, None)

    async def _summarize(self, session: ChatSession, plan: CompressionPlan, deadline: float | None) -> Summary | None:
        """Write the next summary version; None (previous summary stays) if it cannot be stored."""
        limit = self.settings.summary_max_chars
        fallback = offline_summary(plan, max_chars=limit)
        budget_end = time.monotonic() + self.settings.summary_timeout
        options = CompletionOptions(
            max_tokens=max(64, limit // 3),
            temperature=0.2,
            fallback=fallback,
            deadline=min(deadline, budget_end) if deadline is not None else budget_end,
            operation="summary",
        )
        with tracer.start_as_current_span("chat_manager.summarize", attributes={"chat.to_seq": plan.to_seq}):
            try:
                result = await self._compute.complete(
                    summariser_messages(plan, max_chars=limit), model=session.model, options=options
                )
                text = cap_summary(result.text, limit) if not result.incomplete else ""
            except Exception as exc:
                self._error("summarize", exc)
                log.warning("summariser failed; using the deterministic summary", extra={"error": type(exc).__name__})
                result, text = None, ""
            offline = result is None or result.offline or not text
            if not text:
                text = fallback
            summary = Summary(
                id=str(uuid.uuid4()),
                session_id=session.id,
                version=(plan.previous.version + 1) if plan.previous is not None else 1,
                from_seq=plan.from_seq,
                to_seq=plan.to_seq,
                content=text,
                content_sha256=sha256_text(text),
                source_sha256=source_hash(plan),
                previous_id=plan.previous.id if plan.previous is not None else None,
                provider=result.provider if result is not None else "offline",
                model=result.model if result is not None and not offline else "offline",
                offline=offline,
                prompt_tokens=result.prompt_tokens if result is not None else 0,
                completion_tokens=result.completion_tokens if result is not None else 0,
                created_at=self._clock.now(),
            )
            try:
                saved = await self._store.save_summary(summary, session.user_id, day=usage_day(self._clock.now()))
            except StackCfoError as exc:
                self._error("summarize", exc)
                log.warning("summary could not be stored; the previous one stays in force",
                            extra={"session_id": session.id, "reason": exc.reason})
                return None
        metrics.COMPRESSIONS.inc()
        return saved


# ---------------------------------------------------------------------------- helpers


_HEX = frozenset("0123456789abcdefABCDEF")


def _valid_provider(provider: str) -> bool:
    if provider == "router":
        return True
    return len(provider) == 42 and provider.startswith("0x") and all(c in _HEX for c in provider[2:])


def _same_request(user_msg: ChatMessage, clean: str, request_id: str) -> None:
    if user_msg.content != clean:
        raise InvalidArgument(
            "request_id: was already used for a different message",
            violations=[FieldViolation("request_id", "already used for a different request")],
            reason="REQUEST_ID_REUSED",
            metadata={"request_id": request_id},
        )


def _replay(user_msg: ChatMessage, answer: ChatMessage) -> list[ChatEvent]:
    events: list[ChatEvent] = [Accepted(user_msg.id, answer.id, replayed=True)]
    if answer.content:
        events.append(Delta(answer.content))
    events.append(Completed(answer, context_refreshed=answer.context_refreshed, compressed=answer.compressed))
    return events


def _partial(stream: Any, parts: list[str], session: ChatSession) -> CompletionResult:
    res = getattr(stream, "result", None)
    if isinstance(res, CompletionResult):
        return replace(res, text="".join(parts), incomplete=True)
    return CompletionResult(
        text="".join(parts), model=session.model, provider=session.provider,
        verification=Verification.UNAVAILABLE, incomplete=True,
    )
