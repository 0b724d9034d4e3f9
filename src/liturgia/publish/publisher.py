"""Publish a verified release folder to one target: verify first, refuse conflicts, read back.

:func:`publish_release` runs, in order, for one :class:`~liturgia.publish.target.Target`:

1. **Verify.** Every check of ``liturgia verify`` (:func:`liturgia.release.verify.release_checks`)
   under the publisher's key: a folder that does not verify, or whose gate said NO-GO, or a dry
   run, is refused (:class:`~liturgia.errors.VerificationError`, exit 1) and nothing is sent.
2. **Plan.** The target picks its files among those ``SHA256SUMS`` lists; each is read and
   hashed again (it must still match the signed list) and looked up at the registry. A file
   the registry holds under the same name with another SHA-256 is refused
   (:class:`~liturgia.errors.DigestError`, exit 1, naming each file), before any upload: a
   published version is never replaced.
3. **Upload** what is missing, one file at a time, recording each in the publish record
   (:mod:`liturgia.publish.record`) as soon as it is stored. What is already there with the
   same digest is a no-op (``present``), so a second run changes nothing and a run stopped
   midway is completed by the next.
4. **Read back** (post-deployment validation): every file is downloaded from the registry and
   its SHA-256 compared with the release's; a difference is a
   :class:`~liturgia.errors.DigestError`. The record then says the target is ``complete``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from liturgia import sign
from liturgia._internal.files import read_bytes
from liturgia.errors import DigestError, InputError, NetworkError, PolicyError, VerificationError
from liturgia.publish.record import PublishRecord, locked, record_path, sums_digest
from liturgia.publish.target import ReleaseFile, Target
from liturgia.release.checksums import parse_sha256sums
from liturgia.release.verify import release_checks

__all__ = [
    "FileOutcome",
    "Progress",
    "PublishEvent",
    "PublishResult",
    "publish_release",
    "verify_for_publishing",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishEvent:
    """One step of a publish run, for progress output.

    Attributes:
        step: ``verified`` (the release verified), ``upload`` (an upload starts), ``sending``
            (bytes of it are going: ``sent``), ``uploaded``, ``present`` (already there, same
            digest), ``checked`` (read back, digest matched).
        file: the file concerned (``""`` for ``verified``).
        size: its size in bytes (0 for ``verified``).
        sent: for ``sending``: the file's bytes handed to the network so far (0 first,
            ``size`` last; from 0 again when the upload is retried).
    """

    step: str
    file: str = ""
    size: int = 0
    sent: int = 0


#: Receives each :class:`PublishEvent` (the CLI prints them; a test may act on one).
Progress = Callable[[PublishEvent], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class FileOutcome:
    """What a run did with one file.

    Attributes:
        name: the file's name.
        sha256: its hex SHA-256.
        size: its size in bytes.
        action: ``uploaded`` (sent by this run) or ``present`` (the registry already held the
            same bytes: nothing sent).
    """

    name: str
    sha256: str
    size: int
    action: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishResult:
    """The outcome of :func:`publish_release`: every file is at the target and read back.

    Attributes:
        release: the release folder's name.
        target: the target's name.
        kind: its protocol.
        location: its URL.
        record: the publish record file.
        files: one outcome per file, sorted by name.
    """

    release: str
    target: str
    kind: str
    location: str
    record: Path
    files: tuple[FileOutcome, ...]

    def to_json(self) -> dict[str, object]:
        """``{"release", "target", "kind", "location", "record", "uploaded", "present",
        "files": [{"name", "sha256", "size", "action", "verified": true}]}``."""
        return {
            "release": self.release,
            "target": self.target,
            "kind": self.kind,
            "location": self.location,
            "record": str(self.record),
            "uploaded": sum(f.action == "uploaded" for f in self.files),
            "present": sum(f.action == "present" for f in self.files),
            "files": [
                {
                    "action": f.action,
                    "name": f.name,
                    "sha256": f.sha256,
                    "size": f.size,
                    "verified": True,
                }
                for f in self.files
            ],
        }


def verify_for_publishing(
    directory: Path,
    public_key: sign.PublicKey,
    *,
    log_keys: Sequence[sign.PublicKey] | None = None,
) -> dict[str, str]:
    """Verify the release as ``liturgia verify`` does; return its ``SHA256SUMS`` entries.

    Raises:
        InputError: ``directory`` is not a release folder.
        VerificationError: a check found problems (each listed, file and reason), the release
            is NO-GO, or it is a dry run.
    """
    checks = release_checks(directory, public_key, log_keys=log_keys)
    problems = [str(problem) for check in checks for problem in check.problems]
    if problems:
        raise VerificationError(
            f"{directory}: not published: it does not verify under key "
            f"{public_key.key_id[:16]} ({len(problems)} problems): {'; '.join(problems)}"
        )
    if (directory / "DRY-RUN").exists():
        raise PolicyError(f"{directory}: not published: a dry run is not a release")
    return parse_sha256sums(read_bytes(directory / "SHA256SUMS").decode("utf-8", "replace"))


def _read(directory: Path, name: str, expected: str) -> tuple[ReleaseFile, bytes]:
    path = directory / name
    data = read_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:  # changed since it was verified
        raise DigestError(f"{path}: SHA-256 {digest} is not the {expected} SHA256SUMS lists")
    return ReleaseFile(name=name, path=path, sha256=digest, size=len(data)), data


def publish_release(
    directory: Path,
    target: Target,
    *,
    public_key: sign.PublicKey,
    log_keys: Sequence[sign.PublicKey] | None = None,
    progress: Progress | None = None,
) -> PublishResult:
    """Verify ``directory``, then publish its files for ``target`` and read them back.

    Args:
        directory: a release folder written by ``liturgia release``.
        target: where to publish.
        public_key: the publisher's key the release must verify under.
        log_keys: transparency logs whose entries every bundle must carry (as ``liturgia
            verify --log-key``); ``None``: not checked.
        progress: called with each :class:`PublishEvent`.

    Returns:
        The files and what was done with each; the record is complete.

    Raises:
        VerificationError: the release does not verify, is NO-GO, or a dry run (nothing sent).
        DigestError: the registry holds another file under a release file's name (nothing
            sent), a file changed since it was verified, or a file read back differs.
        InputError: the release has no file this target publishes; the record is not one.
        NetworkError: the registry cannot be reached (the record says what was stored).
        ConfigError: the registry refused the credentials.
        PolicyError: the registry refused a file.
        StorageError: the record cannot be written, or another run holds its lock.
    """
    tell = progress or (lambda _event: None)
    sums = verify_for_publishing(directory, public_key, log_keys=log_keys)
    tell(PublishEvent(step="verified"))
    names = target.select(sorted(sums))
    if not names:
        raise InputError(
            f"{directory}: no file of this release goes to a {target.kind} target "
            f"({target.name}); SHA256SUMS lists {', '.join(sorted(sums))}"
        )
    path = record_path(directory)
    with locked(path):
        record = PublishRecord(path, release=directory.name, sha256sums=sums_digest(directory))
        record.target(target.name, kind=target.kind, location=target.location)
        record.save()  # a run stopped before its first upload still leaves its account
        plan: list[tuple[ReleaseFile, str | None]] = []
        for name in names:
            file, _data = _read(directory, name, sums[name])
            plan.append((file, target.lookup(file)))
        conflicts = [
            f"{file.name} (the registry has SHA-256 {held}, the release {file.sha256})"
            for file, held in plan
            if held is not None and held != file.sha256
        ]
        if conflicts:
            raise DigestError(
                f"{target.location}: not published: another file is already published under "
                f"the same name and version: {'; '.join(conflicts)}; a published version is "
                "never replaced: release a new version"
            )
        outcomes = []
        for file, held in plan:
            action = "present" if held == file.sha256 else _upload(directory, file, target, tell)
            if action == "present":
                tell(PublishEvent(step="present", file=file.name, size=file.size))
            record.mark(target.name, file.name, sha256=file.sha256, state=action)
            outcomes.append(
                FileOutcome(name=file.name, sha256=file.sha256, size=file.size, action=action)
            )
        for file, _held in plan:
            _read_back(file, target)
            record.verified(target.name, file.name)
            tell(PublishEvent(step="checked", file=file.name, size=file.size))
        record.complete(target.name)
    return PublishResult(
        release=directory.name,
        target=target.name,
        kind=target.kind,
        location=target.location,
        record=path,
        files=tuple(outcomes),
    )


def _upload(directory: Path, file: ReleaseFile, target: Target, tell: Progress) -> str:
    """Upload one file; ``uploaded``, or ``present`` when an earlier attempt had stored it."""
    _file, data = _read(directory, file.name, file.sha256)
    tell(PublishEvent(step="upload", file=file.name, size=file.size))

    def sent(count: int) -> None:
        tell(PublishEvent(step="sending", file=file.name, size=file.size, sent=count))

    if target.upload(file, data, sent=sent):
        tell(PublishEvent(step="uploaded", file=file.name, size=file.size))
        return "uploaded"
    held = target.lookup(file)  # "already exists": ours from a lost answer, or another file
    if held == file.sha256:
        return "present"
    if held is None:
        raise NetworkError(
            f"{target.location}: answered that {file.name} exists but does not list it"
        )
    raise DigestError(
        f"{target.location}: not published: {file.name} is already published with SHA-256 "
        f"{held}, not the release's {file.sha256}; a published version is never replaced"
    )


def _read_back(file: ReleaseFile, target: Target) -> None:
    """Post-deployment validation: the registry serves exactly the release's bytes."""
    served = hashlib.sha256(target.download(file)).hexdigest()
    if served != file.sha256:
        raise DigestError(
            f"{target.location}: {file.name} as served has SHA-256 {served}, not the "
            f"release's {file.sha256} (post-deployment validation failed)"
        )
