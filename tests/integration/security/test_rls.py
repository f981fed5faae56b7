"""Row-level security (migration 0011): every table that holds a user's data, found from the
catalog, shows a deliberately unfiltered ``SELECT *`` only the acting user's rows; no scope shows
nothing; the system scope shows everything. A table added later that names a user and has no
policy fails here until it gets one (or is listed as shared, with the reason)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2, scheduler_pb2_grpc
from stack_cfo.core.data_scope import service_scope, system_scope, user_scope
from stack_cfo.store.db import Database, PoolSettings
from tests.integration.security.test_erasure import _everything
from tests.support.server import running_server

#: Tables without a user's data, and why (docs/security.md, "Row-level security").
SHARED = {
    "schema_migrations": "migration bookkeeping",
    "server_replicas": "serve replicas' heartbeats (chat turn leases)",
    "prices": "market data, the same for everyone",
    "price_quotes": "market data, the same for everyone",
    "exchange_rates": "market data, the same for everyone",
    "news_articles": "public articles, the same for every holder of a symbol",
    "news_summaries": "one AI summary per public article, shared by every holder of the symbol",
    "notification_feeds": "a service's feed settings (enabled, kinds): no user's data",
    "scheduler_heartbeats": "scheduler replicas",
    "scheduler_state": "the planner's progress per notification kind",
}

#: Who owns a row, for tables that do not say it in a ``user_id`` column (as the superuser sees it).
OWNER = {
    "users": "id::text",
    "archive_objects": "owner::text",
    "chat_messages": "(SELECT s.user_id::text FROM chat_sessions s WHERE s.id = t.session_id)",
    "chat_summaries": "(SELECT s.user_id::text FROM chat_sessions s WHERE s.id = t.session_id)",
    "idempotency_keys": "CASE WHEN principal LIKE 'user:%%' THEN substr(principal, 6) "
                        "WHEN principal LIKE 'service:%%' THEN principal ELSE principal END",
    "webhook_endpoints": "coalesce(user_id::text, 'service:' || service)",
}

#: Rows every user may read (shared AI receipts: the news summaries' provenance).
READABLE_BY_ALL = {"ai_receipts": "user_id IS NULL"}


_USER_TABLES = """
WITH RECURSIVE owned(oid) AS (
    SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND (c.relname = 'users'
           OR EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND NOT a.attisdropped
                      AND a.attname IN ('user_id', 'owner', 'principal')))
  UNION
    -- Reaches a user through a parent it cannot exist without (a chat message through its
    -- session): a NOT NULL foreign key. (A nullable one is a link, as news_summaries.receipt_id.)
    SELECT con.conrelid FROM pg_constraint con JOIN owned o ON con.confrelid = o.oid
    WHERE con.contype = 'f' AND con.conrelid <> con.confrelid
      AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = con.conrelid
                      AND a.attnum = ANY (con.conkey) AND NOT a.attnotnull)
)
SELECT c.relname AS name, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
       (SELECT count(*) FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname) AS policies
FROM pg_class c WHERE c.oid IN (SELECT oid FROM owned) ORDER BY 1
"""

_ALL_TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1
"""


def _catalog(dsn: str) -> tuple[list[dict[str, Any]], list[str]]:
    with psycopg.connect(dsn, row_factory=psycopg.rows.dict_row) as conn:
        user_tables = conn.execute(_USER_TABLES).fetchall()
        every = [r["relname"] for r in conn.execute(_ALL_TABLES).fetchall()]
    return user_tables, every


def _rows_by_owner(dsn: str, table: str) -> dict[str, set[str]]:
    """owner -> rows (as JSON text), read as the superuser (no row-level security)."""
    owner = OWNER.get(table, "user_id::text")
    shared = READABLE_BY_ALL.get(table, "false")
    q = sql.SQL("SELECT CASE WHEN {shared} THEN '*' ELSE {owner} END AS owner, row_to_json(t)::text AS row "
                "FROM {table} t").format(shared=sql.SQL(shared), owner=sql.SQL(owner),
                                          table=sql.Identifier(table))
    out: dict[str, set[str]] = {}
    with psycopg.connect(dsn) as conn:
        for o, row in conn.execute(q).fetchall():
            out.setdefault(str(o), set()).add(row)
    return out


async def _rows_the_rpcs_do_not_write_here(db: Database, user: str) -> None:
    """The offline model reports no token usage, two turns make no summary and no notification is
    rendered: written in the user's scope through the service's pool (so the policies' WITH CHECK applies too)."""
    with user_scope(user):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO chat_token_usage (user_id, day, tokens) VALUES (%s, current_date, 42)",
                               (user,))
            await conn.execute(
                "INSERT INTO chat_summaries (id, session_id, version, from_seq, to_seq, content, content_sha256, "
                "source_sha256) SELECT gen_random_uuid(), id, 1, 1, 2, 'summary', '', '' FROM chat_sessions "
                "ORDER BY created_at LIMIT 1")
            # A sealed transcript kept by an archive attempt not recorded (the archive backend here
            # records every attempt at once).
            await conn.execute(
                "INSERT INTO chat_archive_uploads (session_id, user_id, sealed) SELECT id, user_id, 'sealed'::bytea "
                "FROM chat_sessions ORDER BY created_at LIMIT 1")
            # The test server configures no email or push channel: RunJob's rows are skipped unrendered.
            await conn.execute("INSERT INTO notification_contents (user_id, kind, period, locale, occasion, content) "
                               "VALUES (%s, 'digest', '2026-03-09', 'en', 'run', '{}')", (user,))


async def _seen(db: Database, table: str) -> set[str]:
    """A deliberately unfiltered SELECT * through the service's pool, in the current scope."""
    async with db.connection() as conn:
        q = sql.SQL("SELECT row_to_json(t)::text AS row FROM (SELECT * FROM {}) t").format(sql.Identifier(table))
        return {r["row"] for r in await (await conn.execute(q)).fetchall()}


def test_every_table_naming_a_user_has_forced_row_level_security_and_every_other_is_shared(db_dsn: str) -> None:
    user_tables, every = _catalog(db_dsn)
    names = {t["name"] for t in user_tables}
    assert len(names) >= 20, names  # the discovery found the schema
    for t in user_tables:
        assert t["rls"] and t["forced"] and t["policies"] >= 2, t
    unclassified = set(every) - names - set(SHARED)
    assert not unclassified, f"tables neither protected nor listed as shared: {sorted(unclassified)}"
    assert not names & set(SHARED)
    for table in names - {"users"}:
        if table not in OWNER:
            with psycopg.connect(db_dsn) as conn:
                has = conn.execute("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' "
                                   "AND table_name = %s AND column_name = 'user_id'", (table,)).fetchone()
            assert has == (1,), f"{table}: say in OWNER who owns its rows"


async def test_a_user_scope_sees_only_that_users_rows_in_every_user_table(db_dsn: str, data_dir: Path) -> None:
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    local_hooks = {"notifications": {"webhook": {"allow_private_networks": True}}}
    async with running_server(db_dsn, data_dir, local_hooks) as srv:
        await _everything(srv, alice)
        await _everything(srv, bob)
        # A service's own webhook endpoint: no user's row.
        sched = scheduler_pb2_grpc.SchedulerServiceStub(srv.channel)
        await sched.CreateWebhookEndpoint(
            scheduler_pb2.CreateWebhookEndpointRequest(
                parent="services/acme", request_id=str(uuid.uuid4()),
                webhook_endpoint=scheduler_pb2.WebhookEndpoint(url="https://127.0.0.1:9/hooks/acme")),
            metadata=srv.auth(service="acme"), timeout=10)

    user_tables, _ = _catalog(db_dsn)
    db = Database(db_dsn, PoolSettings(min_size=1, max_size=2))
    await db.open()
    try:
        for user in (alice, bob):
            await _rows_the_rpcs_do_not_write_here(db, user)
        checked = 0
        for table in [t["name"] for t in user_tables]:
            truth = _rows_by_owner(db_dsn, table)
            everyone = truth.get("*", set())
            total = set().union(*truth.values()) if truth else set()
            assert truth.get(alice) and truth.get(bob), f"{table}: the seeding left no rows for both users"
            for user in (alice, bob):
                with user_scope(user):
                    assert await _seen(db, table) == truth.get(user, set()) | everyone, table
            with user_scope(alice, service="acme"):  # a service acting for alice: hers, and the service's own
                assert await _seen(db, table) == (
                    truth.get(alice, set()) | everyone | truth.get("service:acme", set())
                ), table
            assert await _seen(db, table) == set(), f"{table}: no scope must see nothing"
            with system_scope("test-rls"):
                assert await _seen(db, table) == total, table
            checked += 1
        assert checked >= 20
        with service_scope("acme"):
            assert len(await _seen(db, "webhook_endpoints")) == 1
            assert await _seen(db, "notification_outbox") == set()
    finally:
        await db.close()


async def test_no_scope_cannot_write_and_a_user_cannot_write_for_another(database: Database) -> None:
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    with user_scope(alice):
        async with database.connection() as conn:
            await conn.execute("INSERT INTO users (id) VALUES (%s)", (alice,))
    for scope, target in ((user_scope(alice), bob), (None, bob)):
        with pytest.raises(Exception) as info:
            if scope is None:
                async with database.connection() as conn:
                    await conn.execute("INSERT INTO users (id) VALUES (%s)", (target,))
            else:
                with scope:
                    async with database.connection() as conn:
                        await conn.execute("INSERT INTO users (id) VALUES (%s)", (target,))
        assert "row-level security" in str(info.value) or "row-level security" in str(info.value.__cause__)
    with user_scope(bob):
        async with database.connection() as conn:  # alice's row is invisible, so untouchable
            cur = await conn.execute("UPDATE users SET display_name = 'mallory' WHERE id = %s", (alice,))
            assert cur.rowcount == 0
            cur = await conn.execute("DELETE FROM users")
            assert cur.rowcount == 0


async def test_the_scope_is_per_transaction_and_never_leaks_to_the_next_borrower(database: Database) -> None:
    """One pooled connection serves alice, then a caller with no scope: it sees nothing of hers."""
    alice = str(uuid.uuid4())
    db = Database(database.conninfo, PoolSettings(min_size=1, max_size=1))
    await db.open()
    try:
        with user_scope(alice):
            async with db.connection() as conn:
                await conn.execute("INSERT INTO users (id) VALUES (%s)", (alice,))
                assert (await (await conn.execute("SELECT count(*) AS n FROM users")).fetchone())["n"] == 1
        async with db.connection() as conn:
            row = await (await conn.execute(
                "SELECT count(*) AS n, current_user AS role, current_setting('stack_cfo.user_id', true) AS u "
                "FROM users")).fetchone()
        assert row == {"n": 0, "role": "stack_cfo_app", "u": ""}
        with system_scope("test-rls"):
            async with db.connection() as conn:
                role = await (await conn.execute("SELECT current_user AS r")).fetchone()
            async with db.connection() as conn:
                pass
        assert role == {"r": "stack_cfo_system"}
        async with db.connection() as conn:  # the system role ended with its transaction
            role = await (await conn.execute("SELECT current_user AS r")).fetchone()
        assert role == {"r": "stack_cfo_app"}
    finally:
        await db.close()


async def test_a_pipelined_transaction_has_the_scope_commits_on_success_and_rolls_back_on_error(
    database: Database,
) -> None:
    """``transaction(pipeline=True)`` queues BEGIN, the scope and COMMIT with the statements:
    the policies apply, a clean exit commits, an error commits nothing, the scope never leaks."""
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    db = Database(database.conninfo, PoolSettings(min_size=1, max_size=1))
    await db.open()
    try:
        with user_scope(alice):
            async with db.transaction(pipeline=True) as conn:
                await conn.execute("INSERT INTO users (id) VALUES (%s)", (alice,))
                seen = await conn.execute(
                    "SELECT count(*) AS n, current_setting('stack_cfo.user_id', true) AS u FROM users")
                assert await seen.fetchone() == {"n": 1, "u": alice}
            with pytest.raises(RuntimeError):
                async with db.transaction(pipeline=True) as conn:
                    await conn.execute(
                        "INSERT INTO chat_token_usage (user_id, day, tokens) VALUES (%s, current_date, 7)", (alice,))
                    raise RuntimeError("a failed check")
        with user_scope(bob):
            with pytest.raises(Exception):  # noqa: B017 - the policy's WITH CHECK: not bob's row
                async with db.transaction(pipeline=True) as conn:
                    await conn.execute("INSERT INTO users (id) VALUES (%s)", (alice,))
            async with db.transaction(pipeline=True) as conn:
                theirs = await conn.execute("SELECT count(*) AS n FROM users WHERE id = %s", (alice,))
                assert (await theirs.fetchone())["n"] == 0
        async with db.connection() as conn:  # the same pooled connection: no scope left, no transaction
            row = await (await conn.execute(
                "SELECT count(*) AS n, current_setting('stack_cfo.user_id', true) AS u FROM users")).fetchone()
        assert row == {"n": 0, "u": ""}
        with user_scope(alice):
            async with db.connection() as conn:
                row = await (await conn.execute(
                    "SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM chat_token_usage) AS usage"
                )).fetchone()
        assert row == {"users": 1, "usage": 0}  # the committed insert; the failed transaction's rolled back
    finally:
        await db.close()


async def test_the_roles_bypass_nothing(db_dsn: str) -> None:
    with psycopg.connect(db_dsn) as conn:
        rows = conn.execute("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles "
                            "WHERE rolname IN ('stack_cfo_app', 'stack_cfo_system') ORDER BY 1").fetchall()
        member = conn.execute("SELECT pg_has_role('stack_cfo_app', 'stack_cfo_system', 'MEMBER')").fetchone()
    assert rows == [("stack_cfo_app", False, False), ("stack_cfo_system", False, False)]
    assert member == (False,)  # else the app role would get the system policies


async def test_a_managed_server_login_that_is_no_superuser_migrates_and_runs_under_the_policies(
    admin_dsn: str, empty_db_dsn: str
) -> None:
    """The README's managed-PostgreSQL recipe: the login owns the schema but is no superuser; the
    administrator made the roles beforehand. Migrations run as that login; the service switches to
    stack_cfo_app and sees one user's rows; the owner itself sees nothing outside the system scope."""
    login = f"stackcfo_login_{uuid.uuid4().hex[:8]}"
    dbname = psycopg.conninfo.conninfo_to_dict(empty_db_dsn)["dbname"]
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOINHERIT NOSUPERUSER NOBYPASSRLS").format(sql.Identifier(login)))
    try:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            for role in ("stack_cfo_app", "stack_cfo_system"):  # what the administrator does (README)
                conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(role), sql.Identifier(login)))
            conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(str(dbname)),
                                                                         sql.Identifier(login)))
        with psycopg.connect(empty_db_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(login)))
        dsn = psycopg.conninfo.make_conninfo(empty_db_dsn, user=login)
        from stack_cfo.store.migrations import Migrator

        await Migrator(dsn).up()
        alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
        db = Database(dsn, PoolSettings(min_size=1, max_size=2))
        await db.open()
        try:
            for user in (alice, bob):
                with user_scope(user):
                    async with db.connection() as conn:
                        await conn.execute("INSERT INTO users (id) VALUES (%s)", (user,))
            with user_scope(alice):
                async with db.connection() as conn:
                    rows = await (await conn.execute("SELECT id::text AS id FROM users")).fetchall()
            assert rows == [{"id": alice}]
            with system_scope("test-rls"):
                async with db.connection() as conn:
                    n = await (await conn.execute("SELECT count(*) AS n FROM users")).fetchone()
            assert n == {"n": 2}
        finally:
            await db.close()
        with psycopg.connect(dsn) as conn:  # the owner, without the system scope: FORCE applies to it
            assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)
            conn.execute("SELECT set_config('stack_cfo.scope', 'system', true)")
            assert conn.execute("SELECT count(*) FROM users").fetchone() == (2,)
        await Migrator(dsn).down(target=0)  # and back down, as that login
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(dbname))))
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(login)))


async def test_a_user_may_read_shared_receipts_but_not_write_one(database: Database) -> None:
    alice = str(uuid.uuid4())
    with system_scope("test-rls"):  # the scheduler writes a news summary's receipt
        async with database.connection() as conn:
            await conn.execute("INSERT INTO ai_receipts (id, user_id, surface) VALUES (%s, NULL, 'news')",
                               (str(uuid.uuid4()),))
    with user_scope(alice):
        async with database.connection() as conn:
            n = await (await conn.execute("SELECT count(*) AS n FROM ai_receipts WHERE user_id IS NULL")).fetchone()
        assert n == {"n": 1}
        with pytest.raises(Exception) as info:
            async with database.connection() as conn:
                await conn.execute("INSERT INTO ai_receipts (id, user_id, surface) VALUES (%s, NULL, 'news')",
                                   (str(uuid.uuid4()),))
        assert "row-level security" in str(info.value) or "row-level security" in str(info.value.__cause__)
