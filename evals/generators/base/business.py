"""Business events and user sessions: what the incident cost, seen from the outside.

Both follow the fault model's expected outcome of the endpoints a business flow or an
application depends on, so completed orders drop and frustrated sessions rise exactly when
(and as much as) the entry endpoints fail or slow down.
"""

from __future__ import annotations

import hashlib
from typing import Any

from evals.generators.base.clock import NS_PER_MIN, NS_PER_MS, NS_PER_S, iso
from evals.generators.base.dynamics import Dynamics
from evals.generators.base.model import BusinessFlow
from evals.generators.base.rng import CaseRandom
from evals.generators.base.tenant import ApplicationInfo, Tenant

BROWSERS = ("Chrome", "Chrome", "Chrome", "Safari", "Safari", "Edge", "Firefox", "Samsung Internet")
JS_ERRORS = (
    "TypeError: Cannot read properties of undefined (reading 'price')",
    "ResizeObserver loop completed with undelivered notifications.",
    "Script error.",
    "ChunkLoadError: Loading chunk 412 failed.",
)


def business_events(
    tenant: Tenant,
    dyn: Dynamics,
    rng: CaseRandom,
    flows: tuple[BusinessFlow, ...],
    start_ns: int,
    before: int,
    after: int,
    now_ns: int,
) -> list[dict[str, Any]]:
    """Started / completed / failed events per flow, following the flow endpoint's failure rate."""
    out: list[tuple[int, dict[str, Any]]] = []
    for flow in flows:
        svc = tenant.services[flow.service]
        entry_factor = 1.0
        for m in range(-before, after):
            view = dyn.minute(m)
            entry_factor = max(
                (dyn.traffic(e, m + 0.5) for e in dyn.entries if e.service == flow.service), default=1.0
            )
            if entry_factor == 1.0:
                entry_factor = max((dyn.traffic(e, m + 0.5) for e in dyn.entries), default=1.0)
            fail = view.fail[(flow.service, flow.endpoint)]
            latency = view.latency[(flow.service, flow.endpoint)]
            for _ in range(rng.poisson(flow.per_minute * entry_factor)):
                t = start_ns + m * NS_PER_MIN + rng.randrange(NS_PER_MIN)
                business_id = f"{flow.id_field.split('.')[0][:3]}-{rng.randint(1_000_000, 9_999_999)}"
                customer = f"user-{rng.randint(1000, 9999)}"
                amount = round(rng.uniform(*flow.amount_range), 2)
                base = {
                    "event.provider": flow.provider,
                    "event.kind": "BIZ_EVENT",
                    flow.id_field: business_id,
                    "customer.id": customer,
                    "currency": flow.currency,
                    "dt.entity.service": svc.id,
                }
                out.append(
                    (
                        t,
                        {
                            "timestamp": iso(t, 3),
                            "event.id": rng.uuid(),
                            "event.type": flow.started_type,
                            **base,
                            "amount": amount,
                            "items": rng.randint(1, 6),
                        },
                    )
                )
                done = t + int((rng.uniform(1.5, 6.0) * NS_PER_S) + latency * NS_PER_MS)
                if done > now_ns:
                    continue
                roll = rng.random()
                if roll < fail:
                    reason = flow.incident_failure_reason
                elif roll < fail + 0.025:
                    reason = rng.pick(flow.failure_reasons)
                else:
                    out.append(
                        (
                            done,
                            {
                                "timestamp": iso(done, 3),
                                "event.id": rng.uuid(),
                                "event.type": flow.completed_type,
                                **base,
                                "amount": amount,
                            },
                        )
                    )
                    continue
                out.append(
                    (
                        done,
                        {
                            "timestamp": iso(done, 3),
                            "event.id": rng.uuid(),
                            "event.type": flow.failed_type,
                            **base,
                            "amount": amount,
                            "failure.reason": reason,
                        },
                    )
                )
    out.sort(key=lambda r: r[0])
    return [r for _, r in out]


def _instance_id(app: str, user: int | None, start_ns: int) -> str:
    """A stable pseudonymous device id (``dt.rum.instance.id``): per user, or per session if anonymous."""
    seed = f"{app}|{user}" if user is not None else f"{app}|anon|{start_ns}"
    return str(int(hashlib.sha256(seed.encode()).hexdigest()[:15], 16))


def user_sessions(
    tenant: Tenant,
    dyn: Dynamics,
    rng: CaseRandom,
    app: ApplicationInfo,
    count: int,
    start_ns: int,
    before: int,
    after: int,
    now_ns: int,
    countries: tuple[str, ...],
) -> list[dict[str, Any]]:
    """RUM sessions of ``app``; errors and frustration follow its entry endpoints."""
    minutes = list(range(-before, after))
    weights = [sum(e.per_minute * dyn.traffic(e, m + 0.5) for e in app.entries) for m in minutes]
    baseline = {
        (e.service, e.endpoint): dyn.minute(-before).latency[(e.service, e.endpoint)] for e in app.entries
    }
    out: list[tuple[int, dict[str, Any]]] = []
    for _ in range(count):
        m = rng.weighted(minutes, weights)
        start = start_ns + m * NS_PER_MIN + rng.randrange(NS_PER_MIN)
        duration = int(rng.around(4.5 * 60, 0.8) * NS_PER_S)
        end = min(start + duration, now_ns - rng.randrange(NS_PER_MIN))
        if end <= start:
            continue
        view = dyn.minute(min(m + 1, after - 1))
        synthetic = rng.random() < 0.05
        actions = 1 + rng.poisson(5.0)
        requests = actions + rng.poisson(actions * 2.5)
        http_5xx = exceptions = 0
        slow = 0.0
        for _ in range(requests):
            entry = rng.weighted(list(app.entries), [e.per_minute for e in app.entries])
            key = (entry.service, entry.endpoint)
            if rng.random() < view.fail[key]:
                http_5xx += 1
            slow = max(slow, view.latency[key] / max(baseline[key], 1.0))
        if rng.random() < 0.06:
            exceptions += 1
            if not http_5xx:
                rng.pick(JS_ERRORS)  # see below
        errors = http_5xx + exceptions
        if errors < 2 and slow <= 4.0 and errors != 1 and slow <= 2.0:
            # Draws once spent on classic-USQL fields (an error message, an experience score) are
            # still made so the random stream, and so every later record of the case, stays put.
            rng.random()
        session = f"{rng.randint(10**17, 10**18 - 1)}_{rng.randint(1, 9)}"
        user = None if synthetic else rng.randint(1000, 9999)
        record: dict[str, Any] = {
            "start_time": iso(start),
            "end_time": iso(end),
            "duration": end - start,
            "dt.rum.session.id": session,
            "dt.rum.user_type": "synthetic" if synthetic else "real_user",
            "dt.rum.application.type": "web",
            "frontend.name": [app.name],
            "dt.rum.user_tag": None if user is None else f"user-{user}",
            "dt.rum.instance.id": _instance_id(app.name, user, start),
            "error.count": errors,
            "error.exception_count": exceptions,
            "error.http_5xx_count": http_5xx,
            "error.http_4xx_count": 0,
            "error.has_crash": False,
            "user_action_count": actions,
            "request_count": requests,
            "navigation_count": max(1, actions // 2),
            "end_reason": "timeout"
            if end - start > 4 * 60 * NS_PER_S
            else rng.pick(("page_unload", "timeout")),
            "browser.name": "HeadlessChrome" if synthetic else rng.pick(BROWSERS),
            "geo.country.name": rng.pick(countries),
        }
        out.append((start, record))
    out.sort(key=lambda r: r[0])
    return [r for _, r in out]
