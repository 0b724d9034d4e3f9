"""Verify bundles against a public key: artifact signatures and DSSE attestations.

Each check raises its own error so a failure names its reason: :class:`BundleError` (malformed
bundle, unsupported media type, wrong content kind), :class:`DigestError` (the artifact is not
the one signed), :class:`SignatureError` (signature invalid, or made by another key).
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from liturgia._internal.files import read_bytes
from liturgia.errors import BundleError, DigestError, SignatureError
from liturgia.sign.artifact import digest_file
from liturgia.sign.bundle import Bundle, MessageSignature, parse_bundle
from liturgia.sign.dsse import Envelope, verify_dsse
from liturgia.sign.keys import KeyAlgorithm, PublicKey
from liturgia.sign.rekor import check_entry_bodies

__all__ = ["verify_bytes_bundle", "verify_dsse_bundle", "verify_file_bundle"]


def _message_signature(bundle: Bundle, name: str) -> MessageSignature:
    if bundle.message_signature is None:
        raise BundleError(
            f"{name}: holds a DSSE envelope, not an artifact signature "
            "(verify it as an attestation)"
        )
    return bundle.message_signature


def _check_signature(
    signature: MessageSignature,
    public_key: PublicKey,
    bundle: Bundle,
    name: str,
    *,
    message: bytes | None,
) -> None:
    ed25519_message = message if public_key.algorithm is KeyAlgorithm.ED25519 else None
    if ed25519_message is None and public_key.algorithm.hash_name != signature.algorithm.value:
        raise SignatureError(
            f"{name}: signature invalid: a {public_key.algorithm} key signs "
            f"{public_key.algorithm.hash_name} digests, the bundle has {signature.algorithm.value}"
        )
    try:
        if ed25519_message is not None:
            public_key.verify(signature.signature, ed25519_message)
        else:
            public_key.verify_digest(signature.signature, signature.digest)
    except SignatureError as exc:
        if bundle.key_hint and bundle.key_hint != public_key.key_id:
            raise SignatureError(
                f"{name}: wrong key: the bundle names key {bundle.key_hint}, "
                f"verified with key {public_key.key_id}"
            ) from exc
        raise SignatureError(f"{name}: signature invalid under key {public_key.key_id}") from exc


def _check_digest(signature: MessageSignature, actual: bytes, artifact: str, name: str) -> None:
    if not hmac.compare_digest(signature.digest, actual):
        algorithm = signature.algorithm.hashlib_name
        raise DigestError(
            f"{artifact}: digest mismatch: {name} records {algorithm}:{signature.digest.hex()}, "
            f"the file has {algorithm}:{actual.hex()}"
        )


def verify_file_bundle(
    path: Path, bundle: bytes, public_key: PublicKey, *, bundle_name: str = "bundle"
) -> None:
    """Verify that ``bundle`` is ``public_key``'s signature over the file at ``path``.

    The file is hashed in one streaming pass (ECDSA keys); no transparency log entry is
    required (``cosign verify-blob --insecure-ignore-tlog``). Entries present must be about
    this bundle's signature and digest (their inclusion proofs and checkpoints are checked by
    the log's verifier, :mod:`liturgia.tlog`).

    Args:
        path: the artifact.
        bundle: the bundle's JSON bytes (v0.1, v0.2 or v0.3).
        public_key: the key the artifact must be signed with.
        bundle_name: how messages name the bundle (e.g. its file name).

    Raises:
        InputError: the artifact cannot be read.
        BundleError: malformed bundle, unknown media type, a DSSE bundle, or a log entry
            about other content.
        DigestError: the file's digest is not the one in the bundle.
        SignatureError: the signature is invalid, or made by another key.
    """
    parsed = parse_bundle(bundle, name=bundle_name)
    signature = _message_signature(parsed, bundle_name)
    check_entry_bodies(parsed, name=bundle_name)
    message: bytes | None = None
    if public_key.algorithm is KeyAlgorithm.ED25519:
        message = read_bytes(path, what="artifact")
        actual = hashlib.new(signature.algorithm.hashlib_name, message).digest()
    else:
        actual = digest_file(path, signature.algorithm)
    _check_digest(signature, actual, str(path), bundle_name)
    _check_signature(signature, public_key, parsed, bundle_name, message=message)


def verify_bytes_bundle(
    data: bytes, bundle: bytes, public_key: PublicKey, *, bundle_name: str = "bundle"
) -> None:
    """Like :func:`verify_file_bundle` for an artifact held in memory.

    Raises:
        BundleError, DigestError, SignatureError: as :func:`verify_file_bundle`.
    """
    parsed = parse_bundle(bundle, name=bundle_name)
    signature = _message_signature(parsed, bundle_name)
    check_entry_bodies(parsed, name=bundle_name)
    actual = hashlib.new(signature.algorithm.hashlib_name, data).digest()
    _check_digest(signature, actual, "artifact", bundle_name)
    _check_signature(signature, public_key, parsed, bundle_name, message=data)


def verify_dsse_bundle(
    bundle: bytes, public_key: PublicKey, *, bundle_name: str = "bundle"
) -> Envelope:
    """Verify a bundle holding a DSSE envelope; return the envelope (payload verified).

    Raises:
        BundleError: malformed bundle, unknown media type, or not a DSSE bundle.
        SignatureError: no envelope signature verifies under ``public_key``.
    """
    parsed = parse_bundle(bundle, name=bundle_name)
    if parsed.envelope is None:
        raise BundleError(f"{bundle_name}: holds an artifact signature, not a DSSE envelope")
    check_entry_bodies(parsed, name=bundle_name)
    verify_dsse(parsed.envelope, public_key, source=bundle_name)
    return parsed.envelope
