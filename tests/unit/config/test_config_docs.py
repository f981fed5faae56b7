"""``config.example.yaml`` and the README's table are generated from the model: they list every
key, and the committed files are what ``make config-docs`` writes."""

from __future__ import annotations

import yaml

from stack_cfo.config import Config, build_config, load_config
from stack_cfo.config.docs import ROOT, example_yaml, readme_with_table
from stack_cfo.config.tree import keys


def test_committed_files_match_the_generator() -> None:
    example, readme = ROOT / "config.example.yaml", ROOT / "README.md"
    assert example.read_text("utf-8") == example_yaml(), "config.example.yaml is stale: run `make config-docs`"
    text = readme.read_text("utf-8")
    assert text == readme_with_table(text), "README.md's configuration table is stale: run `make config-docs`"


def test_the_example_lists_every_key_at_its_default() -> None:
    tree = yaml.safe_load(example_yaml())
    for key in keys(Config):
        node = tree
        for part in key.path:
            assert part in node, f"{key.dotted} is missing from config.example.yaml"
            node = node[part]
    loaded = load_config(ROOT / "config.example.yaml", {})
    assert loaded.model_dump() == build_config({}).model_dump()


def test_keys_users_could_not_find_are_documented() -> None:
    text = example_yaml()
    readme = (ROOT / "README.md").read_text("utf-8")
    for key in ("portfolio.min_history_days", "server.keepalive_time", "server.max_connection_age",
                "server.max_message_bytes", "zerog.compute.chain_id", "zerog.compute.contracts.ledger"):
        assert f"`{key}`" in readme and key.rsplit(".", 1)[1] + ":" in text
    assert "SCHEDULER_METRICS_LISTEN" in readme and "ZEROG_COMPUTE_PRIVATE_KEY_FILE" in readme
