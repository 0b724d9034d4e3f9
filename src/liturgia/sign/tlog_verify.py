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
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from liturgia._internal.files import read_bytes
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

_ED25519_NOTE_TYPE = 0x01  # C2SP signed-note signature type of Ed25519 keys
_EM_DASH = "\u2014"


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
        hashlib.sha256(key.der).digest(): tlog["baseUrl"]
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


def _get(obj: Any, path: str, where: str) -> Any:
    value = obj
    for key in path.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    if value is None:
        raise BundleError(f"{where}: field {path!r} is missing")
    return value


def _int(obj: Any, path: str, where: str) -> int:
    """An int, or a decimal string as protobuf JSON writes int64; never negative or a bool."""
    value = _get(obj, path, where)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 53:
        raise BundleError(f"{where}: field {path!r} is not an integer in 0..2**53")
    return value


def _b64(value: Any, path: str, where: str, size: int | None = None) -> bytes:
    try:
        raw = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BundleError(f"{where}: field {path!r} is not base64") from exc
    if size is not None and len(raw) != size:
        raise BundleError(f"{where}: field {path!r} is {len(raw)} bytes, expected {size}")
    return raw


def _key_for(log_id: bytes, log_keys: Sequence[PublicKey], where: str) -> PublicKey:
    for key in log_keys:
        if hmac.compare_digest(hashlib.sha256(key.der).digest(), log_id):
            return key
    raise SignatureError(
        f"{where}: log entry from an untrusted log (log ID {log_id.hex()} is none of the "
        f"{len(log_keys)} trusted log keys)"
    )


def _verify(key: PublicKey, signature: bytes, data: bytes) -> None:
    """A log key's signature: ECDSA over SHA-256 (Rekor v1, any curve), or Ed25519."""
    raw = key.key
    if isinstance(raw, ed25519.Ed25519PublicKey):
        raw.verify(signature, data)
    elif isinstance(raw, ec.EllipticCurvePublicKey):
        raw.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    else:  # pragma: no cover - PublicKey holds only EC and Ed25519 keys
        raise InvalidSignature


def _note_key_hash(name: str, key: PublicKey) -> bytes:
    """C2SP signed-note key hash: Ed25519 per the spec, ECDSA as Rekor v1 (SPKI SHA-256)."""
    if isinstance(key.key, ed25519.Ed25519PublicKey):
        raw = key.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        material = name.encode() + b"\n" + bytes([_ED25519_NOTE_TYPE]) + raw
        return hashlib.sha256(material).digest()[:4]
    return hashlib.sha256(key.der).digest()[:4]


def _checkpoint_body(text: str) -> tuple[str, int, bytes] | None:
    lines = text.split("\n")
    if len(lines) < 3 or not lines[0] or not lines[1].isascii() or not lines[1].isdigit():
        return None
    try:
        root = base64.b64decode(lines[2], validate=True)
    except (binascii.Error, ValueError):
        return None
    return (lines[0], int(lines[1]), root) if len(root) == 32 else None


def _open_checkpoint(note: str, key: PublicKey, where: str) -> tuple[str, int, bytes]:
    """Verify a checkpoint (C2SP signed note + tlog-checkpoint body); return its body.

    The signature must be by ``key`` under the name Rekor v1 gives it: the origin's host.
    """
    text, blank, signatures = note.partition("\n\n")
    body = _checkpoint_body(text) if blank and signatures.endswith("\n") else None
    if body is None:
        raise ProofError(
            f"{where}: checkpoint malformed: not a signed note whose text is an origin, a "
            "decimal tree size and a base64 32-byte root hash"
        )
    origin, size, root = body
    name = origin.split(" ")[0]
    wanted = _note_key_hash(name, key)
    for line in signatures[:-1].split("\n"):
        dash, _, rest = line.partition(" ")
        signer, _, blob_text = rest.partition(" ")
        try:
            blob = base64.b64decode(blob_text, validate=True)
        except (binascii.Error, ValueError):
            continue
        if dash != _EM_DASH or signer != name or blob[:4] != wanted:
            continue
        try:
            _verify(key, blob[4:], (text + "\n").encode())
        except InvalidSignature as exc:
            raise SignatureError(
                f"{where}: checkpoint signature invalid: {name}'s signature does not verify"
            ) from exc
        return origin, size, root
    raise SignatureError(
        f"{where}: checkpoint signature invalid: no signature by the log key under {name!r}"
    )


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _root_from_proof(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root an inclusion proof yields, or None if it is ill-shaped."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = _node(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def _check_one(
    raw: Mapping[str, Any], log_keys: Sequence[PublicKey], where: str
) -> VerifiedLogEntry:
    body = _b64(_get(raw, "canonicalizedBody", where), "canonicalizedBody", where)
    try:
        document = json.loads(body)
        kind_version = (document["kind"], document["apiVersion"])
    except (ValueError, TypeError, KeyError) as exc:
        raise BundleError(f"{where}: canonicalizedBody has no kind and apiVersion") from exc
    recorded = (_get(raw, "kindVersion.kind", where), _get(raw, "kindVersion.version", where))
    if recorded != kind_version:
        raise BundleError(
            f"{where}: kindVersion {'/'.join(map(str, recorded))} does not match the body's "
            f"{'/'.join(map(str, kind_version))}"
        )
    log_id = _b64(_get(raw, "logId.keyId", where), "logId.keyId", where, 32)
    log_index = _int(raw, "logIndex", where)
    integrated_time = _int(raw, "integratedTime", where)
    key = _key_for(log_id, log_keys, where)
    promise = _b64(
        _get(raw, "inclusionPromise.signedEntryTimestamp", where),
        "inclusionPromise.signedEntryTimestamp",
        where,
    )
    payload = json.dumps(
        {
            "body": base64.b64encode(body).decode("ascii"),
            "integratedTime": integrated_time,
            "logID": log_id.hex(),
            "logIndex": log_index,
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode("ascii")
    try:
        _verify(key, promise, payload)
    except InvalidSignature as exc:
        raise SignatureError(f"{where}: signed entry timestamp invalid under the log key") from exc
    proof = raw.get("inclusionProof")
    if not isinstance(proof, Mapping):
        raise ProofError(f"{where}: inclusion proof invalid: the entry has no inclusion proof")
    tree_index = _int(proof, "logIndex", where)
    tree_size = _int(proof, "treeSize", where)
    root_hash = _b64(_get(proof, "rootHash", where), "inclusionProof.rootHash", where, 32)
    hashes_ = _get(proof, "hashes", where)
    if not isinstance(hashes_, list):
        raise BundleError(f"{where}: field 'inclusionProof.hashes' is not a list")
    path = [_b64(h, f"inclusionProof.hashes[{i}]", where, 32) for i, h in enumerate(hashes_)]
    note = _get(proof, "checkpoint.envelope", where)
    origin, size, root = _open_checkpoint(str(note), key, where)
    if (size, root) != (tree_size, root_hash):
        raise ProofError(
            f"{where}: inclusion proof invalid: the checkpoint commits to tree "
            f"({size}, {root.hex()}), the proof to ({tree_size}, {root_hash.hex()})"
        )
    leaf = hashlib.sha256(b"\x00" + body).digest()
    computed = _root_from_proof(leaf, tree_index, tree_size, path)
    if computed is None or not hmac.compare_digest(computed, root_hash):
        raise ProofError(
            f"{where}: inclusion proof invalid: leaf {tree_index} with {len(path)} hashes does "
            f"not yield the root of the tree of size {tree_size}"
        )
    return VerifiedLogEntry(
        log_index=log_index,
        integrated_time=integrated_time,
        log_id=log_id,
        tree_index=tree_index,
        tree_size=tree_size,
        root_hash=root_hash,
        origin=origin,
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
    checkpoint's tree. Independent of :mod:`liturgia.tlog` (the log's own code), by design
    and by the package layering.

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
