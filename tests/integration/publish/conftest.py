"""A real signed release of examples/vertice, and a real pypiserver on loopback.

The release is made once per session (about 10 s: a real ``liturgia release`` of the example's
backend, tagged in a throwaway git repository); each test publishes a copy of it from its own
project folder. pypiserver (from PyPI, the ``test`` extra) runs once per session with uploads
protected by an htpasswd file; each test starts from an empty package folder.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from liturgia.cli import main
from tests.integration.release.conftest import vertice_repo
from tests.serving import HOST, free_port

START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Release:
    """A released folder of vertice 0.2.0 and the publisher's public key."""

    folder: Path
    public_key: Path


@pytest.fixture(scope="session")
def vertice_release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """A GO release (not a dry run) of vertice 0.2.0, signed with a fresh key."""
    base = tmp_path_factory.mktemp("vertice-release")
    with pytest.MonkeyPatch.context() as env:
        for name in ("CONFIG", "CACHE", "STATE", "DATA"):
            env.setenv(f"XDG_{name}_HOME", str(base / "home" / name.lower()))
        env.setenv("LITURGIA_KEY", str(base / "keys" / "release.key"))
        env.setenv("LITURGIA_PASSWORD", "correct horse")
        env.setenv("SOURCE_DATE_EPOCH", "1764400000")
        env.setenv("LITURGIA_PYTHON", sys.executable)
        env.delenv("LITURGIA_TLOG_URL", raising=False)
        repo = vertice_repo(base / "vertice")
        code = main(["release", "--project", str(repo), "--format", "json"])
    assert code == 0
    folder = repo / "dist" / "vertice-0.2.0"
    assert json.loads((folder / "gate-report.json").read_text())["decision"] == "GO"
    assert not (folder / "DRY-RUN").exists()
    return Release(folder=folder, public_key=base / "keys" / "release.pub")


class PypiServer:
    """A pypiserver child process serving ``packages`` (uploads need the htpasswd user)."""

    def __init__(self, root: Path, *, port: int | None = None) -> None:
        self.root = root
        self.packages = root / "packages"
        self.packages.mkdir(parents=True, exist_ok=True)
        self.username = "publisher"
        self.password = secrets.token_urlsafe(16)
        # Apache's {SHA} htpasswd scheme, which pypiserver reads through passlib (imported
        # only in the server's process: passlib warns of crypt's removal on import).
        sha1 = hashlib.sha1(self.password.encode(), usedforsecurity=False)
        digest = base64.b64encode(sha1.digest()).decode()
        (root / "htpasswd").write_text(f"{self.username}:{{SHA}}{digest}\n")
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}/"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        """Start (or restart, on the same port and folder) and wait for its health probe."""
        log = (self.root / "server.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pypiserver",
                "run",
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--authenticate",
                "update",
                "--passwords",
                str(self.root / "htpasswd"),
                "--disable-fallback",
                "--backend",
                "simple-dir",
                "--hash-algo",
                "sha256",
                str(self.packages),
            ],
            stdout=log,
            stderr=log,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"pypiserver exited: {(self.root / 'server.log').read_text()}")
            try:
                if httpx.get(f"{self.url}health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.kill()
        pytest.fail(f"pypiserver did not answer within {START_TIMEOUT} s")

    def kill(self) -> None:
        """SIGKILL it (no clean shutdown) and reap it."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def files(self) -> dict[str, bytes]:
        """``{file name: bytes}`` of what it stores."""
        return {p.name: p.read_bytes() for p in sorted(self.packages.iterdir()) if p.is_file()}

    def clear(self) -> None:
        """Remove every stored file."""
        for path in self.packages.iterdir():
            path.unlink()


@pytest.fixture(scope="session")
def _pypiserver_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PypiServer]:
    server = PypiServer(tmp_path_factory.mktemp("pypiserver"))
    yield server
    server.kill()


@pytest.fixture
def pypiserver(_pypiserver_session: PypiServer) -> PypiServer:
    """The session's pypiserver, emptied for this test."""
    _pypiserver_session.clear()
    return _pypiserver_session


@dataclass(frozen=True)
class Project:
    """A project folder whose liturgia.toml names the targets, with a copy of the release."""

    root: Path
    release: Path
    public_key: Path


def make_project(root: Path, release: Release, targets: str) -> Project:
    """Write ``root/liturgia.toml`` (``[project]`` and ``targets``) and copy the release into
    ``root/dist``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "liturgia.toml").write_text(f'[project]\nname = "vertice"\n\n{targets}\n')
    copy = root / "dist" / release.folder.name
    shutil.copytree(release.folder, copy)
    return Project(root=root, release=copy, public_key=release.public_key)


def pypi_table(name: str, server: PypiServer) -> str:
    """A ``[publish.NAME]`` table for a pypiserver."""
    return f'[publish.{name}]\nkind = "pypi"\nurl = "{server.url}"\n'


@pytest.fixture
def staging(
    tmp_path: Path,
    vertice_release: Release,
    pypiserver: PypiServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Project:
    """A project whose ``staging`` target is the session's pypiserver, its credentials in the
    environment."""
    monkeypatch.setenv("LITURGIA_PUBLISH_STAGING_USERNAME", pypiserver.username)
    monkeypatch.setenv("LITURGIA_PUBLISH_STAGING_PASSWORD", pypiserver.password)
    return make_project(tmp_path / "project", vertice_release, pypi_table("staging", pypiserver))
