"""Issue 6's crash test over HTTP: kill -9 a real ``liturgia serve`` during bursts, 20 times.

Run once over SQLite and once over PostgreSQL (a throwaway cluster on a free loopback port).
Each round starts ``liturgia serve`` on the same database (a free loopback port), sends a
burst of concurrent hashedrekord submissions (real P-256 signatures made by ``liturgia.sign``;
a share are retries of submissions the previous crash left unanswered), and SIGKILLs the server
at a random moment of the burst (after its first acknowledgement). After each restart:

* the restarted log's signed checkpoint verifies under the log key and is consistent (a
  consistency proof from ``GET /api/v1/log/proof``) with every earlier restart's checkpoint
  and with every checkpoint handed out in a 201 answer since;
* every entry that got a 201 in the round before (and a sample of older ones) is served by
  UUID at the same ``logIndex``, with an inclusion proof that verifies against a signed
  checkpoint (and its SET);
* a retry of an entry already logged gets 409 naming it, never a second index.

At the end every acknowledged entry is checked so, and every index of the tree is read back:
no UUID appears twice. The figures (availability during the bursts, time from a kill to the
restarted server answering, acknowledged and lost entries) are printed and written as JSON to
``$LITURGIA_CHAOS_OUT`` (:mod:`tests.chaos.results`). Only loopback traffic,
bounded counts (at most ``BURST`` submissions a round) and time (each wait has a deadline).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from liturgia import sign
from liturgia.tlog import merkle, rekor
from liturgia.tlog.checkpoint import Checkpoint, open_checkpoint, verifier_for
from tests.chaos.results import record_result
from tests.chaos.serve import HOST, Serve, signed_bundles
from tests.contract.tlog.pgcluster import pg_url, throwaway_cluster

ROUNDS = int(os.environ.get("LITURGIA_CHAOS_ROUNDS", "20"))
CLIENTS = 16
BURST = 48


@dataclass
class Round:
    """What the clients saw during one burst."""

    created: dict[str, int] = field(default_factory=dict)  # UUID -> logIndex, from 201s
    conflicts: dict[str, str] = field(default_factory=dict)  # UUID asked -> Location of a 409
    unanswered: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    checkpoints: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    first_ack: threading.Event = field(default_factory=threading.Event)  # set at the first 201
    sent: int = 0  # submissions sent (each answered 201/409 counts as answered correctly)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The ``--db`` URL of the log: an SQLite file, or a throwaway PostgreSQL cluster."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'tlog' / 'log.db'}"
        return
    with throwaway_cluster(max_connections=50) as dsn:
        yield pg_url(dsn)


def _proposals(tmp_path: Path, count: int) -> list[tuple[str, dict[str, Any]]]:
    """``count`` distinct tagged hashedrekord proposals signed by one real P-256 key."""
    bundles, signer = signed_bundles(tmp_path, count)
    made = []
    for number, bundle in enumerate(bundles):
        proposed = sign.proposed_entry(sign.parse_bundle(bundle), signer.public_key)
        made.append((f"fresh-{number}", proposed))
    return made


def _burst(url: str, work: list[tuple[str, dict[str, Any]]], seen: Round) -> None:
    """Submit ``work`` from ``CLIENTS`` threads until done or the server dies."""
    queue = list(reversed(work))

    def client() -> None:
        with httpx.Client(base_url=url, timeout=20) as http:
            while True:
                with seen.lock:
                    if not queue:
                        return
                    item = queue.pop()
                    seen.sent += 1
                try:
                    answer = http.post("/api/v1/log/entries", json=item[1])
                except httpx.TransportError:
                    with seen.lock:
                        seen.unanswered.append(item)
                    continue
                with seen.lock:
                    if answer.status_code == 201:
                        ((entry_id, value),) = answer.json().items()
                        seen.created[entry_id[-64:]] = int(value["logIndex"])
                        proof = value["verification"]["inclusionProof"]
                        seen.checkpoints.append(proof["checkpoint"].encode())
                        seen.first_ack.set()
                    elif answer.status_code == 409:
                        seen.conflicts[item[0]] = answer.headers["location"]
                    else:  # a 503 while dying is an unanswered request, not an ack
                        seen.unanswered.append(item)

    with ThreadPoolExecutor(CLIENTS) as pool:
        for future in [pool.submit(client) for _ in range(CLIENTS)]:
            future.result(timeout=60)


def _consistent(http: httpx.Client, old: Checkpoint, new: Checkpoint) -> None:
    assert new.size >= old.size, f"rollback from {old.size} to {new.size}"
    if old.size == new.size or old.size == 0:
        assert old.size == 0 or old.root_hash == new.root_hash, f"fork at size {old.size}"
        return
    answer = http.get("/api/v1/log/proof", params={"firstSize": old.size, "lastSize": new.size})
    assert answer.status_code == 200, answer.text
    proof = [bytes.fromhex(h) for h in answer.json()["hashes"]]
    merkle.verify_consistency(
        size1=old.size, size2=new.size, proof=proof, root1=old.root_hash, root2=new.root_hash
    )


def _check_entries(
    http: httpx.Client, expected: dict[str, int], key: Any, origin: str, seed: int
) -> None:
    """Each UUID is served at its index with a proof verifying against a signed checkpoint."""
    for uuid, index in sorted(expected.items()):
        answer = http.get(f"/api/v1/log/entries/{uuid}")
        assert answer.status_code == 200, f"seed {seed}: acked {uuid} lost: {answer.text}"
        entry = rekor.LogEntry.from_api_json(answer.json())
        assert entry.log_index == index, f"seed {seed}: {uuid} moved"
        rekor.verify_log_entry(entry, key, key_name=HOST, origin=origin)


def test_kill9_during_bursts_loses_nothing_acknowledged(
    tmp_path: Path, started: list[Serve], database: str
) -> None:
    seed = int(os.environ.get("LITURGIA_CHAOS_SEED", str(time.time_ns() % 1_000_000)))
    chooser = random.Random(seed)  # noqa: S311 - kill timing, not crypto
    key_path = tmp_path / "log.key.pem"
    fresh = _proposals(tmp_path, ROUNDS * BURST)
    acked: dict[str, int] = {}  # UUID -> logIndex of every 201 ever
    conflicts: list[str] = []  # Location of every 409 a retry got
    restarts: list[Checkpoint] = []
    handed_out: list[bytes] = []
    retries: list[tuple[str, dict[str, Any]]] = []
    latest: dict[str, int] = {}
    key = None
    origin = ""
    begin = time.monotonic()
    killed_at: float | None = None
    recoveries: list[float] = []  # seconds from each kill to the restarted server answering
    sent = answered = 0
    for number in range(ROUNDS):
        server = Serve(database, key_path, tmp_path)
        started.append(server)
        if killed_at is not None:
            recoveries.append(time.monotonic() - killed_at)
        if key is None:
            pem = key_path.read_bytes()
            key = serialization.load_pem_private_key(pem, password=None).public_key()
        verifiers = (verifier_for(HOST, key),)
        with httpx.Client(base_url=server.url, timeout=20) as http:
            info = http.get("/api/v1/log").json()
            origin = f"{HOST} - {info['treeID']}"
            now = open_checkpoint(info["signedTreeHead"].encode(), verifiers, origin=origin)
            assert now.size == info["treeSize"] and now.root_hash.hex() == info["rootHash"]
            # Consistent with every earlier restart and every checkpoint a 201 carried.
            for old in restarts:
                _consistent(http, old, now)
            for note in handed_out:
                _consistent(http, open_checkpoint(note, verifiers, origin=origin), now)
            handed_out.clear()
            restarts.append(now)
            # The last round's acknowledged entries, and a sample of older ones, are there.
            older = sorted(set(acked) - set(latest))
            sample = chooser.sample(older, min(len(older), 16))
            _check_entries(http, {u: acked[u] for u in [*latest, *sample]}, key, origin, seed)

        # The burst: fresh entries and the last crash's unanswered ones, killed at random.
        work = retries + fresh[number * BURST : (number + 1) * BURST - len(retries)]
        seen = Round()
        burster = threading.Thread(target=_burst, args=(server.url, work, seen))
        burster.start()
        # Killed at a random moment after the round's first 201 (on a loaded machine the
        # server can take longer than any fixed delay to answer its first submission).
        assert seen.first_ack.wait(timeout=30), f"seed {seed}: no 201 in 30 s of round {number}"
        time.sleep(chooser.uniform(0.0, 0.4))
        server.kill()
        killed_at = time.monotonic()
        burster.join(timeout=60)
        assert not burster.is_alive()
        overlap = set(seen.created) & set(acked)
        assert not overlap, f"seed {seed}: re-created with a 201: {sorted(overlap)[:3]}"
        acked.update(seen.created)
        latest = dict(seen.created)
        conflicts.extend(seen.conflicts.values())
        sent += seen.sent
        answered += len(seen.created) + len(seen.conflicts)
        handed_out.extend(seen.checkpoints)
        retries = seen.unanswered

    # A last start: nothing acked is lost, and no UUID holds two indexes.
    server = Serve(database, key_path, tmp_path)
    started.append(server)
    assert killed_at is not None
    recoveries.append(time.monotonic() - killed_at)
    duration = time.monotonic() - begin
    with httpx.Client(base_url=server.url, timeout=20) as http:
        info = http.get("/api/v1/log").json()
        size = int(info["treeSize"])
        now = open_checkpoint(info["signedTreeHead"].encode(), (verifier_for(HOST, key),))
        for old in restarts:
            _consistent(http, old, now)
        _check_entries(http, acked, key, f"{HOST} - {info['treeID']}", seed)  # all of them
        at: dict[str, int] = {}
        for start in range(0, size, 10):
            asked = list(range(start, min(start + 10, size)))
            answer = http.post("/api/v1/log/entries/retrieve", json={"logIndexes": asked})
            assert answer.status_code == 200, answer.text
            for found in answer.json():
                ((entry_id, value),) = found.items()
                uuid = entry_id[-64:]
                twice = f"seed {seed}: {uuid} at {at.get(uuid)} and {value['logIndex']}"
                assert uuid not in at, twice
                at[uuid] = int(value["logIndex"])
    assert sorted(at.values()) == list(range(size))
    assert {uuid: at.get(uuid) for uuid in acked} == acked
    assert len(acked) > 0 and size >= len(acked)
    for location in conflicts:  # a 409 names an entry that is in the log
        assert location.rsplit("/", 1)[1][-64:] in at, f"seed {seed}: 409 to missing {location}"
    print(
        f"seed {seed}: {ROUNDS} kills, {len(acked)} acknowledged, {len(conflicts)} retries "
        f"answered 409, tree size {size}"
    )
    kind = "sqlite" if database.startswith("sqlite") else "postgresql"
    record_result(
        experiment=f"kill9-{kind}",
        fault=f"SIGKILL of liturgia serve ({kind}) at a random moment of a burst, {ROUNDS} times",
        duration_s=duration,
        load=f"{CLIENTS} clients, bursts of {BURST} signed hashedrekord submissions",
        availability=answered / sent if sent else 0.0,
        time_to_recover_s=sum(recoveries) / len(recoveries),
        acknowledged=len(acked),
        lost=0,  # every acknowledged entry was read back with a verifying proof above
        seed=seed,
        worst_time_to_recover_s=round(max(recoveries), 3),
    )
