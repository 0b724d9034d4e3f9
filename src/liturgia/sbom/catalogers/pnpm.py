"""pnpm-lock.yaml, lockfileVersion 5.x, 6.x and 9.x.

Package keys name one installed package, written ``/name/1.0.0`` (5.x), ``/name@1.0.0(peer@2)``
(6.x) or ``name@1.0.0`` with the peer-resolved variants under ``snapshots`` (9.x). The component
is the key without its peer suffix (``(...)`` in 6+/9, ``_...`` in 5). ``resolution.integrity``
is the npm SRI hash. Dependency values are versions (``1.0.0(peer@2)``) or, for ``npm:``
aliases, whole ``name@version`` keys; ``link:`` values are local folders and are skipped.

Scope: 6.x and earlier flag ``dev: true|false`` on each package; 9.x does not, so scope is
computed by reachability from the importers' ``dependencies`` (required),
``optionalDependencies`` (optional) and ``devDependencies`` (excluded), for every version.
The importer ``.`` (root manifest from ``package.json``) gets an edge to each direct dependency.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from liturgia._internal.text import fs_text
from liturgia.errors import InputError
from liturgia.model import Component, ComponentType, Dependency, Scope
from liturgia.sbom._graph import scopes_by_reach
from liturgia.sbom.cataloger import (
    Cataloger,
    CatalogResult,
    as_dict,
    decode_text,
    load_yaml,
    opt_str,
)
from liturgia.sbom.catalogers.npm import ECOSYSTEM, npm_component, npm_licenses, read_manifest
from liturgia.sbom.catalogers.yarn import split_descriptor

__all__ = ["PnpmLockCataloger", "package_key"]

_DEP_FIELDS = ("dependencies", "optionalDependencies")
_IMPORTER_FIELDS = {
    "dependencies": "required",
    "optionalDependencies": "optional",
    "devDependencies": "dev",
}


def package_key(key: str) -> tuple[str, str] | None:
    """(name, version) of a package key of any lockfile version, peers removed."""
    text = key.lstrip("/").split("(", 1)[0]
    name, version = split_descriptor(text)
    slashes = name.count("/") - name.startswith("@")
    if version and slashes == 0:
        return name, version
    # 5.x: "name/1.0.0_peer" or "@scope/name/1.0.0"
    head, _, tail = text.rpartition("/")
    if not head or not tail:
        return None
    return head, tail.split("_", 1)[0]


def _target(name: str, value: Any) -> tuple[str, str] | None:
    """The (name, version) a dependency value points at."""
    if not isinstance(value, str | int | float) or str(value).startswith(("link:", "file:")):
        return None
    text = str(value).split("(", 1)[0]
    if "@" in text[1:] or text.startswith("/"):  # an alias: a whole key
        return package_key(text)
    return name, text.split("_", 1)[0]


class PnpmLockCataloger(Cataloger):
    """``pnpm-lock.yaml``."""

    name: ClassVar[str] = "javascript-pnpm-lock"
    ecosystem: ClassVar[str] = ECOSYSTEM
    filenames: ClassVar[frozenset[str]] = frozenset({"pnpm-lock.yaml"})

    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """Return the packages, edges, scopes and the root (see the module docstring)."""
        loaded = load_yaml(decode_text(data, found_in), found_in)
        doc = as_dict(loaded, found_in, "the document")
        version = str(doc.get("lockfileVersion", ""))
        if version.split(".", 1)[0] not in {"5", "6", "7", "8", "9"}:
            raise InputError(f"{found_in}: unsupported pnpm lockfileVersion {version!r}")
        packages = as_dict(doc.get("packages") or {}, found_in, "packages")
        snapshots = as_dict(doc.get("snapshots") or {}, found_in, "snapshots")

        components: dict[tuple[str, str], Component] = {}
        flagged: dict[tuple[str, str], Scope] = {}
        for key, raw in packages.items():
            ident = package_key(str(key))
            entry = as_dict(raw or {}, found_in, f"packages[{key!r}]")
            if ident is None:
                continue
            resolution = entry.get("resolution")
            integrity = resolution.get("integrity") if isinstance(resolution, dict) else None
            name = opt_str(entry.get("name")) or ident[0]
            pkg_version = opt_str(str(entry.get("version", ""))) or ident[1]
            components[ident] = npm_component(
                name,
                pkg_version,
                found_in=found_in,
                integrity=opt_str(integrity),
                licenses=npm_licenses(entry),
            )
            if "dev" in entry:
                flagged[ident] = (
                    Scope.EXCLUDED
                    if entry["dev"] is True
                    else Scope.OPTIONAL
                    if entry.get("optional") is True
                    else Scope.REQUIRED
                )

        edges: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for key, raw in [*packages.items(), *snapshots.items()]:
            ident = package_key(str(key))
            if ident is None or ident not in components:
                continue
            entry = as_dict(raw or {}, found_in, f"{key!r}")
            targets = edges.setdefault(ident, set())
            for field in _DEP_FIELDS:
                for dep, value in as_dict(
                    entry.get(field) or {}, found_in, f"{key} {field}"
                ).items():
                    target = _target(str(dep), value)
                    if target is not None and target in components:
                        targets.add(target)

        starts: dict[str, set[tuple[str, str]]] = {
            "required": set(),
            "optional": set(),
            "dev": set(),
        }
        importers = as_dict(doc.get("importers") or {".": doc}, found_in, "importers")
        for importer, raw in importers.items():
            body = as_dict(raw or {}, found_in, f"importers[{importer!r}]")
            for field, bucket in _IMPORTER_FIELDS.items():
                for dep, spec in as_dict(
                    body.get(field) or {}, found_in, f"{importer} {field}"
                ).items():
                    value = spec.get("version") if isinstance(spec, dict) else spec
                    target = _target(str(dep), value)
                    if target is not None and target in components:
                        starts[bucket].add(target)
        scopes = flagged or scopes_by_reach(
            edges, required=starts["required"], optional=starts["optional"], dev=starts["dev"]
        )
        final = {
            ident: replace(c, scope=scopes.get(ident, Scope.REQUIRED))
            for ident, c in components.items()
        }
        dependencies = [
            Dependency(
                ref=final[ident].ref,
                depends_on=tuple(sorted({final[t].ref for t in targets} - {final[ident].ref})),
            )
            for ident, targets in edges.items()
        ]
        manifest = read_manifest(path.parent) or {}
        root = npm_component(
            opt_str(manifest.get("name")) or fs_text(path.parent.name),
            opt_str(manifest.get("version")),
            found_in=found_in,
            licenses=npm_licenses(manifest),
            type_=ComponentType.APPLICATION,
        )
        direct = {final[t].ref for bucket in starts.values() for t in bucket}
        dependencies.append(Dependency(ref=root.ref, depends_on=tuple(sorted(direct))))
        return CatalogResult(
            root=root, components=tuple(final.values()), dependencies=tuple(dependencies)
        )
