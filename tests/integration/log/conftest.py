"""``liturgia serve`` child processes on free loopback ports, and real signed entries for them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from liturgia import sign

HOST = "127.0.0.1"
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class Server:
    """One ``liturgia serve`` process on SQLite (``extra`` adds options such as ``--key``)."""

    def __init__(self, db: Path, home: Path, *extra: str) -> None:
        self.db = db
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.stderr = home / f"serve-{self.port}.err"
        env = {**os.environ, "XDG_DATA_HOME": str(home / "data")}
        command = [sys.executable, "-m", "liturgia", "serve", "--db", f"sqlite://{db}"]
        command += ["--host", HOST, "--port", str(self.port), *extra]
        with self.stderr.open("wb") as err:
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=env)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"serve exited {self.process.returncode}: {self.stderr.read_text()}")
            try:
                if httpx.get(f"{self.url}/api/v1/log", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"serve did not answer within {START_TIMEOUT} s: {self.stderr.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class Entries:
    """Makes distinct hashedrekord proposals signed by one real P-256 key (liturgia.sign)."""

    def __init__(self, folder: Path) -> None:
        sign.generate_key_pair(folder / "signer.key", folder / "signer.pub", password=b"pw")
        self.signer = sign.load_signer(str(folder / "signer.key"), password=b"pw")
        self.count = 0

    def proposed(self, tag: str = "") -> dict[str, Any]:
        self.count += 1
        data = f"artifact {tag} {self.count}\n".encode() * 20
        bundle = sign.parse_bundle(sign.sign_bytes(data, self.signer))
        return sign.proposed_entry(bundle, self.signer.public_key)

    def submit(self, server: Server, count: int, tag: str = "") -> list[str]:
        """Submit ``count`` new entries; return their entry IDs (each answered 201)."""
        created = []
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for _ in range(count):
                answer = client.post("/api/v1/log/entries", json=self.proposed(tag))
                assert answer.status_code == 201, answer.text
                created += list(answer.json())
        return created


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def entries(tmp_path: Path) -> Entries:
    return Entries(tmp_path)
