"""The delivery worker's side of the outbox: claims with SKIP LOCKED, fenced write-backs, reaping and redrive."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from stack_cfo.core.errors import StackCfoError
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, OutboxStatus, Reason
from stack_cfo.core.notifications.preferences import NotificationPreferences
from stack_cfo.core.notifications.records import ClaimedRow, DeliveryTargets
from stack_cfo.store.scheduler._base import OUTBOX_TARGET, OUTBOX_TITLE, Q
from stack_cfo.store.scheduler.delivery import DeliveryQueries
from stack_cfo.store.scheduler.users import device_from_row, prefs_from_row

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SentMark:
    """One ``sent`` write-back (fenced by worker and attempt)."""

    row: ClaimedRow
    worker: str
    provider_id: str
    title: str
    target: str
    now: datetime | None
    degraded_reason: str = ""
    """Why its AI text is not the AI's ("" otherwise)."""
    receipt_ids: tuple[str, ...] = ()
    """Receipts of the AI texts it carried."""
    locale: str = ""
    """The locale its content was written in."""
    locale_fallback_from: str = ""
    """The user's unsupported locale when the content fell back to English."""


@dataclass(frozen=True, slots=True)
class Rendition:
    """What a write-back records of the content it rendered, whatever the outcome (sent, retried, dead,
    postponed): the locale and the provenance of its AI texts."""

    locale: str = ""
    locale_fallback_from: str = ""
    degraded_reason: str = ""
    receipt_ids: tuple[str, ...] = ()


def _rendition_params(rendition: Rendition | None) -> dict[str, Any]:
    """The ``rendered`` columns' parameters (``rendered`` false keeps the columns: nothing was rendered)."""
    r = rendition or Rendition()
    return {
        "rendered": rendition is not None,
        "locale": r.locale,
        "locale_fallback_from": r.locale_fallback_from,
        "degraded_reason": r.degraded_reason,
        "receipt_ids": list(r.receipt_ids),
    }


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
        manual=row["manual"],
    )


def _unreadable(what: str, row: Any, exc: StackCfoError) -> None:
    log.warning("a sealed value does not open; left out of this delivery",
                extra={"what": what, "user_id": str(row["user_id"]), "reason": exc.reason})


class OutboxQueries(DeliveryQueries):
    # -- worker -------------------------------------------------------------------------

    async def _sealed_texts(self, row: ClaimedRow, title: str | None, target: str | None) -> dict[str, str | None]:
        """``title`` and ``target`` of an outbox row, sealed (None stays None: the column is kept)."""
        if title is None and target is None:
            return {"title": None, "target": None}
        cipher = await self.sealer.cipher(row.user_id, create=True)
        rid = str(row.id)
        return {
            "title": cipher.seal(OUTBOX_TITLE, rid, title) if title is not None else None,
            "target": cipher.seal(OUTBOX_TARGET, rid, target) if target is not None else None,
        }

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
    ) -> tuple[dict[str, NotificationPreferences], DeliveryTargets]:
        """Fresh preferences of the rows' users and their targets: devices, webhook endpoints, feeds."""
        users = sorted({r.user_id for r in rows})

        def ids(channel: Channel) -> list[int]:
            return sorted({r.target_id for r in rows if r.channel is channel})

        device_ids = ids(Channel.PUSH)
        async with self.db.connection() as conn:
            prefs_rows = await (await conn.execute(Q.prefs_for_users, {"user_ids": users})).fetchall()
            dev_rows = (
                await (await conn.execute(Q.devices_by_ids, {"ids": device_ids})).fetchall() if device_ids else []
            )
        ciphers = await self.sealer_ciphers([*users, *(str(r["user_id"]) for r in dev_rows)])
        # One user's unreadable value (altered row, erased key) must not stop the batch: that user's
        # address or device is left out (the row is skipped or fails alone) and the rest go out.
        devices = {}
        for r in dev_rows:
            try:
                devices[r["id"]] = device_from_row(r, ciphers[str(r["user_id"])])
            except StackCfoError as exc:
                _unreadable("push device", r, exc)
        prefs: dict[str, NotificationPreferences] = {}
        for r in prefs_rows:
            cipher = ciphers[str(r["user_id"])]
            try:
                prefs[str(r["user_id"])] = prefs_from_row(r, cipher)
            except StackCfoError as exc:
                _unreadable("notification address", r, exc)
                prefs[str(r["user_id"])] = prefs_from_row({**r, "email_address": ""}, cipher)
        targets = DeliveryTargets(
            devices=devices,
            endpoints=await self.webhook_endpoints(ids(Channel.WEBHOOK), skip_unreadable=True),
            feeds=await self.feed_services(ids(Channel.FEED)),
        )
        return prefs, targets

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
        """``sent`` (with the provenance of its AI texts); returns ``sent_at``, or ``None`` if this worker no
        longer holds the claim."""
        [sent_at] = await self.mark_sent_many(
            [SentMark(row, worker, provider_id, title, target, now, degraded_reason, tuple(receipt_ids))]
        )
        return sent_at

    async def mark_sent_many(self, marks: Sequence[SentMark]) -> list[datetime | None]:
        """Several fenced ``sent`` write-backs in one statement: one commit (one WAL flush) for all. Each
        result is ``sent_at``, or ``None`` where that worker no longer held the claim."""
        ciphers = {u: await self.sealer.cipher(u, create=True) for u in dict.fromkeys(m.row.user_id for m in marks)}
        params = {
            "ids": [m.row.id for m in marks],
            "workers": [m.worker for m in marks],
            "attempts": [m.row.attempts for m in marks],
            "provider_ids": [m.provider_id for m in marks],
            "titles": [ciphers[m.row.user_id].seal(OUTBOX_TITLE, str(m.row.id), m.title) for m in marks],
            "targets": [ciphers[m.row.user_id].seal(OUTBOX_TARGET, str(m.row.id), m.target) for m in marks],
            "nows": [m.now for m in marks],
            "degraded_reasons": [m.degraded_reason for m in marks],
            "receipts": [",".join(m.receipt_ids) for m in marks],
            "locales": [m.locale for m in marks],
            "locale_fallbacks": [m.locale_fallback_from for m in marks],
        }
        async with self.db.connection() as conn:
            rows = await (await conn.execute(Q.mark_sent, params)).fetchall()
        sent = {r["id"]: r["sent_at"] for r in rows}
        return [sent.get(m.row.id) for m in marks]

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
        rendition: Rendition | None = None,
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
                        **await self._sealed_texts(row, title, target),
                        **_rendition_params(rendition),
                        "now": now,
                    },
                )
            ).fetchone()
        return r is not None

    async def mark_deferred(
        self,
        row: ClaimedRow,
        worker: str,
        *,
        until: datetime,
        deadline: datetime,
        now: datetime | None,
        reason: Reason = Reason.QUIET_HOURS,
        title: str | None = None,
        target: str | None = None,
        rendition: Rendition | None = None,
    ) -> bool:
        """Back to ``pending`` until ``until`` without spending the attempt (quiet hours, an open breaker);
        ``title`` and ``target`` when they are known already (a delivery an open breaker held back)."""
        texts = await self._sealed_texts(row, title, target)
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
                        "reason": reason.value,
                        "now": now,
                        **texts,
                        **_rendition_params(rendition),
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
        attempted: bool = True,
        rendition: Rendition | None = None,
    ) -> bool:
        """Settle the claimed row; ``attempted=False`` gives the claim's attempt back (nothing was sent)."""
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
                        "attempted": attempted,
                        **await self._sealed_texts(row, title, target),
                        **_rendition_params(rendition),
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
        """Return rows whose claim expired (the worker died, or could not write back in time) to ``retry`` (or
        ``dead``)."""
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
