"""`liturgia publish` to a real pypiserver on loopback (legacy upload API, PEP 503 pages)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from liturgia import sign
from liturgia.cli import main
from liturgia.config import load_config
from liturgia.errors import NetworkError
from liturgia.publish import PublishEvent, configured_target, publish_release, record_path
from tests.integration.publish.conftest import (
    Project,
    PypiServer,
    Release,
    make_project,
    pypi_table,
)
from tests.integration.release.conftest import commit_all, vertice_repo

WHEEL = "vertice_backend-0.2.0-py3-none-any.whl"
SDIST = "vertice_backend-0.2.0.tar.gz"


def publish(
    project: Project, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    code = main(
        [
            *extra,
            "publish",
            str(project.release),
            "--to",
            "staging",
            "--project",
            str(project.root),
            "--key",
            str(project.public_key),
            "--format",
            "json",
        ]
    )
    out = capsys.readouterr()
    return code, out.out, out.err


def release_bytes(project: Project) -> dict[str, bytes]:
    return {name: (project.release / name).read_bytes() for name in (WHEEL, SDIST)}


def test_publish_uploads_reads_back_and_pip_installs(
    staging: Project, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = publish(staging, capsys)
    assert code == 0, err
    result = json.loads(out)
    assert (result["uploaded"], result["present"]) == (2, 0)
    assert [f["name"] for f in result["files"]] == [WHEEL, SDIST]
    assert pypiserver.files() == release_bytes(staging)
    for entry in result["files"]:
        assert entry["sha256"] == hashlib.sha256(release_bytes(staging)[entry["name"]]).hexdigest()
    record = json.loads(record_path(staging.release).read_text())
    target = record["targets"]["staging"]
    assert target["complete"] is True
    assert {n: (f["state"], f["verified_at"] is not None) for n, f in target["files"].items()} == {
        WHEEL: ("uploaded", True),
        SDIST: ("uploaded", True),
    }
    # The credentials never reach the output.
    assert pypiserver.password not in out + err

    # A user installs it from the index into a fresh environment and runs it.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable, "-m", "pip", "--python", str(python), "--isolated",
            "--disable-pip-version-check", "install", "--quiet", "--no-deps", "--no-cache-dir",
            "--index-url", f"{pypiserver.url}simple/", "vertice-backend==0.2.0",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    run = subprocess.run(
        [
            str(python),
            "-c",
            "from vertice_backend import Graph, handle\n"
            "g = Graph()\ng.add_edge('a', 'b', 2.0)\ng.add_edge('b', 'c', 3.0)\n"
            "print(handle(g, '/route?from=a&to=c'))",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    assert run.stdout.strip() == '(200, \'{"length": 5.0, "route": ["a", "b", "c"]}\')'


def test_second_publish_is_a_no_op(
    staging: Project, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert publish(staging, capsys)[0] == 0
    stored = {p.name: p.stat().st_mtime_ns for p in pypiserver.packages.iterdir()}
    record = json.loads(record_path(staging.release).read_text())
    code, out, err = publish(staging, capsys)
    assert code == 0, err
    result = json.loads(out)
    assert (result["uploaded"], result["present"]) == (0, 2)
    assert {f["action"] for f in result["files"]} == {"present"}
    assert {p.name: p.stat().st_mtime_ns for p in pypiserver.packages.iterdir()} == stored
    again = json.loads(record_path(staging.release).read_text())
    # The first run's uploads stay recorded as uploads, with their times.
    for name in (WHEEL, SDIST):
        first, second = (
            record["targets"]["staging"]["files"][name],
            again["targets"]["staging"]["files"][name],
        )
        assert (second["state"], second["at"]) == ("uploaded", first["at"])


def test_tampered_release_is_refused_before_any_upload(
    staging: Project, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    sdist = staging.release / SDIST
    sdist.write_bytes(sdist.read_bytes() + b"\0")
    code, out, err = publish(staging, capsys)
    assert code == 1
    assert out == ""
    assert "not published: it does not verify" in err
    assert f"{SDIST}: SHA-256 differs from SHA256SUMS" in err
    assert pypiserver.files() == {}
    assert not record_path(staging.release).exists()


def test_a_different_file_under_the_same_version_is_refused(
    staging: Project, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # Someone else published another wheel of vertice-backend 0.2.0 already.
    other = b"PK\x05\x06" + b"\0" * 18
    (pypiserver.packages / WHEEL).write_bytes(other)
    code, out, err = publish(staging, capsys)
    assert code == 1
    assert out == ""
    assert "another file is already published under the same name and version" in err
    assert f"{WHEEL} (the registry has SHA-256 {hashlib.sha256(other).hexdigest()}" in err
    assert SDIST not in err
    # Nothing was uploaded, not even the sdist that was not there; the wheel is untouched.
    assert pypiserver.files() == {WHEEL: other}


def test_wrong_credentials_are_refused_and_never_shown(
    staging: Project,
    pypiserver: PypiServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LITURGIA_PUBLISH_STAGING_PASSWORD", "wrong-secret-4242")
    code, out, err = publish(staging, capsys, "-v")
    assert code == 2
    assert "refused the credentials ($LITURGIA_PUBLISH_STAGING_USERNAME/PASSWORD)" in err
    assert "wrong-secret-4242" not in out + err
    assert pypiserver.files() == {}


def test_credentials_from_pypirc(
    staging: Project,
    pypiserver: PypiServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("LITURGIA_PUBLISH_STAGING_USERNAME")
    monkeypatch.delenv("LITURGIA_PUBLISH_STAGING_PASSWORD")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".pypirc").write_text(
        "[distutils]\nindex-servers = staging\n\n"
        f"[staging]\nrepository = {pypiserver.url}\n"
        f"username = {pypiserver.username}\npassword = {pypiserver.password}\n"
    )
    monkeypatch.setenv("HOME", str(home))
    code, out, err = publish(staging, capsys)
    assert code == 0, err
    assert json.loads(out)["uploaded"] == 2
    assert pypiserver.password not in out + err


def test_unknown_target_is_a_usage_error(
    staging: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["publish", str(staging.release), "--to", "production", "--project", str(staging.root)]
    )
    assert code == 2
    assert "no [publish.production] target (configured: staging)" in capsys.readouterr().err


def test_registry_killed_mid_run_is_completed_by_the_next_run(
    tmp_path: Path,
    vertice_release: Release,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = PypiServer(tmp_path / "registry")
    try:
        monkeypatch.setenv("LITURGIA_PUBLISH_STAGING_USERNAME", server.username)
        monkeypatch.setenv("LITURGIA_PUBLISH_STAGING_PASSWORD", server.password)
        project = make_project(tmp_path / "project", vertice_release, pypi_table("staging", server))
        target = configured_target(load_config(project.root), "staging")
        uploads: list[str] = []

        def kill_at_second_upload(event: PublishEvent) -> None:
            if event.step == "upload":
                uploads.append(event.file)
                if len(uploads) == 2:
                    server.kill()

        with pytest.raises(NetworkError, match="unreachable"):
            publish_release(
                project.release,
                target,
                public_key=sign.load_public_key(project.public_key),
                progress=kill_at_second_upload,
            )
        assert uploads == [WHEEL, SDIST]
        record = json.loads(record_path(project.release).read_text())["targets"]["staging"]
        assert record["complete"] is False
        assert {n: f["state"] for n, f in record["files"].items()} == {WHEEL: "uploaded"}
        assert set(server.files()) == {WHEEL}

        server.start()  # same port, same folder
        code, out, err = publish(project, capsys)
        assert code == 0, err
        result = json.loads(out)
        assert {f["name"]: f["action"] for f in result["files"]} == {
            WHEEL: "present",
            SDIST: "uploaded",
        }
        assert server.files() == release_bytes(project)  # each file once, intact
        record = json.loads(record_path(project.release).read_text())["targets"]["staging"]
        assert record["complete"] is True
        assert {n: f["state"] for n, f in record["files"].items()} == {
            WHEEL: "uploaded",
            SDIST: "uploaded",
        }
    finally:
        server.kill()


def test_release_publish_publishes_a_go_release(
    tmp_path: Path,
    pypiserver: PypiServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LITURGIA_KEY", str(tmp_path / "keys" / "release.key"))
    monkeypatch.setenv("LITURGIA_PASSWORD", "correct horse")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764400000")
    monkeypatch.setenv("LITURGIA_PYTHON", sys.executable)
    monkeypatch.setenv("LITURGIA_PUBLISH_STAGING_USERNAME", pypiserver.username)
    monkeypatch.setenv("LITURGIA_PUBLISH_STAGING_PASSWORD", pypiserver.password)
    repo = vertice_repo(tmp_path / "vertice")
    config = repo / "liturgia.toml"
    config.write_text(config.read_text() + "\n" + pypi_table("staging", pypiserver))
    commit_all(repo, "chore: publish to staging")

    # A dry run is refused before anything runs; so is an unknown target.
    assert main(["release", "--project", str(repo), "--dry-run", "--publish", "staging"]) == 2
    assert "a dry run is not published" in capsys.readouterr().err
    assert main(["release", "--project", str(repo), "--publish", "prod"]) == 2
    assert "no [publish.prod] target (configured: staging)" in capsys.readouterr().err
    assert not (repo / "dist").exists()

    code = main(["release", "--project", str(repo), "--publish", "staging"])
    err = capsys.readouterr().err
    assert code == 0, err
    folder = repo / "dist" / "vertice-0.2.0"
    assert pypiserver.files() == {name: (folder / name).read_bytes() for name in (WHEEL, SDIST)}
    assert json.loads(record_path(folder).read_text())["targets"]["staging"]["complete"] is True
    assert "published vertice-0.2.0 to staging" in err
