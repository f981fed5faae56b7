"""Where configuration values come from: environment > file > defaults, the environment names
that work today, ``<VAR>_FILE`` for secrets, ``${VAR}`` expansion, and errors that name the key
the operator set without ever printing a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from stack_cfo.config import Config, ConfigError, build_config, load_config
from stack_cfo.config.tree import keys
from tests.support.secrets import JWT_SECRET, SMTP_PASSWORD, ZEROG_API_KEY, ZEROG_PRIVATE_KEY

#: Every variable the hand-written readers understood, and the key it sets (the public surface).
ENV_NAMES = {
    "STACK_CFO_LISTEN": "server.listen",
    "STACK_CFO_METRICS_LISTEN": "server.metrics_listen",
    "STACK_CFO_DRAIN_DELAY": "server.drain_delay",
    "STACK_CFO_SHUTDOWN_GRACE": "server.shutdown_grace",
    "STACK_CFO_LOG_LEVEL": "logging.level",
    "DATABASE_URL": "database.url",
    "STACK_CFO_DATA_DIR": "database.data_dir",
    "STACK_CFO_DB_POOL_MAX": "database.pool_max_size",
    "STACK_CFO_JWT_SECRET": "auth.jwt_secret",
    "STACK_CFO_JWT_PUBLIC_KEY_FILE": "auth.jwt_public_key_file",
    "STACK_CFO_JWT_ISSUER": "auth.issuer",
    "STACK_CFO_JWT_AUDIENCE": "auth.audience",
    "ZEROG_COMPUTE_BROKER_ENDPOINT": "zerog.compute.broker_endpoint",
    "ZEROG_COMPUTE_API_KEY": "zerog.compute.api_key",
    "ZEROG_COMPUTE_PRIVATE_KEY": "zerog.compute.private_key",
    "ZEROG_COMPUTE_PROVIDER_ID": "zerog.compute.provider_id",
    "ZEROG_COMPUTE_PROVIDER_URL": "zerog.compute.provider_url",
    "ZEROG_COMPUTE_DEFAULT_MODEL": "zerog.compute.model_config.default_model",
    "ZEROG_COMPUTE_CHAIN_RPC_URL": "zerog.compute.chain_rpc_url",
    "ZEROG_COMPUTE_NETWORK": "zerog.compute.network",
    "ZEROG_COMPUTE_MODE": "zerog.compute.mode",
    "ZEROG_STORAGE_RPC_ENDPOINT": "zerog.storage.rpc_endpoint",
    "ZEROG_STORAGE_PRIVATE_KEY": "zerog.storage.private_key",
    "ZEROG_STORAGE_INDEXER_URL": "zerog.storage.indexer_url",
    "ZEROG_STORAGE_BACKEND": "archive.backend",
    "STACK_CFO_ARCHIVE_MASTER_KEYS": "archive.master_keys",
    "SCHEDULER_ENABLED": "scheduler.enabled",
    "SCHEDULER_DAILY_DIGEST_TIME": "scheduler.daily_news_time",
    "SCHEDULER_WEEKLY_SUMMARY_TIME": "scheduler.weekly_summary_time",
    "SCHEDULER_PERFORMANCE_ALERT_TIME": "scheduler.performance_alert_time",
    "SCHEDULER_BATCH_SIZE": "scheduler.batch_size",
    "SCHEDULER_CONCURRENCY_LIMIT": "scheduler.concurrency_limit",
    "SCHEDULER_METRICS_LISTEN": "scheduler.metrics_listen",
    "SCHEDULER_RETRY_BASE": "scheduler.retry_base",
    "SCHEDULER_RETRY_CAP": "scheduler.retry_cap",
    "SCHEDULER_MAX_ATTEMPTS": "scheduler.max_attempts",
    "SCHEDULER_DIGEST_GRACE": "scheduler.digest_grace",
    "SCHEDULER_WEEKLY_GRACE": "scheduler.weekly_grace",
    "SCHEDULER_ALERT_GRACE": "scheduler.alert_grace",
    "SCHEDULER_AUDIT_HORIZON": "scheduler.audit_horizon",
    "SCHEDULER_LEASE": "scheduler.lease",
    "SCHEDULER_TICK_INTERVAL": "scheduler.tick_interval",
    "SCHEDULER_POLL_INTERVAL": "scheduler.poll_interval",
    "SCHEDULER_HEARTBEAT_INTERVAL": "scheduler.heartbeat_interval",
    "SCHEDULER_SHUTDOWN_GRACE": "scheduler.shutdown_grace",
    "SCHEDULER_DIGEST_NEWS_ITEMS": "scheduler.digest_news_items",
    "SCHEDULER_REPLICA_ID": "scheduler.replica_id",
    "NEWS_FEED_URLS": "scheduler.news_feeds",
    "NEWS_POLL_INTERVAL": "scheduler.news_poll_interval",
    "NOTIFICATION_ENABLE_DAILY_DIGEST": "scheduler.enable_daily_digest",
    "NOTIFICATION_ENABLE_WEEKLY_SUMMARY": "scheduler.enable_weekly_summary",
    "NOTIFICATION_ENABLE_PERFORMANCE_ALERTS": "scheduler.enable_performance_alerts",
    "SMTP_HOST": "notifications.smtp.host",
    "SMTP_PORT": "notifications.smtp.port",
    "SMTP_STARTTLS": "notifications.smtp.starttls",
    "SMTP_TLS": "notifications.smtp.tls",
    "SMTP_USERNAME": "notifications.smtp.username",
    "SMTP_PASSWORD": "notifications.smtp.password",
    "SMTP_FROM": "notifications.smtp.from",
    "SMTP_CA_FILE": "notifications.smtp.ca_file",
    "SMTP_TIMEOUT": "notifications.smtp.timeout",
    "SMTP_MESSAGE_ID_DOMAIN": "notifications.smtp.message_id_domain",
    "FCM_PROJECT_ID": "notifications.fcm.project_id",
    "FCM_SERVICE_ACCOUNT_FILE": "notifications.fcm.service_account_file",
    "FCM_ENDPOINT": "notifications.fcm.endpoint",
    "FCM_TIMEOUT": "notifications.fcm.timeout",
    "CHAT_DAILY_TOKEN_BUDGET": "chat.daily_token_budget",
    "PORTFOLIO_BENCHMARK_SYMBOL": "portfolio.benchmark_symbol",
    "PORTFOLIO_RISK_FREE_RATE": "portfolio.risk_free_rate",
}

SECRETS = {
    "DATABASE_URL": ("postgresql://u:pw@db/app", "database.url"),
    "STACK_CFO_JWT_SECRET": (JWT_SECRET, "auth.jwt_secret"),
    "STACK_CFO_ARCHIVE_MASTER_KEYS": ("k1:" + "ab" * 32, "archive.master_keys"),
    "ZEROG_COMPUTE_API_KEY": (ZEROG_API_KEY, "zerog.compute.api_key"),
    "ZEROG_COMPUTE_PRIVATE_KEY": (ZEROG_PRIVATE_KEY, "zerog.compute.private_key"),
    "ZEROG_STORAGE_PRIVATE_KEY": (ZEROG_PRIVATE_KEY, "zerog.storage.private_key"),
    "SMTP_PASSWORD": (SMTP_PASSWORD, "notifications.smtp.password"),
    "EMAIL_UNSUBSCRIBE_SECRET": ("unsubscribe-test-secret-" + "3e" * 16, "notifications.email.unsubscribe_secret"),
    "STACK_CFO_RATE_LIMIT_STORAGE": ("redis://:pw-4f1d@redis:6379/0", "rate_limits.storage"),
}
# A configured JWT secret is production mode, which needs an issuer and an audience.
PRODUCTION_CLAIMS = {"STACK_CFO_JWT_ISSUER": "https://issuer.example", "STACK_CFO_JWT_AUDIENCE": "stack-cfo"}


def value_of(config: Config, dotted: str) -> object:
    return next(k for k in keys(Config) if k.dotted == dotted).value(config)


def test_every_variable_that_worked_still_sets_its_key() -> None:
    declared = {name: k.dotted for k in keys(Config) for name in k.env}
    assert {name: declared.get(name) for name in ENV_NAMES} == ENV_NAMES
    assert {k.dotted for k in keys(Config) if k.secret} == {key for _, key in SECRETS.values()}


def test_environment_wins_over_the_file_which_wins_over_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "scheduler:\n  batch_size: 20\n  concurrency_limit: 4\n"
        "server:\n  listen: \"${LISTEN:-0.0.0.0:7000}\"\n  metrics_listen: \"${UNSET_VAR}\"\n"
    )
    config = load_config(path, {"SCHEDULER_BATCH_SIZE": "30", "STACK_CFO_DB_POOL_MAX": ""})
    assert (config.scheduler.batch_size, config.scheduler.concurrency_limit) == (30, 4)
    assert config.server.listen == "0.0.0.0:7000"  # ${VAR:-default}
    assert config.server.metrics_listen == "127.0.0.1:9464"  # an unset ${VAR} means the default
    assert config.database.pool_max_size == 20  # an empty variable means the default too
    assert config.origin("scheduler.batch_size").describe() == "environment SCHEDULER_BATCH_SIZE"
    assert config.origin("scheduler.concurrency_limit").describe() == f"file {path}"
    assert config.origin("server.metrics_listen").describe() == "default"
    assert load_config(path, {"LISTEN": "10.0.0.1:1"}).server.listen == "10.0.0.1:1"  # ${VAR}
    assert load_config(None, {"STACK_CFO_CONFIG": str(path)}).scheduler.batch_size == 20


@pytest.mark.parametrize("var", sorted(SECRETS))
def test_every_secret_reads_a_mounted_file(var: str, tmp_path: Path) -> None:
    value, dotted = SECRETS[var]
    mounted = tmp_path / "secret"
    mounted.write_text(value + "\n")
    claims = PRODUCTION_CLAIMS if var == "STACK_CFO_JWT_SECRET" else {}
    config = load_config(None, {f"{var}_FILE": str(mounted), **claims})
    secret = value_of(config, dotted)
    assert secret is not None and secret.get() == value  # type: ignore[attr-defined]
    assert config.label(dotted) == f"{var}_FILE ({dotted})"
    assert value not in repr(config) and value not in config.model_dump_json()
    with pytest.raises(ConfigError) as both:
        load_config(None, {var: value, f"{var}_FILE": str(mounted), **claims})
    assert value not in str(both.value) and f"{var}_FILE" in both.value.key


def test_an_unreadable_secret_file_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, {"SMTP_PASSWORD_FILE": str(tmp_path / "missing")})
    assert info.value.key == "SMTP_PASSWORD_FILE (notifications.smtp.password)"


def test_errors_name_the_variable_or_the_key_and_never_echo_a_secret() -> None:
    with pytest.raises(ConfigError) as from_env:
        build_config({"scheduler": {"batch_size": 5}}, {"SCHEDULER_BATCH_SIZE": "0"})
    assert from_env.value.key == "SCHEDULER_BATCH_SIZE (scheduler.batch_size)"
    with pytest.raises(ConfigError) as from_file:
        build_config({"scheduler": {"batch_size": 0}})
    assert from_file.value.key == "scheduler.batch_size"
    bad_key = "0x" + "zz" * 32
    for env in ({"ZEROG_COMPUTE_PRIVATE_KEY": bad_key}, {"STACK_CFO_JWT_SECRET": "too-short-zz"}):
        with pytest.raises(ConfigError) as info:
            build_config({}, env)
        assert "zz" not in str(info.value)
    with pytest.raises(ConfigError) as cross:
        build_config({"database": {"pool_min_size": 30}})
    assert cross.value.key == "database.pool_min_size"


def test_older_spellings_are_read_and_named_as_written(tmp_path: Path) -> None:
    config = build_config(
        {
            "scheduler": {"smtp": {"host": "old.example", "port": 25}},
            "notifications": {"smtp": {"port": 2525}},
            "zerog": {"compute": {"ledger_address": "0x" + "11" * 20, "timeout": "90s", "max_retries": 5}},
        }
    )
    assert (config.notifications.smtp.host, config.notifications.smtp.port) == ("old.example", 2525)
    compute = config.zerog.compute
    assert compute.ledger == "0x" + "11" * 20 and compute.timeouts.total == 90 and compute.retry.max_attempts == 5
    with pytest.raises(ConfigError) as info:
        build_config({"scheduler": {"smtp": {"port": "x"}}})
    assert info.value.key == "scheduler.smtp.port"


def test_secrets_are_found_from_the_model_not_from_key_names() -> None:
    config = build_config(
        {"auth": {"jwt_secret": JWT_SECRET, "issuer": "i", "audience": "a"},
         "notifications": {"smtp": {"password": SMTP_PASSWORD}}},
        {"ZEROG_COMPUTE_API_KEY": ZEROG_API_KEY},
    )
    assert sorted(s.get() for s in config.secrets()) == sorted((JWT_SECRET, SMTP_PASSWORD, ZEROG_API_KEY))


@pytest.mark.parametrize("env, problem", [
    ({"STACK_CFO_DRAIN_DELAY": "inf"}, "at most 100 years"),
    ({"STACK_CFO_SHUTDOWN_GRACE": "1e400"}, "at most 100 years"),
    ({"STACK_CFO_DRAIN_DELAY": "99999999999999999999"}, "at most 100 years"),
    ({"SCHEDULER_RETRY_CAP": "nan"}, "must be a duration"),
])
def test_endless_durations_are_refused_naming_the_variable(env: dict[str, str], problem: str) -> None:
    """They overflowed deep in the start-up (OverflowError traceback, exit 1)."""
    with pytest.raises(ConfigError) as info:
        build_config({}, env)
    assert info.value.key.startswith(next(iter(env))) and problem in info.value.problem


def test_a_config_file_that_is_a_directory_or_not_text_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as directory:
        load_config(str(tmp_path))
    assert "is a directory" in directory.value.problem
    binary = tmp_path / "config.yaml"
    binary.write_bytes(bytes(range(128, 256)))
    with pytest.raises(ConfigError) as info:
        load_config(str(binary))
    assert "not UTF-8" in info.value.problem


def test_keys_no_setting_has_are_named_not_silently_dropped(tmp_path: Path) -> None:
    """A typo in the file (``wrokers``) was ignored without a word: it is listed (``config show``
    and a warning when a process starts), still ignored so an older file keeps working."""
    config = build_config({"server": {"wrokers": 4, "listen": "127.0.0.1:5"}, "srever": {"a": 1}})
    assert config.unknown_keys == ("server.wrokers", "srever")
    example = Path(__file__).resolve().parents[3] / "config.example.yaml"
    assert load_config(example, {}).unknown_keys == ()


@pytest.mark.parametrize(("tree", "key", "shown"), [
    ({"server": 5}, "server", "(5)"),
    ({"database": "postgresql://u:SECRETVALUE@db/app"}, "database", "(a text)"),
    ({"server": ["listen"]}, "server", "(a list)"),
    ({"notifications": {"webhook": True}}, "notifications.webhook", "(True)"),
])
def test_a_section_written_as_one_value_is_refused_naming_it(tree: dict[str, object], key: str, shown: str,
                                                              tmp_path: Path) -> None:
    """``server: 5`` or ``database: "postgres://..."`` (for ``database: {url: ...}``) was read as no setting at all:
    ``serve`` started on the defaults without a word (an operator's tester; README: an invalid value stops the
    process with one line naming the key)."""
    import yaml

    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(tree))
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    assert info.value.key == key and info.value.problem.endswith(shown), info.value
    assert "SECRETVALUE" not in str(info.value)
    assert load_config(_written(tmp_path, "server:\n"), {}).server.listen  # an empty section is no section


def _written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "empty.yaml"
    path.write_text(text)
    return path


def test_a_yaml_boolean_where_a_number_goes_is_refused_naming_the_key() -> None:
    """``max_concurrent_rpcs: true`` was read as 1 (one call at a time for the whole server)."""
    with pytest.raises(ConfigError) as info:
        build_config({"server": {"max_concurrent_rpcs": True}})
    assert info.value.key == "server.max_concurrent_rpcs" and "integer" in info.value.problem
    assert build_config({"server": {"max_concurrent_rpcs": 7}}).server.max_concurrent_rpcs == 7


@pytest.mark.parametrize(("url", "problem"), [
    ("postgresql://u:SECRETVALUE@db/app?connect_timeout=abc", "bad value for connect_timeout"),
    ("host=db password='SECRETVALUE bogus=1", "unterminated quoted string"),
    ("postgresql://u:SECRETVALUE@db:notaport/app", "invalid port"),
])
def test_a_connection_string_libpq_cannot_use_is_refused_at_once_without_its_secret(url: str, problem: str) -> None:
    """Caught with the rest of the configuration (exit 2, one line naming DATABASE_URL), not by the first
    connection: serve retried such a URL for ever, migrate printed a traceback."""
    with pytest.raises(ConfigError) as info:
        load_config(env={"DATABASE_URL": url})
    assert info.value.key.startswith("DATABASE_URL") and problem in info.value.problem
    assert "SECRETVALUE" not in str(info.value)


def test_a_connect_timeout_is_added_unless_the_url_sets_one() -> None:
    from psycopg.conninfo import conninfo_to_dict

    from stack_cfo.wiring.startup import CONNECT_TIMEOUT, with_connect_timeout

    assert conninfo_to_dict(with_connect_timeout("postgresql://u@db/app"))["connect_timeout"] == str(CONNECT_TIMEOUT)
    own = "postgresql://u@db/app?connect_timeout=3"
    assert with_connect_timeout(own) == own


@pytest.mark.parametrize(
    "secret, ok", [("x" * 31, False), ("x" * 32, True), ("é" * 16, True), ("0123456789abcdef0123", False)]
)
def test_a_jwt_secret_has_at_least_256_bits(secret: str, ok: bool) -> None:
    """RFC 7518 3.2: an HS256 key MUST have at least 256 bits. 16 characters were accepted, and PyJWT
    then warned on every token (InsecureKeyLengthWarning)."""
    env = {"STACK_CFO_JWT_SECRET": secret, "STACK_CFO_JWT_ISSUER": "https://i", "STACK_CFO_JWT_AUDIENCE": "a"}
    if ok:
        assert build_config({}, env).auth.jwt_secret is not None
    else:
        with pytest.raises(ConfigError) as info:
            build_config({}, env)
        assert "at least 32 bytes" in str(info.value) and secret not in str(info.value)


@pytest.mark.parametrize("values, key", [
    ({"db_health_interval": "0s"}, "server.db_health_interval"),
    ({"db_health_timeout": "0s"}, "server.db_health_timeout"),
    ({"db_health_interval": "10ms"}, "server.db_health_interval"),
])
def test_a_database_check_of_no_time_is_refused_naming_the_key(values: dict[str, str], key: str) -> None:
    """Accepted before: every check then failed at once (its timeout is capped at the interval), so the
    server never became ready and said the database was unreachable (and spun at 0s)."""
    with pytest.raises(ConfigError) as info:
        build_config({"server": values}, {})
    assert info.value.key == key
    given = next(iter(values.values()))
    assert info.value.problem == f"must be >= {'10ms' if 'timeout' in key else '100ms'}, got {given!r}"
