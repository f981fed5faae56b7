"""One frozen, typed configuration, read from ``config.yaml`` (the seed's format, with
``${VAR}`` expansion) and overridden by environment variables (the seed's names plus ours).

An invalid value raises :class:`ConfigError` naming the key; the CLI prints one line and
exits 2. Secrets are :class:`~stack_cfo.secret.Secret` values: their repr never shows them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from stack_cfo.durations import parse_seconds
from stack_cfo.secret import Secret


class ConfigError(Exception):
    """A configuration value is missing or invalid; ``key`` names it (dotted path or env name)."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


# Environment variable -> dotted config path. Env wins over the file.
ENV_OVERRIDES: dict[str, str] = {
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
    "SCHEDULER_DAILY_DIGEST_TIME": "scheduler.daily_news_time",
    "SCHEDULER_WEEKLY_SUMMARY_TIME": "scheduler.weekly_summary_time",
    "SCHEDULER_PERFORMANCE_ALERT_TIME": "scheduler.performance_alert_time",
    "SCHEDULER_BATCH_SIZE": "scheduler.batch_size",
    "SCHEDULER_CONCURRENCY_LIMIT": "scheduler.concurrency_limit",
    "SCHEDULER_METRICS_LISTEN": "scheduler.metrics_listen",
    "NOTIFICATION_ENABLE_DAILY_DIGEST": "scheduler.enable_daily_digest",
    "NOTIFICATION_ENABLE_WEEKLY_SUMMARY": "scheduler.enable_weekly_summary",
    "NOTIFICATION_ENABLE_PERFORMANCE_ALERTS": "scheduler.enable_performance_alerts",
    "SMTP_HOST": "notifications.smtp.host",
    "SMTP_PORT": "notifications.smtp.port",
    "SMTP_USERNAME": "notifications.smtp.username",
    "SMTP_PASSWORD": "notifications.smtp.password",
    "SMTP_FROM": "notifications.smtp.from",
    "FCM_PROJECT_ID": "notifications.fcm.project_id",
    "FCM_SERVICE_ACCOUNT_FILE": "notifications.fcm.service_account_file",
    "CHAT_DAILY_TOKEN_BUDGET": "chat.daily_token_budget",
    "PORTFOLIO_BENCHMARK_SYMBOL": "portfolio.benchmark_symbol",
    "PORTFOLIO_RISK_FREE_RATE": "portfolio.risk_free_rate",
}

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_vars(value: Any, env: Mapping[str, str]) -> Any:
    """``${VAR}`` / ``${VAR:-default}`` expansion in every string of a loaded YAML tree."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: env.get(m.group(1), m.group(2) or ""), value)
    if isinstance(value, dict):
        return {k: expand_vars(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_vars(v, env) for v in value]
    return value


def _set_path(tree: dict[str, Any], dotted: str, value: Any) -> None:
    node = tree
    parts = dotted.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


class _Reader:
    """Typed access to one section, raising ConfigError with the full dotted key."""

    def __init__(self, tree: Mapping[str, Any], prefix: str) -> None:
        node: Any = tree
        for part in prefix.split(".") if prefix else []:
            node = node.get(part, {}) if isinstance(node, Mapping) else {}
        if not isinstance(node, Mapping):
            raise ConfigError(prefix, "must be a mapping")
        self.node = node
        self.prefix = prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def raw(self, name: str, default: Any = None) -> Any:
        v = self.node.get(name, default)
        return default if v == "" or v is None else v

    def text(self, name: str, default: str = "") -> str:
        v = self.raw(name, default)
        if not isinstance(v, str | int | float):
            raise ConfigError(self.key(name), "must be a string")
        return str(v)

    def integer(self, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
        v = self.raw(name, default)
        try:
            if isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()):
                raise ValueError
            out = int(v)
        except (TypeError, ValueError):
            raise ConfigError(self.key(name), f"must be an integer, got {v!r}") from None
        if minimum is not None and out < minimum:
            raise ConfigError(self.key(name), f"must be >= {minimum}, got {out}")
        if maximum is not None and out > maximum:
            raise ConfigError(self.key(name), f"must be <= {maximum}, got {out}")
        return out

    def boolean(self, name: str, default: bool) -> bool:
        v = self.raw(name, default)
        if isinstance(v, bool):
            return v
        s = str(v).strip().lower()
        if s in {"1", "true", "yes", "on"}:
            return True
        if s in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(self.key(name), f"must be a boolean (true/false), got {v!r}")

    def decimal(self, name: str, default: str) -> Decimal:
        v = self.raw(name, default)
        try:
            d = Decimal(str(v))
        except InvalidOperation:
            raise ConfigError(self.key(name), f"must be a decimal number, got {v!r}") from None
        if not d.is_finite():
            raise ConfigError(self.key(name), "must be finite")
        return d

    def duration(self, name: str, default: str) -> timedelta:
        v = self.raw(name, default)
        try:
            return parse_duration(v)
        except ValueError as exc:
            raise ConfigError(self.key(name), str(exc)) from None

    def address(self, name: str, default: str) -> str:
        v = self.text(name, default)
        host, sep, port = v.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ConfigError(self.key(name), f"must be host:port, got {v!r}")
        return v

    def secret(self, name: str) -> Secret | None:
        v = self.raw(name)
        return Secret(str(v)) if v else None


def parse_duration(value: Any) -> timedelta:
    """``"30s"``, ``"1m30s"``, ``"250ms"``, ``"2h"`` or a number of seconds."""
    return timedelta(seconds=parse_seconds(value))


@dataclass(frozen=True, slots=True)
class ServerConfig:
    listen: str = "127.0.0.1:50051"
    """gRPC listen address (``STACK_CFO_LISTEN``)."""
    metrics_listen: str = "127.0.0.1:9464"
    """Prometheus ``/metrics`` address (``STACK_CFO_METRICS_LISTEN``); empty disables it."""
    drain_delay: timedelta = timedelta(seconds=5)
    """After SIGTERM: readiness NOT_SERVING at once, keep serving this long so load balancers drain."""
    shutdown_grace: timedelta = timedelta(seconds=30)
    """``server.stop(grace)``: in-flight RPCs and streams get this long to finish."""
    max_message_bytes: int = 8 * 1024 * 1024
    """Largest request or response message (RecordPrices batches of 10,000 points fit)."""
    max_concurrent_rpcs: int = 1000
    """Beyond this many concurrent RPCs new ones get RESOURCE_EXHAUSTED."""
    keepalive_time: timedelta = timedelta(seconds=60)
    """Server pings idle connections this often."""
    keepalive_timeout: timedelta = timedelta(seconds=20)
    """A ping unanswered this long closes the connection."""
    min_client_ping_interval: timedelta = timedelta(seconds=10)
    """Clients may send keepalive pings this often without being sent GOAWAY too_many_pings."""
    max_connection_age: timedelta = timedelta(minutes=30)
    """Connections are gracefully recycled after this long so clients rebalance across pods."""
    max_connection_age_grace: timedelta = timedelta(minutes=5)
    """Time for in-flight streams on a recycled connection (long chat streams fit)."""
    db_health_interval: timedelta = timedelta(seconds=2)
    """How often readiness checks the database."""
    db_failures_before_unready: int = 3
    """Consecutive failed database checks before readiness turns NOT_SERVING."""


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    url: Secret | None = None
    """``DATABASE_URL``; when unset an embedded PostgreSQL is started in ``data_dir``."""
    data_dir: Path = Path(os.path.expanduser("~/.local/share/stack-cfo"))
    """``STACK_CFO_DATA_DIR``: where the embedded server keeps its files."""
    pool_min_size: int = 2
    pool_max_size: int = 20
    pool_timeout: timedelta = timedelta(seconds=5)
    migrate_on_start: bool = True
    """``serve`` applies pending migrations at start-up (under the advisory lock)."""


@dataclass(frozen=True, slots=True)
class AuthConfig:
    jwt_secret: Secret | None = None
    """HS256 shared secret (``STACK_CFO_JWT_SECRET``)."""
    jwt_public_key_file: Path | None = None
    """PEM public key(s) for RS256/ES256/EdDSA tokens, instead of or beside the secret."""
    issuer: str = ""
    """Required ``iss`` when set."""
    audience: str = ""
    """Required ``aud`` when set."""
    service_scope: str = "stack-cfo:service"
    """A token whose ``scope`` claim contains this acts as a service principal."""
    leeway: timedelta = timedelta(seconds=30)
    """Clock skew allowed on ``exp``/``nbf``."""


@dataclass(frozen=True, slots=True)
class ChatConfig:
    default_model: str = "gpt-oss-120b"
    max_message_chars: int = 4000
    context_staleness: timedelta = timedelta(minutes=15)
    summarize_interval: int = 20
    keep_recent_messages: int = 10
    summary_max_chars: int = 2000
    daily_token_budget: int = 200_000
    """Tokens one user may spend per UTC day across sessions (0 = unlimited)."""


@dataclass(frozen=True, slots=True)
class PortfolioConfig:
    benchmark_symbol: str = "SPY"
    risk_free_rate: Decimal = Decimal("0.02")
    """Annual risk-free rate, converted geometrically to daily for Sharpe/Sortino/alpha."""
    min_history_days: int = 63
    """Annualised figures are absent (INSUFFICIENT_HISTORY) below this many daily returns."""
    stale_price_after: timedelta = timedelta(days=4)


@dataclass(frozen=True, slots=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    chat: ChatConfig = field(default_factory=ChatConfig)
    portfolio: PortfolioConfig = field(default_factory=PortfolioConfig)
    log_level: str = "INFO"
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    """The merged tree (file + env); feature configs (zerog, scheduler) are built from it."""
    env_sources: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Dotted key -> the environment variable that set it (to name it in errors)."""

    def config_error(self, dotted: str, problem: str) -> ConfigError:
        """A ConfigError naming the variable the operator set, or the dotted key."""
        env_name = self.env_sources.get(dotted)
        return ConfigError(f"{env_name} ({dotted})" if env_name else dotted, problem)

    def section(self, dotted: str) -> dict[str, Any]:
        node: Any = self.raw
        for part in dotted.split("."):
            node = node.get(part, {}) if isinstance(node, Mapping) else {}
        return dict(node) if isinstance(node, Mapping) else {}


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the file (if any), expand ``${VAR}``, apply env overrides, validate everything."""
    env = os.environ if env is None else env
    tree: dict[str, Any] = {}
    path = path or env.get("STACK_CFO_CONFIG")
    if path:
        p = Path(path)
        if not p.is_file():
            raise ConfigError("STACK_CFO_CONFIG", f"config file {str(p)!r} does not exist")
        try:
            loaded = yaml.safe_load(p.read_text("utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(str(p), f"is not valid YAML ({exc.__class__.__name__})") from None
        if not isinstance(loaded, dict):
            raise ConfigError(str(p), "top level must be a mapping")
        tree = expand_vars(loaded, env)
    from_env: dict[str, str] = {}
    for var, dotted in ENV_OVERRIDES.items():
        if var in env and env[var] != "":
            _set_path(tree, dotted, env[var])
            from_env[dotted] = var
    try:
        config = build_config(tree)
    except ConfigError as exc:
        # Name the variable the operator actually set, not only our dotted path.
        env_name = from_env.get(exc.key)
        if env_name is not None:
            raise ConfigError(f"{env_name} ({exc.key})", exc.problem) from None
        raise
    return replace(config, env_sources=from_env)


def build_config(tree: Mapping[str, Any]) -> Config:
    s = _Reader(tree, "server")
    server = ServerConfig(
        listen=s.address("listen", "127.0.0.1:50051"),
        metrics_listen=s.address("metrics_listen", "127.0.0.1:9464") if s.raw("metrics_listen") != "off" else "",
        drain_delay=s.duration("drain_delay", "5s"),
        shutdown_grace=s.duration("shutdown_grace", "30s"),
        max_message_bytes=s.integer("max_message_bytes", 8 * 1024 * 1024, minimum=1024),
        max_concurrent_rpcs=s.integer("max_concurrent_rpcs", 1000, minimum=1),
        keepalive_time=s.duration("keepalive_time", "60s"),
        keepalive_timeout=s.duration("keepalive_timeout", "20s"),
        min_client_ping_interval=s.duration("min_client_ping_interval", "10s"),
        max_connection_age=s.duration("max_connection_age", "30m"),
        max_connection_age_grace=s.duration("max_connection_age_grace", "5m"),
        db_health_interval=s.duration("db_health_interval", "2s"),
        db_failures_before_unready=s.integer("db_failures_before_unready", 3, minimum=1),
    )
    d = _Reader(tree, "database")
    url = d.secret("url")
    if url is not None and not re.match(r"^(postgres(ql)?://|\w+=)", url.get()):
        raise ConfigError("DATABASE_URL", "must be a postgresql:// URL or a libpq conninfo string")
    database = DatabaseConfig(
        url=url,
        data_dir=Path(os.path.expanduser(d.text("data_dir", "~/.local/share/stack-cfo"))),
        pool_min_size=d.integer("pool_min_size", 2, minimum=0),
        pool_max_size=d.integer("pool_max_size", 20, minimum=1),
        pool_timeout=d.duration("pool_timeout", "5s"),
        migrate_on_start=d.boolean("migrate_on_start", True),
    )
    if database.pool_min_size > database.pool_max_size:
        raise ConfigError("database.pool_min_size", "must not exceed database.pool_max_size")
    a = _Reader(tree, "auth")
    pk = a.text("jwt_public_key_file", "")
    auth = AuthConfig(
        jwt_secret=a.secret("jwt_secret"),
        jwt_public_key_file=Path(pk) if pk else None,
        issuer=a.text("issuer", ""),
        audience=a.text("audience", ""),
        service_scope=a.text("service_scope", "stack-cfo:service"),
        leeway=a.duration("leeway", "30s"),
    )
    if auth.jwt_public_key_file is not None and not auth.jwt_public_key_file.is_file():
        raise ConfigError("auth.jwt_public_key_file", f"file {str(auth.jwt_public_key_file)!r} does not exist")
    if auth.jwt_secret is not None and len(auth.jwt_secret.get()) < 16:
        raise ConfigError("STACK_CFO_JWT_SECRET", "must be at least 16 characters")
    c = _Reader(tree, "chat")
    mc = _Reader(tree, "zerog.compute.model_config")
    chat = ChatConfig(
        default_model=mc.text("default_model", "gpt-oss-120b"),
        max_message_chars=c.integer("max_message_chars", 4000, minimum=1, maximum=100_000),
        context_staleness=c.duration("context_staleness", "15m"),
        summarize_interval=c.integer("summarize_interval", 20, minimum=4),
        keep_recent_messages=c.integer("keep_recent_messages", 10, minimum=2),
        summary_max_chars=c.integer("summary_max_chars", 2000, minimum=200),
        daily_token_budget=c.integer("daily_token_budget", 200_000, minimum=0),
    )
    # Tuning keys the chat feature reads from its section: validated here so a typo exits 2.
    c.integer("summary_step", 4, minimum=1)
    c.integer("prompt_budget_tokens", 16_000, minimum=256)
    c.integer("max_answer_tokens", 1, minimum=1)
    for key, default in (("summary_timeout", 30.0), ("summary_wait", 2.0), ("lock_wait", 120.0)):
        v = c.raw(key, default)
        if isinstance(v, bool) or not isinstance(v, int | float | str):
            raise ConfigError(c.key(key), "must be a number of seconds")
        try:
            if float(v) < 0:
                raise ValueError
        except ValueError:
            raise ConfigError(c.key(key), f"must be a non-negative number of seconds, got {v!r}") from None
    models = c.raw("allowed_models", [])
    if not isinstance(models, list):
        raise ConfigError(c.key("allowed_models"), "must be a list of model ids")
    p = _Reader(tree, "portfolio")
    portfolio = PortfolioConfig(
        benchmark_symbol=p.text("benchmark_symbol", "SPY").upper(),
        risk_free_rate=p.decimal("risk_free_rate", "0.02"),
        min_history_days=p.integer("min_history_days", 63, minimum=0),
        stale_price_after=p.duration("stale_price_after", "96h"),
    )
    if not Decimal("-0.5") < portfolio.risk_free_rate < Decimal("1"):
        raise ConfigError("portfolio.risk_free_rate", "must be an annual rate as a fraction, e.g. 0.02")
    level = _Reader(tree, "logging").text("level", "INFO").upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError("STACK_CFO_LOG_LEVEL", f"must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
    return Config(
        server=server,
        database=database,
        auth=auth,
        chat=chat,
        portfolio=portfolio,
        log_level=level,
        raw=dict(tree),
    )
