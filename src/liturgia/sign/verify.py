"""Verify bundles against a public key: artifact signatures and DSSE attestations.

Each check raises its own error so a failure names its reason: :class:`BundleError` (malformed
bundle, unsupported media type, wrong content kind), :class:`DigestError` (the artifact is not
the one signed), :class:`SignatureError` (signature invalid, or made by another key).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from pathlib import Path

from liturgia._internal.files import read_bytes
from liturgia.errors import BundleError, DigestError, SignatureError
from liturgia.sign.artifact import digest_file
from liturgia.sign.bundle import Bundle, MessageSignature, parse_bundle
from liturgia.sign.dsse import Envelope, verify_dsse
from liturgia.sign.keys import KeyAlgorithm, PublicKey
from liturgia.sign.rekor import check_entry_bodies
from liturgia.sign.tlog_verify import verify_tlog_entries

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


def _check_log(parsed: Bundle, name: str, log_keys: Sequence[PublicKey] | None) -> None:
    """Entry bodies about this bundle; with ``log_keys``, one entry verified offline."""
    try:
        check_entry_bodies(parsed, name=name)
    except BundleError as exc:
        raise BundleError(f"entry body does not match the bundle: {exc}") from exc
    if log_keys is not None:
        verify_tlog_entries(parsed, log_keys, name=name)


def _check_digest(signature: MessageSignature, actual: bytes, artifact: str, name: str) -> None:
    if not hmac.compare_digest(signature.digest, actual):
        algorithm = signature.algorithm.hashlib_name
        raise DigestError(
            f"{artifact}: digest mismatch: {name} records {algorithm}:{signature.digest.hex()}, "
            f"the file has {algorithm}:{actual.hex()}"
        )


def verify_file_bundle(
    path: Path,
    bundle: bytes,
    public_key: PublicKey,
    *,
    bundle_name: str = "bundle",
    log_keys: Sequence[PublicKey] | None = None,
) -> None:
    """Verify that ``bundle`` is ``public_key``'s signature over the file at ``path``.

    The file is hashed in one streaming pass (ECDSA keys); no transparency log entry is
    required (``cosign verify-blob --insecure-ignore-tlog``) unless ``log_keys`` is given.
    Entries present must be about this bundle's signature and digest. With ``log_keys``, at
    least one entry is required and every entry's SET, checkpoint signature and inclusion
    proof are checked offline (:func:`liturgia.sign.tlog_verify.verify_tlog_entries`).

    Args:
        path: the artifact.
        bundle: the bundle's JSON bytes (v0.1, v0.2 or v0.3).
        public_key: the key the artifact must be signed with.
        bundle_name: how messages name the bundle (e.g. its file name).
        log_keys: trusted transparency log keys (e.g. from
            :func:`~liturgia.sign.tlog_verify.log_keys_from_trusted_root`); ``None`` checks no
            log entry beyond its body.

    Raises:
        InputError: the artifact cannot be read.
        BundleError: malformed bundle, unknown media type, a DSSE bundle, "entry body does not
            match the bundle" (a log entry about other content), or no entry with
            ``log_keys``.
        ProofError: with ``log_keys``: "inclusion proof invalid", "checkpoint malformed".
        DigestError: the file's digest is not the one in the bundle.
        SignatureError: the signature is invalid, or made by another key; with ``log_keys``:
            "checkpoint signature invalid", "signed entry timestamp invalid", "log entry from
            an untrusted log".
    """
    parsed = parse_bundle(bundle, name=bundle_name)
    signature = _message_signature(parsed, bundle_name)
    _check_log(parsed, bundle_name, log_keys)
    message: bytes | None = None
    if public_key.algorithm is KeyAlgorithm.ED25519:
        message = read_bytes(path, what="artifact")
        actual = hashlib.new(signature.algorithm.hashlib_name, message).digest()
    else:
        actual = digest_file(path, signature.algorithm)
    _check_digest(signature, actual, str(path), bundle_name)
    _check_signature(signature, public_key, parsed, bundle_name, message=message)


def verify_bytes_bundle(
    data: bytes,
    bundle: bytes,
    public_key: PublicKey,
    *,
    bundle_name: str = "bundle",
    log_keys: Sequence[PublicKey] | None = None,
) -> None:
    """Like :func:`verify_file_bundle` for an artifact held in memory.

    Raises:
        BundleError, DigestError, SignatureError, ProofError: as :func:`verify_file_bundle`.
    """
    parsed = parse_bundle(bundle, name=bundle_name)
    signature = _message_signature(parsed, bundle_name)
    _check_log(parsed, bundle_name, log_keys)
    actual = hashlib.new(signature.algorithm.hashlib_name, data).digest()
    _check_digest(signature, actual, "artifact", bundle_name)
    _check_signature(signature, public_key, parsed, bundle_name, message=data)


def verify_dsse_bundle(
    bundle: bytes,
    public_key: PublicKey,
    *,
    bundle_name: str = "bundle",
    log_keys: Sequence[PublicKey] | None = None,
) -> Envelope:
    """Verify a bundle holding a DSSE envelope; return the envelope (payload verified).

    Raises:
        BundleError: malformed bundle, unknown media type, not a DSSE bundle, or a log entry
            problem as in :func:`verify_file_bundle` (``log_keys`` likewise).
        SignatureError: no envelope signature verifies under ``public_key``; log entry
            failures as in :func:`verify_file_bundle`.
        ProofError: with ``log_keys``, as in :func:`verify_file_bundle`.
    """
    parsed = parse_bundle(bundle, name=bundle_name)
    if parsed.envelope is None:
        raise BundleError(f"{bundle_name}: holds an artifact signature, not a DSSE envelope")
    _check_log(parsed, bundle_name, log_keys)
    verify_dsse(parsed.envelope, public_key, source=bundle_name)
    return parsed.envelope
