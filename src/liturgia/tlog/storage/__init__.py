"""Storage backends of the transparency log behind one small contract (:mod:`.base`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit, urlunsplit

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
    "postgres_options",
]

#: The options of a ``postgresql://`` URL that liturgia reads (and libpq never sees).
_POOL_OPTIONS = ("pool_size", "pool_timeout")


def postgres_options(url: str) -> tuple[str, dict[str, Any]]:
    """Split liturgia's own options off a ``postgresql://`` URL.

    Returns:
        The URL libpq is given (every other query parameter kept, in order) and the keyword
        arguments of :class:`~liturgia.tlog.storage.postgres.PostgresStorage`:
        ``pool_size`` (reader connections per process, an integer >= 1) and ``pool_timeout``
        (seconds a read waits for a free one, >= 0).

    Raises:
        ConfigError: an option that is not a number in range; the message names the URL
            without its password, the option and what is accepted.
    """
    parts = urlsplit(url)
    shown = url.replace(f":{parts.password}@", ":***@") if parts.password else url
    kept: list[tuple[str, str]] = []
    options: dict[str, Any] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name not in _POOL_OPTIONS:
            kept.append((name, value))
            continue
        try:
            number: float = int(value) if name == "pool_size" else float(value)
        except ValueError:
            number = -1
        if name == "pool_size" and number < 1:
            raise ConfigError(f"database URL {shown!r}: pool_size must be an integer >= 1")
        if name == "pool_timeout" and not 0 <= number < float("inf"):
            raise ConfigError(f"database URL {shown!r}: pool_timeout must be seconds >= 0")
        options[name] = number
    if not options:
        return url, options
    # quote, not quote_plus: libpq decodes %20 but reads "+" as a plus sign.
    query = urlencode(kept, safe="/:@=", quote_via=quote)
    return urlunsplit(parts._replace(query=query)), options


def open_storage(url: str) -> LogStorage:
    """Open the log storage a database URL names (the ``--db`` of ``liturgia serve``).

    * ``sqlite://PATH`` — an SQLite file; ``sqlite:///var/lib/log.db`` is absolute,
      ``sqlite://log.db`` relative. ``?synchronous=NORMAL`` trades power-loss durability for
      speed (see :mod:`.sqlite`); the default is ``FULL``.
    * ``postgresql://...`` or ``postgres://...`` — a libpq URL (needs the ``postgres`` extra);
      ``?pool_size=N`` bounds the reader connections of each process (default 10) and
      ``?pool_timeout=S`` is how long a read waits for a free one (default 5 s) before a
      ``StorageError`` (503); see :func:`postgres_options`.

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

        dsn, pool = postgres_options(url)
        return PostgresStorage(dsn, **pool)
    raise ConfigError(
        f"database URL {shown!r}: unsupported scheme {parts.scheme!r} "
        "(use sqlite://PATH or postgresql://...)"
    )
