"""`liturgia release --check-reproducible`: two builds into fresh folders, digests compared."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from liturgia.cli import main

PY = sys.executable


@pytest.fixture(autouse=True)
def _epoch_unset_and_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command pins SOURCE_DATE_EPOCH in its own process: unset here, put back after."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")  # recorded, so that teardown restores it
    monkeypatch.delenv("SOURCE_DATE_EPOCH")


def _project(tmp_path: Path) -> Path:
    """Two builds: one writes the same bytes each time, one embeds the time of the build."""
    project = tmp_path / "timely"
    project.mkdir()
    (project / "stable.py").write_text(
        "import os, pathlib, sys\n"
        "with open(pathlib.Path(__file__).with_name('ran.log'), 'a') as log:\n"
        "    log.write('ran\\n')\n"
        "out = pathlib.Path(sys.argv[1]) / 'stable.txt'\n"
        "out.write_text('built at ' + os.environ['SOURCE_DATE_EPOCH'])\n"
    )
    (project / "clock.py").write_text(
        "import pathlib, sys, time\n"
        "out = pathlib.Path(sys.argv[1]) / 'clock.txt'\n"
        "out.write_text('built at %d' % time.time_ns())\n"
    )
    (project / "liturgia.toml").write_text(
        f"""[project]
name = "timely"

[build]
commands = ["{PY} stable.py {{build_dir}}"]
artifacts = ["{{build_dir}}/stable.txt"]

[[builds]]
name = "clock"
commands = ["{PY} clock.py {{build_dir}}"]
artifacts = ["{{build_dir}}/clock.txt"]
""",
        encoding="utf-8",
    )
    return project


def test_a_build_step_embedding_the_time_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path)
    code = main(["release", "--check-reproducible", "--project", str(project)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "DIFFERS  clock.txt: sha256:" in err
    assert "same     stable.txt sha256:" in err
    assert "not reproducible: 1 of 2 artifacts differ: clock.txt" in err
    assert not (project / "dist").exists()  # nothing is released
    assert (project / "ran.log").read_text() == "ran\nran\n"  # built twice


def test_json_names_the_differing_artifact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    code = main(["release", "--check-reproducible", "--project", str(project), "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 1
    assert document["reproducible"] is False
    assert document["differing"] == ["clock.txt"]
    assert document["source_date_epoch"] == 1700000000
    stable = next(a for a in document["artifacts"] if a["name"] == "stable.txt")
    assert stable["same"] is True
    assert stable["first"] == stable["second"]


def test_a_missing_toolchain_stops_before_anything_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path)
    config = project / "liturgia.toml"
    config.write_text(
        config.read_text() + '\n[[builds]]\nname = "cli"\ncommands = ["go build"]\n'
        'artifacts = ["x"]\n'
    )
    # A PATH with git (the version is read from the history) and no Go.
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "git").symlink_to(shutil.which("git") or "git")
    monkeypatch.setenv("PATH", str(tools))
    code = main(["release", "--check-reproducible", "--project", str(project)])
    err = capsys.readouterr().err
    assert code == 2
    assert "builds[cli].commands[0]: 'go': program not found on PATH" in err
    assert "apt-get install golang-go" in err
    assert not (project / "ran.log").exists()  # stopped in the preflight


@pytest.mark.slow
def test_the_example_is_reproducible(
    make_vertice: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_vertice(polyglot=True)
    code = main(["release", "--check-reproducible", "--project", str(repo), "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    document = json.loads(out.out)
    assert document["reproducible"] is True
    # Pinned to the last commit's time when SOURCE_DATE_EPOCH is unset.
    assert document["source_date_epoch"] > 1_700_000_000
    assert sorted(a["name"] for a in document["artifacts"]) == [
        "vcli-0.2.0-darwin-arm64",
        "vcli-0.2.0-linux-amd64",
        "vcli-0.2.0-linux-arm64",
        "vcli-0.2.0-windows-amd64.exe",
        "vertice-frontend-0.2.0.tgz",
        "vertice_backend-0.2.0-py3-none-any.whl",
        "vertice_backend-0.2.0.tar.gz",
    ]
