"""Gate family "coverage": the tests' coverage at or above the configured minimum.

Cobertura XML (``coverage-04.dtd``) as coverage.py writes it: the ``<coverage>`` root carries
``line-rate``, ``branch-rate``, ``lines-valid``/``lines-covered`` and
``branches-valid``/``branches-covered``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import Field

from liturgia.config import PolicyCheck
from liturgia.errors import ConfigError
from liturgia.release.gates._context import GateContext
from liturgia.release.gates._model import CheckResult, EvidenceFile, not_applicable
from liturgia.release.gates._policy import KindOptions, parse_options, register_kind
from liturgia.release.gates._registry import Check, register
from liturgia.release.gates._xml import ReportError, int_attr, load_bytes, load_xml, parse_xml

__all__ = ["CoverageCheck", "CoverageFormat", "check_coverage"]


def _rate(root: ET.Element, name: str, path: Path) -> float | None:
    raw = root.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ReportError(f"{path}: <coverage> {name}={raw!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise ReportError(f"{path}: <coverage> {name}={raw!r} is outside 0..1")
    return value


def _coverage_percent(root: ET.Element, path: Path, include_branches: bool) -> tuple[float, str]:
    """The percentage and a description of what it measures (internal)."""
    if root.tag != "coverage":
        raise ReportError(
            f"{path}: not a Cobertura report (root element <{root.tag}>, expected <coverage>)"
        )
    has_counts = root.get("lines-valid") is not None and root.get("lines-covered") is not None
    lines_valid = int_attr(root, "lines-valid", path)
    lines_covered = int_attr(root, "lines-covered", path)
    branches_valid = int_attr(root, "branches-valid", path)
    branches_covered = int_attr(root, "branches-covered", path)
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
        raise ReportError(f"{path}: <coverage> has neither line counts nor line-rate")
    return 100.0 * line_rate, "line coverage (line-rate attribute, no counts in the report)"


class CoverageFormat(StrEnum):
    """The coverage report formats read.

    ``cobertura``: Cobertura XML (``coverage-04.dtd``; coverage.py ``coverage xml``, JaCoCo via
    converters, ``gcovr --cobertura``). ``coverage-json``: coverage.py's ``coverage json``
    (``totals.covered_lines``/``num_statements``/``covered_branches``/``num_branches``).
    ``lcov``: the LCOV tracefile (``geninfo(1)``: ``SF:``, ``LF:``/``LH:``, ``BRF:``/``BRH:``,
    ``end_of_record``). ``go``: a Go cover profile (``go test -coverprofile``: a ``mode:`` line,
    then ``file:l.c,l.c statements count`` blocks; ``go tool cover -func``'s total).
    """

    COBERTURA = "cobertura"
    COVERAGE_JSON = "coverage-json"
    LCOV = "lcov"
    GO = "go"


_NAMES = {
    CoverageFormat.COBERTURA: "Cobertura report",
    CoverageFormat.COVERAGE_JSON: "coverage.py JSON report",
    CoverageFormat.LCOV: "LCOV tracefile",
    CoverageFormat.GO: "Go cover profile",
}


def _sniff(data: bytes) -> CoverageFormat | None:
    """Which format ``data`` looks like, to name it when it is not the declared one."""
    head = data.lstrip()[:200]
    if head.startswith(b"<"):
        return CoverageFormat.COBERTURA if b"<coverage" in data[:4096] else None
    if head.startswith(b"{"):
        return CoverageFormat.COVERAGE_JSON
    if head.startswith(b"mode:"):
        return CoverageFormat.GO
    if head.startswith((b"TN:", b"SF:")):
        return CoverageFormat.LCOV
    return None


def _read(path: Path, report_format: CoverageFormat) -> tuple[float, str, EvidenceFile]:
    """The percentage, what it measures, and the file (internal).

    Raises:
        ReportError: missing, unreadable, of another format than declared, or malformed.
    """
    what = _NAMES[report_format]
    data, file = load_bytes(path, what)
    found = _sniff(data)
    if report_format is CoverageFormat.COBERTURA and found in {None, report_format}:
        # Not sniffed as another format: parse it, and let the XML say what is wrong.
        root = parse_xml(data, path, what)
        percent, measure = _coverage_percent(root, path, include_branches=True)
        return percent, measure, file
    if found is not report_format:
        raise _mismatch(path, data, report_format)
    if report_format is CoverageFormat.COVERAGE_JSON:
        return (*_coverage_json(data, path), file)
    text = data.decode("utf-8", errors="replace")
    if report_format is CoverageFormat.LCOV:
        return (*_lcov(text, path), file)
    return (*_go_profile(text, path), file)


def _mismatch(path: Path, data: bytes, declared: CoverageFormat) -> ReportError:
    found = _sniff(data)
    looks = f"it looks like a {_NAMES[found]}" if found else "its format is not recognised"
    return ReportError(
        f"{path}: not a {_NAMES[declared]} (format = {declared.value!r}): {looks}; "
        "set the check's format to the report's"
    )


def _combined(
    lines: tuple[int, int], branches: tuple[int, int], path: Path, what: str
) -> tuple[float, str]:
    """(covered lines + branches) / (lines + branches) as coverage.py totals it (internal)."""
    (lines_hit, lines_all), (branches_hit, branches_all) = lines, branches
    if lines_all <= 0:
        raise ReportError(f"{path}: the {what} counts no line (nothing measured)")
    if not (0 <= lines_hit <= lines_all and 0 <= branches_hit <= branches_all):
        raise ReportError(f"{path}: the {what} counts more covered than measured")
    if branches_all:
        return (
            100.0 * (lines_hit + branches_hit) / (lines_all + branches_all),
            f"line+branch coverage ({lines_hit}/{lines_all} lines, "
            f"{branches_hit}/{branches_all} branches)",
        )
    return 100.0 * lines_hit / lines_all, f"line coverage ({lines_hit}/{lines_all} lines)"


def _coverage_json(data: bytes, path: Path) -> tuple[float, str]:
    try:
        document = json.loads(data)
        totals = document["totals"]
        lines = (int(totals["covered_lines"]), int(totals["num_statements"]))
        branches = (int(totals.get("covered_branches", 0)), int(totals.get("num_branches", 0)))
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise ReportError(
            f"{path}: not a coverage.py JSON report (needs totals.covered_lines and "
            f"totals.num_statements): {exc}"
        ) from exc
    return _combined(lines, branches, path, "coverage.py JSON report")


def _lcov(text: str, path: Path) -> tuple[float, str]:
    counts = {"LF": 0, "LH": 0, "BRF": 0, "BRH": 0}
    records = 0
    for number, line in enumerate(text.splitlines(), start=1):
        key, _, value = line.strip().partition(":")
        if key == "SF":
            records += 1
        elif key in counts:
            try:
                counts[key] += int(value)
            except ValueError:
                raise ReportError(f"{path}:{number}: {key}:{value!r} is not a count") from None
    if not records:
        raise ReportError(f"{path}: an LCOV tracefile without any SF: record")
    return _combined(
        (counts["LH"], counts["LF"]), (counts["BRH"], counts["BRF"]), path, "LCOV tracefile"
    )


def _go_profile(text: str, path: Path) -> tuple[float, str]:
    blocks: dict[str, tuple[int, int]] = {}
    for number, line in enumerate(text.splitlines()[1:], start=2):
        if not line.strip():
            continue
        block, _, numbers = line.rpartition(" ")
        block, _, statements = block.rpartition(" ")
        try:
            count, size = int(numbers), int(statements)
        except ValueError:
            raise ReportError(
                f"{path}:{number}: not a cover profile block (file:l.c,l.c statements count)"
            ) from None
        # Profiles merged from several packages repeat blocks: keep the highest count, as
        # `go tool cover` does.
        seen = blocks.get(block)
        blocks[block] = (size, max(count, seen[1] if seen else 0))
    total = sum(size for size, _ in blocks.values())
    covered = sum(size for size, count in blocks.values() if count > 0)
    if total == 0:
        raise ReportError(f"{path}: the Go cover profile has no statement")
    return 100.0 * covered / total, f"statement coverage ({covered}/{total} statements)"


def check_coverage(
    report_path: Path,
    *,
    minimum_percent: float,
    include_branches: bool = True,
    report_format: CoverageFormat = CoverageFormat.COBERTURA,
    name: str = "coverage",
) -> CheckResult:
    """Gate "coverage >= threshold", per a coverage report of the declared format.

    With ``include_branches`` (the default) the percentage is coverage.py's combined figure,
    (lines covered + branches covered) / (lines valid + branches valid); a report without
    branch data falls back to line coverage and says so (a Go profile counts statements). The
    summary always names which measure was used. The comparison uses the exact value; the
    summary shows it to two decimals.

    Args:
        report_path: the report (``coverage xml``, ``coverage json``, ``lcov``,
            ``go test -coverprofile``).
        minimum_percent: the threshold in percent, 0 to 100.
        include_branches: combine branch coverage with line coverage (Cobertura only).
        report_format: the format the report must be in; another format is a failed check
            naming the file, the declared format and the one it looks like.
        name: the check's row name.

    Returns:
        A coverage check; a missing or malformed report is a failed check naming the file.

    Raises:
        ConfigError: ``minimum_percent`` is outside 0..100 (a configuration mistake).
    """
    if not 0.0 <= minimum_percent <= 100.0:
        raise ConfigError(f"coverage minimum {minimum_percent!r} must be between 0 and 100")
    threshold = f">= {minimum_percent:g}%"
    try:
        if report_format is CoverageFormat.COBERTURA and not include_branches:
            root, file = load_xml(report_path, _NAMES[report_format])
            percent, measure = _coverage_percent(root, report_path, include_branches=False)
        else:
            percent, measure, file = _read(report_path, report_format)
    except ReportError as exc:
        return CheckResult(
            name=name,
            passed=False,
            summary=f"unusable {_NAMES[report_format]}",
            evidence=(str(exc),),
            figure="no usable coverage figure",
            threshold=threshold,
        )
    passed = percent >= minimum_percent
    kind = measure.split(" (")[0]
    relation = ">=" if passed else "<"
    return CheckResult(
        name=name,
        passed=passed,
        summary=f"{percent:.2f}% {relation} {minimum_percent:g}% minimum ({kind})",
        evidence=(f"{report_path}: {measure}: {percent:.2f}%",),
        files=(file,),
        figure=f"{percent:.2f}% {kind}",
        threshold=threshold,
    )


_BUILT_IN_READS = ("test.coverage", "gates.coverage_min", "gates.require_tests")


@dataclass(frozen=True, slots=True)
class CoverageCheck:
    """Coverage at or above a minimum.

    Built in, it reads the shipped ``test.coverage`` Cobertura report against
    ``gates.coverage_min`` and is not applicable when ``gates.require_tests = false`` or
    ``test.coverage`` is not set. From the policy, ``report``, ``format`` and ``minimum`` say
    which file, in which format, must reach what.
    """

    name: str = "coverage"
    reads: tuple[str, ...] = _BUILT_IN_READS
    rank: int = 20
    report: str | None = None
    report_format: CoverageFormat = CoverageFormat.COBERTURA
    minimum: float | None = None

    def evaluate(self, context: GateContext) -> CheckResult:
        """Judge the coverage report against the minimum."""
        settings = context.config.settings
        if self.report is not None and self.minimum is not None:
            return check_coverage(
                context.config.resolve(self.report),
                minimum_percent=self.minimum,
                report_format=self.report_format,
                name=self.name,
            )
        where = context.config.path.name
        threshold = f">= {settings.gates.coverage_min:g}%"
        if not settings.gates.require_tests:
            return not_applicable(
                self.name, setting=f"gates.require_tests = false in {where}", threshold=threshold
            )
        if context.coverage is None:
            return not_applicable(
                self.name, setting=f"test.coverage is not set in {where}", threshold=threshold
            )
        return check_coverage(
            context.coverage, minimum_percent=settings.gates.coverage_min, name=self.name
        )


class _CoverageOptions(KindOptions):
    report: str | None = Field(default=None, min_length=1)
    format: CoverageFormat = Field(default=CoverageFormat.COBERTURA, strict=False)
    minimum: float | None = Field(default=None, ge=0.0, le=100.0, strict=False)


def _make(entry: PolicyCheck, where: str) -> Check:
    options = parse_options(entry, where, _CoverageOptions)
    report = options.report or (entry.evidence[0] if entry.evidence else None)
    if (report is None) != (options.minimum is None):
        raise ConfigError(
            f"{where}: a coverage check of the policy names its report (report or evidence) "
            "and its minimum (percent), or neither (then test.coverage and gates.coverage_min)"
        )
    return CoverageCheck(
        name=entry.row,
        report=report,
        report_format=options.format,
        minimum=options.minimum,
        reads=(report,) if report else _BUILT_IN_READS,
    )


register(CoverageCheck())
register_kind("coverage", _make)
