"""The MCP server: the toolkit's tools, ``dynatrace_investigate`` and resources.

Built on the SDK's low-level ``Server`` rather than ``FastMCP`` because the tools already
exist: each MCP tool *is* a toolkit tool, listed with its lean schema
(:mod:`dynatrace_agent.tools.schema`) and called exactly as ``dynatrace-agent tools call``
calls it, so an MCP client reads the same text a LangChain agent reads. A failed call comes
back as the same advice text with ``isError: true``, never as a protocol error, so the
model can act on it. The SDK's own JSON-schema check of arguments is switched off: the
pydantic validation behind every tool names each wrong argument and how to fix it.

Every tool is annotated read-only: nothing here writes to Dynatrace.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.lowlevel.helper_types import ReadResourceContents
from pydantic import AnyUrl, ValidationError

from dynatrace_agent._version import __version__
from dynatrace_agent.errors import NotFoundError
from dynatrace_agent.investigator import Investigator
from dynatrace_agent.mcp.investigate import (
    DEFAULT_REPORT_BUDGET,
    INVESTIGATE_DESCRIPTION,
    INVESTIGATE_NAME,
    InvestigateArgs,
    investigate_schema,
    progress_message,
    report_text,
)
from dynatrace_agent.mcp.resources import ResourceStore
from dynatrace_agent.tools.base import DynatraceTool
from dynatrace_agent.tools.errors import explain, explain_validation
from dynatrace_agent.tools.toolkit import DynatraceToolkit

__all__ = ["INSTRUCTIONS", "SERVER_NAME", "DynatraceMcpServer", "build_server"]

SERVER_NAME = "dynatrace-agent"
#: Sent once at initialisation; clients may put it in the system prompt, so it is short.
INSTRUCTIONS = (
    "Read-only Dynatrace tools. For an incident, call dynatrace_investigate with the problem id first; "
    "use the other tools only for follow-up questions."
)
READ_ONLY = types.ToolAnnotations(
    readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=True
)

#: Receives one progress line (sent to the client as a progress notification).
Progress = Callable[[str], None]
_PENDING: set[asyncio.Task[None]] = set()


@dataclass
class DynatraceMcpServer:
    """What the MCP server serves, and the handlers that serve it.

    ``toolkit`` supplies the tools (already filtered to the granted scopes); ``investigator``
    (the graph layer's ``InvestigationRunner``, with its model and deadline, handed in by the
    ``mcp`` command) adds ``dynatrace_investigate`` on the toolkit's default environment unless
    ``investigate`` is false; ``resources`` holds reports and cases.
    """

    toolkit: DynatraceToolkit
    investigator: Investigator | None = None
    investigate: bool = True
    report_budget: int = DEFAULT_REPORT_BUDGET
    resources: ResourceStore = field(default_factory=ResourceStore)
    _tools: dict[str, BaseTool] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._tools = {tool.name: tool for tool in self.toolkit.get_tools()}
        if self.investigator is None:
            self.investigate = False  # nothing to run it with: do not offer it

    # ---- definitions -------------------------------------------------------------------

    def tool_definitions(self) -> list[types.Tool]:
        """The tools as ``tools/list`` returns them: lean schema, read-only annotations."""
        listed = [
            types.Tool(
                name=tool.name,
                description=tool.description,
                inputSchema=_input_schema(tool),
                annotations=READ_ONLY,
            )
            for tool in self._tools.values()
        ]
        if self.investigate:
            listed.insert(
                0,
                types.Tool(
                    name=INVESTIGATE_NAME,
                    description=INVESTIGATE_DESCRIPTION,
                    inputSchema=investigate_schema(),
                    annotations=READ_ONLY,
                ),
            )
        return listed

    # ---- calls -------------------------------------------------------------------------

    async def call(
        self, name: str, arguments: dict[str, Any] | None, *, progress: Progress | None = None
    ) -> types.CallToolResult:
        """Call one tool; errors are advice text with ``isError`` (same text as ``tools call``).

        ``progress`` receives one line per investigation phase (the client's progress token).
        """
        args = dict(arguments or {})
        if name == INVESTIGATE_NAME and self.investigate and self.investigator is not None:
            return await self._investigate(self.investigator, args, progress)
        tool = self._tools.get(name)
        if tool is None:
            known = ", ".join(t.name for t in self.tool_definitions())
            return _result(f"Error: no tool named {name!r} here; available tools: {known}.", error=True)
        message = await tool.ainvoke({"type": "tool_call", "id": "mcp", "name": name, "args": args})
        if not isinstance(message, ToolMessage):  # pragma: no cover - a tool call always answers a message
            return _result(f"Error: {name} returned no tool message.", error=True)
        return _result(str(message.content), error=message.status == "error")

    async def _investigate(
        self, investigator: Investigator, arguments: dict[str, Any], progress: Progress | None
    ) -> types.CallToolResult:
        try:
            args = InvestigateArgs.model_validate(arguments)
        except ValidationError as exc:
            return _result(f"Error: {explain_validation(exc, tool=INVESTIGATE_NAME)}", error=True)
        handle = self.toolkit.environments[self.toolkit.default_environment]
        on_progress = None if progress is None else (lambda event: progress(progress_message(event)))
        try:
            report = await investigator.investigate(
                args.problem, client=handle.client(), on_progress=on_progress
            )
        except Exception as exc:  # every failure becomes advice for the model, as with the tools
            return _result(f"Error: {explain(exc, tool=INVESTIGATE_NAME)}", error=True)
        markdown = str(report.to_markdown())
        uri = self.resources.add_report(args.problem, markdown)
        return _result(report_text(markdown, budget=args.budget or self.report_budget, resource_uri=uri))

    # ---- resources ---------------------------------------------------------------------

    def resource_list(self) -> list[types.Resource]:
        """The resources in the SDK's types, for ``resources/list``."""
        return [
            types.Resource(
                uri=AnyUrl(item.uri), name=item.name, description=item.description, mimeType=item.mime_type
            )
            for item in self.resources.list()
        ]

    def read_resource(self, uri: str) -> list[ReadResourceContents]:
        """One resource's text for ``resources/read``; an unknown URI raises ``NotFoundError``."""
        text, mime = self.resources.read(uri)
        return [ReadResourceContents(content=text, mime_type=mime)]

    # ---- the SDK server ----------------------------------------------------------------

    def sdk_server(self) -> Server[Any, Any]:
        """A low-level SDK ``Server`` wired to these handlers (one per transport)."""
        server: Server[Any, Any] = Server(SERVER_NAME, version=__version__, instructions=INSTRUCTIONS)
        sdk = cast(Any, server)  # the SDK's decorators are untyped

        async def list_tools() -> list[types.Tool]:
            return self.tool_definitions()

        async def call_tool(name: str, arguments: dict[str, Any] | None) -> types.CallToolResult:
            return await self.call(name, arguments, progress=_progress_sender(server))

        async def list_resources() -> list[types.Resource]:
            return self.resource_list()

        async def read_resource(uri: AnyUrl) -> Iterable[ReadResourceContents]:
            try:
                return self.read_resource(str(uri))
            except NotFoundError as exc:  # the SDK turns it into a JSON-RPC error with this text
                raise ValueError(str(exc)) from None

        sdk.list_tools()(list_tools)
        sdk.call_tool(validate_input=False)(call_tool)
        sdk.list_resources()(list_resources)
        sdk.read_resource()(read_resource)
        return server

    async def aclose(self) -> None:
        """Close the toolkit's clients on the running loop."""
        await self.toolkit.aclose()


def _progress_sender(server: Server[Any, Any]) -> Progress | None:
    """Progress notifications for the current request, when its client asked for them.

    The graph reports progress synchronously; each line is sent as its own task on the
    running loop, numbered so the client sees it advance.
    """
    context = server.request_context
    token = context.meta.progressToken if context.meta is not None else None
    if token is None:
        return None
    session, request_id = context.session, str(context.request_id)
    sent = [0]

    def send(message: str) -> None:
        sent[0] += 1
        task = asyncio.get_running_loop().create_task(
            session.send_progress_notification(
                token, float(sent[0]), message=message, related_request_id=request_id
            )
        )
        _PENDING.add(task)  # the loop only holds tasks weakly
        task.add_done_callback(_PENDING.discard)

    return send


def _input_schema(tool: BaseTool) -> dict[str, Any]:
    if isinstance(tool, DynatraceTool):
        return tool.tool_call_schema  # a fresh copy: the SDK may keep it
    # pragma: no cover - the toolkit only builds DynatraceTools; others get LangChain's schema
    return dict(convert_to_openai_tool(tool)["function"].get("parameters", {}))


def _result(text: str, *, error: bool = False) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], isError=error)


def build_server(toolkit: DynatraceToolkit, **options: Any) -> DynatraceMcpServer:
    """A :class:`DynatraceMcpServer` over ``toolkit`` (options as the dataclass fields)."""
    return DynatraceMcpServer(toolkit=toolkit, **options)
