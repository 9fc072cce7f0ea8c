"""The run context (LangGraph ``context_schema``): what a caller provides besides the input.

In-process callers (:class:`~graphs.investigation.run.InvestigationRunner`) pass a ``client``
(and optionally a chat ``model``); a LangGraph server's caller passes only ``environment``,
and the nodes take that environment's client from the resources the graph factory put in
the run's config (:mod:`graphs.investigation.server`, contracts §6). No node reads settings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dynatrace_agent.client import DynatraceClient

__all__ = ["InvestigationContext"]


@dataclass
class InvestigationContext:
    """Per-run dependencies and limits.

    ``deadline_s`` bounds the whole run: a branch still running at the deadline is recorded as
    a gap. ``token_budget`` bounds the evidence text the run produces for a model (shared by
    the branches) and each follow-up tool result. ``tools`` overrides the toolkit used for
    the synthesis node's follow-up calls; ``max_follow_up`` caps those calls.
    """

    environment: str | None = None
    client: DynatraceClient | None = None
    model: Any | None = None
    deadline_s: float = 120.0
    token_budget: int = 1500
    tools: Sequence[Any] | None = None
    max_follow_up: int = 2
    #: Results two branches of one run share (``nodes.change_query``); not a parameter.
    shared_calls: dict[tuple[Any, ...], asyncio.Future[Any]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
