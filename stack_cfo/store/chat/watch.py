"""Sessions that go, heard from every replica: ``chat_session_gone`` notifications.

Migration 21's triggers notify ``chat_session_gone`` (payload: the session id) when a session is
marked deleted (DeleteSession) or its row is deleted (EraseUserData), as the transaction commits.
Each process listens on a connection of its own (:class:`SessionGoneListener`, a
:class:`~stack_cfo.store.listen.PgListener`) and hands the ids to the chat core, which stops the
answers in flight on them. After every (re)connect, when notifications may have been missed, the
sessions with answers in flight are looked up once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from stack_cfo.core.data_scope import in_system_scope
from stack_cfo.core.tasks import detached_task
from stack_cfo.store.chat._common import RepoBase, is_uuid
from stack_cfo.store.listen import PgListener

log = logging.getLogger(__name__)

CHANNEL = "chat_session_gone"

#: The sessions among ``ids`` still there and not deleted (the others are gone).
_LIVE = "SELECT id::text AS id FROM chat_sessions WHERE id = ANY(%(ids)s::uuid[]) AND status <> 'deleted'"


class SessionGoneListener(PgListener):
    """``on_gone(session_id)`` for each ``chat_session_gone`` notification; ``on_connect()`` after
    every (re)connect."""

    channels = (CHANNEL,)
    name = "chat-session-gone"

    def __init__(self, conninfo: str, on_gone: Callable[[str], None], on_connect: Callable[[], None],
                 **kw: Any) -> None:
        super().__init__(conninfo, **kw)
        self._on_gone = on_gone
        self._on_reconnect = on_connect

    def start(self) -> None:
        self._start_task()

    def _dispatch(self, channel: str, payload: str) -> None:
        if payload:
            self._on_gone(payload)

    def _on_connect(self) -> None:
        self._on_reconnect()


class WatchQueries(RepoBase):
    _gone_listener: SessionGoneListener | None = None
    _gone_checks: set[asyncio.Task[None]]

    def watch_sessions(self, on_gone: Callable[[str], None], in_flight: Callable[[], Sequence[str]]) -> None:
        if self._gone_listener is not None:
            return
        self._gone_checks = set()

        def report(session_id: str) -> None:
            try:
                on_gone(session_id)
            except Exception:
                log.exception("handling a gone chat session failed", extra={"session_id": session_id})

        def reconnected() -> None:
            ids = [s for s in in_flight() if is_uuid(s)]
            if ids:  # deleted while nobody listened: looked up once
                task = detached_task(self._report_gone(ids, report), name="chat-session-gone-check")
                self._gone_checks.add(task)
                task.add_done_callback(self._gone_checks.discard)

        self._gone_listener = SessionGoneListener(self._db.conninfo, report, reconnected)
        self._gone_listener.start()

    @in_system_scope("chat-session-gone-check")  # the sessions of every user with an answer in flight
    async def _report_gone(self, ids: list[str], report: Callable[[str], None]) -> None:
        try:
            async with self._db.connection() as conn:
                cur = await conn.execute(_LIVE, {"ids": ids})
                live = {str(r["id"]) for r in await cur.fetchall()}
        except Exception as exc:  # the next reconnect looks again; the answer's own write checks too
            log.warning("could not check the chat sessions with answers in flight",
                        extra={"error": type(exc).__name__, "sessions": len(ids)})
            return
        for session_id in ids:
            if session_id not in live:
                report(session_id)

    async def aclose(self) -> None:
        """Stop listening (at shutdown)."""
        listener, self._gone_listener = self._gone_listener, None
        if listener is not None:
            await listener.stop()
        for task in list(getattr(self, "_gone_checks", ())):
            task.cancel()
