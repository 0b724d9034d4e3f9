"""CHANGELOG.md sections (Keep a Changelog 1.1.0) and RELEASE_NOTES.md from Conventional Commits.

Keep a Changelog 1.1.0 (https://keepachangelog.com/en/1.1.0/): one ``## [X.Y.Z] - YYYY-MM-DD``
section per release, newest first, below an ``## [Unreleased]`` section; changes grouped under
``### Added``, ``### Changed``, ``### Deprecated``, ``### Removed``, ``### Fixed``,
``### Security``; dates in ISO 8601. Commits map to groups so:

* ``feat`` → Added; ``fix`` → Fixed;
* ``perf``, ``refactor``, a ``revert`` still in effect, and every breaking change (whatever its
  type, marked ``**BREAKING**``) → Changed;
* other types (docs, chore, ci, test, build, style...) are left out: "a changelog is not a git
  log dump" (Keep a Changelog, "Bad practices").

Commits reverted within the release cancel out and appear nowhere
(:func:`liturgia.release.commits.effective_commits`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from liturgia.release.commits import ConventionalCommit, effective_commits
from liturgia.release.version import Version

__all__ = [
    "CHANGELOG_HEADER",
    "ChangeGroup",
    "changelog_has_version",
    "group_changes",
    "render_changelog_section",
    "render_release_notes",
    "update_changelog",
]

#: The preamble Keep a Changelog 1.1.0's own example starts with.
CHANGELOG_HEADER = (
    "# Changelog\n"
    "\n"
    "All notable changes to this project will be documented in this file.\n"
    "\n"
    "The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),\n"
    "and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).\n"
)
_UNRELEASED = "## [Unreleased]"
_SECTION_ORDER = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
_TYPE_GROUP = {"feat": "Added", "fix": "Fixed", "perf": "Changed", "refactor": "Changed"}
# A level-2 heading starts a release section; a link reference definition ("[1.0.0]: https://")
# at the end of the file is not part of the last section.
_H2 = re.compile(r"^## ")
_LINK_DEFINITION = re.compile(r"^\[[^\]]+\]:\s")
# "## [Unreleased]" as Keep a Changelog writes it; "## Unreleased" and other cases accepted.
_UNRELEASED_HEADING = re.compile(r"^## \[?unreleased\]?(?:\s|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeGroup:
    """One Keep a Changelog group and its entries.

    Attributes:
        title: ``"Added"``, ``"Changed"`` or ``"Fixed"`` (Keep a Changelog "Types of changes").
        entries: one Markdown list item text per change (without the leading ``- ``), in commit
            order.
    """

    title: str
    entries: tuple[str, ...]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _entry(commit: ConventionalCommit) -> str:
    scope = f"**{commit.scope}:** " if commit.scope else ""
    text = f"{scope}{_one_line(commit.description)} ({commit.short_sha})"
    if not commit.breaking:
        return text
    notes = [n for n in commit.breaking_notes if _one_line(n) != _one_line(commit.description)]
    detail = "".join(f" — {_one_line(n)}" for n in notes)
    return f"**BREAKING** {text}{detail}"


def _group_of(commit: ConventionalCommit) -> str | None:
    if commit.breaking or commit.type == "revert":
        return "Changed"
    return _TYPE_GROUP.get(commit.type)


def group_changes(commits: Sequence[ConventionalCommit]) -> tuple[ChangeGroup, ...]:
    """Group commits into Keep a Changelog sections, in the order Keep a Changelog lists them.

    Args:
        commits: parsed commits of the release, oldest first.

    Returns:
        Only the non-empty groups; entries read ``**scope:** description (abc1234)``, breaking
        ones prefixed ``**BREAKING**`` and followed by their ``BREAKING CHANGE`` note.
    """
    groups: dict[str, list[str]] = {}
    for commit in effective_commits(commits):
        title = _group_of(commit)
        if title is not None:
            groups.setdefault(title, []).append(_entry(commit))
    return tuple(
        ChangeGroup(title=title, entries=tuple(groups[title]))
        for title in _SECTION_ORDER
        if title in groups
    )


def render_changelog_section(
    version: Version, date: date, commits: Sequence[ConventionalCommit]
) -> str:
    """Render one release section: ``## [X.Y.Z] - YYYY-MM-DD`` and its groups.

    A release with no user-facing change still gets its heading (Keep a Changelog: every
    release is listed) followed by ``No user-facing changes.``.

    Returns:
        Markdown ending with exactly one newline.
    """
    lines = [f"## [{version}] - {date.isoformat()}"]
    groups = group_changes(commits)
    for group in groups:
        lines += ["", f"### {group.title}", ""]
        lines += [f"- {entry}" for entry in group.entries]
    if not groups:
        lines += ["", "No user-facing changes."]
    return "\n".join(lines) + "\n"


def _heading_pattern(version: Version) -> re.Pattern[str]:
    # "## [1.2.3] - 2024-01-01", "## [v1.2.3]", "## 1.2.3 (2024-01-01)": the version must end
    # at a bracket, space or line end so 1.2.3 does not match 1.2.30 or 1.2.3-rc.1.
    return re.compile(rf"^## \[?v?{re.escape(str(version))}(?:\]|\s|$)", re.MULTILINE)


def changelog_has_version(text: str, version: Version) -> bool:
    """Whether ``text`` holds a level-2 heading for ``version`` (Keep a Changelog 1.1.0).

    Accepts ``## [X.Y.Z] - date`` (the standard form), ``## [vX.Y.Z]`` and ``## X.Y.Z``.
    """
    return _heading_pattern(version).search(text) is not None


def _section_end(lines: list[str], start: int) -> int:
    """Index of the first line after the section that starts at ``lines[start]``."""
    end = start + 1
    while end < len(lines) and not _H2.match(lines[end]) and not _LINK_DEFINITION.match(lines[end]):
        end += 1
    return end


def update_changelog(existing: str | None, section: str) -> str:
    """Put ``section`` into a changelog, creating the file's text when there is none.

    Placement (Keep a Changelog: newest release first, ``[Unreleased]`` at the top):

    * no text (``None`` or blank): :data:`CHANGELOG_HEADER`, ``## [Unreleased]``, the section;
    * a section for the same version exists: it is replaced in place (running a release twice
      does not duplicate it);
    * else after the ``## [Unreleased]`` section (whose entries stay as written) when present;
    * else before the first ``## `` heading, or at the end (before link definitions).

    Args:
        existing: the current CHANGELOG.md text, or ``None``.
        section: a section from :func:`render_changelog_section` (its first line is the heading).

    Returns:
        The whole new text, ending with one newline, sections separated by one blank line.
    """
    block = section.strip("\n").split("\n")
    if existing is None or not existing.strip():
        return (
            "\n".join([*CHANGELOG_HEADER.rstrip("\n").split("\n"), "", _UNRELEASED, "", *block])
            + "\n"
        )
    lines = existing.replace("\r\n", "\n").rstrip("\n").split("\n")
    heading = block[0]
    version_text = re.match(r"^## \[?v?([^\]\s]+)", heading)
    replace_at: int | None = None
    if version_text is not None:
        wanted = re.compile(rf"^## \[?v?{re.escape(version_text[1])}(?:\]|\s|$)")
        replace_at = next((i for i, ln in enumerate(lines) if wanted.match(ln)), None)
    if replace_at is not None:
        end = _section_end(lines, replace_at)
        insert_at = replace_at
        del lines[replace_at:end]
    else:
        unreleased = next((i for i, ln in enumerate(lines) if _UNRELEASED_HEADING.match(ln)), None)
        if unreleased is not None:
            insert_at = _section_end(lines, unreleased)
        else:
            insert_at = next(
                (i for i, ln in enumerate(lines) if _H2.match(ln) or _LINK_DEFINITION.match(ln)),
                len(lines),
            )
    before = lines[:insert_at]
    after = lines[insert_at:]
    while before and not before[-1].strip():
        before.pop()
    while after and not after[0].strip():
        after.pop(0)
    joined = [*before, "", *block]
    if after:
        joined += ["", *after]
    return "\n".join(joined).lstrip("\n") + "\n"


def render_release_notes(
    name: str,
    version: Version,
    date: date,
    commits: Sequence[ConventionalCommit],
    *,
    findings_summary: str | None = None,
) -> str:
    """Render RELEASE_NOTES.md for one release.

    Layout: ``# <name> <version>``, the release date, a ``## Breaking changes`` list (each with
    its ``BREAKING CHANGE`` note, Conventional Commits item 12/13) when any, the Keep a Changelog
    groups as ``##`` sections, then ``## Vulnerability scan`` with ``findings_summary`` when
    given (the scan's one-paragraph summary), and the count of commits considered.

    Args:
        name: the project name.
        version: the version being released.
        date: the release date (from :func:`liturgia._internal.clock.now`).
        commits: parsed commits of the release, oldest first.
        findings_summary: Markdown text about vulnerability findings, or ``None``.

    Returns:
        Markdown ending with exactly one newline.
    """
    effective = effective_commits(commits)
    lines = [f"# {name} {version}", "", f"Released {date.isoformat()}."]
    if version.is_prerelease:
        lines += ["", "This is a pre-release (SemVer 2.0.0 §9): it may not be stable."]
    breaking = [c for c in effective if c.breaking]
    if breaking:
        lines += ["", "## Breaking changes", ""]
        for commit in breaking:
            scope = f"**{commit.scope}:** " if commit.scope else ""
            notes = " ".join(_one_line(n) for n in commit.breaking_notes)
            lines.append(f"- {scope}{notes} ({commit.short_sha})")
    groups = group_changes(commits)
    for group in groups:
        lines += ["", f"## {group.title}", ""]
        lines += [f"- {entry}" for entry in group.entries]
    if not groups:
        lines += ["", "No user-facing changes."]
    if findings_summary is not None and findings_summary.strip():
        lines += ["", "## Vulnerability scan", "", findings_summary.strip()]
    lines += ["", f"_{len(commits)} conventional commit(s) since the previous release._"]
    return "\n".join(lines) + "\n"
