"""Signer for keys held in a file (cosign's encrypted format, or PKCS#8 PEM): scheme ``file:``."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils

from liturgia._internal.files import read_bytes
from liturgia.errors import InputError
from liturgia.sign.keys import KeyAlgorithm, PrivateKey, PublicKey, parse_private_key
from liturgia.sign.signer import Signer, register_scheme

__all__ = ["FileSigner"]


class FileSigner(Signer):
    """Signs with a private key in memory, loaded from a file or given directly."""

    __slots__ = ("_key", "_public")

    def __init__(self, key: PrivateKey) -> None:
        """Wrap ``key`` (EC P-256/P-384 or Ed25519); InputError for another curve."""
        self._key = key
        self._public = PublicKey.from_key(key.public_key(), source="private key")

    @classmethod
    def load(cls, path: Path, *, password: bytes | None) -> FileSigner:
        """Load a key file (see :func:`liturgia.sign.keys.parse_private_key`).

        Raises:
            InputError: missing file, no password for an encrypted key, wrong password,
                corrupt or unsupported key.
        """
        data = read_bytes(path, what="private key")
        return cls(parse_private_key(data, password=password, source=str(path)))

    @property
    def public_key(self) -> PublicKey:
        """The matching public key."""
        return self._public

    def _hash(self) -> hashes.HashAlgorithm:
        if self._public.algorithm is KeyAlgorithm.ECDSA_P384:
            return hashes.SHA384()
        return hashes.SHA256()

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` (ECDSA DER over its hash, or pure Ed25519)."""
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.sign(data)
        return self._key.sign(data, ec.ECDSA(self._hash()))

    def sign_digest(self, digest: bytes) -> bytes:
        """Sign a precomputed digest (ECDSA only).

        Raises:
            InputError: the key is Ed25519.
        """
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            raise InputError("an Ed25519 key signs whole messages, not digests")
        return self._key.sign(digest, ec.ECDSA(utils.Prehashed(self._hash())))


def _from_uri(rest: str, password: bytes | None) -> Signer:
    return FileSigner.load(Path(rest), password=password)


register_scheme("file", _from_uri)
