"""NuGet ``packages.lock.json`` (.NET, lock ``version`` 1 and 2).

``dependencies`` maps each target framework to packages: ``type`` ``Direct``, ``Transitive``
or ``CentralTransitive`` entries are components ``pkg:nuget/<Name>@<resolved>``; ``Project``
entries are other projects of the solution, not packages. ``contentHash`` is the base64 SHA-512
of the ``.nupkg``. Edges: each entry's ``dependencies`` names resolved within the same target
framework. NuGet lock files do not separate development packages.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import ClassVar

from packageurl import PackageURL

from liturgia.errors import InputError
from liturgia.model import Component, Dependency, Hash
from liturgia.sbom.cataloger import Cataloger, CatalogResult, as_dict, load_json, opt_str

__all__ = ["NugetLockCataloger"]

ECOSYSTEM = "NuGet"


def _sha512(value: str | None) -> tuple[Hash, ...]:
    if not value:
        return ()
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return ()
    return (Hash(algorithm="SHA-512", value=digest.hex()),) if len(digest) == 64 else ()


class NugetLockCataloger(Cataloger):
    """``packages.lock.json`` files."""

    name: ClassVar[str] = "dotnet-packages-lock"
    ecosystem: ClassVar[str] = ECOSYSTEM

    def claims(self, path: Path) -> bool:
        """Claim files named ``packages.lock.json`` (any case, as NuGet writes it)."""
        return path.name.lower() == "packages.lock.json"

    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """Return one component per resolved package and the edges per framework."""
        doc = as_dict(load_json(data, found_in), found_in, "the document")
        if doc.get("version") not in {1, 2}:
            raise InputError(f"{found_in}: unsupported packages.lock.json version")
        components: dict[str, Component] = {}
        edges: dict[str, set[str]] = {}
        frameworks = as_dict(doc.get("dependencies", {}), found_in, "dependencies")
        for framework, raw in sorted(frameworks.items()):
            packages = as_dict(raw, found_in, f"dependencies.{framework}")
            refs: dict[str, str] = {}
            for name, entry_raw in packages.items():
                entry = as_dict(entry_raw, found_in, f"{framework}.{name}")
                version = opt_str(entry.get("resolved"))
                if entry.get("type") == "Project" or version is None:
                    continue
                purl = str(PackageURL(type="nuget", name=name, version=version))
                refs[name.lower()] = purl
                components.setdefault(
                    purl,
                    Component(
                        name=name,
                        version=version,
                        purl=purl,
                        ecosystem=ECOSYSTEM,
                        hashes=_sha512(opt_str(entry.get("contentHash"))),
                        found_in=found_in,
                        bom_ref=purl,
                    ),
                )
            for name, entry_raw in packages.items():
                if name.lower() not in refs:
                    continue
                deps = as_dict(entry_raw.get("dependencies") or {}, found_in, f"{name} deps")
                targets = edges.setdefault(refs[name.lower()], set())
                targets.update(refs[d.lower()] for d in deps if d.lower() in refs)
        return CatalogResult(
            components=tuple(components.values()),
            dependencies=tuple(
                Dependency(ref=ref, depends_on=tuple(sorted(t))) for ref, t in edges.items()
            ),
        )
