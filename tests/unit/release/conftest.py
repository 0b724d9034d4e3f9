"""Fixtures for the release tests: real git repositories built in temporary folders."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# A fixed identity and dates so commits are reproducible and no global git config is needed.
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Release Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.invalid",
    "GIT_COMMITTER_NAME": "Release Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@dataclass
class GitRepo:
    """A real git repository in a temporary folder, driven by the git command."""

    path: Path

    def git(self, *args: str, input_text: str | None = None) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.path), *args],
            input=input_text,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **_GIT_ENV},
        )
        return done.stdout.strip()

    def commit(self, message: str, *, filename: str | None = None) -> str:
        """Commit a change to a file (a new line in ``filename``) with ``message``; return sha."""
        target = self.path / (filename or "changes.txt")
        with target.open("a", encoding="utf-8") as handle:
            handle.write(message.splitlines()[0] + "\n")
        self.git("add", "--", str(target.relative_to(self.path)))
        self.git("commit", "-q", "-F", "-", input_text=message)
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, *, annotated: bool = False, ref: str = "HEAD") -> None:
        if annotated:
            self.git("tag", "-a", "-m", f"release {name}", name, ref)
        else:
            self.git("tag", name, ref)


@pytest.fixture
def make_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., GitRepo]]:
    """Factory: ``make_repo(name="repo")`` returns an initialised, empty repository."""
    for key, value in _GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir(exist_ok=True)

    def factory(name: str = "repo") -> GitRepo:
        path = tmp_path / name
        path.mkdir()
        repo = GitRepo(path)
        repo.git("init", "-q", "-b", "main")
        repo.git("config", "user.name", "Release Tester")
        repo.git("config", "user.email", "tester@example.invalid")
        return repo

    yield factory
