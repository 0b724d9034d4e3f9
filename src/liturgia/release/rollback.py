"""Rolling a release back: marked, never erased.

``liturgia rollback VERSION`` records beside the release folder (``dist/<name>-<version>``, a
signed folder that is never changed) a file ``<name>-<version>.rolled-back.json``::

    {"project": str, "version": str, "rolled_back_at": RFC 3339 UTC, "reason": str,
     "previous": str | null}

where ``previous`` is the newest earlier final release found in the same folder. Nothing is
deleted: the release's files and its transparency log entries stay, so whoever verifies the
rolled-back artifacts still can; the record says it must not be deployed again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from liturgia._internal.clock import now
from liturgia._internal.files import atomic_write_text
from liturgia.config import LoadedConfig
from liturgia.errors import InputError, LiturgiaError
from liturgia.release.version import Version

__all__ = ["RolledBack", "mark_rolled_back"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RolledBack:
    """A recorded rollback.

    Attributes:
        record: the file written.
        previous: the newest earlier final release beside it, or ``None``.
    """

    record: Path
    previous: Version | None


def mark_rolled_back(config: LoadedConfig, out: Path, version: Version, reason: str) -> RolledBack:
    """Record that ``version`` is rolled back (atomically; the release folder is untouched).

    Raises:
        InputError: no release folder of that version in ``out``, the reason is blank, or it is
            already marked.
    """
    name = config.settings.project.name
    folder = out / f"{name}-{version}"
    if not (folder / "gate-report.json").is_file():
        raise InputError(f"{folder}: no release of {name} {version} to roll back")
    if not reason.strip():
        raise InputError("--reason: say why the release is rolled back")
    record = out / f"{name}-{version}.rolled-back.json"
    if record.exists():
        raise InputError(f"{record}: {name} {version} is already marked rolled back")
    earlier = []
    for candidate in out.glob(f"{name}-*"):
        try:
            found = Version.parse(candidate.name.removeprefix(f"{name}-"))
        except LiturgiaError:
            continue
        if candidate.is_dir() and found < version and not found.prerelease:
            earlier.append(found)
    previous = max(earlier) if earlier else None
    document = {
        "previous": str(previous) if previous else None,
        "project": name,
        "reason": " ".join(reason.split()),
        "rolled_back_at": now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "version": str(version),
    }
    atomic_write_text(record, json.dumps(document, indent=2, sort_keys=True) + "\n")
    return RolledBack(record=record, previous=previous)
