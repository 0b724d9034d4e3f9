"""liturgia.tlog.client against a small loopback HTTP server of the test's own.

The server answers what each test sets: real checkpoints signed with a real P-256 key over a
real RFC 6962 tree, real consistency proofs, and deliberately tampered or malformed answers
(as a compromised log or a proxy would send). The real ``liturgia serve`` is exercised in
tests/integration/log.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from liturgia.errors import (
    ConfigError,
    NetworkError,
    ProofError,
    SignatureError,
    StorageError,
)
from liturgia.tlog import merkle
from liturgia.tlog.checkpoint import Checkpoint, EcdsaNoteSigner, sign_checkpoint
from liturgia.tlog.client import MAX_ANSWER_BYTES, LogClient, monitor_log

HOST = "127.0.0.1"
ORIGIN = f"{HOST} - 7"


class _Handler(BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, tuple[int, bytes]]] = {}

    def do_GET(self) -> None:
        status, body = self.answers.get(self.path, (404, b'{"code":404,"message":"no"}'))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        del format, args


class FakeLog:
    """A log's answers over a real tree and key; ``grow`` adds leaves and re-signs."""

    def __init__(self, url: str, answers: dict[str, tuple[int, bytes]]) -> None:
        self.url = url
        self.answers = answers
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.leaves: list[bytes] = []
        self.pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        answers["/api/v1/log/publicKey"] = (200, self.pem)
        self.grow(0)

    def grow(self, count: int, *, tag: bytes = b"") -> None:
        start = len(self.leaves)
        self.leaves += [merkle.leaf_hash(tag + b"%d" % n) for n in range(start, start + count)]
        root = merkle.root_hash(self.leaves)
        note = sign_checkpoint(
            Checkpoint(origin=ORIGIN, size=len(self.leaves), root_hash=root),
            (EcdsaNoteSigner(HOST, self.key),),
        )
        info = {"signedTreeHead": note.decode(), "treeSize": len(self.leaves), "treeID": "7"}
        self.answers["/api/v1/log"] = (200, json.dumps(info).encode())
        for first in range(1, len(self.leaves)):
            proof = merkle.consistency_proof(self.leaves, first)
            path = f"/api/v1/log/proof?firstSize={first}&lastSize={len(self.leaves)}"
            self.answers[path] = (200, json.dumps({"hashes": [h.hex() for h in proof]}).encode())


@pytest.fixture
def log() -> Iterator[FakeLog]:
    answers: dict[str, tuple[int, bytes]] = {}
    handler = type("Handler", (_Handler,), {"answers": answers})
    server = ThreadingHTTPServer((HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield FakeLog(f"http://{HOST}:{server.server_address[1]}", answers)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_client_refuses_a_url_that_is_not_http() -> None:
    with pytest.raises(ConfigError, match="not an http"):
        LogClient("ftp://log.example")


def test_client_reads_proofs_and_refuses_malformed_answers(log: FakeLog) -> None:
    log.grow(5)
    client = LogClient(log.url + "/", timeout=5)
    assert client.public_key_pem() == log.pem
    assert client.consistency_proof(2, 5) == merkle.consistency_proof(log.leaves, 2)
    path = "/api/v1/log/proof?firstSize=2&lastSize=5"
    for body, message in (
        (b'{"hashes": "ab"}', "no hash list"),
        (b'{"hashes": ["zz"]}', "not 32 bytes"),
        (b'{"hashes": [7]}', "not 32 bytes"),
        (b'{"hashes": ["abcd"]}', "not 32 bytes"),
    ):
        log.answers[path] = (200, body)
        with pytest.raises(ProofError, match=message):
            client.consistency_proof(2, 5)
    log.answers[path] = (200, b"<html>")
    with pytest.raises(NetworkError, match="not JSON"):
        client.consistency_proof(2, 5)
    log.answers["/api/v1/log"] = (500, b"{}")
    with pytest.raises(NetworkError, match="answered 500"):
        client.info()
    log.answers["/api/v1/log"] = (200, b'{"treeSize": 1}')
    with pytest.raises(NetworkError, match="no checkpoint"):
        client.checkpoint()
    log.answers["/api/v1/log"] = (200, b"x" * (MAX_ANSWER_BYTES + 1))
    with pytest.raises(NetworkError, match="over"):
        client.info()
    del log.answers["/api/v1/log/publicKey"]
    with pytest.raises(NetworkError, match="public key answered 404"):
        client.public_key_pem()


def test_client_entry_by_uuid_answers(log: FakeLog) -> None:
    client = LogClient(log.url, timeout=5)
    assert client.entry_by_uuid("ab" * 32) is None
    log.answers["/api/v1/log/entries/" + "cd" * 32] = (500, b"{}")
    with pytest.raises(NetworkError, match="answered 500"):
        client.entry_by_uuid("cd" * 32)
    log.answers["/api/v1/log/entries/" + "ef" * 32] = (200, b"not json")
    with pytest.raises(NetworkError, match="not JSON"):
        client.entry_by_uuid("ef" * 32)


def test_monitor_follows_a_growing_log(log: FakeLog, tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = monitor_log(log.url, state, timeout=5)
    assert (first.checkpoint.size, first.previous_size) == (0, None)
    log.grow(3)
    second = monitor_log(log.url, state, log_key_pem=log.pem, timeout=5)
    assert (second.checkpoint.size, second.previous_size) == (3, 0)
    log.grow(4)
    third = monitor_log(log.url, state, timeout=5)
    assert (third.checkpoint.size, third.previous_size) == (7, 3)
    assert third.checkpoint.root_hash == merkle.root_hash(log.leaves)
    pinned = json.loads((state / "log.json").read_text())
    assert pinned == {"keyName": HOST, "origin": ORIGIN, "publicKey": log.pem.decode()}


def test_monitor_refuses_a_tampered_proof_and_keeps_its_state(log: FakeLog, tmp_path: Path) -> None:
    log.grow(3)
    state = tmp_path / "state"
    monitor_log(log.url, state, timeout=5)
    recorded = (state / "checkpoint").read_bytes()
    log.grow(3)
    path = "/api/v1/log/proof?firstSize=3&lastSize=6"
    hashes = json.loads(log.answers[path][1])["hashes"]
    hashes[0] = "00" * 32
    log.answers[path] = (200, json.dumps({"hashes": hashes}).encode())
    with pytest.raises(ProofError):
        monitor_log(log.url, state, timeout=5)
    assert (state / "checkpoint").read_bytes() == recorded


def test_monitor_refuses_a_fork_recorded_in_history(log: FakeLog, tmp_path: Path) -> None:
    log.grow(4)
    state = tmp_path / "state"
    monitor_log(log.url, state, timeout=5)
    history = (state / "history").read_text()
    # The log was seen at size 4 before; an earlier size-4 root that differs is a fork.
    (state / "history").write_text(history.replace(history.split()[2], "A" * 43 + "="))
    with pytest.raises(ProofError, match="forked"):
        monitor_log(log.url, state, timeout=5)


def test_monitor_refuses_a_checkpoint_under_another_key(log: FakeLog, tmp_path: Path) -> None:
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    other_pem = other.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(SignatureError):
        monitor_log(log.url, tmp_path / "a", log_key_pem=other_pem, timeout=5)
    with pytest.raises(SignatureError, match="not a PEM public key"):
        monitor_log(log.url, tmp_path / "b", log_key_pem=b"junk", timeout=5)
    assert not (tmp_path / "a" / "log.json").exists()


def test_monitor_reports_broken_state(log: FakeLog, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "log.json").write_text("[]")
    with pytest.raises(StorageError, match="lacks publicKey"):
        monitor_log(log.url, state, timeout=5)
    (state / "log.json").write_text("{not json")
    with pytest.raises(StorageError, match="cannot read the monitor state"):
        monitor_log(log.url, state, timeout=5)
    (state / "log.json").unlink()
    monitor_log(log.url, state, timeout=5)
    for line, message in (("1 x AAAA\n", "malformed line"), ("1 0 ***\n", "malformed root")):
        (state / "history").write_text(line)
        with pytest.raises(StorageError, match=message):
            monitor_log(log.url, state, timeout=5)
    (state / "history").unlink()
    (state / "history").mkdir()
    with pytest.raises(StorageError, match="cannot read"):
        monitor_log(log.url, state, timeout=5)
