"""The monitored estate of a simulated tenant and its Entities API v2 records.

A scenario declares clusters, hosts, services (with their endpoints and calls), extra
process groups and applications under short keys; :meth:`Tenant.entities` renders them with
Dynatrace ids (``TYPE-`` + 16 upper-hex) and the relationship names the project's
consumers rely on:

* service ``fromRelationships.calls`` = callees, ``toRelationships.calls`` = callers
  (an application calling a frontend service counts as a caller);
* service ``fromRelationships.runsOn`` = [process group], ``runsOnHost`` = [hosts];
* process group ``fromRelationships.runsOn`` = [hosts], ``toRelationships.runsOn`` = [services];
* host ``toRelationships.runsOn`` = process groups, ``fromRelationships.isNodeOf`` = [cluster];
* application ``fromRelationships.calls`` = its entry services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evals.generators.base.model import Endpoint, Entry, LogPattern, ServiceKind
from evals.generators.base.rng import CaseRandom

_TECH = {
    "Java": (
        "JAVA",
        [
            {"type": "JAVA", "edition": "OpenJDK", "version": "17.0.10"},
            {"type": "SPRING", "version": "3.2.4"},
        ],
    ),
    "Go": ("GO", [{"type": "GO", "version": "1.22.3"}]),
    "Node.js": ("NODE_JS", [{"type": "NODE_JS", "version": "20.12.2"}]),
    "Python": ("PYTHON", [{"type": "PYTHON", "version": "3.11.9"}]),
    ".NET": ("DOTNET", [{"type": "DOTNET", "edition": ".NET", "version": "8.0.4"}]),
    "PostgreSQL": ("", [{"type": "POSTGRE_SQL", "version": "15.6"}]),
    "MySQL": ("", [{"type": "MYSQL", "version": "8.0.36"}]),
    "Redis": ("", [{"type": "REDIS", "version": "7.2.4"}]),
    "Elasticsearch": ("", [{"type": "ELASTIC_SEARCH", "version": "8.13.0"}]),
}


@dataclass
class ClusterInfo:
    key: str
    id: str
    name: str
    distribution: str


@dataclass
class HostInfo:
    key: str
    id: str
    name: str
    cluster: str | None
    cpu: float
    memory: float
    disk: float
    cores: int
    memory_gb: int
    cloud: str | None
    ip: str
    process_groups: list[str] = field(default_factory=list)


@dataclass
class ProcessGroupInfo:
    key: str
    id: str
    name: str
    hosts: tuple[str, ...]
    technology: str
    cpu: float
    services: list[str] = field(default_factory=list)


@dataclass
class ServiceInfo:
    key: str
    id: str
    name: str
    kind: ServiceKind
    hosts: tuple[str, ...]
    process_group: str | None
    endpoints: dict[str, Endpoint]
    latency_ms: float
    error_rate: float
    technology: str
    namespace: str | None
    team: str
    pods: list[tuple[str, str]]
    chronic_logs: tuple[LogPattern, ...]
    info_logs: tuple[str, ...]
    log_weight: float
    address: str | None


@dataclass
class ApplicationInfo:
    key: str
    id: str
    name: str
    entries: tuple[Entry, ...]


@dataclass
class Tenant:
    """Builder for the estate; keys are scenario-local names, ids are generated."""

    rng: CaseRandom
    now_ns: int
    env_tag: str = "prod"
    app_tag: str = "shop"
    zone: tuple[str, str] = ("", "")
    clusters: dict[str, ClusterInfo] = field(default_factory=dict)
    hosts: dict[str, HostInfo] = field(default_factory=dict)
    process_groups: dict[str, ProcessGroupInfo] = field(default_factory=dict)
    services: dict[str, ServiceInfo] = field(default_factory=dict)
    applications: dict[str, ApplicationInfo] = field(default_factory=dict)
    _first_seen: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.zone[0]:
            self.zone = (self.rng.digits(19), f"{self.app_tag.title()} - Production")

    # ---- declarations -------------------------------------------------------------------
    def _new_id(self, entity_type: str) -> str:
        entity_id = f"{entity_type}-{self.rng.upper_hex(16)}"
        self._first_seen[entity_id] = self.now_ns // 1_000_000 - self.rng.randint(9, 400) * 86_400_000
        return entity_id

    def cluster(self, key: str, name: str, distribution: str = "EKS") -> str:
        self.clusters[key] = ClusterInfo(key, self._new_id("KUBERNETES_CLUSTER"), name, distribution)
        return key

    def host(
        self,
        key: str,
        name: str,
        *,
        cluster: str | None = None,
        cpu: float = 30.0,
        memory: float = 55.0,
        disk: float = 45.0,
        cores: int = 8,
        memory_gb: int = 32,
        cloud: str | None = "AWS",
    ) -> str:
        ip = f"10.{self.rng.randint(0, 60)}.{self.rng.randint(0, 255)}.{self.rng.randint(2, 254)}"
        self.hosts[key] = HostInfo(
            key, self._new_id("HOST"), name, cluster, cpu, memory, disk, cores, memory_gb, cloud, ip
        )
        return key

    def process_group(
        self, key: str, name: str, hosts: tuple[str, ...], technology: str, cpu: float = 8.0
    ) -> str:
        self._check_hosts(hosts, key)
        pg = ProcessGroupInfo(key, self._new_id("PROCESS_GROUP"), name, hosts, technology, cpu)
        self.process_groups[key] = pg
        for h in hosts:
            self.hosts[h].process_groups.append(key)
        return key

    def service(
        self,
        key: str,
        name: str,
        *,
        hosts: tuple[str, ...] = (),
        endpoints: tuple[Endpoint, ...],
        latency_ms: float,
        error_rate: float = 0.001,
        kind: ServiceKind = "web",
        technology: str = "Java",
        namespace: str | None = None,
        team: str | None = None,
        replicas: int = 2,
        chronic_logs: tuple[LogPattern, ...] = (),
        info_logs: tuple[str, ...] = (),
        log_weight: float = 1.0,
        process_group_name: str | None = None,
        address: str | None = None,
    ) -> str:
        """Declare a service; web services get a process group and pods on ``hosts``."""
        self._check_hosts(hosts, key)
        pg_key: str | None = None
        if hosts:
            pg_key = f"pg:{key}"
            pg_name = process_group_name or (f"{namespace}/{key}" if namespace else f"{name} ({technology})")
            self.process_group(pg_key, pg_name, hosts, technology, cpu=self.rng.uniform(4, 18))
            self.process_groups[pg_key].services.append(key)
        pods: list[tuple[str, str]] = []
        if kind == "web" and hosts:
            rs = self.rng.lower_hex(10)[:9].translate(str.maketrans("0123456789", "bcdfghjklm"))
            for i in range(max(1, replicas)):
                suffix = "".join(self.rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
                pods.append(
                    (f"{key}-{rs}-{suffix}" if namespace else f"{key}-{i + 1}", hosts[i % len(hosts)])
                )
        self.services[key] = ServiceInfo(
            key=key,
            id=self._new_id("SERVICE"),
            name=name,
            kind=kind,
            hosts=hosts,
            process_group=pg_key,
            endpoints={e.name: e for e in endpoints},
            latency_ms=latency_ms,
            error_rate=error_rate,
            technology=technology,
            namespace=namespace,
            team=team or key,
            pods=pods,
            chronic_logs=chronic_logs,
            info_logs=info_logs,
            log_weight=log_weight,
            address=address,
        )
        return key

    def application(self, key: str, name: str, entries: tuple[Entry, ...]) -> str:
        self.applications[key] = ApplicationInfo(key, self._new_id("APPLICATION"), name, entries)
        return key

    def _check_hosts(self, hosts: tuple[str, ...], owner: str) -> None:
        for h in hosts:
            if h not in self.hosts:
                raise ValueError(f"{owner}: unknown host key {h!r}; declare it with Tenant.host first")

    # ---- lookups ------------------------------------------------------------------------
    def id_of(self, key: str) -> str:
        for table in (self.services, self.hosts, self.process_groups, self.applications, self.clusters):
            if key in table:
                return table[key].id
        raise KeyError(f"unknown entity key {key!r}")

    def name_of(self, key: str) -> str:
        for table in (self.services, self.hosts, self.process_groups, self.applications, self.clusters):
            if key in table:
                return table[key].name
        raise KeyError(f"unknown entity key {key!r}")

    def type_of(self, key: str) -> str:
        return self.id_of(key).rsplit("-", 1)[0]

    def stub(self, key: str) -> dict[str, Any]:
        """An EntityStub as problems use it."""
        return {"entityId": {"id": self.id_of(key), "type": self.type_of(key)}, "name": self.name_of(key)}

    def callers_of(self, key: str) -> list[str]:
        out: list[str] = []
        for s in self.services.values():
            if any(c.service == key for e in s.endpoints.values() for c in e.calls) and s.key not in out:
                out.append(s.key)
        return out

    def callees_of(self, key: str) -> list[str]:
        out: list[str] = []
        for e in self.services[key].endpoints.values():
            for c in e.calls:
                if c.service not in out:
                    out.append(c.service)
        return out

    def validate(self) -> None:
        """Fail early, naming the scenario mistake, when a call or entry points nowhere."""
        for s in self.services.values():
            for e in s.endpoints.values():
                for c in e.calls:
                    if c.service not in self.services:
                        raise ValueError(f"{s.key} {e.name}: calls unknown service {c.service!r}")
                    if c.endpoint not in self.services[c.service].endpoints:
                        raise ValueError(f"{s.key} {e.name}: {c.service} has no endpoint {c.endpoint!r}")
        for a in self.applications.values():
            for entry in a.entries:
                if entry.endpoint not in self.services[entry.service].endpoints:
                    raise ValueError(
                        f"application {a.key}: {entry.service} has no endpoint {entry.endpoint!r}"
                    )

    # ---- rendering ----------------------------------------------------------------------
    def _tags(self, pairs: list[tuple[str, str]], k8s_name: str | None = None) -> list[dict[str, Any]]:
        tags = [
            {"context": "CONTEXTLESS", "key": k, "value": v, "stringRepresentation": f"{k}:{v}"}
            for k, v in pairs
        ]
        if k8s_name:
            tags.append(
                {
                    "context": "KUBERNETES",
                    "key": "app.kubernetes.io/name",
                    "value": k8s_name,
                    "stringRepresentation": f"[Kubernetes]app.kubernetes.io/name:{k8s_name}",
                }
            )
        return tags

    def tags_of(self, key: str) -> list[dict[str, Any]]:
        if key in self.services:
            s = self.services[key]
            return self._tags(
                [("env", self.env_tag), ("app", self.app_tag), ("team", s.team)], key if s.namespace else None
            )
        return self._tags([("env", self.env_tag), ("app", self.app_tag)])

    def _base(self, entity_id: str, name: str, key: str) -> dict[str, Any]:
        return {
            "entityId": entity_id,
            "type": entity_id.rsplit("-", 1)[0],
            "displayName": name,
            "firstSeenTms": self._first_seen[entity_id],
            "lastSeenTms": self.now_ns // 1_000_000 - self.rng.randint(5_000, 170_000),
            "tags": self.tags_of(key),
            "managementZones": [{"id": self.zone[0], "name": self.zone[1]}],
        }

    @staticmethod
    def _rel(items: list[tuple[str, str]]) -> list[dict[str, str]]:
        return [{"id": i, "type": t} for i, t in items]

    def entities(self) -> list[dict[str, Any]]:
        """Every entity as ``GET /api/v2/entities?fields=+properties,+tags,+...`` returns it."""
        self.validate()
        out: list[dict[str, Any]] = []
        for c in self.clusters.values():
            e = self._base(c.id, c.name, c.key)
            e["properties"] = {
                "kubernetesDistribution": c.distribution,
                "kubernetesClusterId": self.rng.uuid(),
            }
            nodes = [(h.id, "HOST") for h in self.hosts.values() if h.cluster == c.key]
            e["fromRelationships"] = {}
            e["toRelationships"] = {"isNodeOf": self._rel(nodes)}
            out.append(e)
        for h in self.hosts.values():
            e = self._base(h.id, h.name, h.key)
            props: dict[str, Any] = {
                "osType": "LINUX",
                "osVersion": "Ubuntu 22.04.4 LTS (Jammy Jellyfish) (kernel 6.5.0-1018)",
                "cpuCores": h.cores,
                "physicalMemory": h.memory_gb * 1024**3,
                "ipAddress": [h.ip],
                "monitoringMode": "FULL_STACK",
                "state": "RUNNING",
                "bitness": "64",
            }
            if h.cloud:
                props["cloudType"] = "EC2" if h.cloud == "AWS" else h.cloud
            e["properties"] = props
            e["fromRelationships"] = (
                {"isNodeOf": self._rel([(self.clusters[h.cluster].id, "KUBERNETES_CLUSTER")])}
                if h.cluster
                else {}
            )
            e["toRelationships"] = {
                "runsOn": self._rel([(self.process_groups[p].id, "PROCESS_GROUP") for p in h.process_groups])
            }
            out.append(e)
        for p in self.process_groups.values():
            e = self._base(p.id, p.name, p.key)
            agent, sw = _TECH.get(p.technology, ("", [{"type": p.technology.upper(), "version": "1.0"}]))
            e["properties"] = {"softwareTechnologies": sw, "detectedName": p.name}
            if agent:
                e["properties"]["agentTechnologyType"] = agent
            e["fromRelationships"] = {"runsOn": self._rel([(self.hosts[h].id, "HOST") for h in p.hosts])}
            e["toRelationships"] = {
                "runsOn": self._rel([(self.services[s].id, "SERVICE") for s in p.services])
            }
            out.append(e)
        for s in self.services.values():
            e = self._base(s.id, s.name, s.key)
            e["properties"] = self._service_properties(s)
            from_rel: dict[str, list[dict[str, str]]] = {
                "calls": self._rel([(self.services[c].id, "SERVICE") for c in self.callees_of(s.key)])
            }
            if s.process_group:
                from_rel["runsOn"] = self._rel([(self.process_groups[s.process_group].id, "PROCESS_GROUP")])
            if s.hosts:
                from_rel["runsOnHost"] = self._rel([(self.hosts[h].id, "HOST") for h in s.hosts])
            callers = [(self.services[c].id, "SERVICE") for c in self.callers_of(s.key)]
            callers += [
                (a.id, "APPLICATION")
                for a in self.applications.values()
                if any(x.service == s.key for x in a.entries)
            ]
            e["fromRelationships"] = from_rel
            e["toRelationships"] = {"calls": self._rel(callers)}
            out.append(e)
        for a in self.applications.values():
            e = self._base(a.id, a.name, a.key)
            e["properties"] = {
                "applicationType": "BROWSER",
                "realUserMonitoringEnabled": True,
                "costControlUserSessionPercentage": 100,
            }
            entry_services: list[str] = []
            for x in a.entries:
                if x.service not in entry_services:
                    entry_services.append(x.service)
            e["fromRelationships"] = {
                "calls": self._rel([(self.services[x].id, "SERVICE") for x in entry_services])
            }
            e["toRelationships"] = {}
            out.append(e)
        return out

    def _service_properties(self, s: ServiceInfo) -> dict[str, Any]:
        if s.kind == "database":
            vendor = s.technology
            return {
                "serviceType": "DATABASE_SERVICE",
                "databaseVendor": vendor.upper(),
                "databaseName": s.name.split()[-1],
                "databaseHostNames": [s.address or s.name],
                "isExternalService": False,
            }
        if s.kind == "external":
            return {
                "serviceType": "WEB_REQUEST_SERVICE",
                "isExternalService": True,
                "webServerName": s.address or s.name,
                "publicDomainName": s.address or s.name,
            }
        if s.kind == "queue":
            return {
                "serviceType": "MESSAGING_SERVICE",
                "messagingSystemVendor": "KAFKA",
                "serviceTechnologyTypes": [s.technology],
            }
        props: dict[str, Any] = {
            "serviceType": "WEB_REQUEST_SERVICE" if s.technology != "Java" else "WEB_SERVICE",
            "serviceTechnologyTypes": [s.technology] + (["Spring Boot"] if s.technology == "Java" else []),
            "agentTechnologyType": _TECH.get(s.technology, ("OTHER", []))[0] or "OTHER",
            "webServiceName": s.name,
            "isExternalService": False,
        }
        if s.namespace:
            props["kubernetesNamespace"] = s.namespace
            props["workloadName"] = s.key
        return props
