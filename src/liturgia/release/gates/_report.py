"""The gate report's renderings: gate-report.md for people, gate-report.json for programs."""

from __future__ import annotations

import json

from liturgia.release.gates._model import CheckResult, GateReport, Status

__all__ = ["gate_report_json", "render_gate_markdown"]


def _mark(check: CheckResult) -> str:
    """``PASS``, ``FAIL``, ``WAIVED``, ``N/A``; an advisory check says so (internal)."""
    return check.outcome.label + ("" if check.blocking else " (advisory)")


def _tally(report: GateReport) -> str:
    """``"5 of 6 checks passed, 1 waived, 2 not applicable"`` (internal)."""
    counts = dict.fromkeys(Status, 0)
    for check in report.checks:
        counts[check.outcome] += 1
    applicable = len(report.checks) - counts[Status.NOT_APPLICABLE]
    text = f"{counts[Status.PASS]} of {applicable} checks passed"
    if counts[Status.WAIVED]:
        text += f", {counts[Status.WAIVED]} waived"
    if counts[Status.NOT_APPLICABLE]:
        text += f", {counts[Status.NOT_APPLICABLE]} not applicable"
    return text


def _cell(text: str) -> str:
    # GFM tables: a pipe inside a cell must be escaped; a newline would end the row.
    return " ".join(text.split()).replace("|", "\\|")


def render_gate_markdown(report: GateReport) -> str:
    """Render gate-report.md: a GO / NO-GO title, a table of checks, then each check's evidence.

    Returns:
        GitHub-flavoured Markdown ending with one newline; identical input gives identical bytes.
    """
    lines = [
        f"# Release gate: {report.project} {report.version} — {report.decision}",
        "",
        f"**Decision: {report.decision}** ({_tally(report)})",
        "",
        "| Check | Result | Summary |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {_cell(c.name)} | {_mark(c)} | {_cell(c.summary)} |" for c in report.checks]
    if not report.checks:
        lines += ["", "No checks ran, so nothing supports a release."]
    lines += ["", "## Evidence"]
    for check in report.checks:
        lines += ["", f"### {check.name} ({_mark(check)})", ""]
        items = [
            *([f"measured: {check.figure}"] if check.figure else []),
            *([f"threshold: {check.threshold}"] if check.threshold else []),
            *(f"file: `{file.name}` sha256:{file.sha256}" for file in check.files),
            *check.evidence,
        ]
        if items:
            lines += [f"- {' '.join(item.split())}" for item in items]
        else:
            lines.append("- (no evidence recorded)")
    return "\n".join(lines) + "\n"


def gate_report_json(report: GateReport) -> bytes:
    """Serialize the report as deterministic JSON (gate-report.json).

    Shape::

        {"checks": [{"evidence": [str], "figure": str,
                     "files": [{"name": str, "sha256": str}], "name": str, "passed": bool,
                     "severity": "blocking" | "advisory",
                     "status": "pass" | "fail" | "waived" | "not-applicable",
                     "summary": str, "threshold": str}],
         "decision": "GO" | "NO-GO", "go": bool, "project": str, "version": str}

    ``passed`` is true unless the status is ``"fail"`` (a waived or not-applicable check lets
    the release go); a not-applicable check's evidence names the setting that switched it off.
    ``files`` name the files the check read as the release folder holds them (covered by
    ``SHA256SUMS``), each with the SHA-256 of the bytes read.

    Keys are sorted, checks keep their order, indentation is two spaces, UTF-8, one final
    newline: the same report always gives the same bytes.
    """
    document = {
        "checks": [
            {
                "evidence": list(check.evidence),
                "figure": check.figure,
                "files": [{"name": f.name, "sha256": f.sha256} for f in check.files],
                "name": check.name,
                "passed": check.passed,
                "severity": "blocking" if check.blocking else "advisory",
                "status": check.outcome.value,
                "summary": check.summary,
                "threshold": check.threshold,
            }
            for check in report.checks
        ],
        "decision": report.decision,
        "go": report.go,
        "project": report.project,
        "version": report.version,
    }
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
