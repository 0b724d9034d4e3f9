"""The scan report as deterministic JSON (the release's ``vulnerabilities.json``).

Same report in, same bytes out: keys sorted, lists in the report's stable order, UTF-8, one
finding (unchecked component, upgrade, warning) per line, a final newline, and no timestamp of
its own. The document is streamed (:func:`write_report_json`): memory stays flat in the number
of findings.
"""

from __future__ import annotations

import io
from collections import Counter
from typing import IO, Any

from liturgia._internal.jsonstream import Stream, write_json
from liturgia.vuln.scanner import Finding, ScanReport
from liturgia.vuln.severity import Severity

__all__ = ["REPORT_FORMAT", "report_to_dict", "report_to_json", "write_report_json"]

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
    document = _document(report)
    return {key: list(v) if isinstance(v, Stream) else v for key, v in document.items()}


def _document(report: ScanReport) -> dict[str, Any]:
    """The report with its per-finding and per-component arrays as lazy :class:`Stream` s."""
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
        "findings": Stream(_finding(f) for f in report.runtime_findings),
        # Development-only components (scope excluded): reported apart, not blocking by default.
        "excluded_scope_findings": Stream(_finding(f) for f in report.excluded_scope_findings),
        "unchecked": Stream(
            {
                "ref": u.component_ref,
                "name": u.name,
                "version": u.version,
                "reason": u.reason,
                "cause": u.cause.value,
                "accepted": u.accepted,
            }
            for u in report.unchecked
        ),
        "upgrades": Stream(
            {
                "ref": u.component_ref,
                "name": u.name,
                "version": u.version,
                "upgrade_to": u.upgrade_to,
                "clears": list(u.clears),
            }
            for u in report.upgrades
        ),
        "warnings": Stream(report.warnings),
        "database_problems": list(report.database_problems),
    }


def write_report_json(report: ScanReport, out: IO[bytes]) -> None:
    """Stream the report as JSON to ``out`` (memory flat in the number of findings).

    The document is :func:`report_to_dict`'s, with sorted keys and one finding, unchecked
    component, upgrade or warning per line (see :mod:`liturgia._internal.jsonstream`); the same
    report gives the same bytes.

    Raises:
        OSError: writing to ``out`` failed.
    """
    write_json(out, _document(report))


def report_to_json(report: ScanReport) -> bytes:
    """Serialize a report deterministically (sorted keys, stable order, UTF-8, final newline).

    Returns:
        The JSON document's bytes (:func:`write_report_json` into memory).
    """
    buffer = io.BytesIO()
    write_report_json(report, buffer)
    return buffer.getvalue()
