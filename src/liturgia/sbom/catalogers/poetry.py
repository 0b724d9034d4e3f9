"""poetry.lock, lock-version 1.x (Poetry 1.x) and 2.x (Poetry 2.x).

Each ``[[package]]`` is a pinned component. Scope: Poetry 2 lists the dependency ``groups`` a
package belongs to (``main`` means a runtime dependency); Poetry 1 has ``category = "main"|"dev"``.
A package only in non-main groups is excluded (development only); ``optional = true`` (needed by an
extra only) is optional. Hashes come from ``files`` (2.x) or ``[metadata.files]`` (1.x). Edges:
each package's ``[package.dependencies]`` names, resolved to every locked package of that name
(Poetry may lock several versions of one name under exclusive markers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from liturgia.model import Component, Scope
from liturgia.sbom._purl import pep503
from liturgia.sbom.cataloger import CatalogResult, as_dict, as_list, opt_str
from liturgia.sbom.catalogers._python import ECOSYSTEM, pypi_component
from liturgia.sbom.catalogers._toml_lock import (
    TomlLockCataloger,
    edges_by_name,
    file_hashes,
    pinned_packages,
)

__all__ = ["PoetryLockCataloger"]


class PoetryLockCataloger(TomlLockCataloger):
    """``poetry.lock`` files."""

    name: ClassVar[str] = "python-poetry-lock"
    ecosystem: ClassVar[str] = ECOSYSTEM
    filenames: ClassVar[frozenset[str]] = frozenset({"poetry.lock"})
    version_key: ClassVar[str] = "metadata.lock-version"
    version_default: ClassVar[object] = "1.0"
    majors: ClassVar[frozenset[str]] = frozenset({"1", "2"})

    def parse_lock(
        self, doc: dict[str, Any], packages: list[dict[str, Any]], *, path: Path, found_in: str
    ) -> CatalogResult:
        """Return every locked package with scope, hashes and dependency edges."""
        metadata = as_dict(doc.get("metadata", {}), found_in, "[metadata]")
        legacy_files = as_dict(metadata.get("files", {}), found_in, "[metadata.files]")
        components: list[Component] = []
        wanted: list[tuple[str, list[str]]] = []
        warnings: list[str] = []
        for name, version, entry in pinned_packages(packages, found_in, warnings):
            files = entry.get("files", legacy_files.get(name, legacy_files.get(pep503(name), [])))
            component = pypi_component(
                name,
                version,
                found_in=found_in,
                scope=_scope(entry),
                hashes=file_hashes(as_list(files, found_in, f"{name} files")),
                qualifiers=_qualifiers(entry),
            )
            components.append(component)
            deps = as_dict(entry.get("dependencies", {}), found_in, f"{name} dependencies")
            wanted.append((component.ref, sorted(pep503(d) for d in deps)))
        return CatalogResult(
            components=tuple(components),
            dependencies=edges_by_name(components, wanted),
            warnings=tuple(warnings),
        )


def _scope(entry: dict[str, Any]) -> Scope:
    groups = entry.get("groups")
    # Poetry 2 lists groups; Poetry 1 has a single category.
    main = "main" in groups if isinstance(groups, list) else entry.get("category") != "dev"
    if not main:
        return Scope.EXCLUDED
    return Scope.OPTIONAL if entry.get("optional") is True else Scope.REQUIRED


def _qualifiers(entry: dict[str, Any]) -> dict[str, str] | None:
    """``vcs_url`` for git sources, ``download_url`` for url sources (purl qualifiers)."""
    source = entry.get("source")
    if not isinstance(source, dict):
        return None
    kind, url = source.get("type"), opt_str(source.get("url"))
    if kind == "git" and url:
        ref = opt_str(source.get("resolved_reference")) or opt_str(source.get("reference"))
        return {"vcs_url": f"git+{url}@{ref}" if ref else f"git+{url}"}
    if kind == "url" and url:
        return {"download_url": url}
    return None
