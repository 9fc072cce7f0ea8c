"""Metrics branch: response time, failures, throughput, CPU, memory, disk, network, throttling.

One ``timeseries`` per entity kind (services, hosts, process groups, Kubernetes throttling),
restricted to the candidates and split by entity, so Grail does the aggregation and one
request answers for every candidate of that kind. Each group that fails is its own gap.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from langgraph.runtime import Runtime

from dynatrace_agent.analysis import Gap, MetricDeviation
from dynatrace_agent.analysis.signals import metric_deviations
from dynatrace_agent.capabilities import CapabilityResult, query_metrics
from dynatrace_agent.client import DynatraceClient
from graphs.investigation.context import InvestigationContext
from graphs.investigation.nodes.common import Collector, names_of, no_window_gap, run_branch, window_of
from graphs.investigation.state import InvestigationState

__all__ = ["METRIC_GROUPS", "combine_updates", "metrics_node", "topology_and_metrics_node"]

CAPABILITY = "metrics"
#: Keys every request-serving entity may have (services, gateways, custom devices, functions,
#: workloads): the simulator and Grail cannot list keys, so a broad list is asked and unknown
#: keys come back empty with a warning.
REQUEST_KEYS = (
    "dt.service.request.response_time",
    "dt.service.request.failure_count",
    "dt.service.request.failure_rate",
    "dt.service.request.count",
)
#: Availability keys (an availability drop is failures even when latency falls).
AVAILABILITY_KEYS = (
    "custom.availability",
    "dt.service.availability",
    "dt.synthetic.http.availability",
    "dt.synthetic.browser.availability",
    "dt.cloud.aws.availability",
)
#: Container and pod metrics of Kubernetes workloads.
CONTAINER_KEYS = (
    "dt.kubernetes.container.cpu_throttled",
    "dt.kubernetes.container.cpu_usage",
    "dt.kubernetes.container.memory_working_set",
    "dt.kubernetes.container.restarts",
    "dt.kubernetes.pod.network.tcp_retransmits",
)
#: Entity types whose metrics are infrastructure, asked for with their own keys.
_INFRA_TYPES = {
    "HOST",
    "PROCESS_GROUP",
    "PROCESS_GROUP_INSTANCE",
    "KUBERNETES_CLUSTER",
    "KUBERNETES_NODE",
    "CLOUD_APPLICATION_NAMESPACE",
}
#: (group, entity types of the candidates (``*`` = every non-infrastructure type), metric keys,
#: dimension to split by when no candidate filter applies)
METRIC_GROUPS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("request metrics", "*", REQUEST_KEYS, ""),
    ("availability metrics", "*", AVAILABILITY_KEYS, ""),
    (
        "host metrics",
        "HOST",
        (
            "dt.host.cpu.usage",
            "dt.host.memory.usage",
            "dt.host.disk.used.percent",
            "dt.host.net.nic.packets.dropped",
            "dt.host.net.nic.packets.retransmitted",
        ),
        "",
    ),
    (
        "process metrics",
        "PROCESS_GROUP",
        ("dt.process.cpu.usage", "dt.process.memory.usage"),
        "",
    ),
    # Series keyed only by names (no dt.entity.* dimension) are found by splitting by the name;
    # the ranking resolves names to candidates by display name or pod-name prefix.
    ("request metrics by service name", "", REQUEST_KEYS, "service.name"),
    ("request metrics by workload", "", REQUEST_KEYS, "k8s.workload.name"),
    ("container metrics by workload", "", CONTAINER_KEYS, "k8s.workload.name"),
)
_MAX_IDS = 50


def _ids_for(candidates: list[dict[str, Any]], etype: str) -> list[str]:
    if etype == "*":
        ids = [
            c["entity_id"]
            for c in candidates
            if (c.get("type") or "").upper() not in _INFRA_TYPES and _ENTITY_ID.match(c["entity_id"])
        ]
    else:
        ids = [c["entity_id"] for c in candidates if (c.get("type") or "").upper() == etype]
    return ids[:_MAX_IDS]


_ENTITY_ID = re.compile(r"^[A-Z][A-Z0-9_]*-[0-9A-F]{1,16}$")


def _named(raw: list[dict[str, Any]], dim: str) -> list[dict[str, Any]]:
    """Series of a by-name split that carry the name (a series without it has no owner)."""
    return [r for r in raw if r.get(dim) not in (None, "")]


def _unattributed(deviations: list[MetricDeviation], candidates: list[dict[str, Any]]) -> list[str]:
    """Entities of series that match no candidate by id, name or pod-name prefix."""
    known: set[str] = set()
    for c in candidates:
        known.add(str(c["entity_id"]).lower())
        if c.get("name"):
            known.add(str(c["name"]).lower())
    out = []
    for m in deviations:
        names = [m.entity_id or "", *m.dimensions.values()]
        matched = any(n.lower() in known or _POD_SUFFIX.sub("", n.lower()) in known for n in names if n)
        if not matched and m.entity_id and m.entity_id not in out:
            out.append(m.entity_id)
    return out


_POD_SUFFIX = re.compile(r"-[a-z0-9]{6,10}-[a-z0-9]{5}$|-\d+$")


def _lines(deviations: list[MetricDeviation], names: dict[str, str]) -> list[str]:
    ranked = sorted(deviations, key=lambda m: -abs(m.z_score or 0.0))
    lines = []
    for i, m in enumerate(ranked, 1):
        label = names.get(m.entity_id or "", m.entity_id or "?")
        z = f"z={m.z_score:+.1f}" if m.z_score is not None else "no baseline"
        lines.append(
            f"[M{i}] {label} ({m.entity_id}) {m.metric_key}: "
            f"{_num(m.baseline_mean)} → {_num(m.incident_mean)}"
            f" (max {_num(m.incident_max)}{' ' + m.unit if m.unit else ''}, {z})"
        )
    return lines


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


async def _gather(
    client: DynatraceClient, state: InvestigationState, ctx: InvestigationContext, out: Collector
) -> None:
    window = window_of(state)
    if window is None:
        out.gaps.append(no_window_gap(CAPABILITY))
        return
    candidates = state.get("candidates") or []
    total_minutes = window.baseline_minutes + window.incident_minutes
    interval = "1m" if total_minutes <= 240 else "5m"
    calls = []
    dims: list[str] = []
    for label, etype, keys, dim in METRIC_GROUPS:
        ids = _ids_for(candidates, etype) if etype else []
        if etype and not ids:
            continue
        dims.append(dim)
        calls.append(
            out.attempt(
                CAPABILITY,
                query_metrics(
                    client,
                    list(keys),
                    by=[dim] if dim else [],
                    entity_ids=ids,
                    timeframe_start=window.baseline_start,
                    timeframe_end=window.incident_end,
                    interval=interval,
                    max_series=500,
                ),
                label,
            )
        )
    results: list[CapabilityResult[Any] | None] = list(await asyncio.gather(*calls))
    deviations: list[MetricDeviation] = []
    for dim, result in zip(dims, results, strict=True):
        if result is not None:
            raw = _named(result.raw, dim) if dim else result.raw
            deviations += metric_deviations(raw, window, source=result.query)
    if candidates and (lost := _unattributed(deviations, candidates)):
        out.gaps.append(
            Gap(
                capability=CAPABILITY,
                reason=(
                    f"{len(lost)} metric series owner(s) match no candidate by id, name or pod name "
                    f"(e.g. {', '.join(lost[:3])}); they were ranked as extra entities"
                ),
            )
        )
    if calls and all(r is None for r in results):
        return  # every group failed; each is a gap already
    out.update["metrics"] = [m.model_dump(mode="json") for m in deviations]
    lines = _lines(deviations, names_of(state))
    out.lines.extend(lines or ["[M0] no metric series for the candidates in the window"])


async def metrics_node(state: InvestigationState, runtime: Runtime[InvestigationContext]) -> dict[str, Any]:
    """Metric deviations of the candidates against the baseline (``state`` must hold the candidates)."""
    return await run_branch("metrics", _gather, state, runtime)


def combine_updates(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Two branch updates as one, with the reducers' semantics (lists added, dicts merged, sums)."""
    merged = {**first, **second}
    for key in ("gaps", "citations"):
        merged[key] = [*first.get(key, []), *second.get(key, [])]
    for key in ("digests", "branch_ms"):
        merged[key] = {**first.get(key, {}), **second.get(key, {})}
    merged["tool_output_tokens"] = first.get("tool_output_tokens", 0) + second.get("tool_output_tokens", 0)
    return merged


async def topology_and_metrics_node(
    state: InvestigationState, runtime: Runtime[InvestigationContext]
) -> dict[str, Any]:
    """Find the candidates, then ask for their metrics, in one node.

    LangGraph runs nodes in supersteps: a separate metrics node after the topology node would
    wait for the slowest branch of the first step (traces) before starting. Chaining the two
    inside one node lets the metrics start as soon as the candidates are known.
    """
    from graphs.investigation.nodes.topology import topology_node

    found = await topology_node(state, runtime)
    with_candidates: InvestigationState = {**state, "candidates": found.get("candidates", [])}
    return combine_updates(found, await metrics_node(with_candidates, runtime))
