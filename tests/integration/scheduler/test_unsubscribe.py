"""One-click unsubscribe over a real server: a digest delivered through the SMTP stand-in carries
``List-Unsubscribe`` / ``List-Unsubscribe-Post`` and a footer link; the link's token, given to
``Unsubscribe``, switches e-mail off (idempotently), or the e-mail's kind with scope KIND; tampered
tokens, other users, unknown or erased users and a server without the secret are refused."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2 as ppb
from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2_grpc as ppb_grpc
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2_grpc as pb_grpc
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2 as upb
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2_grpc as upb_grpc
from stack_cfo.core.notifications.kinds import NotificationKind
from stack_cfo.core.notifications.unsubscribe import issue_token
from stack_cfo.secret import Secret
from tests.integration.portfolio.support import error_details
from tests.standins.smtp import SmtpSink
from tests.support.secrets import EMAIL_UNSUBSCRIBE_SECRET
from tests.support.server import RunningServer, running_server

SECRET = EMAIL_UNSUBSCRIBE_SECRET
URL = "https://app.example/unsubscribe?lang=en&t={token}"


def _overrides(sink: SmtpSink, **email: Any) -> dict[str, Any]:
    return {
        "notifications": {
            "smtp": {"host": "127.0.0.1", "port": sink.port, "starttls": False, "timeout": "5s"},
            "email": email,
        },
    }


async def _digest_reader(srv: RunningServer, user: str) -> None:
    """``user`` reads e-mail (only) and has a portfolio, so a digest run sends them one e-mail."""
    await pb_grpc.SchedulerServiceStub(srv.channel).UpdateNotificationPreferences(
        pb.UpdateNotificationPreferencesRequest(preferences=pb.NotificationPreferences(
            name=f"users/{user}/notificationPreferences", email_address=f"{user[:8]}@example.com",
            push_enabled=False)),
        metadata=srv.auth(user), timeout=10,
    )
    await ppb_grpc.PortfolioSummaryServiceStub(srv.channel).SyncPortfolio(
        ppb.SyncPortfolioRequest(
            portfolio=f"users/{user}/portfolio", base_currency="USD", cash_balance="1000",
            positions=[ppb.Holding(symbol="AAPL", quantity="2", average_cost="150", currency="USD")],
        ),
        metadata=srv.auth(user), timeout=10,
    )


async def _run_digest(srv: RunningServer, user: str) -> list[pb.RunJobResponse]:
    stub = pb_grpc.SchedulerServiceStub(srv.channel)
    request = pb.RunJobRequest(kind=pb.NOTIFICATION_KIND_DAILY_DIGEST, user=f"users/{user}",
                               request_id=str(uuid.uuid4()))
    return [e async for e in stub.RunJob(request, metadata=srv.auth(service="ops"), timeout=60)]


async def _refused(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as ei:
        await call
    return ei.value


async def test_the_link_of_a_delivered_email_switches_email_off(db_dsn: str, data_dir: Path) -> None:
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    sink = await SmtpSink().start()
    try:
        overrides = _overrides(sink, unsubscribe_url=URL, unsubscribe_secret=SECRET)
        async with running_server(db_dsn, data_dir, overrides) as srv:
            stub = pb_grpc.SchedulerServiceStub(srv.channel)
            await _digest_reader(srv, alice)
            events = await _run_digest(srv, alice)
            assert events[-1].counts.sent == 1, events
            [mail] = await sink.wait_for(1)

            header = str(mail.message["List-Unsubscribe"])
            match = re.fullmatch(r"<(https://app\.example/unsubscribe\?lang=en&t=([A-Za-z0-9_-]+))>", header.strip())
            assert match is not None, header
            link, token = match.group(1), match.group(2)
            assert str(mail.message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
            assert parse_qs(urlsplit(link).query)["t"] == [token]
            assert f"Unsubscribe from these emails: {link}" in mail.part("plain")
            escaped = link.replace("&", "&amp;")
            assert f'<a href="{escaped}">{escaped}</a>' in mail.part("html")

            # Bob cannot apply Alice's link with his own token.
            err = await _refused(stub.Unsubscribe(pb.UnsubscribeRequest(token=token), metadata=srv.auth(bob),
                                                  timeout=10))
            assert err.code() == grpc.StatusCode.PERMISSION_DENIED
            # A tampered token: INVALID_ARGUMENT naming the field.
            tampered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
            for bad in (tampered, token + "AA", "x" * 513, "not a token", ""):
                err = await _refused(stub.Unsubscribe(pb.UnsubscribeRequest(token=bad),
                                                      metadata=srv.auth(service="app-backend"), timeout=10))
                assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, bad
                info, violations = error_details(err)
                assert info.reason == "INVALID_UNSUBSCRIBE_TOKEN"
                assert [f for f, _ in violations] == ["token"]
            err = await _refused(stub.Unsubscribe(pb.UnsubscribeRequest(token=token, scope=7),  # type: ignore[arg-type]
                                                  metadata=srv.auth(alice), timeout=10))
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
            info, violations = error_details(err)
            assert info.reason == "INVALID_ENUM" and [f for f, _ in violations] == ["scope"]

            # Alice's own click (or the app's backend on the provider's one-click POST): e-mail off.
            done = await stub.Unsubscribe(pb.UnsubscribeRequest(token=token), metadata=srv.auth(alice), timeout=10)
            assert done.user == f"users/{alice}" and done.kind == pb.NOTIFICATION_KIND_DAILY_DIGEST
            assert not done.preferences.email_enabled
            prefs = await stub.GetNotificationPreferences(
                pb.GetNotificationPreferencesRequest(name=f"users/{alice}/notificationPreferences"),
                metadata=srv.auth(alice), timeout=10)
            assert not prefs.email_enabled
            assert prefs.daily_digest_enabled and prefs.weekly_summary_enabled and prefs.webhook_enabled
            assert prefs.email_address  # the address stays: e-mail is off, not forgotten

            # Applied again (a provider's retry): the same answer, nothing written.
            again = await stub.Unsubscribe(pb.UnsubscribeRequest(token=token, scope=pb.UNSUBSCRIBE_SCOPE_EMAIL),
                                           metadata=srv.auth(service="app-backend"), timeout=10)
            assert again.preferences == done.preferences

            # No more e-mail.
            await _run_digest(srv, alice)
            assert len(sink.received()) == 1

            # Scope KIND: the digest is switched off on every channel; the other kinds stay on.
            kind = await stub.Unsubscribe(pb.UnsubscribeRequest(token=token, scope=pb.UNSUBSCRIBE_SCOPE_KIND),
                                          metadata=srv.auth(service="app-backend"), timeout=10)
            assert not kind.preferences.daily_digest_enabled
            assert kind.preferences.weekly_summary_enabled and kind.preferences.performance_alerts_enabled
            prefs = await stub.GetNotificationPreferences(
                pb.GetNotificationPreferencesRequest(name=f"users/{alice}/notificationPreferences"),
                metadata=srv.auth(alice), timeout=10)
            assert not prefs.daily_digest_enabled and prefs.weekly_summary_enabled

            # A genuine token of a user the service never saw: NOT_FOUND, and no user is created.
            stranger = str(uuid.uuid4())
            stranger_token = issue_token(Secret(SECRET), stranger, NotificationKind.WEEKLY)
            for _ in range(2):
                err = await _refused(stub.Unsubscribe(pb.UnsubscribeRequest(token=stranger_token),
                                                      metadata=srv.auth(service="app-backend"), timeout=10))
                assert err.code() == grpc.StatusCode.NOT_FOUND
                assert error_details(err)[0].reason == "USER_NOT_FOUND"
            err = await _refused(stub.GetNotificationPreferences(
                pb.GetNotificationPreferencesRequest(name=f"users/{stranger}/notificationPreferences"),
                metadata=srv.auth(service="app-backend"), timeout=10))
            assert err.code() == grpc.StatusCode.NOT_FOUND

            # An erased user's old link: NOT_FOUND too.
            await upb_grpc.UserDataServiceStub(srv.channel).EraseUserData(
                upb.EraseUserDataRequest(name=f"users/{alice}", request_id=str(uuid.uuid4())),
                metadata=srv.auth(service="privacy-desk"), timeout=30)
            err = await _refused(stub.Unsubscribe(pb.UnsubscribeRequest(token=token),
                                                  metadata=srv.auth(service="app-backend"), timeout=10))
            assert err.code() == grpc.StatusCode.NOT_FOUND
            assert error_details(err)[0].reason == "USER_NOT_FOUND"
    finally:
        await sink.stop()


async def test_without_the_secret_there_is_no_link_and_unsubscribe_is_a_failed_precondition(
    db_dsn: str, data_dir: Path
) -> None:
    alice = str(uuid.uuid4())
    sink = await SmtpSink().start()
    try:
        async with running_server(db_dsn, data_dir, _overrides(sink)) as srv:
            stub = pb_grpc.SchedulerServiceStub(srv.channel)
            await _digest_reader(srv, alice)
            await _run_digest(srv, alice)
            [mail] = await sink.wait_for(1)
            assert mail.message["List-Unsubscribe"] is None and mail.message["List-Unsubscribe-Post"] is None
            assert "Unsubscribe" not in mail.part("plain")

            token = issue_token(Secret(SECRET), alice, NotificationKind.DIGEST)
            err = await _refused(stub.Unsubscribe(pb.UnsubscribeRequest(token=token), metadata=srv.auth(alice),
                                                  timeout=10))
            assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert error_details(err)[0].reason == "UNSUBSCRIBE_NOT_CONFIGURED"
            prefs = await stub.GetNotificationPreferences(
                pb.GetNotificationPreferencesRequest(name=f"users/{alice}/notificationPreferences"),
                metadata=srv.auth(alice), timeout=10)
            assert prefs.email_enabled
    finally:
        await sink.stop()


async def test_a_german_reader_gets_the_footer_in_german(db_dsn: str, data_dir: Path) -> None:
    alice = str(uuid.uuid4())
    sink = await SmtpSink().start()
    try:
        overrides = _overrides(sink, unsubscribe_url="http://127.0.0.1:9/u/{token}", unsubscribe_secret=SECRET)
        async with running_server(db_dsn, data_dir, overrides) as srv:
            await _digest_reader(srv, alice)
            await pb_grpc.SchedulerServiceStub(srv.channel).UpdateNotificationPreferences(
                pb.UpdateNotificationPreferencesRequest(preferences=pb.NotificationPreferences(
                    name=f"users/{alice}/notificationPreferences", locale="de-DE")),
                metadata=srv.auth(alice), timeout=10,
            )
            await _run_digest(srv, alice)
            [mail] = await sink.wait_for(1)
            link = str(mail.message["List-Unsubscribe"]).strip()[1:-1]
            assert link.startswith("http://127.0.0.1:9/u/")
            assert f"Diese E-Mails abbestellen: {link}" in mail.part("plain")
            assert f'Diese E-Mails abbestellen: <a href="{link}">{link}</a>' in mail.part("html")
    finally:
        await sink.stop()
