"""Two real ``liturgia serve`` processes on one log (one SQLite file, one PostgreSQL schema).

Submissions are spread over both servers. One process leads (integrates and signs), the other
sequences its own submissions and follows. Checked: every 201 answer's entry verifies (inclusion
proof against its checkpoint, checkpoint and SET under the log key); a resubmission to the other
server answers 409 naming the same entry; both servers end up serving the same signed
checkpoint; every checkpoint handed out is consistent with it; no entry is stored twice. Then the
leader is killed with SIGKILL in the middle of a burst: the follower takes the lead and
integrates everything either server acknowledged. Loopback only, bounded counts and deadlines.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from liturgia import sign
from liturgia.tlog import merkle, rekor
from liturgia.tlog.checkpoint import Checkpoint, open_checkpoint, verifier_for
from tests.contract.tlog.pgcluster import new_schema, pg_url, throwaway_cluster
from tests.integration.server.conftest import HOST, Server

pytestmark = pytest.mark.slow

CLIENTS = 8


@pytest.fixture(scope="module")
def pg_log_database() -> Iterator[str]:
    """A throwaway cluster for this module; yields a DSN to a database made for the tests."""
    import psycopg  # noqa: PLC0415 - PostgreSQL tests only

    with throwaway_cluster() as dsn, psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE DATABASE multi")
        yield dsn.replace("dbname=postgres", "dbname=multi")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_options(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, ...]:
    """Extra ``liturgia serve`` options naming the shared log and its key.

    (The server fixture names an SQLite file with ``--db``; a later ``--db`` wins.)
    """
    key = ("--key", str(tmp_path / "log.key.pem"))
    if request.param == "sqlite":
        return key
    dsn = new_schema(request.getfixturevalue("pg_log_database"))
    return ("--db", pg_url(dsn), *key)


def _proposals(tmp_path: Path, count: int, tag: str) -> list[dict[str, Any]]:
    """``count`` distinct hashedrekord proposals signed by one real P-256 key."""
    sign.generate_key_pair(tmp_path / f"{tag}.key", tmp_path / f"{tag}.pub", password=b"pw")
    signer = sign.load_signer(str(tmp_path / f"{tag}.key"), password=b"pw")
    made = []
    for number in range(count):
        data = b"%s release %d\n" % (tag.encode(), number)
        bundle = sign.parse_bundle(sign.sign_bytes(data, signer))
        made.append(sign.proposed_entry(bundle, signer.public_key))
    return made


class Log:
    """What the clients saw from the shared log."""

    def __init__(self, tmp_path: Path) -> None:
        pem = (tmp_path / "log.key.pem").read_bytes()
        self.key = serialization.load_pem_private_key(pem, password=None).public_key()
        self.verifiers = (verifier_for(HOST, self.key),)
        self.origin = ""
        self.acked: dict[str, int] = {}  # UUID -> logIndex of every 201
        self.checkpoints: list[bytes] = []
        self.unanswered: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def submit(self, http: httpx.Client, proposal: dict[str, Any]) -> int | None:
        """POST one proposal; record and verify a 201; return the status (None: no answer)."""
        try:
            answer = http.post("/api/v1/log/entries", json=proposal)
        except httpx.TransportError:
            with self.lock:
                self.unanswered.append(proposal)
            return None
        if answer.status_code == 201:
            ((entry_id, value),) = answer.json().items()
            entry = rekor.LogEntry.from_api_json({entry_id: value})
            rekor.verify_log_entry(entry, self.key, key_name=HOST, origin=self.origin)
            with self.lock:
                assert entry_id[-64:] not in self.acked, f"{entry_id} created twice"
                self.acked[entry_id[-64:]] = int(value["logIndex"])
                self.checkpoints.append(value["verification"]["inclusionProof"]["checkpoint"])
        elif answer.status_code >= 500:
            with self.lock:
                self.unanswered.append(proposal)
        return answer.status_code

    def burst(self, urls: list[str], proposals: list[dict[str, Any]]) -> list[int | None]:
        """Submit ``proposals`` from ``CLIENTS`` threads, client ``k`` to ``urls[k % 2]``."""
        statuses: list[int | None] = []

        def client(k: int) -> None:
            with httpx.Client(base_url=urls[k % len(urls)], timeout=30) as http:
                for proposal in proposals[k::CLIENTS]:
                    status = self.submit(http, proposal)
                    with self.lock:
                        statuses.append(status)

        with ThreadPoolExecutor(CLIENTS) as pool:
            for future in [pool.submit(client, k) for k in range(CLIENTS)]:
                future.result(timeout=120)
        return statuses

    def head(self, url: str) -> tuple[Checkpoint, str]:
        """The server's verified checkpoint and its raw note."""
        info = httpx.get(f"{url}/api/v1/log", timeout=10).json()
        note = info["signedTreeHead"]
        head = open_checkpoint(note.encode(), self.verifiers, origin=self.origin)
        assert (head.size, head.root_hash.hex()) == (info["treeSize"], info["rootHash"])
        return head, note

    def converge(self, urls: list[str], size: int) -> str:
        """Wait until every server serves the same checkpoint of at least ``size``; return it."""
        deadline = time.monotonic() + 15
        while True:
            notes = [self.head(url) for url in urls]
            if all(h.size >= size for h, _ in notes) and len({n for _, n in notes}) == 1:
                return notes[0][1]
            assert time.monotonic() < deadline, f"servers did not converge: {notes}"
            time.sleep(0.05)

    def check_final(self, url: str) -> None:
        """Every ack is served with a proof; every checkpoint is consistent; no duplicates."""
        final, _ = self.head(url)
        with httpx.Client(base_url=url, timeout=20) as http:
            for note in self.checkpoints:
                old = open_checkpoint(note.encode(), self.verifiers, origin=self.origin)
                if 0 < old.size < final.size:
                    answer = http.get(
                        "/api/v1/log/proof",
                        params={"firstSize": old.size, "lastSize": final.size},
                    )
                    assert answer.status_code == 200, answer.text
                    merkle.verify_consistency(
                        size1=old.size,
                        size2=final.size,
                        proof=[bytes.fromhex(h) for h in answer.json()["hashes"]],
                        root1=old.root_hash,
                        root2=final.root_hash,
                    )
                else:
                    assert old.size != final.size or old.root_hash == final.root_hash
            at: dict[str, int] = {}
            for start in range(0, final.size, 10):
                asked = list(range(start, min(start + 10, final.size)))
                answer = http.post("/api/v1/log/entries/retrieve", json={"logIndexes": asked})
                assert answer.status_code == 200, answer.text
                for found in answer.json():
                    ((entry_id, value),) = found.items()
                    entry = rekor.LogEntry.from_api_json(found)
                    rekor.verify_log_entry(entry, self.key, key_name=HOST, origin=self.origin)
                    assert entry_id[-64:] not in at, f"{entry_id} stored twice"
                    at[entry_id[-64:]] = int(value["logIndex"])
        assert sorted(at.values()) == list(range(final.size))
        assert {uuid: at.get(uuid) for uuid in self.acked} == self.acked, "an ack was lost"


def _start_pair(tmp_path: Path, servers: list[Server], options: tuple[str, ...]) -> Log:
    db = tmp_path / "tlog" / "log.db"
    for _ in range(2):  # one after the other: the first creates the key and leads
        servers.append(Server(db, tmp_path, *options))
    log = Log(tmp_path)
    info = httpx.get(f"{servers[0].url}/api/v1/log", timeout=10).json()
    log.origin = f"{HOST} - {info['treeID']}"
    assert httpx.get(f"{servers[1].url}/api/v1/log", timeout=10).json()["treeID"] == info["treeID"]
    if "--db" not in options:  # SQLite: the first server holds the lead file's flock
        assert _flock_holder(db.with_name(db.name + ".lead")) == servers[0].process.pid
    return log


def _flock_holder(path: Path) -> int:
    """The pid holding a ``flock`` on ``path``, from ``/proc/locks``."""
    inode = path.stat().st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "FLOCK" in fields and fields[5].endswith(f":{inode}"):
            return int(fields[4])
    raise AssertionError(f"nobody holds a flock on {path}")


def test_two_servers_share_one_log(
    tmp_path: Path, servers: list[Server], db_options: tuple[str, ...]
) -> None:
    log = _start_pair(tmp_path, servers, db_options)
    urls = [server.url for server in servers]
    proposals = _proposals(tmp_path, 96, "shared")
    statuses = log.burst(urls, proposals)
    assert statuses.count(201) == len(proposals) == len(log.acked)
    assert sorted(log.acked.values()) == list(range(len(proposals)))
    # Each index is served by both servers; a resubmission to the other server is a 409.
    final = log.converge(urls, len(proposals))
    for number in (0, 1, 50):
        with httpx.Client(base_url=urls[(number + 1) % 2], timeout=10) as http:
            answer = http.post("/api/v1/log/entries", json=proposals[number])
            assert answer.status_code == 409, answer.text
            uuid = answer.headers["location"].rsplit("/", 1)[1][-64:]
            assert uuid in log.acked
            for url in urls:
                served = httpx.get(f"{url}/api/v1/log/entries/{uuid}", timeout=10)
                assert served.status_code == 200, served.text
                assert next(iter(served.json().values()))["logIndex"] == log.acked[uuid]
    assert log.converge(urls, len(proposals)) == final  # nothing new: the same signed note
    for url in urls:
        log.check_final(url)


def test_killing_the_leader_mid_burst_loses_nothing(
    tmp_path: Path, servers: list[Server], db_options: tuple[str, ...]
) -> None:
    log = _start_pair(tmp_path, servers, db_options)
    leader, follower = servers
    urls = [leader.url, follower.url]
    proposals = _proposals(tmp_path, 240, "kill")
    burster = threading.Thread(target=log.burst, args=(urls, proposals))
    burster.start()
    deadline = time.monotonic() + 60
    while len(log.acked) < 40 and time.monotonic() < deadline:
        time.sleep(0.005)
    leader.process.kill()  # SIGKILL, mid-burst
    leader.process.wait(10)
    burster.join(120)
    assert not burster.is_alive()
    before = len(log.acked)
    assert before >= 40
    # The follower took the lead: what the dead leader left unanswered is answered now,
    # as 201 or, when the leader had stored it before dying, 409.
    with httpx.Client(base_url=follower.url, timeout=30) as http:
        retried = [log.submit(http, proposal) for proposal in list(log.unanswered)]
    assert all(status in (201, 409) for status in retried), retried
    size = len(proposals)
    log.converge([follower.url], size)
    log.check_final(follower.url)
    head, _ = log.head(follower.url)
    assert head.size == size  # every proposal once, none twice
