"""Servicers: translate proto <-> domain and call ``core``; no business rules here.

Each servicer receives the domain services it calls through its constructor (the wiring
builds them). :func:`registrations` serves every service of the contract: a service without a
servicer is served by its generated base class, whose methods raise ``NotImplementedError``;
the interceptor turns that into UNIMPLEMENTED with an ``ErrorInfo`` (never invented data).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

from stack_cfo.api.server import Registration

PROTO_PACKAGE = "stack_cfo._proto.stack.cfo.v1"
PROTO_MODULES = ("portfolio", "chat", "scheduler", "compute_account", "user_data", "receipt")


def registrations(servicers: Iterable[Any]) -> list[Registration]:
    """One registration per service of the contract, using the servicer that implements it."""
    given = list(servicers)
    regs: list[Registration] = []
    for name in PROTO_MODULES:
        pb2 = importlib.import_module(f"{PROTO_PACKAGE}.{name}_pb2")
        grpc_mod = importlib.import_module(f"{PROTO_PACKAGE}.{name}_pb2_grpc")
        for svc_name, svc in pb2.DESCRIPTOR.services_by_name.items():
            base = getattr(grpc_mod, f"{svc_name}Servicer")
            servicer = next((s for s in given if isinstance(s, base)), None)
            add = getattr(grpc_mod, f"add_{svc_name}Servicer_to_server")
            regs.append(Registration(svc.full_name, add, servicer if servicer is not None else base()))
    return regs
