"""Prometheus metrics of the server (prometheus-client), right across ``--workers N``.

Counted where they happen, in every process: request latency by route template
(``liturgia_http_request_duration_seconds``, labels ``method``, ``route``, ``status``), entries
appended to the log (``liturgia_log_appends_total``) and the time from a submission to its
inclusion in a signed checkpoint (``liturgia_log_integration_seconds``). With several worker
processes, ``liturgia serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder before they
start, each process writes its samples there, and ``/metrics`` adds them up
(prometheus-client's multiprocess mode), so a scrape answered by any worker is the sum of all.

Read from the database at each scrape, so the same in every process: the log's tree size
(``liturgia_log_tree_size``), releases by outcome (``liturgia_releases_total``), failed gate
checks by check (``liturgia_gate_failures_total``), and each project's last release's coverage
(``liturgia_release_coverage_ratio``), test pass rate (``liturgia_release_tests_pass_ratio``) and
findings by severity (``liturgia_release_findings``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from liturgia.release.record import SEVERITIES
from liturgia.server.records import RecordStore
from liturgia.tlog.log import RekorLog

__all__ = [
    "APPENDS",
    "INTEGRATION",
    "MULTIPROC_VARIABLE",
    "REQUESTS",
    "exposition",
]

#: The environment variable naming the multiprocess folder (prometheus-client's own name).
MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Histogram(
    "liturgia_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
APPENDS = Counter("liturgia_log_appends_total", "Entries appended to the transparency log.")
INTEGRATION = Histogram(
    "liturgia_log_integration_seconds",
    "Time from a submission to its inclusion in a signed checkpoint.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)%")
_TESTS = re.compile(r"(\d+) tests?, (\d+) failures?(?:, (\d+) errors?)?")


class _StoredCollector(Collector):
    """The metrics read from the database at each scrape."""

    def __init__(self, log: RekorLog, records: RecordStore | None) -> None:
        self._log = log
        self._records = records

    def collect(self) -> Iterator[Metric]:
        """Yield the log's size and the release metrics (storage errors propagate: a 503)."""
        size = GaugeMetricFamily("liturgia_log_tree_size", "Entries in the log's signed tree.")
        size.add_metric([], float(self._log.info()["treeSize"]))
        yield size
        if self._records is None:
            return
        outcomes = CounterMetricFamily(
            "liturgia_releases", "Release records stored, by project and outcome.",
            labels=["project", "decision"],
        )  # fmt: skip
        failures = CounterMetricFamily(
            "liturgia_gate_failures", "Failed gate checks in stored releases, by check.",
            labels=["project", "check"],
        )  # fmt: skip
        coverage = GaugeMetricFamily(
            "liturgia_release_coverage_ratio", "Coverage of the project's last release (0-1).",
            labels=["project"],
        )  # fmt: skip
        passing = GaugeMetricFamily(
            "liturgia_release_tests_pass_ratio",
            "Passing tests over tests run in the project's last release (0-1).",
            labels=["project"],
        )
        findings = GaugeMetricFamily(
            "liturgia_release_findings",
            "Unsuppressed findings of the project's last release, by severity.",
            labels=["project", "severity"],
        )
        for row in self._records.metrics_rows():
            _add_release(row, outcomes, failures)
        for project in self._records.projects():
            releases = self._records.releases(project["name"], 1)
            if releases:
                _add_last(project["name"], releases[0]["record"], coverage, passing, findings)
        yield from (outcomes, failures, coverage, passing, findings)


def _add_release(row: dict[str, Any], outcomes: Any, failures: Any) -> None:
    outcomes.add_metric([row["project"], row["decision"]], float(row["count"]))
    for check, count in row.get("failures", {}).items():
        failures.add_metric([row["project"], check], float(count))


def _add_last(
    project: str, record: dict[str, Any], coverage: Any, passing: Any, findings: Any
) -> None:
    found = _PERCENT.search(record.get("tests", {}).get("coverage", ""))
    if found:
        coverage.add_metric([project], float(found[1]) / 100)
    tests = _TESTS.search(record.get("tests", {}).get("summary", ""))
    if tests and int(tests[1]):
        bad = int(tests[2]) + int(tests[3] or 0)
        passing.add_metric([project], (int(tests[1]) - bad) / int(tests[1]))
    counts = record.get("findings", {}).get("by_severity", {})
    for severity in SEVERITIES:
        findings.add_metric([project, severity], float(counts.get(severity, 0)))


def exposition(log: RekorLog, records: RecordStore | None) -> tuple[bytes, str]:
    """The ``/metrics`` answer: ``(body, content type)`` in Prometheus text format 0.0.4.

    In multiprocess mode (:data:`MULTIPROC_VARIABLE` set) the counted metrics are the sum of
    every process's; else this process's.
    """
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_VARIABLE):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for metric in (REQUESTS, APPENDS, INTEGRATION):
            registry.register(metric)
    registry.register(_StoredCollector(log, records))
    return generate_latest(registry), "text/plain; version=0.0.4; charset=utf-8"
