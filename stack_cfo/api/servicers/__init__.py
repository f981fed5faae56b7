"""Servicers: translate proto <-> domain and call ``core``; no business rules here.

Every service in the contract is served. A service whose capability has not landed is
served by its generated base class, whose methods raise ``NotImplementedError``; the
interceptor turns that into UNIMPLEMENTED with an ``ErrorInfo`` (never invented data).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from stack_cfo.api.server import Registration

if TYPE_CHECKING:
    from stack_cfo.app import Container

PROTO_PACKAGE = "stack_cfo._proto.stack.cfo.v1"
PROTO_MODULES = ("portfolio", "chat", "scheduler", "compute_account", "user_data")

#: Full service name -> "module:function" building the servicer from the container. Filled by
#: convention: ``stack_cfo/api/servicers/<proto module>.py`` with ``build_<ServiceName>(container)``.
IMPLEMENTATIONS: dict[str, str] = {}


def _factory(path: str) -> Callable[[Container], Any]:
    module, _, func = path.partition(":")
    return getattr(importlib.import_module(module), func)  # type: ignore[no-any-return]


def _discover() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in PROTO_MODULES:
        module = f"{__name__}.{name}"
        if importlib.util.find_spec(module) is None:
            continue
        mod = importlib.import_module(module)
        pb2 = importlib.import_module(f"{PROTO_PACKAGE}.{name}_pb2")
        for svc_name, svc in pb2.DESCRIPTOR.services_by_name.items():
            if hasattr(mod, f"build_{svc_name}"):
                found[svc.full_name] = f"{module}:build_{svc_name}"
    return found


IMPLEMENTATIONS.update(_discover())


def build_registrations(container: Container) -> list[Registration]:
    regs: list[Registration] = []
    for name in PROTO_MODULES:
        pb2 = importlib.import_module(f"{PROTO_PACKAGE}.{name}_pb2")
        grpc_mod = importlib.import_module(f"{PROTO_PACKAGE}.{name}_pb2_grpc")
        for svc_name, svc in pb2.DESCRIPTOR.services_by_name.items():
            add = getattr(grpc_mod, f"add_{svc_name}Servicer_to_server")
            impl = IMPLEMENTATIONS.get(svc.full_name)
            servicer = _factory(impl)(container) if impl else getattr(grpc_mod, f"{svc_name}Servicer")()
            regs.append(Registration(svc.full_name, add, servicer))
    return regs
