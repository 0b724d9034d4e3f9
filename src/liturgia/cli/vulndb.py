"""``liturgia vulndb``: build and inspect the local advisory index.

``import PATH...`` reads OSV folders, osv.dev export zips and RustSec advisories; ``update``
downloads osv.dev's per-ecosystem exports (network); ``status`` prints counts per ecosystem and
source and the age of the newest record. ``--db`` (``LITURGIA_VULNDB``) picks the index file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.table import Table

from liturgia._internal.clock import now
from liturgia.cli._common import (
    OutputFormat,
    add_command,
    env_option,
    stderr_console,
    stdout_console,
)
from liturgia.errors import UsageError
from liturgia.vuln.database import parse_timestamp
from liturgia.vuln.download import OSV_EXPORT_BASE, download_export
from liturgia.vuln.http import check_base_url
from liturgia.vuln.index import ImportResult, default_index_path, import_advisories, open_index

__all__ = ["register", "run"]

_DEFAULT_ECOSYSTEMS = ("PyPI", "npm", "Go", "crates.io")


def _db_argument(parser: argparse.ArgumentParser) -> None:
    env_option(parser, "--db", "LITURGIA_VULNDB", "advisory index file", type=Path,
               default=default_index_path())  # fmt: skip


def register(subparsers: Any) -> None:
    """Add the ``vulndb`` command group."""
    about = "Import OSV/RustSec advisories into a local SQLite index and inspect it."
    help_ = "build and inspect the local advisory index"
    # Without an action, ``run`` says to choose one (exit 2), as a usage error.
    parser = add_command(subparsers, "vulndb", run, help_, description=about, show_defaults=True)
    actions = parser.add_subparsers(dest="vulndb_command", metavar="ACTION")
    help_ = "import OSV folders/zips and RustSec advisories"
    importer = add_command(actions, "import", run, help_, show_defaults=True)
    importer.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    _db_argument(importer)
    help_ = "download osv.dev exports and import them (needs the network)"
    update = add_command(actions, "update", run, help_, show_defaults=True)
    update.add_argument(
        "--ecosystem",
        action="append",
        dest="ecosystems",
        help=f"ecosystem to download (repeatable; default {', '.join(_DEFAULT_ECOSYSTEMS)})",
    )
    env_option(update, "--base-url", "LITURGIA_OSV_EXPORT_URL", "export location",
               default=OSV_EXPORT_BASE)  # fmt: skip
    env_option(update, "--offline", "LITURGIA_OFFLINE", "forbid network use",
               action="store_true")  # fmt: skip
    _db_argument(update)
    help_ = "counts per ecosystem and source, age of the newest record"
    status = add_command(actions, "status", run, help_)
    _db_argument(status)
    status.add_argument(
        "--format", type=OutputFormat, choices=list(OutputFormat), default=OutputFormat.TABLE
    )


def _report_import(result: ImportResult) -> None:
    console = stderr_console()
    console.print(
        f"{result.source}: {result.files} files, {result.imported} imported "
        f"({result.withdrawn} withdrawn), {result.unchanged} unchanged, "
        f"{len(result.warnings)} warnings",
        markup=False,
    )
    for warning in result.warnings[:20]:
        console.print(f"  warning: {warning}", markup=False)
    if len(result.warnings) > 20:
        console.print(f"  ... {len(result.warnings) - 20} more warnings", markup=False)


def _status(db: Path, output: OutputFormat) -> int:
    database = open_index(db)
    try:
        info = database.info
        newest = parse_timestamp(info.newest_modified) if info.newest_modified else None
        age_days = (now() - newest).days if newest is not None else None
        data = {
            "db": str(db),
            "records": info.record_count,
            "withdrawn": info.withdrawn_count,
            "ecosystems": dict(info.ecosystems),
            "sources": dict(database.origins),
            "newest_modified": info.newest_modified,
            "newest_age_days": age_days,
            "imported_at": info.imported_at,
        }
    finally:
        database.close()
    if output is OutputFormat.JSON:
        sys.stdout.write(json.dumps(data, sort_keys=True, indent=2) + "\n")
        return 0
    console = stdout_console()
    console.print(
        f"{db}: {info.record_count} advisories ({info.withdrawn_count} withdrawn), "
        f"imported {info.imported_at}; newest record {info.newest_modified} "
        f"({age_days if age_days is not None else '?'} days old)",
        markup=False,
    )
    for title, rows in (("ecosystem", info.ecosystems), ("source", database.origins)):
        table = Table(title=None)
        table.add_column(title)
        table.add_column("advisories", justify="right")
        for name, count in rows:
            table.add_row(name, str(count))
        console.print(table)
    return 0


def run(args: argparse.Namespace) -> int:
    """Run one ``vulndb`` action; 0 on success."""
    action = getattr(args, "vulndb_command", None)
    if action == "import":
        for path in args.paths:
            _report_import(import_advisories(args.db, path))
        return 0
    if action == "update":
        if args.offline:
            raise UsageError("vulndb update downloads osv.dev exports; --offline forbids it")
        base_url = check_base_url(args.base_url, what="--base-url")
        if any(not name.strip() for name in args.ecosystems or ()):
            raise UsageError("--ecosystem: an ecosystem name cannot be empty")
        with tempfile.TemporaryDirectory(prefix="liturgia-osv-") as folder:
            for ecosystem in args.ecosystems or _DEFAULT_ECOSYSTEMS:
                stderr_console().print(f"downloading {ecosystem} ...", markup=False)
                archive = download_export(
                    ecosystem, Path(folder) / f"{ecosystem}.zip", base_url=base_url
                )
                _report_import(import_advisories(args.db, archive))
        return 0
    if action == "status":
        return _status(args.db, args.format)
    raise UsageError("vulndb: choose an action: import, update or status (see --help)")
