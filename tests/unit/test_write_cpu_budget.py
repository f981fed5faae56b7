"""The per-principal CPU budget of the heavy writes (``rate_limits.*.write_cpu``): what a call is
charged (the thread CPU time of its own steps on the event loop, and what is metered on other
threads, once), the turns, the refusal, and the settings (no server)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from stack_cfo.api.auth import Principal
from stack_cfo.api.cpu_budget import WEIGHED_WRITES, WRITE_REASON, WRITES_AT_ONCE, WriteAccount, WriteCpuBudget
from stack_cfo.api.limits import METHOD_CLASSES, CallClass
from stack_cfo.config import build_config
from stack_cfo.config.errors import ConfigError
from stack_cfo.config.limits import cpu_rate
from stack_cfo.core.errors import ResourceExhausted
from stack_cfo.core.portfolio import cpu_meter
from tests.support.throttles import throttled


def _spin(seconds: float) -> None:
    """Spend at least ``seconds`` of this thread's CPU."""
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass


def _budget(**user: object) -> WriteCpuBudget:
    return WriteCpuBudget(build_config({"rate_limits": {"user": user}}).rate_limits)


def _account(budget: WriteCpuBudget, who: str = "alice") -> WriteAccount:
    account = budget.account(Principal(user_id=who))
    assert account is not None
    return account


def _level(budget: WriteCpuBudget, who: str = "alice") -> float:
    buckets = budget.buckets(False)
    assert buckets is not None
    return buckets.level(Principal(user_id=who).key)


def _throttled() -> float:
    return throttled(WRITE_REASON, "writes")


# ------------------------------------------------------------------------------------ the charging


async def test_a_call_is_charged_its_own_steps_not_what_other_calls_ran_on_the_loop_meanwhile() -> None:
    budget = _budget(write_cpu="1s/1h", write_cpu_burst="10s")
    account = _account(budget)

    async def other_call() -> None:
        await asyncio.sleep(0.005)
        _spin(0.2)  # another caller's work on the loop, while the call waits for its database

    async def call() -> str:
        _spin(0.03)  # the decoding of the request
        await asyncio.sleep(0.05)
        _spin(0.03)
        return "answer"

    await account.enter()
    other = asyncio.create_task(other_call())
    assert await account.run(call()) == "answer"
    await other
    assert 0.06 <= account.spent < 0.2
    account.done()
    assert account.spent == 0
    assert 0.06 <= 10 - _level(budget) < 0.2
    account.done()  # again: nothing more is charged
    assert _level(budget) <= 10 - 0.06


async def test_cpu_metered_on_other_threads_is_charged_once_and_a_computation_is_never_refused() -> None:
    budget = _budget(write_cpu="1s/1h", write_cpu_burst="10s")
    account = _account(budget)

    def on_a_thread() -> None:
        with cpu_meter.metered():
            _spin(0.05)

    async def call() -> None:
        await asyncio.to_thread(on_a_thread)  # charged to the call's bucket when it is over
        with cpu_meter.metered():  # on the loop: within the call's own step, counted once
            _spin(0.03)
        (await cpu_meter.admit())()  # a computation the call starts (a summary) is neither refused nor made to wait

    await account.enter()
    await account.run(call())
    assert 0.05 <= 10 - _level(budget) < 0.075, "the thread's CPU is charged as it is metered"
    assert 0.03 <= account.spent < 0.05, "the loop's metered block is measured once, with the step"
    account.done()
    assert 0.08 <= 10 - _level(budget) < 0.125


async def test_errors_and_cancellation_pass_through_and_what_ran_is_charged() -> None:
    budget = _budget(write_cpu="1s/1h", write_cpu_burst="10s")

    async def refused() -> None:
        _spin(0.02)
        await asyncio.sleep(0)
        raise ValueError("PORTFOLIO_TOO_LARGE")

    account = _account(budget)
    await account.enter()
    with pytest.raises(ValueError, match="PORTFOLIO_TOO_LARGE"):
        await account.run(refused())
    assert account.spent >= 0.02
    account.done()

    seen: list[str] = []

    async def waits() -> None:
        _spin(0.02)
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    account = _account(budget)
    await account.enter()
    task = asyncio.create_task(account.run(waits()))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled"] and account.spent >= 0.02
    account.done()
    assert 10 - _level(budget) >= 0.04


# ------------------------------------------------------------------------------- turns and refusal


async def test_a_spent_budget_refuses_the_next_write_with_the_reason_retry_info_and_metadata() -> None:
    budget = _budget(write_cpu="1s/10s", write_cpu_burst="0.05s")
    account = _account(budget)
    await account.enter()  # a full bucket
    await account.run(_spending(0.08))
    account.done()
    before = _throttled()
    with pytest.raises(ResourceExhausted) as refused:
        await _account(budget).enter()
    err = refused.value
    assert err.reason == WRITE_REASON
    assert err.retry_after is not None and 0.2 < err.retry_after.total_seconds() < 0.6  # ~0.03 s owed at 0.1/s
    assert err.metadata == {"class": "writes", "limit": "1s/10s", "burst": "50ms", "principal_kind": "user",
                            "retry_after_seconds": err.metadata["retry_after_seconds"]}
    assert float(err.metadata["retry_after_seconds"]) == pytest.approx(err.retry_after.total_seconds(), abs=0.01)
    assert _throttled() == before + 1
    assert len(budget._kinds[False].turns) == 0, "a refused call holds no turn"
    other = _account(budget, "bob")
    await other.enter()  # another user's budget is untouched
    other.done()


async def _spending(seconds: float) -> None:
    _spin(seconds)


async def test_the_heavy_writes_of_one_principal_take_turns_and_the_next_is_admitted_knowing_the_last_cost() -> None:
    budget = _budget(write_cpu="1s/1h", write_cpu_burst="0.05s")
    running = [_account(budget) for _ in range(WRITES_AT_ONCE)]
    for account in running:
        await asyncio.wait_for(account.enter(), 1)  # a few at once (an app's simultaneous edits)
    waiting = asyncio.create_task(_account(budget).enter())
    await asyncio.sleep(0.02)
    assert not waiting.done(), "one more heavy write of the same user waits for a turn"
    bob = _account(budget, "bob")
    await asyncio.wait_for(bob.enter(), 1)  # another user's does not
    bob.done()
    await running[0].run(_spending(0.08))
    running[0].done()
    with pytest.raises(ResourceExhausted) as refused:
        await waiting
    assert refused.value.reason == WRITE_REASON, "admitted knowing what the one before it cost"
    for account in running[1:]:
        account.done()
    assert len(budget._kinds[False].turns) == 0


# --------------------------------------------------------------------------------------- settings


def test_users_have_a_tenth_of_a_core_after_five_seconds_and_services_are_unlimited_by_default() -> None:
    cfg = build_config({}).rate_limits
    assert cpu_rate(cfg.user.write_cpu) == pytest.approx(0.1)
    assert cfg.user.write_cpu_burst == timedelta(seconds=5)
    assert cpu_rate(cfg.service.write_cpu) is None
    budget = WriteCpuBudget(cfg)
    assert budget.account(Principal(service="backend")) is None
    assert budget.account(Principal(user_id="u")) is not None
    assert WriteCpuBudget(build_config({"rate_limits": {"enabled": False}}).rate_limits).account(
        Principal(user_id="u")) is None
    assert _budget(write_cpu="unlimited").account(Principal(user_id="u")) is None
    limited = WriteCpuBudget(build_config({"rate_limits": {"service": {"write_cpu": "30s/1s"}}}).rate_limits)
    buckets = limited.buckets(True)
    assert buckets is not None and buckets.rate == 30.0 and buckets.burst == 60.0
    # a separate budget from the reads'
    assert _budget(read_cpu="unlimited").account(Principal(user_id="u")) is not None


@pytest.mark.parametrize(("values", "key"), [
    ({"write_cpu": "fast"}, "rate_limits.user.write_cpu"),
    ({"write_cpu": "0s/10s"}, "rate_limits.user.write_cpu"),
    ({"write_cpu_burst": "0s"}, "rate_limits.user.write_cpu_burst"),
])
def test_a_bad_value_names_its_key(values: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as bad:
        build_config({"rate_limits": {"user": values}})
    assert bad.value.key == key


def test_the_weighed_writes_are_writes_of_the_contract() -> None:
    assert len(WEIGHED_WRITES) == 9
    for method in WEIGHED_WRITES:
        assert METHOD_CLASSES[method] == (CallClass.WRITES,), method
