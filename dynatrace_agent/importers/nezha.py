"""Nezha (FSE'23) importer: one incident case per injected fault, as a Dynatrace tenant shows it.

Upstream layout (IntelligentDDS/Nezha, as cloned)::

    rca_data/<day>/<day>-fault_list.json      labels: hour -> [{inject_time, inject_pod, inject_type}]
    rca_data/<day>/log/HH_MM_log.csv.gz        the fault minutes' logs (pod, trace id, span id, line)
    rca_data/<day>/trace/HH_MM_trace.csv.gz    the fault minutes' spans
    rca_data/<day>/metric/<pod>_metric.csv.gz  per-pod metrics, one row a minute
    rca_data/<day>/metric/front_service.csv.gz the front end's latency
    construct_data/<day>/{log,trace}/...       fault-free reference minutes

What a tenant would show, and how it is built here:

* the problem is raised on the entry service (the root spans' service) when its latency or its
  error-log rate first crosses a threshold against the hour before -- not at the injection time;
  Davis names no root cause beyond that component;
* spans carry Grail names (``trace.id``, ``span.id``, ``span.parent_id``, ``dt.entity.service``,
  ``dt.service.name``, ``duration`` in ns, ``span.kind``) and no failure flag: Nezha's traces have
  no status, and inventing one would hide the work the investigation must do (correlating error
  logs with spans);
* logs carry ``loglevel``/``status``, ``trace_id``/``span_id`` and their Kubernetes and
  process-group context;
* the baseline for logs and spans is the day's fault-free reference minute, moved to end a few
  minutes before the fault's first minute (its records keep their relative timing);
* metrics are the pods' own series for the hour before the fault and the fault minutes.

The fault list's ``inject_timestamp`` is eight hours off; ``inject_time`` is UTC and is used.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dynatrace_agent.case import CaseWriter
from dynatrace_agent.importers.common import (
    DatasetFormatError,
    ImportSummary,
    Progress,
    entity_id,
    iso,
    ms,
    stable_int,
)

__all__ = ["Fault", "import_dataset", "read_faults", "service_of_pod"]

#: Fault kind -> (root-cause category, human description).
FAULT_KINDS = {
    "return": ("code", "a method returns a wrong value"),
    "exception": ("code", "a method throws an exception"),
    "cpu_contention": ("resource", "CPU contention in the container"),
    "network_delay": ("network", "network delay on the pod"),
}
#: Metric columns -> (Grail metric key, unit, scale to the unit).
CONTAINER_METRICS = {
    "CpuUsage(m)": ("dt.kubernetes.container.cpu_usage", "MilliCores", 1.0),
    "MemoryUsage(Mi)": ("dt.kubernetes.container.memory_working_set", "Byte", 1024.0 * 1024.0),
    "NetworkReceiveBytes": ("dt.kubernetes.pod.network.rx_bytes", "Byte", 1.0),
    "NetworkTransmitBytes": ("dt.kubernetes.pod.network.tx_bytes", "Byte", 1.0),
}
SERVICE_METRICS = {
    "PodServerLatencyP90(s)": ("dt.service.request.response_time", "MicroSecond", 1_000_000.0),
    "PodWorkload(Ops)": ("dt.service.request.count", "Count", 60.0),
}
#: Minutes of metrics shown before the fault.
METRIC_HISTORY = timedelta(minutes=60)
#: The fault-free reference minute ends this long before the fault's first minute.
BASELINE_GAP = timedelta(minutes=5)
#: Minutes after injection within which the problem must open (else one minute after it).
ONSET_SEARCH = 4

_POD_SUFFIX = re.compile(r"-[0-9a-f]{6,10}-[0-9a-z]{4,5}$")
_STATEFUL_SUFFIX = re.compile(r"-[0-9a-z]{4,5}$")
_LEVEL = re.compile(r"\b(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|SEVERE)\b")


@dataclass(frozen=True)
class Fault:
    """One labelled injection."""

    day: str
    time: datetime
    pod: str
    kind: str
    labels_file: Path

    @property
    def service(self) -> str:
        """The workload of the faulty pod."""
        return service_of_pod(self.pod)

    @property
    def system(self) -> str:
        """``tt`` for Train-Ticket services (``ts-…``), ``ob`` for Online Boutique."""
        return "tt" if self.service.startswith("ts-") else "ob"

    @property
    def case_id(self) -> str:
        """The case folder name: system and injection time (UTC)."""
        return f"nezha-{self.system}-{self.time:%Y-%m-%d-%H%M}"


def service_of_pod(pod: str) -> str:
    """The workload a pod belongs to (``ts-x-service-866bd68c97-xcqfx`` -> ``ts-x-service``)."""
    name = _POD_SUFFIX.sub("", pod)
    return name if name != pod else _STATEFUL_SUFFIX.sub("", pod)


def read_faults(src: Path) -> list[Fault]:
    """Every labelled fault under ``rca_data/``, oldest first."""
    rca = src / "rca_data"
    if not rca.is_dir():
        raise DatasetFormatError(
            rca, "missing: a Nezha dataset folder holds rca_data/<day>/ (pass the cloned repository)"
        )
    faults: list[Fault] = []
    for day_dir in sorted(p for p in rca.iterdir() if p.is_dir()):
        labels = day_dir / f"{day_dir.name}-fault_list.json"
        if not labels.is_file():
            raise DatasetFormatError(labels, "missing: each rca_data/<day>/ needs its <day>-fault_list.json")
        try:
            data = json.loads(labels.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DatasetFormatError(labels, f"not a readable fault list: {exc}") from None
        if not isinstance(data, dict):
            raise DatasetFormatError(labels, "must hold an object: hour -> list of faults")
        for hour, items in data.items():
            if not isinstance(items, list):
                raise DatasetFormatError(labels, f"hour {hour!r} must hold a list of faults")
            for item in items:
                faults.append(_fault(day_dir.name, labels, item))
    if not faults:
        raise DatasetFormatError(rca, "no labelled faults found in any <day>-fault_list.json")
    return sorted(faults, key=lambda f: f.time)


def _fault(day: str, labels: Path, item: Any) -> Fault:
    try:
        when = datetime.strptime(str(item["inject_time"]), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        return Fault(day, when, str(item["inject_pod"]), str(item["inject_type"]), labels)
    except (KeyError, TypeError, ValueError) as exc:
        raise DatasetFormatError(
            labels, f"a fault needs inject_time, inject_pod and inject_type: {exc}"
        ) from None


def import_dataset(src: Path, out: Path, *, overwrite: bool = False, quiet: bool = False) -> ImportSummary:
    """Write one case per fault of the Nezha dataset at ``src`` into ``out``."""
    src = Path(src)
    if not src.is_dir():
        raise DatasetFormatError(src, "no such folder; pass the cloned Nezha repository")
    faults = read_faults(src)
    writer = CaseWriter(out, overwrite=overwrite)
    out.mkdir(parents=True, exist_ok=True)
    progress = Progress(len(faults), quiet=quiet)
    summary = ImportSummary()
    for fault in faults:
        try:
            meta, tenant = build_case(src, fault)
        except _SkipFault as exc:
            summary.skipped[fault.case_id] = str(exc)
            progress.step(f"{fault.case_id}: skipped ({exc})")
            continue
        writer.write(meta, tenant)
        summary.written.append(fault.case_id)
        progress.step(f"{fault.case_id}: {len(tenant['spans'])} spans, {len(tenant['logs'])} logs")
    return summary


class _SkipFault(Exception):
    """This fault's data is incomplete (the reason is the message)."""


# -- one case --------------------------------------------------------------------------------


def build_case(src: Path, fault: Fault) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """case.json and tenant tables for one fault."""
    day_dir = src / "rca_data" / fault.day
    minute0 = fault.time.replace(second=0, microsecond=0)
    minutes = [minute0 + timedelta(minutes=i) for i in range(3)]
    log_rows = [r for m in minutes for r in _read_minute(day_dir / "log", m, "log")]
    span_rows = [r for m in minutes for r in _read_minute(day_dir / "trace", m, "trace")]
    if not span_rows:
        raise _SkipFault(f"no trace files for {minute0:%H:%M} in {day_dir / 'trace'}")
    first_ns = min(int(r["StartTimeUnixNano"]) for r in span_rows)
    base_logs, base_spans = _baseline(src, fault.day, first_ns)

    pods = _pods(span_rows, log_rows, base_spans, base_logs)
    world = _World.build(pods, span_rows + base_spans, log_rows + base_logs)
    spans = [world.span(r) for r in base_spans + span_rows]
    logs = [world.log(r) for r in base_logs + log_rows]
    metrics, front_latency = _metrics(day_dir, fault, world)
    entry = world.entry_service(span_rows)
    start, reason = _problem_start(fault, front_latency, logs, entry, world)
    end_data = max(int(r["EndTimeUnixNano"]) for r in span_rows) / 1e9
    now = datetime.fromtimestamp(end_data, tz=UTC).replace(microsecond=0) + timedelta(seconds=1)
    problem = _problem(fault, world, entry, start, reason)
    category, description = FAULT_KINDS.get(fault.kind, ("code", fault.kind))
    root = world.services[fault.service]
    meta = {
        "id": fault.case_id,
        "title": f"Nezha Train-Ticket: {fault.kind.replace('_', ' ')} in {fault.service}"
        if fault.system == "tt"
        else f"Nezha Online Boutique: {fault.kind.replace('_', ' ')} in {fault.service}",
        "description": (
            f"Fault injected at {fault.time:%Y-%m-%d %H:%M:%S} UTC into pod {fault.pod}: {description}. "
            f"The problem opens on {entry} at {start:%H:%M:%S} ({reason})."
        ),
        "now": iso(now),
        "problem": problem["displayId"],
        "expected": {
            "root_cause": {"entity_id": root, "name": fault.service},
            "category": category,
            "change_event_id": None,
            "facts": [
                f"{fault.kind.replace('_', ' ')} injected into {fault.service} at {fault.time:%H:%M:%S} UTC"
            ],
        },
        "tags": [f"source:nezha-{fault.system}", f"fault:{fault.kind}", f"category:{category}"],
        "source": {
            "dataset": "Nezha (Yu et al., ESEC/FSE 2023)",
            "licence": "MIT",
            "reference": "https://github.com/IntelligentDDS/Nezha",
            "converted_by": "dynatrace-agent import nezha",
            "labels": str(fault.labels_file.name),
            "baseline": "the day's fault-free reference minute (construct_data), moved to end "
            f"{int(BASELINE_GAP.total_seconds() // 60)} minutes before the fault's first minute",
        },
    }
    tenant = {
        "entities": world.entities(),
        "problems": [problem],
        "spans": spans,
        "logs": logs,
        "metrics": metrics,
        "events": [],
    }
    return meta, tenant


def _read_minute(folder: Path, minute: datetime, kind: str) -> list[dict[str, str]]:
    file = _csv_file(folder / f"{minute:%H_%M}_{kind}.csv")
    return _read_csv(file) if file is not None else []


def _csv_file(plain: Path) -> Path | None:
    """The upstream ``.csv``, or its ``.csv.gz`` twin (cut-down copies are compressed)."""
    if plain.is_file():
        return plain
    packed = plain.with_name(plain.name + ".gz")
    return packed if packed.is_file() else None


def _csv_files(folder: Path, suffix: str) -> list[Path]:
    """Files ending in ``suffix`` (``_metric.csv``), plain or gzip-compressed, one per name."""
    found: dict[str, Path] = {}
    for file in sorted(folder.glob(f"*{suffix}*")):
        name = file.name[:-3] if file.name.endswith(".gz") else file.name
        if name.endswith(suffix):
            found.setdefault(name, file)
    return [found[name] for name in sorted(found)]


def _read_csv(file: Path) -> list[dict[str, str]]:
    try:
        if file.name.endswith(".gz"):
            with gzip.open(file, "rt", encoding="utf-8", newline="") as handle:
                return list(csv.DictReader(handle))
        with file.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetFormatError(file, f"not a readable CSV: {exc}") from None


def _baseline(src: Path, day: str, first_ns: int) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The fault-free reference minute, shifted to end ``BASELINE_GAP`` before ``first_ns``."""
    construct = src / "construct_data"
    days = [construct / day, *sorted(p for p in construct.glob("*") if p.is_dir() and p.name != day)]
    for folder in days:
        traces = _csv_files(folder / "trace", "_trace.csv")
        if not traces:
            continue
        spans = _read_csv(traces[0])
        logs_file = _csv_file(folder / "log" / traces[0].name.replace("_trace", "_log").removesuffix(".gz"))
        logs = _read_csv(logs_file) if logs_file is not None else []
        if not spans:
            continue
        last = max(int(r["EndTimeUnixNano"]) for r in spans)
        shift = first_ns - int(BASELINE_GAP.total_seconds() * 1e9) - last
        for row in spans:
            row["StartTimeUnixNano"] = str(int(row["StartTimeUnixNano"]) + shift)
            row["EndTimeUnixNano"] = str(int(row["EndTimeUnixNano"]) + shift)
        for row in logs:
            row["TimeUnixNano"] = str(int(row["TimeUnixNano"]) + shift)
        return logs, spans
    return [], []


def _pods(*tables: list[dict[str, str]]) -> dict[str, str]:
    """pod -> node (host) as far as the logs tell; pods seen only in spans get no node."""
    pods: dict[str, str] = {}
    for table in tables:
        for row in table:
            pod = row.get("PodName") or ""
            if pod and (pod not in pods or not pods[pod]):
                pods[pod] = row.get("Node") or ""
    return pods


# -- entities, spans and logs ----------------------------------------------------------------


@dataclass
class _World:
    """Entities of one case and the maps needed to label records with them."""

    services: dict[str, str]  # service name -> SERVICE id
    process_groups: dict[str, str]  # service name -> PROCESS_GROUP id
    hosts: dict[str, str]  # node ip -> HOST id
    pod_node: dict[str, str]
    calls: dict[str, set[str]]  # caller service -> callee services
    span_pod: dict[str, str]

    @classmethod
    def build(cls, pods: dict[str, str], spans: list[dict[str, str]], logs: list[dict[str, str]]) -> _World:
        names = {service_of_pod(p) for p in pods}
        span_pod = {r["SpanID"]: r["PodName"] for r in spans}
        calls: dict[str, set[str]] = defaultdict(set)
        for row in spans:
            parent_pod = span_pod.get(row["ParentID"])
            if parent_pod and parent_pod != row["PodName"]:
                caller, callee = service_of_pod(parent_pod), service_of_pod(row["PodName"])
                if caller != callee:
                    calls[caller].add(callee)
        return cls(
            services={n: entity_id("SERVICE", n) for n in sorted(names)},
            process_groups={n: entity_id("PROCESS_GROUP", n) for n in sorted(names)},
            hosts={ip: entity_id("HOST", ip) for ip in sorted(set(pods.values())) if ip},
            pod_node=pods,
            calls=calls,
            span_pod=span_pod,
        )

    def entities(self) -> list[dict[str, Any]]:
        callers: dict[str, set[str]] = defaultdict(set)
        for caller, callees in self.calls.items():
            for callee in callees:
                callers[callee].add(caller)
        hosts_of: dict[str, set[str]] = defaultdict(set)
        for pod, node in self.pod_node.items():
            if node:
                hosts_of[service_of_pod(pod)].add(self.hosts[node])
        out: list[dict[str, Any]] = []
        for name, sid in self.services.items():
            from_rel: dict[str, list[str]] = {"runsOn": [self.process_groups[name]]}
            if self.calls.get(name):
                from_rel["calls"] = sorted(self.services[c] for c in self.calls[name])
            if hosts_of.get(name):
                from_rel["runsOnHost"] = sorted(hosts_of[name])
            to_rel: dict[str, list[str]] = {}
            if callers.get(name):
                to_rel["calls"] = sorted(self.services[c] for c in callers[name])
            out.append(
                {
                    "entityId": sid,
                    "type": "SERVICE",
                    "displayName": name,
                    "properties": {"serviceType": "WEB_SERVICE", "softwareTechnologies": ["JAVA"]},
                    "fromRelationships": from_rel,
                    "toRelationships": to_rel,
                    "tags": [{"context": "KUBERNETES", "key": "app", "value": name}],
                }
            )
            out.append(
                {
                    "entityId": self.process_groups[name],
                    "type": "PROCESS_GROUP",
                    "displayName": name,
                    "toRelationships": {"runsOn": [sid]},
                    "fromRelationships": {"runsOn": sorted(hosts_of.get(name, ()))},
                }
            )
        for ip, hid in self.hosts.items():
            out.append(
                {"entityId": hid, "type": "HOST", "displayName": ip, "properties": {"ipAddress": [ip]}}
            )
        return out

    def span(self, row: dict[str, str]) -> dict[str, Any]:
        pod = row["PodName"]
        service = service_of_pod(pod)
        start, end = int(row["StartTimeUnixNano"]), int(row["EndTimeUnixNano"])
        parent = row["ParentID"] if row["ParentID"] not in ("", "root", "0") else None
        name = row["OperationName"]
        return {
            "trace.id": row["TraceID"],
            "span.id": row["SpanID"],
            "span.parent_id": parent,
            "span.name": name,
            "span.kind": self._kind(name, pod, parent),
            "start_time": _iso_ns(start),
            "end_time": _iso_ns(end),
            "duration": max(0, end - start),
            "dt.entity.service": self.services[service],
            "dt.service.name": service,
            "k8s.pod.name": pod,
            "k8s.workload.name": service,
            "request.is_root_span": parent is None,
        }

    def _kind(self, name: str, pod: str, parent: str | None) -> str:
        if name.startswith(("HTTP ", "SELECT", "INSERT", "UPDATE", "DELETE")):
            return "client"
        if parent is None or self.span_pod.get(parent) != pod:
            return "server"
        return "internal"

    def log(self, row: dict[str, str]) -> dict[str, Any]:
        pod = row["PodName"]
        service = service_of_pod(pod)
        content, severity = _log_text(row.get("Log", ""))
        match = _LEVEL.search(severity or content[:80])
        level = (match.group(1) if match else "INFO").upper()
        level = {"WARNING": "WARN", "SEVERE": "ERROR", "FATAL": "ERROR"}.get(level, level)
        record: dict[str, Any] = {
            "timestamp": _iso_ns(int(row["TimeUnixNano"])),
            "content": content,
            "loglevel": level,
            "status": level if level in ("ERROR", "WARN") else "INFO",
            "k8s.pod.name": pod,
            "k8s.container.name": row.get("Container") or service,
            "k8s.workload.name": service,
            "dt.entity.process_group": self.process_groups[service],
            "dt.entity.service": self.services[service],
            "dt.process.name": service,
        }
        node = row.get("Node") or self.pod_node.get(pod)
        if node and node in self.hosts:
            record["dt.entity.host"] = self.hosts[node]
            record["host.name"] = node
        if row.get("TraceID"):
            record["trace_id"] = row["TraceID"]
        if row.get("SpanID"):
            record["span_id"] = row["SpanID"]
        return record

    def entry_service(self, spans: list[dict[str, str]]) -> str:
        roots = Counter(service_of_pod(r["PodName"]) for r in spans if r["ParentID"] in ("", "root", "0"))
        return roots.most_common(1)[0][0] if roots else sorted(self.services)[0]


def _log_text(raw: str) -> tuple[str, str | None]:
    """The application's line out of the container runtime's JSON envelope, and its severity.

    Java services write plain lines (``16:42:22.382 INFO  …``); others write JSON lines of their
    own (``{"severity": "info", "message": "…"}``), whose message and severity are used.
    """
    try:
        envelope = json.loads(raw)
    except (json.JSONDecodeError, TypeError):
        return raw.strip(), None
    if not (isinstance(envelope, dict) and isinstance(envelope.get("log"), str)):
        return raw.strip(), None
    line = str(envelope["log"]).strip()
    if line.startswith("{"):
        try:
            inner = json.loads(line)
        except json.JSONDecodeError:
            return line, None
        if isinstance(inner, dict):
            message = inner.get("message") or inner.get("msg")
            severity = inner.get("severity") or inner.get("level")
            return (
                str(message).strip() if message else line,
                str(severity).upper() if isinstance(severity, str) else None,
            )
    return line, None


def _iso_ns(nanos: int) -> str:
    seconds, rest = divmod(nanos, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rest:09d}Z"


# -- metrics ---------------------------------------------------------------------------------


def _metrics(
    day_dir: Path, fault: Fault, world: _World
) -> tuple[list[dict[str, Any]], dict[datetime, float]]:
    """Per-pod series for the hour before the fault and the fault minutes; the front's p90 latency."""
    minute0 = fault.time.replace(second=0, microsecond=0)
    first = minute0 - METRIC_HISTORY
    count = int(METRIC_HISTORY.total_seconds() // 60) + 4
    series: list[dict[str, Any]] = []
    for file in _csv_files(day_dir / "metric", "_metric.csv"):
        pod = file.name.removesuffix(".gz").removesuffix("_metric.csv")
        service = service_of_pod(pod)
        rows = _by_minute(_read_csv(file), first, count)
        if not rows:
            continue
        dims_k8s = {"k8s.pod.name": pod, "k8s.workload.name": service, "k8s.namespace.name": "default"}
        for column, (key, unit, scale) in CONTAINER_METRICS.items():
            values = [_num(rows.get(i, {}).get(column), scale) for i in range(count)]
            if any(v is not None for v in values):
                series.append(_series(key, dims_k8s, first, unit, values))
        if service in world.services:
            dims_svc = {"dt.entity.service": world.services[service], "k8s.pod.name": pod}
            for column, (key, unit, scale) in SERVICE_METRICS.items():
                values = [_num(rows.get(i, {}).get(column), scale) for i in range(count)]
                if any(v is not None for v in values):
                    series.append(_series(key, dims_svc, first, unit, values))
    front: dict[datetime, float] = {}
    front_file = _csv_file(day_dir / "metric" / "front_service.csv")
    if front_file is not None:
        for i, row in _by_minute(_read_csv(front_file), first, count).items():
            value = _num(row.get("LatencyP90(s)"), 1.0)
            if value is not None:
                front[first + timedelta(minutes=i)] = value
    return series, front


def _by_minute(rows: list[dict[str, str]], first: datetime, count: int) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    base = first.timestamp()
    for row in rows:
        try:
            stamp = float(row["TimeStamp"])
        except (KeyError, ValueError):
            continue
        index = int((stamp - base) // 60)
        if 0 <= index < count:
            out[index] = row
    return out


def _num(raw: str | None, scale: float) -> float | None:
    try:
        value = float(raw) if raw not in (None, "") else math.nan
    except ValueError:
        return None
    return None if math.isnan(value) or math.isinf(value) else round(value * scale, 6)


def _series(
    key: str, dims: dict[str, str], start: datetime, unit: str, values: list[float | None]
) -> dict[str, Any]:
    return {
        "metric.key": key,
        "dimensions": dims,
        "start": iso(start),
        "interval": "1m",
        "unit": unit,
        "values": values,
    }


# -- the problem -----------------------------------------------------------------------------


def _problem_start(
    fault: Fault,
    front_latency: dict[datetime, float],
    logs: list[dict[str, Any]],
    entry: str,
    world: _World,
) -> tuple[datetime, str]:
    """When a tenant would open the problem: the first minute after injection whose front latency
    or error-log rate crosses mean + 3 sigma of what came before; else one minute after injection."""
    minute0 = fault.time.replace(second=0, microsecond=0)
    history = [v for t, v in front_latency.items() if t < minute0]
    if len(history) >= 10:
        limit = statistics.fmean(history) + 3 * statistics.pstdev(history)
        for i in range(1, ONSET_SEARCH + 1):
            value = front_latency.get(minute0 + timedelta(minutes=i))
            if value is not None and value > limit:
                return minute0 + timedelta(minutes=i), "front-end p90 latency above its usual range"
    errors: Counter[datetime] = Counter()
    for record in logs:
        if record["loglevel"] == "ERROR":
            stamp = datetime.strptime(record["timestamp"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
            errors[stamp.replace(second=0)] += 1
    before = [n for t, n in errors.items() if t < fault.time - timedelta(minutes=1)]
    usual = max(before) if before else 0
    for i in range(0, ONSET_SEARCH):
        minute = minute0 + timedelta(minutes=i)
        if minute >= fault.time.replace(second=0) and errors.get(minute, 0) > max(2 * usual, usual + 5):
            onset = max(minute + timedelta(minutes=1), fault.time + timedelta(seconds=30))
            return onset.replace(microsecond=0), "error log rate above its usual range"
    return (fault.time + timedelta(minutes=1)).replace(microsecond=0), "latency and errors slightly raised"


def _problem(fault: Fault, world: _World, entry: str, start: datetime, reason: str) -> dict[str, Any]:
    number = stable_int(fault.case_id, digits=6)
    entry_id = world.services[entry]
    entity = {"entityId": {"id": entry_id, "type": "SERVICE"}, "name": entry}
    errors = "error" in reason
    return {
        "problemId": f"{stable_int('problem', fault.case_id)}_{ms(start)}V2",
        "displayId": f"P-{number}",
        "title": "Failure rate increase" if errors else "Response time degradation",
        "status": "OPEN",
        "severityLevel": "ERROR" if errors else "PERFORMANCE",
        "impactLevel": "SERVICES",
        "startTime": ms(start),
        "endTime": -1,
        "affectedEntities": [entity],
        "impactedEntities": [entity],
        "rootCauseEntity": None,
        "evidenceDetails": {"totalCount": 0, "details": []},
        "managementZones": [],
        "entityTags": [],
    }
