"""The release gate: checks with evidence, and the Go/No-Go report.

A gate records; it does not raise. Each check returns a :class:`CheckResult` (passed or not, a
one-line summary, and the evidence behind it), and a missing or malformed report file is a failed
check naming the file and why, not an exception: the release directory is still written, marked
NO-GO. :class:`GateReport` gathers the checks; the release is GO only when every check passed.

Formats read:

* JUnit XML as pytest, Maven Surefire and most CI tools write it: a ``<testsuites>`` root holding
  ``<testsuite>`` elements, or a single ``<testsuite>`` root; each ``<testcase>`` fails with a
  ``<failure>`` child, errs with ``<error>``, is skipped with ``<skipped>`` (the Ant JUnit schema,
  windyroad/JUnit-Schema ``JUnit.xsd``).
* Cobertura XML (``coverage-04.dtd``) as coverage.py writes it: the ``<coverage>`` root carries
  ``line-rate``, ``branch-rate``, ``lines-valid``/``lines-covered`` and
  ``branches-valid``/``branches-covered``.

XML is parsed with the standard library's expat-based ElementTree, which never fetches external
entities; documents declaring entities (``<!ENTITY``) are refused outright so no entity-expansion
("billion laughs") document is expanded, whatever the expat version.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from liturgia.config import Waiver
from liturgia.errors import ConfigError
from liturgia.release.changelog import changelog_has_version
from liturgia.release.version import Version

__all__ = [
    "CheckResult",
    "EvidenceFile",
    "GateReport",
    "JUnitCounts",
    "check_changelog",
    "check_coverage",
    "check_inputs",
    "check_tests",
    "gate_report_json",
    "render_gate_markdown",
]

#: Failed test cases named in a check's evidence, at most (the counts are always complete).
MAX_NAMED_FAILURES = 20

_TESTS_THRESHOLD = "every JUnit report readable, at least 1 test, 0 failures, 0 errors"


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceFile:
    """A file a check read, named as a reader of the release folder finds it.

    Attributes:
        name: the file's name in the release folder (a release ships every file its gate read,
            so ``SHA256SUMS`` covers it), or the configured path when the file was not usable.
        sha256: lowercase hex SHA-256 of the bytes the check read.
    """

    name: str
    sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """The outcome of one gate check.

    Attributes:
        name: a short stable identifier, e.g. ``"tests"``, ``"coverage"``, ``"changelog"``.
        passed: whether the check's condition holds.
        summary: one line for people, e.g. ``"42 tests, 0 failures, 0 errors, 1 skipped"``.
        evidence: the facts the decision rests on, one per item (files read, counts, names of
            failed tests), in a deterministic order.
        files: the files the decision was read from, with their digests.
        figure: what was measured, e.g. ``"100.00% line+branch coverage"``.
        threshold: what the figure had to meet, e.g. ``">= 85%"``.
    """

    name: str
    passed: bool
    summary: str
    evidence: tuple[str, ...] = ()
    files: tuple[EvidenceFile, ...] = ()
    figure: str = ""
    threshold: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class GateReport:
    """Every check of one release.

    Attributes:
        project: the project name.
        version: the version being released, as text.
        checks: the checks in the order they ran.
    """

    project: str
    version: str
    checks: tuple[CheckResult, ...]

    @property
    def go(self) -> bool:
        """GO when there is at least one check and every check passed; no checks is NO-GO."""
        return bool(self.checks) and all(check.passed for check in self.checks)

    @property
    def decision(self) -> str:
        """``"GO"`` or ``"NO-GO"``."""
        return "GO" if self.go else "NO-GO"

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        """The checks that did not pass, in order."""
        return tuple(check for check in self.checks if not check.passed)


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


class _ReportError(Exception):
    """A report file cannot be used; the message says why (internal, becomes evidence)."""


def _load_xml(path: Path, what: str) -> tuple[ET.Element, EvidenceFile]:
    """Parse one report; return its root and the file's digest (internal)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise _ReportError(f"{path}: {what} not found") from exc
    except IsADirectoryError as exc:
        raise _ReportError(f"{path}: {what} is a folder, expected a file") from exc
    except OSError as exc:
        raise _ReportError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    if b"<!ENTITY" in data:
        raise _ReportError(f"{path}: {what} declares XML entities, which are refused")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no entities (checked above); expat fetches none
    except ET.ParseError as exc:
        raise _ReportError(f"{path}: {what} is not well-formed XML: {exc}") from exc
    return root, EvidenceFile(name=str(path), sha256=hashlib.sha256(data).hexdigest())


def _int_attr(element: ET.Element, name: str, path: Path) -> int:
    raw = element.get(name, "0").strip() or "0"
    try:
        value = int(raw)
    except ValueError:
        raise _ReportError(f"{path}: <{element.tag}> {name}={raw!r} is not a count") from None
    if value < 0:
        raise _ReportError(f"{path}: <{element.tag}> {name}={raw!r} is negative")
    return value


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
        _ReportError: missing, unreadable, not XML, or not a JUnit report (internal).
    """
    return _read_junit(path)[0]


def _read_junit(path: Path) -> tuple[JUnitCounts, EvidenceFile]:
    root, file = _load_xml(path, "JUnit report")
    return _junit_counts(root, path), file


def _junit_counts(root: ET.Element, path: Path) -> JUnitCounts:
    if root.tag not in {"testsuites", "testsuite"}:
        raise _ReportError(
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
        tests=sum(_int_attr(s, "tests", path) for s in suites),
        failures=sum(_int_attr(s, "failures", path) for s in suites),
        errors=sum(_int_attr(s, "errors", path) for s in suites),
        skipped=sum(_int_attr(s, "skipped", path) for s in suites),
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
        except _ReportError as exc:
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


def _rate(root: ET.Element, name: str, path: Path) -> float | None:
    raw = root.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise _ReportError(f"{path}: <coverage> {name}={raw!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise _ReportError(f"{path}: <coverage> {name}={raw!r} is outside 0..1")
    return value


def _coverage_percent(root: ET.Element, path: Path, include_branches: bool) -> tuple[float, str]:
    """The percentage and a description of what it measures (internal)."""
    if root.tag != "coverage":
        raise _ReportError(
            f"{path}: not a Cobertura report (root element <{root.tag}>, expected <coverage>)"
        )
    has_counts = root.get("lines-valid") is not None and root.get("lines-covered") is not None
    lines_valid = _int_attr(root, "lines-valid", path)
    lines_covered = _int_attr(root, "lines-covered", path)
    branches_valid = _int_attr(root, "branches-valid", path)
    branches_covered = _int_attr(root, "branches-covered", path)
    if include_branches and has_counts and branches_valid > 0:
        # coverage.py's own total with branch coverage: (statements run + branches taken) /
        # (statements + branches); Cobertura's lines-* count statements, branches-* branches.
        covered = lines_covered + branches_covered
        valid = lines_valid + branches_valid
        return (
            100.0 * covered / valid,
            f"line+branch coverage ({lines_covered}/{lines_valid} lines, "
            f"{branches_covered}/{branches_valid} branches)",
        )
    if has_counts and lines_valid > 0:
        note = "" if not include_branches else ", no branch data in the report"
        return (
            100.0 * lines_covered / lines_valid,
            f"line coverage ({lines_covered}/{lines_valid} lines{note})",
        )
    # Without counts the branch figure cannot be weighted against the line figure: use the
    # line-rate attribute alone and say so.
    line_rate = _rate(root, "line-rate", path)
    if line_rate is None:
        raise _ReportError(f"{path}: <coverage> has neither line counts nor line-rate")
    return 100.0 * line_rate, "line coverage (line-rate attribute, no counts in the report)"


def check_coverage(
    cobertura_path: Path, *, minimum_percent: float, include_branches: bool = True
) -> CheckResult:
    """Gate "coverage >= threshold", per a Cobertura XML report.

    With ``include_branches`` (the default) the percentage is coverage.py's combined figure,
    (lines covered + branches covered) / (lines valid + branches valid); a report without
    branch data falls back to line coverage and says so. The summary always names which measure
    was used. The comparison uses the exact value; the summary shows it to two decimals.

    Args:
        cobertura_path: the Cobertura XML file (``pytest --cov-report=xml``, ``coverage xml``).
        minimum_percent: the threshold in percent, 0 to 100.
        include_branches: combine branch coverage with line coverage when the report has it.

    Returns:
        A ``"coverage"`` check; a missing or malformed report is a failed check naming the file.

    Raises:
        ConfigError: ``minimum_percent`` is outside 0..100 (a configuration mistake).
    """
    if not 0.0 <= minimum_percent <= 100.0:
        raise ConfigError(f"coverage minimum {minimum_percent!r} must be between 0 and 100")
    threshold = f">= {minimum_percent:g}%"
    try:
        root, file = _load_xml(cobertura_path, "Cobertura report")
        percent, measure = _coverage_percent(root, cobertura_path, include_branches)
    except _ReportError as exc:
        return CheckResult(
            name="coverage",
            passed=False,
            summary="unusable Cobertura report",
            evidence=(str(exc),),
            figure="no usable coverage figure",
            threshold=threshold,
        )
    passed = percent >= minimum_percent
    kind = measure.split(" (")[0]
    relation = ">=" if passed else "<"
    return CheckResult(
        name="coverage",
        passed=passed,
        summary=f"{percent:.2f}% {relation} {minimum_percent:g}% minimum ({kind})",
        evidence=(f"{cobertura_path}: {measure}: {percent:.2f}%",),
        files=(file,),
        figure=f"{percent:.2f}% {kind}",
        threshold=threshold,
    )


def check_inputs(warnings: Sequence[str], waivers: Sequence[Waiver] = ()) -> CheckResult:
    """Gate "every input read": no file the SBOM stage found could be left out unwaived.

    A lockfile that cannot be read (truncated, not JSON, an unknown lock version) drops its
    whole ecosystem from the SBOM, and so from the scan: the release would be judged on less
    than it ships. Each cataloging warning fails the check unless a ``[[gates.waivers]]`` entry
    with ``check = "inputs"`` names its file (the warning is ``"<file>: ..."`` or
    ``"<file>:<line>: ..."``) with a reason.

    Args:
        warnings: the inventory's warnings, each naming its file first.
        waivers: the project's waivers; those for other checks are ignored.

    Returns:
        An ``"inputs"`` check; evidence lists every warning (a waived one with its reason) and
        each waiver that matched nothing.
    """
    mine = [w for w in waivers if w.check == "inputs"]
    used: set[int] = set()
    evidence: list[str] = []
    failing = 0
    for warning in warnings:
        index = next(
            (
                i
                for i, w in enumerate(mine)
                if warning == w.file or warning.startswith(f"{w.file}:")
            ),
            None,
        )
        if index is None:
            failing += 1
            evidence.append(f"not read: {warning}")
        else:
            used.add(index)
            evidence.append(f"not read: {warning} (waived: {mine[index].reason})")
    evidence += [
        f"waiver for {w.file} matched no input problem" for i, w in enumerate(mine) if i not in used
    ]
    if not warnings:
        evidence.insert(0, "every file the SBOM stage found was read (no liturgia:warning)")
    waived = len(warnings) - failing
    if not warnings:
        summary = "every input was read"
    elif failing:
        first = next(w for w in evidence if "(waived:" not in w).removeprefix("not read: ")
        summary = f"{failing} inputs could not be read ({waived} waived); first: {first}"
    else:
        summary = f"{waived} inputs could not be read, every one waived"
    return CheckResult(
        name="inputs",
        passed=failing == 0,
        summary=summary,
        evidence=tuple(evidence),
        figure=f"{len(warnings)} unreadable, {waived} waived",
        threshold="none unreadable unless waived",
    )


def check_changelog(path: Path, version: Version) -> CheckResult:
    """Gate "CHANGELOG has the version": a ``## [X.Y.Z]`` heading (Keep a Changelog 1.1.0).

    Returns:
        A ``"changelog"`` check; evidence names the file and the line of the heading, or why it
        failed (missing file, unreadable, no such heading).
    """
    threshold = f"a '## [{version}]' section (Keep a Changelog 1.1.0)"
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except FileNotFoundError:
        return CheckResult(
            name="changelog",
            passed=False,
            summary=f"{path.name} not found",
            evidence=(f"{path}: not found",),
            figure="no changelog",
            threshold=threshold,
        )
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return CheckResult(
            name="changelog",
            passed=False,
            summary=f"{path.name} unreadable",
            evidence=(f"{path}: cannot read: {reason}",),
            figure="unreadable changelog",
            threshold=threshold,
        )
    file = EvidenceFile(name=str(path), sha256=hashlib.sha256(data).hexdigest())
    if not changelog_has_version(text, version):
        return CheckResult(
            name="changelog",
            passed=False,
            summary=f"{path.name} has no section for {version}",
            evidence=(f"{path}: no '## [{version}]' heading",),
            files=(file,),
            figure=f"no section for {version}",
            threshold=threshold,
        )
    line_no = next(
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if changelog_has_version(line, version)
    )
    return CheckResult(
        name="changelog",
        passed=True,
        summary=f"{path.name} has a section for {version}",
        evidence=(f"{path}:{line_no}: {text.splitlines()[line_no - 1].strip()}",),
        files=(file,),
        figure=f"section for {version} at line {line_no}",
        threshold=threshold,
    )


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
        f"**Decision: {report.decision}** ({len(report.checks) - len(report.failed)} of "
        f"{len(report.checks)} checks passed)",
        "",
        "| Check | Result | Summary |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| {_cell(c.name)} | {'PASS' if c.passed else 'FAIL'} | {_cell(c.summary)} |"
        for c in report.checks
    ]
    if not report.checks:
        lines += ["", "No checks ran, so nothing supports a release."]
    lines += ["", "## Evidence"]
    for check in report.checks:
        lines += ["", f"### {check.name} ({'PASS' if check.passed else 'FAIL'})", ""]
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
                     "summary": str, "threshold": str}],
         "decision": "GO" | "NO-GO", "go": bool, "project": str, "version": str}

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
