"""Redaction replaces secrets and personal data with stable pseudonyms."""

from __future__ import annotations

import pytest

from dynatrace_agent.redact import Redactor, parse_rule


def test_default_rules_cover_emails_ips_tokens_and_user_fields() -> None:
    redactor = Redactor.build()
    record = {
        "content": "login failed for jane.doe@example.com from 10.1.2.3 "
        "with dt0c01.ABCDEF.GHIJKL password=hunter2",
        "userId": "jane-42",
        "nested": {"user.id": "jane-42", "n": 5},
    }
    out = redactor.value(record)
    text = str(out)
    for secret in ("jane.doe@example.com", "10.1.2.3", "dt0c01.ABCDEF.GHIJKL", "hunter2", "jane-42"):
        assert secret not in text
    assert out["userId"] == out["nested"]["user.id"]  # joins survive
    assert out["nested"]["n"] == 5
    assert redactor.replaced >= 5


def test_extra_rules_and_errors() -> None:
    redactor = Redactor.build(["order=ORD-[0-9]+", "field:customer.name"], defaults=False)
    out = redactor.value({"content": "ORD-123 shipped", "customer.name": "Jane", "email": "a@b.co"})
    assert "ORD-123" not in out["content"] and out["customer.name"] != "Jane"
    assert out["email"] == "a@b.co"  # defaults disabled
    with pytest.raises(ValueError, match="NAME=REGEX"):
        parse_rule("nonsense")
    with pytest.raises(ValueError, match="invalid regular expression"):
        parse_rule("x=([")
