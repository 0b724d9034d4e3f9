"""Gate family "tests": every test suite's JUnit XML report, and the test commands' exits.

JUnit XML as pytest, Maven Surefire and most CI tools write it: a ``<testsuites>`` root holding
``<testsuite>`` elements, or a single ``<testsuite>`` root; each ``<testcase>`` fails with a
``<failure>`` child, errs with ``<error>``, is skipped with ``<skipped>`` (the Ant JUnit schema,
windyroad/JUnit-Schema ``JUnit.xsd``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from liturgia.config import PolicyCheck
from liturgia.errors import ConfigError
from liturgia.release.gates._context import GateContext
from liturgia.release.gates._model import CheckResult, EvidenceFile, Status, not_applicable
from liturgia.release.gates._policy import KindOptions, parse_options, register_kind
from liturgia.release.gates._registry import Check, register
from liturgia.release.gates._xml import ReportError, int_attr, load_xml

__all__ = ["MAX_NAMED_FAILURES", "JUnitCounts", "TestsCheck", "check_tests", "read_junit"]

#: Failed test cases named in a check's evidence, at most (the counts are always complete).
MAX_NAMED_FAILURES = 20

_TESTS_THRESHOLD = "every JUnit report readable, at least 1 test, 0 failures, 0 errors"


@dataclass(frozen=True, slots=True, kw_only=True)
class JUnitCounts:
    """Totals of one or more JUnit XML reports.

    Attributes:
        tests: test cases run (including failed, errored and skipped ones).
        failures: cases with a ``<failure>`` (an assertion did not hold).
        errors: cases with an ``<error>`` (an unexpected exception, a broken fixture).
        skipped: cases with a ``<skipped>``.
        failed_names: ``classname::name`` of failing and erroring cases, in document order.
    """

    tests: int
    failures: int
    errors: int
    skipped: int
    failed_names: tuple[str, ...] = ()


def _case_name(case: ET.Element) -> str:
    classname = case.get("classname", "")
    name = case.get("name", "?")
    return f"{classname}::{name}" if classname else name


def _case_reason(case: ET.Element, child: ET.Element) -> str:
    message = child.get("message") or (child.text or "").strip().split("\n")[0]
    return f"{_case_name(case)}: {' '.join(message.split())[:200]}" if message else _case_name(case)


def read_junit(path: Path) -> JUnitCounts:
    """Count the test cases of one JUnit XML file.

    Counts come from the ``<testcase>`` elements when there are any (the ground truth: a case
    with ``<failure>`` fails, with ``<error>`` errs, with ``<skipped>`` is skipped). A report
    holding only totals falls back to the ``tests``/``failures``/``errors``/``skipped`` attributes
    of its innermost ``<testsuite>`` elements, or of the root.

    Raises:
        ReportError: missing, unreadable, not XML, or not a JUnit report (internal).
    """
    return _read_junit(path)[0]


def _read_junit(path: Path) -> tuple[JUnitCounts, EvidenceFile]:
    root, file = load_xml(path, "JUnit report")
    return _junit_counts(root, path), file


def _junit_counts(root: ET.Element, path: Path) -> JUnitCounts:
    if root.tag not in {"testsuites", "testsuite"}:
        raise ReportError(
            f"{path}: not a JUnit report (root element <{root.tag}>, expected <testsuites> "
            "or <testsuite>)"
        )
    cases = list(root.iter("testcase"))
    if cases:
        failures = errors = skipped = 0
        failed: list[str] = []
        for case in cases:
            failure = case.find("failure")
            error = case.find("error")
            if error is not None:
                errors += 1
                failed.append(_case_reason(case, error))
            elif failure is not None:
                failures += 1
                failed.append(_case_reason(case, failure))
            elif case.find("skipped") is not None:
                skipped += 1
        return JUnitCounts(
            tests=len(cases),
            failures=failures,
            errors=errors,
            skipped=skipped,
            failed_names=tuple(failed),
        )
    suites = [s for s in root.iter("testsuite") if s.find("testsuite") is None] or [root]
    return JUnitCounts(
        tests=sum(int_attr(s, "tests", path) for s in suites),
        failures=sum(int_attr(s, "failures", path) for s in suites),
        errors=sum(int_attr(s, "errors", path) for s in suites),
        skipped=sum(int_attr(s, "skipped", path) for s in suites),
    )


def check_tests(junit_paths: Sequence[Path]) -> CheckResult:
    """Gate "tests passed": at least one test ran and none failed or erred, per JUnit XML.

    Args:
        junit_paths: JUnit XML reports; totals are summed over all of them.

    Returns:
        A ``"tests"`` check. It fails when no path is given, a file is missing or malformed
        (evidence names the file and why), no test ran, or any test failed or erred. Evidence
        lists each file's counts, then up to :data:`MAX_NAMED_FAILURES` failing cases.
    """
    if not junit_paths:
        return CheckResult(
            name="tests",
            passed=False,
            summary="no JUnit report configured",
            evidence=("no JUnit XML path given; configure the test report paths",),
            figure="no JUnit report",
            threshold=_TESTS_THRESHOLD,
        )
    evidence: list[str] = []
    problems: list[str] = []
    failed_names: list[str] = []
    files: list[EvidenceFile] = []
    tests = failures = errors = skipped = 0
    for path in junit_paths:
        try:
            counts, file = _read_junit(path)
        except ReportError as exc:
            problems.append(str(exc))
            continue
        files.append(file)
        tests += counts.tests
        failures += counts.failures
        errors += counts.errors
        skipped += counts.skipped
        failed_names += counts.failed_names
        evidence.append(
            f"{path}: {counts.tests} tests, {counts.failures} failures, {counts.errors} errors, "
            f"{counts.skipped} skipped"
        )
    evidence += problems
    evidence += [f"failed: {name}" for name in failed_names[:MAX_NAMED_FAILURES]]
    if len(failed_names) > MAX_NAMED_FAILURES:
        evidence.append(f"... and {len(failed_names) - MAX_NAMED_FAILURES} more failed tests")
    totals = f"{tests} tests, {failures} failures, {errors} errors, {skipped} skipped"
    if problems:
        summary = f"{len(problems)} unusable JUnit report(s); {totals}"
    elif tests == 0:
        summary = f"no test ran ({totals})"
    else:
        summary = totals
    passed = not problems and tests > 0 and failures + errors == 0
    return CheckResult(
        name="tests",
        passed=passed,
        summary=summary,
        evidence=tuple(evidence),
        files=tuple(files),
        figure=totals + (f", {len(problems)} unusable reports" if problems else ""),
        threshold=_TESTS_THRESHOLD,
    )


@dataclass(frozen=True, slots=True)
class TestsCheck:
    """Tests passed: every JUnit report readable, a test ran, none failed, every command exited 0.

    Built in, it reads ``test.junit`` and is not applicable when ``gates.require_tests =
    false``. From the policy with ``suites``, each named suite's JUnit file must hold at least
    one test and no failure or error (a suite is judged alone: a passing ``unit`` suite does not
    hide an ``e2e`` suite that ran nothing).

    Attributes:
        suites: ``(suite name, JUnit path relative to the project)`` pairs; empty for the
            built-in check.
    """

    name: str = "tests"
    reads: tuple[str, ...] = ("test.junit", "test.commands", "gates.require_tests")
    rank: int = 10
    suites: tuple[tuple[str, str], ...] = ()

    def evaluate(self, context: GateContext) -> CheckResult:
        """Judge the JUnit reports and the test commands' exit statuses."""
        if self.suites:
            return replace(self._per_suite(context), name=self.name)
        if not context.config.settings.gates.require_tests:
            return not_applicable(
                self.name,
                setting=f"gates.require_tests = false in {context.config.path.name}",
                threshold=_TESTS_THRESHOLD,
            )
        tests = replace(check_tests(context.junit), name=self.name)
        failed = [run for run in context.test_runs if run.returncode != 0]
        if not failed:
            return tests
        evidence = tuple(f"{run.command!r} exited {run.returncode}" for run in failed)
        return replace(
            tests,
            passed=False,
            status=Status.FAIL,
            summary=f"{len(failed)} test commands failed; {tests.summary}",
            evidence=evidence + tests.evidence,
        )

    def _per_suite(self, context: GateContext) -> CheckResult:
        results = [
            (suite, check_tests([context.config.resolve(path)])) for suite, path in self.suites
        ]
        failing = [suite for suite, result in results if not result.passed]
        return CheckResult(
            name=self.name,
            passed=not failing,
            summary=(
                f"{len(results)} suites passed: " + ", ".join(suite for suite, _ in results)
                if not failing
                else f"{len(failing)} of {len(results)} suites failed: " + ", ".join(failing)
            ),
            evidence=tuple(
                f"{suite}: {item}" for suite, result in results for item in result.evidence
            ),
            files=tuple(file for _, result in results for file in result.files),
            figure="; ".join(f"{suite}: {result.figure}" for suite, result in results),
            threshold=f"each suite: {_TESTS_THRESHOLD}",
        )


class _TestsOptions(KindOptions):
    suites: dict[str, str] | None = None


def _make(entry: PolicyCheck, where: str) -> Check:
    options = parse_options(entry, where, _TestsOptions)
    suites = tuple(sorted((options.suites or {}).items()))
    for suite, path in suites:
        if not path.strip():
            raise ConfigError(f"{where}.suites.{suite}: the JUnit path is empty")
    if options.suites is not None and not suites:
        raise ConfigError(f"{where}.suites: name at least one suite and its JUnit file")
    return TestsCheck(name=entry.row, suites=suites, reads=tuple(path for _, path in suites))


register(TestsCheck())
register_kind("tests", _make)
