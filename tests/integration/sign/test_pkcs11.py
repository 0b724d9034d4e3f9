"""Keys in an HSM through PKCS#11 URIs (RFC 7512), against SoftHSM2 from Debian's packages.

The fixture installs ``softhsm2`` with apt-get when its module is missing (CI runs as root on
Debian), initialises a token in a temporary folder and generates EC key pairs on it with
python-pkcs11; the private keys never leave the token.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from liturgia.cli import main
from liturgia.errors import ConfigError, InputError
from liturgia.sign import (
    KeyAlgorithm,
    load_signer,
    load_verification_key,
    sign_file,
    verify_file_bundle,
)
from liturgia.sign.backends.pkcs11 import DEFAULT_MODULE

from .conftest import PIN


@pytest.fixture(autouse=True)
def _no_pin_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LITURGIA_PKCS11_PIN", raising=False)
    monkeypatch.delenv("LITURGIA_PKCS11_MODULE", raising=False)


@pytest.mark.parametrize(
    ("ref", "algorithm"),
    [
        ("pkcs11:token=release;object=signing?pin-value=1234", KeyAlgorithm.ECDSA_P256),
        ("pkcs11:token=release;id=%02?pin-value=1234", KeyAlgorithm.ECDSA_P384),
        (
            f"pkcs11:token=rel%65ase;object=signing?module-path={DEFAULT_MODULE}&pin-value=1234",
            KeyAlgorithm.ECDSA_P256,
        ),
    ],
)
def test_sign_with_token_keys(
    token: str, tmp_path: Path, ref: str, algorithm: KeyAlgorithm
) -> None:
    signer = load_signer(ref, password=None)
    assert signer.algorithm is algorithm
    artifact = tmp_path / "app.whl"
    artifact.write_bytes(b"wheel" * 1000)
    bundle = sign_file(artifact, signer)
    verify_file_bundle(artifact, bundle, signer.public_key)
    signer.public_key.verify(signer.sign(b"message"), b"message")


def test_pin_sources(token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pin_file = tmp_path / "pin"
    pin_file.write_text(PIN + "\n")
    by_file = load_signer(
        f"pkcs11:token=release;object=signing?pin-source=file:{pin_file}", password=None
    )
    by_password = load_signer("pkcs11:token=release;object=signing", password=PIN.encode())
    monkeypatch.setenv("LITURGIA_PKCS11_PIN", PIN)
    by_env = load_signer("pkcs11:token=release;object=signing", password=None)
    assert by_file.key_id == by_password.key_id == by_env.key_id


def test_cli_sign_with_pkcs11(
    token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LITURGIA_PKCS11_PIN", PIN)
    artifact = tmp_path / "a.tar.gz"
    artifact.write_bytes(b"a")
    ref = "pkcs11:token=release;object=signing"
    assert main(["sign", str(artifact), "--key", ref]) == 0
    bundle = Path(capsys.readouterr().out.strip()).read_bytes()
    verify_file_bundle(artifact, bundle, load_signer(ref, password=None).public_key)


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("pkcs11:token=absent;object=signing?pin-value=1234", "no such token"),
        ("pkcs11:token=release;object=signing?pin-value=0000", "wrong PIN"),
        ("pkcs11:token=release;object=nothing?pin-value=1234", "no such key on the token"),
        ("pkcs11:token=release;object=aes?pin-value=1234", "no such key on the token"),
        (
            "pkcs11:token=release;object=signing?pin-value=1234&module-path=/nonexistent.so",
            "PKCS#11 module /nonexistent.so not found",
        ),
    ],
)
def test_token_errors(token: str, ref: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason) as caught:
        load_signer(ref, password=None)
    assert "1234" not in str(caught.value)


def test_missing_pin_file(token: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the PIN file"):
        load_signer(
            f"pkcs11:token=release;object=signing?pin-source={tmp_path / 'none'}", password=None
        )


def test_public_key_without_pin(token: str, tmp_path: Path) -> None:
    ref = "pkcs11:token=release;object=signing"
    public = load_verification_key(ref)
    signer = load_signer(ref, password=None)
    assert signer.public_key == public
    with pytest.raises(ConfigError, match="no PIN: add pin-value/pin-source"):
        signer.sign_digest(b"\0" * 32)
    artifact = tmp_path / "a"
    artifact.write_bytes(b"a")
    bundle = sign_file(artifact, load_signer(f"{ref}?pin-value={PIN}", password=None))
    verify_file_bundle(artifact, bundle, public)
