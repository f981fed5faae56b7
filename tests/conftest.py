"""Shared fixtures: a real PostgreSQL, one migrated template database per run, a clone per test.

``DATABASE_URL`` points at a server we may create databases on (CI: the local server);
when it is unset an embedded server (``pgserver``) is started for the run.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from psycopg import sql
from psycopg.conninfo import make_conninfo

from stack_cfo.store.db import Database, PoolSettings
from stack_cfo.store.migrations import Migrator
from stack_cfo.telemetry.tracing import setup_tracing
from tests.support import logcapture

# Commits of the tests' databases do not wait for the WAL flush (each test's database is thrown away, and
# outages are simulated by cutting connections, never by crashing PostgreSQL): the same results, ~10% less time
# in the database-heavy suites. Every connection libpq opens reads PGOPTIONS, the servers started as
# subprocesses too; a PGOPTIONS of the caller's is kept.
os.environ.setdefault("PGOPTIONS", "-c synchronous_commit=off")

# Instrument grpc.aio before any server is created, as `serve` does, so the tests run the
# production interceptor stack (including the Health/Watch exclusion).
os.environ.setdefault("OTEL_TRACES_SAMPLER", "always_on")  # record spans so tests can inspect them
setup_tracing("stack-cfo-test")
SPANS = InMemorySpanExporter()
trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(SPANS))  # type: ignore[attr-defined]


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        logcapture.install()


def _admin_execute(dsn: str, statement: sql.Composable) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture(scope="session")
def admin_dsn() -> Iterator[str]:
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    from stack_cfo.store.embedded import start_embedded

    with tempfile.TemporaryDirectory(prefix="stack-cfo-test-pg-") as tmp:
        uri, server = start_embedded(tmp)
        try:
            yield uri
        finally:
            server.cleanup()


@pytest.fixture(scope="session")
def template_dsn(admin_dsn: str) -> Iterator[str]:
    """A database migrated to head, used only as a template for per-test clones."""
    name = f"stackcfo_tpl_{os.getpid()}_{secrets.token_hex(3)}"
    _admin_execute(admin_dsn, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = make_conninfo(admin_dsn, dbname=name)
    asyncio.run(Migrator(dsn).up())
    try:
        yield dsn
    finally:
        _admin_execute(admin_dsn, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def clone_database(admin_dsn: str, template_dsn: str) -> tuple[str, str]:
    template = psycopg.conninfo.conninfo_to_dict(template_dsn)["dbname"]
    name = f"stackcfo_t_{os.getpid()}_{secrets.token_hex(4)}"
    _admin_execute(
        admin_dsn,
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(str(template))),
    )
    return name, make_conninfo(admin_dsn, dbname=name)


def drop_database(admin_dsn: str, name: str) -> None:
    _admin_execute(admin_dsn, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def db_dsn(admin_dsn: str, template_dsn: str) -> Iterator[str]:
    """Conninfo of a fresh, migrated database private to this test."""
    name, dsn = clone_database(admin_dsn, template_dsn)
    try:
        yield dsn
    finally:
        drop_database(admin_dsn, name)


@pytest.fixture
def empty_db_dsn(admin_dsn: str) -> Iterator[str]:
    """Conninfo of a fresh database with no schema at all (for migration tests)."""
    name = f"stackcfo_e_{os.getpid()}_{secrets.token_hex(4)}"
    _admin_execute(admin_dsn, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(admin_dsn, dbname=name)
    finally:
        drop_database(admin_dsn, name)


@pytest.fixture
async def database(db_dsn: str) -> AsyncIterator[Database]:
    db = Database(db_dsn, PoolSettings(min_size=1, max_size=8, timeout=5.0))
    await db.open()
    try:
        yield db
    finally:
        await db.close()



@pytest.fixture
def data_dir(tmp_path: object) -> object:
    return tmp_path


@pytest.fixture
def spans() -> InMemorySpanExporter:
    """Finished OpenTelemetry spans (cleared at the start of the test)."""
    SPANS.clear()
    return SPANS


@pytest.fixture
def root_logging_restored() -> Iterator[None]:
    """For tests that run ``stack_cfo.cli.main``, which configures logging for its process: the root
    logger's handlers and level put back afterwards, for the tests after them."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def no_automatic_gc() -> Iterator[None]:
    """The cycle collector off for the test (after one full collection): what a call leaves in cycles
    stays there, for :func:`tests.support.gc_garbage.unreachable_now` to find."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
