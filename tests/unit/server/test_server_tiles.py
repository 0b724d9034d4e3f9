"""c2sp.org/tlog-tiles served beside the Rekor v1 API, over a real RekorLog on SQLite.

The proofs are computed here from the served tiles alone, with an independent RFC 9162
implementation (recursive MTH, PATH and SUBPROOF as RFC 9162 §2.1 writes them), and compared
with what the Rekor API answers for the same entries and sizes.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from cryptography.hazmat.primitives.asymmetric import ec
from tests.rekor_requests import hashedrekord
from tests.unit.server.test_server_app import TestClient

from liturgia.server import create_app
from liturgia.tlog import rekor
from liturgia.tlog.checkpoint import open_checkpoint, verifier_for
from liturgia.tlog.entries import accept_entry
from liturgia.tlog.log import RekorLog
from liturgia.tlog.storage import SqliteStorage
from liturgia.tlog.tiled import decode_entry_bundle, export

Key = ec.EllipticCurvePrivateKey
HOST = "log.example"
TREE_ID = 77
OFFSET = 5


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 Merkle Tree Hash over leaf hashes (already 0x00-prefixed and hashed)."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return _h(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:]))


def _path(m: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(m, D[n])."""
    if len(leaves) == 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return [*_path(m, leaves[:k]), _mth(leaves[k:])]
    return [*_path(m - k, leaves[k:]), _mth(leaves[:k])]


def _subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b)."""
    if m == len(leaves):
        return [] if whole else [_mth(leaves)]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m <= k:
        return [*_subproof(m, leaves[:k], whole), _mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), _mth(leaves[:k])]


@pytest.fixture
def log_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def submissions() -> list[object]:
    """700 verified entries (two full leaf tiles and a partial one), signed once per module."""
    signer = ec.generate_private_key(ec.SECP256R1())
    return [accept_entry(hashedrekord(signer, b"tile artifact %d" % n)) for n in range(700)]


@contextmanager
def _opened(db: Path, key: ec.EllipticCurvePrivateKey) -> Iterator[tuple[RekorLog, SqliteStorage]]:
    storage = SqliteStorage(db)
    log = RekorLog(storage, key, host=HOST, tree_id=TREE_ID, index_offset=OFFSET, wait_timeout=20)
    log.start()
    try:
        yield log, storage
    finally:
        log.close()
        storage.close()


@pytest.fixture
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as running:
        yield running


def _client(portal: BlockingPortal, log: RekorLog) -> TestClient:
    return TestClient(portal, create_app(log))


def _tile(client: TestClient, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, (path, response.text)
    assert response.headers["content-type"] == "application/octet-stream"
    return response.content


def _leaf_hashes(client: TestClient, size: int) -> list[bytes]:
    """Every leaf hash of a tree of ``size`` leaves, from its level-0 tiles alone."""
    out: list[bytes] = []
    for index in range((size + 255) // 256):
        width = min(256, size - index * 256)
        suffix = "" if width == 256 else f".p/{width}"
        row = _tile(client, f"/tile/0/{index:03d}{suffix}")
        assert len(row) == 32 * width
        out += [row[i : i + 32] for i in range(0, len(row), 32)]
    return out


def test_tiles_prove_what_the_rekor_api_answers(
    tmp_path: Path, portal: BlockingPortal, log_key: Key, submissions: list[object]
) -> None:
    with _opened(tmp_path / "log.db", log_key) as (log, _storage):
        log.commit(submissions[:300])  # type: ignore[arg-type]
        first = log.tree_size
        log.commit(submissions[300:])  # type: ignore[arg-type]
        client = _client(portal, log)
        size = log.tree_size
        assert (first, size) == (300, 700)

        response = client.get("/checkpoint")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        note = response.content
        checkpoint = open_checkpoint(
            note, [verifier_for(HOST, log_key.public_key())], origin=f"{HOST} - {TREE_ID}"
        )
        assert checkpoint.size == size
        info = client.get("/api/v1/log").json()
        assert info["signedTreeHead"].encode() == note

        leaves = _leaf_hashes(client, size)
        assert _mth(leaves) == checkpoint.root_hash
        # The level-1 tile holds the root of each full level-0 tile.
        upper = _tile(client, "/tile/1/000.p/2")
        assert upper == _mth(leaves[:256]) + _mth(leaves[256:512])
        assert client.get("/tile/1/000").status_code == 404  # not full: no such tile yet

        # Entry bundles: each entry hashes to its leaf, and is what the Rekor API returns.
        bundle = decode_entry_bundle(_tile(client, "/tile/entries/001"))
        assert [_h(b"\x00" + entry) for entry in bundle] == leaves[256:512]
        partial = decode_entry_bundle(_tile(client, "/tile/entries/002.p/188"))
        assert len(partial) == 188
        by_index = client.get("/api/v1/log/entries", params={"logIndex": OFFSET + 600}).json()
        assert rekor.LogEntry.from_api_json(by_index).body == partial[600 - 512]

        # Inclusion proofs from tiles match the API's, at the latest size and an older one.
        for index in (0, 255, 256, 511, 600, 699):
            answer = client.get("/api/v1/log/entries", params={"logIndex": OFFSET + index})
            proof = answer.json()[next(iter(answer.json()))]["verification"]["inclusionProof"]
            assert proof["treeSize"] == size
            assert [bytes.fromhex(h) for h in proof["hashes"]] == _path(index, leaves)
            assert bytes.fromhex(proof["rootHash"]) == _mth(leaves)
        # Consistency proofs from tiles match the API's, including from the first checkpoint.
        for old, new in ((first, size), (1, size), (256, 512), (300, 699), (700, 700)):
            answer = client.get("/api/v1/log/proof", params={"firstSize": old, "lastSize": new})
            assert answer.status_code == 200
            hashes = [bytes.fromhex(h) for h in answer.json()["hashes"]]
            assert hashes == _subproof(old, leaves[:new], True), (old, new)
            assert bytes.fromhex(answer.json()["rootHash"]) == _mth(leaves[:new])
        # The tree at the first checkpoint, from the partial tiles it implies.
        assert _mth(leaves[:first]) == _mth(_leaf_hashes(client, first))
        client.close()


def test_paths_and_headers_as_the_spec_writes_them(
    tmp_path: Path, portal: BlockingPortal, log_key: Key, submissions: list[object]
) -> None:
    with _opened(tmp_path / "log.db", log_key) as (log, _storage):
        log.commit(submissions[:260])  # type: ignore[arg-type]
        client = _client(portal, log)
        full = client.get("/tile/0/000")
        assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert len(full.content) == 8192
        partial = client.get("/tile/0/001.p/4")
        assert partial.headers["cache-control"] == "public, max-age=86400"
        assert partial.content == client.get("/tile/0/001.p/3").content + partial.content[96:]
        # A partial width of a full tile is its prefix.
        assert client.get("/tile/0/000.p/10").content == full.content[:320]
        for path in (
            "/tile/0/001.p/5",  # beyond the tree
            "/tile/0/001",  # not full yet
            "/tile/0/1",  # not a 3-digit group
            "/tile/0/000.p/0",  # widths are 1..255
            "/tile/0/000.p/256",
            "/tile/0/000.p/07",  # no leading zeros
            "/tile/00/000",
            "/tile/64/000",  # levels are 0..63
            "/tile/0/x000",  # the last group has no x
            "/tile/1/000",
            "/tile/entries/001",
            "/tile/entries/000.p/0",
            "/tile/2/000.p/1",
        ):
            response = client.get(path)
            assert response.status_code == 404, path
            assert response.json()["code"] == 404
        # Entry bundles are gzip-encoded for a client that accepts it, plain otherwise.
        zipped = client.get("/tile/entries/000", headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.headers["vary"] == "Accept-Encoding"
        plain = client.get("/tile/entries/000", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert zipped.content == plain.content  # httpx decodes the gzip it asked for
        refused = client.get("/tile/entries/000", headers={"Accept-Encoding": "gzip;q=0"})
        assert "content-encoding" not in refused.headers
        assert len(decode_entry_bundle(plain.content)) == 256
        assert gzip.decompress(gzip.compress(plain.content)) == plain.content
        # Big index paths: x-prefixed groups parse (a tile that does not exist: 404).
        assert client.get("/tile/0/x001/x234/067").status_code == 404
        client.close()


def test_a_full_tile_never_changes_once_served(
    tmp_path: Path, portal: BlockingPortal, log_key: Key, submissions: list[object]
) -> None:
    db = tmp_path / "log.db"
    paths = ("/tile/0/000", "/tile/entries/000", "/tile/0/001.p/44")
    with _opened(db, log_key) as (log, _storage):
        log.commit(submissions[:300])  # type: ignore[arg-type]
        client = _client(portal, log)
        served = {path: _tile(client, path) for path in paths}
        log.commit(submissions[300:600])  # type: ignore[arg-type]
        assert {path: _tile(client, path) for path in paths} == served
        client.close()
    with _opened(db, log_key) as (log, _storage):  # a restart: new process state, same database
        client = _client(portal, log)
        assert {path: _tile(client, path) for path in paths} == served
        log.commit(submissions[600:])  # type: ignore[arg-type]
        assert {path: _tile(client, path) for path in paths} == served
        assert _tile(client, "/tile/0/001")[: 44 * 32] == served["/tile/0/001.p/44"]
        client.close()


def test_export_writes_static_tiles_incrementally(
    tmp_path: Path, portal: BlockingPortal, log_key: Key, submissions: list[object]
) -> None:
    out = tmp_path / "static"
    with _opened(tmp_path / "log.db", log_key) as (log, storage):
        log.commit(submissions[:300])  # type: ignore[arg-type]
        report = export(storage, out)
        # level 0: one full, one partial; entries the same; level 1: partial of width 1
        assert (report.tree_size, report.written, report.kept) == (300, 6, 0)
        client = _client(portal, log)
        for path in ("tile/0/000", "tile/0/001.p/44", "tile/entries/001.p/44", "tile/1/000.p/1"):
            assert (out / path).read_bytes() == _tile(client, "/" + path), path
        assert (out / "checkpoint").read_bytes() == client.get("/checkpoint").content
        full_inode = (out / "tile/0/000").stat().st_ino
        again = export(storage, out)
        assert (again.written, again.kept) == (0, 6)

        log.commit(submissions[300:])  # type: ignore[arg-type]
        later = export(storage, out)
        # new: 0/001, 0/002.p/188, entries/001, entries/002.p/188, 1/000.p/2, checkpoint
        assert (later.tree_size, later.written) == (700, 6)
        assert (out / "tile/0/000").stat().st_ino == full_inode  # never rewritten
        assert (out / "tile/0/001.p/44").is_file()  # kept for clients of the older checkpoint
        assert (out / "checkpoint").read_bytes() == client.get("/checkpoint").content
        assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
        client.close()
