"""OnlineLogChecker against a small loopback HTTP log of the test's own.

The log answers with real checkpoints signed by real P-256 or Ed25519 keys over a real RFC 6962
tree, real consistency proofs, and tampered or malformed answers (a forked log, a compromised
proxy). Entries are offline-verified values over prefixes of the same tree. Every request is
counted, to show each checkpoint and each proof is fetched once. The real ``liturgia serve`` is
exercised in tests/integration/server/test_verify_online.py.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from liturgia import sign
from liturgia.errors import (
    ConfigError,
    InputError,
    NetworkError,
    ProofError,
    SignatureError,
    VerificationError,
)
from liturgia.release.verify import (
    OnlineCheck,
    OnlineLogChecker,
    check_release_dir,
    verify_release_dir,
)
from liturgia.sign.tlog_verify import (
    VerifiedLogEntry,
    load_log_urls,
    log_urls_from_trusted_root,
)
from liturgia.tlog import merkle
from liturgia.tlog.checkpoint import Checkpoint, sign_checkpoint, signer_for

HOST = "127.0.0.1"
ORIGIN = f"{HOST} - 42"


class _Handler(BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, tuple[int, bytes]]] = {}
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.requests.append(self.path)
        status, body = self.answers.get(self.path, (404, b'{"code":404,"message":"no"}'))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        del format, args


class Log:
    """A log's answers over a real tree and key; :meth:`publish` signs its current size."""

    def __init__(self, url: str, answers: dict[str, tuple[int, bytes]], requests: list[str]):
        self.url = url
        self.answers = answers
        self.requests = requests
        self.private: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey = (
            ec.generate_private_key(ec.SECP256R1())
        )
        self.leaves = [merkle.leaf_hash(b"leaf %d" % n) for n in range(8)]

    @property
    def public_key(self) -> sign.PublicKey:
        pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return sign.parse_public_key(pem)

    def entry(self, size: int, *, index: int = 0) -> VerifiedLogEntry:
        """An offline-verified entry whose checkpoint is the tree's prefix of ``size``."""
        return VerifiedLogEntry(
            log_index=index + 100,
            integrated_time=1_700_000_000,
            log_id=hashlib.sha256(self.public_key.der).digest(),
            tree_index=index,
            tree_size=size,
            root_hash=merkle.root_hash(self.leaves[:size]),
            origin=ORIGIN,
        )

    def publish(self, *, origin: str = ORIGIN, signer: object = None) -> None:
        """Serve a checkpoint of the whole tree and every consistency proof into it."""
        size = len(self.leaves)
        key = self.private if signer is None else signer
        note = sign_checkpoint(
            Checkpoint(origin=origin, size=size, root_hash=merkle.root_hash(self.leaves)),
            (signer_for(HOST, key),),
        )
        info = {"signedTreeHead": note.decode(), "treeSize": size, "treeID": "42"}
        self.answers["/api/v1/log"] = (200, json.dumps(info).encode())
        for first in range(1, size):
            hashes = [h.hex() for h in merkle.consistency_proof(self.leaves, first)]
            self.answers[self.proof_path(first)] = (200, json.dumps({"hashes": hashes}).encode())

    def proof_path(self, first: int) -> str:
        return f"/api/v1/log/proof?firstSize={first}&lastSize={len(self.leaves)}"

    def checker(self) -> OnlineLogChecker:
        return OnlineLogChecker((self.public_key,), log_url=self.url, timeout=5)


@pytest.fixture
def log() -> Iterator[Log]:
    answers: dict[str, tuple[int, bytes]] = {}
    requests: list[str] = []
    handler = type("Handler", (_Handler,), {"answers": answers, "requests": requests})
    server = ThreadingHTTPServer((HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield Log(f"http://{HOST}:{server.server_address[1]}", answers, requests)
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_consistent_entries_fetch_each_checkpoint_and_proof_once(log: Log) -> None:
    log.publish()
    checker = log.checker()
    assert log.requests == []  # nothing is fetched before the first check
    for position, size in enumerate((3, 5, 3, 8)):
        checker.check_entry(log.entry(size, index=position), name="a.sigstore.json", position=0)
    assert log.requests == ["/api/v1/log", log.proof_path(3), log.proof_path(5)]
    first, *_, last = checker.checks
    root = merkle.root_hash(log.leaves)
    assert first == OnlineCheck(
        bundle="a.sigstore.json",
        position=0,
        log_url=log.url,
        origin=ORIGIN,
        log_index=100,
        entry_size=3,
        log_size=8,
        log_root=root,
    )
    assert last.entry_size == last.log_size == 8  # the same size: no proof, equal roots
    assert first.to_json() == {
        "bundle": "a.sigstore.json",
        "entry": 0,
        "logUrl": log.url,
        "origin": ORIGIN,
        "logIndex": 100,
        "entryTreeSize": 3,
        "logTreeSize": 8,
        "logRoot": root.hex(),
    }


def test_an_ed25519_log_and_urls_by_log_id(log: Log) -> None:
    log.private = ed25519.Ed25519PrivateKey.generate()
    log.publish()
    entry = log.entry(6)
    checker = OnlineLogChecker((log.public_key,), log_urls={entry.log_id: log.url}, timeout=5)
    assert checker.check_entry(entry, name="b", position=2).position == 2
    nowhere = OnlineLogChecker((log.public_key,), log_urls={}, timeout=5)
    with pytest.raises(ConfigError, match=r"b: tlogEntries\[0\]: no URL known for the log"):
        nowhere.check_entry(entry, name="b")


def test_rewritten_histories_are_refused(log: Log) -> None:
    log.publish()
    entry = log.entry(5)
    forked = VerifiedLogEntry(**{**_fields(entry), "root_hash": merkle.leaf_hash(b"other")})
    with pytest.raises(ProofError, match=r"\(tree size 5, the log's now 8\): .*consistency"):
        log.checker().check_entry(forked, name="x")
    same_size = VerifiedLogEntry(**{**_fields(log.entry(8)), "root_hash": entry.root_hash})
    with pytest.raises(ProofError, match=r"sizes are equal \(8\) but the roots differ"):
        log.checker().check_entry(same_size, name="x")
    log.leaves = log.leaves[:4]
    log.publish()
    with pytest.raises(ProofError, match=r"now 4\): log shrank from 5 to 4 entries"):
        log.checker().check_entry(entry, name="x")


def _fields(entry: VerifiedLogEntry) -> dict[str, object]:
    return {name: getattr(entry, name) for name in entry.__slots__}


def test_tampered_and_malformed_proofs(log: Log) -> None:
    log.publish()
    path = log.proof_path(5)
    good = json.loads(log.answers[path][1])["hashes"]
    tampered = [hashlib.sha256(b"x").hexdigest(), *good[1:]]
    for body, error, message in (
        (json.dumps({"hashes": tampered}).encode(), ProofError, "is not consistent with"),
        (json.dumps({"hashes": good[:-1]}).encode(), ProofError, "is not consistent with"),
        (b'{"hashes": ["zz"]}', ProofError, "sent a malformed consistency proof from tree size 5"),
        (b"<html>", NetworkError, r"x: tlogEntries\[1\]: transparency log .*: not JSON"),
    ):
        log.answers[path] = (200, body)
        with pytest.raises(error, match=message):
            log.checker().check_entry(log.entry(5), name="x", position=1)
    log.answers[path] = (502, b"{}")
    with pytest.raises(NetworkError, match="answered 502"):
        log.checker().check_entry(log.entry(5), name="x")


def test_bad_checkpoints_are_refused(log: Log) -> None:
    log.publish(signer=ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(SignatureError, match=r"does not verify under the log key \(the entry's"):
        log.checker().check_entry(log.entry(5), name="x")
    log.publish(origin=f"{HOST} - 43")
    with pytest.raises(ProofError, match=r"checkpoint origin is '127\.0\.0\.1 - 43', expected"):
        log.checker().check_entry(log.entry(5), name="x")
    for status, body, message in (
        (500, b"{}", "answered 500"),
        (200, b"not json", "not JSON"),
        (200, b'{"treeSize": 8}', "log info has no checkpoint"),
    ):
        log.answers["/api/v1/log"] = (status, body)
        with pytest.raises(NetworkError, match=message):
            log.checker().check_entry(log.entry(5), name="x")


def test_untrusted_log_bad_url_and_unreachable_log(log: Log) -> None:
    log.publish()
    stranger = VerifiedLogEntry(**{**_fields(log.entry(5)), "log_id": bytes(32)})
    with pytest.raises(SignatureError, match="untrusted log"):
        log.checker().check_entry(stranger, name="x")
    with pytest.raises(ConfigError, match="not an http"):
        OnlineLogChecker((log.public_key,), log_url="file:///etc/passwd")
    down = OnlineLogChecker((log.public_key,), log_url="http://127.0.0.1:9", timeout=5)
    with pytest.raises(NetworkError, match=r"^x: tlogEntries\[0\]: transparency log http"):
        down.check_entry(log.entry(5), name="x")
    assert down.checks == ()


def test_log_urls_from_a_trusted_root(tmp_path: Path, log: Log) -> None:
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    other_key = sign.parse_public_key(
        other.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    data = sign.trusted_root_json(
        [
            sign.TransparencyLog(base_url=log.url, public_key=log.public_key),
            sign.TransparencyLog(base_url="", public_key=other_key),
        ]
    )
    assert log_urls_from_trusted_root(data) == {log.entry(1).log_id: log.url}
    path = tmp_path / "root.json"
    path.write_bytes(data)
    assert load_log_urls(path) == {log.entry(1).log_id: log.url}
    assert load_log_urls(None) == {}
    path.write_bytes(b'{"tlogs": []}')
    with pytest.raises(InputError, match="no 'tlogs' list"):
        load_log_urls(path)


def test_folder_problems_are_collected_and_failed_bundles_never_fetched(
    tmp_path: Path, log: Log
) -> None:
    log.publish()
    private, public = tmp_path / "k.key", tmp_path / "k.pub"
    sign.generate_key_pair(private, public, password=b"pw")
    signer = sign.load_signer(str(private), password=b"pw")
    folder = tmp_path / "release"
    (folder / "sub").mkdir(parents=True)
    for name in ("a.bin", "b.bin", "SHA256SUMS"):
        (folder / name).write_bytes(name.encode() * 3)
    for name in ("a.bin", "SHA256SUMS"):
        (folder / f"{name}.sigstore.json").write_bytes(sign.sign_file(folder / name, signer))
    (folder / "gone.bin.sigstore.json").write_bytes(b"{}")
    (folder / "gate-report.json").write_text("[]")
    (folder / "sbom.cdx.json").write_text('{"specVersion": "1.6", "components": []}')
    problems = check_release_dir(
        folder, signer.public_key, log_keys=(log.public_key,), online=log.checker()
    )
    assert log.requests == []  # bundles that fail offline are not asked about online
    # In check order: files, checksums, signatures, log entries, sbom, provenance, decision.
    assert [str(p) for p in problems] == [
        "sub: not a regular file (a release folder holds only files)",
        "SHA256SUMS: line 1 is not '<sha256>  <file>'",
        "gone.bin.sigstore.json: its subject gone.bin is missing",
        "SHA256SUMS: SHA256SUMS.sigstore.json: no transparency log entry (one is required)",
        "a.bin: a.bin.sigstore.json: no transparency log entry (one is required)",
        "sbom.cdx.json: not signed",
        "sbom.cdx.json: not a valid CycloneDX 1.6 document: 'bomFormat' is a required property",
        "provenance.intoto.sigstore.json: missing",
        "sbom.intoto.sigstore.json: missing",
        "vulnerabilities.intoto.sigstore.json: missing",
        "gate-report.json: not a gate report",
    ]
    with pytest.raises(VerificationError, match="release: 9 problems: sub: not a regular"):
        verify_release_dir(folder, signer.public_key)
    for name in ("SHA256SUMS", "sbom.cdx.json", "gate-report.json"):
        (folder / name).unlink()
    with pytest.raises(InputError, match="not a release folder"):
        check_release_dir(folder, signer.public_key)
    with pytest.raises(InputError, match="release folder not found"):
        check_release_dir(folder / "a.bin", signer.public_key)
