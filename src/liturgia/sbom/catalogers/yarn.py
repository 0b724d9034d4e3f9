"""yarn.lock: Yarn classic (lockfile v1) and Yarn Berry (2+, YAML with ``__metadata``).

Each entry resolves one or more descriptors (``name@range``, comma-separated in the key) to one
``version``; the package name comes from the descriptor (an ``npm:`` alias names the real package
in its range) or, for Berry, from ``resolution``. ``integrity`` (classic) is the npm SRI hash;
Berry's ``checksum`` is a digest of Yarn's own cache archive, not of the npm tarball, so it is not
recorded. Edges: each ``dependencies`` / ``optionalDependencies`` descriptor resolved to its entry.

yarn.lock does not say which packages are development-only: ``package.json`` beside it does
(``devDependencies``), so scope is computed by reachability from the manifest's dependency lists
(required, optional, dev), the same policy as every other ecosystem. Berry ``workspace:``
entries are projects, not packages: the one at ``.`` is the root.
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

__all__ = ["YarnLockCataloger", "split_descriptor"]


def split_descriptor(descriptor: str) -> tuple[str, str]:
    """``@scope/name@range`` -> (``@scope/name``, ``range``); the first ``@`` of a scope is
    part of the name."""
    index = descriptor.find("@", 1)
    if index < 0:
        return descriptor, ""
    return descriptor[:index], descriptor[index + 1 :]


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"')
    return text


def _parse_classic(text: str, found_in: str) -> dict[str, dict[str, Any]]:
    """Yarn v1's indentation format -> {key line: {field: value, block: {name: range}}}."""
    entries: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    block: dict[str, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        line = raw.strip()
        if indent == 0:
            if not line.endswith(":"):
                raise InputError(f"{found_in}:{number}: expected 'descriptor:' at column 1")
            current = {}
            block = None
            entries[line[:-1]] = current
            continue
        if current is None:
            raise InputError(f"{found_in}:{number}: indented line before any entry")
        key, _, value = line.partition(" ")
        if indent == 2:
            if key.endswith(":") and not value:
                block = {}
                current[key[:-1]] = block
            else:
                block = None
                current[_unquote(key)] = _unquote(value)
        elif block is not None:
            block[_unquote(key)] = _unquote(value)
        else:
            raise InputError(f"{found_in}:{number}: nested line outside a block")
    return entries


class YarnLockCataloger(Cataloger):
    """``yarn.lock`` (classic v1 and Berry)."""

    name: ClassVar[str] = "javascript-yarn-lock"
    ecosystem: ClassVar[str] = ECOSYSTEM
    filenames: ClassVar[frozenset[str]] = frozenset({"yarn.lock"})

    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """Return the packages, the edges, and the root from ``package.json``."""
        text = decode_text(data, found_in)
        berry = "__metadata:" in text[:2000]
        if berry:
            loaded = load_yaml(text, found_in)
            entries = dict(as_dict(loaded, found_in, "the document"))
            entries.pop("__metadata", None)
        else:
            entries = _parse_classic(text, found_in)

        by_descriptor: dict[str, str] = {}
        components: dict[str, Component] = {}
        raw_edges: dict[str, list[str]] = {}
        root_key: str | None = None
        for key, raw in entries.items():
            entry = as_dict(raw, found_in, f"entry {key!r}")
            descriptors = [_unquote(d) for d in str(key).split(",")]
            name, version = self._identity(descriptors[0], entry)
            if "@workspace:." in "".join(descriptors):
                root_key = key
            elif any("@workspace:" in d or "@link:" in d for d in descriptors):
                continue  # another workspace or a linked folder: a project, not a package
            component = npm_component(
                name,
                version,
                found_in=found_in,
                integrity=opt_str(entry.get("integrity")),
            )
            ref = key if key == root_key else component.ref
            for descriptor in descriptors:
                by_descriptor[descriptor] = ref
            if key != root_key:
                components.setdefault(component.ref, component)
            targets = raw_edges.setdefault(ref, [])
            for field in ("dependencies", "optionalDependencies"):
                for dep, rng in as_dict(entry.get(field) or {}, found_in, f"{key} {field}").items():
                    targets.append(f"{dep}@{rng}")

        edges = {
            ref: {by_descriptor[d] for d in descs if d in by_descriptor}
            for ref, descs in raw_edges.items()
        }
        manifest = read_manifest(path.parent)
        root = None
        starts: dict[str, set[str]] = {"dependencies": set(), "optional": set(), "dev": set()}
        if manifest is not None:
            for field, bucket in (
                ("dependencies", "dependencies"),
                ("optionalDependencies", "optional"),
                ("devDependencies", "dev"),
            ):
                for dep, rng in as_dict(manifest.get(field) or {}, "package.json", field).items():
                    desc = f"{dep}@{rng}" if not berry else _berry_descriptor(dep, str(rng))
                    if desc in by_descriptor:
                        starts[bucket].add(by_descriptor[desc])
            root = npm_component(
                opt_str(manifest.get("name")) or fs_text(path.parent.name),
                opt_str(manifest.get("version")),
                found_in=found_in,
                licenses=npm_licenses(manifest),
                type_=ComponentType.APPLICATION,
            )
        scopes = (
            scopes_by_reach(
                edges,
                required=starts["dependencies"],
                optional=starts["optional"],
                dev=starts["dev"],
            )
            if manifest is not None
            else {}
        )
        final = tuple(
            replace(c, scope=scopes.get(ref, Scope.REQUIRED)) for ref, c in components.items()
        )
        dependencies = [
            Dependency(ref=ref, depends_on=tuple(sorted(targets - {ref})))
            for ref, targets in edges.items()
            if ref != root_key
        ]
        if root is not None:
            direct = set().union(*starts.values())
            if root_key is not None:
                direct |= edges.get(root_key, set())
            dependencies.append(Dependency(ref=root.ref, depends_on=tuple(sorted(direct))))
        return CatalogResult(root=root, components=final, dependencies=tuple(dependencies))

    @staticmethod
    def _identity(descriptor: str, entry: dict[str, Any]) -> tuple[str, str | None]:
        resolution = opt_str(entry.get("resolution"))
        if resolution is not None:  # Berry: "name@npm:1.2.3"
            name, _ = split_descriptor(resolution)
        else:
            name, rng = split_descriptor(descriptor)
            if rng.startswith("npm:"):  # alias: "alias@npm:real@^1"
                name, _ = split_descriptor(rng[4:])
        return name, opt_str(str(entry["version"])) if "version" in entry else None


def _berry_descriptor(name: str, rng: str) -> str:
    """package.json ranges carry no protocol; Berry's lockfile keys add ``npm:``."""
    if ":" in rng:
        return f"{name}@{rng}"
    return f"{name}@npm:{rng}"
