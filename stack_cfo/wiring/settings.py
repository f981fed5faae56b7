"""Configuration sections -> the typed settings each feature is built with.

The one place that knows how a key of the configuration becomes a constructor argument of a
feature (the compute client, the portfolio analytics, chat, the scheduler, the archive). The
sections arrive typed and validated (:mod:`stack_cfo.config`); nothing here parses.
"""

from __future__ import annotations

from stack_cfo.config import Config
from stack_cfo.config.compute import ComputeMode
from stack_cfo.core.ai import ComputeClient
from stack_cfo.core.chat.settings import ChatSettings
from stack_cfo.core.portfolio import AnalyticsSettings, CacheSettings, InsightThresholds
from stack_cfo.scheduler.config import SchedulerConfig
from stack_cfo.zerog import ComputeConfig


def compute_config(config: Config) -> ComputeConfig:
    return config.zerog.compute


def scheduler_config(config: Config) -> SchedulerConfig:
    return SchedulerConfig.from_config(config)


def analytics_settings(config: Config) -> AnalyticsSettings:
    pc = config.portfolio
    return AnalyticsSettings(
        risk_free_annual=float(pc.risk_free_rate),
        benchmark_symbol=pc.benchmark_symbol,
        min_history=pc.min_history_days,
        stale_after=pc.stale_price_after,
        thresholds=InsightThresholds(**pc.insights.model_dump()),
    )


def cache_settings(config: Config) -> CacheSettings:
    return CacheSettings(
        ttl=config.portfolio.summary_cache_ttl, max_summary_positions=config.portfolio.summary_cache_positions
    )


def chat_settings(config: Config, compute: ComputeClient) -> ChatSettings:
    """The ``chat`` section, plus what the compute client says about its models and providers."""
    chat, zc = config.chat, config.zerog.compute
    default_provider = str(getattr(compute, "default_provider", "") or "router")
    default_provider = default_provider if default_provider != "offline" else "router"
    models = {*chat.allowed_models, str(getattr(compute, "default_model", "") or ""), zc.default_model}
    return ChatSettings(
        default_model=zc.default_model,
        default_provider=default_provider,
        allowed_models=frozenset(m for m in models if m.strip()),
        max_message_chars=chat.max_message_chars,
        context_staleness=chat.context_staleness,
        summarize_interval=chat.summarize_interval,
        keep_recent_messages=chat.keep_recent_messages,
        summary_step=chat.summary_step,
        summary_max_chars=chat.summary_max_chars,
        daily_token_budget=chat.daily_token_budget,
        prompt_budget_tokens=chat.prompt_budget_tokens,
        max_answer_tokens=chat.max_answer_tokens,
        summary_timeout=chat.summary_timeout,
        summary_wait=chat.summary_wait,
        lock_wait=chat.lock_wait,
        grounding_policy=chat.grounding_policy,
        delta_interval=chat.delta_interval,
        store_retry_for=chat.store_retry_for,
        known_providers=frozenset({default_provider, *configured_providers(zc, compute)}),
    )


def configured_providers(zc: ComputeConfig, compute: ComputeClient) -> frozenset[str]:
    """The providers this server answers with, as a session may name them: the direct providers
    (``provider_id``) and ``router`` when the router is in use (its mode, or ``auto`` with an
    API key). Never ``offline``: that names the deterministic writer, not a provider."""
    names = getattr(compute, "upstream_names", None)
    if isinstance(names, list | tuple):
        return frozenset(str(n) for n in names)
    use_router = zc.mode in (ComputeMode.ROUTER, ComputeMode.AUTO) and zc.router_enabled
    use_direct = zc.mode in (ComputeMode.DIRECT, ComputeMode.AUTO) and zc.direct_enabled
    return frozenset({*(zc.provider_ids if use_direct else ()), *(("router",) if use_router else ())})
