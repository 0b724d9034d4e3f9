"""Keep a Changelog 1.1.0 sections, CHANGELOG.md updates and RELEASE_NOTES.md."""

from __future__ import annotations

from datetime import date

import pytest

from liturgia.release.changelog import (
    CHANGELOG_HEADER,
    changelog_has_version,
    group_changes,
    render_changelog_section,
    render_release_notes,
    update_changelog,
)
from liturgia.release.commits import ConventionalCommit, parse_message
from liturgia.release.version import Version

DAY = date(2026, 3, 14)


def commits(*messages: str) -> list[ConventionalCommit]:
    out = []
    for index, message in enumerate(messages):
        parsed = parse_message(f"{index + 1:x}" * 40, message)
        assert parsed is not None
        out.append(parsed)
    return out


def section(version: str, *messages: str) -> str:
    return render_changelog_section(Version.parse(version), DAY, commits(*messages))


def test_section_groups_in_keep_a_changelog_order():
    text = section(
        "1.4.0",
        "fix(parser): handle tabs",
        "feat(cli): add --json",
        "docs: readme",
        "perf: faster hashing",
        "refactor(core): split module",
        "chore: bump deps",
        "feat: second feature",
    )
    assert text == (
        "## [1.4.0] - 2026-03-14\n"
        "\n### Added\n\n"
        "- **cli:** add --json (2222222)\n"
        "- second feature (7777777)\n"
        "\n### Changed\n\n"
        "- faster hashing (4444444)\n"
        "- **core:** split module (5555555)\n"
        "\n### Fixed\n\n"
        "- **parser:** handle tabs (1111111)\n"
    )


def test_breaking_changes_go_to_changed_marked_with_their_note():
    text = section(
        "2.0.0",
        "feat(api)!: remove v1 endpoints\n\nBREAKING CHANGE: clients must use /v2",
        "fix!: stricter parsing",
    )
    assert text == (
        "## [2.0.0] - 2026-03-14\n"
        "\n### Changed\n\n"
        "- **BREAKING** **api:** remove v1 endpoints (1111111) — clients must use /v2\n"
        "- **BREAKING** stricter parsing (2222222)\n"
    )


def test_release_without_user_facing_changes_still_has_a_heading():
    text = section("1.0.1", "docs: x", "chore: y")
    assert text == "## [1.0.1] - 2026-03-14\n\nNo user-facing changes.\n"


def test_reverted_feature_is_absent_and_outside_revert_is_listed():
    a = "1" * 40
    text = section(
        "1.1.0",
        "feat: shiny",
        f'Revert "feat: shiny"\n\nThis reverts commit {a}.',
        f'Revert "feat: released earlier"\n\nThis reverts commit {"f" * 40}.',
    )
    assert "shiny" not in text
    # Issue 14: a revert is listed as the revert of the commit it names, in the section of
    # what it undoes (a feature: Added).
    assert "### Added\n\n- revert of fffffff: feat: released earlier (3333333)\n" in text
    fix = section("1.1.1", f"revert: fix: retry twice\n\nRefs: {'e' * 12}")
    assert "### Fixed\n\n- revert of eeeeeee: fix: retry twice (1111111)\n" in fix
    unknown = section("1.1.2", "revert: the last change")
    assert "### Changed\n\n- revert: the last change (1111111)\n" in unknown


def test_multiline_description_and_footer_are_one_line_entries():
    (group,) = group_changes(commits("feat!: x\n\nBREAKING CHANGE: first line\n  continues here"))
    assert group.entries == ("**BREAKING** x (1111111) — first line continues here",)


def test_new_changelog_has_standard_header_and_unreleased():
    text = update_changelog(None, section("0.1.0", "feat: first"))
    assert text.startswith(CHANGELOG_HEADER + "\n## [Unreleased]\n\n## [0.1.0] - 2026-03-14\n")
    assert text.endswith("- first (1111111)\n")
    assert update_changelog("  \n", section("0.1.0", "feat: first")) == text


def test_unreleased_entries_move_into_the_release():
    existing = (
        "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- hand-written entry\n\n"
        "## [1.0.0] - 2025-01-01\n\n### Added\n\n- old\n\n"
        "[unreleased]: https://example.invalid/compare/v1.0.0...HEAD\n"
        "[1.0.0]: https://example.invalid/releases/tag/v1.0.0\n"
    )
    new = update_changelog(existing, section("1.1.0", "feat: new"))
    # Issue 14: the hand-written entry moves into the released section, before the generated.
    assert new == (
        "# Changelog\n\n## [Unreleased]\n\n"
        "## [1.1.0] - 2026-03-14\n\n### Added\n\n- hand-written entry\n- new (1111111)\n\n"
        "## [1.0.0] - 2025-01-01\n\n### Added\n\n- old\n\n"
        "[unreleased]: https://example.invalid/compare/v1.0.0...HEAD\n"
        "[1.0.0]: https://example.invalid/releases/tag/v1.0.0\n"
    )


def test_insert_before_first_release_when_no_unreleased():
    existing = "# Changelog\n\nIntro.\n\n## [1.0.0] - 2025-01-01\n\n- old\n"
    new = update_changelog(existing, section("1.1.0", "fix: bug"))
    assert new == (
        "# Changelog\n\nIntro.\n\n## [1.1.0] - 2026-03-14\n\n### Fixed\n\n- bug (1111111)\n\n"
        "## [1.0.0] - 2025-01-01\n\n- old\n"
    )


def test_append_when_there_is_no_release_heading():
    new = update_changelog("# Changelog\n\nNothing yet.\n", section("0.1.0", "feat: a"))
    assert (
        new
        == "# Changelog\n\nNothing yet.\n\n## [0.1.0] - 2026-03-14\n\n### Added\n\n- a (1111111)\n"
    )


def test_update_is_idempotent_and_replaces_same_version():
    first = update_changelog(None, section("0.1.0", "feat: a"))
    again = update_changelog(first, section("0.1.0", "feat: a"))
    assert again == first
    second = update_changelog(first, section("0.2.0", "fix: b"))
    assert update_changelog(second, section("0.2.0", "fix: b")) == second
    # A re-run with different commits replaces the section, never duplicates it.
    replaced = update_changelog(second, section("0.2.0", "fix: b", "feat: c"))
    assert replaced.count("## [0.2.0]") == 1
    assert "- c (2222222)" in replaced
    assert replaced.index("## [0.2.0]") < replaced.index("## [0.1.0]")


def test_updating_the_last_section_keeps_hand_edits_and_link_definitions():
    # Issue 14: hand edits in a section survive; only missing generated entries are added.
    existing = (
        "# C\n\n## [1.0.0] - 2025-01-01\n\n- old\n\n[1.0.0]: https://example.invalid/v1.0.0\n"
    )
    new = update_changelog(existing, section("1.0.0", "fix: z"))
    assert new == (
        "# C\n\n## [1.0.0] - 2025-01-01\n\n- old\n\n### Fixed\n\n- z (1111111)\n\n"
        "[1.0.0]: https://example.invalid/v1.0.0\n"
    )
    assert update_changelog(new, section("1.0.0", "fix: z")) == new


def test_update_does_not_confuse_similar_versions():
    existing = update_changelog(None, section("1.2.30", "feat: a"))
    new = update_changelog(existing, section("1.2.3", "fix: b"))
    assert new.count("## [1.2.30]") == 1
    assert new.count("## [1.2.3]") == 1
    assert new.index("## [1.2.3]") < new.index("## [1.2.30]")


def test_crlf_changelog_is_normalised():
    existing = "# Changelog\r\n\r\n## [Unreleased]\r\n\r\n## [1.0.0] - 2025-01-01\r\n\r\n- old\r\n"
    new = update_changelog(existing, section("1.0.1", "fix: b"))
    assert "\r" not in new
    assert new.index("## [1.0.1]") < new.index("## [1.0.0]")


@pytest.mark.parametrize(
    ("text", "version", "expected"),
    [
        ("## [1.2.3] - 2024-01-01\n", "1.2.3", True),
        ("# C\n\n## [v1.2.3]\n", "1.2.3", True),
        ("## 1.2.3 (2024-01-01)\n", "1.2.3", True),
        ("## 1.2.3\n", "1.2.3", True),
        ("## [1.2.30] - 2024-01-01\n", "1.2.3", False),
        ("## [1.2.3-rc.1] - 2024-01-01\n", "1.2.3", False),
        ("## [1.2.3-rc.1] - 2024-01-01\n", "1.2.3-rc.1", True),
        ("### [1.2.3]\n", "1.2.3", False),
        ("see [1.2.3] below\n", "1.2.3", False),
        ("", "1.2.3", False),
    ],
)
def test_changelog_has_version(text, version, expected):
    assert changelog_has_version(text, Version.parse(version)) is expected


def test_release_notes():
    notes = render_release_notes(
        "vertice",
        Version.parse("2.0.0"),
        DAY,
        commits(
            "feat(api)!: remove v1\n\nBREAKING CHANGE: use /v2",
            "feat: dark mode",
            "fix: crash on empty input",
            "docs: typo",
        ),
        findings_summary="No known vulnerabilities in 12 components.\n",
    )
    # Issue 14: breaking changes first with their migration note, listed once (not again
    # under their type); then one section per type.
    assert notes == (
        "# vertice 2.0.0\n\nReleased 2026-03-14.\n"
        "\n## Breaking changes\n\n- **api:** remove v1 — use /v2 (1111111)\n"
        "\n## Features\n\n- dark mode (2222222)\n"
        "\n## Bug fixes\n\n- crash on empty input (3333333)\n"
        "\n## Vulnerability scan\n\nNo known vulnerabilities in 12 components.\n"
        "\n_4 conventional commit(s) since the previous release._\n"
    )


def test_release_notes_prerelease_and_empty():
    notes = render_release_notes("x", Version.parse("1.0.0-rc.1"), DAY, [], findings_summary=" ")
    assert notes == (
        "# x 1.0.0-rc.1\n\nReleased 2026-03-14.\n\n"
        "This is a pre-release (SemVer 2.0.0 §9): it may not be stable.\n\n"
        "No user-facing changes.\n\n_0 conventional commit(s) since the previous release._\n"
    )


@pytest.mark.parametrize("heading", ["## [Unreleased]", "## Unreleased", "## [UNRELEASED]"])
def test_unreleased_heading_variants(heading):
    # Issue 14: hand-written notes under Unreleased move into the released section.
    existing = f"# Changelog\n\n{heading}\n\n- wip\n\n## [1.0.0] - 2025-01-01\n"
    new = update_changelog(existing, section("1.1.0", "fix: b"))
    assert (
        new.index(heading) < new.index("## [1.1.0]") < new.index("- wip") < new.index("## [1.0.0]")
    )
    assert new.count("- wip") == 1
