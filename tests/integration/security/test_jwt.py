"""JWT in production mode: issuer and audience required, identity providers' keys from a JWKS
URL (a local HTTP server started by the test), service principals told apart by audience."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import grpc
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc, scheduler_pb2, scheduler_pb2_grpc
from stack_cfo.api.jwks import JwksCache
from tests.integration.portfolio.support import error_details
from tests.support.server import running_server

ISSUER = "https://idp.example.test/"
AUDIENCE = "stack-cfo-api"
SERVICE_AUDIENCE = "stack-cfo-internal"


class IdentityProvider:
    """A JWKS endpoint on 127.0.0.1 whose key set the test changes; counts the fetches."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.fetches = 0
        self.down = False
        self.url = ""

    def add_key(self) -> str:
        kid = uuid.uuid4().hex[:12]
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return kid

    def token(self, kid: str, *, sub: str, aud: str = AUDIENCE, iss: str = ISSUER, scope: str = "",
              ttl: int = 600) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {"sub": sub, "aud": aud, "iss": iss, "iat": now, "exp": now + ttl}
        if scope:
            claims["scope"] = scope
        return jwt.encode(claims, self.keys[kid], algorithm="RS256", headers={"kid": kid})

    async def _jwks(self, _: web.Request) -> web.Response:
        self.fetches += 1
        if self.down:
            return web.Response(status=503)
        keys = []
        for kid, key in self.keys.items():
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "alg": "RS256", "use": "sig"})
        return web.json_response({"keys": keys})

    @asynccontextmanager
    async def serve(self) -> AsyncIterator[IdentityProvider]:
        app = web.Application()
        app.router.add_get("/.well-known/jwks.json", self._jwks)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/.well-known/jwks.json"
        try:
            yield self
        finally:
            await runner.cleanup()


def _auth(url: str, **extra: Any) -> dict[str, Any]:
    return {"auth": {"jwt_secret": None, "jwks_urls": [url], "issuer": ISSUER, "audience": AUDIENCE,
                     "service_audience": SERVICE_AUDIENCE, "jwks_min_refresh": "1s", **extra}}


async def _call(srv: Any, token: str, user: str) -> tuple[grpc.StatusCode, str]:
    chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
    try:
        await chat.ListSessions(chat_pb2.ListSessionsRequest(parent=f"users/{user}"),
                                metadata=[("authorization", f"Bearer {token}")], timeout=5)
    except grpc.aio.AioRpcError as err:
        return err.code(), error_details(err)[0].reason
    return grpc.StatusCode.OK, ""


async def test_jwks_keys_are_fetched_cached_and_refreshed_on_an_unknown_kid(db_dsn: str, data_dir: Path) -> None:
    idp = IdentityProvider()
    first = idp.add_key()
    async with idp.serve(), running_server(db_dsn, data_dir, _auth(idp.url)) as srv:
        user = str(uuid.uuid4())
        for _ in range(5):
            assert await _call(srv, idp.token(first, sub=user), user) == (grpc.StatusCode.OK, "")
        assert idp.fetches == 1  # fetched once, then cached

        # The provider rotates: a token signed with a new key id makes us fetch again.
        second = idp.add_key()
        await asyncio.sleep(1.05)  # past jwks_min_refresh
        assert await _call(srv, idp.token(second, sub=user), user) == (grpc.StatusCode.OK, "")
        assert idp.fetches == 2

        # Made-up key ids cannot make us hammer the provider: at most one fetch per min_refresh.
        forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        await asyncio.sleep(1.05)
        for _ in range(20):
            forged = jwt.encode({"sub": user, "aud": AUDIENCE, "iss": ISSUER, "exp": int(time.time()) + 60},
                                forger, algorithm="RS256", headers={"kid": uuid.uuid4().hex})
            assert await _call(srv, forged, user) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID")
        assert idp.fetches == 3

        # The provider is down: the keys we have keep working.
        idp.down = True
        await asyncio.sleep(1.05)
        other = str(uuid.uuid4())
        assert await _call(srv, idp.token(first, sub=other), other) == (grpc.StatusCode.OK, "")


async def test_issuer_and_audience_are_checked(db_dsn: str, data_dir: Path) -> None:
    idp = IdentityProvider()
    kid = idp.add_key()
    async with idp.serve(), running_server(db_dsn, data_dir, _auth(idp.url)) as srv:
        user = str(uuid.uuid4())
        assert await _call(srv, idp.token(kid, sub=user, iss="https://evil.example/"), user) == (
            grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID")
        assert await _call(srv, idp.token(kid, sub=user, aud="other-api"), user) == (
            grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID")
        assert await _call(srv, idp.token(kid, sub=user, ttl=-120), user) == (
            grpc.StatusCode.UNAUTHENTICATED, "TOKEN_EXPIRED")


async def test_service_principals_are_told_apart_by_audience_not_by_a_claim(db_dsn: str, data_dir: Path) -> None:
    idp = IdentityProvider()
    kid = idp.add_key()
    async with idp.serve(), running_server(db_dsn, data_dir, _auth(idp.url)) as srv:
        sched = scheduler_pb2_grpc.SchedulerServiceStub(srv.channel)

        async def status(token: str) -> tuple[grpc.StatusCode, str]:
            try:
                await sched.GetSchedulerStatus(scheduler_pb2.GetSchedulerStatusRequest(),
                                               metadata=[("authorization", f"Bearer {token}")], timeout=5)
            except grpc.aio.AioRpcError as err:
                return err.code(), error_details(err)[0].reason
            return grpc.StatusCode.OK, ""

        service = idp.token(kid, sub="billing", aud=SERVICE_AUDIENCE, scope="stack-cfo:service")
        assert await status(service) == (grpc.StatusCode.OK, "")
        # A user token that claims the service scope is not a service (and not accepted at all).
        promoted = idp.token(kid, sub=str(uuid.uuid4()), scope="stack-cfo:service")
        assert await status(promoted) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID")
        # The service audience without the service scope is not enough either.
        assert await status(idp.token(kid, sub="billing", aud=SERVICE_AUDIENCE)) == (
            grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID")
        # A plain user token is a user: service-only RPCs refuse it.
        assert await status(idp.token(kid, sub=str(uuid.uuid4()))) == (
            grpc.StatusCode.PERMISSION_DENIED, "SERVICE_PRINCIPAL_REQUIRED")
        # A service name that no resource name can hold is refused at the door (it was INTERNAL: the
        # data scope refused it after authentication).
        for sub in ("a/b", "svc:1", "-x", "x" * 65):
            assert await status(idp.token(kid, sub=sub, aud=SERVICE_AUDIENCE, scope="stack-cfo:service")) == (
                grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID"), sub


async def test_jwks_cache_refetches_after_max_age() -> None:
    fetched: list[str] = []
    clock = [0.0]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": "k1", "alg": "RS256"}

    async def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        return {"keys": [jwk, {"kty": "unknown-type", "kid": "skip-me"}]}

    cache = JwksCache(["u"], min_refresh=10, max_age=100, fetch=fetch, clock=lambda: clock[0])
    assert len(await cache.keys_for({"kid": "k1", "alg": "RS256"})) == 1
    clock[0] = 50
    await cache.keys_for({"kid": "k1", "alg": "RS256"})
    assert len(fetched) == 1
    clock[0] = 101
    await cache.keys_for({"kid": "k1", "alg": "RS256"})
    assert len(fetched) == 2


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"STACK_CFO_JWT_SECRET": "s" * 32}, "STACK_CFO_JWT_ISSUER"),
        ({"STACK_CFO_JWT_SECRET": "s" * 32, "STACK_CFO_JWT_ISSUER": "https://i"}, "STACK_CFO_JWT_AUDIENCE"),
        ({"STACK_CFO_JWT_JWKS_URLS": "http://127.0.0.1:9/jwks", "STACK_CFO_JWT_AUDIENCE": "a"},
         "STACK_CFO_JWT_ISSUER"),
    ],
)
def test_production_mode_without_issuer_or_audience_refuses_to_start(tmp_path: Path, env: dict[str, str],
                                                                     key: str) -> None:
    from tests.support.proc import cli_env, finish, start_cli

    base = cli_env({"STACK_CFO_DATA_DIR": str(tmp_path)})
    for name in ("STACK_CFO_JWT_SECRET", "STACK_CFO_JWT_ISSUER", "STACK_CFO_JWT_AUDIENCE"):
        base.pop(name, None)
    rc, _, err = finish(start_cli(["serve"], {**base, **env}), "serve without iss/aud")
    assert rc == 2
    assert key in err and "invalid configuration" in err


def test_local_mode_token_command_still_works(tmp_path: Path) -> None:
    """No key configured: `stack-cfo token` mints with the generated local secret, and the
    server started the same way accepts it (the README's local flow)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "STACK_CFO_DATA_DIR": str(tmp_path)}
    user = str(uuid.uuid4())
    out = subprocess.run([sys.executable, "-m", "stack_cfo.cli", "token", "--user", user], env=env,
                         capture_output=True, text=True, check=True).stdout.strip()
    secret = (tmp_path / "jwt-secret").read_text().strip()
    assert jwt.decode(out, secret, algorithms=["HS256"], options={"verify_aud": False})["sub"] == user
    from stack_cfo.api.auth import TokenVerifier, resolve_jwt_secret
    from stack_cfo.config import load_config

    config = load_config(None, env)
    assert config.auth.local_mode
    verifier = TokenVerifier(config.auth, resolve_jwt_secret(config.auth, tmp_path))
    assert verifier.verify(f"Bearer {out}").user_id == user


async def test_a_refusal_names_what_was_wrong_with_the_key_that_signed_it(
    db_dsn: str, data_dir: Path, tmp_path: Path
) -> None:
    """A PEM key and a JWKS: a token the PEM key signed, with a claim wrong, is refused for that claim
    (the detail named the last key tried, InvalidSignatureError, before). The user id in ``sub`` has
    one spelling: braces, urn:uuid: and the 32-digit form were the same user as the dashed UUID.
    NumericDate claims are numbers: PyJWT alone also takes "exp": "1796519723"."""
    from cryptography.hazmat.primitives import serialization

    pem_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "idp.pem"
    pem.write_bytes(pem_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo))
    idp = IdentityProvider()
    idp.add_key()
    user = str(uuid.uuid4())
    now = int(time.time())
    good = {"sub": user, "aud": AUDIENCE, "iss": ISSUER, "iat": now, "exp": now + 600}

    async def refusal(drop: str = "", **claims: Any) -> tuple[grpc.StatusCode, str, str]:
        token = jwt.encode({k: v for k, v in {**good, **claims}.items() if k != drop}, pem_key, algorithm="RS256")
        chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
        try:
            await chat.ListSessions(chat_pb2.ListSessionsRequest(parent=f"users/{user}"),
                                    metadata=[("authorization", f"Bearer {token}")], timeout=5)
        except grpc.aio.AioRpcError as err:
            info = error_details(err)[0]
            return err.code(), info.reason, info.metadata.get("detail", "")
        return grpc.StatusCode.OK, "", ""

    async with idp.serve(), running_server(db_dsn, data_dir, _auth(idp.url, jwt_public_key_file=str(pem))) as srv:
        assert await refusal() == (grpc.StatusCode.OK, "", "")
        assert await refusal(sub=user.upper()) == (grpc.StatusCode.OK, "", "")  # the one other spelling
        bad = (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID")
        assert await refusal(iss="https://evil.example/") == (*bad, "InvalidIssuerError")
        assert await refusal(nbf=now + 300) == (*bad, "ImmatureSignatureError")
        assert await refusal(drop="sub") == (*bad, "MissingRequiredClaimError")
        for other in (f"{{{user}}}", f"urn:uuid:{user}", user.replace("-", "")):
            assert await refusal(sub=other) == (*bad, "sub"), other
        assert await refusal(exp=str(now + 600)) == (*bad, "exp")
