"""The service's own blocks: ``server``, ``database``, ``auth`` and ``logging``."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, field_validator, model_validator

from stack_cfo.config.fields import (
    Duration,
    FieldError,
    HostPort,
    HttpUrl,
    ListenOrOff,
    Section,
    setting,
    split_list,
)
from stack_cfo.secret import Secret


def parse_workers(value: object) -> int:
    """A number of processes, or ``auto``: the CPUs this process may run on."""
    text = str(value).strip().lower()
    if text == "auto":
        return len(os.sched_getaffinity(0))
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"must be a number of processes or 'auto', got {value!r}") from None


#: The most server processes ``server.workers`` (and ``serve --workers``) may ask for.
MAX_WORKERS = 256


class ServerConfig(Section):
    listen: HostPort = setting("127.0.0.1:50051", env="STACK_CFO_LISTEN")
    """gRPC listen address (host:port)."""
    workers: Annotated[int, BeforeValidator(parse_workers)] = setting(1, env="STACK_CFO_WORKERS", ge=1, le=MAX_WORKERS)
    """Server processes sharing the port (SO_REUSEPORT) under one supervisor; "auto" = the CPUs this process may use."""
    event_loop: Literal["uvloop", "asyncio"] = setting("uvloop", env="STACK_CFO_EVENT_LOOP")
    """The API process's asyncio event loop: uvloop (libuv; less CPU per call) or the standard library's."""
    metrics_listen: ListenOrOff = setting("127.0.0.1:9464", env="STACK_CFO_METRICS_LISTEN")
    """Prometheus /metrics address; "off" disables it."""
    drain_delay: Duration = setting(timedelta(seconds=5), env="STACK_CFO_DRAIN_DELAY")
    """After SIGTERM: readiness NOT_SERVING at once, keep serving this long so load balancers drain."""
    shutdown_grace: Duration = setting(timedelta(seconds=30), env="STACK_CFO_SHUTDOWN_GRACE")
    """server.stop(grace): in-flight RPCs and streams get this long to finish."""
    max_message_bytes: int = setting(8 * 1024 * 1024, ge=1024)
    """Largest request or response message in bytes (RecordPrices batches of 10,000 points fit)."""
    max_concurrent_rpcs: int = setting(1000, ge=1)
    """Beyond this many concurrent RPCs new ones get RESOURCE_EXHAUSTED."""
    max_unauthenticated_calls: int = setting(200, env="STACK_CFO_MAX_UNAUTHENTICATED_CALLS", ge=1)
    """Calls without a token (Health.Check, List and Watch, reflection) in flight at once on the API port, unary and
    streams together (at most a quarter of max_concurrent_rpcs is used); beyond it Health.Watch answers UNIMPLEMENTED
    (gRPC client-side health checking then treats the connection as serving) and the others RESOURCE_EXHAUSTED. The
    health port is not limited by it."""
    max_streams_per_connection: int = setting(0, env="STACK_CFO_MAX_STREAMS_PER_CONNECTION", ge=0)
    """HTTP/2 MAX_CONCURRENT_STREAMS: calls one connection may have in flight (more wait in the client);
    0 = no limit. Bounds what one client's burst costs others (docs/security.md); backends multiplexing
    many users' watches on one connection need at least that many, or more connections."""
    stream_receive_window: int = setting(256 * 1024, env="STACK_CFO_STREAM_RECEIVE_WINDOW", ge=0)
    """Bytes a call's HTTP/2 stream may receive before its request is read (grpc then opens the window to the
    message's size): what an unread call, one refused at its headers included, can hold in memory (one connection
    pushing 100 concurrent 6.4 MB bodies with a bad token: 368 MB at 256 KiB). 0 = grpc's bandwidth-delay probing,
    which grows every stream's window to megabytes (960 MB in that flood) but saved ~0.15 s of server CPU per
    price change fanned out to 10,000 watches in bench/watches.py (p99 over rounds ~1.0 s against ~1.1-1.2 s):
    for replicas behind a proxy that bounds request bodies and streams per connection."""
    request_read_timeout: Duration = setting(
        timedelta(seconds=120), env="STACK_CFO_REQUEST_READ_TIMEOUT", ge=timedelta(milliseconds=100)
    )
    """A call's request message must arrive within this long of the call's start (its token and limits are checked
    first, at its headers); else DEADLINE_EXCEEDED REQUEST_READ_TIMEOUT: a client that sends a call's headers but
    never its body cannot hold the call's slot of max_concurrent_rpcs. The whole message counts, however fast it
    comes: the largest (server.max_message_bytes, 8 MiB) needs about 70 KB/s at the default."""
    keepalive_time: Duration = timedelta(seconds=60)
    """The server pings idle connections this often."""
    keepalive_timeout: Duration = timedelta(seconds=20)
    """A ping unanswered this long closes the connection."""
    min_client_ping_interval: Duration = timedelta(seconds=10)
    """Clients may send keepalive pings this often without being sent GOAWAY too_many_pings."""
    max_connection_age: Duration = timedelta(minutes=30)
    """Connections are gracefully recycled after this long so clients rebalance across pods."""
    max_connection_age_grace: Duration = timedelta(minutes=5)
    """Time for in-flight streams on a recycled connection (long chat streams fit)."""
    db_health_interval: Duration = setting(timedelta(seconds=1), ge=timedelta(milliseconds=100))
    """How often readiness checks the database (a check starts this often, however long the last one took)."""
    db_health_timeout: Duration = setting(timedelta(seconds=1), ge=timedelta(milliseconds=10))
    """A database check not answered within this counts as failed (capped at db_health_interval)."""
    db_failures_before_unready: int = setting(3, ge=1)
    """Consecutive failed database checks before readiness turns NOT_SERVING."""
    health_listen: ListenOrOff = setting("127.0.0.1:50052", env="STACK_CFO_HEALTH_LISTEN")
    """Plain-text gRPC address serving only Health and reflection, for probes; "off" disables it."""
    tls_cert_file: Path | None = setting(None, env="STACK_CFO_TLS_CERT_FILE")
    """PEM server certificate chain: the gRPC port speaks TLS; the file is re-read when it changes."""
    tls_key_file: Path | None = setting(None, env="STACK_CFO_TLS_KEY_FILE")
    """PEM private key of tls_cert_file (re-read with it)."""
    tls_client_ca_file: Path | None = setting(None, env="STACK_CFO_TLS_CLIENT_CA_FILE")
    """PEM CA bundle: when set, clients must present a certificate it signed (mTLS)."""

    @field_validator("tls_cert_file", "tls_key_file", "tls_client_ca_file")
    @classmethod
    def _readable(cls, path: Path | None) -> Path | None:
        if path is not None and not path.is_file():
            raise ValueError(f"file {str(path)!r} does not exist")
        return path

    @model_validator(mode="after")
    def _tls_pair(self) -> ServerConfig:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            missing = "tls_key_file" if self.tls_key_file is None else "tls_cert_file"
            raise FieldError(missing, "tls_cert_file and tls_key_file are set together")
        if self.tls_client_ca_file is not None and self.tls_cert_file is None:
            raise FieldError("tls_client_ca_file", "mTLS needs server.tls_cert_file and server.tls_key_file")
        if self.tls_cert_file is not None and self.tls_key_file is not None:
            # read them now: a wrong file stops the process here (exit 2, naming the key), before
            # any worker starts, rather than as a traceback when the port opens
            read_tls_files(self.tls_cert_file, self.tls_key_file, self.tls_client_ca_file)
        return self

    @property
    def health_timeout(self) -> float:
        """Seconds one database check may take (``db_health_timeout``, at most the interval)."""
        return min(self.db_health_timeout, self.db_health_interval).total_seconds()

    @property
    def unready_within(self) -> float:
        """Bound on the seconds from the database going silent to readiness NOT_SERVING."""
        return self.db_failures_before_unready * self.db_health_interval.total_seconds() + self.health_timeout

    @property
    def ready_within(self) -> float:
        """Bound on the seconds from the database answering again to readiness SERVING."""
        return self.db_health_interval.total_seconds() + self.health_timeout


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """What the server's TLS files hold, checked: PEM bytes as grpc takes them."""

    chain: bytes
    key: bytes
    client_ca: bytes | None


def read_tls_files(cert_file: Path, key_file: Path, client_ca_file: Path | None = None) -> TlsFiles:
    """Read and check the certificate chain, its private key (unencrypted, matching the first
    certificate) and the optional client CA bundle. Raises :class:`FieldError` naming the
    setting whose file is at fault (``tls_cert_file``, ``tls_key_file``, ``tls_client_ca_file``),
    in one line that never quotes the key."""
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    def read(key: str, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as exc:
            raise FieldError(key, f"file {str(path)!r} cannot be read: {exc.strerror or exc}") from None

    def certificates(key: str, path: Path, data: bytes, what: str) -> list[x509.Certificate]:
        try:
            return x509.load_pem_x509_certificates(data)
        except ValueError:
            hint = " (it holds a private key)" if b"PRIVATE KEY-----" in data else ""
            raise FieldError(key, f"file {str(path)!r} is not {what}{hint}") from None

    chain = read("tls_cert_file", cert_file)
    key = read("tls_key_file", key_file)
    ca = read("tls_client_ca_file", client_ca_file) if client_ca_file is not None else None
    leaf = certificates("tls_cert_file", cert_file, chain, "a PEM certificate chain")[0]
    try:
        private = serialization.load_pem_private_key(key, password=None)
    except TypeError:  # a passphrase: grpc cannot use it
        raise FieldError("tls_key_file", f"file {str(key_file)!r} is an encrypted private key; "
                                         "give it without a passphrase") from None
    except (ValueError, UnsupportedAlgorithm):
        hint = " (it holds a certificate)" if b"BEGIN CERTIFICATE" in key else ""
        raise FieldError("tls_key_file", f"file {str(key_file)!r} is not a PEM private key{hint}") from None
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if leaf.public_key().public_bytes(*spki) != private.public_key().public_bytes(*spki):
        raise FieldError("tls_key_file", f"the private key in {str(key_file)!r} does not match the "
                                         f"certificate in {str(cert_file)!r} (server.tls_cert_file)")
    if ca is not None and client_ca_file is not None:
        certificates("tls_client_ca_file", client_ca_file, ca, "a PEM CA bundle")
    return TlsFiles(chain, key, ca)


def _expand_user(path: Path) -> Path:
    return Path(os.path.expanduser(str(path)))


class DatabaseConfig(Section):
    url: Secret | None = setting(None, env="DATABASE_URL")
    """PostgreSQL URL or libpq conninfo; unset starts an embedded PostgreSQL in data_dir."""
    data_dir: Annotated[Path, AfterValidator(_expand_user)] = setting(
        Path("~/.local/share/stack-cfo"), env="STACK_CFO_DATA_DIR", validate_default=True
    )
    """Where the embedded server, the local JWT secret and the local archive key live."""
    pool_min_size: int = setting(2, ge=0)
    """Connections the pool keeps open."""
    pool_max_size: int = setting(20, env="STACK_CFO_DB_POOL_MAX", ge=1)
    """Most connections the pool opens."""
    pool_timeout: Duration = timedelta(seconds=5)
    """How long a request waits for a pooled connection."""
    migrate_on_start: bool = True
    """serve applies pending migrations at start-up (under the advisory lock)."""
    role: str = setting("stack_cfo_app", env="STACK_CFO_DB_ROLE", pattern=r"^([a-z_][a-z0-9_]{0,62})?$")
    """Role every pooled connection switches to (SET ROLE), so row-level security applies even when the
    login user owns the tables or is a superuser; the login user must be a member of it and of
    stack_cfo_system (README). Empty keeps the login user: a superuser then bypasses row-level security (benchmarks
    only); the owner would see no user rows."""

    @field_validator("url")
    @classmethod
    def _conninfo(cls, url: Secret | None) -> Secret | None:
        if url is not None and not re.match(r"^(postgres(ql)?://|\w+=)", url.get()):
            raise ValueError("must be a postgresql:// URL or a libpq conninfo string")
        if url is not None:
            from psycopg import ProgrammingError
            from psycopg.conninfo import conninfo_to_dict, timeout_from_conninfo

            try:  # libpq's own parser: what the driver would say at the first connection, said now
                params = conninfo_to_dict(url.get())
                timeout_from_conninfo(params)
                if any(p and not p.strip().isdigit() for p in str(params.get("port", "")).split(",")):
                    raise ProgrammingError(f"invalid port {str(params['port'])[:20]!r}: it must be a number")
            except ProgrammingError as exc:  # libpq's messages name the option, never its secret value
                problem = str(exc).splitlines()[0] if str(exc) else "cannot be parsed"
                raise ValueError(f"is not a valid connection string: {problem}") from None
        return url

    @model_validator(mode="after")
    def _pool(self) -> DatabaseConfig:
        if self.pool_min_size > self.pool_max_size:
            raise FieldError("pool_min_size", "must not exceed database.pool_max_size")
        return self


class AuthConfig(Section):
    jwt_secret: Secret | None = setting(None, env="STACK_CFO_JWT_SECRET")
    """HS256 shared secret (at least 32 bytes, RFC 7518); unset with no public key: one is generated into data_dir."""
    jwt_public_key_file: Path | None = setting(None, env="STACK_CFO_JWT_PUBLIC_KEY_FILE")
    """PEM public key(s) for RS256/ES256/EdDSA tokens, instead of or beside the secret."""
    issuer: str = setting("", env="STACK_CFO_JWT_ISSUER")
    """Required iss claim when set."""
    audience: str = setting("", env="STACK_CFO_JWT_AUDIENCE")
    """Required aud claim when set."""
    jwks_urls: Annotated[tuple[HttpUrl, ...], BeforeValidator(split_list)] = setting((), env="STACK_CFO_JWT_JWKS_URLS")
    """JWKS URLs of identity providers (keys cached; an unknown kid refetches, at most every jwks_min_refresh)."""
    jwks_min_refresh: Duration = timedelta(seconds=30)
    """Shortest time between two fetches of one JWKS URL (tokens with made-up kids cannot hammer the provider)."""
    jwks_max_age: Duration = timedelta(hours=1)
    """Cached JWKS keys are refetched after this long even when every kid is known."""
    service_audience: str = setting("stack-cfo-service", env="STACK_CFO_JWT_SERVICE_AUDIENCE")
    """aud of service-principal tokens: only a token for this audience (with the service scope) acts as a service."""
    service_scope: str = "stack-cfo:service"
    """A token whose scope claim contains this (and whose aud is service_audience) acts as a service principal."""
    leeway: Duration = timedelta(seconds=30)
    """Clock skew allowed on exp/nbf."""

    @property
    def local_mode(self) -> bool:
        """No key configured: tokens are checked with the secret generated into data_dir (``stack-cfo token``)."""
        return self.jwt_secret is None and self.jwt_public_key_file is None and not self.jwks_urls

    @model_validator(mode="after")
    def _production_claims(self) -> AuthConfig:
        if not self.local_mode:
            for key, env in (("issuer", "STACK_CFO_JWT_ISSUER"), ("audience", "STACK_CFO_JWT_AUDIENCE")):
                if not getattr(self, key):
                    raise FieldError(key, f"is required (set {env}) when a JWT secret, public key or JWKS URL is "
                                          "configured")
        if not self.service_audience:
            raise FieldError("service_audience", "must not be empty")
        if self.service_audience == self.audience:
            raise FieldError("service_audience", "must differ from auth.audience (user tokens)")
        return self

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough(cls, secret: Secret | None) -> Secret | None:
        # RFC 7518 3.2: an HS256 key MUST be at least as long as the hash, 256 bits (PyJWT warns below)
        if secret is not None and len(secret.get().encode()) < 32:
            raise ValueError("must be at least 32 bytes (RFC 7518: an HS256 key has at least 256 bits)")
        return secret

    @field_validator("jwt_public_key_file")
    @classmethod
    def _exists(cls, path: Path | None) -> Path | None:
        if path is not None and not path.is_file():
            raise ValueError(f"file {str(path)!r} does not exist")
        return path


LogLevel = Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(lambda v: str(v).strip().upper())]


class LoggingConfig(Section):
    level: LogLevel = setting("INFO", env="STACK_CFO_LOG_LEVEL")
    """Lowest level written (JSON lines on stderr)."""
