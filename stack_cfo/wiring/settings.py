"""Configuration sections -> the typed settings each feature is built with.

The one place that knows how a key of the configuration becomes a constructor argument of a
feature (the compute client, the portfolio analytics, chat, the scheduler, the archive).
"""

from __future__ import annotations

import os

from stack_cfo.config import Config, parse_duration
from stack_cfo.core.ai import ComputeClient
from stack_cfo.core.chat.settings import ChatSettings
from stack_cfo.core.portfolio import AnalyticsSettings, CacheSettings, settings_overrides
from stack_cfo.scheduler.config import SchedulerConfig
from stack_cfo.zerog import ComputeConfig


def compute_config(config: Config) -> ComputeConfig:
    return ComputeConfig.from_mapping(config.section("zerog.compute"))


def scheduler_config(config: Config) -> SchedulerConfig:
    return SchedulerConfig.from_mapping(
        config.section("scheduler"), os.environ, notifications=config.section("notifications")
    )


def analytics_settings(config: Config) -> AnalyticsSettings:
    pc = config.portfolio
    settings = AnalyticsSettings(
        risk_free_annual=float(pc.risk_free_rate),
        benchmark_symbol=pc.benchmark_symbol,
        min_history=pc.min_history_days,
        stale_after=pc.stale_price_after,
    )
    insights = config.section("portfolio").get("insights")
    return settings_overrides(insights, settings) if isinstance(insights, dict) else settings


def cache_settings(config: Config) -> CacheSettings:
    ttl = config.section("portfolio").get("summary_cache_ttl")
    return CacheSettings(ttl=parse_duration(ttl).total_seconds()) if ttl not in (None, "") else CacheSettings()


def chat_settings(config: Config, compute: ComputeClient) -> ChatSettings:
    zc = config.section("zerog.compute")
    providers = zc.get("provider_id") or zc.get("provider_ids") or ()
    if isinstance(providers, str):
        providers = [p.strip() for p in providers.replace(",", " ").split()]
    default_provider = str(getattr(compute, "default_provider", "") or "router")
    return ChatSettings.from_config(
        config.chat,
        config.section("chat"),
        default_provider=default_provider if default_provider != "offline" else "router",
        known_providers=[str(p) for p in providers],
        extra_models=[str(getattr(compute, "default_model", "") or "")],
    )
