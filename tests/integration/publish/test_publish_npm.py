"""`liturgia publish` to a real verdaccio on loopback (npm registry API, `npm publish`
semantics)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from liturgia import sign
from liturgia.cli import main
from liturgia.config import load_config
from liturgia.errors import NetworkError
from liturgia.publish import PublishEvent, configured_target, publish_release, record_path
from liturgia.publish.credentials import Credentials
from liturgia.publish.npm import NpmTarget
from liturgia.publish.target import ReleaseFile
from tests.integration.publish.conftest import NpmReleases, Verdaccio

FINAL = "tiny-web-0.1.1.tgz"
RC = "tiny-web-0.1.1-rc.1.tgz"


@pytest.fixture
def project(
    tmp_path: Path,
    npm_releases: NpmReleases,
    verdaccio: Verdaccio,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """A project whose ``staging`` target is the verdaccio, with copies of both releases; the
    credentials are in ~/.npmrc (an ``_auth`` line for the registry), as npm keeps them."""
    root = tmp_path / "project"
    (root / "dist").mkdir(parents=True)
    (root / "liturgia.toml").write_text(
        f'[project]\nname = "tiny"\n\n[publish.staging]\nkind = "npm"\nurl = "{verdaccio.url}"\n'
    )
    for folder in (npm_releases.prerelease, npm_releases.final):
        shutil.copytree(folder, root / "dist" / folder.name)
    home = tmp_path / "home"
    home.mkdir()
    pair = f"{verdaccio.username}:{verdaccio.password}".encode()
    (home / ".npmrc").write_text(
        f"//127.0.0.1:{verdaccio.port}/:_auth={base64.b64encode(pair).decode()}\n"
    )
    monkeypatch.setenv("HOME", str(home))
    return root


def publish(
    root: Path, release: str, key: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, object] | None, str]:
    code = main(
        [
            "publish",
            str(root / "dist" / release),
            "--to",
            "staging",
            "--project",
            str(root),
            "--key",
            str(key),
            "--format",
            "json",
        ]
    )
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out else None), out.err


def test_publish_then_npm_install_and_run(
    project: Path,
    npm_releases: NpmReleases,
    verdaccio: Verdaccio,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    code, result, err = publish(project, "tiny-0.1.1", npm_releases.public_key, capsys)
    assert code == 0, err
    assert result is not None
    assert (result["uploaded"], result["present"]) == (1, 0)
    assert verdaccio.password not in err
    document = verdaccio.document("tiny-web")
    assert document["dist-tags"] == {"latest": "0.1.1"}
    tarball = (npm_releases.final / FINAL).read_bytes()
    stored = verdaccio.storage / "tiny-web" / FINAL
    assert stored.read_bytes() == tarball

    # A user installs it from the registry and runs it.
    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text('{"name": "app", "version": "1.0.0", "private": true}')
    subprocess.run(
        ["npm", "install", "tiny-web", f"--registry={verdaccio.url}", "--no-audit", "--no-fund",
         "--loglevel=error", f"--cache={tmp_path / 'npm-cache'}"],
        cwd=app, check=True, capture_output=True,
    )  # fmt: skip
    installed = json.loads((app / "package.json").read_text())["dependencies"]
    assert installed == {"tiny-web": "^0.1.1"}
    run = subprocess.run(
        ["node", "-e", "console.log(require('tiny-web')())"],
        cwd=app,
        check=True,
        capture_output=True,
        text=True,
    )
    assert run.stdout == "tiny-web says hello\n"


def test_prerelease_is_tagged_next_never_latest(
    project: Path,
    npm_releases: NpmReleases,
    verdaccio: Verdaccio,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert publish(project, "tiny-0.1.1", npm_releases.public_key, capsys)[0] == 0
    code, _result, err = publish(project, "tiny-0.1.1-rc.1", npm_releases.public_key, capsys)
    assert code == 0, err
    document = verdaccio.document("tiny-web")
    assert document["dist-tags"] == {"latest": "0.1.1", "next": "0.1.1-rc.1"}
    assert set(document["versions"]) == {"0.1.1", "0.1.1-rc.1"}  # type: ignore[call-overload]


def test_second_publish_is_a_no_op_and_tampering_is_refused(
    project: Path,
    npm_releases: NpmReleases,
    verdaccio: Verdaccio,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert publish(project, "tiny-0.1.1", npm_releases.public_key, capsys)[0] == 0
    before = verdaccio.document("tiny-web")
    code, result, err = publish(project, "tiny-0.1.1", npm_releases.public_key, capsys)
    assert code == 0, err
    assert result is not None
    assert (result["uploaded"], result["present"]) == (0, 1)
    assert verdaccio.document("tiny-web")["time"] == before["time"]

    tarball = project / "dist" / "tiny-0.1.1-rc.1" / RC
    tarball.write_bytes(tarball.read_bytes() + b"\0")
    code, result, err = publish(project, "tiny-0.1.1-rc.1", npm_releases.public_key, capsys)
    assert (code, result) == (1, None)
    assert f"{RC}: SHA-256 differs from SHA256SUMS" in err
    assert set(verdaccio.document("tiny-web")["versions"]) == {"0.1.1"}  # type: ignore[call-overload]


def other_tarball() -> bytes:
    """Another package tarball of tiny-web 0.1.1 (someone else's)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in (
            ("package/package.json", b'{"name": "tiny-web", "version": "0.1.1"}'),
            ("package/index.js", b"module.exports = () => 'not ours';\n"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(text)
            archive.addfile(info, io.BytesIO(text))
    return buffer.getvalue()


def test_a_different_tarball_under_the_same_version_is_refused(
    project: Path,
    npm_releases: NpmReleases,
    verdaccio: Verdaccio,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    data = other_tarball()
    path = tmp_path / FINAL
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    someone = NpmTarget(
        "other",
        verdaccio.url,
        credentials=Credentials(
            source="test", username=verdaccio.username, password=verdaccio.password
        ),
    )
    assert someone.upload(ReleaseFile(name=FINAL, path=path, sha256=digest, size=len(data)), data)
    code, result, err = publish(project, "tiny-0.1.1", npm_releases.public_key, capsys)
    assert (code, result) == (1, None)
    assert f"{FINAL} (the registry has SHA-256 {digest}" in err
    assert (verdaccio.storage / "tiny-web" / FINAL).read_bytes() == data


def test_registry_killed_mid_upload_is_completed_by_the_next_run(
    project: Path,
    npm_releases: NpmReleases,
    verdaccio: Verdaccio,
    capsys: pytest.CaptureFixture[str],
) -> None:
    release = project / "dist" / "tiny-0.1.1"
    target = configured_target(load_config(project), "staging")

    def kill_at_upload(event: PublishEvent) -> None:
        if event.step == "upload":
            verdaccio.kill()

    try:
        with pytest.raises(NetworkError, match="unreachable"):
            publish_release(
                release,
                target,
                public_key=sign.load_public_key(npm_releases.public_key),
                progress=kill_at_upload,
            )
        record = json.loads(record_path(release).read_text())["targets"]["staging"]
        assert (record["complete"], record["files"]) == (False, {})
    finally:
        verdaccio.start()
    code, result, err = publish(project, "tiny-0.1.1", npm_releases.public_key, capsys)
    assert code == 0, err
    assert result is not None
    assert (result["uploaded"], result["present"]) == (1, 0)
    document = verdaccio.document("tiny-web")
    assert set(document["versions"]) == {"0.1.1"}  # type: ignore[call-overload]
    record = json.loads(record_path(release).read_text())["targets"]["staging"]
    assert record["complete"] is True
