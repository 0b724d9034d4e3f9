"""Property test: ``v in versions`` agrees with the ecosystem's equality, in every ecosystem.

OSV schema §affected.versions: membership is the ecosystem's equality, not string equality. The
reference here is the ordering itself: ``v`` is listed when some entry ``w`` has
``key(v) == key(w)`` (PEP 440 §Version matching also lets a listed public version match its
local builds: ``2.0.0+cpu`` is in ``["2.0.0"]``), or, for text invalid in the ordering, when
the strings are identical.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from liturgia.vuln.advisory import Advisory, AffectedPackage
from liturgia.vuln.matching import VersionKeys, compile_entry
from liturgia.vuln.versions import ordering_for


def _join(parts: list[str], seps: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(seps, min_size=len(parts), max_size=len(parts)).map(
        lambda chosen: "".join(p + s for p, s in zip(parts, chosen, strict=True))
    )


_NUMBER = st.sampled_from(["0", "1", "2", "00", "01", "10"])
_RELEASE = st.lists(_NUMBER, min_size=1, max_size=4).map(".".join)

PYPI = st.builds(
    lambda release, pre, post, dev, local: release + pre + post + dev + local,
    _RELEASE,
    st.sampled_from(["", "a1", "alpha1", "-a1", "b0", "rc1", "c1", ".rc1", "RC1"]),
    st.sampled_from(["", ".post1", "-1", "post1", "-post1"]),
    st.sampled_from(["", ".dev0", "dev0"]),
    st.sampled_from(["", "+cpu", "+CPU", "+cu118", "+cpu.1", "+cpu-1", "+ubuntu_1"]),
)
SEMVER = st.builds(
    lambda v, release, pre, build: v + release + pre + build,
    st.sampled_from(["", "v"]),
    _RELEASE,
    st.sampled_from(["", "-rc.1", "-RC.1", "-alpha", "-alpha.1", "-0", "-beta.02"]),
    st.sampled_from(["", "+build.5", "+001"]),
)
GO = st.builds(
    lambda release, pre, suffix: "v" + release + pre + suffix,
    st.sampled_from(["0.0.0", "1.2.3", "1.2.4", "2.7.0", "1.21.0"]),
    st.sampled_from(["", "-0.20191109021931-daa7c04131f5", "-rc.2"]),
    st.sampled_from(["", "+incompatible"]),
) | st.sampled_from(["go1.21", "go1.21.0", "go1.21rc2", "1.21.0-rc.2", "go1.21.3"])
MAVEN = st.builds(
    lambda release, qualifier: release + qualifier,
    _RELEASE,
    st.sampled_from(["", ".RELEASE", "-SNAPSHOT", "-snapshot", ".Final", "-ga", "-sp1", "-sp-1",
                     "-cb-5", "-CB-5", "-rc1", "-cr1", "-RC-1", "a1", "-alpha-1", ".0", "-0"]),
)  # fmt: skip
GENERIC = st.builds(
    lambda v, release, word: v + release + word,
    st.sampled_from(["", "v"]),
    _RELEASE,
    st.sampled_from(["", ".rc1", "-rc1", ".pre", ".beta.2", ".Final", "-p1"]),
)

DEBIAN = st.builds(
    lambda epoch, upstream, tilde, revision: epoch + upstream + tilde + revision,
    st.sampled_from(["", "0:", "1:"]),
    _RELEASE,
    st.sampled_from(["", "~rc1", "~deb12u1", "+dfsg", "+b1", "a"]),
    st.sampled_from(["", "-0", "-1", "-1~deb12u2", "-01", "-1+deb12u1"]),
)
ALPINE = st.builds(
    lambda release, letter, suffix, revision: release + letter + suffix + revision,
    _RELEASE,
    st.sampled_from(["", "a", "b"]),
    st.sampled_from(["", "_rc1", "_alpha", "_p2", "_git20240101"]),
    st.sampled_from(["", "-r0", "-r1", "-r01"]),
)

ECOSYSTEMS = {
    "Debian:12": DEBIAN,
    "Alpine:v3.18": ALPINE,
    "PyPI": PYPI,
    "npm": SEMVER,
    "crates.io": SEMVER,
    "NuGet": SEMVER,
    "Go": GO,
    "Maven": MAVEN,
    "RubyGems": GENERIC,
    "Packagist": GENERIC,
}


def _reference(ecosystem: str, version: str, listed: list[str]) -> bool:
    ordering = ordering_for(ecosystem, "ECOSYSTEM")

    def key(text: str) -> object:
        try:
            return ordering.key(text)
        except ValueError:
            return None

    mine = key(version)
    for entry in listed:
        theirs = key(entry)
        if entry == version or (mine is not None and theirs is not None and mine == theirs):
            return True
        if (
            isinstance(mine, Version)
            and isinstance(theirs, Version)
            and theirs.local is None
            and Version(mine.public) == theirs
        ):
            return True
    return False


#: Respellings that often keep a version equal (or nearly): listed entries derived from the
#: queried version, so that equal-but-differently-written pairs are common.
REWRITES = (
    lambda v: v.partition("+")[0],
    lambda v: v.upper(),
    lambda v: v.lower(),
    lambda v: v.removeprefix("v"),
    lambda v: v.replace(".0", "", 1),
    lambda v: v.replace("-", ".", 1),
    lambda v: v + ".0",
    lambda v: v.replace("1", "01", 1),
)


@st.composite
def _case(draw: st.DrawFn) -> tuple[str, str, list[str]]:
    ecosystem = draw(st.sampled_from(sorted(ECOSYSTEMS)))
    versions = ECOSYSTEMS[ecosystem]
    version = draw(versions)
    listed = draw(st.lists(versions, max_size=4))
    rewrites = draw(st.lists(st.sampled_from(REWRITES), min_size=1, max_size=3))
    related = version
    for rewrite in rewrites:
        related = rewrite(related)
    listed.insert(draw(st.integers(0, len(listed))), related)
    return ecosystem, version, listed


@settings(max_examples=600, deadline=None)
@given(_case())
def test_list_membership_is_the_ecosystem_equality(case: tuple[str, str, list[str]]) -> None:
    ecosystem, version, listed = case
    affected = AffectedPackage(ecosystem=ecosystem, name="p", versions=tuple(listed))
    entry = compile_entry(Advisory(id="T", affected=(affected,)), affected)
    assert entry.affects(VersionKeys(version)) == _reference(ecosystem, version, listed)


@pytest.mark.parametrize(
    ("ecosystem", "listed", "version", "expected"),
    [
        # The failing input of issue 17: torch 2.0.0+cpu against a record listing 2.0.0.
        ("PyPI", ("1.13.1", "2.0.0"), "2.0.0+cpu", True),
        ("PyPI", ("1.13.1", "2.0.0"), "2.0+cu118", True),
        ("PyPI", ("1.13.1", "2.0.0"), "2.0.1+cpu", False),
        ("PyPI", ("2.0.0+cpu",), "2.0+CPU", True),
        ("PyPI", ("2.0.0+cpu",), "2.0.0", False),
        ("PyPI", ("2.0.0+cpu",), "2.0.0+cu118", False),
        ("Maven", ("5.3.0", "1.0-SNAPSHOT"), "5.3.0.RELEASE", True),
        ("Maven", ("5.3.0", "1.0-SNAPSHOT"), "1.0.0-snapshot", True),
        ("Maven", ("5.3.0", "1.0-SNAPSHOT"), "5.3.0-cb-1", False),
    ],
)
def test_listed_versions(
    ecosystem: str, listed: tuple[str, ...], version: str, expected: bool
) -> None:
    affected = AffectedPackage(ecosystem=ecosystem, name="p", versions=listed)
    entry = compile_entry(Advisory(id="T", affected=(affected,)), affected)
    assert entry.affects(VersionKeys(version)) is expected
