"""``liturgia rollback VERSION`` withdraws the release from every target it was published to,
against real registries on loopback: Debian's ``docker-registry`` (the tag is deleted), a
verdaccio (the version is deprecated: ``npm view`` shows it) and a pypiserver (no yank in the
upload API: a recorded ``manual`` outcome, exit 1)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import httpx
import pytest

from liturgia.cli import main
from liturgia.config import load_config
from liturgia.errors import ConfigError, PolicyError
from liturgia.publish import ReleaseFile, configured_target
from liturgia.publish.credentials import Credentials
from liturgia.publish.npm import NpmTarget
from liturgia.publish.oci import OciFile, OciRole, OciTarget
from liturgia.release.checksums import parse_sha256sums
from tests.integration.publish.conftest import (
    NpmReleases,
    Project,
    PypiServer,
    Release,
    Verdaccio,
    make_project,
    pypi_table,
)
from tests.integration.publish.test_oci_registry import MANIFEST, Registry
from tests.integration.publish.test_publish_npm import project  # noqa: F401 - a fixture

WHEEL = "vertice_backend-0.2.0-py3-none-any.whl"
SDIST = "vertice_backend-0.2.0.tar.gz"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def publish(folder: Project, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(
        capsys, "publish", str(folder.release), "--to", target, "--project",
        str(folder.root), "--key", str(folder.public_key),
    )  # fmt: skip
    assert code == 0, err


def test_rollback_untags_oci_reports_pypi_manual_and_resumes_after_an_outage(
    tmp_path: Path,
    vertice_release: Release,
    pypiserver: PypiServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = Registry(tmp_path / "registry")
    try:
        monkeypatch.setenv("LITURGIA_PUBLISH_STAGING_USERNAME", pypiserver.username)
        monkeypatch.setenv("LITURGIA_PUBLISH_STAGING_PASSWORD", pypiserver.password)
        tables = pypi_table("staging", pypiserver) + (
            f'\n[publish.images]\nkind = "oci"\nurl = "{registry.url}"\n'
            'repository = "acme/vertice"\n'
        )
        project = make_project(tmp_path / "project", vertice_release, tables)
        publish(project, "staging", capsys)
        publish(project, "images", capsys)
        tag = f"{registry.url}/v2/acme/vertice/manifests/0.2.0"
        assert httpx.head(tag, headers={"Accept": MANIFEST}).status_code == 200
        record_file = project.root / "dist" / "vertice-0.2.0.rolled-back.json"
        argv = ("rollback", "0.2.0", "--reason", "route lengths wrong", "--project")

        # The OCI registry is down: that target fails (3) and is recorded; PyPI is manual.
        registry.kill()
        code, _out, err = run(capsys, *argv, str(project.root))
        assert code == 3, err
        record = json.loads(record_file.read_text())
        assert record["complete"] is False
        assert record["reason"] == "route lengths wrong"
        images, staging = record["targets"]["images"], record["targets"]["staging"]
        assert (images["state"], images["done"], images["exit_code"]) == ("failed", False, 3)
        assert "unreachable" in images["detail"]
        assert (staging["state"], staging["action"], staging["exit_code"]) == ("manual", "yank", 1)
        assert staging["detail"].startswith(
            "not possible on this index through its upload API: yank vertice-backend 0.2.0 in "
            "its web interface"
        )
        assert "✗ staging (pypi" in err and "NOT withdrawn from images, staging" in err
        assert set(pypiserver.files()) == {WHEEL, SDIST}  # nothing is ever deleted there

        # It is back: the next run completes what it can; the index still needs a person.
        registry.start()
        code, out, err = run(
            capsys, *argv[:3], "another reason", "--project", str(project.root), "--format",
            "json",
        )  # fmt: skip
        assert code == 1, err
        document = json.loads(out)
        assert document["record"] == str(record_file)
        assert document["reason"] == "route lengths wrong"  # the first reason is kept
        assert document == {**json.loads(record_file.read_text()), "record": str(record_file)}
        images = document["targets"]["images"]
        assert (images["state"], images["action"], images["done"]) == ("withdrawn", "untag", True)
        assert "acme/vertice:0.2.0 untagged (sha256:" in images["detail"]
        assert document["targets"]["staging"]["state"] == "manual"
        assert document["complete"] is False
        assert httpx.head(tag, headers={"Accept": MANIFEST}).status_code == 404
        assert set(pypiserver.files()) == {WHEEL, SDIST}
    finally:
        registry.stop()


def test_rollback_on_a_registry_that_does_not_allow_deletion_is_manual(
    tmp_path: Path, vertice_release: Release, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = Registry(tmp_path / "registry", delete=False)
    try:
        table = f'[publish.images]\nkind = "oci"\nurl = "{registry.url}"\nrepository = "acme/v"\n'
        project = make_project(tmp_path / "project", vertice_release, table)
        publish(project, "images", capsys)
        code, out, err = run(
            capsys, "rollback", "0.2.0", "--reason", "bad", "--project", str(project.root),
            "--format", "json",
        )  # fmt: skip
        assert code == 1, err
        images = json.loads(out)["targets"]["images"]
        assert (images["state"], images["exit_code"]) == ("manual", 1)
        assert "does not allow deletion (405)" in images["detail"]
        tag = f"{registry.url}/v2/acme/v/manifests/0.2.0"
        assert httpx.head(tag, headers={"Accept": MANIFEST}).status_code == 200
    finally:
        registry.stop()


def test_rollback_deprecates_the_npm_version_and_npm_view_shows_it(
    project: Path,  # noqa: F811 - the fixture imported above
    npm_releases: NpmReleases,
    verdaccio: Verdaccio,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    for release in ("tiny-0.1.1-rc.1", "tiny-0.1.1"):
        code, _out, err = run(
            capsys, "publish", str(project / "dist" / release), "--to", "staging", "--project",
            str(project), "--key", str(npm_releases.public_key),
        )  # fmt: skip
        assert code == 0, err
    argv = ("rollback", "0.1.1", "--reason", "breaks  login", "--project", str(project))
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "✓ staging (npm" in err and "withdrawn from 1 targets" in err
    assert out.strip() == str(project / "dist" / "tiny-0.1.1.rolled-back.json")
    record = json.loads(Path(out.strip()).read_text())
    staging = record["targets"]["staging"]
    assert (record["complete"], staging["state"], staging["action"]) == (
        True,
        "withdrawn",
        "deprecate",
    )

    # The peer: npm itself reads the registry.
    def npm_view(spec: str) -> str:
        return subprocess.run(
            ["npm", "view", spec, "deprecated", f"--registry={verdaccio.url}",
             f"--cache={tmp_path / 'npm-cache'}", "--loglevel=error"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip

    assert npm_view("tiny-web@0.1.1") == "rolled back: breaks login"
    assert npm_view("tiny-web@0.1.1-rc.1") == ""  # only the rolled-back version
    document = verdaccio.document("tiny-web")
    assert document["dist-tags"] == {"latest": "0.1.1", "next": "0.1.1-rc.1"}
    assert set(document["versions"]) == {"0.1.1", "0.1.1-rc.1"}  # type: ignore[call-overload]
    assert (verdaccio.storage / "tiny-web" / "tiny-web-0.1.1.tgz").is_file()  # not unpublished

    # Complete: a second rollback is refused; the version stays deprecated once.
    code, _out, err = run(capsys, *argv)
    assert code == 2
    assert "already marked rolled back" in err


def test_a_target_moved_since_publishing_is_not_asked(
    staging: Project, pypiserver: PypiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(staging, "staging", capsys)
    config = staging.root / "liturgia.toml"
    config.write_text(config.read_text().replace(pypiserver.url, "http://127.0.0.1:9/"))
    code, out, err = run(
        capsys, "rollback", "0.2.0", "--reason", "bad", "--project", str(staging.root),
        "--format", "json",
    )  # fmt: skip
    assert code == 2, err
    entry = json.loads(out)["targets"]["staging"]
    assert (entry["state"], entry["exit_code"], entry["location"]) == ("failed", 2, pypiserver.url)
    assert "[publish.staging] is now pypi at http://127.0.0.1:9/" in entry["detail"]


def test_npm_withdraw_of_what_is_not_there_or_already_withdrawn(
    project: Path,  # noqa: F811 - the fixture imported above
    npm_releases: NpmReleases,
    verdaccio: Verdaccio,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = project / "dist" / "tiny-0.1.1"
    target = configured_target(load_config(project), "staging")
    sums = parse_sha256sums((folder / "SHA256SUMS").read_text())
    files = [
        ReleaseFile(name=n, path=folder / n, sha256=sums[n], size=(folder / n).stat().st_size)
        for n in target.select(sorted(sums))
    ]
    assert target.withdraw(files, reason="x").state == "absent"
    code, _out, err = run(
        capsys, "publish", str(folder), "--to", "staging", "--project", str(project), "--key",
        str(npm_releases.public_key),
    )  # fmt: skip
    assert code == 0, err
    first = target.withdraw(files, reason="first")
    again = target.withdraw(files, reason="second")
    assert (first.state, again.state) == ("withdrawn", "withdrawn")
    assert "deprecated ('rolled back: first')" in first.detail
    assert "already deprecated ('rolled back: first')" in again.detail


def test_pypi_withdraw_of_what_is_not_there(staging: Project) -> None:
    index = configured_target(load_config(staging.root), "staging")
    wheel = staging.release / WHEEL
    held = ReleaseFile(
        name=WHEEL, path=wheel, sha256=hashlib.sha256(wheel.read_bytes()).hexdigest(), size=1
    )
    nothing = index.withdraw([held], reason="x")
    assert (nothing.state, nothing.done) == ("absent", True)
    assert "lists no file of vertice-backend 0.2.0" in nothing.detail


def test_npm_withdraw_refused_without_credentials_or_for_another_tarball(
    project: Path,  # noqa: F811 - the fixture imported above
    npm_releases: NpmReleases,
    verdaccio: Verdaccio,
    tmp_path: Path,
) -> None:
    folder = project / "dist" / "tiny-0.1.1"
    tarball = folder / "tiny-web-0.1.1.tgz"
    data = tarball.read_bytes()
    ours = ReleaseFile(
        name=tarball.name, path=tarball, sha256=hashlib.sha256(data).hexdigest(), size=len(data)
    )
    publisher = NpmTarget(
        "staging",
        verdaccio.url,
        credentials=Credentials(
            source="test", username=verdaccio.username, password=verdaccio.password
        ),
    )
    assert publisher.upload(ours, data)

    # Anyone may read, only the publisher may change the package: refused, not deprecated.
    anonymous = NpmTarget("staging", verdaccio.url, credentials=Credentials(source="none"))
    with pytest.raises(ConfigError, match="refused the credentials") as info:
        anonymous.withdraw([ours], reason="x")
    assert info.value.exit_code == 2
    assert not (verdaccio.document("tiny-web")["versions"]["0.1.1"]).get("deprecated")  # type: ignore[index]

    # A release whose tarball differs from what the registry holds under that version.
    other = tmp_path / tarball.name
    other.write_bytes(data + b"\0")
    theirs = ReleaseFile(
        name=tarball.name, path=other, sha256=hashlib.sha256(data + b"\0").hexdigest(), size=1
    )
    with pytest.raises(PolicyError, match="is another tarball") as refused:
        publisher.withdraw([theirs], reason="x")
    assert refused.value.exit_code == 1


def test_oci_withdraw_refuses_a_tag_holding_other_files(tmp_path: Path) -> None:
    folder = tmp_path / "vertice-0.3.0"
    folder.mkdir()
    (folder / "gate-report.json").write_text('{"version": "0.3.0"}')
    (folder / "app").write_bytes(b"\x7fELF app")
    files = [
        ReleaseFile(
            name=name,
            path=folder / name,
            sha256=hashlib.sha256((folder / name).read_bytes()).hexdigest(),
            size=(folder / name).stat().st_size,
        )
        for name in ("app", "gate-report.json")
    ]
    registry = Registry(tmp_path / "registry")
    try:
        target = OciTarget(name="images", url=registry.url, repository="acme/other")
        oci_files = [
            OciFile(name=f.name, path=f.path, sha256=f.sha256, role=OciRole.FILE) for f in files
        ]
        target.publish("0.3.0", oci_files)
        with pytest.raises(PolicyError, match="holds other files than the release"):
            target.withdraw(files[:1], reason="x")
        assert target.existing("0.3.0") is not None  # still tagged
        assert target.withdraw(files, reason="x").state == "withdrawn"
        assert target.withdraw(files, reason="x").state == "absent"
    finally:
        registry.stop()
