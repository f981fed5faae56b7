"""SendMessage / CreateSession request ids (AIP-155): one id is one request of its user, whatever
the session it is sent to and however its hex digits are cased; other spellings of a UUID are
refused, so no spelling of one id pays for a second AI answer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2
from tests.integration.chat.conftest import chat_server, error_info, events, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn


async def test_one_request_id_answers_once_across_the_users_sessions(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user, other = new_user(), new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        a, b = await chat.create(user, "A"), await chat.create(user, "B")
        r = rid()
        accepted, _, completed = events(await chat.send(user, a.name, "How am I doing?", request_id=r))
        assert not accepted.replayed and provider.count() == 1
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.send(user, b.name, "How am I doing?", request_id=r)
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, bad = error_info(ei.value)
        assert info.reason == "REQUEST_ID_REUSED" and bad.field_violations[0].field == "request_id"
        assert provider.count() == 1
        assert (await chat.get(user, b.name)).message_count == 0  # nothing stored in B
        # the same id on the first session still replays its answer
        again, _, done = events(await chat.send(user, a.name, "How am I doing?", request_id=r))
        assert again.replayed and done.assistant_message.id == completed.assistant_message.id
        # another user's id space is their own
        c = await chat.create(other, "C")
        events(await chat.send(other, c.name, "How am I doing?", request_id=r))
        assert provider.count() == 2


async def test_concurrent_sends_of_one_id_to_two_sessions_answer_once(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        sessions = [await chat.create(user, f"S{i}") for i in range(4)]
        r = rid()
        results = await asyncio.gather(
            *(chat.send(user, s.name, "Same question", request_id=r) for s in sessions), return_exceptions=True
        )
        answered = [x for x in results if not isinstance(x, BaseException)]
        refused = [x for x in results if isinstance(x, grpc.aio.AioRpcError)]
        assert len(answered) == 1 and len(refused) == 3, results
        assert {error_info(e)[0].reason for e in refused} == {"REQUEST_ID_REUSED"}
        assert provider.count() == 1


async def test_request_id_case_is_one_id_and_other_spellings_are_refused(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user, "Case")
        r = rid()
        _, _, completed = events(await chat.send(user, s.name, "Sell or hold?", request_id=r.upper()))
        again, _, done = events(await chat.send(user, s.name, "Sell or hold?", request_id=r))
        assert again.replayed and done.assistant_message.id == completed.assistant_message.id
        assert provider.count() == 1

        for spelling in ("{" + r + "}", "urn:uuid:" + r, r.replace("-", ""), r + " ", "not-a-uuid"):
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await chat.send(user, s.name, "Sell or hold?", request_id=spelling)
            assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT, spelling
            info, bad = error_info(ei.value)
            assert info.reason == "INVALID_REQUEST_ID" and bad.field_violations[0].field == "request_id"
        assert provider.count() == 1

        # CreateSession: the upper-case spelling of an id returns the session the id created
        c = rid()
        req = chat_pb2.CreateSessionRequest(parent=f"users/{user}", session=chat_pb2.Session(title="Once"),
                                            request_id=c)
        created = await chat.stub.CreateSession(req, metadata=chat.md(user))
        req.request_id = c.upper()
        assert (await chat.stub.CreateSession(req, metadata=chat.md(user))).name == created.name
