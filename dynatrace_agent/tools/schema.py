"""The argument schema a model reads: the pydantic schema without the noise.

A model re-reads every tool definition on every turn, so each token of schema is paid for
many times over. Pydantic's JSON schema carries things a model does not need to call a tool
well: titles that repeat the property name, ``anyOf [X, null]`` for every optional argument,
``default: null`` and ``default: []``, string and list length limits, and
``additionalProperties``. Validation still happens on the full pydantic model when the tool
runs (with error text that says what to fix), so the lean schema only has to say what the
arguments *are*. The same dict is what LangChain sends to a chat model and what the MCP
server lists as ``inputSchema``, so both routes cost the same.
"""

from __future__ import annotations

from typing import Any

from langchain_core.utils.json_schema import dereference_refs
from pydantic import BaseModel

__all__ = ["lean_schema"]

#: Keywords dropped everywhere: validated on the model side, no help in choosing arguments.
_NOISE = frozenset(
    {"title", "maxLength", "minLength", "maxItems", "minItems", "additionalProperties", "$defs"}
)
#: Numeric bounds are dropped too: every bounded argument states its range in words or
#: gets a clear validation error naming the range.
_BOUNDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
#: Defaults a model gains nothing from seeing: "absent" is already what omitting means, and
#: numeric defaults are caps and sample sizes whose value does not change how to call a tool.
_EMPTY_DEFAULTS: tuple[Any, ...] = (None, [], False, {})


def _needless_default(value: Any) -> bool:
    """Empty defaults, and numeric ones: those are caps and sample sizes, not meaning."""
    if isinstance(value, bool):
        return value is False
    return isinstance(value, int | float) or any(value == empty for empty in _EMPTY_DEFAULTS)


def _unwrap_optional(node: dict[str, Any]) -> dict[str, Any]:
    """``{"anyOf": [X, {"type": "null"}], ...}`` becomes ``X`` merged with the outer keys."""
    options = node.get("anyOf")
    if not isinstance(options, list):
        return node
    kept = [o for o in options if o != {"type": "null"}]
    if len(kept) != 1 or len(kept) == len(options):
        return node
    merged = {k: v for k, v in node.items() if k != "anyOf"}
    merged.update(kept[0])
    return merged


def _clean(node: Any, *, in_properties: bool = False) -> Any:
    if isinstance(node, list):
        return [_clean(item) for item in node]
    if not isinstance(node, dict):
        return node
    if in_properties:  # keys are argument names, not keywords
        return {name: _clean(value) for name, value in node.items()}
    node = _unwrap_optional(node)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _NOISE or key in _BOUNDS:
            continue
        if key == "default" and _needless_default(value):
            continue
        out[key] = _clean(value, in_properties=key == "properties")
    return out


def lean_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of ``model`` as a model should read it (see the module docstring)."""
    full = dereference_refs(model.model_json_schema())
    lean: dict[str, Any] = _clean(full)
    lean.pop("description", None)  # the model's docstring; the tool description says it better
    lean.setdefault("type", "object")
    lean.setdefault("properties", {})
    return lean
