"""Manual runs (RunJob): the run row, planning a run, and its rows' progress."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from stack_cfo.core.notifications.keys import manual_tag
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, OutboxStatus
from stack_cfo.core.notifications.records import (
    JobRun,
    RunCandidate,
)
from stack_cfo.store.scheduler._base import Q, Repo, user_uuid
from stack_cfo.store.users import ensure_user


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
        skipped_users=row["skipped_users"],
    )


class RunsQueries(Repo):
    # -- RunJob ----------------------------------------------------------------------------

    async def user_exists(self, user_id: str) -> bool:
        async with self.db.connection() as conn:
            return await (await conn.execute(Q.user_exists, {"user_id": user_uuid(user_id)})).fetchone() is not None

    async def ensure_user(self, user_id: str) -> None:
        """Users are created on first use: the calling backend owns identities."""
        async with self.db.transaction() as conn:
            await ensure_user(conn, user_id)

    async def create_run(
        self, *, request_id: str | None, request_hash: str, kind: NotificationKind, user_id: str | None,
        principal: str = "",
    ) -> tuple[JobRun, bool]:
        """A new run, or ``(existing, False)`` when ``principal`` sent ``request_id`` before."""
        run_id = uuid.uuid4()
        async with self.db.transaction() as conn:
            created = await (
                await conn.execute(
                    Q.create_run,
                    {
                        "id": run_id,
                        "principal": principal,
                        "request_id": request_id,
                        "request_hash": request_hash,
                        "kind": kind.value,
                        "user_id": user_uuid(user_id) if user_id else None,
                    },
                )
            ).fetchone()
            query, params = (
                (Q.get_run, {"id": run_id})
                if created
                else (Q.get_run_by_request, {"principal": principal, "request_id": request_id})
            )
            row = await (await conn.execute(query, params)).fetchone()
        assert row is not None
        return _run(row), created is not None

    async def get_run(self, run_id: str) -> JobRun | None:
        async with self.db.connection() as conn:
            row = await (await conn.execute(Q.get_run, {"id": run_id})).fetchone()
        return _run(row) if row else None

    async def update_run(
        self, run_id: str, *, planned: int, sent: int, skipped: int, failed: int, done: bool, skipped_users: int = 0
    ) -> None:
        async with self.db.connection() as conn:
            await conn.execute(
                Q.update_run,
                {
                    "id": run_id,
                    "planned": planned,
                    "sent": sent,
                    "skipped": skipped,
                    "failed": failed,
                    "skipped_users": skipped_users,
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
                        "tag": manual_tag(run_id),
                        "user_id": user_uuid(user_id) if user_id else None,
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

    async def run_skipped_users(
        self, run_id: str, kind: NotificationKind, user_id: str | None
    ) -> list[tuple[str, str]]:
        """(user id, reason) of the users the run considered who got no row: "kind_disabled" or "no_channel"."""
        async with self.db.connection() as conn:
            rows = await (
                await conn.execute(
                    Q.run_skipped_users,
                    {"run_id": run_id, "kind": kind.value, "user_id": user_uuid(user_id) if user_id else None},
                )
            ).fetchall()
        return [(str(r["user_id"]), r["reason"]) for r in rows]
