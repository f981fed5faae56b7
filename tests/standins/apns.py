"""A local APNs provider API stand-in: HTTP/2 over TLS (ALPN "h2") with the h2 library, real sockets.

- ``POST /3/device/{token}`` with ``authorization: bearer <ES256 JWT>`` (header ``kid`` = the key id,
  claims ``iss`` = the team id, ``iat`` at most an hour old; verified with the key's public half),
  ``apns-topic`` (must be the app's), ``apns-push-type``, an optional ``apns-collapse-id`` (at most 64
  bytes) and a JSON body of at most 4,096 bytes with an ``aps`` dictionary.
- Answers 200 with ``apns-id``, or the documented errors with ``{"reason": ...}``: 400 BadDeviceToken,
  410 Unregistered (with a timestamp), 403 ExpiredProviderToken/InvalidProviderToken/MissingProviderToken,
  400 TopicDisallowed/BadCollapseId/PayloadEmpty/MissingTopic, 413 PayloadTooLarge, and whatever
  :meth:`ApnsStandIn.fail_next` queues (429 TooManyRequests, 500/503).
- :meth:`ApnsStandIn.close_next` makes the server drop the TCP connection after it received a request and
  before it answers (the connection closed mid-stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import ssl
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any

import h2.config
import h2.connection
import h2.events
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.standins.smtp import make_self_signed_cert


class ApnsStandIn:
    def __init__(self, directory: Path, *, topic: str = "com.stack.app", team_id: str = "TEAM123456") -> None:
        self.topic = topic
        self.team_id = team_id
        self.key_id = "KEY1234567"
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.directory = directory
        self.cert, self.cert_key = make_self_signed_cert(directory)
        self.accepted: list[dict[str, Any]] = []
        self.requests = 0
        self.tokens_seen: set[str] = set()
        self.unregistered: set[str] = set()
        self.bad_tokens: set[str] = set()
        self.expire_tokens_issued_before = 0.0
        self.failures: deque[tuple[int, str]] = deque()
        self._close = 0
        self.connections = 0
        self.closed_mid_stream = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0
        self.now = time.time  # the provider's clock (tests move it with the channel's)

    @property
    def base_url(self) -> str:
        return f"https://localhost:{self.port}"

    def write_key(self) -> Path:
        path = self.directory / f"AuthKey_{self.key_id}.p8"
        path.write_bytes(
            self._key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return path

    def fail_next(self, status: int, reason: str, *, times: int = 1) -> None:
        self.failures.extend([(status, reason)] * times)

    def close_next(self, times: int = 1) -> None:
        self._close += times

    async def start(self) -> ApnsStandIn:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(self.cert), str(self.cert_key))
        ctx.set_alpn_protocols(["h2"])
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=ctx)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        for w in list(self._writers):
            w.transport.abort()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        ssl_obj = writer.get_extra_info("ssl_object")
        if ssl_obj is None or ssl_obj.selected_alpn_protocol() != "h2":
            writer.close()
            return
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        streams: dict[int, dict[str, Any]] = {}
        try:
            while data := await reader.read(65535):
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        streams[event.stream_id] = {"headers": dict(event.headers), "body": b""}
                    elif isinstance(event, h2.events.DataReceived):
                        streams[event.stream_id]["body"] += event.data
                        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        request = streams.pop(event.stream_id)
                        if self._close:
                            self._close -= 1
                            self.closed_mid_stream += 1
                            writer.transport.abort()  # the request arrived; no answer, connection gone
                            return
                        status, headers, body = self._answer(request)
                        conn.send_headers(event.stream_id, [(":status", str(status)), *headers.items()])
                        conn.send_data(event.stream_id, body, end_stream=True)
                writer.write(conn.data_to_send())
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    def _answer(self, request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        self.requests += 1
        h = request["headers"]

        def error(status: int, reason: str, **extra: Any) -> tuple[int, dict[str, str], bytes]:
            return status, {"content-type": "application/json"}, json.dumps({"reason": reason, **extra}).encode()

        path = h.get(":path", "")
        if h.get(":method") != "POST" or not path.startswith("/3/device/"):
            return error(404 if h.get(":method") == "POST" else 405, "BadPath")
        token = path.removeprefix("/3/device/")
        auth = h.get("authorization", "")
        if not auth.startswith("bearer "):
            return error(403, "MissingProviderToken")
        provider_token = auth.removeprefix("bearer ")
        try:
            header = jwt.get_unverified_header(provider_token)
            claims = jwt.decode(
                provider_token, self._key.public_key(), algorithms=["ES256"], options={"verify_iat": False}
            )
        except jwt.PyJWTError:
            return error(403, "InvalidProviderToken")
        if header.get("kid") != self.key_id or claims.get("iss") != self.team_id:
            return error(403, "InvalidProviderToken")
        iat = float(claims.get("iat", 0))
        if not 0 <= self.now() - iat <= 3600 or iat < self.expire_tokens_issued_before:
            return error(403, "ExpiredProviderToken")
        self.tokens_seen.add(provider_token)
        if not h.get("apns-topic"):
            return error(400, "MissingTopic")
        if h["apns-topic"] != self.topic:
            return error(400, "TopicDisallowed")
        if len(h.get("apns-collapse-id", "").encode()) > 64:
            return error(400, "BadCollapseId")
        body = request["body"]
        if len(body) > 4096:
            return error(413, "PayloadTooLarge")
        try:
            payload = json.loads(body)
        except ValueError:
            return error(400, "BadPayload")
        if not isinstance(payload, dict) or not isinstance(payload.get("aps"), dict):
            return error(400, "PayloadEmpty")
        if self.failures:
            status, reason = self.failures.popleft()
            return error(status, reason)
        if token in self.bad_tokens or not all(c in "0123456789abcdefABCDEF" for c in token):
            return error(400, "BadDeviceToken")
        if token in self.unregistered:
            return error(410, "Unregistered", timestamp=int(dt.datetime.now(dt.UTC).timestamp() * 1000))
        apns_id = h.get("apns-id") or str(uuid.uuid4())
        self.accepted.append({"token": token, "headers": h, "payload": payload})
        return 200, {"apns-id": apns_id}, b""
