"""A release record carries the load and chaos figures its gate measured.

The gate's real load and chaos checks read a k6 summary and a ``liturgia chaos report`` twin;
``gate-report.json`` is written as a release writes it; :func:`build_record` reads the figures
back (the worst of each when several checks ran, whatever the policy named the rows). A
release without them gives a record without the field, the same bytes as before it existed.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.unit.release.test_gate_policy import K6_SUMMARY, _chaos_twin

from liturgia.config import load_config
from liturgia.release.checksums import render_sha256sums
from liturgia.release.gates import GateContext, evaluate_gates, gate_report_json
from liturgia.release.gates.resilience import (
    chaos_figure,
    load_figure,
    read_chaos_figure,
    read_load_figure,
)
from liturgia.release.record import ReleaseRecord, Resilience, build_record
from liturgia.release.version import Version

POLICY = """[project]
name = "demo"

[[gates.checks]]
kind = "load"
name = "api-load"
report = "k6-api.json"
format = "k6"
p95_ms = 300
max_error_rate = 1

[[gates.checks]]
kind = "load"
name = "search-load"
report = "k6-search.json"
format = "k6"
p95_ms = 300
max_error_rate = 1

[[gates.checks]]
kind = "chaos"
name = "resilience"
min_uptime = 99
"""


def _release_folder(tmp_path: Path, policy: str, files: dict[str, str]) -> Path:
    """A project with ``policy`` and ``files``; its gate run for real into ``release/``, with
    the other files a record is built from (no finding, one artifact)."""
    project = tmp_path / "demo"
    project.mkdir(parents=True)
    (project / "liturgia.toml").write_text(policy)
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    release = project / "release"
    release.mkdir()
    config = load_config(project)
    report = evaluate_gates(
        GateContext(
            config=config,
            release=release,
            version=Version.parse("1.2.0"),
            today=date(2026, 1, 15),
            labels={str(project): ""},
        )
    )
    (release / "gate-report.json").write_bytes(gate_report_json(report))
    (release / "vulnerabilities.json").write_text(json.dumps({"summary": {}, "findings": []}))
    (release / "demo-1.2.0.tar.gz").write_bytes(b"demo")
    names = ["demo-1.2.0.tar.gz", "gate-report.json", "vulnerabilities.json"]
    (release / "SHA256SUMS").write_text(render_sha256sums(release, names))
    return release


def test_the_record_carries_the_worst_load_and_chaos_figures(tmp_path: Path) -> None:
    search = {"metrics": {**K6_SUMMARY["metrics"]}}
    search["metrics"]["http_req_duration"] = {"p(95)": 95.25}
    search["metrics"]["http_req_failed"] = {"value": 0.015}
    folder = _release_folder(
        tmp_path,
        POLICY,
        {
            "k6-api.json": json.dumps(K6_SUMMARY),  # p95 210.5 ms, 0.30 % failed
            "k6-search.json": json.dumps(search),  # p95 95.25 ms, 1.50 % failed
            "docs/chaos/report.json": _chaos_twin(0.995, 0),  # uptime 99.75 %
        },
    )
    record = build_record(folder)
    assert record.resilience == Resilience(
        load_p95_ms=210.5, error_rate_percent=1.5, chaos_availability_percent=99.75
    )
    assert json.loads(record.canonical())["resilience"] == {
        "chaos_availability_percent": 99.75,
        "error_rate_percent": 1.5,
        "load_p95_ms": 210.5,
    }
    # The server reads back what the sender sends.
    assert ReleaseRecord.model_validate_json(record.canonical()) == record


def test_a_record_without_figures_leaves_the_field_out(tmp_path: Path) -> None:
    folder = _release_folder(
        tmp_path,
        POLICY,  # the summaries are missing: each check fails with "no load figures"
        {"docs/chaos/report.json": '{"experiments": []}'},
    )
    gates = json.loads((folder / "gate-report.json").read_text())["checks"]
    assert [g["figure"] for g in gates] == [
        "no load figures",
        "no load figures",
        "no chaos figures",
    ]
    record = build_record(folder)
    assert record.resilience is None
    assert "resilience" not in json.loads(record.canonical())
    # Only chaos: the load figures are absent, not zero.
    folder = _release_folder(
        tmp_path / "chaos-only",
        '[project]\nname = "demo"\n[[gates.checks]]\nkind = "chaos"\n',
        {"docs/chaos/report.json": _chaos_twin(0.98, 2)},
    )
    record = build_record(folder)
    assert record.resilience == Resilience(chaos_availability_percent=99.0)
    assert json.loads(record.canonical())["resilience"] == {"chaos_availability_percent": 99.0}


@pytest.mark.parametrize(
    ("p95", "rate", "requests"),
    [(210.5, 0.003, 1000), (0.0, 0.0, 0), (1e-7, 1.0, 5), (2.5e9, 0.5, 9)],
)
def test_a_load_figure_reads_back(p95: float, rate: float, requests: int) -> None:
    figure = load_figure(p95, rate, requests)
    found = read_load_figure(figure)
    assert found is not None
    assert found[0] == pytest.approx(p95, rel=1e-5)
    assert found[1] == round(100 * rate, 2)


def test_figures_that_are_not_the_checks_are_not_read() -> None:
    assert read_chaos_figure(chaos_figure(0.9975, 0, 3)) == 99.75
    for text in ("", "no load figures", "p95 nan ms, error rate nan %, 3 requests", "12 tests"):
        assert read_load_figure(text) is None
        assert read_chaos_figure(text) is None


def test_the_sbom_change_keeps_its_subsections(tmp_path: Path) -> None:
    """The notes' "Dependency changes" section with its "### Added"... lists, up to the next
    section of its level (the record's SBOM change was only its first line)."""
    folder = _release_folder(tmp_path, '[project]\nname = "demo"\n', {})
    (folder / "RELEASE_NOTES.md").write_text(
        "# demo 1.2.0\n\n### Fixes\n\n- a fix\n\n## Dependency changes\n\n"
        "Compared with `demo-1.1.0`.\n\n### Added\n\n- left-pad 1.3.0\n\n### Removed\n\n"
        "- right-pad 0.1.0\n\n## Gate\n\nGO (details in gate-report.md)\n"
    )
    assert build_record(folder).sbom.changes == (
        "Compared with `demo-1.1.0`.\n\n### Added\n\n- left-pad 1.3.0\n\n### Removed\n\n"
        "- right-pad 0.1.0"
    )
