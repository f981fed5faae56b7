"""ReceiptService: read a receipt whole, and replay it as of its snapshot's time."""

from __future__ import annotations

import grpc

from stack_cfo._proto.stack.cfo.v1 import common_pb2
from stack_cfo._proto.stack.cfo.v1 import receipt_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import receipt_pb2_grpc as pb_grpc
from stack_cfo.api.auth import current_principal
from stack_cfo.api.cpu_budget import ReadCpuBudget
from stack_cfo.api.provenance import figure_to_proto, receipt_to_proto
from stack_cfo.api.resources import authorize, canonical_uuid, parse_user_child
from stack_cfo.api.validation import invalid, set_timestamp
from stack_cfo.core.errors import InvalidArgument, NotFound
from stack_cfo.core.portfolio import cpu_meter
from stack_cfo.core.provenance import Receipt
from stack_cfo.core.provenance.replay import ReplayService

_SHARED = "receipts/"
_PATTERN = "users/{user}/receipts/{receipt} or receipts/{receipt}, {receipt} a UUID"


def _not_found(name: str) -> NotFound:
    """The same answer for a missing receipt and for another user's (see resources.not_found)."""
    return NotFound.resource("receipt", name)


def _bad_name(name: str) -> InvalidArgument:
    return invalid("name", f"expected {_PATTERN}", reason="INVALID_RESOURCE_NAME", value=name, expected=_PATTERN)


def _whole(receipt: Receipt, target: common_pb2.Receipt) -> None:
    """A receipt as GetReceipt and ReplayReceipt send it: with its data snapshot and the bytes the
    provider signed (which embedded receipts leave out)."""
    receipt_to_proto(receipt, target, with_snapshot=True)
    target.signed_request = receipt.signed_request
    target.signed_response = receipt.signed_response


class ReceiptServicer(pb_grpc.ReceiptServiceServicer):
    def __init__(self, service: ReplayService, cpu_budget: ReadCpuBudget | None = None) -> None:
        """``cpu_budget``: the CPU the callers' replays may take (a replay computes the summary as of the
        receipt's time, uncached past the last few: see :mod:`stack_cfo.api.cpu_budget`; none: unlimited)."""
        self.service = service
        self.cpu_budget = cpu_budget

    async def _load(self, name: str) -> Receipt:
        """The receipt ``name`` names, if the caller may read it (else NOT_FOUND: existence does not leak)."""
        if name.startswith(_SHARED):
            owner, receipt_id = None, name.removeprefix(_SHARED)
        else:
            try:
                owner, receipt_id = parse_user_child(name, "receipts", field="name")
            except InvalidArgument:
                raise _bad_name(name) from None  # naming both forms a receipt name takes
            authorize(owner, name, current_principal())
        found = canonical_uuid(receipt_id)
        if found is None:
            raise _bad_name(name)
        receipt_id = found
        current_principal()  # any authenticated principal may read shared receipts
        receipt = await self.service.receipt(receipt_id)
        if receipt is None or receipt.user_id != owner:
            raise _not_found(name)
        return receipt

    async def GetReceipt(self, request: pb.GetReceiptRequest, context: grpc.aio.ServicerContext) -> common_pb2.Receipt:
        out = common_pb2.Receipt()
        _whole(await self._load(request.name), out)
        return out

    async def ReplayReceipt(
        self, request: pb.ReplayReceiptRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReceiptReplay:
        receipt = await self._load(request.name)
        budget = self.cpu_budget
        with cpu_meter.charged_to(budget.account(current_principal()) if budget is not None else None):
            replay = await self.service.replay(receipt)
        out = pb.ReceiptReplay(replayed_snapshot=replay.replayed.text, unchanged=replay.unchanged)
        _whole(receipt, out.receipt)
        set_timestamp(out.replay_time, replay.replay_time)
        for c in replay.changed:
            out.changed_facts.add(fact=c.fact, then_value=c.then_value, now_value=c.now_value)
        for f in replay.figures:
            figure_to_proto(f.figure, out.figures.add(still_holds=f.still_holds, now_value=f.now_value).figure)
        return out
