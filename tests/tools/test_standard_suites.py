"""langchain-tests' standard ``ToolsUnitTests`` and ``ToolsIntegrationTests`` for every tool.

One pair of test classes per tool is generated below; the integration suite invokes each
tool (sync and async, with and without a ToolCall) against the in-process demo simulator.
"""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from dynatrace_agent.simulator import simulator_settings
from dynatrace_agent.tools import TOOL_NAMES, DynatraceToolkit, EnvironmentHandle
from tests.tools.conftest import simulator_factory
from tests.tools.test_demo_incident import CASES

_TOOLKIT = DynatraceToolkit(
    environments={
        "simulator": EnvironmentHandle(simulator_settings(), transport_factory=simulator_factory())
    },
    default_environment="simulator",
)
_TOOLS = {t.name: t for t in _TOOLKIT.get_tools()}


def _suite(base: type, name: str) -> type:
    tool = _TOOLS[name]
    example = CASES[name][0]

    def tool_constructor(self: Any) -> BaseTool:
        return tool

    def tool_invoke_params_example(self: Any) -> dict[str, Any]:
        return dict(example)

    return type(
        f"Test{base.__name__}_{name}",
        (base,),
        {
            "tool_constructor": property(tool_constructor),
            "tool_invoke_params_example": property(tool_invoke_params_example),
        },
    )


for _name in TOOL_NAMES:
    for _base in (ToolsUnitTests, ToolsIntegrationTests):
        _cls = _suite(_base, _name)
        globals()[_cls.__name__] = _cls


def test_a_suite_pair_exists_for_every_tool() -> None:
    generated = [n for n in globals() if n.startswith("TestTools")]
    assert len(generated) == 2 * len(TOOL_NAMES) == 24
