"""Gate family "coverage": the tests' coverage at or above the configured minimum.

Cobertura XML (``coverage-04.dtd``) as coverage.py writes it: the ``<coverage>`` root carries
``line-rate``, ``branch-rate``, ``lines-valid``/``lines-covered`` and
``branches-valid``/``branches-covered``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from liturgia.errors import ConfigError
from liturgia.release.gates._context import GateContext
from liturgia.release.gates._model import CheckResult, not_applicable
from liturgia.release.gates._registry import register
from liturgia.release.gates._xml import ReportError, int_attr, load_xml

__all__ = ["CoverageCheck", "check_coverage"]


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
        root, file = load_xml(cobertura_path, "Cobertura report")
        percent, measure = _coverage_percent(root, cobertura_path, include_branches)
    except ReportError as exc:
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


@dataclass(frozen=True, slots=True)
class CoverageCheck:
    """Coverage at or above ``gates.coverage_min``, per the shipped ``test.coverage`` report.

    Not applicable when ``gates.require_tests = false`` or ``test.coverage`` is not set.
    """

    name: str = "coverage"
    reads: tuple[str, ...] = ("test.coverage", "gates.coverage_min", "gates.require_tests")
    rank: int = 20

    def evaluate(self, context: GateContext) -> CheckResult:
        """Judge the shipped coverage report against the configured minimum."""
        settings = context.config.settings
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
        return check_coverage(context.coverage, minimum_percent=settings.gates.coverage_min)


register(CoverageCheck())
