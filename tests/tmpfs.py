"""A small tmpfs to fill up, for the tests of a full disk (TESTING-NOTES: "Disk full").

``mount -t tmpfs -o size=5m`` needs root, which the tests and CI have; a machine where the
mount fails fails the test with the reason (never a skip). The filesystem is unmounted (lazily,
so a server that still holds a file cannot keep it mounted) when the context ends.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def small_tmpfs(folder: Path, size: str = "5m") -> Iterator[Path]:
    """Mount a tmpfs of ``size`` on ``folder`` (created); yield it; unmount it on exit."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a {size} tmpfs on {folder} (needs root): {mounted.stderr}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], capture_output=True, check=False)


def fill(folder: Path, name: str = "filler") -> Path:
    """Write ``folder/name`` until the filesystem has no byte left; return its path.

    Writes go on past short writes (a full disk may take part of a ``write`` without failing,
    TESTING-NOTES) until one raises ``ENOSPC``.
    """
    path = folder / name
    block = b"\0" * 65_536
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for size in (65_536, 4_096, 1):
            while True:
                try:
                    if os.write(fd, block[:size]) == 0:
                        break
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)
    return path


def free(filler: Path) -> None:
    """Give the space of a :func:`fill` back."""
    filler.unlink()
