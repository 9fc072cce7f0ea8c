"""Scale a case up for benchmarks: N log lines and N spans shaped like the case's own.

New records are resampled from the case's records near the same moment, so the incident's
shape survives scaling: where the source has an error burst after a deployment, the scaled
case has one too, at the same time and with the same error share. Numbers inside messages,
trace/span ids and durations are varied (durations by a log-normal factor) so values are
not mere copies. A case with no logs or spans gets plausible ones per service entity. The copy
is written through :class:`~dynatrace_agent.case.CaseWriter`, like every other case.
"""

from __future__ import annotations

import bisect
import random
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from dynatrace_agent.case import CaseWriter, IncidentCase, load_case
from dynatrace_agent.errors import InvalidArgumentError
from dynatrace_agent.values import parse_timestamp

__all__ = ["generate_case"]

_DIGITS = re.compile(r"\d{2,}")


def generate_case(
    src: str | Path, out: str | Path, *, logs: int | None = None, spans: int | None = None, seed: int = 7
) -> Path:
    """Write a copy of case ``src`` to ``out`` with ``logs`` log records and ``spans`` spans.

    ``None`` keeps that table as it is. Returns the output folder. Deterministic for a seed.
    """
    case = load_case(src)
    target = Path(out)
    if target.resolve() == case.path.resolve():
        raise InvalidArgumentError("--out must differ from --case; the generator never overwrites its source")
    rng = random.Random(seed)
    tenant = case.tenant_tables()
    if logs is not None:
        tenant["logs"] = _scaled_logs(case, logs, rng)
    if spans is not None:
        tenant["spans"] = _scaled_spans(case, spans, rng)
    meta = dict(case.meta)
    meta["id"] = f"{case.id}-scaled"
    meta["source"] = {**(meta.get("source") or {}), "generated_from": case.id}
    # Plain files: benchmarks load these cases, and gzip would add decompression to what they time.
    CaseWriter(target.parent, compress_above=None, overwrite=True).write_at(target, meta, tenant)
    return target


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}000Z"


def _window(case: IncidentCase, records: list[dict[str, Any]], field: str) -> tuple[datetime, datetime]:
    times = [t for t in (parse_timestamp(r.get(field)) for r in records) if t is not None]
    if len(times) >= 2 and max(times) > min(times):
        return min(times), max(times)
    return case.now - timedelta(hours=1), case.now


def _times(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    """Poisson-like arrivals: uniform order statistics (exponential gaps), sorted."""
    span = (end - start).total_seconds()
    return sorted(start + timedelta(seconds=rng.random() * span) for _ in range(count))


def _templates(records: list[dict[str, Any]], field: str) -> tuple[list[float], list[dict[str, Any]]]:
    pairs = []
    for record in records:
        moment = parse_timestamp(record.get(field))
        if moment is not None:
            pairs.append((moment.timestamp(), record))
    pairs.sort(key=lambda p: p[0])
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _nearby(rng: random.Random, keys: list[float], moment: datetime, spread: int = 1) -> int:
    """Index of a template close in time to ``moment`` (random among its neighbours)."""
    at = bisect.bisect_left(keys, moment.timestamp())
    low, high = max(0, at - spread), min(len(keys) - 1, at + spread)
    return rng.randint(low, high)


def _vary(text: str, rng: random.Random) -> str:
    return _DIGITS.sub(lambda m: str(rng.randrange(10 ** (len(m.group()) - 1), 10 ** len(m.group()))), text)


def _service_ids(case: IncidentCase) -> list[tuple[str, str]]:
    services = [
        (e["entityId"], str(e.get("displayName"))) for e in case.entities if e.get("type") == "SERVICE"
    ]
    return services or [("SERVICE-0000000000000001", "service")]


def _scaled_logs(case: IncidentCase, count: int, rng: random.Random) -> list[dict[str, Any]]:
    source = case.tables.get("logs", [])
    keys, templates = _templates(source, "timestamp")
    start, end = _window(case, source, "timestamp")
    rows: list[dict[str, Any]] = []
    services = _service_ids(case)
    for moment in _times(rng, start, end, count):
        if templates:
            row = dict(templates[_nearby(rng, keys, moment)])
            if isinstance(row.get("content"), str):
                row["content"] = _vary(row["content"], rng)
        else:
            service_id, name = rng.choice(services)
            level = rng.choices(["INFO", "WARN", "ERROR", "DEBUG"], weights=[80, 8, 4, 8])[0]
            row = {
                "content": f"{name}: handled request {rng.randrange(10**6)} "
                f"in {int(rng.lognormvariate(3.5, 0.6))} ms",
                "loglevel": level,
                "status": level if level != "DEBUG" else "NONE",
                "dt.entity.service": service_id,
                "service.name": name,
            }
        row["timestamp"] = _iso(moment)
        rows.append(row)
    return rows


def _scaled_spans(case: IncidentCase, count: int, rng: random.Random) -> list[dict[str, Any]]:
    source = case.tables.get("spans", [])
    traces: dict[str, list[dict[str, Any]]] = {}
    for span in source:
        traces.setdefault(str(span.get("trace.id")), []).append(span)
    roots = [min(t, key=lambda s: str(s.get("start_time", ""))) for t in traces.values()]
    keys, templates = _templates(roots, "start_time")
    start, end = _window(case, roots, "start_time")
    rows: list[dict[str, Any]] = []
    services = _service_ids(case)
    while len(rows) < count:
        moment = _times(rng, start, end, 1)[0]
        if templates:
            root = templates[_nearby(rng, keys, moment)]
            rows.extend(_copy_trace(traces[str(root.get("trace.id"))], root, moment, rng))
        else:
            rows.append(_synthetic_span(rng.choice(services), moment, rng))
    rows = rows[:count]
    rows.sort(key=lambda s: str(s.get("start_time", "")))
    return rows


def _copy_trace(
    spans: list[dict[str, Any]], root: dict[str, Any], moment: datetime, rng: random.Random
) -> list[dict[str, Any]]:
    base = parse_timestamp(root.get("start_time")) or moment
    shift = moment - base
    ids = {str(s.get("span.id")): f"{rng.getrandbits(64):016x}" for s in spans}
    trace_id = f"{rng.getrandbits(128):032x}"
    factor = rng.lognormvariate(0.0, 0.2)
    copies = []
    for span in spans:
        row = dict(span)
        row["trace.id"] = trace_id
        row["span.id"] = ids[str(span.get("span.id"))]
        parent = span.get("span.parent_id")
        row["span.parent_id"] = ids.get(str(parent), parent) if parent is not None else None
        begin = (parse_timestamp(span.get("start_time")) or base) + shift
        duration = int(float(span.get("duration") or 0) * factor)
        row["start_time"] = _iso(begin)
        row["end_time"] = _iso(begin + timedelta(microseconds=duration / 1000))
        row["duration"] = duration
        copies.append(row)
    return copies


def _synthetic_span(service: tuple[str, str], moment: datetime, rng: random.Random) -> dict[str, Any]:
    duration = int(rng.lognormvariate(17.5, 0.7))  # ~40 ms median, long tail
    failed = rng.random() < 0.02
    return {
        "trace.id": f"{rng.getrandbits(128):032x}",
        "span.id": f"{rng.getrandbits(64):016x}",
        "span.parent_id": None,
        "span.name": "GET /",
        "span.kind": "server",
        "start_time": _iso(moment),
        "end_time": _iso(moment + timedelta(microseconds=duration / 1000)),
        "duration": duration,
        "dt.entity.service": service[0],
        "service.name": service[1],
        "request.is_failed": failed,
        "request.is_root_span": True,
        "http.response.status_code": 500 if failed else 200,
    }
