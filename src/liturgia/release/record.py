"""A release as the cockpit server stores it: stage events and the final record (wire schema).

``liturgia release --server URL`` sends, as the release runs, one :class:`StageEvent` when a
stage starts and one when it finishes, then one :class:`ReleaseRecord` built from the release
folder (:func:`build_record`). ``liturgia serve`` validates both with these same models
(``extra="forbid"``: a misspelt field is a 400 naming it), so the client and the server share
one schema, ``liturgia-release-record/1``.

Both are idempotent by content: an event is named by its run and its sequence number, a record
by its project and version, and the server stores a repeat of the same content once.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from liturgia.errors import InputError
from liturgia.release.checksums import parse_sha256sums
from liturgia.sign.bundle import BUNDLE_SUFFIX

__all__ = [
    "PROJECT_PATTERN",
    "RECORD_FORMAT",
    "RUN_PATTERN",
    "SEVERITIES",
    "Artifact",
    "Finding",
    "Findings",
    "Gate",
    "ReleaseRecord",
    "Resilience",
    "RollbackMark",
    "SbomSummary",
    "StageEvent",
    "TestSummary",
    "build_record",
]

#: The record's ``format`` field.
RECORD_FORMAT = "liturgia-release-record/1"
#: A project name as the server accepts it in a path (and a token is scoped to).
PROJECT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
#: A release run's identifier: 32 lower-case hex digits, made by the client.
RUN_PATTERN = r"^[0-9a-f]{32}$"
#: A version as a path segment: SemVer-ish text without slashes or spaces.
VERSION_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,99}$"
#: Finding severities, most severe first (OSV / CVSS qualitative ratings).
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "NONE", "UNKNOWN")

_Text = Annotated[str, Field(max_length=2000)]
_Short = Annotated[str, Field(min_length=1, max_length=200)]
_Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class RollbackMark(_Wire):
    """A release marked rolled back (``PUT .../releases/{version}/rollback``), as
    ``liturgia rollback`` records it beside the release folder.

    Idempotent by content like a record: the same mark again is a repeat; another reason or
    time under the same release is a conflict (the first mark is kept).

    Attributes:
        project: the project's name (the path's).
        version: the rolled-back version (the path's).
        rolled_back_at: when, RFC 3339 UTC (``2026-12-05T07:30:00Z``).
        reason: why, one line (at most 2,000 characters).
        previous: the earlier release to deploy again, or ``None`` when there is none.
    """

    project: Annotated[str, Field(pattern=PROJECT_PATTERN)]
    version: Annotated[str, Field(pattern=VERSION_PATTERN)]
    rolled_back_at: Annotated[str, Field(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")]
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    previous: Annotated[str, Field(pattern=VERSION_PATTERN)] | None = None

    def canonical(self) -> bytes:
        """The mark as canonical JSON (sorted keys, no spaces): what is sent and hashed."""
        return json.dumps(self.model_dump(), sort_keys=True, separators=(",", ":")).encode()


class StageEvent(_Wire):
    """One stage starting or finishing (``POST .../runs/{run}/events``).

    Attributes:
        seq: the event's position in its run, from 1; with the run, its identity.
        kind: ``stage-started`` or ``stage-finished``.
        stage: the stage's name (``version``, ``build``...).
        summary: the finished stage's one line.
        ok: false when the finished stage found a problem (failed tests, NO-GO).
        version: the version being released, once known.
        at: when it happened, RFC 3339 UTC (``2026-12-05T07:30:00Z``).
    """

    seq: int = Field(ge=1, le=10_000)
    kind: Literal["stage-started", "stage-finished"]
    stage: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
    summary: _Text = ""
    ok: bool = True
    version: Annotated[str, Field(pattern=VERSION_PATTERN)] | None = None
    at: Annotated[str, Field(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")]


class Gate(_Wire):
    """One gate check with its result and evidence (as gate-report.json has it).

    ``status`` says how a passing check passed (``waived``, ``not-applicable``); absent from
    the reports of older releases.
    """

    name: _Short
    passed: bool
    status: Literal["pass", "fail", "waived", "not-applicable"] | None = None
    summary: _Text
    evidence: list[_Text] = Field(default_factory=list, max_length=500)
    figure: _Text = ""
    threshold: _Text = ""


class SbomSummary(_Wire):
    """The SBOM's size and its change against the previous release."""

    components: int = Field(ge=0)
    changes: _Text = ""


class Finding(_Wire):
    """One unsuppressed vulnerability finding."""

    id: _Short
    severity: Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "NONE", "UNKNOWN"]
    package: _Short
    version: Annotated[str, Field(max_length=200)] = ""
    aliases: list[_Short] = Field(default_factory=list, max_length=50)


class Findings(_Wire):
    """Findings by severity, with their ids."""

    by_severity: dict[
        Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "NONE", "UNKNOWN"], Annotated[int, Field(ge=0)]
    ]
    items: list[Finding] = Field(default_factory=list, max_length=5000)


class TestSummary(_Wire):
    """The tests gate and the coverage gate's figures.

    ``passed`` is the tests gate's (it lets the release go); ``status`` says how
    (``not-applicable`` when the configuration switched the tests off: nothing was tested),
    left out when the gate report gave none.
    """

    __test__ = False  # not a pytest class
    summary: _Text = ""
    passed: bool = False
    status: Literal["pass", "fail", "waived", "not-applicable"] | None = None
    coverage: _Text = ""


class Artifact(_Wire):
    """A released file: its digest and the transparency-log index of its bundle."""

    name: _Short
    sha256: _Sha256
    log_index: int | None = Field(default=None, ge=0)


_Percent = Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)]


class Resilience(_Wire):
    """What the gate's load and chaos checks measured (the worst of each, when several ran).

    Attributes:
        load_p95_ms: the load test's 95th-percentile latency, in milliseconds.
        error_rate_percent: the load test's failed requests, in percent (0..100).
        chaos_availability_percent: the chaos experiments' uptime, in percent (0..100).
    """

    load_p95_ms: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] | None = None
    error_rate_percent: _Percent | None = None
    chaos_availability_percent: _Percent | None = None


class ReleaseRecord(_Wire):
    """The final record of one release (``PUT .../releases/{version}``).

    ``resilience`` is present only when the gate measured load or chaos figures; a record
    without them is written without the field (the same bytes as before it existed).
    """

    format: Literal["liturgia-release-record/1"] = "liturgia-release-record/1"
    project: Annotated[str, Field(pattern=PROJECT_PATTERN)]
    version: Annotated[str, Field(pattern=VERSION_PATTERN)]
    run: Annotated[str, Field(pattern=RUN_PATTERN)] | None = None
    decision: Literal["GO", "NO-GO"]
    dry_run: bool = False
    gates: list[Gate] = Field(max_length=100)
    sbom: SbomSummary
    findings: Findings
    tests: TestSummary
    artifacts: list[Artifact] = Field(max_length=1000)
    provenance_sha256: _Sha256 | None = None
    notes: Annotated[str, Field(max_length=100_000)] = ""
    resilience: Resilience | None = None

    def canonical(self) -> bytes:
        """The record as sorted, compact JSON: equal records give equal bytes.

        Without resilience figures the field is left out (what older servers accept), and so
        is the tests' status when there is none.
        """
        document = self.model_dump(mode="json", exclude={"resilience"})
        if self.tests.status is None:
            del document["tests"]["status"]  # the bytes of a record from before it existed
        if self.resilience is not None:
            document["resilience"] = self.resilience.model_dump(mode="json", exclude_none=True)
        return json.dumps(
            document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode("utf-8")


def _read_json(folder: Path, name: str) -> Any:
    try:
        return json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder / name}: cannot read the release's {name}: {exc}") from exc


_COMPONENTS = re.compile(r"(\d+) components")


def build_record(folder: Path, *, run: str | None = None) -> ReleaseRecord:
    """Build the record of the release in ``folder`` from the files the release wrote.

    Reads ``gate-report.json`` (project, version, decision, gates, and the load and chaos
    checks' figures), ``vulnerabilities.json`` (findings by severity), ``SHA256SUMS``
    (artifact digests), each ``*.sigstore.json``
    (the log index of its entry), ``RELEASE_NOTES.md`` and, when present, a provenance
    statement (``*.intoto.jsonl`` / ``provenance*.json``: its SHA-256).

    Raises:
        InputError: a file is missing or not what the release writes (names the file).
    """
    report = _read_json(folder, "gate-report.json")
    vulnerabilities = _read_json(folder, "vulnerabilities.json")
    try:
        sums = parse_sha256sums((folder / "SHA256SUMS").read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{folder / 'SHA256SUMS'}: cannot read it: {exc}") from exc
    summary = vulnerabilities.get("summary", {})
    by_severity = {
        s: int(summary.get("unsuppressed_by_severity", {}).get(s, 0)) for s in SEVERITIES
    }
    items = [_finding(f) for f in vulnerabilities.get("findings", []) if not f.get("suppressed")]
    gates = [Gate.model_validate(_gate(check)) for check in report.get("checks", [])]
    by_name = {gate.name: gate for gate in gates}
    tests, coverage = by_name.get("tests"), by_name.get("coverage")
    sbom_gate = by_name.get("sbom")
    match = _COMPONENTS.search(sbom_gate.figure) if sbom_gate else None
    artifacts = [
        Artifact(name=name, sha256=digest, log_index=_log_index(folder / f"{name}{BUNDLE_SUFFIX}"))
        for name, digest in sorted(sums.items())
    ]
    notes_path = folder / "RELEASE_NOTES.md"
    notes = notes_path.read_text(encoding="utf-8", errors="replace") if notes_path.exists() else ""
    try:
        return ReleaseRecord(
            project=str(report["project"]),
            version=str(report["version"]),
            run=run,
            decision="GO" if report.get("go") else "NO-GO",
            dry_run=(folder / "DRY-RUN").exists(),
            gates=gates,
            sbom=SbomSummary(
                components=int(match[1]) if match else int(summary.get("components", 0)),
                changes=_changes(notes),
            ),
            findings=Findings(by_severity=by_severity, items=items),  # type: ignore[arg-type]
            tests=TestSummary(
                summary=tests.summary if tests else "",
                passed=tests.passed if tests else False,
                status=tests.status if tests else None,
                coverage=coverage.figure if coverage else "",
            ),
            artifacts=artifacts,
            provenance_sha256=_provenance_digest(folder, sums),
            notes=notes[:100_000],
            resilience=_resilience(gates),
        )
    except (KeyError, ValidationError) as exc:
        raise InputError(f"{folder}: the release's files do not make a record: {exc}") from exc


def _resilience(gates: list[Gate]) -> Resilience | None:
    """The worst load and chaos figures of the gate's checks (read from their ``figure``,
    whatever the policy named the rows); ``None`` when no check measured one."""
    from liturgia.release.gates.resilience import (  # noqa: PLC0415 - not in the server
        read_chaos_figure,
        read_load_figure,
    )

    loads = [load for gate in gates if (load := read_load_figure(gate.figure))]
    uptimes = [up for gate in gates if (up := read_chaos_figure(gate.figure)) is not None]
    # A share over 100 % is a broken report (its check says so): not a figure to chart.
    rates = [rate for _, rate in loads if rate <= 100.0]
    uptimes = [uptime for uptime in uptimes if uptime <= 100.0]
    if not loads and not uptimes:
        return None
    return Resilience(
        load_p95_ms=max(p95 for p95, _ in loads) if loads else None,
        error_rate_percent=max(rates) if rates else None,
        chaos_availability_percent=min(uptimes) if uptimes else None,
    )


def _finding(found: dict[str, Any]) -> Finding:
    """A finding of vulnerabilities.json (``liturgia-vulnerabilities/1``)."""
    component = found.get("component") or {}
    severity = str(found.get("severity", "UNKNOWN")).upper()
    return Finding.model_validate(
        {
            "id": str(found.get("id", "?"))[:200],
            "severity": severity if severity in SEVERITIES else "UNKNOWN",
            "package": str(component.get("name", "?"))[:200],
            "version": str(component.get("version", ""))[:200],
            "aliases": [str(alias)[:200] for alias in found.get("aliases", ())[:50]],
        }
    )


def _gate(check: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": check.get("name", ""),
        "passed": bool(check.get("passed")),
        "status": check.get("status"),
        "summary": str(check.get("summary", ""))[:2000],
        "evidence": [str(item)[:2000] for item in check.get("evidence", ())[:500]],
        "figure": str(check.get("figure", ""))[:2000],
        "threshold": str(check.get("threshold", ""))[:2000],
    }


def _log_index(bundle: Path) -> int | None:
    try:
        document = json.loads(bundle.read_text(encoding="utf-8"))
        index = document["verificationMaterial"]["tlogEntries"][0]["logIndex"]
        return int(index)
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


def _level(line: str) -> int:
    """A Markdown heading's level (``## x``: 2), 0 for any other line."""
    marks = len(line) - len(line.lstrip("#"))
    return marks if marks and line[marks : marks + 1] in (" ", "") else 0


def _changes(notes: str) -> str:
    """The release notes' dependency-changes section, if any (the SBOM diff, as text), with
    its subsections (``### Added``...), up to the next heading of its level or above."""
    lines = notes.splitlines()
    for number, line in enumerate(lines):
        level = _level(line)
        if level and "ependenc" in line:
            body = []
            for follow in lines[number + 1 :]:
                if 0 < _level(follow) <= level:
                    break
                body.append(follow)
            return "\n".join(body).strip()[:2000]
    return ""


def _provenance_digest(folder: Path, sums: dict[str, str]) -> str | None:
    for name in sorted(sums):
        if name.endswith(".intoto.jsonl") or (
            name.startswith("provenance") and name.endswith("json")
        ):
            return sums[name]
    del folder
    return None
