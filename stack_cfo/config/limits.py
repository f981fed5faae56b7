"""The ``rate_limits`` block: per-principal request rates, calls in flight, concurrent streams and
the CPU of uncached reads and of the heavy writes.

A rate is written in the ``limits`` library's notation, one or more windows separated by ``;``:
``"20/second;600/minute"`` lets a caller burst 20 calls in any second and sustain 600 a minute
(the short window is the bucket's size, the long one its refill rate). A CPU rate is CPU time per
wall-clock time, ``"1s/10s"`` (a tenth of a core), or ``"unlimited"``; its bucket's size is a
separate duration (``read_cpu_burst``, ``write_cpu_burst``). Users and service principals have separate, independently
configured limits.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from limits import parse_many
from pydantic import BeforeValidator, field_validator

from stack_cfo.config.fields import Duration, Section, setting
from stack_cfo.durations import parse_seconds
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

UNLIMITED = "unlimited"


def cpu_rate(text: str) -> float | None:
    """CPU seconds per wall-clock second of a :data:`CpuRate` (``"1s/10s"``: 0.1), None when unlimited.
    ValueError with a one-line reason for anything else."""
    value = text.strip().lower()
    if value == UNLIMITED:
        return None
    problem = f'must be CPU time per period such as "1s/10s", or "unlimited", got {text[:60]!r}'
    cpu, sep, per = value.partition("/")
    if not sep:
        raise ValueError(problem)
    try:
        seconds, period = parse_seconds(cpu.strip()), parse_seconds(per.strip())
    except ValueError as exc:
        raise ValueError(f"{problem} ({exc})") from None
    if seconds <= 0 or period <= 0:
        raise ValueError(f"{problem} (both durations above zero)")
    return seconds / period


def _cpu_rate(value: object) -> str:
    text = str(value).strip()
    cpu_rate(text)
    return text.lower() if text.lower() == UNLIMITED else text


CpuRate = Annotated[str, BeforeValidator(_cpu_rate)]
"""CPU time per wall-clock period (``"1s/10s"``: a tenth of a core, sustained), or ``"unlimited"``."""


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
    read_cpu: CpuRate
    """CPU time one principal's uncached summaries and histories may take per server process, sustained."""
    read_cpu_burst: Duration
    """CPU time those may take at once before ``read_cpu``'s rate applies (the bucket's size)."""
    write_cpu: CpuRate
    """CPU time one principal's heavy writes (SyncPortfolio, RecordPrices...) may take per server process, sustained."""
    write_cpu_burst: Duration
    """CPU time those may take at once before ``write_cpu``'s rate applies (the bucket's size)."""

    @field_validator("read_cpu_burst", "write_cpu_burst")
    @classmethod
    def _burst(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be above zero")
        return value


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
    read_cpu: CpuRate = setting("1s/10s", env="STACK_CFO_RATE_LIMIT_USER_READ_CPU")
    """CPU time one user's uncached reads may take per server process, sustained ("1s/10s": a tenth of a core):
    the summaries computed for GetPortfolioSummary, StreamPortfolioSummary and a watch's first update, the
    histories of GetPerformanceHistory, and their messages (cached answers cost nothing). Once spent (a read
    already running finishes, and is charged), the user's next uncached read is RESOURCE_EXHAUSTED
    (READ_CPU_BUDGET_EXHAUSTED) until enough has refilled; "unlimited" turns it off."""
    read_cpu_burst: Duration = setting(timedelta(seconds=5), env="STACK_CFO_RATE_LIMIT_USER_READ_CPU_BURST")
    """CPU time one user's uncached reads may take at once before read_cpu's rate applies (the bucket's size)."""
    write_cpu: CpuRate = setting("1s/10s", env="STACK_CFO_RATE_LIMIT_USER_WRITE_CPU")
    """CPU time one user's heavy writes may take per server process, sustained ("1s/10s": a tenth of a core):
    SyncPortfolio, ImportHoldingsHistory, BatchCreateTransactions, UpdateTransaction, DeleteTransaction,
    RecordPrices, RecordExchangeRates, IngestNews and UpdatePortfolioContext: what each takes on the event loop
    from the decoding of its request to its answer, refused calls included (the rate of writes counts calls, not
    their size), and the summaries it computes. At most three of one user's such calls run at once per process
    (more wait their turn); once the
    budget is spent (a call already running finishes, and is charged), the next is RESOURCE_EXHAUSTED
    (WRITE_CPU_BUDGET_EXHAUSTED) before its request is read, until enough has refilled; "unlimited" turns it
    off."""
    write_cpu_burst: Duration = setting(timedelta(seconds=5), env="STACK_CFO_RATE_LIMIT_USER_WRITE_CPU_BURST")
    """CPU time one user's heavy writes may take at once before write_cpu's rate applies (the bucket's size)."""


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
    read_cpu: CpuRate = setting(UNLIMITED, env="STACK_CFO_RATE_LIMIT_SERVICE_READ_CPU")
    """CPU time one service principal's uncached reads may take per server process, sustained (as
    rate_limits.user.read_cpu; a backend reads for many users)."""
    read_cpu_burst: Duration = setting(timedelta(seconds=60), env="STACK_CFO_RATE_LIMIT_SERVICE_READ_CPU_BURST")
    """CPU time one service principal's uncached reads may take at once before read_cpu's rate applies."""
    write_cpu: CpuRate = setting(UNLIMITED, env="STACK_CFO_RATE_LIMIT_SERVICE_WRITE_CPU")
    """CPU time one service principal's heavy writes may take per server process, sustained (as
    rate_limits.user.write_cpu; a backend records prices and news for everyone)."""
    write_cpu_burst: Duration = setting(timedelta(seconds=60), env="STACK_CFO_RATE_LIMIT_SERVICE_WRITE_CPU_BURST")
    """CPU time one service principal's heavy writes may take at once before write_cpu's rate applies."""


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


__all__ = ["UNLIMITED", "CpuRate", "PrincipalLimits", "Rate", "RateLimitConfig", "ServiceLimits", "UserLimits",
           "cpu_rate"]

