"""composer.lock (PHP Composer), with composer.json beside it for the root.

``packages`` are runtime dependencies (required), ``packages-dev`` development ones (excluded).
Each is ``pkg:composer/<vendor>/<name>@<version>`` (the purl composer type: namespace is the
vendor; the version as locked, a leading ``v`` kept as Composer and Packagist show it).
``license`` is a list of SPDX identifiers (several mean a choice: joined with ``OR``, as Composer
documents). ``dist.shasum`` (SHA-1, often empty) is recorded when present. Edges from each
package's ``require`` (platform requirements ``php``, ``ext-*``, ``lib-*`` and
``composer-*`` are not packages and are skipped); the root (composer.json ``name``) depends on
its ``require`` and ``require-dev`` packages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from packageurl import PackageURL

from liturgia.errors import InputError
from liturgia.model import Component, ComponentType, Dependency, Hash, Scope
from liturgia.sbom.cataloger import Cataloger, CatalogResult, as_dict, as_list, load_json, opt_str

__all__ = ["ComposerLockCataloger"]

ECOSYSTEM = "Packagist"


def _is_platform(name: str) -> bool:
    return "/" not in name or name.startswith(("ext-", "lib-", "composer-"))


def _component(
    name: str,
    version: str | None,
    *,
    found_in: str,
    scope: Scope = Scope.REQUIRED,
    licenses: tuple[str, ...] = (),
    hashes: tuple[Hash, ...] = (),
    type_: ComponentType = ComponentType.LIBRARY,
) -> Component:
    vendor, _, bare = name.partition("/")
    purl = str(PackageURL(type="composer", namespace=vendor or None, name=bare, version=version))
    return Component(
        name=name,
        version=version,
        type=type_,
        purl=purl,
        ecosystem=ECOSYSTEM,
        licenses=licenses,
        hashes=hashes,
        scope=scope,
        found_in=found_in,
        bom_ref=purl,
    )


def _licences(entry: dict[str, Any]) -> tuple[str, ...]:
    value = entry.get("license")
    if isinstance(value, str) and value:
        return (value,)
    if isinstance(value, list):
        names = [v for v in value if isinstance(v, str) and v]
        if len(names) > 1:
            return (" OR ".join(f"({n})" if " " in n else n for n in names),)
        return tuple(names)
    return ()


class ComposerLockCataloger(Cataloger):
    """``composer.lock`` files."""

    name: ClassVar[str] = "php-composer-lock"
    ecosystem: ClassVar[str] = ECOSYSTEM
    filenames: ClassVar[frozenset[str]] = frozenset({"composer.lock"})

    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """Return the packages (dev ones excluded-scoped), their edges and the root."""
        doc = as_dict(load_json(data, found_in), found_in, "the document")
        components: dict[str, Component] = {}
        requires: dict[str, list[str]] = {}
        for section, scope in (("packages", Scope.REQUIRED), ("packages-dev", Scope.EXCLUDED)):
            for index, raw in enumerate(as_list(doc.get(section) or [], found_in, section)):
                entry = as_dict(raw, found_in, f"{section}[{index}]")
                name = opt_str(entry.get("name"))
                if name is None:
                    continue
                dist = entry.get("dist")
                shasum = opt_str(dist.get("shasum")) if isinstance(dist, dict) else None
                hashes = (
                    (Hash(algorithm="SHA-1", value=shasum.lower()),)
                    if shasum and len(shasum) == 40
                    else ()
                )
                component = _component(
                    name,
                    opt_str(entry.get("version")),
                    found_in=found_in,
                    scope=scope,
                    licenses=_licences(entry),
                    hashes=hashes,
                )
                components.setdefault(name.lower(), component)
                required = as_dict(entry.get("require") or {}, found_in, f"{name} require")
                requires[component.ref] = [r.lower() for r in required if not _is_platform(r)]
        dependencies = [
            Dependency(
                ref=ref,
                depends_on=tuple(sorted({components[n].ref for n in names if n in components})),
            )
            for ref, names in requires.items()
        ]
        root = None
        try:
            manifest = load_json((path.parent / "composer.json").read_bytes(), "composer.json")
        except (OSError, InputError):
            manifest = None
        if isinstance(manifest, dict) and isinstance(manifest.get("name"), str):
            root = _component(
                manifest["name"],
                opt_str(manifest.get("version")),
                found_in=found_in,
                licenses=_licences(manifest),
                type_=ComponentType.APPLICATION,
            )
            direct = {
                components[n.lower()].ref
                for table in ("require", "require-dev")
                for n in (manifest.get(table) or {})
                if isinstance(n, str) and n.lower() in components
            }
            dependencies.append(Dependency(ref=root.ref, depends_on=tuple(sorted(direct))))
        return CatalogResult(
            root=root, components=tuple(components.values()), dependencies=tuple(dependencies)
        )
