"""Gate family "resilience": chaos experiments and load test results meet their thresholds.

``chaos``: the chaos report's JSON twin (``liturgia chaos report``, default
``docs/chaos/report.json``): ``{"experiments": [{"experiment", "availability" (0..1), "lost",
"duration_s", ...}], "overall": {"uptime", "lost", ...}}``. The reader is tolerant of the top
level: a bare list of experiments, or one experiment object, is read too; uptime is then the
availability weighted by ``duration_s`` (the mean when durations are missing), as
:func:`liturgia.release.chaos.summarise` computes it. Thresholds: ``min_uptime`` (percent,
default 99) and ``max_lost`` (default 0: no acknowledged entry lost).

``load``: a load test's summary. ``format = "k6"``: ``k6 run --summary-export`` JSON
(``metrics.http_req_duration["p(95)"]`` in ms, ``metrics.http_req_failed.value`` a rate 0..1,
or its ``passes``/``fails`` counts). ``format = "locust-csv"``: Locust's ``--csv`` stats file
(``*_stats.csv``: the ``Aggregated`` row's ``95%`` in ms, ``Failure Count`` / ``Request
Count``). ``format = "locust-json"``: Locust's ``--json`` stats (a list of entries with
``num_requests``, ``num_failures`` and the ``response_times`` histogram, ms to count).
Thresholds: ``p95_ms`` and ``max_error_rate`` (percent).

Each check's ``figure`` is one fixed phrase (:func:`load_figure`, :func:`chaos_figure`) that
:func:`read_load_figure` and :func:`read_chaos_figure` read back: a release record carries the
numbers of its gate report (:func:`liturgia.release.record.build_record`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field

from liturgia.config import PolicyCheck
from liturgia.errors import ConfigError
from liturgia.release.gates._context import GateContext
from liturgia.release.gates._model import CheckResult, EvidenceFile, unusable
from liturgia.release.gates._policy import KindOptions, parse_options, register_kind
from liturgia.release.gates._registry import Check
from liturgia.release.gates._xml import ReportError, load_bytes

__all__ = [
    "ChaosCheck",
    "LoadCheck",
    "LoadFormat",
    "chaos_figure",
    "load_figure",
    "read_chaos_figure",
    "read_load_figure",
]

_CHAOS = "docs/chaos/report.json"
_NUMBER = r"(\d+(?:\.\d+)?(?:e[+-]?\d+)?)"
_LOAD_FIGURE = re.compile(rf"p95 {_NUMBER} ms, error rate {_NUMBER} %, \d+ requests")
_CHAOS_FIGURE = re.compile(rf"uptime {_NUMBER} %, \d+ lost, \d+ experiments")


def load_figure(p95_ms: float, error_rate: float, requests: int) -> str:
    """The load check's figure, e.g. ``"p95 212 ms, error rate 0.10 %, 5000 requests"``.

    Args:
        p95_ms: the 95th-percentile latency, in milliseconds.
        error_rate: the failed requests' share, 0..1 (shown in percent, 2 decimals).
        requests: how many requests were made.
    """
    return f"p95 {p95_ms:g} ms, error rate {100 * error_rate:.2f} %, {requests} requests"


def read_load_figure(figure: str) -> tuple[float, float] | None:
    """``(p95 in ms, error rate in percent)`` of a :func:`load_figure`, else ``None``."""
    found = _LOAD_FIGURE.fullmatch(figure)
    return (float(found[1]), float(found[2])) if found else None


def chaos_figure(uptime: float, lost: int, experiments: int) -> str:
    """The chaos check's figure, e.g. ``"uptime 99.95 %, 0 lost, 3 experiments"``.

    Args:
        uptime: the availability, 0..1 (shown in percent, 2 decimals).
        lost: acknowledged entries lost.
        experiments: how many experiments the report holds.
    """
    return f"uptime {100 * uptime:.2f} %, {lost} lost, {experiments} experiments"


def read_chaos_figure(figure: str) -> float | None:
    """The uptime in percent of a :func:`chaos_figure`, else ``None``."""
    found = _CHAOS_FIGURE.fullmatch(figure)
    return float(found[1]) if found else None


def _json(path: Path, what: str) -> tuple[Any, EvidenceFile]:
    data, file = load_bytes(path, what)
    try:
        return json.loads(data), file
    except (UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise ReportError(f"{path}: not a JSON {what}: {exc}") from exc


def _share(value: object, path: Path, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ReportError(f"{path}: {field} is {json.dumps(value)[:40]}, not a number")
    return float(value)


def _chaos_figures(document: Any, path: Path) -> tuple[float, int, list[str]]:
    """Uptime 0..1, entries lost, and one line per experiment (internal)."""
    if isinstance(document, dict) and "experiments" in document:
        rows, overall = document["experiments"], document.get("overall")
    elif isinstance(document, dict) and "experiment" in document:
        rows, overall = [document], None
    else:
        rows, overall = document, None
    if not isinstance(rows, list) or not rows:
        raise ReportError(f"{path}: no experiment in the chaos report (experiments is empty)")
    lines: list[str] = []
    weighted = durations = 0.0
    lost = 0
    for index, row in enumerate(rows):
        if not isinstance(row, dict) or "availability" not in row or "lost" not in row:
            raise ReportError(
                f"{path}: experiments[{index}] needs experiment, availability and lost"
            )
        availability = _share(row["availability"], path, f"experiments[{index}].availability")
        if not 0 <= availability <= 1:
            raise ReportError(f"{path}: experiments[{index}].availability is not a share 0..1")
        row_lost = int(_share(row["lost"], path, f"experiments[{index}].lost"))
        duration = row.get("duration_s")
        weight = _share(duration, path, "duration_s") if duration is not None else 1.0
        weighted += availability * weight
        durations += weight
        lost += row_lost
        lines.append(
            f"{row.get('experiment', f'experiments[{index}]')}: availability "
            f"{100 * availability:.2f} %, {row_lost} lost"
        )
    uptime = weighted / durations if durations else 0.0
    if not math.isfinite(uptime):
        raise ReportError(f"{path}: the experiments' duration_s add up to no finite number")
    if isinstance(overall, dict) and "uptime" in overall:
        uptime = _share(overall["uptime"], path, "overall.uptime")
        lost = int(_share(overall.get("lost", lost), path, "overall.lost"))
    return uptime, lost, lines


@dataclass(frozen=True, slots=True)
class ChaosCheck:
    """Chaos tests executed: uptime at or above the minimum, no acknowledged entry lost."""

    name: str = "chaos"
    report: str = _CHAOS
    reads: tuple[str, ...] = (_CHAOS,)
    rank: int = 120
    min_uptime: float = 99.0
    max_lost: int = 0

    def evaluate(self, context: GateContext) -> CheckResult:
        """Read the chaos report and compare its figures with the thresholds."""
        path = context.config.resolve(self.report)
        threshold = f"uptime >= {self.min_uptime:g} %, at most {self.max_lost} lost"
        try:
            document, file = _json(path, "chaos report")
            uptime, lost, lines = _chaos_figures(document, path)
        except ReportError as exc:
            return unusable(
                self.name,
                summary=f"no usable chaos report at {self.report}",
                reason=exc,
                figure="no chaos figures",
                threshold=threshold,
            )
        problems = []
        if 100 * uptime < self.min_uptime:
            problems.append(f"uptime {100 * uptime:.2f} % < {self.min_uptime:g} %")
        if lost > self.max_lost:
            problems.append(f"{lost} acknowledged entries lost > {self.max_lost}")
        figure = chaos_figure(uptime, lost, len(lines))
        return CheckResult(
            name=self.name,
            passed=not problems,
            summary="; ".join(problems) if problems else figure,
            evidence=tuple(f"{self.report}: {line}" for line in lines),
            files=(file,),
            figure=figure,
            threshold=threshold,
        )


class LoadFormat(StrEnum):
    """Load test summaries read: k6 ``--summary-export``, Locust ``--csv`` and ``--json``."""

    K6 = "k6"
    LOCUST_CSV = "locust-csv"
    LOCUST_JSON = "locust-json"


def _table(value: object, path: Path, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ReportError(
            f"{path}: not a k6 --summary-export: {field} is {json.dumps(value)[:40]}, not an "
            "object (needs metrics.http_req_duration.p(95) and metrics.http_req_failed)"
        )
    return value


def _count(value: object, path: Path, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReportError(f"{path}: {field} is {json.dumps(value)[:40]}, not a count")
    return value


def _k6(document: Any, path: Path) -> tuple[float, float, int]:
    metrics = _table(_table(document, path, "the document").get("metrics"), path, "metrics")
    duration = _table(metrics.get("http_req_duration"), path, "metrics.http_req_duration")
    failed = _table(metrics.get("http_req_failed"), path, "metrics.http_req_failed")
    requests = _count(
        _table(metrics.get("http_reqs", {}), path, "metrics.http_reqs").get("count", 0),
        path,
        "http_reqs.count",
    )
    if "p(95)" not in duration:
        raise ReportError(
            f"{path}: not a k6 --summary-export: metrics.http_req_duration has no p(95) "
            "(export it with --summary-trend-stats including p(95))"
        )
    p95 = _share(duration["p(95)"], path, "http_req_duration.p(95)")
    if "value" in failed:
        rate = _share(failed["value"], path, "http_req_failed.value")
    else:
        # A Rate's "passes" count its true values: for http_req_failed, the failed requests.
        passes = _count(failed.get("passes", 0), path, "http_req_failed.passes")
        total = passes + _count(failed.get("fails", 0), path, "http_req_failed.fails")
        rate = passes / total if total else 0.0
    return p95, rate, requests


def _locust_csv(data: bytes, path: Path) -> tuple[float, float, int]:
    try:
        text = io.StringIO(data.decode("utf-8", errors="replace"), newline="")
        rows = list(csv.DictReader(text))
    except csv.Error as exc:
        raise ReportError(f"{path}: not a Locust stats CSV: {exc}") from exc
    total = next((row for row in rows if row.get("Name") == "Aggregated"), None)
    if total is None:
        raise ReportError(f"{path}: not a Locust stats CSV (no 'Aggregated' row)")
    try:
        requests = int(total["Request Count"])
        failures = int(total["Failure Count"])
        p95 = float(total["95%"])
    except (KeyError, ValueError, TypeError) as exc:
        raise ReportError(f"{path}: Locust stats CSV's Aggregated row: {exc}") from exc
    return p95, failures / requests if requests else 0.0, requests


def _locust_json(document: Any, path: Path) -> tuple[float, float, int]:
    if not isinstance(document, list) or not all(isinstance(e, dict) for e in document):
        raise ReportError(f"{path}: not Locust --json stats (a list of entries)")
    histogram: dict[float, int] = {}
    requests = failures = 0
    try:
        for entry in document:
            requests += int(entry["num_requests"])
            failures += int(entry["num_failures"])
            for bucket, count in entry["response_times"].items():
                histogram[float(bucket)] = histogram.get(float(bucket), 0) + int(count)
    except (KeyError, ValueError, TypeError, AttributeError, OverflowError) as exc:
        raise ReportError(f"{path}: Locust --json entry: {exc}") from exc
    if not sum(histogram.values()):
        raise ReportError(f"{path}: Locust --json stats hold no response time")
    if not all(math.isfinite(bucket) for bucket in histogram):
        raise ReportError(f"{path}: Locust --json entry: a response time bucket is not a number")
    # Locust's own percentile (its Aggregated row, as its CSV and web UI give it): the largest
    # bucket with at most int(0.95 x requests) responses faster than it.
    within, counted, p95 = int(requests * 0.95), 0, 0.0
    for bucket in sorted(histogram, reverse=True):
        counted += histogram[bucket]
        if requests - counted <= within:
            p95 = bucket
            break
    return p95, failures / requests if requests else 0.0, requests


@dataclass(frozen=True, slots=True)
class LoadCheck:
    """Performance: the load test's p95 latency and error rate within their thresholds."""

    name: str = "load"
    report: str = ""
    reads: tuple[str, ...] = ()
    rank: int = 130
    report_format: LoadFormat = LoadFormat.K6
    p95_ms: float = 500.0
    max_error_rate: float = 1.0

    def evaluate(self, context: GateContext) -> CheckResult:
        """Read the load summary and compare p95 and error rate with the thresholds."""
        path = context.config.resolve(self.report)
        threshold = f"p95 <= {self.p95_ms:g} ms, error rate <= {self.max_error_rate:g} %"
        try:
            if self.report_format is LoadFormat.LOCUST_CSV:
                data, file = load_bytes(path, "Locust stats CSV")
                p95, rate, requests = _locust_csv(data, path)
            else:
                document, file = _json(path, f"{self.report_format.value} load summary")
                reader = _k6 if self.report_format is LoadFormat.K6 else _locust_json
                p95, rate, requests = reader(document, path)
        except ReportError as exc:
            return unusable(
                self.name,
                summary=f"no usable {self.report_format.value} load summary at {self.report}",
                reason=exc,
                figure="no load figures",
                threshold=threshold,
            )
        problems = []
        if p95 > self.p95_ms:
            problems.append(f"p95 {p95:g} ms > {self.p95_ms:g} ms")
        if 100 * rate > self.max_error_rate:
            problems.append(f"error rate {100 * rate:.2f} % > {self.max_error_rate:g} %")
        figure = load_figure(p95, rate, requests)
        return CheckResult(
            name=self.name,
            passed=not problems,
            summary="; ".join(problems) if problems else figure,
            evidence=(f"{self.report} ({self.report_format.value}): {figure}",),
            files=(file,),
            figure=figure,
            threshold=threshold,
        )


class _ChaosOptions(KindOptions):
    report: str | None = Field(default=None, min_length=1)
    min_uptime: float = Field(default=99.0, ge=0.0, le=100.0, strict=False)
    max_lost: int = Field(default=0, ge=0)


class _LoadOptions(KindOptions):
    report: str | None = Field(default=None, min_length=1)
    format: LoadFormat = Field(strict=False)
    p95_ms: float = Field(gt=0.0, strict=False)
    max_error_rate: float = Field(ge=0.0, le=100.0, strict=False)


def _make_chaos(entry: PolicyCheck, where: str) -> Check:
    options = parse_options(entry, where, _ChaosOptions)
    report = options.report or (entry.evidence[0] if entry.evidence else _CHAOS)
    return ChaosCheck(
        name=entry.row,
        report=report,
        reads=(report,),
        min_uptime=options.min_uptime,
        max_lost=options.max_lost,
    )


def _make_load(entry: PolicyCheck, where: str) -> Check:
    options = parse_options(entry, where, _LoadOptions)
    report = options.report or (entry.evidence[0] if entry.evidence else None)
    if report is None:
        raise ConfigError(f"{where}.report: a load check names its summary file")
    return LoadCheck(
        name=entry.row,
        report=report,
        reads=(report,),
        report_format=options.format,
        p95_ms=options.p95_ms,
        max_error_rate=options.max_error_rate,
    )


register_kind("chaos", _make_chaos)
register_kind("load", _make_load)
