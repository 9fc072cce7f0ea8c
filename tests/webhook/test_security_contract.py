"""Secret comparisons: exact, byte for byte, whatever the case, length or position of a difference.

The intake identifies an integration by its URL secret and checks the signing secret and the
admin token; a comparison that is lenient in any way (case, prefix, trailing whitespace)
widens what an attacker has to guess. These tests state that contract with secrets that
differ only a little, the way a guess would.
"""

from __future__ import annotations

import hashlib
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from dynatrace_agent.settings import Integration
from dynatrace_agent.webhook.security import (
    bearer_matches,
    find_integration,
    new_session_id,
    session_hash,
    tokens_equal,
)

SECRET = "Wh-9fK2mQ7xLzP4r"

NEAR_MISSES = [
    SECRET.lower(),  # differs only in case
    SECRET.upper(),
    SECRET.swapcase(),
    SECRET[:-1],  # a prefix
    SECRET + "0",  # an extension
    SECRET + " ",  # trailing whitespace
    " " + SECRET,
    SECRET[:-1] + "s",  # last character wrong
    "X" + SECRET[1:],  # first character wrong
    "",
]


def test_identical_secrets_are_equal() -> None:
    assert tokens_equal(SECRET, "".join(list(SECRET)))
    assert tokens_equal("", "")
    assert tokens_equal("ünïcödé-✓", "ünïcödé-✓")


@pytest.mark.parametrize("guess", NEAR_MISSES)
def test_secrets_differing_slightly_are_not_equal(guess: str) -> None:
    assert not tokens_equal(guess, SECRET)
    assert not tokens_equal(SECRET, guess)


@given(st.text(min_size=1, max_size=40))
def test_secrets_differing_only_in_case_are_not_equal(secret: str) -> None:
    for variant in {secret.lower(), secret.upper(), secret.swapcase(), secret.casefold()} - {secret}:
        assert not tokens_equal(variant, secret)


@given(st.text(max_size=40), st.text(max_size=40))
def test_equality_is_string_equality(a: str, b: str) -> None:
    assert tokens_equal(a, b) == (a == b)


def _integrations() -> list[Integration]:
    return [
        Integration(name="prod", webhook_secret=SecretStr(SECRET), environment="prod"),
        Integration(name="stage", webhook_secret=SecretStr(SECRET.swapcase()), environment="stage"),
        Integration(name="dev", webhook_secret=SecretStr("another-secret-entirely")),
    ]


def test_find_integration_tells_apart_secrets_that_differ_only_in_case() -> None:
    integrations = _integrations()
    assert find_integration(SECRET, integrations) is integrations[0]
    assert find_integration(SECRET.swapcase(), integrations) is integrations[1]
    assert find_integration(SECRET.lower(), integrations) is None
    assert find_integration(SECRET[:-1], integrations) is None


def test_find_integration_returns_the_first_configured_match() -> None:
    first = Integration(name="a", webhook_secret=SecretStr(SECRET))
    second = Integration(name="b", webhook_secret=SecretStr(SECRET))
    assert find_integration(SECRET, [first, second]) is first
    assert find_integration(SECRET, []) is None


def test_bearer_needs_the_exact_secret_and_accepts_any_case_of_the_scheme() -> None:
    secret = SecretStr(SECRET)
    assert bearer_matches(f"Bearer {SECRET}", secret)
    assert bearer_matches(f"bearer {SECRET}", secret)
    assert bearer_matches(f"  BEARER   {SECRET}  ", secret)
    assert not bearer_matches(f"Bearer {SECRET.lower()}", secret)
    assert not bearer_matches(f"Bearer {SECRET[:-1]}", secret)
    assert not bearer_matches(f"Basic {SECRET}", secret)
    assert not bearer_matches(SECRET, secret)
    assert not bearer_matches("", secret)
    assert not bearer_matches(None, secret)


def test_session_ids_are_fresh_256_bit_url_safe_tokens() -> None:
    ids = {new_session_id() for _ in range(50)}
    assert len(ids) == 50
    for sid in ids:
        assert len(sid) == 43 and set(sid) <= set(string.ascii_letters + string.digits + "-_")


def test_the_store_keeps_only_the_sha256_of_a_session_id() -> None:
    sid = "Zm9vYmFyLXNlc3Npb24taWQtZm9yLXRlc3Rpbmctb25seQ"
    assert session_hash(sid) == hashlib.sha256(sid.encode()).hexdigest()
    assert sid not in session_hash(sid)
    assert session_hash(sid.lower()) != session_hash(sid)
    assert len(session_hash("\ud800")) == 64  # any text hashes, none raises


def test_any_string_compares_without_raising_even_lone_surrogates() -> None:
    # Path segments are decoded by the server; whatever arrives must compare, never raise.
    assert tokens_equal("\ud800abc", "\ud800abc")
    assert not tokens_equal("\ud800abc", "\udc00abc")
    assert not tokens_equal("\ud800", SECRET)
    integrations = _integrations()
    assert find_integration("\udfff" + SECRET, integrations) is None
