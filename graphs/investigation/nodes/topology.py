"""Expand the problem's entities into a candidate set through Smartscape relationships.

Starting from the affected and impacted entities and Davis's root-cause hint, the entities
they call (services, gateways, custom devices, functions alike; down to ``MAX_CALL_DEPTH``
hops, what those call) and that call them, their process groups, hosts and cluster, and the
other processes on those hosts (noisy neighbours) become candidates. The expansion is
breadth-first, but its requests are not one round per hop: relationship selectors ask for the
seed services' callees, their callees, callers, process groups and hosts up front, and each
later batch (one request per entity type for a list of ids, one for the processes on all the
hosts) serves every hop that still lacks an answer. Usually two dependent rounds, and the
cost does not grow with the number of entities.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any

from langgraph.runtime import Runtime

from dynatrace_agent.analysis import Candidate, ProblemInfo
from dynatrace_agent.analysis.evidence import Relation
from dynatrace_agent.capabilities import CapabilityResult, list_entities
from dynatrace_agent.capabilities.entities import Relationship, build_entity_selector
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import DynatraceAgentError
from graphs.investigation.context import InvestigationContext
from graphs.investigation.nodes.common import Collector, run_branch
from graphs.investigation.state import InvestigationState

__all__ = ["MAX_CANDIDATES", "expand_topology", "topology_node"]

MAX_CANDIDATES = 60
#: Entity types that are the impacted side (users, frontends), never a root cause here.
_NOT_CANDIDATES = {"APPLICATION", "MOBILE_APPLICATION", "CUSTOM_APPLICATION", "SYNTHETIC_TEST", "HTTP_CHECK"}
#: How far down the call graph the candidates reach: a root cause is often a callee's callee.
MAX_CALL_DEPTH = 4
_MAX_ROUNDS = MAX_CALL_DEPTH + 1
_MAX_HOSTS = 10
#: Processes kept per host (noisy neighbours).
_MAX_RESIDENTS = 50
#: Look-ahead requests only for a handful of seed services (their selectors stay short).
_MAX_LOOK_AHEAD_SEEDS = 20
#: One page per look-ahead request; what it leaves out is looked up by id when needed.
_LOOK_AHEAD_MAX = 99


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


class _Calls:
    """Call edges from every entity description seen, followed both ways.

    A case or tenant may record ``calls`` only on the caller (``fromRelationships``) or only
    on the callee (``toRelationships``): if B lists A in ``toRelationships.calls``, A calls B
    even when A's own record says nothing about it.
    """

    def __init__(self, raws: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.callees: dict[str, list[str]] = {}
        self.callers: dict[str, list[str]] = {}
        for ident, raw in (raws or {}).items():
            for callee in _ids(raw.get("fromRelationships"), "calls"):
                self._link(ident, callee)
            for caller in _ids(raw.get("toRelationships"), "calls"):
                self._link(caller, ident)

    def _link(self, caller: str, callee: str) -> None:
        if caller == callee:
            return
        out = self.callees.setdefault(caller, [])
        if callee not in out:
            out.append(callee)
        inc = self.callers.setdefault(callee, [])
        if caller not in inc:
            inc.append(caller)

    def of(self, ident: str, raw: Mapping[str, Any] | None = None) -> tuple[list[str], list[str]]:
        """(callees, callers) of one entity: its own record's, then those others recorded."""
        own = raw or {}
        callees = _ids(own.get("fromRelationships"), "calls")
        callers = _ids(own.get("toRelationships"), "calls")
        callees += [i for i in self.callees.get(ident, []) if i not in callees]
        callers += [i for i in self.callers.get(ident, []) if i not in callers]
        return callees, callers


class _Graph:
    def __init__(self, calls: _Calls | None = None) -> None:
        self.nodes: dict[str, _Node] = {}
        self.calls = calls or _Calls()

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
        callees, callers = self.calls.of(node.entity_id, raw)
        # Calls are followed from every entity type: an API gateway, a custom device or a
        # function named by the problem leads to its callees just as a service does.
        if node.hop < MAX_CALL_DEPTH and (node.hop == 0 or "callee" in node.relations):
            for callee in callees:
                self.add(callee, "callee", nxt)
        if node.hop == 0:
            for caller in callers:
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


def _candidate(node: _Node, source: str | None, calls: _Calls | None = None) -> Candidate:
    raw = node.raw or {}
    callees, callers = (calls or _Calls()).of(node.entity_id, raw)
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
        calls=list(callees),
        called_by=list(callers),
        hosts=hosts,
        process_groups=pgs,
        is_database=_is_database(raw),
        is_external=_is_external(raw),
        source=source,
    )


@dataclass
class _Cache:
    """What the entity requests answered so far, whichever request it was."""

    raws: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    #: Ids asked for by id (found or not, or the request failed): never asked for again.
    looked_up: set[str] = field(default_factory=set)
    #: The processes on a host, as the per-host request returned them (None: it failed).
    residents: dict[str, list[dict[str, Any]] | None] = field(default_factory=dict)
    #: Whether the processes of several hosts did not fit one request: ask host by host.
    per_host: bool = False

    def assign_residents(self, hosts: list[str], result: CapabilityResult[Any] | None) -> None:
        """Split one request for the processes on several hosts into each host's list.

        A process runs on a host when either side names the other (the process group's
        ``runsOn`` or the host's incoming ``runsOn``), as the selector matched them; each
        host keeps the first ``_MAX_RESIDENTS`` in the answer's order. A truncated answer
        cannot be split faithfully: those hosts are then asked for one by one.
        """
        if not hosts:
            return
        if result is not None and result.truncated and len(hosts) > 1:
            self.per_host = True
            return
        for host in hosts:
            if result is None:
                self.residents[host] = None
                continue
            hosted = set(_ids((self.raws.get(host) or {}).get("toRelationships"), "runsOn"))
            self.residents[host] = [
                raw
                for raw in result.raw
                if raw.get("entityId") in hosted or host in _ids(raw.get("fromRelationships"), "runsOn")
            ][:_MAX_RESIDENTS]

    def store(self, entities: list[dict[str, Any]], query: str | None) -> None:
        for raw in entities:
            ident = raw.get("entityId")
            if isinstance(ident, str):
                self.raws[ident] = raw
                if query:
                    self.sources[ident] = query


@dataclass
class _Misses:
    """What a replay of the expansion needed and the cache did not hold."""

    by_type: dict[str, list[str]] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.by_type or self.hosts)


def _seeded(info: ProblemInfo, calls: _Calls | None = None) -> _Graph:
    graph = _Graph(calls)
    for ref in info.affected:
        graph.add(ref.id, "affected", 0, name=ref.name)
    for ref in info.impacted:
        graph.add(ref.id, "impacted", 0, name=ref.name)
    if info.root_cause_hint is not None:
        graph.add(info.root_cause_hint.id, "davis_root", 0, name=info.root_cause_hint.name)
    return graph


def _replay(info: ProblemInfo, cache: _Cache) -> tuple[_Graph, _Misses]:
    """The breadth-first expansion, round by round, answered from ``cache``.

    Each round looks up every entity not looked up yet (per type, the first 100) and, for the
    hosts up to one hop away, the processes running on them. An entity the cache lacks is a
    miss: it stays unexpanded and the later rounds go on with what is known, so one batch of
    requests can serve the misses of several rounds. With no misses left, the graph is the
    one that hop-by-hop requests would have built.
    """
    graph, misses = _seeded(info, _Calls(cache.raws)), _Misses()
    fetched: set[str] = set()
    for _ in range(_MAX_ROUNDS):
        wanted = [i for i in graph.nodes if i not in fetched]
        if not wanted:
            break
        fetched.update(wanted)
        by_type: dict[str, list[str]] = {}
        for ident in wanted:
            by_type.setdefault(_type_of(ident), []).append(ident)
        hosts = [i for i in by_type.get("HOST", []) if graph.nodes[i].hop <= 1][:_MAX_HOSTS]
        for host in hosts:
            if host not in cache.residents:
                if host not in misses.hosts:
                    misses.hosts.append(host)
                continue
            for raw in cache.residents[host] or []:
                resident = raw.get("entityId")
                if isinstance(resident, str):
                    graph.add(resident, "process_group", graph.nodes[host].hop + 1)
                    fetched.add(resident)
                    _absorb(graph, resident, raw)
        for etype, ids in by_type.items():
            for ident in ids[:100]:
                if ident in cache.raws:
                    _absorb(graph, ident, cache.raws[ident])
                elif ident not in cache.looked_up:
                    pending = misses.by_type.setdefault(etype, [])
                    if ident not in pending:
                        pending.append(ident)
        for ident in wanted:
            node = graph.nodes[ident]
            if node.raw is not None:
                graph.expand(node)
    return graph, misses


def _absorb(graph: _Graph, ident: str, raw: dict[str, Any]) -> None:
    node = graph.nodes.get(ident)
    if node is None:
        return
    node.raw = raw
    node.name = node.name or raw.get("displayName")
    node.type = raw.get("type") or node.type


async def _residents(
    client: DynatraceClient, hosts: list[str], out: Collector
) -> CapabilityResult[Any] | None:
    """The process groups running on any of ``hosts`` (noisy neighbours), in one request."""
    on_hosts = Relationship("from", "runsOn", build_entity_selector(ids=hosts))
    call = list_entities(
        client, entity_type="PROCESS_GROUP", related=[on_hosts], max_entities=_MAX_RESIDENTS * len(hosts)
    )
    return await out.attempt("entities", call, "topology")


async def _quietly(out: Collector, call: Awaitable[CapabilityResult[Any]]) -> CapabilityResult[Any] | None:
    """A look-ahead request: cited when it answers; when it fails, the lookups by id cover it."""
    try:
        result = await call
    except (DynatraceAgentError, ValueError):
        return None
    out.cite(result, "entities")
    return result


def _look_ahead(client: DynatraceClient, seeds: list[str]) -> list[Awaitable[CapabilityResult[Any]]]:
    """Requests for what the rounds after the first will want around the seed services.

    The services they call and those these call, the services calling them, and their
    process groups and hosts: each kind in one request with a relationship selector, instead
    of a round of lookups by id per hop.
    """
    if not seeds or len(seeds) > _MAX_LOOK_AHEAD_SEEDS:
        return []
    seed_selector = build_entity_selector(ids=seeds)
    wanted: list[tuple[str, Relationship]] = []
    target = seed_selector
    # Callees one and two hops down: what the third hop calls needs no expanding, so it is
    # looked up by id with the rest of the second batch.
    for _ in range(MAX_CALL_DEPTH - 1):
        called = Relationship("to", "calls", target)
        wanted.append(("SERVICE", called))
        target = build_entity_selector(type_="SERVICE", related=[called])
    wanted += [
        ("SERVICE", Relationship("from", "calls", seed_selector)),
        ("PROCESS_GROUP", Relationship("to", "runsOn", seed_selector)),
        ("HOST", Relationship("to", "runsOnHost", seed_selector)),
    ]
    return [
        list_entities(client, entity_type=etype, related=[rel], max_entities=_LOOK_AHEAD_MAX)
        for etype, rel in wanted
    ]


#: Seed types other than services whose call neighbourhood is asked for up front (at most).
_MAX_OTHER_SEED_TYPES = 2
#: Entity types that are called the way services are (functions behind gateways, queues and
#: managed endpoints as custom devices); a seed's callees of these types are asked for even
#: when only the callee's record holds the edge.
_CALLEE_TYPES = ("CUSTOM_DEVICE", "AWS_LAMBDA_FUNCTION")


def _look_ahead_other(client: DynatraceClient, seeds: list[str]) -> list[Awaitable[CapabilityResult[Any]]]:
    """Call neighbours of seeds that are not services (custom devices, functions, gateways).

    Their own records may not list what they call: the callee can be the only side that
    records the edge (``toRelationships.calls``), and a lookup by id of the seed never shows
    it. Relationship selectors find the entities of the seed's own type and services that the
    seeds call (one and two hops down) or that call them, whichever side recorded the edge.
    """
    by_type: dict[str, list[str]] = {}
    for ident in seeds:
        etype = _type_of(ident)
        if etype and etype != "SERVICE" and etype not in _INFRA_SEED_TYPES:
            by_type.setdefault(etype, []).append(ident)
    calls: list[Awaitable[CapabilityResult[Any]]] = []
    for etype, ids in list(by_type.items())[:_MAX_OTHER_SEED_TYPES]:
        if len(ids) > _MAX_LOOK_AHEAD_SEEDS:
            continue
        seed_selector = build_entity_selector(ids=ids)
        kinds = [etype, "SERVICE"]
        wanted: list[tuple[str, Relationship]] = []
        for kind in kinds:
            wanted.append((kind, Relationship("to", "calls", seed_selector)))
            wanted.append((kind, Relationship("from", "calls", seed_selector)))
        for first in kinds:
            hop_one = build_entity_selector(type_=first, related=[Relationship("to", "calls", seed_selector)])
            for kind in kinds:
                wanted.append((kind, Relationship("to", "calls", hop_one)))
        # What the seed calls may be of yet another type (an API gateway invoking a function):
        # the Entities API wants a type per selector, so each common callee type is asked once.
        for kind in _CALLEE_TYPES:
            if kind not in kinds:
                wanted.append((kind, Relationship("to", "calls", seed_selector)))
        calls += [
            list_entities(client, entity_type=kind, related=[rel], max_entities=_LOOK_AHEAD_MAX)
            for kind, rel in wanted
        ]
    return calls


#: Seed types whose neighbourhood is not a call graph (asked for through runsOn instead).
_INFRA_SEED_TYPES = frozenset(
    {"HOST", "PROCESS_GROUP", "PROCESS_GROUP_INSTANCE", "KUBERNETES_CLUSTER", "KUBERNETES_NODE"}
)


async def expand_topology(client: DynatraceClient, info: ProblemInfo, out: Collector) -> list[Candidate]:
    """Candidates around the problem; an entity request that fails leaves the seeds as they are.

    The expansion is breadth-first over up to ``_MAX_ROUNDS`` hops, but the requests do not
    go hop by hop: the first batch also asks, with relationship selectors, for the seed
    services' callees and their callees, their callers, process groups and hosts; each later
    batch asks for whatever the expansion, replayed on the answers so far, still
    lacks in any of its rounds. The candidates are those hop-by-hop lookups would find.
    """
    cache = _Cache()
    seeded = list(_seeded(info).nodes)
    seeds = [i for i in seeded if _type_of(i) == "SERVICE"][:100]
    ahead = [*_look_ahead(client, seeds), *_look_ahead_other(client, seeded)]
    graph, misses = _replay(info, cache)
    for _ in range(_MAX_ROUNDS + 1):
        if not misses:
            break
        chunks = [ids[i : i + 100] for ids in misses.by_type.values() for i in range(0, len(ids), 100)]
        # The processes on the hosts: one request for all of them unless that did not fit.
        groups = [[host] for host in misses.hosts] if cache.per_host else [misses.hosts]
        groups = [group for group in groups if group]
        results = await asyncio.gather(
            *(
                out.attempt("entities", list_entities(client, entity_ids=ids, max_entities=200), "topology")
                for ids in chunks
            ),
            *(_residents(client, group, out) for group in groups),
            *(_quietly(out, call) for call in ahead),
        )
        ahead = []
        for result in results:
            if result is not None:
                cache.store(result.raw, result.query)
        for ids in chunks:
            cache.looked_up.update(ids)
        for group, result in zip(groups, results[len(chunks) : len(chunks) + len(groups)], strict=True):
            cache.assign_residents(group, result)
        graph, misses = _replay(info, cache)
    for node in graph.nodes.values():
        # An entity some answer described (a look-ahead, a host's processes) keeps its name
        # even when the expansion stopped before looking it up.
        known = cache.raws.get(node.entity_id)
        if not node.name and known is not None:
            node.name = known.get("displayName") or None
    return [_candidate(n, cache.sources.get(n.entity_id), graph.calls) for n in graph.nodes.values()]


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
