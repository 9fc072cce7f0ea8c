"""Opaque ``nextPageKey`` values, as the classic API and the SLO service hand them out.

A key carries the original query parameters and the next offset, so a client sends the key
alone (as Dynatrace requires) and still gets the same selection. Keys are base64url JSON;
a tampered or foreign key is a 400, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

__all__ = ["PageKeyError", "decode_page_key", "encode_page_key"]


class PageKeyError(ValueError):
    """The page key was not issued by this endpoint or is corrupt."""


def encode_page_key(kind: str, params: dict[str, Any], offset: int) -> str:
    """An opaque key for the page starting at ``offset`` of the query ``params``."""
    raw = json.dumps({"k": kind, "p": params, "o": offset}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_page_key(kind: str, key: str) -> tuple[dict[str, Any], int]:
    """The parameters and offset of a key issued by :func:`encode_page_key` for ``kind``."""
    try:
        padded = key.strip() + "=" * (-len(key.strip()) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise PageKeyError("nextPageKey is not a key this API issued; start again without it") from None
    if not isinstance(data, dict) or data.get("k") != kind or not isinstance(data.get("o"), int):
        raise PageKeyError("nextPageKey belongs to another listing; start again without it")
    params = data.get("p")
    if not isinstance(params, dict):
        raise PageKeyError("nextPageKey is corrupt; start again without it")
    return params, int(data["o"])
