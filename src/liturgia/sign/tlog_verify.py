"""Offline verification of the transparency log entries a bundle carries (Rekor v1 logs).

Given the keys of the logs the verifier trusts (PEM public keys, or the ``tlogs[]`` of a
Sigstore TrustedRoot JSON as ``liturgia trust-root export`` writes it), each entry in a
bundle's ``verificationMaterial.tlogEntries`` is checked the way sigstore-js checks it with
its default policy, each failure raising its own error with a named reason:

* the log ID names a trusted log (:class:`SignatureError` "log entry from an untrusted log");
* the SignedEntryTimestamp verifies under that log's key (:class:`SignatureError` "signed
  entry timestamp invalid");
* the checkpoint is a C2SP signed note by that key, under the key name Rekor v1 uses (the
  host, the origin's first word) (:class:`SignatureError` "checkpoint signature invalid";
  :class:`ProofError` "checkpoint malformed");
* the checkpoint commits to the proof's tree and the body's RFC 6962 leaf hash is included at
  the proof's tree-local index (:class:`ProofError` "inclusion proof invalid").

That the body is about the bundle's own signature and digest is
:func:`liturgia.sign.rekor.check_entry_bodies` (:class:`BundleError` "entry body does not match
the bundle", raised by :mod:`liturgia.sign.verify`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from liturgia._internal.files import read_bytes
from liturgia.errors import BundleError, InputError, ProofError, SignatureError
from liturgia.sign.bundle import Bundle
from liturgia.sign.keys import PublicKey, load_public_key, parse_public_key
from liturgia.tlog import merkle
from liturgia.tlog.checkpoint import Checkpoint, SignedNote, open_checkpoint, verifier_for
from liturgia.tlog.rekor import LogEntry, verify_entry_timestamp

__all__ = ["load_log_keys", "log_keys_from_trusted_root", "verify_tlog_entries"]


def log_keys_from_trusted_root(
    data: bytes, *, source: str = "trusted root"
) -> tuple[PublicKey, ...]:
    """Read the transparency log keys of a Sigstore TrustedRoot JSON (protobuf-specs v0.1).

    Args:
        data: the TrustedRoot JSON bytes.
        source: how messages name it (e.g. its path).

    Returns:
        One key per ``tlogs[]`` entry, in document order.

    Raises:
        InputError: not JSON, no ``tlogs`` list, or an entry without a valid
            ``publicKey.rawBytes`` (base64 DER SubjectPublicKeyInfo).
    """
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{source}: not JSON: {exc}") from exc
    tlogs = document.get("tlogs") if isinstance(document, dict) else None
    if not isinstance(tlogs, list) or not tlogs:
        raise InputError(f"{source}: no 'tlogs' list of transparency logs")
    keys = []
    for index, tlog in enumerate(tlogs):
        raw = tlog.get("publicKey", {}).get("rawBytes") if isinstance(tlog, dict) else None
        try:
            der = base64.b64decode(str(raw), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InputError(f"{source}: tlogs[{index}].publicKey.rawBytes is not base64") from exc
        pem = (
            b"-----BEGIN PUBLIC KEY-----\n"
            + base64.encodebytes(der)
            + b"-----END PUBLIC KEY-----\n"
        )
        keys.append(parse_public_key(pem, source=f"{source}: tlogs[{index}].publicKey"))
    return tuple(keys)


def load_log_keys(
    key_paths: Sequence[Path] = (), trusted_root: Path | None = None
) -> tuple[PublicKey, ...] | None:
    """The trusted log keys named on a command line: PEM files and/or a TrustedRoot JSON.

    Args:
        key_paths: public key PEM files of trusted logs (``--log-key``, repeatable).
        trusted_root: a TrustedRoot JSON whose ``tlogs[]`` keys are trusted (``--trusted-root``).

    Returns:
        The keys (PEM files first), or ``None`` when neither is given: then no log entry is
        required (pass it straight to ``verify_file_bundle(..., log_keys=...)``).

    Raises:
        InputError: a file is missing, unreadable or not a key / TrustedRoot.
    """
    if not key_paths and trusted_root is None:
        return None
    keys = [load_public_key(path) for path in key_paths]
    if trusted_root is not None:
        data = read_bytes(trusted_root, what="trusted root")
        keys.extend(log_keys_from_trusted_root(data, source=str(trusted_root)))
    return tuple(keys)


def _key_for(entry: LogEntry, log_keys: Sequence[PublicKey], where: str) -> PublicKey:
    for key in log_keys:
        if hashlib.sha256(key.der).digest() == entry.log_id:
            return key
    raise SignatureError(
        f"{where}: log entry from an untrusted log (log ID {entry.log_id.hex()} is none of the "
        f"{len(log_keys)} trusted log keys)"
    )


def _check_one(entry: LogEntry, key: PublicKey, where: str) -> None:
    try:
        verify_entry_timestamp(key.key, entry.signed_entry_timestamp, entry.set_payload())
    except SignatureError as exc:
        raise SignatureError(f"{where}: signed entry timestamp invalid: {exc}") from exc
    proof = entry.inclusion_proof
    if proof is None:
        raise ProofError(f"{where}: inclusion proof invalid: the entry has no inclusion proof")
    try:
        origin = Checkpoint.from_text(SignedNote.parse(proof.checkpoint).text).origin
        checkpoint = open_checkpoint(
            proof.checkpoint, [verifier_for(origin.split(" ")[0], key.key)]
        )
    except SignatureError as exc:
        raise SignatureError(f"{where}: checkpoint signature invalid: {exc}") from exc
    except ProofError as exc:
        raise ProofError(f"{where}: checkpoint malformed: {exc}") from exc
    if (checkpoint.size, checkpoint.root_hash) != (proof.tree_size, proof.root_hash):
        raise ProofError(
            f"{where}: inclusion proof invalid: the checkpoint commits to tree "
            f"({checkpoint.size}, {checkpoint.root_hash.hex()}), the proof to "
            f"({proof.tree_size}, {proof.root_hash.hex()})"
        )
    try:
        merkle.verify_inclusion(
            leaf_hash=merkle.leaf_hash(entry.body),
            index=proof.log_index,
            tree_size=proof.tree_size,
            proof=proof.hashes,
            root=proof.root_hash,
        )
    except ProofError as exc:
        raise ProofError(f"{where}: inclusion proof invalid: {exc}") from exc


def verify_tlog_entries(
    bundle: Bundle, log_keys: Sequence[PublicKey], *, name: str = "bundle"
) -> tuple[LogEntry, ...]:
    """Verify every log entry of ``bundle`` offline against trusted log keys; need one.

    The entries' bodies must already be checked against the bundle's content
    (:func:`liturgia.sign.rekor.check_entry_bodies`). Implements sigstore-js's default
    transparency-log policy (one verified entry, its SET as the trusted time) for Rekor v1
    entries: SET, checkpoint signature (C2SP signed note, key name = the origin's host) and
    RFC 9162 §2.1.3.2 inclusion of the body's leaf hash.

    Args:
        bundle: a parsed bundle.
        log_keys: the trusted logs' public keys (ECDSA P-256 or Ed25519).
        name: how messages name the bundle.

    Returns:
        The verified entries, in bundle order.

    Raises:
        BundleError: no entry, or an entry's fields are malformed.
        SignatureError: untrusted log, SET invalid, checkpoint signature invalid.
        ProofError: no inclusion proof, malformed checkpoint, inclusion proof invalid.
    """
    if not bundle.tlog_entries:
        raise BundleError(f"{name}: no transparency log entry (one is required)")
    verified = []
    for index, raw in enumerate(bundle.tlog_entries):
        where = f"{name}: tlogEntries[{index}]"
        try:
            entry = LogEntry.from_bundle_json(raw)
        except BundleError as exc:
            raise BundleError(f"{where}: {exc}") from exc
        _check_one(entry, _key_for(entry, log_keys, where), where)
        verified.append(entry)
    return tuple(verified)
