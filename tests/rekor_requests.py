"""Rekor v1 ``hashedrekord`` v0.0.1 proposed entries, built the one way the log tests need.

A proposed entry is what a client POSTs to ``/api/v1/log/entries`` (Rekor's OpenAPI
``ProposedEntry``, kind ``hashedrekord``, apiVersion ``0.0.1``): the artifact's digest, a
signature over it, and the signer's public key as base64 of its PEM (SubjectPublicKeyInfo).
The tests import these as ``from tests.rekor_requests import ...``.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils

SigningKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
"""A private key the builders sign with: ECDSA (any curve, SHA-256 prehashed) or Ed25519."""


def public_pem(key: SigningKey) -> bytes:
    """The PEM (SubjectPublicKeyInfo) of a private key's public half.

    Args:
        key: The private key.

    Returns:
        The ``-----BEGIN PUBLIC KEY-----`` PEM bytes, ending in a newline.
    """
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def sign_sha256(key: SigningKey, artifact: bytes) -> tuple[bytes, bytes]:
    """Hash an artifact with SHA-256 and sign the digest.

    An ECDSA key signs the digest prehashed (``ECDSA(Prehashed(SHA256))``, so the signature
    also verifies over the artifact itself); an Ed25519 key signs the 32 digest bytes as its
    message (which a hashedrekord log refuses: a case some tests need).

    Args:
        key: The signer's private key.
        artifact: The artifact's bytes.

    Returns:
        ``(digest, signature)``: the 32-byte SHA-256 digest and the raw signature (DER for
        ECDSA, 64 bytes for Ed25519). ECDSA is randomised: two calls give two signatures.
    """
    digest = hashlib.sha256(artifact).digest()
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return digest, key.sign(digest)
    return digest, key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))


def hashedrekord_request(
    public_pem: bytes, digest: bytes, signature: bytes, *, algorithm: str = "sha256"
) -> dict[str, Any]:
    """The JSON of a ``hashedrekord`` v0.0.1 proposed entry.

    Args:
        public_pem: The signer's public key, PEM (SubjectPublicKeyInfo).
        digest: The artifact's digest, raw bytes (written as lower-case hex).
        signature: The signature over the digest, raw bytes (written as base64).
        algorithm: The digest's name in ``spec.data.hash.algorithm``.

    Returns:
        A new dict ``{"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {...}}`` that the
        caller may change freely.
    """
    return {
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": algorithm, "value": digest.hex()}},
            "signature": {
                "content": base64.b64encode(signature).decode(),
                "publicKey": {"content": base64.b64encode(public_pem).decode()},
            },
        },
    }


def hashedrekord(key: SigningKey, artifact: bytes) -> dict[str, Any]:
    """A ``hashedrekord`` v0.0.1 proposed entry for an artifact, signed by a key.

    Args:
        key: The signer's private key (see :func:`sign_sha256` for how each type signs).
        artifact: The artifact's bytes; the entry records their SHA-256.

    Returns:
        The proposed entry's JSON, as :func:`hashedrekord_request` builds it.
    """
    digest, signature = sign_sha256(key, artifact)
    return hashedrekord_request(public_pem(key), digest, signature)
