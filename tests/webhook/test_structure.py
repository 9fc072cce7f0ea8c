"""The webhook package's shape: imports run one way, and handlers are per-app through ``app.state``."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import httpx

import dynatrace_agent.webhook as webhook_pkg
from dynatrace_agent.webhook.app import create_app
from tests.webhook.conftest import SECRET, make_config, make_runner, notify

PACKAGE = Path(webhook_pkg.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every ``dynatrace_agent.webhook.*`` module ``path`` imports, at any depth (functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n for n in names if n.startswith("dynatrace_agent.webhook.")}
    return found


def _module_graph() -> dict[str, set[str]]:
    modules = {
        "dynatrace_agent.webhook."
        + ".".join(p.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__"): p
        for p in PACKAGE.rglob("*.py")
    }
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_webhook_modules_import_each_other_without_a_cycle() -> None:
    graph = _module_graph()
    assert "dynatrace_agent.webhook.store_sql" in graph["dynatrace_agent.webhook.store_sqlite"]
    assert _cycle(graph) is None
    # the cycle detector itself finds one when there is one
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_store_interface_knows_no_backend() -> None:
    graph = _module_graph()
    backends = {f"dynatrace_agent.webhook.store_{b}" for b in ("sql", "sqlite", "postgres")}
    assert not graph["dynatrace_agent.webhook.store_types"] & (backends | {"dynatrace_agent.webhook.store"})
    assert backends - {"dynatrace_agent.webhook.store_sql"} <= graph["dynatrace_agent.webhook.store"]


def test_create_app_defines_no_handler_of_its_own() -> None:
    tree = ast.parse((PACKAGE / "app.py").read_text())
    factory = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "create_app")
    nested = [n.name for n in ast.walk(factory) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    assert nested == ["create_app"]


async def test_two_apps_keep_their_own_config_and_store(tmp_path: Path) -> None:
    """Handlers are shared module functions; each app's state decides what they see."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    apps = [
        create_app(make_config(tmp_path / "a"), runner=make_runner(), start_workers=False),
        create_app(make_config(tmp_path / "b", max_body_bytes=64), runner=make_runner(), start_workers=False),
    ]
    body: dict[str, Any] = {"pid": "-1_7V2", "problemId": "P-7", "state": "OPEN", "title": "Slow checkout"}
    answers = []
    for app in apps:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                answers.append(await notify(client, body, secret=SECRET))
                listed = (await client.get("/api/alerts")).json()["alerts"]
                answers.append(listed)
    first, first_alerts, second, second_alerts = answers
    assert first.status_code == 202 and len(first_alerts) == 1
    assert second.status_code == 413 and "64 bytes" in second.json()["detail"]
    assert second_alerts == []
