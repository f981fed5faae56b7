"""ComputeConfig from the seed's ``zerog.compute`` block, and the Secret wrapper."""

from __future__ import annotations

import pickle
from decimal import Decimal
from typing import Any

import pytest

from stack_cfo.config import ConfigError, build_config
from stack_cfo.secret import Secret
from stack_cfo.zerog import ComputeConfig, ComputeMode
from stack_cfo.zerog.config import to_0g, to_neuron

KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
P1 = "0xBB3f5b0b5062CB5B3245222C5917afD1f6e13aF6"
P2 = "0x3feE5a4dd5FDb8a32dDA97Bed899830605dBD9D3"

def from_block(block: dict[str, Any] | None) -> ComputeConfig:
    """The typed ``zerog.compute`` section of a config file holding ``block``."""
    return build_config({"zerog": {"compute": block}} if block is not None else {}).zerog.compute


SEED = {
    "broker_endpoint": "https://broker.0g.ai",
    "private_key": KEY,
    "provider_id": "default",
    "timeout": "60s",
    "max_retries": 3,
    "model_config": {"default_model": "gpt-oss-120b", "max_tokens": 4096, "temperature": 0.7},
    "funding": {"auto_topup": True, "min_balance": 10.0, "topup_amount": 50.0},
}


def test_seed_block_maps_onto_the_config():
    cfg = from_block(SEED)
    assert cfg.private_key == Secret(KEY)
    assert cfg.provider_ids == ()  # the seed's "default" placeholder
    assert cfg.timeouts.total == 60.0
    assert cfg.retry.max_attempts == 3 and cfg.retry.base_delay == 1.0 and cfg.retry.max_delay == 30.0
    assert (cfg.default_model, cfg.max_tokens, cfg.temperature) == ("gpt-oss-120b", 4096, 0.7)
    assert cfg.funding.auto_topup and cfg.funding.min_balance == Decimal("10.0")
    assert cfg.funding.topup_amount == Decimal("50.0")
    assert cfg.breaker.min_requests == 3 and cfg.breaker.failure_ratio == 0.6 and cfg.breaker.open_for == 30
    assert cfg.resolved_mode() is ComputeMode.DIRECT  # a wallet key, no router API key
    assert cfg.expected_chain_id == 16602 and cfg.rpc_url == "https://evmrpc-testnet.0g.ai"
    assert cfg.inference == "0xa79F4c8311FF93C06b8CfB403690cc987c93F91E"


def test_mainnet_defaults_and_provider_lists():
    cfg = from_block({"network": "mainnet", "provider_id": f"{P1}, {P2.lower()}", "private_key": KEY})
    assert cfg.expected_chain_id == 16661
    assert cfg.ledger == "0x2dE54c845Cd948B72D2e32e39586fe89607074E3"
    assert cfg.provider_ids == (P1, P2)  # lower-case input comes back checksummed
    assert from_block({"provider_id": [P1, P1]}).provider_ids == (P1,)


def test_router_only_and_offline():
    r = from_block({"broker_endpoint": "https://router-api.0g.ai/v1/", "api_key": "sk-x"})
    assert r.resolved_mode() is ComputeMode.ROUTER and r.broker_endpoint == "https://router-api.0g.ai/v1"
    assert (
        from_block({"broker_endpoint": "https://broker.0g.ai"}).resolved_mode() is ComputeMode.OFFLINE
    )
    assert from_block(None).resolved_mode() is ComputeMode.OFFLINE


def test_durations():
    cfg = from_block({"timeout": "1m30s", "timeouts": {"connect": "500ms", "idle": 45}})
    assert cfg.timeouts.total == 90 and cfg.timeouts.connect == 0.5 and cfg.timeouts.idle == 45


@pytest.mark.parametrize(
    ("mapping", "field"),
    [
        ({"private_key": "0x1234"}, "zerog.compute.private_key"),
        ({"provider_id": "not-an-address"}, "zerog.compute.provider_id"),
        ({"timeout": "soon"}, "zerog.compute.timeout"),
        ({"timeout": "-5s"}, "zerog.compute.timeout"),
        ({"max_retries": 0}, "zerog.compute.max_retries"),
        ({"network": "moonnet"}, "zerog.compute.network"),
        ({"mode": "turbo"}, "zerog.compute.mode"),
        ({"mode": "router"}, "zerog.compute.api_key"),
        ({"mode": "direct"}, "zerog.compute.private_key"),
        ({"broker_endpoint": "ftp://x"}, "zerog.compute.broker_endpoint"),
        ({"model_config": {"temperature": 3}}, "zerog.compute.model_config.temperature"),
        ({"model_config": {"max_tokens": "many"}}, "zerog.compute.model_config.max_tokens"),
        ({"funding": {"min_balance": "ten"}}, "zerog.compute.funding.min_balance"),
        ({"funding": {"auto_topup": "maybe"}}, "zerog.compute.funding.auto_topup"),
        ({"funding": {"topup": 5}}, "zerog.compute.funding.topup"),
        ({"provider_url": "https://p.example"}, "zerog.compute.provider_url"),
    ],
)
def test_bad_values_name_the_field(mapping: dict[str, object], field: str):
    with pytest.raises(ConfigError) as info:
        from_block(mapping)
    assert info.value.key == field


def test_a_bad_key_is_not_echoed():
    bad = "0x" + "zz" * 32
    with pytest.raises(ConfigError) as info:
        from_block({"private_key": bad})
    assert bad not in str(info.value) and "zz" not in str(info.value)


def test_reprs_never_show_keys():
    cfg = from_block({"private_key": KEY, "api_key": "sk-very-secret"})
    for text in (repr(cfg), str(cfg), f"{cfg}", repr(cfg.model_dump()), cfg.model_dump_json()):
        assert KEY not in text and KEY[2:] not in text and "sk-very-secret" not in text


def test_secret_behaviour():
    s = Secret("hunter2")
    assert repr(s) == str(s) == f"{s}" == f"{s!r}" == "Secret('***')"
    assert s.get() == "hunter2"
    assert s == Secret("hunter2") and s != Secret("other") and s != "hunter2"
    assert s and not Secret("")
    with pytest.raises(TypeError):
        pickle.dumps(s)


def test_neuron_conversions_are_exact():
    assert to_neuron(Decimal("0.000000000000000001")) == 1
    assert to_neuron(Decimal("50.0")) == 50 * 10**18
    assert to_0g(15 * 10**17) == Decimal("1.5") and str(to_0g(10 * 10**18)) == "10"
    with pytest.raises(ConfigError):
        from_block({"funding": {"min_balance": "0.0000000000000000001"}})
