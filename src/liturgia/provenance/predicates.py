"""Predicate types liturgia attests, and builders for the SBOM, scan and test predicates.

Specs: in-toto/attestation ``spec/predicates/`` — ``cyclonedx.md``, ``spdx.md``,
``vulns_02.md``, ``test-result.md`` — and slsa.dev/spec/v1.0/provenance (see :mod:`.slsa`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from liturgia._internal.files import read_bytes
from liturgia.errors import InputError
from liturgia.sign.artifact import digest_file

__all__ = [
    "PredicateType",
    "Scanner",
    "VulnFinding",
    "build_test_result_predicate",
    "resource_descriptor",
    "sbom_predicate",
    "vulns_predicate",
]


class PredicateType(StrEnum):
    """Well-known predicate types (in-toto/attestation ``spec/predicates``; slsa.dev)."""

    #: SLSA Provenance v1 (slsa.dev/spec/v1.0/provenance).
    SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
    #: A CycloneDX BOM as the predicate (predicates/cyclonedx.md).
    CYCLONEDX = "https://cyclonedx.org/bom"
    #: An SPDX 2.x document as the predicate (predicates/spdx.md).
    SPDX = "https://spdx.dev/Document"
    #: Vulnerability scan results, v0.2 (predicates/vulns_02.md).
    VULNS = "https://in-toto.io/attestation/vulns/v0.2"
    #: Test results (predicates/test-result.md).
    TEST_RESULT = "https://in-toto.io/attestation/test-result/v0.1"


def _timestamp(moment: datetime, what: str) -> str:
    if moment.tzinfo is None:
        raise InputError(f"predicate: {what} has no time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def resource_descriptor(path: Path, *, name: str | None = None) -> dict[str, Any]:
    """A ResourceDescriptor of a file: ``{"name", "digest": {"sha256"}}`` (one streaming pass).

    Raises:
        InputError: the file cannot be read.
    """
    return {"name": name or path.name, "digest": {"sha256": digest_file(path).hex()}}


def sbom_predicate(path: Path) -> tuple[PredicateType, dict[str, Any]]:
    """Read an SBOM JSON file; return its predicate type (CycloneDX or SPDX) and the document.

    Raises:
        InputError: unreadable, not JSON, or neither a CycloneDX (``bomFormat``) nor an SPDX
            (``spdxVersion``) JSON document.
    """
    try:
        document = json.loads(read_bytes(path, what="SBOM"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: SBOM is not JSON: {exc}") from exc
    if isinstance(document, dict) and document.get("bomFormat") == "CycloneDX":
        return PredicateType.CYCLONEDX, document
    if isinstance(document, dict) and isinstance(document.get("spdxVersion"), str):
        return PredicateType.SPDX, document
    raise InputError(f"{path}: neither a CycloneDX nor an SPDX JSON document")


def build_test_result_predicate(
    *,
    passed: Sequence[str],
    failed: Sequence[str],
    warned: Sequence[str] = (),
    configuration: Sequence[Mapping[str, Any]] = (),
    url: str | None = None,
) -> dict[str, Any]:
    """A test-result/v0.1 predicate: ``result`` is FAILED, else WARNED, else PASSED.

    Args:
        passed: names of tests that passed.
        failed: names of tests that failed (or errored).
        warned: names of tests that passed with warnings.
        configuration: ResourceDescriptors of the test configuration (e.g. the JUnit report
            via :func:`resource_descriptor`).
        url: a link to the test run, if any.
    """
    result = "FAILED" if failed else "WARNED" if warned else "PASSED"
    predicate: dict[str, Any] = {
        "result": result,
        "configuration": [dict(c) for c in configuration],
    }
    if url:
        predicate["url"] = url
    predicate["passedTests"] = sorted(passed)
    predicate["warnedTests"] = sorted(warned)
    predicate["failedTests"] = sorted(failed)
    return predicate


@dataclass(frozen=True, slots=True, kw_only=True)
class Scanner:
    """The scanner and advisory database of a vulnerability scan (vulns_02.md ``scanner``).

    Attributes:
        uri: identity of the scanner (e.g. ``pkg:pypi/liturgia@0.1.0``).
        version: the scanner's version.
        db_uri: identity of the advisory database, if any.
        db_version: its version, if any.
        db_last_update: when the database was last updated.
    """

    uri: str
    version: str | None = None
    db_uri: str | None = None
    db_version: str | None = None
    db_last_update: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class VulnFinding:
    """One vulnerability found (vulns_02.md ``scanner.result[*]``).

    Attributes:
        id: the advisory id (``GHSA-...``, ``CVE-...``, ``PYSEC-...``).
        severities: (method, score) pairs, e.g. ``("cvss_v3", "7.5")``, ``("osv", "HIGH")``.
        annotations: extra key/value pairs (package, version, fixed versions...).
    """

    id: str
    severities: tuple[tuple[str, str], ...] = ()
    annotations: Mapping[str, Any] | None = None


def vulns_predicate(
    *,
    scanner: Scanner,
    findings: Sequence[VulnFinding],
    started_on: datetime,
    finished_on: datetime,
) -> dict[str, Any]:
    """A vulns/v0.2 predicate; findings sorted by id (an empty list means none found).

    Raises:
        InputError: a time has no zone, or the scan finished before it started.
    """
    started = _timestamp(started_on, "scanStartedOn")
    finished = _timestamp(finished_on, "scanFinishedOn")
    if finished_on < started_on:
        raise InputError(f"predicate: scanFinishedOn {finished} is before scanStartedOn {started}")
    db: dict[str, Any] = {}
    if scanner.db_uri:
        db["uri"] = scanner.db_uri
    if scanner.db_version:
        db["version"] = scanner.db_version
    db["lastUpdate"] = _timestamp(scanner.db_last_update, "scanner.db.lastUpdate")
    results = []
    for finding in sorted(findings, key=lambda f: f.id):
        entry: dict[str, Any] = {
            "id": finding.id,
            "severity": [{"method": m, "score": s} for m, s in finding.severities],
        }
        if finding.annotations:
            entry["annotations"] = [dict(sorted(finding.annotations.items()))]
        results.append(entry)
    described: dict[str, Any] = {"uri": scanner.uri}
    if scanner.version:
        described["version"] = scanner.version
    described["db"] = db
    described["result"] = results
    return {
        "scanner": described,
        "metadata": {"scanStartedOn": started, "scanFinishedOn": finished},
    }
