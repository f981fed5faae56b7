"""``zerog.storage``: the 0G Storage archive backend's block (the seed's keys plus ours)::

    zerog:
      storage:
        rpc_endpoint: "https://node.example:5678"  # storage node JSON-RPC (zgs_*); a list or
                                                  # comma-separated; empty: ask the indexer
        indexer_url: "https://indexer-storage-testnet-turbo.0g.ai"
        private_key: "${ZEROG_STORAGE_PRIVATE_KEY}"  # wallet paying the Flow fee (hex)
        network: testnet                 # chain RPC and indexer defaults
        timeout: 30s
        max_retries: 3
        namespaces: {ai_summaries: "ai-summaries/", ai_artifacts: "ai-artifacts/",
                     chat_sessions: "chat-sessions/"}

The seed's ``rpc_endpoint: https://storage.0g.ai`` is a placeholder (no such public node):
it is read as a storage node URL like any other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, model_validator

from stack_cfo.config.compute import BreakerPolicy
from stack_cfo.config.fields import (
    EthAddress,
    HttpUrl,
    Lower,
    PositiveSeconds,
    Section,
    set_derived,
    setting,
    split_list,
    wallet_key,
)
from stack_cfo.config.networks import NETWORKS, known_network
from stack_cfo.core import archive
from stack_cfo.secret import Secret

DEFAULT_NAMESPACES: Mapping[str, str] = {
    "ai_summaries": archive.AI_SUMMARIES,
    "ai_artifacts": archive.AI_ARTIFACTS,
    "chat_sessions": archive.CHAT_SESSIONS,
}


def _prefix(value: str) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*/", text):
        raise ValueError("must be a lowercase prefix ending in '/', like 'chat-sessions/'")
    return text


def _with_0x(secret: Secret | None) -> Secret | None:
    return secret if secret is None or secret.get().startswith("0x") else Secret("0x" + secret.get())


NodeUrls = Annotated[tuple[HttpUrl, ...], BeforeValidator(split_list)]
WalletKey = Annotated[Secret | None, AfterValidator(wallet_key), AfterValidator(_with_0x)]


class StorageConfig(Section):
    """Everything :class:`~stack_cfo.zerog.storage.client.ZeroGStorageStore` needs."""

    network: Annotated[str, Lower, AfterValidator(known_network)] = setting("testnet", env="ZEROG_STORAGE_NETWORK")
    """testnet | mainnet: the default chain RPC and indexer."""
    rpc_endpoint: NodeUrls = setting((), env="ZEROG_STORAGE_RPC_ENDPOINT")
    """Storage node JSON-RPC URL(s) for uploads (comma-separated or a list); empty: the indexer's trusted nodes."""
    node_urls: NodeUrls = ()
    """More storage node URLs; the client uses rpc_endpoint followed by these."""
    indexer_url: HttpUrl = setting("", env="ZEROG_STORAGE_INDEXER_URL")
    """Indexer base URL (downloads, indexer_getShardedNodes); empty: the network's."""
    chain_rpc_url: HttpUrl = setting("", env="ZEROG_STORAGE_CHAIN_RPC_URL")
    """EVM JSON-RPC of the 0G chain (Flow contract); empty: the network's."""
    flow_address: EthAddress = setting("", env="ZEROG_STORAGE_FLOW_ADDRESS")
    """Flow contract; empty: read from the storage node (zgs_getStatus)."""
    private_key: WalletKey = setting(None, env="ZEROG_STORAGE_PRIVATE_KEY")
    """Wallet key (hex) that signs Flow.submit and pays the storage fee; uploads need it."""
    timeout: PositiveSeconds = 30.0
    """One HTTP or JSON-RPC request."""
    max_retries: int = setting(3, ge=1)
    """Attempts per step on transient failures, the first included."""
    retry_base_delay: PositiveSeconds = 0.5
    """Back-off unit: the wait before attempt n is random in [0, base * 2**n], capped below."""
    retry_max_delay: PositiveSeconds = 10.0
    """Upper bound of one wait between attempts."""
    receipt_timeout: PositiveSeconds = 300.0
    """Waiting for the submit transaction to be mined."""
    finality_timeout: PositiveSeconds = 600.0
    """How long an upload waits for the storage node to finalize the file."""
    poll_interval: PositiveSeconds = 2.0
    """Time between zgs_getFileInfo polls (node sync, then finality)."""
    segments_per_request: int = setting(8, ge=1)
    """Segments (256 KiB each) per zgs_uploadSegmentsByTxSeq call."""
    max_download_bytes: int = setting(100 * 1024 * 1024, ge=1)
    """Refuse downloads above this (the gateway's own default cap is 100 MiB)."""
    tags: bytes = b""
    """Submission.data.tags of every upload."""
    namespaces: dict[str, Annotated[str, AfterValidator(_prefix)]] = setting(
        default_factory=lambda: dict(DEFAULT_NAMESPACES)
    )
    """Names -> key prefixes (the seed's namespaces); put accepts only these prefixes."""
    breaker: BreakerPolicy = setting(default_factory=BreakerPolicy)

    @model_validator(mode="after")
    def _network_defaults(self) -> StorageConfig:
        net = NETWORKS[self.network]
        set_derived(
            self,
            indexer_url=self.indexer_url or net.indexer_url,
            chain_rpc_url=self.chain_rpc_url or net.rpc_url,
            node_urls=tuple(dict.fromkeys((*self.rpc_endpoint, *self.node_urls))),
        )
        return self

    @property
    def uploads_enabled(self) -> bool:
        return bool(self.private_key)
