"""What a tool definition costs: the tokens a model re-reads on every turn.

A definition is the tool's name, description and argument schema exactly as a chat model
is sent them (LangChain's ``convert_to_openai_tool``; the MCP server lists the same three
fields as ``name``, ``description`` and ``inputSchema``). It is counted in cl100k tokens as
JSON with the ordinary ``", "``/``": "`` separators, the more expensive of the usual
serialisations, so the figure is an upper bound for compact wire JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from dynatrace_agent.summarise.budget import count_tokens

__all__ = ["definition", "definition_tokens", "definitions_tokens"]


def definition(tool: BaseTool) -> dict[str, Any]:
    """``{"name", "description", "parameters"}`` as LangChain sends the tool to a model."""
    function: dict[str, Any] = convert_to_openai_tool(tool)["function"]
    return {
        "name": function["name"],
        "description": function.get("description", ""),
        "parameters": function.get("parameters", {}),
    }


def definition_tokens(item: BaseTool | Mapping[str, Any]) -> int:
    """cl100k tokens of one definition (a tool, or an already converted ``name/description/schema``)."""
    value = definition(item) if isinstance(item, BaseTool) else dict(item)
    return count_tokens(json.dumps(value))


def definitions_tokens(items: Iterable[BaseTool | Mapping[str, Any]]) -> int:
    """Total tokens of several definitions (what one model turn pays for the tool list)."""
    return sum(definition_tokens(item) for item in items)
