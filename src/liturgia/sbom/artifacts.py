"""Release artifacts (wheels, sdists, tarballs, binaries) as CycloneDX ``file`` components.

:func:`artifact_component` describes one for the release's SBOM; :func:`artifact_digests` takes
them back out of an SBOM read with :func:`liturgia.sbom.formats.read_sbom` (``liturgia verify``).
"""

from __future__ import annotations

import re
from pathlib import Path

from liturgia._internal.files import sha256_file
from liturgia._internal.text import fs_text, utf8_name
from liturgia.errors import InputError, PolicyError
from liturgia.model import Component, ComponentType, Hash, Inventory

__all__ = ["artifact_component", "artifact_digests"]

_SHA256 = re.compile(r"[0-9a-f]{64}")


def artifact_component(path: Path, *, name: str | None = None) -> Component:
    """Describe a release artifact as a ``file`` component carrying its SHA-256.

    Args:
        path: the artifact file (read once, streaming; any size).
        name: the name recorded in the SBOM (default: the file name). ``liturgia verify`` looks
            artifacts up by this name in the release folder, so it is the bare file name there.

    Returns:
        A component of type ``file``, no version, no purl, one ``SHA-256`` hash, bom-ref
        ``file:<name>``.

    Raises:
        InputError: ``path`` is missing, a folder, or unreadable, or its name (the recorded
            name when none is given) is not valid UTF-8.
    """
    if path.is_dir():
        raise InputError(f"{fs_text(path)}: artifact is a folder, expected a file")
    label = name or utf8_name(path, what="artifact")
    digest = sha256_file(path)
    return Component(
        name=label,
        version=None,
        type=ComponentType.FILE,
        hashes=(Hash(algorithm="SHA-256", value=digest),),
        found_in=label,
        bom_ref=f"file:{label}",
    )


def artifact_digests(inventory: Inventory, *, source: str) -> dict[str, str]:
    """Map each ``file`` component's name to its SHA-256: the artifacts a release SBOM lists.

    The inverse of :func:`artifact_component` over an SBOM read with
    :func:`~liturgia.sbom.formats.read_sbom` (nested components included). A ``file``
    component without a SHA-256 hash is not an artifact liturgia recorded, and is skipped.

    Args:
        inventory: the SBOM as read.
        source: its name for messages (a file name).

    Returns:
        ``{name: lower-case hex SHA-256}``.

    Raises:
        PolicyError: ``"<source>: ..."``: a file component's SHA-256 is not 64 hex digits, or
            one name is listed twice with different digests.
    """
    digests: dict[str, str] = {}
    for component in inventory.components:
        if component.type is not ComponentType.FILE:
            continue
        sha = [h.value for h in component.hashes if h.algorithm == "SHA-256"]
        if not sha:
            continue
        name, value = component.name, sha[0]
        if not _SHA256.fullmatch(value):
            raise PolicyError(f"{source}: file component {name}: malformed SHA-256 {value!r}")
        if digests.get(name, value) != value:
            raise PolicyError(f"{source}: lists file {name} twice with different SHA-256 digests")
        digests[name] = value
    return digests
