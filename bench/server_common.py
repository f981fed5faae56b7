"""What every bench that starts ``stack-cfo serve`` needs: production-mode auth settings (a
configured secret needs an issuer and an audience), archive master keys (required with an
external database), a free health port, and tokens those servers accept."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stack_cfo.api.auth import mint_token  # noqa: E402
from stack_cfo.config import AuthConfig  # noqa: E402
from stack_cfo.secret import Secret  # noqa: E402
from stack_cfo.store.migrations import Migrator  # noqa: E402

JWT_SECRET = "bench-secret-" + "x" * 32
ISSUER = "https://issuer.bench.local"
AUDIENCE = "stack-cfo-bench"
ARCHIVE_MASTER_KEYS = "bench1:" + "7a" * 32
AUTH = AuthConfig(jwt_secret=Secret(JWT_SECRET), issuer=ISSUER, audience=AUDIENCE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env() -> dict[str, str]:
    """Environment variables for a bench server (add DATABASE_URL, STACK_CFO_LISTEN...)."""
    return {
        "STACK_CFO_JWT_SECRET": JWT_SECRET,
        "STACK_CFO_JWT_ISSUER": ISSUER,
        "STACK_CFO_JWT_AUDIENCE": AUDIENCE,
        "STACK_CFO_ARCHIVE_MASTER_KEYS": ARCHIVE_MASTER_KEYS,
        "STACK_CFO_HEALTH_LISTEN": f"127.0.0.1:{free_port()}",
    }


def server_config() -> dict[str, object]:
    """The same as a config.yaml tree (merge into the bench's own)."""
    return {
        "auth": {"jwt_secret": JWT_SECRET, "issuer": ISSUER, "audience": AUDIENCE},
        "archive": {"master_keys": ARCHIVE_MASTER_KEYS},
        "server": {"health_listen": f"127.0.0.1:{free_port()}"},
    }


def bearer(user: str | None = None, service: str | None = None, ttl: int = 7200) -> tuple[tuple[str, str], ...]:
    return (("authorization", "Bearer " + mint_token(Secret(JWT_SECRET), user_id=user, service=service,
                                                      ttl_seconds=ttl, cfg=AUTH)),)


@contextlib.contextmanager
def bench_database(label: str = "bench", *, source: Path | None = None) -> Iterator[tuple[str, str]]:
    """(dsn of a fresh migrated database, temporary directory); both removed afterwards.
    The database is created on ``DATABASE_URL``'s server, else on an embedded one. ``source``: a
    checkout of other code (an earlier commit) whose own ``stack-cfo migrate up`` builds the schema."""
    admin = os.environ.get("DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix=f"stack-cfo-{label}-") as tmp:
        handle = None
        if not admin:
            from stack_cfo.store.embedded import start_embedded

            admin, handle = start_embedded(tmp)
        name = f"stackcfo_{label}_{os.getpid()}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        dsn = make_conninfo(admin, dbname=name)
        try:
            if source is None:
                asyncio.run(Migrator(dsn).up())
            else:
                env = {k: v for k, v in os.environ.items() if k != "STACK_CFO_CONFIG"} | {"DATABASE_URL": dsn}
                subprocess.run([sys.executable, "-m", "stack_cfo.cli", "migrate", "up"], cwd=source, env=env,
                               check=True, stdout=subprocess.DEVNULL)
            yield dsn, tmp
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            if handle is not None:
                handle.cleanup()


def backend_cpu_seconds(dsn: str) -> dict[int, float]:
    """CPU seconds (user + system) of every PostgreSQL backend connected to ``dsn``'s database
    except this call's own, by pid, read from ``/proc``: the database must run on this machine
    (the benches' local or embedded server does). Backends whose ``/proc`` entry cannot be read
    are left out."""
    tick = os.sysconf("SC_CLK_TCK")
    with psycopg.connect(dsn, autocommit=True) as conn:
        pids = [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()]
    out: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def backend_cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """Database CPU spent between two :func:`backend_cpu_seconds` readings (a backend that connected
    in between counts whole; one that left in between is lost, so pools should outlive the run)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
