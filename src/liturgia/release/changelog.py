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

from liturgia.errors import InputError
from liturgia.release.commits import ConventionalCommit, effective_commits
from liturgia.release.version import Version

__all__ = [
    "CHANGELOG_HEADER",
    "ChangeGroup",
    "changelog_has_version",
    "group_changes",
    "render_changelog_section",
    "render_release_notes",
    "unreleased_notes",
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
_QUOTED_HEADER = re.compile(r"^(?P<type>[A-Za-z][A-Za-z0-9_-]*)(?:\([^()]+\))?!?: \S")
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
    if commit.type == "revert":
        target = f" of {commit.reverts[:7]}" if commit.reverts else ""
        text = f"revert{target}: {text}"
    if not commit.breaking:
        return text
    notes = [n for n in commit.breaking_notes if _one_line(n) != _one_line(commit.description)]
    detail = "".join(f" — {_one_line(n)}" for n in notes)
    return f"**BREAKING** {text}{detail}"


def _reverted_type(commit: ConventionalCommit) -> str | None:
    """The type of what a revert undoes, read from the header it quotes (``feat: x``)."""
    match = _QUOTED_HEADER.match(commit.description.strip())
    return match["type"].lower() if match else None


def _group_of(commit: ConventionalCommit) -> str | None:
    if commit.breaking:
        return "Changed"
    if commit.type == "revert":
        # A revert goes in the section of what it undoes (git's `Revert "feat: x"`, or a
        # `revert:` whose description quotes the header); unknown: Changed.
        return _TYPE_GROUP.get(_reverted_type(commit) or "", "Changed")
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


@dataclass(slots=True)
class _Section:
    """A parsed ``##`` section: heading, text before its first ``###``, and its groups."""

    heading: str
    preamble: list[str]
    groups: dict[str, list[str]]

    @classmethod
    def parse(cls, lines: Sequence[str]) -> _Section:
        heading, body = (lines[0], lines[1:]) if lines else ("", [])
        preamble: list[str] = []
        groups: dict[str, list[str]] = {}
        current = preamble
        for line in body:
            if line.startswith("### "):
                current = groups.setdefault(line[4:].strip(), [])
            else:
                current.append(line)
        return cls(
            heading=heading,
            preamble=_trim(preamble),
            groups={title: _trim(entries) for title, entries in groups.items()},
        )

    def merge(self, other: _Section) -> None:
        """Add ``other``'s lines that this section lacks (hand-written lines come first)."""
        self.preamble += [ln for ln in other.preamble if ln not in self.preamble]
        for title, entries in other.groups.items():
            mine = self.groups.setdefault(title, [])
            mine += [ln for ln in entries if ln not in mine]

    def render(self) -> list[str]:
        has_entries = any(any(ln.strip() for ln in e) for e in self.groups.values())
        preamble = [ln for ln in self.preamble if not (has_entries and ln == _NO_CHANGES)]
        lines = [self.heading]
        if preamble:
            lines += ["", *preamble]
        known = [t for t in _SECTION_ORDER if t in self.groups]
        for title in known + [t for t in self.groups if t not in _SECTION_ORDER]:
            entries = self.groups[title]
            if entries:
                lines += ["", f"### {title}", "", *entries]
        if len(lines) == 1:
            lines += ["", _NO_CHANGES]
        return lines


_NO_CHANGES = "No user-facing changes."
_HEADING_VERSION = re.compile(r"^## \[?v?(?P<version>[0-9][^\]\s]*)")


def _trim(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _heading_version(line: str) -> Version | None:
    match = _HEADING_VERSION.match(line)
    if match is None:
        return None
    try:
        return Version.parse(match["version"])
    except InputError:
        return None


def unreleased_notes(text: str | None) -> tuple[ChangeGroup, ...]:
    """The hand-written entries under ``## [Unreleased]`` (Keep a Changelog 1.1.0), by group.

    Lines before the first ``###`` heading go into a group titled ``""``.
    """
    if not text:
        return ()
    lines = text.replace("\r\n", "\n").rstrip("\n").split("\n")
    start = next((i for i, ln in enumerate(lines) if _UNRELEASED_HEADING.match(ln)), None)
    if start is None:
        return ()
    section = _Section.parse(lines[start : _section_end(lines, start)])
    groups = [ChangeGroup(title="", entries=tuple(section.preamble))] if section.preamble else []
    groups += [ChangeGroup(title=t, entries=tuple(e)) for t, e in section.groups.items() if e]
    return tuple(groups)


def update_changelog(existing: str | None, section: str, *, fold_prereleases: bool = True) -> str:
    """Put a release ``section`` into a changelog, creating the file's text when there is none.

    Idempotent: updating twice with the same section gives the same text. Rules (Keep a
    Changelog 1.1.0: newest release first, ``[Unreleased]`` at the top):

    * no text (``None`` or blank): :data:`CHANGELOG_HEADER`, ``## [Unreleased]``, the section;
    * the entries written by hand under ``## [Unreleased]`` move into the new section (group by
      group, before the generated entries), leaving ``## [Unreleased]`` empty;
    * a section for the same version exists: the generated entries it lacks are added to it, and
      everything in it (its heading and date, hand edits) stays;
    * for a final version with ``fold_prereleases``, the sections of its pre-releases
      (``## [1.3.0-rc.1]``...) are folded into it: their entries merged, their headings removed;
    * a new section goes after ``## [Unreleased]``, else before the first ``## `` heading, else
      at the end (before link reference definitions). Older sections are never changed.

    Args:
        existing: the current CHANGELOG.md text, or ``None``.
        section: a section from :func:`render_changelog_section` (its first line is the heading).
        fold_prereleases: fold pre-release sections into a final release's section
            (``[project].prerelease_changelog = "fold"``); ``False`` keeps them.

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
    generated = _Section.parse(block)
    version = _heading_version(block[0])
    merged = _Section(heading=block[0], preamble=[], groups={})
    same = None if version is None else _heading_pattern(version)
    found = next((i for i, ln in enumerate(lines) if same and same.match(ln)), None)
    if found is not None:
        merged = _Section.parse(lines[found : _section_end(lines, found)])
    unreleased = next((i for i, ln in enumerate(lines) if _UNRELEASED_HEADING.match(ln)), None)
    if unreleased is not None:
        end = _section_end(lines, unreleased)
        merged.merge(_Section.parse(lines[unreleased:end]))
        lines[unreleased:end] = [lines[unreleased], ""]
    if version is not None and fold_prereleases and not version.is_prerelease:
        index = 0
        folded: list[_Section] = []
        while index < len(lines):
            other = _heading_version(lines[index])
            if other is not None and other.is_prerelease and other.core == version.core:
                end = _section_end(lines, index)
                folded.append(_Section.parse(lines[index:end]))
                del lines[index:end]
            else:
                index += 1
        for old in reversed(folded):  # oldest pre-release first
            merged.merge(old)
    merged.merge(generated)
    found = next((i for i, ln in enumerate(lines) if same and same.match(ln)), None)
    if found is not None:
        insert_at = found
        del lines[found : _section_end(lines, found)]
    else:
        unreleased = next((i for i, ln in enumerate(lines) if _UNRELEASED_HEADING.match(ln)), None)
        if unreleased is not None:
            insert_at = _section_end(lines, unreleased)
        else:
            insert_at = next(
                (i for i, ln in enumerate(lines) if _H2.match(ln) or _LINK_DEFINITION.match(ln)),
                len(lines),
            )
    before = _trim(lines[:insert_at]) if any(ln.strip() for ln in lines[:insert_at]) else []
    after = _trim(lines[insert_at:])
    joined = [*before, "", *merged.render()] if before else merged.render()
    if after:
        joined += ["", *after]
    return "\n".join(joined) + "\n"


#: RELEASE_NOTES.md sections per Conventional Commits type, in this order; other types follow
#: under their own name. ``docs``, ``chore``, ``ci``, ``test``, ``build`` and ``style`` are
#: left out as in the changelog.
_NOTES_SECTIONS = {
    "feat": "Features",
    "fix": "Bug fixes",
    "perf": "Performance",
    "refactor": "Refactoring",
    "revert": "Reverts",
}
_QUIET_TYPES = frozenset({"docs", "chore", "ci", "test", "build", "style"})


def _notes_entry(commit: ConventionalCommit) -> str:
    scope = f"**{commit.scope}:** " if commit.scope else ""
    text = f"{scope}{_one_line(commit.description)} ({commit.short_sha})"
    if commit.type == "revert" and commit.reverts:
        text += f", reverts {commit.reverts[:7]}"
    return text


def render_release_notes(
    name: str,
    version: Version,
    date: date,
    commits: Sequence[ConventionalCommit],
    *,
    findings_summary: str | None = None,
    hand_notes: Sequence[ChangeGroup] = (),
    others: Sequence[tuple[str, str]] = (),
    contributors: Sequence[str] = (),
) -> str:
    """Render RELEASE_NOTES.md for one release.

    Layout: ``# <name> <version>`` and the date; ``## Breaking changes`` first, each with its
    migration note (the ``BREAKING CHANGE`` footer, Conventional Commits items 12/13), and
    listed there only, not again under its type; ``## Notes`` with the hand-written entries of
    ``## [Unreleased]``; one section per type (Features, Bug fixes, Performance, Refactoring,
    Reverts, then other types but docs/chore/ci/test/build/style); ``## Vulnerability scan``;
    ``## Commits that are not Conventional Commits``; ``## Contributors``; the commit count.

    Args:
        name: the project name.
        version: the version being released.
        date: the release date (from :func:`liturgia._internal.clock.now`).
        commits: parsed commits of the release, oldest first (reverted pairs cancel out).
        findings_summary: Markdown text about vulnerability findings, or ``None``.
        hand_notes: entries written by hand under ``## [Unreleased]``
            (:func:`unreleased_notes`).
        others: ``(short sha, subject)`` of the commits that are not Conventional Commits.
        contributors: authors' names, in the order to list them.

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
            notes = [_one_line(n) for n in commit.breaking_notes]
            head = _one_line(commit.description)
            migration = "".join(f" — {n}" for n in notes if n != head)
            lines.append(f"- {scope}{head}{migration} ({commit.short_sha})")
    hand = [entry for group in hand_notes for entry in group.entries]
    if hand:
        lines += ["", "## Notes", "", *hand]
    by_type: dict[str, list[str]] = {}
    for commit in effective:
        if not commit.breaking and commit.type not in _QUIET_TYPES:
            by_type.setdefault(commit.type, []).append(_notes_entry(commit))
    order = [t for t in _NOTES_SECTIONS if t in by_type] + sorted(
        t for t in by_type if t not in _NOTES_SECTIONS
    )
    for kind in order:
        lines += ["", f"## {_NOTES_SECTIONS.get(kind, kind)}", ""]
        lines += [f"- {entry}" for entry in by_type[kind]]
    if not breaking and not hand and not order:
        lines += ["", "No user-facing changes."]
    if findings_summary is not None and findings_summary.strip():
        lines += ["", "## Vulnerability scan", "", findings_summary.strip()]
    if others:
        lines += ["", "## Commits that are not Conventional Commits", ""]
        lines += [f"- {_one_line(subject)} ({sha})" for sha, subject in others]
    if contributors:
        lines += ["", "## Contributors", "", *(f"- {who}" for who in contributors)]
    lines += ["", f"_{len(commits)} conventional commit(s) since the previous release._"]
    return "\n".join(lines) + "\n"
