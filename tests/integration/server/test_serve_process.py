"""The real ``liturgia serve`` process on a loopback port, driven over HTTP.

A hashedrekord entry made by ``liturgia.sign`` is submitted (201), fetched back, verified
offline (inclusion proof, checkpoint, SET) against the key the server created beside its
database, embedded in the bundle and verified by ``verify_file_bundle``; the duplicate gets
409 with the same location; a bad request gets 400 and the server keeps serving; after SIGTERM
a restart verifies the stored tree and serves the same entry. Only loopback, bounded in time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from liturgia import sign
from liturgia.tlog import rekor
from liturgia.tlog.checkpoint import open_checkpoint, verifier_for

from .conftest import HOST, Server, free_port


def test_serve_accepts_proves_and_survives_a_restart(tmp_path: Path, servers: list[Server]) -> None:
    # A real signature made by liturgia.sign, and the entry a client proposes for it.
    sign.generate_key_pair(tmp_path / "release.key", tmp_path / "release.pub", password=b"pw")
    signer = sign.load_signer(str(tmp_path / "release.key"), password=b"pw")
    artifact = tmp_path / "app-1.0.tar.gz"
    artifact.write_bytes(b"release contents\n" * 100)
    bundle = sign.parse_bundle(sign.sign_file(artifact, signer))
    proposed = sign.proposed_entry(bundle, signer.public_key)

    db = tmp_path / "tlog" / "log.db"
    servers.append(Server(db, tmp_path))
    server = servers[-1]
    key_file = Path(f"{db}.key.pem")
    assert key_file.stat().st_mode & 0o777 == 0o600
    log_key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    public_key = log_key.public_key()

    with httpx.Client(base_url=server.url, timeout=30) as client:
        created = client.post("/api/v1/log/entries", json=proposed)
        assert created.status_code == 201, created.text
        location = created.headers["location"]
        fetched = client.get(location)
        assert fetched.status_code == 200
        # The same entry (ECDSA signatures are randomised: the SET is re-signed per answer).
        first = rekor.LogEntry.from_api_json(created.json())
        assert list(fetched.json()) == list(created.json())
        assert rekor.LogEntry.from_api_json(fetched.json()).body == first.body
        assert client.get("/api/v1/log/publicKey").content == public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        info = client.get("/api/v1/log").json()
        origin = f"{HOST} - {info['treeID']}"

        # Offline: the entry's SET, inclusion proof and checkpoint under the log's key.
        entry = rekor.LogEntry.from_api_json(fetched.json())
        checkpoint = rekor.verify_log_entry(entry, public_key, key_name=HOST, origin=origin)  # type: ignore[arg-type]
        assert checkpoint is not None and checkpoint.size == 1 == info["treeSize"]
        head = open_checkpoint(
            info["signedTreeHead"].encode(), [verifier_for(HOST, public_key)], origin=origin
        )
        assert head.root_hash.hex() == info["rootHash"]

        # The entry in the bundle, as a client writes it, verifies with the artifact.
        ((_, value),) = fetched.json().items()
        tlog_entry = sign.tlog_entry_from_rekor(value)
        assert bundle.message_signature is not None
        with_entry = sign.message_signature_bundle(
            bundle.message_signature, signer.public_key, tlog_entries=[tlog_entry]
        )
        sign.verify_file_bundle(artifact, with_entry, signer.public_key)
        from_bundle = rekor.LogEntry.from_bundle_json(tlog_entry)
        rekor.verify_log_entry(from_bundle, public_key, key_name=HOST, origin=origin)  # type: ignore[arg-type]

        # The duplicate: 409 and the existing entry's location; a bad request: 400.
        duplicate = client.post("/api/v1/log/entries", json=proposed)
        assert duplicate.status_code == 409
        assert duplicate.headers["location"] == location
        assert duplicate.json()["code"] == 409
        bad = client.post(
            "/api/v1/log/entries",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        assert bad.status_code == 400 and bad.json()["code"] == 400
        assert client.get("/api/v1/log").json()["treeSize"] == 1

    assert server.stop() == 0  # SIGTERM is how a server is stopped: a clean stop, exit 0
    assert server.stderr.read_text().endswith("liturgia: stopped; tree size 1\n")
    # A restart verifies the stored tree and serves the same entry with the same key.
    servers.append(Server(db, tmp_path))
    with httpx.Client(base_url=servers[-1].url, timeout=30) as client:
        again = client.get("/api/v1/log/entries", params={"logIndex": 0})
        assert again.status_code == 200
        entry = rekor.LogEntry.from_api_json(again.json())
        assert entry.body == from_bundle.body
        rekor.verify_log_entry(entry, public_key, key_name=HOST, origin=origin)  # type: ignore[arg-type]


def test_several_workers_share_one_log(tmp_path: Path, servers: list[Server]) -> None:
    """``--workers 2``: two processes on one socket and one database, one dense log."""
    sign.generate_key_pair(tmp_path / "k.key", tmp_path / "k.pub", password=b"pw")
    signer = sign.load_signer(str(tmp_path / "k.key"), password=b"pw")
    proposals = [
        sign.proposed_entry(
            sign.parse_bundle(sign.sign_bytes(b"w%d" % n, signer)), signer.public_key
        )
        for n in range(40)
    ]
    db = tmp_path / "log.db"
    servers.append(Server(db, tmp_path, "--workers", "2"))
    server = servers[-1]
    log_key = serialization.load_pem_private_key(Path(f"{db}.key.pem").read_bytes(), None)

    def submit(proposed: dict[str, object]) -> httpx.Response:
        with httpx.Client(base_url=server.url, timeout=30) as client:  # a connection each
            return client.post("/api/v1/log/entries", json=proposed)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(submit, proposals))
    assert [a.status_code for a in answers] == [201] * 40, [a.text for a in answers][:3]
    entries = [rekor.LogEntry.from_api_json(a.json()) for a in answers]
    assert sorted(e.log_index for e in entries) == list(range(40))
    with httpx.Client(base_url=server.url, timeout=30) as client:
        info = client.get("/api/v1/log").json()
        origin = f"{HOST} - {info['treeID']}"
        for entry in entries:
            rekor.verify_log_entry(entry, log_key.public_key(), key_name=HOST, origin=origin)  # type: ignore[arg-type,union-attr]
        assert client.post("/api/v1/log/entries", json=proposals[7]).status_code == 409
        # Every worker serves the whole tree (each request may land on either one).
        for _ in range(6):
            assert client.get("/api/v1/log").json()["treeSize"] == 40
    server.process.send_signal(signal.SIGINT)  # Ctrl-C stops a server cleanly too
    assert server.process.wait(timeout=30) == 0
    assert server.stderr.read_text().endswith("liturgia: stopped\n")
    servers.append(Server(db, tmp_path))  # a restart verifies what the workers wrote
    assert httpx.get(f"{servers[-1].url}/api/v1/log", timeout=10).json()["treeSize"] == 40


def test_bad_worker_count_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "liturgia",
            "serve",
            "--db",
            f"sqlite://{tmp_path}/x.db",
            "--workers",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == "liturgia: error: --workers must be between 1 and 64, not 0\n"
    assert not (tmp_path / "x.db").exists()


def _serve(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "liturgia", "serve", "--db", f"sqlite://{tmp_path}/x.db", *extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")},
    )


def test_bad_addresses_and_hosts_are_one_line(tmp_path: Path, servers: list[Server]) -> None:
    """Found by a tester: --port 99999 served on a random port; a busy port printed three lines."""
    result = _serve(tmp_path, "--port", "99999")
    assert (result.returncode, result.stderr) == (
        2,
        "liturgia: error: --port must be between 0 and 65535, not 99999\n",
    )
    result = _serve(tmp_path, "--log-host", "log example")
    assert result.returncode == 2
    assert "cannot name a log: it must be non-empty, without spaces or '+'" in result.stderr
    servers.append(Server(tmp_path / "busy.db", tmp_path))
    result = _serve(tmp_path, "--host", HOST, "--port", str(servers[-1].port))
    assert result.returncode == 3
    assert result.stderr == (
        f"liturgia: error: cannot listen on {HOST}:{servers[-1].port}: Address already in use\n"
    )


def test_workers_stop_when_their_parent_is_killed(tmp_path: Path) -> None:
    """Found by a tester: kill -9 of serve left its workers serving the port, orphaned."""
    port = free_port()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    command = [sys.executable, "-m", "liturgia", "serve", "--db", f"sqlite://{tmp_path}/l.db"]
    parent = subprocess.Popen(
        [*command, "--host", HOST, "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        workers: list[int] = []
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.2)
            workers = [
                int(stat.parent.name)
                for stat in Path("/proc").glob("[0-9]*/stat")
                if _ppid(stat) == parent.pid
                and b"spawn_main" in _cmdline(stat.parent)  # not multiprocessing's tracker
            ]
        assert len(workers) == 2
        assert httpx.get(f"http://{HOST}:{port}/api/v1/log", timeout=10).status_code == 200
    finally:
        parent.kill()
        parent.wait(timeout=10)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
        time.sleep(0.2)
    assert not [pid for pid in workers if Path(f"/proc/{pid}/stat").exists() and _alive(pid)]
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://{HOST}:{port}/api/v1/log", timeout=2)


def _ppid(stat: Path) -> int:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for init to reap it does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
