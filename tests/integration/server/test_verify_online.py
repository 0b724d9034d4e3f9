"""``liturgia verify --online``: bundles' log entries proven consistent with a real log's state.

One ``liturgia serve`` log (A) logs a small release folder signed with ``liturgia sign
--tlog-url`` and then grows. ``verify --online`` against A proves every entry's checkpoint
consistent with A's current one. A second log (B) started with A's very key file, hence the same
origin, but another history, plays a forked or rewritten log: it first shrinks below the
entries' trees, then grows past them with other leaves; both are refused (exit 1). A third log
(C) with a key of its own cannot sign a checkpoint A's key verifies (exit 1). A log that is down
is exit 3, a missing URL or key exit 2, and without ``--online`` nothing connects anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from liturgia import cli, provenance, sign
from liturgia.errors import NetworkError, ProofError
from liturgia.provenance import PredicateType
from liturgia.release.attestations import (
    PROVENANCE_NAME,
    SBOM_ATTESTATION_NAME,
    SCAN_ATTESTATION_NAME,
)
from liturgia.sign.tlog_upload import add_log_entry
from liturgia.tlog.client import LogClient, TileLogClient

from .conftest import HOST, Server, free_port

_ARTIFACTS = ("app-1.0.tar.gz", "app-1.0-py3-none-any.whl")


@dataclass(frozen=True, slots=True, kw_only=True)
class Logged:
    """A release folder whose bundles carry entries of log ``server``, which then grew."""

    home: Path
    server: Server
    release: Path
    signer_pub: Path
    signer_key: Path
    log_pub: Path
    log_key_file: Path
    signer: sign.Signer

    def add_entries(self, url: str, count: int, tag: str) -> None:
        """Log ``count`` fresh signatures in the log at ``url``."""
        for number in range(count):
            extra = self.home / f"{tag}-{number}.bin"
            extra.write_bytes(f"{tag} {number}\n".encode() * 10)
            add_log_entry(sign.sign_file(extra, self.signer), self.signer.public_key, url)


def _sbom(files: dict[str, bytes]) -> bytes:
    components = [
        {
            "type": "file",
            "name": name,
            "hashes": [{"alg": "SHA-256", "content": hashlib.sha256(data).hexdigest()}],
        }
        for name, data in sorted(files.items())
    ]
    document = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}
    return json.dumps({**document, "components": components}, indent=2).encode()


def _sign(url: str, key: Path, *files: Path) -> None:
    code = cli.main(["sign", *map(str, files), "--key", str(key), "--tlog-url", url])
    assert code == 0


def _attest(release: Path, signer: sign.Signer, url: str) -> None:
    """The release's three attestations (provenance, SBOM, scan), each logged at ``url``."""
    artifacts = [release / name for name in _ARTIFACTS]
    sbom = json.loads((release / "sbom.cdx.json").read_bytes())
    for name, kind, predicate, subjects in (
        (
            PROVENANCE_NAME,
            PredicateType.SLSA_PROVENANCE_V1,
            {"buildDefinition": {}},
            [
                *artifacts,
                release / "sbom.cdx.json",
            ],
        ),
        (SBOM_ATTESTATION_NAME, PredicateType.CYCLONEDX, sbom, artifacts),
        (SCAN_ATTESTATION_NAME, PredicateType.VULNS, {"scanner": {}}, artifacts),
    ):
        statement = provenance.statement_for_files(
            subjects, predicate_type=kind.value, predicate=predicate
        )
        bundle = provenance.attest(statement, signer)
        (release / name).write_bytes(add_log_entry(bundle, signer.public_key, url))


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logged]:
    home = tmp_path_factory.mktemp("online")
    server = Server(home / "a" / "log.db", home)
    try:
        signer_key, signer_pub = home / "release.key", home / "release.pub"
        sign.generate_key_pair(signer_key, signer_pub, password=b"pw")
        with pytest.MonkeyPatch.context() as env:
            env.setenv("LITURGIA_PASSWORD", "pw")
            release = home / "release"
            release.mkdir()
            contents = {name: f"{name}\n".encode() * 100 for name in _ARTIFACTS}
            for name, data in contents.items():
                (release / name).write_bytes(data)
            (release / "sbom.cdx.json").write_bytes(_sbom(contents))
            (release / "gate-report.json").write_text('{"decision": "GO"}\n')
            _sign(server.url, signer_key, *(release / n for n in (*_ARTIFACTS, "sbom.cdx.json")))
            _attest(release, sign.load_signer(str(signer_key), password=b"pw"), server.url)
            sums = "".join(
                f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n"
                for p in sorted(release.iterdir())
            )
            (release / "SHA256SUMS").write_text(sums)
            _sign(server.url, signer_key, release / "SHA256SUMS")
        log_key_file = Path(f"{server.db}.key.pem")
        private = serialization.load_pem_private_key(log_key_file.read_bytes(), password=None)
        log_pub = home / "log.pub"
        log_pub.write_bytes(
            private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        world = Logged(
            home=home,
            server=server,
            release=release,
            signer_pub=signer_pub,
            signer_key=signer_key,
            log_pub=log_pub,
            log_key_file=log_key_file,
            signer=sign.load_signer(str(signer_key), password=b"pw"),
        )
        world.add_entries(server.url, 3, "later")  # the log grows past every bundle's tree
        yield world
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _no_log_url_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LITURGIA_TLOG_URL", raising=False)


def _verify(world: Logged, target: Path | None = None, *extra: str) -> int:
    path = target or world.release / _ARTIFACTS[0]
    return cli.main(["verify", str(path), "--key", str(world.signer_pub), *extra])


def _trusted_root(world: Logged, base_url: str) -> Path:
    log = sign.TransparencyLog(base_url=base_url, public_key=sign.load_public_key(world.log_pub))
    path = world.home / f"root-{free_port()}.json"
    path.write_bytes(sign.trusted_root_json([log]))
    return path


def test_entries_consistent_with_the_current_log(
    logged: Logged, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    online = ("--online", "--log-key", str(logged.log_pub), "--log-url", logged.server.url)
    assert _verify(logged, None, *online, "--format", "json") == 0
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert document["verified"] is True
    (check,) = document["online"]
    assert check["bundle"] == f"{_ARTIFACTS[0]}.sigstore.json"
    assert check["logUrl"] == logged.server.url
    assert check["logIndex"] == 0 and check["entryTreeSize"] == 1
    assert check["logTreeSize"] == 10  # 3 artifacts, 3 attestations, SHA256SUMS, 3 later
    assert check["origin"].startswith(f"{HOST} - ")
    assert f"online: {check['bundle']}: log entry 0 (tree size 1) is consistent with" in err
    # The folder, the log's URL taken from the trusted root's baseUrl: one line per bundle.
    root = _trusted_root(logged, logged.server.url)
    assert _verify(logged, logged.release, "--online", "--trusted-root", str(root)) == 0
    err = capsys.readouterr().err
    assert err.count("online: ") == 7
    assert "checkpoint of size 10" in err and "verified: " in err


def test_a_forked_log_with_the_same_key_is_refused(
    logged: Logged, capsys: pytest.CaptureFixture[str]
) -> None:
    fork = Server(logged.home / "b" / "log.db", logged.home, "--key", str(logged.log_key_file))
    try:
        online = ("--online", "--log-key", str(logged.log_pub), "--log-url", fork.url)
        capsys.readouterr()
        # Empty: the log shrank below the entry's tree.
        assert _verify(logged, None, *online) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert f"{_ARTIFACTS[0]}.sigstore.json: tlogEntries[0]" in err
        assert "tree size 1, the log's now 0" in err and "log shrank from 1 to 0" in err
        # Grown with other leaves past the entries' trees: no consistency proof verifies.
        logged.add_entries(fork.url, 6, "forked")
        assert _verify(logged, None, *online) == 1
        err = capsys.readouterr().err
        assert f"the log {fork.url} is not consistent with the entry's checkpoint" in err
        assert "(tree size 1, the log's now 6)" in err
        assert _verify(logged, logged.release, *online, "--format", "json") == 1
        out, err = capsys.readouterr()
        document = json.loads(out)
        assert document["verified"] is False and document["online"] == []
        assert len(document["problems"]) == 7
        assert all(
            "is not consistent with the entry's checkpoint" in p for p in document["problems"]
        )
        assert "FAILED" in err
    finally:
        fork.stop()


def test_a_log_signing_with_another_key_is_refused(
    logged: Logged, capsys: pytest.CaptureFixture[str]
) -> None:
    other = Server(logged.home / "c" / "log.db", logged.home)
    try:
        capsys.readouterr()
        online = ("--online", "--log-key", str(logged.log_pub), "--log-url", other.url)
        assert _verify(logged, None, *online) == 1
        err = capsys.readouterr().err
        assert f"the current checkpoint of {other.url} does not verify under the log key" in err
        assert "(the entry's checkpoint has tree size 1)" in err
        # Trusting only the other log's key: the bundle's entry is already refused offline.
        other_pub = logged.home / "other-log.pub"
        private = serialization.load_pem_private_key(
            Path(f"{other.db}.key.pem").read_bytes(), password=None
        )
        other_pub.write_bytes(
            private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        assert (
            _verify(logged, None, "--online", "--log-key", str(other_pub), "--log-url", other.url)
            == 1
        )
        assert "untrusted log" in capsys.readouterr().err
    finally:
        other.stop()


def test_unreachable_log_and_usage_errors(
    logged: Logged, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    down = f"http://{HOST}:{free_port()}"
    assert (
        _verify(logged, None, "--online", "--log-key", str(logged.log_pub), "--log-url", down) == 3
    )
    err = capsys.readouterr().err
    assert err.startswith(f"liturgia: error: {_ARTIFACTS[0]}.sigstore.json: tlogEntries[0]: ")
    assert f"transparency log {down}/api/v1/log" in err and err.count("\n") == 1
    assert _verify(logged, logged.release, "--online", "--log-key", str(logged.log_pub)) == 2
    assert "--online needs the log's URL" in capsys.readouterr().err
    assert _verify(logged, None, "--online", "--log-url", logged.server.url) == 2
    assert "--online needs the log's key" in capsys.readouterr().err
    assert (
        _verify(logged, None, "--online", "--log-key", str(logged.log_pub), "--log-url", "ftp://x")
        == 2
    )
    assert "is not an http(s) URL" in capsys.readouterr().err


class _Listener:
    """A loopback TCP listener that counts connections and answers each with non-JSON."""

    def __init__(self) -> None:
        self.socket = socket.create_server((HOST, 0))
        self.url = f"http://{HOST}:{self.socket.getsockname()[1]}"
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                peer, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            with peer:
                peer.recv(65536)
                peer.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\n<html>"
                )

    def close(self) -> None:
        self.socket.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() does not
        self.socket.close()
        self.thread.join(timeout=5)
        assert not self.thread.is_alive()


def test_no_network_without_online(
    logged: Logged, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    listener = _Listener()
    try:
        monkeypatch.setenv("LITURGIA_TLOG_URL", listener.url)
        root = _trusted_root(logged, listener.url)
        for target in (None, logged.release):
            assert _verify(logged, target, "--trusted-root", str(root)) == 0
        assert listener.connections == 0
        capsys.readouterr()
        # The same command with --online does ask that log (the env twin of --log-url) and
        # refuses its garbage answer as a transport failure.
        assert _verify(logged, None, "--online", "--trusted-root", str(root)) == 3
        assert "not JSON" in capsys.readouterr().err
        assert listener.connections == 1
    finally:
        listener.close()


@pytest.fixture
def static_server(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A plain web server (Python's http.server) serving a folder, on loopback."""
    folder = tmp_path / "static"
    folder.mkdir()
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", HOST]
    process = subprocess.Popen(
        [*command, "--directory", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://{HOST}:{port}"
        for _ in range(100):
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield folder, url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_entries_consistent_through_tiles_served_and_exported(
    logged: Logged,
    static_server: tuple[Path, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, static_url = static_server
    key = ("--log-key", str(logged.log_pub))
    capsys.readouterr()
    # Through the tiles liturgia serve serves beside its Rekor API.
    live = ("--online", "--tiles", *key, "--log-url", logged.server.url, "--format", "json")
    assert _verify(logged, None, *live) == 0
    (check,) = json.loads(capsys.readouterr().out)["online"]
    assert (check["entryTreeSize"], check["logTreeSize"]) == (1, 10)
    # Through the same tiles exported as static files and served by a plain web server.
    db = f"sqlite://{logged.server.db}"
    assert cli.main(["log", "export", str(folder), "--db", db]) == 0
    capsys.readouterr()
    static = ("--online", "--tiles", *key, "--log-url", static_url, "--format", "json")
    assert _verify(logged, logged.release, *static) == 0
    checks = json.loads(capsys.readouterr().out)["online"]
    assert len(checks) == 7 and {c["logTreeSize"] for c in checks} == {10}
    assert {c["logUrl"] for c in checks} == {static_url}
    # A monitor reads the static tiles too, and proves each new export extends the last.
    state = tmp_path / "monitor"
    monitor = ["log", "monitor", static_url, "--tiles", "--state", str(state), *key]
    assert cli.main(monitor) == 0
    assert "size 10" in capsys.readouterr().out
    logged.add_entries(logged.server.url, 2, "tiles")
    assert cli.main(["log", "export", str(folder), "--db", db]) == 0
    assert cli.main(monitor) == 0
    out = capsys.readouterr().out
    assert "size 12" in out and "(from 10)" in out
    # A tile changed on the static server makes the proofs fail: refused, never accepted.
    logged.add_entries(logged.server.url, 1, "tampered")
    assert cli.main(["log", "export", str(folder), "--db", db]) == 0
    tile = folder / "tile" / "0" / "000.p" / "13"
    data = bytearray(tile.read_bytes())
    data[40] ^= 1  # the second leaf hash
    tile.write_bytes(bytes(data))
    capsys.readouterr()
    assert cli.main(monitor) == 1
    assert "consisten" in capsys.readouterr().err
    assert _verify(logged, None, "--online", "--tiles", *key, "--log-url", static_url) == 1
    # --tiles without --online is a usage error.
    assert _verify(logged, None, "--tiles") == 2


def test_tile_client_proofs_match_the_rekor_api(
    logged: Logged, static_server: tuple[Path, str]
) -> None:
    folder, static_url = static_server
    assert cli.main(["log", "export", str(folder), "--db", f"sqlite://{logged.server.db}"]) == 0
    rekor = LogClient(logged.server.url)
    size = int(rekor.info()["treeSize"])
    for url in (logged.server.url, static_url):
        tiled = TileLogClient(url)
        assert tiled.checkpoint() == rekor.checkpoint()
        assert tiled.consistency_proof(2, size) == rekor.consistency_proof(2, size)
        entry = rekor.entry_by_uuid(rekor_entry_id(logged))
        assert entry is not None and entry.inclusion_proof is not None
        proof = entry.inclusion_proof
        assert tiled.inclusion_proof(proof.log_index, proof.tree_size) == proof.hashes
        with pytest.raises(ProofError, match="no consistency proof from size 0"):
            tiled.consistency_proof(0, size)
        with pytest.raises(ProofError, match=f"leaf {size} is not in a tree of size {size}"):
            tiled.inclusion_proof(size, size)
    # A tile of the wrong length for its path is refused before any hashing.
    partial = next((folder / "tile" / "0").glob("000.p/*"))
    partial.write_bytes(partial.read_bytes()[:-1])
    width = int(partial.name)
    with pytest.raises(ProofError, match=f"is {32 * width - 1} bytes, not {32 * width}"):
        TileLogClient(static_url).consistency_proof(1, width)
    with pytest.raises(NetworkError, match="answered 404"):
        TileLogClient(static_url).consistency_proof(1, width + 1000)


def rekor_entry_id(world: Logged) -> str:
    """The UUID of the first artifact's log entry, from its bundle."""
    bundle = json.loads((world.release / f"{_ARTIFACTS[0]}.sigstore.json").read_bytes())
    body = base64.b64decode(bundle["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"])
    return hashlib.sha256(b"\x00" + body).hexdigest()
