"""The log's write path: durable indexes at once, tree integration and checkpoints in batches.

Follows tessera's design (STYLE.md "Abstractions"):

* :meth:`Sequencer.add` queues an entry and returns once its index is **durable**. A sequencing
  thread drains the queue and stores everything queued in one transaction (group commit), so
  one fsync covers every concurrent submission of that round.
* An integrating thread appends the newly sequenced leaves to the tile store, checks that the
  new tree is consistent with the last checkpoint, signs a C2SP checkpoint and commits tiles and
  checkpoint together (:func:`liturgia.tlog.tiles.integrate`). Entries sequenced before a crash
  but not yet integrated are integrated on the next start.
* :meth:`Sequencer.start` first verifies the stored tree against the last signed checkpoint
  and refuses to serve a tree that does not match (:func:`verify_stored_tree`), then checks
  that every stored entry body hashes to its leaf hash, incrementally
  (:func:`verify_stored_bodies`): an altered body is refused, never served.

Several processes may share one log (PostgreSQL, or one SQLite file). Every one sequences its
own submissions (the storage serialises index assignment), but only the holder of the storage's
**lead** (:meth:`LogStorage.try_lead`) integrates and signs; integrating in every process would
have them race for ``commit_tree``'s compare-and-swap and throw away the losers' tiles and
signatures. A follower watches the storage (:meth:`LogStorage.wait_for_change`: a pushed
notification on PostgreSQL, a cheap ``PRAGMA data_version`` poll on SQLite, every 2 ms while
one of its entries waits for integration, every 25 ms otherwise), adopts each newer tree after
checking its checkpoint signature, and asks for the lead every 250 ms, so the log keeps
integrating when the leader dies: the database or the kernel frees a dead leader's lease.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import NamedTuple

from liturgia._internal.clock import now
from liturgia._internal.logthrottle import ThrottledLog
from liturgia.errors import (
    LiturgiaError,
    ProofError,
    StorageError,
    StorageFullError,
    StoredEntryError,
)
from liturgia.tlog import merkle, tiles
from liturgia.tlog.checkpoint import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
    sign_checkpoint,
)
from liturgia.tlog.storage.base import Assigned, LogStorage, Seal, TreeState

__all__ = ["BODY_CHUNK", "Sequencer", "StoredTree", "verify_stored_bodies", "verify_stored_tree"]

#: Entries whose bodies are checked together; each full chunk checked is remembered in the log's
#: settings, so a start re-hashes at most one chunk of entries it checked before.
BODY_CHUNK = 16_384

_LOG = logging.getLogger(__name__)


class _Item(NamedTuple):
    """One queued submission."""

    leaf_hash: bytes
    entry: bytes
    keys: tuple[str, ...]
    future: Future[Assigned]


_STOP = object()

#: Seconds between checks of the storage while an entry waits for integration (or leading).
_FAST_POLL = 0.002
#: Seconds between checks when nothing waits.
_IDLE_POLL = 0.025
#: Seconds a blocking storage watch lasts before the watcher looks at its own state again.
_WATCH_WINDOW = 0.05
#: Seconds between a follower's attempts to take the lead.
_LEAD_RETRY = 0.25
#: Seconds a follower started on a never-signed log waits for the leader's first checkpoint.
_FIRST_CHECKPOINT_WAIT = 30.0


def _epoch_seconds() -> int:
    return int(now().timestamp())


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredTree:
    """A stored tree that passed :func:`verify_stored_tree`.

    Attributes:
        state: the stored state (size, root, signed checkpoint).
        checkpoint: the parsed, verified checkpoint, or ``None`` for a log never signed.
        sequenced: entries stored, integrated or not (``>= state.size``).
    """

    state: TreeState
    checkpoint: Checkpoint | None
    sequenced: int


def verify_stored_tree(
    storage: LogStorage,
    verifiers: Sequence[NoteVerifier],
    *,
    origin: str,
    full: bool = False,
    chunk: int = 65_536,
) -> StoredTree:
    """Check the stored tree against its last signed checkpoint.

    Checks: the checkpoint verifies under ``verifiers`` and carries ``origin``; its size and
    root are the stored state's; the root recomputed from the stored tiles is that root; and the
    right-edge leaf tile holds the stored entries' leaf hashes. With ``full``, every tile is also
    rebuilt from the stored leaf hashes (read in ``chunk``-sized pieces) and compared with the
    stored one: O(n) time and O(n) memory (about 32 bytes per leaf).

    Args:
        storage: the log storage.
        verifiers: the log's keys.
        origin: the log's checkpoint origin.
        full: also recompute the root from all leaves.
        chunk: leaves per read in the full check.

    Returns:
        The verified state.

    Raises:
        ProofError: the checkpoint is malformed or does not match the stored tree.
        SignatureError: the checkpoint is not signed by a known key.
        StorageError: the storage cannot be read or misses tiles.
    """
    state = storage.read_state()
    sequenced = storage.sequenced_size()
    if sequenced < state.size:
        raise ProofError(f"stored tree has size {state.size} but only {sequenced} entries")
    checkpoint: Checkpoint | None = None
    if state.checkpoint:
        checkpoint = open_checkpoint(state.checkpoint, verifiers, origin=origin)
        if (checkpoint.size, checkpoint.root_hash) != (state.size, state.root):
            raise ProofError(
                f"stored tree ({state.size}, {state.root.hex()}) does not match its checkpoint "
                f"({checkpoint.size}, {checkpoint.root_hash.hex()})"
            )
    elif state.size or state.root != merkle.EMPTY_ROOT:
        raise ProofError(f"stored tree has size {state.size} but no signed checkpoint")
    from_tiles = tiles.root(storage, state.size)
    if from_tiles != state.root:
        raise ProofError(
            f"root recomputed from stored tiles {from_tiles.hex()} does not match the "
            f"checkpoint root {state.root.hex()}"
        )
    edge = state.size - state.size % tiles.TILE_WIDTH
    if state.size > edge:
        key = tiles.TileKey(level=0, index=edge // tiles.TILE_WIDTH)
        row = storage.read_tiles([key]).get(key, b"")
        if row[: (state.size - edge) * merkle.HASH_SIZE] != b"".join(
            storage.read_leaf_hashes(edge, state.size)
        ):
            raise ProofError(f"leaf tile 0/{key.index} does not hold the stored entries' hashes")
    if full:
        _verify_all_tiles(storage, state, chunk)
    return StoredTree(state=state, checkpoint=checkpoint, sequenced=sequenced)


def verify_stored_bodies(storage: LogStorage, size: int, *, chunk: int = BODY_CHUNK) -> int:
    """Check that the bodies of entries ``[0, size)`` hash to their stored leaf hashes.

    Incremental: each full ``chunk`` of entries that passed is remembered with a log setting
    (``bodies_verified_<chunk>_<n>``, claimed once and never changed), and later calls start
    after the last remembered chunk. The tree itself (leaf hashes, tiles, root, checkpoint) is
    :func:`verify_stored_tree`'s job; this closes the gap where a body altered in the database
    would be served under the leaf hash of the original (RFC 9162 §2.1.1: the leaf hash is
    SHA-256(0x00 || body)).

    Args:
        storage: the log storage.
        size: how many entries to cover (the stored tree's size, or the sequenced count).
        chunk: entries per read and per remembered mark.

    Returns:
        How many bodies were hashed by this call.

    Raises:
        StoredEntryError: an entry's body is missing or does not hash to its leaf hash (the
            message names the entry's tree-local index).
        StorageError: the storage cannot be read or written.
    """
    start = 0
    while start + chunk <= size and storage.read_setting(_body_mark(start, chunk)) is not None:
        start += chunk
    hashed = 0
    for first in range(start, size, chunk):
        end = min(first + chunk, size)
        entries = storage.read_entries(range(first, end))
        missing = next((i for i in range(first, end) if i not in entries), None)
        if missing is not None:
            raise StoredEntryError(
                f"entry {missing} is in the tree but its body is not stored", index=missing
            )
        for index, expected in enumerate(storage.read_leaf_hashes(first, end), start=first):
            if merkle.leaf_hash(entries[index].body) != expected:
                raise StoredEntryError(
                    f"entry {index}: the stored body does not hash to its leaf hash "
                    f"{expected.hex()} (the body was altered after it was logged)",
                    index=index,
                )
        hashed += end - first
        if end - first == chunk:
            try:
                storage.claim_setting(_body_mark(first, chunk), "ok")
            except StorageFullError as exc:  # the mark only saves work: serve reads anyway
                _LOG.warning("cannot remember checked entry bodies: %s", exc)
    return hashed


def _body_mark(first: int, chunk: int) -> str:
    return f"bodies_verified_{chunk}_{first // chunk}"


def _verify_all_tiles(storage: LogStorage, state: TreeState, chunk: int) -> None:
    """Rebuild every tile from the stored leaves and compare it with the stored one."""
    rebuilt = tiles.TileTree()
    for start in range(0, state.size, chunk):
        rebuilt.append(storage.read_leaf_hashes(start, min(start + chunk, state.size)))
    if rebuilt.size != state.size or rebuilt.root != state.root:
        raise ProofError(
            f"root recomputed from {rebuilt.size} stored leaves does not match the checkpoint"
        )
    keys = rebuilt.tile_keys()
    for start in range(0, len(keys), 256):
        batch = keys[start : start + 256]
        expected = rebuilt.read_tiles(batch)
        stored = storage.read_tiles(batch)
        for key in batch:
            if stored.get(key) != expected[key]:
                raise ProofError(f"stored tile {key.level}/{key.index} does not match the leaves")


class Sequencer:
    """Accepts entries, makes them durable in batches, integrates and signs checkpoints.

    Args:
        storage: the log storage (the caller closes it after :meth:`close`).
        signer: the log's checkpoint key.
        origin: the checkpoint origin (for Sigstore clients :func:`~.checkpoint.rekor_origin`).
        verifiers: keys accepted for the stored checkpoint at start (key rotation); the
            signer's own key is always accepted.
        max_batch: most entries stored per transaction.
        max_integrate: most leaves integrated per checkpoint.
        verify_full: rebuild every tile from the stored leaves at start (O(n)).
        node_cache: full-subtree hashes kept in memory for serving proofs (LRU, count).
        tile_levels_bytes: memory for full tiles' folded inner nodes (LRU, bytes): a proof
            for an entry in a full tile is sliced from that tile.
        clock: returns the time stored with each batch (Rekor's ``integratedTime``), seconds
            since the epoch; default :func:`liturgia._internal.clock.now`.
        seal: made for each new entry as it is stored, and stored with it (see
            :meth:`LogStorage.sequence <liturgia.tlog.storage.base.LogStorage.sequence>`).

    Use as a context manager, or call :meth:`start` and :meth:`close`.
    """

    def __init__(
        self,
        storage: LogStorage,
        signer: NoteSigner,
        *,
        origin: str,
        verifiers: Sequence[NoteVerifier] = (),
        max_batch: int = 4096,
        max_integrate: int = 65_536,
        verify_full: bool = False,
        node_cache: int = 1 << 16,
        tile_levels_bytes: int = 16 << 20,
        clock: Callable[[], int] | None = None,
        seal: Seal | None = None,
    ) -> None:
        self._storage = storage
        self._signer = signer
        self.origin = origin
        self._verifiers = (signer.verifier(), *verifiers)
        self._max_batch = max_batch
        self._max_integrate = max_integrate
        self._verify_full = verify_full
        self._queue: queue.SimpleQueue[_Item | object] = queue.SimpleQueue()
        self._state = TreeState()
        self._sequenced = 0
        lock = threading.Lock()
        # Two conditions on one lock: waiters of a new tree, and the worker threads' wake-ups
        # (so that a submission or a watcher tick does not wake every waiting client).
        self._changed = threading.Condition(lock)
        self._wake = threading.Condition(lock)
        self._failure: LiturgiaError | None = None
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._started = False
        self._accepting = False
        self._accepting_lock = threading.Lock()
        self._nodes = tiles.NodeCache(node_cache)
        self._levels = tiles.TileLevels(tile_levels_bytes)
        # As many tiles' upper paths as folded tiles fit in ``tile_levels_bytes``.
        self._tile_proofs = tiles.TileProofs(tile_levels_bytes // (2 * tiles.TILE_WIDTH * 32))
        self._clock = clock or _epoch_seconds
        self._seal = seal
        self._leading = False
        self._external = False  # the watcher saw a change made elsewhere
        self._waiters = 0
        # A failing storage fails every batch alike: one line per kind and interval.
        self._trouble = ThrottledLog(_LOG)

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> Sequencer:
        """Start and return the sequencer."""
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the sequencer (drains queued entries)."""
        self.close()

    def start(self) -> StoredTree:
        """Verify the stored tree, integrate leftovers if leading, and start the worker threads.

        A process that does not get the lead serves the stored tree and follows the leader's;
        on a log never signed it first waits (up to 30 s) for the leader's first checkpoint.

        Returns:
            The verified stored tree, as found before integrating leftovers.

        Raises:
            ProofError: the stored tree does not match its signed checkpoint (nothing served).
            SignatureError: the stored checkpoint is not signed by a known key.
            StorageError: the storage failed, or no leader signed a first checkpoint in time.
        """
        if self._started:
            raise StorageError("sequencer already started")
        deadline = time.monotonic() + _FIRST_CHECKPOINT_WAIT
        while True:
            stored = verify_stored_tree(
                self._storage, self._verifiers, origin=self.origin, full=self._verify_full
            )
            self._leading = self._storage.try_lead()
            if self._leading or stored.checkpoint is not None:
                break
            if time.monotonic() > deadline:
                raise StorageError(
                    f"no leader signed the log's first checkpoint within {_FIRST_CHECKPOINT_WAIT} s"
                )
            time.sleep(0.01)
        verify_stored_bodies(self._storage, stored.sequenced)
        self._state, self._sequenced = stored.state, stored.sequenced
        self._failure = None
        if self._leading:
            if stored.checkpoint is None:
                self._sign_empty()
            try:
                while self._integrate_once():
                    pass
            except StorageFullError as exc:
                # Serve the signed tree (reads, monitors) while the disk is full; the
                # integrating thread retries the leftovers until space returns.
                _LOG.warning("cannot integrate entries stored before the start: %s", exc)
                self._failure = exc
        self._started = self._accepting = True
        self._stopping = False
        for name, target in (
            ("sequence", self._sequence_loop),
            ("integrate", self._integrate_loop),
            ("watch", self._watch_loop),
        ):
            thread = threading.Thread(target=target, name=f"tlog-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        _LOG.info(
            "log %s serving tree of size %d (%s)",
            self.origin,
            self._state.size,
            "leading" if self._leading else "following",
        )
        return stored

    def close(self) -> None:
        """Store everything queued, integrate it if leading, stop the threads, give up the lead.

        A follower's entries are durable when this returns; the leader integrates them.
        """
        if not self._started:
            return
        with self._accepting_lock:
            self._accepting = False
            self._queue.put(_STOP)  # after every accepted entry: all of them get stored
        self._threads[0].join()
        with self._changed:
            self._stopping = True
            self._wake.notify_all()
        for thread in self._threads[1:]:
            thread.join()
        if self._leading:
            self._storage.release_lead()
            self._leading = False
        self._started = False
        self._threads.clear()

    @property
    def leading(self) -> bool:
        """Whether this sequencer holds the log's lead (integrates and signs) at the moment."""
        return self._leading

    # -- submissions ---------------------------------------------------------------------------

    def submit(self, entry: bytes, *, index_keys: Sequence[str] = ()) -> Future[Assigned]:
        """Queue ``entry``; the future resolves to its :class:`Assigned` once durable.

        Args:
            entry: the leaf bytes.
            index_keys: search keys stored with a new entry (see ``LogStorage.sequence``).

        Raises:
            StorageError: the sequencer is not running.
        """
        future: Future[Assigned] = Future()
        item = _Item(merkle.leaf_hash(entry), entry, tuple(index_keys), future)
        with self._accepting_lock:
            if not self._accepting:
                raise StorageError("sequencer is not running")
            self._queue.put(item)
        return future

    def add(
        self, entry: bytes, *, index_keys: Sequence[str] = (), timeout: float | None = 30.0
    ) -> Assigned:
        """Store ``entry`` and return its index once durable (a duplicate gets the existing one).

        Args:
            entry: the leaf bytes (for Rekor, the canonicalized entry body).
            index_keys: search keys stored with a new entry.
            timeout: seconds to wait for the batch to commit.

        Raises:
            StorageError: the batch could not be stored, or the wait timed out.
        """
        future = self.submit(entry, index_keys=index_keys)
        try:
            return future.result(timeout)
        except TimeoutError as exc:
            raise StorageError(f"entry not stored within {timeout} s") from exc

    def wait_integrated(self, index: int, *, timeout: float | None = 30.0) -> TreeState:
        """Block until the tree includes leaf ``index``; return the tree state that does.

        Raises:
            StorageError: integration failed or did not happen within ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            if self._state.size > index:
                return self._state
            self._waiters += 1
            if self._waiters == 1 and not self._leading:
                self._wake.notify_all()  # the watcher polls fast while anyone waits
            try:
                while self._state.size <= index:
                    if self._failure is not None:
                        raise StorageError(
                            f"integration failed: {self._failure}"
                        ) from self._failure
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        raise StorageError(f"leaf {index} not integrated within {timeout} s")
                    self._changed.wait(remaining)
                return self._state
            finally:
                self._waiters -= 1

    # -- reads ---------------------------------------------------------------------------------

    def latest_state(self) -> TreeState:
        """Return the newest signed tree: this process's, or a newer one another stored.

        With several processes on one log, a follower's view trails the leader's by a poll;
        a read that must not go back in time (a tree size, an entry just acknowledged by
        another process) asks the storage. A newer stored tree is adopted once its checkpoint
        verifies.

        Raises:
            ProofError: the stored tree does not match its checkpoint.
            SignatureError: the stored checkpoint is not signed by a known key.
            StorageError: the storage failed.
        """
        return self._adopt_stored(settle=False)

    def state(self) -> TreeState:
        """Return the latest integrated tree state (size, root, signed checkpoint)."""
        with self._changed:
            return self._state

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> tuple[bytes, ...]:
        """Return the inclusion proof of ``index`` at ``tree_size`` (default: latest), from tiles.

        Raises:
            ValueError: ``tree_size`` is beyond the tree or ``index`` is not below it.
            StorageError: the storage failed.
        """
        size = self._checked_size(tree_size)
        return tiles.inclusion_proof(
            self._storage, index, size, cache=self._nodes, levels=self._levels
        )

    def proven_leaf(self, index: int, state: TreeState) -> tuple[tuple[bytes, ...], bytes] | None:
        """Return leaf ``index``'s inclusion proof at ``state`` and the leaf hash the tree holds.

        Answered from the caches for a leaf in a full tile (:class:`~.tiles.TileProofs`: its
        tile proven into ``state.root`` once per tree size); ``None`` otherwise, when the
        caller computes :meth:`inclusion_proof` and verifies it (RFC 9162 §2.1.3.2).

        Raises:
            StorageError: the storage failed.
        """
        return self._tile_proofs.proof(
            self._storage,
            index,
            state.size,
            state.root,
            cache=self._nodes,
            levels=self._levels,
        )

    def inclusion_proofs(
        self, indexes: Sequence[int], tree_size: int
    ) -> tuple[tuple[bytes, ...], ...]:
        """Return the inclusion proofs of several leaves at ``tree_size``, sharing tile reads.

        See :func:`liturgia.tlog.tiles.inclusion_proofs` (RFC 9162 §2.1.3.1).

        Raises:
            ValueError: ``tree_size`` is beyond the tree or an index is not below it.
            StorageError: the storage failed.
        """
        size = self._checked_size(tree_size)
        return tiles.inclusion_proofs(
            self._storage, indexes, size, cache=self._nodes, levels=self._levels
        )

    def consistency_proof(self, size1: int, size2: int | None = None) -> tuple[bytes, ...]:
        """Return the consistency proof from ``size1`` to ``size2`` (default: latest), from tiles.

        Raises:
            ValueError: ``size2`` is beyond the tree, or not ``0 < size1 <= size2``.
            StorageError: the storage failed.
        """
        size2 = self._checked_size(size2)
        return tiles.consistency_proof(
            self._storage, size1, size2, cache=self._nodes, levels=self._levels
        )

    def _checked_size(self, tree_size: int | None) -> int:
        size = self.state().size
        if tree_size is None:
            return size
        if tree_size > size:
            raise ValueError(f"tree size {tree_size} is beyond the tree ({size} leaves)")
        return tree_size

    # -- workers -------------------------------------------------------------------------------

    def _sequence_loop(self) -> None:
        stop = False
        while not stop:
            batch: list[_Item] = []
            item = self._queue.get()
            while True:
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)  # type: ignore[arg-type]
                if len(batch) >= self._max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._store(batch)

    def _store(self, batch: list[_Item]) -> None:
        try:
            assigned = self._storage.sequence(
                [(item.leaf_hash, item.entry) for item in batch],
                integrated_time=self._clock(),
                index_keys=[item.keys for item in batch],
                seal=self._seal,
            )
        except LiturgiaError as exc:
            self._trouble.log(
                logging.ERROR, "store", "storing %d entries failed: %s", len(batch), exc
            )
            for item in batch:
                item.future.set_exception(exc)
            return
        self._trouble.flush("store")
        for item, result in zip(batch, assigned, strict=True):
            item.future.set_result(result)
        with self._changed:
            self._sequenced = max(self._sequenced, max(a.index for a in assigned) + 1)
            self._wake.notify_all()

    def _integrate_loop(self) -> None:
        """Lead: integrate what is sequenced (here or elsewhere); follow: adopt the stored tree."""
        next_try = time.monotonic() + _LEAD_RETRY
        while True:
            with self._changed:
                while not (self._stopping or self._external or self._has_work()):
                    if self._leading:
                        self._wake.wait()
                        continue
                    remaining = next_try - time.monotonic()
                    if remaining <= 0:
                        break
                    self._wake.wait(remaining)
                stopping = self._stopping
                self._external = False
            try:
                if not self._leading and time.monotonic() >= next_try:
                    next_try = time.monotonic() + _LEAD_RETRY
                    self._take_lead()
                if self._leading and not self._storage.try_lead():
                    self._set_leading(False)
                if self._leading:
                    while self._integrate_once():
                        pass
                else:
                    self._refresh()
            except LiturgiaError as exc:
                self._trouble.log(logging.ERROR, "integrate", "integration failed: %s", exc)
                with self._changed:
                    self._failure = exc
                    self._changed.notify_all()
                if stopping:
                    return  # the entries are durable; the next start integrates them
                time.sleep(0.1)  # storage trouble: retry without spinning
                continue
            if stopping:
                return

    def _has_work(self) -> bool:
        """Whether the leader has sequenced entries to integrate (the lock is held)."""
        return self._leading and self._sequenced > self._state.size

    def _set_leading(self, leading: bool) -> None:
        with self._changed:
            if self._leading and not leading:
                _LOG.warning("log %s lost the lead; following", self.origin)
            self._leading = leading
            self._wake.notify_all()

    def _take_lead(self) -> None:
        """Ask for the lead; on taking over, check the stored tree as :meth:`start` does."""
        if not self._storage.try_lead():
            return
        try:
            verify_stored_tree(self._storage, self._verifiers, origin=self.origin)
        except LiturgiaError:
            self._storage.release_lead()
            raise
        _LOG.info("log %s took the lead", self.origin)
        self._set_leading(True)

    def _refresh(self) -> None:
        """Adopt the stored tree if it grew (a follower's integrating thread)."""
        self._adopt_stored(settle=True)

    def _adopt_stored(self, *, settle: bool) -> TreeState:
        """Adopt the stored tree if it grew, once its checkpoint verifies; return the tree.

        ``settle``: the integrating thread's refresh, which also clears a past failure (a
        reader's refresh leaves that to it).
        """
        stored = self._storage.read_state()
        with self._changed:
            if stored.size <= self._state.size:
                if settle:
                    self._failure = None
                return self._state
        checkpoint = open_checkpoint(stored.checkpoint, self._verifiers, origin=self.origin)
        if (checkpoint.size, checkpoint.root_hash) != (stored.size, stored.root):
            raise ProofError(
                f"stored tree ({stored.size}, {stored.root.hex()}) does not match its checkpoint"
            )
        with self._changed:
            if stored.size > self._state.size:
                self._state = stored
            if settle:
                self._failure = None
            self._changed.notify_all()
            return self._state

    def _watch_loop(self) -> None:
        """Wake the integrating thread when another process changed the log."""
        while True:
            with self._changed:
                if self._stopping:
                    return
                if not self._fast():
                    self._wake.wait(_IDLE_POLL)  # own submissions and waiters wake it early
                    if self._stopping:
                        return
                fast = self._fast()
            try:
                changed = self._storage.wait_for_change(
                    _WATCH_WINDOW if fast else 0.0, poll=_FAST_POLL
                )
            except LiturgiaError as exc:
                self._trouble.log(
                    logging.WARNING, "watch", "watching the log storage failed: %s", exc
                )
                changed = True  # poll instead
                time.sleep(_IDLE_POLL)
            if changed:
                with self._changed:
                    self._external = True
                    self._wake.notify_all()

    def _fast(self) -> bool:
        """Whether the storage is watched closely (the lock is held)."""
        return self._leading or self._waiters > 0 or self._sequenced > self._state.size

    def _sign_empty(self) -> None:
        state = self._signed(TreeState(), ())
        self._storage.commit_tree(old_size=0, state=state, tiles=())
        with self._changed:
            self._state = state

    def _signed(self, state: TreeState, extensions: tuple[str, ...]) -> TreeState:
        body = Checkpoint(
            origin=self.origin, size=state.size, root_hash=state.root, extensions=extensions
        )
        return TreeState(
            size=state.size, root=state.root, checkpoint=sign_checkpoint(body, [self._signer])
        )

    def _integrate_once(self) -> bool:
        """Integrate up to ``max_integrate`` sequenced leaves; return whether to go on.

        The tree state is read from the storage, not from memory: with a shared database
        another process's sequencer may have moved the tree, and then its tree is adopted.
        """
        old = self._storage.read_state()
        with self._changed:
            if old.size > self._state.size:
                self._state = old
                self._changed.notify_all()
        leaves = self._storage.read_leaf_hashes(old.size, old.size + self._max_integrate)
        if not leaves:
            return False
        result = tiles.integrate(self._storage, old.size, leaves, cache=self._nodes)
        if old.size:
            # Never sign a checkpoint inconsistent with the last one (c2sp.org/tlog-checkpoint
            # §"Signatures"): prove the new tree extends the old before signing it.
            view = _Overlay(self._storage, dict(result.tiles))
            proof = tiles.consistency_proof(view, old.size, result.size, cache=self._nodes)
            merkle.verify_consistency(
                size1=old.size, size2=result.size, proof=proof, root1=old.root, root2=result.root
            )
        new = self._signed(TreeState(size=result.size, root=result.root), ())
        try:
            self._storage.commit_tree(old_size=old.size, state=new, tiles=result.tiles)
        except StorageError:
            if self._storage.read_state().size == old.size:
                raise
            return True  # another sequencer integrated first: start again from its tree
        with self._changed:
            self._state = new
            self._failure = None
            self._sequenced = max(self._sequenced, new.size)
            self._changed.notify_all()
        self._trouble.flush("integrate")
        return True


class _Overlay:
    """Tiles about to be written, over the stored ones (for the pre-signing self-check)."""

    def __init__(self, storage: LogStorage, pending: dict[tiles.TileKey, bytes]) -> None:
        self._storage = storage
        self._pending = pending

    def read_tiles(self, keys: Collection[tiles.TileKey]) -> Mapping[tiles.TileKey, bytes]:
        wanted = list(keys)
        out = dict(self._storage.read_tiles([k for k in wanted if k not in self._pending]))
        out.update({k: self._pending[k] for k in wanted if k in self._pending})
        return out
