"""One wrapper around every method handler for decoding, the server span, authentication,
limits, metrics, logging context and error mapping.

The wrapping happens once per method, when the servicers are registered (:class:`Registrar`),
not per call: a ``grpc.aio.ServerInterceptor`` runs ``intercept_service`` on every RPC (an
interceptor pipeline, the handler looked up again, a new wrapped handler and its closures built),
which cost more server CPU than the rest of a cached ``GetPortfolioSummary``. Everything a call
needs that does not depend on the call (metric children, span attributes, the request type's
name) is prepared here too.

The wrapper works for all four RPC shapes and for both generator-style and
``context.write``-style streaming handlers (grpc/grpc#28728). In order, before the servicer
runs: the token is checked (a call refused for it is refused for a malformed body instead when
the body came with it: api.md promises that order); while the process is starting
(:class:`StartGate` not open yet) the call is refused with UNAVAILABLE ``SERVER_STARTING``
(spending none of the caller's rates); the principal's limits (:mod:`.limits`: its rates, then one
of its calls in flight, held until grpc says the call is over; a server stream also holds a stream
slot until it ends); for a heavy write (:data:`~.cpu_budget.WEIGHED_WRITES`) of a principal with a
write CPU budget, the principal's turn and that budget (:class:`~.cpu_budget.WriteCpuBudget`: an empty
one refuses the call before its body is read; the CPU of the reading and of the handler is charged
when the call ends); only then is the request message read, within ``read_timeout``, and a body
that did not decode is INVALID_ARGUMENT (:mod:`.decoding`).

**The request is read after admission.** A contract method is served to grpc as one with a
request *stream* (the bytes on the wire are the same for a unary request), so the wrapper runs as
soon as the call's headers have arrived, before its body. grpc counts a call against
``maximum_concurrent_rpcs`` from its headers on: served as a unary method, a call whose body never
came (a client that sends headers and stalls) held its slot forever, before any token was looked
at, and a thousand of them from one tokenless connection left every user RESOURCE_EXHAUSTED; the
partial bodies of tokenless calls were buffered (gigabytes). Now a call without a valid token waits
at most :data:`UNAUTHENTICATED_READ` for its body, and only :data:`UNAUTHENTICATED_BODY_WAITS` of
them at once (beyond, none waits), and a caller's body that does not arrive within
``read_timeout`` ends the call with DEADLINE_EXCEEDED ``REQUEST_READ_TIMEOUT``, freeing its slot
(and the caller's call in flight).
Health and reflection need no token and have no per-principal limits: they get the decoding
guard, and their streams (Health.Watch, reflection) one slot of the process-wide cap on
unauthenticated streams when the server gives one (the API port; the health port has none).
They are never behind the start gate: probes and operators ask them before readiness.

A handler may return its response already serialized (``bytes``): the wrapped handler's
serializer passes bytes through, so a cached answer is encoded once per cache entry, not per call
(the bytes on the wire are the same).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from bisect import bisect_left
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

import grpc
from grpc._cython import cygrpc  # ExecuteBatchError / UsageError: a call that is already over
from opentelemetry import propagate, trace
from opentelemetry.context import Context

from stack_cfo.api.auth import AMBIGUOUS_AUTHORIZATION, Principal, TokenVerifier, reset_principal, set_principal
from stack_cfo.api.cpu_budget import WEIGHED_WRITES, WriteAccount, WriteCpuBudget
from stack_cfo.api.decoding import (
    TextWithNul,
    decode_error,
    guard,
    malformed,
    message_name,
    nul_error,
    passthrough_serializer,
    refuses_nul_itself,
    safe_deserializer,
    undecodable,
)
from stack_cfo.api.errors import fail_with, mark_span
from stack_cfo.api.limits import CallLimiter, UnauthenticatedStreams
from stack_cfo.core.deadline import deadline_scope
from stack_cfo.core.deadline import enter as deadline_enter
from stack_cfo.core.deadline import leave as deadline_leave
from stack_cfo.core.errors import DeadlineExceeded, Unauthenticated, Unavailable
from stack_cfo.telemetry import logging as tlog
from stack_cfo.telemetry.metrics import GRPC_HANDLED, GRPC_HANDLING, GRPC_STARTED
from stack_cfo.telemetry.tracing import end_server_span, start_server_span

log = logging.getLogger("stack_cfo.api")
_tracer = trace.get_tracer("stack_cfo.api")

PUBLIC_SERVICES = (
    "grpc.health.v1.Health",
    "grpc.reflection.v1alpha.ServerReflection",
    "grpc.reflection.v1.ServerReflection",
)

#: Metadata keys the trace propagators read (W3C trace context and baggage).
_PROPAGATION_KEYS = frozenset({"traceparent", "tracestate", "baggage"})
#: The parent of a span whose caller sent no trace context: a new trace.
_NO_PARENT = Context()
_CODES: dict[Any, grpc.StatusCode] = {None: grpc.StatusCode.OK}
for _c in grpc.StatusCode:
    _CODES[_c] = _c
    _CODES[_c.value[0]] = _c


def _split(method: str) -> tuple[str, str]:
    _, service, name = method.split("/", 2) if method.count("/") >= 2 else ("", "unknown", method)
    return service, name


def _read_metadata(context: grpc.aio.ServicerContext) -> tuple[str | None, Context]:
    """The ``authorization`` value and the caller's trace context, in one pass over the metadata."""
    authorization: str | None = None
    propagated = False
    metadata = context.invocation_metadata() or ()
    for key, value in metadata:
        if key == "authorization":
            authorization = (value if isinstance(value, str) else None) if authorization is None \
                else AMBIGUOUS_AUTHORIZATION
        elif key in _PROPAGATION_KEYS:
            propagated = True
    if not propagated:
        return authorization, _NO_PARENT
    carrier = {k: v for k, v in metadata if isinstance(v, str)}
    return authorization, propagate.extract(carrier)


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
    return _CODES.get(code, grpc.StatusCode.UNKNOWN)


class _MethodMetrics:
    """The ``grpc_server_*`` series of one method, resolved once (``labels()`` takes a lock and
    builds a key on every call).

    The per-call path adds to the children's values directly: ``Counter.inc`` and
    ``Histogram.observe`` re-check on every call that the child is observable, that the amount
    is not negative and whether an exemplar came, and the histogram scans its 17 bounds one by
    one; here the children are known, the amounts are 1 and a duration, and the bucket is found
    by bisection. The values are prometheus_client's own (in multiprocess mode its shared
    files), so the exposition is unchanged."""

    __slots__ = ("_bounds", "_buckets", "_handled", "_labels", "_started", "_sum")

    def __init__(self, kind: str, service: str, name: str) -> None:
        self._labels = (kind, service, name)
        self._handled: dict[grpc.StatusCode, Any] = {}
        self._started = GRPC_STARTED.labels(*self._labels)._value
        handling = GRPC_HANDLING.labels(*self._labels)
        self._sum, self._buckets = handling._sum, handling._buckets
        self._bounds = tuple(handling._upper_bounds)  # ends with +Inf: every duration has a bucket

    def start(self) -> None:
        self._started.inc(1)

    def finish(self, code: grpc.StatusCode, seconds: float) -> None:
        handled = self._handled.get(code)
        if handled is None:
            handled = self._handled[code] = GRPC_HANDLED.labels(*self._labels, code.name)._value
        handled.inc(1)
        self._sum.inc(seconds)
        self._buckets[bisect_left(self._bounds, seconds)].inc(1)


#: The retry hint of a call refused because the server is still starting (the pool opens within
#: about a second of the database answering).
STARTING_RETRY = {"retry_after_seconds": "1"}


def server_starting() -> Unavailable:
    return Unavailable(
        "the server is starting and cannot serve calls yet; retry (another server may answer)",
        reason="SERVER_STARTING", metadata=STARTING_RETRY,
    )


#: Seconds a call's request message may take to arrive (``server.request_read_timeout``).
DEFAULT_READ_TIMEOUT = 120.0
#: Seconds a call refused for its token waits for its body, only to refuse a malformed one as such (a client sends
#: the body with the headers: it is there within milliseconds).
UNAUTHENTICATED_READ = 0.25
#: Calls refused for their token that wait for their body at once, per process; beyond, none waits. Each wait opens
#: the stream's flow-control window, so a tokenless client can push up to a message's size into it meanwhile: 200
#: waiting (the shared cap on tokenless calls) let a flood of partial bodies hold 1.5 GB.
UNAUTHENTICATED_BODY_WAITS = 8
#: What :meth:`RpcWrapper._read` gives for a message that did not arrive in time.
_LATE = object()


def request_read_timeout(seconds: float) -> DeadlineExceeded:
    return DeadlineExceeded(
        f"the request message did not arrive within {seconds:g} s of the call's start (server.request_read_timeout); "
        "send it with the call, and a large one over a faster link",
        reason="REQUEST_READ_TIMEOUT", metadata={"timeout_seconds": f"{seconds:g}"},
    )


def _decoded(request: Any, type_name: str) -> Any:
    """``request`` as read, unless it did not decode or is missing (INVALID_ARGUMENT ``MALFORMED_REQUEST``) or holds
    U+0000 in its text (``INVALID_TEXT``); a late one (:data:`_LATE`) passes as it is."""
    if request is grpc.aio.EOF:
        raise malformed(type_name)
    if undecodable(request):
        raise decode_error(request, type_name)  # (names the fields whose bytes are not UTF-8 when that is why)
    if type(request) is TextWithNul:
        raise nul_error(request)
    return request


class StartGate:
    """Whether the process serves the contract yet. Until :meth:`open`, :class:`RpcWrapper` refuses
    every contract call at admission with :func:`server_starting` (logged and counted like any
    other refusal); Health and reflection are not behind it. It opens once and stays open."""

    __slots__ = ("is_open",)

    def __init__(self, *, is_open: bool = False) -> None:
        self.is_open = is_open

    def open(self) -> None:
        self.is_open = True


class RpcWrapper:
    """Wraps method handlers (once each) with the stack the module docstring describes.
    ``gate``: contract calls are refused (UNAVAILABLE ``SERVER_STARTING``) while it is not open;
    without one they never are. ``write_budget``: the CPU of the heavy writes, per principal (none:
    unlimited)."""

    def __init__(self, verifier: TokenVerifier | None, limiter: CallLimiter | None = None,
                 unauthenticated: UnauthenticatedStreams | None = None, *,
                 gate: StartGate | None = None, read_timeout: float = DEFAULT_READ_TIMEOUT,
                 write_budget: WriteCpuBudget | None = None) -> None:
        """``read_timeout``: seconds from a call's start within which its request message must have
        arrived (``server.request_read_timeout``)."""
        self._verifier = verifier
        self._limiter = limiter
        self._unauthenticated = unauthenticated
        self._gate = gate
        self._read_timeout = read_timeout
        self._body_waits = 0
        self._write_budget = write_budget

    def wrap(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        """The handler of ``method`` (``/package.Service/Method``) as it is served."""
        if method.lstrip("/").startswith(PUBLIC_SERVICES):
            guarded = guard(handler)
            if self._unauthenticated is None:
                return guarded  # the health port: only grpc's own limits
            return _capped_public(guarded, self._unauthenticated, method)
        if handler.request_streaming:
            # No client-streaming RPCs exist in our contract; pass them through unwrapped (no token,
            # limits or start gate either).
            return handler
        service, name = _split(method)
        kind = _kind(handler)
        type_name = message_name(handler.request_deserializer)
        inner = handler.unary_stream if handler.response_streaming else handler.unary_unary
        weigh = self._write_budget if method in WEIGHED_WRITES else None
        wrapped = (
            self._wrap_stream(inner, method, service, name, kind, type_name)
            if handler.response_streaming
            else self._wrap_unary(inner, method, service, name, kind, type_name, weigh)
        )
        # A request stream to grpc: the wrapper runs at the headers and reads the one message itself
        # (see the module docstring); the wire format of a unary request is the same.
        factory = (grpc.stream_stream_rpc_method_handler if handler.response_streaming
                   else grpc.stream_unary_rpc_method_handler)
        return factory(
            wrapped,
            # U+0000 in a string refuses the request here, naming those fields, unless the servicer
            # refuses it itself among the request's other problems (a batch's rows: refuses_nul_per_field)
            request_deserializer=safe_deserializer(
                handler.request_deserializer, refuse_nul=not refuses_nul_itself(inner)
            ),
            # Bytes go out unchanged: a cached summary serialized once per cache entry, a watch update
            # serialized once for every stream of its portfolio.
            response_serializer=passthrough_serializer(handler.response_serializer),
        )

    async def _admit(self, authorization: str | None, method: str, type_name: str,
                     context: grpc.aio.ServicerContext,
                     weigh: WriteCpuBudget | None = None) -> tuple[Principal, Any, WriteAccount | None]:
        """Everything before the servicer: the caller known, the process serving the contract (not
        starting), the caller within its rates and holding one of its calls in flight (a call
        refused by a rate holds none), for a heavy write (``weigh``) the caller's turn and write CPU
        budget (the account returned: the handler is run with it, then it is done), then the request
        message read and decoded (:meth:`_request`).
        A call refused for its token is refused for a malformed body instead when that body came
        with it (:meth:`_refuse_unauthenticated`)."""
        if self._verifier is None:
            raise RuntimeError("no token verifier configured")
        try:
            principal = await self._verifier.averify(authorization)
        except Unauthenticated:
            await self._refuse_unauthenticated(context, type_name)
            raise
        gate = self._gate
        if gate is not None and not gate.is_open:
            raise server_starting()  # before the limits: a refused call spends none of the caller's rates
        if self._limiter is not None:
            await self._limiter.admit(principal, method)
            self._limiter.hold(principal, method, context)
        account = weigh.account(principal) if weigh is not None else None
        if account is None:
            return principal, await self._request(context, type_name), None
        await account.enter()  # before the body is read: its decoding is what a large write costs
        try:
            return principal, await account.run(self._request(context, type_name)), account
        except BaseException:
            account.done()
            raise

    async def _refuse_unauthenticated(self, context: grpc.aio.ServicerContext, type_name: str) -> None:
        """Before a call is refused for its token: a body that does not decode is refused as such
        (api.md: before authentication), when it arrives within :data:`UNAUTHENTICATED_READ` (an
        honest client sends it with the headers). At most :data:`UNAUTHENTICATED_BODY_WAITS` calls
        wait so at once (none beyond), each holding a slot of the process-wide cap on calls without
        a token too: tokenless calls never hold more of ``max_concurrent_rpcs``, nor their bodies more
        memory (that many messages), for longer than that."""
        cap = self._unauthenticated
        if self._body_waits >= UNAUTHENTICATED_BODY_WAITS or (cap is not None and cap.open >= cap.limit):
            return
        if cap is not None:
            cap.enter(context)
        self._body_waits += 1
        try:
            _decoded(await self._read(context, UNAUTHENTICATED_READ), type_name)
        finally:
            self._body_waits -= 1

    async def _request(self, context: grpc.aio.ServicerContext, type_name: str) -> Any:
        """The call's request message, read once the call is admitted: within ``read_timeout`` of
        now (else DEADLINE_EXCEEDED ``REQUEST_READ_TIMEOUT``), decoded (else INVALID_ARGUMENT
        ``MALFORMED_REQUEST``, as for no message at all) and without U+0000 in its text (unless the
        servicer refuses it per field)."""
        request = await self._read(context, self._read_timeout)
        if request is _LATE:
            raise request_read_timeout(self._read_timeout)
        return _decoded(request, type_name)

    @staticmethod
    async def _read(context: grpc.aio.ServicerContext, timeout: float) -> Any:
        """The call's next message (decoded by the handler's deserializer, or ``grpc.aio.EOF``), or
        :data:`_LATE` when it has not arrived within ``timeout`` seconds (the read is cancelled). A
        call that is over meanwhile (the client went, the server stops) ends as cancelled, not as a
        malformed request: grpc answers such a read with EOF (the task's cancellation comes next,
        delivered by the yield below) or with one of its own errors."""
        try:
            async with asyncio.timeout(timeout):
                request = await context.read()
        except TimeoutError:
            return _LATE
        except cygrpc.BaseError:
            raise asyncio.CancelledError from None  # the call is over: nobody to answer
        if request is grpc.aio.EOF:
            await asyncio.sleep(0)  # a client that went: its cancellation is raised here
        return request

    @staticmethod
    def _finish(metrics: _MethodMetrics, started: float, context: Any, failed: grpc.StatusCode | None,
                span: Any) -> None:
        code = failed or _code_of(context)
        metrics.finish(code, time.perf_counter() - started)
        if span.is_recording():
            span.set_attribute("rpc.grpc.status_code", code.value[0])
            if code is not grpc.StatusCode.OK:
                span.set_status(trace.Status(trace.StatusCode.ERROR, code.name))

    def _wrap_unary(self, inner: Any, method: str, service: str, name: str, kind: str, type_name: str,
                    weigh: WriteCpuBudget | None = None) -> Any:
        metrics = _MethodMetrics(kind, service, name)
        attributes = {"rpc.system": "grpc", "rpc.service": service, "rpc.method": name}
        admit, finish = self._admit, self._finish

        async def behaviour(requests: Any, context: grpc.aio.ServicerContext) -> Any:
            metrics.start()
            started = time.perf_counter()
            failed: grpc.StatusCode | None = None
            token = None
            authorization, parent = _read_metadata(context)
            span, attached = start_server_span(_tracer, method, parent, attributes)
            try:
                principal, request, account = await admit(authorization, method, type_name, context, weigh)
                token = set_principal(principal)
                logged = tlog.push(principal.call_log_fields(method))
                bounded = deadline_enter(_deadline(context))
                try:
                    if account is None:
                        return await inner(request, context)
                    return await account.run(inner(request, context))
                finally:
                    if account is not None:
                        account.done()
                    deadline_leave(bounded)
                    tlog.pop(logged)
            except asyncio.CancelledError:
                failed = grpc.StatusCode.CANCELLED  # (counted as such, not as the OK grpc leaves unset)
                raise
            except Exception as exc:
                await _fail_unary(context, exc, method)
                return None
            finally:
                if token is not None:
                    reset_principal(token)
                finish(metrics, started, context, failed, span)
                end_server_span(span, attached)

        return behaviour

    def _wrap_stream(self, inner: Any, method: str, service: str, name: str, kind: str, type_name: str) -> Any:
        metrics = _MethodMetrics(kind, service, name)
        attributes = {"rpc.system": "grpc", "rpc.service": service, "rpc.method": name}
        admit, finish, limiter = self._admit, self._finish, self._limiter

        async def behaviour(requests: Any, context: grpc.aio.ServicerContext) -> None:
            # A coroutine that writes each item, not a generator: grpc.aio drops a generator
            # handler suspended at ``yield`` when the client cancels during a send, and the event
            # loop closes it later in another task, where resetting the context variables below
            # fails ("created in a different Context", logged as an unhandled error). A cancel
            # interrupts ``context.write`` here instead, and the servicer's generator is closed at
            # once in this task.
            metrics.start()
            started = time.perf_counter()
            failed: grpc.StatusCode | None = None
            token = None
            authorization, parent = _read_metadata(context)
            span, attached = start_server_span(_tracer, method, parent, attributes)
            try:
                principal, request, _ = await admit(authorization, method, type_name, context)
                token = set_principal(principal)
                slot = limiter.stream(principal) if limiter is not None else contextlib.nullcontext()
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
                if _peer_gone(exc, context):
                    # The client cancelled (or the call ended) between two writes: grpc fails the
                    # write before it cancels this task. Not an error of ours, and nobody to tell.
                    failed = grpc.StatusCode.CANCELLED
                    return
                _fail(context, exc, method)
            finally:
                if token is not None:
                    reset_principal(token)
                finish(metrics, started, context, failed, span)
                end_server_span(span, attached)

        return behaviour


class Registrar:
    """Stands in for a ``grpc.aio.Server`` while the generated ``add_*_to_server`` functions run:
    every method handler they register by name is wrapped once by ``wrap`` and served from one
    table of every method (:class:`_MethodTable`, one dict lookup a call). A service registered
    only through generic handlers (no names) is wrapped at its first call of each method, and
    that wrapper kept.

    The generated code also registers each method by name with grpc ("registered methods"); the
    table does not pass that on. grpc.aio's server waits for the next call of every registered
    method at once, with ``asyncio.wait`` over one task per method: with the ~50 methods served
    here, every call paid for it (bench/portfolio_summary.py, a cached GetPortfolioSummary, A/B
    alternated: 321-343 -> 312-323 us of server CPU), for nothing a generic lookup does not do."""

    def __init__(self, server: grpc.aio.Server,
                 wrap: Callable[[str, grpc.RpcMethodHandler], grpc.RpcMethodHandler]) -> None:
        self._server = server
        self._wrap = wrap
        self._generic: list[Any] = []
        self._named = False
        self._table = _MethodTable()
        server.add_generic_rpc_handlers((self._table,))

    def add_generic_rpc_handlers(self, handlers: Sequence[Any]) -> None:
        self._generic.extend(handlers)

    def add_registered_method_handlers(self, service: str, handlers: Mapping[str, grpc.RpcMethodHandler]) -> None:
        for name, h in handlers.items():
            method = f"/{service}/{name}"
            self._table.methods[method] = self._wrap(method, h)
        self._named = True

    def add(self, add_to_server: Callable[[Any, Any], None], servicer: Any) -> None:
        """Run an ``add_*_to_server`` against this registrar."""
        self._generic, self._named = [], False
        add_to_server(servicer, self)
        if not self._named and self._generic:
            # The same handlers by name were not given (the generated code gives both): these.
            self._server.add_generic_rpc_handlers((_WrappedOnFirstCall(self._generic, self._wrap),))


class _MethodTable(grpc.GenericRpcHandler):
    """Every wrapped method handler by its full name (``/package.Service/Method``)."""

    def __init__(self) -> None:
        self.methods: dict[str, grpc.RpcMethodHandler] = {}

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        return self.methods.get(handler_call_details.method)  # type: ignore[attr-defined]


class _WrappedOnFirstCall(grpc.GenericRpcHandler):
    def __init__(self, handlers: Sequence[Any],
                 wrap: Callable[[str, grpc.RpcMethodHandler], grpc.RpcMethodHandler]) -> None:
        self._handlers = list(handlers)
        self._wrap = wrap
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        method: str = handler_call_details.method  # type: ignore[attr-defined]
        hit = self._wrapped.get(method)
        if hit is not None:
            return hit
        for h in self._handlers:
            found = h.service(handler_call_details)
            if found is not None:
                # Only methods a handler serves are kept: a finite set, whatever clients send.
                hit = self._wrapped[method] = self._wrap(method, found)
                return hit
        return None


def _capped_public(handler: grpc.RpcMethodHandler, cap: UnauthenticatedStreams,
                   method: str) -> grpc.RpcMethodHandler:
    """A guarded health or reflection call (``guard`` makes the streams async generators) that holds
    one slot of ``cap`` until grpc says the call is over (a unary answer a client never reads holds
    it too), or is refused before it starts."""
    if not handler.response_streaming:
        inner_uu = handler.unary_unary

        async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            try:
                cap.enter(context, method)
            except Exception as exc:
                await _fail_unary(context, exc, method)
                return None
            return await inner_uu(request, context)

        return grpc.unary_unary_rpc_method_handler(
            unary_unary, request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    def capped(inner: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
        async def stream(request_or_requests: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            try:
                cap.enter(context, method)
            except Exception as exc:
                fail_with(context, exc, method)
                return
            async for response in inner(request_or_requests, context):
                yield response

        return stream

    if handler.request_streaming:
        return grpc.stream_stream_rpc_method_handler(
            capped(handler.stream_stream), request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    return grpc.unary_stream_rpc_method_handler(
        capped(handler.unary_stream), request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _peer_gone(exc: Exception, context: grpc.aio.ServicerContext) -> bool:
    """``exc`` only says the call is over: a write (or read) refused because the client cancelled or
    the connection went, which grpc raises as ``ExecuteBatchError`` before it cancels the handler."""
    return isinstance(exc, cygrpc.ExecuteBatchError) or (
        isinstance(exc, cygrpc.UsageError) and context.cancelled())


async def _fail_unary(context: grpc.aio.ServicerContext, exc: Exception, method: str) -> None:
    """End a unary call with the status for ``exc`` now, and without a response message.

    A unary handler that returns after ``set_code`` makes grpc send an empty message before the
    status, and that message waits for the client's flow-control window: a client that announces a
    window of 0 kept every refused call (rate-limited, over its calls in flight, without a token)
    in grpc's ``maximum_concurrent_rpcs`` until its connection closed. ``abort`` sends the status
    alone (a trailers-only response, which flow control does not hold). Its ``AbortError`` is kept
    on the call's state and raised again by grpc when the handler returns; it is kept here without
    its traceback or the error it interrupted (see ``fail_with``), so it holds no frame, and so not
    the request."""
    _fail(context, exc, method)
    if isinstance(exc, grpc.aio.AbortError):
        return
    try:
        await context.abort(_code_of(context))  # the details and trailers ``_fail`` set are sent
    except grpc.aio.AbortError as aborted:
        aborted.__traceback__ = None
        aborted.__context__ = None
    except Exception:  # the call is already over (cancelled): nobody to tell
        return


def _fail(context: grpc.aio.ServicerContext, exc: Exception, method: str) -> None:
    """End the RPC with the status for ``exc`` when the handler returns (see ``fail_with``)."""
    if isinstance(exc, grpc.aio.AbortError):  # the servicer aborted by itself: its status is sent
        mark_span(_code_of(context), "aborted")
        # grpc raises this error again once the handler returns; without its traceback (and the
        # error it interrupted) it holds none of the handler's frames, and so not the request.
        exc.__traceback__ = None
        exc.__context__ = None
        return
    fail_with(context, exc, method)
