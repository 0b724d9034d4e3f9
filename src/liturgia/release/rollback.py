"""Rolling a release back: marked, withdrawn where it was published, never erased.

``liturgia rollback VERSION`` records beside the release folder (``dist/<name>-<version>``, a
signed folder that is never changed) a file ``<name>-<version>.rolled-back.json``::

    {"project": str, "version": str, "rolled_back_at": RFC 3339 UTC, "reason": str,
     "previous": str | null, "complete": bool,
     "targets": {NAME: {"state": "pending" | "withdrawn" | "absent" | "manual" | "failed"
                              | "marked",
                        "done": bool, "kind": str, "location": str, "action": str,
                        "detail": str, "exit_code": int, "at": RFC 3339 UTC}}}

where ``previous`` is the newest earlier final release found in the same folder and ``targets``
are the registries the release was published to (its publish record), each withdrawn by
:mod:`liturgia.publish.withdraw` and recorded here as soon as its outcome is known (``pending``
until then), and the cockpit server when one is named (``cockpit server``, ``marked`` once the
server holds the mark). ``complete`` is true once every target is ``done`` (``withdrawn``,
``absent`` or ``marked``). Nothing is deleted: the release's files and its transparency log
entries stay, so whoever verifies the rolled-back artifacts still can; the record says it must
not be deployed again. An incomplete rollback is taken up again by the next ``liturgia
rollback`` of the same version, which retries only the targets not done (the first reason is
kept).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liturgia._internal.clock import now
from liturgia._internal.files import atomic_write_text
from liturgia.config import LoadedConfig
from liturgia.errors import InputError, LiturgiaError
from liturgia.release.version import Version

__all__ = ["RolledBack", "mark_rolled_back"]


def _stamp() -> str:
    return now().strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True, kw_only=True)
class RolledBack:
    """A recorded rollback, updated in place as its targets are withdrawn.

    Attributes:
        record: the file written.
        previous: the newest earlier final release beside it, or ``None``.
        document: the record's content (see the module docstring).
        resumed: an earlier incomplete rollback of this version is being completed.
    """

    record: Path
    previous: Version | None
    document: dict[str, Any]
    resumed: bool = False

    @property
    def pending(self) -> tuple[str, ...]:
        """The targets not done yet, sorted."""
        targets: dict[str, Any] = self.document["targets"]
        return tuple(sorted(name for name, entry in targets.items() if not entry.get("done")))

    @property
    def complete(self) -> bool:
        """Every target is done (or there is none)."""
        return bool(self.document["complete"])

    def record_target(self, name: str, entry: Mapping[str, object]) -> None:
        """Record target ``name``'s outcome (``entry`` holds ``state`` and ``done``) and save
        the record atomically at once.

        Raises:
            StorageError: the record cannot be written.
        """
        self.document["targets"][name] = {**entry, "at": _stamp()}
        self.document["complete"] = not self.pending
        self.save()

    def save(self) -> None:
        """Write the record atomically (sorted keys, two-space indent, final newline)."""
        atomic_write_text(self.record, json.dumps(self.document, indent=2, sort_keys=True) + "\n")


def _previous(out: Path, name: str, version: Version) -> Version | None:
    earlier = []
    for candidate in out.glob(f"{name}-*"):
        try:
            found = Version.parse(candidate.name.removeprefix(f"{name}-"))
        except LiturgiaError:
            continue
        if candidate.is_dir() and found < version and not found.prerelease:
            earlier.append(found)
    return max(earlier) if earlier else None


def mark_rolled_back(
    config: LoadedConfig,
    out: Path,
    version: Version,
    reason: str,
    *,
    targets: Sequence[str] = (),
) -> RolledBack:
    """Record that ``version`` is rolled back (atomically; the release folder is untouched).

    Args:
        config: the project's configuration.
        out: the folder of the release folders (``<project>/dist``).
        version: the release rolled back.
        reason: why (one line kept, whitespace collapsed).
        targets: the registries it was published to, recorded ``pending`` until
            :meth:`RolledBack.record_target` records their outcome.

    Returns:
        The record; when a rollback of ``version`` is already recorded and is incomplete, or
        ``targets`` names one it does not list yet (added ``pending``), that one
        (``resumed``), so its pending targets are asked.

    Raises:
        InputError: no release folder of that version in ``out``, the reason is blank, the
            existing record is unreadable, or the version is already completely rolled back
            from every target of ``targets``.
    """
    name = config.settings.project.name
    folder = out / f"{name}-{version}"
    if not (folder / "gate-report.json").is_file():
        raise InputError(f"{folder}: no release of {name} {version} to roll back")
    if not reason.strip():
        raise InputError("--reason: say why the release is rolled back")
    record = out / f"{name}-{version}.rolled-back.json"
    previous = _previous(out, name, version)
    if record.exists():
        try:
            document = json.loads(record.read_bytes())
        except (OSError, ValueError, RecursionError) as exc:
            raise InputError(f"{record}: not a rollback record: {exc}") from exc
        recorded = document.setdefault("targets", {}) if isinstance(document, dict) else None
        if not isinstance(recorded, dict) or not all(
            isinstance(entry, dict) for entry in recorded.values()
        ):
            raise InputError(
                f"{record}: not a rollback record (an object whose targets are objects); "
                "restore it from a backup or move it away to record the rollback anew"
            )
        document.setdefault("complete", True)  # written before targets were withdrawn
        # A target the release reached since (published again, a cockpit server named now)
        # reopens the rollback: it is asked too.
        added = [target for target in targets if target not in recorded]
        for target in added:
            recorded[target] = {"done": False, "state": "pending"}
        if not added and document["complete"]:
            raise InputError(f"{record}: {name} {version} is already marked rolled back")
        done = RolledBack(record=record, previous=previous, document=document, resumed=True)
        if added:
            document["complete"] = False
            done.save()
        return done
    document = {
        "complete": not targets,
        "previous": str(previous) if previous else None,
        "project": name,
        "reason": " ".join(reason.split()),
        "rolled_back_at": _stamp(),
        "targets": {target: {"done": False, "state": "pending"} for target in targets},
        "version": str(version),
    }
    done = RolledBack(record=record, previous=previous, document=document)
    done.save()
    return done
