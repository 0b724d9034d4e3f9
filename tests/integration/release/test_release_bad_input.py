"""Bad input: a one-line error naming the cause, exit 2, nothing half-written in dist/."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from liturgia import sign
from liturgia.cli import main
from tests.integration.release.conftest import commit_all


def _release(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["release", "--dry-run", "--allow-dirty", "--project", str(repo)])
    err = capsys.readouterr().err
    return code, err


def _assert_clean_failure(repo: Path, code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.startswith("liturgia: error:")]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in err
    dist = repo / "dist"
    left = sorted(p.name for p in dist.iterdir()) if dist.exists() else []
    assert left in ([], [".gitignore"]), left


#: A build command run before vertice's own: ``%`` is a line of Python (TOML-escaped).
FIRST_BUILD_COMMAND = 'commands = ["python -c \'%s\'", "python -m build'


def _edit_config(repo: Path, *changes: tuple[str, str]) -> None:
    config = repo / "liturgia.toml"
    text = config.read_text()
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    config.write_text(text)


def test_no_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _release(tmp_path, capsys)
    _assert_clean_failure(tmp_path, code, err, "no liturgia.toml", "liturgia init")


def test_unknown_key(make_vertice: Callable[[], Path], capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_vertice()
    config = repo / "liturgia.toml"
    config.write_text(config.read_text().replace("[gates]", "[gates]\ncoverage_minimum = 3"))
    code, err = _release(repo, capsys)
    _assert_clean_failure(repo, code, err, "liturgia.toml", "gates.coverage_minimum", "unknown key")


def test_wrong_type(make_vertice: Callable[[], Path], capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_vertice()
    config = repo / "liturgia.toml"
    config.write_text(config.read_text().replace("coverage_min = 85", 'coverage_min = "85"'))
    code, err = _release(repo, capsys)
    _assert_clean_failure(repo, code, err, "liturgia.toml", "gates.coverage_min")


def test_failing_build_command(
    make_vertice: Callable[[], Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_vertice()
    _edit_config(
        repo, ('commands = ["python -m build', FIRST_BUILD_COMMAND % "raise SystemExit(3)")
    )
    code, err = _release(repo, capsys)
    _assert_clean_failure(repo, code, err, "build.commands[0]", "exit code 3")


def test_glob_matches_nothing(
    make_vertice: Callable[[], Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_vertice()
    config = repo / "liturgia.toml"
    config.write_text(config.read_text().replace('"{build_dir}/*.tar.gz"', '"{build_dir}/*.zip"'))
    code, err = _release(repo, capsys)
    _assert_clean_failure(
        repo, code, err, "build.artifacts[1]", "'{build_dir}/*.zip' matches no file"
    )


def test_wrong_key_password(
    make_vertice: Callable[[], Path],
    signing_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sign.generate_key_pair(signing_env, signing_env.with_suffix(".pub"), password=b"the real one")
    repo = make_vertice()
    code, err = _release(repo, capsys)
    _assert_clean_failure(repo, code, err, str(signing_env), "password")


def test_unreadable_osv_folder(
    make_vertice: Callable[[], Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Tests run as root, for whom permission bits do not make a folder unreadable; a symlink
    # loop does (ELOOP) for every user.
    repo = make_vertice()
    shutil.rmtree(repo / "osv")
    (repo / "osv").symlink_to(repo / "osv")
    code, err = _release(repo, capsys)
    _assert_clean_failure(repo, code, err, "osv")


def test_osv_folder_without_advisories(
    make_vertice: Callable[[], Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_vertice()
    shutil.rmtree(repo / "osv")
    (repo / "osv").mkdir()
    (repo / "osv" / "GHSA-garbage.json").write_bytes(bytes(range(256)))
    code, err = _release(repo, capsys)
    _assert_clean_failure(repo, code, err, "osv")


def test_missing_osv_folder(
    make_vertice: Callable[[], Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_vertice()
    config = repo / "liturgia.toml"
    config.write_text(config.read_text().replace('osv = ["osv"]', 'osv = ["advisories"]'))
    code, err = _release(repo, capsys)
    _assert_clean_failure(repo, code, err, "advisories")


def test_osv_folder_that_is_a_file(
    make_vertice: Callable[[], Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_vertice()
    config = repo / "liturgia.toml"
    config.write_text(config.read_text().replace('osv = ["osv"]', 'osv = ["README.md"]'))
    code, err = _release(repo, capsys)
    _assert_clean_failure(repo, code, err, "README.md")


def test_no_advisory_database_is_an_error(
    make_vertice: Callable[[], Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_vertice()
    config = repo / "liturgia.toml"
    config.write_text(config.read_text().replace('osv = ["osv"]', "osv = []"))
    commit_all(repo, "chore: drop advisories")
    code, err = _release(repo, capsys)
    _assert_clean_failure(repo, code, err, "scan.osv", "no advisory database")


def test_config_that_is_not_utf8(
    make_vertice: Callable[[], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_vertice()
    config = repo / "liturgia.toml"
    config.write_bytes(config.read_bytes() + b"\xff\xfe")
    code, err = _release(repo, capsys)
    _assert_clean_failure(repo, code, err, "liturgia.toml", "not UTF-8")


def test_empty_password_for_a_new_key(
    make_vertice: Callable[[], Path],
    signing_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LITURGIA_PASSWORD", "")
    repo = make_vertice()
    code, err = _release(repo, capsys)
    _assert_clean_failure(repo, code, err, "password is empty")
    assert not signing_env.exists()


def test_stale_advisories_are_an_error_before_the_build(
    make_vertice: Callable[[], Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_vertice()
    config = repo / "liturgia.toml"
    config.write_text(config.read_text().replace("max_age_days = 3650", "max_age_days = 7"))
    code, err = _release(repo, capsys)
    _assert_clean_failure(repo, code, err, "newest advisory is", "scan.max_age_days")
    assert "build" not in err  # failed in preflight, before anything was built


def test_a_foreign_folder_in_the_way_is_not_replaced(
    make_vertice: Callable[[], Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_vertice()
    mine = repo / "dist" / "vertice-0.2.0"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("mine")
    code, err = _release(repo, capsys)
    assert code == 2, err
    assert "exists and is not a liturgia release folder" in err
    assert (mine / "notes.txt").read_text() == "mine"


def test_a_missing_tool_is_named_before_anything_is_built(
    make_vertice: Callable[[], Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 10 item 10: a program no one can run is a preflight error (exit 2) naming it."""
    repo = make_vertice()
    _edit_config(
        repo,
        ('commands = ["python -m build', FIRST_BUILD_COMMAND % 'open(\\"built\\", \\"w\\")'),
        ('"python -m coverage run', '"liturgia-no-such-tool run'),
    )
    code, err = _release(repo, capsys)
    _assert_clean_failure(
        repo, code, err, "test.commands[0]", "'liturgia-no-such-tool': program not found on PATH"
    )
    assert "build" not in err
    assert not (repo / "built").exists()
    assert not signing_env.exists()  # no key was created either


def test_a_configured_interpreter_that_does_not_exist(
    make_vertice: Callable[[], Path],
    signing_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_vertice()
    monkeypatch.delenv("LITURGIA_PYTHON")  # the example's ../../.venv is not beside the copy
    code, err = _release(repo, capsys)
    _assert_clean_failure(
        repo, code, err, "liturgia.toml: build.python", "'../../.venv/bin/python'", "not found"
    )
    monkeypatch.setenv("LITURGIA_PYTHON", str(repo / "nowhere" / "python"))
    code, err = _release(repo, capsys)
    _assert_clean_failure(repo, code, err, "LITURGIA_PYTHON", "interpreter not found")


def test_python_runs_as_the_users_path_finds_it(
    make_vertice: Callable[[], Path],
    signing_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without an interpreter setting, `python` is the first one on PATH, not liturgia's."""
    repo = make_vertice()
    monkeypatch.delenv("LITURGIA_PYTHON")
    config = repo / "liturgia.toml"
    config.write_text(config.read_text().replace('python = "../../.venv/bin/python"', ""))
    bin_dir = tmp_path / "user-bin"
    bin_dir.mkdir()
    log = tmp_path / "python.log"
    # The user's python: it records each run, then is an interpreter with the example's tools.
    (bin_dir / "python").write_text(
        f'#!/bin/sh\necho "$*" >> {log}\nexec {sys.executable} "$@"\n', encoding="utf-8"
    )
    (bin_dir / "python").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    code, err = _release(repo, capsys)
    assert code == 0, err
    ran = log.read_text().splitlines()
    assert [line.split()[:2] for line in ran] == [
        ["-m", "build"],
        ["-m", "coverage"],
        ["-m", "coverage"],
        ["--version"],  # the provenance records the version of the python that built it
    ]


def test_advisory_index_missing_or_doubled(
    make_vertice: Callable[[], Path],
    signing_env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_vertice()
    monkeypatch.setenv("LITURGIA_VULNDB", str(tmp_path / "no-index.sqlite3"))
    _edit_config(repo, ('osv = ["osv"]', 'osv = ["osv"]\nvulndb = true'))
    code, err = _release(repo, capsys)
    _assert_clean_failure(repo, code, err, "scan.osv and scan.vulndb are both set")
    _edit_config(repo, ('osv = ["osv"]\n', ""))
    code, err = _release(repo, capsys)
    _assert_clean_failure(repo, code, err, "no-index.sqlite3", "liturgia vulndb update")
