"""TokenVerifier: principals, and the verified-token cache never outliving a token."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import jwt
import pytest

from stack_cfo.api.auth import TokenVerifier, mint_token
from stack_cfo.config import AuthConfig
from stack_cfo.core.errors import Unauthenticated
from stack_cfo.secret import Secret

SECRET = Secret("unit-test-secret-0123456789abcdef0123")


def test_user_and_service_principals() -> None:
    v = TokenVerifier(AuthConfig(), SECRET)
    user = str(uuid.uuid4())
    assert v.verify("Bearer " + mint_token(SECRET, user_id=user)).user_id == user
    p = v.verify("Bearer " + mint_token(SECRET, service="billing"))
    assert p.is_service and p.service == "billing"


def test_two_authorization_headers_joined_by_a_comma_are_named_as_such() -> None:
    """Connect-node (and HTTP proxies) join repeated headers with ", ": it said "token is not a JWT"."""
    v = TokenVerifier(AuthConfig(), SECRET)
    token = "Bearer " + mint_token(SECRET, user_id=str(uuid.uuid4()))
    for header in (f"{token}, {token}", f"{token},{token}"):
        with pytest.raises(Unauthenticated) as ei:
            v.verify(header)
        assert (ei.value.reason, ei.value.message) == (
            "TOKEN_INVALID", "more than one authorization header (joined by a comma)")


def test_cached_token_still_expires() -> None:
    v = TokenVerifier(AuthConfig(leeway=timedelta(0)), SECRET)
    user = str(uuid.uuid4())
    now = int(time.time())
    token = jwt.encode({"sub": user, "iat": now, "exp": now + 1}, SECRET.get(), algorithm="HS256")
    assert v.verify(f"Bearer {token}").user_id == user
    assert v.verify(f"Bearer {token}").user_id == user  # from the cache
    time.sleep(max(0.0, now + 2.05 - time.time()))
    with pytest.raises(Unauthenticated) as ei:
        v.verify(f"Bearer {token}")
    assert ei.value.reason == "TOKEN_EXPIRED"


def test_a_tampered_token_is_never_served_from_the_cache() -> None:
    v = TokenVerifier(AuthConfig(), SECRET)
    good = mint_token(SECRET, user_id=str(uuid.uuid4()))
    v.verify(f"Bearer {good}")
    head, body, sig = good.split(".")
    forged = f"{head}.{body}.{sig[:-2]}AA"
    with pytest.raises(Unauthenticated):
        v.verify(f"Bearer {forged}")


def test_every_token_invalid_refusal_says_why() -> None:
    """security.md: why a token was refused is ErrorInfo.metadata["detail"] of TOKEN_INVALID; some refusals
    carried none (alg none, HS512, an unknown key, no JWT, a header that is not one Bearer token); found by a
    security tester."""
    v = TokenVerifier(AuthConfig(), SECRET)
    user = str(uuid.uuid4())
    none = jwt.encode({"sub": user, "exp": int(time.time()) + 60}, None, algorithm="none")
    hs512 = jwt.encode({"sub": user, "exp": int(time.time()) + 60}, SECRET.get() * 2, algorithm="HS512")
    rs256 = jwt.encode({"sub": user, "exp": int(time.time()) + 60}, _RSA_KEY, algorithm="RS256")
    cases = {
        "Bearer " + none: "InvalidAlgorithmError",
        "Bearer " + hs512: "InvalidAlgorithmError",
        "Bearer " + rs256: "InvalidKeyError",  # an accepted algorithm, but no public key is configured
        "Bearer not-a-jwt": "DecodeError",
        "Basic dXNlcjpwYXNz": "authorization",
        "Bearer": "authorization",
        "Bearer a, Bearer b": "authorization",
    }
    for header, detail in cases.items():
        with pytest.raises(Unauthenticated) as ei:
            v.verify(header)
        assert (ei.value.reason, ei.value.metadata.get("detail")) == ("TOKEN_INVALID", detail), header


def _rsa_key() -> object:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


_RSA_KEY = _rsa_key()
