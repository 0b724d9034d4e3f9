"""A real ``liturgia serve`` keeps its --index-offset and --tree-id across restarts (issue 6).

The tester's report: a log served with ``--index-offset 1000`` and restarted without it served
its entries from logIndex 0, with SETs signed over the new index, contradicting what it had
signed. The offset and tree ID are now stored with the database: a restart without the flags
serves the same entries under the same logIndex, their SETs and proofs verify, and a
conflicting flag stops ``serve`` with exit 2 and one line saying why.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from liturgia.tlog import rekor
from tests.rekor_requests import hashedrekord

from .conftest import HOST, Server, free_port


def _proposed(artifact: bytes) -> dict[str, Any]:
    """A hashedrekord proposal for ``artifact``, signed by a new P-256 key."""
    return hashedrekord(ec.generate_private_key(ec.SECP256R1()), artifact)


def _fetch_verified(server: Server, log_index: int, tree_id: int) -> rekor.LogEntry:
    """GET ?logIndex=N, then verify SET, checkpoint and inclusion proof offline."""
    response = httpx.get(
        f"{server.url}/api/v1/log/entries", params={"logIndex": log_index}, timeout=30
    )
    assert response.status_code == 200, response.text
    entry = rekor.LogEntry.from_api_json(response.json())
    assert list(response.json()) == [rekor.entry_id(entry.body, tree_id)]
    data = Path(f"{server.db}.key.pem").read_bytes()
    public_key: Any = serialization.load_pem_private_key(data, password=None).public_key()
    rekor.verify_log_entry(entry, public_key, key_name=HOST, origin=f"{HOST} - {tree_id}")
    return entry


def test_a_restart_without_the_flags_keeps_the_log_index(
    tmp_path: Path, servers: list[Server]
) -> None:
    db = tmp_path / "io.db"
    servers.append(Server(db, tmp_path, "--index-offset", "1000", "--tree-id", "4242"))
    first = servers[-1]
    created: list[rekor.LogEntry] = []
    with httpx.Client(base_url=first.url, timeout=30) as client:
        for n in range(4):
            response = client.post("/api/v1/log/entries", json=_proposed(b"artifact %d" % n))
            assert response.status_code == 201, response.text
            created.append(rekor.LogEntry.from_api_json(response.json()))
    assert [entry.log_index for entry in created] == [1000, 1001, 1002, 1003]
    assert first.stop() == 0

    # The tester's restart: no --index-offset, no --tree-id.
    servers.append(Server(db, tmp_path))
    again = servers[-1]
    info = httpx.get(f"{again.url}/api/v1/log", timeout=30).json()
    assert (info["treeID"], info["treeSize"]) == ("4242", 4)
    for before in created:
        after = _fetch_verified(again, before.log_index, 4242)
        assert (after.log_index, after.body) == (before.log_index, before.body)
        assert after.inclusion_proof is not None
        assert after.inclusion_proof.log_index == before.log_index - 1000
    # The tree-local index is not served as a global one.
    missing = httpx.get(f"{again.url}/api/v1/log/entries", params={"logIndex": 0}, timeout=30)
    assert missing.status_code == 404
    assert again.stop() == 0

    # With --workers 2 (the parent passes the stored values to its workers) the same holds,
    # and a new entry continues the global numbering.
    servers.append(Server(db, tmp_path, "--workers", "2"))
    many = servers[-1]
    response = httpx.post(
        f"{many.url}/api/v1/log/entries", json=_proposed(b"artifact 4"), timeout=30
    )
    assert response.status_code == 201, response.text
    assert rekor.LogEntry.from_api_json(response.json()).log_index == 1004
    assert _fetch_verified(many, 1001, 4242).body == created[1].body
    assert many.stop() == 0

    # A conflicting flag: exit 2, one line naming the database and both values.
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    for flag, stored, given in (("--index-offset", "1000", "0"), ("--tree-id", "4242", "7")):
        refused = subprocess.run(
            [
                sys.executable,
                "-m",
                "liturgia",
                "serve",
                "--db",
                f"sqlite://{db}",
                "--host",
                HOST,
                "--port",
                str(free_port()),
                flag,
                given,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.strip().splitlines() == [
            f"liturgia: error: {db}: this log was created with {flag} {stored}, not {given}"
        ]
