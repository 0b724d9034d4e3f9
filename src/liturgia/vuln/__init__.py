"""Vulnerability scanning: OSV advisories, exact matching, suppression and reports.

Typical use::

    database = load_osv_directory(Path("advisories"))
    report = scan(inventory.components, database, ignore=load_ignore_file(Path("ignore.toml")))
    Path("vulnerabilities.json").write_bytes(report_to_json(report))
    blocking = report.blocking(Severity.HIGH)   # UNKNOWN counts as HIGH by default

The SQLite index (``import_advisories``/``open_index``) and the online sources in
``liturgia.vuln.online`` implement the same :class:`AdvisoryDatabase` interface.
"""

from __future__ import annotations

from liturgia.vuln.advisory import Advisory, AffectedPackage, AffectedRange, RangeEvent
from liturgia.vuln.database import (
    AdvisoryDatabase,
    DatabaseInfo,
    MemoryAdvisoryDatabase,
    freshness_problem,
    load_osv_directories,
    load_osv_directory,
)
from liturgia.vuln.formats import to_cyclonedx_vex, to_markdown, to_sarif
from liturgia.vuln.ignore import IgnoreRule, UncheckedRule, load_ignore_file, load_unchecked_rules
from liturgia.vuln.index import (
    ImportResult,
    IndexedAdvisoryDatabase,
    default_index_path,
    import_advisories,
    open_index,
)
from liturgia.vuln.opening import OpenedAdvisories, open_advisories
from liturgia.vuln.report import report_to_dict, report_to_json, write_report_json
from liturgia.vuln.scanner import (
    Finding,
    ScanReport,
    Suppression,
    UncheckedCause,
    UncheckedComponent,
    UpgradeAdvice,
    scan,
)
from liturgia.vuln.severity import Severity
from liturgia.vuln.vex import load_vex, parse_vex

__all__ = [
    "Advisory",
    "AdvisoryDatabase",
    "AffectedPackage",
    "AffectedRange",
    "DatabaseInfo",
    "Finding",
    "IgnoreRule",
    "ImportResult",
    "IndexedAdvisoryDatabase",
    "MemoryAdvisoryDatabase",
    "OpenedAdvisories",
    "RangeEvent",
    "ScanReport",
    "Severity",
    "Suppression",
    "UncheckedCause",
    "UncheckedComponent",
    "UncheckedRule",
    "UpgradeAdvice",
    "default_index_path",
    "freshness_problem",
    "import_advisories",
    "load_ignore_file",
    "load_osv_directories",
    "load_osv_directory",
    "load_unchecked_rules",
    "load_vex",
    "open_advisories",
    "open_index",
    "parse_vex",
    "report_to_dict",
    "report_to_json",
    "scan",
    "to_cyclonedx_vex",
    "to_markdown",
    "to_sarif",
    "write_report_json",
]
