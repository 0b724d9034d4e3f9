"""A log's files and start-up: database URL, log key beside it, tree ID, verification.

What opening a log needs besides HTTP, kept below the server so that ``liturgia serve`` and
the release's embedded log (:mod:`liturgia.tlog.embedded`) open a log the same way:

* the default database is ``sqlite:///$XDG_DATA_HOME/liturgia/tlog/log.db``
  (``~/.local/share`` when ``XDG_DATA_HOME`` is unset);
* the log's signing key (ECDSA P-256, unencrypted PKCS#8 PEM, mode 0600) is created on first
  start and kept beside an SQLite database as ``<database>.key.pem``; for PostgreSQL, under the
  data folder, named after the server and database (every API process of one log must be given
  the same key file);
* the tree ID, when not given for a new log, is derived from the key: the first 8 bytes of the
  log ID (SHA-256 of the key's SubjectPublicKeyInfo) as a positive int64, so that it differs
  between logs;
* the tree ID and the index offset are stored with the log at its first start; later starts
  use the stored ones and refuse others (``ConfigError``, exit 2), since the log's signed
  checkpoints and SignedEntryTimestamps already name them;
* :func:`open_log` verifies the stored tree against its signed checkpoint and the stored
  entry bodies against their leaf hashes (incrementally) before anything is served, and
  refuses (``StorageError``, exit 3) a tree that does not match or an altered entry.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from liturgia._internal.files import atomic_write_bytes
from liturgia._internal.xdg import user_dir
from liturgia.errors import (
    ConfigError,
    StorageError,
    StoredEntryError,
    VerificationError,
)
from liturgia.tlog import rekor
from liturgia.tlog.log import RekorLog
from liturgia.tlog.rekor import PrivateKey
from liturgia.tlog.storage import LogStorage, open_storage

__all__ = [
    "default_db_url",
    "load_or_create_log_key",
    "log_key_path_for_db",
    "open_log",
    "tree_id_for",
]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _data_home() -> Path:
    return user_dir("data") / "tlog"


def default_db_url() -> str:
    """Return the default database URL: an SQLite file under the user data folder."""
    return f"sqlite://{_data_home() / 'log.db'}"


def log_key_path_for_db(db_url: str) -> Path:
    """Return where the transparency log's signing key for ``db_url`` lives when none is given.

    SQLite: ``<database path>.key.pem`` beside the file. PostgreSQL: ``<data folder>/
    postgresql-<host>-<port>-<database>.key.pem``.

    Raises:
        ConfigError: ``db_url`` has neither scheme (the message names it without password).
    """
    parts = urlsplit(db_url)
    if parts.scheme == "sqlite":
        path = db_url[len("sqlite://") :].split("?", 1)[0]
        if not path:
            raise ConfigError(f"database URL {db_url!r} has no file path")
        return Path(path + ".key.pem")
    if parts.scheme in ("postgresql", "postgres"):
        name = f"postgresql-{parts.hostname or 'local'}-{parts.port or 5432}-{parts.path[1:]}"
        return _data_home() / (_UNSAFE.sub("_", name).rstrip("-_") + ".key.pem")
    shown = db_url.replace(f":{parts.password}@", ":***@") if parts.password else db_url
    raise ConfigError(
        f"database URL {shown!r}: unsupported scheme {parts.scheme!r} "
        "(use sqlite://PATH or postgresql://...)"
    )


def load_or_create_log_key(path: Path) -> PrivateKey:
    """Load the log key from ``path``, creating an ECDSA P-256 key there if it does not exist.

    Args:
        path: an unencrypted PKCS#8 PEM private key (ECDSA P-256 or Ed25519).

    Returns:
        The private key.

    Raises:
        ConfigError: the file is not an unencrypted PEM private key, or of another type.
        StorageError: the file cannot be read or written.
    """
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        atomic_write_bytes(path, pem, mode=0o600)
        return key
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StorageError(f"{path}: cannot read the log key: {exc.strerror or exc}") from exc
    try:
        loaded = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path}: not an unencrypted PEM private key ({exc})") from exc
    if isinstance(loaded, ed25519.Ed25519PrivateKey) or (
        isinstance(loaded, ec.EllipticCurvePrivateKey) and isinstance(loaded.curve, ec.SECP256R1)
    ):
        return loaded
    raise ConfigError(f"{path}: the log key must be ECDSA P-256 or Ed25519")


def tree_id_for(private_key: PrivateKey) -> int:
    """Return the tree ID derived from the log key: its log ID's first 8 bytes, as an int63."""
    value = int.from_bytes(rekor.log_id(private_key.public_key())[:8], "big") >> 1
    return value or 1


def _db_label(db_url: str) -> str:
    """What messages about a log's settings start with: the SQLite file, or the URL."""
    parts = urlsplit(db_url)
    if parts.scheme == "sqlite":
        return db_url[len("sqlite://") :].split("?", 1)[0]
    return db_url.replace(f":{parts.password}@", ":***@") if parts.password else db_url


def _stored_int(storage: LogStorage, label: str, name: str) -> int | None:
    """The integer setting ``name`` of the log, or ``None`` when the log has none yet.

    Raises:
        StorageError: the stored value is not a decimal integer.
    """
    value = storage.read_setting(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise StorageError(f"{label}: stored setting {name} is not an integer: {value!r}") from exc


def _check(label: str, option: str, stored: str | int | None, given: str | int | None) -> None:
    """Refuse an explicit value other than the stored one (compared as stored: as text).

    Raises:
        ConfigError: ``given`` and ``stored`` are both set and differ.
    """
    if stored is not None and given is not None and str(given) != str(stored):
        raise ConfigError(f"{label}: this log was created with {option} {stored}, not {given}")


def _claim(storage: LogStorage, label: str, settings: dict[str, tuple[str, str | int]]) -> None:
    """Store each setting the log has none of; refuse one that another process stored first.

    Args:
        storage: the log storage.
        label: what messages start with.
        settings: ``{name: (option, value)}``.

    Raises:
        ConfigError: another value was stored first (two processes starting a new log at once
            with different options).
    """
    for name, (option, value) in sorted(settings.items()):
        _check(label, option, storage.claim_setting(name, str(value)), value)


def _log_host(label: str, stored: str | None, given: str | None, default: str | None) -> str:
    """The log's host: the stored one, else the one given, else ``default`` (a new log).

    Raises:
        ConfigError: ``given`` differs from the stored host, or there is no host at all.
    """
    _check(label, "--log-host", stored, given)
    host = stored or given or default
    if host is None:
        raise ConfigError(f"{label}: a new log needs a host name (--log-host)")
    return host


def open_log(
    db_url: str,
    *,
    host: str | None,
    default_host: str | None = None,
    key_path: Path | None = None,
    tree_id: int | None = None,
    index_offset: int | None = None,
    **log_options: Any,
) -> tuple[RekorLog, LogStorage]:
    """Open the storage, load (or create) the key, verify the stored tree and start the log.

    The log host, the tree ID and the index offset are settings of the log, stored with it at
    its first start
    (:meth:`~liturgia.tlog.storage.base.LogStorage.claim_setting`) and never changed: a
    restart without the options serves the same entries under the same ``logIndex`` and tree
    ID, as the SignedEntryTimestamps and checkpoints it already signed say. A log stored before
    settings existed takes the values given (or the defaults) at its next start, once its
    stored tree is verified with them.

    Args:
        db_url: ``sqlite://PATH`` or ``postgresql://...`` (see
            :func:`liturgia.tlog.storage.open_storage`).
        host: the log's host name as in its base URL (checkpoint origin and key name);
            ``None``: the one the log was created with, for a new log ``default_host``.
        default_host: the host name of a new log when ``host`` is ``None`` (``serve`` passes
            the address it listens on).
        key_path: the log key; default :func:`log_key_path_for_db`.
        tree_id: the tree ID; ``None``: the one the log was created with, for a new log
            :func:`tree_id_for` the key.
        index_offset: added to tree-local indexes to give global ones; ``None``: the one the
            log was created with, ``0`` for a new log.
        log_options: passed to :class:`~liturgia.tlog.log.RekorLog`.

    Returns:
        ``(log, storage)``: the started log; the caller closes the log, then the storage.

    Raises:
        ConfigError: a bad URL or key file, or a log host, tree ID or index offset other than
            the one the log was created with (``"<db>: this log was created with
            --index-offset 1000, not 0"``).
        InputError: a tree ID that is not a positive int64, or a negative offset.
        StorageError: the storage failed, or the stored tree does not match its signed
            checkpoint (the log refuses to serve it).
    """
    key = load_or_create_log_key(key_path or log_key_path_for_db(db_url))
    label = _db_label(db_url)
    storage = open_storage(db_url)
    try:
        stored_host = storage.read_setting("log_host")
        host = _log_host(label, stored_host, host, default_host)
        stored_tree_id = _stored_int(storage, label, "tree_id")
        stored_offset = _stored_int(storage, label, "index_offset")
        # A different tree ID is a different checkpoint origin: say so before the stored tree
        # is refused for its origin.
        _check(label, "--tree-id", stored_tree_id, tree_id)
        if stored_tree_id is not None:
            tree_id = stored_tree_id
        elif tree_id is None:
            tree_id = tree_id_for(key)
        log = RekorLog(
            storage,
            key,
            host=host,
            tree_id=tree_id,
            index_offset=stored_offset if stored_offset is not None else (index_offset or 0),
            **log_options,
        )
        new: dict[str, tuple[str, str | int]] = {
            name: (option, value)
            for name, option, value, stored in (
                ("log_host", "--log-host", host, stored_host),
                ("tree_id", "--tree-id", log.tree_id, stored_tree_id),
                ("index_offset", "--index-offset", log.index_offset, stored_offset),
            )
            if stored is None
        }
        # A log that never signed a checkpoint takes its settings before signing its first; a
        # stored tree (of a log made before settings existed) is verified with them first.
        fresh = not storage.read_state().checkpoint
        if fresh:
            _claim(storage, label, new)
        log.start()
    except StoredEntryError as exc:
        storage.close()
        raise StorageError(
            f"refusing to serve the stored log {label}: {exc}; restore the database from a "
            "backup taken before the change"
        ) from exc
    except VerificationError as exc:
        storage.close()
        raise StorageError(
            f"refusing to serve the stored log: {exc} (a log keeps the key, log host and tree "
            "ID it was created with: see --key, --log-host and --tree-id)"
        ) from exc
    except BaseException:
        storage.close()
        raise
    try:
        # The offset is checked once the stored tree is known to be this log's: a log that is
        # not this one is refused for that first.
        _check(label, "--index-offset", log.index_offset, index_offset)
        if not fresh:
            _claim(storage, label, new)
    except BaseException:
        log.close()
        storage.close()
        raise
    return log, storage
