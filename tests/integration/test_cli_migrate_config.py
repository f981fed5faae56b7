"""``stack-cfo migrate`` needs the database settings only. A migration job given DATABASE_URL and the shared
JWT secret, but not the issuer the server needs with it, exited 2 "auth.issuer: is required" (an SRE's
finding); a bad database setting still stops it, and ``serve`` still checks everything."""

from __future__ import annotations

import pytest

from stack_cfo.cli import main

SECRET_WITHOUT_ISSUER = {"STACK_CFO_JWT_SECRET": "a-shared-secret-of-the-deployment-0123456789"}


pytestmark = pytest.mark.usefixtures("root_logging_restored")


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str],
         *argv: str) -> tuple[int, str, str]:
    for key in ("STACK_CFO_JWT_ISSUER", "STACK_CFO_JWT_AUDIENCE", "STACK_CFO_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_migrate_runs_without_the_settings_it_does_not_use(
    empty_db_dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"DATABASE_URL": empty_db_dsn, "SMTP_PORT": "not-a-port", **SECRET_WITHOUT_ISSUER}
    code, out, err = _run(monkeypatch, capsys, env, "migrate", "up")
    assert code == 0, err
    assert "applied:" in out
    code, out, err = _run(monkeypatch, capsys, env, "migrate", "status")
    assert code == 0 and "at_head: True" in out, err


def test_a_bad_database_setting_still_stops_migrate(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"DATABASE_URL": "not-a-url", **SECRET_WITHOUT_ISSUER}
    code, _out, err = _run(monkeypatch, capsys, env, "migrate", "status")
    assert code == 2 and "DATABASE_URL (database.url)" in err


def test_other_commands_still_check_everything(
    empty_db_dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"DATABASE_URL": empty_db_dsn, **SECRET_WITHOUT_ISSUER}
    code, _out, err = _run(monkeypatch, capsys, env, "token", "--service", "ops")
    assert code == 2 and "auth.issuer: is required" in err
