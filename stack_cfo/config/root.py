"""The whole configuration and how it is loaded."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, PrivateAttr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from stack_cfo.config import sources
from stack_cfo.config.compute import ComputeConfig
from stack_cfo.config.errors import ConfigError, InvalidConfig, validation_errors
from stack_cfo.config.features import ArchiveConfig, ChatConfig, PortfolioConfig
from stack_cfo.config.fields import Section, setting
from stack_cfo.config.limits import RateLimitConfig
from stack_cfo.config.notifications import NotificationsConfig
from stack_cfo.config.scheduler import SchedulerSettings
from stack_cfo.config.service import AuthConfig, DatabaseConfig, LoggingConfig, ServerConfig
from stack_cfo.config.storage import StorageConfig
from stack_cfo.config.tree import is_secret, keys, secrets
from stack_cfo.secret import Secret


class ZeroGConfig(Section):
    compute: ComputeConfig = setting(default_factory=ComputeConfig)
    storage: StorageConfig = setting(default_factory=StorageConfig)


class Config(BaseSettings):
    """Every key of ``config.yaml``, typed. Build it with :func:`load_config`."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", use_attribute_docstrings=True)

    server: ServerConfig = setting(default_factory=ServerConfig)
    database: DatabaseConfig = setting(default_factory=DatabaseConfig)
    auth: AuthConfig = setting(default_factory=AuthConfig)
    logging: LoggingConfig = setting(default_factory=LoggingConfig)
    rate_limits: RateLimitConfig = setting(default_factory=RateLimitConfig)
    chat: ChatConfig = setting(default_factory=ChatConfig)
    portfolio: PortfolioConfig = setting(default_factory=PortfolioConfig)
    archive: ArchiveConfig = setting(default_factory=ArchiveConfig)
    zerog: ZeroGConfig = setting(default_factory=ZeroGConfig)
    scheduler: SchedulerSettings = setting(default_factory=SchedulerSettings)
    notifications: NotificationsConfig = setting(default_factory=NotificationsConfig)

    _origins: dict[str, sources.Origin] = PrivateAttr(default_factory=dict)
    _unknown: tuple[str, ...] = PrivateAttr(default=())

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        load = sources.current_load()
        return (
            init_settings,
            sources.EnvSource(settings_cls, load),
            sources.FileSource(settings_cls, load),
            sources.FallbackEnvSource(settings_cls, load),
        )

    def origin(self, dotted: str) -> sources.Origin:
        """Where the value of ``dotted`` (a key as ``config.example.yaml`` spells it) came from."""
        return self._origins.get(dotted, sources.DEFAULT)

    @property
    def unknown_keys(self) -> tuple[str, ...]:
        """Keys the config file sets that no setting has: ignored, and warned about at start-up."""
        return self._unknown

    def label(self, dotted: str) -> str:
        """``dotted`` named for an operator: with its environment variable when that set it."""
        return sources.label(dotted, self._origins)

    def secrets(self) -> Iterator[Secret]:
        """Every secret value configured (for log redaction)."""
        return secrets(self)


def load_config(
    path: str | Path | None = None, env: Mapping[str, str] | None = None, *, unchecked: frozenset[str] = frozenset()
) -> Config:
    """Read the file (``path`` or ``$STACK_CFO_CONFIG``, if any) and the environment; validate
    everything. Raises :class:`ConfigError` naming the first bad key (an :class:`InvalidConfig`,
    with every bad key and what was read, when the values read do not validate).

    ``unchecked``: top-level sections (``auth``) left at their defaults, unvalidated, whatever was
    read for them: for a command that does not use them (``migrate`` needs the database only)."""
    env = os.environ if env is None else env
    path = path or env.get("STACK_CFO_CONFIG") or None
    return _load(sources.Load(env, path=Path(path) if path else None), unchecked)


def build_config(tree: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Config:
    """A config from an already parsed file ``tree`` and ``env`` (none by default): for tests."""
    return _load(sources.Load(env or {}, tree=tree))


def _load(load: sources.Load, unchecked: frozenset[str] = frozenset()) -> Config:
    token = sources.activate(load)
    try:
        # an instance given at init replaces what the sources read for that section, and is not revalidated
        defaults: dict[str, Any] = {}
        for name in unchecked:
            section = Config.model_fields[name].annotation if name in Config.model_fields else None
            if isinstance(section, type) and issubclass(section, BaseModel):
                defaults[name] = section.model_construct()
        config = Config(**defaults)
    except ValidationError as exc:
        origins = load.origins()
        errors = validation_errors(exc, lambda dotted: sources.label(dotted, origins), is_secret(Config))
        known = {k.dotted for k in keys(Config)}
        raise InvalidConfig(
            [error for _, error in errors],
            invalid=frozenset(d for d, _ in errors if d in known),
            read=load.read(Config),
            sources={dotted: origin.describe() for dotted, origin in origins.items()},
            unknown=tuple(load.unknown),
        ) from None
    finally:
        sources.deactivate(token)
    config._origins = load.origins()
    config._unknown = tuple(load.unknown)
    return config


__all__ = ["Config", "ConfigError", "ZeroGConfig", "build_config", "load_config"]
