"""Withdraw a rolled-back release from every registry it was published to.

``liturgia rollback VERSION`` reads the release's publish record (``<folder>.publish.json``,
:mod:`liturgia.publish.record`) for the targets it was published to, builds each from its
``[publish.NAME]`` table (credentials as for publishing), and asks it to withdraw the release's
files (:meth:`liturgia.publish.target.Target.withdraw`): untag (OCI), deprecate (npm), or, for a
PyPI-compatible index, whose upload API has no yank, check whether someone yanked it in the
index's web interface. Each outcome is handed to the caller as soon as it is known, so it is
recorded before the next target is asked.

A target whose ``[publish.NAME]`` table is gone, or now points at another kind or location
than the one the release was published to, is not asked (``failed``, exit 2): withdrawing
from somewhere else would be wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from liturgia._internal.files import read_bytes
from liturgia.config import LoadedConfig
from liturgia.errors import ConfigError, InputError, LiturgiaError
from liturgia.publish.record import record_path
from liturgia.publish.target import ReleaseFile
from liturgia.publish.targets import configured_target
from liturgia.release.checksums import parse_sha256sums

__all__ = ["TargetWithdrawal", "published_targets", "withdraw_release"]

#: What withdrawing means at each kind of registry.
_ACTIONS = {"pypi": "yank", "npm": "deprecate", "oci": "untag"}


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetWithdrawal:
    """The outcome of withdrawing a release from one target.

    Attributes:
        target: the target's name.
        kind: its protocol.
        location: where the release was published (from the publish record).
        state: ``withdrawn``, ``absent``, ``manual`` (the registry's API cannot: a person
            must) or ``failed`` (an error: ``detail`` is its message).
        action: ``untag``, ``deprecate`` or ``yank``.
        detail: one line: what was done, what to do, or what went wrong.
        exit_code: 0 when done; 1 for ``manual``; the error's exit code for ``failed`` (2 a
            configuration or credentials problem, 3 the registry unreachable, 1 refused).
    """

    target: str
    kind: str
    location: str
    state: str
    action: str
    detail: str
    exit_code: int

    @property
    def done(self) -> bool:
        """The release no longer reaches users from this target."""
        return self.exit_code == 0

    def to_json(self) -> dict[str, object]:
        """``{"kind", "location", "state", "done", "action", "detail", "exit_code"}``."""
        return {
            "action": self.action,
            "detail": self.detail,
            "done": self.done,
            "exit_code": self.exit_code,
            "kind": self.kind,
            "location": self.location,
            "state": self.state,
        }


def published_targets(folder: Path) -> dict[str, tuple[str, str]]:
    """``{target name: (kind, location)}`` of the release folder's publish record (``{}``
    when it was never published).

    Raises:
        InputError: the record is unreadable.
    """
    path = record_path(folder)
    if not path.is_file():
        return {}
    try:
        document = json.loads(read_bytes(path))
        targets = document["targets"]
        return {
            str(name): (str(entry["kind"]), str(entry["location"]))
            for name, entry in targets.items()
        }
    except (ValueError, RecursionError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{path}: not a publish record: {exc}") from exc


def _files(folder: Path, names: Sequence[str], sums: dict[str, str]) -> list[ReleaseFile]:
    return [
        ReleaseFile(
            name=name, path=folder / name, sha256=sums[name], size=(folder / name).stat().st_size
        )
        for name in names
    ]


def _withdraw_one(
    config: LoadedConfig,
    folder: Path,
    name: str,
    recorded: tuple[str, str],
    *,
    sums: dict[str, str],
    reason: str,
) -> TargetWithdrawal:
    kind, location = recorded
    action = _ACTIONS.get(kind, "withdraw")
    try:
        target = configured_target(config, name)
        if (target.kind, target.location) != (kind, location):
            raise ConfigError(
                f"[publish.{name}] is now {target.kind} at {target.location}, but "
                f"{folder.name} was published to {kind} at {location}: not withdrawn there; "
                "restore the table, or withdraw it there by hand"
            )
        files = _files(folder, target.select(sorted(sums)), sums)
        outcome = target.withdraw(files, reason=reason)
    except LiturgiaError as exc:
        return TargetWithdrawal(
            target=name,
            kind=kind,
            location=location,
            state="failed",
            action=action,
            detail=str(exc),
            exit_code=exc.exit_code,
        )
    return TargetWithdrawal(
        target=name,
        kind=kind,
        location=location,
        state=outcome.state,
        action=outcome.action,
        detail=outcome.detail,
        exit_code=0 if outcome.done else 1,
    )


def withdraw_release(
    config: LoadedConfig,
    folder: Path,
    names: Sequence[str],
    *,
    reason: str,
    record: Callable[[TargetWithdrawal], None],
) -> tuple[TargetWithdrawal, ...]:
    """Withdraw the release ``folder`` from each target of ``names`` (in order), handing each
    outcome to ``record`` before the next target is asked.

    Args:
        config: the project's configuration (``[publish.NAME]`` tables, credentials).
        folder: the release folder (its ``SHA256SUMS`` says which files each target holds).
        names: targets of its publish record.
        reason: why (npm keeps it as the deprecation message).
        record: called with each outcome as soon as it is known.

    Returns:
        One outcome per target; a target's error is an outcome (``failed``), not raised.

    Raises:
        InputError: the folder's ``SHA256SUMS`` or its publish record is unreadable, or a
            name is not in the record.
    """
    if not names:
        return ()
    recorded = published_targets(folder)
    sums = parse_sha256sums(read_bytes(folder / "SHA256SUMS").decode("utf-8", "replace"))
    outcomes = []
    for name in names:
        if name not in recorded:
            raise InputError(f"{record_path(folder)}: {folder.name} was never published to {name}")
        outcome = _withdraw_one(config, folder, name, recorded[name], sums=sums, reason=reason)
        record(outcome)
        outcomes.append(outcome)
    return tuple(outcomes)
