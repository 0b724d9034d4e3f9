"""Property tests: SemVer round trips and order laws, changelog update idempotence."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liturgia.errors import InputError
from liturgia.release.changelog import (
    changelog_has_version,
    render_changelog_section,
    update_changelog,
)
from liturgia.release.commits import parse_message
from liturgia.release.version import Version, bump_for, next_version

_ALNUM = st.from_regex(r"[0-9A-Za-z-]*[A-Za-z-][0-9A-Za-z-]*", fullmatch=True).filter(
    lambda s: len(s) <= 8
)
_NUMERIC = st.integers(min_value=0, max_value=10**6).map(str)
_PRE_ID = st.one_of(_ALNUM, _NUMERIC)
_BUILD_ID = st.from_regex(r"[0-9A-Za-z-]{1,8}", fullmatch=True)
_NUM = st.integers(min_value=0, max_value=50)
# The machines are shared and loaded: a slow draw is not a failure of the property.

versions = st.builds(
    Version,
    major=_NUM,
    minor=_NUM,
    patch=_NUM,
    prerelease=st.lists(_PRE_ID, max_size=3).map(tuple),
    build=st.lists(_BUILD_ID, max_size=2).map(tuple),
)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(versions)
def test_text_round_trip(version):
    assert Version.parse(str(version)) == version


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(versions, versions)
def test_order_is_total_on_precedence_and_ignores_build(a, b):
    assert (a < b) + (b < a) + (a.precedence_key() == b.precedence_key()) == 1
    assert (a <= b) == (not b < a)
    if a.precedence_key() == b.precedence_key():
        # No leading zeros (§9), so equal precedence means equal text but for build metadata.
        assert (a.core, a.prerelease) == (b.core, b.prerelease)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(versions, versions, versions)
def test_order_is_transitive(a, b, c):
    if a < b and b < c:
        assert a < c


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(versions)
def test_release_ranks_above_its_prereleases(version):
    if version.is_prerelease:
        assert version < version.core


_MESSAGES = st.sampled_from(
    [
        "feat: add a",
        "feat(ui): add b",
        "fix: repair c",
        "fix(api)!: break d",
        "perf: faster e",
        "docs: f",
        "chore: g\n\nBREAKING CHANGE: h",
        "refactor: i",
    ]
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(_MESSAGES, min_size=1, max_size=8), versions)
def test_next_version_is_greater_than_last(messages, last):
    commits = [parse_message(f"{i:040x}", m) for i, m in enumerate(messages)]
    parsed = [c for c in commits if c is not None]
    if bump_for(parsed).value == "none":
        return
    last_release = Version(
        major=last.major, minor=last.minor, patch=last.patch, prerelease=last.prerelease
    )
    assert next_version(last_release, parsed) > last_release
    try:
        candidate = next_version(last_release, parsed, prerelease="rc")
    except InputError as exc:
        assert "would not rank above the latest release" in str(exc)
    else:
        assert candidate > last_release


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(_MESSAGES, min_size=0, max_size=4), _NUM, _NUM),
        min_size=1,
        max_size=5,
    )
)
def test_updates_are_idempotent_and_keep_every_version(releases):
    text: str | None = None
    seen: list[Version] = []
    for messages, minor, patch in releases:
        version = Version(major=1, minor=minor, patch=patch)
        commits = [parse_message(f"{i:040x}", m) for i, m in enumerate(messages)]
        section = render_changelog_section(
            version, date(2026, 1, 1), [c for c in commits if c is not None]
        )
        text = update_changelog(text, section)
        assert update_changelog(text, section) == text
        seen.append(version)
        for earlier in seen:
            assert changelog_has_version(text, earlier)
        assert text.count(f"## [{version}]") == 1
    assert text is not None
    assert text.endswith("\n")
    assert not text.endswith("\n\n")


def _spec_compare(a: Version, b: Version) -> int:
    """SemVer 2.0.0 §11 written out step by step from the spec text, independently of
    ``Version.precedence_key``: -1, 0 or 1."""
    for x, y in ((a.major, b.major), (a.minor, b.minor), (a.patch, b.patch)):  # §11.2
        if x != y:
            return -1 if x < y else 1
    if not a.prerelease or not b.prerelease:  # §11.3: a release ranks above a pre-release
        return (not a.prerelease) - (not b.prerelease)
    for x, y in zip(a.prerelease, b.prerelease, strict=False):  # §11.4
        if x == y:
            continue
        if x.isdigit() and y.isdigit():  # §11.4.1: numerically
            return -1 if int(x) < int(y) else 1
        if x.isdigit() != y.isdigit():  # §11.4.3: numeric identifiers rank lower
            return -1 if x.isdigit() else 1
        return -1 if x < y else 1  # §11.4.2: ASCII sort order
    # §11.4.4: a larger set of fields ranks higher when all preceding ones are equal.
    return (len(a.prerelease) > len(b.prerelease)) - (len(a.prerelease) < len(b.prerelease))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(versions, versions)
def test_precedence_is_the_spec_comparison(a, b):
    expected = _spec_compare(a, b)
    assert (a < b) == (expected < 0)
    assert (a > b) == (expected > 0)
    assert (a.precedence_key() == b.precedence_key()) == (expected == 0)
    assert sorted([a, b], key=Version.precedence_key)[0] <= sorted([a, b])[1]


_HAND = st.lists(
    st.sampled_from(["- hand one", "- hand two", "Some prose.", "- **x:** y"]),
    max_size=3,
    unique=True,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    _HAND,
    st.lists(_MESSAGES, max_size=4),
    st.sampled_from(["Added", "Security", "Fixed"]),
    st.booleans(),
)
def test_changelog_generation_is_idempotent_with_hand_written_notes(
    hand, messages, group, prerelease_first
):
    # Hand-written Unreleased notes and hand edits in older sections: a second update with the
    # same section adds nothing, the notes appear once, and the old section is unchanged.
    old = "## [0.9.0] - 2025-01-01\n\n### Fixed\n\n- old fix, edited by hand\n"
    unreleased = "\n".join(["## [Unreleased]", "", f"### {group}", "", *hand]) if hand else ""
    text = "# Changelog\n\n" + (unreleased + "\n\n" if unreleased else "") + old
    commits = [parse_message(f"{i:040x}", m) for i, m in enumerate(messages)]
    parsed = [c for c in commits if c is not None]
    if prerelease_first:
        rc = render_changelog_section(Version.parse("1.0.0-rc.1"), date(2026, 1, 1), parsed)
        text = update_changelog(text, rc)
    section = render_changelog_section(Version.parse("1.0.0"), date(2026, 1, 2), parsed)
    once = update_changelog(text, section)
    assert update_changelog(once, section) == once
    for line in hand:
        assert once.count(line) == 1
    assert once.endswith(old)
    assert "## [1.0.0-rc.1]" not in once
