"""Severity: CVSS v4 vectors scored with the cvss library; an UNKNOWN rating says where the scan
looked (issue 17 item 9)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cvss import CVSS4

from liturgia.model import Component
from liturgia.vuln import AdvisoryDatabase, MemoryAdvisoryDatabase, Severity, scan
from liturgia.vuln.advisory import parse_osv_record

V4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"


def _record(ident: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "modified": "2024-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": "demo"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.0.0"}]}],
            }
        ],
        **extra,
    }


def _scan(*records: dict[str, Any]) -> list[Any]:
    database = MemoryAdvisoryDatabase(
        [parse_osv_record(r, source=f"{r['id']}.json") for r in records], source="test"
    )
    return list(scan([Component(name="demo", version="1.0.0", ecosystem="npm")], database).findings)


def test_cvss_v4_only_record_is_scored_with_the_cvss_library() -> None:
    (finding,) = _scan(_record("GHSA-v4v4-v4v4-v4v4", severity=[{"type": "CVSS_V4", "score": V4}]))
    expected = float(CVSS4(V4).base_score)
    assert (finding.score, finding.vector) == (expected, V4)
    assert finding.severity is Severity.CRITICAL
    assert finding.severity_source == f"CVSS_V4 {V4} = {expected:.1f}"


def test_unknown_severity_names_the_records_and_aliases_it_looked_in() -> None:
    (finding,) = _scan(_record("OSV-1", aliases=["CVE-2024-1", "GHSA-aaaa-bbbb-cccc"]))
    assert finding.severity is Severity.UNKNOWN
    assert finding.severity_source == (
        "no severity stated: looked in OSV-1 (severity[], affected[].severity, "
        "database_specific.severity); its aliases CVE-2024-1, GHSA-aaaa-bbbb-cccc have no record "
        "for this package in the database"
    )


def test_alias_record_with_a_severity_rates_the_merged_finding() -> None:
    (finding,) = _scan(
        _record("OSV-1", aliases=["GHSA-aaaa-bbbb-cccc"]),
        _record("GHSA-aaaa-bbbb-cccc", database_specific={"severity": "MODERATE"}),
    )
    assert (finding.id, finding.severity) == ("GHSA-aaaa-bbbb-cccc", Severity.MEDIUM)
    assert finding.severity_source == "database_specific.severity MODERATE"


def test_go_record_without_severity(subset_db: Callable[..., AdvisoryDatabase]) -> None:
    database = subset_db("go/data/osv/GO-2021-0067.json")
    (finding,) = scan(
        [Component(name="stdlib", version="1.16.0", ecosystem="Go")], database
    ).findings
    assert finding.severity is Severity.UNKNOWN
    assert "looked in GO-2021-0067" in finding.severity_source
    assert "its aliases CVE-2021-27919 have no record" in finding.severity_source
