"""Watching a log as a witness does: every new checkpoint must extend the last one seen.

:class:`Monitor` keeps, in a folder of its own, the latest verified checkpoint (``checkpoint``,
the signed note as received) and an append-only ``history`` (one line per observation:
``<unix time> <tree size> <base64 root>``). Each new checkpoint is verified under the log's
keys, then proven consistent with the stored one (RFC 9162 §2.1.4.2) using a consistency proof
the caller fetches from the log. A rollback, a fork (same size, other root) or a bad proof
raises :class:`~liturgia.errors.ProofError` (exit 1) and leaves the stored state untouched, so
the evidence stays. The HTTP fetching lives with the caller (``liturgia log monitor``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from pathlib import Path

from liturgia._internal.clock import now
from liturgia._internal.files import atomic_write_bytes
from liturgia.errors import StorageError
from liturgia.tlog.checkpoint import (
    Checkpoint,
    NoteVerifier,
    open_checkpoint,
    verify_checkpoint_consistency,
)

__all__ = ["Monitor", "ProofFetcher"]

#: Returns the log's consistency proof from the first size to the second.
ProofFetcher = Callable[[int, int], Sequence[bytes]]


class Monitor:
    """Records a log's checkpoints and refuses any that does not extend the last one.

    Args:
        folder: where the state lives (created on first use).
        verifiers: the log's checkpoint keys.
        origin: the log's checkpoint origin.
    """

    def __init__(self, folder: Path, verifiers: Sequence[NoteVerifier], *, origin: str) -> None:
        self.folder = folder
        self._verifiers = tuple(verifiers)
        self.origin = origin

    @property
    def _latest(self) -> Path:
        return self.folder / "checkpoint"

    def last(self) -> Checkpoint | None:
        """Return the last checkpoint recorded, re-verified, or ``None`` before the first.

        Raises:
            ProofError: the stored checkpoint is malformed or of another origin.
            SignatureError: it is not signed by the log's keys.
            StorageError: it cannot be read.
        """
        try:
            note = self._latest.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"{self._latest}: cannot read: {exc.strerror or exc}") from exc
        return open_checkpoint(note, self._verifiers, origin=self.origin)

    def observe(self, note: bytes, fetch_proof: ProofFetcher) -> Checkpoint:
        """Verify a newly fetched checkpoint against the last one and record it.

        Args:
            note: the log's current signed checkpoint.
            fetch_proof: fetches the consistency proof ``(old size, new size)`` from the log;
                called only when the tree grew from a non-empty one.

        Returns:
            The new checkpoint.

        Raises:
            ProofError: malformed, other origin, rollback, fork, or an inconsistent proof.
            SignatureError: the checkpoint is not signed by the log's keys.
            StorageError: the state cannot be written.
        """
        new = open_checkpoint(note, self._verifiers, origin=self.origin)
        old = self.last()
        if old is not None:
            grew = 0 < old.size < new.size
            proof = tuple(fetch_proof(old.size, new.size)) if grew else ()
            verify_checkpoint_consistency(old, new, proof)
        if old is None or new.size > old.size:
            atomic_write_bytes(self._latest, note)
        line = f"{int(now().timestamp())} {new.size} {base64.b64encode(new.root_hash).decode()}\n"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with (self.folder / "history").open("a", encoding="ascii") as history:
                history.write(line)
        except OSError as exc:
            raise StorageError(f"{self.folder}: cannot record history: {exc}") from exc
        return new
