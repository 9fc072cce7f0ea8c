"""PetShop's X-Ray nodes as Dynatrace entities: types, properties, call relationships, forms.

PetShop's node names are AWS X-Ray service-map names: ``<name>_<AWS type>`` for AWS resources
and services (``PetSearch_AWS::ECS::Fargate``, ``petInfo_AWS::DynamoDB::Table``), ``<name>_client``
for the callers X-Ray saw, ``<host>_remote`` for downstream endpoints of unknown type, and bare
names for instrumented code (``PetSite``, ``lambda_step_readDDB``). Every node becomes a
``SERVICE`` (the only entity type whose request metrics a tenant reports under
``dt.entity.service``), with a ``serviceType`` saying what it really is: ``DATABASE`` for data
stores, ``MESSAGING`` for queues, ``EXTERNAL`` (and ``isExternalService``) for remote endpoints
and AWS APIs, ``WEB_REQUEST``/``CUSTOM_SERVICE`` for code.

One resource often appears in several forms (``X_AWS::Lambda`` -> ``X_AWS::Lambda::Function``
-> ``X``; ``X_client`` -> ``X_AWS::ECS::Fargate``). The forms are chained with ``calls`` where
the graph does not already link them, so a walk down the call graph reaches the real code
behind its wrapper, and the root cause is accepted under any of its non-client forms.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import Any

from dynatrace_agent.importers.common import entity_id
from dynatrace_agent.importers.petshop_files import Graph

__all__ = ["SERVICE", "base_name", "build_entities", "forms_of", "link_forms", "node_id"]

SERVICE = "SERVICE"

_SUFFIX = re.compile(r"^(?P<base>.+?)_(?P<kind>AWS::[A-Za-z0-9:]+|Database::[A-Za-z0-9:]+|client|remote)$")
#: Order of a resource's forms from the outermost caller to the innermost code.
_FORM_RANK = {"client": 0, "AWS::Lambda": 1, "AWS::Lambda::Function": 2, "": 3}
_DATA_STORE = ("AWS::DynamoDB", "AWS::RDS", "Database::", "AWS::ElastiCache")
_CODE_TYPES = ("AWS::ECS::", "AWS::EC2::", "AWS::ApiGateway::", "AWS::ElasticBeanstalk")


def node_id(node: str) -> str:
    """The entity id of a node (stable across imports and scenarios)."""
    return entity_id(SERVICE, node)


def split_name(node: str) -> tuple[str, str]:
    """(base name, X-Ray kind) of a node; the kind is '' for instrumented code."""
    if node.startswith("AWS::"):
        return node, node  # an AWS resource X-Ray names by its type alone
    match = _SUFFIX.match(node)
    if match is None:
        return node, ""
    return match.group("base"), match.group("kind")


def base_name(node: str) -> str:
    """The resource name without its X-Ray type suffix."""
    return split_name(node)[0]


def _properties(node: str) -> dict[str, Any]:
    base, kind = split_name(node)
    props: dict[str, Any] = {}
    if kind:
        props["awsResourceType"] = kind
    lowered = node.lower()
    if kind.startswith(_DATA_STORE) or "pgsql" in lowered or "rds.amazonaws.com" in lowered:
        props["serviceType"] = "DATABASE"
        if "dynamodb" in lowered:
            props["databaseVendor"] = "DYNAMODB"
        elif "pgsql" in lowered or "postgres" in lowered:
            props["databaseVendor"] = "POSTGRESQL"
        if kind == "remote":
            props["isExternalService"] = True
    elif kind == "AWS::SQS::Queue" or "sqs." in lowered:
        props["serviceType"] = "MESSAGING"
    elif kind == "remote" or (kind.startswith("AWS::") and kind.count("::") == 1 and kind != "AWS::Lambda"):
        # A downstream endpoint of unknown type, or an AWS API called through its SDK (S3, SSM, STS…).
        props["serviceType"] = "EXTERNAL"
        props["isExternalService"] = True
    elif kind.startswith(("AWS::Lambda", "AWS::StepFunctions")) or (not kind and base.startswith("lambda")):
        props["serviceType"] = "CUSTOM_SERVICE"
    elif kind == "client":
        props["serviceType"] = "WEB_REQUEST"
        props["isClient"] = True
    else:
        props["serviceType"] = (
            "WEB_REQUEST" if (not kind or kind.startswith(_CODE_TYPES)) else "CUSTOM_SERVICE"
        )
    return props


def forms_of(node: str, nodes: Iterable[str]) -> list[str]:
    """All forms of the node's resource among ``nodes`` (itself included), outermost first."""
    base = base_name(node)
    same = [n for n in nodes if base_name(n) == base]
    return sorted(set(same) | {node}, key=lambda n: (_FORM_RANK.get(split_name(n)[1], 1), n))


def link_forms(graph: Graph, nodes: Iterable[str]) -> dict[str, list[str]]:
    """The graph's calls plus ``calls`` chaining each resource's forms where no edge links them."""
    calls = {caller: list(callees) for caller, callees in graph.calls.items()}
    everything = list(dict.fromkeys([*graph.nodes, *nodes]))
    seen: set[str] = set()
    for node in everything:
        base = base_name(node)
        if base in seen:
            continue
        seen.add(base)
        forms = forms_of(node, everything)
        for outer, inner in itertools.pairwise(forms):
            if inner in calls.get(outer, []) or outer in calls.get(inner, []):
                continue
            calls.setdefault(outer, []).append(inner)
    return calls


def build_entities(
    nodes: Iterable[str], calls: dict[str, list[str]], *, first_seen_ms: int, last_seen_ms: int
) -> list[dict[str, Any]]:
    """Entities API v2 records, one per node, with ``calls`` both ways."""
    ordered = list(dict.fromkeys(nodes))
    callers: dict[str, list[str]] = {}
    for caller, callees in calls.items():
        for callee in callees:
            callers.setdefault(callee, []).append(caller)
    entities = []
    for node in ordered:
        out = [{"id": node_id(c), "type": SERVICE} for c in calls.get(node, [])]
        inc = [{"id": node_id(c), "type": SERVICE} for c in callers.get(node, [])]
        entities.append(
            {
                "entityId": node_id(node),
                "type": SERVICE,
                "displayName": node,
                "firstSeenTms": first_seen_ms,
                "lastSeenTms": last_seen_ms,
                "properties": _properties(node),
                "tags": [
                    {
                        "context": "CONTEXTLESS",
                        "key": "app",
                        "value": "petshop",
                        "stringRepresentation": "app:petshop",
                    }
                ],
                "fromRelationships": {"calls": out} if out else {},
                "toRelationships": {"calls": inc} if inc else {},
            }
        )
    return entities
