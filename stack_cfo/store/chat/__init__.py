"""PostgreSQL persistence of chat sessions (the seed's ChatSessionRepository), the transcript,
summaries, the daily token ledger and the per-session turn lease.

No method keeps a transaction open after it returns. Turns are serialised by a lease row
(``chat_sessions.lease_owner`` / ``lease_expires_at``) that a background task renews while
the AI answers, so neither a transaction nor a pooled connection is held across the AI call,
and a crashed holder's lease is free once its replica heartbeat is stale (seconds; its TTL
without one, :mod:`stack_cfo.store.chat.replica`). Sessions deleted or erased by any process are heard
of on a LISTEN connection (:mod:`stack_cfo.store.chat.watch`), so answers in flight on them stop.


The methods are grouped by job in the modules of this package; :class:`ChatRepository` is one
object over one pool.
"""

from __future__ import annotations

from stack_cfo.store import metrics as store_metrics
from stack_cfo.store.chat._common import LEASE_RENEW_EVERY, LEASE_TTL, TurnLease
from stack_cfo.store.chat.sessions import SessionQueries
from stack_cfo.store.chat.transcript import TranscriptQueries
from stack_cfo.store.chat.watch import WatchQueries


@store_metrics.timed(store_metrics.CHAT_SESSION, skip={"aclose", "astart"}, attempts={"begin_turn": "_begin_turn"})
class ChatRepository(SessionQueries, TranscriptQueries, WatchQueries):
    """Implements :class:`stack_cfo.core.chat.ports.ChatStore` on the shared pool."""

    async def aclose(self) -> None:
        """At shutdown: stop listening, and stop the replica heartbeat (its row deleted)."""
        try:
            await WatchQueries.aclose(self)
        finally:
            await self._stop_heartbeat()


__all__ = ["LEASE_RENEW_EVERY", "LEASE_TTL", "ChatRepository", "TurnLease"]
