"""Replica heartbeats, outbox gauges and status counts."""

from __future__ import annotations

from datetime import datetime, timedelta

from stack_cfo.core.notifications.kinds import NotificationKind, OutboxStatus
from stack_cfo.core.notifications.records import (
    Heartbeat,
    OutboxGauges,
)
from stack_cfo.store.scheduler._base import Q, Repo


class StatusQueries(Repo):
    # -- heartbeats, gauges, status -------------------------------------------------------

    async def heartbeat(
        self,
        replica_id: str,
        *,
        started_at: datetime,
        version: str,
        host: str,
        pid: int,
        last_planned: int,
        now: datetime | None = None,
    ) -> None:
        async with self.db.connection() as conn:
            await conn.execute(
                Q.heartbeat,
                {
                    "replica_id": replica_id,
                    "started_at": started_at,
                    "version": version,
                    "host": host,
                    "pid": pid,
                    "last_planned": last_planned,
                    "now": now,
                },
            )

    async def heartbeat_stopped(self, replica_id: str) -> None:
        async with self.db.connection() as conn:
            await conn.execute(Q.heartbeat_stopped, {"replica_id": replica_id})

    async def heartbeats(self) -> list[Heartbeat]:
        async with self.db.connection() as conn:
            rows = await (await conn.execute(Q.list_heartbeats)).fetchall()
        return [Heartbeat(**r) for r in rows]

    async def gauges(self) -> OutboxGauges:
        async with self.db.connection() as conn:
            r = await (await conn.execute(Q.outbox_gauges)).fetchone()
        assert r is not None
        age = (r["db_now"] - r["oldest_due"]) if r["oldest_due"] is not None else timedelta(0)
        return OutboxGauges(r["waiting"], r["due"], max(age, timedelta(0)))

    async def status_counts(
        self, retention: timedelta = timedelta(days=30)
    ) -> tuple[dict[NotificationKind, dict[OutboxStatus, int]], dict[NotificationKind, datetime], datetime]:
        async with self.db.connection() as conn:
            counts = await (await conn.execute(Q.status_counts, {"retention": retention})).fetchall()
            oldest = await (await conn.execute(Q.oldest_due_by_kind)).fetchall()
            now_row = await (await conn.execute(Q.db_now)).fetchone()
        out: dict[NotificationKind, dict[OutboxStatus, int]] = {k: {} for k in NotificationKind}
        for r in counts:
            out[NotificationKind(r["kind"])][OutboxStatus(r["status"])] = r["n"]
        assert now_row is not None
        return out, {NotificationKind(r["kind"]): r["oldest_due"] for r in oldest}, now_row["now"]
