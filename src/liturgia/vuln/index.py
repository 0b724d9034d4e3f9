"""The local advisory index: OSV and RustSec records in SQLite, looked up by package.

``liturgia vulndb import PATH`` fills it from a folder of OSV ``.json``/``.yaml`` files, an
osv.dev per-ecosystem export zip (``<ecosystem>/all.zip``), or RustSec's Markdown advisories;
scanning reads it through :class:`IndexedAdvisoryDatabase`, one indexed query per package, so
the cost per component does not grow with the index.

Import is one transaction: a truncated zip or a folder without a single valid record changes
nothing. Of two records with one id the newer ``modified`` is kept; a withdrawn record replaces
its earlier version (and so stops matching).

Layout (schema version 1)::

    meta(key PRIMARY KEY, value)                       schema, imported_at
    advisories(id PRIMARY KEY, modified, withdrawn, origin, document)   document = JSON
    packages(ecosystem, name, advisory_id)             PRIMARY KEY, WITHOUT ROWID
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from liturgia._internal.clock import now
from liturgia._internal.xdg import user_dir
from liturgia.errors import InputError, StorageError
from liturgia.vuln.advisory import Advisory, advisory_from_dict, advisory_to_dict
from liturgia.vuln.database import OSV_SUFFIXES, AdvisoryDatabase, DatabaseInfo, advisory_keys
from liturgia.vuln.database import read_osv_file as _read_osv
from liturgia.vuln.ecosystems import PackageKey, normalize_name, package_from_purl
from liturgia.vuln.limits import MAX_ADVISORY_BYTES, file_kind, limit_text, read_limited
from liturgia.vuln.rustsec import parse_rustsec_advisory

__all__ = [
    "ImportResult",
    "IndexedAdvisoryDatabase",
    "default_index_path",
    "import_advisories",
    "open_index",
    "read_advisory_source",
    "store_advisories",
]

SCHEMA_VERSION = "2"  # 2: Maven canonical forms of versions lists (ComparableVersion)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS advisories (
    id TEXT PRIMARY KEY,
    modified TEXT NOT NULL,
    withdrawn INTEGER NOT NULL,
    origin TEXT NOT NULL,
    document TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS packages (
    ecosystem TEXT NOT NULL,
    name TEXT NOT NULL,
    advisory_id TEXT NOT NULL,
    PRIMARY KEY (ecosystem, name, advisory_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS packages_by_advisory ON packages (advisory_id);
"""


_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"


def default_index_path() -> Path:
    """Where the index lives unless ``--db`` says otherwise.

    ``LITURGIA_VULNDB`` when set, else ``$XDG_CACHE_HOME/liturgia/advisories.sqlite3``
    (XDG Base Directory specification; ``~/.cache`` when unset).
    """
    explicit = os.environ.get("LITURGIA_VULNDB", "").strip()
    if explicit:
        return Path(explicit)
    return user_dir("cache") / "advisories.sqlite3"


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportResult:
    """What one import did.

    Attributes:
        source: the imported path.
        files: advisory files read.
        imported: records stored (new or newer than the stored version).
        unchanged: records not stored because the index holds a version at least as new.
        withdrawn: withdrawn records among those stored.
        warnings: files that could not be used (file and reason), sorted.
    """

    source: str
    files: int
    imported: int
    unchanged: int
    withdrawn: int
    warnings: tuple[str, ...] = ()


def _parse(name: str, data: bytes, label: str) -> Advisory | None:
    """Parse one file by its name; ``None`` for Markdown that is not a RustSec advisory."""
    if name.lower().endswith(".md"):
        text = data.decode("utf-8")
        if not text.lstrip().startswith("```toml"):
            return None
        return parse_rustsec_advisory(text, source=label)
    return _read_osv(Path(name), data, source=label)


_WHAT = "advisory file"


def _wanted(name: str) -> bool:
    return name.lower().endswith((*OSV_SUFFIXES, ".md"))


def _folder_files(root: Path) -> Iterator[tuple[str, str, bytes | InputError]]:
    errors: list[OSError] = []
    for folder, dirs, files in os.walk(root, onerror=errors.append):
        dirs.sort()
        for name in sorted(files):
            if not _wanted(name):
                continue
            path = Path(folder) / name
            try:
                yield name, str(path), read_limited(path, limit=MAX_ADVISORY_BYTES, what=_WHAT)
            except InputError as exc:
                yield name, str(path), exc
    if errors:
        raise InputError(f"{errors[0].filename or root}: cannot read: {errors[0].strerror}")


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> bytes | InputError:
    """One member's bytes, or why it cannot be used (too large, corrupt, encrypted)."""
    if info.file_size > MAX_ADVISORY_BYTES:
        return InputError(
            f"{label}: {_WHAT} claims {info.file_size} bytes, over the "
            f"{limit_text(MAX_ADVISORY_BYTES)} limit; not read"
        )
    try:
        with archive.open(info) as member:
            # Never trust the stated size: read one byte past the limit at most.
            data = member.read(MAX_ADVISORY_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
        return InputError(f"{label}: cannot extract: {exc}")
    if len(data) > MAX_ADVISORY_BYTES:
        return InputError(
            f"{label}: {_WHAT} grew past the {limit_text(MAX_ADVISORY_BYTES)} limit; not read"
        )
    return data


def _zip_files(path: Path) -> Iterator[tuple[str, str, bytes | InputError]]:
    try:
        before = path.stat()
    except OSError as exc:
        raise InputError(f"{path}: cannot read zip archive: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(before.st_mode):
        raise InputError(
            f"{path}: zip archive is {file_kind(before.st_mode)}, not a regular file; not read"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = sorted(archive.infolist(), key=lambda i: i.filename)
            for info in members:
                if info.is_dir() or not _wanted(info.filename):
                    continue
                label = f"{path}!{info.filename}"
                yield info.filename, label, _member(archive, info, label)
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, ValueError) as exc:
        raise InputError(f"{path}: not a valid zip archive (truncated or corrupt): {exc}") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read zip archive: {exc.strerror or exc}") from exc


def _one_file(path: Path) -> bytes:
    return read_limited(path, limit=MAX_ADVISORY_BYTES, what=_WHAT)


def read_advisory_source(path: Path) -> tuple[list[Advisory], list[str], int]:
    """Read every advisory under ``path``: a folder, a zip archive, or one file.

    OSV ``.json``/``.yaml``/``.yml`` and RustSec ``.md`` files are read; Markdown without a TOML
    front matter (READMEs) is ignored.

    Returns:
        The parsed advisories (withdrawn ones included), warnings, and the files read.

    Raises:
        InputError: the path is missing or unreadable, or a zip archive is corrupt.
    """
    if not path.exists():
        raise InputError(f"{path}: advisory source not found")
    if path.is_dir():
        entries: Iterator[tuple[str, str, bytes | InputError]] = _folder_files(path)
    elif path.suffix.lower() == ".zip":
        entries = _zip_files(path)
    else:
        entries = iter([(path.name, str(path), _one_file(path))])
    advisories: list[Advisory] = []
    warnings: list[str] = []
    files = 0
    for name, label, data in entries:
        if isinstance(data, InputError):
            warnings.append(str(data))
            continue
        try:
            advisory = _parse(name, data, label)
        except (ValueError, UnicodeDecodeError) as exc:
            warnings.append(f"{label}: not a valid advisory: {exc}")
            files += 1
            continue
        except RecursionError:
            warnings.append(f"{label}: not a valid advisory: nested too deeply")
            files += 1
            continue
        if advisory is not None:
            files += 1
            advisories.append(advisory)
    return advisories, warnings, files


def _check_index_path(path: Path, *, write: bool) -> None:
    """Refuse an index path that is a folder, a special file, or under a non-folder."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        if not write:
            raise InputError(
                f"{path}: no advisory index; run `liturgia vulndb import PATH` (or pass --db)"
            ) from None
        parent = next((p for p in path.parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            raise InputError(
                f"{path}: cannot create the advisory index: {parent} is not a folder"
            ) from None
        return
    except OSError as exc:
        raise InputError(f"{path}: cannot use as advisory index: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(mode):
        raise InputError(
            f"{path}: the advisory index (--db) is {file_kind(mode)}, expected an index file"
        )


def _connect(path: Path, *, write: bool) -> sqlite3.Connection:
    _check_index_path(path, write=write)
    why = "cannot create or write the advisory index" if write else "not a readable advisory index"
    try:
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path)
            tables = {row[0] for row in connection.execute(_TABLES)}
            if tables and "meta" not in tables:
                connection.close()
                raise InputError(
                    f"{path}: an SQLite database but not a liturgia advisory index "
                    f"(tables: {', '.join(sorted(tables))}); refusing to write into it"
                )
            connection.executescript(_SCHEMA)
        else:
            connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        version = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    except sqlite3.Error as exc:
        raise InputError(f"{path}: {why}: {exc}") from exc
    except OSError as exc:
        raise InputError(f"{path}: {why}: {exc.strerror or exc}") from exc
    if version is not None and version[0] != SCHEMA_VERSION:
        connection.close()
        raise InputError(
            f"{path}: advisory index schema {version[0]} is not {SCHEMA_VERSION}; "
            "delete it and import again"
        )
    return connection


def store_advisories(
    index: Path, advisories: Iterable[Advisory], *, origin: str
) -> tuple[int, int, int]:
    """Store parsed advisories in the index (created if missing), in one transaction.

    Of two versions of one id the newer ``modified`` is kept; a withdrawn record replaces its
    earlier version and is not indexed by package.

    Args:
        index: the index file.
        advisories: what to store.
        origin: the source label counted by ``vulndb status``.

    Returns:
        ``(stored, unchanged, withdrawn)`` counts.

    Raises:
        InputError: ``index`` is not an advisory index.
        StorageError: the index cannot be written.
    """
    connection = _connect(index, write=True)
    imported = unchanged = withdrawn = 0
    try:
        with connection:
            connection.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,)
            )
            connection.execute(
                "INSERT OR REPLACE INTO meta VALUES ('imported_at', ?)",
                (now().isoformat().replace("+00:00", "Z"),),
            )
            for advisory in advisories:
                row = connection.execute(
                    "SELECT modified FROM advisories WHERE id = ?", (advisory.id,)
                ).fetchone()
                if row is not None and row[0] > advisory.modified:
                    unchanged += 1
                    continue
                connection.execute("DELETE FROM packages WHERE advisory_id = ?", (advisory.id,))
                connection.execute(
                    "INSERT OR REPLACE INTO advisories VALUES (?, ?, ?, ?, ?)",
                    (
                        advisory.id,
                        advisory.modified,
                        1 if advisory.withdrawn else 0,
                        origin,
                        json.dumps(advisory_to_dict(advisory), separators=(",", ":")),
                    ),
                )
                imported += 1
                if advisory.withdrawn:
                    withdrawn += 1
                    continue
                connection.executemany(
                    "INSERT OR IGNORE INTO packages VALUES (?, ?, ?)",
                    [(key.ecosystem, key.name, advisory.id) for key in advisory_keys(advisory)],
                )
    except sqlite3.Error as exc:
        raise StorageError(f"{index}: cannot write advisory index: {exc}") from exc
    finally:
        connection.close()
    return imported, unchanged, withdrawn


def import_advisories(index: Path, source: Path) -> ImportResult:
    """Import the advisories under ``source`` into the index at ``index`` (created if missing).

    Raises:
        InputError: ``source`` is missing, corrupt, or holds no valid advisory (nothing is
            written then); ``index`` is not an advisory index.
        StorageError: the index cannot be written.
    """
    _check_index_path(index, write=True)  # before reading what may be a large source
    advisories, warnings, files = read_advisory_source(source)
    if not advisories:
        detail = f" (first problem: {sorted(warnings)[0]})" if warnings else ""
        raise InputError(f"{source}: no valid advisories among {files} files{detail}")
    imported, unchanged, withdrawn = store_advisories(index, advisories, origin=str(source))
    return ImportResult(
        source=str(source),
        files=files,
        imported=imported,
        unchanged=unchanged,
        withdrawn=withdrawn,
        warnings=tuple(sorted(warnings)),
    )


class IndexedAdvisoryDatabase(AdvisoryDatabase):
    """An :class:`AdvisoryDatabase` reading the SQLite index (read-only)."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        """Wrap an open read-only connection; use :func:`open_index`."""
        super().__init__()
        self._path = path
        self._connection = connection
        ecosystems = connection.execute(
            "SELECT ecosystem, COUNT(DISTINCT advisory_id) FROM packages GROUP BY ecosystem "
            "ORDER BY ecosystem"
        ).fetchall()
        counts = connection.execute(
            "SELECT SUM(withdrawn = 0), SUM(withdrawn = 1), MAX(CASE WHEN withdrawn = 0 "
            "THEN modified END) FROM advisories"
        ).fetchone()
        imported = connection.execute("SELECT value FROM meta WHERE key = 'imported_at'").fetchone()
        self.origins: tuple[tuple[str, int], ...] = tuple(
            (str(origin), int(count))
            for origin, count in connection.execute(
                "SELECT origin, COUNT(*) FROM advisories WHERE withdrawn = 0 GROUP BY origin "
                "ORDER BY origin"
            )
        )
        self._info = DatabaseInfo(
            source=str(path),
            kind="sqlite-index",
            record_count=int(counts[0] or 0),
            withdrawn_count=int(counts[1] or 0),
            ecosystems=tuple((str(e), int(c)) for e, c in ecosystems),
            newest_modified=counts[2] or None,
            imported_at=imported[0] if imported else None,
        )

    @property
    def info(self) -> DatabaseInfo:
        """Counts and provenance of the index."""
        return self._info

    @property
    def warnings(self) -> tuple[str, ...]:
        """Always empty: import warnings were reported when importing."""
        return ()

    def _advisories_for(self, key: PackageKey) -> Sequence[Advisory]:
        try:
            rows = self._connection.execute(
                "SELECT a.document FROM packages p JOIN advisories a ON a.id = p.advisory_id "
                "WHERE p.ecosystem = ? AND p.name = ? AND a.withdrawn = 0",
                (key.ecosystem, key.name),
            ).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"{self._path}: cannot read advisory index: {exc}") from exc

        def keep(ecosystem: str, name: str, purl: str | None) -> bool:
            if ecosystem == key.ecosystem and normalize_name(ecosystem, name) == key.name:
                return True
            if purl:
                try:
                    return package_from_purl(purl)[0] == key
                except ValueError:
                    return False
            return False

        try:
            return [advisory_from_dict(json.loads(row[0]), keep=keep) for row in rows]
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"{self._path}: damaged advisory index (a stored record of "
                f"{key.ecosystem}/{key.name} is unreadable: {exc}); delete it and import again"
            ) from exc

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()


def open_index(path: Path) -> IndexedAdvisoryDatabase:
    """Open the index for scanning.

    Raises:
        InputError: the index is missing, not an advisory index, or holds no advisory (never an
            empty database that would report "no vulnerabilities").
    """
    connection = _connect(path, write=False)
    try:
        database = IndexedAdvisoryDatabase(path, connection)
    except sqlite3.Error as exc:
        connection.close()
        raise InputError(f"{path}: not a readable advisory index: {exc}") from exc
    if database.info.record_count == 0:
        connection.close()
        raise InputError(f"{path}: the advisory index holds no advisories; import some first")
    return database
