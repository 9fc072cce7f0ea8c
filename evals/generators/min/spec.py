"""What one minimal case looks like: a declarative description the builder turns into files."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CaseSpec:
    """One case, described by the choices a dataset converter would make.

    ``fault`` drives the signals: ``cpu`` (CPU contention), ``delay`` (network delay),
    ``exception`` (code throws), ``wrong_return`` (code returns a wrong value, so callers fail),
    ``deploy``/``config`` (a change slows or breaks a component), ``throttle`` (a managed
    resource saturates with no change behind it).
    """

    case_id: str
    title: str
    description: str
    shape: str  # "bench" | "pet"
    size: int
    culprit: str
    fault: str
    category: str
    now: str
    onset_min: int  # minutes before ``now`` the fault starts
    window_min: int  # minutes of telemetry before ``now``
    interval: str = "1m"  # "1m" | "5m"
    affected: str = "culprit"  # "culprit" | "caller" | "entry"
    problem_ref: str = "display"  # "display" | "id"
    root_cause_entity: str = "absent"  # "absent" | "culprit" | "symptom"
    spans: int = 0  # number of traces (0 = no spans at all)
    logs: bool = False
    log_entity: str = "dt.entity.service"  # the one entity field on each log record
    metric_dims: str = "id"  # "id" (entity ids) | "name" (service.name) | "pod" (k8s.pod.name only)
    with_cpu: bool = True
    change: str = "none"  # "real" (a change event on the culprit) | "none"
    decoy_change: bool = False
    gzip: bool = False
    frac_digits: int = 3
    calls: bool = True
    pinned: dict[str, str] = field(default_factory=dict)  # child -> caller edges forced in the tree
    facts: tuple[str, ...] = ()
