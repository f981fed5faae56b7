"""gRPC server reflection v1 (``grpc.reflection.v1.ServerReflection``), served beside v1alpha.

grpcio-reflection implements only ``grpc.reflection.v1alpha``, which gRPC deprecated in favour of
``grpc.reflection.v1``: the same protocol under another package, message for message and field
for field. Current tools (grpcurl, buf curl, grpcui, Postman, Go's ``grpcreflect`` client) ask for
v1 first and fall back to v1alpha after an UNIMPLEMENTED; served here, they get their answer on
the first try, and a v1-only client gets one at all.

One servicer answers both: v1 requests are decoded and answers encoded with the v1alpha classes
(the bytes on the wire are the same). The v1 file descriptor is derived from v1alpha's, renamed,
and added to the default pool, so that describing ``grpc.reflection.v1.ServerReflection`` by
reflection works like describing any other service.
"""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection
from grpc_reflection.v1alpha import reflection_pb2 as v1alpha

SERVICE_NAME = "grpc.reflection.v1.ServerReflection"
PACKAGE = "grpc.reflection.v1"
FILE_NAME = "grpc/reflection/v1/reflection.proto"
_METHOD = "ServerReflectionInfo"


def _renamed(type_name: str) -> str:
    old = f".{v1alpha.DESCRIPTOR.package}."
    return f".{PACKAGE}.{type_name[len(old):]}" if type_name.startswith(old) else type_name


def v1_file() -> descriptor_pb2.FileDescriptorProto:
    """``grpc/reflection/v1/reflection.proto`` as gRPC publishes it, built from v1alpha's."""
    fdp = descriptor_pb2.FileDescriptorProto()
    v1alpha.DESCRIPTOR.CopyToProto(fdp)
    fdp.name, fdp.package = FILE_NAME, PACKAGE
    for message in fdp.message_type:
        for field in message.field:
            if field.HasField("type_name"):  # messages and enums only (set on a scalar, it is an error)
                field.type_name = _renamed(field.type_name)
    for service in fdp.service:
        for method in service.method:
            method.input_type, method.output_type = _renamed(method.input_type), _renamed(method.output_type)
    fdp.options.Clear()  # v1alpha's are deprecated and name v1alpha packages; these are v1's own
    fdp.options.go_package = "google.golang.org/grpc/reflection/grpc_reflection_v1"
    fdp.options.java_multiple_files = True
    fdp.options.java_package = "io.grpc.reflection.v1"
    fdp.options.java_outer_classname = "ServerReflectionProto"
    return fdp


def ensure_descriptor() -> None:
    """Add the v1 file to the default pool (the one the reflection servicer answers from), once."""
    pool = descriptor_pool.Default()
    try:
        pool.FindFileByName(FILE_NAME)
    except KeyError:
        pool.AddSerializedFile(v1_file().SerializeToString())


class ReflectionServicer(reflection.aio.ReflectionServicer):  # type: ignore[misc]  # untyped base
    """grpcio-reflection's servicer, answering ``file_containing_symbol`` for a method or a field as well
    (``stack.cfo.v1.ChatService.SendMessage``: ``grpcurl describe`` of a method, which Go's and C++'s reflection
    servers answer; the pool this one asks finds services, messages and enums only, and answered NOT_FOUND)."""

    def _file_containing_symbol(self, request: Any, fully_qualified_name: str) -> Any:
        parent, _, member = fully_qualified_name.rpartition(".")
        if parent and not self._known(fully_qualified_name) and self._has_member(parent, member):
            fully_qualified_name = parent  # the method's service, the field's message: their file is the member's
        return super()._file_containing_symbol(request, fully_qualified_name)

    def _known(self, name: str) -> bool:
        try:
            self._pool.FindFileContainingSymbol(name)
        except KeyError:
            return False
        return True

    def _has_member(self, parent: str, member: str) -> bool:
        try:
            return member in self._pool.FindServiceByName(parent).methods_by_name
        except KeyError:
            pass
        try:
            message = self._pool.FindMessageTypeByName(parent)
        except KeyError:
            return False
        return member in message.fields_by_name or member in message.oneofs_by_name


def add_to_server(servicer: Any, server: Any) -> None:
    """Register ``servicer`` (grpcio-reflection's v1alpha ``ReflectionServicer``) as v1 too."""
    ensure_descriptor()
    handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=v1alpha.ServerReflectionRequest.FromString,
        response_serializer=v1alpha.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE_NAME, {_METHOD: handler}),))
    server.add_registered_method_handlers(SERVICE_NAME, {_METHOD: handler})
