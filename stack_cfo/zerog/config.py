"""Configuration of the 0G compute client: one frozen object, built by the app's config loader.

:meth:`ComputeConfig.from_mapping` reads the seed's ``zerog.compute`` block::

    zerog:
      compute:
        mode: auto                  # router | direct | offline | auto (default)
        broker_endpoint: "https://router-api.0g.ai/v1"   # router base URL (OpenAI-compatible)
        api_key: "${ZEROG_COMPUTE_API_KEY}"               # router key (sk-...)
        private_key: "${ZEROG_COMPUTE_PRIVATE_KEY}"       # wallet key for direct mode
        provider_id: "0x..."        # one address, a comma-separated list, or a YAML list
        provider_url: ""            # skip on-chain discovery for the first provider
        network: testnet            # testnet | mainnet: chain id, RPC and contract defaults
        chain_rpc_url: ""
        timeout: 60s                # whole call (``timeouts.total``)
        max_retries: 3              # attempts per provider (``retry.max_attempts``)
        model_config: {default_model: gpt-oss-120b, max_tokens: 4096, temperature: 0.7}
        funding: {auto_topup: true, min_balance: 10.0, topup_amount: 50.0}

The seed's placeholder ``provider_id: "default"`` means "no provider configured".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from eth_utils import is_hex_address, to_checksum_address

from stack_cfo.core.errors import InvalidArgument
from stack_cfo.durations import parse_seconds
from stack_cfo.secret import Secret

NEURON_PER_0G = 10**18
_PREFIX = "zerog.compute"


class ComputeMode(StrEnum):
    """How the client reaches 0G Compute."""

    ROUTER = "router"  # hosted OpenAI-compatible 0G Router with an API key
    DIRECT = "direct"  # straight to provider brokers, wallet-signed session tokens
    OFFLINE = "offline"  # never call AI: always the deterministic writer
    AUTO = "auto"  # direct providers (if a key is set), then the router (if an API key is set), else offline


@dataclass(frozen=True, slots=True)
class Network:
    """Well-known addresses of one 0G network (from the official SDK's constants)."""

    name: str
    chain_id: int
    rpc_url: str
    ledger_address: str
    inference_address: str
    router_url: str


NETWORKS: Mapping[str, Network] = {
    "mainnet": Network(
        "mainnet",
        16661,
        "https://evmrpc.0g.ai",
        "0x2dE54c845Cd948B72D2e32e39586fe89607074E3",
        "0x47340d900bdFec2BD393c626E12ea0656F938d84",
        "https://router-api.0g.ai/v1",
    ),
    "testnet": Network(
        "testnet",
        16602,
        "https://evmrpc-testnet.0g.ai",
        "0xE70830508dAc0A97e6c087c75f402f9Be669E406",
        "0xa79F4c8311FF93C06b8CfB403690cc987c93F91E",
        "https://router-api.0g.ai/v1",
    ),
}


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Time limits in seconds. The caller's ``CompletionOptions.deadline`` bounds all of them."""

    connect: float = 5.0
    """TCP/TLS connect to a provider, the router or the chain RPC."""
    first_byte: float = 30.0
    """From sending the request to the first byte of the streamed answer."""
    idle: float = 30.0
    """Longest silence between two chunks of a stream; longer means the stream broke."""
    total: float = 120.0
    """Whole call, from the first attempt to the end of the stream (seed key ``timeout``)."""
    verify: float = 5.0
    """Fetching the TEE signature after the answer."""
    rpc: float = 10.0
    """One chain JSON-RPC request."""
    receipt: float = 300.0
    """Waiting for a top-up transaction to be mined."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential back-off for failures before any answer byte (connect errors, 429, 5xx)."""

    max_attempts: int = 3
    """Attempts per provider, the first included (seed ``max_retries``)."""
    base_delay: float = 1.0
    """Wait before the second attempt, in seconds."""
    multiplier: float = 2.0
    """Growth factor of the wait between attempts."""
    max_delay: float = 30.0
    """Upper bound of one wait, also for a provider's ``Retry-After``."""


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """Per-provider circuit breaker, tripping like the seed's gobreaker settings."""

    window: float = 60.0
    """Seconds of history that count towards the trip rule."""
    min_requests: int = 3
    """Fewest finished requests in the window before the breaker may trip."""
    failure_ratio: float = 0.6
    """Trip when failures / requests in the window reach this ratio."""
    open_for: float = 30.0
    """Seconds the breaker stays open before letting trial requests through."""
    half_open_trials: int = 3
    """Trial requests admitted while half-open; that many successes close the breaker."""


@dataclass(frozen=True, slots=True)
class FundingPolicy:
    """Keeping the provider sub-account funded (direct mode). Amounts in 0G (1 0G = 1e18 neuron)."""

    auto_topup: bool = False
    """Send ``LedgerManager.transferFund`` when the sub-account runs low or a provider says so."""
    min_balance: Decimal = Decimal("10")
    """Keep at least this much available in each provider sub-account (seed ``min_balance``)."""
    topup_amount: Decimal = Decimal("50")
    """Amount moved from the ledger per top-up; raised to the deficit when that is larger."""
    headroom: Decimal = Decimal("2")
    """Also keep ``unsettled fees + headroom`` (providers refuse below unsettled + 1 0G)."""
    check_interval: float = 300.0
    """Seconds between proactive balance checks per provider (run beside requests)."""
    cooldown: float = 120.0
    """After a top-up, seconds before another one for the same provider (providers cache accounts)."""


@dataclass(frozen=True, slots=True)
class ComputeConfig:
    """Everything the 0G compute client needs. Build it with :meth:`from_mapping` or directly."""

    mode: ComputeMode = ComputeMode.AUTO
    """Which path to use; ``auto`` picks from what is configured (see :class:`ComputeMode`)."""
    broker_endpoint: str | None = None
    """0G Router base URL including ``/v1`` (seed ``broker_endpoint``); needs ``api_key``."""
    api_key: Secret | None = None
    """Router API key, sent as ``Authorization: Bearer``."""
    private_key: Secret | None = None
    """Wallet key (hex) for direct mode: signs session tokens and top-up transactions."""
    provider_ids: tuple[str, ...] = ()
    """Provider addresses in failover order. Empty in direct mode: discover by ``default_model``."""
    provider_url: str | None = None
    """Broker URL of the first provider; skips on-chain discovery (then answers are unverifiable)."""
    router_provider: str | None = None
    """Router hint ``X-0G-Provider-Address``: pin the router to one provider."""
    router_sort: str | None = None
    """Router hint ``X-0G-Provider-Sort``: ``latency`` or ``price``."""
    network: str = "testnet"
    """Default source of chain id, RPC URL and contract addresses."""
    chain_rpc_url: str | None = None
    """EVM JSON-RPC endpoint; defaults to the network's."""
    chain_id: int | None = None
    """Expected chain id; checked against ``eth_chainId`` before signing. Defaults to the network's."""
    ledger_address: str | None = None
    """LedgerManager contract; defaults to the network's."""
    inference_address: str | None = None
    """InferenceServing contract; defaults to the network's."""
    default_model: str = "gpt-oss-120b"
    """Model used when a call names none."""
    max_tokens: int = 4096
    """Default completion length limit."""
    temperature: float = 0.7
    """Default sampling temperature."""
    timeouts: Timeouts = field(default_factory=Timeouts)
    """Connect, first byte, idle and total limits."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    """Retry rules before the first answer byte."""
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    """Circuit breaker per provider."""
    funding: FundingPolicy = field(default_factory=FundingPolicy)
    """Sub-account funding (direct mode)."""
    verify: bool = True
    """Check the provider's TEE signature of every answer (router: ask for ``verify_tee``)."""
    discovery_ttl: float = 300.0
    """Seconds an on-chain service record is reused."""
    token_ttl: float = 86_400.0
    """Lifetime of an ephemeral session token in seconds (providers accept at most 24 h)."""
    token_renew_before: float = 3_600.0
    """Regenerate a cached token when less than this much validity is left."""
    max_connections: int = 512
    """Connection pool size of the client's own aiohttp session (streams are long-lived)."""

    def __post_init__(self) -> None:
        _validate(self)

    # ----------------------------------------------------------------- derived values

    @property
    def net(self) -> Network:
        return NETWORKS[self.network]

    @property
    def rpc_url(self) -> str:
        return self.chain_rpc_url or self.net.rpc_url

    @property
    def expected_chain_id(self) -> int:
        return self.chain_id if self.chain_id is not None else self.net.chain_id

    @property
    def ledger(self) -> str:
        return to_checksum_address(self.ledger_address or self.net.ledger_address)

    @property
    def inference(self) -> str:
        return to_checksum_address(self.inference_address or self.net.inference_address)

    @property
    def router_enabled(self) -> bool:
        return bool(self.broker_endpoint) and bool(self.api_key)

    @property
    def direct_enabled(self) -> bool:
        return bool(self.private_key)

    def resolved_mode(self) -> ComputeMode:
        """The mode after ``auto`` is decided: ``direct`` also covers direct+router failover."""
        if self.mode is not ComputeMode.AUTO:
            return self.mode
        if self.direct_enabled:
            return ComputeMode.DIRECT
        if self.router_enabled:
            return ComputeMode.ROUTER
        return ComputeMode.OFFLINE

    def with_changes(self, **changes: Any) -> ComputeConfig:
        return replace(self, **changes)

    # ----------------------------------------------------------------- seed mapping

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> ComputeConfig:
        """Build from the seed's ``zerog.compute`` block (already ``${VAR}``-expanded).

        Raises :class:`InvalidArgument` naming ``zerog.compute.<key>`` for a bad value; the
        message never contains a secret.
        """
        m = dict(raw or {})
        kw: dict[str, Any] = {}
        if "mode" in m and _present(m["mode"]):
            try:
                kw["mode"] = ComputeMode(str(m["mode"]).strip().lower())
            except ValueError:
                raise _bad("mode", f"must be one of {', '.join(x.value for x in ComputeMode)}") from None
        for key in ("broker_endpoint", "provider_url", "chain_rpc_url"):
            if _present(m.get(key)):
                kw[key] = _url(key, m[key])
        for key in ("api_key", "private_key"):
            if _present(m.get(key)):
                v = m[key]
                kw[key] = v if isinstance(v, Secret) else Secret(str(v).strip())
        ids = m.get("provider_ids", m.get("provider_id"))
        kw["provider_ids"] = _provider_ids("provider_id", ids)
        for key in ("router_provider",):
            if _present(m.get(key)):
                kw[key] = _address(key, m[key])
        if _present(m.get("router_sort")):
            kw["router_sort"] = str(m["router_sort"])
        if _present(m.get("network")):
            net = str(m["network"]).strip().lower()
            if net not in NETWORKS:
                raise _bad("network", f"must be one of {', '.join(NETWORKS)}")
            kw["network"] = net
        if _present(m.get("chain_id")):
            kw["chain_id"] = _int("chain_id", m["chain_id"], minimum=1)
        contracts = _mapping("contracts", m.get("contracts"))
        for key in ("ledger_address", "inference_address"):
            value = contracts.get(key.removesuffix("_address"), m.get(key))
            if _present(value):
                kw[key] = _address(key, value)

        tkw: dict[str, float] = {}
        if _present(m.get("timeout")):
            tkw["total"] = _duration("timeout", m["timeout"])
        for key, value in _mapping("timeouts", m.get("timeouts")).items():
            if key not in {f.name for f in fields(Timeouts)}:
                raise _bad(f"timeouts.{key}", "unknown timeout")
            tkw[key] = _duration(f"timeouts.{key}", value)
        if tkw:
            kw["timeouts"] = Timeouts(**tkw)

        rkw: dict[str, Any] = {}
        if _present(m.get("max_retries")):
            rkw["max_attempts"] = _int("max_retries", m["max_retries"], minimum=1)
        for key, value in _mapping("retry", m.get("retry")).items():
            if key == "max_attempts":
                rkw[key] = _int(f"retry.{key}", value, minimum=1)
            elif key in ("base_delay", "max_delay"):
                rkw[key] = _duration(f"retry.{key}", value)
            elif key == "multiplier":
                rkw[key] = _float(f"retry.{key}", value, minimum=1.0)
            else:
                raise _bad(f"retry.{key}", "unknown retry setting")
        if rkw:
            kw["retry"] = RetryPolicy(**rkw)

        bkw: dict[str, Any] = {}
        for key, value in _mapping("breaker", m.get("breaker")).items():
            if key in ("window", "open_for"):
                bkw[key] = _duration(f"breaker.{key}", value)
            elif key in ("min_requests", "half_open_trials"):
                bkw[key] = _int(f"breaker.{key}", value, minimum=1)
            elif key == "failure_ratio":
                bkw[key] = _float(f"breaker.{key}", value, minimum=0.0, maximum=1.0)
            else:
                raise _bad(f"breaker.{key}", "unknown breaker setting")
        if bkw:
            kw["breaker"] = BreakerPolicy(**bkw)

        mc = _mapping("model_config", m.get("model_config"))
        if _present(mc.get("default_model")):
            kw["default_model"] = str(mc["default_model"]).strip()
        if _present(mc.get("max_tokens")):
            kw["max_tokens"] = _int("model_config.max_tokens", mc["max_tokens"], minimum=1)
        if _present(mc.get("temperature")):
            kw["temperature"] = _float("model_config.temperature", mc["temperature"], minimum=0.0, maximum=2.0)

        fk: dict[str, Any] = {}
        for key, value in _mapping("funding", m.get("funding")).items():
            if key == "auto_topup":
                fk[key] = _bool("funding.auto_topup", value)
            elif key in ("min_balance", "topup_amount", "headroom"):
                fk[key] = _amount(f"funding.{key}", value)
            elif key in ("check_interval", "cooldown"):
                fk[key] = _duration(f"funding.{key}", value)
            else:
                raise _bad(f"funding.{key}", "unknown funding setting")
        if fk:
            kw["funding"] = FundingPolicy(**fk)

        if _present(m.get("verify")):
            kw["verify"] = _bool("verify", m["verify"])
        for key in ("discovery_ttl", "token_ttl", "token_renew_before"):
            if _present(m.get(key)):
                kw[key] = _duration(key, m[key])
        if _present(m.get("max_connections")):
            kw["max_connections"] = _int("max_connections", m["max_connections"], minimum=1)
        return cls(**kw)


# --------------------------------------------------------------------- validation


def _validate(c: ComputeConfig) -> None:
    if not isinstance(c.mode, ComputeMode):
        raise _bad("mode", "must be a ComputeMode")
    if c.network not in NETWORKS:
        raise _bad("network", f"must be one of {', '.join(NETWORKS)}")
    for key in ("api_key", "private_key"):
        v = getattr(c, key)
        if v is not None and not isinstance(v, Secret):
            raise _bad(key, "must be wrapped in Secret")
    if c.private_key:
        raw = c.private_key.get().removeprefix("0x")
        if not re.fullmatch(r"[0-9a-fA-F]{64}", raw):
            raise _bad("private_key", "must be 32 bytes of hex (64 hex digits, optional 0x)")
    for p in c.provider_ids:
        if not is_hex_address(p):
            raise _bad("provider_id", "each provider must be a 0x-prefixed 20-byte address")
    if c.mode is ComputeMode.ROUTER and not c.router_enabled:
        raise _bad("api_key", "router mode needs broker_endpoint and api_key")
    if c.mode is ComputeMode.DIRECT and not c.direct_enabled:
        raise _bad("private_key", "direct mode needs the wallet private key")
    if c.provider_url and not c.provider_ids:
        raise _bad("provider_url", "set provider_id too: the URL overrides discovery of that provider")
    if c.token_ttl <= 0 or c.token_ttl > 86_400:
        raise _bad("token_ttl", "must be within (0, 24h]: providers reject longer ephemeral tokens")
    if not 0 <= c.token_renew_before < c.token_ttl:
        raise _bad("token_renew_before", "must be shorter than token_ttl")
    if c.max_tokens < 1:
        raise _bad("model_config.max_tokens", "must be positive")
    if not 0.0 <= c.temperature <= 2.0:
        raise _bad("model_config.temperature", "must be within [0, 2]")
    for t in fields(Timeouts):
        if getattr(c.timeouts, t.name) <= 0:
            raise _bad(f"timeouts.{t.name}", "must be positive")
    r = c.retry
    if r.max_attempts < 1 or r.base_delay < 0 or r.multiplier < 1 or r.max_delay < 0:
        raise _bad("retry", "max_attempts >= 1, base_delay >= 0, multiplier >= 1, max_delay >= 0")
    b = c.breaker
    if b.window <= 0 or b.open_for <= 0 or b.min_requests < 1 or b.half_open_trials < 1:
        raise _bad("breaker", "window/open_for must be positive, min_requests/half_open_trials >= 1")
    if not 0 < b.failure_ratio <= 1:
        raise _bad("breaker.failure_ratio", "must be within (0, 1]")
    f = c.funding
    if f.min_balance < 0 or f.topup_amount < 0 or f.headroom < 0:
        raise _bad("funding", "amounts must not be negative")


def _bad(key: str, description: str) -> InvalidArgument:
    return InvalidArgument.field(f"{_PREFIX}.{key}", description, reason="INVALID_CONFIG")


def _present(v: Any) -> bool:
    return v is not None and not (isinstance(v, str) and not v.strip())


def _mapping(key: str, v: Any) -> Mapping[str, Any]:
    if v is None:
        return {}
    if not isinstance(v, Mapping):
        raise _bad(key, "must be a mapping")
    return v


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


def _provider_ids(key: str, v: Any) -> tuple[str, ...]:
    if not _present(v):
        return ()
    items: Sequence[Any]
    if isinstance(v, str):
        items = [p for p in re.split(r"[,\s]+", v) if p]
    elif isinstance(v, Sequence):
        items = list(v)
    else:
        raise _bad(key, "must be an address, a comma-separated list or a list")
    out: list[str] = []
    for item in items:
        s = str(item).strip()
        if s.lower() == "default":  # the seed's placeholder
            continue
        addr = _address(key, s)
        if addr not in out:
            out.append(addr)
    return tuple(out)


def _duration(key: str, v: Any) -> float:
    """Seconds (> 0) from a number or a Go-style duration (``60s``, ``1m30s``, ``500ms``)."""
    try:
        seconds = parse_seconds(v)
    except ValueError as exc:
        raise _bad(key, str(exc).split(", got")[0]) from None
    if seconds <= 0:
        raise _bad(key, "must be positive")
    return seconds


def _int(key: str, v: Any, *, minimum: int) -> int:
    if isinstance(v, bool):
        raise _bad(key, "must be an integer")
    try:
        n = int(str(v).strip()) if not isinstance(v, int) else v
    except ValueError:
        raise _bad(key, "must be an integer") from None
    if n < minimum:
        raise _bad(key, f"must be at least {minimum}")
    return n


def _float(key: str, v: Any, *, minimum: float, maximum: float | None = None) -> float:
    if isinstance(v, bool):
        raise _bad(key, "must be a number")
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise _bad(key, "must be a number") from None
    if x != x or x < minimum or (maximum is not None and x > maximum):
        bound = f"within [{minimum:g}, {maximum:g}]" if maximum is not None else f"at least {minimum:g}"
        raise _bad(key, f"must be {bound}")
    return x


def _bool(key: str, v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("true", "yes", "1", "on"):
        return True
    if s in ("false", "no", "0", "off"):
        return False
    raise _bad(key, "must be true or false")


def _amount(key: str, v: Any) -> Decimal:
    """A 0G amount: YAML floats are read through ``str`` so 10.0 stays exactly 10.0."""
    if isinstance(v, bool):
        raise _bad(key, "must be a decimal amount of 0G")
    try:
        d = Decimal(str(v).strip())
    except InvalidOperation:
        raise _bad(key, "must be a decimal amount of 0G") from None
    if not d.is_finite() or d < 0:
        raise _bad(key, "must be a non-negative amount of 0G")
    if d.as_tuple().exponent < -18:  # type: ignore[operator]
        raise _bad(key, "has more than 18 decimal places (finer than a neuron)")
    return d


def to_neuron(amount_0g: Decimal) -> int:
    """0G (decimal) -> neuron (int), exact for up to 18 decimal places."""
    return int((amount_0g * NEURON_PER_0G).to_integral_exact())


def to_0g(neuron: int) -> Decimal:
    """neuron (int) -> 0G (Decimal), exact."""
    d = Decimal(neuron).scaleb(-18)
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()
