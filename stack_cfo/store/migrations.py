"""Numbered SQL migrations (``NNNN_name.up.sql`` / ``NNNN_name.down.sql``).

Applied under a session-level advisory lock so replicas starting together don't race:
the second one waits, then finds nothing left to do. Each migration runs in its own
transaction together with its bookkeeping row, so a failure leaves the schema at the
previous version.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from stack_cfo.core.errors import FailedPrecondition
from stack_cfo.store.errors import wrap_exceptions

log = logging.getLogger(__name__)

LOCK_KEY = 0x5354_4346  # "STCF": constant advisory-lock key for migrations
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.(up|down)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    up_path: Path
    down_path: Path | None

    @property
    def up_sql(self) -> str:
        return self.up_path.read_text("utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.up_path.read_bytes()).hexdigest()


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    applied: list[int]
    pending: list[Migration]
    head: int

    @property
    def current(self) -> int:
        return max(self.applied, default=0)

    @property
    def at_head(self) -> bool:
        return not self.pending and self.current == self.head

    @property
    def ahead(self) -> bool:
        """The database was migrated by a newer release than this one (a rollback, or an old pod)."""
        return self.current > self.head

    def waiting_for(self) -> str:
        """Why a process of this release waits, and what an operator does about it."""
        if self.ahead:
            return (f"database schema at version {self.current} is newer than this release's {self.head}: run the "
                    "release that migrated it (to go back, first its `stack-cfo migrate down --target "
                    f"{self.head}`)")
        return f"database schema at version {self.current}, this release needs {self.head}: run `stack-cfo migrate up`"


def default_migrations_dir() -> Path:
    env = os.environ.get("STACK_CFO_MIGRATIONS_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "migrations"


def discover(directory: Path | None = None) -> list[Migration]:
    directory = directory or default_migrations_dir()
    ups: dict[int, tuple[str, Path]] = {}
    downs: dict[int, Path] = {}
    for path in sorted(directory.glob("*.sql")):
        m = _FILE.match(path.name)
        if not m:
            continue
        version = int(m.group(1))
        if m.group(3) == "up":
            if version in ups:
                raise ValueError(f"two up migrations numbered {version:04d}")
            ups[version] = (m.group(2), path)
        else:
            downs[version] = path
    return [Migration(v, n, p, downs.get(v)) for v, (n, p) in sorted(ups.items())]


_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


class Migrator:
    def __init__(self, conninfo: str, directory: Path | None = None) -> None:
        self.conninfo = conninfo
        self.migrations = discover(directory)

    @property
    def head(self) -> int:
        return max((m.version for m in self.migrations), default=0)

    async def _connect(self) -> psycopg.AsyncConnection[tuple[object, ...]]:
        with wrap_exceptions():
            conn = await psycopg.AsyncConnection.connect(
                self.conninfo, autocommit=True, application_name="stack-cfo-migrate"
            )
            # Migrations span users: the system scope (row-level security, migration 0011). It
            # matters for a table owner that is no superuser: FORCE ROW LEVEL SECURITY shows it
            # rows only in this scope.
            await conn.execute("SELECT set_config('stack_cfo.scope', 'system', false)")
            return conn

    @staticmethod
    async def _applied(conn: psycopg.AsyncConnection[tuple[object, ...]]) -> list[int]:
        await conn.execute(_BOOKKEEPING)
        cur = await conn.execute("SELECT version FROM schema_migrations ORDER BY version")
        return [int(row[0]) for row in await cur.fetchall()]  # type: ignore[call-overload]

    async def status(self) -> MigrationStatus:
        conn = await self._connect()
        try:
            with wrap_exceptions():
                exists = await (await conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")).fetchone()
                applied: list[int] = []
                if exists and exists[0]:
                    cur = await conn.execute("SELECT version FROM schema_migrations ORDER BY version")
                    applied = [int(r[0]) for r in await cur.fetchall()]  # type: ignore[call-overload]
        finally:
            await conn.close()
        pending = [m for m in self.migrations if m.version not in applied]
        return MigrationStatus(applied=applied, pending=pending, head=self.head)

    async def up(self, target: int | None = None) -> list[int]:
        """Apply pending migrations up to ``target`` (default head); returns versions applied."""
        done: list[int] = []
        conn = await self._connect()
        try:
            with wrap_exceptions():
                await conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
                try:
                    applied = set(await self._applied(conn))
                    for m in self.migrations:
                        if m.version in applied or (target is not None and m.version > target):
                            continue
                        async with conn.transaction():
                            await conn.execute(m.up_sql)  # type: ignore[arg-type]
                            await conn.execute(
                                "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                                (m.version, m.name, m.checksum),
                            )
                        log.info("migration applied", extra={"version": m.version, "migration": m.name})
                        done.append(m.version)
                finally:
                    await conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
        finally:
            await conn.close()
        return done

    async def down(self, steps: int = 1, target: int | None = None) -> list[int]:
        """Revert the latest ``steps`` migrations, or everything above ``target``."""
        if steps < 1 and target is None:
            raise ValueError(f"steps must be at least 1, got {steps}")  # applied[:-1] would revert all but one
        done: list[int] = []
        by_version = {m.version: m for m in self.migrations}
        conn = await self._connect()
        try:
            with wrap_exceptions():
                await conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
                try:
                    applied = sorted(await self._applied(conn), reverse=True)
                    victims = [v for v in applied if v > target] if target is not None else applied[:steps]
                    for v in victims:
                        m = by_version.get(v)
                        if m is None or m.down_path is None:
                            raise FailedPrecondition(
                                f"migration {v:04d} has no down file",
                                reason="MIGRATION_NOT_REVERSIBLE",
                                metadata={"version": v},
                            )
                        async with conn.transaction():
                            await conn.execute(m.down_path.read_text("utf-8"))  # type: ignore[arg-type]
                            await conn.execute("DELETE FROM schema_migrations WHERE version = %s", (v,))
                        log.info("migration reverted", extra={"version": v, "migration": m.name})
                        done.append(v)
                finally:
                    await conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
        finally:
            await conn.close()
        return done
