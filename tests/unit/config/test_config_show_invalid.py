"""``stack-cfo config show`` with a configuration that does not validate: it printed only the
first error (``auth.issuer: is required ...``), though it is the command an operator runs to
find exactly that mistake. It now prints every key it read with its source (secrets masked,
the keys in error marked), then every error on stderr, and still exits 2."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from stack_cfo.cli import main
from stack_cfo.config import Config, ConfigError, build_config
from stack_cfo.config.tree import keys
from tests.support.secrets import JWT_SECRET, SMTP_PASSWORD


def rows(out: str) -> dict[str, list[str]]:
    """KEY -> [VALUE, SOURCE] (columns are separated by two or more spaces)."""
    return {cols[0]: cols[1:] for cols in (re.split(r"\s{2,}", line) for line in out.splitlines()[1:])}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No configuration variable of the test process leaks into the command."""
    monkeypatch.delenv("STACK_CFO_CONFIG", raising=False)
    for key in keys(Config):
        for var in (*key.env, key.fallback_env):
            if var:
                monkeypatch.delenv(var, raising=False)
                monkeypatch.delenv(f"{var}_FILE", raising=False)
    return monkeypatch


def test_config_show_prints_what_it_read_then_every_error(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "server:\n  wrokers: 4\nscheduler:\n  batch_size: 20\n"
        f"notifications:\n  smtp:\n    host: mail.example\n    password: {SMTP_PASSWORD}\n"
    )
    clean_env.setenv("STACK_CFO_JWT_SECRET", JWT_SECRET)  # without STACK_CFO_JWT_ISSUER: invalid
    clean_env.setenv("STACK_CFO_DRAIN_DELAY", "3x")
    clean_env.setenv("SCHEDULER_CONCURRENCY_LIMIT", "4")
    clean_env.setenv("SCHEDULER_RECEIPT_RETENTION", "365d")

    assert main(["--config", str(config), "config", "show"]) == 2
    out, err = capsys.readouterr()
    for secret in (JWT_SECRET, SMTP_PASSWORD):
        assert secret not in out and secret not in err
    table = rows(out)
    assert out.splitlines()[0].split() == ["KEY", "VALUE", "SOURCE"]
    assert len(table) == len(list(keys(Config))) + 1  # every key, and the unknown one
    assert table["auth.jwt_secret"] == ["***", "environment STACK_CFO_JWT_SECRET"]
    assert table["auth.issuer"] == ["-", "default (invalid)"]
    assert table["server.drain_delay"] == ["3x", "environment STACK_CFO_DRAIN_DELAY (invalid)"]
    assert table["scheduler.concurrency_limit"] == ["4", "environment SCHEDULER_CONCURRENCY_LIMIT"]
    assert table["scheduler.receipt_retention"] == ["365d", "environment SCHEDULER_RECEIPT_RETENTION"]
    assert table["scheduler.batch_size"] == ["20", f"file {config}"]
    assert table["notifications.smtp.host"] == ["mail.example", f"file {config}"]
    assert table["notifications.smtp.password"] == ["***", f"file {config}"]
    assert table["scheduler.daily_news_time"] == ["0 8 * * *", "default"]
    assert table["server.wrokers"] == ["(unknown key: ignored)", "file"]
    assert sorted(err.strip().splitlines()) == [
        "stack-cfo: invalid configuration: STACK_CFO_DRAIN_DELAY (server.drain_delay): "
        "must be a duration such as 30s, 1m30s, 250ms or 14d, got '3x'",
        "stack-cfo: invalid configuration: auth.issuer: is required (set STACK_CFO_JWT_ISSUER) when a JWT "
        "secret, public key or JWKS URL is configured",
    ]


def test_the_sre_report_prints_the_table_and_the_error(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    clean_env.setenv("STACK_CFO_DATA_DIR", str(tmp_path / "data"))
    clean_env.setenv("STACK_CFO_JWT_SECRET", "supersecretvalue123-of-32-bytes-or-more")
    assert main(["config", "show"]) == 2
    out, err = capsys.readouterr()
    table = rows(out)
    assert table["database.data_dir"] == [str(tmp_path / "data"), "environment STACK_CFO_DATA_DIR"]
    assert table["auth.jwt_secret"] == ["***", "environment STACK_CFO_JWT_SECRET"]
    assert "supersecretvalue123-of-32-bytes-or-more" not in out + err
    assert err.startswith("stack-cfo: invalid configuration: auth.issuer: is required")


def test_other_commands_still_say_only_the_first_error(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("SCHEDULER_BATCH_SIZE", "many")
    clean_env.setenv("STACK_CFO_DRAIN_DELAY", "3x")
    assert main(["token", "--user", str(uuid.uuid4())]) == 2
    out, err = capsys.readouterr()
    assert not out
    assert err.splitlines() == [
        "stack-cfo: invalid configuration: STACK_CFO_DRAIN_DELAY (server.drain_delay): "
        "must be a duration such as 30s, 1m30s, 250ms or 14d, got '3x'"
    ]


def test_a_config_file_that_cannot_be_read_is_still_one_line(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing was read, so there is no table: the one line names ``--config``."""
    assert main(["--config", str(tmp_path / "missing.yaml"), "config", "show"]) == 2
    out, err = capsys.readouterr()
    assert not out and err.startswith("stack-cfo: invalid configuration: --config: config file ")


def test_the_error_carries_every_problem_and_what_was_read() -> None:
    from stack_cfo.config.errors import InvalidConfig

    with pytest.raises(InvalidConfig) as info:
        build_config(
            {"scheduler": {"batch_size": "many"}, "server": {"workers": 2}},
            {"STACK_CFO_DRAIN_DELAY": "3x", "STACK_CFO_JWT_SECRET": JWT_SECRET},
        )
    exc = info.value
    assert isinstance(exc, ConfigError)
    assert (exc.key, exc.problem) == (exc.errors[0].key, exc.errors[0].problem)  # the first, as before
    assert {e.key for e in exc.errors} == {
        "STACK_CFO_DRAIN_DELAY (server.drain_delay)",
        "scheduler.batch_size",
        "auth.issuer",
    }
    assert exc.invalid == {"server.drain_delay", "scheduler.batch_size", "auth.issuer"}
    assert exc.read["scheduler.batch_size"] == "many" and exc.read["server.workers"] == 2
    assert exc.read["server.drain_delay"] == "3x"
    assert exc.sources["server.drain_delay"] == "environment STACK_CFO_DRAIN_DELAY"
    assert "auth.issuer" not in exc.read
