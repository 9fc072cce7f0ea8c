"""The webhook service's HTTP endpoints, one module per area, as plain module-level handlers.

Each handler finds what it needs (config, store, dispatcher, clock) on ``request.app.state``,
which :func:`dynatrace_agent.webhook.app.create_app` fills once, so a handler can be read,
tested and replaced on its own instead of living inside one long factory closure.
"""

from __future__ import annotations

from dynatrace_agent.webhook.endpoints.alerts import (
    alert_page,
    alerts_page,
    api_alert,
    api_alerts,
    healthz,
    index,
)
from dynatrace_agent.webhook.endpoints.intake import intake
from dynatrace_agent.webhook.endpoints.login import login, login_form, logout

__all__ = [
    "alert_page",
    "alerts_page",
    "api_alert",
    "api_alerts",
    "healthz",
    "index",
    "intake",
    "login",
    "login_form",
    "logout",
]
