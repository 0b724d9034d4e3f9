"""Semantic Versioning 2.0.0 values and the next version from Conventional Commits.

:class:`Version` parses and orders versions exactly as https://semver.org/spec/v2.0.0.html says
(§2 normal version, §9 pre-release, §10 build metadata, §11 precedence). :func:`bump_for` maps
commits to a bump as Conventional Commits 1.0.0 "Why use Conventional Commits" relates them to
SemVer (``fix`` → PATCH, ``feat`` → MINOR, ``BREAKING CHANGE`` → MAJOR), and :func:`next_version`
applies it to the last release.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from liturgia.errors import InputError
from liturgia.release.commits import ConventionalCommit, effective_commits

__all__ = ["INITIAL_VERSION", "Bump", "Version", "bump_for", "next_version"]

# The regular expression semver.org suggests (FAQ "Is there a suggested regular expression"),
# with named groups; it rejects leading zeros in numeric identifiers (§2, §9).
_SEMVER = re.compile(
    r"^(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<prerelease>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
_PRERELEASE_ID = re.compile(r"^(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)$")
_BUILD_ID = re.compile(r"^[0-9a-zA-Z-]+$")

_PrereleaseKey = tuple[tuple[int, int, str], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Version:
    """A Semantic Version 2.0.0.

    Equality compares every field, build metadata included (two builds are different values);
    ordering (``<``, ``<=``, ``>``, ``>=``) is SemVer §11 *precedence*, which ignores build
    metadata, so ``1.0.0+a`` and ``1.0.0+b`` are neither equal nor ordered. Sorting a list of
    versions is therefore by precedence and stable among equal-precedence builds.

    Attributes:
        major: MAJOR, a non-negative integer (§2).
        minor: MINOR, a non-negative integer (§2).
        patch: PATCH, a non-negative integer (§2).
        prerelease: dot-separated pre-release identifiers, e.g. ``("rc", "1")`` (§9); ``()`` for
            a release.
        build: dot-separated build-metadata identifiers (§10); ``()`` when absent.

    Raises:
        InputError: a number is negative, or an identifier is empty, holds a character outside
            ``[0-9A-Za-z-]``, or is a numeric pre-release identifier with a leading zero.
    """

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Validate the fields (§2, §9, §10)."""
        for name in ("major", "minor", "patch"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"version {name} must be a non-negative integer, got {value!r}")
        for ident in self.prerelease:
            if not _PRERELEASE_ID.fullmatch(ident):
                raise InputError(f"version pre-release identifier {ident!r} is invalid (SemVer §9)")
        for ident in self.build:
            if not _BUILD_ID.fullmatch(ident):
                raise InputError(f"version build identifier {ident!r} is invalid (SemVer §10)")

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse ``MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`` (SemVer 2.0.0 §2, §9, §10).

        A leading ``v`` is rejected: ``v1.2.3`` is a tag name, not a semantic version (semver.org
        FAQ); strip it first (:func:`liturgia.release.git.last_release_tag` does).

        Raises:
            InputError: ``text`` is not a valid semantic version (message quotes it).
        """
        match = _SEMVER.fullmatch(text)
        if match is None:
            hint = " (drop the leading 'v')" if _SEMVER.fullmatch(text[1:]) else ""
            raise InputError(
                f"{text!r} is not a semantic version MAJOR.MINOR.PATCH (SemVer 2.0.0){hint}"
            )
        return cls(
            major=int(match["major"]),
            minor=int(match["minor"]),
            patch=int(match["patch"]),
            prerelease=tuple(match["prerelease"].split(".")) if match["prerelease"] else (),
            build=tuple(match["build"].split(".")) if match["build"] else (),
        )

    def __str__(self) -> str:
        """The canonical text, e.g. ``1.2.3-rc.1+build.5``."""
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text

    @property
    def is_prerelease(self) -> bool:
        """Whether the version has pre-release identifiers (§9)."""
        return bool(self.prerelease)

    @property
    def core(self) -> Version:
        """This version without pre-release and build metadata (the "normal version", §2)."""
        return Version(major=self.major, minor=self.minor, patch=self.patch)

    def precedence_key(self) -> tuple[int, int, int, int, _PrereleaseKey]:
        """A tuple whose ordering is SemVer §11 precedence.

        §11.3: a release ranks above its pre-releases. §11.4: identifiers compare left to right;
        numeric ones numerically and below alphanumeric ones, alphanumeric ones in ASCII order,
        and a longer list ranks above its prefix. Build metadata is ignored (§11.1).
        """
        idents = tuple((0, int(i), "") if i.isdigit() else (1, 0, i) for i in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, idents)

    def __lt__(self, other: object) -> bool:
        """SemVer §11 precedence."""
        if not isinstance(other, Version):
            return NotImplemented
        return self.precedence_key() < other.precedence_key()

    def __le__(self, other: object) -> bool:
        """SemVer §11 precedence."""
        if not isinstance(other, Version):
            return NotImplemented
        return self.precedence_key() <= other.precedence_key()

    def __gt__(self, other: object) -> bool:
        """SemVer §11 precedence."""
        if not isinstance(other, Version):
            return NotImplemented
        return self.precedence_key() > other.precedence_key()

    def __ge__(self, other: object) -> bool:
        """SemVer §11 precedence."""
        if not isinstance(other, Version):
            return NotImplemented
        return self.precedence_key() >= other.precedence_key()


#: The first release's version when none is configured (SemVer FAQ: "start your initial
#: development release at 0.1.0").
INITIAL_VERSION = Version(major=0, minor=1, patch=0)


class Bump(StrEnum):
    """Which part of the version a set of commits increments."""

    MAJOR = "major"
    MINOR = "minor"
    PATCH = "patch"
    NONE = "none"


_RANK = {Bump.NONE: 0, Bump.PATCH: 1, Bump.MINOR: 2, Bump.MAJOR: 3}
#: Types that make a release on their own. ``perf`` is a fix of speed; a ``revert`` still in
#: effect (its target was released earlier) undoes shipped behaviour, so both are PATCH, as in
#: semantic-release's default rules. Every other type (docs, chore, ci, test...) is NONE.
_TYPE_BUMP = {"feat": Bump.MINOR, "fix": Bump.PATCH, "perf": Bump.PATCH, "revert": Bump.PATCH}


def _bump_of(commit: ConventionalCommit) -> Bump:
    if commit.breaking:
        return Bump.MAJOR
    return _TYPE_BUMP.get(commit.type, Bump.NONE)


def bump_for(commits: Sequence[ConventionalCommit]) -> Bump:
    """The largest bump any commit calls for (Conventional Commits 1.0.0 ↔ SemVer).

    A breaking change (``!`` or ``BREAKING CHANGE:`` footer) → MAJOR; ``feat`` → MINOR; ``fix``,
    ``perf`` and a ``revert`` of an earlier release's commit → PATCH; anything else → NONE.
    Commits reverted within ``commits`` count for nothing (:func:`effective_commits`).

    Args:
        commits: parsed commits since the last release, oldest first.
    """
    best = Bump.NONE
    for commit in effective_commits(commits):
        bump = _bump_of(commit)
        if _RANK[bump] > _RANK[best]:
            best = bump
    return best


def _apply(last: Version, bump: Bump) -> Version:
    """Increment ``last`` as node-semver's ``inc`` does, so pre-releases graduate.

    From a release, MAJOR/MINOR/PATCH reset the lower parts (SemVer §6-§8). From a pre-release,
    the bump lands on the pre-release's own version when that already is at least as big:
    ``1.0.0-rc.1`` + PATCH/MINOR/MAJOR → ``1.0.0``; ``1.2.0-rc.1`` + MAJOR → ``2.0.0``.
    """
    pre = last.is_prerelease
    match bump:
        case Bump.MAJOR:
            if pre and last.minor == 0 and last.patch == 0:
                return last.core
            return Version(major=last.major + 1, minor=0, patch=0)
        case Bump.MINOR:
            if pre and last.patch == 0:
                return last.core
            return Version(major=last.major, minor=last.minor + 1, patch=0)
        case Bump.PATCH:
            if pre:
                return last.core
            return Version(major=last.major, minor=last.minor, patch=last.patch + 1)
        case Bump.NONE:
            return last


def next_version(
    last: Version | None,
    commits: Sequence[ConventionalCommit],
    *,
    initial: Version = INITIAL_VERSION,
    major_on_zero: bool = False,
    prerelease: str | None = None,
    latest: Version | None = None,
) -> Version:
    """The version of the next release.

    Rules:

    * No earlier release (``last is None``): ``initial`` (default ``0.1.0``), whatever the commits.
    * In initial development (``last.major == 0``, SemVer §4 "anything MAY change at any time"),
      a breaking change bumps MINOR, not MAJOR, unless ``major_on_zero`` — the behaviour and
      option name of python-semantic-release. Going to ``1.0.0`` is then a deliberate choice
      (``--version 1.0.0`` or ``major_on_zero``).
    * Otherwise :func:`bump_for` applied to ``last``; from a pre-release see :func:`_apply`.
    * With ``prerelease="rc"`` the result is a pre-release of that version (SemVer §9):
      ``<version>-rc.1``, or ``-rc.<n+1>`` when ``latest`` is ``<version>-rc.<n>`` (e.g. after
      ``1.1.0-rc.1`` a fix gives ``1.1.0-rc.2``, a breaking change ``2.0.0-rc.1``); a changed
      token or a changed version restarts the counter at 1.

    Args:
        last: the last released version (the highest final tag; or, when only pre-release tags
            exist, the highest of them), or ``None``.
        commits: parsed commits since that release, oldest first.
        initial: the first release's version.
        major_on_zero: let a breaking change in ``0.x`` produce ``1.0.0``.
        prerelease: a pre-release label such as ``"rc"``, ``"beta"``, or ``None`` for a release.
        latest: the highest tagged version, pre-releases included (default ``last``); the
            pre-release counter continues from it.

    Raises:
        InputError: there is a last release and no commit since calls for a release (only
            ``docs``, ``chore``... or nothing), the message says to pass ``--version``;
            ``prerelease`` is not a valid identifier (SemVer §9); or the pre-release would rank
            below ``latest`` (``beta`` after ``1.1.0-rc.1``).
    """
    if latest is None:
        latest = last
    if prerelease is not None:
        if not prerelease or prerelease.isdigit() or not _PRERELEASE_ID.fullmatch(prerelease):
            raise InputError(
                f"pre-release label {prerelease!r} must be letters, digits and '-', not only "
                "digits (SemVer §9)"
            )
        base = next_version(
            last, commits, initial=initial, major_on_zero=major_on_zero, latest=latest
        )
        idents: tuple[str, ...] = (prerelease, "1")
        if (
            latest is not None
            and latest.is_prerelease
            and latest.core == base
            and latest.prerelease[0] == prerelease
        ):
            # Another pre-release of the same upcoming version: count the last identifier up,
            # or append ".1" when it is not a number (node-semver "prerelease"), so the result
            # always has higher precedence than ``latest`` (SemVer §11.4).
            *head, tail = latest.prerelease
            if head and tail.isdigit():
                idents = (*head, str(int(tail) + 1))
            else:
                idents = (*latest.prerelease, "1")
        result = Version(major=base.major, minor=base.minor, patch=base.patch, prerelease=idents)
        if latest is not None and result <= latest:
            raise InputError(
                f"pre-release {result} would not rank above the latest release {latest} "
                f"(SemVer §11: {prerelease!r} sorts before {'.'.join(latest.prerelease)!r}); "
                "use a later label or pass --version"
            )
        return result
    if last is None:
        return _at_least_channel(initial, latest)
    bump = bump_for(commits)
    if bump is Bump.NONE:
        raise InputError(
            f"no releasable commits since v{last} ({len(commits)} conventional commit(s), none "
            "a feat, fix, perf, revert or breaking change); pass --version to release anyway"
        )
    if bump is Bump.MAJOR and last.major == 0 and not major_on_zero:
        bump = Bump.MINOR
    return _at_least_channel(_apply(last, bump), latest)


def _at_least_channel(version: Version, latest: Version | None) -> Version:
    """``version``, or the version a later pre-release channel is heading to when higher.

    With ``v2.1.0`` and then ``v3.0.0-rc.1`` tagged, a fix makes ``3.0.0`` (the channel's
    final release), not ``2.1.1``, which would rank below the pre-release (SemVer §11.3).
    """
    if latest is not None and latest.is_prerelease and latest.core > version:
        return latest.core
    return version
