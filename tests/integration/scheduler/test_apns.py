"""Native APNs against a local HTTP/2 stand-in speaking the provider API over TLS with ALPN h2."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stack_cfo.config.notifications import ApnsSettings
from stack_cfo.core.data_scope import system_scope
from stack_cfo.core.notifications.content import render_alert
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, OutboxStatus, Platform, Reason
from stack_cfo.scheduler.channels import Delivery, InvalidTarget, Retry, Sent
from stack_cfo.scheduler.channels.apns import ApnsChannel
from stack_cfo.scheduler.channels.fcm import FcmChannel
from stack_cfo.scheduler.channels.push import PushRouter
from stack_cfo.scheduler.config import FcmSettings
from stack_cfo.store.db import Database
from tests.integration.scheduler.conftest import (
    ALERT,
    add_device,
    add_users,
    make_harness,
    outbox,
    test_config,
    write_fcm_account,
)
from tests.standins.apns import ApnsStandIn
from tests.standins.fcm import FcmStandIn

USER = "5f0c3a2e-8d4b-4c1a-9e7f-2b6d8a9c0e11"
TOKEN = "a1" * 32


@pytest.fixture
async def apns(tmp_path: Path) -> AsyncIterator[ApnsStandIn]:
    standin = await ApnsStandIn(tmp_path).start()
    try:
        yield standin
    finally:
        await standin.stop()


def settings(apns: ApnsStandIn) -> ApnsSettings:
    return ApnsSettings(
        key_file=apns.write_key(),
        key_id=apns.key_id,
        team_id=apns.team_id,
        topic=apns.topic,
        endpoint=apns.base_url,
        ca_file=apns.cert,
        timeout=5,
    )


class Clock:
    def __init__(self) -> None:
        import time

        self.t = time.time()

    def __call__(self) -> float:
        return self.t


def alert_delivery(token: str = TOKEN, key: str = f"alert:{USER}:XNYS-2026-03-09T11:push:7") -> Delivery:
    return Delivery(
        key=key,
        user_id=USER,
        rendered=render_alert(ALERT, period="XNYS-2026-03-09T11", key=key),
        deadline=datetime.now(UTC) + timedelta(hours=1),
        device_token=token,
        device_platform="apns",
    )


async def test_apns_sends_over_http2_with_an_es256_provider_token_and_collapse_and_thread_ids(
    apns: ApnsStandIn,
) -> None:
    channel = ApnsChannel(settings(apns))
    try:
        for _ in range(3):
            outcome = await channel.send(alert_delivery())
            assert isinstance(outcome, Sent)
    finally:
        await channel.aclose()
    assert apns.connections == 1  # one HTTP/2 connection multiplexes the sends
    assert len(apns.tokens_seen) == 1 and channel.tokens.minted == 1  # the JWT is reused
    [token] = apns.tokens_seen
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "ES256", "kid": apns.key_id, "typ": "JWT"}
    first = apns.accepted[0]
    h = first["headers"]
    assert first["token"] == TOKEN
    assert h["apns-topic"] == "com.stack.app" and h["apns-push-type"] == "alert" and h["apns-priority"] == "10"
    assert h["apns-collapse-id"] == "alert-2026-03-09T11"
    assert outcome.provider_id == h["apns-id"]  # derived from the key: a duplicate carries the same id
    assert {a["headers"]["apns-id"] for a in apns.accepted} == {h["apns-id"]}
    aps = first["payload"]["aps"]
    assert aps["alert"]["title"] == "Portfolio down 3.20%" and aps["thread-id"] == "alert"
    assert first["payload"]["deep_link"] == "stackcfo://notifications/alert/2026-03-09T11"


async def test_apns_provider_token_is_renewed_before_an_hour_and_after_expired_provider_token(
    apns: ApnsStandIn,
) -> None:
    clock = Clock()
    apns.now = clock
    channel = ApnsChannel(settings(apns), now=clock)
    try:
        assert isinstance(await channel.send(alert_delivery()), Sent)
        clock.t += 49 * 60
        assert isinstance(await channel.send(alert_delivery()), Sent)
        assert channel.tokens.minted == 1
        clock.t += 2 * 60  # 51 minutes old: renewed before APNs would refuse it at 60
        assert isinstance(await channel.send(alert_delivery()), Sent)
        assert channel.tokens.minted == 2
        # APNs says the token expired (clock skew, revocation): one fresh token, one retry
        apns.expire_tokens_issued_before = clock.t + 1
        clock.t += 2
        assert isinstance(await channel.send(alert_delivery()), Sent)
        assert channel.tokens.minted == 3
    finally:
        await channel.aclose()


async def test_apns_error_semantics(apns: ApnsStandIn) -> None:
    apns.unregistered.add("b2" * 32)
    apns.bad_tokens.add("c3" * 32)
    channel = ApnsChannel(settings(apns))
    try:
        gone = await channel.send(alert_delivery("b2" * 32))
        assert isinstance(gone, InvalidTarget) and gone.reason is Reason.PUSH_TOKEN_INVALID and "410" in gone.error
        bad = await channel.send(alert_delivery("c3" * 32))
        assert isinstance(bad, InvalidTarget) and "BadDeviceToken" in bad.error
        apns.fail_next(429, "TooManyRequests")
        apns.fail_next(503, "ServiceUnavailable")
        apns.fail_next(500, "InternalServerError")
        limited = await channel.send(alert_delivery())
        assert isinstance(limited, Retry) and limited.reason is Reason.PUSH_RATE_LIMITED
        for _ in range(2):
            down = await channel.send(alert_delivery())
            assert isinstance(down, Retry) and down.reason is Reason.PUSH_UNAVAILABLE
        assert isinstance(await channel.send(alert_delivery()), Sent)
    finally:
        await channel.aclose()
    assert [a["token"] for a in apns.accepted] == [TOKEN]


async def test_apns_connection_closed_mid_stream_is_retried_on_a_new_connection(apns: ApnsStandIn) -> None:
    channel = ApnsChannel(settings(apns))
    try:
        assert isinstance(await channel.send(alert_delivery()), Sent)
        apns.close_next()
        lost = await channel.send(alert_delivery())
        assert isinstance(lost, Retry) and lost.reason is Reason.PUSH_UNAVAILABLE
        assert apns.closed_mid_stream == 1
        assert isinstance(await channel.send(alert_delivery()), Sent)
    finally:
        await channel.aclose()
    assert apns.connections == 2 and len(apns.accepted) == 2


async def test_devices_go_to_the_service_of_their_platform_and_410_deactivates(
    database: Database, apns: ApnsStandIn, tmp_path: Path
) -> None:
    """APNS devices go to APNs, FCM devices to FCM (never an APNs token through FCM); a connection lost
    mid-stream is retried and delivered once; Unregistered deactivates the device."""
    fcm = await FcmStandIn().start()
    try:
        users = await add_users(database, 3, prefs={"time_zone": "UTC", "email_enabled": False})
        ios = await add_device(database, users[0], "d4" * 32, platform=Platform.APNS.value)
        android = await add_device(database, users[1], "fcm-token-android", platform=Platform.FCM.value)
        gone = await add_device(database, users[2], "e5" * 32, platform=Platform.APNS.value)
        apns.unregistered.add("e5" * 32)
        apns.close_next()  # the first APNs request dies with its connection
        fcm_channel = FcmChannel(
            FcmSettings(
                project_id=fcm.project_id, service_account_file=write_fcm_account(fcm, tmp_path),
                endpoint=fcm.base_url, timeout=5,
            )
        )
        router = PushRouter({Platform.FCM: fcm_channel, Platform.APNS: ApnsChannel(settings(apns))})
        start = datetime(2026, 3, 9, 7, 59, tzinfo=UTC)
        h = make_harness(database, test_config(), {Channel.PUSH: router}, start=start)
        try:
            await h.step(start)  # the planner's first tick sets its epoch
            await h.step(datetime(2026, 3, 9, 8, 0, 5, tzinfo=UTC))
            await h.step(datetime(2026, 3, 9, 8, 10, tzinfo=UTC), plan=False)  # the retry is due
            rows = {r["target_id"]: r for r in await outbox(database, "kind = 'digest'")}
        finally:
            await router.aclose()
        assert rows[ios]["status"] == OutboxStatus.SENT.value and rows[ios]["attempts"] in (1, 2)
        assert rows[android]["status"] == OutboxStatus.SENT.value
        assert rows[gone]["status"] == OutboxStatus.DEAD.value and rows[gone]["reason"] == "push_token_invalid"
        assert [m["token"] for m in fcm.accepted] == ["fcm-token-android"]
        assert sorted(a["token"] for a in apns.accepted) == ["d4" * 32]  # delivered once despite the lost stream
        assert apns.accepted[0]["headers"]["apns-priority"] == "5"
        assert apns.accepted[0]["payload"]["aps"]["thread-id"] == NotificationKind.DIGEST.value
        with system_scope("test-inspect"):  # every user's devices
            async with database.connection() as conn:
                active = await (await conn.execute("SELECT id, active FROM push_devices ORDER BY id")).fetchall()
        assert {r["id"]: r["active"] for r in active} == {ios: True, android: True, gone: False}
    finally:
        await fcm.stop()


async def test_apns_device_without_an_apns_sender_is_skipped_not_sent_through_fcm(
    database: Database, tmp_path: Path
) -> None:
    fcm = await FcmStandIn().start()
    try:
        [user] = await add_users(database, 1, prefs={"time_zone": "UTC", "email_enabled": False})
        await add_device(database, user, "f6" * 32, platform=Platform.APNS.value)
        fcm_channel = FcmChannel(
            FcmSettings(
                project_id=fcm.project_id, service_account_file=write_fcm_account(fcm, tmp_path),
                endpoint=fcm.base_url, timeout=5,
            )
        )
        router = PushRouter({Platform.FCM: fcm_channel})
        start = datetime(2026, 3, 9, 7, 59, tzinfo=UTC)
        h = make_harness(database, test_config(), {Channel.PUSH: router}, start=start)
        try:
            await h.step(start)
            await h.step(datetime(2026, 3, 9, 8, 0, 5, tzinfo=UTC))
        finally:
            await router.aclose()
        [row] = await outbox(database, "kind = 'digest'")
        assert row["status"] == "skipped" and row["reason"] == "channel_not_configured"
        assert fcm.send_attempts == 0
    finally:
        await fcm.stop()
