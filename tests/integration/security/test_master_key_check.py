"""A master key configured under the right id with the wrong bytes is refused before anything is
wrapped with it: ``serve``, ``scheduler``, ``import-transactions`` and ``keys rotate`` exit 2 naming
the key id (they used to start, wrap new users' data keys with the wrong bytes, lost for good once
the right key was back, and ``keys rotate`` printed ``rewrapped=0`` and exited 0). A process that
could not check at start-up (the database did not answer) refuses to store a new data key instead.
And the master-key configuration is checked before connecting: ``import-transactions`` with an
unreachable external database and no key exits 2 naming it, not 1 (``DATABASE_UNAVAILABLE``)."""

from __future__ import annotations

import asyncio
import base64
import os
import uuid
from pathlib import Path

import psycopg
import pytest

from stack_cfo.core.archive import ArchiveKeyMismatch
from stack_cfo.core.data_scope import user_scope
from stack_cfo.store.db import Database, PoolSettings
from tests.support.proc import cli_env, finish, free_port, start_cli, stop, wait_ready

RIGHT = "k1:" + base64.b64encode(os.urandom(32)).decode()
WRONG = "k1:" + base64.b64encode(os.urandom(32)).decode()  # the same id, other bytes
NEW = "k2:" + base64.b64encode(os.urandom(32)).decode()
REFUSED = "master key 'k1' does not unwrap the data keys stored under that id"


async def _data_key(dsn: str, user: str, keys: str) -> int | None:
    """The user's data key (created when missing, wrapped under the primary of ``keys``): its version."""
    from stack_cfo.crypto.envelope import MasterKeys
    from stack_cfo.crypto.fields import FieldSealer
    from stack_cfo.store.archive_keys import PgKeyRing

    db = Database(dsn, PoolSettings(min_size=1, max_size=1, timeout=5.0))
    await db.open()
    try:
        with user_scope(user):
            return (await FieldSealer(PgKeyRing(db), MasterKeys.from_config(keys)).cipher(user, create=True)).version
    finally:
        await db.close()


def _keys(dsn: str) -> list[tuple[str, int, str, bytes]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT user_id::text, version, kek_id, wrapped_dek FROM archive_data_keys "
                            "WHERE destroyed_at IS NULL ORDER BY user_id").fetchall()
    return [(str(u), int(v), str(k), bytes(w)) for u, v, k, w in rows]


def _env(dsn: str, data_dir: Path, keys: str, **extra: str) -> dict[str, str]:
    return cli_env({"DATABASE_URL": dsn, "STACK_CFO_DATA_DIR": str(data_dir), "STACK_CFO_METRICS_LISTEN": "off",
                    "STACK_CFO_ARCHIVE_MASTER_KEYS": keys, **extra})


def _exit(argv: list[str], env: dict[str, str], label: str) -> tuple[int, str, str]:
    """The command's exit status and output; one that keeps running (a refusal that did not come)
    is stopped and fails the test."""
    import subprocess

    proc = start_cli(argv, env)
    try:
        return finish(proc, label, 60)
    except subprocess.TimeoutExpired:
        stop(proc, f"{label} (still running)")
        raise AssertionError(f"{label}: still running after 60 s") from None


def _one_line_naming_k1(rc: int, err: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    refusals = [line for line in lines if REFUSED in line]
    assert rc == 2, err
    assert len(refusals) == 1 and refusals[0].startswith("stack-cfo: invalid configuration: "), err
    assert "STACK_CFO_ARCHIVE_MASTER_KEYS" in refusals[0] and "Traceback" not in err, err


async def test_a_master_key_with_the_wrong_bytes_stops_every_process_before_it_wraps_anything(
    db_dsn: str, tmp_path: Path
) -> None:
    alice = str(uuid.uuid4())
    await _data_key(db_dsn, alice, RIGHT)  # alice's data key, wrapped under k1
    before = _keys(db_dsn)
    assert [(u, k) for u, _, k, _ in before] == [(alice, "k1")]

    # serve and scheduler refuse to start once the database answers (never ready): exit 2, one line naming k1
    for command in ("serve", "scheduler"):
        env = _env(db_dsn, tmp_path, WRONG, STACK_CFO_DRAIN_DELAY="0s", STACK_CFO_LISTEN=f"127.0.0.1:{free_port()}")
        rc, _, err = await asyncio.to_thread(_exit, [command], env, f"{command} with the wrong bytes for k1")
        _one_line_naming_k1(rc, err)

    # an import for a new user would wrap the user's new data key under k1 with the wrong bytes
    csv = tmp_path / "t.csv"
    csv.write_text("date,type,symbol,quantity,price,amount,currency,fees,split_ratio,id,note\n"
                   "2024-01-02,DEPOSIT,,,,100,USD,,,n1,\n")
    bob = str(uuid.uuid4())
    rc, out, err = await asyncio.to_thread(
        _exit, ["import-transactions", "--user", bob, str(csv)], _env(db_dsn, tmp_path, WRONG),
        "import with the wrong bytes for k1")
    _one_line_naming_k1(rc, err)
    assert out == ""

    # keys rotate would re-wrap under the primary with what k1 "unwraps": refused before it starts
    for keys in (WRONG, f"{NEW},{WRONG}"):
        rc, out, err = await asyncio.to_thread(_exit, ["keys", "rotate"], _env(db_dsn, tmp_path, keys),
                                               "keys rotate with the wrong bytes for k1")
        _one_line_naming_k1(rc, err)
        assert "rewrapped" not in out

    assert _keys(db_dsn) == before  # nothing wrapped, nothing re-wrapped

    # the right key: everything works (a new user's key, then the rotation, then serving)
    rc, out, err = await asyncio.to_thread(
        _exit, ["import-transactions", "--user", bob, str(csv)], _env(db_dsn, tmp_path, RIGHT),
        "import with the right k1")
    assert rc == 0 and "imported: 1 recorded" in out, err
    rc, out, err = await asyncio.to_thread(_exit, ["keys", "rotate"], _env(db_dsn, tmp_path, f"{NEW},{RIGHT}"),
                                           "keys rotate")
    assert rc == 0 and "rewrapped=2" in out and "live:k2=2" in out, err
    assert {k for _, _, k, _ in _keys(db_dsn)} == {"k2"}
    assert await _data_key(db_dsn, alice, NEW) == 1  # alice's key opens with the new key alone
    port = free_port()
    serve = start_cli(["serve"], _env(db_dsn, tmp_path, NEW, STACK_CFO_LISTEN=f"127.0.0.1:{port}",
                                      STACK_CFO_DRAIN_DELAY="0s"))
    try:
        await wait_ready(f"127.0.0.1:{port}")
    finally:
        rc, _, err = await asyncio.to_thread(stop, serve, "serve with the new key")
    assert rc == 0, err


async def test_a_process_that_could_not_check_at_start_stores_no_data_key_wrapped_with_the_wrong_bytes(
    db_dsn: str, tmp_path: Path
) -> None:
    """The start-up check needs the database; a process started while it did not answer checks
    before it stores its first new data key (the key ring the server, scheduler and import build)."""
    from stack_cfo.config import build_config
    from stack_cfo.wiring.archive import build_field_sealer

    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    await _data_key(db_dsn, alice, RIGHT)
    before = _keys(db_dsn)
    db = Database(db_dsn, PoolSettings(min_size=1, max_size=2, timeout=5.0))
    await db.open()
    try:
        for keys, works in ((WRONG, False), (RIGHT, True)):
            config = build_config({"database": {"url": db_dsn, "data_dir": str(tmp_path)},
                                   "archive": {"master_keys": keys}})
            sealer, listener = build_field_sealer(config, db)
            try:
                with user_scope(bob):
                    if works:
                        assert (await sealer.cipher(bob, create=True)).version == 1
                    else:
                        with pytest.raises(ArchiveKeyMismatch, match=REFUSED):
                            await sealer.cipher(bob, create=True)
                        assert _keys(db_dsn) == before
            finally:
                await listener.aclose()
    finally:
        await db.close()
    assert {u for u, _, _, _ in _keys(db_dsn)} == {alice, bob}



@pytest.mark.usefixtures("root_logging_restored")
def test_import_with_an_unreachable_external_database_and_no_master_key_names_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from stack_cfo.cli import main

    csv = tmp_path / "t.csv"
    csv.write_text("date,type,symbol,quantity,price,currency\n2024-01-02,BUY,AAPL,1,100,USD\n")
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/nothing?connect_timeout=2")
    monkeypatch.setenv("STACK_CFO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("STACK_CFO_ARCHIVE_MASTER_KEYS", raising=False)
    monkeypatch.delenv("STACK_CFO_ARCHIVE_MASTER_KEYS_FILE", raising=False)
    code = main(["import-transactions", "--user", str(uuid.uuid4()), str(csv)])
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert code == 2, captured.err
    assert len(lines) == 1 and "archive.master_keys" in lines[0] and "STACK_CFO_ARCHIVE_MASTER_KEYS" in lines[0], lines
    assert "DATABASE_UNAVAILABLE" not in captured.err and captured.out == ""
    assert not (tmp_path / "archive-master-key").exists()  # an external database never generates one
