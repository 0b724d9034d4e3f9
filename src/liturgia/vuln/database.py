"""Advisory databases: the lookup interface scanning uses, and the OSV folder loader.

:class:`AdvisoryDatabase` answers "which advisories name this package?" and compiles each
package's entries once (see ``matching``). :func:`load_osv_directory` builds one in memory from a
folder of OSV records; the SQLite index (``liturgia.vuln.index``) implements the same interface.

Never a silent "no vulnerabilities": a folder that is missing, unreadable or holds no valid
record is an :class:`~liturgia.errors.InputError`; malformed records become warnings naming the
file and the reason.
"""

from __future__ import annotations

import contextlib
import json
import os
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from liturgia.errors import InputError
from liturgia.vuln.advisory import Advisory, parse_osv_record
from liturgia.vuln.ecosystems import PackageKey, normalize_name, package_from_purl
from liturgia.vuln.limits import MAX_ADVISORY_BYTES, read_limited
from liturgia.vuln.matching import CompiledEntry, compile_entry

__all__ = [
    "AdvisoryDatabase",
    "DatabaseInfo",
    "MemoryAdvisoryDatabase",
    "advisory_keys",
    "freshness_problem",
    "load_osv_directories",
    "load_osv_directory",
    "parse_timestamp",
    "read_osv_file",
]

OSV_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseInfo:
    """What a database holds, for reports.

    Attributes:
        source: the folder or index file the advisories came from.
        kind: ``"osv-directory"`` or ``"sqlite-index"``.
        record_count: advisories usable for matching (withdrawn ones excluded).
        withdrawn_count: withdrawn advisories skipped.
        ecosystems: ``(ecosystem, advisory count)`` pairs, sorted by ecosystem.
        newest_modified: the latest ``modified`` timestamp (RFC 3339), or ``None``.
        imported_at: when the index was built (RFC 3339), ``None`` for a folder.
    """

    source: str
    kind: str
    record_count: int
    withdrawn_count: int = 0
    ecosystems: tuple[tuple[str, int], ...] = ()
    newest_modified: str | None = None
    imported_at: str | None = None


def advisory_keys(advisory: Advisory) -> tuple[PackageKey, ...]:
    """Every package key an advisory names: each entry's (ecosystem, name), and its purl's."""
    keys: dict[PackageKey, None] = {}
    for affected in advisory.affected:
        keys[
            PackageKey(
                ecosystem=affected.ecosystem,
                name=normalize_name(affected.ecosystem, affected.name),
            )
        ] = None
        if affected.purl:
            try:
                key, _version = package_from_purl(affected.purl)
            except ValueError:
                continue
            keys[key] = None
    return tuple(keys)


class AdvisoryDatabase(ABC):
    """A source of advisories keyed by package, with per-package compiled matchers.

    Subclasses implement :meth:`_advisories_for`; compiled entries are cached per package, so
    scanning many components of one package compiles its ranges once.
    """

    def __init__(self) -> None:
        """Start with an empty compile cache."""
        self._compiled: dict[PackageKey, tuple[CompiledEntry, ...]] = {}
        self._covered: frozenset[str] | None = None

    @property
    @abstractmethod
    def info(self) -> DatabaseInfo:
        """Counts and provenance of the database."""

    @property
    @abstractmethod
    def warnings(self) -> tuple[str, ...]:
        """Problems found while loading (file and reason), sorted."""

    @abstractmethod
    def _advisories_for(self, key: PackageKey) -> Sequence[Advisory]:
        """Advisories with an ``affected[]`` entry for ``key`` (withdrawn ones excluded)."""

    def prepare(self, queries: Sequence[tuple[PackageKey, str]]) -> None:  # noqa: B027
        """Learn up front which (package, version) pairs will be looked up.

        Local databases need nothing; online sources override this to batch their requests
        (the OSV API's querybatch, npm's bulk endpoint). The default does nothing.

        Raises:
            AdvisorySourceError, NetworkError: an online source cannot answer.
        """

    def covers(self, ecosystem: str) -> bool:
        """Return whether the database holds at least one advisory for ``ecosystem``."""
        if self._covered is None:
            self._covered = frozenset(name for name, _count in self.info.ecosystems)
        return ecosystem in self._covered

    def entries_for(self, key: PackageKey) -> tuple[CompiledEntry, ...]:
        """Return the compiled ``affected[]`` entries naming ``key``, in advisory id order."""
        cached = self._compiled.get(key)
        if cached is not None:
            return cached
        entries: list[CompiledEntry] = []
        for advisory in sorted(self._advisories_for(key), key=lambda a: a.id):
            for affected in advisory.affected:
                names = {
                    PackageKey(
                        ecosystem=affected.ecosystem,
                        name=normalize_name(affected.ecosystem, affected.name),
                    )
                }
                if affected.purl:
                    with contextlib.suppress(ValueError):
                        names.add(package_from_purl(affected.purl)[0])
                if key in names:
                    entries.append(compile_entry(advisory, affected))
        compiled = tuple(entries)
        self._compiled[key] = compiled
        return compiled


class MemoryAdvisoryDatabase(AdvisoryDatabase):
    """An in-memory database built from parsed advisories."""

    def __init__(
        self,
        advisories: Iterable[Advisory],
        *,
        source: str,
        withdrawn_count: int = 0,
        warnings: Iterable[str] = (),
    ) -> None:
        """Index ``advisories`` (withdrawn ones must already be removed) by package key."""
        super().__init__()
        self._by_key: dict[PackageKey, list[Advisory]] = {}
        ecosystems: Counter[str] = Counter()
        newest: str | None = None
        count = 0
        for advisory in advisories:
            count += 1
            keys = advisory_keys(advisory)
            for key in keys:
                self._by_key.setdefault(key, []).append(advisory)
            for ecosystem in {key.ecosystem for key in keys}:
                ecosystems[ecosystem] += 1
            if advisory.modified and (newest is None or advisory.modified > newest):
                newest = advisory.modified
        self._info = DatabaseInfo(
            source=source,
            kind="osv-directory",
            record_count=count,
            withdrawn_count=withdrawn_count,
            ecosystems=tuple(sorted(ecosystems.items())),
            newest_modified=newest,
        )
        self._warnings = tuple(sorted(set(warnings)))

    @property
    def info(self) -> DatabaseInfo:
        """Counts and provenance of the database."""
        return self._info

    @property
    def warnings(self) -> tuple[str, ...]:
        """Problems found while loading (file and reason), sorted."""
        return self._warnings

    def _advisories_for(self, key: PackageKey) -> Sequence[Advisory]:
        return self._by_key.get(key, ())


def read_osv_file(path: Path, data: bytes, *, source: str) -> Advisory:
    """Decode and parse one OSV file's bytes (JSON, or YAML by suffix).

    Raises:
        ValueError: not decodable, or not a valid OSV record (the message says why).
    """
    try:
        if path.suffix.lower() == ".json":
            document = json.loads(data)
        else:
            # CSafeLoader is the libyaml-backed SafeLoader: same safe subset, ~10x faster.
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            document = yaml.load(data, Loader=loader)  # noqa: S506
    except (ValueError, yaml.YAMLError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"not valid {path.suffix.lstrip('.').upper()}: {reason}") from exc
    except RecursionError as exc:
        raise ValueError("nested too deeply to be an OSV record") from exc
    try:
        return parse_osv_record(document, source=source)
    except RecursionError as exc:
        raise ValueError("nested too deeply to be an OSV record") from exc


def _walk(root: Path) -> list[Path]:
    errors: list[OSError] = []
    found = [
        Path(folder) / name
        for folder, _dirs, files in os.walk(root, onerror=errors.append)
        for name in files
        if name.lower().endswith(OSV_SUFFIXES)
    ]
    if errors:
        first = errors[0]
        raise InputError(
            f"{first.filename or root}: cannot read OSV folder: {first.strerror or first}"
        )
    return sorted(found)


def collect_advisories(
    records: Iterable[Advisory], warnings: list[str]
) -> tuple[list[Advisory], int]:
    """Drop withdrawn records and resolve duplicate ids (the latest ``modified`` wins).

    Args:
        records: parsed advisories in a stable order.
        warnings: receives one line per duplicate id.

    Returns:
        The kept advisories (sorted by id) and the number of withdrawn records skipped.
    """
    kept: dict[str, Advisory] = {}
    withdrawn = 0
    for advisory in records:
        if advisory.withdrawn:
            withdrawn += 1
            continue
        previous = kept.get(advisory.id)
        if previous is not None:
            winner = advisory if advisory.modified > previous.modified else previous
            loser = previous if winner is advisory else advisory
            warnings.append(
                f"{loser.source}: duplicate id {advisory.id}; kept {winner.source} "
                "(newer or first 'modified')"
            )
            kept[advisory.id] = winner
            continue
        kept[advisory.id] = advisory
    return sorted(kept.values(), key=lambda a: a.id), withdrawn


def _read_folder(path: Path, warnings: list[str]) -> tuple[list[Advisory], int]:
    """Parse every OSV file under ``path``; return the advisories and the file count."""
    if not path.exists():
        raise InputError(f"{path}: OSV advisory folder not found")
    if not path.is_dir():
        raise InputError(f"{path}: OSV advisory folder is not a folder")
    if not os.access(path, os.R_OK | os.X_OK):
        raise InputError(f"{path}: cannot read OSV advisory folder: permission denied")
    files = _walk(path)
    if not files:
        raise InputError(f"{path}: no OSV advisories (no .json/.yaml/.yml files in the folder)")
    parsed: list[Advisory] = []
    for file in files:
        try:
            data = read_limited(file, limit=MAX_ADVISORY_BYTES, what="advisory file")
        except InputError as exc:
            warnings.append(str(exc))
            continue
        try:
            # Relative labels keep reports identical wherever the folder lives.
            label = f"{path.name}/{file.relative_to(path).as_posix()}"
            parsed.append(read_osv_file(file, data, source=label))
        except ValueError as exc:
            warnings.append(f"{file}: not a valid OSV record: {exc}")
    return parsed, len(files)


def load_osv_directories(paths: Sequence[Path]) -> AdvisoryDatabase:
    """Load every OSV record under each folder (recursively) into one in-memory database.

    Files ending ``.json``, ``.yaml`` or ``.yml`` are read as OSV schema 1.x records (one per
    file). Withdrawn records (OSV schema §withdrawn) are skipped and counted; of records sharing
    an id, the newest ``modified`` wins (a warning says so). A malformed record is a warning
    naming the file and the reason, not an error.

    Args:
        paths: the folders (at least one).

    Returns:
        The database; its ``warnings`` list the records that could not be used.

    Raises:
        InputError: no folder given, or a folder is missing, not a folder, unreadable, or holds
            no valid OSV record (never an empty database that would report "no vulnerabilities").
    """
    if not paths:
        raise InputError("no OSV advisory folder given")
    warnings: list[str] = []
    parsed: list[Advisory] = []
    for path in paths:
        own: list[str] = []
        records, file_count = _read_folder(path, own)
        valid = [r for r in records if not r.withdrawn]
        if not valid:
            withdrawn = len(records)
            why = (
                f"all {withdrawn} records are withdrawn"
                if withdrawn and not own
                else f"none of its {file_count} files is a valid OSV record"
                + (f" (first problem: {sorted(own)[0]})" if own else "")
            )
            raise InputError(f"{path}: no usable OSV advisories: {why}")
        parsed.extend(records)
        warnings.extend(own)
    advisories, withdrawn = collect_advisories(parsed, warnings)
    return MemoryAdvisoryDatabase(
        advisories,
        source=", ".join(str(p) for p in paths),
        withdrawn_count=withdrawn,
        warnings=warnings,
    )


def load_osv_directory(path: Path) -> AdvisoryDatabase:
    """Load every OSV record under one folder; see :func:`load_osv_directories`.

    Raises:
        InputError: the folder is missing, not a folder, unreadable, or holds no valid OSV
            record (never an empty database that would report "no vulnerabilities").
    """
    return load_osv_directories([path])


def parse_timestamp(text: str) -> datetime | None:
    """Parse an RFC 3339 timestamp or a date (UTC when no zone), or return ``None``."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def freshness_problem(info: DatabaseInfo, *, max_age: timedelta, at: datetime) -> str | None:
    """Say why a database is too old to trust, or return ``None`` when it is fresh enough.

    The age is that of the newest record's ``modified`` time: a database whose newest record is
    older than ``max_age`` has not been updated in that long (advisories are published daily).

    Args:
        info: the database's info.
        max_age: the oldest acceptable newest record.
        at: the time to judge at (the reproducible clock's now).

    Returns:
        A one-line problem, or ``None``.
    """
    newest = parse_timestamp(info.newest_modified) if info.newest_modified else None
    if newest is None:
        return f"{info.source}: no record states a valid 'modified' time; its age is unknown"
    age = at - newest
    if age > max_age:
        return (
            f"{info.source}: newest advisory is {age.days} days old "
            f"(modified {info.newest_modified}); the limit is {max_age.days} days"
        )
    return None
