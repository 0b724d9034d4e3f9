"""Fixtures for the signing tests: real keys (generated once per session), the cosign corpus."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from tests.conftest import CORPUS

from liturgia.sign.backends.file import FileSigner
from liturgia.sign.keys import KeyAlgorithm, PrivateKey

#: cosign's own encrypted test keys, committed with their notice.
COSIGN_KEYS = CORPUS / "signing" / "cosign-keys"


@pytest.fixture(scope="session")
def cosign_keys() -> Path:
    """The folder of cosign's own encrypted test keys (password ``hello``)."""
    assert COSIGN_KEYS.is_dir(), COSIGN_KEYS
    return COSIGN_KEYS


def _new_key(algorithm: KeyAlgorithm) -> PrivateKey:
    match algorithm:
        case KeyAlgorithm.ECDSA_P256:
            return ec.generate_private_key(ec.SECP256R1())
        case KeyAlgorithm.ECDSA_P384:
            return ec.generate_private_key(ec.SECP384R1())
        case KeyAlgorithm.ED25519:
            return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture
def make_signer() -> Callable[..., FileSigner]:
    """Factory: a fresh in-memory signer for an algorithm (default P-256)."""

    def make(algorithm: KeyAlgorithm = KeyAlgorithm.ECDSA_P256) -> FileSigner:
        return FileSigner(_new_key(algorithm))

    return make
