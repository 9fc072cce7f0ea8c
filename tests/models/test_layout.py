"""Each model is defined once, in ``dynatrace_agent.models``; older import paths re-export it."""

from __future__ import annotations

import dynatrace_agent.analysis as analysis
import dynatrace_agent.analysis.evidence as old_evidence
import dynatrace_agent.capabilities.selectors as selectors
import dynatrace_agent.case as case
import dynatrace_agent.models as models
import dynatrace_agent.models.evidence as evidence
import dynatrace_agent.report as report
from dynatrace_agent.models import enums


def test_the_evidence_models_are_defined_in_models_only() -> None:
    for name in old_evidence.__all__:
        assert getattr(old_evidence, name) is getattr(evidence, name), name
    assert set(old_evidence.__all__) == set(evidence.__all__)
    assert analysis.ProblemInfo is models.ProblemInfo is evidence.ProblemInfo
    assert evidence.ProblemInfo.__module__ == "dynatrace_agent.models.evidence"


def test_each_word_list_exists_once() -> None:
    assert case.CATEGORIES is evidence.CATEGORIES is enums.CATEGORIES
    assert selectors.SEVERITY_LEVELS is enums.SEVERITY_LEVELS
    assert selectors.IMPACT_LEVELS is enums.IMPACT_LEVELS


def test_the_report_package_keeps_its_public_names() -> None:
    for name in report.__all__:
        value = getattr(report, name)
        if not isinstance(value, str):
            assert value.__module__.startswith("dynatrace_agent.report."), name
    assert report.REPORT_FORMAT == "dynatrace-agent/report@1"
    assert report.InvestigationReport.to_markdown.__module__ == "dynatrace_agent.report.model"
