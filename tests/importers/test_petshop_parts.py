"""The PetShop importer's parts: command forms, node forms, alert timing, file checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynatrace_agent.importers.common import DatasetFormatError
from dynatrace_agent.importers.petshop_changes import parse_command
from dynatrace_agent.importers.petshop_files import Graph, read_graph, read_metrics, read_target
from dynatrace_agent.importers.petshop_problem import NoAlert, detect
from dynatrace_agent.importers.petshop_topology import forms_of, link_forms, split_name

DEPLOY = (
    "sed -E -i 's/inject = false/inject = true/g' ../../petstatusupdater/index.js && cdk deploy "
    "--context admin_role=arn:aws:iam::XXX:role/observabilityworkshop-admin Services "
    "--context dashboard_role_arn= --require-approval never"
)


def test_ssm_put_parameter_is_a_configuration_change() -> None:
    change = parse_command("aws ssm put-parameter --name '/petstore/errormode1' --value 'true' --overwrite")
    assert change.kind == change.category == "configuration"
    assert change.event_type == "CUSTOM_CONFIGURATION"
    assert change.details["config.key"] == "/petstore/errormode1"
    assert change.details["config.new_value"] == "true"


def test_edited_function_redeployed_is_a_deployment() -> None:
    change = parse_command(DEPLOY)
    assert change.kind == "deployment" and change.event_type == "CUSTOM_DEPLOYMENT"
    assert change.details["deployment.name"] == "petstatusupdater"
    assert change.details["deployment.project"] == "Services"
    assert change.details["deployment.change"] == "s/inject = false/inject = true/g"
    assert "arn:" not in repr(change)


def test_load_generator_is_traffic_without_an_event() -> None:
    change = parse_command("python -m issue_dynamo_db_requests -num_iterations=800")
    assert change.kind == change.category == "traffic" and not change.has_event
    assert "issue_dynamo_db_requests" in change.name


@pytest.mark.parametrize("command", [None, "", "kubectl delete pod x", "aws ssm put-parameter --name x"])
def test_unknown_forms_are_kept_without_guessing(command: str | None) -> None:
    change = parse_command(command)
    assert change.kind == "unknown" and change.category is None and not change.has_event


def test_node_names_split_into_resource_and_xray_kind() -> None:
    assert split_name("PetSearch_AWS::ECS::Fargate") == ("PetSearch", "AWS::ECS::Fargate")
    assert split_name("PetSearch_client") == ("PetSearch", "client")
    assert split_name("PGSQL Query_remote") == ("PGSQL Query", "remote")
    assert split_name("PetSite") == ("PetSite", "")
    assert split_name("AWS::StepFunctions::StateMachine")[1] == "AWS::StepFunctions::StateMachine"


def test_forms_of_one_resource_are_chained_outermost_first() -> None:
    nodes = ["f", "f_AWS::Lambda::Function", "f_AWS::Lambda", "f_client", "g_AWS::Lambda"]
    assert forms_of("f", nodes) == ["f_client", "f_AWS::Lambda", "f_AWS::Lambda::Function", "f"]
    graph = Graph(nodes=nodes, calls={"f_AWS::Lambda": ["f_AWS::Lambda::Function"], "g_AWS::Lambda": ["f"]})
    calls = link_forms(graph, nodes)
    assert calls["f_client"] == ["f_AWS::Lambda"]
    assert calls["f_AWS::Lambda"] == ["f_AWS::Lambda::Function"]  # already linked: not doubled
    assert calls["f_AWS::Lambda::Function"] == ["f"]
    assert calls["g_AWS::Lambda"] == ["f"]
    assert graph.calls == {"f_AWS::Lambda": ["f_AWS::Lambda::Function"], "g_AWS::Lambda": ["f"]}


def test_latency_alert_starts_at_the_first_crossing_after_the_change() -> None:
    baseline = [100.0, 102.0, 98.0, 101.0, 99.0, 100.0]
    values: list[float | None] = [*baseline, 150.0, 101.0, 104.0, 160.0, 170.0, 100.0]
    # bucket 6 crosses but ends before the change: it is not the alert
    found = detect("latency", values, baseline_buckets=6, first_candidate=7)
    assert found.first_bucket == 9 and found.last_bucket == 10 and found.peak == 170.0
    assert found.baseline_source == "noissue"
    still_open = detect("latency", values[:-1], baseline_buckets=6, first_candidate=7)
    assert still_open.last_bucket is None


def test_a_steady_baseline_needs_a_relative_step_before_alerting() -> None:
    values: list[float | None] = [100.0, 100.0, 100.0, 100.0, 105.0, 111.0]
    found = detect("latency", values, baseline_buckets=4, first_candidate=4)
    assert found.first_bucket == 5  # 105 is within the 10 % floor, 111 is not


def test_availability_alerts_below_the_baseline_minimum() -> None:
    values: list[float | None] = [100.0, 99.5, 100.0, 99.8, 99.6, 97.0]
    found = detect("availability", values, baseline_buckets=4, first_candidate=4)
    assert found.first_bucket == 5


def test_no_crossing_or_no_baseline_raises_no_alert() -> None:
    with pytest.raises(NoAlert, match="never crosses"):
        detect("latency", [100.0, 101.0, 99.0, 100.0, 102.0], baseline_buckets=3, first_candidate=3)
    with pytest.raises(NoAlert, match="no baseline"):
        detect("latency", [None, None, 200.0], baseline_buckets=0, first_candidate=0)


def test_fallback_baseline_is_the_issue_before_the_change() -> None:
    found = detect("latency", [80.0, 82.0, 120.0], baseline_buckets=0, first_candidate=2)
    assert found.baseline_source == "pre-change" and found.first_bucket == 2


HEADER = (
    "microservice,A,A,B\nmetric,latency,requests,latency\nstatistic,Average,Sum,Average\nunix_timestamp,,,\n"
)


def test_metrics_file_is_read_by_column(tmp_path: Path) -> None:
    file = tmp_path / "metrics.csv"
    file.write_text(HEADER + "600.0,0.5,10,\n900.0,nan,12,0.25\n")
    table = read_metrics(file)
    assert table.times == [600.0, 900.0] and table.step == 300
    assert table.series("A", "latency", "Average") == [0.5, None]
    assert table.series("B", "latency", "Average") == [None, 0.25]
    assert table.nodes() == ["A", "B"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("nonsense\n", "first three rows"),
        (HEADER, "no data rows"),
        (HEADER + "600.0,0.5,10\n", "line 5: 3 cells"),
        (HEADER + "600.0,fast,10,1\n", "'fast' is not a number"),
        (HEADER + "900.0,1,1,1\n600.0,1,1,1\n", "increasing time order"),
    ],
)
def test_broken_metrics_files_name_the_problem(tmp_path: Path, body: str, message: str) -> None:
    file = tmp_path / "metrics.csv"
    file.write_text(body)
    with pytest.raises(DatasetFormatError, match=message) as info:
        read_metrics(file)
    assert info.value.file == file


def test_missing_files_are_named(tmp_path: Path) -> None:
    for reader, name in (
        (read_metrics, "metrics.csv"),
        (read_graph, "graph.csv"),
        (read_target, "target.json"),
    ):
        with pytest.raises(DatasetFormatError, match="missing") as info:
            reader(tmp_path / name)  # type: ignore[operator]
        assert info.value.file == tmp_path / name


def test_graph_rows_are_callers(tmp_path: Path) -> None:
    file = tmp_path / "graph.csv"
    file.write_text(",A,B,C\nA,0.0,1.0,0.0\nB,0.0,0.0,1.0\nC,0.0,0.0,0.0\n")
    assert read_graph(file).calls == {"A": ["B"], "B": ["C"]}
    file.write_text(",A,B\nA,0.0\n")
    with pytest.raises(DatasetFormatError, match="line 2"):
        read_graph(file)


def test_target_needs_its_fields(tmp_path: Path) -> None:
    file = tmp_path / "target.json"
    file.write_text('{"target": {"node": "PetSite", "metric": "latency"}, "root_cause": {"node": "X"}}')
    with pytest.raises(DatasetFormatError, match=r"target\.timestamp"):
        read_target(file)
    file.write_text("[]")
    with pytest.raises(DatasetFormatError, match="JSON object"):
        read_target(file)
