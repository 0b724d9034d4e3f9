"""Gate family "changelog": the release's CHANGELOG.md has a section for this version."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from liturgia.release.changelog import changelog_has_version
from liturgia.release.gates._context import GateContext
from liturgia.release.gates._model import CheckResult, EvidenceFile
from liturgia.release.gates._policy import register_default_kind
from liturgia.release.stages import CHANGELOG_NAME
from liturgia.release.version import Version

__all__ = ["ChangelogCheck", "check_changelog"]


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


@dataclass(frozen=True, slots=True)
class ChangelogCheck:
    """CHANGELOG has the version: the release folder's CHANGELOG.md (Keep a Changelog 1.1.0)."""

    name: str = "changelog"
    reads: tuple[str, ...] = (CHANGELOG_NAME,)
    rank: int = 70

    def evaluate(self, context: GateContext) -> CheckResult:
        """Look for this version's heading in the release folder's CHANGELOG.md."""
        result = check_changelog(context.release / CHANGELOG_NAME, context.version)
        return replace(result, name=self.name)


register_default_kind(ChangelogCheck())
