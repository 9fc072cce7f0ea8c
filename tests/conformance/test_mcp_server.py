"""Dynatrace's own MCP server, unmodified, talks to the simulator: a second external judge.

``@dynatrace-oss/dynatrace-mcp-server`` (pinned in ``mcp/package.json``) was written by Dynatrace
against real tenants, so every query it sends is one a real tenant accepts. It only dials
``https://<env>.apps.dynatrace.com`` and ``https://sso.dynatrace.com``; :class:`TlsFront` (a
CONNECT proxy on 127.0.0.1 with a CA made for this run) puts the simulator behind both names.
The server authenticates with OAuth client credentials against the simulator's SSO endpoint,
exactly as against a real tenant, and is driven over stdio by the ``mcp`` Python SDK client.

Every tool the server lists is accounted for: the read-only ones that need neither Davis
CoPilot nor Davis analyzers must answer without a simulator error, except those in
:data:`REFUSED`, where a real tenant refuses too and the reason is recorded with its source.

The server allows only 5 tool calls per 20 s per process, so each test starts its own server
and makes at most 5 calls. Skipped, with the reason, when Node >= 24 or the npm package is
missing (``pip install -e ".[dev]"`` brings Node; ``.ci/run`` runs ``npm ci`` in ``mcp/``).
With ``DTA_REQUIRE_NODE_TESTS=1`` (set by ``.ci/run``) a missing prerequisite fails instead.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from dynatrace_agent.case import IncidentCase, demo_case_path, load_case
from dynatrace_agent.simulator import SimulatorOptions, create_app
from tests.conformance.nodejs import find_node, skip_or_fail
from tests.conformance.tls_front import TlsFront

pytestmark = pytest.mark.node

MCP_DIR = Path(__file__).parent / "mcp"
SERVER_JS = MCP_DIR / "node_modules" / "@dynatrace-oss" / "dynatrace-mcp-server" / "index.js"
ENV_HOST = "sim0mcp1.apps.dynatrace.com"
SSO_HOST = "sso.dynatrace.com"
NODE_MAJOR = 24
#: How long one MCP request may take before the test fails instead of hanging (a busy 2-core CI).
CALL_TIMEOUT = timedelta(seconds=90)

#: Read-only tools that need neither Davis CoPilot nor Davis analyzers: each must answer.
JUDGED = frozenset(
    {
        "get_environment_info",
        "list_problems",
        "find_entity_by_name",
        "verify_dql",
        "execute_dql",
        "list_vulnerabilities",
        "list_exceptions",
        "get_kubernetes_events",
        "reset_grail_budget",
    }
)

#: Tools the test does not call, and why.
NOT_JUDGED = {
    "generate_dql_from_natural_language": "needs Davis CoPilot (nl2dql), which the simulator does not model",
    "explain_dql_in_natural_language": "needs Davis CoPilot (dql2nl), which the simulator does not model",
    "chat_with_davis_copilot": "needs Davis CoPilot conversations, which the simulator does not model",
    "list_davis_analyzers": "needs Davis analyzers, which the simulator does not model",
    "execute_davis_analyzer": "needs Davis analyzers, which the simulator does not model",
    "send_slack_message": "writes (Slack connector); the project is read-only towards Dynatrace",
    "send_email": "writes (email API); the project is read-only towards Dynatrace",
    "send_event": "writes (Events API v2 ingest); the project is read-only towards Dynatrace",
    "create_dynatrace_notebook": "writes (documents API); the project is read-only towards Dynatrace",
}

#: Judged tools a real tenant refuses as the server calls them, with why and the source.
REFUSED = {
    "get_kubernetes_events": (
        "the server asks SSO only for app-engine:apps:run and storage:events:read for this tool "
        "(dynatrace-mcp-server 2.1.2, index.js, the get_kubernetes_events handler), but reading a "
        "Grail table also needs storage:buckets:read (Dynatrace docs, 'Audit logs on Grail' and the "
        "IAM policy reference: table and bucket permissions are both required; the same server asks "
        "for both in list_problems and list_exceptions). The simulator answers 403 naming "
        "storage:buckets:read, as a tenant's Grail does."
    ),
}


def _skip_reason(node: Path | None) -> str | None:
    if node is None:
        return f'Node.js >= {NODE_MAJOR} is not installed (pip install -e ".[dev]" brings it)'
    if not SERVER_JS.is_file():
        return f"run `npm ci` in {MCP_DIR} first (missing @dynatrace-oss/dynatrace-mcp-server)"
    return None


@dataclass
class Judge:
    """What a test needs to start the server: Node, the front, the simulator's case."""

    node: Path
    front: TlsFront
    case: IncidentCase
    home: Path


@pytest.fixture(scope="module")
def judge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Judge]:
    node = find_node(NODE_MAJOR)
    reason = _skip_reason(node)
    if reason:
        skip_or_fail(reason)
    assert node is not None
    case = load_case(demo_case_path())
    app = create_app(case, SimulatorOptions(sso_origin=f"https://{SSO_HOST}"))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the simulator did not start within 10 s")
        time.sleep(0.02)
    folder = tmp_path_factory.mktemp("mcp-judge")
    front = TlsFront({ENV_HOST, SSO_HOST}, ("127.0.0.1", port), folder / "tls")
    home = folder / "home"
    home.mkdir()
    try:
        yield Judge(node, front, case, home)
    finally:
        front.close()
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
    assert not front.refused, f"the MCP server tried to leave the machine: {front.refused}"


@dataclass
class Answer:
    """One tool call's outcome: the text and whether the server flagged it as an error."""

    tool: str
    text: str
    is_error: bool
    meta: dict[str, Any] | None


class Session:
    """One running MCP server process; at most 5 calls (the server's own rate limit)."""

    def __init__(self, client: Any, stderr: Path) -> None:
        self.client = client
        self.stderr = stderr
        self.calls = 0

    async def call(self, tool: str, **arguments: Any) -> Answer:
        self.calls += 1
        assert self.calls <= 5, "the server allows 5 calls per 20 s: start another session"
        result = await self.client.call_tool(tool, arguments)
        text = "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")
        return Answer(tool, text, bool(result.isError), result.meta)

    def log(self) -> str:
        return self.stderr.read_text(errors="replace")[-6000:]


@asynccontextmanager
async def mcp_server(judge: Judge, tmp_path: Path) -> AsyncIterator[Session]:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    from dynatrace_agent.simulator.options import DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET

    env = {
        "PATH": f"{judge.node.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(judge.home),
        "DT_ENVIRONMENT": f"https://{ENV_HOST}",
        "OAUTH_CLIENT_ID": DEFAULT_OAUTH_CLIENT_ID,
        "OAUTH_CLIENT_SECRET": DEFAULT_OAUTH_CLIENT_SECRET,
        "HTTPS_PROXY": judge.front.proxy_url,
        "NODE_EXTRA_CA_CERTS": str(judge.front.ca_path),
        "DT_MCP_DISABLE_TELEMETRY": "true",
        "DT_MCP_TOKEN_STORAGE": "file",
        "DT_GRAIL_QUERY_BUDGET_GB": "1000",
    }
    params = StdioServerParameters(command=str(judge.node), args=[str(SERVER_JS)], env=env, cwd=str(MCP_DIR))
    stderr_path = tmp_path / "mcp-server.stderr"
    with stderr_path.open("w") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write, read_timeout_seconds=CALL_TIMEOUT) as client,
        ):
            await client.initialize()
            yield Session(client, stderr_path)


def _assert_answered(answer: Answer, session: Session) -> None:
    """No error flag and no sign of a simulator limit or a failed HTTP call in the text."""
    bad = ("Client Request Error", "by the simulator", "simulator limit", "HTTP status", "Error:", "failed")
    prose = answer.text.split("```json", 1)[0]  # records may quote anything, e.g. a log line
    assert not answer.is_error and not any(b in prose for b in bad), (
        f"{answer.tool} failed:\n{answer.text}\n--- server log ---\n{session.log()}"
    )


def _records(answer: Answer) -> list[dict[str, Any]]:
    assert answer.meta is not None and "records" in answer.meta, answer.text
    records = answer.meta["records"]
    assert isinstance(records, list)
    return records


async def test_the_server_connects_and_every_tool_is_accounted_for(judge: Judge, tmp_path: Path) -> None:
    async with mcp_server(judge, tmp_path) as session:
        listed = {tool.name: tool for tool in (await session.client.list_tools()).tools}
        info = await session.call("get_environment_info")
        budget = await session.call("reset_grail_budget")
    assert set(listed) == JUDGED | set(NOT_JUDGED), (
        "the server's tools changed: judge the new ones or say why not",
        sorted(set(listed) ^ (JUDGED | set(NOT_JUDGED))),
    )
    for name in JUDGED - {"execute_dql"}:
        hints = listed[name].annotations
        assert hints is not None
        assert hints.readOnlyHint or name == "reset_grail_budget", name
    _assert_answered(info, session)
    assert '"environmentId":"simulator"' in info.text and f"https://{ENV_HOST}" in info.text
    _assert_answered(budget, session)
    # The server found SSO through the environment's discovery redirect, fetched its token there
    # and its data from the environment, both through the front.
    assert "No redirect found when discovering SSO URL" not in session.log(), session.log()
    assert judge.front.connects.get(SSO_HOST, 0) >= 1 and judge.front.connects.get(ENV_HOST, 0) >= 1


async def test_list_problems(judge: Judge, tmp_path: Path) -> None:
    async with mcp_server(judge, tmp_path) as session:
        every = await session.call("list_problems", timeframe="24h", status="ALL")
        closed = await session.call("list_problems", timeframe="7d", status="CLOSED", maxProblemsToDisplay=50)
        active = await session.call("list_problems", timeframe="7d", status="ACTIVE")
        target = judge.case.problems[0]
        entity = target["affectedEntities"][0]["entityId"]["id"]
        by_entity = await session.call(
            "list_problems", timeframe="7d", additionalFilter=f'in("{entity}", affected_entity_ids)'
        )
    for answer in (every, closed, active, by_entity):
        _assert_answered(answer, session)
    problems = judge.case.problems
    assert f"Found {len(problems)} problems" in closed.text, closed.text
    for problem in problems:
        assert f"Problem {problem['displayId']} " in closed.text
    recent = [p for p in problems if p["startTime"] >= _case_ms(judge.case) - 24 * 3600 * 1000]
    assert f"Found {len(recent)} problems" in every.text, every.text
    assert active.text == "No problems found"  # every problem of the demo case is closed
    hits = [
        p["displayId"]
        for p in problems
        if any(e["entityId"]["id"] == entity for e in p.get("affectedEntities", []))
    ]
    assert f"Found {len(hits)} problems" in by_entity.text, by_entity.text
    assert all(f"Problem {d} " in by_entity.text for d in hits)


def _case_ms(case: IncidentCase) -> int:
    return int(case.now.timestamp() * 1000)


async def test_find_entity_by_name(judge: Judge, tmp_path: Path) -> None:
    entity = next(e for e in judge.case.entities if e["type"] == "SERVICE")
    name = entity["displayName"]
    async with mcp_server(judge, tmp_path) as session:
        found = await session.call("find_entity_by_name", entityNames=[name])
        # Nothing in Smartscape: the server falls back to the classic tables, all of them here.
        missing = await session.call(
            "find_entity_by_name", entityNames=["no-such-entity-anywhere"], extendedSearch=True
        )
        # The server's fallback when Smartscape finds nothing: classic entity tables joined with
        # `append`, searched with `search`, tags expanded (its generateDqlSearchEntityCommand).
        fallback = await session.call("execute_dql", dqlStatement=_classic_entity_search([name]))
    _assert_answered(found, session)
    assert "via Smartscape" in found.text and entity["entityId"] in found.text, found.text
    assert f"entity-type '{entity['type']}'" in found.text
    _assert_answered(missing, session)
    assert missing.text.startswith("No monitored entity found"), missing.text
    _assert_answered(fallback, session)
    ids = {r.get("id") for r in _records(fallback)}
    assert entity["entityId"] in ids, fallback.text
    assert all(r.get("entity.type") for r in _records(fallback))


#: The entity tables dynatrace-mcp-server 2.1.2 searches by default (its sorted BASICS list).
_BASIC_ENTITY_TABLES = (
    "dt.entity.application",
    "dt.entity.cloud_application",
    "dt.entity.cloud_application_namespace",
    "dt.entity.container_group",
    "dt.entity.custom_application",
    "dt.entity.custom_device",
    "dt.entity.custom_device_group",
    "dt.entity.disk",
    "dt.entity.environment",
    "dt.entity.geolocation",
    "dt.entity.host",
    "dt.entity.host_group",
    "dt.entity.kubernetes_cluster",
    "dt.entity.kubernetes_node",
    "dt.entity.kubernetes_service",
    "dt.entity.mobile_application",
    "dt.entity.network_interface",
    "dt.entity.os",
    "dt.entity.process_group",
    "dt.entity.relational_database_service",
    "dt.entity.service",
    "dt.entity.synthetic_location",
    "dt.entity.synthetic_test",
)


def _classic_entity_search(names: list[str]) -> str:
    """The DQL dynatrace-mcp-server 2.1.2 builds for its classic entity search (same shape)."""
    pattern = '*" OR "*'.join(n.replace("\\", "\\\\").replace('"', '\\"') for n in names)
    parts = [
        f'fetch {table} | search "*{pattern}*" | fieldsAdd entity.type | expand tags'
        for table in _BASIC_ENTITY_TABLES
    ]
    return parts[0] + "".join(f"  | append [ {p} ]\n" for p in parts[1:])


async def test_verify_dql(judge: Judge, tmp_path: Path) -> None:
    async with mcp_server(judge, tmp_path) as session:
        valid = await session.call(
            "verify_dql", dqlStatement='fetch logs, from: now()-2h | filter loglevel == "ERROR" | limit 5'
        )
        invalid = await session.call("verify_dql", dqlStatement="fetch logs | filter (")
        smartscape = await session.call(
            "verify_dql", dqlStatement='smartscapeNodes "SERVICE" | fields id, name | limit 3'
        )
    for answer in (valid, invalid, smartscape):
        _assert_answered(answer, session)
    assert "The DQL statement is valid" in valid.text and "The DQL statement is valid" in smartscape.text
    assert "The DQL statement is invalid" in invalid.text, invalid.text
    assert "ERROR:" in invalid.text  # the notification the server relays


async def test_execute_dql(judge: Judge, tmp_path: Path) -> None:
    service = next(
        e
        for e in judge.case.entities
        if e["type"] == "SERVICE" and e.get("fromRelationships", {}).get("runsOnHost")
    )
    async with mcp_server(judge, tmp_path) as session:
        search = await session.call(
            "execute_dql",
            dqlStatement='fetch logs, from: now()-2h | search "*error*" | limit 5',
            recordLimit=5,
        )
        dictionary = await session.call(
            "execute_dql", dqlStatement='fetch dt.semantic_dictionary.models | filter data_object == "logs"'
        )
        node = await session.call(
            "execute_dql",
            dqlStatement=f'smartscapeNodes "SERVICE" | filter id == toSmartscapeId("{service["entityId"]}")',
        )
        edges = await session.call(
            "execute_dql",
            dqlStatement=f'smartscapeEdges "*" | filter source_id == toSmartscapeId("{service["entityId"]}")',
        )
    for answer in (search, dictionary, node, edges):
        _assert_answered(answer, session)
    logs = _records(search)
    assert 0 < len(logs) <= 5 and all("error" in json.dumps(r).lower() for r in logs), search.text
    assert _records(dictionary), dictionary.text
    assert [r.get("name") for r in _records(node)] == [service["displayName"]], node.text
    outgoing = _records(edges)
    assert outgoing and all(e["source_id"] == service["entityId"] for e in outgoing), edges.text
    assert {e["type"] for e in outgoing} >= {"calls"}, edges.text


async def test_exceptions_vulnerabilities_and_what_a_tenant_refuses(judge: Judge, tmp_path: Path) -> None:
    async with mcp_server(judge, tmp_path) as session:
        exceptions = await session.call("list_exceptions", timeframe="24h")
        vulnerabilities = await session.call("list_vulnerabilities", timeframe="30d")
        k8s = await session.call("get_kubernetes_events", timeframe="24h")
    _assert_answered(exceptions, session)
    _assert_answered(vulnerabilities, session)
    assert exceptions.text == "No exceptions found"  # the demo case has no user.events
    assert vulnerabilities.text == "No vulnerabilities found in the last 30d"  # nor security.events
    assert set(REFUSED) == {"get_kubernetes_events"}
    assert k8s.is_error, k8s.text
    assert "403" in k8s.text and "storage:buckets:read" in k8s.text, (
        REFUSED["get_kubernetes_events"],
        k8s.text,
    )
