"""One server interceptor for decoding, the server span, authentication, limits, metrics,
logging context and error mapping.

``intercept_service`` only sees the method name and metadata, so the work happens in a
wrapper around the handler's behaviour, for all four RPC shapes and for both generator-style
and ``context.write``-style streaming handlers (grpc/grpc#28728). In order, before the servicer
runs: a body that did not decode is INVALID_ARGUMENT (:mod:`.decoding`), the token is checked,
then the principal's limits (:mod:`.limits`; a server stream also holds a stream slot until it
ends). Health and reflection need no token and have no limits; they only get the decoding guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from opentelemetry import propagate, trace

from stack_cfo.api.auth import Principal, TokenVerifier, reset_principal, set_principal
from stack_cfo.api.decoding import (
    UNDECODABLE,
    guard,
    malformed,
    message_name,
    passthrough_serializer,
    safe_deserializer,
)
from stack_cfo.api.errors import abort_with, mark_span
from stack_cfo.api.limits import CallLimiter
from stack_cfo.core.deadline import deadline_scope
from stack_cfo.telemetry import logging as tlog
from stack_cfo.telemetry.metrics import GRPC_HANDLED, GRPC_HANDLING, GRPC_STARTED

log = logging.getLogger("stack_cfo.api")
_tracer = trace.get_tracer("stack_cfo.api")

PUBLIC_SERVICES = (
    "grpc.health.v1.Health",
    "grpc.reflection.v1alpha.ServerReflection",
    "grpc.reflection.v1.ServerReflection",
)


def _split(method: str) -> tuple[str, str]:
    _, service, name = method.split("/", 2) if method.count("/") >= 2 else ("", "unknown", method)
    return service, name


def _server_span(method: str, service: str, name: str, context: grpc.aio.ServicerContext) -> Any:
    """The RPC's SERVER span (OpenTelemetry RPC conventions), child of the caller's
    ``traceparent`` when it sent one; current while the handler runs."""
    carrier = {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
    return _tracer.start_as_current_span(
        method,
        context=propagate.extract(carrier),
        kind=trace.SpanKind.SERVER,
        attributes={"rpc.system": "grpc", "rpc.service": service, "rpc.method": name},
        record_exception=False,
        set_status_on_exception=False,
    )


def _deadline(context: grpc.aio.ServicerContext) -> float | None:
    """The caller's deadline as ``time.monotonic()`` seconds, or None when it set none."""
    try:
        remaining = context.time_remaining()
    except Exception:
        return None
    return None if remaining is None else time.monotonic() + remaining


def _kind(handler: grpc.RpcMethodHandler) -> str:
    if handler.request_streaming and handler.response_streaming:
        return "bidi_stream"
    if handler.request_streaming:
        return "client_stream"
    if handler.response_streaming:
        return "server_stream"
    return "unary"


def _code_of(context: grpc.aio.ServicerContext) -> grpc.StatusCode:
    try:
        code = context.code()
    except Exception:
        return grpc.StatusCode.UNKNOWN
    if code is None:
        return grpc.StatusCode.OK
    if isinstance(code, grpc.StatusCode):
        return code
    for c in grpc.StatusCode:
        if c.value[0] == code:
            return c
    return grpc.StatusCode.UNKNOWN


class ServiceInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, verifier: TokenVerifier | None, limiter: CallLimiter | None = None) -> None:
        self._verifier = verifier
        self._limiter = limiter

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method  # type: ignore[attr-defined]
        if handler is None:
            return handler
        if method.lstrip("/").startswith(PUBLIC_SERVICES):
            return guard(handler)
        service, name = _split(method)
        kind = _kind(handler)
        if handler.request_streaming:
            # No client-streaming RPCs exist in our contract; pass them through unwrapped.
            return handler
        type_name = message_name(handler.request_deserializer)
        inner = handler.unary_stream if handler.response_streaming else handler.unary_unary
        wrapped = (
            self._wrap_stream(inner, method, service, name, kind, type_name)
            if handler.response_streaming
            else self._wrap_unary(inner, method, service, name, kind, type_name)
        )
        factory = (
            grpc.unary_stream_rpc_method_handler if handler.response_streaming else grpc.unary_unary_rpc_method_handler
        )
        return factory(
            wrapped,
            request_deserializer=safe_deserializer(handler.request_deserializer),
            # Streams may yield bytes serialized once for many streams (watch updates).
            response_serializer=(
                passthrough_serializer(handler.response_serializer)
                if handler.response_streaming
                else handler.response_serializer
            ),
        )

    async def _authenticate(self, context: grpc.aio.ServicerContext) -> Principal:
        if self._verifier is None:
            raise RuntimeError("no token verifier configured")
        md = {k: v for k, v in (context.invocation_metadata() or ())}
        value = md.get("authorization")
        return await self._verifier.averify(value if isinstance(value, str) else None)

    async def _admit(self, request: Any, context: grpc.aio.ServicerContext, method: str, type_name: str) -> Principal:
        """Everything before the servicer: the body decoded, the caller known, within its rates."""
        if request is UNDECODABLE:
            raise malformed(type_name)
        principal = await self._authenticate(context)
        if self._limiter is not None:
            await self._limiter.admit(principal, method)
        return principal

    def _finish(
        self, labels: tuple[str, str, str], started: float, context: Any, failed: grpc.StatusCode | None
    ) -> None:
        code = failed or _code_of(context)
        GRPC_HANDLED.labels(*labels, code.name).inc()
        GRPC_HANDLING.labels(*labels).observe(time.perf_counter() - started)
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute("rpc.grpc.status_code", code.value[0])
            if code is not grpc.StatusCode.OK:
                span.set_status(trace.Status(trace.StatusCode.ERROR, code.name))

    def _wrap_unary(self, inner: Any, method: str, service: str, name: str, kind: str, type_name: str) -> Any:
        labels = (kind, service, name)

        async def behaviour(request: Any, context: grpc.aio.ServicerContext) -> Any:
            GRPC_STARTED.labels(*labels).inc()
            started = time.perf_counter()
            token = None
            with _server_span(method, service, name, context):
                try:
                    principal = await self._admit(request, context, method, type_name)
                    token = set_principal(principal)
                    with tlog.bind(grpc_method=method, **principal.log_fields()), deadline_scope(_deadline(context)):
                        return await inner(request, context)
                except Exception as exc:
                    await _abort(context, exc, method)
                    raise  # not reached: _abort raises
                finally:
                    if token is not None:
                        reset_principal(token)
                    self._finish(labels, started, context, None)

        return behaviour

    def _wrap_stream(self, inner: Any, method: str, service: str, name: str, kind: str, type_name: str) -> Any:
        labels = (kind, service, name)

        async def behaviour(request: Any, context: grpc.aio.ServicerContext) -> None:
            # A coroutine that writes each item, not a generator: grpc.aio drops a generator
            # handler suspended at ``yield`` when the client cancels during a send, and the event
            # loop closes it later in another task, where resetting the context variables below
            # fails ("created in a different Context", logged as an unhandled error). A cancel
            # interrupts ``context.write`` here instead, and the servicer's generator is closed at
            # once in this task.
            GRPC_STARTED.labels(*labels).inc()
            started = time.perf_counter()
            failed: grpc.StatusCode | None = None
            token = None
            with _server_span(method, service, name, context):
                try:
                    principal = await self._admit(request, context, method, type_name)
                    token = set_principal(principal)
                    slot = self._limiter.stream(principal) if self._limiter is not None else contextlib.nullcontext()
                    fields = principal.log_fields()
                    async with slot:
                        with tlog.bind(grpc_method=method, **fields), deadline_scope(_deadline(context)):
                            result = inner(request, context)
                            if inspect.isasyncgen(result):
                                try:
                                    async for item in result:
                                        await context.write(item)
                                finally:
                                    await result.aclose()
                            else:
                                await result
                except asyncio.CancelledError:
                    failed = grpc.StatusCode.CANCELLED
                    raise
                except Exception as exc:
                    await _abort(context, exc, method)
                finally:
                    if token is not None:
                        reset_principal(token)
                    self._finish(labels, started, context, failed)

        return behaviour


async def _abort(context: grpc.aio.ServicerContext, exc: Exception, method: str) -> None:
    """Map ``exc`` and abort the RPC; always raises (grpc's ``AbortError``)."""
    if isinstance(exc, grpc.aio.AbortError):  # the servicer aborted by itself
        mark_span(_code_of(context), "aborted")
        raise exc
    await abort_with(context, exc, method)
