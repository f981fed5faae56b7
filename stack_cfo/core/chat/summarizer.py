"""Compression: older turns folded into a versioned summary, never rewriting the transcript.

Due summaries are written off the answer's path after a turn (:meth:`Summarizer.soon`); a turn
that finds one overdue writes it before prompting (:meth:`Summarizer.write`). A summary the AI
cannot write in time is the deterministic writer's.

A background summary whose session goes (DeleteSession, EraseUserData; on any replica) stops: it is
in flight (:meth:`~stack_cfo.core.chat.inflight.TurnGuard.runs`), so its provider request is
cancelled at once, and one whose session is gone already never asks the provider. The store never
keeps a summary of a session that is gone, nor makes an erased user's key again; such a summary is
dropped (an info log, no error).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from stack_cfo.core.ai import CompletionOptions, ComputeClient
from stack_cfo.core.chat import metrics
from stack_cfo.core.chat.budget import usage_day
from stack_cfo.core.chat.compression import (
    CompressionPlan,
    cap_summary,
    effective_keep,
    effective_step,
    offline_summary,
    plan_after_turn,
    sha256_text,
    source_hash,
    summariser_messages,
)
from stack_cfo.core.chat.inflight import InFlight, TurnGuard
from stack_cfo.core.chat.models import ChatSession, MessageRole, SessionStatus, Summary
from stack_cfo.core.chat.ports import ChatStore
from stack_cfo.core.chat.prompt import context_document
from stack_cfo.core.chat.settings import ChatSettings
from stack_cfo.core.chat.support import record_error, tracer
from stack_cfo.core.clock import Clock
from stack_cfo.core.errors import NotFound, StackCfoError
from stack_cfo.core.grounding import checked_text_facts
from stack_cfo.core.provenance import AiSurface, Audit, GroundingState, Snapshot
from stack_cfo.core.provenance.audit import text_facts

log = logging.getLogger(__name__)


class Summarizer:
    def __init__(
        self,
        store: ChatStore,
        compute: ComputeClient,
        clock: Clock,
        settings: ChatSettings,
        audit: Audit,
        inflight: InFlight | None = None,
    ) -> None:
        self._store = store
        self.inflight = inflight if inflight is not None else InFlight()
        """Where background summaries are in flight: a session that goes cancels its summary."""
        self._audit = audit
        self._compute = compute
        self._clock = clock
        self.settings = settings
        self._running: dict[str, asyncio.Task[None]] = {}

    def _grounded(self, session: ChatSession, plan: CompressionPlan, text: str) -> bool:
        """Whether every figure of an AI summary is a number of the session's data block, of the
        investor's messages it summarises, or of the summary it extends."""
        data = Snapshot(context_document(session.context, self._clock.now()), None).facts
        facts = data | text_facts("user", [m.content for m in plan.messages if m.role is MessageRole.USER])
        if plan.previous is not None:
            # An AI summary was checked when it was kept; a deterministic one quotes only the investor's
            # messages (and a checked AI summary): the figures an extension of it may restate (one the
            # data still holds as that fact, under its rules).
            facts = facts | checked_text_facts("summary", plan.previous.content, data)
        checked = self._audit.check(AiSurface.CHAT_SUMMARY, text, facts, subject=session.id)
        if checked.status is GroundingState.UNGROUNDED:
            log.warning("AI summary states figures that match nothing; keeping the deterministic summary",
                        extra={"session_id": session.id})
            return False
        return True

    async def wait_pending(self, session_id: str) -> None:
        """A summary of the previous turns is being written: wait for it at most ``summary_wait``."""
        pending = self._running.get(session_id)
        if pending is not None and not pending.done():
            await asyncio.wait({pending}, timeout=self.settings.summary_wait)

    async def aclose(self) -> None:
        for task in list(self._running.values()):
            task.cancel()  # optional work: the next turn redoes it if needed
        if self._running:
            await asyncio.gather(*list(self._running.values()), return_exceptions=True)

    def soon(self, session: ChatSession, last_seq: int, covered_to: int) -> None:
        """Fold older turns into the summary after this turn, off the answer's path.

        The next turn on this process waits for it at most ``summary_wait`` seconds, then goes
        on with the previous summary (as a turn on another replica does). Two writers of one
        version cannot both win (the version is unique); the loser changes nothing.
        """
        keep = effective_keep(self.settings.keep_recent_messages, session.summarize_interval)
        uncovered = last_seq - covered_to
        due = uncovered >= session.summarize_interval if covered_to == 0 else (
            uncovered >= keep + effective_step(self.settings.summary_step, keep, session.summarize_interval)
        )
        if not due or session.id in self._running:
            return
        guard = self.inflight.enter(session.user_id, session.id, "summary")
        task = asyncio.create_task(self._later(session, guard), name=f"chat-summary-{session.id}")
        guard.runs(task)  # in flight from now: a session that goes (even before it starts) cancels it
        self._running[session.id] = task

        def done(finished: asyncio.Task[None]) -> None:
            # (also for a task cancelled before it started, whose code never ran)
            if self._running.get(session.id) is finished:
                del self._running[session.id]
            self.inflight.leave(guard)

        task.add_done_callback(done)

    async def _later(self, session: ChatSession, guard: TurnGuard) -> None:
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
            if plan is None:
                return
            # A session gone already (before this process heard of it) is not summarised: nothing is paid.
            live = await self._store.get_session(session.id)
            if live is None or live.status is SessionStatus.DELETED or live.user_id != session.user_id:
                log.info("chat session went before its summary was written; summary dropped",
                         extra={"session_id": session.id})
                return
            await self.write(session, plan, None, guard=guard)
        except asyncio.CancelledError:
            if not guard.take_cancel():
                raise  # a shutdown (aclose)
            log.info("chat session went while its summary was being written; nothing stored",
                     extra={"session_id": session.id})
        except Exception as exc:
            record_error("summarize", exc)
            log.warning("background summary failed", extra={"session_id": session.id, "error": type(exc).__name__})

    async def write(
        self, session: ChatSession, plan: CompressionPlan, deadline: float | None, *, guard: TurnGuard | None = None
    ) -> Summary | None:
        """Write the next summary version; None (previous summary stays) if it cannot be stored, or
        the session is gone. ``guard``: a background summary's (closed while the summary is stored;
        CancelledError, nothing stored, when the session went before)."""
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
                record_error("summarize", exc)
                log.warning("summariser failed; using the deterministic summary", extra={"error": type(exc).__name__})
                result, text = None, ""
            if text and result is not None and not result.offline and not self._grounded(session, plan, text):
                text = ""  # an ungrounded summary never becomes the session's memory
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
            if guard is not None:
                guard.close()  # the store itself refuses a session that is gone
            try:
                saved = await self._store.save_summary(summary, session.user_id, day=usage_day(self._clock.now()))
            except StackCfoError as exc:
                if isinstance(exc, NotFound) and exc.reason == "SESSION_NOT_FOUND":
                    # deleted or erased meanwhile (nothing was stored, no key made): nothing to keep
                    log.info("chat session went while its summary was being written; summary dropped",
                             extra={"session_id": session.id})
                    return None
                record_error("summarize", exc)
                log.warning("summary could not be stored; the previous one stays in force",
                            extra={"session_id": session.id, "reason": exc.reason})
                return None
        metrics.COMPRESSIONS.inc()
        return saved
