"""Vulnerability scanning: OSV advisories, exact matching, suppression and reports.

Typical use::

    database = load_osv_directory(Path("advisories"))
    report = scan(inventory.components, database, ignore=load_ignore_file(Path("ignore.toml")))
    Path("vulnerabilities.json").write_bytes(report_to_json(report))
    blocking = report.blocking(Severity.HIGH)   # UNKNOWN counts as HIGH by default
"""

from __future__ import annotations

from liturgia.vuln.advisory import Advisory, AffectedPackage, AffectedRange, RangeEvent
from liturgia.vuln.database import (
    AdvisoryDatabase,
    DatabaseInfo,
    MemoryAdvisoryDatabase,
    load_osv_directories,
    load_osv_directory,
)
from liturgia.vuln.ignore import IgnoreRule, load_ignore_file
from liturgia.vuln.report import report_to_dict, report_to_json
from liturgia.vuln.scanner import (
    Finding,
    ScanReport,
    Suppression,
    UncheckedComponent,
    UpgradeAdvice,
    scan,
)
from liturgia.vuln.severity import Severity

__all__ = [
    "Advisory",
    "AdvisoryDatabase",
    "AffectedPackage",
    "AffectedRange",
    "DatabaseInfo",
    "Finding",
    "IgnoreRule",
    "MemoryAdvisoryDatabase",
    "RangeEvent",
    "ScanReport",
    "Severity",
    "Suppression",
    "UncheckedComponent",
    "UpgradeAdvice",
    "load_ignore_file",
    "load_osv_directories",
    "load_osv_directory",
    "report_to_dict",
    "report_to_json",
    "scan",
]
