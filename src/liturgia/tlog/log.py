"""A Rekor v1-compatible log: the library behind ``liturgia serve`` (no HTTP here).

:class:`RekorLog` composes the pieces: :func:`~liturgia.tlog.entries.accept_entry` checks a
proposed entry, the :class:`~liturgia.tlog.sequencer.Sequencer` makes it durable and integrates
it, and each answer is a :class:`~liturgia.tlog.rekor.LogEntry` carrying its inclusion proof,
the signed checkpoint and a SignedEntryTimestamp, as Rekor v1 answers.

Indexes: the **global** ``logIndex`` is the tree-local leaf index plus ``index_offset`` (the
sizes of earlier, frozen shards, as Rekor counts them); inclusion proofs carry the local one.
The checkpoint origin is Rekor's ``"<host> - <tree id>"`` and its signature's key name is the
host, so Sigstore clients whose trusted root lists this log's base URL accept it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from liturgia._internal.lru import ByteLRU
from liturgia._internal.text import clip
from liturgia.errors import InputError, ProofError, StorageError
from liturgia.tlog import merkle, rekor, tiles
from liturgia.tlog.checkpoint import NoteVerifier, rekor_origin, signer_for
from liturgia.tlog.entries import AcceptedEntry, accept_entry, key_index
from liturgia.tlog.rekor import InclusionProof, LogEntry, PrivateKey
from liturgia.tlog.sequencer import Sequencer
from liturgia.tlog.storage.base import LogStorage, StoredEntry, TreeState
from liturgia.tlog.tiled import DEFAULT_CACHE_BYTES, TileReader

__all__ = ["RekorLog"]

#: Largest index offset: offset plus tree size must stay an exact RFC 8785 (IEEE 754) integer.
_MAX_OFFSET = 1 << 52
_ENTRY_ID = re.compile(r"(?:[0-9a-f]{16})?[0-9a-f]{64}\Z")
_HASH = re.compile(r"(?:(sha256|sha384|sha512):)?([0-9a-f]+)\Z")
_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}
#: A stored seal is the first bytes of the ID of the log key that signed it, then the SET: a
#: log whose key was rotated signs again (at read time) what an earlier key sealed.
_SEAL_ID = 8


def _hash_key(value: str) -> str:
    """Normalise ``"sha256:<hex>"`` or bare hex (taken as sha256) to the stored key form."""
    match = _HASH.match(value.lower())
    algorithm = (match.group(1) or "sha256") if match else ""
    if match is None or len(match.group(2)) != _HEX_LENGTH[algorithm]:
        raise InputError(f"artifact hash {value!r} is not '<sha256|sha384|sha512>:<hex>'")
    return f"{algorithm}:{match.group(2)}"


class RekorLog:
    """A running Rekor v1-style log over a storage backend.

    Args:
        storage: the log storage (the caller closes it after :meth:`close`).
        private_key: the log key (ECDSA P-256 for Rekor-v1 clients, or Ed25519); it signs
            checkpoints and SignedEntryTimestamps.
        host: the log's host as in its base URL (checkpoint key name and origin prefix).
        tree_id: the tree ID in the origin and entry IDs (Rekor: a positive int64).
        index_offset: added to tree-local indexes to give global ``logIndex`` values.
        verifiers: older checkpoint keys accepted at start (rotation).
        wait_timeout: seconds a submission waits for its inclusion in a checkpoint.
        tile_cache_bytes: memory for the tiles and entry bundles served (c2sp.org/tlog-tiles).
        set_cache_bytes: memory for SignedEntryTimestamps signed at read time (about 72 bytes
            each): an entry's SET is made once, as it is stored, and stored with it; only
            entries stored without one (by a version before it was stored, or under another
            key) are signed when read, once per process while they stay in this cache.
        sequencer_options: passed to :class:`~liturgia.tlog.sequencer.Sequencer`.

    Raises:
        SignatureError: the key type is not supported.
    """

    def __init__(
        self,
        storage: LogStorage,
        private_key: PrivateKey,
        *,
        host: str,
        tree_id: int,
        index_offset: int = 0,
        verifiers: Sequence[NoteVerifier] = (),
        wait_timeout: float = 30.0,
        tile_cache_bytes: int = DEFAULT_CACHE_BYTES,
        set_cache_bytes: int = 4 << 20,
        **sequencer_options: Any,
    ) -> None:
        if not 0 < tree_id < 1 << 63:
            raise InputError(f"tree ID {tree_id} is not a positive int64")
        if not 0 <= index_offset < _MAX_OFFSET:
            raise InputError(
                f"index offset {index_offset} is not in 0..2**52 (log indexes are signed as "
                "RFC 8785 JSON numbers, exact below 2**53)"
            )
        self._storage = storage
        self._key = private_key
        self.host = host
        self.tree_id = tree_id
        self.index_offset = index_offset
        self.origin = rekor_origin(host, tree_id)
        self.log_id = rekor.log_id(private_key.public_key())
        self._wait = wait_timeout
        #: The log's c2sp.org/tlog-tiles resources, read from the same storage.
        self.tiles = TileReader(storage, cache_bytes=tile_cache_bytes)
        self._sets = ByteLRU(set_cache_bytes)
        self._sequencer = Sequencer(
            storage,
            signer_for(host, private_key),
            origin=self.origin,
            verifiers=verifiers,
            seal=self._seal,
            **sequencer_options,
        )

    def __enter__(self) -> RekorLog:
        """Start the log (verifying the stored tree) and return it."""
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the log."""
        self.close()

    def start(self) -> None:
        """Verify the stored tree against its checkpoint and start sequencing.

        Raises:
            ProofError: the stored tree does not match its signed checkpoint.
            SignatureError: the stored checkpoint is not signed by a known key.
            StorageError: the storage failed.
        """
        self._sequencer.start()

    def close(self) -> None:
        """Store and integrate what is queued, then stop."""
        self._sequencer.close()

    # -- writes --------------------------------------------------------------------------------

    def submit(self, proposed: Any) -> tuple[LogEntry, bool]:
        """Accept a proposed entry, wait until it is in a signed checkpoint, and answer it.

        Args:
            proposed: the request's JSON document.

        Returns:
            ``(entry, created)``: ``created`` is ``False`` when the same entry was already in
            the log; ``entry`` is then the existing one (Rekor answers 409 with its location).

        Raises:
            InputError: the entry is malformed or of an unsupported kind or key.
            SignatureError: its signature does not verify.
            StorageError: it could not be stored or integrated in time.
        """
        return self.commit([accept_entry(proposed)])[0]

    def commit(self, accepted: Sequence[AcceptedEntry]) -> list[tuple[LogEntry, bool]]:
        """Store already-verified entries, wait for one checkpoint covering all, answer each.

        The batch form of :meth:`submit` for a server that verifies each request as it arrives
        and hands the verified entries over together: the entries share one storage
        transaction (when the sequencer is idle) and one wait for integration, and their
        inclusion proofs are all at the same tree size.

        Args:
            accepted: entries that passed :func:`~liturgia.tlog.entries.accept_entry`.

        Returns:
            ``(entry, created)`` per input, in input order; a repeated or already logged entry
            answers the existing one with ``created`` ``False``.

        Raises:
            StorageError: the entries could not be stored or integrated in time; none of them
                is acknowledged (those already stored are integrated later and answer 409 when
                retried).
        """
        if not accepted:
            return []
        futures = [
            self._sequencer.submit(entry.body, index_keys=entry.index_keys) for entry in accepted
        ]
        assigned = []
        for future in futures:
            try:
                assigned.append(future.result(self._wait))
            except TimeoutError as exc:
                raise StorageError(f"entry not stored within {self._wait} s") from exc
        state = self._sequencer.wait_integrated(max(a.index for a in assigned), timeout=self._wait)
        indexes = [a.index for a in assigned]
        proofs = self._sequencer.inclusion_proofs(indexes, state.size)
        stored = self._storage.read_entries(indexes)
        answers = []
        for result, proof, submitted in zip(assigned, proofs, accepted, strict=True):
            entry = self._entry(
                result.index, state, proof, stored.get(result.index), expected=submitted.body
            )
            if entry is None:  # pragma: no cover - the index was just integrated
                raise StorageError(f"entry {result.index} vanished")
            answers.append((entry, not result.duplicate))
        return answers

    # -- reads ---------------------------------------------------------------------------------

    def entry(self, log_index: int) -> LogEntry | None:
        """Return the entry at global ``log_index`` with proof, or ``None`` if there is none."""
        return self._entry(
            log_index - self.index_offset, self._state_with(log_index - self.index_offset)
        )

    def _state_with(self, local: int) -> TreeState:
        """The tree to answer leaf ``local`` from: this process's, or the stored one if newer.

        Another process of the log may have acknowledged the entry before this one's view of
        the tree caught up; the storage is asked only then.
        """
        state = self._sequencer.state()
        if local >= state.size and local >= 0:
            state = self._sequencer.latest_state()
        return state

    def entry_by_id(self, entry_id: str) -> LogEntry | None:
        """Return the entry with this UUID (64 hex) or entry ID (16 hex tree ID + UUID).

        Raises:
            InputError: not 64 or 80 lower-case hex digits, or another tree's ID.
        """
        stored = self._find(entry_id)
        if stored is None:
            return None
        return self._entry(stored.index, self._state_with(stored.index), stored=stored)

    def _find(self, entry_id: str) -> StoredEntry | None:
        """The stored entry of a UUID or entry ID (see :meth:`entry_by_id`).

        Raises:
            InputError: as :meth:`entry_by_id`.
        """
        return self._storage.find_entry(self.entry_leaf(entry_id))

    def entry_leaf(self, entry_id: str) -> bytes:
        """The leaf hash a UUID or entry ID names (its last 64 hex digits), without a read.

        Raises:
            InputError: not 64 or 80 lower-case hex digits, or another tree's ID.
        """
        if not _ENTRY_ID.match(entry_id):
            raise InputError(f"entry ID {clip(entry_id)!r} is not 64 or 80 lower-case hex digits")
        if len(entry_id) == 80 and int(entry_id[:16], 16) != self.tree_id:
            raise InputError(f"entry ID {entry_id!r} is not of tree {self.tree_id}")
        return bytes.fromhex(entry_id[-64:])

    def entry_json(
        self, log_index: int, *, stored: Mapping[int, StoredEntry] | None = None
    ) -> bytes | None:
        """Return :meth:`entry` as Rekor's REST answer bytes (``GET /api/v1/log/entries``).

        The bytes of compact JSON of ``entry(log_index).to_api_json(tree_id=self.tree_id)``,
        written by :func:`~liturgia.tlog.rekor.api_json_bytes` without the intermediate objects
        (the log's most frequent read); ``None`` if there is none.

        Args:
            log_index: the global log index.
            stored: entries read beforehand for many answers (:meth:`stored_entries`); an
                entry not in it is read here (it may have been stored since).

        Raises:
            StorageError: as :meth:`entry`.
        """
        local = log_index - self.index_offset
        return self._entry_json(
            local, self._state_with(local), stored.get(log_index) if stored else None
        )

    def entry_json_by_id(
        self, entry_id: str, *, found: Mapping[str, StoredEntry | None] | None = None
    ) -> bytes | None:
        """Return :meth:`entry_by_id` as Rekor's REST answer bytes, as :meth:`entry_json` does.

        Args:
            entry_id: a UUID or entry ID, as :meth:`entry_by_id` takes.
            found: what :meth:`found_entries` answered for many IDs at once; an ID not in it
                is looked up here.

        Raises:
            InputError: as :meth:`entry_by_id`.
            StorageError: as :meth:`entry`.
        """
        if found is not None and entry_id in found:
            stored = found[entry_id]
        else:
            stored = self._find(entry_id)
        if stored is None:
            return None
        return self._entry_json(stored.index, self._state_with(stored.index), stored)

    def stored_entries(self, log_indexes: Collection[int]) -> Mapping[int, StoredEntry]:
        """Read the stored entries at global ``log_indexes`` in one storage read.

        Returns:
            ``{global log index: StoredEntry}`` of those that exist, for :meth:`entry_json`
            to answer many requests from one read (checked there as every read is).

        Raises:
            StorageError: the storage failed.
        """
        offset = self.index_offset
        found = self._storage.read_entries({i - offset for i in log_indexes if i >= offset})
        return {local + offset: entry for local, entry in found.items()}

    def found_entries(self, entry_ids: Collection[str]) -> Mapping[str, StoredEntry | None]:
        """Look up many UUIDs or entry IDs (as :meth:`entry_by_id` takes) in one storage read.

        Returns:
            ``{entry ID: StoredEntry, or None when there is no such entry}`` for every
            well-formed ID of this tree among ``entry_ids``; the others are left out (for
            :meth:`entry_json_by_id` to refuse).

        Raises:
            StorageError: the storage failed.
        """
        wanted: dict[str, bytes] = {}
        for entry_id in entry_ids:
            with contextlib.suppress(InputError):
                wanted[entry_id] = self.entry_leaf(entry_id)
        found = self._storage.find_entries(set(wanted.values())) if wanted else {}
        return {entry_id: found.get(leaf) for entry_id, leaf in wanted.items()}

    def _entry_json(
        self, local: int, state: TreeState, stored: StoredEntry | None = None
    ) -> bytes | None:
        parts = self._checked(local, state, None, stored)
        if parts is None:
            return None
        stored, proof, timestamp, leaf = parts
        return rekor.api_json_bytes(
            uuid=f"{self.tree_id:016x}{(leaf or merkle.leaf_hash(stored.body)).hex()}",
            body=stored.body,
            integrated_time=stored.integrated_time,
            log_id=self.log_id,
            log_index=local + self.index_offset,
            signed_entry_timestamp=timestamp,
            proof=(local, state.size, state.root, proof, state.checkpoint),
        )

    def _entry(
        self,
        local: int,
        state: TreeState | None = None,
        proof: tuple[bytes, ...] | None = None,
        stored: StoredEntry | None = None,
        *,
        expected: bytes | None = None,
    ) -> LogEntry | None:
        """Answer leaf ``local`` with its inclusion ``proof`` at ``state``.

        Default: the latest tree, the proof computed here and the entry read here (a batch
        passes what it read for all its entries at once); see :meth:`_checked`.

        Raises:
            StorageError: the stored body is not the one in the tree (the database was changed
                outside the log).
        """
        state = state or self._sequencer.state()
        parts = self._checked(local, state, proof, stored, expected=expected)
        if parts is None:
            return None
        stored, proof, timestamp, _ = parts
        return LogEntry(
            body=stored.body,
            integrated_time=stored.integrated_time,
            log_id=self.log_id,
            log_index=local + self.index_offset,
            signed_entry_timestamp=timestamp,
            inclusion_proof=InclusionProof(
                log_index=local,
                tree_size=state.size,
                root_hash=state.root,
                hashes=proof,
                checkpoint=state.checkpoint,
            ),
        )

    def _checked(
        self,
        local: int,
        state: TreeState,
        proof: tuple[bytes, ...] | None,
        stored: StoredEntry | None,
        *,
        expected: bytes | None = None,
    ) -> tuple[StoredEntry, tuple[bytes, ...], bytes, bytes | None] | None:
        """Leaf ``local``'s stored entry, inclusion proof at ``state``, SET and leaf hash.

        ``None`` when the tree at ``state`` has no such leaf. The log signs a SET only for the
        body the tree holds: the stored body must be ``expected`` (the body just submitted,
        whose leaf hash the tree got), or else its leaf hash must be the one of its tile
        proven into the root (:meth:`Sequencer.proven_leaf`), or prove into the tree (RFC 9162
        §2.1.3.2). The leaf hash is returned when it was computed here (else ``None``).

        Raises:
            StorageError: the stored body is not the one in the tree (the database was changed
                outside the log).
        """
        if not 0 <= local < state.size:
            return None
        stored = stored or self._storage.read_entry(local)
        if stored is None:  # pragma: no cover - integrated entries are stored
            return None
        held: bytes | None = None
        if proof is None and expected is None:
            proven = self._sequencer.proven_leaf(local, state)
            if proven is not None:
                proof, held = proven
        if proof is None:
            proof = self._sequencer.inclusion_proof(local, state.size)
        leaf: bytes | None = None
        if expected is not None:
            matches = stored.body == expected
        else:
            leaf = merkle.leaf_hash(stored.body)
            if held is not None:
                # The leaf hash of a tile proven into this root: what the walk below tells.
                matches = leaf == held
            else:
                try:
                    merkle.verify_inclusion(
                        leaf_hash=leaf,
                        index=local,
                        tree_size=state.size,
                        proof=proof,
                        root=state.root,
                    )
                    matches = True
                except ProofError:
                    matches = False
        if not matches:
            raise StorageError(
                f"stored entry {local} is not the entry the tree holds: the database was "
                "changed outside the log"
            )
        seal = stored.seal
        if len(seal) > _SEAL_ID and seal[:_SEAL_ID] == self.log_id[:_SEAL_ID]:
            timestamp = seal[_SEAL_ID:]
        else:
            cached = self._sets.get(local)
            timestamp = cached or self._sign_set(local, stored.body, stored.integrated_time)
            if cached is None:
                self._sets.put(local, timestamp)
        return stored, proof, timestamp, leaf

    def _sign_set(self, local: int, body: bytes, integrated_time: int) -> bytes:
        """Sign the SignedEntryTimestamp of leaf ``local`` (Rekor v1 SET, this log's key)."""
        payload = rekor.set_payload(
            body=body,
            integrated_time=integrated_time,
            log_id=self.log_id,
            log_index=local + self.index_offset,
        )
        return rekor.sign_entry_timestamp(self._key, payload)

    def _seal(self, local: int, body: bytes, integrated_time: int) -> bytes:
        """What is stored with a new entry (:data:`~liturgia.tlog.storage.base.Seal`): its SET.

        Called by the storage inside the transaction that gives the entry its index.
        """
        return self.log_id[:_SEAL_ID] + self._sign_set(local, body, integrated_time)

    def search(
        self,
        *,
        artifact_hash: str | None = None,
        public_key: bytes | None = None,
        operator: str = "and",
    ) -> tuple[str, ...]:
        """Find entries by artifact hash and/or signer key, as ``/api/v1/index/retrieve`` does.

        Args:
            artifact_hash: ``"sha256:<hex>"`` (or bare hex, taken as sha256) of the artifact,
                or for DSSE of the payload or the envelope.
            public_key: a PEM public key or certificate of the signer.
            operator: ``"and"`` or ``"or"`` when both are given.

        Returns:
            The entry IDs (16 hex tree ID + UUID) found, in index order.

        Raises:
            InputError: nothing to search for, a malformed hash or key, or another operator.
        """
        keys: list[str] = []
        if artifact_hash is not None:
            keys.append(_hash_key(artifact_hash))
        if public_key is not None:
            keys.append(key_index(public_key))
        if not keys:
            raise InputError("search needs an artifact hash or a public key")
        if operator not in ("and", "or"):
            raise InputError(f"search operator must be 'and' or 'or', not {operator!r}")
        found = [set(self._storage.find_by_key(key)) for key in keys]
        indexes = set.intersection(*found) if operator == "and" else set.union(*found)
        size = self._sequencer.state().size
        if indexes and max(indexes) >= size:
            size = self._sequencer.latest_state().size
        kept = sorted(i for i in indexes if i < size)
        stored = self._storage.read_entries(kept)
        return tuple(rekor.entry_id(stored[i].body, self.tree_id) for i in kept if i in stored)

    @property
    def local_reads(self) -> bool:
        """Whether a read waits for nothing but this process's memory or a local file.

        True for SQLite and memory storage, false for PostgreSQL (see
        :class:`~liturgia.tlog.storage.base.LogStorage`): a server answers the former's reads
        on its event loop.
        """
        return self._storage.local_reads

    @property
    def public_key(self) -> rekor.PublicKey:
        """The log's public key: it verifies the checkpoints and SignedEntryTimestamps."""
        return self._key.public_key()

    @property
    def tree_size(self) -> int:
        """The size of this process's latest signed tree (no storage access: also after close)."""
        return self._sequencer.state().size

    def info(self) -> dict[str, Any]:
        """Return Rekor's ``LogInfo`` for ``GET /api/v1/log``.

        The newest stored tree, so that the size a client sees never goes back when its next
        request lands on another process of the log.
        """
        state = self._sequencer.latest_state()
        return {
            "rootHash": state.root.hex(),
            "signedTreeHead": state.checkpoint.decode("utf-8"),
            "treeID": str(self.tree_id),
            "treeSize": state.size,
        }

    def checkpoint(self) -> bytes:
        """Return the newest signed checkpoint (c2sp.org/tlog-checkpoint note bytes).

        The newest stored one, as :meth:`info` answers, so that a tile path it implies is
        served by every process of the log.
        """
        return self._sequencer.latest_state().checkpoint

    def consistency(self, first_size: int, last_size: int | None = None) -> dict[str, Any]:
        """Return Rekor's ``ConsistencyProof`` for ``GET /api/v1/log/proof``.

        Raises:
            InputError: ``first_size`` is below 1, above ``last_size``, or ``last_size`` is
                beyond the tree (Rekor answers 400).
        """
        state = self._sequencer.state()
        if last_size is None or last_size > state.size:
            state = self._sequencer.latest_state()  # a size another process just signed
        last = state.size if last_size is None else last_size
        if not 1 <= first_size <= last <= state.size:
            raise InputError(
                f"no consistency proof from size {first_size} to {last} in a tree of {state.size}"
            )
        hashes = self._sequencer.consistency_proof(first_size, last)
        root = state.root if last == state.size else tiles.root(self._storage, last)
        return {"hashes": [h.hex() for h in hashes], "rootHash": root.hex()}
