"""RELEASE_NOTES.md and CHANGELOG.md text of a planned version (one place for CLI and pipeline).

``liturgia notes`` and the release's notes stage both call these, so the notes a person previews
are the notes the release writes.
"""

from __future__ import annotations

from datetime import date

from liturgia.release.changelog import (
    render_changelog_section,
    render_release_notes,
    unreleased_notes,
    update_changelog,
)
from liturgia.release.plan import VersionPlan

__all__ = ["changelog_text", "contributors", "notes_text"]


def contributors(plan: VersionPlan) -> tuple[str, ...]:
    """Authors and ``Co-authored-by:`` names of the plan's commits, each once, sorted.

    Names are compared and sorted ignoring case (``str.casefold``, so non-ASCII names sort
    sensibly and the same name typed twice in two cases is listed once).
    """
    seen: dict[str, str] = {}
    for commit in plan.commits:
        for name in (commit.author, *commit.co_authors):
            if name:
                seen.setdefault(name.casefold(), name)
    return tuple(seen[key] for key in sorted(seen))


def notes_text(
    plan: VersionPlan,
    name: str,
    today: date,
    *,
    existing_changelog: str | None,
    findings_summary: str | None = None,
) -> str:
    """RELEASE_NOTES.md of ``plan.version`` (see :func:`render_release_notes`).

    Args:
        plan: the planned version and its commits.
        name: the project name.
        today: the release date.
        existing_changelog: the project's CHANGELOG.md text (its ``## [Unreleased]`` entries
            go into the notes), or ``None``.
        findings_summary: the scan's summary, or ``None``.
    """
    return render_release_notes(
        name,
        plan.version,
        today,
        plan.parsed,
        findings_summary=findings_summary,
        hand_notes=unreleased_notes(existing_changelog),
        others=tuple((c.sha[:7], c.subject) for c in plan.unparsed),
        contributors=contributors(plan),
    )


def changelog_text(
    plan: VersionPlan, today: date, *, existing: str | None, fold_prereleases: bool
) -> str:
    """The project's CHANGELOG.md with ``plan.version``'s section (see :func:`update_changelog`)."""
    section = render_changelog_section(plan.version, today, plan.parsed)
    return update_changelog(existing, section, fold_prereleases=fold_prereleases)
