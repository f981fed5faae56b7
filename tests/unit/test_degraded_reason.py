"""degraded_reason: what the compute client hands back (result, raised error) -> the contract's code."""

from __future__ import annotations

import pytest

from stack_cfo.core.ai import (
    CompletionOptions,
    CompletionResult,
    DegradedReason,
    IncompleteCompletion,
    Message,
    degraded_reason,
)
from stack_cfo.core.ai.offline import offline_result
from stack_cfo.core.errors import DeadlineExceeded
from stack_cfo.zerog import ComputeConfig, build_compute_client
from stack_cfo.zerog.errors import (
    BreakerOpen,
    InsufficientFunds,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)

ROUTER = "router"
PROVIDER = "0x" + "ab" * 20


def answered(**kw: object) -> CompletionResult:
    fields: dict[str, object] = {"text": "Your portfolio rose.", "model": "qwen", "provider": ROUTER, **kw}
    return CompletionResult(**fields)  # type: ignore[arg-type]


def test_an_answer_from_the_requested_path_has_no_reason() -> None:
    assert degraded_reason(answered()) == ""


@pytest.mark.parametrize(
    "error",
    [
        InsufficientFunds("router balance is too low", provider=ROUTER, metadata={"http_status": 402}),
        InsufficientFunds("sub-account too low", provider=PROVIDER),
        InsufficientFunds("no sub-account yet", provider=PROVIDER, reason="ZEROG_NO_SUB_ACCOUNT"),
        InsufficientFunds("ledger holds 0 0G", provider=PROVIDER, reason="ZEROG_LEDGER_INSUFFICIENT"),
    ],
    ids=["router-402", "provider-400", "no-sub-account", "ledger-short"],
)
def test_an_unfunded_account_must_be_topped_up(error: InsufficientFunds) -> None:
    offline = CompletionResult(text="[offline]", model="offline", provider="offline", degraded=True, offline=True)
    assert degraded_reason(offline, error) == "COMPUTE_BALANCE_INSUFFICIENT"
    assert degraded_reason(None, error) == DegradedReason.BALANCE_INSUFFICIENT


@pytest.mark.parametrize(
    ("fallback_reason", "expected"),
    [
        ("ZEROG_NOT_CONFIGURED", "COMPUTE_NOT_CONFIGURED"),
        ("ZEROG_BREAKER_OPEN", "COMPUTE_BREAKER_OPEN"),
        ("ZEROG_PROVIDER_UNAVAILABLE", "COMPUTE_UNAVAILABLE"),
        ("ZEROG_RATE_LIMITED", "COMPUTE_UNAVAILABLE"),
        ("ZEROG_FIRST_BYTE_TIMEOUT", "COMPUTE_UNAVAILABLE"),
        ("ZEROG_STREAM_BROKEN", "COMPUTE_UNAVAILABLE"),  # broke before any text: the offline writer answered
        ("ZEROG_PROVIDER_REJECTED", "COMPUTE_UNAVAILABLE"),
        ("SOMETHING_NEW", "COMPUTE_UNAVAILABLE"),
    ],
)
def test_offline_fallbacks_carry_their_cause(fallback_reason: str, expected: str) -> None:
    result = offline_result("[offline] text", requested_model="qwen", reason=fallback_reason)
    assert degraded_reason(result) == expected


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (BreakerOpen(ROUTER, state="open"), "COMPUTE_BREAKER_OPEN"),
        (ProviderUnavailable("connect refused", provider=ROUTER), "COMPUTE_UNAVAILABLE"),
        (ProviderRateLimited("429", provider=ROUTER, status=429, retry_after=3), "COMPUTE_UNAVAILABLE"),
        (ProviderRejected("404 model", provider=ROUTER, status=404), "COMPUTE_UNAVAILABLE"),
        (DeadlineExceeded("deadline"), "COMPUTE_UNAVAILABLE"),
        (RuntimeError("unexpected"), "COMPUTE_UNAVAILABLE"),
    ],
)
def test_raised_errors_map_by_their_reason(error: BaseException, expected: str) -> None:
    assert degraded_reason(None, error) == expected


def test_a_cut_answer_is_stream_broken_whatever_the_cause() -> None:
    partial = answered(text="Your portf", degraded=True, incomplete=True)
    assert degraded_reason(partial) == "COMPUTE_STREAM_BROKEN"
    assert degraded_reason(None, IncompleteCompletion(partial)) == "COMPUTE_STREAM_BROKEN"
    # A caller that caught an error after some text keeps the partial answer: still a cut answer.
    assert degraded_reason(partial, ProviderUnavailable("reset", provider=ROUTER)) == "COMPUTE_STREAM_BROKEN"


def test_failover_to_another_model_or_provider_is_a_substitution() -> None:
    assert degraded_reason(answered(extra={"failed_over_from": PROVIDER})) == "MODEL_SUBSTITUTED"
    assert degraded_reason(answered(), substituted=True) == "MODEL_SUBSTITUTED"
    assert degraded_reason(answered(degraded=True)) == "MODEL_SUBSTITUTED"


def test_an_offline_only_client_is_offline_by_configuration() -> None:
    bare = CompletionResult(text="numbers", model="offline", provider="offline", offline=True)
    assert degraded_reason(bare) == "COMPUTE_NOT_CONFIGURED"


async def test_the_real_client_without_providers_reports_not_configured() -> None:
    client = build_compute_client(ComputeConfig(mode="offline"))
    try:
        result = await client.complete(
            [Message("user", "How am I doing?")], options=CompletionOptions(fallback="Value 100 USD.")
        )
    finally:
        await client.close()
    assert result.offline
    assert degraded_reason(result) == "COMPUTE_NOT_CONFIGURED"
