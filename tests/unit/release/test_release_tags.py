"""Tag formats and version schemes (SemVer 2.0.0, PEP 440) of release tags."""

from __future__ import annotations

import pytest

from liturgia.errors import ConfigError, InputError
from liturgia.release.tags import TagFormat, VersionScheme
from liturgia.release.version import Version

SEMVER = TagFormat()
PEP440 = TagFormat(scheme=VersionScheme.PEP440)
CLI = TagFormat(pattern="cli/v{version}")


@pytest.mark.parametrize(
    ("fmt", "tag", "version"),
    [
        (SEMVER, "v1.2.3", "1.2.3"),
        (SEMVER, "v1.3.0-rc.1", "1.3.0-rc.1"),
        (SEMVER, "v1.3.0+build.7", "1.3.0+build.7"),
        (SEMVER, "v3.0.0rc1", None),  # PEP 440 spelling: named by foreign(), not read
        (SEMVER, "v01.2.3", None),  # SemVer §2: no leading zeros
        (SEMVER, "vnext", None),
        (SEMVER, "1.2.3", None),
        (CLI, "cli/v1.2.3", "1.2.3"),
        (CLI, "web/v1.2.3", None),
        (CLI, "v1.2.3", None),
        (PEP440, "v3.0.0", "3.0.0"),
        (PEP440, "v3.0.0rc1", "3.0.0-rc.1"),
        (PEP440, "v3.0.0a2", "3.0.0-alpha.2"),
        (PEP440, "v3.0.0b10", "3.0.0-beta.10"),
        (PEP440, "v3.0.0-rc.1", None),
        (PEP440, "v03.0.0", None),
        (TagFormat(pattern="release-{version}-final"), "release-2.0.0-final", "2.0.0"),
    ],
)
def test_parse(fmt: TagFormat, tag: str, version: str | None) -> None:
    found = fmt.parse(tag)
    assert (str(found) if found is not None else None) == version


def test_pep440_order_is_semver_order() -> None:
    # PEP 440 "Summary of permitted suffixes and relative ordering": aN < bN < rcN < release;
    # the SemVer values they are read as order the same way (§11.4.2 ASCII: alpha < beta < rc).
    tags = ["v3.0.0", "v3.0.0rc2", "v3.0.0a1", "v3.0.0b1", "v3.0.0rc10", "v2.9.9"]
    ordered = sorted(tags, key=lambda t: PEP440.parse(t).precedence_key())  # type: ignore[union-attr]
    assert ordered == ["v2.9.9", "v3.0.0a1", "v3.0.0b1", "v3.0.0rc2", "v3.0.0rc10", "v3.0.0"]


def test_names_round_trip_in_each_scheme() -> None:
    for text, semver_tag, pep_tag in [
        ("1.2.3", "v1.2.3", "v1.2.3"),
        ("1.3.0-rc.2", "v1.3.0-rc.2", "v1.3.0rc2"),
        ("1.3.0-alpha.1", "v1.3.0-alpha.1", "v1.3.0a1"),
        ("1.3.0-beta.4", "v1.3.0-beta.4", "v1.3.0b4"),
    ]:
        version = Version.parse(text)
        assert SEMVER.name(version) == semver_tag
        assert PEP440.name(version) == pep_tag
        assert PEP440.parse(pep_tag) == version
    assert CLI.name(Version.parse("0.4.0")) == "cli/v0.4.0"
    assert CLI.glob == "cli/v*"


@pytest.mark.parametrize("text", ["1.3.0-dev.1", "1.3.0-rc", "1.3.0+b.1", "1.3.0-rc.1.2"])
def test_pep440_cannot_spell_every_prerelease(text: str) -> None:
    with pytest.raises(InputError, match="PEP 440"):
        PEP440.name(Version.parse(text))


def test_foreign_tags_name_the_setting() -> None:
    assert SEMVER.foreign("v3.0.0rc1") == (
        "tag v3.0.0rc1 is spelled in PEP 440, not SemVer: set project.version_scheme = "
        "'pep440' to read it"
    )
    assert PEP440.foreign("v3.0.0-rc.1") == (
        "tag v3.0.0-rc.1 is spelled in SemVer, not PEP 440: set project.version_scheme = "
        "'semver' to read it"
    )
    assert SEMVER.foreign("v1.2.3") is None  # read: not foreign
    assert SEMVER.foreign("vnext") is None  # not a version at all
    assert SEMVER.foreign("other") is None


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("v", "exactly once"),
        ("{version}{version}", "exactly once"),
        ("{name}-{version}", "only placeholder"),
        ("v {version}", "not a valid git tag name"),
        ("v{version}.lock", "not a valid git tag name"),
        ("-v{version}", "not a valid git tag name"),
        ("v{version}~", "not a valid git tag name"),
        ("a//v{version}", "not a valid git tag name"),
    ],
)
def test_malformed_formats(pattern: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=rf"project\.tag_format .*{reason}"):
        TagFormat(pattern=pattern)
