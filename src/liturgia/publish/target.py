"""The small interface every publishing target implements, and the files it is handed.

A target is one registry protocol bound to one configured place (``[publish.NAME]`` in
``liturgia.toml``): it picks the release files it carries, says what it already holds under a
file's name (by SHA-256), uploads one file, downloads one back, and withdraws a published
version where the registry allows it (``liturgia rollback``). Everything else (verifying
the release first, refusing a different file under the same name, the publish record, reading
every file back after the upload) is the publisher's (:mod:`liturgia.publish.publisher`), once
for every target.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

__all__ = ["WITHDRAWN_STATES", "ReleaseFile", "Sent", "Target", "Withdrawal", "scaled"]

#: Receives the running count of a file's bytes handed to the network during its upload.
Sent = Callable[[int], None]

#: :attr:`Withdrawal.state` values that mean the version no longer reaches users from there.
WITHDRAWN_STATES = frozenset({"withdrawn", "absent"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseFile:
    """One file of a verified release folder, as a target gets it.

    Attributes:
        name: the file's name in the release folder (and in ``SHA256SUMS``).
        path: where it is on disk.
        sha256: its lower-case hex SHA-256, as the signed ``SHA256SUMS`` lists it and as the
            bytes read for the upload hash (the publisher checks both agree).
        size: its size in bytes.
    """

    name: str
    path: Path
    sha256: str
    size: int


def scaled(sent: Sent | None, size: int, total: int) -> Callable[[int], None] | None:
    """``sent`` told a file's share of a request body's bytes: a request of ``total`` bytes
    carrying a file of ``size`` (a form with its fields, a JSON document with it in base64)
    reports ``size * n // total`` after ``n`` bytes, so 0 first and ``size`` once all are sent.
    """
    if sent is None:
        return None
    report = sent
    return lambda n: report(size * n // total if total else size)


@dataclass(frozen=True, slots=True, kw_only=True)
class Withdrawal:
    """What a target did to withdraw a published version (``liturgia rollback``).

    Attributes:
        state: ``withdrawn`` (the registry now marks it withdrawn: untagged, deprecated,
            yanked; by this run or before it), ``absent`` (the registry holds nothing of that
            version: nothing to withdraw) or ``manual`` (the registry's API cannot do it: a
            person must, and ``detail`` says where).
        action: what withdrawing means there: ``untag`` (OCI), ``deprecate`` (npm), ``yank``
            (PyPI, PEP 592).
        detail: one line for people: what was done, or what to do.
    """

    state: str
    action: str
    detail: str

    @property
    def done(self) -> bool:
        """The version no longer reaches users from this target."""
        return self.state in WITHDRAWN_STATES


class Target(Protocol):
    """One registry a release is published to.

    Attributes:
        name: the configured name (``staging``, ``production``, ...).
        kind: the protocol (``pypi``, ``npm``, ``oci``).
        location: where it publishes, for messages (a URL without credentials).
    """

    name: str
    kind: str
    location: str

    def select(self, names: Sequence[str]) -> tuple[str, ...]:
        """Return which of the release's file names this target publishes (sorted)."""
        ...

    def lookup(self, file: ReleaseFile) -> str | None:
        """Return the SHA-256 (hex) of what the registry holds under ``file``'s name and
        version, or ``None`` when it holds nothing there.

        Raises:
            NetworkError: the registry cannot be reached or answers out of shape.
        """
        ...

    def upload(self, file: ReleaseFile, data: bytes, *, sent: Sent | None = None) -> bool:
        """Upload ``data`` (the bytes of ``file``, hashing to ``file.sha256``).

        ``sent``, when given, is told how many of the file's bytes have been handed to the
        network as the upload goes (0 first, ``file.size`` last; from 0 again on a retry).

        Returns:
            ``True`` once stored; ``False`` when the registry answered that it already holds a
            file of that name (not an error here: the publisher looks it up again and
            decides, since an earlier attempt whose answer was lost may have stored it).

        Raises:
            NetworkError: the exchange failed (the file may or may not be stored).
            ConfigError: the registry refused the credentials.
            PolicyError: the registry refused the file.
        """
        ...

    def download(self, file: ReleaseFile) -> bytes:
        """Return the bytes the registry serves for ``file`` (for post-deployment validation).

        Raises:
            NetworkError: the registry cannot be reached, or does not serve the file.
        """
        ...

    def withdraw(self, files: Sequence[ReleaseFile], *, reason: str) -> Withdrawal:
        """Withdraw the version ``files`` were published as (one version of one release):
        untag, deprecate or yank it where the registry's API allows, never delete a file.

        Args:
            files: the files the publish record says were published to this target.
            reason: why (shown to users where the registry keeps a message: npm).

        Returns:
            What was done; ``manual`` when the registry's API cannot do it (not an error: the
            rollback records it and says what a person must do).

        Raises:
            NetworkError: the registry cannot be reached or answers out of shape.
            ConfigError: the registry refused the credentials.
            PolicyError: the registry holds another file under that version (not ours to
                withdraw), or refused the change.
        """
        ...
