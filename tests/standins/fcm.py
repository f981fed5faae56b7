"""A local FCM HTTP v1 stand-in with the Google OAuth2 token endpoint it needs.

- ``POST /token``: RFC 7523 JWT-bearer grant. The assertion must be RS256-signed by the
  service account's key, ``aud`` = this token URI, ``iss`` = the client email, and carry
  the firebase.messaging scope. Answers ``{"access_token", "expires_in", "token_type"}``.
- ``POST /v1/projects/{project}/messages:send``: needs a live bearer token; validates the
  message (token, string-only data); answers ``{"name": ...}`` or the documented error
  bodies (``UNREGISTERED`` 404, invalid token 400, 429/503 with ``Retry-After``).
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections import deque
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _error(status: int, code: str, message: str, fcm_code: str | None = None) -> web.Response:
    details = (
        [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": fcm_code}] if fcm_code else []
    )
    body = {"error": {"code": status, "message": message, "status": code, "details": details}}
    return web.json_response(body, status=status)


class FcmStandIn:
    def __init__(self, *, project_id: str = "stack-test", token_ttl: int = 3600) -> None:
        self.project_id = project_id
        self.token_ttl = token_ttl
        self.client_email = "scheduler@stack-test.iam.gserviceaccount.com"
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = secrets.token_hex(8)
        self.tokens: dict[str, float] = {}  # access token -> expiry (monotonic)
        self.token_requests = 0
        self.accepted: list[dict[str, Any]] = []
        self.unregistered: set[str] = set()
        self.invalid: set[str] = set()
        self.failures: deque[tuple[int, str | None]] = deque()
        self.send_attempts = 0
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    def fail_next(self, status: int, *, retry_after: str | None = None, times: int = 1) -> None:
        self.failures.extend([(status, retry_after)] * times)

    def write_service_account(self, path: Path) -> Path:
        pem = self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        path.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": self.project_id,
                    "private_key_id": self.key_id,
                    "private_key": pem,
                    "client_email": self.client_email,
                    "token_uri": self.token_uri,
                }
            )
        )
        return path

    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        form = await request.post()
        if form.get("grant_type") != GRANT:
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        try:
            claims = jwt.decode(
                str(form.get("assertion", "")),
                self._key.public_key(),
                algorithms=["RS256"],
                audience=self.token_uri,
                issuer=self.client_email,
            )
        except jwt.PyJWTError as exc:
            return web.json_response({"error": "invalid_grant", "error_description": str(exc)}, status=400)
        if claims.get("scope") != SCOPE or claims["exp"] - claims["iat"] > 3600:
            return web.json_response({"error": "invalid_scope"}, status=400)
        access = "ya29." + secrets.token_urlsafe(24)
        self.tokens[access] = time.monotonic() + self.token_ttl
        return web.json_response({"access_token": access, "expires_in": self.token_ttl, "token_type": "Bearer"})

    async def _send(self, request: web.Request) -> web.Response:
        self.send_attempts += 1
        if request.match_info["project"] != self.project_id:
            return _error(403, "PERMISSION_DENIED", "wrong project", "SENDER_ID_MISMATCH")
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        if not auth.startswith("Bearer ") or self.tokens.get(token, 0) < time.monotonic():
            return _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        try:
            message = (await request.json())["message"]
        except (ValueError, KeyError, TypeError):
            return _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        if self.failures:
            status, retry_after = self.failures.popleft()
            headers = {"Retry-After": retry_after} if retry_after else {}
            code = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}.get(status, "UNKNOWN")
            fcm = {429: "QUOTA_EXCEEDED", 503: "UNAVAILABLE", 500: "INTERNAL"}.get(status)
            resp = _error(status, code, "The service is currently unavailable.", fcm)
            resp.headers.update(headers)
            return resp
        device = message.get("token", "")
        if not device or device in self.invalid:
            return _error(
                400,
                "INVALID_ARGUMENT",
                "The registration token is not a valid FCM registration token",
                "INVALID_ARGUMENT",
            )
        if device in self.unregistered:
            return _error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")
        data = message.get("data", {})
        if not all(isinstance(v, str) for v in data.values()):
            return _error(400, "INVALID_ARGUMENT", "Invalid value at 'message.data': string expected")
        self.accepted.append(message)
        return web.json_response({"name": f"projects/{self.project_id}/messages/{next(self._ids)}"})

    async def start(self) -> FcmStandIn:
        app = web.Application()
        app.router.add_post("/token", self._token)
        app.router.add_post("/v1/projects/{project}/messages:send", self._send)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
