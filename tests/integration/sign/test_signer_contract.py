"""One contract for every Signer backend: file, Vault/OpenBao Transit, PKCS#11 (SoftHSM2).

Each backend must: expose its public key and key id; sign messages and (ECDSA) digests so that
the public key verifies them; produce bundles and DSSE envelopes our verifier and the key accept;
and never produce a signature that verifies for other data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from liturgia.errors import SignatureError
from liturgia.sign import (
    INTOTO_PAYLOAD_TYPE,
    KeyAlgorithm,
    Signer,
    load_signer,
    sign_dsse,
    sign_file,
    verify_dsse,
    verify_file_bundle,
)
from liturgia.sign.backends.file import FileSigner

from .conftest import PIN, Bao


def _file_p256(request: pytest.FixtureRequest) -> Signer:
    return FileSigner(ec.generate_private_key(ec.SECP256R1()))


def _file_ed25519(request: pytest.FixtureRequest) -> Signer:
    return FileSigner(ed25519.Ed25519PrivateKey.generate())


def _vault(name: str) -> Callable[[pytest.FixtureRequest], Signer]:
    def make(request: pytest.FixtureRequest) -> Signer:
        bao: Bao = request.getfixturevalue("bao")
        monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setenv("VAULT_ADDR", bao.address)
        monkeypatch.setenv("VAULT_TOKEN", "root")
        return load_signer(f"hashivault://{name}", password=None)

    return make


def _pkcs11(label: str) -> Callable[[pytest.FixtureRequest], Signer]:
    def make(request: pytest.FixtureRequest) -> Signer:
        token: str = request.getfixturevalue("token")
        return load_signer(f"pkcs11:token={token};object={label}?pin-value={PIN}", password=None)

    return make


BACKENDS: dict[str, tuple[Callable[[pytest.FixtureRequest], Signer], KeyAlgorithm]] = {
    "file-p256": (_file_p256, KeyAlgorithm.ECDSA_P256),
    "file-ed25519": (_file_ed25519, KeyAlgorithm.ED25519),
    "vault-p256": (_vault("p256"), KeyAlgorithm.ECDSA_P256),
    "vault-p384": (_vault("p384"), KeyAlgorithm.ECDSA_P384),
    "vault-ed25519": (_vault("ed"), KeyAlgorithm.ED25519),
    "pkcs11-p256": (_pkcs11("signing"), KeyAlgorithm.ECDSA_P256),
    "pkcs11-p384": (_pkcs11("big"), KeyAlgorithm.ECDSA_P384),
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> tuple[Signer, KeyAlgorithm]:
    make, algorithm = BACKENDS[request.param]
    return make(request), algorithm


def test_signer_contract(backend: tuple[Signer, KeyAlgorithm], tmp_path: Path) -> None:
    signer, algorithm = backend
    public = signer.public_key
    assert signer.algorithm is algorithm
    assert signer.key_id == hashlib.sha256(public.der).hexdigest()

    message = b"the release is go"
    signature = signer.sign(message)
    public.verify(signature, message)
    with pytest.raises(SignatureError):
        public.verify(signature, message + b"!")

    if algorithm is not KeyAlgorithm.ED25519:
        name = "sha384" if algorithm is KeyAlgorithm.ECDSA_P384 else "sha256"
        digest = hashlib.new(name, message).digest()
        public.verify_digest(signer.sign_digest(digest), digest)
        public.verify(signer.sign_digest(digest), message)

    artifact = tmp_path / "artifact.bin"
    artifact.write_bytes(message * 100)
    verify_file_bundle(artifact, sign_file(artifact, signer), public)

    envelope = sign_dsse(b'{"_type":"x"}', INTOTO_PAYLOAD_TYPE, signer)
    assert verify_dsse(envelope, public) == b'{"_type":"x"}'
    assert envelope.signatures[0].keyid == signer.key_id
