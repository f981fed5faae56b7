"""SMTP and FCM channels against protocol-faithful local servers (real sockets, no mocks)."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from stack_cfo.core.notifications.content import render_alert, render_digest
from stack_cfo.core.notifications.kinds import Reason
from stack_cfo.scheduler.channels import Delivery, InvalidTarget, Permanent, Retry, Sent
from stack_cfo.scheduler.channels.fcm import FcmChannel, retry_after_of
from stack_cfo.scheduler.channels.smtp import SmtpChannel
from stack_cfo.scheduler.config import FcmSettings, SmtpSettings
from stack_cfo.secret import Secret
from tests.integration.scheduler.conftest import ALERT, DIGEST, smtp_settings, write_fcm_account
from tests.standins.fcm import FcmStandIn
from tests.standins.smtp import SmtpSink, make_self_signed_cert
from tests.support.secrets import SMTP_PASSWORD

USER = "5f0c3a2e-8d4b-4c1a-9e7f-2b6d8a9c0e11"
KEY = f"digest:{USER}:2026-03-09:email:0"


def _digest_delivery(**kw: str) -> Delivery:
    rendered = render_digest(DIGEST, [], period="2026-03-09", key=KEY)
    return Delivery(
        key=KEY,
        user_id=USER,
        rendered=rendered,
        deadline=datetime.now(UTC) + timedelta(hours=4),
        email_to="ada@example.com",
        **kw,
    )


def _alert_delivery(token: str) -> Delivery:
    key = f"alert:{USER}:XNYS-2026-03-09T11:push:7"
    return Delivery(
        key=key,
        user_id=USER,
        rendered=render_alert(ALERT, period="XNYS-2026-03-09T11", key=key),
        deadline=datetime.now(UTC) + timedelta(hours=1),
        device_token=token,
        device_platform="fcm",
    )


async def test_smtp_delivers_multipart_with_message_id_from_the_key(smtp_sink: SmtpSink) -> None:
    channel = SmtpChannel(
        smtp_settings(smtp_sink, sender="STACK <digest@stack.example>", message_id_domain="stack.example")
    )
    outcome = await channel.send(_digest_delivery())
    assert isinstance(outcome, Sent)
    [mail] = smtp_sink.received()
    assert mail.rcpt_tos == ("ada@example.com",) and mail.mail_from == "digest@stack.example"
    assert mail.message_id == f"<digest.{USER}.2026-03-09.email.0@stack.example>"
    assert mail.message.get_content_type() == "multipart/alternative"
    assert "Value: $107,250.00" in mail.part("plain")
    assert "<svg" in mail.part("html")
    assert mail.subject.startswith("Your portfolio on")


async def test_the_e_mail_names_the_receipts_of_the_ai_texts_it_carries(smtp_sink: SmtpSink) -> None:
    """An e-mailed digest could not be traced to its receipts (webhooks and the feed name them)."""
    from dataclasses import replace

    channel = SmtpChannel(smtp_settings(smtp_sink))
    delivery = _digest_delivery()
    names = (f"users/{USER}/receipts/0b1c2d3e-0000-4000-8000-000000000001", "receipts/news-1")
    assert isinstance(await channel.send(replace(delivery, rendered=replace(delivery.rendered, receipts=names))), Sent)
    assert isinstance(await channel.send(replace(delivery, key=KEY + "x")), Sent)
    with_ai, without = smtp_sink.received()
    assert [n.strip() for n in str(with_ai.message["X-Stack-Receipts"]).split(",")] == list(names)
    assert without.message["X-Stack-Receipts"] is None


async def test_smtp_starttls_and_auth_without_leaking_the_password(tmp_path: Path) -> None:
    cert, key = make_self_signed_cert(tmp_path)
    sink = await SmtpSink(username="mailer", password=SMTP_PASSWORD, cert=(cert, key), require_starttls=True).start()
    try:
        good = SmtpSettings(
            host="127.0.0.1",
            port=sink.port,
            starttls=True,
            username="mailer",
            password=Secret(SMTP_PASSWORD),
            ca_file=cert,
            timeout=5.0,
        )
        assert SMTP_PASSWORD not in repr(good)
        assert isinstance(await SmtpChannel(good).send(_digest_delivery()), Sent)
        assert len(sink.received()) == 1
        wrong = SmtpSettings(
            host="127.0.0.1",
            port=sink.port,
            starttls=True,
            username="mailer",
            password=Secret("nope"),
            ca_file=cert,
            timeout=5.0,
        )
        outcome = await SmtpChannel(wrong).send(_digest_delivery())
        assert isinstance(outcome, Retry) and outcome.reason is Reason.SMTP_UNAVAILABLE
        assert SMTP_PASSWORD not in outcome.error and len(sink.received()) == 1
    finally:
        await sink.stop()


async def test_an_address_the_server_cannot_take_is_permanent_not_an_outage(smtp_sink: SmtpSink) -> None:
    """A non-ASCII address (stored before addresses were checked for ASCII) to a server without
    SMTPUTF8: the same on every try, so Permanent (SMTP_5XX, with the cause), never retried as
    SMTP_UNAVAILABLE until max_attempts; the server meanwhile delivers other mail."""
    channel = SmtpChannel(smtp_settings(smtp_sink))
    delivery = _digest_delivery()
    from dataclasses import replace

    outcome = await channel.send(replace(delivery, email_to="jörg@example.com"))
    assert isinstance(outcome, Permanent) and outcome.reason is Reason.SMTP_5XX, outcome
    assert "SMTPUTF8" in outcome.error
    assert isinstance(await channel.send(delivery), Sent)


async def test_smtp_4xx_is_retryable_and_5xx_permanent(smtp_sink: SmtpSink) -> None:
    channel = SmtpChannel(smtp_settings(smtp_sink))
    smtp_sink.fail_next("451 4.3.0 Mailbox busy, try later")
    outcome = await channel.send(_digest_delivery())
    assert isinstance(outcome, Retry) and outcome.reason is Reason.SMTP_4XX and "451" in outcome.error
    smtp_sink.fail_next("550 5.1.1 No such user")
    outcome = await channel.send(_digest_delivery())
    assert isinstance(outcome, Permanent) and outcome.reason is Reason.SMTP_5XX
    assert smtp_sink.received() == []
    assert isinstance(await channel.send(_digest_delivery()), Sent)


async def test_smtp_server_down_is_retryable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    outcome = await SmtpChannel(SmtpSettings(host="127.0.0.1", port=port, starttls=False, timeout=2)).send(
        _digest_delivery()
    )
    assert isinstance(outcome, Retry) and outcome.reason is Reason.SMTP_UNAVAILABLE


async def _fcm_channel(fcm: FcmStandIn, tmp_path: Path, session: aiohttp.ClientSession) -> FcmChannel:
    path = write_fcm_account(fcm, tmp_path)
    return FcmChannel(
        FcmSettings(project_id=fcm.project_id, service_account_file=path, endpoint=fcm.base_url, timeout=5),
        session=session,
    )


async def test_fcm_sends_with_a_service_account_token_and_collapse_keys(fcm: FcmStandIn, tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as session:
        channel = await _fcm_channel(fcm, tmp_path, session)
        for _ in range(3):
            outcome = await channel.send(_alert_delivery("device-token-1"))
            assert isinstance(outcome, Sent) and outcome.provider_id.startswith("projects/stack-test/messages/")
    assert fcm.token_requests == 1  # cached between sends
    msg = fcm.accepted[0]
    assert msg["token"] == "device-token-1"
    assert msg["notification"]["title"] == "Portfolio down 3.20%"
    assert msg["android"]["collapse_key"] == "alert" and msg["android"]["priority"] == "high"
    assert msg["apns"]["headers"]["apns-collapse-id"] == "alert-2026-03-09T11"
    # collapse_key merges only undelivered messages: the tag (kind and period) replaces the one in the drawer
    # (scheduler.proto, RunJob: "a manual push carries the period's collapse id, so the newer notification
    # replaces the older one in the notification centre"), as apns-collapse-id does
    assert msg["android"]["notification"] == {"tag": "alert-2026-03-09T11"}
    assert msg["data"]["deep_link"] == "stackcfo://notifications/alert/2026-03-09T11"


async def test_fcm_token_is_refreshed_before_it_expires(tmp_path: Path) -> None:
    fcm = await FcmStandIn(token_ttl=301).start()  # inside the 5-minute refresh margin after 1 s
    try:
        async with aiohttp.ClientSession() as session:
            channel = await _fcm_channel(fcm, tmp_path, session)
            assert isinstance(await channel.send(_alert_delivery("t")), Sent)
            await asyncio.sleep(1.1)
            assert isinstance(await channel.send(_alert_delivery("t")), Sent)
        assert fcm.token_requests == 2
    finally:
        await fcm.stop()


async def test_fcm_revoked_token_is_replaced_once(fcm: FcmStandIn, tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as session:
        channel = await _fcm_channel(fcm, tmp_path, session)
        assert isinstance(await channel.send(_alert_delivery("t")), Sent)
        fcm.tokens.clear()  # the server forgets every token (revocation)
        assert isinstance(await channel.send(_alert_delivery("t")), Sent)
    assert fcm.token_requests == 2


async def test_fcm_unregistered_and_invalid_tokens_are_invalid_targets(fcm: FcmStandIn, tmp_path: Path) -> None:
    fcm.unregistered.add("gone")
    fcm.invalid.add("garbage")
    async with aiohttp.ClientSession() as session:
        channel = await _fcm_channel(fcm, tmp_path, session)
        for token in ("gone", "garbage"):
            outcome = await channel.send(_alert_delivery(token))
            assert isinstance(outcome, InvalidTarget) and outcome.reason is Reason.PUSH_TOKEN_INVALID
    assert fcm.accepted == []


async def test_fcm_503_and_429_are_retried_with_retry_after(fcm: FcmStandIn, tmp_path: Path) -> None:
    fcm.fail_next(503, retry_after="120")
    fcm.fail_next(429, retry_after="7")
    fcm.fail_next(500)
    async with aiohttp.ClientSession() as session:
        channel = await _fcm_channel(fcm, tmp_path, session)
        first = await channel.send(_alert_delivery("t"))
        assert isinstance(first, Retry) and first.reason is Reason.PUSH_UNAVAILABLE
        assert first.retry_after == timedelta(seconds=120)
        second = await channel.send(_alert_delivery("t"))
        assert isinstance(second, Retry) and second.reason is Reason.PUSH_RATE_LIMITED
        assert second.retry_after == timedelta(seconds=7)
        third = await channel.send(_alert_delivery("t"))
        assert isinstance(third, Retry) and third.retry_after is None
        assert isinstance(await channel.send(_alert_delivery("t")), Sent)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 3, 9, 12, tzinfo=UTC)
    assert retry_after_of({"Retry-After": "30"}, now) == timedelta(seconds=30)
    assert retry_after_of({"Retry-After": "Mon, 09 Mar 2026 12:01:00 GMT"}, now) == timedelta(minutes=1)
    assert retry_after_of({"Retry-After": "soon"}, now) is None
    assert retry_after_of({}, now) is None


def test_retry_after_ignores_non_ascii_digits_and_caps_huge_waits() -> None:
    now = datetime(2026, 3, 9, 12, tzinfo=UTC)
    # "²" and "３" are digits to str.isdigit (int() refuses the first): not a number of seconds here
    assert retry_after_of({"Retry-After": "²"}, now) is None
    assert retry_after_of({"Retry-After": "３0"}, now) is None
    week = timedelta(days=7)
    for huge in ("9" * 40, "99999999999999999", str(10**12)):
        got = retry_after_of({"Retry-After": huge}, now)
        assert got == week
        assert now + got > now  # usable in datetime arithmetic (no OverflowError)
    assert retry_after_of({"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}, now) == week
