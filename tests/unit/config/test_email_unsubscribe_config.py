"""``notifications.email``: the unsubscribe URL template and its secret are checked at start-up, with
errors that name the key (and never print the secret)."""

from __future__ import annotations

import pytest

from stack_cfo.config import ConfigError, build_config

SECRET = "config-unsubscribe-secret-" + "5b" * 16


def _email(**email: object) -> dict[str, object]:
    return {"notifications": {"email": email}}


def test_unset_means_no_links() -> None:
    email = build_config({}).notifications.email
    assert (email.unsubscribe_url, email.unsubscribe_secret, email.unsubscribe_links) == ("", None, False)


def test_a_url_with_its_secret_and_a_secret_alone_are_accepted() -> None:
    email = build_config({}, {"EMAIL_UNSUBSCRIBE_URL": "https://app.example/u/{token}",
                              "EMAIL_UNSUBSCRIBE_SECRET": SECRET}).notifications.email
    assert email.unsubscribe_url == "https://app.example/u/{token}" and email.unsubscribe_links
    assert email.unsubscribe_secret is not None and email.unsubscribe_secret.get() == SECRET
    # the secret alone: no links in new e-mails, but the links already sent keep working
    alone = build_config(_email(unsubscribe_secret=SECRET)).notifications.email
    assert not alone.unsubscribe_links and alone.unsubscribe_secret is not None


def test_the_url_needs_the_secret() -> None:
    with pytest.raises(ConfigError) as ei:
        build_config(_email(unsubscribe_url="https://app.example/u/{token}"))
    assert "notifications.email.unsubscribe_secret" in str(ei.value)
    assert "required when unsubscribe_url is set" in str(ei.value)


def test_a_short_secret_is_refused_without_being_printed() -> None:
    short = "s3cr3t-but-only-31-bytes-long!!"
    assert len(short) == 31
    with pytest.raises(ConfigError) as ei:
        build_config({}, {"EMAIL_UNSUBSCRIBE_URL": "https://app.example/u/{token}", "EMAIL_UNSUBSCRIBE_SECRET": short})
    text = str(ei.value)
    assert "EMAIL_UNSUBSCRIBE_SECRET" in text and "at least 32 bytes" in text and short not in text


def test_the_secret_is_redacted() -> None:
    config = build_config(_email(unsubscribe_url="https://app.example/u/{token}", unsubscribe_secret=SECRET))
    assert SECRET not in repr(config) and SECRET not in config.model_dump_json()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://app.example/unsubscribe", "exactly once"),
        ("https://app.example/u/{token}/{token}", "exactly once"),
        ("/unsubscribe/{token}", "absolute http(s) URL"),
        ("app.example/u/{token}", "absolute http(s) URL"),
        ("mailto:unsubscribe@app.example?subject={token}", "absolute http(s) URL"),
        ("https://app.example:99999/u/{token}", "absolute http(s) URL"),
        ("https://{token}.app.example/", "path or query"),
        ("https://app.example/u#{token}", "path or query"),
        ("https://app.example/u/{token}, https://other.example/", "ASCII without blanks"),
        ("https://app.example/u/{token}>", "angle brackets"),
    ],
)
def test_bad_url_templates_are_refused_naming_the_key(url: str, problem: str) -> None:
    with pytest.raises(ConfigError) as ei:
        build_config(_email(unsubscribe_url=url, unsubscribe_secret=SECRET))
    assert "notifications.email.unsubscribe_url" in str(ei.value) and problem in str(ei.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://app.example/u/{token}",  # RFC 8058: the one-click URI is an HTTPS one
        "HTTP://app.example/u/{token}",
        "http://127.0.0.2.example/u/{token}",
        "http://localhost.example/u/{token}",
    ],
)
def test_http_is_refused_except_on_a_loopback_host(url: str) -> None:
    with pytest.raises(ConfigError) as ei:
        build_config(_email(unsubscribe_url=url, unsubscribe_secret=SECRET))
    assert "notifications.email.unsubscribe_url" in str(ei.value) and "must be an https URL" in str(ei.value)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/u/{token}", "http://[::1]:8080/u?t={token}", "http://localhost/u/{token}",
            "https://app.example/u?t={token}&from=a@b.example"])
def test_http_on_a_loopback_host_and_an_at_sign_after_the_host_are_accepted(url: str) -> None:
    email = build_config(_email(unsubscribe_url=url, unsubscribe_secret=SECRET)).notifications.email
    assert email.unsubscribe_url == url


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://user:pw@app.example/u/{token}", "user information"),
        ("https://app.example@evil.example/u/{token}", "user information"),
        ("https://@app.example/u/{token}", "user information"),
        # a browser reads the backslash as "/" (host a.example), a URL parser takes evil.example
        ("https://a.example\\@evil.example/{token}", "backslashes"),
        ("https://app.example\\u/{token}", "backslashes"),
    ],
)
def test_user_information_and_backslashes_are_refused(url: str, problem: str) -> None:
    with pytest.raises(ConfigError) as ei:
        build_config(_email(unsubscribe_url=url, unsubscribe_secret=SECRET))
    assert "notifications.email.unsubscribe_url" in str(ei.value) and problem in str(ei.value)


def test_the_template_is_short_enough_for_one_header_line() -> None:
    """RFC 5322: a header line is at most 998 octets; the token (46 characters) replaces {token}."""
    base = "https://app.example/u?t={token}&p="
    fits = base + "a" * (800 - len(base))
    email = build_config(_email(unsubscribe_url=fits, unsubscribe_secret=SECRET)).notifications.email
    header = f"List-Unsubscribe: <{fits.replace('{token}', 'A' * 46)}>"
    assert email.unsubscribe_url == fits and len(header) < 998
    with pytest.raises(ConfigError) as ei:
        build_config(_email(unsubscribe_url=fits + "a", unsubscribe_secret=SECRET))
    assert "notifications.email.unsubscribe_url" in str(ei.value) and "at most 800 characters" in str(ei.value)
    with pytest.raises(ConfigError):
        build_config(_email(unsubscribe_url=base + "a" * 2000, unsubscribe_secret=SECRET))
