"""The gate's shape: checks found through the registry, four statuses, not-applicable rows."""

from __future__ import annotations

import json

import pytest

from liturgia.release.gates import (
    CheckResult,
    GateReport,
    Status,
    gate_report_json,
    not_applicable,
    register,
    registered_checks,
    render_gate_markdown,
)

GOLDEN_RULE = ("tests", "coverage", "vulnerabilities", "sbom", "inputs", "signatures", "changelog")


def test_every_family_module_registers_its_checks_in_the_golden_rule_order() -> None:
    checks = registered_checks()
    assert tuple(check.name for check in checks) == GOLDEN_RULE
    for check in checks:
        assert check.reads, check.name  # each names the evidence it reads
    assert registered_checks() == checks  # importing the families twice registers nothing twice


def test_two_checks_of_one_name_are_refused() -> None:
    tests = registered_checks()[0]
    assert register(tests) is tests  # the same object again is harmless
    other = type(tests)(rank=99)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="two gate checks are named 'tests'"):
        register(other)


def test_status_and_passed_are_one_fact() -> None:
    assert CheckResult(name="a", passed=True, summary="s").status is Status.PASS
    assert CheckResult(name="a", passed=False, summary="s").status is Status.FAIL
    assert CheckResult(name="a", status=Status.WAIVED, summary="s").passed is True
    assert CheckResult(name="a", status=Status.FAIL, passed=True, summary="s").passed is False
    assert CheckResult(name="a", passed=True, summary="s") == CheckResult(
        name="a", status=Status.PASS, summary="s"
    )


SWITCHED_OFF = not_applicable(
    "tests", setting="gates.require_tests = false in liturgia.toml", threshold="at least 1 test"
)
PASSED = CheckResult(name="sbom", passed=True, summary="valid")
WAIVED = CheckResult(name="inputs", status=Status.WAIVED, summary="1 waived")
FAILED = CheckResult(name="changelog", passed=False, summary="no section")


def _report(*checks: CheckResult) -> GateReport:
    return GateReport(project="p", version="1.0.0", checks=checks)


def test_not_applicable_and_waived_rows_let_the_release_go_but_never_alone() -> None:
    assert _report(SWITCHED_OFF, PASSED, WAIVED).go
    assert _report(SWITCHED_OFF, WAIVED).go
    assert not _report(SWITCHED_OFF).go  # nothing was checked: nothing supports a release
    assert not _report(SWITCHED_OFF, PASSED, FAILED).go
    assert _report(SWITCHED_OFF, PASSED, FAILED).failed == (FAILED,)


def test_a_switched_off_check_is_a_row_naming_its_setting() -> None:
    report = _report(SWITCHED_OFF, PASSED, WAIVED, FAILED)
    text = render_gate_markdown(report)
    assert "**Decision: NO-GO** (1 of 3 checks passed, 1 waived, 1 not applicable)" in text
    assert "| tests | N/A | not applicable: gates.require_tests = false in liturgia.toml |" in text
    assert "| inputs | WAIVED | 1 waived |" in text
    assert "### tests (N/A)\n\n- measured: not evaluated\n- threshold: at least 1 test\n" in text
    assert "- not evaluated: gates.require_tests = false in liturgia.toml\n" in text
    rows = json.loads(gate_report_json(report))["checks"]
    assert [(row["status"], row["passed"]) for row in rows] == [
        ("not-applicable", True),
        ("pass", True),
        ("waived", True),
        ("fail", False),
    ]
