"""A scenario (tenant + faults + truth) and its rendering into every table of a case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dynatrace_agent.models.enums import CATEGORIES
from evals.generators.base.alerting import settings_objects, slos
from evals.generators.base.business import business_events, user_sessions
from evals.generators.base.clock import NS_PER_MIN, NS_PER_MS, iso, to_ns
from evals.generators.base.dynamics import Dynamics
from evals.generators.base.events import change_record, davis_record
from evals.generators.base.logs import LogWriter
from evals.generators.base.metrics import MetricWriter
from evals.generators.base.model import (
    BusinessFlow,
    ChangeEvent,
    Effect,
    Entry,
    OldProblem,
    ProblemSpec,
    Signals,
)
from evals.generators.base.problems import ProblemWriter
from evals.generators.base.rng import CaseRandom
from evals.generators.base.spans import SpanFact, TraceSampler
from evals.generators.base.tenant import Tenant

CASE_FORMAT = "dynatrace-agent/incident-case@1"
WEBHOOK_SEVERITY = {
    "PERFORMANCE": "PERFORMANCE",
    "ERROR": "ERROR",
    "AVAILABILITY": "AVAILABILITY",
    "RESOURCE_CONTENTION": "RESOURCE_CONTENTION",
    "CUSTOM_ALERT": "CUSTOM_ALERT",
    "INFO": "INFO",
}


@dataclass
class Scenario:
    """Everything one case is generated from; built by a module in ``evals.generators.base.scenarios``."""

    id: str
    title: str
    description: str
    start: datetime
    tenant: Tenant
    entries: tuple[Entry, ...]
    effects: tuple[Effect, ...]
    changes: tuple[ChangeEvent, ...]
    problem: ProblemSpec
    root_cause: str
    category: str
    trigger: str | None
    facts: tuple[str, ...]
    tags: tuple[str, ...]
    accepted_names: tuple[str, ...] = ()
    other_problems: tuple[ProblemSpec, ...] = ()
    old_problems: tuple[OldProblem, ...] = ()
    flows: tuple[BusinessFlow, ...] = ()
    application: str | None = None
    watched: tuple[str, ...] = ()
    slo_services: tuple[str, ...] = ()
    signals: Signals = field(default_factory=Signals)
    env_url: str = "https://abc12345.live.dynatrace.com"
    before_min: int = 60
    after_min: int = 30
    problem_ref: str = "display"
    classic_only: bool = False
    countries: tuple[str, ...] = ("DE", "DE", "FR", "NL", "GB", "AT", "PL", "US")
    packets_metric: bool = False
    process_metric: bool = False
    throttling_metric: bool = False

    def validate(self) -> None:
        """Reject scenario mistakes with a message naming the field."""
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.id}: category {self.category!r} is not one of {CATEGORIES}")
        self.tenant.id_of(self.root_cause)
        keys = {c.key for c in self.changes}
        if self.trigger is not None and self.trigger not in keys:
            raise ValueError(f"{self.id}: trigger {self.trigger!r} is not a declared change key")
        for e in self.effects:
            self.tenant.id_of(e.target)
        for c in self.changes:
            self.tenant.id_of(c.target)


@dataclass
class CaseData:
    """The rendered case: ``case.json`` plus the tenant tables (name → records)."""

    case: dict[str, Any]
    json_tables: dict[str, list[dict[str, Any]]]
    jsonl_tables: dict[str, list[dict[str, Any]]]


def render(scenario: Scenario, rng: CaseRandom) -> CaseData:
    """Derive every table of ``scenario`` from one fault model, deterministically from ``rng``."""
    scenario.validate()
    t = scenario.tenant
    sig = scenario.signals
    start_ns = to_ns(scenario.start)
    now_ns = start_ns + scenario.after_min * NS_PER_MIN
    dyn = Dynamics(t, scenario.effects, scenario.entries)
    jsonl: dict[str, list[dict[str, Any]]] = {}
    json_tables: dict[str, list[dict[str, Any]]] = {"entities": t.entities()}

    changes = {c.key: change_record(t, rng, c, start_ns, sig.event_fraction_digits) for c in scenario.changes}
    all_problems = [scenario.problem, *scenario.other_problems]
    davis = [
        [davis_record(t, rng, ev, start_ns, now_ns, sig.event_fraction_digits) for ev in p.events]
        for p in all_problems
    ]
    writer = ProblemWriter(t, dyn, rng, start_ns, now_ns, scenario.env_url)
    rendered = [writer.main(p, d, changes) for p, d in zip(all_problems, davis, strict=True)]
    main_problem = rendered[0]
    json_tables["problems"] = rendered + [writer.old(o) for o in scenario.old_problems]
    notes: list[tuple[int, dict[str, Any]]] = []
    for spec, prob in zip(all_problems, rendered, strict=True):
        if spec.notify:
            bodies = writer.notifications(prob, WEBHOOK_SEVERITY)
            notes.append((prob["startTime"] + 90_000, bodies[0]))
            if len(bodies) > 1:
                notes.append((prob["endTime"] + 45_000, bodies[1]))
    notes.sort(key=lambda n: n[0])
    jsonl["notifications"] = [n for _, n in notes]
    flow_type = scenario.flows[0].completed_type if scenario.flows else None
    json_tables["settings"] = settings_objects(
        t, rng, scenario.watched, now_ns // NS_PER_MS, bool(scenario.flows) and sig.bizevents, flow_type
    )

    if not scenario.classic_only:
        if sig.events:
            events = list(changes.values()) + [r for group in davis for r in group]
            events.sort(key=lambda r: (r["timestamp"], r["event.id"]))
            jsonl["events"] = events
        facts: list[SpanFact] = []
        if sig.spans:
            spans, facts = TraceSampler(t, dyn, rng, start_ns, scenario.before_min, scenario.after_min).run(
                sig.spans
            )
            jsonl["spans"] = spans
        if sig.logs:
            cluster = next(iter(t.clusters.values())).name if t.clusters else None
            logs = LogWriter(
                t,
                dyn,
                rng,
                start_ns,
                scenario.before_min,
                scenario.after_min,
                sig.log_fraction_digits,
                cluster,
            ).generate(facts, sig.logs)
            jsonl["logs"] = logs
        if sig.metrics:
            jsonl["metrics"] = MetricWriter(
                t, dyn, rng, start_ns, scenario.before_min, scenario.after_min
            ).generate(
                packets=scenario.packets_metric,
                process_cpu=scenario.process_metric,
                throttling=scenario.throttling_metric,
            )
        if sig.bizevents and scenario.flows:
            jsonl["bizevents"] = business_events(
                t, dyn, rng, scenario.flows, start_ns, scenario.before_min, scenario.after_min, now_ns
            )
        if sig.sessions and scenario.application:
            jsonl["user.sessions"] = user_sessions(
                t,
                dyn,
                rng,
                t.applications[scenario.application],
                sig.sessions,
                start_ns,
                scenario.before_min,
                scenario.after_min,
                now_ns,
                scenario.countries,
            )
        if sig.slos and scenario.slo_services:
            json_tables["slos"] = slos(t, rng, scenario.slo_services)

    names: str | list[str] = t.name_of(scenario.root_cause)
    if scenario.accepted_names:
        names = [t.name_of(scenario.root_cause), *scenario.accepted_names]
    case = {
        "format": CASE_FORMAT,
        "id": scenario.id,
        "title": scenario.title,
        "description": scenario.description,
        "now": iso(now_ns, 0),
        "problem": main_problem["displayId"]
        if scenario.problem_ref == "display"
        else main_problem["problemId"],
        "expected": {
            "root_cause": {"entity_id": t.id_of(scenario.root_cause), "name": names},
            "category": scenario.category,
            "change_event_id": changes[scenario.trigger]["event.id"] if scenario.trigger else None,
            "facts": list(scenario.facts),
        },
        "tags": list(scenario.tags),
        "source": {
            "dataset": "generated",
            "licence": "same as the project",
            "reference": f"evals/generators/base/scenarios (seeded generator, case {scenario.id})",
        },
    }
    return CaseData(case, json_tables, jsonl)
