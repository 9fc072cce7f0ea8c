"""Server-rendered HTML for the Alerts page, the alert detail page and the login form.

Templates are plain ``string.Template`` files in ``pages/`` (package data): no front-end
build, no JavaScript. Every value from a notification is attacker-controlled text, so it is
escaped here; only the markdown renderer below produces tags, from escaped text.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from string import Template
from typing import Any

from markdown_it import MarkdownIt

from dynatrace_agent.report import InvestigationReport
from dynatrace_agent.webhook.grouping import AlertGroup
from dynatrace_agent.webhook.safety import displayable, safe_url
from dynatrace_agent.webhook.store import Alert

__all__ = ["markdown_to_html", "page", "render_alert", "render_alerts", "render_login", "report_markdown"]

_e = html.escape


@cache
def _template(name: str) -> Template:
    text = resources.files("dynatrace_agent.webhook").joinpath("pages", name).read_text("utf-8")
    return Template(text)


def page(title: str, content: str, *, root: str = "", refresh_s: int | None = None) -> str:
    """Wrap ``content`` (already safe HTML) in the base layout."""
    refresh = f'<meta http-equiv="refresh" content="{int(refresh_s)}">' if refresh_s else ""
    return _template("base.html").substitute(title=_e(title), content=content, root=_e(root), refresh=refresh)


def _time(epoch_s: float | None) -> str:
    if epoch_s is None:
        return "—"
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _entities(alert: Alert, limit: int = 6) -> str:
    names = [str(e.get("name") or e.get("id") or "") for e in alert.entities]
    shown = ", ".join(_e(n) for n in names[:limit] if n)
    return shown + (f" <span class='muted'>+{len(names) - limit} more</span>" if len(names) > limit else "")


def _status(alert: Alert) -> str:
    status = alert.investigation_status or "none"
    extra = ""
    if status == "running":
        extra = f" (attempt {alert.investigation_attempts + 1})"
    elif status == "failed":
        n = alert.investigation_attempts
        extra = f" (after {n} attempt{'s' if n != 1 else ''})"
    return f'<span class="status status-{_e(status)}">{_e(status)}</span>{_e(extra)}'


def _outcome(alert: Alert) -> str:
    """The list page's investigation cell: status, and for a report its top root cause."""
    cell = _status(alert)
    summary = alert.report_summary or {}
    if alert.investigation_status == "done" and summary:
        cause = summary.get("root_cause")
        confidence = summary.get("confidence")
        if cause:
            shown = f"{cause}"
            if isinstance(confidence, int | float):
                shown += f" ({confidence:.0%})"
            cell += f'<br><span class="muted">root cause:</span> {_e(str(shown))}'
        elif summary.get("category"):
            cell += f'<br><span class="muted">{_e(str(summary["category"]))}</span>'
    elif alert.investigation_status == "failed" and alert.investigation_error:
        cell += f'<br><span class="error">{_e(alert.investigation_error[:120])}</span>'
    return cell


def _row(alert: Alert, root: str) -> str:
    label = alert.display_id or alert.problem_ref
    return (
        f'<tr class="alert" data-alert-id="{_e(alert.id)}">'
        f'<td class="state-{_e(alert.state)}">{_e(alert.state)}</td>'
        f'<td><a href="{_e(root)}/alerts/{_e(alert.id)}">{_e(label)}</a></td>'
        f'<td><a href="{_e(root)}/alerts/{_e(alert.id)}">{_e(alert.title or "untitled")}</a></td>'
        f"<td>{_e(alert.severity or '')}</td>"
        f"<td>{_entities(alert)}</td><td>{_time(alert.first_seen)}</td><td>{_time(alert.last_seen)}</td>"
        f"<td>{_outcome(alert)}</td><td>{_e(alert.integration)}</td></tr>"
    )


def render_alerts(groups: list[AlertGroup], *, root: str = "") -> str:
    """The Alerts page: one box per group, one row per alert."""
    total = sum(len(g.alerts) for g in groups)
    open_count = sum(1 for g in groups for a in g.alerts if a.state == "OPEN")
    header = (
        "<tr><th>State</th><th>Problem</th><th>Title</th><th>Severity</th><th>Impacted entities</th>"
        "<th>First seen</th><th>Last seen</th><th>Investigation</th><th>Integration</th></tr>"
    )
    boxes = []
    for group in groups:
        shared = (
            f' <span class="shared">sharing {_e(", ".join(group.shared[:5]))}</span>' if group.shared else ""
        )
        state = "OPEN" if group.open else "RESOLVED"
        boxes.append(
            f'<section class="group" data-group-id="{_e(group.id)}">'
            f'<h2><span class="state-{state}">{state}</span> '
            f"{len(group.alerts)} alert{'s' if len(group.alerts) != 1 else ''}{shared}</h2>"
            f"<table>{header}{''.join(_row(a, root) for a in group.alerts)}</table></section>"
        )
    content = _template("alerts.html").substitute(
        summary=_e(f"{total} alerts in {len(groups)} groups, {open_count} open"),
        groups="".join(boxes)
        or "<p>No alerts yet. Point a Dynatrace problem notification at the webhook URL.</p>",
    )
    return page("Alerts", content, root=root, refresh_s=15)


def report_markdown(report: dict[str, Any]) -> str | None:
    """The report's markdown: its ``markdown`` key, or ``InvestigationReport.to_markdown()``."""
    text = report.get("markdown")
    if isinstance(text, str) and text.strip():
        return text
    try:
        rendered = InvestigationReport.model_validate(report).to_markdown()
    except Exception:  # not built yet, or a report of another shape: show JSON instead
        return None
    return rendered if isinstance(rendered, str) else None


@cache
def _markdown() -> MarkdownIt:
    # CommonMark with tables; raw HTML in the text is escaped, and link targets are validated
    # by markdown-it (no javascript: URLs), so a hostile report cannot inject markup.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_to_html(text: str) -> str:
    """Render a report's Markdown safely (headings shifted one level down inside the page)."""
    html: str = _markdown().render(text)
    for level in range(5, 0, -1):
        html = html.replace(f"<h{level}>", f"<h{level + 1}>").replace(f"</h{level}>", f"</h{level + 1}>")
    return html


def _pretty(value: Any) -> str:
    return json.dumps(displayable(value), indent=2, ensure_ascii=False)


def _fact(name: str, value: str) -> str:
    return f"<tr><th>{_e(name)}</th><td>{value}</td></tr>"


def render_alert(alert: Alert, *, root: str = "") -> str:
    """The detail page: facts, investigation status and report, notification history."""
    url = safe_url(alert.url)  # stored rows from before intake checked schemes are checked again
    link = f'<a href="{_e(url)}" rel="noreferrer">{_e(url)}</a>' if url else _e(alert.url or "—")
    facts = "".join(
        [
            _fact("Problem", _e(" / ".join(x for x in (alert.display_id, alert.problem_id) if x))),
            _fact("Integration", _e(alert.integration)),
            _fact("Environment", _e(alert.environment or "default")),
            _fact("Severity", _e(alert.severity or "—")),
            _fact("Impact", _e(alert.impact or "—")),
            _fact("Impacted entities", _entities(alert, limit=50) or "—"),
            _fact("Tags", _e(", ".join(alert.tags)) or "—"),
            _fact("Root cause (Dynatrace)", _e(alert.root_cause or "—")),
            _fact("First seen", _time(alert.first_seen)),
            _fact("Last seen", _time(alert.last_seen)),
            _fact("Resolved", _time(alert.resolved_at)),
            _fact(
                "Notifications",
                _e(
                    f"{alert.notification_count} ({alert.duplicate_count} duplicates, "
                    f"{alert.reopen_count} reopens)"
                ),
            ),
            _fact("Dynatrace", link),
            *([_fact("Notes", "<br>".join(_e(n) for n in alert.notes))] if alert.notes else []),
        ]
    )
    investigation = _status(alert)
    if alert.investigation_error:
        investigation += f' <span class="error">{_e(alert.investigation_error)}</span>'
    if alert.report is not None:
        md = report_markdown(alert.report)
        body = markdown_to_html(md) if md else f"<pre>{_e(_pretty(alert.report))}</pre>"
        report = f'<h2>Report</h2><div class="report">{body}</div>'
    else:
        report = ""
    history = "".join(
        f"<tr><td>{i}</td><td>{_time(n.received_at)}</td>"
        f"<td class='state-{_e(n.state)}'>{_e(n.raw_state)}</td>"
        f"<td><pre>{_e(_pretty(n.body)[:20000])}</pre></td></tr>"
        for i, n in enumerate(alert.notifications, 1)
    )
    content = _template("alert.html").substitute(
        state=_e(alert.state),
        heading=_e(f"{alert.display_id or alert.problem_ref}: {alert.title or 'untitled problem'}"),
        facts=facts,
        investigation=investigation,
        report=report,
        history=history,
    )
    return page(alert.title or "Alert", content, root=root)


def render_login(*, root: str = "", error: str = "", next_url: str = "/alerts") -> str:
    """The sign-in page, with an error message when the last attempt failed."""
    content = _template("login.html").substitute(root=_e(root), error=_e(error), next=_e(next_url))
    return page("Sign in", content, root=root)
