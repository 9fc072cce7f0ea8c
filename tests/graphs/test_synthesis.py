"""The synthesis node with fake chat models: narrative, cited re-ranking, follow-up tool calls."""

from __future__ import annotations

from langchain_core.messages import AIMessage
from langchain_core.tools import StructuredTool

from dynatrace_agent.analysis import Analysis, RankedCandidate
from dynatrace_agent.case import IncidentCase
from graphs.investigation.nodes.synthesis import SynthesisOutput, apply_ranking
from graphs.investigation.run import investigate
from tests.graphs.conftest import ClientFactory
from tests.graphs.fakes import FakeSynthesisModel, replies


def _analysis(*ids: str) -> Analysis:
    return Analysis(
        ranked=[
            RankedCandidate(entity_id=i, name=i.lower(), score=0.9 - n * 0.1, category="code")
            for n, i in enumerate(ids)
        ],
        category="code",
    )


def test_reranking_without_citations_is_refused() -> None:
    analysis = _analysis("SERVICE-A", "SERVICE-B")
    out = SynthesisOutput(narrative="x", ranking=["SERVICE-B", "SERVICE-A"], reasons=["B looks worse"])
    kept, note = apply_ranking(analysis, out, {"T1"})
    assert [r.entity_id for r in kept.ranked] == ["SERVICE-A", "SERVICE-B"]
    assert note is not None and "without citing" in note


def test_reranking_citing_unknown_ids_is_refused() -> None:
    analysis = _analysis("SERVICE-A", "SERVICE-B")
    out = SynthesisOutput(narrative="x", ranking=["SERVICE-B"], reasons=["see [T9]"])
    kept, note = apply_ranking(analysis, out, {"T1"})
    assert kept.ranked[0].entity_id == "SERVICE-A" and note


def test_reranking_with_citations_is_applied() -> None:
    analysis = _analysis("SERVICE-A", "SERVICE-B", "SERVICE-C")
    out = SynthesisOutput(
        narrative="x", ranking=["SERVICE-B", "SERVICE-NOPE"], reasons=["[T1] shows B fails first"]
    )
    changed, note = apply_ranking(analysis, out, {"T1"})
    assert [r.entity_id for r in changed.ranked] == ["SERVICE-B", "SERVICE-A", "SERVICE-C"]
    assert note == "re-ranked by the model citing T1"
    assert any("ranked first by the model" in r for r in changed.ranked[0].reasons)
    assert analysis.ranked[0].entity_id == "SERVICE-A", "the input is not modified"


async def test_narrative_comes_from_the_model_and_uncited_reranking_is_refused(
    case: IncidentCase, make_client: ClientFactory
) -> None:
    assert case.expected is not None
    decoy = "SERVICE-FFFFFFFFFFFFFFFF"
    model = FakeSynthesisModel(
        messages=replies("unused"),
        structured=[
            {
                "narrative": "The model says: a deployment broke it.",
                "ranking": [decoy],
                "reasons": ["gut feeling"],
            }
        ],
    )
    async with make_client() as client:
        deterministic = await investigate(case.problem, client=client)
        report = await investigate(case.problem, client=client, model=model)
    assert report.narrative == "The model says: a deployment broke it."
    assert [c.entity_id for c in report.ranked_root_causes] == [
        c.entity_id for c in deterministic.ranked_root_causes
    ]
    assert report.stats.llm_tokens.input > 0 and report.stats.llm_tokens.output > 0
    prompt = model.prompts[0]
    assert "[P1]" in prompt and "[T1]" in prompt and "[C1]" in prompt
    assert case.expected.change_event_id is None or case.expected.change_event_id in prompt


async def test_cited_reranking_and_follow_up_tool_calls(
    case: IncidentCase, make_client: ClientFactory
) -> None:
    calls: list[str] = []

    def lookup(service: str) -> str:
        calls.append(service)
        return f"{service}: 42 failed requests, all with PSP 422"

    tool = StructuredTool.from_function(
        lookup, name="dynatrace_query_traces", description="traces of a service"
    )
    async with make_client() as client:
        baseline = await investigate(case.problem, client=client)
        second = baseline.ranked_root_causes[1].entity_id
        model = FakeSynthesisModel(
            messages=replies(
                AIMessage(
                    content="",
                    tool_calls=[
                        {
                            "name": "dynatrace_query_traces",
                            "args": {"service": "a"},
                            "id": "1",
                            "type": "tool_call",
                        },
                        {
                            "name": "dynatrace_query_traces",
                            "args": {"service": "b"},
                            "id": "2",
                            "type": "tool_call",
                        },
                        {
                            "name": "dynatrace_query_traces",
                            "args": {"service": "c"},
                            "id": "3",
                            "type": "tool_call",
                        },
                    ],
                )
            ),
            structured=[
                {"narrative": "first", "follow_up": ["which service fails first?"]},
                {"narrative": "second", "ranking": [second], "reasons": ["[F1] shows it fails first"]},
            ],
        )
        from graphs.investigation.context import InvestigationContext
        from graphs.investigation.graph import graph
        from graphs.investigation.run import stream_investigation

        context = InvestigationContext(client=client, model=model, tools=[tool], max_follow_up=2)
        report = await stream_investigation(graph, {"problem": case.problem}, context)
    assert calls == ["a", "b"], "at most max_follow_up tool calls are made"
    assert report["narrative"] == "second"
    assert report["ranked_root_causes"][0]["entity_id"] == second
    assert "[F1]" in model.prompts[1]
    assert report["stats"]["tool_output_tokens"] > baseline.stats.tool_output_tokens


async def test_a_failing_model_falls_back_to_the_template(
    case: IncidentCase, make_client: ClientFactory
) -> None:
    model = FakeSynthesisModel(messages=replies("unused"), fail=True)
    async with make_client() as client:
        report = await investigate(case.problem, client=client, model=model)
    assert report.narrative.startswith("Problem ")
    assert any(g.capability == "synthesis" and "provider unavailable" in g.reason for g in report.unavailable)
