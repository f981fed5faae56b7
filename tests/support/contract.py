"""Every RPC of the contract, read from the generated descriptors."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from google.protobuf import message_factory

from stack_cfo.api.servicers import PROTO_MODULES, PROTO_PACKAGE


@dataclass(frozen=True)
class Rpc:
    path: str  # /stack.cfo.v1.ChatService/GetSession
    request: Any  # the request message class
    client_streaming: bool
    server_streaming: bool


def contract_rpcs() -> list[Rpc]:
    out = []
    for module in PROTO_MODULES:
        pb2 = importlib.import_module(f"{PROTO_PACKAGE}.{module}_pb2")
        for svc in pb2.DESCRIPTOR.services_by_name.values():
            for m in svc.methods:
                out.append(Rpc(f"/{svc.full_name}/{m.name}", message_factory.GetMessageClass(m.input_type),
                               m.client_streaming, m.server_streaming))
    return out


def market_today() -> date:
    """Today's market date in New York: the latest day a close, holding or trade may carry (FUTURE_DATE after
    it). Between midnight UTC and midnight New York, today in UTC is still tomorrow there."""
    return datetime.now(ZoneInfo("America/New_York")).date()
