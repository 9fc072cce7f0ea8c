"""Benchmark: summary tokens vs raw records, summariser throughput, budget adherence.

Generates a large synthetic tenant (by default 100k logs and 100k spans, plus the other data
types), then for each data type compares

- the tokens a plain DQL tool would return for the same question (100 records as JSON, as
  Dynatrace's MCP server does by default) with the tokens of our budgeted summary,
- the summariser's throughput over *all* records (MB of record JSON per second),
- whether every summary stayed within its budget (several budgets per type).

Run: ``python -m evals.bench.bench_summaries [--logs N] [--spans N] [--json OUT]``.
Targets: 100 % within budget, summaries ≥ 20× smaller than the raw records, ≥ 5 MB/s.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from dynatrace_agent.summarise import (
    count_tokens,
    summarise_alerting_rules,
    summarise_bizevents,
    summarise_dql,
    summarise_entities,
    summarise_events,
    summarise_logs,
    summarise_metrics,
    summarise_problems,
    summarise_sessions,
    summarise_slos,
    summarise_traces,
)

Record = dict[str, Any]
NOW = datetime(2025, 3, 4, 10, 40, tzinfo=UTC)
SERVICES = [
    (f"SERVICE-{i:016X}", name)
    for i, name in enumerate(
        ["checkout", "payment", "cart", "frontend", "inventory", "shipping", "auth", "search"], start=0xA1
    )
]
HOSTS = [f"HOST-{0xB000 + i:016X}" for i in range(12)]
MESSAGES = [
    ("INFO", "Request {n} handled in {ms} ms for user {user}"),
    ("INFO", "Cache hit ratio {pct} for key order:{n}"),
    ("WARN", "Slow query on table orders took {ms} ms"),
    ("ERROR", "Timeout calling payment-gateway after {ms} ms (attempt {k})"),
    ("ERROR", "Connection refused to 10.0.{k}.{n}:5432"),
    ("ERROR", "NullPointerException in CheckoutController.submit line {n}"),
    ("DEBUG", "Span {hex} finished"),
]


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def gen_logs(n: int, rng: random.Random) -> list[Record]:
    """Log records shaped like ``fetch logs`` output."""
    out = []
    for i in range(n):
        level, template = MESSAGES[rng.randrange(len(MESSAGES))]
        service, name = SERVICES[rng.randrange(len(SERVICES))]
        text = template.format(
            n=rng.randrange(100000),
            ms=rng.randrange(5000),
            user=f"user{rng.randrange(500)}@example.com",
            pct=round(rng.random(), 3),
            k=rng.randrange(1, 9),
            hex=f"{rng.getrandbits(64):016x}",
        )
        out.append(
            {
                "timestamp": _iso(NOW - timedelta(seconds=i * 3600 / max(n, 1))),
                "content": text,
                "loglevel": level,
                "status": level,
                "dt.entity.service": service,
                "service.name": name,
                "dt.entity.host": HOSTS[rng.randrange(len(HOSTS))],
                "host.name": f"web-{rng.randrange(12)}",
                "k8s.namespace.name": "shop",
                "k8s.pod.name": f"{name}-{rng.getrandbits(24):06x}",
                "trace_id": f"{rng.getrandbits(128):032x}",
                "span_id": f"{rng.getrandbits(64):016x}",
                "log.source": f"/var/log/{name}.log",
                "dt.security_context": "shop",
            }
        )
    return out


def gen_spans(n: int, rng: random.Random) -> list[Record]:
    """Spans in traces of 4: frontend → checkout → payment → inventory; some fail at the leaf."""
    out: list[Record] = []
    chain = [SERVICES[3], SERVICES[0], SERVICES[1], SERVICES[4]]
    t = 0
    while len(out) < n:
        trace = f"{rng.getrandbits(128):032x}"
        fails = rng.random() < 0.05
        parent = None
        start = NOW - timedelta(seconds=t)
        t += 1
        for depth, (service, name) in enumerate(chain):
            span_id = f"{rng.getrandbits(64):016x}"
            duration = int(rng.lognormvariate(17, 0.8)) // (depth + 1)
            out.append(
                {
                    "trace.id": trace,
                    "span.id": span_id,
                    "span.parent_id": parent,
                    "span.name": f"POST /api/{name}",
                    "span.kind": "server" if depth == 0 else "client",
                    "start_time": _iso(start),
                    "end_time": _iso(start + timedelta(microseconds=duration / 1000)),
                    "duration": str(duration),
                    "dt.entity.service": service,
                    "service.name": name,
                    "request.is_failed": fails,
                    "request.is_root_span": depth == 0,
                    "http.request.method": "POST",
                    "http.route": f"/api/{name}",
                    "http.response.status_code": 500 if fails else 200,
                    "endpoint.name": f"/api/{name}",
                    "k8s.pod.name": f"{name}-{rng.getrandbits(24):06x}",
                }
            )
            parent = span_id
    return out[:n]


def gen_sessions(n: int, rng: random.Random) -> list[Record]:
    return [
        {
            "dt.rum.session.id": f"{rng.getrandbits(64):016x}",
            "userId": f"customer-{rng.randrange(2000)}",
            "userExperienceScore": rng.choice(["SATISFIED", "TOLERATING", "FRUSTRATED"]),
            "error.count": str(rng.randrange(4)),
            "dt.entity.application": "APPLICATION-00000000000000C1",
            "application.name": "shop-web",
            "start_time": _iso(NOW - timedelta(seconds=i)),
            "duration": str(rng.randrange(10**9, 10**11)),
            "navigation_count": rng.randrange(20),
            "error.message": rng.choice([None, "Failed to fetch /api/checkout", "TypeError: x is undefined"]),
        }
        for i in range(n)
    ]


def gen_bizevents(n: int, rng: random.Random) -> list[Record]:
    return [
        {
            "timestamp": _iso(NOW - timedelta(seconds=i * 2)),
            "event.id": f"{rng.getrandbits(64):x}",
            "event.type": rng.choice(["order.placed", "cart.updated", "payment.failed"]),
            "event.provider": "shop.backend",
            "event.kind": "BIZ_EVENT",
            "amount": round(rng.random() * 300, 2),
            "currency": "EUR",
            "customer.id": f"customer-{rng.randrange(2000)}",
        }
        for i in range(n)
    ]


def gen_events(n: int, rng: random.Random) -> list[Record]:
    return [
        {
            "timestamp": _iso(NOW - timedelta(minutes=i)),
            "event.id": f"{rng.getrandbits(63)}_{i}",
            "event.kind": "SDLC_EVENT",
            "event.type": rng.choice(["CUSTOM_DEPLOYMENT", "CUSTOM_CONFIGURATION", "CUSTOM_INFO"]),
            "event.name": f"Deploy {SERVICES[i % 8][1]} 2.{i}.0",
            "dt.source_entity": SERVICES[i % 8][0],
            "deployment.version": f"2.{i}.0",
            "deployment.project": "shop",
        }
        for i in range(n)
    ]


def gen_metrics(n: int, rng: random.Random) -> list[Record]:
    out = []
    for i in range(n):
        values: list[float | None] = [40.0 + rng.random() * 5 for _ in range(60)]
        if i % 3 == 0:
            values[30:] = [900.0 + rng.random() * 50 for _ in range(30)]
        out.append(
            {
                "timeframe": {"start": _iso(NOW - timedelta(hours=1)), "end": _iso(NOW)},
                "interval": "60000000000",
                "dt.entity.service": f"SERVICE-{i:016X}",
                "avg(dt.service.request.response_time)": values,
            }
        )
    return out


def gen_problems(n: int, rng: random.Random) -> list[Record]:
    return [
        {
            "problemId": f"-{rng.getrandbits(62)}_1741083300000V2",
            "displayId": f"P-{250000 + i}",
            "title": "Response time degradation",
            "status": rng.choice(["OPEN", "CLOSED"]),
            "severityLevel": "PERFORMANCE",
            "impactLevel": "SERVICES",
            "startTime": 1741083300000 - i * 60000,
            "endTime": -1,
            "rootCauseEntity": {"entityId": {"id": SERVICES[0][0], "type": "SERVICE"}, "name": "checkout"},
            "affectedEntities": [
                {"entityId": {"id": s, "type": "SERVICE"}, "name": nm} for s, nm in SERVICES[:3]
            ],
            "impactedEntities": [{"entityId": {"id": SERVICES[3][0], "type": "SERVICE"}, "name": "frontend"}],
            "entityTags": [
                {
                    "context": "CONTEXTLESS",
                    "key": "team",
                    "value": "shop",
                    "stringRepresentation": "team:shop",
                }
            ],
        }
        for i in range(n)
    ]


def gen_entities(n: int, rng: random.Random) -> list[Record]:
    return [
        {
            "entityId": f"SERVICE-{i:016X}",
            "type": "SERVICE",
            "displayName": f"svc-{i}",
            "tags": [{"key": "team", "value": "shop", "stringRepresentation": "team:shop"}],
            "fromRelationships": {
                "calls": [{"id": f"SERVICE-{(i + 1) % n:016X}", "type": "SERVICE"}],
                "runsOn": [{"id": HOSTS[i % 12], "type": "HOST"}],
            },
            "toRelationships": {"calls": [{"id": f"SERVICE-{(i - 1) % n:016X}", "type": "SERVICE"}]},
            "properties": {"serviceType": "WEB_REQUEST_SERVICE", "softwareTechnologies": ["JAVA"]},
        }
        for i in range(n)
    ]


def gen_rules(n: int, rng: random.Random) -> list[Record]:
    return [
        {
            "objectId": f"vu9U3hXa3q0AAAABACpidWlsdGluOmFub21hbHktZGV0ZWN0aW9uLm1ldHJpYy1ldmVudHMA{i}",
            "schemaId": "builtin:anomaly-detection.metric-events",
            "scope": "environment",
            "value": {
                "enabled": i % 2 == 0,
                "summary": f"High CPU {i}",
                "queryDefinition": {
                    "type": "METRIC_KEY",
                    "metricKey": "builtin:host.cpu.usage",
                    "aggregation": "AVG",
                },
                "modelProperties": {
                    "type": "STATIC_THRESHOLD",
                    "threshold": 90.0,
                    "alertCondition": "ABOVE",
                    "samples": 5,
                    "violatingSamples": 3,
                    "dealertingSamples": 5,
                },
                "eventTemplate": {"title": "CPU", "eventType": "RESOURCE"},
            },
        }
        for i in range(n)
    ]


def gen_slos(n: int, rng: random.Random) -> list[Record]:
    return [
        {
            "id": f"slo-{i}",
            "name": f"Checkout availability {i}",
            "version": "1",
            "criteria": [{"timeframeFrom": "now-7d", "timeframeTo": "now", "target": 99.5, "warning": 99.8}],
            "customSli": {
                "indicator": "timeseries { total=sum(dt.service.request.count) }, by:{dt.entity.service}"
            },
            "tags": ["team:checkout"],
        }
        for i in range(n)
    ]


def run(logs: int, spans: int, budgets: Sequence[int], seed: int = 7) -> dict[str, Any]:
    """Measure every data type; returns the figures as a JSON-ready dict."""
    rng = random.Random(seed)
    datasets: dict[str, tuple[list[Record], Callable[[list[Record], int], str]]] = {
        "logs": (gen_logs(logs, rng), lambda r, b: summarise_logs(r, budget=b)),
        "traces": (gen_spans(spans, rng), lambda r, b: summarise_traces(r, budget=b)),
        "user_sessions": (gen_sessions(20_000, rng), lambda r, b: summarise_sessions(r, budget=b)),
        "business_events": (
            gen_bizevents(20_000, rng),
            lambda r, b: summarise_bizevents(r, budget=b, split_at=NOW - timedelta(hours=2)),
        ),
        "events": (gen_events(2_000, rng), lambda r, b: summarise_events(r, budget=b, anchor=NOW)),
        "metrics": (gen_metrics(500, rng), lambda r, b: summarise_metrics(r, budget=b)),
        "problems": (gen_problems(1_000, rng), lambda r, b: summarise_problems(r, budget=b)),
        "entities": (gen_entities(2_000, rng), lambda r, b: summarise_entities(r, budget=b)),
        "alerting_rules": (gen_rules(500, rng), lambda r, b: summarise_alerting_rules(r, budget=b)),
        "slos": (gen_slos(300, rng), lambda r, b: summarise_slos(r, budget=b)),
        "dql": (gen_logs(20_000, rng), lambda r, b: summarise_dql(r, budget=b)),
    }
    results: dict[str, Any] = {}
    for name, (records, summarise) in datasets.items():
        raw_tokens = count_tokens(json.dumps(records[:100], indent=2))
        size_mb = sum(len(json.dumps(r)) for r in records) / 1e6
        runs = []
        for budget in budgets:
            started = time.perf_counter()
            text = summarise(records, budget)
            elapsed = time.perf_counter() - started
            runs.append({"budget": budget, "tokens": count_tokens(text), "seconds": elapsed})
        default = next((r for r in runs if r["budget"] == 1500), runs[0])
        within = sum(1 for r in runs if r["tokens"] <= r["budget"])
        results[name] = {
            "records": len(records),
            "records_mb": round(size_mb, 2),
            "raw_100_json_tokens": raw_tokens,
            "summary_tokens": default["tokens"],
            "ratio": round(raw_tokens / max(default["tokens"], 1), 1),
            "throughput_mb_s": round(size_mb / max(default["seconds"], 1e-9), 1),
            "within_budget": f"{within}/{len(runs)}",
        }
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=int, default=100_000)
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--budgets", default="300,1500,4000")
    parser.add_argument("--json", dest="json_out")
    args = parser.parse_args(argv)
    budgets = [int(b) for b in args.budgets.split(",")]
    if 1500 not in budgets:
        budgets.append(1500)
    results = run(args.logs, args.spans, budgets)
    print(
        f"{'type':16} {'records':>8} {'MB':>7} {'raw100':>7} {'summary':>7} {'ratio':>6} {'MB/s':>6} budget"
    )
    for name, r in results.items():
        print(
            f"{name:16} {r['records']:>8,} {r['records_mb']:>7} {r['raw_100_json_tokens']:>7,} "
            f"{r['summary_tokens']:>7,} {r['ratio']:>5}x {r['throughput_mb_s']:>6} {r['within_budget']}"
        )
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2)
    ok = all(r["within_budget"].split("/")[0] == r["within_budget"].split("/")[1] for r in results.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
