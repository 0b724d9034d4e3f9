"""Version orderings per ecosystem and severity ratings."""

from __future__ import annotations

import pytest

from liturgia.vuln.ecosystems import canonical_ecosystem, normalize_name, package_from_purl
from liturgia.vuln.severity import Severity, assess_severity, rating_for_score
from liturgia.vuln.versions import ordering_for


def _sorted(ecosystem: str, versions: list[str], range_type: str = "ECOSYSTEM") -> list[str]:
    ordering = ordering_for(ecosystem, range_type)
    return sorted(versions, key=ordering.key)


def test_semver_precedence_spec_example() -> None:
    # SemVer 2.0.0 §11 example order.
    expected = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"]  # fmt: skip
    assert _sorted("npm", list(reversed(expected))) == expected
    key = ordering_for("npm").key
    assert key("1.0") == key("1.0.0") == key("v1.0.0+build.5")
    assert key("1.0.0.1") > key("1.0.0")


def test_go_pseudo_versions_and_toolchains() -> None:
    key = ordering_for("Go").key
    assert key("v0.0.0-20150717181359-44718f8a89b0") < key("v0.0.1")
    assert key("v1.2.3") < key("v1.2.4-0.20191109021931-daa7c04131f5") < key("v1.2.4")
    assert key("v2.7.0+incompatible") == key("2.7.0")
    assert key("go1.21rc2") == key("1.21.0-rc.2") < key("go1.21") == key("1.21.0")
    assert key("go1.21.3") == key("v1.21.3")


def test_nuget_prerelease_case_insensitive() -> None:
    key = ordering_for("NuGet").key
    assert key("1.0.0-RC.1") == key("1.0.0-rc.1")
    assert key("1.0.0.0") == key("1.0.0")


@pytest.mark.parametrize("ecosystem", ["RubyGems", "Packagist"])
def test_generic_ordering(ecosystem: str) -> None:
    expected = ["1.0-alpha1", "1.0-beta2", "1.0-rc1", "1.0", "1.0-sp1", "1.0.1", "1.1", "2"]
    assert _sorted(ecosystem, list(reversed(expected))) == expected
    key = ordering_for(ecosystem).key
    assert key("1.0") == key("1.0.0") == key("1.0.0.Final")
    assert key("1.0.a") < key("1.0")
    assert key("v1.2.3") == key("1.2.3") < key("v1.10")
    with pytest.raises(ValueError, match="is not a version"):
        key("...")


@pytest.mark.parametrize(
    ("ecosystem", "version"), [("PyPI", "0.2.0-n653"), ("npm", "latest"), ("npm", "1.0.0-a..b")]
)
def test_invalid_versions(ecosystem: str, version: str) -> None:
    with pytest.raises(ValueError, match=version.replace(".", r"\.")):
        ordering_for(ecosystem).key(version)


def test_ecosystem_names_and_purls() -> None:
    assert canonical_ecosystem("pypi") == "PyPI"
    assert canonical_ecosystem("Maven:https://maven.google.com") == "Maven"
    assert canonical_ecosystem("Debian:12") == "Debian:12"
    assert canonical_ecosystem("npm:x") == "npm:x"
    assert normalize_name("PyPI", "Zope_Interface") == "zope-interface"
    key, version = package_from_purl("pkg:maven/org.apache/commons-text@1.9")
    assert (key.ecosystem, key.name, version) == ("Maven", "org.apache:commons-text", "1.9")
    key, version = package_from_purl("pkg:golang/github.com/gin-gonic/gin@v1.6.0")
    assert (key.ecosystem, key.name, version) == ("Go", "github.com/gin-gonic/gin", "v1.6.0")
    with pytest.raises(ValueError, match="no OSV ecosystem"):
        package_from_purl("pkg:generic/thing@1")


def test_severity_ranks_and_ratings() -> None:
    assert [rating_for_score(s) for s in (0.0, 0.1, 3.9, 4.0, 6.9, 7.0, 8.9, 9.0)] == [
        Severity.NONE, Severity.LOW, Severity.LOW, Severity.MEDIUM, Severity.MEDIUM,
        Severity.HIGH, Severity.HIGH, Severity.CRITICAL,
    ]  # fmt: skip
    assert Severity.UNKNOWN.rank == Severity.HIGH.rank
    assert Severity.UNKNOWN.rank_with(unknown_as=Severity.CRITICAL) == 4
    with pytest.raises(ValueError, match="known severity"):
        Severity.LOW.rank_with(unknown_as=Severity.UNKNOWN)


def test_cvss_v4_preferred_over_v3() -> None:
    vectors = (
        ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        ("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N"),
    )
    assessment, problems = assess_severity(vectors, "CRITICAL")
    assert (assessment.severity, assessment.score, problems) == (Severity.MEDIUM, 5.1, ())
    bad_word, problems = assess_severity((("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P"),), "SEVERE")
    assert bad_word.severity is Severity.UNKNOWN
    assert problems == ("unknown database_specific.severity 'SEVERE'",)
    bad_v4, problems = assess_severity((("CVSS_V4", "CVSS:4.0/AV:Z"),), None)
    assert bad_v4.severity is Severity.UNKNOWN
    assert problems == ("invalid CVSS_V4 vector 'CVSS:4.0/AV:Z'",)
