"""Secret values used by tests; the end-of-run scan asserts none of them reached any log."""

JWT_SECRET = "test-jwt-secret-5d1f0c9a7be34e21-0a1b2c3d"
# A configured secret means production mode: issuer and audience are required.
JWT_ISSUER = "https://issuer.stack-cfo.test"
JWT_AUDIENCE = "stack-cfo-test"
# With an external database the archive master key must be configured (never generated per pod).
ARCHIVE_MASTER_KEYS = "test1:" + "5f" * 32
# Well-known throwaway key (never funded); tests use it for the wallet/session token.
ZEROG_PRIVATE_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
ZEROG_API_KEY = "sk-test-router-key-8f2c44e1d0a9"
SMTP_PASSWORD = "smtp-test-password-77aa31"
# Signs the e-mails' one-click unsubscribe links (notifications.email.unsubscribe_secret).
EMAIL_UNSUBSCRIBE_SECRET = "unsubscribe-test-secret-" + "9c" * 16



def production_auth():  # type: ignore[no-untyped-def]
    """The auth settings the test servers run with (for minting tokens they accept)."""
    from stack_cfo.config import AuthConfig
    from stack_cfo.secret import Secret

    return AuthConfig(jwt_secret=Secret(JWT_SECRET), issuer=JWT_ISSUER, audience=JWT_AUDIENCE)


ALL = (JWT_SECRET, ZEROG_PRIVATE_KEY, ZEROG_PRIVATE_KEY[2:], ZEROG_API_KEY, SMTP_PASSWORD,
       ARCHIVE_MASTER_KEYS.split(":", 1)[1], EMAIL_UNSUBSCRIBE_SECRET)
