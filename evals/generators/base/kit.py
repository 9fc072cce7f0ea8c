"""Shorthands that keep scenario modules readable as incident write-ups."""

from __future__ import annotations

from evals.generators.base.clock import NS_PER_MIN, parse_utc, to_ns
from evals.generators.base.model import Call, Endpoint, LogPattern
from evals.generators.base.rng import CaseRandom
from evals.generators.base.tenant import Tenant


def ep(name: str, *calls: Call, factor: float = 1.0) -> Endpoint:
    """An endpoint making ``calls`` in order."""
    return Endpoint(name, tuple(calls), factor)


def call(
    service: str, endpoint: str, prob: float = 1.0, *, fallback: bool = False, timeout_ms: float | None = None
) -> Call:
    return Call(service, endpoint, prob, fallback, timeout_ms)


def log(level: str, template: str, per_minute: float = 0.0, *, on_failed_span: bool = False) -> LogPattern:
    if level not in ("DEBUG", "INFO", "WARN", "ERROR"):
        raise ValueError(f"unknown log level {level!r}")
    return LogPattern(level, template, per_minute, on_failed_span)  # type: ignore[arg-type]


def new_tenant(
    rng: CaseRandom,
    start: str,
    after_min: int = 30,
    *,
    env: str = "prod",
    app: str = "shop",
    zone: str | None = None,
) -> Tenant:
    """A tenant whose clock (``now``) is ``after_min`` minutes after ``start``."""
    now_ns = to_ns(parse_utc(start)) + after_min * NS_PER_MIN
    tenant = Tenant(rng=rng, now_ns=now_ns, env_tag=env, app_tag=app)
    if zone:
        tenant.zone = (tenant.zone[0], zone)
    return tenant


def k8s_nodes(
    t: Tenant,
    cluster: str,
    names: list[str],
    *,
    cpu: float = 32.0,
    memory: float = 61.0,
    cores: int = 8,
    memory_gb: int = 32,
) -> tuple[str, ...]:
    """Declare cluster nodes named ``names`` (keys ``node1``..); baseline load varies a little."""
    keys = []
    for i, name in enumerate(names, start=1):
        key = f"node{i}"
        t.host(
            key,
            name,
            cluster=cluster,
            cpu=cpu + t.rng.uniform(-8, 8),
            memory=memory + t.rng.uniform(-6, 6),
            disk=t.rng.uniform(30, 62),
            cores=cores,
            memory_gb=memory_gb,
        )
        keys.append(key)
    return tuple(keys)


def aws_node(rng: CaseRandom, region: str) -> str:
    return (
        f"ip-10-{rng.randint(16, 31)}-{rng.randint(0, 255)}-{rng.randint(2, 254)}.{region}.compute.internal"
    )


JAVA_STACK = (
    "\n\tat {cls}.{method}({file}:{line})"
    "\n\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)"
    "\n\tat jakarta.servlet.http.HttpServlet.service(HttpServlet.java:590)"
    "\n\tat org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:206)"
)


def java_stack(cls: str, method: str, line: int) -> str:
    """A short Java stack trace tail for exception log lines."""
    file = cls.rsplit(".", 1)[-1] + ".java"
    return (
        JAVA_STACK.replace("{cls}", cls)
        .replace("{method}", method)
        .replace("{file}", file)
        .replace("{line}", str(line))
    )
