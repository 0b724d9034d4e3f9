"""Rekor v1 entries for our bundles: proposed entries, bundle log entries, body consistency.

The hand-off between signing and the transparency log (issue 6):

* :func:`proposed_entry` is the JSON a client POSTs to ``/api/v1/log/entries``:
  ``hashedrekord`` v0.0.1 for a message signature, ``dsse`` v0.0.1 (``proposedContent``) for
  an envelope — the shapes Rekor's OpenAPI types and sigstore-js's ``toProposedEntry`` use.
* :func:`tlog_entry_from_rekor` turns one Rekor v1 ``LogEntry`` answer into the bundle's
  ``TransparencyLogEntry`` (protobuf-specs ``sigstore_rekor.proto``; int64 fields as JSON
  strings, bytes as base64; Rekor's hex hashes decoded).
* :func:`check_entry_bodies` checks that each entry's ``canonicalizedBody`` is about this
  bundle's signature and digest (payload hash for DSSE), so a log entry cannot vouch for other
  content (the class of CVE-2022-36056).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from liturgia._internal.transparency.rekor import DSSE, HASHEDREKORD, LogEntry
from liturgia.errors import BundleError, InputError
from liturgia.sign.bundle import Bundle, HashAlgorithm
from liturgia.sign.keys import PublicKey, parse_public_key

__all__ = ["check_entry_bodies", "check_entry_key", "proposed_entry", "tlog_entry_from_rekor"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def proposed_entry(bundle: Bundle, public_key: PublicKey) -> dict[str, Any]:
    """The Rekor v1 proposed entry for ``bundle`` signed by ``public_key``.

    Raises:
        BundleError: a message signature whose digest is not SHA2_256 (hashedrekord v0.0.1
            records sha256 digests of the artifact here).
    """
    key = _b64(public_key.pem)
    if bundle.envelope is not None:
        return {
            "apiVersion": DSSE[1],
            "kind": DSSE[0],
            "spec": {
                "proposedContent": {
                    "envelope": bundle.envelope.to_json().decode("utf-8"),
                    "verifiers": [key],
                }
            },
        }
    signature = bundle.message_signature
    if signature is None:  # pragma: no cover - parse_bundle guarantees one of the two
        raise BundleError("bundle has no content")
    if signature.algorithm is not HashAlgorithm.SHA2_256:
        raise BundleError(
            f"hashedrekord entries need a SHA2_256 digest, the bundle has "
            f"{signature.algorithm.value}"
        )
    return {
        "apiVersion": HASHEDREKORD[1],
        "kind": HASHEDREKORD[0],
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": signature.digest.hex()}},
            "signature": {"content": _b64(signature.signature), "publicKey": {"content": key}},
        },
    }


def tlog_entry_from_rekor(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Convert one Rekor v1 ``LogEntry`` value into a bundle ``TransparencyLogEntry``.

    Both shapes are the shared definition the log writes them with
    (:class:`liturgia._internal.transparency.rekor.LogEntry`).

    Args:
        entry: the object under the entry's UUID in Rekor's answer: ``body`` (base64 canonical
            JSON), ``integratedTime``, ``logID`` (hex), ``logIndex`` (global),
            ``verification.signedEntryTimestamp`` and ``verification.inclusionProof``
            (``logIndex`` tree-local, ``rootHash``, ``treeSize``, ``hashes`` hex, ``checkpoint``).

    Raises:
        BundleError: a field is missing or ill-typed (the message names it).
    """
    return LogEntry.from_api_value(entry).to_bundle_json()


def _body(entry: Mapping[str, Any], name: str, index: int) -> dict[str, Any]:
    raw = entry.get("canonicalizedBody")
    try:
        body = json.loads(base64.b64decode(str(raw), validate=True))
    except (binascii.Error, ValueError) as exc:
        raise BundleError(f"{name}: tlogEntries[{index}].canonicalizedBody is malformed") from exc
    if not isinstance(body, dict) or not isinstance(body.get("spec"), dict):
        raise BundleError(f"{name}: tlogEntries[{index}].canonicalizedBody has no spec")
    return body


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _same(expected: bytes, recorded: Any, decode: str) -> bool:
    try:
        actual = bytes.fromhex(recorded) if decode == "hex" else base64.b64decode(recorded)
    except (ValueError, TypeError, binascii.Error):  # not hex/base64, or not a string
        return False
    return hmac.compare_digest(expected, actual)


def check_entry_bodies(bundle: Bundle, *, name: str = "bundle") -> None:
    """Check that every log entry's body is about this bundle's signature and digest.

    Raises:
        BundleError: an entry of another kind than the content, or whose body records another
            signature, digest or payload hash.
    """
    for index, entry in enumerate(bundle.tlog_entries):
        body = _body(entry, name, index)
        spec = body["spec"]
        where = f"{name}: tlogEntries[{index}]"
        if bundle.message_signature is not None:
            if body.get("kind") != HASHEDREKORD[0]:
                raise BundleError(f"{where} is a {body.get('kind')!r} entry, not hashedrekord")
            signature = _dig(spec, "signature", "content")
            digest = _dig(spec, "data", "hash", "value")
            if not _same(bundle.message_signature.signature, signature, "b64"):
                raise BundleError(f"{where}: the log entry records another signature")
            if not _same(bundle.message_signature.digest, digest, "hex"):
                raise BundleError(f"{where}: the log entry records another digest")
        elif bundle.envelope is not None:
            if body.get("kind") != DSSE[0]:
                raise BundleError(f"{where} is a {body.get('kind')!r} entry, not dsse")
            signatures = spec.get("signatures")
            payload_hash = _dig(spec, "payloadHash", "value")
            if (
                not isinstance(signatures, list)
                or len(signatures) != 1
                or not _same(
                    bundle.envelope.signatures[0].sig, _dig(signatures[0], "signature"), "b64"
                )
            ):
                raise BundleError(f"{where}: the log entry records another signature")
            if not _same(hashlib.sha256(bundle.envelope.payload).digest(), payload_hash, "hex"):
                raise BundleError(f"{where}: the log entry records another payload hash")


def check_entry_key(body: bytes, public_key: PublicKey) -> None:
    """Check that a hashedrekord or dsse v0.0.1 entry body records ``public_key`` and no other.

    The log keeps the key it was sent (in its own PEM layout), so the keys are compared as DER.

    Raises:
        BundleError: the body records no readable key, or another one.
    """
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise BundleError("the log entry body is not JSON") from exc
    if not isinstance(document, dict):
        raise BundleError("the log entry body is not a JSON object")
    spec = document.get("spec")
    if document.get("kind") == DSSE[0]:
        signatures = _dig(spec, "signatures")
        values = [_dig(s, "verifier") for s in signatures] if isinstance(signatures, list) else []
    else:
        values = [_dig(spec, "signature", "publicKey", "content")]
    for value in values or [None]:
        try:
            recorded = parse_public_key(base64.b64decode(str(value), validate=True))
        except (binascii.Error, ValueError, InputError) as exc:
            raise BundleError("the log entry records no readable public key") from exc
        if recorded.der != public_key.der:
            raise BundleError("the log entry records another public key than the signer's")
