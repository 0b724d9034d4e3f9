"""The OCI target against Debian's ``docker-registry`` (the CNCF distribution registry, 2.8).

A real registry on a loopback port with its storage in a temporary folder and deletion enabled
(``scripts/test.sh`` installs the Debian package). Distribution 2.8 has no referrers API, so the
listing goes through the referrers tag schema (``sha256-<hex>``); the peer check reads it, the
manifests and the blobs through the registry's own HTTP API with httpx, as ``oras discover``
and ``oras pull`` would, independently of the code under test.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from liturgia.errors import ConfigError, DigestError, NetworkError, PolicyError
from liturgia.publish.oci import (
    RELEASE_ARTIFACT_TYPE,
    OciEvent,
    OciFile,
    OciRole,
    OciTarget,
)

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Registry:
    """One ``docker-registry serve`` child process; its storage survives a kill and restart."""

    def __init__(
        self,
        home: Path,
        *,
        delete: bool = True,
        htpasswd: str | None = None,
        log_level: str = "warn",
    ) -> None:
        binary = shutil.which("docker-registry")
        assert binary, (
            "docker-registry is needed: apt-get install docker-registry (scripts/test.sh)"
        )
        self.binary = binary
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = home / "config.yml"
        self.config.write_text(
            "version: 0.1\n"
            f"log:\n  level: {log_level}\n"
            f"storage:\n  filesystem:\n    rootdirectory: {home / 'storage'}\n"
            f"  delete:\n    enabled: {'true' if delete else 'false'}\n"
            f"http:\n  addr: 127.0.0.1:{self.port}\n"
        )
        if htpasswd is not None:
            (home / "htpasswd").write_text(htpasswd)
            with self.config.open("a") as config:
                config.write(
                    f"auth:\n  htpasswd:\n    realm: liturgia-test\n    path: {home / 'htpasswd'}\n"
                )
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        with (self.home / "registry.log").open("ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "serve", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 20
        while True:
            assert self.process.poll() is None, (self.home / "registry.log").read_text()
            try:
                if httpx.get(f"{self.url}/v2/", timeout=1).status_code in (200, 401):
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (self.home / "registry.log").read_text()
            time.sleep(0.05)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A registry shared by the tests that do not stop it (each uses its own repository)."""
    started = Registry(tmp_path_factory.mktemp("oci-registry"))
    yield started
    started.stop()


@pytest.fixture(scope="session")
def go_binary(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real Go binary (no dependencies; Debian's golang-go, GOPROXY off) printing its version."""
    go = shutil.which("go")
    assert go, "go is needed: apt-get install golang-go (scripts/install-example-tools.sh)"
    folder = tmp_path_factory.mktemp("go")
    (folder / "main.go").write_text(
        'package main\n\nimport "os"\n\nfunc main() { os.Stdout.WriteString("vertice 0.2.0\\n") }\n'
    )
    env = {**os.environ, "GOPROXY": "off", "GOFLAGS": "-trimpath", "CGO_ENABLED": "0"}
    subprocess.run(
        [go, "build", "-o", str(folder / "vertice"), "main.go"],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return (folder / "vertice").read_bytes()


def _release(
    folder: Path, *, binary: bytes = b"\x7fELF vertice linux/amd64\n" * 500
) -> list[OciFile]:
    """A small release folder: a Go binary, its signature bundle, an SBOM, provenance, sums."""
    contents = {
        "bin/vertice-linux-amd64": (binary, OciRole.BINARY),
        "bin/vertice-linux-amd64.sigstore.json": (b'{"mediaType":"bundle"}\n', OciRole.SIGNATURE),
        "vertice-0.2.0.cdx.json": (
            b'{"bomFormat":"CycloneDX","specVersion":"1.6"}\n',
            OciRole.SBOM,
        ),
        "vertice-0.2.0.intoto.jsonl": (
            b'{"payloadType":"application/vnd.in-toto+json"}\n',
            OciRole.PROVENANCE,
        ),
        "SHA256SUMS": (b"sums of the release\n", OciRole.FILE),
    }
    files = []
    for name, (data, role) in contents.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        files.append(
            OciFile(name=name, path=path, sha256=hashlib.sha256(data).hexdigest(), role=role)
        )
    return files


def _target(registry: Registry, repository: str, **kwargs: float) -> OciTarget:
    return OciTarget(name="staging", url=registry.url, repository=repository, attempts=1, **kwargs)


def test_push_then_pull_back_equal_with_referrers_listed(
    registry: Registry, tmp_path: Path, go_binary: bytes
) -> None:
    files = _release(tmp_path / "release", binary=go_binary)
    target = _target(registry, "acme/vertice")

    result = target.publish("0.2.0", files)

    names = sorted(file.name for file in files)
    assert result.changed
    assert list(result.uploaded) == names
    assert result.present == ()
    assert target.fetch_back("0.2.0", files) == tuple(names)

    # The peer: the registry's HTTP API, read without the code under test.
    base = f"{registry.url}/v2/acme/vertice"
    answer = httpx.get(f"{base}/manifests/0.2.0", headers={"Accept": MANIFEST})
    assert answer.status_code == 200
    assert answer.headers["Docker-Content-Digest"] == result.manifest_digest
    assert "sha256:" + hashlib.sha256(answer.content).hexdigest() == result.manifest_digest
    manifest = answer.json()
    assert manifest["artifactType"] == RELEASE_ARTIFACT_TYPE
    assert manifest["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
    layers = {
        layer["annotations"]["org.opencontainers.image.title"]: layer["digest"]
        for layer in manifest["layers"]
    }
    assert layers == {file.name: "sha256:" + file.sha256 for file in files}
    for file in files:
        blob = httpx.get(f"{base}/blobs/sha256:{file.sha256}", follow_redirects=True)
        assert blob.content == file.path.read_bytes(), file.name
    # The pulled Go binary runs.
    pulled = tmp_path / "pulled" / "vertice"
    pulled.parent.mkdir()
    pulled.write_bytes(httpx.get(f"{base}/blobs/{layers['bin/vertice-linux-amd64']}").content)
    pulled.chmod(0o755)
    ran = subprocess.run([str(pulled)], capture_output=True, text=True, check=True, timeout=30)
    assert ran.stdout == "vertice 0.2.0\n"

    # Distribution 2.8 has no referrers API: the referrers tag schema is what lists them.
    assert httpx.get(f"{base}/referrers/{result.manifest_digest}").status_code == 404
    hex_digest = result.manifest_digest.removeprefix("sha256:")
    index = httpx.get(f"{base}/manifests/sha256-{hex_digest}", headers={"Accept": INDEX})
    assert index.status_code == 200
    assert index.json()["mediaType"] == INDEX
    listed = {
        entry["annotations"]["org.opencontainers.image.title"]: entry["artifactType"]
        for entry in index.json()["manifests"]
    }
    assert listed == {
        "bin/vertice-linux-amd64.sigstore.json": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "vertice-0.2.0.cdx.json": "application/vnd.cyclonedx+json",
        "vertice-0.2.0.intoto.jsonl": "application/vnd.in-toto+json",
    }
    for entry in index.json()["manifests"]:
        referrer = httpx.get(f"{base}/manifests/{entry['digest']}", headers={"Accept": MANIFEST})
        assert referrer.json()["subject"]["digest"] == result.manifest_digest
        assert referrer.json()["artifactType"] == entry["artifactType"]
    assert {r.digest for r in result.referrers} == {e["digest"] for e in index.json()["manifests"]}


def test_second_push_of_the_same_digests_is_a_no_op(registry: Registry, tmp_path: Path) -> None:
    files = _release(tmp_path)
    target = _target(registry, "acme/noop")
    first = target.publish("1.0.0", files)

    second = _target(registry, "acme/noop").publish("1.0.0", files)

    assert not second.changed
    assert second.uploaded == ()
    assert list(second.present) == sorted(file.name for file in files)
    assert second.manifest_digest == first.manifest_digest
    assert second.referrers == first.referrers
    tags = httpx.get(f"{registry.url}/v2/acme/noop/tags/list").json()["tags"]
    assert sorted(tags) == sorted(["1.0.0", "sha256-" + first.manifest_digest[7:]])


def test_a_different_file_under_the_same_version_is_refused_naming_it(
    registry: Registry, tmp_path: Path
) -> None:
    target = _target(registry, "acme/conflict")
    first = target.publish("1.0.0", _release(tmp_path / "a"))
    other = _release(tmp_path / "b", binary=b"another build\n")
    changed = next(file for file in other if file.role is OciRole.BINARY)

    with pytest.raises(PolicyError, match="bin/vertice-linux-amd64 is published there as") as info:
        target.publish("1.0.0", other)

    assert info.value.exit_code == 1
    base = f"{registry.url}/v2/acme/conflict"
    assert httpx.head(f"{base}/blobs/sha256:{changed.sha256}").status_code == 404
    still = httpx.head(f"{base}/manifests/1.0.0", headers={"Accept": MANIFEST})
    assert still.headers["Docker-Content-Digest"] == first.manifest_digest


def test_a_file_that_does_not_match_its_digest_is_refused_before_any_upload(
    registry: Registry, tmp_path: Path
) -> None:
    files = _release(tmp_path)
    files[0].path.write_bytes(b"tampered")

    with pytest.raises(DigestError, match="bin/vertice-linux-amd64: its bytes hash to"):
        _target(registry, "acme/tampered").publish("1.0.0", files)

    tags = httpx.get(f"{registry.url}/v2/acme/tampered/tags/list")
    assert tags.status_code == 404
    blob = hashlib.sha256(b"tampered").hexdigest()
    assert httpx.head(f"{registry.url}/v2/acme/tampered/blobs/sha256:{blob}").status_code == 404


def test_rollback_untags_and_a_second_rollback_finds_nothing(
    registry: Registry, tmp_path: Path
) -> None:
    files = _release(tmp_path)
    target = _target(registry, "acme/rollback")
    pushed = target.publish("1.0.0", files)

    assert target.untag("1.0.0") == pushed.manifest_digest

    gone = httpx.head(
        f"{registry.url}/v2/acme/rollback/manifests/1.0.0", headers={"Accept": MANIFEST}
    )
    assert gone.status_code == 404
    assert target.existing("1.0.0") is None
    assert target.untag("1.0.0") is None
    with pytest.raises(PolicyError, match="not in the registry"):
        target.fetch_back("1.0.0", files)


def test_a_registry_killed_mid_push_is_completed_by_the_next_run_with_nothing_sent_twice(
    tmp_path: Path,
) -> None:
    registry = Registry(tmp_path / "registry")
    try:
        files = _release(tmp_path / "release")
        events: list[OciEvent] = []

        def kill_after_two(event: OciEvent) -> None:
            events.append(event)
            if len(events) == 2:
                registry.kill()

        with pytest.raises(NetworkError, match="run again to complete") as info:
            _target(registry, "acme/resume").publish("1.0.0", files, progress=kill_after_two)
        assert info.value.exit_code == 3
        sent_before = [event.name for event in events]
        assert len(sent_before) == 2
        assert all(event.state == "uploaded" for event in events)

        registry.start()
        target = _target(registry, "acme/resume")
        assert target.existing("1.0.0") is None
        result = target.publish("1.0.0", files)

        assert result.changed
        assert sorted(result.present) == sorted(sent_before)
        assert sorted(result.uploaded) == sorted(
            file.name for file in files if file.name not in sent_before
        )
        assert target.fetch_back("1.0.0", files) == tuple(sorted(file.name for file in files))
        assert len(result.referrers) == 3
    finally:
        registry.stop()


SECRET = "s3cret-Pa55-never-logged"


def _htpasswd(user: str, password: str) -> str:
    tool = shutil.which("htpasswd")
    assert tool, "htpasswd is needed: apt-get install apache2-utils (scripts/test.sh)"
    line = subprocess.run(
        [tool, "-nbB", user, password], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return line.strip() + "\n"


@pytest.fixture
def locked_registry(tmp_path: Path) -> Iterator[Registry]:
    """A registry that needs a password (htpasswd, bcrypt)."""
    started = Registry(tmp_path / "registry", htpasswd=_htpasswd("alice", SECRET))
    yield started
    started.stop()


@pytest.fixture
def no_home_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing of the user's own credentials: an empty HOME, no auth file variables."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("REGISTRY_AUTH_FILE", "DOCKER_CONFIG", "ORAS_USER", "ORAS_PASS"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_home_credentials")
def test_credentials_from_the_environment_are_used_and_never_logged(
    locked_registry: Registry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    files = _release(tmp_path / "release")
    with pytest.raises(ConfigError, match="asks for a password and none was found") as info:
        _target(locked_registry, "acme/locked").publish("1.0.0", files)
    assert info.value.exit_code == 2
    monkeypatch.setenv("LITURGIA_PUBLISH_STAGING_USERNAME", "alice")
    monkeypatch.setenv("LITURGIA_PUBLISH_STAGING_PASSWORD", "wrong")
    with pytest.raises(ConfigError, match=r"refused the credentials \(401\)") as info:
        _target(locked_registry, "acme/locked").publish("1.0.0", files)
    assert info.value.exit_code == 2

    monkeypatch.setenv("LITURGIA_PUBLISH_STAGING_PASSWORD", SECRET)
    caplog.set_level(logging.DEBUG)
    target = _target(locked_registry, "acme/locked")
    result = target.publish("1.0.0", files)

    assert target.fetch_back("1.0.0", files) == tuple(sorted(file.name for file in files))
    assert len(result.referrers) == 3
    assert "credentials from environment" in caplog.text
    encoded = base64.b64encode(f"alice:{SECRET}".encode()).decode()
    assert SECRET not in caplog.text
    assert encoded not in caplog.text


@pytest.mark.usefixtures("no_home_credentials")
def test_credentials_from_the_oci_auth_file(
    locked_registry: Registry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    auth_file = tmp_path / "auth.json"
    pair = base64.b64encode(f"alice:{SECRET}".encode()).decode()
    host = locked_registry.url.removeprefix("http://")
    auth_file.write_text(json.dumps({"auths": {host: {"auth": pair}}}))
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(auth_file))
    caplog.set_level(logging.DEBUG)

    result = _target(locked_registry, "acme/authfile").publish("1.0.0", _release(tmp_path / "r"))

    assert result.changed
    assert len(result.referrers) == 3
    assert f"credentials from {auth_file}" in caplog.text
    assert SECRET not in caplog.text
    assert pair not in caplog.text


def test_rollback_on_a_registry_that_does_not_allow_deletion_is_refused(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "registry", delete=False)
    try:
        target = _target(registry, "acme/keep")
        pushed = target.publish("1.0.0", _release(tmp_path / "release"))
        with pytest.raises(PolicyError, match="does not allow deletion") as info:
            target.untag("1.0.0")
        assert info.value.exit_code == 1
        listing = target.existing("1.0.0")
        assert listing is not None
        assert listing.manifest_digest == pushed.manifest_digest
    finally:
        registry.stop()
