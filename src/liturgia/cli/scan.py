"""``liturgia scan [SBOM|PATH]``: match components against advisories; gate on severity.

The target is an SBOM (CycloneDX JSON, CycloneDX XML named ``*.cdx.xml``/``bom.xml``, or SPDX
JSON) or a folder/lockfile cataloged on the fly. The
advisories come from ``--osv DIR`` folders, the local index (``--db``), or an online source.
Warnings (advisory files that could not be used, and why) are printed on stderr.

Exit codes: 0 nothing blocks; 1 an unsuppressed finding is at or above --fail-on (``none``:
findings never fail the scan); 2 the scan cannot be trusted: nothing to scan, an option is
invalid, the database is missing, empty, unreadable, or older than --max-age-days under --stale
error, the source cannot answer for any component (e.g. --offline with an online source and no
cached answer), a lockfile named as the target cannot be read, or (unless --accept-unchecked)
a lockfile found in the target folder cannot be read, or ANY package could not be checked (no
version or an unpinned range, a version its ecosystem cannot order, no purl or ecosystem, a
source that could not answer or holds no advisory for its ecosystem) unless --accept-unchecked
is given or an ``[[unchecked]]`` entry of the --ignore file names it with a reason; 2 wins over
1. Files that are not packages (release artifacts) are listed as not checked but do not change
the exit code.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import IO, Any

from rich.table import Table

from liturgia._internal.clock import now
from liturgia._internal.files import atomic_write_bytes, atomic_writer
from liturgia._internal.text import fs_text
from liturgia.cli._common import (
    add_command,
    doc_body,
    env_option,
    stderr_console,
    stdout_console,
)
from liturgia.errors import InputError
from liturgia.model import Component, Scope
from liturgia.vuln import (
    AdvisoryDatabase,
    ScanReport,
    Severity,
    Suppression,
    load_ignore_file,
    load_osv_directories,
    load_unchecked_rules,
    scan,
    write_report_json,
)
from liturgia.vuln.database import freshness_problem
from liturgia.vuln.formats import to_markdown, write_cyclonedx_vex, write_sarif
from liturgia.vuln.http import CachedClient
from liturgia.vuln.index import default_index_path, open_index
from liturgia.vuln.limits import MAX_SBOM_BYTES, read_limited
from liturgia.vuln.online import NpmBulkDatabase, OsvApiDatabase, PyPIJsonDatabase
from liturgia.vuln.vex import load_vex

__all__ = ["ScanFormat", "SourceKind", "StalePolicy", "register", "run"]

_SEVERITIES = [s.value.lower() for s in Severity if s is not Severity.UNKNOWN]
_MAX_AGE_DAYS = 1_000_000  # timedelta holds up to 999,999,999 days; beyond any real use
_MAX_TTL_HOURS = 10_000_000


class ScanFormat(StrEnum):
    """Output formats of ``liturgia scan``."""

    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    CYCLONEDX_VEX = "cyclonedx-vex"
    MARKDOWN = "markdown"


class SourceKind(StrEnum):
    """Where advisories come from: local (``--osv`` folders or the index) or an online API."""

    LOCAL = "local"
    OSV_API = "osv-api"
    PYPI = "pypi"
    NPM = "npm"


class StalePolicy(StrEnum):
    """What an advisory database older than ``--max-age-days`` does."""

    ERROR = "error"
    WARN = "warn"


def _severity(text: str) -> Severity:
    """argparse type: a known severity name (case-insensitive)."""
    if text.lower() not in _SEVERITIES:
        raise argparse.ArgumentTypeError(
            f"invalid severity {text!r} (choose from {', '.join(_SEVERITIES)})"
        )
    return Severity(text.upper())


def _positive(kind: type[int] | type[float], most: float) -> Any:
    """argparse type: a finite number in ``(0, most]``."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not 0 < value <= most:  # NaN fails both comparisons
            noun = "whole number" if kind is int else "number"
            raise argparse.ArgumentTypeError(
                f"invalid value {text!r}: expected a positive {noun} up to {most:.0f}"
            )
        return value

    return parse


def register(subparsers: Any) -> None:
    """Add the ``scan`` command."""
    help_ = "scan an SBOM or a project for known vulnerabilities"
    parser = add_command(
        subparsers, "scan", run, help_, description=doc_body(__doc__), show_defaults=True
    )
    parser.add_argument("target", nargs="?", type=Path, default=Path(), help="SBOM file or path")
    osv = [Path(p) for p in os.environ.get("LITURGIA_OSV", "").split(os.pathsep) if p]
    parser.add_argument(
        "--osv",
        action="append",
        type=Path,
        default=osv,
        help="OSV advisory folder (repeatable; env LITURGIA_OSV); else the index is used",
    )
    severity: dict[str, Any] = {"type": _severity, "metavar": "{" + ",".join(_SEVERITIES) + "}"}
    option = partial(env_option, parser)
    option("--db", "LITURGIA_VULNDB", "advisory index file", type=Path,
           default=str(default_index_path()))  # fmt: skip
    option("--source", "LITURGIA_SOURCE", "advisory source; online ones are cached on disk",
           type=SourceKind, choices=list(SourceKind), default="local")  # fmt: skip
    option("--source-url", "LITURGIA_SOURCE_URL", "online API base URL", default=None)
    option("--offline", "LITURGIA_OFFLINE", "forbid network use: online sources answer from "
           "the cache only", action="store_true")  # fmt: skip
    option("--cache-ttl-hours", "LITURGIA_CACHE_TTL_HOURS", "how long online answers are cached",
           type=_positive(float, _MAX_TTL_HOURS), default="6")  # fmt: skip
    option("--fail-on", "LITURGIA_FAIL_ON", "exit 1 on an unsuppressed finding at or above this "
           "severity (none: findings never fail the scan)", default="high",
           **severity)  # fmt: skip
    option("--unknown-severity-as", "LITURGIA_UNKNOWN_SEVERITY", "rank of findings whose "
           "advisories state no severity", default="high", **severity)  # fmt: skip
    option("--include-dev", "LITURGIA_INCLUDE_DEV", "findings in development-only components "
           "(scope excluded) block like runtime ones (they are always reported)",
           action="store_true")  # fmt: skip
    option("--uncertain", "LITURGIA_UNCERTAIN", "whether findings that may be wrong (a Go "
           "pseudo-version with no tagged base) block or are only reported",
           choices=["block", "report"], default="block")  # fmt: skip
    option("--format", "LITURGIA_SCAN_FORMAT", "output format", type=ScanFormat,
           choices=list(ScanFormat), default="table")  # fmt: skip
    parser.add_argument("-o", "--output", type=Path, help="write the output to this file")
    parser.add_argument(
        "--ignore",
        type=Path,
        help="ignore file (TOML [[ignore]] entries; [[unchecked]] entries accept components "
        "that could not be checked)",
    )
    parser.add_argument(
        "--vex", action="append", type=Path, default=[], help="OpenVEX or CycloneDX VEX file"
    )
    option("--max-age-days", "LITURGIA_MAX_AGE_DAYS", "oldest acceptable newest advisory, in "
           "days (a positive whole number)", type=_positive(int, _MAX_AGE_DAYS),
           default="7")  # fmt: skip
    option("--stale", "LITURGIA_STALE", "an older database is an error (exit 2) or a loud "
           "warning", type=StalePolicy, choices=list(StalePolicy), default="error")  # fmt: skip
    option("--accept-unchecked", "LITURGIA_ACCEPT_UNCHECKED", "exit 0/1 even when some "
           "components could not be checked (they stay listed)", action="store_true")  # fmt: skip


def _components(target: Path) -> tuple[tuple[Component, ...], tuple[str, ...]]:
    """The components to scan, and the inputs found in a folder that could not be read."""
    if not target.exists():
        raise InputError(f"{target}: scan target not found")
    from liturgia.sbom import catalog  # noqa: PLC0415 - the SBOM engine only when scanning
    from liturgia.sbom.catalogers import default_catalogers  # noqa: PLC0415

    # A lockfile's name wins over its suffix: package-lock.json is read as a lockfile.
    name = target.name.lower()
    lockfile = any(cataloger.claims(target) for cataloger in default_catalogers())
    if name.endswith((".json", ".cdx.xml", "bom.xml")) and not target.is_dir() and not lockfile:
        from liturgia.sbom.formats import read_sbom  # noqa: PLC0415 - as below

        data = read_limited(target, limit=MAX_SBOM_BYTES, what="SBOM")
        document = read_sbom(data, source=str(target))
        if not document.components:
            raise InputError(f"{target}: nothing to scan: the SBOM lists no components")
        # Inputs the SBOM's writer says it could not read (liturgia:warning properties).
        return document.components, tuple(f"{target.name}: {w}" for w in document.warnings)
    # A lockfile named as the target that cannot be read is an error (exit 2); one found in a
    # folder that cannot be read is a warning that makes the scan incomplete (see run).
    inventory = catalog([target], strict_named=True)
    if not inventory.components:
        raise InputError(
            f"{target}: nothing to scan: no SBOM, lockfile or manifest liturgia reads was found "
            "(give a CycloneDX/SPDX JSON SBOM or a project folder)"
            + (
                f"; {len(inventory.warnings)} inputs could not be read"
                if inventory.warnings
                else ""
            )
        )
    return inventory.components, inventory.warnings


_ONLINE: dict[str, tuple[str, Callable[..., AdvisoryDatabase]]] = {
    "osv-api": ("OSV API", OsvApiDatabase),
    "pypi": ("PyPI JSON API", PyPIJsonDatabase),
    "npm": ("npm registry", NpmBulkDatabase),
}


def _database(args: argparse.Namespace) -> AdvisoryDatabase:
    if args.source is SourceKind.LOCAL:
        return load_osv_directories(args.osv) if args.osv else open_index(args.db)
    name, online = _ONLINE[args.source]
    ttl = timedelta(hours=args.cache_ttl_hours)
    cache = default_index_path().parent / "http-cache"
    client = CachedClient(source=name, cache_dir=cache, ttl=ttl, offline=args.offline)
    return online(client, base_url=args.source_url) if args.source_url else online(client)


def _table(report: ScanReport) -> None:
    console = stdout_console()
    if not report.findings:
        console.print(f"No findings in {report.component_count} components.", markup=False)
    table = Table(title=f"{len(report.findings)} findings, {report.component_count} components")
    for column in ("severity", "advisory", "package", "version", "upgrade to", "status"):
        table.add_column(column, overflow="fold")
    upgrades = {u.component_ref: u.upgrade_to or "-" for u in report.upgrades}
    for f in report.findings:
        status = f"suppressed ({f.suppression_reason})" if f.suppressed else "open"
        if f.scope is Scope.EXCLUDED:
            status += "; development-only (scope excluded)"
        if f.uncertain:
            status += f"; uncertain: {f.uncertain}"
        table.add_row(
            f.severity.value, f.id, f.name, f.version, upgrades.get(f.component_ref, "-"), status
        )
    if report.findings:
        console.print(table)
    for line in report.unchecked_lines():
        console.print(f"not checked: {line}", markup=False)


def _write(report: ScanReport, args: argparse.Namespace, out: IO[bytes]) -> None:
    """Stream a machine format (JSON, SARIF, CycloneDX VEX) to ``out``."""
    match args.format:
        case ScanFormat.JSON:
            write_report_json(report, out)
        case ScanFormat.SARIF:
            write_sarif(report, out, artifact_uri=fs_text(args.target.as_posix()))
        case _:
            write_cyclonedx_vex(report, out)


def _render(report: ScanReport, args: argparse.Namespace, fail_on: Severity) -> None:
    """Write the chosen format to ``-o`` (atomically) or stdout; the table goes to the console."""
    if args.format in (ScanFormat.JSON, ScanFormat.SARIF, ScanFormat.CYCLONEDX_VEX):
        if args.output is not None:
            with atomic_writer(args.output) as out:
                _write(report, args, out)
        else:
            _write(report, args, sys.stdout.buffer)
            sys.stdout.flush()
        return
    if args.format is ScanFormat.TABLE and args.output is None:
        _table(report)
        return
    text = to_markdown(report, fail_on=fail_on).encode()
    if args.output is not None:
        atomic_write_bytes(args.output, text)
    else:
        sys.stdout.buffer.write(text)
        sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    """Scan; exit 0 when nothing blocks, 1 on a blocking finding, 2 when the scan is incomplete."""
    fail_on: Severity = args.fail_on
    unknown_as: Severity = args.unknown_severity_as
    database = _database(args)
    local = args.source is SourceKind.LOCAL
    max_age = timedelta(days=args.max_age_days)
    problem = freshness_problem(database.info, max_age=max_age, at=now()) if local else None
    if problem is not None and args.stale is StalePolicy.ERROR:
        raise InputError(f"{problem} (update it, or pass --max-age-days / --stale warn)")
    if args.output is not None and args.output.is_dir():
        raise InputError(f"{args.output}: -o names a folder; give a file path")
    components, unread = _components(args.target)
    suppressions: list[Suppression] = []
    for vex in args.vex:
        suppressions.extend(load_vex(vex))
    ignore = load_ignore_file(args.ignore) if args.ignore else ()
    accept = load_unchecked_rules(args.ignore) if args.ignore else ()
    report = scan(
        components,
        database,
        ignore=ignore,
        suppressions=suppressions,
        max_age=max_age,
        accept=accept,
    )
    # Every input that could not be read is in the report (JSON, SARIF...), not only on stderr.
    report = replace(report, warnings=tuple(sorted({*report.warnings, *unread})))
    nothing = report.coverage_problem()
    if nothing is not None:
        offline = args.offline and not local and "--offline" in nothing
        raise InputError(nothing + (" (drop --offline, or use --source local)" if offline else ""))
    _render(report, args, fail_on)
    console = stderr_console()
    for line in report.warnings:
        console.print(f"warning: {line}", markup=False)
    for line in report.database_problems:
        console.print(f"[bold red]WARNING: advisory database:[/bold red] {line}", markup=True)
    blocking = report.blocking(
        fail_on,
        unknown_as=unknown_as,
        uncertain_blocks=args.uncertain == "block",
        include_dev=args.include_dev,
    )
    unknown = sum(f.severity is Severity.UNKNOWN for f in blocking)
    by_source = report.unchecked_by_source
    note = f" ({unknown} with no stated severity, counted as {unknown_as.value})" if unknown else ""
    dev = len(report.excluded_scope_findings)
    if dev and not args.include_dev:
        note += f"; {dev} in development-only components, not blocking (--include-dev)"
    console.print(
        f"{report.component_count} components, {len(report.findings)} findings "
        f"({len(report.findings) - len(report.unsuppressed)} suppressed), "
        f"{len(report.unchecked)} not checked ({len(by_source)} because of the source); "
        f"{len(blocking)} at or above {fail_on.value}{note}",
        markup=False,
    )
    if unread and not args.accept_unchecked:
        raise InputError(
            f"{len(unread)} inputs could not be read (first: {unread[0]}); their components are "
            "missing, so the scan is incomplete: fix them, or pass --accept-unchecked"
        )
    incomplete = report.incomplete
    if incomplete and not args.accept_unchecked:
        first = incomplete[0]
        raise InputError(
            f"{len(incomplete)} components could not be checked ({len(by_source)} because of "
            f"the advisory source; first: {first.name}@{first.version or '?'}: {first.reason}); "
            "the scan is incomplete: pass --accept-unchecked, or accept each in the --ignore "
            "file ([[unchecked]] component = ..., reason = ...)"
        )
    return 1 if blocking else 0
