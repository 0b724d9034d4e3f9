"""Go modules: go.mod with its go.sum (Go Modules Reference, "go.mod files" and "go.sum files").

``module`` names the root component (type ``application``, no version: a source tree has none,
so its purl carries none rather than Syft's ``(devel)``). Every ``require`` (block or single
line; ``// indirect`` ones too, since since Go 1.17 go.mod lists every module the build needs)
becomes a required component with an edge from the root. ``replace old [v] => new v`` substitutes
the replacement module; ``=> ./local/path`` keeps the module path without a version. ``exclude``
lines name versions the build never selects: a require of an excluded version is reported.

The Go standard library is a component too, as govulncheck and osv-scanner treat it:
``pkg:golang/stdlib@<version>`` with the version of the ``toolchain`` directive when present
(``toolchain go1.21.3`` -> ``1.21.3``), else of the ``go`` directive (``go 1.21`` -> ``1.21.0``;
before Go 1.21 the directive names a language version, read as its ``.0`` release), so that GO
records on ``stdlib`` are matched against source trees, not only binaries.

Hashes: the ``h1:`` line of go.sum for ``module version`` (not ``version/go.mod``) is recorded as
its SHA-256 digest in hex. ``h1`` is the SHA-256 of the module's dirhash summary (golang.org/x/
mod/sumdb/dirhash Hash1), not of a zip file.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from liturgia.errors import InputError
from liturgia.model import Component, ComponentType, Hash
from liturgia.sbom._purl import golang_purl
from liturgia.sbom.cataloger import Cataloger, CatalogResult, decode_text, direct_result

__all__ = ["GoModCataloger", "go_component", "go_release", "local_replacements", "parse_go_sum"]

ECOSYSTEM = "Go"
_GO_RELEASE = re.compile(r"^(?:go)?(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?$")


def go_release(text: str) -> str | None:
    """A Go release as OSV's Go ecosystem writes ``stdlib`` versions.

    ``go1.21.3`` / ``1.21.3`` -> ``1.21.3``; ``1.21`` -> ``1.21.0``; ``go1.21rc2`` ->
    ``1.21.0-rc.2``. Returns ``None`` for anything else.
    """
    match = _GO_RELEASE.match(text.strip())
    if match is None:
        return None
    major, minor, patch, kind, number = match.groups()
    version = f"{major}.{minor}.{patch or 0}"
    return f"{version}-{kind}.{number}" if kind else version


@dataclass(frozen=True, slots=True, kw_only=True)
class _Require:
    path: str
    version: str
    indirect: bool


def go_component(
    module: str,
    version: str | None,
    *,
    found_in: str,
    hashes: tuple[Hash, ...] = (),
    type_: ComponentType = ComponentType.LIBRARY,
) -> Component:
    """Build a Go module component with its purl (also its bom-ref)."""
    purl = golang_purl(module, version)
    return Component(
        name=module,
        version=version,
        type=type_,
        purl=purl,
        ecosystem=ECOSYSTEM,
        hashes=hashes,
        found_in=found_in,
        bom_ref=purl,
    )


def _tokens(line: str) -> list[str]:
    """Split a go.mod line into tokens, unquoting "interpreted" and `raw` strings."""
    out: list[str] = []
    rest = line.strip()
    while rest:
        if rest[0] in '"`':
            end = rest.find(rest[0], 1)
            if end < 0:
                raise InputError(f"unterminated string in {line!r}")
            out.append(rest[1:end])
            rest = rest[end + 1 :].lstrip()
        else:
            token, _, rest = rest.partition(" ")
            token, _, tail = token.partition("\t")
            rest = (tail + " " + rest).strip()
            out.append(token)
    return out


def parse_go_sum(text: str) -> dict[tuple[str, str], str]:
    """Map (module, version) -> h1 digest as hex, from go.sum lines ``module version h1:b64``."""
    sums: dict[tuple[str, str], str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 3 or parts[1].endswith("/go.mod") or not parts[2].startswith("h1:"):
            continue
        try:
            digest = base64.b64decode(parts[2][3:], validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(digest) == 32:
            sums[(parts[0], parts[1])] = digest.hex()
    return sums


class GoModCataloger(Cataloger):
    """``go.mod`` (with ``go.sum`` beside it)."""

    name: ClassVar[str] = "go-module"
    ecosystem: ClassVar[str] = ECOSYSTEM
    filenames: ClassVar[frozenset[str]] = frozenset({"go.mod"})

    def parse(self, data: bytes, *, path: Path, found_in: str) -> CatalogResult:
        """Return the main module, its requirements (replaced as go.mod says) and edges."""
        module, requires, replaces, excludes, warnings = _parse_go_mod(
            decode_text(data, found_in), found_in
        )
        sums: dict[tuple[str, str], str] = {}
        try:
            sums = parse_go_sum((path.parent / "go.sum").read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError):
            pass
        except (OSError, UnicodeDecodeError) as exc:
            warnings.append(f"{found_in}: cannot read go.sum beside it: {exc}")
        root = (
            go_component(module, None, found_in=found_in, type_=ComponentType.APPLICATION)
            if module
            else None
        )
        components = []
        for req in requires:
            if (req.path, req.version) in excludes:
                warnings.append(f"{found_in}: requires {req.path} {req.version}, also excluded")
            path_: str = req.path
            version: str | None = req.version
            replacement = replaces.get((req.path, req.version)) or replaces.get((req.path, None))
            if replacement is not None:
                path_, version = replacement if replacement[1] else (req.path, None)
            digest = sums.get((path_, version)) if version else None
            hashes = (Hash(algorithm="SHA-256", value=digest),) if digest else ()
            components.append(go_component(path_, version, found_in=found_in, hashes=hashes))
        return direct_result(root, components, warnings)


def local_replacements(data: bytes, *, found_in: str) -> tuple[tuple[str, str], ...]:
    """The ``replace`` directives of a go.mod (or ``-modfile``) that name a local folder.

    A replacement is a folder when it starts with ``./``, ``../`` or ``/`` (Go Modules
    Reference, "replace directive").

    Returns:
        ``(module path, folder as written)`` pairs, in file order.

    Raises:
        InputError: the file is not UTF-8 text or has no ``module`` directive.
    """
    _, _, replaces, _, _ = _parse_go_mod(decode_text(data, found_in), found_in)
    return tuple(
        (old, new)
        for (old, _), (new, version) in replaces.items()
        if version is None and new.startswith(("./", "../", "/"))
    )


def _parse_go_mod(
    text: str, found_in: str
) -> tuple[
    str | None,
    list[_Require],
    dict[tuple[str, str | None], tuple[str, str | None]],
    set[tuple[str, str]],
    list[str],
]:
    module: str | None = None
    requires: list[_Require] = []
    replaces: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    excludes: set[tuple[str, str]] = set()
    warnings: list[str] = []
    toolchains: dict[str, str] = {}
    block: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        code, _, comment = raw.partition("//")
        where = f"{found_in}:{number}"
        try:
            tokens = _tokens(code)
        except InputError as exc:
            warnings.append(f"{where}: {exc}")
            continue
        if not tokens:
            continue
        if block is not None:
            if tokens == [")"]:
                block = None
                continue
            verb, args = block, tokens
        elif tokens[-1] == "(" and len(tokens) == 2:
            block = tokens[0]
            continue
        else:
            verb, args = tokens[0], tokens[1:]
        if verb == "module" and args:
            module = args[0]
        elif verb == "require" and len(args) == 2:
            indirect = comment.strip().startswith("indirect")
            requires.append(_Require(path=args[0], version=args[1], indirect=indirect))
        elif verb in {"go", "toolchain"} and len(args) == 1:
            toolchains[verb] = args[0]
        elif verb == "exclude" and len(args) == 2:
            excludes.add((args[0], args[1]))
        elif verb == "replace" and "=>" in args:
            arrow = args.index("=>")
            old, new = args[:arrow], args[arrow + 1 :]
            if len(old) in {1, 2} and len(new) in {1, 2}:
                key = (old[0], old[1] if len(old) == 2 else None)
                replaces[key] = (new[0], new[1] if len(new) == 2 else None)
            else:
                warnings.append(f"{where}: malformed replace directive")
        elif verb in {"require", "exclude", "replace", "module"}:
            warnings.append(f"{where}: malformed {verb} directive")
    if block is not None:
        warnings.append(f"{found_in}: unterminated {block} ( block")
    if module is None:
        raise InputError(f"{found_in}: no module directive")
    directive = toolchains.get("toolchain") or toolchains.get("go")
    if directive is not None:
        release = go_release(directive)
        if release is None:
            warnings.append(f"{found_in}: unreadable Go version {directive!r}; no stdlib component")
        else:
            requires.append(_Require(path="stdlib", version=release, indirect=False))
    return module, requires, replaces, excludes, warnings
