"""Secret comparisons for the intake and the admin pages, all in constant time.

The webhook URL secret identifies the integration; looking it up compares against every
configured secret (never stopping at the first match) so response timing reveals neither
which secrets exist nor how much of one was guessed. A signed-in browser holds a random
session id; the store keeps only its SHA-256 with an expiry, so logging out (or the expiry)
revokes a copied cookie, and reading the database yields no usable session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from pydantic import SecretStr

from dynatrace_agent.settings import Integration

__all__ = [
    "SESSION_COOKIE",
    "bearer_matches",
    "find_integration",
    "new_session_id",
    "session_hash",
    "tokens_equal",
]

SESSION_COOKIE = "dt_agent_session"


def tokens_equal(given: str, expected: str) -> bool:
    """Constant-time equality of two strings (digests first, so lengths leak nothing)."""
    a = hashlib.sha256(given.encode("utf-8", "surrogatepass")).digest()
    b = hashlib.sha256(expected.encode("utf-8", "surrogatepass")).digest()
    return hmac.compare_digest(a, b)


def find_integration(secret: str, integrations: Sequence[Integration]) -> Integration | None:
    """The integration whose webhook secret is ``secret``, comparing against all of them."""
    match: Integration | None = None
    for integration in integrations:
        if tokens_equal(secret, integration.webhook_secret.get_secret_value()) and match is None:
            match = integration
    return match


def bearer_matches(authorization: str | None, secret: SecretStr) -> bool:
    """Whether an ``Authorization`` header is ``Bearer <secret>`` (scheme case-insensitive)."""
    if not authorization:
        tokens_equal("", secret.get_secret_value())
        return False
    scheme, _, token = authorization.strip().partition(" ")
    ok = tokens_equal(token.strip(), secret.get_secret_value())
    return ok and scheme.lower() == "bearer"


def new_session_id() -> str:
    """A fresh, unguessable session id (256 random bits)."""
    return secrets.token_urlsafe(32)


def session_hash(session_id: str) -> str:
    """What the store keeps for a session id: its SHA-256, never the id itself."""
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()
