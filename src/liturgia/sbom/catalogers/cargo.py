"""Cargo.lock (Rust), lock format versions 1 to 4, with Cargo.toml beside it for the root.

Every ``[[package]]`` with a ``source`` (a registry or git) is a component
``pkg:cargo/<name>@<version>``; ``checksum`` (v2+) is the SHA-256 of the ``.crate`` file (v1 keeps
it in ``[metadata]`` as ``"checksum <name> <version> (<source>)"``). Packages without a source are
workspace members: the one Cargo.toml names is the root (type application), the others
application components. Edges: ``dependencies`` entries are ``name``, ``name version`` or
``name version (source)``, resolved to the locked package. Cargo.lock does not mark
development-only packages; Cargo.toml's ``[dev-dependencies]`` and ``[build-dependencies]`` do:
what only those reach is excluded, by reachability.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from packageurl import PackageURL

from liturgia.errors import InputError
from liturgia.model import Component, ComponentType, Dependency, Hash, Scope
from liturgia.sbom._graph import scopes_by_reach
from liturgia.sbom.cataloger import CatalogResult, as_dict, as_list, opt_str
from liturgia.sbom.catalogers._toml_lock import TomlLockCataloger

__all__ = ["CargoLockCataloger"]

ECOSYSTEM = "crates.io"
_Key = tuple[str, str]


def _read_manifest(directory: Path) -> dict[str, Any]:
    try:
        return tomllib.loads((directory / "Cargo.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


class CargoLockCataloger(TomlLockCataloger):
    """``Cargo.lock`` files."""

    name: ClassVar[str] = "rust-cargo-lock"
    ecosystem: ClassVar[str] = ECOSYSTEM
    filenames: ClassVar[frozenset[str]] = frozenset({"Cargo.lock"})
    version_key: ClassVar[str] = "version"
    version_default: ClassVar[object] = 1

    def supported(self, version: object) -> bool:
        """Lock format versions 1 to 4 (a TOML integer)."""
        return version in {1, 2, 3, 4}

    def parse_lock(
        self, doc: dict[str, Any], packages: list[dict[str, Any]], *, path: Path, found_in: str
    ) -> CatalogResult:
        """Return the crates, the edges and the root crate (see the module docstring)."""
        legacy = as_dict(doc.get("metadata", {}), found_in, "[metadata]")
        entries: dict[_Key, dict[str, Any]] = {}
        for index, entry in enumerate(packages):
            name, ver = opt_str(entry.get("name")), opt_str(entry.get("version"))
            if name is None or ver is None:
                raise InputError(f"{found_in}: package[{index}] without name or version")
            entries[(name, ver)] = entry
        by_name: dict[str, list[_Key]] = {}
        for key in entries:
            by_name.setdefault(key[0], []).append(key)

        components: dict[_Key, Component] = {}
        for (name, ver), entry in entries.items():
            source = opt_str(entry.get("source"))
            checksum = opt_str(entry.get("checksum")) or opt_str(
                legacy.get(f"checksum {name} {ver} ({source})")
            )
            purl = str(PackageURL(type="cargo", name=name, version=ver))
            hashes: tuple[Hash, ...] = ()
            if checksum and len(checksum) == 64:
                hashes = (Hash(algorithm="SHA-256", value=checksum.lower()),)
            components[(name, ver)] = Component(
                name=name,
                version=ver,
                type=ComponentType.LIBRARY if source else ComponentType.APPLICATION,
                purl=purl,
                ecosystem=ECOSYSTEM,
                hashes=hashes,
                found_in=found_in,
                bom_ref=purl,
            )
        edges: dict[_Key, set[_Key]] = {}
        for key, entry in entries.items():
            targets = edges.setdefault(key, set())
            for spec in as_list(entry.get("dependencies", []), found_in, f"{key[0]} deps"):
                parts = str(spec).split()
                candidates = by_name.get(parts[0], []) if parts else []
                if len(parts) > 1:
                    candidates = [k for k in candidates if k[1] == parts[1]]
                targets.update(candidates[:1] if len(candidates) == 1 else [])

        manifest = _read_manifest(path.parent)
        package = manifest.get("package") if isinstance(manifest.get("package"), dict) else {}
        root_name = opt_str(package.get("name")) if isinstance(package, dict) else None
        root_key = next(
            (k for k in entries if k[0] == root_name and "source" not in entries[k]), None
        )
        scopes: dict[_Key, Scope] = {}
        if root_key is not None:

            def named(table: str) -> set[_Key]:
                deps = manifest.get(table)
                names = set(deps) if isinstance(deps, dict) else set()
                return {t for t in edges.get(root_key, set()) if t[0] in names}

            runtime = edges[root_key] - named("dev-dependencies") - named("build-dependencies")
            dev = named("dev-dependencies") | named("build-dependencies")
            scopes = scopes_by_reach(edges, required=runtime, dev=dev)
        root = None
        listed: list[Component] = []
        for key, component in components.items():
            if key == root_key:
                licence = package.get("license") if isinstance(package, dict) else None
                root = replace(component, licenses=(licence,) if isinstance(licence, str) else ())
            else:
                listed.append(replace(component, scope=scopes.get(key, Scope.REQUIRED)))
        dependencies = tuple(
            Dependency(
                ref=components[key].ref,
                depends_on=tuple(sorted(components[t].ref for t in targets if t != key)),
            )
            for key, targets in edges.items()
        )
        return CatalogResult(root=root, components=tuple(listed), dependencies=dependencies)
