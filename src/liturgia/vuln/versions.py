"""Version orderings per ecosystem, as OSV ``SEMVER`` and ``ECOSYSTEM`` ranges need them.

Each ordering turns a version string into a sort key; keys of one ordering compare with ``<`` and
``==`` exactly as the ecosystem orders versions, so ``3.2`` and ``3.2.0`` are equal for PyPI.

* **PyPI** — PEP 440 via :class:`packaging.version.Version` (epochs, pre/post/dev releases, local
  versions). This is the reference implementation of PEP 440; nothing is hand-written.
* **SemVer** (``SEMVER`` ranges, npm, crates.io, NuGet) — SemVer 2.0.0 §11 precedence. Written
  here rather than taken from ``semver``/``node-semver`` because advisories contain versions those
  strict parsers reject but whose order is unambiguous: two-part bounds (``introduced: "1.0"`` in
  GHSA-r683-j2x4-v87g, ``"0.1"`` in GHSA-wcg3-cvx6-7396), four-part NuGet versions. Missing
  parts count as 0; build metadata is ignored (§10); NuGet pre-release labels compare
  case-insensitively (NuGet's documented rule).
* **Go** — SemVer precedence as ``golang.org/x/mod/semver`` defines it: the ``v`` prefix is
  dropped, ``+incompatible`` is build metadata and ignored, pseudo-versions
  (``v0.0.0-20191109021931-daa7c04131f5``, ``v1.2.4-0.2019...``) are pre-releases and so order
  correctly by construction. The standard library (``stdlib``/``toolchain``) also accepts Go's
  own spellings ``go1.21.3``, ``go1.21`` and ``go1.21rc2`` (= ``1.21.0-rc.2``, as the Go vulndb
  writes them).
* **Maven** — Maven's ``ComparableVersion`` order (:mod:`liturgia.vuln.orderings.maven`):
  qualifier ranks, ``sp``, ``.RELEASE``, ``-SNAPSHOT``, unknown qualifiers (vendor builds such
  as ``2.414.2-cb-5``) after the release.
* **Debian** (and Ubuntu) — dpkg's order (:mod:`liturgia.vuln.orderings.dpkg`): epochs,
  ``~``, revisions. **Alpine** — apk's order (:mod:`liturgia.vuln.orderings.apk`).
* **Generic** (RubyGems, Packagist and any other ecosystem) — no well-kept Python library
  implements these orderings faithfully (``univers`` is the closest, but it pulls a large tree of
  pinned dependencies and its Composer comparator is itself an approximation), so we
  use one token rule that agrees with both on ordinary versions: the version splits into
  numbers and words; trailing zero release parts are dropped (``1.0`` == ``1.0.0``); at each
  position a pre-release word (``alpha``, ``a``, ``beta``, ``b``, ``milestone``, ``m``, ``rc``,
  ``cr``, ``pre``, ``preview``, ``dev``, ``snapshot``, any other word) sorts before the end of the
  version, which sorts before a post-release word (``sp``, ``patch``, ``pl``, ``p``, ``post``,
  ``ga``/``final``/``release`` count as the end), which sorts before a number. RubyGems'
  documented examples (``1.0.a`` < ``1.0``, ``1.0.b1`` < ``1.0``) hold under it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from packaging.utils import canonicalize_version
from packaging.version import InvalidVersion, Version

from liturgia.vuln.orderings import apk, dpkg, maven

__all__ = [
    "GenericOrdering",
    "GoOrdering",
    "KeyedOrdering",
    "Pep440Ordering",
    "SemverOrdering",
    "VersionOrdering",
    "list_forms",
    "ordering_for",
]


class VersionOrdering(Protocol):
    """A total order on one ecosystem's versions (a one-method strategy).

    ``key(a) < key(b)`` iff version ``a`` precedes ``b``; ``key(a) == key(b)`` iff the ecosystem
    considers them the same version. Keys are hashable.
    """

    @property
    def name(self) -> str:
        """Label of the ordering, used in messages and as a cache key."""
        ...

    def key(self, version: str) -> Any:
        """Return the sort key of ``version``.

        Raises:
            ValueError: ``version`` is not a version of this ordering.
        """
        ...

    def canonical(self, version: str) -> str:
        """Return a string equal for two versions iff their keys are equal.

        Raises:
            ValueError: ``version`` is not a version of this ordering.
        """
        ...


@dataclass(frozen=True, slots=True)
class Pep440Ordering:
    """PEP 440 ordering (PyPI) via :mod:`packaging`."""

    name: str = "PEP 440"

    def key(self, version: str) -> Any:
        """Return a :class:`packaging.version.Version` (hashable; ``3.2 == 3.2.0``).

        Raises:
            ValueError: not a valid PEP 440 version.
        """
        try:
            return Version(version)
        except InvalidVersion as exc:
            raise ValueError(f"{version!r} is not a valid PEP 440 version") from exc

    def canonical(self, version: str) -> str:
        """PEP 440 normal form without trailing zero release parts (``3.2.0`` -> ``3.2``).

        Raises:
            ValueError: not a valid PEP 440 version.
        """
        return canonicalize_version(self.key(version), strip_trailing_zero=True)


_SEMVER = re.compile(
    r"^v?(?P<release>\d+(?:\.\d+)*)(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+(?P<build>[0-9A-Za-z.-]+))?$"
)

# A SemVer key: (release numbers, 1 if a release else 0, pre-release identifiers).
SemverKey = tuple[tuple[int, ...], int, tuple[tuple[int, int, str], ...]]


def _release_tuple(parts: list[int]) -> tuple[int, ...]:
    # Missing parts count as 0 (1.0 == 1.0.0); extra zero parts are dropped (1.0.0.0 == 1.0.0).
    padded = parts + [0] * (3 - len(parts))
    while len(padded) > 3 and padded[-1] == 0:
        padded.pop()
    return tuple(padded)


@lru_cache(maxsize=65536)
def _semver_key(version: str, *, fold_case: bool) -> SemverKey:
    match = _SEMVER.match(version.strip())
    if match is None:
        raise ValueError(f"{version!r} is not a SemVer version")
    release = _release_tuple([int(part) for part in match["release"].split(".")])
    pre = match["pre"]
    if pre is None:
        return (release, 1, ())
    identifiers: list[tuple[int, int, str]] = []
    for ident in pre.split("."):
        if not ident:
            raise ValueError(f"{version!r} has an empty pre-release identifier")
        if ident.isdigit():
            # SemVer §11.4.1: numeric identifiers compare numerically and sort first.
            identifiers.append((0, int(ident), ""))
        else:
            identifiers.append((1, 0, ident.lower() if fold_case else ident))
    return (release, 0, tuple(identifiers))


@dataclass(frozen=True, slots=True)
class SemverOrdering:
    """SemVer 2.0.0 §11 precedence, lenient on missing parts (see the module docstring).

    Attributes:
        name: label used in messages.
        fold_case: compare pre-release labels case-insensitively (NuGet).
    """

    name: str = "SemVer"
    fold_case: bool = False

    def key(self, version: str) -> Any:
        """Return the SemVer key of ``version`` (a leading ``v`` is tolerated).

        Raises:
            ValueError: not a SemVer-shaped version.
        """
        return _semver_key(version, fold_case=self.fold_case)

    def canonical(self, version: str) -> str:
        """The key's text form: equal iff the keys are equal.

        Raises:
            ValueError: not a version of this ordering.
        """
        return repr(self.key(version))


_GO_TOOLCHAIN = re.compile(
    r"^go(?P<major>\d+)(?:\.(?P<minor>\d+))?(?:\.(?P<patch>\d+))?"
    r"(?:(?P<kind>beta|rc)(?P<num>\d+))?$"
)


@dataclass(frozen=True, slots=True)
class GoOrdering:
    """Go module version ordering (``golang.org/x/mod/semver``), plus Go toolchain spellings."""

    name: str = "Go"

    def key(self, version: str) -> Any:
        """Return the SemVer key of a Go module or toolchain version.

        Raises:
            ValueError: not a Go version.
        """
        text = version.strip()
        toolchain = _GO_TOOLCHAIN.match(text)
        if toolchain is not None:
            text = f"{toolchain['major']}.{toolchain['minor'] or 0}.{toolchain['patch'] or 0}"
            if toolchain["kind"]:
                text += f"-{toolchain['kind']}.{toolchain['num']}"
        return _semver_key(text, fold_case=False)

    def canonical(self, version: str) -> str:
        """The key's text form: equal iff the keys are equal.

        Raises:
            ValueError: not a version of this ordering.
        """
        return repr(self.key(version))


_TOKEN = re.compile(r"\d+|[A-Za-z]+")
_PRE_WORDS = {
    "alpha": 1, "a": 1, "beta": 2, "b": 2, "milestone": 3, "m": 3,
    "rc": 4, "cr": 4, "pre": 4, "preview": 4,
    "snapshot": 5, "dev": 0,
}  # fmt: skip
_END_WORDS = frozenset({"ga", "final", "release"})
_POST_WORDS = frozenset({"sp", "patch", "pl", "p", "post"})


@dataclass(frozen=True, slots=True)
class GenericOrdering:
    """Token ordering for ecosystems without a library comparator (see the module docstring)."""

    name: str = "generic"

    def key(self, version: str) -> Any:
        """Return a tuple key: numbers, pre-/post-release words and the end of the version.

        Raises:
            ValueError: the version holds neither digits nor letters.
        """
        # A leading "v" is a tag prefix (Packagist "v1.2.3"), not a pre-release word.
        tokens = _TOKEN.findall(re.sub(r"^[vV](?=\d)", "", version.strip()))
        if not tokens:
            raise ValueError(f"{version!r} is not a version")
        release: list[int] = []
        index = 0
        while index < len(tokens) and tokens[index].isdigit():
            release.append(int(tokens[index]))
            index += 1
        while len(release) > 1 and release[-1] == 0:
            release.pop()
        key: list[tuple[int, int, str]] = [(3, number, "") for number in release]
        for token in tokens[index:]:
            if token.isdigit():
                key.append((3, int(token), ""))
                continue
            word = token.lower()
            if word in _END_WORDS:
                continue
            if word in _POST_WORDS:
                key.append((2, 0, word))
            else:
                key.append((0, _PRE_WORDS.get(word, 4), word))
        # The end of the version sorts between pre-release words and post/numbers.
        key.append((1, 0, ""))
        return tuple(key)

    def canonical(self, version: str) -> str:
        """The key's text form: equal iff the keys are equal.

        Raises:
            ValueError: not a version of this ordering.
        """
        return repr(self.key(version))


@dataclass(frozen=True, slots=True)
class KeyedOrdering:
    """An ordering given by a key function and its canonical text (Maven, dpkg, apk).

    Attributes:
        name: label used in messages.
        key_function: version -> hashable key; raises ``ValueError`` on an invalid version.
        canonical_function: version -> text equal iff the keys are equal.
    """

    name: str
    key_function: Callable[[str], Any]
    canonical_function: Callable[[str], str]

    def key(self, version: str) -> Any:
        """Return the key of ``version``.

        Raises:
            ValueError: not a version of this ordering.
        """
        return self.key_function(version)

    def canonical(self, version: str) -> str:
        """Return the canonical text of ``version``.

        Raises:
            ValueError: not a version of this ordering.
        """
        return self.canonical_function(version)


_PEP440 = Pep440Ordering()
_SEMVER_ORDERING = SemverOrdering()
_NUGET = SemverOrdering(name="NuGet", fold_case=True)
_GO = GoOrdering()
_GENERIC = GenericOrdering()
_DPKG = KeyedOrdering(name="dpkg", key_function=dpkg.dpkg_key, canonical_function=dpkg.canonical)
_APK = KeyedOrdering(name="apk", key_function=apk.apk_key, canonical_function=apk.canonical)
_MAVEN = KeyedOrdering(
    name="Maven", key_function=maven.maven_key, canonical_function=maven.canonical
)


def ordering_for(ecosystem: str, range_type: str = "ECOSYSTEM") -> VersionOrdering:
    """Return the ordering for an OSV range type in an ecosystem.

    OSV schema §affected.ranges.type: ``SEMVER`` ranges always use SemVer 2.0 precedence (Go's
    ordering for Go, which is SemVer with a ``v`` prefix); ``ECOSYSTEM`` ranges use the
    ecosystem's own ordering.

    Args:
        ecosystem: canonical ecosystem name.
        range_type: ``"SEMVER"`` or ``"ECOSYSTEM"`` (also used for ``versions`` lists).

    Returns:
        The ordering strategy.
    """
    if ecosystem == "Go":
        return _GO
    if range_type == "SEMVER":
        return _SEMVER_ORDERING
    # "Debian:12", "Alpine:v3.18": the release does not change the ordering.
    match ecosystem.partition(":")[0]:
        case "PyPI":
            return _PEP440
        case "npm" | "crates.io" | "Hex" | "Pub":
            return _SEMVER_ORDERING
        case "NuGet":
            return _NUGET
        case "Maven":
            return _MAVEN
        case "Debian" | "Ubuntu":
            return _DPKG
        case "Alpine":
            return _APK
        case _:
            return _GENERIC


def list_forms(ordering: VersionOrdering, version: str) -> tuple[str, ...]:
    """Canonical forms under which ``version`` equals an entry of an advisory's ``versions``.

    OSV schema §affected.versions lists versions "in the ecosystem's own format"; membership is
    the ecosystem's equality, so a queried version is in the list when one of these forms is
    the canonical form (:meth:`VersionOrdering.canonical`) of a listed entry. In every ordering
    that is the version's own canonical form. PEP 440 adds its public version when it has a
    local label: per PEP 440 §Version matching, a listed (specified) version without a local
    label matches any local build of it (``2.0.0+cpu`` is the listed ``2.0.0``), while a listed
    ``2.0.0+cpu`` matches only that build.

    Args:
        ordering: the ecosystem's ordering (``ECOSYSTEM`` range type).
        version: the queried version.

    Returns:
        One or two canonical forms.

    Raises:
        ValueError: ``version`` is not valid under ``ordering``.
    """
    own = ordering.canonical(version)
    if isinstance(ordering, Pep440Ordering):
        parsed = ordering.key(version)
        if parsed.local is not None:
            return (own, ordering.canonical(parsed.public))
    return (own,)
