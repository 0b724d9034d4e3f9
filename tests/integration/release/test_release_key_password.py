"""A signing key that exists but does not open: one line naming the key and the ways out (issue 10).

The failing input of the report: a machine that already holds a liturgia key with another
password in ``~/.config/liturgia/keys/release.key``. Before, the release said only "...: wrong
password or corrupt key". Now the line names the key, ``LITURGIA_PASSWORD``, and how this
command takes another key; exit 2, nothing written, the existing key untouched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from liturgia import sign
from liturgia.cli import main
from tests.conftest import EXAMPLE, ROOT
from tests.integration.release.conftest import commit_all, git

NEW_PAIR = "(a new key pair is created at a PATH that does not exist yet)"


def _someone_elses_key(path: Path) -> bytes:
    """A real key pair at ``path`` whose password is not ours; returns the private key's bytes."""
    sign.generate_key_pair(path, path.with_suffix(".pub"), password=b"someone else's password")
    return path.read_bytes()


def _release(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["release", "--dry-run", "--project", str(repo)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, [line for line in err.splitlines() if line.startswith("liturgia: error:")]


def test_default_key_with_another_password(
    make_vertice: Callable[[], Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The default location, as on the reporter's machine ($XDG_CONFIG_HOME is a temp folder).
    key = Path(os.environ["XDG_CONFIG_HOME"]) / "liturgia" / "keys" / "release.key"
    before = _someone_elses_key(key)
    monkeypatch.setenv("LITURGIA_PASSWORD", "change-me")
    repo = make_vertice()
    code, errors = _release(repo, capsys)
    assert code == 2
    assert errors == [
        f"liturgia: error: {key}: wrong password or corrupt key; set LITURGIA_PASSWORD to this "
        f"key's password, or use another key with LITURGIA_KEY=PATH or [signing].key in "
        f"{repo / 'liturgia.toml'} {NEW_PAIR}"
    ]
    assert key.read_bytes() == before
    dist = repo / "dist"
    assert (sorted(p.name for p in dist.iterdir()) if dist.exists() else []) in ([], [".gitignore"])

    # Following the advice works: another key through LITURGIA_KEY is created and used.
    other = repo.parent / "demo" / "release.key"
    monkeypatch.setenv("LITURGIA_KEY", str(other))
    assert main(["release", "--dry-run", "--project", str(repo), "--format", "json"]) == 0
    capsys.readouterr()
    assert other.is_file() and other.with_suffix(".pub").is_file()
    assert key.read_bytes() == before


def test_a_relative_liturgia_key_is_relative_to_where_liturgia_runs(
    make_vertice: Callable[[], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # As for `liturgia sign` and `verify` (the README's command relies on it): a relative
    # LITURGIA_KEY names a file from the current folder, not from the project's.
    repo = make_vertice()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("LITURGIA_KEY", "demo/release.key")
    monkeypatch.setenv("LITURGIA_PASSWORD", "change-me")
    assert main(["release", "--dry-run", "--project", str(repo), "--format", "json"]) == 0
    released = json.loads(capsys.readouterr().out)["directory"]
    assert sorted(p.name for p in (work / "demo").iterdir()) == ["release.key", "release.pub"]
    assert not (repo / "demo").exists()
    assert main(["verify", released, "--key", "demo/release.pub"]) == 0


def test_configured_key_with_another_password(
    make_vertice: Callable[[], Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_vertice()
    config = repo / "liturgia.toml"
    config.write_text(config.read_text() + '\n[signing]\nkey = "keys/team.key"\n')
    commit_all(repo, "chore: sign with the team key")
    _someone_elses_key(repo / "keys" / "team.key")
    monkeypatch.setenv("LITURGIA_PASSWORD", "change-me")
    code, errors = _release(repo, capsys)
    assert code == 2
    assert errors == [
        f"liturgia: error: {repo / 'keys' / 'team.key'}: wrong password or corrupt key; set "
        f"LITURGIA_PASSWORD to this key's password, or point [signing].key in {config} at "
        "another key"
    ]


def _readme_first_command() -> str:
    """The README's first ``sh`` block: the command a new user runs first."""
    block = re.search(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text(), re.DOTALL)
    assert block is not None
    (command,) = block.group(1).splitlines()
    return command


@pytest.mark.slow
def test_readme_first_command_on_a_machine_that_has_another_key(tmp_path: Path) -> None:
    # The README's command, as written, in a copy of the project, with a HOME that already holds
    # a liturgia key with another password. Only the venv set-up is replaced by this test's venv.
    command = _readme_first_command()
    tools = "bash scripts/install-example-tools.sh && "
    setup = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[example]' && "
    assert command.startswith(tools + setup), command
    command = command.removeprefix(tools)
    project = tmp_path / "liturgia"
    shutil.copytree(
        EXAMPLE,
        project / "examples" / "vertice",
        ignore=shutil.ignore_patterns(
            "dist", "reports", "__pycache__", "*.egg-info", ".cov*", "node_modules"
        ),
    )
    shutil.copy2(ROOT / ".gitignore", project / ".gitignore")
    shutil.copy2(ROOT / "README.md", project / "README.md")
    (project / "scripts").mkdir()
    shutil.copy2(ROOT / "scripts" / "install-example-tools.sh", project / "scripts")
    git(project, "init", "-q")
    commit_all(project, "feat: the project as a user clones it")
    (project / ".venv").symlink_to(Path(sys.prefix))
    home = tmp_path / "home"
    key = home / ".config" / "liturgia" / "keys" / "release.key"
    before = _someone_elses_key(key)
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("LITURGIA_", "XDG_", "SOURCE_DATE_EPOCH"))
    }
    env["HOME"] = str(home)
    # The Go and npm caches stay the machine's (warm), as they would for that user.
    go_cache = subprocess.run(["go", "env", "GOCACHE"], capture_output=True, text=True, check=True)
    env["GOCACHE"] = go_cache.stdout.strip()
    env["npm_config_cache"] = str(Path.home() / ".npm")
    result = subprocess.run(
        # The toolchains are present here, so the install script must be a no-op.
        ["bash", "-c", tools + command.removeprefix(setup)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "GO: " in result.stderr
    assert result.stderr.endswith(
        "verified: examples/vertice/dist/vertice-0.1.0 (key .demo-keys/release.pub)\n"
    )
    assert key.read_bytes() == before
    # The demo pair is where the README says, and git ignores it.
    assert (project / ".demo-keys" / "release.key").is_file()
    assert git(project, "status", "--porcelain", "--", ".demo-keys") == ""
