"""``liturgia sbom``: catalog paths into CycloneDX / SPDX documents; ``liturgia sbom validate``.

::

    liturgia sbom [PATH ...] [--python INTERPRETER] [-o FORMAT[=FILE]] ... [--exclude-dev]
    liturgia sbom validate FILE ...

``FORMAT`` is ``cyclonedx-json`` (the default, to stdout), ``cyclonedx-xml`` or ``spdx-json``;
without ``=FILE`` the document goes to stdout. A summary and the warnings go to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from liturgia import sbom
from liturgia._internal.files import atomic_write_bytes, atomic_writer, read_bytes
from liturgia.cli._common import add_command, env_option, stderr_console
from liturgia.errors import InputError, PolicyError, UsageError
from liturgia.model import Component, Inventory, Scope
from liturgia.sbom.environments import python_site_packages
from liturgia.sbom.formats import SbomFormat, cyclonedx, detect_format, spdx

__all__ = ["SbomFormat", "detect_format", "parse_output", "register", "run"]

#: ``liturgia sbom --help``: the command and its three sub-commands, named by their first word.
_DESCRIPTION = (
    "Catalog each PATH (a folder, walked; or a lockfile) into one SBOM. "
    "`liturgia sbom validate FILE...` checks documents against their official schemas; "
    "`sbom diff OLD NEW` lists added, removed, upgraded and downgraded components and "
    "licence changes; `sbom merge FILE... -o ...` joins SBOMs (each read may be "
    "CycloneDX JSON or XML, or SPDX JSON). "
    "Name a folder called 'validate', 'diff' or 'merge' as ./NAME."
)


_WRITERS: dict[SbomFormat, Callable[..., bytes]] = {
    SbomFormat.CYCLONEDX_JSON: cyclonedx.to_cyclonedx_json,
    SbomFormat.CYCLONEDX_XML: cyclonedx.to_cyclonedx_xml,
    SbomFormat.SPDX_JSON: spdx.to_spdx_json,
}


def parse_output(value: str) -> tuple[SbomFormat, Path | None]:
    """Parse ``-o FORMAT[=FILE]``.

    Raises:
        UsageError: the format is not one of :class:`SbomFormat`.
    """
    name, sep, file = value.partition("=")
    try:
        fmt = SbomFormat(name.strip().lower())
    except ValueError as exc:
        known = ", ".join(f.value for f in SbomFormat)
        raise UsageError(f"-o {value!r}: unknown format {name!r} (one of {known})") from exc
    if sep and not file:
        raise UsageError(f"-o {value!r}: empty file name after '='")
    return fmt, Path(file) if sep else None


def register(subparsers: Any) -> None:
    """Add the ``sbom`` command."""
    help_ = "catalog dependencies into CycloneDX / SPDX (or: sbom validate FILE)"
    parser = add_command(
        subparsers, "sbom", run, help_, description=_DESCRIPTION, show_defaults=True
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="folders or lockfiles [.]")
    parser.add_argument(
        "-o",
        "--output",
        action="append",
        default=[],
        metavar="FORMAT[=FILE]",
        help="cyclonedx-json, cyclonedx-xml or spdx-json, to FILE or stdout; repeatable "
        "[default: cyclonedx-json to stdout]",
    )
    env_option(parser, "--exclude-dev", "LITURGIA_EXCLUDE_DEV",
               "drop development-only dependencies", action="store_true")  # fmt: skip
    env_option(parser, "--strict", "LITURGIA_STRICT", "treat any unreadable or malformed input "
               "as an error (exit 2)", action="store_true")  # fmt: skip
    env_option(parser, "--root", "LITURGIA_SBOM_ROOT",
               "folder the recorded file paths are relative to", type=Path)  # fmt: skip
    parser.add_argument(
        "--python",
        action="append",
        type=Path,
        default=[],
        metavar="INTERPRETER",
        help="also catalog the distributions installed for this Python interpreter; repeatable",
    )
    parser.add_argument(
        "--artifact",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="a release artifact to list as a file component with its SHA-256; repeatable",
    )
    parser.add_argument("--json", action="store_true", help="sbom diff: JSON instead of text")


def run(args: argparse.Namespace) -> int:
    """Run ``liturgia sbom``; return the exit code (0, or 1 when validation fails)."""
    paths: list[str] = [str(p) for p in args.paths]
    if paths and paths[0] == "validate":
        return _validate(paths[1:])
    if paths and paths[0] == "diff":
        return _diff(paths[1:], as_json=args.json)
    outputs = [parse_output(value) for value in args.output] or [(SbomFormat.CYCLONEDX_JSON, None)]
    if sum(1 for _, file in outputs if file is None) > 1:
        raise UsageError("-o: only one format can go to stdout; add =FILE to the others")
    if paths and paths[0] == "merge":
        if not paths[1:]:
            raise UsageError("sbom merge: name at least one SBOM FILE")
        inventory = sbom.merge_inventories([_read(name) for name in paths[1:]])
    else:
        targets = [Path(p) for p in paths]
        for target in targets:
            # A PATH named on the command line that does not exist is the user's typo, not a
            # file found during the scan (those are warnings): say so and stop.
            if not target.exists() and not target.is_symlink():
                raise UsageError(f"{target}: not found")
        for interpreter in args.python:
            targets.extend(python_site_packages(interpreter))
        # A file named on the command line that cannot be read is an error (exit 2): an SBOM
        # without it would answer about less than was asked. Files found in a folder that
        # cannot be read are warnings, recorded in the SBOM itself.
        inventory = sbom.catalog(
            targets or [Path()],
            root=args.root,
            exclude_dev=args.exclude_dev,
            strict=args.strict,
            strict_named=True,
        )
    artifacts = [sbom.artifact_component(path) for path in args.artifact]
    for fmt, file in outputs:
        if fmt is SbomFormat.CYCLONEDX_JSON:
            # Streamed: a 100,000-component document is never held as one string.
            if file is None:
                cyclonedx.write_cyclonedx_json(inventory, sys.stdout.buffer, artifacts=artifacts)
                sys.stdout.flush()
            else:
                with atomic_writer(file) as out:
                    cyclonedx.write_cyclonedx_json(inventory, out, artifacts=artifacts)
            continue
        data = _WRITERS[fmt](inventory, artifacts=artifacts)
        if file is None:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            atomic_write_bytes(file, data)
    _summary(inventory, artifacts, [file for _, file in outputs if file is not None])
    return 0


def _summary(inventory: Inventory, artifacts: Sequence[Component], files: list[Path]) -> None:
    console = stderr_console()
    dev = sum(1 for c in inventory.components if c.scope is Scope.EXCLUDED)
    optional = sum(1 for c in inventory.components if c.scope is Scope.OPTIONAL)
    edges = sum(len(d.depends_on) for d in inventory.dependencies)
    root = (
        f"{inventory.root.name} {inventory.root.version or ''}".strip() if inventory.root else "-"
    )
    console.print(
        f"sbom: root {root}; {len(inventory.components)} components "
        f"({dev} development-only, {optional} optional), {edges} dependency edges"
        + (f", {len(artifacts)} artifacts" if artifacts else ""),
        markup=False,
    )
    for file in files:
        console.print(f"sbom: wrote {file}", markup=False)
    for warning in inventory.warnings:
        console.print(f"warning: {warning}", markup=False)


_VALIDATORS: dict[SbomFormat, Callable[..., None]] = {
    SbomFormat.CYCLONEDX_JSON: cyclonedx.validate_cyclonedx_json,
    SbomFormat.CYCLONEDX_XML: cyclonedx.validate_cyclonedx_xml,
    SbomFormat.SPDX_JSON: spdx.validate_spdx_json,
}


def _validate(files: list[str]) -> int:
    if not files:
        raise UsageError("sbom validate: name at least one FILE")
    for name in files:
        data = read_bytes(Path(name), what="SBOM")
        try:
            fmt = detect_format(data)
        except InputError as exc:
            raise PolicyError(f"{name}: not a valid SBOM: {exc}") from exc
        _VALIDATORS[fmt](data, source=name)
        sys.stdout.write(f"{name}: valid {fmt.value}\n")
    return 0


def _read(name: str) -> Inventory:
    return sbom.read_sbom(read_bytes(Path(name), what="SBOM"), source=name)


def _diff(files: list[str], *, as_json: bool) -> int:
    if len(files) != 2:
        raise UsageError("sbom diff: name exactly two SBOM files, OLD and NEW")
    diff = sbom.diff_inventories(_read(files[0]), _read(files[1]))
    if as_json:
        doc = {
            "added": [_plain(c, ("name", "version", "purl")) for c in diff.added],
            "removed": [_plain(c, ("name", "version", "purl")) for c in diff.removed],
            "upgraded": [_plain(c, ("name", "purl", "old", "new")) for c in diff.upgraded],
            "downgraded": [_plain(c, ("name", "purl", "old", "new")) for c in diff.downgraded],
            "licence_changes": [
                _plain(c, ("name", "version", "old", "new")) for c in diff.licence_changes
            ],
        }
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        return 0
    lines = [f"+ {c.name} {c.version or ''}".rstrip() for c in diff.added]
    lines += [f"- {c.name} {c.version or ''}".rstrip() for c in diff.removed]
    lines += [f"^ {c.name} {c.old} -> {c.new}" for c in diff.upgraded]
    lines += [f"v {c.name} {c.old} -> {c.new}" for c in diff.downgraded]
    lines += [
        f"~ {c.name} {c.version or ''}: licence {' AND '.join(c.old) or 'none'} -> "
        f"{' AND '.join(c.new) or 'none'}"
        for c in diff.licence_changes
    ]
    sys.stdout.write("".join(f"{line}\n" for line in lines) or "no changes\n")
    return 0


def _plain(value: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: list(v) if isinstance(v := getattr(value, f), tuple) else v for f in fields}
