"""Helpers the Python catalogers share: PEP 508 requirements to components."""

from __future__ import annotations

import tomllib
from pathlib import Path
from urllib.parse import urldefrag

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

from liturgia.errors import InputError
from liturgia.model import Component, ComponentType, Hash, Scope
from liturgia.sbom._purl import pep503, pypi_purl
from liturgia.sbom.cataloger import first_line

__all__ = [
    "ECOSYSTEM",
    "VCS_PREFIXES",
    "hash_from_pip",
    "parse_requirement",
    "pinned_version",
    "pypi_component",
    "requirement_component",
]

ECOSYSTEM = "PyPI"
VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")

#: pip ``--hash`` / lockfile ``algo:hex`` names -> CycloneDX hash algorithm names.
_HASH_NAMES = {
    "md5": "MD5",
    "sha1": "SHA-1",
    "sha256": "SHA-256",
    "sha384": "SHA-384",
    "sha512": "SHA-512",
}

_HEX_LENGTHS = {"MD5": 32, "SHA-1": 40, "SHA-256": 64, "SHA-384": 96, "SHA-512": 128}


def hash_from_pip(value: str) -> Hash | None:
    """Turn ``sha256:<hex>`` into a :class:`Hash`; ``None`` for unknown or non-hex digests."""
    algorithm, sep, digest = value.strip().partition(":")
    name = _HASH_NAMES.get(algorithm.lower())
    digest = digest.lower()
    if (
        not sep
        or name is None
        or len(digest) != _HEX_LENGTHS[name]
        or any(c not in "0123456789abcdef" for c in digest)
    ):
        return None
    return Hash(algorithm=name, value=digest)


def pinned_version(specifier: SpecifierSet) -> str | None:
    """Return the version a specifier set pins exactly (``==X`` without ``*``, or ``===X``)."""
    specs = list(specifier)
    if len(specs) != 1:
        return None
    spec = specs[0]
    if spec.operator == "===" or (spec.operator == "==" and "*" not in spec.version):
        return spec.version
    return None


def parse_requirement(text: str, found_in: str) -> Requirement:
    """Parse one PEP 508 requirement string.

    Raises:
        InputError: not a valid requirement (names the file and the text).
    """
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        raise InputError(f"{found_in}: invalid requirement {text!r}: {first_line(exc)}") from exc


def pypi_component(
    name: str,
    version: str | None,
    *,
    found_in: str,
    scope: Scope = Scope.REQUIRED,
    hashes: tuple[Hash, ...] = (),
    qualifiers: dict[str, str] | None = None,
    licenses: tuple[str, ...] = (),
    type_: ComponentType = ComponentType.LIBRARY,
) -> Component:
    """Build a PyPI component with its purl (the purl is also its bom-ref)."""
    purl = pypi_purl(name, version, qualifiers=qualifiers)
    return Component(
        name=pep503(name),
        version=version,
        type=type_,
        purl=purl,
        ecosystem=ECOSYSTEM,
        licenses=licenses,
        hashes=hashes,
        scope=scope,
        found_in=found_in,
        bom_ref=purl,
    )


def requirement_component(
    req: Requirement,
    *,
    found_in: str,
    scope: Scope = Scope.REQUIRED,
    hashes: tuple[Hash, ...] = (),
    pin: str | None = None,
) -> Component:
    """The component a PEP 508 requirement names.

    A pinned requirement (``==1.2``, ``===1.2``) gets its version; a ranged or bare one is kept
    without a version (``pin`` supplies one from a constraints file); a direct URL reference keeps
    its URL as the ``vcs_url`` (for ``git+`` and the like) or ``download_url`` purl qualifier.
    """
    version = pinned_version(req.specifier) or pin
    qualifiers: dict[str, str] | None = None
    if req.url:
        url = req.url
        if url.startswith(VCS_PREFIXES):
            qualifiers = {"vcs_url": urldefrag(url).url}
        else:
            qualifiers = {"download_url": urldefrag(url).url}
    return pypi_component(
        req.name,
        version,
        found_in=found_in,
        scope=scope,
        hashes=hashes,
        qualifiers=qualifiers,
    )


def local_project_name(directory: Path) -> str | None:
    """The ``[project] name`` of a local source tree, if it has a readable pyproject.toml."""
    try:
        data = tomllib.loads((directory / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    project = data.get("project")
    if isinstance(project, dict) and isinstance(project.get("name"), str):
        return str(project["name"])
    return None
