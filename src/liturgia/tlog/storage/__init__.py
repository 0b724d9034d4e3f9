"""Storage backends of the transparency log behind one small contract (:mod:`.base`)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from liturgia.errors import ConfigError
from liturgia.tlog.storage.base import Assigned, LogStorage, StoredEntry, TreeState
from liturgia.tlog.storage.memory import MemoryStorage
from liturgia.tlog.storage.sqlite import SqliteStorage

__all__ = [
    "Assigned",
    "LogStorage",
    "MemoryStorage",
    "SqliteStorage",
    "StoredEntry",
    "TreeState",
    "open_storage",
]


def open_storage(url: str) -> LogStorage:
    """Open the log storage a database URL names (the ``--db`` of ``liturgia serve``).

    * ``sqlite://PATH`` — an SQLite file; ``sqlite:///var/lib/log.db`` is absolute,
      ``sqlite://log.db`` relative. ``?synchronous=NORMAL`` trades power-loss durability for
      speed (see :mod:`.sqlite`); the default is ``FULL``.
    * ``postgresql://...`` or ``postgres://...`` — a libpq URL (needs the ``postgres`` extra).

    Raises:
        ConfigError: an unknown scheme, an empty path, or an unknown option; the message names
            the URL without its password.
        StorageError: the database cannot be opened.
    """
    parts = urlsplit(url)
    shown = url.replace(f":{parts.password}@", ":***@") if parts.password else url
    if parts.scheme == "sqlite":
        path = url[len("sqlite://") :].split("?", 1)[0]
        if not path:
            raise ConfigError(f"database URL {shown!r} has no file path")
        options = parse_qs(parts.query)
        unknown = sorted(set(options) - {"synchronous"})
        if unknown:
            raise ConfigError(f"database URL {shown!r}: unknown option {unknown[0]!r}")
        synchronous = options.get("synchronous", ["FULL"])[-1].upper()
        if synchronous not in ("FULL", "NORMAL"):
            raise ConfigError(f"database URL {shown!r}: synchronous must be FULL or NORMAL")
        return SqliteStorage(Path(path), synchronous="FULL" if synchronous == "FULL" else "NORMAL")
    if parts.scheme in ("postgresql", "postgres"):
        from liturgia.tlog.storage.postgres import PostgresStorage  # noqa: PLC0415 - optional

        return PostgresStorage(url)
    raise ConfigError(
        f"database URL {shown!r}: unsupported scheme {parts.scheme!r} "
        "(use sqlite://PATH or postgresql://...)"
    )
