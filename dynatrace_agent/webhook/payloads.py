"""Turn a Dynatrace problem notification body into one normalised ``Notification``.

Dynatrace sends problem notifications in shapes the user chooses: the payload template
this project documents (``problemId``, ``pid``, ``state`` …), the classic custom
integration placeholders (``{ProblemID}``, ``{PID}``, ``{ImpactedEntities}`` …, often with
``ProblemDetailsJSON`` embedded) and the Workflows problem record (``event.id``,
``display_id``, ``event.status`` ACTIVE/CLOSED …). Field names are matched ignoring case,
``_`` and ``-``, so ``ProblemID``, ``problemId`` and ``problem_id`` are the same field.

The parser never raises anything but :class:`PayloadError`, whose ``status`` is the HTTP
answer the intake should give (400 not JSON, 422 missing or unusable fields), so hostile
bodies cannot produce a server error.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from dynatrace_agent.models.problem import display_id_of
from dynatrace_agent.values import parse_timestamp
from dynatrace_agent.webhook.safety import BodyRejected, check_body, displayable, safe_url

__all__ = [
    "ImpactedEntity",
    "Notification",
    "PayloadError",
    "body_hash",
    "decode_body",
    "parse_notification",
]

State = Literal["OPEN", "RESOLVED"]

#: Raw state words (upper-cased) and the alert state they mean.
_STATES: dict[str, State] = {
    "OPEN": "OPEN",
    "ACTIVE": "OPEN",
    "REOPENED": "OPEN",
    "CREATED": "OPEN",
    "UPDATED": "OPEN",
    "RESOLVED": "RESOLVED",
    "CLOSED": "RESOLVED",
    "MERGED": "RESOLVED",
}

_MAX_LIST = 200  # impacted entities / tags kept per notification
_MAX_TEXT = 2000  # longest scalar kept in a normalised field
_ENTITY_ID = re.compile(r"^[A-Z][A-Z0-9_]*-[0-9A-F]{8,32}$")
_TEST_TITLE = re.compile(r"notification test run", re.IGNORECASE)


class PayloadError(ValueError):
    """The body cannot be accepted; ``status`` is the HTTP status to answer with.

    ``fields`` names the missing or invalid fields (for the 422 answer), so the sender can
    fix its payload template.
    """

    def __init__(self, status: int, message: str, *, fields: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = list(fields)


@dataclass(frozen=True)
class ImpactedEntity:
    """An entity a problem impacts; any of the three parts may be unknown."""

    id: str | None = None
    name: str | None = None
    type: str | None = None

    @property
    def key(self) -> str:
        """What grouping compares: the entity id when known, else the name (lower-cased)."""
        return self.id or f"name:{(self.name or '').lower()}"

    def as_dict(self) -> dict[str, str | None]:
        """The entity as stored with the alert: id, name and type."""
        return {"id": self.id, "name": self.name, "type": self.type}


@dataclass(frozen=True)
class Notification:
    """One problem notification, normalised from whichever payload shape arrived.

    ``problem_ref`` names the problem, within an integration and to the investigation alike:
    the internal problem id (``PID``/``event.id``) when the payload carries it, else the
    display id ``P-…`` (the graph accepts both). It is the one name for the problem reference
    on the webhook path: the alert's identity, the queued job's target and the graph's input.
    """

    problem_ref: str
    state: State
    raw_state: str
    problem_id: str | None = None
    display_id: str | None = None
    title: str | None = None
    severity: str | None = None
    impact: str | None = None
    url: str | None = None
    tags: tuple[str, ...] = ()
    entities: tuple[ImpactedEntity, ...] = ()
    root_cause: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    shape: str = "documented"
    is_test: bool = False
    notes: tuple[str, ...] = ()
    body: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


def decode_body(raw: bytes) -> dict[str, Any]:
    """Decode a request body as a JSON object, or raise ``PayloadError`` (400/422)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PayloadError(400, "the body is not UTF-8 encoded JSON") from None
    if not text.strip():
        raise PayloadError(400, "the body is empty; send the problem notification as JSON")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise PayloadError(
            400, "the body is not valid JSON; check the notification payload template"
        ) from None
    if not isinstance(value, dict):
        raise PayloadError(
            422, "the body must be a JSON object (the problem notification), not a list or value"
        )
    try:
        checked: dict[str, Any] = check_body(value)
    except BodyRejected as exc:
        raise PayloadError(
            422, f"{exc.message}; fix the notification payload template", fields=[exc.path or "body"]
        ) from None
    return checked


def body_hash(body: Mapping[str, Any]) -> str:
    """SHA-256 of the body with keys sorted and whitespace removed: equal for redeliveries."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _norm_key(key: str) -> str:
    return re.sub(r"[\s_\-]", "", key).lower()


def _fold(body: Mapping[str, Any], *, depth: int = 2) -> dict[str, Any]:
    """Map normalised field names (``event.status`` style for nesting) to values.

    The first occurrence of a name wins, so a flat ``event.id`` and a nested
    ``{"event": {"id": …}}`` are both found under ``event.id``.
    """
    folded: dict[str, Any] = {}

    def walk(obj: Mapping[str, Any], prefix: str, level: int) -> None:
        for key, value in obj.items():
            if not isinstance(key, str):
                continue
            name = prefix + _norm_key(key)
            folded.setdefault(name, value)
            if isinstance(value, dict) and level < depth:
                walk(value, name + ".", level + 1)

    walk(body, "", 0)
    return folded


def _scalar(value: Any) -> str | None:
    """A clean string from a JSON scalar; None for null, empty, containers and booleans."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    text = str(value).strip() if not isinstance(value, float) or value == value else ""
    if not text:
        return None
    return _clean(text[:_MAX_TEXT]) or None


def _clean(text: str) -> str:
    """Drop what databases refuse in text columns: NUL characters and lone surrogates."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _first(folded: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = _scalar(folded.get(name))
        if value is not None:
            return value
    return None


def _maybe_json(value: Any) -> Any:
    """Templates sometimes quote JSON placeholders: decode a string that holds JSON."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            # what the embedded text holds gets the same repairs as a stored value: no NaN,
            # no integers beyond 64 bits, no lone surrogates, bounded depth
            return displayable(json.loads(value))
        except (ValueError, RecursionError):
            return value
    return value


def _epoch_ms(value: Any) -> int | None:
    """Epoch milliseconds from epoch s/ms/µs/ns (number or numeric text) or an ISO-8601 string.

    Classic webhooks send epoch numbers; a Workflows problem record sends ``event.start`` /
    ``event.end`` as ISO-8601 text (``2025-03-11T14:20:00.000000000Z``), which must not be dropped.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            parsed = parse_timestamp(value.strip()) if _ISO_START.match(value.strip()) else None
            return None if parsed is None else int(parsed.timestamp() * 1000)
    else:
        return None
    if number != number or number <= 0 or number > 1e19:
        return None  # NaN, "-1" for "still open", or garbage
    if number < 1e11:  # seconds, not milliseconds
        number *= 1000
    elif number > 1e17:  # nanoseconds (Grail timestamps)
        number /= 1e6
    elif number > 1e14:  # microseconds
        number /= 1e3
    return int(number)


_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _split_names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _entities(value: Any) -> list[ImpactedEntity]:
    """Entities from an ``ImpactedEntities``-style value: array of objects, ids or names."""
    value = _maybe_json(value)
    if isinstance(value, str):
        items: list[Any] = _split_names(value)
    elif isinstance(value, list):
        items = value
    elif isinstance(value, dict):
        items = [value]
    else:
        return []
    found: list[ImpactedEntity] = []
    for item in items[:_MAX_LIST]:
        if isinstance(item, dict):
            f = _fold(item, depth=1)
            ident = _first(f, "entity", "entityid", "entityid.id", "id")
            etype = _first(f, "type", "entitytype", "entityid.type")
            name = _first(f, "name", "entityname", "displayname")
            if ident is None and name is None:
                continue
            found.append(ImpactedEntity(id=ident, name=name, type=etype))
        else:
            text = _scalar(item)
            if text is None:
                continue
            if _ENTITY_ID.match(text):
                found.append(ImpactedEntity(id=text, type=text.split("-", 1)[0]))
            else:
                found.append(ImpactedEntity(name=text))
    return found


def _tags(value: Any) -> list[str]:
    """Tags from a comma-separated string, a list of strings or of ``{key, value}`` objects."""
    value = _maybe_json(value)
    if isinstance(value, str):
        return [_clean(tag) for tag in _split_names(value)[:_MAX_LIST]]
    items: list[Any]
    if isinstance(value, dict):
        items = [f"{k}:{v}" if v not in (None, "") else str(k) for k, v in value.items()]
    elif isinstance(value, list):
        items = value
    else:
        return []
    tags: list[str] = []
    for item in items[:_MAX_LIST]:
        if isinstance(item, dict):
            f = _fold(item, depth=0)
            key = _first(f, "key", "name")
            val = _first(f, "value")
            ctx = _first(f, "context")
            if key is None:
                continue
            tag = f"{key}:{val}" if val else key
            tags.append(f"[{ctx}]{tag}" if ctx and ctx.upper() != "CONTEXTLESS" else tag)
        else:
            text = _scalar(item)
            if text:
                tags.append(text)
    return tags


def _unique(items: Iterable[Any]) -> list[Any]:
    seen: set[Any] = set()
    out: list[Any] = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _details(folded: Mapping[str, Any]) -> dict[str, Any]:
    """The embedded problem JSON (``ProblemDetailsJSON`` / ``details``) folded, or empty."""
    for name in ("problemdetailsjson", "details", "problemdetails"):
        value = _maybe_json(folded.get(name))
        if isinstance(value, dict):
            return _fold(value, depth=1)
    return {}


def _is_test(folded: Mapping[str, Any], title: str | None) -> bool:
    """Dynatrace's "Send test notification" fills the template with a fixed test problem."""
    flag = folded.get("istest", folded.get("test"))
    if flag is True or (isinstance(flag, str) and flag.strip().lower() == "true"):
        return True
    return bool(title and _TEST_TITLE.search(title))


def parse_notification(body: Mapping[str, Any]) -> Notification:
    """Normalise one notification body; raise ``PayloadError`` (422) naming what is missing."""
    top = _fold(body)
    det = _details(top)
    shape = "documented"
    if any(k.startswith("event.") for k in top) or "displayid" in top:
        shape = "workflow"
    elif "problemdetailsjson" in top or ("pid" in top and any(k.startswith("problem") for k in top)):
        shape = "classic"

    title = _first(top, "title", "problemtitle", "event.name") or _first(det, "title")
    if _is_test(top, title):
        return Notification(
            problem_ref="test",
            state="OPEN",
            raw_state=_first(top, "state") or "OPEN",
            title=title,
            shape=shape,
            is_test=True,
            body=body,
        )

    # Identity. ``pid``/``event.id`` are the internal id; ``ProblemID`` is the display
    # number in classic templates, but the internal id in API v2 shaped bodies.
    internal = _first(top, "pid", "event.id", "problem.id")
    display = display_id_of(_first(top, "displayid", "problemdisplayid"))
    problem_id_field = _first(top, "problemid")
    if problem_id_field is not None:
        as_display = display_id_of(problem_id_field)
        if as_display is not None:
            display = display or as_display
        elif internal is None:
            internal = problem_id_field
    if internal is None:
        internal = _first(det, "problemid", "id")
    if display is None:
        display = display_id_of(_first(det, "displayid", "displayname"))

    raw_state = _first(top, "state", "event.status", "problemstatus", "status")
    transition = _first(top, "event.statustransition")
    if raw_state is None:
        raw_state = _first(det, "status", "state")
    if transition is not None and transition.upper() in ("RESOLVED", "REOPENED"):
        raw_state = transition

    missing: list[str] = []
    if internal is None and display is None:
        missing.append("problem id (pid / ProblemID / problemId / event.id / display_id)")
    if raw_state is None:
        missing.append("state (state / State / event.status)")
    if missing:
        raise PayloadError(
            422,
            "the notification is missing "
            + " and ".join(missing)
            + "; include them in the Dynatrace payload template",
            fields=missing,
        )
    assert raw_state is not None
    state = _STATES.get(raw_state.upper())
    if state is None:
        raise PayloadError(
            422,
            f"unknown problem state {raw_state[:40]!r}; expected OPEN or RESOLVED "
            "(or ACTIVE/CLOSED from a Workflow)",
            fields=["state"],
        )

    entities = _entities(top.get("impactedentities"))
    entities += _entities(top.get("affectedentityids"))
    entities += _entities(top.get("affectedentities"))
    if not entities:
        entities = _entities(det.get("impactedentities")) or _entities(det.get("rankedimpacts"))
    names = _first(top, "impactedentitynames", "impactedentity")
    if names and not entities:
        entities = [ImpactedEntity(name=n) for n in _split_names(names)[:_MAX_LIST]]
    elif names and len(entities) == 1 and entities[0].name is None:
        entities = [ImpactedEntity(id=entities[0].id, name=names, type=entities[0].type)]
    entities = _unique(entities)[:_MAX_LIST]

    tags = _tags(top.get("tags")) or _tags(top.get("entitytags")) or _tags(det.get("tagsofaffectedentities"))
    severity = _first(top, "severity", "problemseverity", "event.category", "severitylevel") or _first(
        det, "severitylevel", "severity"
    )
    impact = _first(top, "impact", "problemimpact", "impactlevel") or _first(det, "impactlevel", "impact")
    root_cause = _first(top, "rootcauseentityname", "rootcauseentityid", "rootcause") or _first(
        det, "rootcauseentity.name"
    )
    start = _epoch_ms(top.get("problemstarttime", top.get("starttime", top.get("event.start"))))
    end = _epoch_ms(top.get("problemendtime", top.get("endtime", top.get("event.end"))))

    key = internal if internal is not None else display
    assert key is not None
    notes: list[str] = []
    raw_url = _first(top, "url", "problemurl")
    url = safe_url(raw_url)
    if raw_url is not None and url is None:
        notes.append(f"problem URL {raw_url[:80]!r} dropped: only absolute http(s) URLs are kept as links")
    return Notification(
        problem_ref=key,
        state=state,
        raw_state=raw_state.upper()[:40],
        problem_id=internal,
        display_id=display,
        title=title,
        severity=severity.upper() if severity else None,
        impact=impact.upper() if impact else None,
        url=url,
        tags=tuple(_unique(tags)),
        entities=tuple(entities),
        root_cause=root_cause,
        start_ms=start if start is not None else _epoch_ms(det.get("starttime")),
        end_ms=end,
        shape=shape,
        notes=tuple(notes),
        body=body,
    )
