"""Build the compute client from configuration (the one place that knows the modes)."""

from __future__ import annotations

import time
from collections.abc import Callable

import aiohttp
from eth_account import Account

from stack_cfo.core.clock import Clock, SystemClock
from stack_cfo.zerog.chain import ChainRpc
from stack_cfo.zerog.client import ZeroGComputeClient
from stack_cfo.zerog.config import ComputeConfig, ComputeMode
from stack_cfo.zerog.direct import DirectUpstream
from stack_cfo.zerog.discovery import Discovery
from stack_cfo.zerog.funding import Funding
from stack_cfo.zerog.router import RouterUpstream
from stack_cfo.zerog.session_token import SessionTokens
from stack_cfo.zerog.transport import Http
from stack_cfo.zerog.upstream import Upstream

#: Direct mode without ``provider_id``: how many discovered providers to fail over between.
MAX_DISCOVERED = 3


def build_compute_client(
    cfg: ComputeConfig,
    *,
    session: aiohttp.ClientSession | None = None,
    clock: Clock | None = None,
) -> ZeroGComputeClient:
    """The client for ``cfg``'s mode (see :class:`~stack_cfo.zerog.config.ComputeMode`).

    * ``offline``: no upstream; every call streams the fallback text.
    * ``router``: the 0G Router only.
    * ``direct``: the configured providers in order (or, with none configured, up to three
      providers of ``default_model`` found on-chain at first use, verifiable and cheapest first).
    * ``auto``: direct providers when a wallet key is set, then the router when an API key is
      set; offline when neither is.

    ``session`` is used for all HTTP (and closed by its owner); its connector limit caps the
    number of concurrent streams (aiohttp's default is 100). Without one the client makes its
    own with ``cfg.max_connections``. ``clock`` stamps session tokens; a non-system clock
    (``FrozenClock`` in tests) also drives breaker windows and cache lifetimes, so tests can move
    time. Otherwise those use ``time.monotonic``. Call ``await client.close()``.
    """
    now: Callable[[], float] = (
        time.monotonic if clock is None or isinstance(clock, SystemClock) else (lambda: clock.now().timestamp())
    )
    http = Http(session, max_connections=cfg.max_connections)
    upstreams: list[Upstream] = []
    chain: ChainRpc | None = None
    funding: Funding | None = None
    discover = None

    use_direct = cfg.mode in (ComputeMode.DIRECT, ComputeMode.AUTO) and cfg.direct_enabled
    use_router = cfg.mode in (ComputeMode.ROUTER, ComputeMode.AUTO) and cfg.router_enabled
    if cfg.mode is ComputeMode.OFFLINE:
        use_direct = use_router = False

    if use_direct:
        assert cfg.private_key is not None
        account = Account.from_key(cfg.private_key.get())
        chain = ChainRpc(cfg.rpc_url, session=session, timeout=cfg.timeouts.rpc)
        funding = Funding(
            chain,
            account,
            ledger_address=cfg.ledger,
            inference_address=cfg.inference,
            policy=cfg.funding,
            expected_chain_id=cfg.expected_chain_id,
            receipt_timeout=cfg.timeouts.receipt,
            now=now,
            wall_clock=(clock or SystemClock()).now,
        )
        discovery = Discovery(chain, cfg.inference, ttl=cfg.discovery_ttl, now=now)
        tokens = SessionTokens(
            account, funding.generation, clock=clock, ttl=cfg.token_ttl, renew_before=cfg.token_renew_before
        )

        def direct(provider: str, url: str | None = None) -> DirectUpstream:
            return DirectUpstream(
                provider,
                cfg=cfg,
                http=http,
                tokens=tokens,
                discovery=discovery,
                funding=funding,
                url_override=url,
            )

        if cfg.provider_ids:
            for i, provider in enumerate(cfg.provider_ids):
                upstreams.append(direct(provider, cfg.provider_url if i == 0 else None))
        else:

            async def discover_providers() -> list[Upstream]:
                found = await discovery.providers_for(cfg.default_model)
                return [direct(s.provider) for s in found[:MAX_DISCOVERED]]

            discover = discover_providers

    if use_router:
        upstreams.append(RouterUpstream(cfg=cfg, http=http))

    parts = [name for name, used in (("direct", use_direct), ("router", use_router)) if used]
    return ZeroGComputeClient(
        cfg,
        upstreams,
        http=http,
        mode="+".join(parts) or ComputeMode.OFFLINE.value,
        chain=chain,
        funding=funding,
        clock=clock,
        now=now,
        discover=discover,
    )
