"""pip requirements files (pip's "Requirements File Format").

Implements the format pip documents: ``\\`` line continuations, comments after whitespace,
``-r/--requirement`` includes (followed, relative to the including file, each file once),
``-c/--constraint`` files (they pin versions of listed requirements but add nothing),
``-e/--editable`` lines, per-requirement ``--hash`` options, global options (ignored), PEP 508
requirements with extras, markers and direct URLs, and bare VCS/URL lines with ``#egg=``.

Lines are never silently dropped: a pinned line (``==`` or ``===``) gives a versioned component, a
ranged, bare, VCS, URL or editable line a component without a version (merging later drops a
version-less component when a pinned one of the same package exists). Environment markers are
kept as written: the SBOM describes every platform the file supports.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar
from urllib.parse import urldefrag

from liturgia.errors import InputError
from liturgia.model import Component, Hash
from liturgia.sbom._purl import pep503
from liturgia.sbom.cataloger import Cataloger, CatalogResult, decode_text
from liturgia.sbom.catalogers._python import (
    ECOSYSTEM,
    VCS_PREFIXES,
    hash_from_pip,
    local_project_name,
    parse_requirement,
    pypi_component,
    requirement_component,
)

__all__ = ["RequirementsCataloger"]

_COMMENT = re.compile(r"(^|\s+)#.*$")
_OPTION_START = re.compile(r"\s+(?=--?[A-Za-z])")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_INCLUDE = {"-r": "r", "--requirement": "r", "-c": "c", "--constraint": "c"}
_EDITABLE = ("-e", "--editable")
#: Deepest ``-r`` nesting followed (pip has no limit; a cycle is caught separately).
_MAX_DEPTH = 20


@dataclass(slots=True)
class _State:
    """Accumulated while one top-level file and its includes are read."""

    components: list[tuple[Component, str | None]] = field(default_factory=list)
    pins: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seen: set[Path] = field(default_factory=set)
    read: Callable[[Path], bytes] = Path.read_bytes  # how an included file is read


def logical_lines(text: str) -> list[tuple[int, str]]:
    """Join ``\\`` continuations and strip comments; return (first line number, text) pairs."""
    out: list[tuple[int, str]] = []
    buffer = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
        if raw.endswith("\\"):
            buffer += raw[:-1] + " "
            continue
        buffer += raw
        cleaned = _COMMENT.sub("", buffer).strip()
        buffer = ""
        if cleaned:
            out.append((start, cleaned))
    cleaned = _COMMENT.sub("", buffer).strip()
    if cleaned:
        out.append((start, cleaned))
    return out


def _split_option(line: str, names: tuple[str, ...]) -> str | None:
    """Return the value of ``-x VALUE``, ``-xVALUE``, ``--long VALUE`` or ``--long=VALUE``."""
    for name in names:
        if line == name:
            return ""
        if line.startswith(name + "=") and name.startswith("--"):
            return line[len(name) + 1 :].strip()
        if line.startswith(name) and line[len(name)].isspace():
            return line[len(name) :].strip()
        if not name.startswith("--") and line.startswith(name) and len(line) > len(name):
            return line[len(name) :].strip()
    return None


class RequirementsCataloger(Cataloger):
    """pip requirements files: ``*requirements*.txt``, ``requirements/*.txt``, ``*.in`` lists."""

    name: ClassVar[str] = "python-requirements"
    ecosystem: ClassVar[str] = ECOSYSTEM

    def claims(self, path: Path) -> bool:
        """Claim ``*requirements*.txt`` and ``*.txt`` inside a ``requirements`` folder."""
        lower = path.name.lower()
        return fnmatch.fnmatch(lower, "*requirements*.txt") or (
            path.parent.name.lower() == "requirements" and lower.endswith(".txt")
        )

    def parse(
        self,
        data: bytes,
        *,
        path: Path,
        found_in: str,
        read_include: Callable[[Path], bytes] | None = None,
    ) -> CatalogResult:
        """Read the file and everything it includes; see the module docstring for the rules.

        Args:
            data: the file's bytes.
            path: where it is (includes are resolved from its folder).
            found_in: how it is named in the output.
            read_include: reads an included file by its resolved path (default: from the file
                system; an archive's reader gives its own members). It raises ``OSError`` for
                a file it does not have, which becomes a warning naming the include.
        """
        state = _State() if read_include is None else _State(read=read_include)
        state.seen.add(path.resolve())
        self._read(decode_text(data, found_in), path, found_in, state, depth=0, constraint=False)
        components = []
        for listed, _name in state.components:
            pin = state.pins.get(listed.name)
            unpinned = listed.version is None and listed.purl and "?" not in listed.purl
            if unpinned and pin is not None:
                # A constraints file says which version this ranged line resolves to.
                components.append(
                    pypi_component(
                        listed.name, pin, found_in=listed.found_in or found_in, hashes=listed.hashes
                    )
                )
            else:
                components.append(listed)
        return CatalogResult(components=tuple(components), warnings=tuple(state.warnings))

    def _include(
        self,
        ref: str,
        path: Path,
        found_in: str,
        state: _State,
        *,
        depth: int,
        constraint: bool,
    ) -> None:
        target = (path.parent / ref).resolve()
        target_found_in = posixpath.normpath(posixpath.join(posixpath.dirname(found_in), ref))
        if target in state.seen:
            return
        if depth >= _MAX_DEPTH:
            state.warnings.append(f"{found_in}: includes nested deeper than {_MAX_DEPTH} levels")
            return
        state.seen.add(target)
        try:
            data = state.read(target)
            text = decode_text(data, target_found_in)
        except OSError as exc:
            state.warnings.append(f"{found_in}: cannot read included {ref}: {exc.strerror or exc}")
            return
        except InputError as exc:
            state.warnings.append(str(exc))
            return
        self._read(text, target, target_found_in, state, depth=depth + 1, constraint=constraint)

    def _read(
        self,
        text: str,
        path: Path,
        found_in: str,
        state: _State,
        *,
        depth: int,
        constraint: bool,
    ) -> None:
        for number, line in logical_lines(text):
            where = f"{found_in}:{number}"
            include = None
            for option, kind in _INCLUDE.items():
                value = _split_option(line, (option,))
                if value is not None:
                    include = (value, kind)
                    break
            if include is not None:
                ref, kind = include
                if not ref:
                    state.warnings.append(f"{where}: {line.split()[0]} without a file name")
                    continue
                self._include(
                    ref,
                    path,
                    found_in,
                    state,
                    depth=depth,
                    constraint=constraint or kind == "c",
                )
                continue
            editable = _split_option(line, _EDITABLE)
            if editable is not None:
                self._editable(editable, path, where, found_in, state)
                continue
            if line.startswith("-"):
                continue  # a global option (--index-url, --only-binary, --pre...): no component
            self._requirement(line, where, found_in, state, constraint=constraint)

    def _requirement(
        self, line: str, where: str, found_in: str, state: _State, *, constraint: bool
    ) -> None:
        parts = _OPTION_START.split(line, maxsplit=1)
        spec = parts[0].strip()
        hashes = _hashes(parts[1]) if len(parts) > 1 else ()
        if spec.startswith(VCS_PREFIXES) or re.match(r"^[a-z]+://", spec):
            self._url_line(spec, where, found_in, state, hashes)
            return
        try:
            req = parse_requirement(spec, where)
        except InputError as exc:
            state.warnings.append(str(exc))
            return
        component = requirement_component(req, found_in=found_in, hashes=hashes)
        if constraint:
            if component.version is not None:
                state.pins[component.name] = component.version
            return
        state.components.append((component, req.name))

    def _url_line(
        self, spec: str, where: str, found_in: str, state: _State, hashes: tuple[Hash, ...]
    ) -> None:
        egg = _EGG.search(spec)
        if egg is None:
            state.warnings.append(f"{where}: URL requirement without #egg=NAME: {spec}")
            return
        qualifier = "vcs_url" if spec.startswith(VCS_PREFIXES) else "download_url"
        component = pypi_component(
            egg.group(1),
            None,
            found_in=found_in,
            hashes=hashes,
            qualifiers={qualifier: urldefrag(spec).url},
        )
        state.components.append((component, egg.group(1)))

    def _editable(self, value: str, path: Path, where: str, found_in: str, state: _State) -> None:
        target = value.split(maxsplit=1)[0] if value.split() else ""
        if not target:
            state.warnings.append(f"{where}: -e without a path or URL")
            return
        if target.startswith(VCS_PREFIXES) or re.match(r"^[a-z]+://", target):
            self._url_line(target, where, found_in, state, ())
            return
        # A local source tree: its name comes from #egg=, its pyproject.toml, or the folder.
        egg = _EGG.search(target)
        local = urldefrag(target).url.removeprefix("file:")
        name = (
            egg.group(1)
            if egg
            else local_project_name(path.parent / local) or Path(local).name or local
        )
        component = Component(
            name=pep503(name),
            version=None,
            ecosystem=ECOSYSTEM,
            found_in=found_in,
            bom_ref=f"{found_in}#editable:{local}",
        )
        state.components.append((component, name))


def _hashes(options: str) -> tuple[Hash, ...]:
    """The ``--hash=algo:hex`` values among a requirement's options."""
    hashes: list[Hash] = []
    try:
        tokens = shlex.split(options)
    except ValueError:
        tokens = options.split()
    for i, token in enumerate(tokens):
        value = None
        if token.startswith("--hash="):
            value = token.removeprefix("--hash=")
        elif token == "--hash" and i + 1 < len(tokens):  # noqa: S105 - an option name  # noqa: S105 - an option name
            value = tokens[i + 1]
        if value is not None and (parsed := hash_from_pip(value)) is not None:
            hashes.append(parsed)
    return tuple(hashes)
