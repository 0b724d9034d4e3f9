"""Gate family "documents": the rollback plan names this version; a major bump has its guide.

``rollback-plan``: the file (``path``, default ``docs/rollback.md``) exists and names this
version as a whole word (``1.2.3`` is not found inside ``1.2.30``). ``migration-guide``: when the
major version moves (``1.x`` to ``2.0.0``), the guide ``path`` (a pattern with ``{major}``,
``{previous_major}`` and ``{version}``, default ``docs/migration/v{major}.md``) exists; otherwise
the check is not applicable and says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import Field

from liturgia.config import LoadedConfig, PolicyCheck
from liturgia.errors import ConfigError
from liturgia.release.gates._context import GateContext
from liturgia.release.gates._model import CheckResult, Status, unusable
from liturgia.release.gates._policy import KindOptions, parse_options, register_kind
from liturgia.release.gates._registry import Check
from liturgia.release.gates._xml import ReportError, load_bytes

__all__ = ["MigrationGuideCheck", "RollbackPlanCheck"]


_ROLLBACK = "docs/rollback.md"
_MIGRATION = "docs/migration/v{major}.md"


def _mentions(text: str, version: str) -> int | None:
    """The 1-based line naming ``version`` as a whole word, or ``None``."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(version)}(?![\w]|\.\d)")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line):
            return number
    return None


@dataclass(frozen=True, slots=True)
class RollbackPlanCheck:
    """A rollback plan exists and names the version being released."""

    name: str = "rollback-plan"
    path: str = _ROLLBACK
    reads: tuple[str, ...] = (_ROLLBACK,)
    rank: int = 100

    def preflight(self, config: LoadedConfig) -> tuple[str, ...]:
        """The plan is written before the release: a missing file is a problem of the policy."""
        if config.resolve(self.path).is_file():
            return ()
        return (f"path: no rollback plan at {self.path}; write it (it must name the version)",)

    def evaluate(self, context: GateContext) -> CheckResult:
        """Look for this version in the rollback plan."""
        version = str(context.version)
        threshold = f"{self.path} exists and names {version}"
        try:
            data, file = load_bytes(context.config.resolve(self.path), "rollback plan")
        except ReportError as exc:
            return unusable(
                self.name,
                summary=f"no rollback plan at {self.path}",
                reason=exc,
                figure="no rollback plan",
                threshold=threshold,
            )
        line = _mentions(data.decode("utf-8", errors="replace"), version)
        return CheckResult(
            name=self.name,
            status=Status.FAIL if line is None else Status.PASS,
            summary=(
                f"{self.path} names {version} (line {line})"
                if line is not None
                else f"{self.path} does not name {version}; say how to roll {version} back"
            ),
            evidence=(
                f"{self.path}:{line}: names {version}"
                if line is not None
                else f"{self.path}: {version} appears nowhere",
            ),
            files=(file,),
            figure=f"{version} named at line {line}" if line else f"{version} not named",
            threshold=threshold,
        )


@dataclass(frozen=True, slots=True)
class MigrationGuideCheck:
    """A migration guide exists when the major version moves."""

    name: str = "migration-guide"
    path: str = _MIGRATION
    reads: tuple[str, ...] = (_MIGRATION,)
    rank: int = 110

    def evaluate(self, context: GateContext) -> CheckResult:
        """Require the guide on a major bump; not applicable otherwise."""
        version, previous = context.version, context.previous
        guide = self.path.format(
            major=version.major,
            previous_major=previous.major if previous else "",
            version=version,
        )
        threshold = f"on a major version bump, {self.path} exists"
        if previous is None or previous.major == version.major:
            why = (
                "a first release: no major version moved"
                if previous is None
                else f"{previous} to {version} keeps major version {version.major}"
            )
            return CheckResult(
                name=self.name,
                status=Status.NOT_APPLICABLE,
                summary=f"not applicable: {why}",
                evidence=(why,),
                figure="no major bump",
                threshold=threshold,
            )
        try:
            _, file = load_bytes(context.config.resolve(guide), "migration guide")
        except ReportError as exc:
            return unusable(
                self.name,
                summary=f"{previous} to {version} is a major bump and {guide} is missing",
                reason=exc,
                figure=f"major bump {previous.major} to {version.major}, no guide",
                threshold=threshold,
            )
        return CheckResult(
            name=self.name,
            passed=True,
            summary=f"{previous} to {version}: {guide} exists",
            evidence=(f"{guide}: migration guide for {previous.major} to {version.major}",),
            files=(file,),
            figure=f"major bump {previous.major} to {version.major}, guide present",
            threshold=threshold,
        )


class _PathOptions(KindOptions):
    path: str | None = Field(default=None, min_length=1)


def _make_rollback(entry: PolicyCheck, where: str) -> Check:
    options = parse_options(entry, where, _PathOptions)
    path = options.path or (entry.evidence[0] if entry.evidence else _ROLLBACK)
    return RollbackPlanCheck(name=entry.row, path=path, reads=(path,))


def _make_migration(entry: PolicyCheck, where: str) -> Check:
    options = parse_options(entry, where, _PathOptions)
    path = options.path or (entry.evidence[0] if entry.evidence else _MIGRATION)
    try:
        path.format(major=1, previous_major=0, version="1.0.0")
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"{where}.path: {path!r}: unknown placeholder {exc}; use {{major}}, "
            "{previous_major} or {version}"
        ) from exc
    return MigrationGuideCheck(name=entry.row, path=path, reads=(path,))


register_kind("rollback-plan", _make_rollback)
register_kind("migration-guide", _make_migration)
