"""Maven version order against Maven's own documentation and test suite (data in data/)."""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path
from typing import Any

import pytest

from liturgia.vuln.advisory import Advisory, AffectedPackage, AffectedRange, RangeEvent
from liturgia.vuln.matching import VersionKeys, compile_entry
from liturgia.vuln.orderings.maven import canonical, maven_key
from liturgia.vuln.versions import ordering_for

CASES: dict[str, Any] = tomllib.loads(
    (Path(__file__).parent / "data" / "maven_versions.toml").read_text(encoding="utf-8")
)


def _ascending_pairs() -> list[tuple[str, str, str]]:
    pairs: list[tuple[str, str, str]] = []
    for case in CASES["order"]:
        if "versions" in case:
            pairs += [
                (case["source"], a, b) for a, b in itertools.combinations(case["versions"], 2)
            ]
        pairs += [(case["source"], a, b) for a, b in case.get("pairs", [])]
    for qualifier in CASES["mng7644"]["qualifiers"]:
        pairs.append(("MNG-7644", f"1.0.0.{qualifier}1", f"1.0.0-{qualifier}2"))
    return pairs


def _equal_pairs() -> list[tuple[str, str, str]]:
    return [
        (case["source"], a, b)
        for case in CASES["equal"]
        for group in case["groups"]
        for a, b in itertools.combinations(group, 2)
    ]


@pytest.mark.parametrize(("source", "low", "high"), _ascending_pairs())
def test_ascending(source: str, low: str, high: str) -> None:
    assert maven_key(low) < maven_key(high), source
    assert maven_key(high) > maven_key(low), source
    assert maven_key(low) != maven_key(high)
    assert canonical(low) != canonical(high)


@pytest.mark.parametrize(("source", "left", "right"), _equal_pairs())
def test_equal(source: str, left: str, right: str) -> None:
    assert maven_key(left) == maven_key(right), source
    assert not maven_key(left) < maven_key(right)
    assert maven_key(left) <= maven_key(right) and maven_key(left) >= maven_key(right)
    assert hash(maven_key(left)) == hash(maven_key(right))
    assert canonical(left) == canonical(right)


def test_sorting_the_qualifier_table_restores_it() -> None:
    expected = CASES["order"][0]["versions"]
    shuffled = expected[1::2] + expected[0::2]
    assert sorted(shuffled, key=maven_key) == expected


def test_ordering_for_maven_and_invalid() -> None:
    ordering = ordering_for("Maven")
    assert ordering.name == "Maven"
    assert ordering.key("1.0.RELEASE") == ordering.key("1")
    assert ordering.canonical("1.0-sp1") == ordering.canonical("1-sp-1")
    with pytest.raises(ValueError, match="is not a Maven version"):
        ordering.key("  ")
    assert maven_key("1") != "1"
    assert repr(maven_key("1.0-RC1.2")) == "MavenKey('[1,[q3+1,2]]')"


def test_vendor_build_after_the_fixed_release_is_not_affected() -> None:
    # The false positive of issue 17: a CloudBees build 2.414.2-cb-5 of Jenkins core, against
    # a record fixed in 2.414.2, was reported because "cb" ranked as a pre-release.
    affected = AffectedPackage(
        ecosystem="Maven",
        name="org.jenkins-ci.main:jenkins-core",
        ranges=(
            AffectedRange(
                type="ECOSYSTEM",
                events=(RangeEvent(kind="introduced", version="0"),
                        RangeEvent(kind="fixed", version="2.414.2")),
            ),
        ),
    )  # fmt: skip
    entry = compile_entry(Advisory(id="GHSA-test", affected=(affected,)), affected)
    assert not entry.affects(VersionKeys("2.414.2-cb-5"))
    assert not entry.affects(VersionKeys("2.414.2.RELEASE"))
    assert entry.affects(VersionKeys("2.414.2-SNAPSHOT"))
    assert entry.affects(VersionKeys("2.414.2-rc-1"))
    assert entry.affects(VersionKeys("2.414.1-cb-9"))
