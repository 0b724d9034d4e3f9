"""Release artifacts (wheels, sdists, tarballs, binaries) as CycloneDX ``file`` components."""

from __future__ import annotations

from pathlib import Path

from liturgia._internal.files import sha256_file
from liturgia._internal.text import fs_text, utf8_name
from liturgia.errors import InputError
from liturgia.model import Component, ComponentType, Hash

__all__ = ["artifact_component"]


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
