"""pdm.lock (PDM 2.x, ``lock_version`` 4.x).

Each ``[[package]]`` is a pinned component with the hashes of its ``files``. ``groups`` (per
package, PDM 2.11+) say which dependency groups need it: ``default`` means runtime (required);
only other groups (``dev``, ``test``...) excluded. Older locks without per-package groups keep
every package required. Edges: ``dependencies`` are PEP 508 requirement strings, resolved to the
locked package of that name.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from packaging.requirements import InvalidRequirement, Requirement

from liturgia.errors import InputError
from liturgia.model import Component, Dependency, Scope
from liturgia.sbom._purl import pep503
from liturgia.sbom.cataloger import (
    Cataloger,
    CatalogResult,
    as_dict,
    as_list,
    load_toml,
    opt_str,
)
from liturgia.sbom.catalogers._python import ECOSYSTEM, hash_from_pip, pypi_component

__all__ = ["PdmLockCataloger"]


class PdmLockCataloger(Cataloger):
    """``pdm.lock`` files."""

    name: ClassVar[str] = "python-pdm-lock"
    ecosystem: ClassVar[str] = ECOSYSTEM

    def claims(self, path: Path) -> bool:
        """Claim files named exactly ``pdm.lock``."""
        return path.name == "pdm.lock"

    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """Return the locked packages, their scope and edges."""
        doc = load_toml(data, found_in)
        metadata = as_dict(doc.get("metadata", {}), found_in, "[metadata]")
        lock_version = str(metadata.get("lock_version", "4"))
        if lock_version.split(".", 1)[0] != "4":
            raise InputError(f"{found_in}: unsupported pdm.lock lock_version {lock_version}")
        components: list[Component] = []
        wanted: list[tuple[str, list[str]]] = []
        warnings: list[str] = []
        for index, raw in enumerate(as_list(doc.get("package", []), found_in, "[[package]]")):
            entry = as_dict(raw, found_in, f"package[{index}]")
            name, version = opt_str(entry.get("name")), opt_str(entry.get("version"))
            if name is None or version is None:
                warnings.append(f"{found_in}: package[{index}] without name or version")
                continue
            groups = entry.get("groups")
            scope = Scope.REQUIRED
            if isinstance(groups, list) and groups and "default" not in groups:
                scope = Scope.EXCLUDED
            files = as_list(entry.get("files", []), found_in, f"{name} files")
            hashes = tuple(
                h
                for f in files
                if isinstance(f, dict) and isinstance(f.get("hash"), str)
                if (h := hash_from_pip(f["hash"])) is not None
            )
            component = pypi_component(name, version, found_in=found_in, scope=scope, hashes=hashes)
            components.append(component)
            names = []
            for spec in as_list(entry.get("dependencies", []), found_in, f"{name} deps"):
                try:
                    names.append(pep503(Requirement(str(spec)).name))
                except InvalidRequirement:
                    warnings.append(f"{found_in}: {name}: invalid dependency {spec!r}")
            wanted.append((component.ref, names))
        by_name: dict[str, list[str]] = {}
        for component in components:
            by_name.setdefault(component.name, []).append(component.ref)
        dependencies = tuple(
            Dependency(
                ref=ref, depends_on=tuple(sorted({t for n in names for t in by_name.get(n, [])}))
            )
            for ref, names in wanted
        )
        return CatalogResult(
            components=tuple(components), dependencies=dependencies, warnings=tuple(warnings)
        )
