"""Configuration of the 0G Storage archive backend: one frozen object.

:meth:`StorageConfig.from_mapping` reads the seed's ``zerog.storage`` block plus our additions::

    zerog:
      storage:
        rpc_endpoint: "https://node.example:5678"  # storage node JSON-RPC (zgs_*); a list or
                                                  # comma-separated; empty: ask the indexer
        indexer_url: "https://indexer-storage-testnet-turbo.0g.ai"  # gateway + indexer RPC
        private_key: "${ZEROG_STORAGE_PRIVATE_KEY}"  # wallet paying the Flow fee (hex)
        network: testnet                 # testnet | mainnet: chain RPC and indexer defaults
        chain_rpc_url: ""                # EVM JSON-RPC; default: the network's
        flow_address: ""                 # default: read from the node (zgs_getStatus)
        timeout: 30s                     # one HTTP/JSON-RPC request
        max_retries: 3                   # attempts per step for transient failures
        finality_timeout: 10m            # upload: wait this long for the file to be final
        namespaces: {ai_summaries: "ai-summaries/", ai_artifacts: "ai-artifacts/",
                     chat_sessions: "chat-sessions/"}

The seed's ``rpc_endpoint: https://storage.0g.ai`` is a placeholder (no such public node):
it is read as a storage node URL like any other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eth_utils import is_hex_address, to_checksum_address

from stack_cfo.core import archive
from stack_cfo.core.errors import InvalidArgument
from stack_cfo.durations import parse_seconds
from stack_cfo.secret import Secret
from stack_cfo.zerog.config import NETWORKS, BreakerPolicy

_PREFIX = "zerog.storage"

#: Indexers of the public networks (0G docs; the mainnet one from the community Python port).
INDEXERS: Mapping[str, str] = {
    "testnet": "https://indexer-storage-testnet-turbo.0g.ai",
    "mainnet": "https://indexer-storage-turbo.0g.ai",
}

DEFAULT_NAMESPACES: Mapping[str, str] = {
    "ai_summaries": archive.AI_SUMMARIES,
    "ai_artifacts": archive.AI_ARTIFACTS,
    "chat_sessions": archive.CHAT_SESSIONS,
}


@dataclass(frozen=True, slots=True)
class StorageConfig:
    """Everything :class:`~stack_cfo.zerog.storage.client.ZeroGStorageStore` needs."""

    indexer_url: str = INDEXERS["testnet"]
    """Indexer base URL: ``GET /file?root=`` downloads, JSON-RPC ``indexer_getShardedNodes``."""
    node_urls: tuple[str, ...] = ()
    """Storage node JSON-RPC URLs for uploads; empty means the indexer's trusted nodes."""
    chain_rpc_url: str = NETWORKS["testnet"].rpc_url
    """EVM JSON-RPC of the 0G chain (Flow contract)."""
    flow_address: str = ""
    """Flow contract; empty means ``zgs_getStatus().networkIdentity.flowAddress``."""
    private_key: Secret | None = None
    """Wallet key (hex) that signs ``Flow.submit`` and pays the storage fee. Uploads need it."""
    timeout: float = 30.0
    """Seconds for one HTTP or JSON-RPC request (seed ``timeout``)."""
    max_retries: int = 3
    """Attempts per step on transient failures, the first included (seed ``max_retries``)."""
    retry_base_delay: float = 0.5
    """Back-off unit: the wait before attempt n is random in [0, base * 2**n], capped below."""
    retry_max_delay: float = 10.0
    """Upper bound of one wait between attempts."""
    receipt_timeout: float = 300.0
    """Seconds to wait for the ``submit`` transaction to be mined."""
    finality_timeout: float = 600.0
    """Seconds an upload waits for the file to be finalized by the storage node."""
    poll_interval: float = 2.0
    """Seconds between ``zgs_getFileInfo`` polls (node sync, then finality)."""
    segments_per_request: int = 8
    """Segments (256 KiB each) per ``zgs_uploadSegmentsByTxSeq`` call."""
    max_download_bytes: int = 100 * 1024 * 1024
    """Refuse downloads above this (the gateway's own default cap is 100 MiB)."""
    tags: bytes = b""
    """``Submission.data.tags`` of every upload."""
    namespaces: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_NAMESPACES))
    """Seed ``namespaces``: names -> key prefixes. ``put`` accepts only these prefixes."""
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    """Circuit breaker over whole uploads/downloads (transport failures count, 'not found' does not)."""

    @property
    def uploads_enabled(self) -> bool:
        return bool(self.private_key)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> StorageConfig:
        """Build from the ``zerog.storage`` block; raises ``InvalidArgument`` naming the bad key."""
        raw = raw or {}
        if not isinstance(raw, Mapping):
            raise _bad("", "must be a mapping")
        network = str(raw.get("network") or "testnet").strip().lower()
        if network not in NETWORKS:
            raise _bad("network", f"must be one of {', '.join(sorted(NETWORKS))}")
        kw: dict[str, Any] = {
            "indexer_url": _url("indexer_url", raw["indexer_url"]) if raw.get("indexer_url") else INDEXERS[network],
            "chain_rpc_url": (
                _url("chain_rpc_url", raw["chain_rpc_url"]) if raw.get("chain_rpc_url") else NETWORKS[network].rpc_url
            ),
        }
        nodes: list[str] = []
        for name in ("rpc_endpoint", "node_urls"):
            value = raw.get(name)
            items = re.split(r"[,\s]+", value) if isinstance(value, str) else list(value or [])
            nodes.extend(_url(name, v) for v in items if str(v).strip())
        kw["node_urls"] = tuple(dict.fromkeys(nodes))
        if raw.get("flow_address"):
            kw["flow_address"] = _address("flow_address", raw["flow_address"])
        key = raw.get("private_key")
        if isinstance(key, Secret):
            key = key.get()
        if key:
            text = str(key).strip()
            if not re.fullmatch(r"(0x)?[0-9a-fA-F]{64}", text):
                raise _bad("private_key", "must be a 32-byte hex key")
            kw["private_key"] = Secret(text if text.startswith("0x") else "0x" + text)
        for name in ("timeout", "receipt_timeout", "finality_timeout", "poll_interval", "retry_base_delay"):
            if raw.get(name) is not None:
                kw[name] = _duration(name, raw[name])
        if raw.get("retry_max_delay") is not None:
            kw["retry_max_delay"] = _duration("retry_max_delay", raw["retry_max_delay"])
        for name, minimum in (("max_retries", 1), ("segments_per_request", 1), ("max_download_bytes", 1)):
            if raw.get(name) is not None:
                kw[name] = _int(name, raw[name], minimum)
        if raw.get("namespaces") is not None:
            kw["namespaces"] = _namespaces(raw["namespaces"])
        return cls(**kw)


def _bad(key: str, description: str) -> InvalidArgument:
    name = f"{_PREFIX}.{key}" if key else _PREFIX
    return InvalidArgument.field(name, description, reason="CONFIG_INVALID")


def _url(key: str, v: Any) -> str:
    s = str(v).strip().rstrip("/")
    if not re.match(r"^https?://[^\s/]+", s):
        raise _bad(key, "must be an http(s) URL")
    return s


def _address(key: str, v: Any) -> str:
    s = str(v).strip()
    if not is_hex_address(s):
        raise _bad(key, "must be a 0x-prefixed 20-byte address")
    return to_checksum_address(s)


def _duration(key: str, v: Any) -> float:
    """Seconds (> 0) from a number or a Go-style duration (``30s``, ``1m30s``, ``500ms``)."""
    try:
        seconds = parse_seconds(v)
    except ValueError as exc:
        raise _bad(key, str(exc).split(", got")[0]) from None
    if seconds <= 0:
        raise _bad(key, "must be positive")
    return seconds


def _int(key: str, v: Any, minimum: int) -> int:
    if isinstance(v, bool):
        raise _bad(key, "must be an integer")
    try:
        n = v if isinstance(v, int) else int(str(v).strip())
    except ValueError:
        raise _bad(key, "must be an integer") from None
    if n < minimum:
        raise _bad(key, f"must be at least {minimum}")
    return n


def _namespaces(v: Any) -> dict[str, str]:
    if not isinstance(v, Mapping):
        raise _bad("namespaces", "must be a mapping of name -> prefix")
    out: dict[str, str] = {}
    for name, prefix in v.items():
        p = str(prefix).strip()
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*/", p):
            raise _bad(f"namespaces.{name}", "must be a lowercase prefix ending in '/', like 'chat-sessions/'")
        out[str(name)] = p
    return out
