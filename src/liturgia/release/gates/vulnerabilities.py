"""Gate family "vulnerabilities": no unsuppressed finding at or above ``gates.fail_on``.

Every component checked (or accepted as unchecked), and the advisory database fresh enough.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from liturgia import vuln
from liturgia.config import LoadedConfig
from liturgia.release.gates._context import GateContext
from liturgia.release.gates._model import CheckResult, evidence_file
from liturgia.release.gates._policy import register_default_kind
from liturgia.release.stages import VULNERABILITIES_NAME, ScanOutcome

__all__ = ["VulnerabilitiesCheck"]


@dataclass(frozen=True, slots=True)
class VulnerabilitiesCheck:
    """No unsuppressed finding at or above ``gates.fail_on`` in ``vulnerabilities.json``."""

    name: str = "vulnerabilities"
    reads: tuple[str, ...] = (
        VULNERABILITIES_NAME,
        "gates.fail_on",
        "scan.ignore",
        "scan.accept_unchecked",
        "scan.max_age_days",
    )
    rank: int = 30

    def evaluate(self, context: GateContext) -> CheckResult:
        """Judge the scan stage's report, naming its file, figure, threshold and database."""
        if context.scan is None:
            return CheckResult(
                name=self.name,
                passed=False,
                summary="no scan ran, so nothing says the release is free of known findings",
                evidence=("no scan outcome was given to the gate",),
                figure="not scanned",
                threshold=f"no unsuppressed finding at or above "
                f"{context.config.settings.gates.fail_on.upper()}",
            )
        check = _check_vulnerabilities(context.config, context.scan)
        return replace(_documented(check, context.scan, context), name=self.name)


def _documented(check: CheckResult, scan: ScanOutcome, context: GateContext) -> CheckResult:
    """The vulnerability check with its file, figure, threshold and database named."""
    settings = context.config.settings
    fail_on = settings.gates.fail_on.upper()
    report = scan.report
    active = [f for f in report.findings if not f.suppressed]
    blocking = report.blocking(
        vuln.Severity(fail_on), unknown_as=vuln.Severity(settings.scan.unknown_severity.upper())
    )
    info = report.database
    file = evidence_file(context.scan_report or context.release / VULNERABILITIES_NAME)
    return replace(
        check,
        files=(file,) if file is not None else (),
        figure=(
            f"{len(blocking)} unsuppressed findings at or above {fail_on} "
            f"({len(active)} unsuppressed, {len(report.findings) - len(active)} suppressed) "
            f"in {report.component_count} components, {len(report.unchecked)} unchecked"
        ),
        threshold=(
            f"no unsuppressed finding at or above {fail_on}; every component checked"
            + (
                " (unchecked accepted: scan.accept_unchecked)"
                if settings.scan.accept_unchecked
                else ""
            )
            + f"; newest advisory at most {settings.scan.max_age_days} days old"
        ),
        evidence=(
            *check.evidence,
            f"advisory database: {info.source} ({info.kind}, {info.record_count} advisories, "
            f"newest modified {info.newest_modified or 'unknown'})",
        ),
    )


def _check_vulnerabilities(config: LoadedConfig, scan: ScanOutcome) -> CheckResult:
    settings = config.settings
    unknown = settings.scan.unknown_severity
    blocking = scan.report.blocking(
        vuln.Severity(settings.gates.fail_on.upper()),
        unknown_as=vuln.Severity(unknown.upper()),
        uncertain_blocks=settings.scan.uncertain == "block",
        include_dev=settings.scan.include_dev,
    )
    note = f" (no severity in the advisory: counted as {unknown})"
    failing = [
        f"{finding.vulnerability_id} in {finding.component_name}@{finding.component_version}: "
        f"{finding.severity.value}" + (note if finding.severity is vuln.Severity.UNKNOWN else "")
        for finding in blocking
    ]
    evidence = [*failing]
    if scan.stale is not None:
        evidence.insert(0, f"stale advisory database: {scan.stale}")
    # Never a silent "no vulnerabilities": a package that could not be checked (no version, an
    # unpinned range, a version its ecosystem cannot order, no advisories for its ecosystem)
    # fails the gate unless the project accepts it: by name with a reason ([[unchecked]] in
    # the ignore file), or all at once (scan.accept_unchecked).
    blind = scan.report.incomplete
    coverage = scan.report.coverage_problem()
    unaccepted = bool(blind or coverage) and not settings.scan.accept_unchecked
    if unaccepted:
        evidence.insert(
            0,
            coverage
            or f"{len(blind)} components could not be checked and are not accepted (name each "
            "with a reason in an [[unchecked]] entry of scan.ignore, or set "
            "scan.accept_unchecked = true)",
        )
    evidence.extend(f"unchecked: {item}" for item in scan.report.unchecked_lines())
    evidence.extend(f"unusable advisory file: {item}" for item in scan.warnings)
    return CheckResult(
        name="vulnerabilities",
        passed=not failing and scan.stale is None and not unaccepted,
        summary=(
            f"no unsuppressed finding at or above {settings.gates.fail_on.upper()}"
            if not failing
            else f"{len(failing)} unsuppressed findings at or above "
            f"{settings.gates.fail_on.upper()}"
        )
        + f"; {scan.summary}",
        evidence=tuple(evidence),
    )


register_default_kind(VulnerabilitiesCheck())
