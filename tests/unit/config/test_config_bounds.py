"""A setting's bounds: a value beyond one is refused naming the key, the bound and the value given (as
a number's error always did: "must be >= 1, got 0"), and the generated docs (README's table,
``config.example.yaml``) state every key's bounds, durations written as durations."""

from __future__ import annotations

import pytest

from stack_cfo.config import Config, ConfigError, build_config
from stack_cfo.config.docs import bounds_note, example_yaml, table
from stack_cfo.config.tree import keys


@pytest.mark.parametrize("file, env, key, problem", [
    ({"server": {"db_health_interval": "99ms"}}, {}, "server.db_health_interval", "must be >= 100ms, got '99ms'"),
    ({"server": {"db_health_timeout": "5ms"}}, {}, "server.db_health_timeout", "must be >= 10ms, got '5ms'"),
    ({"server": {"db_health_timeout": 0.005}}, {}, "server.db_health_timeout", "must be >= 10ms, got 0.005"),
    ({}, {"SCHEDULER_POLL_INTERVAL": "10ms"}, "SCHEDULER_POLL_INTERVAL (scheduler.poll_interval)",
     "must be >= 50ms, got '10ms'"),
    ({"notifications": {"apns": {"token_refresh": "70m"}}}, {}, "notifications.apns.token_refresh",
     "must be <= 59 minutes, got '70m'"),
])
def test_a_duration_beyond_its_bound_is_refused_naming_key_bound_and_value(
    file: dict[str, object], env: dict[str, str], key: str, problem: str
) -> None:
    """The bound was checked on the parsed duration, so the error could not say what was written:
    ``server.db_health_interval: must be >= 100ms`` for ``99ms``."""
    with pytest.raises(ConfigError) as info:
        build_config(file, env)
    assert (info.value.key, info.value.problem) == (key, problem)


def test_a_duration_within_its_bounds_and_other_duration_errors_are_as_before() -> None:
    assert build_config({"server": {"db_health_interval": "100ms"}}, {}).server.db_health_interval.total_seconds() \
        == 0.1
    with pytest.raises(ConfigError) as info:
        build_config({"server": {"db_health_interval": "soon"}}, {})
    assert info.value.problem.startswith("must be a duration") and "'soon'" in info.value.problem


def test_the_generated_docs_state_each_keys_bounds() -> None:
    """The minimums were refused at start but written nowhere."""
    rows = {line.split("`")[1]: line for line in table().splitlines() if line.startswith("| `")}
    assert rows["server.db_health_interval"].endswith("Must be >= 100ms. |")
    assert rows["server.db_health_timeout"].endswith("Must be >= 10ms. |")
    assert rows["server.workers"].endswith("Must be >= 1 and <= 256. |")
    assert rows["notifications.apns.token_refresh"].endswith("Must be >= 20m and <= 59m. |")
    assert rows["zerog.compute.timeouts.connect"].endswith("Must be > 0s. |")  # float seconds, as a duration
    assert rows["portfolio.risk_free_rate"].endswith("Must be > -0.5 and < 1. |")
    assert "Must be" not in rows["server.drain_delay"]  # no bounds, no note
    example = example_yaml()
    assert ("# How often readiness checks the database (a check starts this often, however long the last one "
            "took). Must be >= 100ms.\n  db_health_interval: \"1s\"") in example
    # every bounded key says so
    for key in keys(Config):
        if any(hasattr(rule, b) for rule in key.field.metadata for b in ("ge", "gt", "le", "lt")):
            assert bounds_note(key) and bounds_note(key) in rows[key.dotted], key.dotted
