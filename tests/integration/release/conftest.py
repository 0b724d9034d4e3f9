"""A real git repository holding a copy of examples/vertice, with conventional commits."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import tomlkit

from tests.conftest import EXAMPLE

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Release Engineer",
    "GIT_AUTHOR_EMAIL": "re@example.test",
    "GIT_COMMITTER_NAME": "Release Engineer",
    "GIT_COMMITTER_EMAIL": "re@example.test",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` and return its stdout."""
    env = {**os.environ, **GIT_ENV, "HOME": str(repo)}
    return subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def vertice_repo(repo: Path, *, polyglot: bool = False) -> Path:
    """A git repository at ``repo`` with examples/vertice, tagged v0.1.0, then a feat and a fix.

    ``polyglot=True`` keeps the example's Go and npm builds (``[[builds]]``: four Go binaries
    and the front end's tarball); by default they are left out of the copy's liturgia.toml, so
    the many tests about other stages build only the backend (seconds, not a minute of
    cross-compiling and ``npm ci``).
    """
    shutil.copytree(
        EXAMPLE,
        repo,
        ignore=shutil.ignore_patterns(
            "dist", "__pycache__", "*.egg-info", ".coverage*", "node_modules"
        ),
    )
    (repo / ".gitignore").write_text("dist/\n__pycache__/\nnode_modules/\n")
    if not polyglot:
        config = repo / "liturgia.toml"
        document = tomlkit.parse(config.read_text(encoding="utf-8"))
        del document["builds"]
        config.write_text(tomlkit.dumps(document), encoding="utf-8")
    git(repo, "init", "-q")
    commit_all(repo, "feat: vertice backend, front end and command")
    git(repo, "tag", "-a", "v0.1.0", "-m", "vertice 0.1.0")
    graph = repo / "backend" / "src" / "vertice_backend" / "graph.py"
    graph.write_text(graph.read_text() + "\n\nVERTEX_LIMIT = 10_000\n")
    commit_all(repo, "feat(graph): limit the number of vertices")
    readme = repo / "README.md"
    readme.write_text(readme.read_text() + "\nRoutes are symmetric.\n")
    commit_all(repo, "fix(docs): say that routes are symmetric\n\nCloses #12")
    return repo


@pytest.fixture
def make_vertice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Factory: :func:`vertice_repo` in ``tmp_path/vertice`` (``make(polyglot=True)`` keeps the
    Go and npm builds).

    The copy lives outside the repository, so its ``[build].python`` (the repository's .venv)
    does not exist there: ``LITURGIA_PYTHON`` names the interpreter running the tests, which
    has the example's build and test tools.
    """
    monkeypatch.setenv("LITURGIA_PYTHON", sys.executable)

    def make(*, polyglot: bool = False) -> Path:
        return vertice_repo(tmp_path / "vertice", polyglot=polyglot)

    return make


@pytest.fixture
def signing_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A key location and password in the environment; returns the private key path."""
    key = tmp_path / "keys" / "release.key"
    monkeypatch.setenv("LITURGIA_KEY", str(key))
    monkeypatch.setenv("LITURGIA_PASSWORD", "correct horse")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764400000")
    return key
