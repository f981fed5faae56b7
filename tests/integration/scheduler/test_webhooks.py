"""The webhook channel against a real local HTTPS receiver that verifies Standard Webhooks signatures
with its own implementation; endpoints that hang, fail forever, redirect, answer 50 MB or present a
certificate nobody vouches for; the SSRF guard; the per-endpoint circuit breaker."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stack_cfo.config.notifications import WebhookBreakerPolicy as BreakerPolicy
from stack_cfo.config.notifications import WebhookSettings
from stack_cfo.core.data_scope import system_scope
from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.notifications.content import render_digest
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, Reason
from stack_cfo.core.notifications.policy import RetryPolicy
from stack_cfo.core.notifications.webhooks import (
    Owner,
    WebhookEndpoint,
    WebhookEndpointService,
    address_allowed,
    new_secret,
)
from stack_cfo.scheduler.channels import Delivery, Permanent, Postponed, Retry, Sent
from stack_cfo.scheduler.channels.webhook import WebhookChannel
from stack_cfo.secret import Secret
from stack_cfo.store.db import Database
from tests.integration.scheduler.conftest import DIGEST, add_users, make_harness, outbox, test_config
from tests.standins.smtp import make_self_signed_cert
from tests.standins.webhook_receiver import BIG, WebhookReceiver, https_receiver, verify_standard_webhook

USER = "5f0c3a2e-8d4b-4c1a-9e7f-2b6d8a9c0e11"
KEY = f"digest:{USER}:2026-03-09:webhook:3"


@pytest.fixture
async def receiver(tmp_path: Path) -> AsyncIterator[WebhookReceiver]:
    async with https_receiver(tmp_path) as r:
        yield r


def local_settings(receiver: WebhookReceiver, **kw: object) -> WebhookSettings:
    assert receiver.cert is not None
    return WebhookSettings(allow_private_networks=True, ca_file=receiver.cert[0], timeout=1.0, **kw)  # type: ignore[arg-type]


def endpoint(url: str, secret: str, *, previous: str | None = None, endpoint_id: int = 3) -> WebhookEndpoint:
    now = datetime.now(UTC)
    return WebhookEndpoint(
        id=endpoint_id,
        owner=Owner(service="acme-backend"),
        url=url,
        description="",
        kinds=(),
        disabled=False,
        secret=Secret(secret),
        previous_secret=Secret(previous) if previous else None,
        previous_secret_expires_at=now + timedelta(hours=1) if previous else None,
        created_at=now,
        updated_at=now,
    )


def delivery(hook: WebhookEndpoint, key: str = KEY) -> Delivery:
    return Delivery(
        key=key,
        user_id=USER,
        rendered=render_digest(DIGEST, [], period="2026-03-09", key=key),
        deadline=datetime.now(UTC) + timedelta(hours=4),
        notification=f"users/{USER}/notifications/42",
        webhook=hook,
    )


async def test_delivery_is_signed_standard_webhooks_and_carries_the_documented_schema(
    receiver: WebhookReceiver,
) -> None:
    secret = new_secret()
    receiver.secrets = [secret]
    channel = WebhookChannel(local_settings(receiver))
    try:
        outcome = await channel.send(delivery(endpoint(receiver.url("/ok"), secret)))
    finally:
        await channel.aclose()
    assert isinstance(outcome, Sent) and outcome.provider_id == "HTTP 204"
    [got] = receiver.received
    assert got["headers"]["webhook-id"] == KEY  # the outbox key: receivers deduplicate on it
    assert got["headers"]["Content-Type"] == "application/json"
    body = got["body"]
    assert body["type"] == "notification.daily_digest"
    data = body["data"]
    assert data["kind"] == "daily_digest" and data["user"] == f"users/{USER}" and data["period"] == "2026-03-09"
    assert data["notification"] == f"users/{USER}/notifications/42" and data["idempotency_key"] == KEY
    assert data["manual"] is False and data["schema"] == 1
    content = data["content"]
    assert content["title"] == "Portfolio +0.76% on Thu, Jan 1" and content["subject"].startswith("Your portfolio on")
    assert content["receipts"] == []
    assert [b["type"] for b in content["blocks"]] == ["heading", "list", "chart", "list"]
    assert content["blocks"][1]["items"][0]["text"] == "Value: $107,250.00"
    assert content["blocks"][2]["points"][0] == {"date": "2026-01-01", "value": "100000"}
    assert {"name": "total_value", "value": "107250.00", "unit": "USD"} in content["figures"]
    assert {"name": "day_return", "value": "0.0076", "unit": "fraction"} in content["figures"]
    # a tampered body or a wrong key does not verify with the receiver's own implementation
    raw = got["headers"]
    assert not verify_standard_webhook([new_secret()], raw, b"{}")


async def test_during_a_rotation_both_secrets_sign(receiver: WebhookReceiver) -> None:
    old, new = new_secret(), new_secret()
    channel = WebhookChannel(local_settings(receiver))
    try:
        for accepted in ([old], [new]):  # a receiver still on the old secret, one already on the new
            receiver.secrets = accepted
            assert isinstance(await channel.send(delivery(endpoint(receiver.url("/ok"), new, previous=old))), Sent)
        receiver.secrets = [old]  # once the previous secret expired, only the new one signs
        expired = endpoint(receiver.url("/ok"), new)
        outcome = await channel.send(delivery(expired))
    finally:
        await channel.aclose()
    assert len(receiver.received) == 2 and receiver.rejected == 1
    assert isinstance(outcome, Permanent) and outcome.reason is Reason.WEBHOOK_4XX and "401" in outcome.error
    signatures = receiver.received[0]["headers"]["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)


async def test_answers_are_classified_and_retry_after_is_honoured(receiver: WebhookReceiver) -> None:
    secret = new_secret()
    channel = WebhookChannel(local_settings(receiver, breaker=BreakerPolicy(min_requests=100)))
    try:
        fail = await channel.send(delivery(endpoint(receiver.url("/fail"), secret)))
        limited = await channel.send(delivery(endpoint(receiver.url("/limited"), secret)))
        gone = await channel.send(delivery(endpoint(receiver.url("/gone"), secret)))
        moved = await channel.send(delivery(endpoint(receiver.url("/redirect"), secret)))
        started = time.monotonic()
        hang = await channel.send(delivery(endpoint(receiver.url("/hang"), secret)))
        hung_for = time.monotonic() - started
    finally:
        await channel.aclose()
    assert isinstance(fail, Retry) and fail.reason is Reason.WEBHOOK_5XX and "500" in fail.error
    assert isinstance(limited, Retry) and limited.reason is Reason.WEBHOOK_RATE_LIMITED
    assert limited.retry_after == timedelta(seconds=120)
    assert isinstance(gone, Permanent) and gone.reason is Reason.WEBHOOK_4XX
    assert isinstance(moved, Permanent) and moved.reason is Reason.WEBHOOK_REDIRECT
    assert receiver.hits.get("/ok", 0) == 0  # the redirect was not followed
    assert isinstance(hang, Retry) and hang.reason is Reason.WEBHOOK_TIMEOUT and hung_for < 3


async def test_a_50_mb_answer_is_not_read(receiver: WebhookReceiver) -> None:
    channel = WebhookChannel(local_settings(receiver))
    started = time.monotonic()
    try:
        outcome = await channel.send(delivery(endpoint(receiver.url("/big"), new_secret())))
    finally:
        await channel.aclose()
    assert isinstance(outcome, Sent) and time.monotonic() - started < 3
    assert receiver.big_bytes_written < BIG // 2  # the client hung up after a few KiB


async def test_an_invalid_certificate_fails_the_delivery(receiver: WebhookReceiver, tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    impostor = await WebhookReceiver(cert=make_self_signed_cert(tmp_path / "other")).start()
    impostor.secrets = receiver.secrets = [secret := new_secret()]
    channel = WebhookChannel(local_settings(receiver))  # trusts the receiver's CA, not the impostor's
    try:
        outcome = await channel.send(delivery(endpoint(impostor.url("/ok"), secret)))
        assert isinstance(await channel.send(delivery(endpoint(receiver.url("/ok"), secret))), Sent)
    finally:
        await channel.aclose()
        await impostor.stop()
    assert isinstance(outcome, Retry) and outcome.reason is Reason.WEBHOOK_TLS
    assert impostor.received == [] and impostor.hits == {}


async def test_ssrf_guard_refuses_loopback_at_send_time_even_after_dns_changed(receiver: WebhookReceiver) -> None:
    """Production mode: an endpoint registered while its name resolved to a public address is refused when
    the name resolves to loopback at send time (DNS rebinding); IP literals are refused before connecting."""

    async def public_dns(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]  # documentation-range style public answer; nothing is sent to it

    class Store:
        created: WebhookEndpoint | None = None

        async def ensure_user(self, user_id: str) -> None: ...

        async def create_webhook_endpoint(self, owner: Owner, **kw: object) -> WebhookEndpoint:
            self.created = endpoint(str(kw["url"]), str(kw["secret"]))
            return self.created

    store = Store()
    service = WebhookEndpointService(store, resolve=public_dns)  # type: ignore[arg-type]
    hook = await service.create(Owner(service="acme"), url=receiver.url("/ok", host="localhost"))
    receiver.secrets = [hook.secret.get()]
    assert receiver.cert is not None
    production = WebhookSettings(allow_private_networks=False, ca_file=receiver.cert[0], timeout=1.0)
    channel = WebhookChannel(production)
    try:
        rebound = await channel.send(delivery(hook))
        literal = await channel.send(delivery(endpoint(receiver.url("/ok", host="127.0.0.1"), hook.secret.get())))
        plain = await channel.send(delivery(endpoint(f"http://localhost:{receiver.port}/ok", hook.secret.get())))
    finally:
        await channel.aclose()
    for outcome in (rebound, literal, plain):
        assert isinstance(outcome, Permanent) and outcome.reason is Reason.WEBHOOK_ADDRESS_BLOCKED, outcome
    assert receiver.hits == {}

    strict = WebhookEndpointService(store)  # type: ignore[arg-type]
    for url, reason in (
        (receiver.url("/ok", host="localhost"), "WEBHOOK_URL_NOT_ALLOWED"),
        ("https://127.0.0.1/hook", "WEBHOOK_URL_NOT_ALLOWED"),
        ("https://[::ffff:10.0.0.1]/hook", "WEBHOOK_URL_NOT_ALLOWED"),
        ("http://hooks.example.com/x", "INVALID_WEBHOOK_URL"),
        ("https://user:pw@hooks.example.com/x", "INVALID_WEBHOOK_URL"),
        ("ftp://hooks.example.com/x", "INVALID_WEBHOOK_URL"),
    ):
        with pytest.raises(InvalidArgument) as info:
            await strict.create(Owner(service="acme"), url=url)
        assert info.value.reason == reason, url
        assert info.value.violations[0].field == "webhook_endpoint.url"


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.9", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("192.0.0.8", False),  # IETF protocol assignments (is_global says True)
        ("::127.0.0.1", False),  # IPv4-compatible (deprecated) loopback
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a01:203::", False),  # 6to4 of 10.1.2.3
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("2002:808:808::", True),  # 6to4 of 8.8.8.8
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
    ],
)
def test_address_classification(address: str, allowed: bool) -> None:
    assert address_allowed(address, allow_private=False) is allowed
    assert address_allowed(address, allow_private=True)


async def test_a_failing_endpoint_trips_its_own_breaker_only(receiver: WebhookReceiver) -> None:
    secret = new_secret()
    receiver.secrets = [secret]
    policy = BreakerPolicy(min_requests=3, failure_ratio=0.6, open_for=30.0, half_open_trials=1)
    channel = WebhookChannel(local_settings(receiver, breaker=policy))
    dead = endpoint(receiver.url("/fail"), secret, endpoint_id=1)
    live = endpoint(receiver.url("/ok"), secret, endpoint_id=2)
    try:
        outcomes = [await channel.send(delivery(dead)) for _ in range(5)]
        healthy = await channel.send(delivery(live))
    finally:
        await channel.aclose()
    assert [type(o) for o in outcomes] == [Retry, Retry, Retry, Postponed, Postponed]
    postponed = outcomes[-1]
    assert isinstance(postponed, Postponed) and postponed.reason is Reason.WEBHOOK_CIRCUIT_OPEN
    assert postponed.retry_after == timedelta(seconds=30)
    assert receiver.hits["/fail"] == 3  # no request while open
    assert isinstance(healthy, Sent)


def test_kinds_of_the_document_match_the_contract() -> None:
    assert {k.job_type for k in NotificationKind} == {"daily_digest", "weekly_summary", "performance_alert"}


# -- through the outbox ----------------------------------------------------------------------------------


async def _service_endpoint(db: Database, url: str, secret: str) -> int:
    with system_scope("test-seed"):
        async with db.connection() as conn:
            row = await (
                await conn.execute(
                    "INSERT INTO webhook_endpoints (service, url, secret) VALUES ('acme', %s, %s) RETURNING id",
                    (url, secret),
                )
            ).fetchone()
        assert row is not None
        return int(row["id"])


async def test_outbox_retries_with_the_same_webhook_id_then_dead_letters(
    database: Database, receiver: WebhookReceiver
) -> None:
    secret = new_secret()
    receiver.secrets = [secret]
    receiver.fail_ok_first = 1
    users = await add_users(database, 2, prefs={"time_zone": "UTC", "email_enabled": False, "push_enabled": False})
    flaky = await _service_endpoint(database, receiver.url("/ok"), secret)
    dead = await _service_endpoint(database, receiver.url("/fail"), secret)
    config = test_config(
        retry=RetryPolicy(base=timedelta(seconds=60), cap=timedelta(minutes=5), max_attempts=3),
        enable_weekly_summary=False,
        enable_performance_alerts=False,
    )
    channel = WebhookChannel(local_settings(receiver, breaker=BreakerPolicy(min_requests=100)))
    start = datetime(2026, 3, 9, 7, 59, tzinfo=UTC)
    h = make_harness(database, config, {Channel.WEBHOOK: channel}, start=start)
    try:
        await h.step(start)
        await h.step(datetime(2026, 3, 9, 8, 0, 5, tzinfo=UTC))
        for minute in range(5, 60, 5):
            await h.step(datetime(2026, 3, 9, 8, minute, tzinfo=UTC), plan=False)
    finally:
        await channel.aclose()
    rows = await outbox(database, "kind = 'digest'")
    by = {(r["target_id"], str(r["user_id"])): r for r in rows}
    for u in users:
        assert by[(flaky, u)]["status"] == "sent"
        assert by[(dead, u)]["status"] == "dead" and by[(dead, u)]["reason"] == "max_attempts"
        assert by[(dead, u)]["attempts"] == 3 and "webhook_5xx" in by[(dead, u)]["last_error"]
        assert by[(dead, u)]["target_address"] == f"services/acme/webhookEndpoints/{dead}"
    assert receiver.hits["/fail"] == 6
    # the retried delivery carried the same webhook-id (the outbox key): the receiver can deduplicate
    assert len(receiver.ids_seen) == 3 and len(set(receiver.ids_seen)) == 2
    assert sorted(r["headers"]["webhook-id"] for r in receiver.received) == sorted(
        by[(flaky, u)]["idempotency_key"] for u in users
    )


async def test_a_hanging_endpoint_does_not_slow_the_others(database: Database, receiver: WebhookReceiver) -> None:
    secret = new_secret()
    receiver.secrets = [secret]
    users = await add_users(database, 30, prefs={"time_zone": "UTC", "email_enabled": False, "push_enabled": False})
    live = await _service_endpoint(database, receiver.url("/ok"), secret)
    hanging = await _service_endpoint(database, receiver.url("/hang"), secret)
    config = test_config(concurrency_limit=4, enable_weekly_summary=False, enable_performance_alerts=False)
    channel = WebhookChannel(local_settings(receiver))  # timeout 1 s, breaker: 3 failures, 1 trial
    start = datetime(2026, 3, 9, 7, 59, tzinfo=UTC)
    h = make_harness(database, config, {Channel.WEBHOOK: channel}, start=start)
    try:
        await h.step(start)
        t0 = time.monotonic()
        await h.step(datetime(2026, 3, 9, 8, 0, 5, tzinfo=UTC))
        took = time.monotonic() - t0
        # a new endpoint earns concurrency with its first answer: what arrived meanwhile waited ~1 s
        await h.step(datetime(2026, 3, 9, 8, 0, 7, tzinfo=UTC), plan=False)
    finally:
        await channel.aclose()
    rows = await outbox(database, "kind = 'digest'")
    assert sum(1 for r in rows if r["target_id"] == live and r["status"] == "sent") == len(users)
    stuck = [r for r in rows if r["target_id"] == hanging]
    # one request at a time to an endpoint that never answered: the rest wait without spending attempts
    postponed = [r for r in stuck if r["status"] == "pending" and r["reason"] == "webhook_probing"]
    tried = [r for r in stuck if r not in postponed]
    assert receiver.hits["/hang"] == len(tried) <= 3  # one at a time, once per claimed batch at most
    assert all(r["status"] == "retry" and r["reason"] == "webhook_timeout" and r["attempts"] == 1 for r in tried)
    assert all(r["attempts"] == 0 for r in postponed)
    # held back by the breaker, a row already names its endpoint (it showed an empty target)
    assert postponed and all(r["target_address"] for r in postponed)
    # 30 live deliveries with 4 slots cost a handful of round trips; the dead endpoint held one slot
    assert took < 4, took


async def test_a_retry_waits_its_back_off_from_the_failure_not_from_the_claim(
    database: Database, receiver: WebhookReceiver
) -> None:
    """A real-time worker (no test clock): the endpoint hangs past the 1 s timeout and the retry is
    due base x jitter after that answer. It was counted from before the send, so a timed-out
    delivery was retried at once (a client's test: +0, +3.01 s, +6.02 s with a 3 s timeout)."""
    from stack_cfo.core.notifications.service import NotificationService
    from stack_cfo.scheduler.process import build_worker
    from stack_cfo.store.scheduler import SchedulerRepo
    from tests.integration.scheduler.conftest import static_portfolio

    secret = new_secret()
    receiver.secrets = [secret]
    await add_users(database, 1, prefs={"time_zone": "UTC", "email_enabled": False, "push_enabled": False})
    await _service_endpoint(database, receiver.url("/hang"), secret)
    config = test_config(retry=RetryPolicy(base=timedelta(milliseconds=200), cap=timedelta(seconds=1), max_attempts=5),
                         enable_weekly_summary=False, enable_performance_alerts=False)
    channel = WebhookChannel(local_settings(receiver))  # timeout 1 s
    worker = build_worker(database, config, portfolio=static_portfolio(), channels={Channel.WEBHOOK: channel})
    service = NotificationService(SchedulerRepo(database), config, deliverer=lambda: worker)
    async with database.connection() as conn:
        before = (await (await conn.execute("SELECT now() AS t")).fetchone())["t"]  # type: ignore[index]
    try:
        async for _ in service.run_job(kind=NotificationKind.DIGEST):
            pass
    finally:
        await channel.aclose()
    [row] = await outbox(database, "kind = 'digest' AND channel = 'webhook'")
    assert row["status"] == "retry" and row["reason"] == "webhook_timeout"
    # the answer (a timeout) came >= 1 s after the send; the retry is due after it, not 0.1-0.2 s after the claim
    assert row["next_attempt_at"] - before >= timedelta(seconds=1.05), row["next_attempt_at"] - before
