"""The per-session turn lease: a row that a background task renews while the AI answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator

from stack_cfo.core.errors import Aborted
from stack_cfo.store.chat._common import Q, RepoBase, TurnLease, missing

log = logging.getLogger(__name__)


class LeaseQueries(RepoBase):
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

    def _held(self, handle: TurnLease) -> None:
        handle.held = True
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
                cur = await conn.execute(
                    Q.acquire_lease, {"id": handle.session_id, "owner": handle.owner, "ttl": self._lease_ttl}
                )
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
            async with self._db.connection() as conn:
                await conn.execute(Q.release_lease, {"id": session_id, "owner": owner})
        except Exception as exc:  # it expires by itself
            log.warning("chat turn lease release failed", extra={"session_id": session_id, "error": type(exc).__name__})
