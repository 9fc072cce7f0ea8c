"""Whole traces sampled from the fault model, as ``fetch spans`` returns them.

Each trace starts at an entry endpoint and walks the call graph: a server span per service
visited, a client span per outgoing call (database and external calls are client spans
only, carrying ``db.*`` / ``server.address``, as agents record them). A failure at a deep
service fails its caller's client span and, unless the caller falls back, the caller's
server span too — so the origin of a failure is the deepest failing span.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evals.generators.base.clock import NS_PER_MIN, NS_PER_MS, iso
from evals.generators.base.dynamics import LATENCY_SPREAD, PROPAGATE, Dynamics
from evals.generators.base.model import Entry
from evals.generators.base.rng import CaseRandom
from evals.generators.base.tenant import Tenant

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class SpanFact:
    """What the log generator needs to know about a server span to log about it."""

    service: str
    endpoint: str
    pod: str | None
    host: str
    start_ns: int
    duration_ns: int
    trace_id: str
    span_id: str
    failed: bool
    origin: bool
    failing_callee: str | None
    status: int


def split_endpoint(name: str) -> tuple[str | None, str]:
    """``"POST /api/pay"`` → ``("POST", "/api/pay")``; other names have no HTTP method."""
    head, _, rest = name.partition(" ")
    if head in HTTP_METHODS and rest:
        return head, rest
    return None, name


class TraceSampler:
    """Samples traces until a span budget is reached."""

    def __init__(
        self,
        tenant: Tenant,
        dynamics: Dynamics,
        rng: CaseRandom,
        start_ns: int,
        before_min: int,
        after_min: int,
    ) -> None:
        self.tenant = tenant
        self.dyn = dynamics
        self.rng = rng
        self.start_ns = start_ns
        self.before = before_min
        self.after = after_min
        self.spans: list[dict[str, Any]] = []
        self.facts: list[SpanFact] = []

    def run(self, target: int) -> tuple[list[dict[str, Any]], list[SpanFact]]:
        minutes = list(range(-self.before, self.after))
        entries = self.dyn.entries
        # entries are weighted by the square root of their traffic, so rare but important
        # transactions (checkout next to browsing) still have enough traces to be analysed
        weights = [sum(e.per_minute**0.5 * self.dyn.traffic(e, m + 0.5) for e in entries) for m in minutes]
        while len(self.spans) < target:
            m = self.rng.weighted(minutes, weights)
            t_ns = self.start_ns + m * NS_PER_MIN + self.rng.randrange(NS_PER_MIN)
            rel = m + 0.5
            entry: Entry = self.rng.weighted(
                list(entries), [e.per_minute**0.5 * self.dyn.traffic(e, rel) for e in entries]
            )
            trace_id = self.rng.lower_hex(32)
            self._server(entry.service, entry.endpoint, trace_id, None, t_ns, rel, root=True)
        self.spans.sort(key=lambda s: (s["start_time"], s["span.id"]))
        return self.spans, self.facts

    def _place(self, service: str) -> tuple[str | None, str]:
        s = self.tenant.services[service]
        if s.pods:
            pod, host = self.rng.pick(s.pods)
            return pod, host
        return None, self.rng.pick(s.hosts)

    def _server(
        self,
        service: str,
        endpoint: str,
        trace_id: str,
        parent: str | None,
        t_ns: int,
        rel: float,
        *,
        root: bool = False,
    ) -> tuple[int, bool, int]:
        """Emit the server span (and its subtree); returns (duration ns, failed, status)."""
        s = self.tenant.services[service]
        ep = s.endpoints[endpoint]
        own = self.dyn.own(service, rel)
        span_id = self.rng.lower_hex(16)
        pod, host = self._place(service)
        self_ms = self.rng.around(own.latency_ms * ep.latency_factor, LATENCY_SPREAD)
        cursor = t_ns + int(self_ms * 0.3 * NS_PER_MS)
        failed_own = self.rng.random() < own.error_rate
        failed = failed_own
        failing_callee: str | None = None
        status = own.status_code if failed_own else 200
        for call in ep.calls:
            if self.rng.random() >= call.prob:
                continue
            c_dur, c_failed, c_status = self._client(
                service, call.service, call.endpoint, call.timeout_ms, trace_id, span_id, cursor, rel, pod
            )
            cursor += c_dur + int(self.rng.uniform(0.05, 0.4) * NS_PER_MS)
            if c_failed and not call.fallback and not failed and self.rng.random() < PROPAGATE:
                failed = True
                failing_callee = call.service
                status = 502 if c_status in (502, 503, 504) and s.key.endswith("gateway") else 500
                if c_status == 504:
                    status = 504
        end_ns = max(cursor, t_ns + int(self_ms * NS_PER_MS)) + int(self_ms * 0.1 * NS_PER_MS)
        method, route = split_endpoint(endpoint)
        if not failed and method == "GET" and self.rng.random() < 0.015:
            status = 404
        record: dict[str, Any] = {
            "trace.id": trace_id,
            "span.id": span_id,
            "span.parent_id": parent,
            "span.name": endpoint,
            "span.kind": "server",
            "start_time": iso(t_ns),
            "end_time": iso(end_ns),
            "duration": end_ns - t_ns,
            "dt.entity.service": s.id,
            "dt.service.name": s.name,
            "service.name": s.name,
            "endpoint.name": endpoint,
            "request.is_failed": failed,
            "request.is_root_span": root,
            "span.status_code": "error" if failed else "ok",
        }
        if method:
            record["http.request.method"] = method
            record["http.route"] = route
            record["http.response.status_code"] = status
        else:
            record["rpc.system"] = "grpc"
            record["rpc.method"] = endpoint.rsplit("/", 1)[-1]
            record["rpc.grpc.status_code"] = 0 if not failed else (4 if status == 504 else 13)
        if s.process_group:
            record["dt.entity.process_group"] = self.tenant.process_groups[s.process_group].id
        record["dt.entity.host"] = self.tenant.hosts[host].id
        if pod:
            record["k8s.pod.name"] = pod
            record["k8s.namespace.name"] = s.namespace
        if failed_own and own.exception_type:
            record["exception.type"] = own.exception_type
            record["exception.message"] = own.exception_message or ""
        self.spans.append(record)
        self.facts.append(
            SpanFact(
                service,
                endpoint,
                pod,
                host,
                t_ns,
                end_ns - t_ns,
                trace_id,
                span_id,
                failed,
                failed_own,
                failing_callee,
                status,
            )
        )
        return end_ns - t_ns, failed, status

    def _client(
        self,
        caller: str,
        callee: str,
        endpoint: str,
        timeout_ms: float | None,
        trace_id: str,
        parent: str,
        t_ns: int,
        rel: float,
        caller_pod: str | None,
    ) -> tuple[int, bool, int]:
        """Emit the caller's client span and the callee's subtree; returns (duration, failed, status)."""
        c = self.tenant.services[callee]
        caller_info = self.tenant.services[caller]
        span_id = self.rng.lower_hex(16)
        net_ms, net_err = self.dyn.edge(caller, callee, rel)
        net_ns = int((self.rng.around(0.6, 0.4) + self.rng.around(net_ms, 0.25)) * NS_PER_MS)
        method, route = split_endpoint(endpoint)
        record: dict[str, Any] = {
            "trace.id": trace_id,
            "span.id": span_id,
            "span.parent_id": parent,
            "span.kind": "client",
            "dt.entity.service": caller_info.id,
            "dt.service.name": caller_info.name,
            "service.name": caller_info.name,
            "request.is_root_span": False,
        }
        if c.kind in ("database", "external", "queue"):
            own = self.dyn.own(callee, rel)
            dur_ns = (
                int(
                    self.rng.around(own.latency_ms * c.endpoints[endpoint].latency_factor, LATENCY_SPREAD)
                    * NS_PER_MS
                )
                + net_ns
            )
            failed = self.rng.random() < own.error_rate
            status = own.status_code if failed else 200
            if c.kind == "database":
                record["span.name"] = endpoint.split(" ", 1)[0] + " " + c.name.split()[-1]
                record["db.system"] = c.technology.lower()
                record["db.namespace"] = c.name.split()[-1]
                record["db.statement"] = endpoint
                record["server.address"] = c.address or c.name
            elif c.kind == "queue":
                record["span.name"] = f"{endpoint} publish"
                record["span.kind"] = "producer"
                record["messaging.system"] = "kafka"
                record["messaging.destination.name"] = endpoint
                record["server.address"] = c.address or c.name
            else:
                record["span.name"] = endpoint
                record["server.address"] = c.address or c.name
                record["url.full"] = f"https://{c.address or c.name}{route}"
                if method:
                    record["http.request.method"] = method
            if failed and own.exception_type:
                record["exception.type"] = own.exception_type
                record["exception.message"] = own.exception_message or ""
        else:
            child_start = t_ns + net_ns // 2
            child_dur, failed, status = self._server(callee, endpoint, trace_id, span_id, child_start, rel)
            dur_ns = child_dur + net_ns
            record["span.name"] = endpoint
            record["server.address"] = f"{c.key}.{c.namespace}.svc.cluster.local" if c.namespace else c.name
            if method:
                record["http.request.method"] = method
                record["http.route"] = route
        if not failed and net_err > 0 and self.rng.random() < net_err:
            failed, status = True, 503
            record["exception.type"] = "java.net.SocketException"
            record["exception.message"] = "Connection reset by peer"
        if timeout_ms is not None and dur_ns > timeout_ms * NS_PER_MS:
            dur_ns = int(timeout_ms * NS_PER_MS)
            failed, status = True, 504
            record["exception.type"] = "java.net.SocketTimeoutException"
            record["exception.message"] = f"Read timed out after {int(timeout_ms)} ms"
        if method and record.get("span.kind") == "client":
            record["http.response.status_code"] = status if not (failed and status == 200) else 500
        record["start_time"] = iso(t_ns)
        record["end_time"] = iso(t_ns + dur_ns)
        record["duration"] = dur_ns
        record["span.status_code"] = "error" if failed else "ok"
        if caller_pod:
            record["k8s.pod.name"] = caller_pod
        self.spans.append(record)
        return dur_ns, failed, status
