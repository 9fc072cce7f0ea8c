"""The incident-case loader: every file the spec describes, gzip variants, errors naming file and line."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from dynatrace_agent.case import CaseFormatError, load_case
from dynatrace_agent.errors import ConfigurationError

from .conftest import FIXTURES


def _copy(tmp_path: Path, name: str = "small_case") -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def test_loads_every_table_of_the_fixture() -> None:
    case = load_case(FIXTURES / "small_case")
    assert case.id == "small-checkout"
    assert case.now.isoformat() == "2025-03-04T10:40:00+00:00"
    assert case.problem == "P-250304"
    assert len(case.entities) == 8 and len(case.problems) == 3
    assert len(case.tables["logs"]) == 60  # read from logs.jsonl.gz
    assert len(case.tables["spans"]) == 20 and len(case.tables["events"]) == 2
    assert case.tables["bizevents"] == [] and case.tables["user.sessions"] == []
    assert case.metrics[0]["metric.key"] == "dt.service.response.time"
    assert len(case.settings) == 3 and len(case.slos) == 5 and len(case.notifications) == 1
    assert case.expected is not None and case.expected.category == "deployment"
    assert case.expected.change_event_id == "evt-deploy-1"


def test_expected_matches_by_id_or_any_accepted_name() -> None:
    expected = load_case(FIXTURES / "small_case").expected
    assert expected is not None
    assert expected.matches_root_cause("SERVICE-00000000000000C1", None)
    assert expected.matches_root_cause("SERVICE-OTHER", "Checkout-Service")
    assert not expected.matches_root_cause("SERVICE-00000000000000D1", "payment")


def test_minimal_case_needs_only_case_json_and_an_empty_tenant() -> None:
    case = load_case(FIXTURES / "minimal_case")
    assert case.id == "minimal_case" and case.title == "minimal_case"
    assert case.entities == [] and case.problems == [] and case.expected is None
    assert all(rows == [] for rows in case.tables.values())


def test_accepts_case_json_path_and_gzip_everywhere(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    for name in ("entities.json", "spans.jsonl", "metrics.jsonl"):
        plain = root / "tenant" / name
        with gzip.open(plain.with_name(name + ".gz"), "wb") as handle:
            handle.write(plain.read_bytes())
        plain.unlink()
    case = load_case(root / "case.json")
    assert len(case.entities) == 8 and len(case.tables["spans"]) == 20 and len(case.metrics) == 1


def test_unknown_fields_are_kept(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    with (root / "tenant" / "events.jsonl").open("a") as handle:
        handle.write(
            json.dumps({"timestamp": "2025-03-04T10:00:00.123456789Z", "event.id": "x", "custom.thing": 7})
            + "\n"
        )
    case = load_case(root)
    assert case.tables["events"][-1]["custom.thing"] == 7


@pytest.mark.parametrize(
    ("file", "content", "line", "fragment"),
    [
        ("tenant/logs.jsonl", '{"timestamp": "2025-03-04T10:00:00Z"}\n\n{broken\n', 3, "invalid JSON"),
        ("tenant/spans.jsonl", '{"a": 1}\n[1, 2]\n', 2, "one JSON object"),
        ("tenant/entities.json", '[\n  {"entityId": "HOST-1"},\n  {"type": "HOST"}\n]\n', 3, "entityId"),
        (
            "tenant/problems.json",
            '[\n  {"problemId": "p", "startTime": "yesterday"}\n]',
            2,
            "epoch milliseconds",
        ),
        ("tenant/metrics.jsonl", '{"metric.key": "m", "values": 3}\n', 1, "values"),
        ("tenant/events.jsonl", '{"timestamp": {"x": 1}}\n', 1, "ISO-8601"),
        ("tenant/settings.json", '{"not": "an array"}', 1, "JSON array"),
        ("case.json", '{\n  "now": "2025-01-01T00:00:00Z",\n  "problem": \n}', 4, "invalid JSON"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, file: str, content: str, line: int, fragment: str) -> None:
    root = _copy(tmp_path, "minimal_case")
    (root / file).write_text(content)
    with pytest.raises(CaseFormatError) as info:
        load_case(root)
    err = info.value
    assert isinstance(err, ConfigurationError)
    assert err.file.name == Path(file).name and err.line == line
    assert f"{Path(file).name}:{line}" in str(err) and fragment in str(err)


@pytest.mark.parametrize(
    ("meta", "fragment"),
    [
        ({"problem": "P-1"}, '"now"'),
        ({"now": "2025-01-01T00:00:00Z"}, '"problem"'),
        ({"now": "soon", "problem": "P-1"}, '"now"'),
        ({"now": "2025-01-01T00:00:00Z", "problem": "P-1", "format": "other@2"}, "not supported"),
        ({"now": "2025-01-01T00:00:00Z", "problem": "P-1", "expected": {"category": "gremlins"}}, "category"),
        ({"now": "2025-01-01T00:00:00Z", "problem": "P-1", "expected": {"root_cause": {"name": 3}}}, "name"),
        ([1, 2], "JSON object"),
    ],
)
def test_case_json_errors(tmp_path: Path, meta: object, fragment: str) -> None:
    root = _copy(tmp_path, "minimal_case")
    (root / "case.json").write_text(json.dumps(meta))
    with pytest.raises(CaseFormatError, match=r"case\.json") as info:
        load_case(root)
    assert fragment in str(info.value)


def test_missing_pieces_are_explained(tmp_path: Path) -> None:
    with pytest.raises(CaseFormatError, match="no such case folder"):
        load_case(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CaseFormatError, match=r"needs a case\.json"):
        load_case(tmp_path / "empty")
    root = _copy(tmp_path, "minimal_case")
    shutil.rmtree(root / "tenant")
    with pytest.raises(CaseFormatError, match="tenant/"):
        load_case(root)


def test_plain_and_gzip_twins_are_ambiguous(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    shutil.copy(root / "tenant" / "spans.jsonl", root / "tenant" / "spans.jsonl.gz")
    with pytest.raises(CaseFormatError, match="keep only one"):
        load_case(root)


def test_corrupt_gzip_is_a_case_error(tmp_path: Path) -> None:
    root = _copy(tmp_path, "minimal_case")
    (root / "tenant" / "logs.jsonl.gz").write_bytes(b"not gzip at all")
    with pytest.raises(CaseFormatError, match="cannot be read"):
        load_case(root)


def test_repr_has_sizes_not_records() -> None:
    text = repr(load_case(FIXTURES / "small_case"))
    assert "logs=60" in text and "PaymentGateway" not in text
