"""The feature blocks: ``chat``, ``portfolio`` and ``archive``.

Defaults that the domain also uses (chat tuning, insight thresholds, history length) are
read from ``core``'s own settings objects, so there is one number for each.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, field_validator

from stack_cfo.config.fields import Duration, Lower, PositiveSeconds, Seconds, Section, setting, split_list
from stack_cfo.core.chat.settings import ChatSettings
from stack_cfo.core.portfolio.cache import CacheSettings
from stack_cfo.core.portfolio.settings import DEFAULT_MIN_HISTORY, AnalyticsSettings, InsightThresholds
from stack_cfo.secret import Secret

_CHAT = ChatSettings()
_ANALYTICS = AnalyticsSettings()
_INSIGHTS = InsightThresholds()
_CACHE = CacheSettings()


class ChatConfig(Section):
    max_message_chars: int = setting(_CHAT.max_message_chars, ge=1, le=100_000)
    """Longest user message; longer ones are INVALID_ARGUMENT (CONTENT_TOO_LONG)."""
    context_staleness: Duration = _CHAT.context_staleness
    """A portfolio context older than this is refreshed before the next answer."""
    summarize_interval: int = setting(_CHAT.summarize_interval, ge=4)
    """Default for new sessions: compress once this many messages are not yet summarised."""
    keep_recent_messages: int = setting(_CHAT.keep_recent_messages, ge=2)
    """Messages kept verbatim after a summary (at most half the session's interval); up to summary_step more
    accumulate until the next re-summary."""
    summary_step: int = setting(_CHAT.summary_step, ge=1)
    """After the first summary, re-summarise every this many new messages (in the background; at most the
    session's interval minus the messages kept)."""
    summary_max_chars: int = setting(_CHAT.summary_max_chars, ge=200)
    """Cap on a stored summary; it is part of every later prompt."""
    daily_token_budget: int = setting(_CHAT.daily_token_budget, env="CHAT_DAILY_TOKEN_BUDGET", ge=0)
    """AI tokens one user may spend per UTC day: chat turns across sessions and portfolio narratives
    (StreamPortfolioSummary, which then gets the deterministic narrative); 0 = unlimited."""
    prompt_budget_tokens: int = setting(_CHAT.prompt_budget_tokens, ge=256)
    """Estimated prompt size limit; the oldest kept messages are dropped beyond it."""
    max_answer_tokens: int | None = setting(_CHAT.max_answer_tokens, ge=1)
    """Completion limit per answer; unset = zerog.compute.model_config.max_tokens."""
    summary_timeout: PositiveSeconds = _CHAT.summary_timeout
    """How long a summary may take before the deterministic writer's summary is used."""
    summary_wait: Seconds = _CHAT.summary_wait
    """How long a message waits for the background summary of earlier turns before answering."""
    lock_wait: PositiveSeconds = _CHAT.lock_wait
    """How long a message waits for an earlier turn on the same session (without a deadline)."""
    allowed_models: Annotated[tuple[str, ...], BeforeValidator(split_list)] = ()
    """Models a session may ask for besides the default (anything else is UNKNOWN_MODEL)."""
    grounding_policy: Literal["flag", "replace"] = setting(_CHAT.grounding_policy, env="CHAT_GROUNDING_POLICY")
    """Answers stating figures that match nothing computed: "flag" them, or "replace" them by the deterministic one."""
    delta_interval: Seconds = setting(0, ge=0, le=1)
    """SendMessage sends at most one delta per this long: the answer text that arrived meanwhile goes out
    together when it ends; the first delta is never held (0 = the text as it arrives, token by token:
    what one read of the provider's stream brought is one delta, never held). 0.05 takes about a
    tenth more off a turn's server CPU (bench/chat_cpu.py)."""
    store_retry_for: Seconds = setting(_CHAT.store_retry_for, ge=0, le=25)
    """How long a finished turn retries storing its answer while the database is unavailable (under the
    30 s turn lease, so a retry of the request_id replays the stored answer instead of paying again)."""


class InsightsConfig(Section):
    """When each portfolio insight fires. Fractions: 0.10 means 10 %."""

    position_weight: float = setting(_INSIGHTS.position_weight, ge=0, le=1)
    """A position above this share of invested value: POSITION_CONCENTRATION (warning)."""
    position_weight_critical: float = setting(_INSIGHTS.position_weight_critical, ge=0, le=1)
    """... and above this one the same insight is critical."""
    sector_weight: float = setting(_INSIGHTS.sector_weight, ge=0, le=1)
    """A sector above this share of invested value: SECTOR_CONCENTRATION."""
    drawdown_warning: float = setting(_INSIGHTS.drawdown_warning, ge=-1, le=0)
    """Current drawdown at or below this: DRAWDOWN (warning)."""
    drawdown_critical: float = setting(_INSIGHTS.drawdown_critical, ge=-1, le=0)
    """Current drawdown at or below this: DRAWDOWN (critical)."""
    basket_lag: float = setting(_INSIGHTS.basket_lag, ge=0, le=1)
    """A basket trailing the benchmark's week return by more than this: BASKET_LAGGING_BENCHMARK."""
    position_lag: float = setting(_INSIGHTS.position_lag, ge=0, le=1)
    """A position trailing the benchmark's week return by more than this: POSITION_LAGGING_BENCHMARK."""
    position_lag_min_weight: float = setting(_INSIGHTS.position_lag_min_weight, ge=0, le=1)
    """... only for positions at least this heavy."""
    max_lagging_positions: int = setting(_INSIGHTS.max_lagging_positions, ge=0)
    """At most this many POSITION_LAGGING_BENCHMARK insights (the worst first)."""
    worst_contributors: int = setting(_INSIGHTS.worst_contributors, ge=0)
    """How many worst contributors a lagging-basket insight names."""
    idle_cash: float = setting(_INSIGHTS.idle_cash, ge=0, le=1)
    """Cash above this share of total value: IDLE_CASH."""


class PortfolioConfig(Section):
    benchmark_symbol: Annotated[str, BeforeValidator(lambda v: str(v).strip().upper())] = setting(
        _ANALYTICS.benchmark_symbol, env="PORTFOLIO_BENCHMARK_SYMBOL"
    )
    """Benchmark for alpha, beta and the lagging-benchmark insights."""
    risk_free_rate: Decimal = setting(Decimal("0.02"), env="PORTFOLIO_RISK_FREE_RATE", gt=Decimal("-0.5"),
                                      lt=Decimal("1"), allow_inf_nan=False)
    """Annual risk-free rate as a fraction (0.02), converted geometrically to daily for Sharpe/Sortino/alpha."""
    min_history_days: int = setting(DEFAULT_MIN_HISTORY, ge=0)
    """Annualised figures are absent (INSUFFICIENT_HISTORY) below this many daily returns, and (SPARSE_HISTORY)
    when the returns are fewer than half the weekdays they span (closes recorded weekly or monthly).
    0 = every figure from 2 returns on, whatever their spacing."""
    stale_price_after: Duration | None = _ANALYTICS.stale_after
    """A price older than this is stale. Unset: more than one trading day old (NYSE calendar)."""
    summary_cache_ttl: Seconds = _CACHE.ttl
    """How long a computed summary may be served (any relevant change drops it earlier)."""
    summary_cache_positions: int = setting(_CACHE.max_summary_positions, ge=1)
    """Positions the cached summaries of a process hold in all (a summary counts its positions + 1; about 2 KB of
    memory each with its API message): the least recently used go first."""
    insights: InsightsConfig = setting(default_factory=InsightsConfig)


def _master_keys_text(value: Any) -> Any:
    """The mapping form ``{primary: id, keys: {id: KEY}}`` as the ``id:KEY,...`` text (primary first)."""
    if not isinstance(value, Mapping):
        return value
    ring = value.get("keys")
    if not isinstance(ring, Mapping) or not ring:
        raise ValueError("needs a 'keys' mapping of id -> key")
    material = {str(k): v.get() if isinstance(v, Secret) else str(v) for k, v in ring.items()}
    primary = str(value.get("primary") or next(iter(material)))
    if primary not in material:
        raise ValueError(f"primary {primary!r} is not one of the keys")
    order = [primary, *(k for k in material if k != primary)]
    return ",".join(f"{k}:{material[k]}" for k in order)


class ArchiveConfig(Section):
    backend: Annotated[Literal["postgres", "0g"], Lower] = setting("postgres", env="ZEROG_STORAGE_BACKEND")
    """Where sealed archives go: postgres, or 0g (0G Storage, configured by zerog.storage)."""
    master_keys: Annotated[Secret | None, BeforeValidator(_master_keys_text)] = setting(
        None, env="STACK_CFO_ARCHIVE_MASTER_KEYS"
    )
    """"id:base64key[,id:oldkey...]", first is primary; unset: one is generated into data_dir (local use only)."""
    encrypt_at_rest: bool = setting(True, env="STACK_CFO_ENCRYPT_AT_REST")
    """Seal user data in its rows under per-user keys (docs/security.md); off: new rows stay clear."""
    key_cache_size: int = setting(10_000, ge=1)
    """Users whose data keys each process keeps unwrapped in memory."""
    key_cache_ttl: PositiveSeconds = setting(60.0)
    """How long a process keeps a user's data key: an erasure in another process takes effect here within it."""

    @field_validator("master_keys")
    @classmethod
    def _not_blank(cls, keys: Secret | None) -> Secret | None:
        return keys if keys else None

