"""A real ``liturgia serve`` child process on a free loopback port, for the server tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

HOST = "127.0.0.1"
START_TIMEOUT = 30.0


def free_port() -> int:
    """A free TCP port on the loopback address."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class Server:
    """One ``liturgia serve`` child process on SQLite (started and stopped by the test);
    ``extra`` adds options such as ``--key``."""

    def __init__(self, db: Path, home: Path, *extra: str) -> None:
        self.db = db
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.stderr = home / f"serve-{self.port}.err"
        env = {**os.environ, "XDG_DATA_HOME": str(home / "data")}
        with self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
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
                    str(self.port),
                    *extra,
                ],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"serve exited {self.process.returncode}: {self.stderr.read_text()}")
            try:
                if httpx.get(f"{self.url}/api/v1/log", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"serve did not answer within {START_TIMEOUT} s: {self.stderr.read_text()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()
