"""Advisories as plain values, and their parsing from OSV records (OSV schema 1.6).

The wire format is validated with pydantic models that keep unknown fields (newer schema
versions still load); the result is a tree of frozen dataclasses that matching reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StrictStr,
    ValidationError,
    model_validator,
)

from liturgia.vuln.ecosystems import canonical_ecosystem
from liturgia.vuln.versions import ordering_for

__all__ = [
    "Advisory",
    "AffectedPackage",
    "AffectedRange",
    "RangeEvent",
    "advisory_from_dict",
    "advisory_to_dict",
    "canonical_versions",
    "parse_osv_record",
]

EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")


@dataclass(frozen=True, slots=True, kw_only=True)
class RangeEvent:
    """One OSV range event (OSV schema §affected.ranges.events).

    Attributes:
        kind: ``"introduced"``, ``"fixed"``, ``"last_affected"`` or ``"limit"``.
        version: the version string as written (``"0"`` for "before every version").
    """

    kind: str
    version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AffectedRange:
    """One OSV range: its type (``SEMVER``, ``ECOSYSTEM``, ``GIT``), events in source order."""

    type: str
    events: tuple[RangeEvent, ...]
    repo: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AffectedPackage:
    """One ``affected[]`` entry.

    Attributes:
        ecosystem: canonical ecosystem (see ``ecosystems.canonical_ecosystem``).
        name: the package name as the record spells it.
        purl: ``affected[].package.purl`` when given.
        ranges: the ranges, in source order.
        versions: the enumerated ``versions`` list, as written.
        severity: per-package ``severity[]`` as ``(type, score)`` pairs (overrides the record's).
        canonical_versions: the ``versions`` entries valid in the ecosystem's ordering, in
            canonical text form (precomputed by the index so lookups parse nothing), or
            ``None`` when not computed yet.
    """

    ecosystem: str
    name: str
    purl: str | None = None
    ranges: tuple[AffectedRange, ...] = ()
    versions: tuple[str, ...] = ()
    severity: tuple[tuple[str, str], ...] = ()
    canonical_versions: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Advisory:
    """One vulnerability record.

    Attributes:
        id: the record id (``PYSEC-2021-98``, ``GO-2020-0001``, ``GHSA-...``, ``RUSTSEC-...``).
        aliases: ``aliases[]`` (may be empty).
        summary: one-line summary, or the first line of ``details``, or ``""``.
        modified: ``modified`` timestamp as written (RFC 3339), or ``""``.
        published: ``published`` timestamp, or ``""``.
        withdrawn: ``withdrawn`` timestamp when the record is withdrawn, else ``None``.
        severity: ``severity[]`` as ``(type, score)`` pairs.
        database_severity: ``database_specific.severity`` (GHSA), when present.
        affected: the affected packages.
        references: ``references[].url`` values, in source order.
        source: where the record was read from (a file path or index label).
    """

    id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    modified: str = ""
    published: str = ""
    withdrawn: str | None = None
    severity: tuple[tuple[str, str], ...] = ()
    database_severity: str | None = None
    affected: tuple[AffectedPackage, ...] = ()
    references: tuple[str, ...] = ()
    source: str = ""


def _timestamp_text(value: object) -> object:
    # YAML encodes unquoted RFC 3339 timestamps as datetimes (PyPA's records do so); keep text.
    if isinstance(value, datetime):
        text = value.isoformat()
        return text.removesuffix("+00:00") + "Z" if value.utcoffset() is not None else text
    if isinstance(value, date):
        return value.isoformat()
    return value


Timestamp = Annotated[StrictStr, BeforeValidator(_timestamp_text)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class _Event(_Wire):
    introduced: StrictStr | None = None
    fixed: StrictStr | None = None
    last_affected: StrictStr | None = None
    limit: StrictStr | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> _Event:
        present = [kind for kind in EVENT_KINDS if getattr(self, kind) is not None]
        if len(present) != 1:
            raise ValueError(
                "an event must hold exactly one of introduced/fixed/last_affected/limit"
            )
        return self


class _Range(_Wire):
    type: StrictStr
    repo: StrictStr | None = None
    events: list[_Event]

    @model_validator(mode="after")
    def _has_introduced(self) -> _Range:
        if self.type not in ("SEMVER", "ECOSYSTEM", "GIT"):
            raise ValueError(f"unknown range type {self.type!r}")
        if not any(event.introduced is not None for event in self.events):
            raise ValueError("a range needs at least one 'introduced' event")
        if any(e.fixed is not None for e in self.events) and any(
            e.last_affected is not None for e in self.events
        ):
            raise ValueError("a range may hold 'fixed' or 'last_affected' events, not both")
        return self


class _Package(_Wire):
    ecosystem: StrictStr
    name: StrictStr
    purl: StrictStr | None = None


class _Severity(_Wire):
    type: StrictStr
    score: StrictStr


class _Affected(_Wire):
    package: _Package
    severity: list[_Severity] | None = None
    ranges: list[_Range] | None = None
    versions: list[StrictStr] | None = None


class _Reference(_Wire):
    type: StrictStr | None = None
    url: StrictStr


class _Record(_Wire):
    id: StrictStr
    schema_version: StrictStr | None = None
    modified: Timestamp | None = None
    published: Timestamp | None = None
    withdrawn: Timestamp | None = None
    aliases: list[StrictStr] | None = None
    summary: StrictStr | None = None
    details: StrictStr | None = None
    severity: list[_Severity] | None = None
    affected: list[_Affected] | None = None
    references: list[_Reference] | None = None
    database_specific: dict[str, Any] | None = None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "record"
    return f"{where}: {error['msg']}"


def _summary(record: _Record) -> str:
    if record.summary and record.summary.strip():
        return record.summary.strip()
    details = (record.details or "").strip()
    first = details.splitlines()[0] if details else ""
    return first[:117] + "..." if len(first) > 120 else first


def parse_osv_record(data: object, *, source: str) -> Advisory:
    """Validate one OSV record (already decoded from JSON/YAML) and convert it.

    Args:
        data: the decoded document (a mapping).
        source: where it came from, kept on the advisory for reports.

    Returns:
        The advisory (withdrawn ones too: callers decide to skip them).

    Raises:
        ValueError: the document is not a valid OSV record; the message names the field.
    """
    if not isinstance(data, dict):
        raise ValueError(f"expected an OSV object, found {type(data).__name__}")  # noqa: TRY004
    try:
        record = _Record.model_validate(data)
    except ValidationError as exc:
        raise ValueError(_first_error(exc)) from exc
    if not record.id.strip():
        raise ValueError("id: empty")
    affected = []
    for entry in record.affected or ():
        ranges = tuple(
            AffectedRange(
                type=item.type,
                repo=item.repo,
                events=tuple(
                    RangeEvent(kind=kind, version=value)
                    for event in item.events
                    for kind in EVENT_KINDS
                    if (value := getattr(event, kind)) is not None
                ),
            )
            for item in entry.ranges or ()
        )
        affected.append(
            AffectedPackage(
                ecosystem=canonical_ecosystem(entry.package.ecosystem),
                name=entry.package.name,
                purl=entry.package.purl,
                ranges=ranges,
                versions=tuple(entry.versions or ()),
                severity=tuple((s.type, s.score) for s in entry.severity or ()),
            )
        )
    db_severity = (record.database_specific or {}).get("severity")
    return Advisory(
        id=record.id.strip(),
        aliases=tuple(dict.fromkeys(a.strip() for a in record.aliases or () if a.strip())),
        summary=_summary(record),
        modified=record.modified or "",
        published=record.published or "",
        withdrawn=record.withdrawn,
        severity=tuple((s.type, s.score) for s in record.severity or ()),
        database_severity=db_severity if isinstance(db_severity, str) else None,
        affected=tuple(affected),
        references=tuple(ref.url for ref in record.references or ()),
        source=source,
    )


def canonical_versions(ecosystem: str, versions: tuple[str, ...]) -> tuple[str, ...]:
    """Canonical forms of the ``versions`` entries valid in the ecosystem's ordering."""
    ordering = ordering_for(ecosystem, "ECOSYSTEM")
    found: dict[str, None] = {}
    for version in versions:
        try:
            found[ordering.canonical(version)] = None
        except ValueError:
            continue
    return tuple(found)


def _uncanonical(ecosystem: str, versions: tuple[str, ...]) -> list[str]:
    ordering = ordering_for(ecosystem, "ECOSYSTEM")
    kept: list[str] = []
    for version in versions:
        try:
            ordering.canonical(version)
        except ValueError:
            kept.append(version)
    return kept


def advisory_to_dict(advisory: Advisory) -> dict[str, Any]:
    """Return the compact JSON-ready form of an advisory (the index's storage format).

    ``versions`` entries are kept in canonical form only (``canonical_versions``), except those
    the ecosystem's ordering cannot parse, which stay verbatim for exact-string matching; so
    :func:`advisory_from_dict` returns an advisory that matches exactly as the original does.
    """
    return {
        "id": advisory.id,
        "aliases": list(advisory.aliases),
        "summary": advisory.summary,
        "modified": advisory.modified,
        "published": advisory.published,
        "withdrawn": advisory.withdrawn,
        "severity": [list(pair) for pair in advisory.severity],
        "database_severity": advisory.database_severity,
        "references": list(advisory.references),
        "source": advisory.source,
        "affected": [
            {
                "ecosystem": a.ecosystem,
                "name": a.name,
                "purl": a.purl,
                # Compact: entries with a canonical form are stored only in that form.
                "versions": _uncanonical(a.ecosystem, a.versions),
                "canonical_versions": list(
                    a.canonical_versions
                    if a.canonical_versions is not None
                    else canonical_versions(a.ecosystem, a.versions)
                ),
                "severity": [list(pair) for pair in a.severity],
                "ranges": [
                    {
                        "type": r.type,
                        "repo": r.repo,
                        "events": [[e.kind, e.version] for e in r.events],
                    }
                    for r in a.ranges
                ],
            }
            for a in advisory.affected
        ],
    }


@lru_cache(maxsize=65536)
def _event(kind: str, version: str) -> RangeEvent:
    # Events are immutable values: share identical ones ("introduced 0" is in most records).
    return RangeEvent(kind=kind, version=version)


def advisory_from_dict(
    data: dict[str, Any], *, keep: Callable[[str, str, str | None], bool] | None = None
) -> Advisory:
    """Rebuild an advisory from :func:`advisory_to_dict` output (trusted, already validated).

    Args:
        data: the stored form.
        keep: when given, only ``affected`` entries for which ``keep(ecosystem, name, purl)``
            is true are rebuilt (a lookup needs the entries of one package only).
    """
    return Advisory(
        id=data["id"],
        aliases=tuple(data["aliases"]),
        summary=data["summary"],
        modified=data["modified"],
        published=data["published"],
        withdrawn=data["withdrawn"],
        severity=tuple((kind, score) for kind, score in data["severity"]),
        database_severity=data["database_severity"],
        references=tuple(data["references"]),
        source=data["source"],
        affected=tuple(
            AffectedPackage(
                ecosystem=a["ecosystem"],
                name=a["name"],
                purl=a["purl"],
                versions=tuple(a["versions"]),
                canonical_versions=tuple(a["canonical_versions"]),
                severity=tuple((kind, score) for kind, score in a["severity"]),
                ranges=tuple(
                    AffectedRange(
                        type=r["type"],
                        repo=r["repo"],
                        events=tuple(_event(k, v) for k, v in r["events"]),
                    )
                    for r in a["ranges"]
                ),
            )
            for a in data["affected"]
            if keep is None or keep(a["ecosystem"], a["name"], a["purl"])
        ),
    )
