"""Expand the problem's entities into a candidate set through Smartscape relationships.

Starting from the affected and impacted entities and Davis's root-cause hint, the entities
they call (services, gateways, custom devices, functions alike; down to ``MAX_CALL_DEPTH``
hops, what those call) and that call them, their process groups, hosts and cluster, and the
other processes on those hosts (noisy neighbours) become candidates, in two rounds of
requests (one per entity type, each for a list of ids, plus one per host for the processes on
it), so the cost does not grow with the number of entities.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from langgraph.runtime import Runtime

from dynatrace_agent.analysis import Candidate, ProblemInfo
from dynatrace_agent.analysis.evidence import Relation
from dynatrace_agent.capabilities import list_entities
from dynatrace_agent.client import DynatraceClient
from graphs.investigation.context import InvestigationContext
from graphs.investigation.nodes.common import Collector, run_branch
from graphs.investigation.state import InvestigationState

__all__ = ["MAX_CANDIDATES", "expand_topology", "topology_node"]

MAX_CANDIDATES = 60
#: Entity types that are the impacted side (users, frontends), never a root cause here.
_NOT_CANDIDATES = {"APPLICATION", "MOBILE_APPLICATION", "CUSTOM_APPLICATION", "SYNTHETIC_TEST", "HTTP_CHECK"}
#: How far down the call graph the candidates reach: a root cause is often a callee's callee.
MAX_CALL_DEPTH = 3
_MAX_ROUNDS = MAX_CALL_DEPTH + 1
_MAX_HOSTS = 10


@dataclass
class _Node:
    entity_id: str
    hop: int
    relations: list[Relation] = field(default_factory=list)
    raw: dict[str, Any] | None = None
    name: str | None = None
    type: str | None = None


def _ids(rels: object, key: str) -> list[str]:
    if not isinstance(rels, Mapping):
        return []
    out = []
    for item in rels.get(key) or []:
        ident = item.get("id") if isinstance(item, Mapping) else item
        if isinstance(ident, str) and ident:
            out.append(ident)
    return out


def _type_of(entity_id: str) -> str:
    return entity_id.rsplit("-", 1)[0].upper() if "-" in entity_id else ""


class _Graph:
    def __init__(self) -> None:
        self.nodes: dict[str, _Node] = {}

    def add(self, entity_id: str, relation: Relation, hop: int, *, name: str | None = None) -> None:
        if _type_of(entity_id) in _NOT_CANDIDATES:
            return
        node = self.nodes.get(entity_id)
        if node is None:
            if len(self.nodes) >= MAX_CANDIDATES:
                return
            node = self.nodes[entity_id] = _Node(entity_id, hop)
        node.hop = min(node.hop, hop)
        if relation not in node.relations:
            node.relations.append(relation)
        if name and not node.name:
            node.name = name

    def expand(self, node: _Node) -> None:
        """Add the neighbours of a fetched entity, one hop further."""
        raw = node.raw or {}
        out, inc = raw.get("fromRelationships"), raw.get("toRelationships")
        etype = (node.type or _type_of(node.entity_id)).upper()
        nxt = node.hop + 1
        # Calls are followed from every entity type: an API gateway, a custom device or a
        # function named by the problem leads to its callees just as a service does.
        if node.hop < MAX_CALL_DEPTH and (node.hop == 0 or "callee" in node.relations):
            for callee in _ids(out, "calls"):
                self.add(callee, "callee", nxt)
        if node.hop == 0:
            for caller in _ids(inc, "calls"):
                self.add(caller, "caller", nxt)
        if etype == "SERVICE":
            if node.hop <= MAX_CALL_DEPTH:
                for pg in _ids(out, "runsOn"):
                    self.add(pg, "process_group", nxt)
                for host in _ids(out, "runsOnHost"):
                    self.add(host, "host", nxt)
        elif etype in ("PROCESS_GROUP", "PROCESS_GROUP_INSTANCE"):
            if node.hop <= 1:
                for host in _ids(out, "runsOn") + _ids(out, "runsOnHost"):
                    self.add(host, "host", nxt)
        elif etype == "HOST" and node.hop <= 1:
            for cluster in _ids(out, "isNodeOf"):
                self.add(cluster, "cluster", nxt)
            for pg in _ids(inc, "runsOn"):
                self.add(pg, "process_group", nxt)


#: Words that mark a custom device or cloud resource as a data store (a managed database).
_DATA_STORE = re.compile(
    r"dynamo ?db|\brds\b|aurora|postgres|mysql|mariadb|mongo|redis|elasticache|cassandra|"
    r"database|\bdb\b|documentdb|cosmos ?db|\bsql\b",
    re.I,
)


def _is_database(raw: Mapping[str, Any]) -> bool:
    props = raw.get("properties") or {}
    service_type = str(props.get("serviceType") or "").upper()
    if "DATABASE" in service_type or bool(props.get("databaseVendor") or props.get("databaseName")):
        return True
    if str(raw.get("type") or "").upper() == "SERVICE":
        return False
    # Custom devices and cloud resources have no service type: their name and properties say it.
    text = " ".join([str(raw.get("displayName") or ""), *(str(v) for v in props.values())])
    return bool(_DATA_STORE.search(text))


def _is_external(raw: Mapping[str, Any]) -> bool:
    props = raw.get("properties") or {}
    flag = props.get("isExternalService")
    return (
        flag is True
        or str(flag).lower() == "true"
        or "EXTERNAL" in str(props.get("serviceType") or "").upper()
    )


def _candidate(node: _Node, source: str | None) -> Candidate:
    raw = node.raw or {}
    out, inc = raw.get("fromRelationships"), raw.get("toRelationships")
    etype = node.type or _type_of(node.entity_id) or None
    hosts = _ids(out, "runsOnHost")
    pgs: list[str] = []
    if etype == "SERVICE":
        pgs = _ids(out, "runsOn")
    elif etype in ("PROCESS_GROUP", "PROCESS_GROUP_INSTANCE"):
        hosts = hosts or _ids(out, "runsOn")
    elif etype == "HOST":
        pgs = _ids(inc, "runsOn")
    return Candidate(
        entity_id=node.entity_id,
        name=node.name,
        type=etype,
        relations=list(node.relations),
        hop=node.hop,
        calls=_ids(out, "calls"),
        called_by=_ids(inc, "calls"),
        hosts=hosts,
        process_groups=pgs,
        is_database=_is_database(raw),
        is_external=_is_external(raw),
        source=source,
    )


async def expand_topology(client: DynatraceClient, info: ProblemInfo, out: Collector) -> list[Candidate]:
    """Candidates around the problem; an entity request that fails leaves the seeds as they are."""
    graph = _Graph()
    for ref in info.affected:
        graph.add(ref.id, "affected", 0, name=ref.name)
    for ref in info.impacted:
        graph.add(ref.id, "impacted", 0, name=ref.name)
    if info.root_cause_hint is not None:
        graph.add(info.root_cause_hint.id, "davis_root", 0, name=info.root_cause_hint.name)
    sources: dict[str, str] = {}
    fetched: set[str] = set()
    for _ in range(_MAX_ROUNDS):
        wanted = [i for i, n in graph.nodes.items() if i not in fetched]
        if not wanted:
            break
        fetched.update(wanted)
        by_type: dict[str, list[str]] = {}
        for ident in wanted:
            by_type.setdefault(_type_of(ident), []).append(ident)
        # The Entities API wants one type per entityId(...) selector: one request per type. The
        # processes on the hosts (noisy neighbours) are asked for in the same round, by host.
        hosts = [i for i in by_type.get("HOST", []) if graph.nodes[i].hop <= 1][:_MAX_HOSTS]
        results = await asyncio.gather(
            *(
                out.attempt(
                    "entities", list_entities(client, entity_ids=ids[:100], max_entities=200), "topology"
                )
                for ids in by_type.values()
            ),
            *(
                out.attempt(
                    "entities",
                    list_entities(client, entity_type="PROCESS_GROUP", runs_on=host, max_entities=50),
                    "topology",
                )
                for host in hosts
            ),
        )
        lookups, neighbours = results[: len(by_type)], results[len(by_type) :]
        for host, result in zip(hosts, neighbours, strict=True):
            for raw in result.raw if result is not None else []:
                resident = raw.get("entityId")
                if isinstance(resident, str):
                    graph.add(resident, "process_group", graph.nodes[host].hop + 1)
                    fetched.add(resident)
            if result is not None:
                _absorb(graph, result.raw, result.query, sources)
        for result in lookups:
            if result is not None:
                _absorb(graph, result.raw, result.query, sources)
        for ident in wanted:
            node = graph.nodes[ident]
            if node.raw is not None:
                graph.expand(node)
    return [_candidate(n, sources.get(n.entity_id)) for n in graph.nodes.values()]


def _absorb(
    graph: _Graph, entities: list[dict[str, Any]], query: str | None, sources: dict[str, str]
) -> None:
    for raw in entities:
        ident = raw.get("entityId")
        node = graph.nodes.get(ident) if isinstance(ident, str) else None
        if node is None:
            continue
        node.raw = raw
        node.name = node.name or raw.get("displayName")
        node.type = raw.get("type") or node.type
        if query:
            sources[node.entity_id] = query


async def _gather(
    client: DynatraceClient, state: InvestigationState, ctx: InvestigationContext, out: Collector
) -> None:
    info = ProblemInfo.model_validate(state["problem_info"])
    candidates = await expand_topology(client, info, out)
    out.update["candidates"] = [c.model_dump(mode="json") for c in candidates]
    for i, c in enumerate(sorted(candidates, key=lambda c: (c.hop, c.entity_id)), 1):
        rel = ",".join(c.relations)
        out.lines.append(f"[E{i}] {c.label} {c.entity_id} ({c.type or '?'}, {rel}, hop {c.hop})")


async def topology_node(state: InvestigationState, runtime: Runtime[InvestigationContext]) -> dict[str, Any]:
    """Candidates from the problem's entities and their Smartscape neighbourhood.

    Runs beside the evidence branches that do not need it (changes, traces, logs, impact);
    only the metrics branch waits for it, because it asks for the candidates' series.
    """
    return await run_branch("topology", _gather, state, runtime)
