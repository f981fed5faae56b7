"""Well-known addresses of the public 0G networks (from the official SDKs' constants).

They are the defaults of ``zerog.compute`` and ``zerog.storage`` keys (chain id, RPC URL,
contracts, indexer), so they live with the configuration; the clients import them from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Network:
    """Well-known addresses of one 0G network."""

    name: str
    chain_id: int
    rpc_url: str
    ledger_address: str
    inference_address: str
    router_url: str
    indexer_url: str


NETWORKS: Mapping[str, Network] = {
    "mainnet": Network(
        "mainnet",
        16661,
        "https://evmrpc.0g.ai",
        "0x2dE54c845Cd948B72D2e32e39586fe89607074E3",
        "0x47340d900bdFec2BD393c626E12ea0656F938d84",
        "https://router-api.0g.ai/v1",
        "https://indexer-storage-turbo.0g.ai",  # from the community Python port
    ),
    "testnet": Network(
        "testnet",
        16602,
        "https://evmrpc-testnet.0g.ai",
        "0xE70830508dAc0A97e6c087c75f402f9Be669E406",
        "0xa79F4c8311FF93C06b8CfB403690cc987c93F91E",
        "https://router-api.0g.ai/v1",
        "https://indexer-storage-testnet-turbo.0g.ai",  # 0G docs
    ),
}

#: Storage indexers of the public networks.
INDEXERS: Mapping[str, str] = {name: net.indexer_url for name, net in NETWORKS.items()}


def known_network(value: str) -> str:
    if value not in NETWORKS:
        raise ValueError(f"must be one of {', '.join(NETWORKS)}, got {value!r}")
    return value
