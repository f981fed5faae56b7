"""PostgreSQL side of the notification scheduler: planning, claiming, marking, preferences,
devices, history, runs, heartbeats. SQL lives in ``sql/scheduler.sql``.

Every statement is short and none is held open across network I/O: a claim commits before
any send, and each result is written back in its own statement, fenced by ``locked_by``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from stack_cfo.core.errors import AlreadyExists, NotFound
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, OutboxStatus, Platform, Reason
from stack_cfo.core.notifications.planning import PlannedSlot
from stack_cfo.core.notifications.ports import NewsItem
from stack_cfo.core.notifications.preferences import NotificationPreferences, default_preferences
from stack_cfo.core.notifications.records import (
    ClaimedRow,
    Heartbeat,
    JobRun,
    NotificationRecord,
    OutboxGauges,
    PlanCounts,
    PlannerState,
    PushDevice,
    RunCandidate,
)
from stack_cfo.store.db import Database
from stack_cfo.store.queries import load_queries
from stack_cfo.store.users import ensure_user

Q = load_queries("scheduler")


def _prefs_from_row(row: dict[str, Any]) -> NotificationPreferences:
    user_id = str(row["user_id"])
    if not row["saved"]:
        base = default_preferences(user_id, row["account_email"])
        return NotificationPreferences(
            **{**_as_dict(base), "opted_in_at": row["user_created_at"]}  # type: ignore[arg-type]
        )
    return NotificationPreferences(
        user_id=user_id,
        time_zone=row["time_zone"],
        daily_digest_enabled=row["daily_digest_enabled"],
        weekly_summary_enabled=row["weekly_summary_enabled"],
        performance_alerts_enabled=row["performance_alerts_enabled"],
        email_enabled=row["email_enabled"],
        push_enabled=row["push_enabled"],
        email_address=row["email_address"],
        quiet_hours_start=row["quiet_hours_start"],
        quiet_hours_end=row["quiet_hours_end"],
        alert_threshold_percent=row["alert_threshold_percent"],
        alert_threshold_sigma=row["alert_threshold_sigma"],
        opted_in_at=row["opted_in_at"],
        update_time=row["updated_at"],
    )


def _as_dict(p: NotificationPreferences) -> dict[str, Any]:
    return {name: getattr(p, name) for name in p.__dataclass_fields__}


def _device(row: dict[str, Any]) -> PushDevice:
    return PushDevice(
        id=row["id"],
        user_id=str(row["user_id"]),
        platform=Platform(row["platform"]),
        token=row["token"],
        display_name=row["display_name"],
        active=row["active"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


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


def _run(row: dict[str, Any]) -> JobRun:
    return JobRun(
        id=str(row["id"]),
        request_id=row["request_id"],
        request_hash=row["request_hash"],
        kind=NotificationKind(row["kind"]),
        user_id=str(row["user_id"]) if row["user_id"] else None,
        state=row["state"],
        planned=row["planned"],
        sent=row["sent"],
        skipped=row["skipped"],
        failed=row["failed"],
    )


def _uuid(user_id: str, field: str = "user") -> uuid.UUID:
    try:
        return uuid.UUID(str(user_id))
    except ValueError:
        raise NotFound.resource("user", str(user_id)) from None


class SchedulerRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

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
        """Set the deploy epoch (and high-water mark) of a kind: first deploys, tests, backfills."""
        async with self.db.connection() as conn:
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
            {str(r["user_id"]): _prefs_from_row(r) for r in prefs_rows},
            {r["id"]: _device(r) for r in dev_rows},
        )

    async def mark_sent(
        self, row: ClaimedRow, worker: str, *, provider_id: str, title: str, target: str, now: datetime | None
    ) -> datetime | None:
        """``sent``; returns ``sent_at``, or ``None`` if this worker no longer holds the claim."""
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

    # -- preferences, devices, history ------------------------------------------------------

    async def get_preferences(self, user_id: str) -> NotificationPreferences:
        async with self.db.connection() as conn:
            row = await (await conn.execute(Q.get_prefs, {"user_id": _uuid(user_id)})).fetchone()
        if row is None:
            raise NotFound.resource("user", str(user_id))
        return _prefs_from_row(row)

    async def save_preferences(self, prefs: NotificationPreferences, *, modify: Any = None) -> NotificationPreferences:
        """Read-modify-write under a per-user lock: ``modify(current) -> new`` (validated by the caller)."""
        uid = _uuid(prefs.user_id)
        async with self.db.transaction() as conn:
            await conn.execute(Q.lock_prefs, {"user_id": uid})
            row = await (await conn.execute(Q.get_prefs, {"user_id": uid})).fetchone()
            if row is None:
                raise NotFound.resource("user", str(prefs.user_id))
            current = _prefs_from_row(row)
            new: NotificationPreferences = modify(current) if modify is not None else prefs
            params = _as_dict(new)
            params["user_id"] = uid
            params["opted_in_at"] = current.opted_in_at
            saved = await (await conn.execute(Q.upsert_prefs, params)).fetchone()
            assert saved is not None
        return NotificationPreferences(
            **{**_as_dict(new), "opted_in_at": saved["opted_in_at"], "update_time": saved["updated_at"]}
        )

    async def register_device(
        self, user_id: str, *, platform: Platform, token: str, display_name: str = ""
    ) -> PushDevice:
        uid = _uuid(user_id)
        async with self.db.transaction() as conn:
            if await (await conn.execute(Q.user_exists, {"user_id": uid})).fetchone() is None:
                raise NotFound.resource("user", str(user_id))
            for _ in range(2):
                found = await (await conn.execute(Q.find_device_by_token, {"token": token})).fetchone()
                if found is not None:
                    if str(found["user_id"]) != str(uid):
                        raise AlreadyExists(
                            "this device token is registered to another user",
                            reason="DEVICE_TOKEN_IN_USE",
                            metadata={"platform": platform.value},
                        )
                    row = await (
                        await conn.execute(
                            Q.refresh_device,
                            {"id": found["id"], "platform": platform.value, "display_name": display_name},
                        )
                    ).fetchone()
                    assert row is not None
                    return _device(row)
                row = await (
                    await conn.execute(
                        Q.insert_device,
                        {"user_id": uid, "platform": platform.value, "token": token, "display_name": display_name},
                    )
                ).fetchone()
                if row is not None:
                    return _device(row)
                # a concurrent registration inserted the same token: look again
        raise AlreadyExists("device token registration raced", reason="DEVICE_TOKEN_IN_USE")

    async def devices(self, ids: Sequence[int]) -> dict[int, PushDevice]:
        async with self.db.connection() as conn:
            rows = await (await conn.execute(Q.devices_by_ids, {"ids": list(ids)})).fetchall()
        return {r["id"]: _device(r) for r in rows}

    async def list_notifications(
        self,
        user_id: str,
        *,
        limit: int,
        after: tuple[datetime, int] | None = None,
        kind: NotificationKind | None = None,
        status: OutboxStatus | None = None,
    ) -> list[NotificationRecord]:
        async with self.db.connection() as conn:
            rows = await (
                await conn.execute(
                    Q.list_notifications,
                    {
                        "user_id": _uuid(user_id),
                        "limit": limit,
                        "kind": kind.value if kind else None,
                        "status": status.value if status else None,
                        "after_scheduled": after[0] if after else None,
                        "after_id": after[1] if after else None,
                    },
                )
            ).fetchall()
        return [
            NotificationRecord(
                id=r["id"],
                user_id=str(r["user_id"]),
                kind=NotificationKind(r["kind"]),
                channel=Channel(r["channel"]),
                status=OutboxStatus(r["status"]),
                reason=r["reason"] or "",
                period=r["slot_local"],
                title=r["title"] or "",
                target_id=r["target_id"],
                target_address=r["target_address"] or "",
                scheduled_for=r["scheduled_for"],
                sent_at=r["sent_at"],
                attempts=r["attempts"],
                next_attempt_at=r["next_attempt_at"],
                created_at=r["created_at"],
            )
            for r in rows
        ]

    # -- RunJob ----------------------------------------------------------------------------

    async def user_exists(self, user_id: str) -> bool:
        async with self.db.connection() as conn:
            return await (await conn.execute(Q.user_exists, {"user_id": _uuid(user_id)})).fetchone() is not None

    async def ensure_user(self, user_id: str) -> None:
        """Users are created on first use: the calling backend owns identities."""
        async with self.db.transaction() as conn:
            await ensure_user(conn, user_id)

    async def create_run(
        self, *, request_id: str | None, request_hash: str, kind: NotificationKind, user_id: str | None
    ) -> tuple[JobRun, bool]:
        """A new run, or ``(existing, False)`` when ``request_id`` was seen before."""
        run_id = uuid.uuid4()
        async with self.db.transaction() as conn:
            created = await (
                await conn.execute(
                    Q.create_run,
                    {
                        "id": run_id,
                        "request_id": request_id,
                        "request_hash": request_hash,
                        "kind": kind.value,
                        "user_id": _uuid(user_id) if user_id else None,
                    },
                )
            ).fetchone()
            query, params = (
                (Q.get_run, {"id": run_id}) if created else (Q.get_run_by_request, {"request_id": request_id})
            )
            row = await (await conn.execute(query, params)).fetchone()
        assert row is not None
        return _run(row), created is not None

    async def get_run(self, run_id: str) -> JobRun | None:
        async with self.db.connection() as conn:
            row = await (await conn.execute(Q.get_run, {"id": run_id})).fetchone()
        return _run(row) if row else None

    async def update_run(self, run_id: str, *, planned: int, sent: int, skipped: int, failed: int, done: bool) -> None:
        async with self.db.connection() as conn:
            await conn.execute(
                Q.update_run,
                {
                    "id": run_id,
                    "planned": planned,
                    "sent": sent,
                    "skipped": skipped,
                    "failed": failed,
                    "state": "done" if done else "running",
                },
            )

    async def plan_run(
        self,
        run_id: str,
        kind: NotificationKind,
        *,
        periods: dict[str, str],
        now: datetime,
        deadline: datetime,
        max_attempts: int,
        user_id: str | None,
    ) -> list[RunCandidate]:
        async with self.db.transaction() as conn:
            rows = await (
                await conn.execute(
                    Q.plan_run,
                    {
                        "kind": kind.value,
                        "tzs": list(periods),
                        "periods": list(periods.values()),
                        "now": now,
                        "deadline": deadline,
                        "max_attempts": max_attempts,
                        "run_id": run_id,
                        "user_id": _uuid(user_id) if user_id else None,
                    },
                )
            ).fetchall()
        return [
            RunCandidate(
                r["idempotency_key"],
                str(r["user_id"]),
                Channel(r["channel"]),
                r["target_id"],
                r["new_id"],
                r["existing_id"],
            )
            for r in rows
        ]

    async def run_rows(self, run_id: str) -> list[tuple[int, str, Channel, OutboxStatus, str]]:
        async with self.db.connection() as conn:
            rows = await (await conn.execute(Q.run_rows, {"run_id": run_id})).fetchall()
        return [
            (r["id"], str(r["user_id"]), Channel(r["channel"]), OutboxStatus(r["status"]), r["reason"] or "")
            for r in rows
        ]

    # -- news ---------------------------------------------------------------------------------

    async def get_summary(self, article_id: str) -> str | None:
        async with self.db.connection() as conn:
            row = await (await conn.execute(Q.get_summary, {"article_id": article_id})).fetchone()
        return row["summary"] if row else None

    async def put_summary(self, article_id: str, summary: str, *, model: str, provider: str) -> None:
        async with self.db.connection() as conn:
            await conn.execute(
                Q.put_summary, {"article_id": article_id, "summary": summary, "model": model, "provider": provider}
            )

    async def news_for_symbols(
        self, symbols: Sequence[str], since: datetime, until: datetime, limit: int
    ) -> list[NewsItem]:
        """:class:`~stack_cfo.core.notifications.ports.NewsReader` over ``news_articles``."""
        if not symbols:
            return []
        async with self.db.connection() as conn:
            rows = await (
                await conn.execute(
                    Q.news_for_symbols,
                    {"symbols": [s.upper() for s in symbols], "since": since, "until": until, "limit": limit},
                )
            ).fetchall()
        return [
            NewsItem(
                id=r["id"],
                title=r["title"] or "",
                summary=r["summary"] or "",
                url=r["url"] or "",
                source=r["source"] or "",
                published_at=r["published_at"],
                symbols=tuple(r["symbols"] or ()),
            )
            for r in rows
        ]

    async def store_articles(self, items: Sequence[NewsItem]) -> int:
        """Insert articles (``ON CONFLICT DO NOTHING``); returns how many were new."""
        new = 0
        async with self.db.transaction() as conn:
            for n in items:
                row = await (
                    await conn.execute(
                        Q.store_article,
                        {
                            "id": n.id,
                            "source": n.source,
                            "published_at": n.published_at,
                            "title": n.title,
                            "summary": n.summary,
                            "url": n.url,
                            "symbols": list(n.symbols),
                        },
                    )
                ).fetchone()
                new += row is not None
        return new

    async def held_symbols(self) -> list[str]:
        async with self.db.connection() as conn:
            rows = await (await conn.execute(Q.held_symbols)).fetchall()
        return [r["symbol"] for r in rows]


__all__ = [
    "ClaimedRow",
    "Heartbeat",
    "JobRun",
    "NotificationRecord",
    "OutboxGauges",
    "PlanCounts",
    "PlannerState",
    "PushDevice",
    "RunCandidate",
    "SchedulerRepo",
]
