"""Request parsing shared by the portfolio servicers: holdings and cash flows (proto -> domain)."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import TypeVar

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.api.validation import from_date, from_timestamp, invalid, parse_decimal
from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.portfolio.inputs import MAX_TAGS, AssetClassName, FlowInput, FlowType, HoldingInput

#: What stands in a command for a position or a cash flow whose values did not parse (the command's
#: ``malformed_*`` carry its problem; the domain does not look at the item).
_UNPARSED_POSITION = HoldingInput(symbol="", quantity=Decimal(0))
_UNPARSED_FLOW = FlowInput(type=None, amount=Decimal(0))

_M = TypeVar("_M")
_T = TypeVar("_T")


def _parsed(
    items: Sequence[_M], parse: Callable[[_M, int], _T], unparsed: _T
) -> tuple[list[_T], dict[int, InvalidArgument]]:
    """Every item parsed, as ``each_checked`` but keeping going: an item whose values do not parse
    stands as ``unparsed`` in the list, its problem in the dict under its index (the domain reports it
    with the others' problems). A problem is kept without its traceback (:meth:`InvalidArgument.detached`:
    each one held the frames of its parse, the request's item among their locals, in a reference cycle
    through this dict, which outlived the refused request until a full collection)."""
    out: list[_T] = []
    bad: dict[int, InvalidArgument] = {}
    for i, item in enumerate(items):
        try:
            out.append(parse(item, i))
        except InvalidArgument as exc:
            bad[i] = exc.detached()
            out.append(unparsed)
    return out, bad


async def raised_here(awaitable: Awaitable[_T]) -> _T:
    """``await awaitable``; an InvalidArgument it raises is raised as a copy, the original without its traceback.

    For work that may fail on another thread (``in_thread``, the compute pool) in a metered write: the
    error comes back to the call's coroutine through its task, and the write's CPU meter
    (``cpu_budget._Measured``) keeps the error it passed on in a local of its frame, which the error's
    traceback holds, a reference cycle that kept the refused request (an import's 200,000 positions) and
    the frames of its validation until a full collection. The copy leaves the meter's frame holding an
    error that holds no frame."""
    try:
        return await awaitable
    except InvalidArgument as exc:
        raise copy.copy(exc.detached()) from None


def _decimal(value: str, field: str, *, required: bool = True) -> Decimal | None:
    # Signs are the domain's rules (NEGATIVE_QUANTITY, NEGATIVE_PRICE): parse them through.
    return parse_decimal(value, field, required=required, allow_negative=True)


def _asset_class(value: int, field: str) -> AssetClassName:
    try:
        name = portfolio_pb2.AssetClass.Name(value)  # type: ignore[arg-type]
    except ValueError:
        raise invalid(field, f"unknown asset class {value}", reason="INVALID_ENUM") from None
    return AssetClassName(name.removeprefix("ASSET_CLASS_"))


def _holding(h: portfolio_pb2.Holding, i: int, prefix: str = "positions") -> HoldingInput:
    path = f"{prefix}[{i}]"
    quantity = _decimal(h.quantity, f"{path}.quantity")
    assert quantity is not None
    return HoldingInput(
        symbol=h.symbol,
        quantity=quantity,
        average_cost=_decimal(h.average_cost, f"{path}.average_cost", required=False),
        currency=h.currency,
        sector=h.sector or None,
        asset_class=_asset_class(h.asset_class, f"{path}.asset_class"),
        basket=h.basket or None,
        # more than MAX_TAGS is refused (TOO_MANY_TAGS) whatever they are: not millions copied for it
        tags=tuple(h.tags) if len(h.tags) <= MAX_TAGS else tuple(h.tags[: MAX_TAGS + 1]),
    )


def _flow(f: portfolio_pb2.CashFlow, i: int) -> FlowInput:
    path = f"cash_flows[{i}]"
    amount = _decimal(f.amount, f"{path}.amount")
    assert amount is not None
    which = f.WhichOneof("occurred")
    kinds = {portfolio_pb2.CASH_FLOW_TYPE_DEPOSIT: FlowType.DEPOSIT,
             portfolio_pb2.CASH_FLOW_TYPE_WITHDRAWAL: FlowType.WITHDRAWAL}
    if f.type not in kinds and f.type != portfolio_pb2.CASH_FLOW_TYPE_UNSPECIFIED:
        raise invalid(f"{path}.type", f"unknown cash flow type {f.type}", reason="INVALID_ENUM")
    return FlowInput(
        type=kinds.get(f.type),
        amount=amount,
        occurred_at=from_timestamp(f.occur_time, f"{path}.occur_time", required=True, present=True)
        if which == "occur_time" else None,
        occurred_on=from_date(f.occur_date, f"{path}.occur_date", required=True) if which == "occur_date" else None,
        external_id=f.id or None,
        currency=f.currency,
    )


