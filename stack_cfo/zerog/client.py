"""The compute client: failover across upstreams, streaming, verification, fallback.

For each call the upstreams are tried in order. For one upstream:

1. its circuit breaker must admit the request (else: next upstream);
2. the request is sent with the retry rules of :mod:`~stack_cfo.zerog.transport` (only
   before any answer byte); a refused session token is renewed once, an insufficient balance
   triggers one top-up attempt (direct mode, ``auto_topup``) and one more try;
3. once a 200 status arrived the answer is streamed; from then on there is no retry and no
   failover, because the provider may be generating (and billing) already;
4. at ``[DONE]`` the answer is verified (direct: TEE signature; router: ``x_0g_trace``) and
   the fee computed from usage x prices.

A stream that breaks after text reached the caller raises :class:`IncompleteCompletion` with
the partial text. An answer that cannot be read (an event that is not a JSON object, a
``choices``, ``delta`` or ``content`` of the wrong type, no text at all) is a broken stream too;
a ``usage`` or ``x_0g_trace`` of the wrong shape is ignored (unknown, as when a provider sends
none). When no upstream produced any text (nothing configured, breakers open, outages, a stream
broken before its first word) the offline writer streams the caller's fallback, unless an
upstream reported an insufficient balance: that is raised as
:class:`~stack_cfo.zerog.errors.InsufficientFunds` so an operator learns about it.

Why this module is longer than most (about 700 lines): one call's life (admission, retries,
failover, streaming, verification, fee, fallback) is one generator on purpose. Every exit
path must settle the breaker, the metrics and the span exactly once, and that is auditable
only when all the paths sit side by side. The parts that are not the call's life (transport,
breaker, verification, funding, upstreams) live in their own modules.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import UTC
from decimal import Decimal
from typing import Any

import aiohttp
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Status, StatusCode

from stack_cfo.core.ai import CompletionOptions, CompletionResult, IncompleteCompletion, Message, Verification
from stack_cfo.core.ai.offline import NOT_CONFIGURED, OFFLINE_PROVIDER, OfflineAnswer, write_offline
from stack_cfo.core.clock import Clock, SystemClock
from stack_cfo.core.errors import DeadlineExceeded, FailedPrecondition, StackCfoError
from stack_cfo.zerog import metrics
from stack_cfo.zerog._recursion import json_loads
from stack_cfo.zerog.breaker import STATE_VALUE, BreakerStateName, ProviderBreaker
from stack_cfo.zerog.config import ComputeConfig, to_0g
from stack_cfo.zerog.errors import (
    BreakerOpen,
    ChainError,
    InsufficientFunds,
    ProviderRejected,
    ProviderUnavailable,
    SessionRejected,
    TransactionReverted,
)
from stack_cfo.zerog.funding import Funding
from stack_cfo.zerog.router import RouterUpstream
from stack_cfo.zerog.sse import SSEDecoder, event_text, too_deep, usage_counts, valid_text
from stack_cfo.zerog.status import ComputeAccountStatus
from stack_cfo.zerog.transport import (
    Http,
    PreparedRequest,
    ReadWatch,
    StreamTimeout,
    open_response,
    open_with_retry,
)
from stack_cfo.zerog.upstream import Answer, Upstream

log = logging.getLogger(__name__)
tracer = trace.get_tracer("stack_cfo.zerog")

_ZG_RES_KEY = "ZG-Res-Key"
#: Seconds kept back from the caller's deadline for what follows the provider's part (at most; a fifth of the time
#: left when that is less): the offline writer's answer when no provider answered in time, the check, the receipt and
#: the store. The caller then gets an answer, whole or marked incomplete, instead of DEADLINE_EXCEEDED and an empty
#: stored answer that its retries would replay. That work takes ~0.1 s; a larger margin cuts answers that would have
#: ended in time (a re-verifier measured answers ending in the last 2 s of a 10 s deadline cut at 2 s).
ANSWER_MARGIN = 1.0


def provider_deadline(deadline: float, now: float) -> float:
    """When the provider must have answered for an answer to reach a caller whose deadline is ``deadline`` (both
    ``time.monotonic()`` seconds): :data:`ANSWER_MARGIN` before it, or a fifth of the time left when that is less."""
    left = max(0.0, deadline - now)
    return now + left - min(ANSWER_MARGIN, left / 5)

#: The decoder's C scanner (what ``json.loads`` runs, behind two Python-level calls).
_scan_json: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _event_json(data: str) -> Any:
    """``json.loads(data)`` for one event of a streamed answer (one per model chunk), without its
    Python-level wrappers when the data is a single JSON value with no surrounding whitespace (as
    providers send it); anything else goes through ``json.loads`` (same value, same errors).
    ValueError too for data nested deeper than :data:`~stack_cfo.zerog.sse.MAX_EVENT_DEPTH`."""
    if too_deep(data):
        raise ValueError("an event is nested too deeply")
    try:
        obj, end = _scan_json(data, 0)
    except StopIteration:
        return json_loads(data)
    if end != len(data):
        return json_loads(data)
    return obj


class MalformedAnswer(ProviderUnavailable):
    """A 200 answer that cannot be read: an event that is not a JSON object, a ``choices``,
    ``delta`` or ``content`` of the wrong type, or no text at all before ``[DONE]``. Handled as a
    cut stream: a piece of the text may be missing."""

    default_reason = "ZEROG_STREAM_MALFORMED"

    def __init__(self, provider: str, what: str) -> None:
        super().__init__(f"{provider} sent an unreadable answer: {what}", provider=provider, retryable=False)

    @property
    def error_type(self) -> str:
        return "malformed"


def _text_or_none(value: Any) -> str | None:
    return valid_text(value) if isinstance(value, str) else None


def error_type(exc: BaseException) -> str:
    """Bounded ``error_type`` label."""
    et = getattr(exc, "error_type", None)
    if isinstance(et, str):
        return et
    if isinstance(exc, TransactionReverted):
        return "tx_reverted"
    if isinstance(exc, ChainError):
        return "chain"
    if isinstance(exc, StreamTimeout):
        return f"{exc.kind}_timeout"
    if isinstance(exc, aiohttp.ClientError | ConnectionError):
        return "stream_broken"
    return "other"


def _set_gauge(name: str, state: BreakerStateName) -> None:
    metrics.BREAKER_STATE.labels(name).set(STATE_VALUE[state])


class ComputeStream:
    """What :meth:`ZeroGComputeClient.stream` returns: iterate text deltas, then read ``result``.

    ``async with`` closes it (and the provider request) when the block ends early.
    """

    __slots__ = ("_gen", "_offline", "_result", "settled")

    def __init__(self) -> None:
        self._result: CompletionResult | None = None
        self._gen: AsyncIterator[str] | None = None
        self._offline: OfflineAnswer | None = None  # written before the first read (offline by configuration)
        #: The offline writer's whole answer once the stream fell back to it (known before its
        #: first delta: a cancelled call stores all of it), else None.
        self.settled: CompletionResult | None = None

    def __aiter__(self) -> AsyncIterator[str]:
        assert self._gen is not None
        return self._gen

    async def aclose(self) -> None:
        gen = self._gen
        if gen is not None:
            await gen.aclose()  # type: ignore[attr-defined]

    @property
    def result(self) -> CompletionResult | None:
        return self._result

    async def __aenter__(self) -> ComputeStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


#: Characters a token may stand for, at most, in an answer's length limit (:func:`answer_limit`).
_CHARS_PER_TOKEN = 32
_MIN_ANSWER_CHARS = 65_536
#: Whatever max_tokens says: 256 Ki characters (up to 1 MiB of UTF-8, twice in a chat answer's last message with
#: its receipt, and its bytes once more in the receipt: under the 4 MiB a client receives by default).
_MAX_ANSWER_CHARS = 262_144
#: Bytes read per token of max_tokens, at most (an SSE event of one token is some 250 bytes of JSON), within
#: [1 MiB, 3 MiB]: the receipt keeps those bytes, and a client reads at most 4 MiB.
_RAW_PER_TOKEN = 512
_RAW_BYTES = (1 << 20, 3 << 20)


def answer_limit(max_tokens: int) -> int:
    """The most characters of an answer read: far more than ``max_tokens`` tokens make (a few characters each), and
    far less than gRPC's message limits, which a chat answer (sent again in its receipt) must stay under."""
    return min(_MAX_ANSWER_CHARS, max(_MIN_ANSWER_CHARS, _CHARS_PER_TOKEN * max_tokens))


def raw_limit(max_tokens: int) -> int:
    """The most bytes of an answer's body read (see :data:`_RAW_PER_TOKEN`)."""
    return min(_RAW_BYTES[1], max(_RAW_BYTES[0], _RAW_PER_TOKEN * max_tokens))


async def _read_body(content: aiohttp.StreamReader, limit: int) -> bytes:
    """A whole JSON body, or its first ``limit`` bytes and a few more when it is longer (read no further)."""
    parts: list[bytes] = []
    size = 0
    while size < limit:
        piece = await content.readany()
        if not piece:
            break
        parts.append(piece)
        size += len(piece)
    return b"".join(parts)


def _counted(usage: Mapping[str, int] | None, model: str) -> tuple[int, int]:
    """(prompt, completion) tokens of the usage a provider reported (0, 0 without one), counted in the tokens metric."""
    prompt = usage["prompt_tokens"] if usage else 0
    completion = usage["completion_tokens"] if usage else 0
    if prompt + completion:
        metrics.TOKENS.labels(model).inc(prompt + completion)
    return prompt, completion


def _too_long(provider: str) -> ProviderUnavailable:
    return ProviderUnavailable(f"{provider} sent an answer longer than max_tokens allows", provider=provider,
                               retryable=False, reason="ZEROG_ANSWER_TOO_LONG")


class ZeroGComputeClient:
    """Implements :class:`stack_cfo.core.ai.ComputeClient` (build it with :func:`build_compute_client`)."""

    def __init__(
        self,
        cfg: ComputeConfig,
        upstreams: Sequence[Upstream],
        *,
        http: Http,
        mode: str,
        chain: Any = None,
        funding: Funding | None = None,
        clock: Clock | None = None,
        now: Callable[[], float] = time.monotonic,
        discover: Callable[[], Awaitable[list[Upstream]]] | None = None,
    ) -> None:
        self._cfg = cfg
        metrics.prime(cfg.default_model)
        self._upstreams = list(upstreams)
        self._http = http
        self._mode = mode
        self._chain = chain
        self._funding = funding
        self._clock = clock or SystemClock()
        self._breakers = {
            u.name: ProviderBreaker(u.name, cfg.breaker, now=now, on_change=_set_gauge) for u in self._upstreams
        }
        self._now = now
        #: Direct mode without provider ids: providers of the default model are found on-chain
        #: at first use (and looked for again 30 s after a failed attempt).
        self._discover = discover
        self._discover_lock = asyncio.Lock()
        self._discover_retry_at = 0.0
        self._closed = False

    def __repr__(self) -> str:
        return f"ZeroGComputeClient(mode={self._mode!r}, upstreams={[u.name for u in self._upstreams]!r})"

    # ------------------------------------------------------------------ ComputeClient

    @property
    def default_model(self) -> str:
        return self._cfg.default_model

    @property
    def default_provider(self) -> str:
        return self._upstreams[0].name if self._upstreams else OFFLINE_PROVIDER

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def upstream_names(self) -> list[str]:
        return [u.name for u in self._upstreams]

    def breaker_state(self, name: str) -> BreakerStateName:
        return self._breakers[name].state

    def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str | None = None,
        options: CompletionOptions | None = None,
    ) -> ComputeStream:
        holder = ComputeStream()
        opts = options or CompletionOptions()
        if self._discover is None and not self._upstreams:
            # Offline by configuration: the answer is the offline writer's, known now. Settled before
            # the first read, so a caller cancelled before it stores all of it, not nothing.
            holder._offline = write_offline(opts.fallback, reason=NOT_CONFIGURED,
                                            requested_model=model or self._cfg.default_model)
            holder.settled = holder._offline.result
        holder._gen = self._generate(list(messages), model, opts, holder)
        return holder

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        model: str | None = None,
        options: CompletionOptions | None = None,
    ) -> CompletionResult:
        stream = self.stream(messages, model=model, options=options)
        try:
            async for _ in stream:
                pass
        finally:
            await stream.aclose()
        assert stream.result is not None
        return stream.result

    # ------------------------------------------------------------------ operator API

    async def account_status(self) -> ComputeAccountStatus:
        """Mode, upstreams with breaker state, balances and funding settings (never raises for
        an unreachable provider or chain: the figure is ``None`` with a reason)."""
        await self._ensure_upstreams()
        providers = await asyncio.gather(*(u.status(self._breakers[u.name].state) for u in self._upstreams))
        ledger_available = ledger_total = None
        error: str | None = None
        if self._funding is not None:
            try:
                ledger = await self._funding.ledger()
                ledger_available = to_0g(ledger.available_balance) if ledger else Decimal(0)
                ledger_total = to_0g(ledger.total_balance) if ledger else Decimal(0)
            except StackCfoError as exc:
                error = exc.reason
        f = self._cfg.funding
        return ComputeAccountStatus(
            mode=self._mode,
            wallet_address=self._funding.address if self._funding else None,
            providers=tuple(providers),
            ledger_available=ledger_available,
            ledger_total=ledger_total,
            # Only direct mode's wallet tops sub-accounts up: in router and offline modes nothing does.
            auto_topup=f.auto_topup and self._funding is not None,
            min_balance=f.min_balance,
            topup_amount=f.topup_amount,
            headroom=f.headroom,
            checked_at=self._clock.now().astimezone(UTC),
            error=error,
            last_topup_time=self._funding.last_topup_time if self._funding else None,
        )

    async def models(self) -> list[dict[str, Any]]:
        """Models offered by the router (router configured), else the direct providers' models."""
        await self._ensure_upstreams()
        for u in self._upstreams:
            if isinstance(u, RouterUpstream):
                return await u.models()
        out: list[dict[str, Any]] = []
        for u in self._upstreams:
            st = await u.status(self._breakers[u.name].state)
            if st.model:
                out.append({"id": st.model, "provider": u.name, "verifiable": st.verifiable})
        return out

    async def check_funding(self) -> dict[str, str | None]:
        """Run the funding rule for every direct provider now; provider -> tx hash (or None)."""
        from stack_cfo.zerog.direct import DirectUpstream

        if self._funding is None:
            raise FailedPrecondition("funding needs direct mode with a wallet key", reason="ZEROG_NO_WALLET")
        out: dict[str, str | None] = {}
        for u in self._upstreams:
            if isinstance(u, DirectUpstream):
                out[u.name] = await self._funding.top_up(u.name, unsettled=await u.unsettled_fee())
        return out

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for u in self._upstreams:
            await u.close()
        await self._http.close()
        if self._chain is not None:
            await self._chain.close()

    async def __aenter__(self) -> ZeroGComputeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ internals

    async def _ensure_upstreams(self) -> None:
        if self._discover is None or self._now() < self._discover_retry_at:
            return
        async with self._discover_lock:
            if self._discover is None or self._now() < self._discover_retry_at:
                return
            try:
                found = await self._discover()
            except StackCfoError as exc:
                self._discover_retry_at = self._now() + 30.0
                log.warning("zerog: provider discovery failed: %s", exc)
                return
            self._discover = None
            fresh = [u for u in found if u.name not in self._breakers]
            for u in fresh:
                self._breakers[u.name] = ProviderBreaker(u.name, self._cfg.breaker, now=self._now, on_change=_set_gauge)
            self._upstreams = fresh + self._upstreams
            log.info("zerog: discovered providers %s", [u.name for u in fresh])

    def _payload(self, messages: list[Message], opts: CompletionOptions) -> dict[str, Any]:
        return {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": opts.max_tokens if opts.max_tokens is not None else self._cfg.max_tokens,
            "temperature": opts.temperature if opts.temperature is not None else self._cfg.temperature,
        }

    async def _open(
        self,
        up: Upstream,
        payload: dict[str, Any],
        model: str | None,
        deadline: float,
        parent: Context,
        label_model: str,
    ) -> tuple[PreparedRequest, aiohttp.ClientResponse, float]:
        session_renewed = False
        funds_tried = False
        while True:
            prepared = await up.prepare(payload, model)
            sent_at = time.monotonic()
            with tracer.start_as_current_span("http.request", context=parent, kind=SpanKind.CLIENT) as span:
                span.set_attribute("http.request.method", "POST")
                span.set_attribute("url.full", prepared.url)
                span.set_attribute("zerog.provider", up.name)

                async def attempt(request: PreparedRequest = prepared) -> aiohttp.ClientResponse:
                    return await open_response(
                        self._http.session,
                        request,
                        provider=up.name,
                        timeouts=self._cfg.timeouts,
                        deadline=deadline,
                        classify=up.classify,
                    )

                try:
                    resp = await open_with_retry(
                        attempt,
                        policy=self._cfg.retry,
                        deadline=deadline,
                        provider=up.name,
                        on_retry=lambda e: metrics.ERRORS.labels(label_model, error_type(e)).inc(),
                    )
                except Exception as exc:
                    span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                    status = getattr(exc, "status", None)
                    if isinstance(status, int):
                        span.set_attribute("http.response.status_code", status)
                    if isinstance(exc, SessionRejected) and not session_renewed:
                        session_renewed = True
                        metrics.ERRORS.labels(label_model, error_type(exc)).inc()
                        await up.on_session_rejected()
                        continue
                    if isinstance(exc, InsufficientFunds) and not funds_tried:
                        funds_tried = True
                        if await self._top_up(up, exc, deadline):
                            metrics.ERRORS.labels(label_model, error_type(exc)).inc()
                            continue
                    raise
                span.set_attribute("http.response.status_code", resp.status)
            return prepared, resp, sent_at

    async def _top_up(self, up: Upstream, exc: InsufficientFunds, deadline: float) -> bool:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        try:
            return await up.ensure_funds(exc, timeout=min(left, self._cfg.timeouts.receipt))
        except InsufficientFunds as ledger_short:
            raise ledger_short from exc
        except StackCfoError as failure:
            log.warning("zerog: top-up for %s failed: %s", up.name, failure)
            exc.metadata["topup_error"] = failure.reason
            return False

    async def _generate(
        self,
        messages: list[Message],
        model: str | None,
        opts: CompletionOptions,
        holder: ComputeStream,
    ) -> AsyncIterator[str]:
        offline = holder._offline
        if offline is not None:
            # Offline by configuration: no provider is asked, so nothing is measured as a compute
            # request (its duration as a failed one fired the compute SLO's burn-rate alerts).
            for piece in offline.chunks:
                yield piece
            holder._result = offline.result
            return
        cfg = self._cfg
        if self._discover is not None:
            await self._ensure_upstreams()
        label_model = model or cfg.default_model
        op = opts.operation
        started = time.monotonic()
        deadline = started + cfg.timeouts.total
        if opts.deadline is not None:
            deadline = min(deadline, provider_deadline(opts.deadline, started))
        metrics.REQUESTS.labels(label_model, op).inc()
        span = tracer.start_span(
            "compute.generate_inference",
            kind=SpanKind.INTERNAL,
            attributes={"zerog.model": label_model, "zerog.operation": op, "zerog.mode": self._mode},
        )
        parent = trace.set_span_in_context(span)
        success = False
        payload = self._payload(messages, opts)
        failures: list[BaseException] = []
        try:
            for up in self._upstreams:
                if time.monotonic() >= deadline:
                    failures.append(DeadlineExceeded("deadline reached before any provider answered"))
                    break
                breaker = self._breakers[up.name]
                try:
                    ticket = breaker.acquire()
                except BreakerOpen as exc:
                    metrics.ERRORS.labels(label_model, exc.error_type).inc()
                    failures.append(exc)
                    continue
                up.background_checks()
                try:
                    prepared, resp, sent_at = await self._open(up, payload, model, deadline, parent, label_model)
                except ProviderUnavailable as exc:
                    breaker.failure(ticket, exc)
                    metrics.ERRORS.labels(label_model, error_type(exc)).inc()
                    failures.append(exc)
                    continue
                except (InsufficientFunds, ProviderRejected, StackCfoError) as exc:
                    # about our account/request (or the chain), not the provider's health
                    breaker.release(ticket)
                    metrics.ERRORS.labels(label_model, error_type(exc)).inc()
                    failures.append(exc)
                    continue
                except BaseException:
                    breaker.release(ticket)
                    raise

                # ---- a 200 arrived: stream it. No retry, no failover from here on.
                loop = asyncio.get_running_loop()
                content = resp.content
                watch = ReadWatch(
                    content,
                    first_byte_at=loop.time() + max(0.0, cfg.timeouts.first_byte - (time.monotonic() - sent_at)),
                    idle=cfg.timeouts.idle,
                    deadline=deadline,
                )
                hasher = hashlib.sha256() if cfg.verify and up.kind == "direct" else None
                # The exact bytes hashed, kept for the receipt when the provider signs their hash.
                received: list[bytes] | None = [] if hasher is not None else None
                decoder = SSEDecoder()
                json_body = resp.content_type == "application/json"
                parts: list[str] = []
                tokens = opts.max_tokens if opts.max_tokens is not None else cfg.max_tokens
                room, raw_room = answer_limit(tokens), raw_limit(tokens)
                usage: dict[str, int] | None = None
                trace_ext: dict[str, Any] | None = None
                body_id: str | None = None
                resp_model: str | None = None
                done = False
                broke: BaseException | None = None
                finished = False
                pace = opts.pace
                yielded_at = float("-inf")
                shown = False  # a delta with more than whitespace reached the caller
                try:
                    while True:
                        if pace > 0:
                            # Paced: what arrives until the pace has passed since the last delta
                            # is read at once and goes out as one delta (one wake-up of this
                            # task, one decode and one delta instead of one per model chunk).
                            hold = yielded_at + pace - loop.time()
                            if hold > 0:
                                await asyncio.sleep(min(hold, max(0.0, deadline - time.monotonic())))
                        watch.reading_since = loop.time()
                        try:
                            chunk = await (_read_body(content, raw_room + 1) if json_body else content.readany())
                        except (StreamTimeout, aiohttp.ClientError, ConnectionError) as exc:
                            broke = watch.fired or exc
                            break
                        watch.reading_since = None
                        watch.got_data = True
                        if hasher is not None and chunk:
                            hasher.update(chunk)
                            if received is not None:
                                received.append(chunk)
                        raw_room -= len(chunk)
                        if raw_room < 0:
                            # bytes far past the text they carry (padding, empty deltas, a huge trace): kept for
                            # the receipt, they would make it unreadable; not read further
                            broke = _too_long(up.name)
                            break
                        if json_body:
                            events = [chunk.decode("utf-8", "replace"), "[DONE]"] if chunk else []
                        else:
                            events = decoder.feed(chunk) if chunk else decoder.flush()
                        texts: list[str] = []
                        for data in events:
                            if data == "[DONE]":
                                done = True
                                break
                            try:
                                obj = _event_json(data)
                                if not isinstance(obj, dict):
                                    raise ValueError("an event is not a JSON object")
                                text = event_text(obj)
                            except ValueError as exc:
                                # It may have held a piece of the text: the answer is broken.
                                broke = MalformedAnswer(up.name, str(exc)[:200])
                                log.warning("zerog: %s", broke)
                                break
                            if text:
                                texts.append(text)
                            u = obj.get("usage")
                            if u:
                                counts = usage_counts(u)
                                if counts is not None:
                                    usage = counts
                                else:  # unknown, as when none is sent (never negative or absurd)
                                    log.warning("zerog: ignored malformed usage from %s", up.name)
                            if body_id is None:
                                body_id = obj.get("id")
                                resp_model = obj.get("model")
                            x = obj.get("x_0g_trace")
                            if x:
                                if isinstance(x, dict):
                                    trace_ext = x
                                else:
                                    log.warning("zerog: ignored a malformed x_0g_trace from %s", up.name)
                            if obj.get("error"):
                                broke = ProviderUnavailable(
                                    f"{up.name} reported an error mid-stream",
                                    provider=up.name,
                                    retryable=False,
                                    reason="ZEROG_STREAM_ERROR",
                                )
                                break
                        if texts:
                            got = sum(map(len, texts))
                            if got > room:
                                # far past what max_tokens allows: the rest is not read (5.4 MB of text made a
                                # message over gRPC's limits, the stream failed and so did every replay of it)
                                texts = ["".join(texts)[:room]] if room else []
                                broke = _too_long(up.name)
                                done = False  # (a JSON body, or a read with [DONE] in it: cut all the same)
                            room -= min(got, room)
                        if texts:
                            # What one read brought (every event the provider had sent by then)
                            # goes out as one delta: never later than event by event, and one
                            # write instead of one per event when the process is busy. Blank
                            # text is held until words follow it: an answer of whitespace alone
                            # is no answer (the offline writer's, with nothing shown before it).
                            parts.extend(texts)
                            if shown:
                                yield "".join(texts)
                                yielded_at = loop.time()
                            elif not (held := "".join(parts)).isspace():
                                shown = True
                                yield held
                                yielded_at = loop.time()
                        if done or broke is not None or not chunk:
                            break
                    finished = True
                finally:
                    watch.cancel()
                    if not finished:  # the caller closed the stream or was cancelled
                        resp.close()
                        breaker.release(ticket)

                if done and not shown:
                    # [DONE] (or a whole JSON body) without a word of text is no answer.
                    done = False
                    broke = MalformedAnswer(up.name, "no text in the answer")
                    log.warning("zerog: %s", broke)

                if done:
                    self._http.recycle(resp)
                    breaker.success(ticket)  # the provider delivered; verification is about trust, not health
                    chat_id = _text_or_none(resp.headers.get(_ZG_RES_KEY))
                    answer = Answer(
                        chat_id=chat_id,
                        body_id=_text_or_none(body_id),
                        model=_text_or_none(resp_model),
                        usage=usage,
                        trace=trace_ext,
                        request_body=prepared.body,
                        response_sha256=hasher.hexdigest() if hasher is not None else None,
                        response_body=b"".join(received) if received is not None else None,
                    )
                    verification, extra = await up.verify(answer, prepared, parent=parent)
                    if failures:
                        extra["failed_over_from"] = ",".join(
                            str(getattr(f, "provider", type(f).__name__)) for f in failures
                        )
                    prompt, completion = _counted(usage, label_model)
                    result = CompletionResult(
                        text="".join(parts),
                        model=answer.model or prepared.model,
                        provider=up.name,
                        prompt_tokens=prompt,
                        completion_tokens=completion,
                        fee_neuron=up.fee(prepared, answer),
                        chat_id=chat_id or answer.body_id or "",
                        verification=verification,
                        extra=extra,
                    )
                    holder._result = result
                    if verification is not Verification.NOT_APPLICABLE:
                        metrics.VERIFICATIONS.labels(verification.value).inc()
                    span.set_attribute("zerog.provider", up.name)
                    span.set_attribute("zerog.verification", verification.value)
                    span.set_attribute("zerog.tokens", prompt + completion)
                    success = True
                    return

                # ---- broken stream
                resp.close()
                cause = broke or ProviderUnavailable(
                    f"{up.name} ended the stream without [DONE]",
                    provider=up.name,
                    retryable=False,
                    reason="ZEROG_STREAM_TRUNCATED",
                )
                breaker.failure(ticket, cause)
                if shown:
                    kind = error_type(cause) if not isinstance(cause, StreamTimeout) else f"{cause.kind}_timeout"
                    metrics.ERRORS.labels(label_model, "incomplete").inc()
                    # the usage the provider reported before the stream broke (its usage chunk, then no [DONE]):
                    # billed, so recorded and counted against the daily token budget (it was dropped, and a
                    # provider that never sent [DONE] answered without limit)
                    prompt, completion = _counted(usage, label_model)
                    fee = up.fee(prepared, Answer(
                        chat_id=None, body_id=None, model=_text_or_none(resp_model), usage=usage, trace=trace_ext,
                        request_body=prepared.body, response_sha256=None,
                    )) if usage else 0
                    partial = CompletionResult(
                        text="".join(parts),
                        model=_text_or_none(resp_model) or prepared.model,
                        provider=up.name,
                        prompt_tokens=prompt,
                        completion_tokens=completion,
                        fee_neuron=fee,
                        chat_id=_text_or_none(resp.headers.get(_ZG_RES_KEY)) or _text_or_none(body_id) or "",
                        degraded=True,
                        incomplete=True,
                        verification=Verification.UNAVAILABLE,
                        extra={"incomplete_reason": kind},
                    )
                    holder._result = partial
                    err: BaseException = cause
                    if isinstance(cause, StreamTimeout) and cause.kind == "deadline":
                        err = DeadlineExceeded("the caller's deadline ended the stream")
                    span.set_status(Status(StatusCode.ERROR, "incomplete"))
                    raise IncompleteCompletion(partial, err)
                # Nothing reached the caller yet, but the provider may be generating: do not try
                # another provider (double billing); the offline writer answers instead.
                metrics.ERRORS.labels(label_model, error_type(cause)).inc()
                failures.append(
                    ProviderUnavailable(
                        f"{up.name} stream broke before any text",
                        provider=up.name,
                        retryable=False,
                        reason="ZEROG_STREAM_BROKEN",
                    )
                )
                break

            # ---- no upstream answered
            short = next((f for f in failures if isinstance(f, InsufficientFunds)), None)
            if short is not None:
                span.set_status(Status(StatusCode.ERROR, short.reason))
                raise short
            reason = NOT_CONFIGURED
            if failures:
                last = failures[-1]
                reason = last.reason if isinstance(last, StackCfoError) else "ZEROG_PROVIDER_UNAVAILABLE"
                metrics.ERRORS.labels(label_model, "fallback").inc()
            offline = write_offline(opts.fallback, reason=reason, requested_model=label_model)
            holder.settled = offline.result
            span.set_attribute("zerog.provider", OFFLINE_PROVIDER)
            span.set_attribute("zerog.fallback_reason", reason)
            for piece in offline.chunks:
                yield piece
            holder._result = offline.result
        finally:
            metrics.DURATION.labels(label_model, op, "true" if success else "false").observe(time.monotonic() - started)
            span.end()
