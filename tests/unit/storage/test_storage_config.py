"""StorageConfig from the seed's ``zerog.storage`` block."""

from __future__ import annotations

from typing import Any

import pytest

from stack_cfo.config import ConfigError, build_config
from stack_cfo.core.archive import AI_ARTIFACTS, AI_SUMMARIES, CHAT_SESSIONS
from stack_cfo.secret import Secret
from stack_cfo.zerog.storage.client import ZeroGStorageStore
from stack_cfo.zerog.storage.config import INDEXERS, StorageConfig

KEY = "ab" * 32


def from_block(block: dict[str, Any] | None) -> StorageConfig:
    """The typed ``zerog.storage`` section of a config file holding ``block``."""
    return build_config({"zerog": {"storage": block}} if block is not None else {}).zerog.storage


def test_seed_block_reads_as_documented() -> None:
    cfg = from_block(
        {
            "rpc_endpoint": "https://storage.0g.ai",
            "private_key": KEY,
            "timeout": "30s",
            "max_retries": 3,
            "namespaces": {
                "ai_summaries": "ai-summaries/",
                "ai_artifacts": "ai-artifacts/",
                "chat_sessions": "chat-sessions/",
            },
        }
    )
    assert cfg.node_urls == ("https://storage.0g.ai",)
    assert cfg.indexer_url == INDEXERS["testnet"] and cfg.chain_rpc_url == "https://evmrpc-testnet.0g.ai"
    assert cfg.timeout == 30.0 and cfg.max_retries == 3
    assert set(cfg.namespaces.values()) == {AI_SUMMARIES, AI_ARTIFACTS, CHAT_SESSIONS}
    assert cfg.private_key == Secret("0x" + KEY) and cfg.uploads_enabled
    assert KEY not in repr(cfg)  # the key never shows in a repr or a log line


def test_defaults_are_read_only_and_mainnet_switches_endpoints() -> None:
    assert not from_block(None).uploads_enabled
    main = from_block(
        {
            "network": "mainnet",
            "node_urls": ["http://a:5678", "http://b:5678/"],
            "finality_timeout": "2m",
            "flow_address": "0x" + "22" * 20,
        }
    )
    assert main.indexer_url == INDEXERS["mainnet"] and main.chain_rpc_url == "https://evmrpc.0g.ai"
    assert main.node_urls == ("http://a:5678", "http://b:5678") and main.finality_timeout == 120.0
    assert main.flow_address == "0x" + "22" * 20


@pytest.mark.parametrize(
    ("block", "field"),
    [
        ({"network": "devnet"}, "zerog.storage.network"),
        ({"rpc_endpoint": "storage.0g.ai"}, "zerog.storage.rpc_endpoint"),
        ({"private_key": "not-a-key"}, "zerog.storage.private_key"),
        ({"timeout": "soon"}, "zerog.storage.timeout"),
        ({"max_retries": 0}, "zerog.storage.max_retries"),
        ({"flow_address": "0x1234"}, "zerog.storage.flow_address"),
        ({"namespaces": {"chat_sessions": "Chat Sessions"}}, "zerog.storage.namespaces.chat_sessions"),
    ],
)
def test_bad_values_name_their_key(block: dict, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        from_block(block)
    assert info.value.key == field


async def test_store_repr_hides_the_key() -> None:
    store = ZeroGStorageStore(from_block({"private_key": KEY}))
    try:
        assert KEY not in repr(store) and "uploads=True" in repr(store)
    finally:
        await store.close()
