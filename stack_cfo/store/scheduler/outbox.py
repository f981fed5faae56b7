"""The delivery worker's side of the outbox: claims with SKIP LOCKED, fenced write-backs, reaping and redrive."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from stack_cfo.core.notifications.kinds import Channel, NotificationKind, OutboxStatus, Reason
from stack_cfo.core.notifications.preferences import NotificationPreferences
from stack_cfo.core.notifications.records import (
    ClaimedRow,
    PushDevice,
)
from stack_cfo.store.scheduler._base import Q, Repo
from stack_cfo.store.scheduler.users import device_from_row, prefs_from_row


def _claimed(row: dict[str, Any]) -> ClaimedRow:
    return ClaimedRow(
        id=row["id"],
        key=row["idempotency_key"],
        kind=NotificationKind(row["kind"]),
        user_id=str(row["user_id"]),
        channel=Channel(row["channel"]),
        target_id=row["target_id"],
        period=row["slot_local"],
        scheduled_for=row["scheduled_for"],
        deadline=row["deadline"],
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        run_id=str(row["run_id"]) if row["run_id"] else None,
        db_now=row["db_now"],
    )


class OutboxQueries(Repo):
    # -- worker -------------------------------------------------------------------------

    async def claim(
        self,
        worker: str,
        *,
        limit: int,
        lease: timedelta,
        now: datetime | None = None,
        run_id: str | None = None,
    ) -> list[ClaimedRow]:
        """Claim up to ``limit`` due rows (``FOR UPDATE SKIP LOCKED``) and commit the claim."""
        params = {"worker": worker, "limit": limit, "lease": lease, "now": now, "run_id": run_id}
        async with self.db.connection() as conn:
            query = Q.claim_run if run_id else Q.claim_due
            rows = await (await conn.execute(query, params)).fetchall()
        return sorted((_claimed(r) for r in rows), key=lambda r: r.id)

    async def context_for(
        self, rows: Sequence[ClaimedRow]
    ) -> tuple[dict[str, NotificationPreferences], dict[int, PushDevice]]:
        """Fresh preferences of the rows' users and their push devices (one query each)."""
        users = sorted({r.user_id for r in rows})
        device_ids = sorted({r.target_id for r in rows if r.channel is Channel.PUSH})
        async with self.db.connection() as conn:
            prefs_rows = await (await conn.execute(Q.prefs_for_users, {"user_ids": users})).fetchall()
            dev_rows = (
                await (await conn.execute(Q.devices_by_ids, {"ids": device_ids})).fetchall() if device_ids else []
            )
        return (
            {str(r["user_id"]): prefs_from_row(r) for r in prefs_rows},
            {r["id"]: device_from_row(r) for r in dev_rows},
        )

    async def mark_sent(
        self,
        row: ClaimedRow,
        worker: str,
        *,
        provider_id: str,
        title: str,
        target: str,
        now: datetime | None,
        degraded_reason: str = "",
        receipt_ids: Sequence[str] = (),
    ) -> datetime | None:
        """``sent`` (with the provenance of its AI texts); returns ``sent_at``, or ``None`` if this
        worker no longer holds the claim."""
        async with self.db.connection() as conn:
            r = await (
                await conn.execute(
                    Q.mark_sent,
                    {
                        "id": row.id,
                        "worker": worker,
                        "attempts": row.attempts,
                        "provider_id": provider_id,
                        "title": title,
                        "target": target,
                        "now": now,
                        "degraded_reason": degraded_reason,
                        "receipt_ids": list(receipt_ids),
                    },
                )
            ).fetchone()
        return r["sent_at"] if r else None

    async def mark_retry(
        self,
        row: ClaimedRow,
        worker: str,
        *,
        next_attempt_at: datetime,
        reason: Reason,
        error: str,
        title: str | None = None,
        target: str | None = None,
        now: datetime | None,
    ) -> bool:
        async with self.db.connection() as conn:
            r = await (
                await conn.execute(
                    Q.mark_retry,
                    {
                        "id": row.id,
                        "worker": worker,
                        "attempts": row.attempts,
                        "next_attempt_at": next_attempt_at,
                        "reason": reason.value,
                        "error": error[:1000],
                        "title": title,
                        "target": target,
                        "now": now,
                    },
                )
            ).fetchone()
        return r is not None

    async def mark_deferred(
        self, row: ClaimedRow, worker: str, *, until: datetime, deadline: datetime, now: datetime | None
    ) -> bool:
        async with self.db.connection() as conn:
            r = await (
                await conn.execute(
                    Q.mark_deferred,
                    {
                        "id": row.id,
                        "worker": worker,
                        "attempts": row.attempts,
                        "until": until,
                        "deadline": deadline,
                        "reason": Reason.QUIET_HOURS.value,
                        "now": now,
                    },
                )
            ).fetchone()
        return r is not None

    async def mark_final(
        self,
        row: ClaimedRow,
        worker: str,
        *,
        status: OutboxStatus,
        reason: Reason,
        error: str | None = None,
        title: str | None = None,
        target: str | None = None,
        now: datetime | None,
    ) -> bool:
        assert status in (OutboxStatus.DEAD, OutboxStatus.SKIPPED, OutboxStatus.EXPIRED)
        async with self.db.connection() as conn:
            r = await (
                await conn.execute(
                    Q.mark_final,
                    {
                        "id": row.id,
                        "worker": worker,
                        "attempts": row.attempts,
                        "status": status.value,
                        "reason": reason.value,
                        "error": error[:1000] if error else None,
                        "title": title,
                        "target": target,
                        "now": now,
                    },
                )
            ).fetchone()
        return r is not None

    async def release(self, worker: str, *, now: datetime | None = None) -> int:
        """Give back every row ``worker`` still holds (graceful shutdown)."""
        async with self.db.connection() as conn:
            rows = await (await conn.execute(Q.release_claims, {"worker": worker, "now": now})).fetchall()
        return len(rows)

    async def release_row(self, row: ClaimedRow, worker: str, *, now: datetime | None = None) -> bool:
        """Give back one claimed row that was never started (fenced by worker and attempt)."""
        async with self.db.connection() as conn:
            r = await (
                await conn.execute(
                    Q.release_row, {"id": row.id, "worker": worker, "attempts": row.attempts, "now": now}
                )
            ).fetchone()
        return r is not None

    async def reap(self, *, now: datetime | None = None, limit: int = 1000) -> list[tuple[int, OutboxStatus]]:
        """Return rows whose claim expired (their worker died) to ``retry`` (or ``dead``)."""
        async with self.db.connection() as conn:
            rows = await (await conn.execute(Q.reap_expired_claims, {"now": now, "limit": limit})).fetchall()
        return [(r["id"], OutboxStatus(r["status"])) for r in rows]

    async def requeue_dead(
        self,
        *,
        ids: Sequence[int] | None = None,
        kind: NotificationKind | None = None,
        extend: timedelta = timedelta(hours=4),
        now: datetime | None = None,
    ) -> list[int]:
        """Redrive dead letters: back to ``retry`` with attempts reset, deadline extended."""
        async with self.db.connection() as conn:
            rows = await (
                await conn.execute(
                    Q.requeue_dead,
                    {
                        "ids": list(ids) if ids is not None else None,
                        "kind": kind.value if kind else None,
                        "extend": extend,
                        "now": now,
                    },
                )
            ).fetchall()
        return [r["id"] for r in rows]

    async def deactivate_device(self, device_id: int, reason: str, *, now: datetime | None = None) -> bool:
        async with self.db.connection() as conn:
            r = await (
                await conn.execute(Q.deactivate_device, {"id": device_id, "reason": reason, "now": now})
            ).fetchone()
        return r is not None

    async def delete_device(self, user_id: str, device_id: int) -> bool:
        """Remove one of ``user_id``'s devices; False when it is not theirs or does not exist."""
        async with self.db.transaction() as conn:
            r = await (await conn.execute(Q.delete_device, {"id": device_id, "user_id": user_id})).fetchone()
        return r is not None
