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

Parsing and checking are the shared Rekor v1 code of
:mod:`liturgia._internal.transparency` (the one implementation the log uses too); this module
adds the choice of the trusted key by log ID and the entry's place in the message.

That the body is about the bundle's own signature and digest is
:func:`liturgia.sign.rekor.check_entry_bodies` (:class:`BundleError` "entry body does not match
the bundle", raised by :mod:`liturgia.sign.verify`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liturgia._internal.files import read_bytes
from liturgia._internal.transparency.rekor import LogEntry, log_id, verify_log_entry
from liturgia.errors import BundleError, InputError, ProofError, SignatureError
from liturgia.sign.bundle import Bundle
from liturgia.sign.keys import PublicKey, load_public_key, parse_public_key

__all__ = [
    "VerifiedLogEntry",
    "load_log_keys",
    "load_log_urls",
    "log_keys_from_trusted_root",
    "log_urls_from_trusted_root",
    "verify_tlog_entries",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedLogEntry:
    """A bundle's log entry that verified offline.

    Attributes:
        log_index: the **global** index (what the SET signs).
        integrated_time: when the log integrated the entry, seconds since the epoch (the
            trusted time the SET vouches for).
        log_id: SHA-256 of the log key's DER SubjectPublicKeyInfo (32 bytes).
        tree_index: the entry's tree-local index, as the inclusion proof has it.
        tree_size: size of the tree the proof and the checkpoint are for.
        root_hash: that tree's 32-byte root.
        origin: the checkpoint's origin line (Rekor v1: ``"<host> - <tree id>"``).
    """

    log_index: int
    integrated_time: int
    log_id: bytes
    tree_index: int
    tree_size: int
    root_hash: bytes
    origin: str


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


def log_urls_from_trusted_root(data: bytes, *, source: str = "trusted root") -> dict[bytes, str]:
    """Read where each transparency log of a Sigstore TrustedRoot JSON is served.

    Args:
        data: the TrustedRoot JSON bytes.
        source: how messages name it (e.g. its path).

    Returns:
        ``{log ID: baseUrl}``: the log ID is the SHA-256 of the log key's DER
        SubjectPublicKeyInfo (as in bundles' ``logId.keyId``); logs without a string
        ``baseUrl`` are left out.

    Raises:
        InputError: as :func:`log_keys_from_trusted_root`.
    """
    keys = log_keys_from_trusted_root(data, source=source)
    tlogs = json.loads(data)["tlogs"]
    return {
        log_id(key.key): tlog["baseUrl"]
        for key, tlog in zip(keys, tlogs, strict=True)
        if isinstance(tlog.get("baseUrl"), str) and tlog["baseUrl"]
    }


def load_log_urls(trusted_root: Path | None) -> dict[bytes, str]:
    """The base URLs of the logs a ``--trusted-root`` file lists, by log ID (empty without one).

    Raises:
        InputError: the file is missing, unreadable or not a TrustedRoot.
    """
    if trusted_root is None:
        return {}
    data = read_bytes(trusted_root, what="trusted root")
    return log_urls_from_trusted_root(data, source=str(trusted_root))


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


def _key_for(wanted: bytes, log_keys: Sequence[PublicKey], where: str) -> PublicKey:
    for key in log_keys:
        if hmac.compare_digest(log_id(key.key), wanted):
            return key
    raise SignatureError(
        f"{where}: log entry from an untrusted log (log ID {wanted.hex()} is none of the "
        f"{len(log_keys)} trusted log keys)"
    )


def _check_one(
    raw: Mapping[str, Any], log_keys: Sequence[PublicKey], where: str
) -> VerifiedLogEntry:
    try:
        entry = LogEntry.from_bundle_json(raw)
    except BundleError as exc:
        raise BundleError(f"{where}: {exc}") from exc
    key = _key_for(entry.log_id, log_keys, where)
    try:
        checkpoint = verify_log_entry(entry, key.key)
    except SignatureError as exc:
        raise SignatureError(f"{where}: {exc}") from exc
    except ProofError as exc:
        raise ProofError(f"{where}: {exc}") from exc
    proof = entry.inclusion_proof
    if checkpoint is None or proof is None:  # pragma: no cover - require_proof is the default
        raise ProofError(f"{where}: inclusion proof invalid: the entry has no inclusion proof")
    return VerifiedLogEntry(
        log_index=entry.log_index,
        integrated_time=entry.integrated_time,
        log_id=entry.log_id,
        tree_index=proof.log_index,
        tree_size=proof.tree_size,
        root_hash=proof.root_hash,
        origin=checkpoint.origin,
    )


def verify_tlog_entries(
    bundle: Bundle, log_keys: Sequence[PublicKey], *, name: str = "bundle"
) -> tuple[VerifiedLogEntry, ...]:
    """Verify every log entry of ``bundle`` offline against trusted log keys; need one.

    The entries' bodies must already be checked against the bundle's content
    (:func:`liturgia.sign.rekor.check_entry_bodies`). Implements sigstore-js's default
    transparency-log policy (one verified entry, its SET as the trusted time) for Rekor v1
    entries: the SET (ECDSA/Ed25519 over the RFC 8785 JSON of body, integratedTime, logID and
    logIndex), the checkpoint signature (C2SP signed note by the log key, key name = the
    origin's host) and RFC 9162 §2.1.3.2 inclusion of the body's leaf hash in the
    checkpoint's tree, all by :func:`liturgia._internal.transparency.rekor.verify_log_entry`,
    the one implementation the log (:mod:`liturgia.tlog`) uses too.

    Args:
        bundle: a parsed bundle.
        log_keys: the trusted logs' public keys (ECDSA or Ed25519).
        name: how messages name the bundle.

    Returns:
        The verified entries, in bundle order.

    Raises:
        BundleError: no entry, or an entry's fields are missing or malformed.
        SignatureError: "log entry from an untrusted log", "signed entry timestamp invalid",
            "checkpoint signature invalid".
        ProofError: "inclusion proof invalid" (none, wrong tree, wrong path), "checkpoint
            malformed".
    """
    if not bundle.tlog_entries:
        raise BundleError(f"{name}: no transparency log entry (one is required)")
    return tuple(
        _check_one(raw, log_keys, f"{name}: tlogEntries[{index}]")
        for index, raw in enumerate(bundle.tlog_entries)
    )
