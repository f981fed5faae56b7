"""The Standard Webhooks signature against the specification's published example, and the pure parts of
the webhook endpoint and feed domain."""

from __future__ import annotations

import asyncio

import pytest

from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.notifications.notification_feed import FeedWakeups, parse_cursor
from stack_cfo.core.notifications.webhooks import new_secret, parse_url, secret_key, signature
from stack_cfo.secret import Secret


def test_signature_matches_the_standard_webhooks_example() -> None:
    # https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
    secret = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    header = signature([secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert header == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_two_secrets_give_two_signatures_in_order() -> None:
    a, b = Secret(new_secret()), Secret(new_secret())
    both = signature([a, b], "id", 1, b"{}").split(" ")
    assert both == [signature([a], "id", 1, b"{}"), signature([b], "id", 1, b"{}")]


def test_new_secrets_are_32_random_bytes() -> None:
    s1, s2 = new_secret(), new_secret()
    assert s1.startswith("whsec_") and s1 != s2 and len(secret_key(s1)) == 32


@pytest.mark.parametrize(
    ("url", "local_ok", "production_ok"),
    [
        ("https://hooks.example.com/stack", True, True),
        ("https://hooks.example.com:8443/x?y=1", True, True),
        ("http://hooks.example.com/x", True, False),
        ("https://hooks.example.com/x#frag", False, False),
        ("https://u:p@hooks.example.com/x", False, False),
        ("file:///etc/passwd", False, False),
        ("https:///nohost", False, False),
        ("https://hooks.example.com/ spaced", False, False),
        ("https://hooks.example.com:99999/x", False, False),
        ("https://hooks.example.com:0/x", False, False),
    ],
)
def test_url_syntax(url: str, local_ok: bool, production_ok: bool) -> None:
    for allow, ok in ((True, local_ok), (False, production_ok)):
        if ok:
            parse_url(url, allow_private=allow)
        else:
            with pytest.raises(InvalidArgument) as info:
                parse_url(url, allow_private=allow)
            assert info.value.reason == "INVALID_WEBHOOK_URL"


def test_a_url_with_whitespace_is_told_so_and_a_long_one_its_length() -> None:
    for url in ("not a url", "http://exa mple.com/", " https://example.com/", "https://example.com/\n"):
        with pytest.raises(InvalidArgument) as info:
            parse_url(url, allow_private=False)
        assert "spaces" in info.value.message and "2048" not in info.value.message, url
    with pytest.raises(InvalidArgument) as info:
        parse_url("https://example.com/" + "a" * 2048, allow_private=False)
    assert "at most 2048 characters" in info.value.message and "spaces" not in info.value.message


def test_cursors_are_decimal_positions() -> None:
    assert parse_cursor("") == 0 and parse_cursor("42") == 42
    for bad in ("-1", "abc", "1" * 19, "\u00b2"):
        with pytest.raises(InvalidArgument) as info:
            parse_cursor(bad)
        assert info.value.reason == "INVALID_CURSOR"


async def test_wakeups_reach_only_subscribers_of_that_feed_and_never_get_lost() -> None:
    wakeups = FeedWakeups()
    with wakeups.subscription(1) as one, wakeups.subscription(2) as two:
        wakeups.notify(1)  # published between a stream's query and its wait: the event stays set
        await asyncio.wait_for(one.wait(), 1)
        assert not two.is_set()
        wakeups.notify_all()
        assert two.is_set()
    wakeups.notify(1)  # nobody listening: nothing to do, nothing kept
    assert wakeups._waiters == {}
