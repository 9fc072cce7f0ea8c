"""The Nezha importer on a miniature dataset in the upstream layout."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

from dynatrace_agent.case import load_case
from dynatrace_agent.cli import main
from dynatrace_agent.importers.common import DatasetFormatError
from dynatrace_agent.importers.nezha import import_dataset, read_faults, service_of_pod

DAY = "2023-01-29"
GATEWAY = "ts-gateway-service-6f6cfc45b-h5m2n"
ROOT = "ts-contacts-service-866bd68c97-xcqfx"
BASE_NS = 1674981600 * 10**9  # 2023-01-29T08:40:00Z


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _spans(trace: str, start_ns: int) -> list[list[object]]:
    return [
        [trace, f"{trace[:8]}00000001", "root", GATEWAY, "/*", start_ns, start_ns + 30_000_000, 30000],
        [
            trace,
            f"{trace[:8]}00000002",
            f"{trace[:8]}00000001",
            GATEWAY,
            "HTTP GET",
            start_ns + 1_000_000,
            start_ns + 20_000_000,
            19000,
        ],
        [
            trace,
            f"{trace[:8]}00000003",
            f"{trace[:8]}00000002",
            ROOT,
            "/api/v1/contacts",
            start_ns + 2_000_000,
            start_ns + 18_000_000,
            16000,
        ],
    ]


def _log(trace: str, span: str, pod: str, ns: int, level: str, text: str) -> list[object]:
    line = json.dumps({"log": f"16:43:17.120 {level}  c.s.Impl#37 TraceID: {trace} SpanID: {span} {text}\n"})
    return ["2023-01-29T08:43:17Z", ns, "33.33.33.116", pod, "server", trace, span, line]


LOG_HEADER = ["Timestamp", "TimeUnixNano", "Node", "PodName", "Container", "TraceID", "SpanID", "Log"]
SPAN_HEADER = [
    "TraceID",
    "SpanID",
    "ParentID",
    "PodName",
    "OperationName",
    "StartTimeUnixNano",
    "EndTimeUnixNano",
    "Duration",
]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    src = tmp_path / "nezha"
    rca = src / "rca_data" / DAY
    labels = {
        "08": [
            {
                "inject_time": "2023-01-29 08:43:04",
                "inject_timestamp": "1674953044",
                "inject_pod": ROOT,
                "inject_type": "return",
            }
        ]
    }
    rca.mkdir(parents=True)
    (rca / f"{DAY}-fault_list.json").write_text(json.dumps(labels))
    for i, minute in enumerate(("08_43", "08_44", "08_45")):
        start = BASE_NS + (3 + i) * 60 * 10**9
        trace = f"{i + 1:08x}" + "a" * 24
        _write_csv(rca / "trace" / f"{minute}_trace.csv.gz", SPAN_HEADER, _spans(trace, start))
        _write_csv(
            rca / "log" / f"{minute}_log.csv.gz",
            LOG_HEADER,
            [_log(trace, f"{trace[:8]}00000003", ROOT, start + 3_000_000, "ERROR", "No contacts")],
        )
    metric_header = [
        "Time",
        "TimeStamp",
        "PodName",
        "CpuUsage(m)",
        "MemoryUsage(Mi)",
        "PodServerLatencyP90(s)",
        "PodWorkload(Ops)",
    ]
    rows = [
        [f"t{m}", BASE_NS // 10**9 - 3000 + m * 60, ROOT, 2.0 + m % 3, 300.0, 0.02, 0.2] for m in range(60)
    ]
    _write_csv(rca / "metric" / f"{ROOT}_metric.csv.gz", metric_header, rows)
    construct = src / "construct_data" / DAY
    trace = "f" * 32
    _write_csv(construct / "trace" / "08_50_trace.csv.gz", SPAN_HEADER, _spans(trace, BASE_NS + 600 * 10**9))
    _write_csv(
        construct / "log" / "08_50_log.csv.gz",
        LOG_HEADER,
        [_log(trace, trace[:8] + "00000003", ROOT, BASE_NS + 600 * 10**9, "INFO", "found contacts")],
    )
    return src


def test_service_of_pod() -> None:
    assert service_of_pod("ts-contacts-service-866bd68c97-xcqfx") == "ts-contacts-service"
    assert service_of_pod("ts-voucher-service-7fc455457c-jm5s2") == "ts-voucher-service"


def test_faults_use_the_utc_inject_time_not_the_shifted_timestamp(dataset: Path) -> None:
    (fault,) = read_faults(dataset)
    assert fault.case_id == "nezha-tt-2023-01-29-0843"
    assert fault.time.isoformat() == "2023-01-29T08:43:04+00:00"


def test_import_writes_a_case_a_tenant_would_show(dataset: Path, tmp_path: Path) -> None:
    summary = import_dataset(dataset, tmp_path / "out", quiet=True)
    assert summary.written == ["nezha-tt-2023-01-29-0843"]
    case = load_case(tmp_path / "out" / "nezha-tt-2023-01-29-0843")
    assert case.expected is not None
    assert case.expected.root_cause_names == ("ts-contacts-service",)
    assert case.expected.category == "code"
    assert "source:nezha-tt" in case.tags and "fault:return" in case.tags
    (problem,) = case.problems
    # Raised on the entry service, after the injection, with no Davis root cause.
    assert problem["affectedEntities"][0]["name"] == "ts-gateway-service"
    assert problem["startTime"] > 1674981784000
    assert not problem.get("rootCauseEntity")
    spans = case.tables["spans"]
    assert {
        "trace.id",
        "span.id",
        "span.parent_id",
        "dt.entity.service",
        "dt.service.name",
        "duration",
    } <= set(spans[0])
    assert all("request.is_failed" not in s for s in spans)  # Nezha traces carry no status
    roots = [s for s in spans if s["span.parent_id"] is None]
    assert roots and all(s["span.kind"] == "server" for s in roots)
    # The fault-free reference minute is moved before the fault's first minute.
    starts = sorted(s["start_time"] for s in spans)
    assert starts[0] < "2023-01-29T08:43:00"
    logs = case.tables["logs"]
    errors = [lg for lg in logs if lg["loglevel"] == "ERROR"]
    assert errors and errors[0]["trace_id"] and errors[0]["span_id"]
    assert errors[0]["content"].startswith("16:43:17.120 ERROR")
    entities = {e["displayName"]: e for e in case.entities if e["type"] == "SERVICE"}
    gateway, root = entities["ts-gateway-service"], entities["ts-contacts-service"]
    assert root["entityId"] in gateway["fromRelationships"]["calls"]
    assert gateway["entityId"] in root["toRelationships"]["calls"]
    keys = {m["metric.key"] for m in case.metrics}
    assert "dt.kubernetes.container.cpu_usage" in keys and "dt.service.request.response_time" in keys


def test_ids_are_stable_between_imports(dataset: Path, tmp_path: Path) -> None:
    import_dataset(dataset, tmp_path / "a", quiet=True)
    import_dataset(dataset, tmp_path / "b", quiet=True)
    a = load_case(tmp_path / "a" / "nezha-tt-2023-01-29-0843")
    b = load_case(tmp_path / "b" / "nezha-tt-2023-01-29-0843")
    assert a.problem == b.problem and a.expected == b.expected


def test_not_a_nezha_folder_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetFormatError, match="rca_data"):
        import_dataset(tmp_path, tmp_path / "out", quiet=True)
    day = tmp_path / "rca_data" / DAY
    day.mkdir(parents=True)
    (day / f"{DAY}-fault_list.json").write_text("{not json")
    with pytest.raises(DatasetFormatError, match=r"fault_list\.json"):
        import_dataset(tmp_path, tmp_path / "out", quiet=True)


def test_cli_import_progress_on_stderr(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", "nezha", str(dataset), "--out", str(tmp_path / "cli")]) == 0
    out, err = capsys.readouterr()
    assert "wrote 1 cases" in out
    assert "[1/1] nezha-tt-2023-01-29-0843" in err
    assert main(["import", "nezha", str(tmp_path / "missing"), "--out", str(tmp_path / "x")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_upstream_plain_csv_files_import_like_compressed_ones(dataset: Path, tmp_path: Path) -> None:
    # The upstream repository holds plain .csv files; cut-down copies hold .csv.gz.
    for packed in list(dataset.rglob("*.csv.gz")):
        packed.with_name(packed.name[:-3]).write_bytes(gzip.decompress(packed.read_bytes()))
        packed.unlink()
    summary = import_dataset(dataset, tmp_path / "plain", quiet=True)
    case = load_case(tmp_path / "plain" / summary.written[0])
    assert case.tables["spans"] and case.tables["logs"] and case.metrics


def test_json_log_lines_give_their_message_and_severity() -> None:
    from dynatrace_agent.importers.nezha import _log_text

    inner = json.dumps({"severity": "error", "message": "TraceID: a SpanID: b payment failed"})
    assert _log_text(json.dumps({"log": inner + "\n", "stream": "stdout"})) == (
        "TraceID: a SpanID: b payment failed",
        "ERROR",
    )
    assert _log_text(json.dumps({"log": "16:42:22.382 INFO  t.s.Impl#5 ok\n"})) == (
        "16:42:22.382 INFO  t.s.Impl#5 ok",
        None,
    )
    assert _log_text("not json at all") == ("not json at all", None)
