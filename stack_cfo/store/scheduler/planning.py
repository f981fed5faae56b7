"""Planner state and the set-based planning of due notifications (the database clock decides)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from stack_cfo.core.notifications.kinds import NotificationKind, OutboxStatus
from stack_cfo.core.notifications.planning import PlannedSlot
from stack_cfo.core.notifications.records import (
    PlanCounts,
    PlannerState,
)
from stack_cfo.store.scheduler._base import Q, Repo


class PlanningQueries(Repo):
    # -- clock & planner state --------------------------------------------------------

    async def db_now(self) -> datetime:
        async with self.db.connection() as conn:
            row = await (await conn.execute(Q.db_now)).fetchone()
        assert row is not None
        now: datetime = row["now"]
        return now

    async def set_planner_state(
        self, kind: NotificationKind, *, epoch: datetime, planned_until: datetime | None = None
    ) -> None:
        """Set the deploy epoch (and high-water mark) of a kind: first deploys, tests, backfills.
        Waits for a running tick of the kind (its planner lock), which would otherwise write its
        own high-water mark over this one."""
        async with self.db.transaction() as conn:
            await conn.execute(Q.wait_planner_lock, {"kind": kind.value})
            await conn.execute(Q.set_epoch, {"kind": kind.value, "epoch": epoch, "planned_until": planned_until})

    async def planner_states(self) -> dict[NotificationKind, PlannerState]:
        async with self.db.connection() as conn:
            rows = await (await conn.execute(Q.all_states)).fetchall()
        return {
            NotificationKind(r["kind"]): PlannerState(
                NotificationKind(r["kind"]),
                r["deploy_epoch"],
                r["planned_until"],
                r["last_run_at"],
                r["last_planned"],
                r["last_missed"],
                r["last_duration_ms"],
            )
            for r in rows
        }

    async def distinct_time_zones(self) -> list[str]:
        async with self.db.connection() as conn:
            rows = await (await conn.execute(Q.distinct_time_zones)).fetchall()
        return [r["tz"] for r in rows]

    async def plan(
        self,
        kind: NotificationKind,
        *,
        now: datetime,
        compute_slots: Any,
        max_attempts: int,
        overlap: timedelta,
        horizon: timedelta,
    ) -> tuple[bool, PlanCounts, PlannerState | None]:
        """One planner tick for ``kind`` in one transaction (state read, insert, state write).

        ``compute_slots(start, time_zones) -> list[PlannedSlot]`` is the pure slot maths.
        Returns ``(ran, counts, state)``; ``ran`` is False when another replica holds the
        planner lock for this kind (its tick does the same work).
        """
        started = time.monotonic()
        async with self.db.transaction() as conn:
            locked = await (await conn.execute(Q.lock_planner, {"kind": kind.value})).fetchone()
            if not locked or not locked["locked"]:
                return False, PlanCounts(), None
            await conn.execute(Q.ensure_state, {"kind": kind.value, "now": now})
            srow = await (await conn.execute(Q.get_state, {"kind": kind.value})).fetchone()
            assert srow is not None
            epoch: datetime = srow["deploy_epoch"]
            planned_until: datetime | None = srow["planned_until"]
            start = max(epoch, now - horizon)
            if planned_until is not None:
                start = max(start, min(planned_until, now) - overlap)
            zones = [r["tz"] for r in await (await conn.execute(Q.distinct_time_zones)).fetchall()]
            slots: list[PlannedSlot] = compute_slots(start, zones) if start <= now else []
            counts = PlanCounts()
            if slots:
                await conn.execute(Q.planner_work_mem)
                if slots[0].tz is None:  # exchange-time slots apply to every zone
                    slots = [
                        PlannedSlot(z, s.period, s.scheduled_for, s.deadline, s.status) for s in slots for z in zones
                    ]
                written: dict[OutboxStatus, int] = {}
                for status in (OutboxStatus.PENDING, OutboxStatus.MISSED):
                    group = [s for s in slots if s.status is status]
                    if not group:
                        continue
                    cur = await conn.execute(
                        Q.plan_slots,
                        {
                            "kind": kind.value,
                            "tzs": [s.tz for s in group],
                            "periods": [s.period for s in group],
                            "scheduled": [s.scheduled_for for s in group],
                            "deadlines": [s.deadline for s in group],
                            "status": status.value,
                            "max_attempts": max_attempts,
                            "epoch": epoch,
                            "now": now,
                            "user_id": None,
                        },
                    )
                    written[status] = cur.rowcount
                counts = PlanCounts(written.get(OutboxStatus.PENDING, 0), written.get(OutboxStatus.MISSED, 0))
            duration_ms = int((time.monotonic() - started) * 1000)
            # the high-water mark moves in the same transaction as the rows it covers
            await conn.execute(
                Q.save_state,
                {
                    "kind": kind.value,
                    "now": now,
                    "planned": counts.pending,
                    "missed": counts.missed,
                    "duration_ms": duration_ms,
                },
            )
            state = PlannerState(
                kind, epoch, max(planned_until or now, now), now, counts.pending, counts.missed, duration_ms
            )
            return True, counts, state
