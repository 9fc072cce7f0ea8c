"""Metrics branch: response time, failures, throughput, CPU, memory, disk, network, throttling.

The branch first lists the tenant's metric keys (DQL ``metrics``), then asks few
``timeseries`` queries for the keys that matter, split by the dimensions they really carry
(entity ids, pod or service names) and restricted to the candidates where ids allow
(:mod:`.metric_plan`). A tenant that cannot list keys gets the fixed groups below. Grail does
the aggregation; each query that fails is its own gap.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from datetime import UTC
from functools import partial
from typing import Any

from langgraph.runtime import Runtime

from dynatrace_agent.analysis import Gap, MetricDeviation, ProblemInfo, Window
from dynatrace_agent.analysis.signals import metric_deviations
from dynatrace_agent.capabilities import CapabilityResult, query_metrics
from dynatrace_agent.capabilities.base import grail_query
from dynatrace_agent.client import DynatraceClient
from dynatrace_agent.errors import DynatraceAgentError
from graphs.investigation.context import InvestigationContext
from graphs.investigation.nodes.common import Collector, names_of, no_window_gap, run_branch, window_of
from graphs.investigation.nodes.metric_plan import (
    KeyInfo,
    QueryPlan,
    listing_query,
    parse_listing,
    plan_queries,
    select_keys,
    split_usable,
)
from graphs.investigation.state import InvestigationState

__all__ = ["METRIC_GROUPS", "combine_updates", "metrics_node", "topology_and_metrics_node"]

CAPABILITY = "metrics"
#: Fallback keys every request-serving entity may have (services, gateways, custom devices,
#: functions, workloads), asked when the tenant cannot list its keys; both spellings of
#: response time are asked, unknown keys come back empty with a warning.
REQUEST_KEYS = (
    "dt.service.request.response_time",
    "dt.service.response.time",
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
#: Keys read from the listing (a tenant with more has them cut; the planner keeps 40 anyway).
_LISTING_LIMIT = 5000


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


async def _list_keys(client: DynatraceClient, window_start: str, window_end: str) -> list[KeyInfo] | None:
    """The tenant's metric keys with data in the window, or None when the listing is not available.

    One DQL ``metrics`` query. Any failure (an older tenant, a missing scope, a DQL error) means
    the branch falls back to its fixed key lists; it is not a gap, since nothing is lost yet.
    """
    queries: list[str] = []
    try:
        result = await grail_query(
            client,
            CAPABILITY,
            listing_query(window_start, window_end),
            max_records=_LISTING_LIMIT,
            queries=queries,
        )
    except (DynatraceAgentError, ValueError):
        return None
    return parse_listing(r for r in result.records if isinstance(r, dict))


def _fixed_plans(candidates: list[dict[str, Any]]) -> list[QueryPlan]:
    """The fixed groups, for tenants whose keys cannot be listed."""
    plans = []
    for label, etype, keys, dim in METRIC_GROUPS:
        ids = _ids_for(candidates, etype) if etype else []
        if etype and not ids:
            continue
        plans.append(QueryPlan(label, keys, (dim,) if dim else (), tuple(ids), named_only=bool(dim)))
    return plans


def _named_only(raw: list[dict[str, Any]], by: tuple[str, ...]) -> list[dict[str, Any]]:
    """Series of a by-name split that carry at least one of the names (others have no owner)."""
    return [r for r in raw if any(r.get(d) not in (None, "") for d in by)]


def _iso_range(window: Window) -> tuple[str, str]:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return window.baseline_start.astimezone(UTC).strftime(fmt), window.incident_end.astimezone(UTC).strftime(
        fmt
    )


async def _gather(
    client: DynatraceClient,
    state: InvestigationState,
    ctx: InvestigationContext,
    out: Collector,
    *,
    listing: Awaitable[list[KeyInfo] | None] | None = None,
) -> None:
    window = window_of(state)
    if window is None:
        out.gaps.append(no_window_gap(CAPABILITY))
        return
    candidates = state.get("candidates") or []
    total_minutes = window.baseline_minutes + window.incident_minutes
    interval = "1m" if total_minutes <= 240 else "5m"
    start_iso, end_iso = _iso_range(window)
    # The key listing does not depend on the candidates: the caller may have started it early.
    listed = await (listing if listing is not None else _list_keys(client, start_iso, end_iso))
    if listed is None:
        plans = _fixed_plans(candidates)
    else:
        usable, rejected = split_usable(listed)
        if rejected:
            shown = ", ".join(repr(k[:60]) for k in rejected[:3])
            out.gaps.append(
                Gap(
                    capability=CAPABILITY,
                    reason=(
                        f"{len(rejected)} listed metric key(s) cannot be named in a query and were "
                        f"skipped (e.g. {shown}); the other keys were asked for"
                    ),
                )
            )
        plans = plan_queries(select_keys(usable), candidates)
        if not plans:
            out.lines.append(
                f"[M0] the tenant lists {len(listed)} metric key(s), none about latency, "
                "failures, traffic or resources"
            )
    calls = [
        out.attempt(
            CAPABILITY,
            query_metrics(
                client,
                list(plan.keys),
                by=list(plan.by),
                entity_ids=list(plan.entity_ids),
                timeframe_start=window.baseline_start,
                timeframe_end=window.incident_end,
                interval=interval,
                max_series=500,
            ),
            plan.label,
        )
        for plan in plans
    ]
    results: list[CapabilityResult[Any] | None] = list(await asyncio.gather(*calls))
    deviations: list[MetricDeviation] = []
    for plan, result in zip(plans, results, strict=True):
        if result is not None:
            raw = _named_only(result.raw, plan.by) if plan.named_only else result.raw
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


async def metrics_node(
    state: InvestigationState,
    runtime: Runtime[InvestigationContext],
    *,
    listing: Awaitable[list[KeyInfo] | None] | None = None,
) -> dict[str, Any]:
    """Metric deviations of the candidates against the baseline (``state`` must hold the candidates)."""
    return await run_branch("metrics", partial(_gather, listing=listing), state, runtime)


async def _changed(state: InvestigationState, runtime: Runtime[InvestigationContext]) -> list[dict[str, Any]]:
    from graphs.investigation.nodes.change_query import window_change_events
    from graphs.investigation.nodes.changed_entities import changed_candidates
    from graphs.investigation.nodes.common import client_of

    window = window_of(state)
    info = state.get("problem_info")
    if window is None or not info:
        return []
    problem = ProblemInfo.model_validate(info)
    try:
        result = await window_change_events(client_of(runtime), runtime, window, problem.start)
    except (DynatraceAgentError, ValueError):
        return []  # the changes branch reports the gap; the metrics go on with the topology
    return changed_candidates(result.raw, problem, [])


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
    from graphs.investigation.nodes.common import client_of
    from graphs.investigation.nodes.routine_lines import routine_lines_node
    from graphs.investigation.nodes.topology import topology_node

    window = window_of(state)
    # The tenant's metric keys do not depend on the candidates: list them while topology runs.
    listing = (
        asyncio.ensure_future(_list_keys(client_of(runtime), *_iso_range(window)))
        if window is not None
        else None
    )
    try:
        found, extra = await asyncio.gather(topology_node(state, runtime), _changed(state, runtime))
    except BaseException:
        if listing is not None:
            listing.cancel()
        raise
    known = list(found.get("candidates", []))
    # Entities changed right before the start join the candidates for their own telemetry
    # (metrics, routine lines) wherever they sit; the ranking makes them candidates too.
    ids = {c.get("entity_id") for c in known}
    added = [c for c in extra if c["entity_id"] not in ids]
    with_candidates: InvestigationState = {**state, "candidates": known + added}
    try:
        metrics, lines = await asyncio.gather(
            metrics_node(with_candidates, runtime, listing=listing),
            routine_lines_node(with_candidates, runtime),
        )
    finally:
        if listing is not None and not listing.done():
            listing.cancel()  # the metrics branch gave up before it needed the listing
    merged = combine_updates(combine_updates(found, metrics), lines)
    return await _deeper(state, runtime, merged, known + added)


async def _deeper(
    state: InvestigationState,
    runtime: Runtime[InvestigationContext],
    merged: dict[str, Any],
    candidates: list[dict[str, Any]],
) -> dict[str, Any]:
    """Follow a deviation at the explored edge further down (see ``nodes.deepen``)."""
    from graphs.investigation.nodes.common import client_of
    from graphs.investigation.nodes.deepen import deepen

    later: list[dict[str, Any]] = []

    async def metrics_for(layer: list[dict[str, Any]]) -> list[MetricDeviation]:
        update = await metrics_node({**state, "candidates": layer}, runtime)
        later.append(update)
        return [MetricDeviation.model_validate(m) for m in update.get("metrics", [])]

    deviations = [MetricDeviation.model_validate(m) for m in merged.get("metrics", [])]
    added, _ = await deepen(client_of(runtime), candidates, deviations, metrics_for)
    if not added:
        return merged
    merged["candidates"] = [*merged.get("candidates", []), *added]
    digest = list(merged.get("digests", {}).get("metrics", []))
    for update in later:
        merged["metrics"] = [*merged.get("metrics", []), *update.get("metrics", [])]
        merged["gaps"] = [*merged.get("gaps", []), *update.get("gaps", [])]
        merged["citations"] = [*merged.get("citations", []), *update.get("citations", [])]
        digest += update.get("digests", {}).get("metrics", [])
        merged["tool_output_tokens"] = merged.get("tool_output_tokens", 0) + update.get(
            "tool_output_tokens", 0
        )
    names = ", ".join(c.get("name") or c["entity_id"] for c in added[:5])
    digest.append(
        f"[M+] the anomaly went on below the explored edge: {len(added)} deeper callee(s) ({names})"
    )
    merged["digests"] = {**merged.get("digests", {}), "metrics": digest}
    return merged
