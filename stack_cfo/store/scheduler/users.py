"""Users' preferences, push devices and notification history."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from stack_cfo.core.errors import AlreadyExists, NotFound, ResourceExhausted, StackCfoError
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, OutboxStatus, Platform
from stack_cfo.core.notifications.preferences import NotificationPreferences, default_preferences
from stack_cfo.core.notifications.records import (
    NotificationRecord,
    PushDevice,
)
from stack_cfo.core.provenance import Receipt
from stack_cfo.crypto.fields import UserCipher
from stack_cfo.store.receipts import light_receipts
from stack_cfo.store.scheduler._base import (
    DEVICE_NAME,
    EMAIL,
    OUTBOX_TARGET,
    OUTBOX_TITLE,
    PUSH_TOKEN,
    Q,
    Repo,
    user_uuid,
)


def prefs_from_row(row: dict[str, Any], cipher: UserCipher) -> NotificationPreferences:
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
        webhook_enabled=row["webhook_enabled"],
        feed_enabled=row["feed_enabled"],
        email_address=cipher.open(EMAIL, user_id, row["email_address"]),
        quiet_hours_start=row["quiet_hours_start"],
        quiet_hours_end=row["quiet_hours_end"],
        alert_threshold_percent=row["alert_threshold_percent"],
        alert_threshold_sigma=row["alert_threshold_sigma"],
        locale=row.get("locale") or "",
        opted_in_at=row["opted_in_at"],
        update_time=row["updated_at"],
    )


def _planned_target(r: dict[str, Any], cipher: UserCipher) -> str:
    """Where a row no delivery recorded an address for goes (list_notifications' extra columns; "" when
    the query has none): an email row, the user's current address (the worker sends to the preferences'
    address at send time, so this is where it will go; for a row never sent, skipped or missed, the
    address it would have gone to: scheduler.proto's "until it is sent, the user's current notification
    address"); a feed row, its feed."""
    channel, status = Channel(r["channel"]), OutboxStatus(r["status"])
    if channel is Channel.FEED and r.get("feed_service"):
        return f"services/{r['feed_service']}/notificationFeed"
    if channel is not Channel.EMAIL or status is OutboxStatus.SENT or "prefs_saved" not in r:
        return ""
    if not r["prefs_saved"]:
        return r["account_email"] or ""
    try:
        return cipher.open(EMAIL, str(r["user_id"]), r["prefs_email"] or "") if r["prefs_email"] else ""
    except StackCfoError:  # an unreadable address: the row will be skipped; show none
        return ""


def record_from_row(r: dict[str, Any], cipher: UserCipher) -> NotificationRecord:
    rid = str(r["id"])
    return NotificationRecord(
        id=r["id"],
        user_id=str(r["user_id"]),
        kind=NotificationKind(r["kind"]),
        channel=Channel(r["channel"]),
        status=OutboxStatus(r["status"]),
        reason=r["reason"] or "",
        period=r["slot_local"],
        title=cipher.open(OUTBOX_TITLE, rid, r["title"] or ""),
        target_id=r["target_id"],
        target_address=cipher.open(OUTBOX_TARGET, rid, r["target_address"] or "") or _planned_target(r, cipher),
        scheduled_for=r["scheduled_for"],
        sent_at=r["sent_at"],
        attempts=r["attempts"],
        next_attempt_at=r["next_attempt_at"],
        created_at=r["created_at"],
        manual=r["manual"],
        key=r["idempotency_key"],
        degraded_reason=r["degraded_reason"] or "",
        receipt_ids=tuple(str(x) for x in r["receipt_ids"] or ()),
        locale=r.get("locale") or "",
        locale_fallback_from=r.get("locale_fallback_from") or "",
    )


def _as_dict(p: NotificationPreferences) -> dict[str, Any]:
    return {name: getattr(p, name) for name in p.__dataclass_fields__}


def device_from_row(row: dict[str, Any], cipher: UserCipher) -> PushDevice:
    return PushDevice(
        id=row["id"],
        user_id=str(row["user_id"]),
        platform=Platform(row["platform"]),
        token=open_push_token(cipher, row),
        display_name=cipher.open(DEVICE_NAME, str(row["user_id"]), row["display_name"]),
        active=row["active"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def token_digest(token: str) -> str:
    """What a device token is found and kept unique by (``push_devices.token_sha256``): the
    SHA-256 of a random push-service token reveals nothing, and lookups work on sealed tokens."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_push_token(cipher: UserCipher, row: dict[str, Any]) -> str:
    """The token, bound to its user (AAD) and to its digest (checked: a token moved to another
    device row of the same user does not pass as that row's)."""
    token = cipher.open(PUSH_TOKEN, str(row["user_id"]), row["token"])
    if row["token"] != token and row.get("token_sha256") not in (None, token_digest(token)):
        from stack_cfo.crypto.fields import SealedValueUnreadable

        raise SealedValueUnreadable(
            f"{PUSH_TOKEN} of this row does not open: the stored value was altered or moved from another row",
            metadata={"column": PUSH_TOKEN},
        )
    return token


class UsersQueries(Repo):
    # -- preferences, devices, history ------------------------------------------------------

    async def get_preferences(self, user_id: str) -> NotificationPreferences:
        async with self.db.connection() as conn:
            row = await (await conn.execute(Q.get_prefs, {"user_id": user_uuid(user_id)})).fetchone()
        if row is None:
            raise NotFound.resource("user", f"users/{user_id}")
        return prefs_from_row(row, await self.sealer.cipher(str(row["user_id"])))

    async def locale_of(self, user_id: str) -> str:
        """The user's stored locale tag ("" when none: the configured default applies)."""
        async with self.db.connection() as conn:
            row = await (await conn.execute(Q.locale_of, {"user_id": user_uuid(user_id)})).fetchone()
        return str(row["locale"]) if row is not None and row["locale"] else ""

    async def save_preferences(self, prefs: NotificationPreferences, *, modify: Any = None) -> NotificationPreferences:
        """Read-modify-write under a per-user lock: ``modify(current) -> new`` (validated by the caller)."""
        uid = user_uuid(prefs.user_id)
        cipher = await self.sealer.cipher(str(uid), create=True)
        async with self.db.transaction() as conn:
            await conn.execute(Q.lock_prefs, {"user_id": uid})
            row = await (await conn.execute(Q.get_prefs, {"user_id": uid})).fetchone()
            if row is None:
                raise NotFound.resource("user", f"users/{prefs.user_id}")
            current = prefs_from_row(row, cipher)
            new: NotificationPreferences = modify(current) if modify is not None else prefs
            params = _as_dict(new)
            params["user_id"] = uid
            # "" stays "" (the planner asks only whether there is an address).
            params["email_address"] = cipher.seal(EMAIL, str(uid), new.email_address) if new.email_address else ""
            params["opted_in_at"] = current.opted_in_at
            saved = await (await conn.execute(Q.upsert_prefs, params)).fetchone()
            assert saved is not None
            if (new.quiet_hours_start, new.quiet_hours_end, new.time_zone) != (
                current.quiet_hours_start, current.quiet_hours_end, current.time_zone
            ):
                # notifications held for the old quiet hours are looked at again now (the worker
                # holds them again if the new hours still cover this moment)
                await conn.execute(Q.wake_quiet_hours, {"user_id": uid})
        return NotificationPreferences(
            **{**_as_dict(new), "opted_in_at": saved["opted_in_at"], "update_time": saved["updated_at"]}
        )

    async def register_device(
        self, user_id: str, *, platform: Platform, token: str, display_name: str = "", limit: int | None = None
    ) -> PushDevice:
        """Register ``token`` for the user, or refresh and reactivate the device that has it. A new
        token beyond ``limit`` devices first removes the user's deactivated ones (least recently
        changed first); RESOURCE_EXHAUSTED (TOO_MANY_DEVICES) when they do not make room."""
        uid = user_uuid(user_id)
        cipher = await self.sealer.cipher(str(uid), create=True)
        digest = token_digest(token)
        async with self.db.transaction() as conn:
            if await (await conn.execute(Q.lock_user_devices, {"user_id": uid})).fetchone() is None:
                raise NotFound.resource("user", f"users/{user_id}")
            for _ in range(2):
                found = await (await conn.execute(Q.find_device_by_token, {"token_sha256": digest})).fetchone()
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
                            {"id": found["id"], "platform": platform.value,
                             "display_name": cipher.seal(DEVICE_NAME, str(uid), display_name) if display_name else ""},
                        )
                    ).fetchone()
                    assert row is not None
                    return device_from_row(row, cipher)
                if limit is not None:
                    await self._make_room(conn, uid, user_id, limit)
                row = await (
                    await conn.execute(
                        Q.insert_device,
                        {"user_id": uid, "platform": platform.value, "token": cipher.seal(PUSH_TOKEN, str(uid), token),
                         "token_sha256": digest,
                         "display_name": cipher.seal(DEVICE_NAME, str(uid), display_name) if display_name else ""},
                    )
                ).fetchone()
                if row is not None:
                    return device_from_row(row, cipher)
                # the token is taken: by a concurrent registration (look again), or by another user,
                # whose row this user's scope cannot see (row-level security)
        raise AlreadyExists(
            "this device token is registered to another user",
            reason="DEVICE_TOKEN_IN_USE",
            metadata={"platform": platform.value},
        )

    @staticmethod
    async def _make_room(conn: Any, uid: Any, user_id: str, limit: int) -> None:
        """Below ``limit`` devices for one more, removing deactivated ones (least recently changed
        first) if need be; RESOURCE_EXHAUSTED (TOO_MANY_DEVICES) when they are not enough."""
        count = (await (await conn.execute(Q.count_devices, {"user_id": uid})).fetchone())["devices"]
        if count < limit:
            return
        evicted = await (
            await conn.execute(Q.evict_inactive_devices, {"user_id": uid, "count": count - limit + 1})
        ).fetchall()
        if count - len(evicted) >= limit:
            raise ResourceExhausted(
                f"users/{user_id} has the most active push devices allowed ({limit}); delete one first",
                reason="TOO_MANY_DEVICES",
                metadata={"parent": f"users/{user_id}", "limit": str(limit)},
            )

    async def list_devices(self, user_id: str, *, limit: int, after_id: int) -> list[PushDevice]:
        """The user's devices with ids above ``after_id``, oldest first."""
        uid = user_uuid(user_id)
        async with self.db.connection() as conn:
            rows = await (
                await conn.execute(Q.list_devices, {"user_id": uid, "limit": limit, "after_id": after_id})
            ).fetchall()
        if not rows:
            return []
        cipher = await self.sealer.cipher(str(uid))
        return [device_from_row(r, cipher) for r in rows]

    async def devices(self, ids: Sequence[int]) -> dict[int, PushDevice]:
        async with self.db.connection() as conn:
            rows = await (await conn.execute(Q.devices_by_ids, {"ids": list(ids)})).fetchall()
        ciphers = await self.sealer_ciphers(str(r["user_id"]) for r in rows)
        return {r["id"]: device_from_row(r, ciphers[str(r["user_id"])]) for r in rows}

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
                        "user_id": user_uuid(user_id),
                        "limit": limit,
                        "kind": kind.value if kind else None,
                        "status": status.value if status else None,
                        "after_scheduled": after[0] if after else None,
                        "after_id": after[1] if after else None,
                    },
                )
            ).fetchall()
        cipher = await self.sealer.cipher(str(user_uuid(user_id)))
        return [record_from_row(r, cipher) for r in rows]

    async def receipts(self, ids: Sequence[str]) -> dict[str, Receipt]:
        """Receipts of the AI texts notifications carry, without their data snapshots."""
        async with self.db.connection() as conn:
            return await light_receipts(conn, ids, self.sealer)
