"""Log records (``fetch logs``): background chatter, chronic noise, trace-linked lines, faults.

Healthy services are never silent or spotless: they log INFO/WARN chatter and a few chronic
ERRORs all the time, so "the service with errors" is not automatically the culprit. After
the fault starts the culprit gets new error patterns (with exceptions), and callers that
cannot fall back log their failed upstream calls — often more loudly than the culprit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from evals.generators.base.clock import NS_PER_MIN, NS_PER_MS, iso
from evals.generators.base.dynamics import Dynamics
from evals.generators.base.model import LogPattern
from evals.generators.base.rng import CaseRandom
from evals.generators.base.spans import SpanFact, split_endpoint
from evals.generators.base.tenant import ServiceInfo, Tenant

GENERIC_INFO = (
    "Handled {method} {route} in {ms} ms (status=200)",
    "Completed request id={hex} user={user} duration={ms}ms",
    "HikariPool-1 - Pool stats (total={n}, active={a}, idle={i}, waiting=0)",
    "Cache refresh finished: {n} entries loaded in {ms} ms",
    "Kafka consumer {svc}-consumer committed offset {big} on partition {p}",
    "Scheduled task refreshFeatureFlags completed in {ms} ms",
    "GET /health/ready 200 {ms}ms",
    "Outbound call to {dep} took {ms} ms",
    "Session {hex} validated for {user}",
    "Received {n} messages from topic {svc}.events",
)
GENERIC_DEBUG = (
    "Resolved config property cache.ttl={n}s",
    "Span context propagated traceparent=00-{hex}{hex}-{hex}-01",
)
GENERIC_WARN = (
    "Slow request {method} {route} took {slow} ms",
    "Retrying call to {dep} (attempt {a}/3) after {ms} ms",
    "Deprecated API version v1 used by client {ip}",
    "Connection pool usage at {pct}% of maximum",
    "GC pause of {ms} ms (G1 Young Generation)",
    "Rate limit nearly reached for API key ****{hex4}: {pct}% used",
)
UPSTREAM_ERRORS = (
    "Call to {callee} failed: HTTP {status} on {method} {route} (traceId={trace})",
    "Upstream {callee} returned {status}; request {hex} aborted",
    "Error processing {method} {route}: downstream service {callee} unavailable (status {status})",
)

OWN_ERRORS = (
    "Request failed with status {code}: {method} {route}",
    "Unhandled exception while processing {method} {route} (request {hex})",
    "Internal error {code} for request {hex}: see trace for details",
)
DB_ERRORS = (
    "Database call to {callee} failed: could not obtain connection within 3000 ms (request {hex})",
    "SQL error from {callee}: I/O error while sending to the backend (traceId={trace})",
)
EXTERNAL_ERRORS = (
    "HTTP call to {callee} failed with {status} on {method} {route}",
    "Third-party API {callee} error: status={status} request={hex}",
)


class LogWriter:
    """Builds log records for one case against a target volume."""

    def __init__(
        self,
        tenant: Tenant,
        dynamics: Dynamics,
        rng: CaseRandom,
        start_ns: int,
        before_min: int,
        after_min: int,
        fraction_digits: int,
        cluster_name: str | None,
    ) -> None:
        self.tenant = tenant
        self.dyn = dynamics
        self.rng = rng
        self.start_ns = start_ns
        self.before = before_min
        self.after = after_min
        self.digits = fraction_digits
        self.cluster_name = cluster_name
        self.records: list[tuple[int, dict[str, Any]]] = []

    # ---- placeholders -----------------------------------------------------------------
    def fill(self, template: str, service: ServiceInfo, extra: dict[str, str] | None = None) -> str:
        rng = self.rng
        callees = self.tenant.callees_of(service.key)
        endpoints = list(service.endpoints)
        method, route = split_endpoint(rng.pick(endpoints)) if endpoints else ("GET", "/")
        values: dict[str, Callable[[], str]] = {
            "ms": lambda: str(int(rng.around(service.latency_ms, 0.5)) + 1),
            "slow": lambda: str(int(rng.around(service.latency_ms * 12, 0.3)) + 500),
            "n": lambda: str(rng.randint(2, 480)),
            "a": lambda: str(rng.randint(1, 3)),
            "i": lambda: str(rng.randint(0, 12)),
            "p": lambda: str(rng.randint(0, 11)),
            "big": lambda: str(rng.randint(1_000_000, 98_000_000)),
            "pct": lambda: str(rng.randint(55, 97)),
            "hex": lambda: rng.lower_hex(16),
            "hex4": lambda: rng.upper_hex(4),
            "user": lambda: f"user-{rng.randint(1000, 9999)}",
            "order": lambda: f"ord-{rng.randint(100000, 999999)}",
            "sku": lambda: f"SKU-{rng.randint(10000, 99999)}",
            "ip": lambda: f"10.{rng.randint(0, 60)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}",
            "id": lambda: str(rng.randint(10000, 9999999)),
            "svc": lambda: service.key,
            "dep": lambda: self.tenant.services[rng.pick(callees)].name if callees else "config-server",
            "method": lambda: method or "RPC",
            "route": lambda: route,
            "pod": lambda: rng.pick(service.pods)[0] if service.pods else service.key,
        }
        fixed = extra or {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in fixed:
                return fixed[name]
            producer = values.get(name)
            return producer() if producer else match.group(0)

        return re.sub(r"\{([a-z0-9]+)\}", replace, template)

    # ---- record -----------------------------------------------------------------------
    def add(
        self,
        service: ServiceInfo,
        t_ns: int,
        level: str,
        content: str,
        *,
        pod: str | None = None,
        host: str | None = None,
        trace_id: str | None = None,
        span_id: str | None = None,
    ) -> None:
        if pod is None and host is None:
            if service.pods:
                pod, host = self.rng.pick(service.pods)
            elif service.hosts:
                host = self.rng.pick(service.hosts)
        record: dict[str, Any] = {
            "timestamp": iso(t_ns, self.digits),
            "content": content,
            "loglevel": level,
            "status": {"DEBUG": "NONE"}.get(level, level),
            "dt.entity.service": service.id,
            "service.name": service.name,
        }
        if host:
            h = self.tenant.hosts[host]
            record["dt.entity.host"] = h.id
            record["host.name"] = h.name
        if service.process_group:
            record["dt.entity.process_group"] = self.tenant.process_groups[service.process_group].id
        if pod and service.namespace:
            record["k8s.namespace.name"] = service.namespace
            record["k8s.pod.name"] = pod
            if self.cluster_name:
                record["k8s.cluster.name"] = self.cluster_name
            record["log.source"] = f"/var/log/pods/{service.namespace}_{pod}/{service.key}/0.log"
        else:
            record["log.source"] = f"/var/log/{service.key}/{service.key}.log"
        if trace_id:
            record["trace_id"] = trace_id
            record["span_id"] = span_id
        self.records.append((t_ns, record))

    # ---- generation -------------------------------------------------------------------
    def generate(self, facts: list[SpanFact], target: int) -> list[dict[str, Any]]:
        web = [s for s in self.tenant.services.values() if s.kind == "web" and s.hosts]
        minutes = range(-self.before, self.after)
        self._failure_logs(target)
        # failing sampled spans get their log line with trace context
        for f in facts:
            if not f.failed:
                continue
            svc = self.tenant.services[f.service]
            at = f.start_ns + f.duration_ns - int(self.rng.uniform(0.1, 2.0) * NS_PER_MS)
            if f.origin:
                self._origin_log(svc, at, f.status, f.pod, f.host, f.trace_id, f.span_id)
            elif f.failing_callee:
                self._upstream_log(
                    svc, f.failing_callee, f.endpoint, f.status, at, f.pod, f.host, f.trace_id, f.span_id
                )
        for e in self.dyn.effects:
            svc_opt = self.tenant.services.get(e.target)
            for p in e.logs:
                if p.on_failed_span or p.per_minute <= 0:
                    continue
                owner = svc_opt or self._service_on_host(e.target)
                if owner is None:
                    continue
                for m in minutes:
                    strength = self.dyn.intensity(e, m + 0.5)
                    for _ in range(self.rng.poisson(p.per_minute * strength)):
                        self.add(owner, self._at(m), p.level, self.fill(p.template, owner))
        for s in web:
            for p in s.chronic_logs:
                for m in minutes:
                    for _ in range(self.rng.poisson(p.per_minute)):
                        self.add(s, self._at(m), p.level, self.fill(p.template, s))
        # trace-linked access logs on healthy spans, then background chatter to reach the target
        ok_facts = [f for f in facts if not f.failed]
        remaining = max(target - len(self.records), int(target * 0.25))
        access_share = min(len(ok_facts), int(remaining * 0.35))
        for f in self.rng.sample(ok_facts, access_share) if ok_facts else []:
            svc = self.tenant.services[f.service]
            method, route = split_endpoint(f.endpoint)
            text = f"{method or 'RPC'} {route} {f.status} {max(1, f.duration_ns // NS_PER_MS)}ms"
            self.add(
                svc,
                f.start_ns + f.duration_ns,
                "INFO",
                text,
                pod=f.pod,
                host=f.host,
                trace_id=f.trace_id,
                span_id=f.span_id,
            )
        background = max(0, target - len(self.records))
        weights = [s.log_weight for s in web]
        total_w = sum(weights) or 1.0
        for s, w in zip(web, weights, strict=True):
            per_minute = background * w / total_w / max(1, len(minutes))
            info = GENERIC_INFO + s.info_logs * 2
            for m in minutes:
                for _ in range(self.rng.poisson(per_minute)):
                    roll = self.rng.random()
                    if roll < 0.07:
                        level, template = "WARN", self.rng.pick(GENERIC_WARN)
                    elif roll < 0.12:
                        level, template = "DEBUG", self.rng.pick(GENERIC_DEBUG)
                    else:
                        level, template = "INFO", self.rng.pick(info)
                    self.add(s, self._at(m), level, self.fill(template, s))
        self.records.sort(key=lambda r: r[0])
        return [r for _, r in self.records]

    def _failure_logs(self, target: int) -> None:
        """Error lines for every failed request the model implies (logs are not sampled).

        The volume is capped at ~45% of the target by a uniform sampling factor, so the
        ratio between services stays what the model says.
        """
        plan: list[tuple[int, str, str, float, float, str | None]] = []
        for m in range(-self.before, self.after):
            view = self.dyn.minute(m)
            for (service, endpoint), rpm in view.rpm.items():
                svc = self.tenant.services[service]
                if svc.kind != "web" or not svc.hosts:
                    continue
                own = rpm * view.own_fail[(service, endpoint)]
                upstream = (
                    rpm * max(0.0, view.fail[(service, endpoint)] - view.own_fail[(service, endpoint)]) * 0.7
                )
                plan.append((m, service, endpoint, own, upstream, view.blame[(service, endpoint)]))
        expected = sum(p[3] + p[4] for p in plan)
        scale = min(1.0, 0.45 * target / expected) if expected > 0 else 1.0
        for m, service, endpoint, own, upstream, blamed in plan:
            svc = self.tenant.services[service]
            status = self.dyn.own(service, m + 0.5).status_code
            for _ in range(self.rng.poisson(own * scale)):
                self._origin_log(
                    svc, self._at(m), status, None, None, self.rng.lower_hex(32), self.rng.lower_hex(16)
                )
            if blamed is None:
                continue
            for _ in range(self.rng.poisson(upstream * scale)):
                self._upstream_log(
                    svc,
                    blamed,
                    endpoint,
                    500,
                    self._at(m),
                    None,
                    None,
                    self.rng.lower_hex(32),
                    self.rng.lower_hex(16),
                )

    def _origin_log(
        self,
        svc: ServiceInfo,
        at: int,
        status: int,
        pod: str | None,
        host: str | None,
        trace_id: str,
        span_id: str,
    ) -> None:
        rel = (at - self.start_ns) / NS_PER_MIN
        patterns = [
            p
            for e in self.dyn.effects
            if e.target == svc.key and e.error_rate > 0 and self.dyn.intensity(e, rel) > 0
            for p in e.logs
            if p.on_failed_span
        ]
        if patterns:
            p = self.rng.pick(patterns)
            self.add(
                svc,
                at,
                p.level,
                self.fill(p.template, svc),
                pod=pod,
                host=host,
                trace_id=trace_id,
                span_id=span_id,
            )
        else:
            text = self.fill(self.rng.pick(OWN_ERRORS), svc, {"code": str(status)})
            self.add(svc, at, "ERROR", text, pod=pod, host=host, trace_id=trace_id, span_id=span_id)

    def _upstream_log(
        self,
        svc: ServiceInfo,
        callee_key: str,
        endpoint: str,
        status: int,
        at: int,
        pod: str | None,
        host: str | None,
        trace_id: str,
        span_id: str,
    ) -> None:
        callee = self.tenant.services[callee_key]
        method, route = split_endpoint(endpoint)
        templates = {"database": DB_ERRORS, "external": EXTERNAL_ERRORS}.get(callee.kind, UPSTREAM_ERRORS)
        text = self.fill(
            self.rng.pick(templates),
            svc,
            {
                "callee": callee.name,
                "status": str(status),
                "trace": trace_id,
                "method": method or "RPC",
                "route": route,
            },
        )
        self.add(svc, at, "ERROR", text, pod=pod, host=host, trace_id=trace_id, span_id=span_id)

    def _at(self, minute: int) -> int:
        return self.start_ns + minute * NS_PER_MIN + self.rng.randrange(NS_PER_MIN)

    def _service_on_host(self, host: str) -> ServiceInfo | None:
        for s in self.tenant.services.values():
            if host in s.hosts and s.kind == "web":
                return s
        return None


def chronic(level: str, template: str, per_minute: float) -> LogPattern:
    """Shorthand for a steady log pattern a healthy service emits all the time."""
    if level not in ("DEBUG", "INFO", "WARN", "ERROR"):
        raise ValueError(f"unknown log level {level!r}")
    return LogPattern(level, template, per_minute)  # type: ignore[arg-type]
