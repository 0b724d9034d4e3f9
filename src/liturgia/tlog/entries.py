"""Accepting proposed Rekor v1 entries: validate, verify the signature, canonicalize the body.

What ``POST /api/v1/log/entries`` does before anything is stored. Supported kinds:

* ``hashedrekord`` v0.0.1 (Rekor's ``pkg/types/hashedrekord/v0.0.1`` schema): a signature
  over an artifact's digest (``sha256``, ``sha384`` or ``sha512``), with the signer's public
  key or X.509 certificate as base64 PEM. The signature is verified over the digest
  (ECDSA P-256/P-384/P-521, RSA PKCS#1 v1.5, as Rekor's verifiers do) before the entry is
  accepted. Ed25519 is refused: it signs the artifact itself, never a digest.

The canonical body is what Rekor stores as the leaf: only the schema's fields, the key
re-encoded as canonical PEM, serialized as RFC 8785 JSON (every value here is an ASCII string,
so that is JSON with sorted keys and no whitespace). Resubmitting the same entry in another
JSON layout yields the same body, hence the same leaf hash, so duplicates are found.

Malformed input raises :class:`~liturgia.errors.InputError` naming the field; a signature that
does not verify raises :class:`~liturgia.errors.SignatureError`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from liturgia.errors import InputError, SignatureError

__all__ = ["SUPPORTED_KINDS", "AcceptedEntry", "accept_entry", "canonical_json"]

#: (kind, apiVersion) pairs this log accepts.
SUPPORTED_KINDS = (("hashedrekord", "0.0.1"),)

_DIGESTS: dict[str, tuple[type[hashes.HashAlgorithm], int]] = {
    "sha256": (hashes.SHA256, 64),
    "sha384": (hashes.SHA384, 96),
    "sha512": (hashes.SHA512, 128),
}
_HEX = re.compile(r"[0-9a-f]+\Z")
_MIN_RSA_BITS = 2048


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptedEntry:
    """A verified entry, ready to be sequenced.

    Attributes:
        kind: the entry kind (``"hashedrekord"``).
        api_version: its version (``"0.0.1"``).
        body: the canonical body: the exact leaf bytes to store.
        artifact_hash: ``"<algorithm>:<hex>"`` of the artifact, for search by hash.
        public_key: DER SubjectPublicKeyInfo of the signing key, for search by key.
    """

    kind: str
    api_version: str
    body: bytes
    artifact_hash: str
    public_key: bytes


def canonical_json(document: Any) -> bytes:
    """Serialize JSON made of objects, arrays and ASCII strings as RFC 8785 does.

    For such documents RFC 8785 is: object keys sorted by code point, no whitespace, strings
    as JSON escapes them. Other value types are refused rather than risk a different form.

    Raises:
        ValueError: a number, boolean, null or non-ASCII string is present.
    """

    def check(value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                check(key)
                check(item)
        elif isinstance(value, list):
            for item in value:
                check(item)
        elif not isinstance(value, str) or not value.isascii():
            raise ValueError(f"canonical_json handles ASCII strings only, not {value!r}")

    check(document)
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("ascii")


def _obj(value: Any, field: str, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError(f"entry field {field!r} must be an object")
    extra = sorted(set(value) - allowed)
    if extra:
        raise InputError(f"entry field {field}.{extra[0]} is not allowed")
    return value


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(f"entry field {field!r} must be a non-empty string")
    return value


def _b64(value: Any, field: str) -> bytes:
    text = _text(value, field)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError(f"entry field {field!r} is not valid base64") from exc


def _load_key(pem: bytes) -> tuple[Any, bytes]:
    """Return (public key, canonical PEM) of a PEM public key or certificate."""
    try:
        if pem.lstrip().startswith(b"-----BEGIN CERTIFICATE-----"):
            cert = x509.load_pem_x509_certificate(pem)
            return cert.public_key(), cert.public_bytes(serialization.Encoding.PEM)
        key = serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InputError(
            "entry field 'spec.signature.publicKey.content' is not a PEM public key or certificate"
        ) from exc
    canonical = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, canonical


def _verify_digest(
    key: Any, signature: bytes, digest: bytes, algorithm: hashes.HashAlgorithm
) -> None:
    prehashed = utils.Prehashed(algorithm)
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            if not isinstance(key.curve, ec.SECP256R1 | ec.SECP384R1 | ec.SECP521R1):
                raise InputError(f"ECDSA curve {key.curve.name} is not supported")
            key.verify(signature, digest, ec.ECDSA(prehashed))
        elif isinstance(key, rsa.RSAPublicKey):
            if key.key_size < _MIN_RSA_BITS:
                raise InputError(f"RSA keys of {key.key_size} bits are too small")
            key.verify(signature, digest, padding.PKCS1v15(), prehashed)
        else:
            raise InputError(
                f"{type(key).__name__.removeprefix('_')} keys are not supported by hashedrekord "
                "(it needs a key that signs a digest: ECDSA or RSA)"
            )
    except InvalidSignature as exc:
        raise SignatureError("hashedrekord signature does not verify over the digest") from exc


def _hashedrekord(spec_value: Any) -> AcceptedEntry:
    spec = _obj(spec_value, "spec", {"signature", "data"})
    signature_obj = _obj(spec.get("signature"), "spec.signature", {"content", "publicKey"})
    key_obj = _obj(signature_obj.get("publicKey"), "spec.signature.publicKey", {"content"})
    data = _obj(spec.get("data"), "spec.data", {"hash"})
    hash_obj = _obj(data.get("hash"), "spec.data.hash", {"algorithm", "value"})
    algorithm = _text(hash_obj.get("algorithm"), "spec.data.hash.algorithm")
    if algorithm not in _DIGESTS:
        raise InputError(f"digest algorithm {algorithm!r} is not one of sha256, sha384, sha512")
    hash_class, hex_length = _DIGESTS[algorithm]
    value = _text(hash_obj.get("value"), "spec.data.hash.value")
    if len(value) != hex_length or not _HEX.match(value):
        raise InputError(f"spec.data.hash.value must be {hex_length} lower-case hex digits")
    signature = _b64(signature_obj.get("content"), "spec.signature.content")
    key, canonical_pem = _load_key(_b64(key_obj.get("content"), "spec.signature.publicKey.content"))
    _verify_digest(key, signature, bytes.fromhex(value), hash_class())
    body = canonical_json(
        {
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": algorithm, "value": value}},
                "signature": {
                    "content": base64.b64encode(signature).decode("ascii"),
                    "publicKey": {"content": base64.b64encode(canonical_pem).decode("ascii")},
                },
            },
        }
    )
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return AcceptedEntry(
        kind="hashedrekord",
        api_version="0.0.1",
        body=body,
        artifact_hash=f"{algorithm}:{value}",
        public_key=der,
    )


def accept_entry(proposed: Any) -> AcceptedEntry:
    """Validate a proposed entry, verify its signature, and return its canonical body.

    Args:
        proposed: the request's JSON document (``{"apiVersion", "kind", "spec"}``).

    Returns:
        The accepted entry.

    Raises:
        InputError: not an object, an unknown kind or version, a missing, extra or malformed
            field, an unparsable or unsupported key.
        SignatureError: the signature does not verify.
    """
    document = _obj(proposed, "entry", {"apiVersion", "kind", "spec"})
    kind = _text(document.get("kind"), "kind")
    version = _text(document.get("apiVersion"), "apiVersion")
    if (kind, version) not in SUPPORTED_KINDS:
        supported = ", ".join(f"{k} {v}" for k, v in SUPPORTED_KINDS)
        raise InputError(f"entry kind {kind} {version} is not supported (supported: {supported})")
    return _hashedrekord(document.get("spec"))
