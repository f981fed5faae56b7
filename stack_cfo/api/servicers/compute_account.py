"""ComputeAccountService: the 0G compute account for operators (service principals only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import grpc

from stack_cfo._proto.stack.cfo.v1 import compute_account_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import compute_account_pb2_grpc as pb_grpc
from stack_cfo.api.auth import current_principal, require_service
from stack_cfo.api.validation import format_decimal, set_timestamp
from stack_cfo.core.ai import ComputeClient

_MODES = {"router": pb.COMPUTE_MODE_ROUTER, "direct": pb.COMPUTE_MODE_DIRECT, "offline": pb.COMPUTE_MODE_OFFLINE}
_BREAKER = {
    "closed": pb.BREAKER_STATE_CLOSED,
    "open": pb.BREAKER_STATE_OPEN,
    "half_open": pb.BREAKER_STATE_HALF_OPEN,
}
_PER_MILLION = Decimal(1_000_000)


def _per_token(per_million: Decimal | None) -> str:
    return "" if per_million is None else format_decimal((per_million / _PER_MILLION).normalize())


class ComputeAccountServicer(pb_grpc.ComputeAccountServiceServicer):
    def __init__(self, compute: ComputeClient) -> None:
        self.compute = compute

    async def GetComputeAccount(
        self, request: pb.GetComputeAccountRequest, context: grpc.aio.ServicerContext
    ) -> pb.ComputeAccount:
        require_service(current_principal(), operation="GetComputeAccount")
        client: Any = self.compute  # the 0G client's operator view (not part of the ComputeClient port)
        status = await client.account_status()
        out = pb.ComputeAccount(
            mode=_MODES.get(status.mode.split("+")[0], pb.COMPUTE_MODE_UNSPECIFIED),
            wallet_address=status.wallet_address or "",
            auto_topup=pb.AutoTopup(
                enabled=status.auto_topup,
                min_balance=format_decimal(status.min_balance),
                topup_amount=format_decimal(status.topup_amount),
            ),
        )
        set_timestamp(out.read_time, status.checked_at)
        if status.last_topup_time is not None:
            set_timestamp(out.auto_topup.last_topup_time, status.last_topup_time)
        unsettled = Decimal(0)
        unsettled_known = bool(status.providers)
        errors = [status.error] if status.error else []
        router_balance: Decimal | None = None
        for p in status.providers:
            out.providers.append(
                pb.ComputeProvider(
                    address="" if p.kind == "router" else p.name,
                    url=p.url,
                    model=p.model,
                    breaker_state=_BREAKER.get(p.breaker_state, pb.BREAKER_STATE_UNSPECIFIED),
                    verifiability=p.verifiability if p.verifiable else "",
                    tee_signer_address=getattr(p, "tee_signer_address", "") or "",
                    input_price_per_token=_per_token(p.input_price_per_million),
                    output_price_per_token=_per_token(p.output_price_per_million),
                    balance=format_decimal(p.balance),
                    unsettled_fee=format_decimal(p.unsettled_fee),
                )
            )
            if p.kind == "router":
                router_balance = p.total_balance if p.total_balance is not None else p.balance
            elif p.unsettled_fee is None:
                unsettled_known = False
            else:
                unsettled += p.unsettled_fee
            if p.error:
                errors.append(f"{p.name}: {p.error}")
        total = status.ledger_total if status.mode.startswith("direct") else router_balance
        out.balance = format_decimal(total)
        if unsettled_known and any(p.kind != "router" for p in status.providers):
            out.unsettled_fee = format_decimal(unsettled)
        if status.mode != "offline" and total is None and not errors:
            errors.append("balance unavailable")
        out.balance_error = "; ".join(errors)
        return out
