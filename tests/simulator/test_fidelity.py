"""The simulator refuses or returns nothing where a real tenant would (issue #11).

Each test here encodes a fact checked against Dynatrace's own clients (reference §10), so a
client or generator that drifts back to a wrong form fails against the simulator too.
"""

from __future__ import annotations

import httpx

from .conftest import oauth_token

EXECUTE = "/platform/storage/query/v1/query:execute"
SCOPES = "storage:buckets:read storage:spans:read storage:metrics:read storage:logs:read"
TRACE = "a0000000000000000000000000000000"


async def _run(sim: httpx.AsyncClient, query: str, params: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    response = await sim.post(
        EXECUTE, json={"query": query}, headers=await oauth_token(sim, SCOPES), params=params or {}
    )
    assert response.status_code == 200, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    return body


async def test_trace_id_is_a_uid_a_string_matches_nothing(sim: httpx.AsyncClient) -> None:
    plain = await _run(sim, f'fetch spans, from:now()-2h | filter trace.id == "{TRACE}"')
    assert plain["result"]["records"] == []
    as_uid = await _run(sim, f'fetch spans, from:now()-2h | filter trace.id == toUid("{TRACE}")')
    records = as_uid["result"]["records"]
    assert records and all(r["trace.id"] == TRACE for r in records)
    assert as_uid["result"]["types"][0]["mappings"]["trace.id"]["type"] == "uid"
    listed = await _run(sim, f'fetch spans, from:now()-2h | filter in(trace.id, {{toUid("{TRACE}")}})')
    assert len(listed["result"]["records"]) == len(records)
    strings = await _run(sim, f'fetch spans, from:now()-2h | filter in(trace.id, {{"{TRACE}"}})')
    assert strings["result"]["records"] == []


async def test_uids_group_and_print_as_text(sim: httpx.AsyncClient) -> None:
    body = await _run(sim, "fetch spans, from:now()-2h | summarize n = count(), by:{trace.id} | limit 1")
    row = body["result"]["records"][0]
    assert isinstance(row["trace.id"], str) and len(row["trace.id"]) == 32
    text = await _run(sim, "fetch spans, from:now()-2h | fieldsAdd t = toString(trace.id) | limit 1")
    first = text["result"]["records"][0]
    assert first["t"] == first["trace.id"]


async def test_metric_units_only_when_asked(sim: httpx.AsyncClient) -> None:
    query = "timeseries rt = avg(dt.service.response.time), by:{dt.entity.service}, interval:5m, from:now-1h"
    bare = await _run(sim, query)
    assert bare["result"]["metadata"]["metrics"] and "unit" not in bare["result"]["metadata"]["metrics"][0]
    enriched = await _run(sim, query, {"enrich": "metric-metadata"})
    assert enriched["result"]["metadata"]["metrics"][0]["unit"]


async def test_slo_evaluation_start_and_poll(sim: httpx.AsyncClient) -> None:
    headers = await oauth_token(sim, "slo:slos:read")
    listed = (await sim.get("/platform/slo/v1/slos", headers=headers, params={"filter": "name~'a'"})).json()
    assert listed["slos"] and all("status" not in s for s in listed["slos"])
    refused = await sim.get("/platform/slo/v1/slos", headers=headers, params={"filter": "name contains 'a'"})
    assert refused.status_code == 400  # only the verified name~'…' form
    slo_id = listed["slos"][0]["id"]
    started = await sim.post("/platform/slo/v1/slos/evaluation:start", headers=headers, json={"id": slo_id})
    assert started.status_code == 202 and started.json()["evaluationToken"]
    token = started.json()["evaluationToken"]
    polled = await sim.get(
        "/platform/slo/v1/slos/evaluation:poll", headers=headers, params={"evaluation-token": token}
    )
    body = polled.json()
    assert polled.status_code == 200 and body["definition"]["id"] == slo_id
    assert body["evaluationResults"] and body["evaluationResults"][0]["status"]
    missing = await sim.post("/platform/slo/v1/slos/evaluation:start", headers=headers, json={"id": "nope"})
    assert missing.status_code == 404
    gone = await sim.get(
        "/platform/slo/v1/slos/evaluation:poll", headers=headers, params={"evaluation-token": "x"}
    )
    assert gone.status_code == 410


async def test_iterative_array_expressions(sim: httpx.AsyncClient) -> None:
    """``a[] - b[]`` works element by element, as SLO indicators write it."""
    query = (
        "timeseries { t = avg(dt.service.response.time) }, interval:5m, from:now()-1h"
        " | fieldsAdd d = t[] * 2, s = (t[] - t[]) / 1"
    )
    record = (await _run(sim, query))["result"]["records"][0]
    pairs = [(a, b) for a, b in zip(record["t"], record["d"], strict=True) if a is not None]
    assert pairs and all(b == 2 * a for a, b in pairs)
    assert all(v in (0, 0.0, None) for v in record["s"])


ENTITY_SCOPES = "storage:buckets:read storage:entities:read"


async def _run_with(sim: httpx.AsyncClient, query: str, scopes: str) -> httpx.Response:
    return await sim.post(EXECUTE, json={"query": query}, headers=await oauth_token(sim, scopes))


async def test_find_entity_by_name_as_dynatraces_mcp_server_asks(sim: httpx.AsyncClient) -> None:
    """fetch … | search "*x*" | fieldsAdd entity.type | expand tags | append [ … ] (MCP server)."""
    query = (
        'fetch dt.entity.service | search "*check*" | fieldsAdd entity.type | expand tags'
        ' | append [ fetch dt.entity.host | search "*check*" OR "*nothing*" | fieldsAdd entity.type ]'
    )
    response = await _run_with(sim, query, ENTITY_SCOPES)
    assert response.status_code == 200, response.text
    records = response.json()["result"]["records"]
    assert records and all("check" in r["entity.name"].lower() for r in records)
    assert all(isinstance(r.get("tags"), str | type(None)) for r in records)  # one record per tag
    assert {r["entity.type"] for r in records} <= {"SERVICE", "HOST"}


async def test_smartscape_nodes_and_edges_need_the_smartscape_scope(sim: httpx.AsyncClient) -> None:
    refused = await _run_with(sim, 'smartscapeNodes "SERVICE"', ENTITY_SCOPES)
    assert refused.status_code == 403 and "storage:smartscape:read" in refused.text
    scopes = "storage:buckets:read storage:smartscape:read"
    nodes = (await _run_with(sim, 'smartscapeNodes "SERVICE" | fields id, name, type', scopes)).json()
    assert nodes["result"]["records"] and {r["type"] for r in nodes["result"]["records"]} == {"SERVICE"}
    edges = (await _run_with(sim, 'smartscapeEdges "calls" | limit 5', scopes)).json()["result"]["records"]
    assert edges and all(e["type"] == "calls" and e["source_id"] and e["target_id"] for e in edges)


async def test_fields_flatten_and_expand_alias(sim: httpx.AsyncClient) -> None:
    query = (
        "fetch dt.entity.service | fieldsFlatten fromRelationships | expand callee = fromRelationships.calls"
    )
    records = (await _run_with(sim, query, ENTITY_SCOPES)).json()["result"]["records"]
    assert records and all("fromRelationships" not in r for r in records)
    assert any(isinstance(r.get("callee"), str) for r in records)


async def test_query_verify_and_simulator_limits(sim: httpx.AsyncClient) -> None:
    verify = "/platform/storage/query/v1/query:verify"
    headers = await oauth_token(sim, ENTITY_SCOPES)
    ok = await sim.post(verify, json={"query": "fetch logs | limit 1"}, headers=headers)
    assert ok.status_code == 200 and ok.json() == {"valid": True, "notifications": []}
    bad = (await sim.post(verify, json={"query": "fetch logs | filtr x"}, headers=headers)).json()
    assert bad["valid"] is False and bad["notifications"][0]["severity"] == "ERROR"
    limit = await _run_with(
        sim, "fetch logs | lookup [fetch spans], sourceField:a, lookupField:b", ENTITY_SCOPES
    )
    body = limit.json()
    assert limit.status_code == 400 and "not supported by the simulator" in body["error"]["message"]
    assert body["error"]["details"]["errorType"] == "UNSUPPORTED_COMMAND"


async def test_semantic_dictionary_models_list_the_known_fields(sim: httpx.AsyncClient) -> None:
    """The MCP server points models at ``fetch dt.semantic_dictionary.models | filter data_object == …``."""
    query = 'fetch dt.semantic_dictionary.models | filter data_object == "user.sessions"'
    records = (await _run_with(sim, query, "storage:buckets:read")).json()["result"]["records"]
    assert len(records) == 1 and "frontend.name" in records[0]["fields"]
    assert "userExperienceScore" not in records[0]["fields"]
    field = 'fetch dt.semantic_dictionary.fields | filter name == "trace.id"'
    rows = (await _run_with(sim, field, "storage:buckets:read")).json()["result"]["records"]
    assert rows and "toUid" in rows[0]["description"]


async def test_parse_with_the_dpl_patterns_clients_use(sim: httpx.AsyncClient) -> None:
    query = (
        'fetch logs, from:now()-2h | filter loglevel == "ERROR" '
        "| parse content, \"LD:head ' ' LD:rest\" | fields head, rest | limit 3"
    )
    records = (await _run(sim, query))["result"]["records"]
    assert records and all(r["head"] is not None for r in records)
    typed = (
        'fetch logs, from:now()-2h | fieldsAdd line = "GET /x status=503 from 10.0.0.7" '
        "| parse line, \"WORD:method SPACE NSPACE:path LD 'status=' INT:status ' from ' IPADDR:ip\" | limit 1"
    )
    row = (await _run(sim, typed))["result"]["records"][0]
    assert (row["method"], row["path"], row["status"], row["ip"]) == ("GET", "/x", "503", "10.0.0.7")
    limit = await sim.post(
        EXECUTE,
        json={"query": 'fetch logs | parse content, "KVP{WORD:k}:x"'},
        headers=await oauth_token(sim, SCOPES),
    )
    assert limit.status_code == 400 and "simulator limit" in limit.text


def test_classic_usql_session_fields_do_not_exist_in_grail() -> None:
    """A case carrying classic USQL names serves sessions without them: filters on them match nothing."""
    from datetime import UTC, datetime

    from dynatrace_agent.simulator.dql_engine import DataSource, execute

    sessions = [
        {
            "start_time": "2025-03-04T10:00:00Z",
            "dt.rum.session.id": "s1",
            "userExperienceScore": "FRUSTRATED",
            "userId": "jane",
            "frontend.name": ["shop"],
        }
    ]
    data = DataSource.from_tables({"user.sessions": sessions})
    now = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
    classic = execute('fetch user.sessions | filter userExperienceScore == "FRUSTRATED"', data, now=now)
    assert classic.records == []
    every = execute("fetch user.sessions", data, now=now).records
    assert every and "userId" not in every[0] and every[0]["dt.rum.session.id"] == "s1"
