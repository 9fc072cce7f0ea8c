"""What every capability returns, and the small plumbing they share.

A capability is one typed async function per thing a user can ask Dynatrace. It returns a
:class:`CapabilityResult`: typed records for code, the raw records for the artifact, the
query or API call that produced them (for citations), Grail's metadata, whether the result
was cut at a limit, and a ready ``summary(budget)`` that calls the right summariser with
everything it needs (whole-window counts, baselines, anchors).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import ValidationError

from dynatrace_agent.client.scopes import CAPABILITY_SCOPES
from dynatrace_agent.dql import Query
from dynatrace_agent.errors import InvalidArgumentError
from dynatrace_agent.models.record import Float, Int, Record, Text
from dynatrace_agent.summarise.budget import DEFAULT_BUDGET, check_budget, grail_facts_line

if TYPE_CHECKING:
    from dynatrace_agent.client import DynatraceClient, QueryResult

__all__ = [
    "CapabilityResult",
    "Float",
    "Int",
    "Record",
    "Text",
    "capability_scopes",
    "grail_query",
    "to_models",
]


T = TypeVar("T", bound=Record)


def to_models(model: type[T], raw: Sequence[Mapping[str, Any]]) -> list[T]:
    """Typed records; a record that does not fit even the tolerant model is kept bare."""
    out: list[T] = []
    for item in raw:
        try:
            out.append(model.model_validate(item))
        except ValidationError:
            out.append(model.model_construct(**dict(item)))
    return out


def capability_scopes(name: str) -> list[str]:
    """The scopes capability ``name`` asks for (its own only; the client adds buckets for Grail)."""
    return list(CAPABILITY_SCOPES[name].scopes)


@dataclass
class CapabilityResult(Generic[T]):
    """The outcome of one capability call.

    ``records`` are typed, ``raw`` as Dynatrace sent them; ``query`` is the main DQL or API
    call (``queries`` lists every one sent); ``grail`` is the main query's result metadata;
    ``truncated`` says a limit cut the records (``limits`` names which); ``total`` is the
    whole-window count when known; ``aggregates`` holds summarize rows used by the summary.
    """

    capability: str
    records: list[T]
    raw: list[dict[str, Any]]
    query: str | None
    grail: QueryResult | None = None
    queries: list[str] = field(default_factory=list)
    truncated: bool = False
    limits: dict[str, Any] = field(default_factory=dict)
    total: int | None = None
    aggregates: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    summariser: Callable[[int], str] | None = field(default=None, repr=False)

    @property
    def empty(self) -> bool:
        """Nothing matched (a normal outcome, not an error)."""
        return not self.raw and not self.total

    def summary(self, budget: int = DEFAULT_BUDGET) -> str:
        """The budgeted text for a model; ``budget`` must be within the allowed bounds."""
        check_budget(budget)
        if self.summariser is None:
            return f"{len(self.raw):,} records from {self.capability}."
        text = self.summariser(budget)
        return text

    def artifact(self) -> dict[str, Any]:
        """JSON-ready full result: the records plus where they came from and what limited them."""
        return {
            "capability": self.capability,
            "query": self.query,
            "queries": list(self.queries),
            "records": self.raw,
            "total": self.total,
            "truncated": self.truncated,
            "limits": dict(self.limits),
            "grail": grail_facts_line(self.grail, returned=len(self.raw)) if self.grail else None,
            "aggregates": self.aggregates,
            "notes": list(self.notes),
        }


async def grail_query(
    client: DynatraceClient,
    capability: str,
    query: Query | str,
    *,
    max_records: int,
    queries: list[str],
    scan_limit_gb: float | None = None,
    max_bytes: int | None = None,
    extra_scopes: Sequence[str] = (),
) -> QueryResult:
    """Run a built query with the capability's own scopes, recording its text for citations."""
    text = query.render() if isinstance(query, Query) else query
    queries.append(text)
    return await client.grail.query(
        text,
        scopes=[*capability_scopes(capability), *extra_scopes],
        max_result_records=max_records,
        max_result_bytes=max_bytes,
        scan_limit_gb=scan_limit_gb,
    )


async def fetch_records(
    client: DynatraceClient,
    capability: str,
    model: type[T],
    query: Query,
    *,
    limit: int,
    limit_name: str,
    summarise: Callable[[list[dict[str, Any]], QueryResult, int], str],
) -> CapabilityResult[T]:
    """One bounded Grail fetch returned as typed records (the shape most record capabilities share).

    ``summarise(raw, grail, budget)`` renders the summary; the result counts as truncated when
    Grail hit its record limit or exactly ``limit`` records came back.
    """
    queries: list[str] = []
    result = await grail_query(client, capability, query, max_records=limit, queries=queries)
    raw: list[dict[str, Any]] = result.records
    return CapabilityResult(
        capability=capability,
        records=to_models(model, raw),
        raw=raw,
        query=queries[0],
        grail=result,
        queries=queries,
        truncated=result.record_limit_reached or len(raw) >= limit,
        limits={limit_name: limit},
        summariser=lambda budget: summarise(raw, result, budget),
    )


def check_limit(value: int, name: str, low: int, high: int) -> int:
    """Validate a record limit argument; the message names the allowed range."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidArgumentError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return value
