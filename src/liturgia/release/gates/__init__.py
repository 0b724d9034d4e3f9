"""The release gate: checks with evidence, and the Go/No-Go report.

A check is a small object with a ``name``, the evidence it ``reads`` and
``evaluate(context) -> CheckResult`` (:class:`Check`); each family of checks is one module of
this package, registering its checks when imported (:func:`registered_checks` imports them all):
``tests``, ``coverage``, ``vulnerabilities``, ``sbom`` (the SBOM and its inputs), ``signatures``,
``changelog``. :func:`evaluate_gates` runs them over a :class:`GateContext` and gathers a
:class:`GateReport`, rendered by :func:`render_gate_markdown` and :func:`gate_report_json`.

A gate records; it does not raise: a missing or malformed report file is a failed check naming
the file and why, and the release folder is still written, marked NO-GO.
"""

from __future__ import annotations

from liturgia.release.gates._context import GateContext
from liturgia.release.gates._evaluate import evaluate_gates
from liturgia.release.gates._model import (
    CheckResult,
    EvidenceFile,
    GateReport,
    Status,
    evidence_file,
    not_applicable,
)
from liturgia.release.gates._registry import Check, register, registered_checks
from liturgia.release.gates._report import (
    gate_report_json,
    gate_report_schema,
    render_gate_html,
    render_gate_markdown,
)
from liturgia.release.gates.changelog import check_changelog
from liturgia.release.gates.coverage import check_coverage
from liturgia.release.gates.sbom import check_inputs
from liturgia.release.gates.tests import MAX_NAMED_FAILURES, JUnitCounts, check_tests, read_junit

__all__ = [
    "MAX_NAMED_FAILURES",
    "Check",
    "CheckResult",
    "EvidenceFile",
    "GateContext",
    "GateReport",
    "JUnitCounts",
    "Status",
    "check_changelog",
    "check_coverage",
    "check_inputs",
    "check_tests",
    "evaluate_gates",
    "evidence_file",
    "gate_report_json",
    "gate_report_schema",
    "not_applicable",
    "read_junit",
    "register",
    "registered_checks",
    "render_gate_html",
    "render_gate_markdown",
]
