"""The scan report as deterministic JSON (the release's ``vulnerabilities.json``).

Same report in, same bytes out: keys sorted, lists in the report's stable order, UTF-8, two-space
indent, a final newline, and no timestamp of its own.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from liturgia.vuln.scanner import Finding, ScanReport
from liturgia.vuln.severity import Severity

__all__ = ["REPORT_FORMAT", "report_to_dict", "report_to_json"]

#: Identifies the document shape; bump on incompatible changes.
REPORT_FORMAT = "liturgia-vulnerabilities/1"


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.id,
        "aliases": list(finding.aliases),
        "component": {
            "ref": finding.component_ref,
            "name": finding.name,
            "version": finding.version,
            "ecosystem": finding.ecosystem,
            "purl": finding.purl,
            "found_in": finding.found_in,
        },
        "summary": finding.summary,
        "severity": finding.severity.value,
        "score": finding.score,
        "vector": finding.vector,
        "severity_source": finding.severity_source,
        "fixed_versions": list(finding.fixed_versions),
        "records": list(finding.records),
        "references": list(finding.references),
        "suppressed": finding.suppressed,
        "suppression_reason": finding.suppression_reason,
        "notes": list(finding.notes),
        "scope": finding.scope.value,
        "uncertain": finding.uncertain,
    }


def report_to_dict(report: ScanReport) -> dict[str, Any]:
    """Return the report as plain JSON-ready data (see :func:`report_to_json`)."""
    counts = Counter(f.severity.value for f in report.unsuppressed)
    database = report.database
    return {
        "format": REPORT_FORMAT,
        "database": {
            "source": database.source,
            "kind": database.kind,
            "record_count": database.record_count,
            "withdrawn_count": database.withdrawn_count,
            "ecosystems": dict(database.ecosystems),
            "newest_modified": database.newest_modified,
            "imported_at": database.imported_at,
        },
        "summary": {
            "components": report.component_count,
            "findings": len(report.findings),
            "suppressed": len(report.findings) - len(report.unsuppressed),
            "unchecked": len(report.unchecked),
            "unchecked_by_source": len(report.unchecked_by_source),
            "unchecked_not_accepted": len(report.incomplete),
            "unsuppressed_by_severity": {s.value: counts.get(s.value, 0) for s in Severity},
            "excluded_scope_findings": len(report.excluded_scope_findings),
        },
        "findings": [_finding(f) for f in report.runtime_findings],
        # Development-only components (scope excluded): reported apart, not blocking by default.
        "excluded_scope_findings": [_finding(f) for f in report.excluded_scope_findings],
        "unchecked": [
            {
                "ref": u.component_ref,
                "name": u.name,
                "version": u.version,
                "reason": u.reason,
                "cause": u.cause.value,
                "accepted": u.accepted,
            }
            for u in report.unchecked
        ],
        "upgrades": [
            {
                "ref": u.component_ref,
                "name": u.name,
                "version": u.version,
                "upgrade_to": u.upgrade_to,
                "clears": list(u.clears),
            }
            for u in report.upgrades
        ],
        "warnings": list(report.warnings),
        "database_problems": list(report.database_problems),
    }


def report_to_json(report: ScanReport) -> bytes:
    """Serialize a report deterministically (sorted keys, stable order, UTF-8, final newline).

    Returns:
        The JSON document's bytes.
    """
    text = json.dumps(report_to_dict(report), sort_keys=True, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")
