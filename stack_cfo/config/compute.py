"""``zerog.compute``: the 0G compute client's block, in the seed's shape::

    zerog:
      compute:
        mode: auto                  # router | direct | offline | auto
        broker_endpoint: "https://router-api.0g.ai/v1"   # router base URL (OpenAI-compatible)
        api_key: "${ZEROG_COMPUTE_API_KEY}"               # router key (sk-...)
        private_key: "${ZEROG_COMPUTE_PRIVATE_KEY}"       # wallet key for direct mode
        provider_id: "0x..."        # one address, a comma-separated list, or a YAML list
        timeout: 60s                # seed spelling of timeouts.total
        max_retries: 3              # seed spelling of retry.max_attempts
        model_config: {default_model: gpt-oss-120b, max_tokens: 4096, temperature: 0.7}
        funding: {auto_topup: true, min_balance: 10.0, topup_amount: 50.0}

The model is what the client reads (``ComputeConfig``); the seed's placeholder
``provider_id: "default"`` means "no provider configured".
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from eth_utils import to_checksum_address
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from stack_cfo.config.fields import (
    EthAddress,
    FieldError,
    HttpUrl,
    Lower,
    PositiveSeconds,
    Seconds,
    Section,
    StrictSection,
    set_derived,
    setting,
    split_list,
    wallet_key,
)
from stack_cfo.config.networks import NETWORKS, Network, known_network
from stack_cfo.secret import Secret


class ComputeMode(StrEnum):
    """How the client reaches 0G Compute."""

    ROUTER = "router"  # hosted OpenAI-compatible 0G Router with an API key
    DIRECT = "direct"  # straight to provider brokers, wallet-signed session tokens
    OFFLINE = "offline"  # never call AI: always the deterministic writer
    AUTO = "auto"  # direct providers (if a key is set), then the router (if an API key is set), else offline


class Timeouts(StrictSection):
    """Time limits. The caller's ``CompletionOptions.deadline`` bounds all of them."""

    connect: PositiveSeconds = 5.0
    """TCP/TLS connect to a provider, the router or the chain RPC."""
    first_byte: PositiveSeconds = 30.0
    """From sending the request to the first byte of the streamed answer."""
    idle: PositiveSeconds = 30.0
    """Longest silence between two chunks of a stream; longer means the stream broke."""
    total: PositiveSeconds = 120.0
    """Whole call, from the first attempt to the end of the stream (seed spelling: zerog.compute.timeout)."""
    verify: PositiveSeconds = 5.0
    """Fetching the TEE signature after the answer."""
    rpc: PositiveSeconds = 10.0
    """One chain JSON-RPC request."""
    receipt: PositiveSeconds = 300.0
    """Waiting for a top-up transaction to be mined."""


class RetryPolicy(StrictSection):
    """Exponential back-off for failures before any answer byte (connect errors, 429, 5xx)."""

    max_attempts: int = setting(3, ge=1)
    """Attempts per provider, the first included (seed spelling: zerog.compute.max_retries)."""
    base_delay: PositiveSeconds = 1.0
    """Wait before the second attempt."""
    multiplier: float = setting(2.0, ge=1.0)
    """Growth factor of the wait between attempts."""
    max_delay: PositiveSeconds = 30.0
    """Upper bound of one wait. A provider's Retry-After up to this long is waited for; a longer one is not
    cut short but gives up on that provider at once (the next one, or the offline answer, takes over)."""


class BreakerPolicy(StrictSection):
    """Circuit breaker per provider, tripping like the seed's gobreaker settings."""

    window: PositiveSeconds = 60.0
    """History that counts towards the trip rule."""
    min_requests: int = setting(3, ge=1)
    """Fewest finished requests in the window before the breaker may trip."""
    failure_ratio: float = setting(0.6, gt=0, le=1)
    """Trip when failures / requests in the window reach this ratio."""
    open_for: PositiveSeconds = 30.0
    """How long the breaker stays open before letting trial requests through."""
    half_open_trials: int = setting(3, ge=1)
    """Trial requests admitted while half-open; that many successes close the breaker."""


Amount = Annotated[Decimal, Field(ge=0, decimal_places=18, allow_inf_nan=False)]
"""An amount of 0G (1 0G = 1e18 neuron): non-negative, at most 18 decimal places."""


class FundingPolicy(StrictSection):
    """Keeping the provider sub-account funded (direct mode). Amounts in 0G."""

    auto_topup: bool = setting(True, env="ZEROG_COMPUTE_AUTO_TOPUP")
    """Send LedgerManager.transferFund when the sub-account runs low or a provider says so (the seed's default)."""
    min_balance: Amount = setting(Decimal("10"), env="ZEROG_COMPUTE_MIN_BALANCE")
    """Keep at least this much available in each provider sub-account."""
    topup_amount: Amount = setting(Decimal("50"), env="ZEROG_COMPUTE_TOPUP_AMOUNT")
    """Amount moved from the ledger per top-up; raised to the deficit when that is larger."""
    headroom: Amount = Decimal("2")
    """Also keep unsettled fees + headroom (providers refuse below unsettled + 1 0G)."""
    check_interval: PositiveSeconds = 300.0
    """Time between proactive balance checks per provider (run beside requests)."""
    cooldown: PositiveSeconds = 120.0
    """After a top-up, time before another one for the same provider (providers cache accounts)."""


class CompletionDefaults(Section):
    """The seed's ``model_config`` block: what a call gets when it names nothing."""

    default_model: Annotated[str, BeforeValidator(lambda v: str(v).strip())] = setting(
        "gpt-oss-120b", env="ZEROG_COMPUTE_DEFAULT_MODEL"
    )
    """Model used when a call (or a new chat session) names none."""
    max_tokens: int = setting(4096, ge=1)
    """Default completion length limit."""
    temperature: float = setting(0.7, ge=0.0, le=2.0)
    """Default sampling temperature."""


class Contracts(Section):
    ledger: EthAddress | None = setting(None, env="ZEROG_COMPUTE_LEDGER_ADDRESS")
    """LedgerManager contract; unset: the network's (older spelling: zerog.compute.ledger_address)."""
    inference: EthAddress | None = setting(None, env="ZEROG_COMPUTE_INFERENCE_ADDRESS")
    """InferenceServing contract; unset: the network's (older spelling: zerog.compute.inference_address)."""


def _provider_list(value: Any) -> Any:
    items = split_list(value)
    if isinstance(items, list | tuple):  # the seed's placeholder "default" means none
        return [p for p in items if str(p).strip().lower() != "default"]
    return items


def _stripped(secret: Secret | None) -> Secret | None:
    return Secret(secret.get().strip()) if secret is not None else None


ProviderIds = Annotated[
    tuple[EthAddress, ...], BeforeValidator(_provider_list), AfterValidator(lambda ids: tuple(dict.fromkeys(ids)))
]


class ComputeConfig(Section):
    """Everything the 0G compute client needs."""

    mode: Annotated[ComputeMode, Lower] = setting(ComputeMode.AUTO, env="ZEROG_COMPUTE_MODE")
    """router | direct | offline | auto (direct if private_key is set, else router if api_key is set, else offline)."""
    broker_endpoint: HttpUrl | None = setting(None, env="ZEROG_COMPUTE_BROKER_ENDPOINT")
    """0G Router base URL including /v1 (router mode; needs api_key)."""
    api_key: Annotated[Secret | None, AfterValidator(_stripped)] = setting(None, env="ZEROG_COMPUTE_API_KEY")
    """Router API key, sent as Authorization: Bearer."""
    private_key: Annotated[Secret | None, AfterValidator(wallet_key)] = setting(None, env="ZEROG_COMPUTE_PRIVATE_KEY")
    """Wallet key (hex) for direct mode: signs session tokens and top-up transactions."""
    provider_ids: ProviderIds = setting((), alias="provider_id", env="ZEROG_COMPUTE_PROVIDER_ID")
    """Provider addresses in failover order (comma-separated or a list); empty in direct mode: discover by model."""
    provider_url: HttpUrl | None = setting(None, env="ZEROG_COMPUTE_PROVIDER_URL")
    """Broker URL of the first provider; skips on-chain discovery (then answers are unverifiable)."""
    router_provider: EthAddress | None = None
    """Router hint X-0G-Provider-Address: pin the router to one provider."""
    router_sort: str | None = None
    """Router hint X-0G-Provider-Sort: latency or price."""
    network: Annotated[str, Lower, AfterValidator(known_network)] = setting("testnet", env="ZEROG_COMPUTE_NETWORK")
    """testnet | mainnet: the default chain id, RPC URL and contract addresses."""
    chain_rpc_url: HttpUrl | None = setting(None, env="ZEROG_COMPUTE_CHAIN_RPC_URL")
    """EVM JSON-RPC endpoint; unset: the network's."""
    chain_id: int | None = setting(None, env="ZEROG_COMPUTE_CHAIN_ID", ge=1)
    """Expected chain id, checked against eth_chainId before signing; unset: the network's."""
    contracts: Contracts = setting(default_factory=Contracts)
    timeout: Seconds | None = setting(None, gt=0)
    """Seed spelling of timeouts.total (the whole call); timeouts.total wins when both are set."""
    max_retries: int | None = setting(None, ge=1)
    """Seed spelling of retry.max_attempts; retry.max_attempts wins when both are set."""
    timeouts: Timeouts = setting(default_factory=Timeouts)
    retry: RetryPolicy = setting(default_factory=RetryPolicy)
    breaker: BreakerPolicy = setting(default_factory=BreakerPolicy)
    completion: CompletionDefaults = setting(default_factory=CompletionDefaults, alias="model_config")
    funding: FundingPolicy = setting(default_factory=FundingPolicy)
    verify: bool = True
    """Check the provider's TEE signature of every answer (router: ask for verify_tee)."""
    discovery_ttl: PositiveSeconds = 300.0
    """How long an on-chain service record is reused."""
    token_ttl: Seconds = setting(86_400.0, gt=0, le=86_400)
    """Lifetime of an ephemeral session token (providers accept at most 24h)."""
    token_renew_before: Seconds = 3_600.0
    """Regenerate a cached token when less than this much validity is left."""
    max_connections: int = setting(512, ge=1)
    """Connection pool size of the client's own HTTP session (streams are long-lived)."""

    @model_validator(mode="after")
    def _rules(self) -> ComputeConfig:
        if self.timeout is not None and "total" not in self.timeouts.model_fields_set:
            set_derived(self, timeouts=self.timeouts.model_copy(update={"total": self.timeout}))
        if self.max_retries is not None and "max_attempts" not in self.retry.model_fields_set:
            set_derived(self, retry=self.retry.model_copy(update={"max_attempts": self.max_retries}))
        if self.mode is ComputeMode.ROUTER and not self.router_enabled:
            raise FieldError("api_key", "router mode needs broker_endpoint and api_key")
        if self.mode is ComputeMode.DIRECT and not self.direct_enabled:
            raise FieldError("private_key", "direct mode needs the wallet private key")
        if self.provider_url and not self.provider_ids:
            raise FieldError("provider_url", "set provider_id too: the URL overrides discovery of that provider")
        if self.token_renew_before >= self.token_ttl:
            raise FieldError("token_renew_before", "must be shorter than token_ttl")
        return self

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
        return str(to_checksum_address(self.contracts.ledger or self.net.ledger_address))

    @property
    def inference(self) -> str:
        return str(to_checksum_address(self.contracts.inference or self.net.inference_address))

    @property
    def default_model(self) -> str:
        return self.completion.default_model

    @property
    def max_tokens(self) -> int:
        return self.completion.max_tokens

    @property
    def temperature(self) -> float:
        return self.completion.temperature

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
        return self.model_copy(update=changes)
