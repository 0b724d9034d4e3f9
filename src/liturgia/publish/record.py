"""The publish record: what was uploaded where, with digests, kept beside the release folder.

A release folder is signed and never changed (``liturgia verify`` refuses a file that
``SHA256SUMS`` does not list), so the record is a sibling file,
``<folder>.publish.json`` (``dist/vertice-0.2.0.publish.json``), rewritten atomically after
every file so a run stopped midway (a registry that died, Ctrl-C) leaves an exact account and
the next run completes it::

    {
      "release": "vertice-0.2.0",
      "sha256sums": "<hex SHA-256 of the folder's SHA256SUMS>",
      "targets": {
        "staging": {
          "kind": "pypi",
          "location": "http://127.0.0.1:8080/",
          "complete": true,
          "files": {
            "vertice_backend-0.2.0-py3-none-any.whl": {
              "sha256": "<hex>",
              "state": "uploaded" | "present",
              "at": "2025-11-29T07:06:40Z",
              "verified_at": "2025-11-29T07:06:41Z" | null
            }
          },
          "smoke": {"passed": true, "at": "...", "commands": [
             {"command": "...", "exit_status": 0, "output": "..."}]}
        }
      }
    }

``state``: ``uploaded`` (a run of liturgia sent it; kept when a later run finds it there),
``present`` (the registry already held the same bytes); ``verified_at``: when it was downloaded
back and its SHA-256 matched (post-deployment validation). ``complete``: every file of the
target is verified. ``smoke`` is
written by ``liturgia deploy``. Keys are sorted, so the same events give the same bytes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from liturgia._internal.clock import now
from liturgia._internal.files import atomic_write_text
from liturgia.errors import InputError, StorageError

__all__ = ["RECORD_SUFFIX", "PublishRecord", "locked", "record_path", "sums_digest"]

#: The record's name is the release folder's name with this suffix, beside it.
RECORD_SUFFIX = ".publish.json"


def record_path(directory: Path) -> Path:
    """The record of the release folder ``directory``: ``<parent>/<name>.publish.json``."""
    return directory.parent / (directory.name + RECORD_SUFFIX)


def _stamp() -> str:
    return now().strftime("%Y-%m-%dT%H:%M:%SZ")


class PublishRecord:
    """The record of one release folder, loaded, updated in place and saved atomically.

    Args:
        path: the record file (see :func:`record_path`).
        release: the release folder's name.
        sha256sums: hex SHA-256 of the folder's ``SHA256SUMS`` (ties the record to exactly
            this release).

    Raises:
        InputError: the file exists but is not a record, or it was written for a release
            folder of the same name with another ``SHA256SUMS``.
    """

    def __init__(self, path: Path, *, release: str, sha256sums: str) -> None:
        self.path = path
        self.document: dict[str, Any] = {
            "release": release,
            "sha256sums": sha256sums,
            "targets": {},
        }
        if path.exists():
            self.document = self._load(path, release, sha256sums)

    @staticmethod
    def _load(path: Path, release: str, sha256sums: str) -> dict[str, Any]:
        try:
            document = json.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError) as exc:
            raise InputError(f"{path}: not a publish record: {exc}") from exc
        if not (isinstance(document, dict) and isinstance(document.get("targets"), dict)):
            raise InputError(f'{path}: not a publish record (no "targets" object)')
        if document.get("release") != release or document.get("sha256sums") != sha256sums:
            raise InputError(
                f"{path}: recorded for another release folder (its SHA256SUMS differs from "
                f"{release}'s); move it away if that folder was replaced"
            )
        return document

    def target(self, name: str, *, kind: str, location: str) -> dict[str, Any]:
        """The record of target ``name`` (created empty when absent)."""
        targets: dict[str, Any] = self.document["targets"]
        entry: dict[str, Any] = targets.setdefault(
            name, {"complete": False, "files": {}, "kind": kind, "location": location}
        )
        entry["kind"], entry["location"] = kind, location
        return entry

    def files(self, name: str) -> dict[str, dict[str, str]]:
        """``{file name: {"sha256", "state", "at"}}`` recorded for target ``name``."""
        entry = self.document["targets"].get(name) or {}
        files: dict[str, dict[str, str]] = entry.get("files") or {}
        return files

    def mark(self, target: str, file: str, *, sha256: str, state: str) -> None:
        """Record ``file`` as ``uploaded`` or ``present`` at ``target``; save at once.

        A file an earlier run uploaded stays ``uploaded`` (with its time) when this run finds
        it there.
        """
        entry = self.document["targets"][target]
        earlier = entry["files"].get(file) or {}
        if earlier.get("sha256") == sha256 and earlier.get("state") == "uploaded":
            entry["files"][file] = {**earlier, "verified_at": None}
        else:
            entry["files"][file] = {
                "at": _stamp(),
                "sha256": sha256,
                "state": state,
                "verified_at": None,
            }
        entry["complete"] = False
        self.save()

    def verified(self, target: str, file: str) -> None:
        """Record that ``file`` was read back from ``target`` and matched; save at once."""
        self.document["targets"][target]["files"][file]["verified_at"] = _stamp()
        self.save()

    def complete(self, target: str) -> None:
        """Record that every file of ``target`` was read back and matched; save."""
        self.document["targets"][target]["complete"] = True
        self.save()

    def set_smoke(self, target: str, smoke: dict[str, Any]) -> None:
        """Record ``liturgia deploy``'s smoke test outcome for ``target``; save."""
        self.document["targets"][target]["smoke"] = {"at": _stamp(), **smoke}
        self.save()

    def save(self) -> None:
        """Write the record atomically (sorted keys, two-space indent, final newline).

        Raises:
            StorageError: it cannot be written.
        """
        atomic_write_text(self.path, json.dumps(self.document, indent=2, sort_keys=True) + "\n")


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<record>.lock`` so two runs never publish one release at once.

    Raises:
        StorageError: another run holds it (the message says so), or it cannot be created.
    """
    lock = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
    except OSError as exc:
        raise StorageError(f"{lock}: cannot create the lock: {exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise StorageError(
                f"{lock}: another liturgia publish of this release is running; wait for it"
            ) from exc
        yield
    finally:
        os.close(fd)


def sums_digest(directory: Path) -> str:
    """Hex SHA-256 of ``directory``'s ``SHA256SUMS`` (the record's tie to the release)."""
    return hashlib.sha256((directory / "SHA256SUMS").read_bytes()).hexdigest()
