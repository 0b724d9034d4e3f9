"""``liturgia serve`` start-up: nothing created on a port in use, an altered entry body refused.

A tester's report (issue 10): ``serve`` on a port in use first created a new database, an
unencrypted key file and lock files, then failed; and a body altered in the database was served,
since start-up checked the stored tree but not the bodies beside it.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.rekor_requests import hashedrekord

from .conftest import HOST, Server, free_port


def _serve(db: Path | None, port: int, home: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    database = [] if db is None else ["--db", f"sqlite://{db}"]
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "liturgia",
            "serve",
            *database,
            "--host",
            HOST,
            "--port",
            str(port),
            *extra,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_DATA_HOME": str(home / "data")},
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_creates_no_file(tmp_path: Path, workers: str) -> None:
    with socket.create_server((HOST, 0)) as taken:
        port = taken.getsockname()[1]
        db = tmp_path / "tlog" / "log.db"
        refused = _serve(db, port, tmp_path, "--workers", workers)
        default = _serve(None, port, tmp_path)  # no --db: the default database folder
    assert refused.returncode == 3, refused.stderr
    assert refused.stderr.strip().splitlines() == [
        f"liturgia: error: cannot listen on {HOST}:{port}: Address already in use"
    ]
    assert default.returncode == 3, default.stderr
    # No database, key, WAL or lock file, nor the folders they would live in.
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == []


def _post(server: Server, count: int) -> list[dict[str, Any]]:
    key = ec.generate_private_key(ec.SECP256R1())
    answers = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for n in range(count):
            response = client.post(
                "/api/v1/log/entries", json=hashedrekord(key, b"artifact %d" % n)
            )
            assert response.status_code == 201, response.text
            answers.append(response.json())
    return answers


def test_an_altered_entry_body_is_refused(tmp_path: Path, servers: list[Server]) -> None:
    db = tmp_path / "log.db"
    servers.append(Server(db, tmp_path))
    _post(servers[-1], 3)
    assert servers[-1].stop() == 0
    conn = sqlite3.connect(db)
    (original,) = conn.execute("SELECT body FROM entries WHERE idx = 1").fetchone()
    altered = bytes(original).replace(b"hashedrekord", b"hashedrekorD")
    conn.execute("UPDATE entries SET body = ? WHERE idx = 1", (altered,))
    conn.commit()
    conn.close()
    for workers in ("1", "2"):
        refused = _serve(db, free_port(), tmp_path, "--workers", workers)
        assert refused.returncode == 3, refused.stderr
        (line,) = refused.stderr.strip().splitlines()
        assert line.startswith(
            f"liturgia: error: refusing to serve the stored log {db}: entry 1: the stored body "
            "does not hash to its leaf hash"
        )
        assert line.endswith("restore the database from a backup taken before the change")
    # Put back, the log serves again, entry 1 included.
    conn = sqlite3.connect(db)
    conn.execute("UPDATE entries SET body = ? WHERE idx = 1", (original,))
    conn.commit()
    conn.close()
    servers.append(Server(db, tmp_path))
    answer = httpx.get(f"{servers[-1].url}/api/v1/log/entries?logIndex=1", timeout=30)
    assert answer.status_code == 200, answer.text
