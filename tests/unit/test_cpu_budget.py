"""The per-principal CPU budget of uncached reads: the token bucket of CPU seconds (a fake clock), the
account a read call charges, the meter around computations, and the settings (no server)."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta

import pytest

from stack_cfo.api.auth import Principal
from stack_cfo.api.cpu_budget import REASON, CpuBuckets, ReadCpuBudget, Turns
from stack_cfo.config import build_config
from stack_cfo.config.errors import ConfigError
from stack_cfo.config.limits import cpu_rate
from stack_cfo.core.errors import ResourceExhausted
from stack_cfo.core.portfolio import compute_pool, cpu_meter


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Tally:
    """A CpuAccount that remembers what it was charged."""

    def __init__(self) -> None:
        self.charged: list[float] = []
        self.admitted = 0

    async def admit(self) -> cpu_meter.Release:
        self.admitted += 1
        return lambda: None

    def charge(self, seconds: float) -> None:
        self.charged.append(seconds)


def _spin(seconds: float) -> None:
    """Spend at least ``seconds`` of this thread's CPU."""
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass


# ------------------------------------------------------------------------------------- the bucket


def test_a_full_bucket_admits_and_one_in_debt_refuses_until_the_debt_is_refilled() -> None:
    clock = Clock()
    b = CpuBuckets(rate=0.1, burst=5.0, clock=clock)
    assert b.level("u") == 5.0 and b.wait("u") == 0
    b.charge("u", 4.0)
    assert b.wait("u") == 0, "1 s left: a new computation may start"
    b.charge("u", 1.5)  # a computation that started with 1 s left is charged in full
    assert b.level("u") == pytest.approx(-0.5)
    wait = b.wait("u")
    assert wait == pytest.approx(5.0, abs=0.01)  # 0.5 s owed at 0.1 CPU-s per second
    clock.now += wait - 0.01
    assert b.wait("u") > 0, "still owed just before the time given"
    clock.now += 0.02
    assert b.wait("u") == 0, "admitted just after it"


def test_a_bucket_refills_up_to_its_burst_only() -> None:
    clock = Clock()
    b = CpuBuckets(rate=0.1, burst=5.0, clock=clock)
    b.charge("u", 2.0)
    clock.now += 10
    assert b.level("u") == pytest.approx(4.0)
    clock.now += 3600
    assert b.level("u") == 5.0


def test_principals_are_charged_apart() -> None:
    b = CpuBuckets(rate=0.1, burst=1.0, clock=Clock())
    b.charge("heavy", 3.0)
    assert b.wait("heavy") > 0
    assert b.wait("light") == 0 and b.level("light") == 1.0


def test_nothing_or_a_negative_figure_charges_nothing() -> None:
    b = CpuBuckets(rate=0.1, burst=1.0, clock=Clock())
    b.charge("u", 0.0)
    b.charge("u", -1.0)
    assert len(b) == 0 and b.level("u") == 1.0


def test_refilled_buckets_are_forgotten_and_at_most_max_keys_are_kept() -> None:
    clock = Clock()
    b = CpuBuckets(rate=1.0, burst=1.0, max_keys=100, clock=clock)
    for i in range(1000):
        b.charge(f"u{i}", 0.5)
    assert len(b) == 100, "the least recently charged beyond the cap are forgotten"
    assert b.level("u999") == pytest.approx(0.5)
    clock.now += 1.0  # every bucket has refilled: the state of a principal never seen
    b.charge("hot", 0.1)
    assert len(b) == 1


def test_charges_from_many_threads_all_count() -> None:
    b = CpuBuckets(rate=1e-9, burst=1000.0, clock=Clock())

    def charge() -> None:
        for _ in range(1000):
            b.charge("u", 0.001)

    threads = [threading.Thread(target=charge) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert b.level("u") == pytest.approx(1000.0 - 8.0)


# ------------------------------------------------------------------------- the account and config


def _budget(**user: object) -> ReadCpuBudget:
    return ReadCpuBudget(build_config({"rate_limits": {"user": user}}).rate_limits)


def test_a_spent_budget_refuses_with_the_reason_retry_info_and_metadata() -> None:
    budget = _budget(read_cpu="1s/10s", read_cpu_burst="2s")
    alice, bob = Principal(user_id="alice"), Principal(user_id="bob")
    account = budget.account(alice)
    assert account is not None
    asyncio.run(account.admit())()
    account.charge(2.5)
    with pytest.raises(ResourceExhausted) as refused:
        asyncio.run(account.admit())
    err = refused.value
    assert err.reason == REASON
    assert err.retry_after is not None and err.retry_after.total_seconds() == pytest.approx(5.0, abs=0.1)
    assert err.metadata["limit"] == "1s/10s" and err.metadata["burst"] == "2s"
    assert err.metadata["principal_kind"] == "user" and err.metadata["class"] == "reads"
    assert float(err.metadata["retry_after_seconds"]) == pytest.approx(5.0, abs=0.1)
    other = budget.account(bob)
    assert other is not None
    asyncio.run(other.admit())()  # another user's budget is untouched


def test_services_are_unlimited_by_default_and_limits_off_turn_the_budget_off() -> None:
    assert _budget().account(Principal(service="backend")) is None
    assert _budget().account(Principal(user_id="u")) is not None
    off = ReadCpuBudget(build_config({"rate_limits": {"enabled": False}}).rate_limits)
    assert off.account(Principal(user_id="u")) is None
    assert _budget(read_cpu="unlimited").account(Principal(user_id="u")) is None
    limited = ReadCpuBudget(build_config({"rate_limits": {"service": {"read_cpu": "30s/1s"}}}).rate_limits)
    buckets = limited.buckets(True)
    assert buckets is not None and buckets.rate == 30.0 and buckets.burst == 60.0


def test_the_defaults_allow_a_tenth_of_a_core_after_a_burst_of_five_seconds() -> None:
    cfg = build_config({}).rate_limits
    assert cpu_rate(cfg.user.read_cpu) == pytest.approx(0.1)
    assert cfg.user.read_cpu_burst == timedelta(seconds=5)
    assert cpu_rate(cfg.service.read_cpu) is None


@pytest.mark.parametrize(("values", "key"), [
    ({"read_cpu": "fast"}, "rate_limits.user.read_cpu"),
    ({"read_cpu": "2s"}, "rate_limits.user.read_cpu"),
    ({"read_cpu": "0s/10s"}, "rate_limits.user.read_cpu"),
    ({"read_cpu": "1s/soon"}, "rate_limits.user.read_cpu"),
    ({"read_cpu_burst": "0s"}, "rate_limits.user.read_cpu_burst"),
    ({"read_cpu_burst": "a lot"}, "rate_limits.user.read_cpu_burst"),
])
def test_a_bad_value_names_its_key(values: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as bad:
        build_config({"rate_limits": {"user": values}})
    assert bad.value.key == key


# --------------------------------------------------------------------------------------- the meter


def test_metered_work_is_charged_its_thread_cpu_time_to_the_account_of_the_context() -> None:
    tally = Tally()
    with cpu_meter.metered():
        _spin(0.001)  # no account: charged to nobody
    with cpu_meter.charged_to(tally):
        asyncio.run(cpu_meter.admit())()
        with cpu_meter.metered():
            _spin(0.005)
        with cpu_meter.charged_to(None), cpu_meter.metered():
            _spin(0.001)  # work done for nobody inside a call (a watched portfolio's refresh)
    assert tally.admitted == 1
    assert len(tally.charged) == 1 and tally.charged[0] >= 0.005


def test_a_computation_on_the_compute_pool_is_charged_to_the_call_that_started_it() -> None:
    tally = Tally()

    def work() -> str:
        with cpu_meter.metered():
            _spin(0.005)
            return threading.current_thread().name

    async def call() -> str:
        with cpu_meter.charged_to(tally):
            return await compute_pool.run(work)

    assert asyncio.run(call()).startswith("portfolio-compute")
    assert len(tally.charged) == 1 and tally.charged[0] >= 0.005


# ------------------------------------------------------------------------- one computation at a time


def test_a_second_computation_of_a_principal_waits_for_the_first_and_is_then_refused_for_all_it_cost() -> None:
    """Checked at the start and charged at the end, concurrent calls were all admitted on a full bucket:
    a principal's second computation now waits until the first is over and charged, and its refusal's
    RetryInfo counts the whole debt. Another principal does not wait."""
    budget = _budget(read_cpu="1s/10s", read_cpu_burst="2s")
    alice, bob = Principal(user_id="alice"), Principal(user_id="bob")

    async def scenario() -> None:
        first, second, other = budget.account(alice), budget.account(alice), budget.account(bob)
        assert first is not None and second is not None and other is not None
        release = await first.admit()  # a full bucket: admitted, alice's turn taken
        waiting = asyncio.create_task(second.admit())
        for _ in range(20):
            await asyncio.sleep(0)
        assert not waiting.done(), "admitted while alice's first computation was running (its cost unknown)"
        (await other.admit())()  # bob's turn is his own
        first.charge(12.0)  # the first computation cost 12 s: 10 s owed, refilled at 0.1 s a second
        release()
        with pytest.raises(ResourceExhausted) as refused:
            await waiting
        retry = refused.value.retry_after
        assert retry is not None and retry.total_seconds() == pytest.approx(100.0, abs=1.0)
        assert len(budget.turns(False)) == 0, "no turn kept for an idle principal"

    asyncio.run(scenario())


def test_an_app_asking_for_its_summary_and_history_at_once_is_served_both_one_after_the_other() -> None:
    budget = _budget(read_cpu="1s/10s", read_cpu_burst="5s")
    user = Principal(user_id="app-user")
    order: list[str] = []

    async def computation(what: str, cost: float) -> None:
        account = budget.account(user)
        assert account is not None
        release = await account.admit()
        try:
            order.append(f"{what} starts")
            for _ in range(5):
                await asyncio.sleep(0)  # its work, during which the other one must not start
            account.charge(cost)
            order.append(f"{what} ends")
        finally:
            release()

    async def scenario() -> None:
        await asyncio.gather(computation("summary", 0.5), computation("history", 0.5))

    asyncio.run(scenario())
    assert order == ["summary starts", "summary ends", "history starts", "history ends"]
    assert len(budget.turns(False)) == 0


def test_turns_are_kept_only_while_held_or_waited_for_and_a_cancelled_wait_takes_none() -> None:
    turns = Turns()

    async def scenario() -> None:
        release = await turns.take("u")
        waiting = asyncio.create_task(turns.take("u"))
        await asyncio.sleep(0)
        assert len(turns) == 1
        waiting.cancel()  # the call's deadline passed while it waited
        with pytest.raises(asyncio.CancelledError):
            await waiting
        release()
        release()  # a second release does nothing
        assert len(turns) == 0
        again = await turns.take("u")  # free again at once
        for i in range(1000):
            (await turns.take(f"p{i}"))()
        assert len(turns) == 1
        again()
        assert len(turns) == 0

    asyncio.run(scenario())


def test_without_an_account_admission_neither_waits_nor_refuses() -> None:
    async def scenario() -> None:
        with cpu_meter.charged_to(None):
            releases = [await cpu_meter.admit() for _ in range(3)]  # no turn: none waits for another
        for release in releases:
            release()

    asyncio.run(scenario())
