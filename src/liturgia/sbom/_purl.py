"""Package URLs per the purl specification (PURL-TYPES), built with packageurl-python.

- ``pypi``: name lower-cased with runs of ``-``, ``_`` and ``.`` made one ``-`` (PEP 503
  normalization, which the purl pypi type definition requires in its ``_`` -> ``-`` form).
- ``npm``: a scope (``@types``) is the namespace, so it is percent-encoded as ``%40types``.
- ``golang``: the module path up to its last ``/`` is the namespace, the last element the name.
  Module paths keep their case: Go module paths are case-sensitive (``github.com/Azure/...`` and
  ``github.com/azure/...`` are different modules), which the type definition's
  ``case_sensitive: true`` records.
"""

from __future__ import annotations

import base64
import binascii
import re

from packageurl import PackageURL

from liturgia.model import Hash

__all__ = [
    "golang_purl",
    "npm_purl",
    "npm_split",
    "pep503",
    "pypi_purl",
    "sri_hash",
]

_PEP503 = re.compile(r"[-_.]+")

#: Subresource Integrity algorithm prefixes -> CycloneDX hash algorithm names.
_SRI_ALGORITHMS = {"sha1": "SHA-1", "sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512"}
_DIGEST_BYTES = {"SHA-1": 20, "SHA-256": 32, "SHA-384": 48, "SHA-512": 64}


def pep503(name: str) -> str:
    """Return the PEP 503 normalized form of a Python distribution name."""
    return _PEP503.sub("-", name).lower()


def pypi_purl(name: str, version: str | None, *, qualifiers: dict[str, str] | None = None) -> str:
    """Return ``pkg:pypi/<normalized name>[@version][?qualifiers]``."""
    return str(
        PackageURL(type="pypi", name=pep503(name), version=version, qualifiers=qualifiers or {})
    )


def npm_split(name: str) -> tuple[str | None, str]:
    """Split an npm package name into (scope or ``None``, bare name)."""
    if name.startswith("@") and "/" in name:
        scope, _, bare = name.partition("/")
        return scope, bare
    return None, name


def npm_purl(name: str, version: str | None) -> str:
    """Return ``pkg:npm/[%40scope/]name[@version]``."""
    scope, bare = npm_split(name)
    return str(PackageURL(type="npm", namespace=scope, name=bare, version=version))


def golang_purl(module: str, version: str | None) -> str:
    """Return ``pkg:golang/<namespace>/<name>[@version]`` for a Go module path."""
    namespace, _, name = module.rpartition("/")
    return str(PackageURL(type="golang", namespace=namespace or None, name=name, version=version))


def sri_hash(integrity: str) -> tuple[Hash, ...]:
    """Turn a Subresource Integrity string (``sha512-<base64>``, maybe several) into hashes.

    Unknown algorithms, undecodable digests and digests of the wrong length are skipped (W3C SRI
    §3.3.3 ignores what it cannot use, too).
    """
    hashes: list[Hash] = []
    for token in integrity.split():
        algorithm, sep, b64 = token.partition("-")
        name = _SRI_ALGORITHMS.get(algorithm.lower())
        if not sep or name is None:
            continue
        try:
            digest = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(digest) == _DIGEST_BYTES[name]:
            hashes.append(Hash(algorithm=name, value=digest.hex()))
    return tuple(hashes)
