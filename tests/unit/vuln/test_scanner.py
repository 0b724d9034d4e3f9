"""Scanner behaviour: unchecked components, suppression, aliases, report determinism."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from liturgia.errors import InputError
from liturgia.model import Component, ComponentType
from liturgia.vuln import (
    AdvisoryDatabase,
    IgnoreRule,
    MemoryAdvisoryDatabase,
    Severity,
    Suppression,
    load_ignore_file,
    report_to_json,
    scan,
)
from liturgia.vuln.advisory import parse_osv_record


def _record(ident: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "modified": "2024-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "demo"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}
                ],
            }
        ],
        **extra,
    }


@pytest.fixture
def demo_db() -> MemoryAdvisoryDatabase:
    records = [
        _record(
            "PYSEC-1",
            aliases=["CVE-2024-0001"],
            severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        ),
        _record("GHSA-aaaa-bbbb-cccc", aliases=["CVE-2024-0001"]),
        _record("PYSEC-2", database_specific={"severity": "LOW"}),
    ]
    return MemoryAdvisoryDatabase(
        [parse_osv_record(r, source=f"{r['id']}.json") for r in records], source="demo"
    )


def test_aliases_merge_into_one_finding(demo_db: AdvisoryDatabase) -> None:
    report = scan([Component(name="demo", version="1.0", ecosystem="PyPI")], demo_db)
    assert [f.id for f in report.findings] == ["GHSA-aaaa-bbbb-cccc", "PYSEC-2"]
    merged = report.findings[0]
    assert merged.aliases == ("CVE-2024-0001", "PYSEC-1")
    assert merged.records == ("GHSA-aaaa-bbbb-cccc.json", "PYSEC-1.json")
    assert merged.severity is Severity.CRITICAL
    assert merged.score == 9.8
    assert report.findings[1].severity is Severity.LOW
    assert report.upgrades[0].upgrade_to == "2.0"


def test_unchecked_components_are_listed_with_reasons(demo_db: AdvisoryDatabase) -> None:
    components = [
        Component(name="demo", version=None, ecosystem="PyPI"),
        Component(name="app.whl", version=None, type=ComponentType.FILE, bom_ref="file-1"),
        Component(name="mystery", version="1.0"),
        Component(name="left-pad", version="1.0.0", purl="pkg:npm/left-pad@1.0.0"),
        Component(name="bad", version="1", purl="pkg:"),
        Component(name="demo", version="not a version!", ecosystem="PyPI", bom_ref="weird"),
    ]
    report = scan(components, demo_db)
    reasons = {u.component_ref: u.reason for u in report.unchecked}
    assert reasons == {
        "demo@": "no version: cannot be matched against advisory ranges",
        "file-1": "a file, not a package (no purl or ecosystem to look up)",
        "mystery@1.0": "no purl and no ecosystem: cannot be looked up",
        "pkg:npm/left-pad@1.0.0": "the database holds no advisories for ecosystem npm",
        "pkg:": reasons["pkg:"],
        "weird": "version 'not a version!' is not valid under PEP 440: "
        "advisory ranges could not be evaluated",
    }
    assert reasons["pkg:"].startswith("invalid purl 'pkg:'")
    assert report.component_count == 6
    assert report.findings == ()


def test_ecosystem_derived_from_purl_and_version_from_purl(demo_db: AdvisoryDatabase) -> None:
    component = Component(name="Demo", version=None, purl="pkg:pypi/Demo@1.5")
    report = scan([component], demo_db)
    assert {f.version for f in report.findings} == {"1.5"}
    assert {f.ecosystem for f in report.findings} == {"PyPI"}


def test_ignore_rules_suppress_until_they_expire(demo_db: AdvisoryDatabase) -> None:
    component = Component(name="demo", version="1.0", purl="pkg:pypi/demo@1.0")
    rules = [
        IgnoreRule(id="CVE-2024-0001", component="pkg:pypi/demo", reason="not reachable",
                   expires=date(2026, 12, 31)),
        IgnoreRule(id="PYSEC-2", component="demo", reason="accepted", expires=date(2026, 1, 1)),
    ]  # fmt: skip
    report = scan([component], demo_db, ignore=rules, today=date(2026, 11, 29))
    merged, low = report.findings
    assert merged.suppressed
    assert merged.suppression_reason == "ignore: not reachable"
    assert not low.suppressed
    assert low.notes == ("ignore rule for PYSEC-2 expired on 2026-01-01; not suppressing",)
    assert report.unsuppressed == (low,)
    # The last day still applies.
    on_day = scan([component], demo_db, ignore=rules[1:], today=date(2026, 1, 1))
    assert [f.suppressed for f in on_day.findings] == [False, True]


def test_rule_component_matching(demo_db: AdvisoryDatabase) -> None:
    component = Component(name="demo", version="1.0", purl="pkg:pypi/demo@1.0")

    def suppressed(rule_component: str | None) -> bool:
        rule = IgnoreRule(id="pysec-2", component=rule_component, reason="r")
        report = scan([component], demo_db, ignore=[rule])
        return next(f for f in report.findings if f.id == "PYSEC-2").suppressed

    assert suppressed(None)
    assert suppressed("Demo")
    assert suppressed("pkg:pypi/demo@1.0")
    assert not suppressed("pkg:pypi/demo@1.1")
    assert not suppressed("other")
    bare = scan(
        [Component(name="demo", version="1.0", ecosystem="PyPI")],
        demo_db,
        ignore=[IgnoreRule(id="PYSEC-2", component="pkg:pypi/demo", reason="r")],
    )
    assert not any(f.suppressed for f in bare.findings)


def test_suppressions_from_other_sources(demo_db: AdvisoryDatabase) -> None:
    statement = Suppression(
        id="PYSEC-2", component=None, reason="not_affected: code not present", source="vex.json"
    )
    report = scan(
        [Component(name="demo", version="1.0", ecosystem="PyPI")], demo_db, suppressions=[statement]
    )
    assert report.findings[1].suppression_reason == "vex.json: not_affected: code not present"


def test_report_json_is_deterministic(demo_db: AdvisoryDatabase) -> None:
    components = [
        Component(name="demo", version="1.0", ecosystem="PyPI", bom_ref="b"),
        Component(name="demo", version="1.1", ecosystem="PyPI", bom_ref="a"),
        Component(name="demo", version="1.1", ecosystem="PyPI", bom_ref="a"),
    ]
    first = report_to_json(scan(components, demo_db))
    second = report_to_json(scan(list(reversed(components)), demo_db))
    assert first == second
    document = json.loads(first)
    assert document["format"] == "liturgia-vulnerabilities/1"
    assert [f["component"]["ref"] for f in document["findings"]] == ["a", "a", "b", "b"]
    assert document["summary"]["components"] == 2
    assert document["summary"]["unsuppressed_by_severity"]["CRITICAL"] == 2
    assert document["database"] == {
        "source": "demo", "kind": "osv-directory", "record_count": 3, "withdrawn_count": 0,
        "ecosystems": {"PyPI": 3}, "newest_modified": "2024-01-01T00:00:00Z", "imported_at": None,
    }  # fmt: skip
    assert first.endswith(b"}\n")


def test_invalid_cvss_vector_is_a_warning() -> None:
    record = _record("PYSEC-9", severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:Q"}])
    db = MemoryAdvisoryDatabase([parse_osv_record(record, source="x.json")], source="x")
    report = scan([Component(name="demo", version="1.0", ecosystem="PyPI")], db)
    assert report.findings[0].severity is Severity.UNKNOWN
    assert report.warnings == ("x.json: PYSEC-9: invalid CVSS_V3 vector 'CVSS:3.1/AV:Q'",)


def test_ignore_file(tmp_path: Path) -> None:
    path = tmp_path / "ignore.toml"
    path.write_text(
        '[[ignore]]\nid = "GHSA-x"\nreason = "ok"\nexpires = 2026-12-31\n'
        '[[ignore]]\nid = "CVE-1"\ncomponent = "pkg:npm/a"\nreason = "fine"\n'
    )
    assert load_ignore_file(path) == (
        IgnoreRule(id="GHSA-x", reason="ok", expires=date(2026, 12, 31)),
        IgnoreRule(id="CVE-1", component="pkg:npm/a", reason="fine"),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[ignore]]\nid = 'x'\n", r"ignore\[0\].reason: required"),
        ("[[ignore]]\nreason = 'x'\n", r"ignore\[0\].id: required"),
        ("[[ignore]]\nid='x'\nreason='r'\nexpires='soon'\n", r"expires: expected a date"),
        ("[[ignore]]\nid='x'\nreason='r'\nexpires=2026-01-01T00:00:00\n", "expected a date"),
        ("[[ignore]]\nid='x'\nreason='r'\ncomponent=3\n", r"component: expected a string"),
        ("[[ignore]]\nid='x'\nreason='r'\nwhy='r'\n", r"unknown key 'why'"),
        ("ignore = 3\n", "must be an array of tables"),
        ("ignore = [3]\n", r"ignore\[0\]: expected a table"),
        ("[rules]\n", "unknown key 'rules'"),
        ("not toml =\n", "not a valid TOML ignore file"),
    ],
)
def test_ignore_file_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "ignore.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_ignore_file(path)


def test_ignore_file_missing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="ignore file not found"):
        load_ignore_file(tmp_path / "none.toml")


def test_names_the_release_gate_reads(demo_db: AdvisoryDatabase) -> None:
    report = scan(
        [
            Component(name="demo", version="1.0", ecosystem="PyPI"),
            Component(name="nover", version=None, ecosystem="PyPI"),
        ],
        demo_db,
    )
    finding = report.findings[0]
    assert (finding.vulnerability_id, finding.component_name, finding.component_version) == (
        "GHSA-aaaa-bbbb-cccc", "demo", "1.0",
    )  # fmt: skip
    assert report.unchecked_lines() == (
        "nover@? (nover@): no version: cannot be matched against advisory ranges",
    )
