"""Release tag names: a configurable format, read under a version scheme (SemVer or PEP 440).

A tag format is a string holding ``{version}`` once, e.g. ``v{version}`` (the default, the
semver.org FAQ's convention) or ``cli/v{version}`` for one component of a monorepo. A tag name is
read back by stripping the text around ``{version}`` and parsing the rest:

* scheme ``semver``: SemVer 2.0.0 (``1.2.3``, ``1.3.0-rc.1``); a tag that only PEP 440 reads
  (``v3.0.0rc1``) is reported as a warning naming it, never skipped in silence;
* scheme ``pep440``: PEP 440 release and pre-release versions (``3.0.0``, ``3.0.0rc1``,
  ``3.0.0a2``, ``3.0.0b1``) are read as the SemVer values ``3.0.0``, ``3.0.0-rc.1``,
  ``3.0.0-alpha.2``, ``3.0.0-beta.1``, which order the same way (SemVer §11 and PEP 440
  "Summary of permitted suffixes and relative ordering" agree on these forms); versions are
  written back in PEP 440 spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from liturgia.errors import ConfigError, InputError
from liturgia.release.version import Version

__all__ = ["DEFAULT_TAG_FORMAT", "TagFormat", "VersionScheme"]

#: The default tag format (semver.org FAQ: "v1.2.3" is a tag name, "1.2.3" the version).
DEFAULT_TAG_FORMAT = "v{version}"

# PEP 440 public versions of the forms a release tool writes: N.N.N with an optional a/b/rc
# pre-release (canonical spelling, PEP 440 "Pre-releases").
_PEP440 = re.compile(r"^(?P<core>\d+\.\d+\.\d+)(?:(?P<kind>a|b|rc)(?P<number>\d+))?$")
_PEP440_TO_SEMVER = {"a": "alpha", "b": "beta", "rc": "rc"}
_SEMVER_TO_PEP440 = {value: key for key, value in _PEP440_TO_SEMVER.items()}
# Characters git refuses in a ref name (git-check-ref-format(1)), plus the version placeholder.
_BAD_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|^/|/$|\.lock(?:/|$)|^-|\.$")


class VersionScheme(StrEnum):
    """How tag names spell versions."""

    SEMVER = "semver"
    PEP440 = "pep440"


@dataclass(frozen=True, slots=True, kw_only=True)
class TagFormat:
    """A tag name format such as ``v{version}`` or ``cli/v{version}``.

    Attributes:
        pattern: the format, holding ``{version}`` exactly once.
        scheme: how the version inside a tag is spelled.

    Raises:
        ConfigError: ``{version}`` is missing or repeated, another ``{...}`` placeholder is
            used, or the text around it cannot be part of a git tag name
            (git-check-ref-format(1)); the message names ``project.tag_format``.
    """

    pattern: str = DEFAULT_TAG_FORMAT
    scheme: VersionScheme = VersionScheme.SEMVER

    def __post_init__(self) -> None:
        """Validate the pattern."""
        where = f"project.tag_format {self.pattern!r}"
        if self.pattern.count("{version}") != 1:
            raise ConfigError(f"{where}: must hold {{version}} exactly once, e.g. 'v{{version}}'")
        rest = self.pattern.replace("{version}", "1.0.0")
        if "{" in rest or "}" in rest:
            raise ConfigError(f"{where}: the only placeholder allowed is {{version}}")
        if _BAD_REF.search(rest):
            raise ConfigError(f"{where}: not a valid git tag name (git-check-ref-format)")

    @property
    def prefix(self) -> str:
        """The text before ``{version}`` (``"cli/v"``)."""
        return self.pattern.partition("{version}")[0]

    @property
    def suffix(self) -> str:
        """The text after ``{version}`` (usually ``""``)."""
        return self.pattern.partition("{version}")[2]

    @property
    def glob(self) -> str:
        """A ``git tag --list`` pattern matching every candidate tag (``cli/v*``)."""
        return f"{self.prefix}*{self.suffix}"

    def spell(self, version: Version) -> str:
        """The version as the scheme writes it (``3.0.0rc1`` under PEP 440).

        Raises:
            InputError: under PEP 440, a pre-release other than ``alpha.N``, ``beta.N``,
                ``rc.N`` or build metadata, which PEP 440 cannot spell.
        """
        if self.scheme is VersionScheme.SEMVER:
            return str(version)
        core = str(version.core)
        if version.build:
            raise InputError(f"{version}: build metadata has no PEP 440 spelling")
        if not version.prerelease:
            return core
        pre = version.prerelease
        if len(pre) == 2 and pre[0] in _SEMVER_TO_PEP440 and pre[1].isdigit():
            return f"{core}{_SEMVER_TO_PEP440[pre[0]]}{pre[1]}"
        raise InputError(
            f"{version}: PEP 440 spells only alpha.N, beta.N and rc.N pre-releases "
            "(use --pre alpha, beta or rc, or version_scheme = 'semver')"
        )

    def name(self, version: Version) -> str:
        """The tag name of ``version`` (``v1.2.3``, ``cli/v1.2.3``, ``v3.0.0rc1``)."""
        return f"{self.prefix}{self.spell(version)}{self.suffix}"

    def parse(self, tag: str) -> Version | None:
        """The version a tag names under this format and scheme, or ``None`` when it is not one.

        ``v3.0.0rc1`` under the SemVer scheme is ``None`` (see :meth:`foreign`).
        """
        text = self._inner(tag)
        if text is None:
            return None
        if self.scheme is VersionScheme.PEP440:
            return _from_pep440(text)
        try:
            return Version.parse(text)
        except InputError:
            return None

    def foreign(self, tag: str) -> str | None:
        """Why a tag that looks like a release is not read under this scheme, or ``None``.

        A tag with this format's prefix whose version is PEP 440 while the scheme is SemVer (or
        SemVer while the scheme is PEP 440) gets a reason that names the setting to change.
        """
        text = self._inner(tag)
        if text is None or self.parse(tag) is not None:
            return None
        if self.scheme is VersionScheme.SEMVER and _from_pep440(text) is not None:
            return (
                f"tag {tag} is spelled in PEP 440, not SemVer: set project.version_scheme = "
                "'pep440' to read it"
            )
        if self.scheme is VersionScheme.PEP440 and _is_semver(text):
            return (
                f"tag {tag} is spelled in SemVer, not PEP 440: set project.version_scheme = "
                "'semver' to read it"
            )
        return None

    def _inner(self, tag: str) -> str | None:
        prefix, suffix = self.prefix, self.suffix
        if not tag.startswith(prefix) or not tag.endswith(suffix):
            return None
        inner = tag[len(prefix) : len(tag) - len(suffix)]
        return inner if inner and inner[0].isdigit() else None


def _is_semver(text: str) -> bool:
    try:
        Version.parse(text)
    except InputError:
        return False
    return True


def _from_pep440(text: str) -> Version | None:
    match = _PEP440.fullmatch(text)
    if match is None:
        return None
    try:
        core = Version.parse(match["core"])
    except InputError:
        return None
    if match["kind"] is None:
        return core
    return Version(
        major=core.major,
        minor=core.minor,
        patch=core.patch,
        prerelease=(_PEP440_TO_SEMVER[match["kind"]], str(int(match["number"]))),
    )
