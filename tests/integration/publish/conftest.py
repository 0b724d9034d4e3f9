"""Real signed releases (examples/vertice; a tiny npm package) and real registries on loopback.

The release is made once per session (about 10 s: a real ``liturgia release`` of the example's
backend, tagged in a throwaway git repository); each test publishes a copy of it from its own
project folder. pypiserver (from PyPI, the ``test`` extra) runs once per session with uploads
protected by an htpasswd file; each test starts from an empty package folder. verdaccio (from
the npm registry, scripts/install-verdaccio.sh) likewise, for the npm target.
"""

from __future__ import annotations

import base64
import contextlib
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
from tests.integration.release.tiny import make_tiny
from tests.peers import install_verdaccio
from tests.serving import HOST, free_port

START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Release:
    """A released folder of vertice 0.2.0 and the publisher's public key."""

    folder: Path
    public_key: Path


@contextlib.contextmanager
def releasing(base: Path) -> Iterator[pytest.MonkeyPatch]:
    """The environment a session-scoped release runs in: its own XDG folders, a fresh key
    under ``base/keys`` with a password, a fixed SOURCE_DATE_EPOCH, no transparency log."""
    with pytest.MonkeyPatch.context() as env:
        for name in ("CONFIG", "CACHE", "STATE", "DATA"):
            env.setenv(f"XDG_{name}_HOME", str(base / "home" / name.lower()))
        env.setenv("LITURGIA_KEY", str(base / "keys" / "release.key"))
        env.setenv("LITURGIA_PASSWORD", "correct horse")
        env.setenv("SOURCE_DATE_EPOCH", "1764400000")
        env.delenv("LITURGIA_TLOG_URL", raising=False)
        yield env


@pytest.fixture(scope="session")
def vertice_release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """A GO release (not a dry run) of vertice 0.2.0, signed with a fresh key."""
    base = tmp_path_factory.mktemp("vertice-release")
    with releasing(base) as env:
        env.setenv("LITURGIA_PYTHON", sys.executable)
        repo = vertice_repo(base / "vertice")
        code = main(["release", "--project", str(repo), "--format", "json"])
    assert code == 0
    folder = repo / "dist" / "vertice-0.2.0"
    assert json.loads((folder / "gate-report.json").read_text())["decision"] == "GO"
    assert not (folder / "DRY-RUN").exists()
    return Release(folder=folder, public_key=base / "keys" / "release.pub")


class Child:
    """A registry child process on a loopback port: started, health-probed, SIGKILLed.

    Subclasses set ``root``, ``port``, ``url`` and give :meth:`command` and ``probe`` (the path
    answering 200 once it serves).
    """

    root: Path
    url: str
    probe: str
    process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        """Start (or restart, on the same port and folder) and wait for its probe."""
        name = type(self).__name__
        with (self.root / "server.log").open("ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=log)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"{name} exited: {(self.root / 'server.log').read_text()}")
            try:
                if httpx.get(self.url + self.probe, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.kill()
        pytest.fail(f"{name} did not answer within {START_TIMEOUT} s")

    def kill(self) -> None:
        """SIGKILL it (no clean shutdown) and reap it."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class PypiServer(Child):
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
        self.start()

    probe = "health"

    def command(self) -> list[str]:
        return [
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
        ]

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


class Verdaccio(Child):
    """A verdaccio child process (npm registry; no uplink), publishing needs the htpasswd user.

    verdaccio itself comes from the npm registry through scripts/install-verdaccio.sh.
    """

    def __init__(self, root: Path, script: Path) -> None:
        self.root = root
        self.script = script
        self.storage = root / "storage"
        self.storage.mkdir(parents=True, exist_ok=True)
        self.username = "publisher"
        self.password = secrets.token_urlsafe(16)
        subprocess.run(
            ["htpasswd", "-cbB", str(root / "htpasswd"), self.username, self.password],
            check=True,
            capture_output=True,
        )
        (root / "config.yaml").write_text(
            f"storage: {self.storage}\n"
            f"auth:\n  htpasswd:\n    file: {root / 'htpasswd'}\n    max_users: -1\n"
            "uplinks: {}\n"
            "packages:\n  '**':\n    access: $all\n    publish: $authenticated\n"
            "    unpublish: $authenticated\n"
            "log: { type: stdout, format: pretty, level: warn }\n"
        )
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}/"
        self.start()

    probe = "-/ping"

    def command(self) -> list[str]:
        config = str(self.root / "config.yaml")
        return ["node", str(self.script), "-c", config, "-l", f"{HOST}:{self.port}"]

    def document(self, package: str) -> dict[str, object]:
        """The package document (packument) it serves."""
        answer = httpx.get(f"{self.url}{package}", timeout=10)
        assert answer.status_code == 200, answer.text
        document: dict[str, object] = answer.json()
        return document

    def clear(self) -> None:
        """Remove every stored package."""
        for path in self.storage.iterdir():
            shutil.rmtree(path) if path.is_dir() else path.unlink()


@pytest.fixture(scope="session")
def _verdaccio_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Verdaccio]:
    server = Verdaccio(tmp_path_factory.mktemp("verdaccio"), install_verdaccio())
    yield server
    server.kill()


@pytest.fixture
def verdaccio(_verdaccio_session: Verdaccio) -> Verdaccio:
    """The session's verdaccio, emptied for this test."""
    _verdaccio_session.clear()
    return _verdaccio_session


#: The tiny project's build: its web/ package, versioned and packed by npm itself.
NPM_PACK = (
    "sh -c 'cp -r web {build_dir}/web && cd {build_dir}/web && npm version {version} "
    "--no-git-tag-version --allow-same-version --loglevel=error >/dev/null && "
    "npm pack --pack-destination {build_dir} --loglevel=error >/dev/null'",
)


@dataclass(frozen=True)
class NpmReleases:
    """Two releases of a tiny project whose artifact is an npm package (``npm pack``):
    0.1.1-rc.1, then 0.1.1."""

    prerelease: Path
    final: Path
    public_key: Path


@pytest.fixture(scope="session")
def npm_releases(tmp_path_factory: pytest.TempPathFactory) -> NpmReleases:
    """``tiny-web`` 0.1.1-rc.1 and 0.1.1, each a GO release signed with a fresh key."""
    base = tmp_path_factory.mktemp("npm-release")
    manifest = {"name": "tiny-web", "version": "0.0.0", "license": "MIT", "main": "index.js"}
    with releasing(base):
        repo = make_tiny(
            base / "tiny",
            files={
                "web/package.json": json.dumps(manifest),
                "web/index.js": "module.exports = () => 'tiny-web says hello';\n",
            },
            build=NPM_PACK,
            artifacts=("{build_dir}/*.tgz",),
        )
        assert main(["release", "--project", str(repo), "--pre", "rc"]) == 0
        assert main(["release", "--project", str(repo)]) == 0
    return NpmReleases(
        prerelease=repo / "dist" / "tiny-0.1.1-rc.1",
        final=repo / "dist" / "tiny-0.1.1",
        public_key=base / "keys" / "release.pub",
    )
