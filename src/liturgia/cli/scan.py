"""``liturgia scan [SBOM|PATH]``: match components against advisories; gate on severity.

The target is an SBOM (CycloneDX or SPDX JSON) or a folder/lockfile cataloged on the fly. The
advisories come from ``--osv DIR`` folders or the local index (``--db``). Exit 1 when an
unsuppressed finding is at or above ``--fail-on``; exit 2 when the database is missing, empty,
unreadable, or older than ``--max-age-days`` under ``--stale error``. Never a silent "no
vulnerabilities": components that could not be checked are listed.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from rich.table import Table

from liturgia._internal.clock import now
from liturgia._internal.files import atomic_write_bytes, read_bytes
from liturgia.cli._common import stderr_console, stdout_console
from liturgia.errors import InputError
from liturgia.model import Component
from liturgia.vuln import (
    AdvisoryDatabase,
    ScanReport,
    Severity,
    Suppression,
    load_ignore_file,
    load_osv_directories,
    report_to_json,
    scan,
)
from liturgia.vuln.database import freshness_problem
from liturgia.vuln.formats import to_cyclonedx_vex, to_markdown, to_sarif
from liturgia.vuln.http import CachedClient
from liturgia.vuln.index import default_index_path, open_index
from liturgia.vuln.online import NpmBulkDatabase, OsvApiDatabase, PyPIJsonDatabase
from liturgia.vuln.sbom_input import components_from_sbom
from liturgia.vuln.vex import load_vex

__all__ = ["ScanFormat", "SourceKind", "StalePolicy", "register", "run"]

_SEVERITIES = [s.value.lower() for s in Severity if s is not Severity.UNKNOWN]


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


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def register(subparsers: Any) -> None:
    """Add the ``scan`` command."""
    parser = subparsers.add_parser(
        "scan",
        help="scan an SBOM or a project for known vulnerabilities",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("target", nargs="?", type=Path, default=Path(), help="SBOM file or path")
    parser.add_argument(
        "--osv",
        action="append",
        type=Path,
        default=[Path(p) for p in os.environ.get("LITURGIA_OSV", "").split(os.pathsep) if p],
        help="OSV advisory folder (repeatable; env LITURGIA_OSV); else the index is used",
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=Path(_env("LITURGIA_VULNDB", str(default_index_path()))),
        help="advisory index file (env LITURGIA_VULNDB)",
    )
    parser.add_argument(
        "--source",
        type=SourceKind,
        choices=list(SourceKind),
        default=_env("LITURGIA_SOURCE", "local"),
        help="advisory source (env LITURGIA_SOURCE); online ones are cached on disk",
    )
    parser.add_argument(
        "--source-url", default=os.environ.get("LITURGIA_SOURCE_URL"), help="online API base URL"
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        default=bool(os.environ.get("LITURGIA_OFFLINE")),
        help="forbid network use: online sources answer from the cache only (env LITURGIA_OFFLINE)",
    )
    parser.add_argument(
        "--cache-ttl-hours",
        type=float,
        default=_env("LITURGIA_CACHE_TTL_HOURS", "6"),
        help="how long online answers are cached (env LITURGIA_CACHE_TTL_HOURS)",
    )
    parser.add_argument(
        "--fail-on",
        type=_severity,
        metavar="{" + ",".join(_SEVERITIES) + "}",
        default=_env("LITURGIA_FAIL_ON", "high"),
        help="exit 1 on an unsuppressed finding at or above this severity (env LITURGIA_FAIL_ON)",
    )
    parser.add_argument(
        "--unknown-severity-as",
        type=_severity,
        metavar="{" + ",".join(_SEVERITIES) + "}",
        default=_env("LITURGIA_UNKNOWN_SEVERITY", "high"),
        help="rank of findings whose advisories state no severity (env LITURGIA_UNKNOWN_SEVERITY)",
    )
    parser.add_argument(
        "--format",
        type=ScanFormat,
        choices=list(ScanFormat),
        default=_env("LITURGIA_SCAN_FORMAT", "table"),
        help="output format (env LITURGIA_SCAN_FORMAT)",
    )
    parser.add_argument("-o", "--output", type=Path, help="write the output to this file")
    parser.add_argument("--ignore", type=Path, help="ignore file (TOML [[ignore]] entries)")
    parser.add_argument(
        "--vex", action="append", type=Path, default=[], help="OpenVEX or CycloneDX VEX file"
    )
    parser.add_argument(
        "--max-age-days",
        type=int,
        default=_env("LITURGIA_MAX_AGE_DAYS", "7"),
        help="oldest acceptable newest advisory, in days (env LITURGIA_MAX_AGE_DAYS)",
    )
    parser.add_argument(
        "--stale",
        type=StalePolicy,
        choices=list(StalePolicy),
        default=_env("LITURGIA_STALE", "error"),
        help="an older database is an error (exit 2) or a loud warning (env LITURGIA_STALE)",
    )
    parser.set_defaults(func=run)


def _components(target: Path) -> tuple[Component, ...]:
    if target.is_file() and target.suffix.lower() == ".json":
        return components_from_sbom(read_bytes(target, what="SBOM"), source=str(target))
    if not target.exists():
        raise InputError(f"{target}: scan target not found")
    from liturgia.sbom import catalog  # noqa: PLC0415 - the SBOM engine only when cataloging

    inventory = catalog([target])
    for warning in inventory.warnings:
        stderr_console().print(f"warning: {warning}", markup=False)
    return inventory.components


def _database(args: argparse.Namespace) -> AdvisoryDatabase:
    if args.source is SourceKind.LOCAL:
        if args.osv:
            return load_osv_directories(args.osv)
        return open_index(args.db)
    client = CachedClient(
        source={"osv-api": "OSV API", "pypi": "PyPI JSON API", "npm": "npm registry"}[args.source],
        cache_dir=default_index_path().parent / "http-cache",
        ttl=timedelta(hours=args.cache_ttl_hours),
        offline=args.offline,
    )
    kinds = {
        SourceKind.OSV_API: OsvApiDatabase,
        SourceKind.PYPI: PyPIJsonDatabase,
        SourceKind.NPM: NpmBulkDatabase,
    }
    online = kinds[args.source]
    if args.source_url:
        return online(client, base_url=args.source_url)
    return online(client)


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
        table.add_row(
            f.severity.value, f.id, f.name, f.version, upgrades.get(f.component_ref, "-"), status
        )
    if report.findings:
        console.print(table)
    for item in report.unchecked:
        console.print(
            f"not checked: {item.name}@{item.version or '?'}: {item.reason}", markup=False
        )


def _render(report: ScanReport, args: argparse.Namespace, fail_on: Severity) -> bytes | None:
    match args.format:
        case ScanFormat.JSON:
            return report_to_json(report)
        case ScanFormat.SARIF:
            return to_sarif(report, artifact_uri=args.target.as_posix())
        case ScanFormat.CYCLONEDX_VEX:
            return to_cyclonedx_vex(report)
        case ScanFormat.MARKDOWN:
            return to_markdown(report, fail_on=fail_on).encode()
        case _:
            if args.output is not None:
                return to_markdown(report, fail_on=fail_on).encode()
            _table(report)
            return None


def run(args: argparse.Namespace) -> int:
    """Scan; exit 0 when nothing blocks, 1 when a finding is at or above ``--fail-on``."""
    fail_on: Severity = args.fail_on
    unknown_as: Severity = args.unknown_severity_as
    database = _database(args)
    local = args.source is SourceKind.LOCAL
    max_age = timedelta(days=args.max_age_days)
    problem = freshness_problem(database.info, max_age=max_age, at=now()) if local else None
    if problem is not None and args.stale is StalePolicy.ERROR:
        raise InputError(f"{problem} (update it, or pass --max-age-days / --stale warn)")
    components = _components(args.target)
    suppressions: list[Suppression] = []
    for vex in args.vex:
        suppressions.extend(load_vex(vex))
    ignore = load_ignore_file(args.ignore) if args.ignore else ()
    report = scan(components, database, ignore=ignore, suppressions=suppressions, max_age=max_age)
    output = _render(report, args, fail_on)
    if output is not None:
        if args.output is not None:
            atomic_write_bytes(args.output, output)
        else:
            sys.stdout.buffer.write(output)
            sys.stdout.flush()
    console = stderr_console()
    for line in report.database_problems:
        console.print(f"[bold red]WARNING: advisory database:[/bold red] {line}", markup=True)
    blocking = report.blocking(fail_on, unknown_as=unknown_as)
    unknown = [f for f in blocking if f.severity is Severity.UNKNOWN]
    console.print(
        f"{report.component_count} components, {len(report.findings)} findings "
        f"({len(report.findings) - len(report.unsuppressed)} suppressed), "
        f"{len(report.unchecked)} not checked; {len(blocking)} at or above {fail_on.value}"
        + (
            f" ({len(unknown)} with no stated severity, counted as {unknown_as.value})"
            if unknown
            else ""
        ),
        markup=False,
    )
    return 1 if blocking else 0
