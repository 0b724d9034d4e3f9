"""Transparency by default (issue 12, item 3): every bundle of a release is in a log.

A dry-run release of a copy of examples/vertice with nothing configured records each bundle in
the embedded log (an SQLite file in the user's state folder). Each entry is checked by an RFC
9162 inclusion-proof verifier written in the tests (transparency_proofs.py, not liturgia's
Merkle code) against the root the log's signed checkpoint states, and each bundle by
sigstore-js with the release's exported trusted root and a log-entry threshold of 1. A
configured log that is down fails the release with exit 3 and leaves nothing in dist/; a served
log (``liturgia serve``) is used when configured, and ``verify --online`` proves it consistent.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from liturgia.cli import main
from tests.integration.release.transparency_proofs import (
    check_every_entry_independently,
    sigstore_js_verifies_every_bundle,
)
from tests.integration.server.conftest import Server
from tests.integration.sign.conftest import sigstore_js

__all__ = ["sigstore_js"]


# -- the release ---------------------------------------------------------------------------------


@pytest.fixture
def released(
    make_vertice: Callable[[], Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> Path:
    repo = make_vertice()
    code = main(["release", "--dry-run", "--project", str(repo), "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "log embedded log " in out.err
    return Path(json.loads(out.out)["directory"])


def _bundles(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.sigstore.json"))


def test_every_bundle_has_an_entry_whose_inclusion_proof_verifies_independently(
    released: Path,
) -> None:
    subjects = {b.name.removesuffix(".sigstore.json") for b in _bundles(released)}
    assert {"SHA256SUMS", "sbom.cdx.json", "provenance.intoto"} <= subjects
    assert any(name.endswith(".whl") for name in subjects)
    assert any(name.endswith(".tar.gz") for name in subjects)
    assert check_every_entry_independently(released) == len(subjects)


def test_sigstore_js_verifies_each_bundle_with_the_exported_trusted_root(
    released: Path, signing_env: Path, sigstore_js: Path
) -> None:
    public = signing_env.with_suffix(".pub")
    assert sigstore_js_verifies_every_bundle(released, public, sigstore_js) == len(
        _bundles(released)
    )


def test_verify_checks_the_entries_against_the_log_key_the_consumer_passes(
    released: Path, signing_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_pub = _embedded_log_pub()
    public = str(signing_env.with_suffix(".pub"))
    assert main(["verify", str(released), "--key", public, "--log-key", str(log_pub)]) == 0
    capsys.readouterr()
    # Another log's key: every entry is from an untrusted log.
    other = tmp_path / "other-log"
    other.mkdir()
    other_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    (other / "log.pub").write_bytes(
        other_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    code = main(["verify", str(released), "--key", public, "--log-key", str(other / "log.pub")])
    err = capsys.readouterr().err
    assert code == 1
    assert "SHA256SUMS" in err


def _embedded_log_pub() -> Path:
    return Path(os.environ["XDG_STATE_HOME"]) / "liturgia" / "tlog" / "log.pub"


def _refused_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("where", ["flag", "environment", "config"])
def test_a_configured_log_that_is_down_fails_the_release_and_writes_nothing(
    make_vertice: Callable[[], Path],
    signing_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    repo = make_vertice()
    url = f"http://127.0.0.1:{_refused_port()}"
    argv = ["release", "--dry-run", "--project", str(repo)]
    if where == "flag":
        argv += ["--tlog-url", url]
    elif where == "environment":
        monkeypatch.setenv("LITURGIA_TLOG_URL", url)
    else:
        config = repo / "liturgia.toml"
        config.write_text(
            config.read_text().replace("[signing]", f'[signing]\ntlog_url = "{url}"', 1)
            if "[signing]" in config.read_text()
            else config.read_text() + f'\n[signing]\ntlog_url = "{url}"\n'
        )
        argv.append("--allow-dirty")
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 3, err
    assert "the configured transparency log cannot be reached" in err
    assert url in err
    assert not (repo / "dist").exists()
    assert "build" not in [line.split()[1] for line in err.splitlines() if line.startswith("✓")]


def test_a_served_log_records_the_release_and_verify_online_proves_it_consistent(
    make_vertice: Callable[[], Path],
    signing_env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = Server(tmp_path / "served.db", tmp_path)
    try:
        repo = make_vertice()
        argv = ["release", "--dry-run", "--project", str(repo), "--format", "json"]
        assert main([*argv, "--tlog-url", server.url]) == 0
        out = capsys.readouterr()
        folder = Path(json.loads(out.out)["directory"])
        log_pub = tmp_path / "served.pub"
        log_pub.write_bytes(httpx.get(f"{server.url}/api/v1/log/publicKey", timeout=10).content)
        root: dict[str, Any] = json.loads((folder / "trusted-root.json").read_text())
        assert root["tlogs"][0]["baseUrl"] == server.url
        public = str(signing_env.with_suffix(".pub"))
        verify = ["verify", str(folder), "--key", public, "--log-key", str(log_pub)]
        assert main([*verify, "--online", "--log-url", server.url]) == 0
        err = capsys.readouterr().err
        assert err.count("online: ") == len(_bundles(folder))
        assert not _embedded_log_pub().exists()  # the served log, not the embedded one
    finally:
        server.stop()
