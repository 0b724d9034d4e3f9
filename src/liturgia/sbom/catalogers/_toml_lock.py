"""What the TOML lockfiles (Cargo.lock, pdm.lock, poetry.lock, uv.lock) share.

Each is a TOML document with a lock-format version and an array of ``[[package]]`` tables.
:class:`TomlLockCataloger` claims its file by name, loads the TOML, refuses a lock version it does
not know (one :class:`~liturgia.errors.InputError` naming the file, the field and the value) and
hands the package tables, each checked to be a table, to :meth:`TomlLockCataloger.parse_lock`.
:func:`pinned_packages`, :func:`file_hashes` and :func:`edges_by_name` are the steps the Python
locks share after that.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from liturgia.errors import InputError
from liturgia.model import Component, Dependency, Hash
from liturgia.sbom.cataloger import Cataloger, CatalogResult, as_dict, as_list, load_toml, opt_str
from liturgia.sbom.catalogers._python import hash_from_pip

__all__ = ["TomlLockCataloger", "edges_by_name", "file_hashes", "pinned_packages"]


class TomlLockCataloger(Cataloger):
    """A TOML lockfile of ``[[package]]`` tables under a lock-format version.

    Subclasses set ``filenames`` (the lockfile's one name), :attr:`version_key` (``"version"``
    for a top-level key, ``"metadata.lock-version"`` for one in a table), :attr:`version_default`
    (the value when the key is absent) and :attr:`majors` (the major versions read), and
    implement :meth:`parse_lock`.
    """

    version_key: ClassVar[str]
    version_default: ClassVar[object] = None
    majors: ClassVar[frozenset[str]]

    def supported(self, version: object) -> bool:
        """Whether this lock version is read: its text's major (before the first dot) is known."""
        return str(version).split(".", maxsplit=1)[0] in self.majors

    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """Load the TOML, check the lock version, then :meth:`parse_lock` the packages.

        Raises:
            InputError: not TOML, an unsupported lock version, ``[[package]]`` not an array of
                tables, or whatever :meth:`parse_lock` finds malformed.
        """
        doc = load_toml(data, found_in)
        table, _, key = self.version_key.rpartition(".")
        holder = as_dict(doc.get(table, {}), found_in, f"[{table}]") if table else doc
        version = holder.get(key, self.version_default)
        if not self.supported(version):
            lock = min(self.filenames)
            raise InputError(f"{found_in}: unsupported {lock} {key} {version}")
        packages = [
            as_dict(raw, found_in, f"package[{index}]")
            for index, raw in enumerate(as_list(doc.get("package", []), found_in, "[[package]]"))
        ]
        return self.parse_lock(doc, packages, path=path, found_in=found_in)

    @abstractmethod
    def parse_lock(
        self, doc: dict[str, Any], packages: list[dict[str, Any]], *, path: Path, found_in: str
    ) -> CatalogResult:
        """Turn the checked document and its package tables (in file order) into a result.

        Raises:
            InputError: a package table is malformed (the message names the file).
        """


def pinned_packages(
    packages: Sequence[dict[str, Any]], found_in: str, warnings: list[str]
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(name, version, table)`` of each package that has both; the others are skipped.

    A skipped package appends ``"<found_in>: package[<i>] without name or version, skipped"``
    to ``warnings`` (a lock of other tools' making may hold such stubs).
    """
    for index, entry in enumerate(packages):
        name, version = opt_str(entry.get("name")), opt_str(entry.get("version"))
        if name is None or version is None:
            warnings.append(f"{found_in}: package[{index}] without name or version, skipped")
            continue
        yield name, version, entry


def file_hashes(files: Iterable[Any]) -> tuple[Hash, ...]:
    """The digests of lockfile ``files``/wheels entries: each ``{"hash": "sha256:<hex>", ...}``.

    Entries that are not tables, have no ``hash`` string or an unknown/malformed digest are
    skipped (a lock may record digests liturgia does not model).
    """
    return tuple(
        parsed
        for item in files
        if isinstance(item, dict) and isinstance(item.get("hash"), str)
        if (parsed := hash_from_pip(item["hash"])) is not None
    )


def edges_by_name(
    components: Sequence[Component], wanted: Iterable[tuple[str, Iterable[str]]]
) -> tuple[Dependency, ...]:
    """Edges from each ``(ref, dependency names)`` to every locked component of those names.

    A lock may pin several versions of one name (under exclusive markers): each is a target.
    Targets are sorted refs; an unknown name is no edge.
    """
    by_name: dict[str, list[str]] = {}
    for component in components:
        by_name.setdefault(component.name, []).append(component.ref)
    return tuple(
        Dependency(
            ref=ref, depends_on=tuple(sorted({t for n in names for t in by_name.get(n, [])}))
        )
        for ref, names in wanted
    )
