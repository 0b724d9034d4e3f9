"""Size limits on what the scanner reads, and a reader that enforces them.

An OSV record is a few kilobytes (the largest in osv.dev's PyPI export is under 1 MiB), so a
multi-gigabyte file, ``/dev/zero`` behind a symlink, or a FIFO in an advisory folder is never an
advisory: reading it whole would exhaust memory (or block forever) before parsing could reject
it. :func:`read_limited` reads only regular files, and only up to a limit:

* the file is checked with ``stat`` before it is opened (a FIFO, socket or device is never
  opened), opened non-blocking, and checked again with ``fstat`` (the path may have been
  swapped in between);
* a stated size over the limit is refused without reading; a file that grows past it while
  being read (``/proc`` files state size 0) is refused after ``limit + 1`` bytes.

Callers that load many files (advisory folders and zips) turn the error into a warning naming
the file and the reason, and load the rest.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from liturgia.errors import InputError

__all__ = [
    "MAX_ADVISORY_BYTES",
    "MAX_DOCUMENT_BYTES",
    "MAX_HTTP_BYTES",
    "MAX_SBOM_BYTES",
    "file_kind",
    "limit_text",
    "read_limited",
]

#: Largest advisory file (OSV JSON/YAML, RustSec Markdown) read, in bytes: 16 MiB.
MAX_ADVISORY_BYTES = 16 * 1024 * 1024
#: Largest ignore file or VEX document read, in bytes: 64 MiB.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
#: Largest SBOM read by ``liturgia scan``, in bytes: 512 MiB (a 10,000-component CycloneDX
#: SBOM is about 5 MiB).
MAX_SBOM_BYTES = 512 * 1024 * 1024
#: Largest answer accepted from an online advisory service, in bytes: 64 MiB.
MAX_HTTP_BYTES = 64 * 1024 * 1024


def limit_text(limit: int) -> str:
    """``16 MiB`` for ``16 * 1024 * 1024``: a byte count for messages."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if limit >= size:
            return f"{limit / size:g} {unit}"
    return f"{limit} bytes"


def file_kind(mode: int) -> str:
    """Name the kind of a non-regular file from its ``st_mode`` (for messages)."""
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _refuse(path: Path, what: str, mode: int) -> InputError:
    if stat.S_ISDIR(mode):
        return InputError(f"{path}: {what} is a folder, expected a file")
    return InputError(f"{path}: {what} is {file_kind(mode)}, not a regular file; not read")


def _too_large(path: Path, what: str, size: int | None, limit: int) -> InputError:
    state = f"is {size} bytes, over" if size is not None else "grew past"
    return InputError(f"{path}: {what} {state} the {limit_text(limit)} limit; not read")


def read_limited(path: Path, *, limit: int, what: str) -> bytes:
    """Read a whole regular file of at most ``limit`` bytes.

    Symbolic links are followed; what they point to must be a regular file.

    Args:
        path: the file.
        limit: the largest size accepted, in bytes.
        what: what the file is, for messages (``"advisory"``, ``"SBOM"``...).

    Returns:
        The file's bytes.

    Raises:
        InputError: the file is missing, unreadable, not a regular file (folder, FIFO, device,
            socket), or larger than ``limit``; the message names the file and why.
    """
    try:
        before = path.stat()
    except FileNotFoundError as exc:
        if path.is_symlink():
            raise InputError(f"{path}: {what} is a symbolic link to a missing file") from exc
        raise InputError(f"{path}: {what} not found") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(before.st_mode):
        raise _refuse(path, what, before.st_mode)
    if before.st_size > limit:
        raise _too_large(path, what, before.st_size, limit)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as handle:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):  # swapped since the first check
            raise _refuse(path, what, opened.st_mode)
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise InputError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise _too_large(path, what, None, limit)
    return data
