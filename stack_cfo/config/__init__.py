"""The configuration: one typed model of every key, read from ``config.yaml`` (the seed's
format, ``${VAR}`` expanded) and the environment (the seed's variable names plus ours).

Priority: environment > file > defaults. Each key is declared once, in the section modules
(:mod:`.service`, :mod:`.features`, :mod:`.compute`, :mod:`.storage`, :mod:`.scheduler`,
:mod:`.notifications`), with its type, default, bounds, description and environment variable;
secrets are :class:`~stack_cfo.secret.Secret` values and also read ``<VAR>_FILE``.
``config.example.yaml`` and the README's table are generated from it (:mod:`.docs`).

An invalid value raises :class:`ConfigError` naming the key; the CLI prints one line and
exits 2 (``config show`` first prints every value it read, then every error). This package
sits below every feature: it imports ``core`` but never ``api``, ``store``, ``zerog``,
``scheduler``, ``crypto`` or the wiring.
"""

from stack_cfo.config.compute import (
    BreakerPolicy,
    CompletionDefaults,
    ComputeConfig,
    ComputeMode,
    FundingPolicy,
    RetryPolicy,
    Timeouts,
)
from stack_cfo.config.errors import ConfigError
from stack_cfo.config.features import ArchiveConfig, ChatConfig, InsightsConfig, PortfolioConfig
from stack_cfo.config.limits import PrincipalLimits, RateLimitConfig
from stack_cfo.config.networks import INDEXERS, NETWORKS, Network
from stack_cfo.config.notifications import (
    ApnsSettings,
    FcmSettings,
    FeedSettings,
    NotificationsConfig,
    SmtpSettings,
    WebhookSettings,
)
from stack_cfo.config.root import Config, ZeroGConfig, build_config, load_config
from stack_cfo.config.scheduler import SchedulerSettings
from stack_cfo.config.service import AuthConfig, DatabaseConfig, LoggingConfig, ServerConfig
from stack_cfo.config.sources import Origin
from stack_cfo.config.storage import DEFAULT_NAMESPACES, StorageConfig

__all__ = [
    "DEFAULT_NAMESPACES",
    "INDEXERS",
    "NETWORKS",
    "ApnsSettings",
    "ArchiveConfig",
    "AuthConfig",
    "BreakerPolicy",
    "ChatConfig",
    "CompletionDefaults",
    "ComputeConfig",
    "ComputeMode",
    "Config",
    "ConfigError",
    "DatabaseConfig",
    "FcmSettings",
    "FeedSettings",
    "FundingPolicy",
    "InsightsConfig",
    "LoggingConfig",
    "Network",
    "NotificationsConfig",
    "Origin",
    "PortfolioConfig",
    "PrincipalLimits",
    "RateLimitConfig",
    "RetryPolicy",
    "SchedulerSettings",
    "ServerConfig",
    "SmtpSettings",
    "StorageConfig",
    "Timeouts",
    "WebhookSettings",
    "ZeroGConfig",
    "build_config",
    "load_config",
]
