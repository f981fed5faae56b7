"""Erasure that is complete: after EraseUserData, no table holds the user's id anywhere (every
text, uuid, json and bytea column of every table, found from the catalog) except the tombstone."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import grpc
import psycopg
from psycopg import sql

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc, portfolio_pb2, scheduler_pb2, scheduler_pb2_grpc
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2 as upb
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2_grpc as upb_grpc
from tests.integration.portfolio.support import (
    flow,
    holding,
    name,
    pdate,
    price_points,
    record,
    stub,
    summary,
    sync,
    trading_days,
)
from tests.support.server import RunningServer, running_server

SEARCHED_TYPES = ("text", "character varying", "uuid", "json", "jsonb", "bytea", "ARRAY", "USER-DEFINED")


def rows_naming(dsn: str, needle: str) -> dict[str, int]:
    """``table.column`` -> rows whose value contains ``needle``, over every table of the schema."""
    found: dict[str, int] = {}
    with psycopg.connect(dsn) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type = ANY(%s) ORDER BY 1, 2",
            (list(SEARCHED_TYPES),),
        ).fetchall()
        assert len({t for t, _, _ in columns}) >= 20, "the catalog query found too few tables"
        for table, column, data_type in columns:
            if data_type == "bytea":
                predicate = sql.SQL("position(convert_to(%s, 'UTF8') IN {}) > 0").format(sql.Identifier(column))
            else:
                predicate = sql.SQL("{}::text LIKE '%%' || %s || '%%'").format(sql.Identifier(column))
            q = sql.SQL("SELECT count(*) FROM {} WHERE ").format(sql.Identifier(table)) + predicate
            n = conn.execute(q, (needle,)).fetchone()[0]  # type: ignore[index]
            if n:
                found[f"{table}.{column}"] = n
    return found


async def _everything(srv: RunningServer, user: str) -> None:
    """Data in every feature for ``user``, with request ids wherever the contract takes one."""
    days = trading_days(date.today() - timedelta(days=30), 15)
    await record(srv, price_points({s: [(d, "101.25") for d in days] for s in ("AAPL", "SPY")}))
    await sync(srv, user, [holding("AAPL", "3", "90", sector="Tech")], cash="100",
               flows=[flow("deposit", "50", days[3], flow_id="f1")], request_id=str(uuid.uuid4()))
    # A service syncing for the user: its request-id record carries the user's portfolio name.
    await stub(srv).SyncPortfolio(
        portfolio_pb2.SyncPortfolioRequest(portfolio=name(user), positions=[holding("AAPL", "4", "90")],
                                           cash_balance="100", request_id=str(uuid.uuid4())),
        metadata=srv.auth(service="ledger"), timeout=10)
    await summary(srv, user)
    md = srv.auth(user)
    chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
    session = await chat.CreateSession(
        chat_pb2.CreateSessionRequest(parent=f"users/{user}", session=chat_pb2.Session(title="Mine"),
                                      request_id=str(uuid.uuid4())), metadata=md, timeout=10)
    async for _ in chat.SendMessage(chat_pb2.SendMessageRequest(name=session.name, content="How am I doing?",
                                                                request_id=str(uuid.uuid4())),
                                    metadata=md, timeout=30):
        pass
    second = await chat.CreateSession(chat_pb2.CreateSessionRequest(parent=f"users/{user}",
                                                                    session=chat_pb2.Session(title="Old")),
                                      metadata=md, timeout=10)
    await chat.ArchiveSession(chat_pb2.ArchiveSessionRequest(name=second.name, request_id=str(uuid.uuid4())),
                              metadata=md, timeout=30)
    sched = scheduler_pb2_grpc.SchedulerServiceStub(srv.channel)
    prefs = scheduler_pb2.NotificationPreferences(name=f"users/{user}/notificationPreferences",
                                                  time_zone="Europe/Berlin", email_address="me@example.com")
    await sched.UpdateNotificationPreferences(scheduler_pb2.UpdateNotificationPreferencesRequest(preferences=prefs),
                                              metadata=md, timeout=10)
    await sched.RegisterDevice(
        scheduler_pb2.RegisterDeviceRequest(parent=f"users/{user}", request_id=str(uuid.uuid4()),
                                            device=scheduler_pb2.Device(platform=scheduler_pb2.DEVICE_PLATFORM_FCM,
                                                                        token=f"push-token-{user}")),
        metadata=md, timeout=10)
    async for _ in sched.RunJob(scheduler_pb2.RunJobRequest(kind=scheduler_pb2.NOTIFICATION_KIND_DAILY_DIGEST,
                                                            user=f"users/{user}", request_id=str(uuid.uuid4())),
                                metadata=srv.auth(service="ops"), timeout=60):
        pass
    await sched.CreateWebhookEndpoint(
        scheduler_pb2.CreateWebhookEndpointRequest(
            parent=f"users/{user}", request_id=str(uuid.uuid4()),
            webhook_endpoint=scheduler_pb2.WebhookEndpoint(url=f"https://127.0.0.1:9/hooks/{user}")),
        metadata=md, timeout=10)
    # Last, the ledger (a portfolio with transactions takes no more snapshot syncs) and its settings.
    await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
        parent=name(user), transactions=[
            portfolio_pb2.Transaction(type=portfolio_pb2.TRANSACTION_TYPE_DEPOSIT, trade_date=pdate(days[0]),
                                      amount="1000", client_id=f"dep-{user}"),
            portfolio_pb2.Transaction(type=portfolio_pb2.TRANSACTION_TYPE_BUY, trade_date=pdate(days[1]),
                                      symbol="AAPL", quantity="2", price="101.25", client_id=f"buy-{user}")]),
        metadata=md, timeout=30)
    await stub(srv).UpdatePortfolioSettings(portfolio_pb2.UpdatePortfolioSettingsRequest(
        settings=portfolio_pb2.PortfolioSettings(name=f"users/{user}/portfolio/settings", benchmark_symbol="QQQ")),
        metadata=md, timeout=10)
    await summary(srv, user)


async def test_after_erasure_only_the_tombstone_names_the_user(db_dsn: str, data_dir: Path) -> None:
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    local_hooks = {"notifications": {"webhook": {"allow_private_networks": True}}}
    async with running_server(db_dsn, data_dir, local_hooks) as srv:
        await _everything(srv, alice)
        await _everything(srv, bob)
        before = rows_naming(db_dsn, alice)
        bob_before = rows_naming(db_dsn, bob)
        assert "idempotency_keys.principal" in before and "idempotency_keys.response" in before
        assert len(before) >= 12, before  # the set-up reached most features
        for table in ("portfolio_transactions", "portfolio_settings", "webhook_endpoints"):
            assert any(k.startswith(f"{table}.") for k in before), (table, before)

        erase = upb_grpc.UserDataServiceStub(srv.channel)
        rid = str(uuid.uuid4())
        await erase.EraseUserData(upb.EraseUserDataRequest(name=f"users/{alice}", request_id=rid),
                                  metadata=srv.auth(service="privacy-desk"), timeout=30)

        left = rows_naming(db_dsn, alice)
        tombstone = {"users.id": 1, "archive_data_keys.user_id": left.get("archive_data_keys.user_id", 0),
                     "idempotency_keys.response": 1}
        assert left == {k: v for k, v in tombstone.items() if v}, left
        with psycopg.connect(db_dsn) as conn:
            receipts = conn.execute("SELECT method FROM idempotency_keys WHERE position(convert_to(%s, 'UTF8') "
                                    "IN response) > 0", (alice,)).fetchall()
            assert receipts == [("EraseUserData",)]
            erased = conn.execute("SELECT erased_at IS NOT NULL FROM users WHERE id = %s", (alice,)).fetchone()
            assert erased == (True,)
        # Bob keeps everything.
        assert rows_naming(db_dsn, bob) == bob_before

        # An erased user is planned for nothing: a run for every user leaves the tombstone alone
        # (it planned notifications and made a new data key for the user before), and a run for
        # that user is USER_NOT_FOUND.
        sched = scheduler_pb2_grpc.SchedulerServiceStub(srv.channel)
        ops = srv.auth(service="ops")
        for kind in (scheduler_pb2.NOTIFICATION_KIND_DAILY_DIGEST, scheduler_pb2.NOTIFICATION_KIND_WEEKLY_SUMMARY):
            async for _ in sched.RunJob(scheduler_pb2.RunJobRequest(kind=kind), metadata=ops, timeout=60):
                pass
        assert rows_naming(db_dsn, alice) == left
        try:
            one = scheduler_pb2.RunJobRequest(kind=scheduler_pb2.NOTIFICATION_KIND_DAILY_DIGEST, user=f"users/{alice}")
            async for _ in sched.RunJob(one, metadata=ops, timeout=60):
                pass
            raise AssertionError("RunJob for an erased user ran")
        except grpc.aio.AioRpcError as err:
            assert err.code() == grpc.StatusCode.NOT_FOUND
        # The user coming back (a write of their own) is a user again.
        await sched.UpdateNotificationPreferences(scheduler_pb2.UpdateNotificationPreferencesRequest(
            preferences=scheduler_pb2.NotificationPreferences(name=f"users/{alice}/notificationPreferences",
                                                             time_zone="UTC")), metadata=srv.auth(alice), timeout=10)
        with psycopg.connect(db_dsn) as conn:
            assert conn.execute("SELECT erased_at FROM users WHERE id = %s", (alice,)).fetchone() == (None,)


def test_an_external_database_without_archive_master_keys_refuses_to_start(tmp_path: Path, db_dsn: str) -> None:
    """Each pod generating its own master key would make archives unreadable across pods and
    restarts: with DATABASE_URL set and no key, serve and scheduler exit 2 naming the key."""
    from tests.support.proc import cli_env, finish, start_cli

    env = cli_env({"DATABASE_URL": db_dsn, "STACK_CFO_DATA_DIR": str(tmp_path)})
    env.pop("STACK_CFO_ARCHIVE_MASTER_KEYS")
    for command in ("serve", "scheduler"):
        rc, _, err = finish(start_cli([command], env), f"{command} without master keys", timeout=30)
        assert rc == 2, err
        assert "STACK_CFO_ARCHIVE_MASTER_KEYS" in err and "archive.master_keys" in err
    assert not (tmp_path / "archive-master-key").exists()


def test_the_embedded_database_still_generates_a_local_master_key(tmp_path: Path) -> None:
    from stack_cfo.config import build_config
    from stack_cfo.wiring.archive import master_keys

    config = build_config({"database": {"data_dir": str(tmp_path)}})
    assert master_keys(config).primary.kek_id == "local1"
    assert (tmp_path / "archive-master-key").stat().st_mode & 0o777 == 0o600
