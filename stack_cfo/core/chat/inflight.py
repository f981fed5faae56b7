"""The turns in flight on this process, so that one whose session goes stops at once.

A session goes when it is deleted (DeleteSession) or its user's data is erased (EraseUserData), on
this process or on any other replica: the store tells :meth:`InFlight.session_gone` (its LISTEN
connection hears every replica's deletions), and this process's own DeleteSession and
EraseUserData tell it directly (:meth:`InFlight.session_gone`, :meth:`InFlight.user_gone`) before
they return.

Stopping a turn is a cancellation of the task that runs it, as a cancel scope does
(``asyncio.timeout``): nothing is awaited per delta. A turn's :class:`TurnGuard` is *open* while
the turn's code runs between storing the user message and storing the answer, and closed while
the turn is suspended at a ``yield`` (the task is then in the gRPC layer's code, which must not be
cancelled) and while the answer is being stored (the store's own check refuses an answer to a
session that is gone). A session that goes while the guard is open cancels the task at once; one
that goes while it is closed is noticed when the turn resumes (:meth:`TurnGuard.reopen`). Either
way the turn cancels its provider request, stores nothing and ends with NOT_FOUND
(:meth:`TurnGuard.take_cancel` tells its cancellation from any other).

A session's background summary (:meth:`~stack_cfo.core.chat.summarizer.Summarizer.soon`) is in
flight too (:meth:`TurnGuard.runs`): its guard is open from the start, so a session that goes
cancels its provider request at once (nothing more is paid), and closed while the summary is being
stored (the store refuses a session that is gone, and never makes an erased user's key again).
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


class TurnGuard:
    """One turn in flight (see the module docstring)."""

    __slots__ = ("cancelled", "gone", "kind", "open", "session_id", "task", "user_id")

    def __init__(self, user_id: str, session_id: str, kind: str = "turn") -> None:
        self.user_id = user_id
        self.session_id = session_id
        self.kind = kind
        """What runs: ``turn`` (an answer) or ``summary`` (a background summary)."""
        self.task: asyncio.Task[object] | None = None
        self.open = False
        """The turn's code is running in ``task`` where a cancellation is the turn's to handle."""
        self.gone = False
        """The session went: nothing more of the turn is stored or sent."""
        self.cancelled = False
        """:meth:`end` cancelled ``task`` (not yet taken back by :meth:`take_cancel`)."""

    def arm(self) -> None:
        """The turn's user message is stored: from here on a session that goes stops the task
        running the turn (the current one). CancelledError when it went already."""
        self.task = asyncio.current_task()
        if self.gone:
            raise asyncio.CancelledError

    def runs(self, task: asyncio.Task[None]) -> None:
        """Background work of the session (a summary) runs in ``task``, maybe not started yet: open
        from now, so a session that goes cancels it at once (until the work closes the guard)."""
        self.task = task
        self.open = True

    def close(self) -> None:
        """The work reached its store step, whose transaction itself refuses a session that is gone:
        not to be cancelled from here. CancelledError if the session went already (a cancellation
        that something on the way, the provider stream, swallowed)."""
        self.open = False
        if self.gone:
            raise asyncio.CancelledError

    def reopen(self) -> None:
        """The turn resumed after a ``yield``: open again, or CancelledError if the session went."""
        if self.gone:
            raise asyncio.CancelledError
        self.open = True

    def end(self) -> None:
        """The session went."""
        if self.gone:
            return
        self.gone = True
        task = self.task
        if self.open and task is not None and not task.done():
            self.cancelled = True
            task.cancel()

    def take_cancel(self) -> bool:
        """For a CancelledError that ends the turn: True when it is this guard's doing (the session
        went) and nothing else cancelled the task (the client, a shutdown), its cancellation then
        taken back so the turn can end with NOT_FOUND instead."""
        self.open = False
        if not self.gone:
            return False
        task = self.task
        if self.cancelled:
            self.cancelled = False
            return task is None or task.uncancel() == 0
        return task is None or task.cancelling() == 0


class InFlight:
    """The guards of the turns (and background summaries) in flight on this process, by session."""

    def __init__(self) -> None:
        self._guards: dict[str, set[TurnGuard]] = {}

    def enter(self, user_id: str, session_id: str, kind: str = "turn") -> TurnGuard:
        guard = TurnGuard(user_id, session_id, kind)
        self._guards.setdefault(session_id, set()).add(guard)
        return guard

    def leave(self, guard: TurnGuard) -> None:
        guard.open = False
        guards = self._guards.get(guard.session_id)
        if guards is not None:
            guards.discard(guard)
            if not guards:
                del self._guards[guard.session_id]

    def session_ids(self) -> list[str]:
        """The sessions with a turn in flight."""
        return list(self._guards)

    def session_gone(self, session_id: str) -> None:
        """``session_id`` was deleted or erased (on any replica): its turns stop."""
        for guard in list(self._guards.get(session_id, ())):
            if not guard.gone:
                if guard.kind == "turn":
                    log.info("chat session went while its answer streamed; stopping the turn",
                             extra={"session_id": session_id})
                else:
                    log.info("chat session went while its summary was being written; stopping it",
                             extra={"session_id": session_id})
            guard.end()

    def user_gone(self, user_id: str) -> None:
        """Every session of ``user_id`` went (their data was erased on this process)."""
        for guards in list(self._guards.values()):
            for guard in list(guards):
                if guard.user_id == user_id:
                    self.session_gone(guard.session_id)
                    break
