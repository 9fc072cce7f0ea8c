"""Importing a cut-down PetShop dataset gives cases a tenant could have shown, with the right truth."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from dynatrace_agent.case import IncidentCase, load_case
from dynatrace_agent.cli import main
from dynatrace_agent.importers.common import DatasetFormatError
from dynatrace_agent.importers.petshop import import_dataset
from dynatrace_agent.importers.petshop_topology import node_id
from dynatrace_agent.simulator import create_app
from evals.harness import run_case
from tests.simulator.conftest import oauth_token

FIXTURE = Path(__file__).parent / "fixtures" / "petshop"
IDS = {
    "petshop-low_traffic-train-0",
    "petshop-low_traffic-train-1",
    "petshop-low_traffic-train-4",
    "petshop-low_traffic-train-5",
    "petshop-low_traffic-train-6",
    "petshop-temporal_traffic1-train-0",
}
PETSEARCH = "PetSearch_AWS::ECS::Fargate"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, IncidentCase]:
    out = tmp_path_factory.mktemp("petshop-cases")
    summary = import_dataset(FIXTURE, out, quiet=True)
    assert set(summary.written) == IDS and not summary.skipped
    return {case_id: load_case(out / case_id) for case_id in summary.written}


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def _entity(case: IncidentCase, name: str) -> dict[str, Any]:
    return next(e for e in case.entities if e["displayName"] == name)


def _called(entity: dict[str, Any], direction: str) -> set[str]:
    return {ref["id"] for ref in (entity.get(direction) or {}).get("calls", [])}


def test_configuration_case_truth_and_tags(imported: dict[str, IncidentCase]) -> None:
    case = imported["petshop-low_traffic-train-0"]
    expected = case.expected
    assert expected is not None
    assert expected.root_cause_entity_id == node_id(PETSEARCH)
    assert expected.root_cause_names == (PETSEARCH, "PetSearch")  # the client form is a caller, not accepted
    assert expected.category == "configuration"
    assert set(case.tags) == {
        "source:petshop",
        "cause:configuration",
        "scenario:low_traffic",
        "split:train",
        "metric:latency",
    }
    own = next(e for e in case.tables["events"] if e["event.id"] == expected.change_event_id)
    assert own["event.type"] == "CUSTOM_CONFIGURATION" and own["event.kind"] == "DAVIS_EVENT"
    assert own["config.key"] == "/petstore/searchdelay" and own["config.new_value"] == "1000"
    assert own["dt.entity.service"] == own["dt.source_entity"] == node_id(PETSEARCH)
    assert own["affected_entity_ids"] == [node_id(PETSEARCH)]


def test_problem_is_raised_on_the_front_after_the_change(imported: dict[str, IncidentCase]) -> None:
    case = imported["petshop-low_traffic-train-0"]
    assert case.expected is not None
    (problem,) = case.problems
    change = next(e for e in case.tables["events"] if e["event.id"] == case.expected.change_event_id)
    assert problem["displayId"] == case.problem
    assert problem["title"] == "Response time degradation" and problem["severityLevel"] == "PERFORMANCE"
    assert problem["startTime"] > _ms(change["event.start"])
    assert problem["startTime"] % 300_000 == 0  # at a bucket end, not at the injection time
    assert "rootCauseEntity" not in problem
    front = [{"entityId": {"id": node_id("PetSite"), "type": "SERVICE"}, "name": "PetSite"}]
    assert problem["affectedEntities"] == front and problem["impactedEntities"] == front
    assert problem["startTime"] <= int(case.now.timestamp() * 1000)


def test_availability_case_gets_a_failure_rate_problem(imported: dict[str, IncidentCase]) -> None:
    case = imported["petshop-low_traffic-train-4"]
    (problem,) = case.problems
    assert problem["title"] == "Failure rate increase" and problem["severityLevel"] == "ERROR"
    assert "metric:availability" in case.tags


def test_other_changes_of_the_scenario_appear_at_their_own_times(imported: dict[str, IncidentCase]) -> None:
    case = imported["petshop-low_traffic-train-0"]
    decoy = imported["petshop-low_traffic-train-1"].expected
    assert decoy is not None and case.expected is not None
    ids = [e["event.id"] for e in case.tables["events"]]
    assert decoy.change_event_id in ids and case.expected.change_event_id in ids
    starts = sorted(_ms(e["event.start"]) for e in case.tables["events"])
    series_start = _ms(case.metrics[0]["start"])
    assert all(series_start <= t <= case.now.timestamp() * 1000 for t in starts)


def test_deployment_and_load_forms(imported: dict[str, IncidentCase]) -> None:
    deployed = imported["petshop-low_traffic-train-5"]
    assert deployed.expected is not None and deployed.expected.category == "deployment"
    event = next(e for e in deployed.tables["events"] if e["event.id"] == deployed.expected.change_event_id)
    assert event["event.type"] == "CUSTOM_DEPLOYMENT"
    assert event["deployment.name"] == "petstatusupdater" and event["deployment.project"] == "Services"
    assert event["deployment.source"] == "petstatusupdater/index.js"
    assert "arn:aws" not in json.dumps(event)  # the admin role of the command is not an event detail
    assert deployed.expected.root_cause_names == (
        "lambdastatusupdater_AWS::Lambda",
        "lambdastatusupdater_AWS::Lambda::Function",
        "lambdastatusupdater",
    )
    load = imported["petshop-low_traffic-train-6"]
    assert load.expected is not None
    assert load.expected.category == "traffic" and load.expected.change_event_id is None
    assert "cause:traffic" in load.tags


def test_calls_follow_the_graph_direction(imported: dict[str, IncidentCase]) -> None:
    case = imported["petshop-low_traffic-train-0"]
    site, search = _entity(case, "PetSite"), _entity(case, PETSEARCH)
    assert node_id(PETSEARCH) in _called(site, "fromRelationships")
    assert node_id("PetSite") in _called(search, "toRelationships")
    assert node_id("petInfo_AWS::DynamoDB::Table") in _called(search, "fromRelationships")
    wrapper = _entity(case, "lambdastatusupdater_AWS::Lambda")
    assert node_id("lambdastatusupdater_AWS::Lambda::Function") in _called(wrapper, "fromRelationships")
    assert all(e["type"] == "SERVICE" and e["entityId"] == node_id(e["displayName"]) for e in case.entities)
    table = _entity(case, "petInfo_AWS::DynamoDB::Table")["properties"]
    assert table["serviceType"] == "DATABASE" and table["databaseVendor"] == "DYNAMODB"
    remote = _entity(case, "servi-searc.us-west-2.elb.amazonaws.com_remote")["properties"]
    assert remote["isExternalService"] is True


def test_metric_series_have_a_baseline_before_the_issue(imported: dict[str, IncidentCase]) -> None:
    case = imported["petshop-low_traffic-train-0"]
    keys = {s["metric.key"] for s in case.metrics}
    assert keys == {
        "dt.service.request.response_time",
        "dt.service.request.count",
        "dt.service.request.failure_count",
    }
    rt = next(
        s
        for s in case.metrics
        if s["metric.key"] == "dt.service.request.response_time"
        and s["dimensions"] == {"dt.entity.service": node_id("PetSite")}
    )
    assert rt["interval"] == "5m" and rt["unit"] == "MicroSecond"
    assert len(rt["values"]) == 12 + 5  # 12 fault-free buckets (all the fixture has), then 5 issue buckets
    assert all(50_000 < v < 200_000 for v in rt["values"] if v is not None)  # ~90 ms in microseconds
    assert _ms(rt["start"]) + 17 * 300_000 == int(case.now.timestamp() * 1000)
    assert "noissue/metrics.csv" in case.source["baseline"]


def test_scenario_without_fault_free_data_uses_the_buckets_before_the_change(
    imported: dict[str, IncidentCase],
) -> None:
    case = imported["petshop-temporal_traffic1-train-0"]
    assert case.source["baseline"].startswith("none")
    assert "pre-change" in case.source["alert_rule"]
    assert case.metrics and all(len(s["values"]) == 5 for s in case.metrics)
    assert len(case.problems) == 1


async def test_simulator_serves_the_metrics_and_the_graph_investigates(tmp_path: Path) -> None:
    summary = import_dataset(FIXTURE, tmp_path, quiet=True)
    case = load_case(tmp_path / "petshop-low_traffic-train-0")
    app = create_app(case)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim.test") as sim:
        headers = await oauth_token(sim, "storage:metrics:read storage:buckets:read")
        query = (
            "timeseries rt = avg(dt.service.request.response_time), by:{dt.entity.service}, "
            "interval:5m, from:now-2h"
        )
        body = (
            await sim.post("/platform/storage/query/v1/query:execute", json={"query": query}, headers=headers)
        ).json()
    assert body["state"] == "SUCCEEDED"
    served = {r["dt.entity.service"] for r in body["result"]["records"]}
    assert node_id("PetSite") in served and node_id(PETSEARCH) in served
    run = await run_case(tmp_path / summary.written[0])
    assert run.row["ok"] and run.row["error"] is None and run.row["api_calls"] > 0


def test_repository_root_and_dataset_folder_are_both_accepted(tmp_path: Path) -> None:
    first = import_dataset(FIXTURE / "dataset", tmp_path / "a", quiet=True)
    second = import_dataset(FIXTURE, tmp_path / "b", quiet=True)
    assert sorted(first.written) == sorted(second.written)
    a = (tmp_path / "a" / "petshop-low_traffic-train-0" / "tenant" / "events.jsonl").read_text()
    b = (tmp_path / "b" / "petshop-low_traffic-train-0" / "tenant" / "events.jsonl").read_text()
    assert a == b  # ids and times are stable between imports


def test_existing_cases_are_skipped_unless_overwrite(tmp_path: Path) -> None:
    import_dataset(FIXTURE, tmp_path, quiet=True)
    again = import_dataset(FIXTURE, tmp_path, quiet=True)
    assert not again.written and all("already exists" in r for r in again.skipped.values())
    replaced = import_dataset(FIXTURE, tmp_path, quiet=True, overwrite=True)
    assert set(replaced.written) == IDS


def test_level_matching_scales_the_baseline_to_the_pre_change_level(tmp_path: Path) -> None:
    import_dataset(FIXTURE, tmp_path, quiet=True, match_levels=True)
    case = load_case(tmp_path / "petshop-low_traffic-train-0")
    rt = next(
        s["values"]
        for s in case.metrics
        if s["metric.key"] == "dt.service.request.response_time"
        and s["dimensions"]["dt.entity.service"] == node_id("PetSite")
    )
    baseline = [v for v in rt[:12] if v is not None]
    pre_change = rt[12]  # the one issue bucket that ends before the change
    assert abs(sum(baseline) / len(baseline) - pre_change) < 1.0
    assert "scaled" in case.source["baseline"]


# -- errors ---------------------------------------------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    shutil.copytree(FIXTURE, root)
    return root / "dataset"


def test_a_folder_that_is_not_petshop_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetFormatError, match="no such folder"):
        import_dataset(tmp_path / "missing", tmp_path / "out")
    with pytest.raises(DatasetFormatError, match="one scenario folder"):
        import_dataset(FIXTURE / "dataset" / "low_traffic", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetFormatError, match=r"dataset/<scenario>/graph\.csv"):
        import_dataset(tmp_path / "empty", tmp_path / "out")


def test_a_scenario_without_its_graph_is_refused_by_name(tmp_path: Path) -> None:
    dataset = _copy(tmp_path)
    (dataset / "temporal_traffic1" / "graph.csv").unlink()
    with pytest.raises(DatasetFormatError) as info:
        import_dataset(dataset, tmp_path / "out", quiet=True)
    assert info.value.file == dataset / "temporal_traffic1" / "graph.csv"


def test_bad_issues_are_skipped_with_the_file_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = _copy(tmp_path)
    issues = dataset / "low_traffic" / "train"
    (issues / "issue_1" / "target.json").write_text("{not json")
    (issues / "issue_4" / "metrics.csv").write_text("just,some\nwords,here\n")
    target = json.loads((issues / "issue_6" / "target.json").read_text())
    target["target"]["metric"] = "cpu"
    (issues / "issue_6" / "target.json").write_text(json.dumps(target))
    summary = import_dataset(dataset, tmp_path / "out")
    assert set(summary.written) == IDS - {
        "petshop-low_traffic-train-1",
        "petshop-low_traffic-train-4",
        "petshop-low_traffic-train-6",
    }
    assert "issue_1/target.json" in summary.skipped["petshop-low_traffic-train-1"]
    assert "invalid JSON" in summary.skipped["petshop-low_traffic-train-1"]
    assert "issue_4/metrics.csv" in summary.skipped["petshop-low_traffic-train-4"]
    assert "'cpu'" in summary.skipped["petshop-low_traffic-train-6"]
    err = capsys.readouterr().err
    assert "skipped petshop-low_traffic-train-4" in err and "Traceback" not in err


def test_an_issue_that_never_alerts_is_skipped(tmp_path: Path) -> None:
    dataset = _copy(tmp_path)
    folder = dataset / "low_traffic" / "train" / "issue_0"
    target = json.loads((folder / "target.json").read_text())
    target["target"]["node"] = "petlistadoptions_client"  # not in the cut: no series, no alert
    (folder / "target.json").write_text(json.dumps(target))
    summary = import_dataset(dataset, tmp_path / "out", quiet=True)
    assert "no baseline" in summary.skipped["petshop-low_traffic-train-0"]


# -- command line ---------------------------------------------------------------------------------


def test_cli_imports_and_reports_progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cases"
    assert main(["import", "petshop", str(FIXTURE), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"wrote {len(IDS)} cases to {out}" in captured.out
    lines = [line for line in captured.err.splitlines() if line.startswith("[")]
    assert len(lines) == len(IDS) and lines[0].startswith(f"[1/{len(IDS)}] wrote petshop-")
    assert {p.name for p in out.iterdir()} == IDS


def test_cli_names_the_problem_with_a_bad_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "petshop", str(tmp_path), "--out", str(tmp_path / "out")]) != 0
    err = capsys.readouterr().err
    assert "graph.csv" in err and "Traceback" not in err


# -- ablation: no change events ---------------------------------------------------------------------


def test_without_change_events_the_same_incident_carries_no_change(tmp_path: Path) -> None:
    out = tmp_path / "nochg"
    assert main(["import", "petshop", str(FIXTURE), "--out", str(out), "--without-change-events"]) == 0
    plain = import_dataset(FIXTURE, tmp_path / "plain", quiet=True)
    for case_id in plain.written:
        bare, full = load_case(out / case_id), load_case(tmp_path / "plain" / case_id)
        assert bare.tables["events"] == [], "no change event of any issue is left"
        assert bare.expected is not None and full.expected is not None
        assert bare.expected.change_event_id is None
        # the truth and the telemetry are the same incident's; only the events are gone
        assert bare.expected.root_cause_entity_id == full.expected.root_cause_entity_id
        assert bare.expected.category == full.expected.category
        assert bare.metrics == full.metrics and bare.entities == full.entities
        assert "ablation:no-change-events" in bare.tags and "ablation:no-change-events" not in full.tags
        assert not any(" set to " in fact for fact in bare.expected.facts), "no fact names the change"


def test_only_petshop_offers_the_ablation(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["import", "nezha", str(FIXTURE), "--out", "x", "--without-change-events"])
    assert "unrecognized arguments: --without-change-events" in capsys.readouterr().err
