"""Gate checks over real JUnit and Cobertura reports, and the gate report renderings."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from liturgia.errors import ConfigError
from liturgia.release.gates import (
    MAX_NAMED_FAILURES,
    CheckResult,
    EvidenceFile,
    GateReport,
    check_changelog,
    check_coverage,
    check_tests,
    gate_report_json,
    read_junit,
    render_gate_markdown,
)
from liturgia.release.shipped import portable_text, ship_report
from liturgia.release.version import Version

LIBRARY = """
def classify(n):
    if n < 0:
        return "negative"
    if n == 0:
        return "zero"
    return "positive"


def unused(x):
    if x:
        return 1
    return 2
"""

PASSING_TESTS = """
import pytest
from tinylib import classify

def test_negative():
    assert classify(-1) == "negative"

def test_positive():
    assert classify(3) == "positive"

@pytest.mark.skipif(True, reason="not today")  # a skipped test in the JUnit report
def test_skipped():
    assert False
"""

FAILING_TESTS = """
import pytest
from tinylib import classify

def test_negative():
    assert classify(-1) == "negative"

def test_wrong():
    assert classify(0) == "positive", "zero is not positive"

@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")

def test_error(broken):
    pass
"""


@dataclass(frozen=True)
class RealReports:
    junit: Path
    cobertura: Path
    total_percent: float  # coverage.py's own total (coverage json), for comparison


def _run_pytest(root: Path, tests: str) -> RealReports:
    root.mkdir()
    (root / "tinylib.py").write_text(textwrap.dedent(LIBRARY), encoding="utf-8")
    (root / "test_tiny.py").write_text(textwrap.dedent(tests), encoding="utf-8")
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env["COVERAGE_FILE"] = str(root / ".coverage")
    subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            f"--junitxml={root / 'junit.xml'}", "--cov=tinylib", "--cov-branch",
            f"--cov-report=xml:{root / 'coverage.xml'}", "test_tiny.py",
        ],
        cwd=root, env=env, capture_output=True, check=False,
    )  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "coverage", "json", "-q", "-o", str(root / "cov.json")],
        cwd=root, env=env, capture_output=True, check=True,
    )  # fmt: skip
    total = json.loads((root / "cov.json").read_text())["totals"]["percent_covered"]
    return RealReports(
        junit=root / "junit.xml", cobertura=root / "coverage.xml", total_percent=total
    )


@pytest.fixture(scope="module")
def passing(tmp_path_factory: pytest.TempPathFactory) -> RealReports:
    return _run_pytest(tmp_path_factory.mktemp("gates") / "passing", PASSING_TESTS)


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> RealReports:
    return _run_pytest(tmp_path_factory.mktemp("gates") / "failing", FAILING_TESTS)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_real_passing_junit(passing):
    result = check_tests([passing.junit])
    assert result == CheckResult(
        name="tests",
        passed=True,
        summary="3 tests, 0 failures, 0 errors, 1 skipped",
        evidence=(f"{passing.junit}: 3 tests, 0 failures, 0 errors, 1 skipped",),
        files=(EvidenceFile(name=str(passing.junit), sha256=_digest(passing.junit)),),
        figure="3 tests, 0 failures, 0 errors, 1 skipped",
        threshold="every JUnit report readable, at least 1 test, 0 failures, 0 errors",
    )


def test_every_check_names_file_digest_figure_and_threshold(passing, failing, tmp_path):
    """The evidence of each check: the file read with its digest, the figure, the threshold."""
    both = check_tests([passing.junit, failing.junit, tmp_path / "absent.xml"])
    assert [f.name for f in both.files] == [str(passing.junit), str(failing.junit)]
    assert both.figure == "6 tests, 1 failures, 1 errors, 1 skipped, 1 unusable reports"
    coverage = check_coverage(passing.cobertura, minimum_percent=85)
    assert coverage.files == (
        EvidenceFile(name=str(passing.cobertura), sha256=_digest(passing.cobertura)),
    )
    assert coverage.figure == f"{passing.total_percent:.2f}% line+branch coverage"
    assert coverage.threshold == ">= 85%"
    unusable = check_coverage(tmp_path / "absent.xml", minimum_percent=85)
    assert (unusable.files, unusable.threshold) == ((), ">= 85%")
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\n## [1.2.0] - 2026-01-01\n", encoding="utf-8")
    section = check_changelog(changelog, Version.parse("1.2.0"))
    assert section.files == (EvidenceFile(name=str(changelog), sha256=_digest(changelog)),)
    assert section.figure == "section for 1.2.0 at line 3"
    assert section.threshold == "a '## [1.2.0]' section (Keep a Changelog 1.1.0)"


def test_real_failing_junit_names_the_failures(failing):
    result = check_tests([failing.junit])
    assert not result.passed
    assert result.summary == "3 tests, 1 failures, 1 errors, 0 skipped"
    assert result.evidence[0] == f"{failing.junit}: 3 tests, 1 failures, 1 errors, 0 skipped"
    assert any(
        e.startswith("failed: test_tiny::test_wrong: AssertionError: zero is not positive")
        for e in result.evidence
    )
    assert any(
        e.startswith("failed: test_tiny::test_error: failed on setup with") for e in result.evidence
    )


def test_several_junit_files_are_summed(passing, failing):
    result = check_tests([passing.junit, failing.junit])
    assert not result.passed
    assert result.summary == "6 tests, 1 failures, 1 errors, 1 skipped"


def test_real_coverage_matches_coverage_py_total(passing):
    result = check_coverage(passing.cobertura, minimum_percent=10)
    assert result.passed
    assert result.summary == f"{passing.total_percent:.2f}% >= 10% minimum (line+branch coverage)"
    assert result.evidence[0].startswith(f"{passing.cobertura}: line+branch coverage (")
    # The pass/fail boundary sits exactly at coverage.py's figure.
    exact = passing.total_percent
    assert check_coverage(passing.cobertura, minimum_percent=exact).passed
    high = check_coverage(passing.cobertura, minimum_percent=min(exact + 0.01, 100))
    assert not high.passed
    assert "< " in high.summary


def test_real_coverage_lines_only(passing):
    result = check_coverage(passing.cobertura, minimum_percent=0, include_branches=False)
    assert "(line coverage)" in result.summary
    assert "branch" not in result.evidence[0]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def test_single_testsuite_root_and_attribute_only_reports(tmp_path):
    single = _write(
        tmp_path,
        "surefire.xml",
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuite name="com.example.AppTest" tests="2" failures="0" errors="0" skipped="0">
          <testcase name="works" classname="com.example.AppTest" time="0.01"/>
          <testcase name="alsoWorks" classname="com.example.AppTest" time="0.01"/>
        </testsuite>
        """,
    )
    assert check_tests([single]).passed
    totals_only = _write(
        tmp_path,
        "totals.xml",
        """
        <testsuites tests="9" failures="9">
          <testsuite name="a" tests="5" failures="0" errors="0" skipped="1"/>
          <testsuite name="b">
            <testsuite name="b1" tests="2" failures="1" errors="0"/>
          </testsuite>
        </testsuites>
        """,
    )
    counts = read_junit(totals_only)
    assert (counts.tests, counts.failures, counts.errors, counts.skipped) == (7, 1, 0, 1)
    bare = _write(tmp_path, "bare.xml", '<testsuite tests="4" failures="0" errors="0"/>')
    assert read_junit(bare).tests == 4


def test_error_takes_precedence_and_message_from_text(tmp_path):
    path = _write(
        tmp_path,
        "j.xml",
        """
        <testsuites>
          <testsuite name="s">
            <testcase name="both"><error>boom
            trace</error><failure message="f"/></testcase>
            <testcase name="plain"><failure/></testcase>
          </testsuite>
        </testsuites>
        """,
    )
    counts = read_junit(path)
    assert (counts.tests, counts.failures, counts.errors) == (2, 1, 1)
    assert counts.failed_names == ("both: boom", "plain")


def test_many_failures_are_capped_in_evidence(tmp_path):
    cases = "".join(f'<testcase classname="c" name="t{i}"><failure/></testcase>' for i in range(25))
    path = _write(tmp_path, "many.xml", f"<testsuite>{cases}</testsuite>")
    result = check_tests([path])
    named = [e for e in result.evidence if e.startswith("failed: ")]
    assert len(named) == MAX_NAMED_FAILURES
    assert result.evidence[-1] == "... and 5 more failed tests"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "JUnit report not found"),
        ("", "JUnit report is not well-formed XML"),
        ("<testsuite><testcase></testsuite>", "JUnit report is not well-formed XML"),
        ("<coverage/>", "not a JUnit report (root element <coverage>"),
        ('<testsuite tests="x"/>', "<testsuite> tests='x' is not a count"),
        ('<testsuite tests="-2"/>', "<testsuite> tests='-2' is negative"),
        (
            '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">]><testsuite name="&a;"/>',
            "declares XML entities, which are refused",
        ),
    ],
)
def test_unusable_junit_is_a_failed_check_naming_the_file(tmp_path, content, reason):
    path = tmp_path / "junit.xml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = check_tests([path])
    assert not result.passed
    assert result.summary.startswith("1 unusable JUnit report(s)")
    assert any(e.startswith(f"{path}: ") and reason in e for e in result.evidence), result.evidence


def test_junit_folder_and_no_paths_and_no_tests(tmp_path):
    result = check_tests([tmp_path])
    assert result.evidence == (f"{tmp_path}: JUnit report is a folder, expected a file",)
    none = check_tests([])
    assert not none.passed
    assert none.summary == "no JUnit report configured"
    empty = _write(tmp_path, "empty.xml", "<testsuites/>")
    zero = check_tests([empty])
    assert not zero.passed
    assert zero.summary == "no test ran (0 tests, 0 failures, 0 errors, 0 skipped)"


def test_unreadable_junit(tmp_path):
    if os.geteuid() == 0:
        # root reads anything; use a path whose parent is a file instead (ENOTDIR).
        parent = tmp_path / "file"
        parent.write_text("x", encoding="utf-8")
        path = parent / "junit.xml"
    else:  # pragma: no cover - CI runs as root
        path = tmp_path / "junit.xml"
        path.write_text("<testsuite/>", encoding="utf-8")
        path.chmod(0)
    result = check_tests([path])
    assert result.evidence[0].startswith(f"{path}: cannot read JUnit report: ")


COBERTURA = """
<?xml version="1.0" ?>
<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">
<coverage {attrs} version="7.6.1" timestamp="1" complexity="0">
  <sources><source>/src</source></sources>
  <packages/>
</coverage>
"""


@pytest.mark.parametrize(
    ("attrs", "minimum", "passed", "summary"),
    [
        (
            'line-rate="0.9" branch-rate="0.5" lines-valid="90" lines-covered="81"'
            ' branches-valid="10" branches-covered="5"',
            86,
            True,
            "86.00% >= 86% minimum (line+branch coverage)",
        ),
        (
            'line-rate="0.9" branch-rate="0" lines-valid="10" lines-covered="9"'
            ' branches-valid="0" branches-covered="0"',
            95,
            False,
            "90.00% < 95% minimum (line coverage)",
        ),
        ('line-rate="0.8512" branch-rate="0.1"', 85, True, "85.12% >= 85% minimum (line coverage)"),
    ],
)
def test_cobertura_shapes(tmp_path, attrs, minimum, passed, summary):
    path = _write(tmp_path, "coverage.xml", COBERTURA.format(attrs=attrs))
    result = check_coverage(path, minimum_percent=minimum)
    assert (result.passed, result.summary) == (passed, summary)


def test_cobertura_without_branch_data_says_so(tmp_path):
    path = _write(
        tmp_path,
        "c.xml",
        COBERTURA.format(attrs='line-rate="1" lines-valid="4" lines-covered="4"'),
    )
    result = check_coverage(path, minimum_percent=100)
    assert result.passed
    assert result.evidence == (
        f"{path}: line coverage (4/4 lines, no branch data in the report): 100.00%",
    )
    rate_only = _write(tmp_path, "r.xml", COBERTURA.format(attrs='line-rate="0.5"'))
    assert check_coverage(rate_only, minimum_percent=50).evidence == (
        f"{rate_only}: line coverage (line-rate attribute, no counts in the report): 50.00%",
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "Cobertura report not found"),
        ("<testsuite/>", "not a Cobertura report (root element <testsuite>"),
        ("<coverage/>", "has neither line counts nor line-rate"),
        ('<coverage line-rate="high"/>', "line-rate='high' is not a number"),
        ('<coverage line-rate="1.5"/>', "line-rate='1.5' is outside 0..1"),
        ('<coverage lines-valid="a" lines-covered="1"/>', "lines-valid='a' is not a count"),
        ("not xml", "is not well-formed XML"),
    ],
)
def test_unusable_cobertura_is_a_failed_check(tmp_path, content, reason):
    path = tmp_path / "coverage.xml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = check_coverage(path, minimum_percent=0)
    assert not result.passed
    assert result.summary == "unusable Cobertura report"
    assert result.evidence[0].startswith(f"{path}: ")
    assert reason in result.evidence[0]


@pytest.mark.parametrize("minimum", [-1, 100.5])
def test_coverage_threshold_out_of_range_is_a_config_error(tmp_path, minimum):
    with pytest.raises(ConfigError, match="must be between 0 and 100"):
        check_coverage(tmp_path / "c.xml", minimum_percent=minimum)


def test_check_changelog(tmp_path):
    path = tmp_path / "CHANGELOG.md"
    version = Version.parse("1.2.0")
    missing = check_changelog(path, version)
    assert (missing.passed, missing.evidence) == (False, (f"{path}: not found",))
    path.write_text("# Changelog\n\n## [1.1.0] - 2025-01-01\n", encoding="utf-8")
    absent = check_changelog(path, version)
    assert not absent.passed
    assert absent.summary == "CHANGELOG.md has no section for 1.2.0"
    path.write_text("# Changelog\n\n## [1.2.0] - 2026-01-01\n\n- x\n", encoding="utf-8")
    present = check_changelog(path, version)
    assert present.evidence == (f"{path}:3: ## [1.2.0] - 2026-01-01",)
    assert (present.passed, present.summary) == (True, "CHANGELOG.md has a section for 1.2.0")
    path.write_bytes(b"\xff\xfe not utf-8 \x80")
    bad = check_changelog(path, version)
    assert not bad.passed
    assert bad.evidence[0].startswith(f"{path}: cannot read: ")
    assert check_changelog(tmp_path, version).summary == f"{tmp_path.name} unreadable"


def _report(*checks: CheckResult) -> GateReport:
    return GateReport(project="vertice", version="1.2.0", checks=checks)


OK = CheckResult(
    name="tests",
    passed=True,
    summary="3 tests | all green",
    evidence=("a.xml: 3",),
    files=(EvidenceFile(name="a.xml", sha256="ab" * 32),),
    figure="3 tests",
    threshold="at least 1 test",
)
BAD = CheckResult(
    name="scan",
    passed=False,
    summary="1 HIGH finding",
    evidence=("GHSA-xxxx-yyyy-zzzz (HIGH) in requests 2.19.0\nfixed in 2.20.0",),
)


def test_gate_decision():
    assert _report(OK).go
    assert _report(OK).decision == "GO"
    assert not _report(OK, BAD).go
    assert _report(OK, BAD).failed == (BAD,)
    assert not _report().go  # nothing checked is not a release


def test_gate_markdown():
    text = render_gate_markdown(_report(OK, BAD))
    assert text == (
        "# Release gate: vertice 1.2.0 — NO-GO\n\n"
        "**Decision: NO-GO** (1 of 2 checks passed)\n\n"
        "| Check | Result | Summary |\n| --- | --- | --- |\n"
        "| tests | PASS | 3 tests \\| all green |\n"
        "| scan | FAIL | 1 HIGH finding |\n\n"
        "## Evidence\n\n"
        "### tests (PASS)\n\n- measured: 3 tests\n- threshold: at least 1 test\n"
        f"- file: `a.xml` sha256:{'ab' * 32}\n- a.xml: 3\n\n"
        "### scan (FAIL)\n\n- GHSA-xxxx-yyyy-zzzz (HIGH) in requests 2.19.0 fixed in 2.20.0\n"
    )
    go = render_gate_markdown(_report(OK, CheckResult(name="x", passed=True, summary="s")))
    assert go.startswith("# Release gate: vertice 1.2.0 — GO\n")
    assert go.endswith("### x (PASS)\n\n- (no evidence recorded)\n")
    assert "No checks ran" in render_gate_markdown(_report())


def test_gate_json_is_deterministic_and_complete():
    data = gate_report_json(_report(OK, BAD))
    assert data == gate_report_json(_report(OK, BAD))
    document = json.loads(data)
    assert document == {
        "checks": [
            {"evidence": ["a.xml: 3"], "figure": "3 tests",
             "files": [{"name": "a.xml", "sha256": "ab" * 32}], "name": "tests", "passed": True,
             "severity": "blocking", "status": "pass", "summary": "3 tests | all green",
             "threshold": "at least 1 test"},
            {"evidence": ["GHSA-xxxx-yyyy-zzzz (HIGH) in requests 2.19.0\nfixed in 2.20.0"],
             "figure": "", "files": [], "name": "scan", "passed": False,
             "severity": "blocking", "status": "fail",
             "summary": "1 HIGH finding", "threshold": ""},
        ],
        "decision": "NO-GO",
        "go": False,
        "project": "vertice",
        "version": "1.2.0",
    }  # fmt: skip
    assert data.endswith(b"}\n")
    assert list(document) == sorted(document)
    assert json.loads(gate_report_json(_report(OK)))["decision"] == "GO"


def test_shipped_reports_keep_the_figures_and_drop_the_machine(passing, failing, tmp_path):
    """A release ships the reports its gate read, without the machine's folders or clock."""
    labels = {str(passing.junit.parent): "", str(tmp_path): "{reports_dir}"}
    out = tmp_path / "release"
    out.mkdir()
    assert str(passing.junit.parent).encode() in passing.cobertura.read_bytes()
    assert b"hostname=" in passing.junit.read_bytes()
    junit = ship_report(passing.junit, out / "junit.xml", labels)
    cobertura = ship_report(passing.cobertura, out / "coverage.xml", labels)
    assert (junit, cobertura) == (out / "junit.xml", out / "coverage.xml")
    for shipped in (junit, cobertura):
        data = shipped.read_bytes()
        assert str(passing.junit.parent).encode() not in data
        assert b"hostname=" not in data
        assert b"timestamp=" not in data
    assert b"<source>.</source>" in cobertura.read_bytes()
    assert b' time="' not in junit.read_bytes()
    # Same figures from the shipped copies as from the originals; same bytes when shipped again.
    assert check_tests([junit]).summary == check_tests([passing.junit]).summary
    assert check_coverage(cobertura, minimum_percent=10).figure == (
        check_coverage(passing.cobertura, minimum_percent=10).figure
    )
    first = junit.read_bytes()
    assert ship_report(passing.junit, junit, labels).read_bytes() == first
    failed = ship_report(failing.junit, out / "junit-2.xml", labels)
    assert check_tests([failed]).evidence[1:] == check_tests([failing.junit]).evidence[1:]
    # Nothing to ship: the configured path comes back for the gate to name.
    assert ship_report(tmp_path / "absent.xml", out / "x.xml", labels) == tmp_path / "absent.xml"
    assert not (out / "x.xml").exists()
    # A report the gate will refuse is shipped as bytes, with the folders replaced.
    broken = tmp_path / "broken.xml"
    broken.write_text(f"<testsuite><oops {tmp_path}/reports/x", encoding="utf-8")
    shipped = ship_report(broken, out / "junit-3.xml", labels).read_text(encoding="utf-8")
    assert shipped == "<testsuite><oops {reports_dir}/reports/x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/p/app/src/x.py", "src/x.py"),
        ("/p/app", "."),
        ("at /p/app: ok", "at .: ok"),
        ("/p/apple/x", "/p/apple/x"),  # another folder that starts like the project's
        ("/p/app/work/reports/junit.xml", "{reports_dir}/junit.xml"),
        ("/home/me/.cache/db.sqlite3", "~/.cache/db.sqlite3"),
        ("C:\\p\\app\\src", "C:\\p\\app\\src"),
    ],
)
def test_portable_text(text, expected):
    labels = {"/p/app": "", "/p/app/work/reports": "{reports_dir}", "/home/me": "~"}
    assert portable_text(text, labels) == expected
