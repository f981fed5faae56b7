"""Bearer-JWT authentication and the principal of the current RPC.

A token is a *user* principal (``sub`` = the user's UUID, ``aud`` = ``auth.audience``) or a
*service* principal (``aud`` contains ``auth.service_audience`` and its ``scope`` claim the
service scope; ``sub`` names the service). A scope claim alone never makes a service: an
identity provider issues service tokens for the service audience (client credentials) and user
tokens for the user audience, so a user cannot promote their own token. A user may act only on
their own resources: someone else's answers NOT_FOUND (existence does not leak). A service may
act for any user.

Keys: an HS256 secret, PEM public keys, and JWKS URLs (:class:`~stack_cfo.api.jwks.JwksCache`).
*Local mode* is none of them configured: the secret generated into the data directory checks
tokens that ``stack-cfo token`` mints, and issuer/audience are optional. Any configured key is
production, where the configuration refuses to load without ``auth.issuer`` and ``auth.audience``.
"""

from __future__ import annotations

import contextvars
import secrets
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import jwt

from stack_cfo.api.jwks import JwksCache
from stack_cfo.config import AuthConfig
from stack_cfo.core import data_scope
from stack_cfo.core.data_scope import SERVICE_NAME_RULE, is_service_name
from stack_cfo.core.errors import PermissionDenied, Unauthenticated
from stack_cfo.core.ids import canonical_uuid
from stack_cfo.secret import Secret, read_or_create_private_file


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling. Exactly one of ``user_id`` / ``service`` is set."""

    user_id: str | None = None
    service: str | None = None
    #: The data scope of its calls, made at its first call (a verified principal is cached per
    #: token, so its id is parsed once, not on every call).
    _scope: data_scope.DataScope | None = field(default=None, init=False, repr=False, compare=False)
    #: Its log fields with each method it called (see :meth:`call_log_fields`).
    _call_fields: dict[str, dict[str, str]] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def is_service(self) -> bool:
        return self.service is not None

    @property
    def key(self) -> str:
        """Stable text for idempotency records: ``user:<id>`` or ``service:<name>``."""
        return f"user:{self.user_id}" if self.user_id else f"service:{self.service}"

    def log_fields(self) -> dict[str, str]:
        return {"user_id": self.user_id} if self.user_id else {"service": self.service or ""}

    def call_log_fields(self, method: str) -> dict[str, str]:
        """:meth:`log_fields` with ``grpc_method``, made once per method (a verified principal is
        cached per token, so its calls reuse the dict; log contexts never change a dict they are
        given). Not to be modified."""
        made = self._call_fields
        if made is None:
            made = {}
            object.__setattr__(self, "_call_fields", made)
        fields = made.get(method)
        if fields is None:
            fields = made[method] = {"grpc_method": method, **self.log_fields()}
        return fields


_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)


def current_principal() -> Principal:
    p = _current.get()
    if p is None:
        raise Unauthenticated("no authenticated principal", reason="UNAUTHENTICATED")
    return p


PrincipalToken = tuple[contextvars.Token[Principal | None], contextvars.Token[data_scope.DataScope | None]]


def set_principal(p: Principal | None) -> PrincipalToken:
    """Make ``p`` the current RPC's principal, and its data scope (row-level security) the scope
    of the RPC's database work: a user's rows; a service's own rows until it names a user it acts
    for (:func:`stack_cfo.api.resources.authorize`). No principal: no scope (no rows)."""
    scope = None
    if p is not None:
        scope = p._scope
        if scope is None:
            scope = data_scope.principal_scope(p.user_id, p.service)
            object.__setattr__(p, "_scope", scope)
    return _current.set(p), data_scope.set_scope(scope)


def reset_principal(token: PrincipalToken) -> None:
    principal, scope = token
    data_scope.reset(scope)
    _current.reset(principal)


def require_service(principal: Principal, *, operation: str) -> None:
    if not principal.is_service:
        raise PermissionDenied(
            f"{operation} is for service principals only",
            reason="SERVICE_PRINCIPAL_REQUIRED",
            metadata={"operation": operation},
        )


_HS = ["HS256"]
_ASYM = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA"]


#: What the interceptor passes for a call with several ``authorization`` headers (a NUL never occurs
#: in a header value): refused as TOKEN_INVALID, never cached.
AMBIGUOUS_AUTHORIZATION = "\x00several"


class TokenVerifier:
    """Verifies bearer JWTs. Verified tokens are cached (bounded LRU, keyed by the token text,
    only until the token's own expiry) so a client reusing its token does not pay for a
    signature check on every call."""

    CACHE_SIZE = 10_000

    def __init__(self, cfg: AuthConfig, secret: Secret | None, jwks: JwksCache | None = None) -> None:
        self._cfg = cfg
        self._secret = secret
        self._jwks = jwks
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._public_keys: list[str] = []
        if cfg.jwt_public_key_file is not None:
            text = cfg.jwt_public_key_file.read_text("utf-8")
            # One or more PEM blocks in one file; each is tried in turn.
            blocks = text.split("-----END PUBLIC KEY-----")
            self._public_keys = [b + "-----END PUBLIC KEY-----" for b in blocks if "BEGIN PUBLIC KEY" in b]

    @staticmethod
    def _token(authorization: str | None) -> str:
        if authorization == AMBIGUOUS_AUTHORIZATION:
            # which one a proxy in front checked is anyone's guess: accept neither
            raise Unauthenticated("more than one authorization header", reason="TOKEN_INVALID",
                                  metadata={"detail": "authorization"})
        if not authorization:
            raise Unauthenticated("missing authorization metadata", reason="TOKEN_MISSING")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("authorization must be 'Bearer <JWT>'", reason="TOKEN_INVALID",
                                  metadata={"detail": "authorization"})
        if "," in token:  # never in a JWT: two headers joined by a client or proxy (HTTP's list syntax)
            raise Unauthenticated("more than one authorization header (joined by a comma)", reason="TOKEN_INVALID",
                                  metadata={"detail": "authorization"})
        return token

    def _cached(self, authorization: str | None) -> Principal | None:
        """The principal of a header verified before and not expired since (the cache is keyed
        by the whole header: a call reusing its token is answered without parsing it)."""
        if not authorization:
            return None
        cached = self._cache.get(authorization)
        if cached is None:
            return None
        principal, valid_until = cached
        if time.time() <= valid_until:
            self._cache.move_to_end(authorization)
            return principal
        del self._cache[authorization]
        return None

    def verify(self, authorization: str | None) -> Principal:
        """Verify with the secret and PEM keys (and JWKS keys already fetched)."""
        cached = self._cached(authorization)
        if cached is not None:
            return cached
        token = self._token(authorization)
        return self._check(authorization, token, self._jwks.known(_header(token)) if self._jwks else [])

    async def averify(self, authorization: str | None) -> Principal:
        """As :meth:`verify`, fetching the JWKS when the token names a key id not seen yet."""
        cached = self._cached(authorization)
        if cached is not None:
            return cached
        token = self._token(authorization)
        keys = await self._jwks.keys_for(_header(token)) if self._jwks else []
        return self._check(authorization, token, keys)

    def _check(self, authorization: str | None, token: str, jwks_keys: list[object]) -> Principal:
        claims = self._decode(token, jwks_keys)
        principal = self._principal(claims)
        exp = claims.get("exp")
        if isinstance(exp, int | float) and authorization:
            # valid until its expiry plus the configured leeway, as the signature check allows
            self._cache[authorization] = (principal, float(exp) + self._cfg.leeway.total_seconds())
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
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else [str(a) for a in aud] if isinstance(aud, list) else []
        sub = str(claims.get("sub", ""))
        if self._cfg.service_audience in audiences:
            if self._cfg.service_scope not in scopes:
                raise Unauthenticated("a service token needs the service scope", reason="TOKEN_INVALID",
                                      metadata={"detail": "scope"})
            if not sub:
                raise Unauthenticated("service token needs a sub claim", reason="TOKEN_INVALID",
                                      metadata={"detail": "sub"})
            if not is_service_name(sub):
                raise Unauthenticated(f"a service token's sub must be a service name: {SERVICE_NAME_RULE}",
                                      reason="TOKEN_INVALID", metadata={"detail": "sub"})
            return Principal(service=sub)
        if self._cfg.service_scope in scopes:
            raise Unauthenticated("the service scope is only valid on a token for the service audience",
                                  reason="TOKEN_INVALID", metadata={"detail": "audience"})
        if self._cfg.audience and self._cfg.audience not in audiences:
            raise Unauthenticated("token is not for this audience", reason="TOKEN_INVALID",
                                  metadata={"detail": "audience"})
        user_id = canonical_uuid(sub)
        if user_id is None:  # braces, urn:uuid: or 32 digits would make one user of several subjects
            raise Unauthenticated("token sub must be a user id (a dashed UUID)", reason="TOKEN_INVALID",
                                  metadata={"detail": "sub"})
        return Principal(user_id=user_id)

    def _decode(self, token: str, jwks_keys: list[object]) -> dict[str, object]:
        # The audience is checked by _principal (user or service audience), not by PyJWT.
        options: dict[str, object] = {"require": ["exp", "sub"], "verify_aud": False}
        kwargs: dict[str, object] = {"leeway": self._cfg.leeway.total_seconds(), "options": options}
        if self._cfg.issuer:
            kwargs["issuer"] = self._cfg.issuer
            options["require"] = ["exp", "sub", "iss"]
        alg = _header(token).get("alg", "")
        keys: list[tuple[object, list[str]]] = []
        if alg in _HS and self._secret is not None:
            keys.append((self._secret.get(), _HS))
        if alg in _ASYM:
            keys.extend((k, _ASYM) for k in self._public_keys)
            keys.extend((k, [alg]) for k in jwks_keys)
        if not keys:
            # an algorithm we never accept ("none", HS512), or one we do with no key for it (an unknown kid, an HS256
            # token where only public keys are configured): PyJWT's names for the two
            detail = "InvalidAlgorithmError" if alg not in _HS and alg not in _ASYM else "InvalidKeyError"
            raise Unauthenticated("token algorithm not accepted or signing key unknown", reason="TOKEN_INVALID",
                                  metadata={"alg": str(alg)[:20], "detail": detail})
        last: Exception | None = None
        for key, algs in keys:
            try:
                claims: dict[str, object] = jwt.decode(token, key, algorithms=algs, **kwargs)  # type: ignore[arg-type]
            except jwt.ExpiredSignatureError:
                raise Unauthenticated("token expired", reason="TOKEN_EXPIRED") from None
            except _CLAIM_ERRORS as exc:
                # This key's signature matched: the claims are wrong, whatever the other keys say.
                raise Unauthenticated("token rejected", reason="TOKEN_INVALID",
                                      metadata={"detail": type(exc).__name__}) from None
            except jwt.PyJWTError as exc:
                last = exc
                continue
            for claim in ("exp", "nbf", "iat"):  # NumericDate (RFC 7519): PyJWT also takes "1796519723"
                value = claims.get(claim)
                if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                    raise Unauthenticated(f"token claim {claim} must be a number (seconds since the epoch)",
                                          reason="TOKEN_INVALID", metadata={"detail": claim})
            return claims
        raise Unauthenticated("token rejected", reason="TOKEN_INVALID", metadata={"detail": type(last).__name__})


#: Errors PyJWT raises after the signature verified: about the claims, not the key.
_CLAIM_ERRORS = (jwt.MissingRequiredClaimError, jwt.ImmatureSignatureError, jwt.InvalidIssuerError,
                 jwt.InvalidIssuedAtError, jwt.InvalidAudienceError)


def _header(token: str) -> dict[str, object]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthenticated("token is not a JWT", reason="TOKEN_INVALID",
                              metadata={"detail": "DecodeError"}) from None
    return header


def resolve_jwt_secret(cfg: AuthConfig, data_dir: Path) -> Secret | None:
    """The configured HS256 secret; with neither secret nor public keys configured, a random
    secret generated once into ``data_dir/jwt-secret`` (mode 0600) so a local ``make run``
    works and ``stack-cfo token`` can mint tokens for it."""
    if not cfg.local_mode:
        return cfg.jwt_secret
    text, _ = read_or_create_private_file(data_dir / "jwt-secret", lambda: secrets.token_urlsafe(48))
    return Secret(text)


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
        if cfg.audience:
            claims["aud"] = cfg.audience
    else:
        claims["sub"] = service
        claims["scope"] = cfg.service_scope
        claims["aud"] = cfg.service_audience
    if cfg.issuer:
        claims["iss"] = cfg.issuer
    return jwt.encode(claims, secret.get(), algorithm="HS256")
