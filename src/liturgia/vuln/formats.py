"""Scan report renderings: SARIF 2.1.0, CycloneDX 1.6 VDR/VEX, and Markdown.

* SARIF follows OASIS SARIF 2.1.0 (errata 01) and GitHub code scanning's documented needs: one
  ``reportingDescriptor`` per advisory in ``tool.driver.rules`` with ``security-severity`` (the
  CVSS score, or a representative score for a rating), results whose ``level`` follows the
  rating, a ``physicalLocation`` on each result (the lockfile the component came from, else the
  scanned input), ``partialFingerprints`` so alerts stay stable across runs, and
  ``suppressions`` (kind ``external``) for ignored or VEX-suppressed findings.
* CycloneDX: a 1.6 BOM whose ``vulnerabilities`` list each finding with ratings, references
  (aliases), recommendation (smallest upgrade) and ``affects``; suppressed findings carry an
  ``analysis`` (``not_affected`` or ``resolved``) with the justification - a VDR that is also
  a VEX.
Outputs are deterministic: same report, same bytes. SARIF and CycloneDX are streamed
(``write_*``): one result or vulnerability per line, memory flat in the number of findings.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from typing import IO, Any

from liturgia import __version__
from liturgia._internal.jsonstream import Stream, write_json
from liturgia.vuln.scanner import Finding, ScanReport
from liturgia.vuln.severity import Severity

__all__ = [
    "to_cyclonedx_vex",
    "to_markdown",
    "to_sarif",
    "write_cyclonedx_vex",
    "write_sarif",
]

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/liturgia/liturgia"

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.UNKNOWN: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.NONE: "note",
}
# Representative CVSS scores for a rating without a vector (mid-band of CVSS v3.1 §5).
_BAND = {
    Severity.CRITICAL: 9.5,
    Severity.HIGH: 8.0,
    Severity.MEDIUM: 5.5,
    Severity.LOW: 2.0,
    Severity.NONE: 0.0,
}


def _upgrade_for(report: ScanReport) -> dict[str, str]:
    return {u.component_ref: u.upgrade_to for u in report.upgrades if u.upgrade_to is not None}


def _rule(finding: Finding) -> dict[str, Any]:
    score = finding.score if finding.score is not None else _BAND.get(finding.severity)
    properties: dict[str, Any] = {
        "tags": ["security", "vulnerability", finding.ecosystem],
        "precision": "very-high",
    }
    if score is not None:
        properties["security-severity"] = f"{score:.1f}"
    text = finding.summary or finding.id
    help_lines = [
        f"{finding.id}: {text}",
        f"Aliases: {', '.join(finding.aliases) or 'none'}",
        f"Severity: {finding.severity.value} ({finding.severity_source})",
    ]
    rule: dict[str, Any] = {
        "id": finding.id,
        "name": "VulnerableDependency",
        "shortDescription": {"text": text[:1000]},
        "fullDescription": {"text": text},
        "help": {"text": "\n".join(help_lines), "markdown": "  \n".join(help_lines)},
        "defaultConfiguration": {"level": _LEVEL[finding.severity]},
        "properties": properties,
    }
    if finding.references:
        rule["helpUri"] = finding.references[0]
    return rule


def _sarif_results(
    report: ScanReport, index: dict[str, int], artifact_uri: str
) -> Iterator[dict[str, Any]]:
    upgrades = _upgrade_for(report)
    for finding in report.findings:
        fixed = upgrades.get(finding.component_ref)
        message = (
            f"{finding.name} {finding.version} is affected by {finding.id}"
            f" ({finding.severity.value}): {finding.summary or 'see the advisory'}."
            + (f" Upgrade to {fixed}." if fixed else " No fixed version is known.")
        )
        fingerprint = hashlib.sha256(f"{finding.id}\0{finding.component_ref}".encode()).hexdigest()
        result: dict[str, Any] = {
            "ruleId": finding.id,
            "ruleIndex": index[finding.id],
            "level": _LEVEL[finding.severity],
            "message": {"text": message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": finding.found_in or artifact_uri},
                        "region": {"startLine": 1},
                    },
                    "logicalLocations": [
                        {"name": finding.purl or finding.component_ref, "kind": "module"}
                    ],
                }
            ],
            "partialFingerprints": {"liturgiaFinding/v1": fingerprint},
            "properties": {
                "aliases": list(finding.aliases),
                "component": finding.component_ref,
                "fixedVersions": list(finding.fixed_versions),
            },
        }
        if finding.suppressed:
            result["suppressions"] = [
                {"kind": "external", "justification": finding.suppression_reason or ""}
            ]
        yield result


def write_sarif(report: ScanReport, out: IO[bytes], *, artifact_uri: str) -> None:
    """Stream a report as a SARIF 2.1.0 log for GitHub code scanning (one result per line).

    Args:
        report: the scan report.
        out: binary stream to write to.
        artifact_uri: where findings without a known lockfile point (the scanned SBOM or path,
            relative to the repository root when possible).

    Raises:
        OSError: writing to ``out`` failed.
    """
    rules: dict[str, dict[str, Any]] = {}
    for finding in report.findings:
        if finding.id not in rules:
            rules[finding.id] = _rule(finding)
    order = sorted(rules)
    index = {rule_id: position for position, rule_id in enumerate(order)}
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "liturgia",
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [rules[rule_id] for rule_id in order],
                    }
                },
                "results": Stream(_sarif_results(report, index, artifact_uri)),
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    write_json(out, log)


def to_sarif(report: ScanReport, *, artifact_uri: str) -> bytes:
    """The SARIF log of :func:`write_sarif` as bytes."""
    buffer = io.BytesIO()
    write_sarif(report, buffer, artifact_uri=artifact_uri)
    return buffer.getvalue()


def _rating(finding: Finding) -> dict[str, Any]:
    rating: dict[str, Any] = {"severity": finding.severity.value.lower()}
    if finding.score is not None:
        rating["score"] = finding.score
    if finding.vector:
        if finding.vector.startswith("CVSS:4"):
            rating["method"] = "CVSSv4"
        elif finding.vector.startswith("CVSS:3.1"):
            rating["method"] = "CVSSv31"
        else:
            rating["method"] = "CVSSv3"
        rating["vector"] = finding.vector
    else:
        rating["method"] = "other"
    return rating


def _vex_components(report: ScanReport) -> Iterator[dict[str, Any]]:
    first: dict[str, Finding] = {}
    for finding in report.findings:
        first.setdefault(finding.component_ref, finding)
    for ref in sorted(first):
        finding = first[ref]
        component: dict[str, Any] = {
            "type": "library",
            "bom-ref": finding.component_ref,
            "name": finding.name,
            "version": finding.version,
        }
        if finding.purl:
            component["purl"] = finding.purl
        yield component


def _vex_vulnerabilities(report: ScanReport) -> Iterator[dict[str, Any]]:
    upgrades = _upgrade_for(report)
    for finding in report.findings:
        entry: dict[str, Any] = {
            "bom-ref": f"{finding.id}@{finding.component_ref}",
            "id": finding.id,
            "ratings": [_rating(finding)],
            "affects": [{"ref": finding.component_ref}],
        }
        if finding.summary:
            entry["description"] = finding.summary
        if finding.aliases:
            entry["references"] = [
                {"id": alias, "source": {"name": alias.split("-", 1)[0]}}
                for alias in finding.aliases
            ]
        if finding.references:
            entry["advisories"] = [{"url": url} for url in finding.references]
        fixed = upgrades.get(finding.component_ref)
        if fixed:
            entry["recommendation"] = f"Upgrade {finding.name} to {fixed}."
        if finding.suppressed:
            reason = finding.suppression_reason or ""
            resolved = any(word in reason for word in (": fixed", ": resolved"))
            entry["analysis"] = {
                "state": "resolved" if resolved else "not_affected",
                "detail": reason,
            }
        yield entry


def write_cyclonedx_vex(report: ScanReport, out: IO[bytes]) -> None:
    """Stream a report as a CycloneDX 1.6 JSON BOM with ``vulnerabilities`` (VDR + VEX).

    The BOM is valid against the CycloneDX 1.6 JSON schema; one component and one
    vulnerability per line.

    Raises:
        OSError: writing to ``out`` failed.
    """
    bom = {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "tools": {
                "components": [{"type": "application", "name": "liturgia", "version": __version__}]
            }
        },
        "components": Stream(_vex_components(report)),
        "vulnerabilities": Stream(_vex_vulnerabilities(report)),
    }
    write_json(out, bom)


def to_cyclonedx_vex(report: ScanReport) -> bytes:
    """The BOM of :func:`write_cyclonedx_vex` as bytes."""
    buffer = io.BytesIO()
    write_cyclonedx_vex(report, buffer)
    return buffer.getvalue()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _findings_table(findings: tuple[Finding, ...], upgrades: dict[str, str]) -> list[str]:
    lines = [
        "| Severity | Advisory | Package | Version | Fixed in | Upgrade to | Status |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in findings:
        status = f"suppressed: {f.suppression_reason}" if f.suppressed else "open"
        if f.notes:
            status += "; " + "; ".join(f.notes)
        if f.uncertain:
            status += f"; uncertain: {f.uncertain}"
        ids = f.id + (f" ({', '.join(f.aliases)})" if f.aliases else "")
        lines.append(
            f"| {f.severity.value} | {_cell(ids)} | {_cell(f.name)} | {_cell(f.version)} | "
            f"{_cell(', '.join(f.fixed_versions) or '-')} | "
            f"{_cell(upgrades.get(f.component_ref, '-'))} | {_cell(status)} |"
        )
    return lines


def to_markdown(report: ScanReport, *, fail_on: Severity | None = None) -> str:
    """Render a report as Markdown: summary, findings table, unchecked components, upgrades.

    Args:
        report: the scan report.
        fail_on: when given, the summary says how many findings block at that threshold.
    """
    lines = ["# Vulnerability scan", ""]
    info = report.database
    lines.append(
        f"Database: `{info.source}` ({info.kind}, {info.record_count} advisories, "
        f"newest {info.newest_modified or 'unknown'}). Components: {report.component_count}."
    )
    active = report.unsuppressed
    lines.append(
        f"Findings: {len(report.findings)} ({len(report.findings) - len(active)} suppressed); "
        f"unchecked components: {len(report.unchecked)}."
    )
    if fail_on is not None:
        blocking = report.blocking(fail_on)
        lines.append(f"At or above {fail_on.value}: {len(blocking)} unsuppressed.")
    for problem in report.database_problems:
        lines.append(f"\n**Database problem:** {_cell(problem)}")
    lines.append("")
    upgrades = _upgrade_for(report)
    if report.runtime_findings:
        lines += _findings_table(report.runtime_findings, upgrades)
    else:
        lines.append("No findings.")
    if report.excluded_scope_findings:
        lines += [
            "",
            "## Development-only components",
            "",
            "Scope `excluded` (build and test tooling): reported, not blocking unless "
            "`--include-dev`.",
            "",
            *_findings_table(report.excluded_scope_findings, upgrades),
        ]
    if report.unchecked:
        lines += ["", "## Not checked", ""]
        lines += [
            f"- `{_cell(u.name)}@{_cell(u.version or '?')}`: {_cell(u.reason)}"
            + (f" (accepted: {_cell(u.accepted)})" if u.accepted else "")
            for u in report.unchecked
        ]
    if report.warnings:
        lines += ["", f"{len(report.warnings)} warnings about the advisory data (see JSON)."]
    return "\n".join(lines) + "\n"
