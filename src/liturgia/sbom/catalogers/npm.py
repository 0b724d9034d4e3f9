"""npm package-lock.json and npm-shrinkwrap.json, lockfileVersion 1, 2 and 3.

Versions 2 and 3 list every installed package under ``packages`` keyed by its folder
(``node_modules/a/node_modules/b``); version 1 nests ``dependencies`` objects, which are turned into
the same folder keys. The package name is the entry's ``name`` when present (``npm:`` aliases:
``node_modules/string-width-cjs`` holds ``string-width``), else the folder name after the last
``node_modules/``. ``link`` entries (workspaces) point at their target folder.

Scope: ``dev`` -> excluded; ``optional`` or ``devOptional`` -> optional; else required. Hashes
from ``integrity`` (Subresource Integrity). Edges: each of ``dependencies``,
``optionalDependencies`` and ``peerDependencies`` (and, for the root and workspace folders,
``devDependencies``; v1: ``requires``) is resolved as Node does: the nearest ``node_modules``
folder walking up from the dependent. The root component comes from ``packages[""]`` (or
``package.json`` beside a v1 lock) and gets an edge to each direct dependency.

Licences: the entry's ``license``. npm copies only a ``license`` field into its lockfiles, so a
package declaring the legacy ``licenses`` array has none there; for npm's hidden lockfile the
installed package's own ``package.json`` is read for those few entries.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from liturgia.errors import InputError
from liturgia.model import Component, ComponentType, Dependency, Scope
from liturgia.sbom._purl import npm_purl, sri_hash
from liturgia.sbom.cataloger import Cataloger, CatalogResult, as_dict, load_json, opt_str

__all__ = ["NpmLockCataloger", "npm_component", "npm_licenses", "read_manifest"]

ECOSYSTEM = "npm"
_NM = "node_modules/"
_DEP_FIELDS = ("dependencies", "optionalDependencies", "peerDependencies")


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """``package.json`` in ``directory`` as an object, or ``None`` if absent or unreadable."""
    try:
        manifest = json.loads((directory / "package.json").read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    return manifest if isinstance(manifest, dict) else None


def npm_licenses(entry: dict[str, Any]) -> tuple[str, ...]:
    """``license`` (an SPDX expression) or the legacy ``licenses`` array / ``{type}`` object."""
    value = entry.get("license")
    if isinstance(value, dict):
        value = value.get("type")
    if isinstance(value, str) and value.strip():
        return (value.strip(),)
    legacy = entry.get("licenses")
    if isinstance(legacy, list):
        out = [i.get("type") if isinstance(i, dict) else i for i in legacy]
        return tuple(v for v in out if isinstance(v, str) and v)
    return ()


def npm_component(
    name: str,
    version: str | None,
    *,
    found_in: str,
    scope: Scope = Scope.REQUIRED,
    integrity: str | None = None,
    licenses: tuple[str, ...] = (),
    type_: ComponentType = ComponentType.LIBRARY,
) -> Component:
    """Build an npm component with its purl (also its bom-ref)."""
    purl = npm_purl(name, version)
    return Component(
        name=name,
        version=version,
        type=type_,
        purl=purl,
        ecosystem=ECOSYSTEM,
        licenses=licenses,
        hashes=sri_hash(integrity) if integrity else (),
        scope=scope,
        found_in=found_in,
        bom_ref=purl,
    )


def _name_from_key(key: str) -> str:
    index = key.rfind(_NM)
    return key[index + len(_NM) :] if index >= 0 else key.rsplit("/", 1)[-1]


def _scope(entry: dict[str, Any]) -> Scope:
    if entry.get("dev") is True:
        return Scope.EXCLUDED
    if entry.get("optional") is True or entry.get("devOptional") is True:
        return Scope.OPTIONAL
    return Scope.REQUIRED


def _v1_packages(deps: dict[str, Any], prefix: str, out: dict[str, Any], found_in: str) -> None:
    """Flatten v1 nested ``dependencies`` into v2-style folder keys (``requires`` as deps)."""
    for name, raw in deps.items():
        entry = dict(as_dict(raw, found_in, f"dependencies.{name}"))
        key = f"{prefix}{_NM}{name}"
        version = opt_str(entry.get("version"))
        if version and version.startswith("npm:"):  # alias: npm:real-name@version
            real, _, real_version = version[4:].rpartition("@")
            entry["name"], entry["version"] = real, real_version
        requires = entry.pop("requires", {})
        nested = entry.pop("dependencies", {})
        entry["dependencies"] = requires if isinstance(requires, dict) else {}
        out[key] = entry
        _v1_packages(as_dict(nested, found_in, f"{key} dependencies"), f"{key}/", out, found_in)


class NpmLockCataloger(Cataloger):
    """``package-lock.json`` and ``npm-shrinkwrap.json``."""

    name: ClassVar[str] = "javascript-npm-lock"
    ecosystem: ClassVar[str] = ECOSYSTEM
    filenames: ClassVar[frozenset[str]] = frozenset(
        {"package-lock.json", "npm-shrinkwrap.json", ".package-lock.json"}
    )

    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """Return the root, every installed package and the resolved edges."""
        doc = as_dict(load_json(data, found_in), found_in, "the document")
        version = doc.get("lockfileVersion", 1)
        if version not in {1, 2, 3}:
            raise InputError(f"{found_in}: unsupported lockfileVersion {version!r}")
        packages: dict[str, Any]
        if "packages" in doc:
            packages = dict(as_dict(doc["packages"], found_in, "packages"))
        else:
            packages = {}
            _v1_packages(
                as_dict(doc.get("dependencies", {}), found_in, "deps"), "", packages, found_in
            )
            packages[""] = self._v1_root(doc, path)
        project = path.parent
        hidden = path.name == ".package-lock.json"
        if hidden:  # npm's hidden lockfile inside node_modules
            project = path.parent.parent
            manifest = read_manifest(project)
            if "" not in packages and manifest is not None:
                packages[""] = {
                    k: manifest[k]
                    for k in ("name", "version", "license", *_DEP_FIELDS, "devDependencies")
                    if k in manifest
                }
        root_entry = as_dict(packages.pop("", {}), found_in, 'packages[""]')

        components: dict[str, Component] = {}
        refs: dict[str, str] = {}
        warnings: list[str] = []
        for key, raw in packages.items():
            entry = as_dict(raw, found_in, f"packages[{key!r}]")
            if entry.get("link") is True:
                continue
            name = opt_str(entry.get("name")) or _name_from_key(key)
            version = opt_str(entry.get("version"))
            if version is None:
                warnings.append(f"{found_in}: packages[{key!r}] has no version")
            licenses = npm_licenses(entry)
            if not licenses and hidden and key.startswith(_NM):
                manifest = read_manifest(project / key)
                licenses = npm_licenses(manifest) if manifest is not None else ()
            component = npm_component(
                name,
                version,
                found_in=found_in,
                scope=_scope(entry),
                integrity=opt_str(entry.get("integrity")),
                licenses=licenses,
            )
            refs[key] = component.ref
            components.setdefault(component.ref, component)
        # Link entries (workspaces) resolve to their target's component.
        for key, raw in packages.items():
            if isinstance(raw, dict) and raw.get("link") is True:
                target = opt_str(raw.get("resolved"))
                if target is not None and target in refs:
                    refs[key] = refs[target]

        root = None
        root_name = opt_str(root_entry.get("name")) or project.name
        root = npm_component(
            root_name,
            opt_str(root_entry.get("version")),
            found_in=found_in,
            licenses=npm_licenses(root_entry),
            type_=ComponentType.APPLICATION,
        )
        edges: dict[str, set[str]] = {}
        for key, raw in [("", root_entry), *packages.items()]:
            entry = as_dict(raw, found_in, f"packages[{key!r}]")
            if entry.get("link") is True:
                continue
            fields: tuple[str, ...] = _DEP_FIELDS
            if key == "" or (not key.startswith(_NM) and _NM not in key):
                fields = (*_DEP_FIELDS, "devDependencies")  # root and workspace folders
            targets = edges.setdefault(root.ref if key == "" else refs[key], set())
            for field in fields:
                for dep in as_dict(entry.get(field, {}), found_in, f"{key} {field}"):
                    located = _locate(packages, key, dep)
                    if located is not None and located in refs:
                        targets.add(refs[located])
        dependencies = tuple(
            Dependency(ref=ref, depends_on=tuple(sorted(targets - {ref})))
            for ref, targets in sorted(edges.items())
        )
        return CatalogResult(
            root=root,
            components=tuple(components.values()),
            dependencies=dependencies,
            warnings=tuple(warnings),
        )

    @staticmethod
    def _v1_root(doc: dict[str, Any], path: Path) -> dict[str, Any]:
        """The root entry of a v1 lock: its name/version plus package.json's declared deps."""
        entry: dict[str, Any] = {"name": doc.get("name"), "version": doc.get("version")}
        manifest = read_manifest(path.parent)
        if manifest is not None:
            for field in (*_DEP_FIELDS, "devDependencies"):
                if isinstance(manifest.get(field), dict):
                    entry[field] = manifest[field]
            entry.setdefault("license", manifest.get("license"))
        else:  # no manifest: the top-level folders are the direct dependencies
            deps = doc.get("dependencies")
            entry["dependencies"] = dict.fromkeys(deps, "*") if isinstance(deps, dict) else {}
        return entry


def _locate(packages: dict[str, Any], from_key: str, dep: str) -> str | None:
    """Node's resolution: ``<from>/node_modules/<dep>``, then each ancestor folder's."""
    base = from_key
    while True:
        candidate = f"{base}/{_NM}{dep}" if base else f"{_NM}{dep}"
        if candidate in packages:
            return candidate
        if not base:
            return None
        index = base.rfind(f"/{_NM}")
        base = base[:index] if index >= 0 else ""
