"""Stand-ins for a 0G provider broker and for the 0G Router, speaking their HTTP protocols on 127.0.0.1.

:class:`ProviderStandIn` behaves like a provider broker (research/zerog.md §1-2, §4):

* ``POST /v1/proxy/chat/completions`` (and the collapsed ``/v1/proxy/v1/chat/completions``)
  validates the ``Authorization: Bearer app-sk-...`` token the way the Go broker's
  ``ValidateSession`` does: base64, split on the first ``|``, JSON, provider address, ephemeral
  rules (``expiresAt`` set, at most 24 h after ``timestamp``), expiry in whole seconds,
  ``generation`` against the chain stand-in's account ("revoked (generation expired)" /
  "future generation"), then ``keccak256(json)`` -> EIP-191 -> recovered address must equal
  ``address``. Failures answer HTTP 400 ``{"error": "validate session: ..."}``.
* With a chain stand-in it also checks the sub-account like ``validateBalanceAdequacy``: account
  exists, acknowledged, ``balance - pendingRefund >= unsettled + minimum reserve``, else the
  broker's "insufficient balance: your locked balance is X 0G, but the required minimum is Y 0G
  ..." (HTTP 400).
* Streams OpenAI-style SSE (role chunk, content chunks, finish chunk, a usage chunk when
  ``stream_options.include_usage``, ``data: [DONE]``), sets ``ZG-Res-Key``, answers JSON when
  ``stream`` is false, bills ``prompt*inputPrice + completion*outputPrice`` into the unsettled fee.
* ``GET /v1/proxy/signature/{chat_id}`` returns ``{"text": sha256(req):sha256(resp), "signature",
  "signing_address", "signing_algo": "ecdsa"}`` signed (EIP-191) by its TEE key; 404 when unknown.
* ``GET /v1/user/{addr}/unsettledfee`` (token required, 403 for another address).

Behaviour on demand: queue :class:`Reply` objects with :meth:`ProviderStandIn.enqueue` (one per
chat request, then :attr:`default_reply`): ``Reply.insufficient_balance()``,
``Reply.rate_limited(retry_after="1")``, ``Reply.status(503)``, ``Reply.ok(first_byte_delay=...)``,
``Reply.ok(drop_after=3)`` (connection cut mid-stream), ``Reply.ok(stall_after=3, stall=1.0)``
(silence mid-stream), ``Reply.ok(hang_headers=...)``,
``Reply.ok(wrong_tee_key=True)``, ``Reply.ok(done=False)``, ``Reply.raw_body("data: {broken\\n\\n", ...)``
(these exact pieces as the body, ``content_type`` text/event-stream unless given).

Everything seen is recorded: :attr:`requests` (path, headers, body, parsed token, time),
:meth:`count`, :attr:`disconnects` (client went away mid-stream), :attr:`billed`.

:class:`RouterStandIn` is the hosted router: ``Bearer <api key>``, 401/402/429/503 bodies in the
router's OpenAI-shaped error format, ``/v1/models``, ``/v1/account/balance``, routing headers
recorded, ``verify_tee`` answered with ``x_0g_trace``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiohttp import web
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_keys import keys
from eth_utils import keccak

from tests.standins.chain_rpc import ChainStandIn, ServiceEntry

ONE_0G = 10**18
EPHEMERAL_TOKEN_ID = 255
EPHEMERAL_MAX_MS = 24 * 60 * 60 * 1000


@dataclass
class Reply:
    """How to answer one chat request."""

    status: int = 200
    body: str | None = None
    retry_after: str | None = None
    #: A ``Location`` header (a redirect: status 3xx).
    location: str | None = None
    text: str | None = None
    chunks: int | None = None
    hang_headers: float = 0.0
    first_byte_delay: float = 0.0
    chunk_delay: float = 0.0
    stall_after: int | None = None
    stall: float = 0.0
    drop_after: int | None = None
    done: bool = True
    wrong_tee_key: bool = False
    res_key_header: bool = True
    #: The chat id to answer under (``ZG-Res-Key``; default: a new one), e.g. an earlier answer's.
    chat_key: str | None = None
    signature: bool = True
    burst: bool = False
    #: The exact body to send (malformed answers), with this content type.
    raw: list[bytes] | None = None
    content_type: str = "text/event-stream"

    @classmethod
    def ok(cls, text: str | None = None, **kw: Any) -> Reply:
        return cls(text=text, **kw)

    @classmethod
    def raw_body(cls, *pieces: bytes | str, content_type: str = "text/event-stream") -> Reply:
        return cls(raw=[p.encode() if isinstance(p, str) else p for p in pieces], content_type=content_type)

    @classmethod
    def error(cls, status: int, message: str = "error", **kw: Any) -> Reply:
        return cls(status=status, body=json.dumps({"error": message}), **kw)

    @classmethod
    def rate_limited(cls, retry_after: str | None = "1") -> Reply:
        body = json.dumps(
            {"error": {"type": "rate_limit_error", "message": "Rate limit exceeded (limit: 60 requests/min)."}}
        )
        return cls(status=429, body=body, retry_after=retry_after)

    @classmethod
    def insufficient_balance(cls, locked: str = "0.500000", required: str = "1.000000") -> Reply:
        msg = (
            f"validate request: insufficient balance: your locked balance is {locked} 0G, but the required "
            f"minimum is {required} 0G (breakdown: minimum reserve 1.000000 0G + unsettled fees 0.000000 0G + "
            "current request fee 0.000000 0G). Please add more funds with: 0g-compute-cli transfer-fund "
            "--provider <addr> --amount <amount>"
        )
        return cls(status=400, body=json.dumps({"error": msg}))


@dataclass
class Recorded:
    path: str
    method: str
    headers: dict[str, str]
    body: bytes
    at: float
    token: dict[str, Any] | None = None
    auth_error: str | None = None
    status: int = 0
    #: The client's address and port: requests with the same peer came over one kept-alive connection.
    peer: tuple[str, int] | None = None

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


DEFAULT_TEXT = (
    "Your portfolio rose 2.4% this week, led by technology holdings; cash is 6% of the total and "
    "concentration in the top three positions is 48%."
)


def split_words(text: str, n: int | None) -> list[str]:
    """``text`` in about ``n`` pieces whose concatenation is ``text`` (default: one per word)."""
    pieces = re.findall(r"\S+\s*|\s+", text) or [text]
    if n is None or n == len(pieces):
        return pieces
    if n > len(pieces):  # finer than words: equal character slices
        size = max(1, len(text) // n)
        return [text[i : i + size] for i in range(0, len(text), size)]
    size = -(-len(pieces) // n)
    return ["".join(pieces[i : i + size]) for i in range(0, len(pieces), size)]


_PLACEHOLDER_ID = "chatcmpl-00000000-0000-0000-0000-000000000000"


class _OpenAIStreamer:
    """Shared SSE/JSON answering for the provider and router stand-ins."""

    _rendered: dict[tuple[Any, ...], list[bytes]]

    model: str
    default_reply: Reply
    script: list[Reply]
    requests: list[Recorded]
    disconnects: int
    _runner: web.AppRunner | None
    url: str

    def enqueue(self, *replies: Reply) -> None:
        self.script.extend(replies)

    #: Optional rule answering some requests by their content (the parsed JSON body): a Reply to use,
    #: or None for the script / default reply. Tests use it to answer summaries apart from answers.
    reply_for: Callable[[dict[str, Any]], Reply | None] | None = None

    def next_reply(self, body: dict[str, Any] | None = None) -> Reply:
        if self.reply_for is not None and body is not None:
            chosen = self.reply_for(body)
            if chosen is not None:
                return chosen
        return self.script.pop(0) if self.script else self.default_reply

    def count(self, path_part: str = "chat/completions") -> int:
        return sum(1 for r in self.requests if path_part in r.path)

    async def _serve(self, app: web.Application) -> str:
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _record(self, request: web.Request) -> Recorded:
        rec = Recorded(
            path=request.path,
            method=request.method,
            headers=dict(request.headers),
            body=await request.read(),
            at=time.monotonic(),
            peer=request.transport.get_extra_info("peername") if request.transport is not None else None,
        )
        self.requests.append(rec)
        return rec

    @staticmethod
    def _prompt_tokens(body: dict[str, Any]) -> int:
        return sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))

    async def _answer(
        self,
        request: web.Request,
        rec: Recorded,
        reply: Reply,
        body: dict[str, Any],
        *,
        chat_key: str,
        extra_final: dict[str, Any] | None = None,
        on_done: Callable[[bytes, int, int], None] | None = None,
    ) -> web.StreamResponse:
        if reply.hang_headers:
            await asyncio.sleep(reply.hang_headers)
        headers = {"ZG-Res-Key": chat_key} if reply.res_key_header else {}
        if reply.raw is not None:
            raw = b"".join(reply.raw)
            rec.status = 200
            if on_done is not None:
                on_done(raw, self._prompt_tokens(body), 0)
            return web.Response(body=raw, headers=headers, content_type=reply.content_type)
        text = reply.text if reply.text is not None else DEFAULT_TEXT
        pieces = split_words(text, reply.chunks)
        prompt_tokens = self._prompt_tokens(body)
        completion_tokens = len(pieces)
        model = body.get("model") or self.model
        chat_id = f"chatcmpl-{chat_key}"
        created = int(time.time())
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if not body.get("stream"):
            payload: dict[str, Any] = {
                "id": chat_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": usage,
                **(extra_final or {}),
            }
            raw = json.dumps(payload).encode()
            rec.status = 200
            if on_done is not None:
                on_done(raw, prompt_tokens, completion_tokens)
            return web.Response(body=raw, headers=headers, content_type="application/json")

        def event(obj: Any) -> bytes:
            return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            return event(
                {
                    "id": chat_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }
            )

        # Content events are rendered once per (text, model) with a placeholder id: long answers
        # (benchmarks) must not make the stand-in the bottleneck.
        cache_key = (tuple(pieces), model, created)
        body_events = self._rendered.get(cache_key)
        if body_events is None:
            real_id = chat_id
            chat_id = _PLACEHOLDER_ID
            body_events = [chunk({"role": "assistant", "content": ""})]
            body_events += [chunk({"content": p}) for p in pieces]
            body_events.append(chunk({}, "stop"))
            chat_id = real_id
            if len(self._rendered) > 32:
                self._rendered.clear()
            self._rendered[cache_key] = body_events
        placeholder, actual = _PLACEHOLDER_ID.encode(), chat_id.encode()
        events = [ev.replace(placeholder, actual) for ev in body_events]
        if (body.get("stream_options") or {}).get("include_usage"):
            final: dict[str, Any] = {
                "id": chat_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [],
                "usage": usage,
            }
            final.update(extra_final or {})
            events.append(event(final))
        elif extra_final:
            events.append(event({"id": chat_id, "choices": [], **extra_final}))
        if reply.done:
            events.append(b"data: [DONE]\n\n")

        resp = web.StreamResponse(status=200, headers={**headers, "Cache-Control": "no-cache"})
        resp.content_type = "text/event-stream"
        rec.status = 200
        await resp.prepare(request)
        sent: list[bytes] = []
        try:
            if reply.first_byte_delay:
                await asyncio.sleep(reply.first_byte_delay)
            if reply.burst:
                blob = b"".join(events)
                sent.append(blob)
                if on_done is not None:
                    on_done(blob, prompt_tokens, completion_tokens)
                    on_done = None
                await resp.write(blob)
            else:
                for i, ev in enumerate(events):
                    if i == len(events) - 1 and on_done is not None and reply.drop_after is None:
                        # the answer is complete: sign and bill before the last write, so the
                        # signature is there by the time a fast client asks for it
                        on_done(b"".join(events), prompt_tokens, completion_tokens)
                        on_done = None
                    if reply.drop_after is not None and i > reply.drop_after:
                        # cut the connection without finishing the chunked body
                        assert request.transport is not None
                        request.transport.close()
                        return resp
                    if reply.stall_after is not None and i == reply.stall_after:
                        await asyncio.sleep(reply.stall)
                    sent.append(ev)
                    await resp.write(ev)
                    if reply.chunk_delay:
                        await asyncio.sleep(reply.chunk_delay)
            await resp.write_eof()
        except (asyncio.CancelledError, ConnectionResetError):
            self.disconnects += 1
            raise
        if on_done is not None:
            on_done(b"".join(sent), prompt_tokens, completion_tokens)
        return resp


class ProviderStandIn(_OpenAIStreamer):
    def __init__(
        self,
        *,
        chain: ChainStandIn | None = None,
        model: str = "gpt-oss-120b",
        input_price: int = 100_000_000_000,
        output_price: int = 490_000_000_000,
        provider_key: str | None = None,
        tee_key: str | None = None,
        min_locked_balance: int = ONE_0G,
        check_balance: bool = True,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.chain = chain
        self.model = model
        self.input_price = input_price
        self.output_price = output_price
        self.wallet: LocalAccount = Account.from_key(provider_key) if provider_key else Account.create()
        self.tee: LocalAccount = Account.from_key(tee_key) if tee_key else Account.create()
        self.other_tee: LocalAccount = Account.create()
        self.min_locked_balance = min_locked_balance
        self.check_balance = check_balance
        self.now = now
        self.default_reply = Reply()
        self.script: list[Reply] = []
        self.requests: list[Recorded] = []
        self.disconnects = 0
        self.signatures: dict[str, dict[str, str]] = {}
        self._rendered = {}
        self.unsettled: dict[str, int] = {}
        self.billed = 0
        self._runner = None
        self.url = ""

    @property
    def address(self) -> str:
        return self.wallet.address

    def service_entry(self, **overrides: Any) -> ServiceEntry:
        """The on-chain record of this provider (register it with ``chain.add_service``)."""
        values: dict[str, Any] = {
            "provider": self.address,
            "url": self.url,
            "model": self.model,
            "input_price": self.input_price,
            "output_price": self.output_price,
            "tee_signer": self.tee.address,
        }
        values.update(overrides)
        return ServiceEntry(**values)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/proxy/chat/completions", self._chat)
        app.router.add_post("/v1/proxy/v1/chat/completions", self._chat)
        app.router.add_get("/v1/proxy/signature/{chat_id}", self._signature)
        app.router.add_get("/v1/user/{address}/unsettledfee", self._unsettled)
        app.router.add_get("/v1/models", self._models)
        return await self._serve(app)

    async def __aenter__(self) -> ProviderStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ auth, like ValidateSession

    def validate_session(self, header: str | None) -> tuple[dict[str, Any] | None, str | None]:
        if not header or not header.startswith("Bearer app-sk-"):
            return None, (
                "missing or invalid Authorization header, must be Bearer app-sk-<base64(rawMessage:signature)>"
            )
        try:
            decoded = base64.b64decode(header.removeprefix("Bearer app-sk-"), validate=True).decode()
        except ValueError:
            return None, "invalid base64 in Authorization header"
        token_str, sep, signature = decoded.partition("|")
        if not sep:
            return None, "invalid Authorization payload, expect base64(rawMessage:signature)"
        try:
            token = json.loads(token_str)
        except ValueError:
            return None, "invalid session token format in Authorization"
        if str(token.get("provider", "")).lower() != self.address.lower():
            return token, "session token is for different provider"
        expires = int(token.get("expiresAt", 0))
        if int(token.get("tokenId", -1)) == EPHEMERAL_TOKEN_ID:
            if expires == 0:
                return token, "ephemeral token must have an expiration time"
            if expires - int(token.get("timestamp", 0)) > EPHEMERAL_MAX_MS:
                return token, "ephemeral token duration cannot exceed 24 hours"
        if expires > 0 and int(self.now()) > expires // 1000:
            return token, "session token expired"
        if self.chain is not None:
            acct = self.chain.account(str(token.get("address", "")), self.address)
            if acct is not None:
                gen = int(token.get("generation", 0))
                if gen < acct.generation:
                    return token, "session token has been revoked (generation expired)"
                if gen > acct.generation:
                    return token, "invalid session token (future generation)"
        digest = keccak(token_str.encode())
        prefixed = keccak(b"\x19Ethereum Signed Message:\n32" + digest)
        try:
            sig = bytes.fromhex(signature.removeprefix("0x"))
        except ValueError:
            return token, "invalid signature format"
        if len(sig) != 65:
            return token, "invalid signature length"
        try:
            pub = keys.Signature(sig[:64] + bytes([sig[64] - 27])).recover_public_key_from_msg_hash(prefixed)
        except Exception:
            return token, "failed to recover public key from signature"
        if pub.to_checksum_address().lower() != str(token.get("address", "")).lower():
            return token, "signature verification failed: address mismatch"
        return token, None

    def balance_problem(self, user: str) -> str | None:
        if self.chain is None or not self.check_balance:
            return None
        acct = self.chain.account(user, self.address)
        if acct is None:
            return "get account from contract, account not exist"
        if not acct.acknowledged:
            return (
                "user not acknowledge the provider, please use acknowledgeProviderSigner function in sdk first, "
                "it will take effect in 2 minutes"
            )
        unsettled = self.unsettled.get(user.lower(), 0)
        required = unsettled + self.min_locked_balance
        if acct.available >= required:
            return None

        def zg(n: int) -> str:
            return f"{Decimal(n) / ONE_0G:.6f}"

        return (
            f"insufficient balance: your locked balance is {zg(acct.available)} 0G, but the required minimum is "
            f"{zg(required)} 0G (breakdown: minimum reserve {zg(self.min_locked_balance)} 0G + unsettled fees "
            f"{zg(unsettled)} 0G + current request fee 0.000000 0G). Please add more funds with: "
            f"0g-compute-cli transfer-fund --provider {self.address} --amount <amount>"
        )

    # ------------------------------------------------------------------ handlers

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        rec = await self._record(request)
        token, problem = self.validate_session(request.headers.get("Authorization"))
        rec.token = token
        if problem is not None:
            rec.auth_error = problem
            rec.status = 400
            return web.json_response({"error": f"validate session: {problem}"}, status=400)
        assert token is not None
        user = str(token["address"])
        balance = self.balance_problem(user)
        if balance is not None:
            rec.status = 400
            return web.json_response({"error": f"validate request: {balance}"}, status=400)
        reply = self.next_reply(rec.json if rec.body else None)
        if reply.status != 200:
            if reply.hang_headers:
                await asyncio.sleep(reply.hang_headers)
            rec.status = reply.status
            headers = {"Retry-After": reply.retry_after} if reply.retry_after else {}
            if reply.location:
                headers["Location"] = reply.location
            return web.Response(
                status=reply.status,
                text=reply.body or json.dumps({"error": "error"}),
                content_type="application/json",
                headers=headers,
            )
        try:
            body = json.loads(rec.body)
        except ValueError:
            return web.json_response({"error": "invalid JSON"}, status=400)
        key = reply.chat_key or str(uuid.uuid4())
        signer = self.other_tee if reply.wrong_tee_key else self.tee

        def done(response_bytes: bytes, prompt: int, completion: int) -> None:
            text = f"{hashlib.sha256(rec.body).hexdigest()}:{hashlib.sha256(response_bytes).hexdigest()}"
            sig = Account.sign_message(encode_defunct(text=text), signer.key)
            if reply.signature:
                self.signatures[key] = {
                    "text": text,
                    "signature": "0x" + bytes(sig.signature).hex(),
                    "signing_address": signer.address.lower(),
                    "signing_algo": "ecdsa",
                }
            fee = prompt * self.input_price + completion * self.output_price
            self.unsettled[user.lower()] = self.unsettled.get(user.lower(), 0) + fee
            self.billed += 1

        return await self._answer(request, rec, reply, body, chat_key=key, on_done=done)

    async def _signature(self, request: web.Request) -> web.Response:
        await self._record(request)
        sig = self.signatures.get(request.match_info["chat_id"])
        if sig is None:
            return web.json_response({"error": "chat_id_not_found"}, status=404)
        return web.json_response(sig)

    async def _unsettled(self, request: web.Request) -> web.Response:
        rec = await self._record(request)
        token, problem = self.validate_session(request.headers.get("Authorization"))
        rec.token = token
        if problem is not None:
            return web.json_response({"error": f"validate session: {problem}"}, status=400)
        assert token is not None
        address = request.match_info["address"]
        if address.lower() != str(token["address"]).lower():
            return web.json_response({"error": "address mismatch"}, status=403)
        return web.json_response({"userAddress": address, "unsettledFee": str(self.unsettled.get(address.lower(), 0))})

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": self.model, "object": "model"}]})


class RouterStandIn(_OpenAIStreamer):
    """The hosted 0G Router: ``{base}/v1/chat/completions`` etc., API-key auth."""

    def __init__(
        self,
        *,
        api_key: str = "sk-test-router-key",
        model: str = "gpt-oss-120b",
        models: list[str] | None = None,
        deposit_balance: int = 5 * ONE_0G,
        tee_verified: bool = True,
    ) -> None:
        self.api_key = api_key
        self.model = model
        self.models = models or [model, "zai-org/GLM-5-FP8"]
        self.deposit_balance = deposit_balance
        self.tee_verified = tee_verified
        self._rendered = {}
        self.default_reply = Reply()
        self.script: list[Reply] = []
        self.requests: list[Recorded] = []
        self.disconnects = 0
        self._runner = None
        self.url = ""

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/v1/account/balance", self._balance)
        return await self._serve(app)

    async def __aenter__(self) -> RouterStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @staticmethod
    def _error(status: int, message: str, type_: str, code: str, headers: dict[str, str] | None = None) -> web.Response:
        return web.json_response(
            {"error": {"message": message, "type": type_, "code": code}, "request_id": str(uuid.uuid4())},
            status=status,
            headers=headers,
        )

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.api_key}"

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        rec = await self._record(request)
        if not self._authorized(request):
            rec.status = 401
            return self._error(401, "Invalid API key", "authentication_error", "invalid_api_key")
        reply = self.next_reply(rec.json if rec.body else None)
        if reply.status == 402:
            rec.status = 402
            return self._error(402, "Insufficient balance", "payment_error", "insufficient_balance")
        if reply.status == 429:
            rec.status = 429
            headers = {"Retry-After": reply.retry_after} if reply.retry_after else None
            return self._error(429, "Rate limit exceeded", "rate_limit_error", "rate_limit_exceeded", headers)
        if reply.status != 200:
            rec.status = reply.status
            return self._error(reply.status, "No available provider", "server_error", "no_available_provider")
        body = json.loads(rec.body)
        key = str(uuid.uuid4())
        extra = None
        if body.get("verify_tee"):
            extra = {
                "x_0g_trace": {
                    "request_id": key,
                    "provider": request.headers.get("X-0G-Provider-Address", "0x" + "ab" * 20),
                    "billing": {"input_cost": "1000", "output_cost": "2000", "total_cost": "3000"},
                    "tee_verified": self.tee_verified,
                }
            }
        return await self._answer(request, rec, reply, body, chat_key=key, extra_final=extra)

    async def _models(self, request: web.Request) -> web.Response:
        await self._record(request)
        if not self._authorized(request):
            return self._error(401, "Invalid API key", "authentication_error", "invalid_api_key")
        return web.json_response(
            {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "0g"} for m in self.models]}
        )

    async def _balance(self, request: web.Request) -> web.Response:
        await self._record(request)
        if not self._authorized(request):
            return self._error(401, "Invalid API key", "authentication_error", "invalid_api_key")
        return web.json_response(
            {
                "address": "0x" + "cd" * 20,
                "deposit_balance": str(self.deposit_balance),
                "total_balance": str(self.deposit_balance + ONE_0G),
            }
        )


__all__ = [
    "DEFAULT_TEXT",
    "ProviderStandIn",
    "Recorded",
    "Reply",
    "RouterStandIn",
]
