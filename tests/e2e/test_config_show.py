"""``stack-cfo config show`` as a real process: every key's effective value and where it came
from, secrets redacted; a bad value exits 2 naming the key."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.proc import cli_env, finish, start_cli
from tests.support.secrets import JWT_SECRET, SMTP_PASSWORD, ZEROG_PRIVATE_KEY


def rows(out: str) -> dict[str, list[str]]:
    """KEY -> [VALUE, SOURCE] (columns are separated by two or more spaces)."""
    return {cols[0]: cols[1:] for cols in (re.split(r"\s{2,}", line) for line in out.splitlines()[1:])}


def test_config_show_prints_values_and_their_sources_without_secrets(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("scheduler:\n  batch_size: 20\nnotifications:\n  smtp:\n    host: mail.example\n")
    key_file = tmp_path / "wallet-key"
    key_file.write_text(ZEROG_PRIVATE_KEY + "\n")
    env = cli_env(
        {
            "STACK_CFO_CONFIG": str(config),
            "SMTP_PASSWORD": SMTP_PASSWORD,
            "ZEROG_COMPUTE_PRIVATE_KEY_FILE": str(key_file),
            "SCHEDULER_CONCURRENCY_LIMIT": "4",
        }
    )
    rc, out, err = finish(start_cli(["config", "show"], env), "stack-cfo config show")
    assert rc == 0, err
    for secret in (SMTP_PASSWORD, ZEROG_PRIVATE_KEY, ZEROG_PRIVATE_KEY[2:], JWT_SECRET):
        assert secret not in out and secret not in err
    table = rows(out)
    assert table["scheduler.batch_size"] == ["20", f"file {config}"]
    assert table["scheduler.concurrency_limit"] == ["4", "environment SCHEDULER_CONCURRENCY_LIMIT"]
    assert table["notifications.smtp.password"] == ["***", "environment SMTP_PASSWORD"]
    assert table["zerog.compute.private_key"] == ["***", "environment ZEROG_COMPUTE_PRIVATE_KEY_FILE"]
    assert table["server.drain_delay"] == ["5s", "default"]
    assert table["scheduler.daily_news_time"] == ["0 8 * * *", "default"]
    assert table["notifications.smtp.host"] == ["mail.example", f"file {config}"]


def test_config_show_exits_2_on_a_bad_value() -> None:
    """It still prints what it read (the bad value marked), then the error, and exits 2."""
    rc, out, err = finish(start_cli(["config", "show"], cli_env({"SCHEDULER_BATCH_SIZE": "many"})), "config show bad")
    assert rc == 2
    assert rows(out)["scheduler.batch_size"] == ["many", "environment SCHEDULER_BATCH_SIZE (invalid)"]
    assert err.strip().splitlines() == [
        "stack-cfo: invalid configuration: SCHEDULER_BATCH_SIZE (scheduler.batch_size): must be an integer, got 'many'"
    ]
