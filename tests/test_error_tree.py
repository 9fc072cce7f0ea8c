"""Every error the package raises on purpose sits in the one tree under ``DynatraceAgentError``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import dynatrace_agent
from dynatrace_agent.dql import DQLValueError
from dynatrace_agent.errors import DynatraceAgentError, InvalidArgumentError, StoreUnavailableError
from dynatrace_agent.tools.errors import explain

#: Public exceptions that never leave their layer: each is turned into an HTTP answer (the
#: simulator and the webhook intake) or a parse result close to where it is raised. Private ones
#: (``_Name``) are internal by definition and not checked.
INTERNAL = {
    "dynatrace_agent.simulator.params.ParamError",
    "dynatrace_agent.simulator.clock.TimeParseError",
    "dynatrace_agent.simulator.selectors.SelectorError",
    "dynatrace_agent.simulator.paging.PageKeyError",
    "dynatrace_agent.simulator.dql_engine.dpl.DPLError",
    "dynatrace_agent.simulator.dql_engine.errors.DQLParseError",
    "dynatrace_agent.webhook.payloads.PayloadError",
    "dynatrace_agent.webhook.safety.BodyRejected",
    "dynatrace_agent.webhook.endpoints.common.BodyTooLarge",  # answered 413 by the endpoint
    "dynatrace_agent.importers.petshop_problem.NoAlert",  # "skip this issue", caught by the importer
}


def _exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for module_info in pkgutil.walk_packages(dynatrace_agent.__path__, "dynatrace_agent."):
        if module_info.name.endswith("__main__"):  # importing it would run the CLI
            continue
        try:
            module = importlib.import_module(module_info.name)
        except ImportError:  # an optional extra is not installed
            continue
        for name, value in vars(module).items():
            if name.startswith("_") or not inspect.isclass(value) or value.__module__ != module.__name__:
                continue
            if issubclass(value, BaseException):
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_public_error_is_in_the_tree() -> None:
    classes = _exception_classes()
    assert "dynatrace_agent.case.CaseFormatError" in classes
    outside = sorted(
        name
        for name, cls in classes.items()
        if not issubclass(cls, DynatraceAgentError) and name not in INTERNAL
    )
    assert outside == [], "derive these from dynatrace_agent.errors (or list why they stay internal)"
    assert set(classes) >= INTERNAL, "an internal exception was renamed; update INTERNAL"


def test_argument_errors_stay_value_errors() -> None:
    assert issubclass(InvalidArgumentError, ValueError)
    assert issubclass(DQLValueError, InvalidArgumentError)
    assert issubclass(StoreUnavailableError, RuntimeError)
    from dynatrace_agent.webhook.store import StoreUnavailableError as from_store

    assert from_store is StoreUnavailableError


@pytest.mark.parametrize(
    "error", [InvalidArgumentError("bad x"), DQLValueError("bad x"), ValueError("bad x")]
)
def test_tools_explain_argument_errors_as_arguments_to_correct(error: Exception) -> None:
    assert explain(error, tool="t") == "Invalid argument for t: bad x. Correct it and call again."


def test_a_non_dql_argument_error_is_not_called_dql() -> None:
    from dynatrace_agent.capabilities.problems import build_problem_selector

    with pytest.raises(InvalidArgumentError) as raised:
        build_problem_selector(status="maybe")
    assert not isinstance(raised.value, DQLValueError)
