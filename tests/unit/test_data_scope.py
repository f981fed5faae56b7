"""The acting principal of database work (row-level security): scopes nest and end, a system
scope never leaks into the consumer of a generator, bad ids are refused."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from stack_cfo.core import data_scope
from stack_cfo.core.data_scope import (
    DataScope,
    act_for,
    current,
    in_system_scope,
    iterate_in_system_scope,
    system_scope,
    user_scope,
)

ALICE = str(uuid.uuid4())


def test_scopes_nest_and_end() -> None:
    assert current() is None
    with user_scope(ALICE):
        assert current() == DataScope(user_id=ALICE)
        with system_scope("planner"):
            assert current() == DataScope(system="planner") and current().is_system  # type: ignore[union-attr]
        assert current() == DataScope(user_id=ALICE)
    assert current() is None


def test_malformed_ids_and_names_are_refused() -> None:
    with pytest.raises(ValueError), user_scope("alice'; DROP TABLE users; --"):
        pass
    with pytest.raises(ValueError), system_scope("two words"):
        pass
    with pytest.raises(ValueError):
        data_scope.principal_scope(None, "svc'--")


async def test_a_service_acting_for_a_user_keeps_its_service_and_a_system_job_keeps_its_scope() -> None:
    token = data_scope.set_scope(data_scope.principal_scope(None, "ledger"))
    try:
        assert act_for(ALICE.upper()) == DataScope(user_id=ALICE, service="ledger")
        assert current() == DataScope(user_id=ALICE, service="ledger")
    finally:
        data_scope.reset(token)
    with system_scope("run-job"):
        assert act_for(ALICE) == DataScope(system="run-job")


async def test_a_user_acting_on_their_own_rows_keeps_their_scope_and_on_another_id_gets_that_one() -> None:
    own = data_scope.principal_scope(ALICE, None)
    token = data_scope.set_scope(own)
    try:
        assert act_for(ALICE) is own  # nothing parsed, nothing set: the scope already is this user's
        assert current() is own
        assert act_for(ALICE.upper()) == own  # a non-canonical spelling is parsed as before
        bob = "0b0b0b0b-0000-4000-8000-000000000002"
        assert act_for(bob) == DataScope(user_id=bob)
        assert current() == DataScope(user_id=bob)
    finally:
        data_scope.reset(token)


async def test_the_system_scope_of_a_generator_holds_inside_it_and_never_in_its_consumer() -> None:
    seen_inside: list[DataScope | None] = []

    async def job() -> AsyncIterator[int]:
        for i in range(3):
            seen_inside.append(current())
            await asyncio.sleep(0)
            yield i

    out = []
    with user_scope(ALICE):
        async for i in iterate_in_system_scope("run-job", job()):
            out.append((i, current()))
    assert [i for i, _ in out] == [0, 1, 2]
    assert all(s == DataScope(user_id=ALICE) for _, s in out)
    assert seen_inside == [DataScope(system="run-job")] * 3


async def test_a_decorated_job_and_the_tasks_it_spawns_run_in_the_system_scope() -> None:
    @in_system_scope("reaper")
    async def reap() -> tuple[DataScope | None, DataScope | None]:
        spawned = asyncio.create_task(asyncio.sleep(0, result=current()))
        return current(), await spawned

    assert await reap() == (DataScope(system="reaper"), DataScope(system="reaper"))
    assert current() is None
