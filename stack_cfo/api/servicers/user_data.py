"""UserDataService: erase a user's data (and their archive key); read an archived session back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import grpc

from stack_cfo._proto.stack.cfo.v1 import user_data_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2_grpc as pb_grpc
from stack_cfo.api.auth import current_principal
from stack_cfo.api.resources import authorize, parse_user, parse_user_child
from stack_cfo.api.validation import set_timestamp
from stack_cfo.archive_wiring import shared_archive
from stack_cfo.core.errors import DataLoss, FailedPrecondition
from stack_cfo.store.erasure import erase_user_rows
from stack_cfo.store.idempotency import run_idempotent, validate_request_id

if TYPE_CHECKING:
    from stack_cfo.app import Container

_NAMED = {
    "chat_sessions": "session_count",
    "positions": "position_count",
    "cash_flows": "cash_flow_count",
    "notification_outbox": "notification_count",
    "push_devices": "device_count",
    "archive_objects": None,
}


class UserDataServicer(pb_grpc.UserDataServiceServicer):
    def __init__(self, container: Container) -> None:
        self._container = container

    async def EraseUserData(
        self, request: pb.EraseUserDataRequest, context: grpc.aio.ServicerContext
    ) -> pb.EraseUserDataResponse:
        user_id = parse_user(request.name, field="name")
        principal = authorize(user_id, request.name, current_principal())
        validate_request_id(request.request_id)

        # The key goes first and on its own: once it is destroyed every archived copy (0G included) is
        # unreadable, even if deleting the rows below has to be retried.
        archive = shared_archive(self._container)
        destroyed = await archive.erase(user_id)
        counts = await erase_user_rows(self._container.db, user_id)
        invalidate: Any = self._container.extras.get("portfolio")
        if invalidate is not None and hasattr(invalidate, "forget_user"):
            invalidate.forget_user(user_id)

        response = pb.EraseUserDataResponse(name=request.name, data_key_destroyed=destroyed > 0)
        for table, n in sorted(counts.items()):
            field = _NAMED.get(table, "")
            if field:
                setattr(response, field, n)
            elif table == "archive_objects":
                response.archive_count = n
            elif n:
                response.other_counts[table] = n
        set_timestamp(response.erase_time, datetime.now(UTC))

        async def work(_conn: Any) -> bytes:
            return response.SerializeToString()

        # A retried request id replays the first call's counts (the second erase found nothing left).
        stored = await run_idempotent(
            self._container.db,
            method="EraseUserData",
            principal=principal.key,
            request_id=request.request_id,
            payload=request.SerializeToString(),
            work=work,
        )
        return pb.EraseUserDataResponse.FromString(stored)


    async def GetArchivedSession(
        self, request: pb.GetArchivedSessionRequest, context: grpc.aio.ServicerContext
    ) -> pb.ArchivedSession:
        from stack_cfo.api.servicers.chat import build_chat_manager, session_to_proto
        from stack_cfo.core.archive import CHAT_SESSIONS
        from stack_cfo.core.chat.transcript import parse_transcript

        user_id, session_id = parse_user_child(request.session, "sessions", field="session")
        authorize(user_id, request.session, current_principal())
        manager = self._container.service("chat", build_chat_manager)
        session, _ = await manager.get_session(user_id, session_id, with_messages=False, touch=False)
        address = getattr(session, "archive_address", None)
        if not address:
            raise FailedPrecondition(
                f"session {request.session!r} has not been archived",
                reason="SESSION_NOT_ARCHIVED",
                metadata={"session": request.session},
            )
        data = await shared_archive(self._container).get(
            address, owner=user_id, namespace=CHAT_SESSIONS, key=f"{session_id}.json"
        )
        transcript = parse_transcript(data)
        if transcript.session.id != session_id or transcript.session.user_id != user_id:
            raise DataLoss(
                "the archived transcript belongs to another session",
                reason="ARCHIVE_CORRUPTED",
                metadata={"session": request.session, "address": address},
            )
        out = pb.ArchivedSession(
            session=session_to_proto(transcript.session, list(transcript.messages)), archive_address=address
        )
        set_timestamp(out.archive_time, transcript.session.archive_time or getattr(session, "archive_time", None))
        return out


def build_UserDataService(container: Container) -> UserDataServicer:
    return UserDataServicer(container)
