"""The cataloger interface: one ecosystem file format in, components and edges out.

A :class:`Cataloger` says which files it claims (:meth:`Cataloger.claims`, by file name only, so
the directory walk never opens a file nobody wants) and what a claimed file yields
(:meth:`Cataloger.parse`, a pure function of the bytes). The base class carries the behaviour every
format shares: reading the file with a size limit and turning any malformation into one
:class:`~liturgia.errors.InputError` naming the file and the reason.

The documented contract, checked by a property-based test over mutated lockfiles:
:meth:`Cataloger.catalog` either returns a :class:`CatalogResult` or raises
:class:`~liturgia.errors.InputError`; nothing else escapes.
"""

from __future__ import annotations

import json
import logging
import tomllib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from liturgia.errors import InputError
from liturgia.model import Component, Dependency

__all__ = ["MAX_FILE_BYTES", "CatalogResult", "Cataloger", "direct_result"]

_log = logging.getLogger(__name__)

#: Largest file a cataloger reads, in bytes; a bigger one is a warning, not an out-of-memory.
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogResult:
    """What one file yielded.

    Attributes:
        root: the project the file describes (pyproject.toml, package.json, go.mod), if any.
        components: components found, possibly with duplicates across files (merged later).
        dependencies: "depends on" edges between component refs (and from ``root.ref``).
        warnings: lines for parts of the file that were skipped (file and reason).
    """

    root: Component | None = None
    components: tuple[Component, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    warnings: tuple[str, ...] = ()


def direct_result(
    root: Component | None, components: Sequence[Component], warnings: Sequence[str] = ()
) -> CatalogResult:
    """What a file that lists only direct dependencies yields (a manifest, a Go binary).

    The root, when known, depends directly on every listed component (one edge set); without a
    root there are no edges.
    """
    dependencies: tuple[Dependency, ...] = ()
    if root is not None:
        refs = tuple(sorted({c.ref for c in components}))
        dependencies = (Dependency(ref=root.ref, depends_on=refs),)
    return CatalogResult(
        root=root, components=tuple(components), dependencies=dependencies, warnings=tuple(warnings)
    )


class Cataloger(ABC):
    """One file format of one ecosystem.

    Subclasses set :attr:`name` (shown in warnings), :attr:`ecosystem` (OSV ecosystem name) and
    :attr:`filenames` (the exact file names they read) or override :meth:`claims` (names by
    pattern or place), and implement :meth:`parse`.
    """

    name: ClassVar[str]
    ecosystem: ClassVar[str]
    #: The exact file names this cataloger claims (``frozenset({"go.mod"})``).
    filenames: ClassVar[frozenset[str]] = frozenset()

    def claims(self, path: Path) -> bool:
        """Return whether this cataloger reads ``path`` (decided on the file name alone).

        By default: its name is one of :attr:`filenames`.
        """
        return path.name in self.filenames

    @abstractmethod
    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """Turn the bytes of a claimed file into components and edges.

        Args:
            data: the whole file.
            path: where it was read from (siblings such as package.json may be consulted).
            found_in: the path to record in ``Component.found_in`` (relative to the scan root).

        Raises:
            InputError: the bytes are not a readable file of this format (names the file).
        """

    def catalog(self, path: Path, *, found_in: str) -> CatalogResult:
        """Read ``path`` and parse it; every failure becomes an :class:`InputError`.

        Raises:
            InputError: unreadable, larger than :data:`MAX_FILE_BYTES`, or malformed.
        """
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise InputError(
                    f"{found_in}: {size} bytes, larger than the {MAX_FILE_BYTES}-byte limit"
                )
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{found_in}: cannot read: {exc.strerror or exc}") from exc
        _log.debug("%s: cataloging %s", self.name, found_in)
        try:
            return self.parse(data, path=path, found_in=found_in)
        except InputError:
            raise
        # A lockfile that parses as JSON/TOML/YAML but has the wrong shape surfaces as one of
        # these; they name what was wrong, and the file is reported rather than crashing the scan.
        # RecursionError: absurdly deep nesting ("[[[[..." a million times) in any parser.
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
            raise InputError(f"{found_in}: malformed {self.name}: {exc!r}") from exc


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message: warnings are one line each."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def one_line(exc: BaseException) -> str:
    """An exception's whole message with its line breaks collapsed (YAML errors span lines)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def load_json(data: bytes, found_in: str) -> Any:
    """Decode a JSON document, or raise :class:`InputError` naming the file and the position."""
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{found_in}: not valid JSON: {exc}") from exc


def load_toml(data: bytes, found_in: str) -> dict[str, Any]:
    """Decode a TOML document, or raise :class:`InputError` naming the file and the reason."""
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{found_in}: not valid TOML: {exc}") from exc


def load_yaml(text: str, found_in: str) -> Any:
    """Decode a YAML document with the safe loader (C-accelerated when PyYAML has it).

    Raises:
        InputError: not valid YAML (the message names the file and, on one line, why).
    """
    import yaml  # noqa: PLC0415 - only yarn Berry and pnpm locks are YAML

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise InputError(f"{found_in}: not valid YAML: {one_line(exc)}") from exc


def decode_text(data: bytes, found_in: str) -> str:
    """Decode UTF-8 text (a BOM is allowed), or raise :class:`InputError`."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{found_in}: not UTF-8 text: {exc}") from exc


def as_dict(value: Any, found_in: str, what: str) -> dict[str, Any]:
    """Return ``value`` if it is a JSON/TOML object, else raise :class:`InputError`."""
    if not isinstance(value, dict):
        raise InputError(f"{found_in}: {what} is {type(value).__name__}, expected a table/object")
    return value


def as_list(value: Any, found_in: str, what: str) -> list[Any]:
    """Return ``value`` if it is an array, else raise :class:`InputError`."""
    if not isinstance(value, list):
        raise InputError(f"{found_in}: {what} is {type(value).__name__}, expected an array")
    return value


def opt_str(value: Any) -> str | None:
    """Return ``value`` if it is a non-empty string, else ``None``."""
    return value if isinstance(value, str) and value else None
