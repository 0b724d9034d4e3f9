"""kill -9 during a burst of submissions, restart, check: on every durable backend.

Every entry acknowledged (its index returned) before the kill is present with a valid inclusion
proof after the restart; every checkpoint is consistent with the earlier ones; nothing is
stored twice. The child process opens the log by its ``--db`` URL, as the server will.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from liturgia.tlog import merkle
from liturgia.tlog.checkpoint import Ed25519NoteSigner, open_checkpoint
from liturgia.tlog.sequencer import Sequencer
from liturgia.tlog.storage import open_storage

SEED = bytes(range(32))
ORIGIN = "log.example - 7"


def signer() -> Ed25519NoteSigner:
    return Ed25519NoteSigner("log.example", ed25519.Ed25519PrivateKey.from_private_bytes(SEED))


CHILD = textwrap.dedent(
    """
    import sys, threading
    from pathlib import Path
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from liturgia.tlog.checkpoint import Ed25519NoteSigner
    from liturgia.tlog.sequencer import Sequencer
    from liturgia.tlog.storage import open_storage

    url, round_, seed = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
    signer = Ed25519NoteSigner("log.example", ed25519.Ed25519PrivateKey.from_private_bytes(seed))
    seq = Sequencer(open_storage(url), signer, origin=sys.argv[4], max_batch=64)
    seq.start()
    lock = threading.Lock()
    print("ready", flush=True)

    def worker(k):
        for i in range(100000):
            body = f"{round_}-{k}-{i}".encode()
            a = seq.add(body)
            with lock:
                sys.stdout.write(f"ack {a.index} {body.hex()}\\n")
                sys.stdout.flush()

    for k in range(16):
        threading.Thread(target=worker, args=(k,), daemon=True).start()
    threading.Event().wait()
    """
)


def _crash_rounds(backend: Any, tmp_path: Path, rounds: int) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    rng = random.Random(1234)  # noqa: S311 - kill timing, not cryptography
    acked: dict[int, bytes] = {}
    heads: list[tuple[int, bytes]] = []
    for round_ in range(rounds):
        child = subprocess.Popen(
            [sys.executable, str(script), backend.url, str(round_), SEED.hex(), ORIGIN],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        want = rng.randint(1, 400)
        seen = 0
        deadline = time.monotonic() + 20
        lines = []
        while seen < want and time.monotonic() < deadline:
            line = child.stdout.readline()
            lines.append(line)
            seen += line.startswith("ack ")
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        lines.extend(child.stdout.read().splitlines())
        child.stdout.close()
        fresh: list[int] = []
        for line in lines:
            if line.startswith("ack "):
                _, index, body = line.split()
                assert int(index) not in acked, "an index was handed out twice"
                acked[int(index)] = bytes.fromhex(body)
                fresh.append(int(index))
        # Restart: verify the stored tree (fully), integrate leftovers, check everything acked.
        storage = open_storage(backend.url)
        with Sequencer(storage, signer(), origin=ORIGIN, verify_full=True) as seq:
            state = seq.state()
            head = open_checkpoint(state.checkpoint, [signer().verifier()], origin=ORIGIN)
            assert state.size == storage.sequenced_size() >= len(acked)
            for index, body in acked.items():
                stored = storage.read_entry(index)
                assert stored is not None and stored.body == body
            # Proofs for this round's entries and a sample of earlier ones.
            older = sorted(set(acked) - set(fresh))
            for index in fresh + rng.sample(older, min(50, len(older))):
                body = acked[index]
                merkle.verify_inclusion(
                    leaf_hash=merkle.leaf_hash(body),
                    index=index,
                    tree_size=state.size,
                    proof=seq.inclusion_proof(index),
                    root=head.root_hash,
                )
            for size, root in heads:
                if size:
                    merkle.verify_consistency(
                        size1=size,
                        size2=state.size,
                        proof=seq.consistency_proof(size),
                        root1=root,
                        root2=state.root,
                    )
            heads.append((state.size, state.root))
        leaf_hashes = storage.read_leaf_hashes(0, state.size)
        assert len(set(leaf_hashes)) == len(leaf_hashes) == state.size, "an entry is duplicated"
        storage.close()
    assert len(acked) >= rounds


def test_kill_9_during_burst_loses_no_acknowledged_entry(
    durable_backend: Any, tmp_path: Path
) -> None:
    _crash_rounds(durable_backend, tmp_path, rounds=5)


@pytest.mark.slow
def test_kill_9_twenty_times(durable_backend: Any, tmp_path: Path) -> None:
    _crash_rounds(durable_backend, tmp_path, rounds=20)
