"""UserDataService: erase a user's data (and their archive key); read an archived session back."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc

from stack_cfo._proto.stack.cfo.v1 import chat_pb2
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2_grpc as pb_grpc
from stack_cfo.api.auth import current_principal
from stack_cfo.api.resources import authorize, parse_user, parse_user_child, uuid_segment
from stack_cfo.api.servicers.chat import session_to_proto
from stack_cfo.api.validation import set_timestamp
from stack_cfo.core.chat.manager import ChatManager
from stack_cfo.core.idempotency import IdempotencyStore, request_key
from stack_cfo.core.user_data import UserDataService

_NAMED = {
    "chat_sessions": "session_count",
    "positions": "position_count",
    "cash_flows": "cash_flow_count",
    "notification_outbox": "notification_count",
    "push_devices": "device_count",
    "archive_objects": None,
    "external_archives": None,  # archives outside PostgreSQL (0G Storage): counted, nothing deleted
}
#: Erasure counts that make up ``archive_count``: archived objects made unreadable by destroying
#: the data key, whether PostgreSQL held them (deleted too) or 0G Storage does (cannot delete).
_ARCHIVES = ("archive_objects", "external_archives")


class UserDataServicer(pb_grpc.UserDataServiceServicer):
    def __init__(self, user_data: UserDataService, chat: ChatManager, idempotency: IdempotencyStore) -> None:
        self.user_data = user_data
        self.chat = chat
        self.idempotency = idempotency

    async def EraseUserData(
        self, request: pb.EraseUserDataRequest, context: grpc.aio.ServicerContext
    ) -> pb.EraseUserDataResponse:
        user_id = parse_user(request.name, field="name")
        principal = authorize(user_id, request.name, current_principal())
        # A retried request id replays the first call's counts without erasing again (data stored
        # since is kept); an id reused for another request erases nothing (REQUEST_ID_REUSED).
        key = request_key("EraseUserData", principal.key, request)

        async def work() -> bytes:
            erasure = await self.user_data.erase(user_id)
            # the user's answers streaming on this process stop before this call returns (other
            # replicas hear of the erased sessions from the database)
            self.chat.end_turns_of(user_id)
            response = pb.EraseUserDataResponse(name=request.name, data_key_destroyed=erasure.data_key_destroyed)
            for table, n in sorted(erasure.counts.items()):
                field = _NAMED.get(table, "")
                if field:
                    setattr(response, field, n)
                elif table in _ARCHIVES:
                    response.archive_count += n
                elif n:
                    response.other_counts[table] = n
            set_timestamp(response.erase_time, datetime.now(UTC))
            return response.SerializeToString()

        return pb.EraseUserDataResponse.FromString(await self.idempotency.run(key, work))

    async def GetArchivedSession(
        self, request: pb.GetArchivedSessionRequest, context: grpc.aio.ServicerContext
    ) -> pb.ArchivedSession:
        user_id, session_id = parse_user_child(request.session, "sessions", field="session")
        session_id = uuid_segment(session_id, "session", request.session, "users/{user}/sessions/{session}")
        authorize(user_id, request.session, current_principal())
        transcript, address, archive_time = await self.chat.archived_transcript(user_id, session_id)
        out = pb.ArchivedSession(
            session=session_to_proto(transcript.session, list(transcript.messages)), archive_address=address
        )
        if out.session.status == chat_pb2.SESSION_STATUS_ARCHIVED:
            # the transcript was sealed before its address existed: the session as archived has it
            out.session.archive_address = address
        set_timestamp(out.archive_time, archive_time)
        return out
