"""Fixtures for the 0G compute client against the provider, router and chain stand-ins."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from stack_cfo.core.clock import FrozenClock
from stack_cfo.secret import Secret
from stack_cfo.zerog import ComputeConfig, RetryPolicy, Timeouts, ZeroGComputeClient, build_compute_client
from stack_cfo.zerog.config import FundingPolicy
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, RouterStandIn
from tests.support.secrets import ZEROG_API_KEY, ZEROG_PRIVATE_KEY

ONE_0G = 10**18
FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, multiplier=2.0, max_delay=2.0)
FAST_TIMEOUTS = Timeouts(connect=2.0, first_byte=2.0, idle=2.0, total=20.0, verify=2.0, rpc=5.0, receipt=5.0)


@pytest.fixture
def wallet() -> LocalAccount:
    return Account.from_key(ZEROG_PRIVATE_KEY)


@pytest.fixture
async def chain() -> AsyncIterator[ChainStandIn]:
    async with ChainStandIn() as c:
        yield c


async def _provider(chain: ChainStandIn, wallet: LocalAccount, **kw: Any) -> ProviderStandIn:
    p = ProviderStandIn(chain=chain, **kw)
    await p.start()
    chain.add_service(p.service_entry())
    chain.set_account(wallet.address, p.address, balance=10 * ONE_0G)
    return p


@pytest.fixture
async def provider(chain: ChainStandIn, wallet: LocalAccount) -> AsyncIterator[ProviderStandIn]:
    """A funded, registered, verifiable provider; the wallet has a 100 0G ledger."""
    chain.set_ledger(wallet.address, 100 * ONE_0G)
    p = await _provider(chain, wallet)
    yield p
    await p.stop()


@pytest.fixture
async def provider2(chain: ChainStandIn, wallet: LocalAccount) -> AsyncIterator[ProviderStandIn]:
    p = await _provider(chain, wallet)
    yield p
    await p.stop()


@pytest.fixture
async def router() -> AsyncIterator[RouterStandIn]:
    async with RouterStandIn(api_key=ZEROG_API_KEY) as r:
        yield r


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC))


ClientFactory = Callable[..., ZeroGComputeClient]


@pytest.fixture
async def make_client(chain: ChainStandIn) -> AsyncIterator[ClientFactory]:
    """``make_client(providers=[...], router=None, clock=None, **config changes)``."""
    made: list[ZeroGComputeClient] = []

    def make(
        providers: list[ProviderStandIn] | None = None,
        router: RouterStandIn | None = None,
        clock: FrozenClock | None = None,
        **changes: Any,
    ) -> ZeroGComputeClient:
        cfg = ComputeConfig(
            private_key=Secret(ZEROG_PRIVATE_KEY) if providers is not None else None,
            provider_ids=tuple(p.address for p in providers or ()),
            chain_rpc_url=chain.url,
            broker_endpoint=router.base_url if router else None,
            api_key=Secret(ZEROG_API_KEY) if router else None,
            retry=FAST_RETRY,
            timeouts=FAST_TIMEOUTS,
            # Top-ups are on by default (the seed's funding block); these tests switch them on
            # when they are about them (funding=TOPUP), so the chain sees only what they expect.
            funding=FundingPolicy(auto_topup=False),
        )
        cfg = cfg.model_copy(update=changes)
        client = build_compute_client(cfg, clock=clock)
        made.append(client)
        return client

    yield make
    for c in made:
        await c.close()
