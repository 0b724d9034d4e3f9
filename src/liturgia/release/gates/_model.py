"""The values a gate produces: a check's status, its evidence, and the report of one release.

A gate records; it does not raise. Each check returns a :class:`CheckResult`: a status (pass,
fail, waived, not-applicable), a one-line summary, and the evidence behind it (the files read
with their digests, the figure measured, the threshold it had to meet). A check switched off by
configuration is still reported, as not-applicable naming the setting that switched it off.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

__all__ = [
    "CheckResult",
    "EvidenceFile",
    "GateReport",
    "Status",
    "evidence_file",
    "not_applicable",
    "unusable",
]


class Status(StrEnum):
    """The outcome of one check.

    ``PASS``: the condition holds. ``FAIL``: it does not (the release is NO-GO). ``WAIVED``: it
    does not hold but the policy accepts that, with who, why and until when. ``NOT_APPLICABLE``:
    the check does not apply to this release, or the configuration switched it off (the
    evidence names the setting).
    """

    PASS = "pass"  # noqa: S105 - a check outcome, not a password
    FAIL = "fail"
    WAIVED = "waived"
    NOT_APPLICABLE = "not-applicable"

    @property
    def label(self) -> str:
        """The word a report shows: ``PASS``, ``FAIL``, ``WAIVED`` or ``N/A``."""
        return "N/A" if self is Status.NOT_APPLICABLE else self.value.upper()


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceFile:
    """A file a check read, named as a reader of the release folder finds it.

    Attributes:
        name: the file's name in the release folder (a release ships every file its gate read,
            files from outside it under ``evidence/``, so ``SHA256SUMS`` covers it), or the
            configured path when the file was not usable.
        sha256: lowercase hex SHA-256 of the bytes the check read.
        source: the file the check read, for shipping it into the release folder; never
            published (``None`` when unknown).
    """

    name: str
    sha256: str
    source: Path | None = field(default=None, compare=False, repr=False)


def evidence_file(path: Path, name: str | None = None) -> EvidenceFile | None:
    """The file at ``path`` with the digest of its bytes, named ``name`` (default: its name).

    Returns:
        ``None`` when the file cannot be read (the check says why in its evidence).
    """
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
    return EvidenceFile(name=path.name if name is None else name, sha256=digest, source=path)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """The outcome of one gate check.

    Give either ``status`` or ``passed``: ``passed=True`` means :attr:`Status.PASS`,
    ``passed=False`` :attr:`Status.FAIL`; with a ``status``, ``passed`` is derived from it
    (true unless the status is ``FAIL``), so readers of ``passed`` keep working.

    Attributes:
        name: a short stable identifier, e.g. ``"tests"``, ``"coverage"``, ``"changelog"``.
        passed: whether the check lets the release go (pass, waived or not-applicable).
        summary: one line for people, e.g. ``"42 tests, 0 failures, 0 errors, 1 skipped"``.
        evidence: the facts the decision rests on, one per item (files read, counts, names of
            failed tests, the setting that switched the check off), in a deterministic order.
        files: the files the decision was read from, with their digests.
        figure: what was measured, e.g. ``"100.00% line+branch coverage"``.
        threshold: what the figure had to meet, e.g. ``">= 85%"``.
        status: pass, fail, waived or not-applicable.
        blocking: whether a failure makes the release NO-GO (``False``: an advisory check of
            the policy, reported but never blocking).
    """

    name: str
    passed: bool = False
    summary: str
    evidence: tuple[str, ...] = ()
    files: tuple[EvidenceFile, ...] = ()
    figure: str = ""
    threshold: str = ""
    status: Status | None = None
    blocking: bool = True

    def __post_init__(self) -> None:
        # Frozen: the pair is normalised once, here, so both spellings compare equal.
        if self.status is None:
            object.__setattr__(self, "status", Status.PASS if self.passed else Status.FAIL)
        else:
            object.__setattr__(self, "passed", self.status is not Status.FAIL)

    @property
    def outcome(self) -> Status:
        """The status, never ``None`` (set from ``passed`` when not given)."""
        return self.status or (Status.PASS if self.passed else Status.FAIL)


@dataclass(frozen=True, slots=True, kw_only=True)
class GateReport:
    """Every check of one release.

    Attributes:
        project: the project name.
        version: the version being released, as text.
        checks: the checks in the order they ran, not-applicable ones included.
    """

    project: str
    version: str
    checks: tuple[CheckResult, ...]

    @property
    def go(self) -> bool:
        """GO when no blocking check failed and at least one passed (or was waived).

        No checks, or only not-applicable ones, is NO-GO: nothing supports the release.
        """
        return not self.failed and any(
            check.outcome in {Status.PASS, Status.WAIVED} for check in self.checks
        )

    @property
    def decision(self) -> str:
        """``"GO"`` or ``"NO-GO"``."""
        return "GO" if self.go else "NO-GO"

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        """The blocking checks that failed, in order (an advisory failure is not among them)."""
        return tuple(check for check in self.checks if not check.passed and check.blocking)


def not_applicable(name: str, *, setting: str, threshold: str = "") -> CheckResult:
    """The row of a check that the configuration switched off, naming the setting.

    Args:
        name: the check's name.
        setting: the setting and where it is, e.g. ``"gates.require_tests = false in
            liturgia.toml"`` or ``"test.coverage is not set in liturgia.toml"``.
        threshold: what the check would have required, so a reader sees what was not asked.
    """
    return CheckResult(
        name=name,
        status=Status.NOT_APPLICABLE,
        summary=f"not applicable: {setting}",
        evidence=(f"not evaluated: {setting}",),
        figure="not evaluated",
        threshold=threshold,
    )


def unusable(
    name: str, *, summary: str, reason: Exception, figure: str, threshold: str
) -> CheckResult:
    """The failed row of a check whose evidence file cannot be used; ``reason`` names the file
    and why (one line)."""
    return CheckResult(
        name=name,
        passed=False,
        summary=summary,
        evidence=(str(reason),),
        figure=figure,
        threshold=threshold,
    )
