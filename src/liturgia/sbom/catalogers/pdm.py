"""pdm.lock (PDM 2.x, ``lock_version`` 4.x).

Each ``[[package]]`` is a pinned component with the hashes of its ``files``. ``groups`` (per
package, PDM 2.11+) say which dependency groups need it: ``default`` means runtime (required);
only other groups (``dev``, ``test``...) excluded. Older locks without per-package groups keep
every package required. Edges: ``dependencies`` are PEP 508 requirement strings, resolved to the
locked package of that name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from packaging.requirements import InvalidRequirement, Requirement

from liturgia.model import Component, Scope
from liturgia.sbom._purl import pep503
from liturgia.sbom.cataloger import CatalogResult, as_list
from liturgia.sbom.catalogers._python import ECOSYSTEM, pypi_component
from liturgia.sbom.catalogers._toml_lock import (
    TomlLockCataloger,
    edges_by_name,
    file_hashes,
    pinned_packages,
)

__all__ = ["PdmLockCataloger"]


class PdmLockCataloger(TomlLockCataloger):
    """``pdm.lock`` files."""

    name: ClassVar[str] = "python-pdm-lock"
    ecosystem: ClassVar[str] = ECOSYSTEM
    filenames: ClassVar[frozenset[str]] = frozenset({"pdm.lock"})
    version_key: ClassVar[str] = "metadata.lock_version"
    version_default: ClassVar[object] = "4"
    majors: ClassVar[frozenset[str]] = frozenset({"4"})

    def parse_lock(
        self, doc: dict[str, Any], packages: list[dict[str, Any]], *, path: Path, found_in: str
    ) -> CatalogResult:
        """Return the locked packages, their scope and edges."""
        components: list[Component] = []
        wanted: list[tuple[str, list[str]]] = []
        warnings: list[str] = []
        for name, version, entry in pinned_packages(packages, found_in, warnings):
            groups = entry.get("groups")
            scope = Scope.REQUIRED
            if isinstance(groups, list) and groups and "default" not in groups:
                scope = Scope.EXCLUDED
            hashes = file_hashes(as_list(entry.get("files", []), found_in, f"{name} files"))
            component = pypi_component(name, version, found_in=found_in, scope=scope, hashes=hashes)
            components.append(component)
            names = []
            for spec in as_list(entry.get("dependencies", []), found_in, f"{name} deps"):
                try:
                    names.append(pep503(Requirement(str(spec)).name))
                except InvalidRequirement:
                    warnings.append(f"{found_in}: {name}: invalid dependency {spec!r}")
            wanted.append((component.ref, names))
        return CatalogResult(
            components=tuple(components),
            dependencies=edges_by_name(components, wanted),
            warnings=tuple(warnings),
        )
