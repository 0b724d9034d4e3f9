"""A real ``liturgia serve`` child process on a free loopback port, for the server and chaos
tests (``tests/integration/server/conftest.py`` gives it as the ``servers`` fixture)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
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
    """One ``liturgia serve`` child process (started and stopped by the test); ``db`` is an
    SQLite file or a ``--db`` URL, ``extra`` adds options such as ``--key``; ``prefix`` comes
    before the command (e.g. a shell that moves itself into a cgroup, then execs it).

    Attributes:
        started_in: seconds from the spawn to the first 200 of ``GET /api/v1/log``.
    """

    def __init__(self, db: Path | str, home: Path, *extra: str, prefix: Sequence[str] = ()) -> None:
        self.db = db
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.stderr = home / f"serve-{self.port}.err"
        env = {**os.environ, "XDG_DATA_HOME": str(home / "data")}
        spawned = time.monotonic()
        with self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                [
                    *prefix,  # e.g. a shell that joins a cgroup, then execs the server
                    sys.executable,
                    "-m",
                    "liturgia",
                    "serve",
                    "--db",
                    db if isinstance(db, str) else f"sqlite://{db}",
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
        self._wait_ready(spawned)

    def _wait_ready(self, spawned: float) -> None:
        deadline = spawned + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"serve exited {self.process.returncode}: {self.stderr.read_text()}")
            try:
                if httpx.get(f"{self.url}/api/v1/log", timeout=2).status_code == 200:
                    self.started_in = time.monotonic() - spawned
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"serve did not answer within {START_TIMEOUT} s: {self.stderr.read_text()}")

    def kill(self) -> None:
        """SIGKILL the server (if alive) and reap it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        """SIGTERM the server (a clean stop; SIGKILL after 20 s); return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode


def make_token(db: Path | str, project: str) -> str:
    """A write token of ``project`` made with ``liturgia serve token create`` on SQLite ``db``."""
    made = subprocess.run(
        [sys.executable, "-m", "liturgia", "serve", "token", "create", project,
         "--db", f"sqlite://{db}"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return made.stdout.strip()
