"""The per-session turn lease: a row that a background task renews while the AI answers.

A lease records this process's replica id (:mod:`stack_cfo.store.chat.replica`, started by
:meth:`LeaseQueries.astart`): when the process dies, another replica takes its leases a few
seconds after its heartbeat stops, instead of after the TTL.

A lease whose release fails (the database is away when the turn ends) is an *orphan*: nothing
runs under it, but its row says the session is busy until the TTL passes. This process keeps a
list of its orphans; it takes them over at once when it starts the session's next turn (the
acquire statement treats them as free), and a background task releases them as soon as the
database answers again, so a retry through another replica is not kept waiting either.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from stack_cfo.core.data_scope import in_system_scope
from stack_cfo.core.errors import Aborted
from stack_cfo.core.tasks import detached_task
from stack_cfo.store.chat._common import Q, RepoBase, TurnLease, missing

log = logging.getLogger(__name__)

RECLAIM_FIRST_DELAY = 0.1
RECLAIM_MAX_DELAY = 1.0
"""Orphaned leases are released again after 0.1 s, then every 0.2, 0.4 ... at most 1 s."""


class LeaseQueries(RepoBase):
    # ------------------------------------------------------------------ replica heartbeat

    async def astart(self) -> None:
        """Start this process's replica heartbeat (``serve``, once the database is ready)."""
        self._replica.start()

    async def _stop_heartbeat(self) -> None:
        """Stop the heartbeat and delete this replica's row (at shutdown)."""
        await self._replica.stop()

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

    def _acquire_params(self, session_id: str, owner: str) -> dict[str, Any]:
        orphans = self._orphans.get(session_id, {})
        return {"id": session_id, "owner": owner, "ttl": self._lease_ttl, "orphans": list(orphans)} | (
            self._replica.lease_params()  # a crashed replica's lease is free once its heartbeat is stale
        )

    def _held(self, handle: TurnLease) -> None:
        handle.held = True
        self._orphans.pop(handle.session_id, None)  # the row has a new owner: the old ones are moot
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
                cur = await conn.execute(Q.acquire_lease, self._acquire_params(handle.session_id, handle.owner))
                row = await cur.fetchone()
            assert row is not None
            if row["acquired"]:
                self._held(handle)
                return
            if not row["found"]:
                raise missing(handle.session_id)
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
                log.warning(
                    "chat turn lease renewal failed", extra={"session_id": session_id, "error": type(exc).__name__}
                )

    async def _release(self, session_id: str, owner: str) -> None:
        try:
            await self._release_once(session_id, owner)
        except Exception as exc:
            log.warning(
                "chat turn lease release failed; it is released when the database answers again",
                extra={"session_id": session_id, "error": type(exc).__name__},
            )
            self._orphans.setdefault(session_id, {})[owner] = time.monotonic() + self._lease_ttl
            if self._reclaimer is None or self._reclaimer.done():
                # outlives the turn whose release failed: not that turn's log fields and trace
                self._reclaimer = detached_task(self._reclaim(), name="chat-lease-reclaimer")

    async def _release_once(self, session_id: str, owner: str) -> None:
        async with self._db.connection() as conn:
            await conn.execute(Q.release_lease, {"id": session_id, "owner": owner})

    @in_system_scope("chat-lease-reclaimer")  # orphans of any user's sessions, not only the first caller's
    async def _reclaim(self) -> None:
        """Release the orphans until none is left (or their rows expired by themselves). A round
        stops at the first failure: the database is still away."""
        delay = RECLAIM_FIRST_DELAY
        while self._orphans:
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECLAIM_MAX_DELAY)
            try:
                for session_id, owners in list(self._orphans.items()):
                    for owner, expires in list(owners.items()):
                        if time.monotonic() < expires:
                            async with asyncio.timeout(RECLAIM_MAX_DELAY):
                                await self._release_once(session_id, owner)
                            log.info("orphaned chat turn lease released", extra={"session_id": session_id})
                        owners.pop(owner, None)
                    if not owners and self._orphans.get(session_id) is owners:
                        del self._orphans[session_id]
            except Exception:
                continue
