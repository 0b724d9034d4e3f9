"""Version (SemVer 2.0.0), bump_for and next_version."""

from __future__ import annotations

import itertools
import random

import pytest

from liturgia.errors import InputError
from liturgia.release.commits import parse_message
from liturgia.release.version import INITIAL_VERSION, Bump, Version, bump_for, next_version


def v(text: str) -> Version:
    return Version.parse(text)


def cc(message: str, sha: str = "0" * 40):
    parsed = parse_message(sha, message)
    assert parsed is not None, message
    return parsed


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("0.0.0", (0, 0, 0, (), ())),
        ("1.2.3", (1, 2, 3, (), ())),
        ("10.20.30", (10, 20, 30, (), ())),
        ("1.0.0-alpha", (1, 0, 0, ("alpha",), ())),
        ("1.0.0-alpha.1", (1, 0, 0, ("alpha", "1"), ())),
        ("1.0.0-0.3.7", (1, 0, 0, ("0", "3", "7"), ())),
        ("1.0.0-x.7.z.92", (1, 0, 0, ("x", "7", "z", "92"), ())),
        ("1.0.0-x-y-z.--", (1, 0, 0, ("x-y-z", "--"), ())),
        ("1.0.0-alpha+001", (1, 0, 0, ("alpha",), ("001",))),
        ("1.0.0+20130313144700", (1, 0, 0, (), ("20130313144700",))),
        ("1.0.0-beta+exp.sha.5114f85", (1, 0, 0, ("beta",), ("exp", "sha", "5114f85"))),
        ("1.0.0+21AF26D3----117B344092BD", (1, 0, 0, (), ("21AF26D3----117B344092BD",))),
        ("1.0.0-0A.is.legal", (1, 0, 0, ("0A", "is", "legal"), ())),
    ],
)
def test_parse_valid_examples_from_the_spec(text, fields):
    version = Version.parse(text)
    assert (
        version.major,
        version.minor,
        version.patch,
        version.prerelease,
        version.build,
    ) == fields
    assert str(version) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1",
        "1.2",
        "1.2.3.4",
        "01.1.1",
        "1.01.1",
        "1.1.01",
        "1.2.3-0123",
        "1.2.3-0123.0123",
        "1.2.3-",
        "1.2.3+",
        "1.2.3-alpha..1",
        "1.2.3-alpha_beta",
        "-1.2.3",
        "1.2.3 ",
        "1.2.3\n",
        "a.b.c",
        "+invalid",
        "1.2.3-+meta",
    ],
)
def test_parse_rejects_invalid(text):
    with pytest.raises(InputError, match="not a semantic version"):
        Version.parse(text)


def test_parse_leading_v_gets_a_hint():
    with pytest.raises(InputError, match=r"drop the leading 'v'"):
        Version.parse("v1.2.3")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"major": -1, "minor": 0, "patch": 0},
        {"major": 1, "minor": True, "patch": 0},
        {"major": 1, "minor": 0, "patch": 0, "prerelease": ("01",)},
        {"major": 1, "minor": 0, "patch": 0, "prerelease": ("",)},
        {"major": 1, "minor": 0, "patch": 0, "build": ("a b",)},
    ],
)
def test_constructor_validates(kwargs):
    with pytest.raises(InputError, match="version"):
        Version(**kwargs)


# SemVer 2.0.0 §11: the two example chains, each strictly increasing.
PRECEDENCE_CHAINS = [
    ["1.0.0", "2.0.0", "2.1.0", "2.1.1"],
    [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
    ],
]


@pytest.mark.parametrize("chain", PRECEDENCE_CHAINS)
def test_precedence_follows_section_11(chain):
    versions = [v(t) for t in chain]
    for lower, higher in itertools.pairwise(versions):
        assert lower < higher
        assert lower <= higher
        assert higher > lower
        assert higher >= lower
        assert not higher < lower
    shuffled = versions[:]
    random.Random(7).shuffle(shuffled)  # noqa: S311 - a fixed shuffle, not crypto
    assert [str(x) for x in sorted(shuffled)] == chain


def test_precedence_ignores_build_metadata_but_equality_does_not():
    a, b = v("1.0.0+a"), v("1.0.0+b")
    assert a != b
    assert not a < b
    assert not b < a
    assert a <= b
    assert a >= b
    assert v("1.0.0+a") == v("1.0.0+a")
    assert hash(v("1.0.0+a")) == hash(v("1.0.0+a"))
    assert v("1.0.0-rc.1+build.9") < v("1.0.0")


def test_numeric_identifiers_rank_below_alphanumeric():
    assert v("1.0.0-1") < v("1.0.0-a")
    assert v("1.0.0-999") < v("1.0.0-0a")
    assert v("1.0.0-beta.2") < v("1.0.0-beta.11")  # numerically, not as text
    assert v("1.0.0-Beta") < v("1.0.0-alpha")  # ASCII order: upper case first


def test_comparison_with_other_types_is_not_implemented():
    assert v("1.0.0") != "1.0.0"
    with pytest.raises(TypeError):
        assert v("1.0.0") < "2.0.0"  # type: ignore[operator]
    with pytest.raises(TypeError):
        assert v("1.0.0") <= 2  # type: ignore[operator]
    with pytest.raises(TypeError):
        assert v("1.0.0") > None  # type: ignore[operator]
    with pytest.raises(TypeError):
        assert v("1.0.0") >= 1.0  # type: ignore[operator]


def test_core_and_is_prerelease():
    version = v("2.3.4-rc.1+b.7")
    assert version.is_prerelease
    assert version.core == v("2.3.4")
    assert not version.core.is_prerelease
    assert str(INITIAL_VERSION) == "0.1.0"


@pytest.mark.parametrize(
    ("messages", "bump"),
    [
        ([], Bump.NONE),
        (["docs: readme", "chore: deps", "ci: cache", "test: more"], Bump.NONE),
        (["fix: a"], Bump.PATCH),
        (["perf: faster"], Bump.PATCH),
        (["docs: x", "fix: a", "feat: b"], Bump.MINOR),
        (["feat: b", "fix!: breaks"], Bump.MAJOR),
        (["chore: x\n\nBREAKING CHANGE: drop py3.8"], Bump.MAJOR),
        (["refactor(core)!: rename"], Bump.MAJOR),
        (["refactor: tidy", "style: fmt"], Bump.NONE),
        (["FEAT: upper case type"], Bump.MINOR),
    ],
)
def test_bump_for(messages, bump):
    commits = [cc(m, sha=f"{i:040x}") for i, m in enumerate(messages)]
    assert bump_for(commits) is bump


def test_bump_for_ignores_a_feature_reverted_in_the_same_range():
    feat = cc("feat: shiny", sha="a" * 40)
    revert = cc(f'Revert "feat: shiny"\n\nThis reverts commit {"a" * 40}.', sha="b" * 40)
    fix = cc("fix: small", sha="c" * 40)
    assert bump_for([feat, revert]) is Bump.NONE
    assert bump_for([feat, revert, fix]) is Bump.PATCH


def test_revert_of_a_released_commit_is_a_patch():
    revert = cc(f'Revert "feat: shiny"\n\nThis reverts commit {"a" * 40}.', sha="b" * 40)
    assert bump_for([revert]) is Bump.PATCH


@pytest.mark.parametrize(
    ("last", "messages", "kwargs", "expected"),
    [
        (None, [], {}, "0.1.0"),
        (None, ["feat!: big"], {}, "0.1.0"),
        (None, ["fix: x"], {"initial": Version.parse("1.0.0")}, "1.0.0"),
        ("1.2.3", ["fix: x"], {}, "1.2.4"),
        ("1.2.3", ["perf: x"], {}, "1.2.4"),
        ("1.2.3", ["fix: x", "feat: y"], {}, "1.3.0"),
        ("1.2.3", ["feat!: y"], {}, "2.0.0"),
        ("1.2.3", ["fix: y\n\nBREAKING-CHANGE: gone"], {}, "2.0.0"),
        # Initial development: breaking bumps minor unless major_on_zero.
        ("0.3.4", ["feat!: y"], {}, "0.4.0"),
        ("0.3.4", ["feat!: y"], {"major_on_zero": True}, "1.0.0"),
        ("0.3.4", ["feat: y"], {}, "0.4.0"),
        ("0.3.4", ["fix: y"], {}, "0.3.5"),
        # From a pre-release (node-semver inc semantics): graduate to its own core version.
        ("1.0.0-rc.1", ["fix: x"], {}, "1.0.0"),
        ("1.0.0-rc.1", ["feat: x"], {}, "1.0.0"),
        ("1.0.0-rc.1", ["feat!: x"], {}, "1.0.0"),
        ("1.2.0-rc.1", ["feat: x"], {}, "1.2.0"),
        ("1.2.0-rc.1", ["feat!: x"], {}, "2.0.0"),
        ("1.2.3-rc.1", ["feat: x"], {}, "1.3.0"),
        ("1.2.3-rc.1", ["fix: x"], {}, "1.2.3"),
        ("0.2.0-beta.1", ["feat!: x"], {}, "0.2.0"),
    ],
)
def test_next_version(last, messages, kwargs, expected):
    commits = [cc(m, sha=f"{i:040x}") for i, m in enumerate(messages)]
    previous = Version.parse(last) if last else None
    assert str(next_version(previous, commits, **kwargs)) == expected


def test_next_version_without_releasable_commits_is_an_input_error():
    commits = [cc("docs: typo"), cc("chore: bump deps")]
    with pytest.raises(InputError, match=r"no releasable commits since v1\.4\.0 .*--version"):
        next_version(v("1.4.0"), commits)
    with pytest.raises(InputError, match=r"no releasable commits since v1\.4\.0 \(0 conventional"):
        next_version(v("1.4.0"), [])


@pytest.mark.parametrize(
    ("last", "messages", "label", "expected"),
    [
        (None, [], "rc", "0.1.0-rc.1"),
        ("1.0.0", ["feat: x"], "rc", "1.1.0-rc.1"),
        ("1.0.0", ["fix: x"], "beta", "1.0.1-beta.1"),
        ("1.1.0-rc.1", ["fix: x"], "rc", "1.1.0-rc.2"),
        ("1.1.0-rc.9", ["feat: x"], "rc", "1.1.0-rc.10"),
        ("1.1.0-rc.2", ["feat!: x"], "rc", "2.0.0-rc.1"),
        ("1.1.0-beta.3", ["fix: x"], "rc", "1.1.0-rc.1"),
        ("1.1.0-rc", ["fix: x"], "rc", "1.1.0-rc.1"),
        ("1.1.0-rc.x", ["fix: x"], "rc", "1.1.0-rc.x.1"),
        ("1.1.0-rc.2.5", ["fix: x"], "rc", "1.1.0-rc.2.6"),
        ("0.3.0", ["feat!: x"], "alpha", "0.4.0-alpha.1"),
    ],
)
def test_next_prerelease(last, messages, label, expected):
    commits = [cc(m, sha=f"{i:040x}") for i, m in enumerate(messages)]
    previous = Version.parse(last) if last else None
    result = next_version(previous, commits, prerelease=label)
    assert str(result) == expected
    if previous is not None:
        assert result > previous


@pytest.mark.parametrize("label", ["", "12", "r c", "rc.1", "ü"])
def test_invalid_prerelease_label(label):
    with pytest.raises(InputError, match="pre-release label"):
        next_version(None, [], prerelease=label)


def test_prerelease_without_releasable_commits_still_raises():
    with pytest.raises(InputError, match="no releasable commits"):
        next_version(v("1.1.0-rc.1"), [cc("docs: x")], prerelease="rc")


def test_prerelease_label_that_would_sort_lower_is_refused():
    with pytest.raises(
        InputError, match=r"pre-release 1\.1\.0-beta\.1 would not rank above .* 1\.1\.0-rc\.1"
    ):
        next_version(v("1.1.0-rc.1"), [cc("fix: x")], prerelease="beta")
