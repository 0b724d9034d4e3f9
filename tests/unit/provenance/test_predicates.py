"""SBOM, vulnerability-scan and test-result predicates (in-toto attestation predicates)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from liturgia.errors import InputError
from liturgia.provenance import (
    PredicateType,
    Scanner,
    VulnFinding,
    build_test_result_predicate,
    resource_descriptor,
    sbom_predicate,
    vulns_predicate,
)

START = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_predicate_type_uris() -> None:
    assert {t.name: t.value for t in PredicateType} == {
        "SLSA_PROVENANCE_V1": "https://slsa.dev/provenance/v1",
        "CYCLONEDX": "https://cyclonedx.org/bom",
        "SPDX": "https://spdx.dev/Document",
        "VULNS": "https://in-toto.io/attestation/vulns/v0.2",
        "TEST_RESULT": "https://in-toto.io/attestation/test-result/v0.1",
    }


def test_sbom_predicate(tmp_path: Path) -> None:
    cdx = tmp_path / "sbom.cdx.json"
    cdx.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}))
    assert sbom_predicate(cdx) == (
        PredicateType.CYCLONEDX,
        {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1},
    )
    spdx = tmp_path / "sbom.spdx.json"
    spdx.write_text(json.dumps({"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT"}))
    assert sbom_predicate(spdx)[0] is PredicateType.SPDX
    other = tmp_path / "other.json"
    other.write_text("[]")
    with pytest.raises(InputError, match="neither a CycloneDX nor an SPDX"):
        sbom_predicate(other)
    other.write_text("{")
    with pytest.raises(InputError, match="SBOM is not JSON"):
        sbom_predicate(other)
    with pytest.raises(InputError, match="SBOM not found"):
        sbom_predicate(tmp_path / "none.json")


def test_test_result_predicate(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text("<testsuite/>")
    descriptor = resource_descriptor(junit)
    assert descriptor == {
        "name": "junit.xml",
        "digest": {"sha256": hashlib.sha256(b"<testsuite/>").hexdigest()},
    }
    passed = build_test_result_predicate(
        passed=["b", "a"], failed=[], configuration=[descriptor], url="https://ci.example/1"
    )
    assert passed == {
        "result": "PASSED",
        "configuration": [descriptor],
        "url": "https://ci.example/1",
        "passedTests": ["a", "b"],
        "warnedTests": [],
        "failedTests": [],
    }
    assert build_test_result_predicate(passed=["a"], failed=[], warned=["w"])["result"] == "WARNED"
    failed = build_test_result_predicate(passed=["a"], failed=["z"], warned=["w"])
    assert failed["result"] == "FAILED"
    assert "url" not in failed


def test_vulns_predicate() -> None:
    scanner = Scanner(
        uri="pkg:pypi/liturgia@0.1.0",
        version="0.1.0",
        db_uri="file:advisories/",
        db_version="2026-11-29",
        db_last_update=START - timedelta(days=1),
    )
    predicate = vulns_predicate(
        scanner=scanner,
        findings=[
            VulnFinding(id="PYSEC-2", severities=(("osv", "HIGH"),)),
            VulnFinding(
                id="GHSA-1",
                severities=(("cvss_v3", "9.8"), ("osv", "CRITICAL")),
                annotations={"package": "requests", "version": "2.0.0"},
            ),
        ],
        started_on=START,
        finished_on=START + timedelta(seconds=3),
    )
    assert predicate == {
        "scanner": {
            "uri": "pkg:pypi/liturgia@0.1.0",
            "version": "0.1.0",
            "db": {
                "uri": "file:advisories/",
                "version": "2026-11-29",
                "lastUpdate": "2026-11-28T12:00:00Z",
            },
            "result": [
                {
                    "id": "GHSA-1",
                    "severity": [
                        {"method": "cvss_v3", "score": "9.8"},
                        {"method": "osv", "score": "CRITICAL"},
                    ],
                    "annotations": [{"package": "requests", "version": "2.0.0"}],
                },
                {"id": "PYSEC-2", "severity": [{"method": "osv", "score": "HIGH"}]},
            ],
        },
        "metadata": {
            "scanStartedOn": "2026-11-29T12:00:00Z",
            "scanFinishedOn": "2026-11-29T12:00:03Z",
        },
    }
    bare = vulns_predicate(
        scanner=Scanner(uri="pkg:pypi/x", db_last_update=START),
        findings=[],
        started_on=START,
        finished_on=START,
    )
    assert bare["scanner"] == {
        "uri": "pkg:pypi/x",
        "db": {"lastUpdate": "2026-11-29T12:00:00Z"},
        "result": [],
    }
    with pytest.raises(InputError, match="is before scanStartedOn"):
        vulns_predicate(
            scanner=scanner, findings=[], started_on=START, finished_on=START - timedelta(1)
        )
    with pytest.raises(InputError, match="scanStartedOn has no time zone"):
        vulns_predicate(
            scanner=scanner, findings=[], started_on=datetime(2026, 1, 1), finished_on=START
        )
