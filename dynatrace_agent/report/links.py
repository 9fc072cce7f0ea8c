"""Links into the Dynatrace web UI for a problem or an entity, built from the environment URL.

Reports point people at the classic pages (problem detail, service overview), which live on
the ``*.live.*`` host even when the environment URL names the platform's ``*.apps.*`` host.
"""

from __future__ import annotations

from urllib.parse import quote

from dynatrace_agent import dql

__all__ = ["classic_base", "entity_link", "is_entity_id", "problem_link"]


def classic_base(environment_url: str) -> str:
    """The classic web UI base of an environment URL (``*.apps.*`` → ``*.live.*``, no trailing /)."""
    base = environment_url.strip().rstrip("/")
    for apps, live in (
        (".apps.dynatrace.com", ".live.dynatrace.com"),
        (".apps.dynatracelabs.com", ".live.dynatracelabs.com"),
    ):
        if apps in base:
            base = base.replace(apps, live)
    return base


def problem_link(environment_url: str, problem_id: str) -> str:
    """Link to a problem's page in the classic UI."""
    return f"{classic_base(environment_url)}/#problems/problemdetail;pid={quote(problem_id, safe='')}"


def entity_link(environment_url: str, entity_id: str) -> str:
    """Link to an entity: the service overview for services, the generic entity page otherwise."""
    base = classic_base(environment_url)
    safe_id = quote(entity_id, safe="")
    if entity_id.upper().startswith("SERVICE-"):
        return f"{base}/#newservices/serviceOverview;id={safe_id}"
    return f"{base}/ui/entity/{safe_id}"


def is_entity_id(value: str) -> bool:
    """Whether ``value`` is a Dynatrace entity id such as ``SERVICE-9A1B2C3D4E5F6071``."""
    try:
        dql.entity_id(value)
    except ValueError:
        return False
    return True
