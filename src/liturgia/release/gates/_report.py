"""The gate report's renderings.

``gate-report.md`` (GitHub-flavoured Markdown) and ``gate-report.html`` (one self-contained page:
inline CSS, no script, no external asset, a Content-Security-Policy allowing nothing else, every
text escaped by Jinja2's autoescaping) for people; ``gate-report.json`` for programs, whose
JSON Schema (draft 2020-12) ships in the package (:func:`gate_report_schema`) and in
``docs/gate-report.schema.json``. Same report, same bytes.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from liturgia.release.gates._model import CheckResult, GateReport, Status

__all__ = [
    "SCHEMA_NAME",
    "gate_report_json",
    "gate_report_schema",
    "render_gate_html",
    "render_gate_markdown",
]

#: The JSON Schema's file name, in this package and in ``docs/``.
SCHEMA_NAME = "gate-report.schema.json"


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


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("liturgia.release.gates", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_gate_html(report: GateReport) -> str:
    """Render gate-report.html: the decision, a table of checks, then each check's evidence.

    The page is self-contained (inline CSS, no script, no external asset; its CSP forbids any)
    and readable from a phone's width up; every text of the report is HTML-escaped.

    Returns:
        HTML5 text ending with one newline; identical input gives identical bytes.
    """
    template = _templates().get_template("gate-report.html.j2")
    return template.render(report=report, tally=_tally(report))


def gate_report_schema() -> bytes:
    """The JSON Schema (draft 2020-12) of gate-report.json, as shipped in the package."""
    return resources.files("liturgia.release.gates").joinpath(SCHEMA_NAME).read_bytes()
