"""Bearer-JWT authentication and the principal of the current RPC.

A token is a *user* principal (``sub`` = the user's UUID) or a *service* principal (its
``scope`` claim contains the configured service scope; ``sub`` names the service). A user
may act only on their own resources: someone else's answers NOT_FOUND (existence does not
leak). A service may act for any user.
"""

from __future__ import annotations

import contextvars
import os
import secrets
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import jwt

from stack_cfo.config import AuthConfig
from stack_cfo.core.errors import PermissionDenied, Unauthenticated
from stack_cfo.secret import Secret


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling. Exactly one of ``user_id`` / ``service`` is set."""

    user_id: str | None = None
    service: str | None = None

    @property
    def is_service(self) -> bool:
        return self.service is not None

    @property
    def key(self) -> str:
        """Stable text for idempotency records: ``user:<id>`` or ``service:<name>``."""
        return f"user:{self.user_id}" if self.user_id else f"service:{self.service}"

    def log_fields(self) -> dict[str, str]:
        return {"user_id": self.user_id} if self.user_id else {"service": self.service or ""}


_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)


def current_principal() -> Principal:
    p = _current.get()
    if p is None:
        raise Unauthenticated("no authenticated principal", reason="UNAUTHENTICATED")
    return p


def set_principal(p: Principal | None) -> contextvars.Token[Principal | None]:
    return _current.set(p)


def reset_principal(token: contextvars.Token[Principal | None]) -> None:
    _current.reset(token)


def require_service(principal: Principal, *, operation: str) -> None:
    if not principal.is_service:
        raise PermissionDenied(
            f"{operation} is for service principals only",
            reason="SERVICE_PRINCIPAL_REQUIRED",
            metadata={"operation": operation},
        )


_HS = ["HS256"]
_ASYM = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA"]


class TokenVerifier:
    """Verifies bearer JWTs. Verified tokens are cached (bounded LRU, keyed by the token text,
    only until the token's own expiry) so a client reusing its token does not pay for a
    signature check on every call."""

    CACHE_SIZE = 10_000

    def __init__(self, cfg: AuthConfig, secret: Secret | None) -> None:
        self._cfg = cfg
        self._secret = secret
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._public_keys: list[str] = []
        if cfg.jwt_public_key_file is not None:
            text = cfg.jwt_public_key_file.read_text("utf-8")
            # One or more PEM blocks in one file; each is tried in turn.
            blocks = text.split("-----END PUBLIC KEY-----")
            self._public_keys = [b + "-----END PUBLIC KEY-----" for b in blocks if "BEGIN PUBLIC KEY" in b]

    def verify(self, authorization: str | None) -> Principal:
        if not authorization:
            raise Unauthenticated("missing authorization metadata", reason="TOKEN_MISSING")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("authorization must be 'Bearer <JWT>'", reason="TOKEN_INVALID")
        cached = self._cache.get(token)
        if cached is not None:
            principal, expires = cached
            if time.time() <= expires + self._cfg.leeway.total_seconds():
                self._cache.move_to_end(token)
                return principal
            del self._cache[token]
        claims = self._decode(token)
        principal = self._principal(claims)
        exp = claims.get("exp")
        if isinstance(exp, int | float):
            self._cache[token] = (principal, float(exp))
            if len(self._cache) > self.CACHE_SIZE:
                self._cache.popitem(last=False)
        return principal

    def _principal(self, claims: dict[str, object]) -> Principal:
        scope = claims.get("scope", "")
        if isinstance(scope, str):
            scopes = scope.split()
        elif isinstance(scope, list | tuple):
            scopes = [str(s) for s in scope]
        else:
            scopes = []
        sub = str(claims.get("sub", ""))
        if self._cfg.service_scope in scopes:
            if not sub:
                raise Unauthenticated("service token needs a sub claim", reason="TOKEN_INVALID")
            return Principal(service=sub)
        try:
            user_id = str(uuid.UUID(sub))
        except ValueError:
            raise Unauthenticated("token sub must be a user id (UUID)", reason="TOKEN_INVALID") from None
        return Principal(user_id=user_id)

    def _decode(self, token: str) -> dict[str, object]:
        options = {"require": ["exp", "sub"]}
        kwargs: dict[str, object] = {"leeway": self._cfg.leeway.total_seconds(), "options": options}
        if self._cfg.issuer:
            kwargs["issuer"] = self._cfg.issuer
        if self._cfg.audience:
            kwargs["audience"] = self._cfg.audience
        else:
            options["verify_aud"] = False  # type: ignore[assignment]
        try:
            alg = jwt.get_unverified_header(token).get("alg", "")
        except jwt.PyJWTError:
            raise Unauthenticated("token is not a JWT", reason="TOKEN_INVALID") from None
        keys: list[tuple[object, list[str]]] = []
        if alg in _HS and self._secret is not None:
            keys.append((self._secret.get(), _HS))
        if alg in _ASYM:
            keys.extend((k, _ASYM) for k in self._public_keys)
        if not keys:
            raise Unauthenticated("token algorithm not accepted", reason="TOKEN_INVALID", metadata={"alg": alg})
        last: Exception | None = None
        for key, algs in keys:
            try:
                return jwt.decode(token, key, algorithms=algs, **kwargs)  # type: ignore[arg-type]
            except jwt.ExpiredSignatureError:
                raise Unauthenticated("token expired", reason="TOKEN_EXPIRED") from None
            except jwt.PyJWTError as exc:
                last = exc
        raise Unauthenticated("token rejected", reason="TOKEN_INVALID", metadata={"detail": type(last).__name__})


def resolve_jwt_secret(cfg: AuthConfig, data_dir: Path) -> Secret | None:
    """The configured HS256 secret; with neither secret nor public keys configured, a random
    secret generated once into ``data_dir/jwt-secret`` (mode 0600) so a local ``make run``
    works and ``stack-cfo token`` can mint tokens for it."""
    if cfg.jwt_secret is not None or cfg.jwt_public_key_file is not None:
        return cfg.jwt_secret
    path = data_dir / "jwt-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return Secret(path.read_text("utf-8").strip())


def mint_token(
    secret: Secret,
    *,
    user_id: str | None = None,
    service: str | None = None,
    ttl_seconds: int = 3600,
    cfg: AuthConfig | None = None,
) -> str:
    cfg = cfg or AuthConfig()
    if (user_id is None) == (service is None):
        raise ValueError("exactly one of user_id or service")
    now = int(time.time())
    claims: dict[str, object] = {"iat": now, "exp": now + ttl_seconds}
    if user_id is not None:
        claims["sub"] = str(uuid.UUID(user_id))
    else:
        claims["sub"] = service
        claims["scope"] = cfg.service_scope
    if cfg.issuer:
        claims["iss"] = cfg.issuer
    if cfg.audience:
        claims["aud"] = cfg.audience
    return jwt.encode(claims, secret.get(), algorithm="HS256")
