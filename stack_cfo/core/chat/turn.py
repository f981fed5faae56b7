"""One chat turn (:meth:`ChatManager.send_message`), in order::

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

A session that goes while its answer streams (DeleteSession, EraseUserData; on any replica) stops
the turn at once (:mod:`stack_cfo.core.chat.inflight`): the provider request is cancelled, nothing
more is stored and the stream ends with NOT_FOUND (SESSION_NOT_FOUND). The answer's transaction
refuses a session that is gone, for a deletion the turn has not heard of yet.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from stack_cfo.core.ai import (
    CompletionOptions,
    CompletionResult,
    ComputeClient,
    IncompleteCompletion,
    Message,
    ReasonedFallback,
    Verification,
    degraded_reason,
)
from stack_cfo.core.ai.offline import OFFLINE_BANNER, offline_result
from stack_cfo.core.chat import metrics
from stack_cfo.core.chat.answer import Grounder, answer_message
from stack_cfo.core.chat.budget import check_budget, turn_reservation, usage_day
from stack_cfo.core.chat.compression import plan_compression
from stack_cfo.core.chat.evidence import Evidence
from stack_cfo.core.chat.inflight import InFlight, TurnGuard
from stack_cfo.core.chat.models import (
    Accepted,
    ChatEvent,
    ChatMessage,
    ChatSession,
    Completed,
    Delta,
    MessageRole,
    PortfolioContext,
    SessionStatus,
)
from stack_cfo.core.chat.offline import offline_answer
from stack_cfo.core.chat.ports import ChatStore, PortfolioContextSource, TurnStart
from stack_cfo.core.chat.prompt import build_prompt, validate_content
from stack_cfo.core.chat.settings import ChatSettings
from stack_cfo.core.chat.staleness import is_stale
from stack_cfo.core.chat.summarizer import Summarizer
from stack_cfo.core.chat.support import Background, current, not_active, record_error, session_not_found, tracer
from stack_cfo.core.chat.text import estimate_tokens
from stack_cfo.core.clock import Clock
from stack_cfo.core.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    StackCfoError,
    Unavailable,
)
from stack_cfo.core.i18n import LANGUAGE_INSTRUCTIONS, Localizer, UserLocales
from stack_cfo.core.provenance import Audit

log = logging.getLogger(__name__)

class SessionLocks:
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


#: How long before the call's deadline a send waiting for a busy session gives up, at most: the
#: SESSION_BUSY answer must reach the client before its own deadline fires (DEADLINE_EXCEEDED would
#: leave it unsure whether the message was stored).
BUSY_MARGIN = 0.5


def busy_until(deadline: float | None, lock_wait: float) -> float:
    """When a send stops waiting for its session (``time.monotonic()``): ``lock_wait`` from now
    without a deadline; with one, shortly before it (a fifth of the time left, at most BUSY_MARGIN)."""
    now = time.monotonic()
    if deadline is None:
        return now + lock_wait
    left = max(0.0, deadline - now)
    return now + max(0.0, left - min(BUSY_MARGIN, left / 5))


class Turns:
    """Runs turns: admission, the session's queue and lease, the stream, the stored answer."""

    def __init__(
        self,
        store: ChatStore,
        compute: ComputeClient,
        context_source: PortfolioContextSource,
        clock: Clock,
        settings: ChatSettings,
        summarizer: Summarizer,
        background: Background,
        locks: SessionLocks,
        audit: Audit,
        locales: UserLocales | None = None,
    ) -> None:
        self._locales = locales or UserLocales(None)
        self._store = store
        self._compute = compute
        self._context = context_source
        self._clock = clock
        self.settings = settings
        self._summarizer = summarizer
        self._background = background
        self._locks = locks
        self._audit = audit
        self._grounder = Grounder(audit, settings.grounding_policy)
        # shared with the summarizer: a session that goes stops its turns and its background summary
        self.inflight: InFlight = summarizer.inflight
        self._watching = False
        #: Set when the process stops: a turn cut short then was cut by the server, not by its client.
        self.shutting_down = False

    def watch(self) -> None:
        """Hear of sessions that go on any replica (once; the store's LISTEN connection)."""
        if not self._watching:
            self._watching = True
            self._store.watch_sessions(self.inflight.session_gone, self.inflight.session_ids)

    async def send(
        self, user_id: str, session_id: str, content: str, *, request_id: str, deadline: float | None
    ) -> AsyncGenerator[ChatEvent, None]:
        span = tracer.start_span(
            "chat_manager.send_message", attributes={"user.id": user_id, "chat.session_id": session_id}
        )
        self.watch()
        guard: TurnGuard | None = None
        try:
            try:
                clean = validate_content(content, max_chars=self.settings.max_message_chars)
                wait_until = busy_until(deadline, self.settings.lock_wait)
                async with self._locks.hold(session_id, wait_until), self._store.lease(
                    session_id, wait_until=wait_until, eager=False
                ) as lease:
                    guard = self.inflight.enter(user_id, session_id)
                    turn = self._turn(
                        span, user_id, session_id, clean, lease, guard, request_id=request_id, deadline=deadline
                    )
                    try:
                        async for event in turn:
                            yield event
                    finally:
                        guard.open = False
                        await turn.aclose()
            except asyncio.CancelledError:
                if guard is None or not guard.take_cancel():
                    raise
                # The session went while the turn ran (deleted, or the user's data erased, on any
                # replica): the provider request is cancelled and nothing more was stored.
                span.set_attribute("chat.session_gone", True)
                raise session_not_found(user_id, session_id) from None
        except NotFound as exc:
            if exc.reason != "SESSION_NOT_FOUND" or "resource_name" in exc.metadata:
                raise
            # The session went while its answer streamed (the user's data was erased): the same
            # error, with the same metadata, as for a name that was never there.
            raise session_not_found(user_id, session_id) from None
        except BaseException as exc:
            if not isinstance(exc, GeneratorExit | asyncio.CancelledError):
                record_error("send_message", exc)
                span.record_exception(exc)
                span.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            if guard is not None:
                self.inflight.leave(guard)
            span.end()

    async def _turn(
        self,
        span: trace.Span,
        user_id: str,
        sid: str,
        clean: str,
        lease: Any,
        guard: TurnGuard,
        *,
        request_id: str,
        deadline: float | None,
    ) -> AsyncGenerator[ChatEvent, None]:
        """One turn, in the session's in-process queue."""
        await self._summarizer.wait_pending(sid)  # a summary of the previous turns may be ready soon
        now = self._clock.now()

        def admit(session: ChatSession, day_tokens: int, reserved_tokens: int = 0) -> None:
            if session.status is not SessionStatus.ACTIVE:
                raise not_active(session)
            check_budget(day_tokens, self.settings.daily_token_budget, now, reserved_tokens)

        assistant_id = str(uuid.uuid4())
        begun: list[TurnStart] = []  # the start, also when this call is cancelled while it commits
        with current(span), tracer.start_as_current_span("chat_session_repo.get"):
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
                    started=begun.append,
                    # held until complete_turn stores the usage (or the lease ends): turns of the
                    # user in flight on other sessions, on any replica, count it
                    reserve=turn_reservation(self.settings),
                )
            except NotFound:
                raise session_not_found(user_id, sid) from None
            except asyncio.CancelledError:
                # The client went away while its message was being stored (before `accepted`):
                # the message is answered now, with nothing (incomplete), so a retry of its
                # request_id replays that instead of finding an unanswered message behind newer ones.
                if begun and _unanswered(begun[0], clean):
                    span.set_attribute("chat.cancelled", True)
                    await self._background.finish(
                        self._abandon(begun[0], begun[0].session, assistant_id, lease, time.perf_counter(), False, now)
                    )
                raise
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
        refreshed: PortfolioContext | None = None
        # From here a session that goes (deleted, erased) stops the turn: the guard cancels this task
        # while it runs the turn's code (open), or the turn stops when it resumes from a `yield`.
        guard.arm()
        try:
            yield Accepted(user_msg.id, assistant_id, replayed=False)
            guard.reopen()

            if is_stale(session.context, now, self.settings.context_staleness):
                with current(span), tracer.start_as_current_span("portfolio_context.refresh"):
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
                    with current(span):
                        written = await self._summarizer.write(session, plan, deadline)
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
            l10n = await self._l10n(start)
            # The language instruction goes just before the question (system prompt and data block unchanged).
            if l10n.catalog in LANGUAGE_INSTRUCTIONS:
                language = Message("system", LANGUAGE_INSTRUCTIONS[l10n.catalog])
                prompt = replace(prompt, messages=(*prompt.messages[:-1], language, prompt.messages[-1]))
            span.set_attribute("chat.prompt_estimated_tokens", prompt.estimated_tokens)
            compressed = prompt.summary_used
            evidence = Evidence(
                prompt, [*history, user_msg], summary if compressed else None, session.context, user_id, sid
            )

            ctx = session.context
            options = CompletionOptions(
                max_tokens=self.settings.max_answer_tokens,
                fallback=_fallback(ctx, now, user_msg.content, l10n),
                deadline=deadline,
                operation="chat",
                pace=self.settings.delta_interval,
            )
            # The compute client opens ``compute.generate_inference`` (with its http.request and
            # compute.verify_response children) under whatever span is current when it starts.
            parts: list[str] = []
            result: CompletionResult | None = None
            failure: StackCfoError | None = None  # why no result came back (InsufficientFunds is raised)
            with current(span):
                stream = self._compute.stream(prompt.messages, model=session.model, options=options)
        except (asyncio.CancelledError, GeneratorExit):
            # Gone before the provider was asked (at `accepted`, during a refresh or a summary):
            # the message gets an empty, incomplete answer, as a cancelled stream keeps what arrived
            # (unless the session went: then nothing is stored).
            span.set_attribute("chat.cancelled", True)
            if not guard.gone:
                guard.open = False
                await self._background.finish(
                    self._abandon(start, session, assistant_id, lease, started, refreshed is not None, now)
                )
            raise
        iterator = stream.__aiter__()
        # The turn's span is current while the compute client runs (as ``current(span)`` makes
        # it), with the context built once: this loop runs once per delta.
        span_context = trace.set_span_in_context(span)
        attach, detach = otel_context.attach, otel_context.detach
        try:
            while True:
                token = attach(span_context)
                try:
                    delta = await iterator.__anext__()
                except StopAsyncIteration:
                    break
                finally:
                    detach(token)
                if delta:
                    parts.append(delta)
                    guard.open = False  # suspended in the caller's code: not to be cancelled
                    yield Delta(delta)
                    if guard.gone:
                        raise asyncio.CancelledError
                    guard.open = True
            result = stream.result
        except IncompleteCompletion as exc:
            result = replace(exc.partial, incomplete=True)
        except (asyncio.CancelledError, GeneratorExit):
            span.set_attribute("chat.cancelled", True)
            guard.open = False
            if guard.gone:  # the session went: cancel the provider request, store nothing
                await self._background.finish(_close(stream))
                raise
            partial = _partial(stream, parts, session)
            await self._background.finish(
                self._store_cancelled(
                    stream, session, user_msg, assistant_id, partial, refreshed is not None, compressed, lease,
                    started, evidence,
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
                reason = failure.reason if failure is not None else ""
                fallback_text = offline_answer(
                    ctx, now, user_msg.content, reason=degraded_reason(None, failure), l10n=l10n
                )
                result = offline_result(fallback_text, reason=reason, requested_model=session.model)
                parts.append(result.text)
                guard.open = False
                yield Delta(result.text)
                guard.reopen()

        answer = answer_message(
            self._clock.now(), session, user_msg, assistant_id, "".join(parts), result, refreshed is not None,
            compressed, failure,
        )
        # The check runs once the answer is complete, never before the first delta.
        answer, replaced = self._grounder.ground(answer, result, evidence, ctx, now, user_msg.content, l10n)
        if replaced is not None:
            guard.open = False
            yield replaced
            guard.reopen()
        if answer.degraded_reason:
            span.set_attribute("chat.degraded_reason", answer.degraded_reason)
        guard.close()  # the answer's transaction itself refuses a session that is gone
        with current(span), tracer.start_as_current_span("chat_session_repo.update"):
            stored = await self._background.finish(
                self._complete_turn(sid, user_id, answer, lease, charge=_charged(answer, evidence)))
        if session.auto_summarize:
            with current(span):
                self._summarizer.soon(session, stored.seq, summary.to_seq if summary is not None else 0)
        success = not (stored.incomplete or stored.offline)
        metrics.MESSAGE_DURATION.labels("true" if success else "false").observe(time.perf_counter() - started)
        if stored.degraded:
            metrics.DEGRADED_ANSWERS.labels(stored.degraded_reason or "UNSPECIFIED").inc()
        span.set_attribute("chat.tokens", stored.total_tokens)
        yield Completed(stored, context_refreshed=refreshed is not None, compressed=compressed)

    async def _abandon(
        self,
        start: TurnStart,
        session: ChatSession,
        assistant_id: str,
        lease: Any,
        started: float,
        refreshed: bool,
        now: datetime,
    ) -> None:
        """The client went away before the provider was asked: the user message gets an empty,
        incomplete answer (checked and receipted like any cancelled answer, against the prompt it
        would have had), so its request_id replays that and the transcript has no gap."""
        history = [m for m in start.uncovered if m.seq < start.message.seq]
        prompt = build_prompt(
            context=session.context, now=now, summary=start.summary, history=history,
            new_message=start.message.content, budget_tokens=self.settings.prompt_budget_tokens,
        )
        evidence = Evidence(
            prompt, [*history, start.message], start.summary if prompt.summary_used else None, session.context,
            session.user_id, session.id,
        )
        # Offline by configuration, the answer is the offline writer's, whole and free: the compute
        # client settles it when the stream is made (no provider is asked; nothing is read).
        l10n = await self._l10n(start)
        stream = self._compute.stream(prompt.messages, model=session.model, options=CompletionOptions(
            fallback=_fallback(session.context, now, start.message.content, l10n), operation="chat"))
        nothing = _settled(stream) or CompletionResult(
            text="", model=session.model, provider=session.provider, verification=Verification.UNAVAILABLE,
            incomplete=True,
        )
        await self._store_cancelled(
            stream, session, start.message, assistant_id, nothing, refreshed, prompt.summary_used, lease, started,
            evidence,
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
        evidence: Evidence,
    ) -> None:
        """The client went away: cancel the provider request, keep what arrived (checked and with
        its receipt, flagged only: nobody is listening for a replacement)."""
        await _close(stream)
        usage = stream.result if getattr(stream, "result", None) is not None else partial
        result = partial if _settled(stream) is partial else replace(
            partial,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            fee_neuron=usage.fee_neuron,
            incomplete=True,
        )
        answer = answer_message(
            self._clock.now(), session, user_msg, assistant_id, partial.text, result, refreshed, compressed
        )
        answer = self._grounder.flagged(answer, result, evidence)
        await self._complete_turn(session.id, session.user_id, answer, lease, charge=_charged(answer, evidence))
        metrics.MESSAGE_DURATION.labels("false").observe(time.perf_counter() - started)
        who = "the server's shutdown (its grace ran out)" if self.shutting_down else "the client"
        log.info(f"chat answer cancelled by {who}; partial answer stored",
                 extra={"session_id": session.id, "chars": len(partial.text)})

    async def _complete_turn(
        self, session_id: str, user_id: str, answer: ChatMessage, lease: Any, *, charge: int | None = None
    ) -> ChatMessage:
        """Store the answer (and release the lease), retried for ``settings.store_retry_for`` seconds while the
        database is unavailable. A write whose outcome is unknown (the connection broke around its commit)
        that turns out stored is read back, not stored twice."""
        retry_for = self.settings.store_retry_for
        give_up = time.monotonic() + retry_for
        delay = 0.25
        retried = False
        while True:
            try:
                return await self._store.complete_turn(
                    session_id, user_id, answer, day=usage_day(self._clock.now()),
                    recent_window=self.settings.keep_recent_messages, lease=lease, charge=charge,
                )
            except AlreadyExists:
                if not retried:
                    raise
                stored = next((m for m in await self._store.messages(session_id) if m.id == answer.id), None)
                if stored is None:
                    raise
                return replace(stored, receipt=answer.receipt)
            except Unavailable as exc:
                if exc.reason != "DATABASE_UNAVAILABLE" or time.monotonic() + delay > give_up:
                    raise
                if not retried:
                    log.warning("the answer could not be stored: the database is unavailable; retrying",
                                extra={"session_id": session_id, "retry_for_seconds": retry_for})
                retried = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _l10n(self, start: TurnStart) -> Localizer:
        """The user's language: it came with the turn's first transaction (fake stores may not read it)."""
        if start.locale is not None:
            return self._locales.for_tag(start.locale)
        return await self._locales.of(start.session.user_id)

    async def _refresh(self, user_id: str, session: ChatSession) -> PortfolioContext | None:
        """A fresh context, stored on the session; None when the portfolio store could not answer
        or holds no portfolio of the user while the session has a context (one a service supplied
        with UpdatePortfolioContext: kept, as an explicit refresh would keep it with
        PORTFOLIO_NOT_FOUND); the answer then uses the previous snapshot."""
        try:
            fresh = await self._context.snapshot(user_id)
            if fresh is None:
                if not session.context.is_empty:
                    return None
                now = self._clock.now()
                if now - session.context.snapshot_time <= self.settings.context_staleness:
                    return None  # still no portfolio: nothing to store, nor to report as refreshed (every turn)
                fresh = PortfolioContext.empty(now)
        except Exception as exc:
            record_error("refresh_context", exc)
            log.warning("portfolio context refresh failed; answering from the previous snapshot",
                        extra={"session_id": session.id, "error": type(exc).__name__})
            return None
        try:
            await self._store.update_context(session.id, fresh, at=self._clock.now())
        except StackCfoError as exc:  # answer from the fresh numbers anyway; the next turn retries
            record_error("refresh_context", exc)
            log.warning("refreshed portfolio context could not be stored", extra={"session_id": session.id})
        return fresh


# ---------------------------------------------------------------------------- helpers


def _charged(answer: ChatMessage, evidence: Evidence) -> int | None:
    """What an answer counts against the daily token budget when its provider answered but reported no usage (an
    answer the client cancelled, or cut short before its usage chunk: billed all the same), the prompt's estimate
    and the text's; ``None`` for any other answer (its reported usage). A user cancelling every answer after its
    first words spent without limit: 0 tokens a turn (a reviewer)."""
    if answer.offline or not answer.incomplete or answer.total_tokens:
        return None
    return evidence.prompt.estimated_tokens + estimate_tokens(answer.content)


def _same_request(user_msg: ChatMessage, clean: str, request_id: str) -> None:
    if user_msg.content != clean:
        raise InvalidArgument(
            "request_id: was already used for a different message",
            violations=[FieldViolation("request_id", "already used for a different message")],
            reason="REQUEST_ID_REUSED",
            metadata={"request_id": request_id},
        )


def _unanswered(start: TurnStart, clean: str) -> bool:
    """Whether a start left a user message of this request waiting for its answer: stored by this
    call, or an earlier unanswered one of the same request that is still the newest message."""
    if start.answer is not None:
        return False
    if not start.existing:
        return True
    return start.message.content == clean and start.message.seq == start.session.message_count


def _replay(user_msg: ChatMessage, answer: ChatMessage) -> list[ChatEvent]:
    events: list[ChatEvent] = [Accepted(user_msg.id, answer.id, replayed=True)]
    if answer.content:
        events.append(Delta(answer.content))
    events.append(Completed(answer, context_refreshed=answer.context_refreshed, compressed=answer.compressed))
    return events


def _fallback(ctx: PortfolioContext, now: datetime, question: str, l10n: Localizer) -> ReasonedFallback:
    """The offline writer's answer to ``question``, for the compute client to send when AI cannot."""
    return ReasonedFallback(
        lambda why: offline_answer(ctx, now, question, reason=why, l10n=l10n),
        banner=None if l10n.is_english else l10n._(OFFLINE_BANNER),
    )


async def _close(stream: Any) -> None:
    """Close the provider stream: its request, if still running, is cancelled."""
    try:
        if stream is not None:
            await stream.aclose()
    except Exception:
        log.warning("closing the provider stream failed", exc_info=True)


def _settled(stream: Any) -> CompletionResult | None:
    """The whole answer of a stream that knew it before its first delta (the offline writer's:
    deterministic, free), else None."""
    whole = getattr(stream, "settled", None)
    return whole if isinstance(whole, CompletionResult) else None


def _partial(stream: Any, parts: list[str], session: ChatSession) -> CompletionResult:
    """What a cancelled stream leaves: the text that arrived (incomplete); or, when the answer was
    the offline writer's, the whole of it (nothing is saved by cutting it short, and a retry of the
    request_id then replays a complete answer instead of a few words)."""
    whole = _settled(stream)
    if whole is not None:
        return whole
    res = getattr(stream, "result", None)
    if isinstance(res, CompletionResult):
        return replace(res, text="".join(parts), incomplete=True)
    return CompletionResult(
        text="".join(parts), model=session.model, provider=session.provider,
        verification=Verification.UNAVAILABLE, incomplete=True,
    )
