"""Encryption at rest: user data sealed in its rows under the user's data key (issue 12 item 5).

Against a real server and PostgreSQL: a raw SELECT shows ciphertext in every sealed column, the
RPCs read the plaintext back, rows written before encryption still read, a row altered or moved
answers a clear error (never INTERNAL), and erasing the user's key makes copies of the rows taken
before the erasure (a backup) unreadable.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import grpc
import psycopg
import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2 as upb
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2_grpc as upb_grpc
from stack_cfo.core.data_scope import system_scope, user_scope
from stack_cfo.crypto.fields import PREFIX, FieldSealer, SealedValueUnreadable, UserKeyDestroyed
from stack_cfo.store.archive_keys import PgKeyRing
from stack_cfo.store.db import Database, PoolSettings
from stack_cfo.wiring.archive import master_keys
from tests.support.server import RunningServer, running_server

TITLE = "Retirement plan for Ms. Zebediah"
QUESTION = "Should I sell my Zebediah Holdings shares before the divorce?"


async def _chat(srv: RunningServer, user: str, *, title: str = TITLE, question: str = QUESTION) -> str:
    md = srv.auth(user)
    chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
    session = await chat.CreateSession(
        chat_pb2.CreateSessionRequest(parent=f"users/{user}", session=chat_pb2.Session(title=title)),
        metadata=md, timeout=10)
    async for _ in chat.SendMessage(chat_pb2.SendMessageRequest(name=session.name, content=question,
                                                                request_id=str(uuid.uuid4())),
                                    metadata=md, timeout=30):
        pass
    return session.name


async def _get(srv: RunningServer, user: str, name: str) -> chat_pb2.Session:
    chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
    return await chat.GetSession(chat_pb2.GetSessionRequest(name=name), metadata=srv.auth(user), timeout=10)


def _raw(dsn: str, query: str, *args: object) -> list[tuple]:  # type: ignore[type-arg]
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, args).fetchall()  # type: ignore[arg-type]


async def test_chat_text_is_ciphertext_in_the_tables_and_plaintext_through_the_rpcs(
    db_dsn: str, tmp_path: Path
) -> None:
    user = str(uuid.uuid4())
    async with running_server(db_dsn, tmp_path) as srv:
        name = await _chat(srv, user)
        got = await _get(srv, user, name)
        assert got.title == TITLE
        assert got.messages[0].content == QUESTION
        answer = got.messages[1].content
        assert answer
        sid = name.rsplit("/", 1)[1]

        titles = _raw(db_dsn, "SELECT title, messages::text FROM chat_sessions WHERE id = %s", sid)
        contents = [r[0] for r in _raw(db_dsn, "SELECT content FROM chat_messages WHERE session_id = %s", sid)]
        assert len(contents) == 2
        for stored in [titles[0][0], *contents]:
            assert stored.startswith(PREFIX), stored
        # No plaintext anywhere in the rows: not the title, the question, nor the answer (also
        # not in the session's recent-message window, which copies the stored contents).
        for table in ("chat_sessions", "chat_messages", "chat_summaries", "ai_receipts", "ai_receipt_snapshots"):
            dump = " ".join(r[0] for r in _raw(db_dsn, f"SELECT t::text FROM {table} t"))
            for plain in ("Zebediah", QUESTION, answer[:40]):
                assert plain not in dump, (table, plain)
        # The answer's receipt (its text, the signed text, the data the AI was given) is sealed too;
        # so are the session's portfolio context and the answer's grounding facts.
        receipts = _raw(db_dsn, "SELECT text, data_snapshot, grounding::text FROM ai_receipts WHERE user_id = %s", user)
        assert receipts, "the answer has no receipt"
        for text, snapshot, grounding in receipts:
            assert text.startswith(PREFIX) and (not snapshot or snapshot.startswith(PREFIX)), text
            assert grounding.startswith('"' + PREFIX), grounding
        # The data snapshot lives once per user and content (ai_receipt_snapshots), sealed there.
        snapshots = _raw(db_dsn, "SELECT data_snapshot FROM ai_receipt_snapshots WHERE user_id = %s", user)
        assert snapshots and all(row[0].startswith(PREFIX) for row in snapshots), snapshots
        contexts = _raw(db_dsn, "SELECT context::text FROM chat_sessions WHERE id = %s", sid)
        assert contexts[0][0].startswith('"' + PREFIX), contexts

        # ListSessions opens titles too.
        chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
        listed = await chat.ListSessions(chat_pb2.ListSessionsRequest(parent=f"users/{user}"),
                                         metadata=srv.auth(user), timeout=10)
        assert [s.title for s in listed.sessions] == [TITLE]


async def test_rows_written_before_encryption_still_read(db_dsn: str, tmp_path: Path) -> None:
    """Data from before the change is plaintext in the same columns: it reads as it is, and a new
    message in such a session is sealed."""
    user, sid, mid = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    with psycopg.connect(db_dsn) as conn:
        conn.execute("INSERT INTO users (id) VALUES (%s)", (user,))
        conn.execute("INSERT INTO chat_sessions (id, user_id, title, messages, context, message_count, "
                     "provider_address, model) VALUES (%s, %s, 'Old plain title', '[]', '{}', 1, '', '')", (sid, user))
        conn.execute("INSERT INTO chat_messages (id, session_id, seq, role, content) "
                     "VALUES (%s, %s, 1, 'user', 'an old plain question')", (mid, sid))
    async with running_server(db_dsn, tmp_path) as srv:
        got = await _get(srv, user, f"users/{user}/sessions/{sid}")
        assert got.title == "Old plain title"
        assert [m.content for m in got.messages] == ["an old plain question"]
        md = srv.auth(user)
        chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
        async for _ in chat.SendMessage(chat_pb2.SendMessageRequest(name=got.name, content="a new question",
                                                                    request_id=str(uuid.uuid4())),
                                        metadata=md, timeout=30):
            pass
        got = await _get(srv, user, got.name)
        assert [m.content for m in got.messages][:2] == ["an old plain question", "a new question"]
        stored = [r[0] for r in _raw(db_dsn, "SELECT content FROM chat_messages WHERE session_id = %s "
                                             "ORDER BY seq", sid)]
        assert stored[0] == "an old plain question"
        assert all(s.startswith(PREFIX) for s in stored[1:])


async def test_a_row_altered_or_moved_answers_a_clear_error_not_internal(db_dsn: str, tmp_path: Path) -> None:
    user = str(uuid.uuid4())
    async with running_server(db_dsn, tmp_path) as srv:
        first = await _chat(srv, user)
        second = await _chat(srv, user, title="Another", question="Another question")
        s1, s2 = first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]
        # Move the sealed question of session 2 into session 1 (same user, same key).
        with psycopg.connect(db_dsn) as conn:
            conn.execute("UPDATE chat_messages SET content = (SELECT content FROM chat_messages "
                         "WHERE session_id = %s AND seq = 1) WHERE session_id = %s AND seq = 1", (s2, s1))
        with pytest.raises(grpc.aio.AioRpcError) as moved:
            await _get(srv, user, first)
        assert moved.value.code() is grpc.StatusCode.DATA_LOSS, moved.value
        assert "altered or moved" in (moved.value.details() or "")
        # Flip one character of a sealed title: the session no longer opens, with the same reason.
        with psycopg.connect(db_dsn) as conn:
            conn.execute("UPDATE chat_sessions SET title = left(title, 10) || "
                         "(CASE WHEN substr(title, 11, 1) = 'A' THEN 'B' ELSE 'A' END) || substr(title, 12) "
                         "WHERE id = %s", (s2,))
        with pytest.raises(grpc.aio.AioRpcError) as tampered:
            await _get(srv, user, second)
        assert tampered.value.code() is grpc.StatusCode.DATA_LOSS
        # Other sessions of other users are unaffected.
        other = str(uuid.uuid4())
        name = await _chat(srv, other)
        assert (await _get(srv, other, name)).title == TITLE


async def test_erasing_the_key_makes_backed_up_rows_unreadable(db_dsn: str, tmp_path: Path) -> None:
    """A backup taken before EraseUserData holds the sealed rows; after the erasure, the key
    they need is gone (the master key alone cannot open them)."""
    user = str(uuid.uuid4())
    async with running_server(db_dsn, tmp_path) as srv:
        name = await _chat(srv, user)
        sid = name.rsplit("/", 1)[1]
        backup = _raw(db_dsn, "SELECT id::text, content FROM chat_messages WHERE session_id = %s", sid)
        title = _raw(db_dsn, "SELECT title FROM chat_sessions WHERE id = %s", sid)[0][0]
        config = srv.process.config

        db = Database(db_dsn, PoolSettings(min_size=1, max_size=2, timeout=5.0))
        await db.open()
        try:
            with user_scope(user):  # as the user's requests read it (row-level security)
                before = await FieldSealer(PgKeyRing(db), master_keys(config)).cipher(user)
            assert before.open("chat_sessions.title", sid, title) == TITLE

            erase = upb_grpc.UserDataServiceStub(srv.channel)
            await erase.EraseUserData(upb.EraseUserDataRequest(name=f"users/{user}", request_id=str(uuid.uuid4())),
                                      metadata=srv.auth(service="privacy-desk"), timeout=30)
            assert _raw(db_dsn, "SELECT count(*) FROM chat_messages WHERE session_id = %s", sid) == [(0,)]

            # The backup restored into a fresh process (no cached key): nothing opens.
            after = await FieldSealer(PgKeyRing(db), master_keys(config)).cipher(user)
            for mid, content in backup:
                with pytest.raises(UserKeyDestroyed):
                    after.open("chat_messages.content", f"{sid}/{mid}", content)
            with pytest.raises(UserKeyDestroyed):
                after.open("chat_sessions.title", sid, title)
            # And the key ring holds no wrapped key for the user any more.
            assert _raw(db_dsn, "SELECT count(*) FROM archive_data_keys WHERE user_id = %s "
                                "AND wrapped_dek IS NOT NULL", user) == [(0,)]
        finally:
            await db.close()


async def test_addresses_tokens_webhook_secrets_and_outbox_texts_are_sealed(db_dsn: str, tmp_path: Path) -> None:
    from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2, scheduler_pb2_grpc

    user = str(uuid.uuid4())
    email, token = "zebediah@example.com", f"push-token-zebediah-{uuid.uuid4().hex}"
    local_hooks = {"notifications": {"webhook": {"allow_private_networks": True}}}
    async with running_server(db_dsn, tmp_path, local_hooks) as srv:
        md = srv.auth(user)
        sched = scheduler_pb2_grpc.SchedulerServiceStub(srv.channel)
        prefs = scheduler_pb2.NotificationPreferences(name=f"users/{user}/notificationPreferences",
                                                      email_address=email)
        await sched.UpdateNotificationPreferences(
            scheduler_pb2.UpdateNotificationPreferencesRequest(preferences=prefs), metadata=md, timeout=10)
        device = await sched.RegisterDevice(
            scheduler_pb2.RegisterDeviceRequest(parent=f"users/{user}", request_id=str(uuid.uuid4()),
                                                device=scheduler_pb2.Device(
                                                    platform=scheduler_pb2.DEVICE_PLATFORM_FCM, token=token,
                                                    display_name="Zebediah's phone")),
            metadata=md, timeout=10)
        assert device.display_name == "Zebediah's phone"
        # The same token again finds the same device (looked up by digest, not by the sealed text).
        again = await sched.RegisterDevice(
            scheduler_pb2.RegisterDeviceRequest(parent=f"users/{user}", request_id=str(uuid.uuid4()),
                                                device=scheduler_pb2.Device(
                                                    platform=scheduler_pb2.DEVICE_PLATFORM_FCM, token=token)),
            metadata=md, timeout=10)
        assert again.name == device.name
        create = scheduler_pb2.CreateWebhookEndpointRequest(
            parent=f"users/{user}", request_id=str(uuid.uuid4()),
            webhook_endpoint=scheduler_pb2.WebhookEndpoint(url="https://127.0.0.1:9/hooks/zebediah-hook",
                                                           description="Zebediah's phone bridge"))
        hook = await sched.CreateWebhookEndpoint(create, metadata=md, timeout=10)
        # A retry replays the stored response (sealed in idempotency_keys): the same secret.
        assert (await sched.CreateWebhookEndpoint(create, metadata=md, timeout=10)).secret == hook.secret
        rotated = await sched.RotateWebhookEndpointSecret(
            scheduler_pb2.RotateWebhookEndpointSecretRequest(name=hook.name), metadata=md, timeout=10)
        assert hook.secret.startswith("whsec_") and rotated.secret.startswith("whsec_")
        assert (rotated.url, rotated.description) == ("https://127.0.0.1:9/hooks/zebediah-hook",
                                                      "Zebediah's phone bridge")
        async for _ in sched.RunJob(scheduler_pb2.RunJobRequest(kind=scheduler_pb2.NOTIFICATION_KIND_DAILY_DIGEST,
                                                                user=f"users/{user}", request_id=str(uuid.uuid4())),
                                    metadata=srv.auth(service="ops"), timeout=60):
            pass

        got = await sched.GetNotificationPreferences(
            scheduler_pb2.GetNotificationPreferencesRequest(name=f"users/{user}/notificationPreferences"),
            metadata=md, timeout=10)
        assert got.email_address == email
        listed = await sched.ListNotifications(scheduler_pb2.ListNotificationsRequest(parent=f"users/{user}"),
                                               metadata=md, timeout=10)
        texts = [(n.title, n.target) for n in listed.notifications]

    stored_email = _raw(db_dsn, "SELECT email_address FROM notification_prefs WHERE user_id = %s", user)[0][0]
    stored_token = _raw(db_dsn, "SELECT token FROM push_devices WHERE user_id = %s", user)[0][0]
    secrets = _raw(db_dsn, "SELECT secret, previous_secret FROM webhook_endpoints WHERE user_id = %s", user)[0]
    for value in (stored_email, stored_token, *secrets):
        assert value.startswith(PREFIX), value
    outbox = _raw(db_dsn, "SELECT title, target_address, content::text FROM notification_outbox WHERE user_id = %s",
                  user)
    assert outbox, "RunJob planned nothing"
    assert any(v and PREFIX in v for row in outbox for v in row), outbox  # something was written back
    for row in outbox:
        for value in row:
            assert value is None or value in ("", '""') or PREFIX in value, row
    for table in ("notification_prefs", "push_devices", "webhook_endpoints", "notification_outbox"):
        dump = " ".join(r[0] for r in _raw(db_dsn, f"SELECT t::text FROM {table} t"))
        for plain in ("zebediah", "Zebediah", "whsec_", hook.secret, rotated.secret):
            assert plain not in dump, (table, plain)
    # Stored responses of request ids hold what the tables seal (a client's test found the signing
    # secret, the URL and the device name there in the clear): sealed under the user's key.
    responses = [bytes(r[0] or b"") for r in _raw(db_dsn, "SELECT response FROM idempotency_keys")]
    assert any(r.startswith(b"sealed:" + user.encode()) for r in responses)
    for plain in ("zebediah", "Zebediah", "whsec_", hook.secret, rotated.secret):
        assert not [r for r in responses if plain.encode() in r], plain
    # What ListNotifications showed was opened (a delivered row names its target; none shows a token).
    assert all(not t.startswith(PREFIX) and not a.startswith(PREFIX) for t, a in texts), texts


async def test_holdings_and_cash_are_sealed_and_read_back_through_the_summary(db_dsn: str, tmp_path: Path) -> None:
    from datetime import date, timedelta

    from tests.integration.portfolio.support import flow, holding, price_points, record, summary, sync, trading_days

    user, legacy = str(uuid.uuid4()), str(uuid.uuid4())
    days = trading_days(date.today() - timedelta(days=20), 10)
    async with running_server(db_dsn, tmp_path) as srv:
        await record(srv, price_points({"AAPL": [(d, "101.25") for d in days]}))
        await sync(srv, user, [holding("AAPL", "37.125", "88.5", sector="Zebtech", basket="Zebcore",
                                       tags=["zebtag"])], cash="4321.75",
                   flows=[flow("deposit", "55555.5", days[2], flow_id="f1")])
        got = await summary(srv, user)
        (pos,) = got.positions
        assert (pos.quantity, pos.average_cost, pos.sector, pos.basket, list(pos.tags)) == (
            "37.125", "88.5", "Zebtech", "Zebcore", ["zebtag"])
        assert got.cash_balance.startswith("4321.75")

        # A portfolio synced before encryption (clear columns, no sealed value) still reads.
        await sync(srv, legacy, [holding("AAPL", "3", "90", sector="Tech")], cash="10")
        with psycopg.connect(db_dsn) as conn:
            conn.execute("UPDATE holdings_history SET quantity = 3, average_cost = 90, sector = 'Tech', "
                         "sealed = NULL WHERE user_id = %s", (legacy,))
            conn.execute("UPDATE cash_balance_history SET cash_balance = 10, sealed_cash = NULL WHERE user_id = %s",
                         (legacy,))
        srv.container.portfolio.forget_user(legacy)
        old = await summary(srv, legacy)
        assert (old.positions[0].quantity, old.positions[0].sector) == ("3", "Tech")

        # An altered holding: the summary answers DATA_LOSS with the reason, not INTERNAL.
        with psycopg.connect(db_dsn) as conn:
            conn.execute("UPDATE holdings_history SET sealed = (SELECT sealed_cash FROM cash_balance_history "
                         "WHERE user_id = %s LIMIT 1) WHERE user_id = %s", (user, user))
        srv.container.portfolio.forget_user(user)
        with pytest.raises(grpc.aio.AioRpcError) as altered:
            await summary(srv, user)
        assert altered.value.code() is grpc.StatusCode.DATA_LOSS, altered.value
        assert "altered or moved" in (altered.value.details() or "")

    rows = {t: _raw(db_dsn, f"SELECT t::text FROM {t} t WHERE user_id = %s", user)
            for t in ("positions", "holdings_history", "cash_balance_history", "portfolios", "cash_flows")}
    assert all(rows.values()), rows
    for table, found in rows.items():
        dump = " ".join(r[0] for r in found)
        for plain in ("37.125", "88.5", "Zebtech", "Zebcore", "zebtag", "4321.75", "55555.5"):
            assert plain not in dump, (table, plain, dump)
        assert PREFIX in dump, table


async def test_after_archiving_no_transcript_row_is_left_in_the_clear(db_dsn: str, tmp_path: Path) -> None:
    """A session from before encryption (plaintext title, messages, summary and window) is sealed
    when it is archived; the session still reads, and the archive holds the transcript."""
    user, sid = str(uuid.uuid4()), str(uuid.uuid4())
    m1, m2, sm = (str(uuid.uuid4()) for _ in range(3))
    with psycopg.connect(db_dsn) as conn:
        conn.execute("INSERT INTO users (id) VALUES (%s)", (user,))
        conn.execute("INSERT INTO chat_sessions (id, user_id, title, messages, context, message_count, "
                     "provider_address, model) VALUES (%s, %s, 'Zebediah plan', "
                     "jsonb_build_array(jsonb_build_object('content', 'Zebediah asks')), '{}', 2, '', '')",
                     (sid, user))
        conn.execute("INSERT INTO chat_messages (id, session_id, seq, role, content) "
                     "VALUES (%s, %s, 1, 'user', 'Zebediah asks')", (m1, sid))
        conn.execute("INSERT INTO chat_messages (id, session_id, seq, role, content, reply_to) "
                     "VALUES (%s, %s, 2, 'assistant', 'Zebediah answer', %s)", (m2, sid, m1))
        conn.execute("INSERT INTO chat_summaries (id, session_id, version, from_seq, to_seq, content, "
                     "content_sha256, source_sha256) VALUES (%s, %s, 1, 1, 2, 'Zebediah summary', '', '')",
                     (sm, sid))
    name = f"users/{user}/sessions/{sid}"
    async with running_server(db_dsn, tmp_path) as srv:
        chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
        await chat.ArchiveSession(chat_pb2.ArchiveSessionRequest(name=name, request_id=str(uuid.uuid4())),
                                  metadata=srv.auth(user), timeout=30)
        got = await _get(srv, user, name)
        assert got.status == chat_pb2.SESSION_STATUS_ARCHIVED
        assert (got.title, [m.content for m in got.messages]) == ("Zebediah plan", ["Zebediah asks", "Zebediah answer"])
        with user_scope(user):
            summaries = await srv.container.chat_store.summaries(sid)
        assert [s.content for s in summaries] == ["Zebediah summary"]
    for table, column in (("chat_sessions", "id"), ("chat_messages", "session_id"), ("chat_summaries", "session_id")):
        dump = " ".join(r[0] for r in _raw(db_dsn, f"SELECT t::text FROM {table} t WHERE {column} = %s", sid))
        assert dump and "Zebediah" not in dump, (table, dump)


async def test_ledger_amounts_and_notes_are_sealed_and_read_back(db_dsn: str, tmp_path: Path) -> None:
    from datetime import date, timedelta

    from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
    from tests.integration.portfolio.support import name, pdate, stub

    user = str(uuid.uuid4())
    day = date.today() - timedelta(days=10)
    txs = [
        portfolio_pb2.Transaction(type=portfolio_pb2.TRANSACTION_TYPE_DEPOSIT, trade_date=pdate(day),
                                  amount="98765.43", client_id="d1", note="Zebediah inheritance"),
        portfolio_pb2.Transaction(type=portfolio_pb2.TRANSACTION_TYPE_BUY, trade_date=pdate(day), symbol="AAPL",
                                  quantity="37.125", price="88.5", fees="1.75", client_id="b1"),
    ]
    async with running_server(db_dsn, tmp_path) as srv:
        st = stub(srv)
        await st.BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
            parent=name(user), transactions=txs), metadata=srv.auth(user), timeout=30)
        listed = await st.ListTransactions(portfolio_pb2.ListTransactionsRequest(parent=name(user)),
                                           metadata=srv.auth(user), timeout=10)
        got = {t.client_id: t for t in listed.transactions}
        assert (got["d1"].amount, got["d1"].note) == ("98765.43", "Zebediah inheritance")
        assert (got["b1"].quantity, got["b1"].price, got["b1"].fees) == ("37.125", "88.5", "1.75")
        # A row from before encryption (clear values, no sealed document) still reads.
        with psycopg.connect(db_dsn) as conn:
            conn.execute("INSERT INTO portfolio_transactions (id, user_id, txn_type, trade_date, book, amount, "
                         "currency, note) VALUES (%s, %s, 'DEPOSIT', %s, '', 12.5, 'USD', 'old plain note')",
                         (str(uuid.uuid4()), user, day))
        listed = await st.ListTransactions(portfolio_pb2.ListTransactionsRequest(parent=name(user)),
                                           metadata=srv.auth(user), timeout=10)
        assert {(t.amount, t.note) for t in listed.transactions if not t.client_id} == {("12.5", "old plain note")}
    dump = " ".join(r[0] for r in _raw(db_dsn, "SELECT t::text FROM portfolio_transactions t "
                                               "WHERE user_id = %s AND client_id IS NOT NULL", user))
    for plain in ("98765.43", "Zebediah", "37.125", "88.5", "1.75"):
        assert plain not in dump, (plain, dump)
    assert dump.count(PREFIX) == 2


async def test_one_users_unreadable_address_does_not_stop_a_delivery_batch(database: Database, db_dsn: str) -> None:
    """The worker loads addresses for a batch of rows at once: one user's altered address leaves only
    that address out (logged), the others are read."""
    import dataclasses
    from datetime import UTC, datetime

    from stack_cfo.core.notifications.kinds import Channel, NotificationKind
    from stack_cfo.core.notifications.preferences import default_preferences
    from stack_cfo.core.notifications.records import ClaimedRow
    from stack_cfo.crypto.envelope import MasterKeys
    from stack_cfo.store.scheduler import SchedulerRepo
    from tests.support.secrets import ARCHIVE_MASTER_KEYS

    repo = SchedulerRepo(database, sealer=FieldSealer(PgKeyRing(database), MasterKeys.from_config(ARCHIVE_MASTER_KEYS)))
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    with psycopg.connect(db_dsn) as conn:
        for user in (alice, bob):
            conn.execute("INSERT INTO users (id) VALUES (%s)", (user,))
    for user in (alice, bob):
        prefs = dataclasses.replace(default_preferences(user), email_address=f"{user[:8]}@example.com")
        with user_scope(user):  # each user's UpdateNotificationPreferences
            await repo.save_preferences(prefs)
    with psycopg.connect(db_dsn) as conn:  # Bob's sealed address copied onto Alice's row: it does not open there
        conn.execute("UPDATE notification_prefs SET email_address = (SELECT email_address FROM notification_prefs "
                     "WHERE user_id = %s) WHERE user_id = %s", (bob, alice))
    now = datetime.now(UTC)
    rows = [ClaimedRow(id=i, key=f"k{i}", kind=NotificationKind.DIGEST, user_id=u, channel=Channel.EMAIL,
                       target_id=0, period="2026-12-04", scheduled_for=now, deadline=now, attempts=1,
                       max_attempts=3, run_id=None, db_now=now) for i, u in enumerate((alice, bob), 1)]
    with system_scope("outbox-worker"):  # the worker reads a batch of users' addresses
        prefs_by_user, _ = await repo.context_for(rows)
    assert prefs_by_user[bob].email_address == f"{bob[:8]}@example.com"
    assert prefs_by_user[alice].email_address == ""
    # Read directly (GetNotificationPreferences), Alice's altered address is a clear error.
    with user_scope(alice), pytest.raises(SealedValueUnreadable):
        await repo.get_preferences(alice)


async def test_an_erasure_in_one_process_reaches_every_key_cache_at_once(database: Database) -> None:
    """Each process listens for key destructions: another process's cached key is dropped within
    moments, not after archive.key_cache_ttl, so nothing more is sealed under an erased key."""
    import asyncio

    from stack_cfo.config import build_config
    from stack_cfo.wiring.archive import build_field_sealer
    from tests.support.secrets import ARCHIVE_MASTER_KEYS

    config = build_config({"database": {"url": database.conninfo},
                           "archive": {"master_keys": ARCHIVE_MASTER_KEYS, "key_cache_ttl": "1h"}})
    (a, a_listener), (b, b_listener) = build_field_sealer(config, database), build_field_sealer(config, database)
    user = str(uuid.uuid4())
    with user_scope(user):  # both processes serve this user's requests (row-level security)
        try:
            sealed = (await a.cipher(user, create=True)).seal("t.c", "r", "before erasure")
            assert (await b.cipher(user)).open("t.c", "r", sealed) == "before erasure"  # b caches the key
            await b_listener.connected.wait()
            assert await PgKeyRing(database).destroy(user) == 1
            for _ in range(100):
                if (await b.cipher(user)).version is None:
                    break
                await asyncio.sleep(0.05)
            with pytest.raises(UserKeyDestroyed):
                (await b.cipher(user)).open("t.c", "r", sealed)
        finally:
            await a_listener.aclose()
            await b_listener.aclose()


async def test_a_title_at_the_limit_is_stored_sealed_and_read_back(db_dsn: str, tmp_path: Path) -> None:
    """A title of up to 255 characters (the contract's limit) fits once sealed: the sealed text
    is longer than the title (it failed with "value too long" when the column held 255)."""
    user = str(uuid.uuid4())
    async with running_server(db_dsn, tmp_path) as srv:
        chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
        for title in ("t" * 155, "T" * 255, "€" * 255, "📈" * 255):
            session = await chat.CreateSession(
                chat_pb2.CreateSessionRequest(parent=f"users/{user}", session=chat_pb2.Session(title=title)),
                metadata=srv.auth(user), timeout=10)
            assert session.title == title
            assert (await _get(srv, user, session.name)).title == title
            (stored,) = _raw(db_dsn, "SELECT title FROM chat_sessions WHERE id = %s", session.name.rsplit("/", 1)[1])
            assert stored[0].startswith(PREFIX) and len(stored[0]) > 255
