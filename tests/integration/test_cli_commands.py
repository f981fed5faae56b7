"""The one-shot commands. ``stack-cfo migrate`` and ``token`` refuse arguments that would do something other than asked
(``down --steps -1`` reverted all but one migration), and a database it cannot reach is one line
on stderr and exit status 1, not a traceback; ``import-transactions`` says what is wrong with a
file that is not text or a database never migrated."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

import pytest

from stack_cfo.cli import main
from stack_cfo.store.migrations import Migrator

pytestmark = pytest.mark.usefixtures("root_logging_restored")


def _run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, dsn: str | None,
         *argv: str) -> tuple[int, str]:
    """``main(argv)``'s exit status and stderr (``dsn`` None: no DATABASE_URL). A command refused
    by the checks under test prints nothing on stdout."""
    if dsn is None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DATABASE_URL", dsn)
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own refusals
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    if code:
        assert captured.out == "", captured.out
    return code, captured.err


@pytest.mark.parametrize("argv, said", [
    (("migrate", "down", "--steps", "-1"), "--steps: must be at least 1, got -1"),
    (("migrate", "down", "--steps", "0"), "--steps: must be at least 1, got 0"),
    (("migrate", "down", "--steps", "\uff13"), "not a whole number"),
    (("migrate", "up", "--target", "9999"), "--target 9999 is not a migration"),
    (("migrate", "down", "--target", "9999"), "--target 9999 is not a migration"),
    (("migrate", "up", "--target", "0"), "--target 0 is for 'down'"),
    (("migrate", "up", "--steps", "2"), "--steps is for 'down' only"),
    (("migrate", "down", "--steps", "1", "--target", "1"), "not both"),
])
async def test_bad_migrate_arguments_change_nothing(
    argv: tuple[str, ...], said: str, empty_db_dsn: str,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    m = Migrator(empty_db_dsn)
    applied = await m.up()
    code, err = await _in_thread(capsys, monkeypatch, empty_db_dsn, *argv)
    assert code == 2 and said in err
    assert (await m.status()).applied == applied  # nothing reverted, nothing applied


async def test_down_steps_and_target(empty_db_dsn: str, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    m = Migrator(empty_db_dsn)
    applied = await m.up()
    code, _ = await _in_thread(capsys, monkeypatch, empty_db_dsn, "migrate", "down", "--steps", "2")
    assert code == 0
    assert (await m.status()).applied == applied[:-2]
    code, _ = await _in_thread(capsys, monkeypatch, empty_db_dsn, "migrate", "down", "--target", "0")
    assert code == 0
    assert (await m.status()).applied == []
    with pytest.raises(ValueError, match="steps must be at least 1"):
        await m.down(steps=-1)


async def test_unreachable_database_is_one_line(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.proc import free_port

    dsn = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing?connect_timeout=2"
    code, err = await _in_thread(capsys, monkeypatch, dsn, "migrate", "status")
    assert code == 1
    assert err.startswith("stack-cfo migrate: database unavailable (DATABASE_UNAVAILABLE): ")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv, said", [
    (("token", "--service", "backend", "--ttl", "-5"), "--ttl: must be at least 1"),
    (("token", "--service", "backend", "--ttl", "999999999"), "--ttl: must be at most"),
    (("token", "--service", "a b"), "--service must be 1 to 64 ASCII letters"),
    (("token", "--service", ""), "--service must be 1 to 64 ASCII letters"),
])
def test_bad_token_arguments(argv: tuple[str, ...], said: str, tmp_path: object,
                             capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STACK_CFO_DATA_DIR", str(tmp_path))  # the local secret `make run` uses
    code, err = _run(capsys, monkeypatch, None, *argv)  # no token on stdout
    assert code == 2 and said in err


async def _in_thread(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, dsn: str,
                     *argv: str) -> tuple[int, str]:
    """``main`` runs its own event loop (``asyncio.run``): call it off this test's loop."""
    import asyncio

    return await asyncio.to_thread(_run, capsys, monkeypatch, dsn, *argv)


async def test_import_into_a_database_never_migrated_says_so_at_once(
    empty_db_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """It used to wait 30 s for a pool that could not open (the role comes with the migrations)."""
    monkeypatch.setenv("STACK_CFO_ARCHIVE_MASTER_KEYS", "k1:" + base64.b64encode(bytes(32)).decode())
    f = tmp_path / "t.csv"
    f.write_text("date,type,symbol,quantity,price,currency\n2024-01-02,BUY,AAPL,1,100,USD\n")
    code, err = await _in_thread(capsys, monkeypatch, empty_db_dsn, "import-transactions",
                                 "--user", str(uuid.uuid4()), str(f))
    assert code == 1
    assert "schema is at migration 0000" in err and "SCHEMA_NOT_AT_HEAD" in err and "migrate up" in err


def test_import_of_a_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "t.csv"
    f.write_bytes(b"date,type\n\xd4\xff\x00")
    code, err = _run(capsys, monkeypatch, "postgresql://postgres@127.0.0.1:1/unused",
                     "import-transactions", "--user", str(uuid.uuid4()), str(f))
    assert code == 2 and "not UTF-8 text (byte 10)" in err and "Traceback" not in err


@pytest.mark.parametrize("argv, said", [
    (("serve", "--workers", "100000"), "--workers: must be at most 256"),  # it spawned until memory ran out
    (("--config", "/nonexistent/stack-cfo.yaml", "config", "show"), "--config: config file"),  # not STACK_CFO_CONFIG
    (("notifications", "requeue-dead", "--id", "99999999999999999999"), "--id: must be at most"),  # was a traceback
])
def test_bad_operator_arguments_are_one_line(argv: tuple[str, ...], said: str, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    code, err = _run(capsys, monkeypatch, "postgresql://postgres@127.0.0.1:1/unused", *argv)
    assert code == 2 and said in err and "Traceback" not in err, err


def test_version_and_a_directory_to_import(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    code, _ = _run(capsys, monkeypatch, None, "--version")
    assert code == 0
    code, err = _run(capsys, monkeypatch, "postgresql://postgres@127.0.0.1:1/unused",
                     "import-transactions", "--user", str(uuid.uuid4()), str(tmp_path))
    assert code == 2 and "is a directory" in err


async def test_requeue_dead_says_when_nothing_matched(db_dsn: str, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STACK_CFO_ARCHIVE_MASTER_KEYS", "k1:" + base64.b64encode(bytes(32)).decode())
    code, err = await _in_thread(capsys, monkeypatch, db_dsn, "notifications", "requeue-dead", "--id", "987654321")
    assert code == 0 and "no dead letter (status DEAD) matched (ids 987654321)" in err, err


def test_a_database_that_accepts_and_never_answers_is_one_line_not_a_hang(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A black-holed database (the TCP connection is accepted, nothing answers): the connection times
    out (connect_timeout: the URL's, else 10 s) and migrate says so in one line, instead of waiting for ever."""
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        started = time.monotonic()
        code, err = _run(capsys, monkeypatch, f"postgresql://u:pw@127.0.0.1:{port}/db?connect_timeout=2",
                         "migrate", "status")
        assert code == 1 and "DATABASE_UNAVAILABLE" in err and "timeout" in err and "Traceback" not in err, err
        assert time.monotonic() - started < 15
    finally:
        listener.close()


def test_a_data_dir_that_is_a_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    monkeypatch.setenv("STACK_CFO_DATA_DIR", str(afile))
    code, err = _run(capsys, monkeypatch, None, "token", "--user", str(uuid.uuid4()))
    assert code == 1 and str(afile) in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
