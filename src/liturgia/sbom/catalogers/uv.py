"""uv.lock (uv's universal lockfile, ``version = 1``).

Every ``[[package]]`` is a component except the project itself (``source = {editable = "."}`` or
``{virtual = "."}``), which becomes the root. A universal lock may pin several versions of one
name (forks by marker): a dependency entry then carries ``version`` to say which; without it the
name is unique. Scope is computed by walking from the root: reachable through ``dependencies`` is
required, only through ``optional-dependencies`` (extras) optional, only through
``dev-dependencies`` (PEP 735 groups) excluded. Edges follow ``dependencies`` plus the
``optional-dependencies`` of each extra some edge requests. Hashes: the sdist and every wheel.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any, ClassVar

from liturgia.errors import InputError
from liturgia.model import Component, ComponentType, Dependency, Hash, Scope
from liturgia.sbom._purl import pep503
from liturgia.sbom.cataloger import CatalogResult, as_dict, as_list, opt_str
from liturgia.sbom.catalogers._python import ECOSYSTEM, pypi_component
from liturgia.sbom.catalogers._toml_lock import TomlLockCataloger, file_hashes

__all__ = ["UvLockCataloger"]

_Key = tuple[str, str | None]
_Edge = tuple[_Key, tuple[str, ...]]


class UvLockCataloger(TomlLockCataloger):
    """``uv.lock`` files."""

    name: ClassVar[str] = "python-uv-lock"
    ecosystem: ClassVar[str] = ECOSYSTEM
    filenames: ClassVar[frozenset[str]] = frozenset({"uv.lock"})
    version_key: ClassVar[str] = "version"

    def supported(self, version: object) -> bool:
        """Lock format version 1 (a TOML integer)."""
        return version == 1

    def parse_lock(
        self, doc: dict[str, Any], packages: list[dict[str, Any]], *, path: Path, found_in: str
    ) -> CatalogResult:
        """Return the root, every locked package with scope and hashes, and the edges."""
        graph = _Graph(packages, found_in)
        root_key = graph.root_key()
        scopes = graph.scopes(root_key)
        components: list[Component] = []
        refs: dict[_Key, str] = {}
        root = None
        for key, entry in sorted(graph.entries.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
            component = pypi_component(
                key[0],
                key[1],
                found_in=found_in,
                scope=scopes.get(key, Scope.REQUIRED),
                hashes=_hashes(entry),
                qualifiers=_qualifiers(entry),
                type_=ComponentType.APPLICATION if key == root_key else ComponentType.LIBRARY,
            )
            refs[key] = component.ref
            if key == root_key:
                root = component
            else:
                components.append(component)
        dependencies = []
        for key, entry in graph.entries.items():
            targets = [t for t, _ in graph.edges(entry, graph.requested[key], key[0])]
            if key == root_key:
                for table in ("optional-dependencies", "dev-dependencies"):
                    targets += [t for t, _ in graph.group_edges(entry, table)]
            dependencies.append(
                Dependency(ref=refs[key], depends_on=tuple(sorted({refs[t] for t in targets})))
            )
        return CatalogResult(
            root=root, components=tuple(components), dependencies=tuple(dependencies)
        )


class _Graph:
    """The packages of one uv.lock, keyed by (normalized name, version)."""

    def __init__(self, packages: list[dict[str, Any]], found_in: str) -> None:
        self.found_in = found_in
        self.entries: dict[_Key, dict[str, Any]] = {}
        self.names: dict[str, list[_Key]] = {}
        for index, entry in enumerate(packages):
            name = opt_str(entry.get("name"))
            if name is None:
                raise InputError(f"{found_in}: package[{index}] has no name")
            key = (pep503(name), opt_str(entry.get("version")))
            self.entries[key] = entry
            self.names.setdefault(key[0], []).append(key)
        # Extras requested anywhere, per package: their optional-dependencies are edges too.
        self.requested: dict[_Key, set[str]] = {k: set() for k in self.entries}
        for key, entry in self.entries.items():
            for target, extras in self.edges(entry, set(), key[0]):
                self.requested[target].update(extras)

    def root_key(self) -> _Key | None:
        """The project itself: the package whose source is ``editable``/``virtual`` ``"."``."""
        for key, entry in self.entries.items():
            if _source_kind(entry) in {"editable", "virtual"} and _source_value(entry) == ".":
                return key
        return None

    def resolve(self, dep: Any, where: str) -> _Edge | None:
        """The package a dependency entry names (``version`` disambiguates forks)."""
        item = as_dict(dep, self.found_in, where)
        name = pep503(str(item.get("name", "")))
        version = opt_str(item.get("version"))
        keys = [k for k in self.names.get(name, []) if version is None or k[1] == version]
        if len(keys) != 1:
            return None
        extras = as_list(item.get("extra", []), self.found_in, f"{where} extra")
        return keys[0], tuple(e for e in extras if isinstance(e, str))

    def edges(self, entry: dict[str, Any], extras: set[str], where: str) -> list[_Edge]:
        """``dependencies`` plus the ``optional-dependencies`` of the given extras."""
        out = []
        for dep in as_list(entry.get("dependencies", []), self.found_in, f"{where} deps"):
            if (edge := self.resolve(dep, where)) is not None:
                out.append(edge)
        optional = as_dict(entry.get("optional-dependencies", {}), self.found_in, where)
        for extra in sorted(extras & set(optional)):
            for dep in as_list(optional[extra], self.found_in, f"{where} extra {extra}"):
                if (edge := self.resolve(dep, where)) is not None:
                    out.append(edge)
        return out

    def group_edges(self, entry: dict[str, Any], table: str) -> list[_Edge]:
        """Edges into every group of ``optional-dependencies`` or ``dev-dependencies``."""
        out: list[_Edge] = []
        for group, deps in sorted(as_dict(entry.get(table, {}), self.found_in, table).items()):
            for dep in as_list(deps, self.found_in, f"{table}.{group}"):
                if (edge := self.resolve(dep, f"{table}.{group}")) is not None:
                    out.append(edge)
        return out

    def reach(self, starts: list[_Edge], root_key: _Key) -> set[_Key]:
        """Every package reachable from ``starts`` (breadth first, root excluded)."""
        seen: set[_Key] = set()
        queue = deque(starts)
        while queue:
            key, _extras = queue.popleft()
            if key in seen or key == root_key:
                continue
            seen.add(key)
            queue.extend(self.edges(self.entries[key], self.requested[key], key[0]))
        return seen

    def scopes(self, root_key: _Key | None) -> dict[_Key, Scope]:
        """Required / optional / excluded by reachability from the root (all required if none)."""
        if root_key is None:
            return {}
        root = self.entries[root_key]
        required = self.reach(self.edges(root, set(), root_key[0]), root_key)
        optional = self.reach(self.group_edges(root, "optional-dependencies"), root_key)
        dev = self.reach(self.group_edges(root, "dev-dependencies"), root_key)
        # A package nothing reaches (another workspace member) is kept as required.
        scopes = dict.fromkeys(self.entries, Scope.REQUIRED)
        scopes.update(dict.fromkeys(dev, Scope.EXCLUDED))
        scopes.update(dict.fromkeys(optional - required, Scope.OPTIONAL))
        scopes.update(dict.fromkeys(required, Scope.REQUIRED))
        scopes[root_key] = Scope.REQUIRED
        return scopes


def _source_kind(entry: dict[str, Any]) -> str | None:
    source = entry.get("source")
    return next(iter(source), None) if isinstance(source, dict) else None


def _source_value(entry: dict[str, Any]) -> Any:
    source = entry.get("source")
    return next(iter(source.values()), None) if isinstance(source, dict) else None


def _qualifiers(entry: dict[str, Any]) -> dict[str, str] | None:
    kind, value = _source_kind(entry), _source_value(entry)
    if kind == "git" and isinstance(value, str):
        return {"vcs_url": f"git+{value}"}
    if kind == "url" and isinstance(value, str):
        return {"download_url": value}
    return None


def _hashes(entry: dict[str, Any]) -> tuple[Hash, ...]:
    """The sdist's and every wheel's digest."""
    wheels = entry.get("wheels")
    return file_hashes([entry.get("sdist"), *(wheels if isinstance(wheels, list) else [])])
