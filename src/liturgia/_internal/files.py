"""Atomic file writes and streaming digests.

Every file liturgia writes goes through :func:`atomic_write_bytes`: the bytes land in a temporary
file in the same folder, are flushed and fsync'd, then renamed over the target, so a reader sees the
old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from liturgia.errors import InputError, StorageError

__all__ = [
    "CHUNK_SIZE",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_writer",
    "read_bytes",
    "sha256_file",
]

#: Read size for streaming digests, in bytes (1 MiB keeps memory constant for any file size).
CHUNK_SIZE = 1 << 20


@contextlib.contextmanager
def atomic_writer(path: Path, *, mode: int = 0o644) -> Iterator[IO[bytes]]:
    """Open a binary stream whose contents replace ``path`` atomically when the block ends.

    The bytes go to a temporary file in the same folder; on a normal exit it is flushed,
    fsync'd and renamed over ``path``; if the block raises, it is removed and ``path`` is left
    as it was. Used to stream large outputs without holding them in memory.

    Args:
        path: target file; its parent folder is created if missing.
        mode: permission bits of the new file (e.g. ``0o600`` for private keys).

    Raises:
        StorageError: the folder or file cannot be written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise StorageError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp_name).chmod(mode)
        Path(tmp_name).replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(tmp_name).unlink()
        raise StorageError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp_name).unlink()
        raise


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, rename).

    Args:
        path: target file; its parent folder is created if missing.
        data: the complete contents.
        mode: permission bits of the new file (e.g. ``0o600`` for private keys).

    Raises:
        StorageError: the folder or file cannot be written.
    """
    with atomic_writer(path, mode=mode) as handle:
        handle.write(data)


def atomic_write_text(path: Path, text: str, *, mode: int = 0o644) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically; see :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def read_bytes(path: Path, *, what: str = "file") -> bytes:
    """Read a whole user-supplied file.

    Raises:
        InputError: the file is missing, a folder, or unreadable (message names it and why).
    """
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{path}: {what} not found") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path}: {what} is a folder, expected a file") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc


def sha256_file(path: Path) -> str:
    """Return the lower-case hex SHA-256 of a file, read in one streaming pass.

    Memory use is constant (:data:`CHUNK_SIZE`) whatever the file's size.

    Raises:
        InputError: the file cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK_SIZE):
                digest.update(chunk)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return digest.hexdigest()
