"""The ``rate_limits`` block: per-principal request rates, calls in flight and concurrent streams.

A rate is written in the ``limits`` library's notation, one or more windows separated by ``;``:
``"20/second;600/minute"`` lets a caller burst 20 calls in any second and sustain 600 a minute
(the short window is the bucket's size, the long one its refill rate). Users and service
principals have separate, independently configured limits.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from limits import parse_many
from pydantic import BeforeValidator, field_validator

from stack_cfo.config.fields import Duration, Section, setting
from stack_cfo.secret import Secret


def _rate(value: object) -> str:
    text = str(value).strip()
    try:
        items = parse_many(text)
    except ValueError:
        items = []
    if not items:
        raise ValueError(f'must be a rate such as "20/second;600/minute", got {text[:60]!r}')
    return text


Rate = Annotated[str, BeforeValidator(_rate)]
"""One or more ``N/period`` windows (``second``, ``minute``, ``hour``, ``day``), ``;``-separated."""


class PrincipalLimits(Section):
    """The limits of one kind of principal (users or service principals)."""

    reads: Rate
    """Read calls (Get*, List*) per principal."""
    writes: Rate
    """Calls that change state (Sync*, Record*, Create*, Update*, Delete*, Register*, Erase*...)."""
    paid_ai: Rate
    """Calls that may pay an AI provider (SendMessage, StreamPortfolioSummary, RunJob)."""
    streams: Rate
    """Server streams opened (WatchPortfolio, SendMessage, RunJob, StreamPortfolioSummary)."""
    concurrent_streams: int
    """Server streams one principal may hold open at once (across replicas with a Redis storage)."""
    calls_in_flight: int
    """Calls (unary and streaming) one principal may have in flight at once in one server process."""


# Two subclasses rather than two instances: each kind's keys need their own environment variables
# and defaults, which pydantic-settings reads from the field declarations.
class UserLimits(PrincipalLimits):
    reads: Rate = setting("50/second;1200/minute", env="STACK_CFO_RATE_LIMIT_USER_READS")
    """Read calls (Get*, List*) per user."""
    writes: Rate = setting("10/second;300/minute", env="STACK_CFO_RATE_LIMIT_USER_WRITES")
    """Calls that change state (Sync*, Create*, Update*, Delete*, Register*, ArchiveSession...) per user."""
    paid_ai: Rate = setting("2/second;30/minute", env="STACK_CFO_RATE_LIMIT_USER_PAID_AI")
    """Calls that may pay an AI provider (SendMessage, StreamPortfolioSummary) per user."""
    streams: Rate = setting("10/second;120/minute", env="STACK_CFO_RATE_LIMIT_USER_STREAMS")
    """Server streams opened (WatchPortfolio, SendMessage, StreamPortfolioSummary) per user."""
    concurrent_streams: int = setting(16, env="STACK_CFO_MAX_STREAMS_PER_USER", ge=1, le=100_000)
    """Server streams one user may hold open at once (across replicas with a Redis storage)."""
    calls_in_flight: int = setting(64, env="STACK_CFO_MAX_CALLS_IN_FLIGHT_PER_USER", ge=1, le=100_000)
    """Calls one user may have in flight at once per server process, unary and streams together, from admission
    until grpc has sent the status (a client that does not read its answers holds them that long); at most a
    quarter of server.max_concurrent_rpcs is used."""


class ServiceLimits(PrincipalLimits):
    reads: Rate = setting("2000/second", env="STACK_CFO_RATE_LIMIT_SERVICE_READS")
    """Read calls per service principal."""
    writes: Rate = setting("1000/second", env="STACK_CFO_RATE_LIMIT_SERVICE_WRITES")
    """State-changing calls (RecordPrices, IngestNews, EraseUserData...) per service principal."""
    paid_ai: Rate = setting("200/second", env="STACK_CFO_RATE_LIMIT_SERVICE_PAID_AI")
    """Calls that may pay an AI provider (RunJob, SendMessage...) per service principal."""
    streams: Rate = setting("200/second", env="STACK_CFO_RATE_LIMIT_SERVICE_STREAMS")
    """Server streams opened per service principal."""
    concurrent_streams: int = setting(512, env="STACK_CFO_MAX_STREAMS_PER_SERVICE", ge=1, le=100_000)
    """Server streams one service principal may hold open at once."""
    calls_in_flight: int = setting(640, env="STACK_CFO_MAX_CALLS_IN_FLIGHT_PER_SERVICE", ge=1, le=100_000)
    """Calls one service principal may have in flight at once per server process, unary and streams together
    (above its stream cap, so a backend holding all its streams can still call); at most three quarters of
    server.max_concurrent_rpcs is used."""


def _storage(value: object) -> object:
    text = value.get() if isinstance(value, Secret) else str(value or "").strip()
    if text in ("", "memory", "memory://"):
        return None
    if not text.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError('must be "memory://" or a redis://, rediss:// or unix:// URL')
    return Secret(text)


class RateLimitConfig(Section):
    enabled: bool = setting(True, env="STACK_CFO_RATE_LIMIT_ENABLED")
    """Per-principal limits on; off only for experiments (the bench compares both)."""
    storage: Annotated[Secret | None, BeforeValidator(_storage)] = setting(None, env="STACK_CFO_RATE_LIMIT_STORAGE")
    """memory:// (per process, the default) or redis://host:port/db so limits and stream counts hold across replicas."""
    user: UserLimits = setting(default_factory=UserLimits)
    service: ServiceLimits = setting(default_factory=ServiceLimits)
    stream_lease: Duration = setting(timedelta(seconds=60))
    """With Redis: an open stream's slot is renewed this often x3; a crashed replica's slots free after it."""
    repeat_log_after: int = setting(20, ge=1)
    """Refusals of one principal within a minute before a warning names it in the log (once a minute)."""

    @field_validator("stream_lease")
    @classmethod
    def _lease(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=3):
            raise ValueError("must be at least 3s")
        return value


__all__ = ["PrincipalLimits", "Rate", "RateLimitConfig", "ServiceLimits", "UserLimits"]

