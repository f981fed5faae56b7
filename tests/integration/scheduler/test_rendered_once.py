"""A notification is rendered once (docs/api.md; NotificationContent in scheduler.proto): its first
rendering is stored (sealed), and a retry in another process - RunJob in ``serve`` made the first
attempt, the ``stack-cfo scheduler`` process retries; or after a restart, or after the in-memory
cache expired - delivers that rendering under the same ``webhook-id``: same text, figures and
receipt, and no second (paid) AI text. Racing renderers converge on one; erasure and retention
remove the stored renderings."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from stack_cfo.config.notifications import WebhookBreakerPolicy as BreakerPolicy
from stack_cfo.core.data_scope import system_scope
from stack_cfo.core.notifications.content import Rendered
from stack_cfo.core.notifications.document import notification_document
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, Reason
from stack_cfo.core.notifications.policy import RetryPolicy
from stack_cfo.core.notifications.ports import StaticNewsReader, StaticPortfolioReader
from stack_cfo.core.notifications.preferences import default_preferences
from stack_cfo.core.notifications.webhooks import new_secret
from stack_cfo.crypto.envelope import MasterKeys
from stack_cfo.crypto.fields import CLEAR, PREFIX, FieldSealer
from stack_cfo.scheduler.channels import Delivery, SendOutcome
from stack_cfo.scheduler.channels.webhook import WebhookChannel
from stack_cfo.scheduler.content import ContentService
from stack_cfo.scheduler.process import build_worker
from stack_cfo.store.archive_keys import PgKeyRing
from stack_cfo.store.db import Database
from stack_cfo.store.erasure import erase_user_rows
from stack_cfo.store.retention import RetentionRepo, RetentionWindows
from stack_cfo.store.scheduler.contents import rendering_document
from tests.integration.scheduler.conftest import (
    DIGEST,
    WEEKLY,
    add_users,
    make_harness,
    outbox,
    static_portfolio,
    test_config,
)
from tests.integration.scheduler.test_content_and_news import NEWS, FakeCompute
from tests.integration.scheduler.test_webhooks import _service_endpoint, local_settings, receiver  # noqa: F401
from tests.standins.webhook_receiver import WebhookReceiver
from tests.support.secrets import ARCHIVE_MASTER_KEYS

#: What a re-rendering would state instead (the figures moved between the two attempts).
MOVED = StaticPortfolioReader(
    default_digest=dataclasses.replace(DIGEST, total_value=Decimal("99999.99"), change=Decimal("-7250.01")),
    default_weekly=WEEKLY,
)
START = datetime(2026, 3, 9, 7, 59, tzinfo=UTC)
PERIOD = "2026-03-09"


class Recording:
    """A channel that keeps the document each attempt sent, then sends it with the real channel."""

    def __init__(self, inner: WebhookChannel, sent: list[dict[str, Any]]) -> None:
        self.inner = inner
        self.sent = sent

    @property
    def channel(self) -> Channel:
        return Channel.WEBHOOK

    async def send(self, delivery: Delivery) -> SendOutcome:
        doc = notification_document(delivery.rendered, user_id=delivery.user_id,
                                    notification=delivery.notification, key=delivery.key, manual=delivery.manual)
        self.sent.append({"key": delivery.key, "content": doc["data"]["content"]})
        return await self.inner.send(delivery)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _sealer(db: Database) -> FieldSealer:
    return FieldSealer(PgKeyRing(db), MasterKeys.from_config(ARCHIVE_MASTER_KEYS))


async def _stored(db: Database, user: str) -> list[dict[str, Any]]:
    with system_scope("test-inspect"):
        async with db.connection() as conn:
            return await (await conn.execute(
                "SELECT * FROM notification_contents WHERE user_id = %s ORDER BY created_at", (user,))).fetchall()


async def test_a_retry_in_another_process_delivers_the_first_rendering_and_its_receipt(
    database: Database, receiver: WebhookReceiver  # noqa: F811
) -> None:
    secret = new_secret()
    receiver.secrets = [secret]
    receiver.fail_ok_first = 1  # the first attempt fails (503): the row is retried
    [user] = await add_users(database, 1, prefs={"time_zone": "UTC", "email_enabled": False, "push_enabled": False})
    await _service_endpoint(database, receiver.url("/ok"), secret)
    config = test_config(
        retry=RetryPolicy(base=timedelta(seconds=60), cap=timedelta(minutes=5), max_attempts=3),
        enable_weekly_summary=False,
        enable_performance_alerts=False,
    )
    compute = FakeCompute()
    sealer = _sealer(database)
    sent: list[dict[str, Any]] = []
    first = Recording(WebhookChannel(local_settings(receiver, breaker=BreakerPolicy(min_requests=100))), sent)
    second = Recording(WebhookChannel(local_settings(receiver, breaker=BreakerPolicy(min_requests=100))), sent)
    h = make_harness(database, config, {Channel.WEBHOOK: first}, start=START)
    # "serve": RunJob's in-process worker makes the first attempt
    h.worker = build_worker(database, config, portfolio=static_portfolio(), news=StaticNewsReader(NEWS),
                            compute=compute, channels={Channel.WEBHOOK: first}, clock=h.clock,
                            worker_id="api-runjob", sealer=sealer)
    try:
        await h.step(START)
        await h.step(datetime(2026, 3, 9, 8, 0, 5, tzinfo=UTC))
        [row] = await outbox(database, "kind = 'digest'")
        assert row["status"] == "retry" and row["attempts"] == 1, row
        # the scheduler process (another renderer, empty cache, the figures have moved since) retries
        h.worker = build_worker(database, config, portfolio=MOVED, news=StaticNewsReader(NEWS), compute=compute,
                                channels={Channel.WEBHOOK: second}, clock=h.clock, worker_id="scheduler",
                                sealer=sealer)
        await h.step(datetime(2026, 3, 9, 8, 10, tzinfo=UTC), plan=False)
    finally:
        await first.aclose()
        await second.aclose()
    [row] = await outbox(database, "kind = 'digest'")
    assert row["status"] == "sent" and row["attempts"] == 2, row
    assert len(sent) == 2 and sent[0]["key"] == sent[1]["key"] == row["idempotency_key"]
    assert sent[1]["content"] == sent[0]["content"]  # the same content under the same webhook-id
    assert "99,999.99" not in sent[1]["content"]["text"] and "107,250.00" in sent[1]["content"]["text"]
    [received] = receiver.received
    assert received["headers"]["webhook-id"] == row["idempotency_key"]
    assert received["body"]["data"]["content"]["text"] == sent[0]["content"]["text"]
    # one AI paragraph, one receipt: the one the receiver saw first is the one the row names
    assert compute.paragraphs == 1
    [receipt] = sent[0]["content"]["receipts"][:1]
    assert receipt == f"users/{user}/receipts/{row['receipt_ids'][0]}"
    assert [str(r) for r in row["receipt_ids"]] == [r.rsplit("/", 1)[-1] for r in sent[0]["content"]["receipts"]]
    with system_scope("test-inspect"):
        async with database.connection() as conn:
            n = await (await conn.execute("SELECT count(*) AS n FROM ai_receipts WHERE user_id = %s",
                                          (user,))).fetchone()
    assert n is not None and n["n"] == 1
    assert h.worker.content.stored_hits == 1
    # kept sealed under the user's key: the text is not readable in the table
    [stored] = await _stored(database, user)
    assert isinstance(stored["content"], str) and stored["content"].startswith(PREFIX)
    assert "107,250.00" not in stored["content"]


def _service(db: Database, compute: FakeCompute, portfolio: Any = None, sealer: Any = None) -> ContentService:
    """A fresh renderer as a new process has it (nothing in its in-memory cache)."""
    worker = build_worker(db, test_config(), portfolio=portfolio or static_portfolio(),
                          news=StaticNewsReader(NEWS), compute=compute, channels={},
                          sealer=sealer if sealer is not None else _sealer(db))
    return worker.content


async def _render(service: ContentService, user: str, *, occasion: str = "2026-03-09T08:00:00+00:00",
                  kind: NotificationKind = NotificationKind.DIGEST, key: str = "k") -> Rendered | Reason:
    with system_scope("outbox-worker"):
        return await service.render(kind, user, PERIOD, key, default_preferences(user), START,
                                    notification=f"users/{user}/notifications/1", occasion=occasion)


async def test_renderers_racing_in_two_processes_converge_on_one_rendering(database: Database) -> None:
    [user] = await add_users(database, 1)
    compute = FakeCompute()
    a, b = _service(database, compute), _service(database, compute, MOVED)
    ra, rb = await asyncio.gather(_render(a, user, key="email-key"), _render(b, user, key="push-key"))
    assert isinstance(ra, Rendered) and isinstance(rb, Rendered)
    # both missed the store and wrote; the first stored wins and both deliver it
    assert rendering_document(ra)["email"] == rendering_document(rb)["email"]
    assert ra.receipts == rb.receipts and ra.figures == rb.figures and ra.blocks == rb.blocks
    assert ra.push.data["notification_key"] == "email-key" and rb.push.data["notification_key"] == "push-key"
    assert len(await _stored(database, user)) == 1
    # a third process reads it back (no AI text), and a new occasion renders afresh
    calls = compute.paragraphs
    c = _service(database, compute)
    rc = await _render(c, user)
    assert isinstance(rc, Rendered) and rendering_document(rc) == {
        **rendering_document(ra), "push": {**rendering_document(ra)["push"], "data": {**ra.push.data,
                                                                                     "notification_key": "k"}}}
    assert compute.paragraphs == calls and c.stored_hits == 1
    again = await _render(c, user, occasion="run-2")
    assert isinstance(again, Rendered) and compute.paragraphs == calls + 1 and again.receipts != ra.receipts
    # the in-memory cache stays in front: the same key again reads no row
    assert await _render(c, user) == rc and c.stored_hits == 1


async def test_a_reason_is_not_stored(database: Database) -> None:
    [user] = await add_users(database, 1)
    service = _service(database, FakeCompute(), StaticPortfolioReader())
    assert await _render(service, user) is Reason.NO_PORTFOLIO
    assert await _stored(database, user) == []


async def test_erasure_removes_the_stored_renderings(database: Database) -> None:
    alice, bob = await add_users(database, 2)
    compute = FakeCompute()
    for user in (alice, bob):
        assert isinstance(await _render(_service(database, compute), user), Rendered)
    assert len(await _stored(database, alice)) == 1
    counts = await erase_user_rows(database, alice)
    assert counts.get("notification_contents") == 1, counts
    assert await _stored(database, alice) == []
    assert len(await _stored(database, bob)) == 1


async def test_retention_keeps_renderings_a_retry_may_still_need(database: Database, db_dsn: str) -> None:
    [user] = await add_users(database, 1)
    old = datetime.now(UTC) - timedelta(days=120)
    with psycopg.connect(db_dsn) as conn:
        for period, status in (("2026-01-01", "sent"), ("2026-01-02", "retry"), ("2026-01-03", None)):
            conn.execute("INSERT INTO notification_contents (user_id, kind, period, locale, occasion, content,"
                         " created_at) VALUES (%s, 'digest', %s, 'en', 'o', '{}', %s)", (user, period, old))
            if status:
                conn.execute(
                    "INSERT INTO notification_outbox (idempotency_key, kind, user_id, channel, slot_local,"
                    " scheduled_for, deadline, status, next_attempt_at, created_at, updated_at)"
                    " VALUES (%s, 'digest', %s, 'email', %s, %s, %s, %s, %s, %s, %s)",
                    (f"digest:{user}:{period}:email:0", user, period, old, old + timedelta(hours=6), status,
                     old if status == "retry" else None, old, datetime.now(UTC)))
        conn.execute("INSERT INTO notification_contents (user_id, kind, period, locale, occasion, content)"
                     " VALUES (%s, 'digest', '2026-03-01', 'en', 'o', '{}')", (user,))
    deleted = await RetentionRepo(database).prune(RetentionWindows(outbox=timedelta(days=90)))
    assert deleted["notification_contents"] == 2, deleted
    # the row still to be retried keeps its rendering; so does the recent one
    assert sorted(r["period"] for r in await _stored(database, user)) == ["2026-01-02", "2026-03-01"]


@pytest.mark.parametrize("sealing", [True, False])
async def test_the_stored_form_rebuilds_the_rendering_exactly(database: Database, sealing: bool) -> None:
    [user] = await add_users(database, 1)
    sealer = _sealer(database) if sealing else None
    first = await _render(_service(database, FakeCompute(), sealer=sealer or CLEAR), user)
    second = await _render(_service(database, FakeCompute(), sealer=sealer or CLEAR), user)
    assert isinstance(first, Rendered) and second == first
    [stored] = await _stored(database, user)
    assert isinstance(stored["content"], str if sealing else dict)
