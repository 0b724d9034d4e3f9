"""Pipfile.lock (pipenv, ``pipfile-spec`` 6).

Every key other than ``_meta`` is a package category: ``default`` holds runtime dependencies
(required), ``develop`` development ones (excluded), any other (pipenv's custom categories) is
optional. A package in several categories takes the strongest scope. ``version`` is ``==X``;
entries with ``git``/``ref`` become version-less components with a ``vcs_url`` purl qualifier,
``path``/``file`` entries version-less local components. Pipfile.lock records no edges.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from liturgia.errors import InputError
from liturgia.model import Component, Scope
from liturgia.sbom.cataloger import Cataloger, CatalogResult, as_dict, load_json, opt_str
from liturgia.sbom.catalogers._python import ECOSYSTEM, hash_from_pip, pypi_component

__all__ = ["PipfileLockCataloger"]

_CATEGORY_SCOPE = {"default": Scope.REQUIRED, "develop": Scope.EXCLUDED}


class PipfileLockCataloger(Cataloger):
    """``Pipfile.lock`` files."""

    name: ClassVar[str] = "python-pipfile-lock"
    ecosystem: ClassVar[str] = ECOSYSTEM
    filenames: ClassVar[frozenset[str]] = frozenset({"Pipfile.lock"})

    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """Return one component per locked package (see the module docstring)."""
        doc = as_dict(load_json(data, found_in), found_in, "the document")
        meta = as_dict(doc.get("_meta", {}), found_in, "_meta")
        spec = meta.get("pipfile-spec", 6)
        if spec != 6:
            raise InputError(f"{found_in}: unsupported pipfile-spec {spec!r}")
        components: list[Component] = []
        warnings: list[str] = []
        for category, packages in sorted(doc.items()):
            if category == "_meta":
                continue
            scope = _CATEGORY_SCOPE.get(category, Scope.OPTIONAL)
            for name, raw in sorted(as_dict(packages, found_in, category).items()):
                entry = as_dict(raw, found_in, f"{category}.{name}")
                version = opt_str(entry.get("version"))
                pinned = version[2:] if version and version.startswith("==") else None
                # "*" (pipenv locks an unresolved marker-excluded package so): kept, no version.
                qualifiers = None
                git = opt_str(entry.get("git"))
                if git:
                    ref = opt_str(entry.get("ref"))
                    url = git if git.startswith("git+") else f"git+{git}"
                    qualifiers = {"vcs_url": f"{url}@{ref}" if ref else url}
                hashes = tuple(
                    h
                    for value in entry.get("hashes", [])
                    if isinstance(value, str) and (h := hash_from_pip(value)) is not None
                )
                components.append(
                    pypi_component(
                        name,
                        pinned,
                        found_in=found_in,
                        scope=scope,
                        hashes=hashes,
                        qualifiers=qualifiers,
                    )
                )
        return CatalogResult(components=tuple(components), warnings=tuple(warnings))
