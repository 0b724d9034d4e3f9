"""Rekor v1 log entries: IDs, signed entry timestamps, wire shapes and offline verification.

The one definition of the wire format both ends speak: the log (:mod:`liturgia.tlog`) writes
entries in these shapes, the signer (:mod:`liturgia.sign`) reads the log's answer and puts it in
a bundle, and verifiers (:mod:`liturgia.sign`, :mod:`liturgia.release`) check it offline.

What a Rekor v1 log hands back for an entry, and what a Sigstore bundle carries of it:

* the **log ID** is SHA-256 of the log key's DER SubjectPublicKeyInfo;
* the **entry UUID** is the hex RFC 6962 leaf hash of the canonicalized body; the **entry ID**
  prefixes it with the 16-hex-digit tree ID;
* the **SignedEntryTimestamp** (SET) is the log key's signature over the RFC 8785 canonical JSON
  of ``{"body", "integratedTime", "logID", "logIndex"}`` (body base64, logID hex);
* ``logIndex`` is the **global** index across the log's shards; the inclusion proof carries the
  **tree-local** index in the current shard's tree, and the two differ once a log has rotated
  shards (rekor.sigstore.dev: global 1004096275 is local 882192013).

:class:`LogEntry` reads and writes both the REST shape (Rekor's OpenAPI ``LogEntry``: hex hashes,
integer indexes) and the bundle shape (sigstore protobuf-specs ``TransparencyLogEntry`` JSON:
base64 hashes, indexes as strings). :func:`verify_log_entry` checks one offline.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from liturgia._internal.transparency import merkle
from liturgia._internal.transparency.note import (
    Checkpoint,
    SignedNote,
    open_checkpoint,
    verifier_for,
)
from liturgia.errors import BundleError, ProofError, SignatureError

__all__ = [
    "DSSE",
    "HASHEDREKORD",
    "MAX_ANSWER_BYTES",
    "InclusionProof",
    "LogEntry",
    "api_json_bytes",
    "check_entry_inclusion",
    "entry_id",
    "log_id",
    "rekor_key_name",
    "set_payload",
    "verify_entry_timestamp",
    "verify_log_entry",
]

#: Largest answer a client reads from a Rekor v1 log, in bytes (an entry with its proof and
#: checkpoint is a few KiB; log info and proofs are smaller).
MAX_ANSWER_BYTES = 1 << 20

#: The entry kinds (``kind``, ``apiVersion``) liturgia proposes and its log accepts.
HASHEDREKORD = ("hashedrekord", "0.0.1")
DSSE = ("dsse", "0.0.1")

_HEX64 = re.compile(r"[0-9a-f]{64}\Z")

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


def log_id(public_key: PublicKey) -> bytes:
    """Return Rekor's log ID: SHA-256 of the key's DER SubjectPublicKeyInfo (32 bytes)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).digest()


def entry_id(body: bytes, tree_id: int | None = None) -> str:
    """Return the entry UUID (hex leaf hash), prefixed by the tree ID as 16 hex digits if given."""
    uuid = merkle.leaf_hash(body).hex()
    return uuid if tree_id is None else f"{tree_id:016x}{uuid}"


def set_payload(*, body: bytes, integrated_time: int, log_id: bytes, log_index: int) -> bytes:
    """Return the bytes a SignedEntryTimestamp signs (Rekor v1).

    The RFC 8785 canonical JSON of ``{"body": base64(body), "integratedTime": int, "logID":
    hex(log_id), "logIndex": int}``. With only ASCII base64/hex strings and integers below
    2**53, RFC 8785 reduces to keys sorted by code point, no whitespace, integers in decimal,
    which is what ``json.dumps(sort_keys=True, separators=(",", ":"))`` writes.

    Raises:
        ValueError: an integer is negative or beyond 2**53 (not exactly representable in
            RFC 8785's IEEE 754 numbers).
    """
    for name, value in (("integratedTime", integrated_time), ("logIndex", log_index)):
        if not 0 <= value < 1 << 53:
            raise ValueError(f"{name} {value} is outside 0..2**53")
    document = {
        "body": base64.b64encode(body).decode("ascii"),
        "integratedTime": integrated_time,
        "logID": log_id.hex(),
        "logIndex": log_index,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("ascii")


def verify_entry_timestamp(public_key: PublicKey, signature: bytes, payload: bytes) -> None:
    """Verify a SignedEntryTimestamp over ``payload``.

    Raises:
        SignatureError: the signature does not verify under ``public_key``.
    """
    try:
        if isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(signature, payload)
        else:
            public_key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise SignatureError(
            "signed entry timestamp invalid: it does not verify under the log key"
        ) from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class InclusionProof:
    """A Rekor v1 inclusion proof.

    Attributes:
        log_index: the entry's **tree-local** index.
        tree_size: size of the tree the proof is for.
        root_hash: 32-byte root at ``tree_size``.
        hashes: the audit path, leaf side first (RFC 9162 §2.1.3.1).
        checkpoint: the signed checkpoint note for ``(tree_size, root_hash)``.
    """

    log_index: int
    tree_size: int
    root_hash: bytes
    hashes: tuple[bytes, ...]
    checkpoint: bytes


def api_json_bytes(
    *,
    uuid: str,
    body: bytes,
    integrated_time: int,
    log_id: bytes,
    log_index: int,
    signed_entry_timestamp: bytes,
    proof: tuple[int, int, bytes, Sequence[bytes], bytes] | None,
) -> bytes:
    """Write a Rekor v1 REST ``{entry ID: LogEntry}`` answer as compact JSON bytes.

    Written directly, without a dictionary or ``json.dumps``: every value but the checkpoint
    is an integer or base64/hex text that JSON needs no escape for, and the checkpoint's JSON
    string is kept per checkpoint. About a sixth of the cost of building the dictionary and
    encoding it, on the log's most frequent read: the same bytes as ``json.dumps`` (compact,
    ``ensure_ascii=False``, as Starlette's ``JSONResponse``) of :meth:`LogEntry.to_api_json`.

    Args:
        uuid: the entry ID the answer is keyed by (:func:`entry_id`).
        body: the canonicalized entry body.
        integrated_time: seconds since the epoch.
        log_id: the 32-byte log ID.
        log_index: the global index.
        signed_entry_timestamp: the SET.
        proof: ``(tree-local index, tree size, root hash, audit path, checkpoint note)``, or
            ``None`` for an answer without an inclusion proof.
    """
    parts = [
        b'{"',
        uuid.encode("ascii"),
        b'":{"body":"',
        base64.b64encode(body),
        b'","integratedTime":%d,"logID":"' % integrated_time,
        binascii.hexlify(log_id),
        b'","logIndex":%d,"verification":{"signedEntryTimestamp":"' % log_index,
        base64.b64encode(signed_entry_timestamp),
        b'"',
    ]
    if proof is not None:
        local, tree_size, root_hash, hashes, checkpoint = proof
        path = b'","'.join(map(binascii.hexlify, hashes))
        parts += [
            b',"inclusionProof":{"checkpoint":',
            _json_text(checkpoint),
            b',"hashes":[',
            b'"%s"' % path if hashes else b"",
            b'],"logIndex":%d,"rootHash":"' % local,
            binascii.hexlify(root_hash),
            b'","treeSize":%d}' % tree_size,
        ]
    parts.append(b"}}}")
    return b"".join(parts)


@functools.lru_cache(maxsize=8)
def _json_text(note: bytes) -> bytes:
    """A checkpoint note as a JSON string (UTF-8, non-ASCII kept), as ``json.dumps`` writes it."""
    return json.dumps(note.decode("utf-8"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True, slots=True, kw_only=True)
class LogEntry:
    """A Rekor v1 log entry as returned to clients.

    Attributes:
        body: the canonicalized entry body (the exact leaf bytes).
        integrated_time: when the log integrated it, seconds since the epoch.
        log_id: 32-byte log ID (:func:`log_id` of the log key).
        log_index: the **global** index.
        signed_entry_timestamp: the SET (:func:`set_payload` signed by the log key).
        inclusion_proof: the proof, or ``None`` when the log gave only a promise.
    """

    body: bytes
    integrated_time: int
    log_id: bytes
    log_index: int
    signed_entry_timestamp: bytes
    inclusion_proof: InclusionProof | None = None

    @property
    def uuid(self) -> str:
        """The entry UUID: hex leaf hash of the body."""
        return entry_id(self.body)

    def kind_version(self) -> tuple[str, str]:
        """Return ``(kind, apiVersion)`` read from the body.

        Raises:
            BundleError: the body is not a JSON object with string ``kind`` and ``apiVersion``.
        """
        try:
            document = json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BundleError(f"log entry body is not JSON: {exc}") from exc
        kind = document.get("kind") if isinstance(document, dict) else None
        version = document.get("apiVersion") if isinstance(document, dict) else None
        if not isinstance(kind, str) or not isinstance(version, str):
            raise BundleError("log entry body has no string 'kind' and 'apiVersion'")
        return kind, version

    def set_payload(self) -> bytes:
        """Return the bytes the SignedEntryTimestamp signs (see :func:`set_payload`)."""
        return set_payload(
            body=self.body,
            integrated_time=self.integrated_time,
            log_id=self.log_id,
            log_index=self.log_index,
        )

    def to_api_json(self, *, tree_id: int | None = None) -> dict[str, Any]:
        """Return Rekor's REST shape ``{entry ID: LogEntry}`` (hex hashes, integer indexes)."""
        value: dict[str, Any] = {
            "body": base64.b64encode(self.body).decode("ascii"),
            "integratedTime": self.integrated_time,
            "logID": self.log_id.hex(),
            "logIndex": self.log_index,
            "verification": {
                "signedEntryTimestamp": base64.b64encode(self.signed_entry_timestamp).decode(
                    "ascii"
                )
            },
        }
        proof = self.inclusion_proof
        if proof is not None:
            value["verification"]["inclusionProof"] = {
                "checkpoint": proof.checkpoint.decode("utf-8"),
                "hashes": [h.hex() for h in proof.hashes],
                "logIndex": proof.log_index,
                "rootHash": proof.root_hash.hex(),
                "treeSize": proof.tree_size,
            }
        return {entry_id(self.body, tree_id): value}

    def to_bundle_json(self) -> dict[str, Any]:
        """Return the bundle's ``TransparencyLogEntry`` JSON (base64 hashes, string indexes)."""
        kind, version = self.kind_version()
        value: dict[str, Any] = {
            "logIndex": str(self.log_index),
            "logId": {"keyId": base64.b64encode(self.log_id).decode("ascii")},
            "kindVersion": {"kind": kind, "version": version},
            "integratedTime": str(self.integrated_time),
            "inclusionPromise": {
                "signedEntryTimestamp": base64.b64encode(self.signed_entry_timestamp).decode(
                    "ascii"
                )
            },
            "canonicalizedBody": base64.b64encode(self.body).decode("ascii"),
        }
        proof = self.inclusion_proof
        if proof is not None:
            value["inclusionProof"] = {
                "logIndex": str(proof.log_index),
                "rootHash": base64.b64encode(proof.root_hash).decode("ascii"),
                "treeSize": str(proof.tree_size),
                "hashes": [base64.b64encode(h).decode("ascii") for h in proof.hashes],
                "checkpoint": {"envelope": proof.checkpoint.decode("utf-8")},
            }
        return value

    @classmethod
    def from_api_json(cls, data: Mapping[str, Any]) -> LogEntry:
        """Parse Rekor's REST shape: a one-key object ``{entry ID: LogEntry}``.

        Raises:
            BundleError: a field is missing, of the wrong type, or malformed (message names it);
                or the key is not the body's entry ID.
        """
        if not isinstance(data, Mapping) or len(data) != 1:
            raise BundleError("Rekor response must be an object with exactly one entry")
        ((key, value),) = data.items()
        entry = cls.from_api_value(value)
        if not isinstance(key, str) or key[-64:] != entry.uuid or len(key) not in (64, 80):
            raise BundleError(f"entry ID {key!r} is not the body's leaf hash {entry.uuid}")
        return entry

    @classmethod
    def from_api_value(cls, value: Any) -> LogEntry:
        """Parse one Rekor v1 ``LogEntry`` (the object under the entry ID in a REST answer).

        Args:
            value: ``body`` (base64 canonical JSON), ``integratedTime``, ``logID`` (hex),
                ``logIndex`` (global), ``verification.signedEntryTimestamp`` and, optionally,
                ``verification.inclusionProof`` (``logIndex`` tree-local, ``rootHash``,
                ``treeSize``, ``hashes`` hex, ``checkpoint``).

        Raises:
            BundleError: a field is missing, of the wrong type, or malformed (message names it).
        """
        entry_obj = _obj(value, "entry")
        verification = _obj(entry_obj.get("verification"), "verification")
        proof_obj = verification.get("inclusionProof")
        proof = None
        if proof_obj is not None:
            p = _obj(proof_obj, "verification.inclusionProof")
            proof = InclusionProof(
                log_index=_int(p.get("logIndex"), "inclusionProof.logIndex"),
                tree_size=_int(p.get("treeSize"), "inclusionProof.treeSize"),
                root_hash=_hex32(p.get("rootHash"), "inclusionProof.rootHash"),
                hashes=tuple(
                    _hex32(h, f"inclusionProof.hashes[{i}]")
                    for i, h in enumerate(_list(p.get("hashes"), "inclusionProof.hashes"))
                ),
                checkpoint=_str(p.get("checkpoint"), "inclusionProof.checkpoint").encode(),
            )
        return cls(
            body=_b64(entry_obj.get("body"), "body"),
            integrated_time=_int(entry_obj.get("integratedTime"), "integratedTime"),
            log_id=_hex32(entry_obj.get("logID"), "logID"),
            log_index=_int(entry_obj.get("logIndex"), "logIndex"),
            signed_entry_timestamp=_b64(
                verification.get("signedEntryTimestamp"), "verification.signedEntryTimestamp"
            ),
            inclusion_proof=proof,
        )

    @classmethod
    def from_bundle_json(cls, data: Mapping[str, Any]) -> LogEntry:
        """Parse a bundle's ``TransparencyLogEntry`` JSON (protobuf-specs JSON mapping).

        Raises:
            BundleError: a field is missing, of the wrong type, or malformed (message names it),
                or ``kindVersion`` differs from the body's kind and apiVersion.
        """
        entry_obj = _obj(data, "tlogEntry")
        promise = _obj(entry_obj.get("inclusionPromise"), "inclusionPromise")
        proof_obj = entry_obj.get("inclusionProof")
        proof = None
        if proof_obj is not None:
            p = _obj(proof_obj, "inclusionProof")
            proof = InclusionProof(
                log_index=_int(p.get("logIndex"), "inclusionProof.logIndex"),
                tree_size=_int(p.get("treeSize"), "inclusionProof.treeSize"),
                root_hash=_b64(p.get("rootHash"), "inclusionProof.rootHash", size=32),
                hashes=tuple(
                    _b64(h, f"inclusionProof.hashes[{i}]", size=32)
                    for i, h in enumerate(_list(p.get("hashes"), "inclusionProof.hashes"))
                ),
                checkpoint=_str(
                    _obj(p.get("checkpoint"), "inclusionProof.checkpoint").get("envelope"),
                    "inclusionProof.checkpoint.envelope",
                ).encode(),
            )
        entry = cls(
            body=_b64(entry_obj.get("canonicalizedBody"), "canonicalizedBody"),
            integrated_time=_int(entry_obj.get("integratedTime"), "integratedTime"),
            log_id=_b64(_obj(entry_obj.get("logId"), "logId").get("keyId"), "logId.keyId", 32),
            log_index=_int(entry_obj.get("logIndex"), "logIndex"),
            signed_entry_timestamp=_b64(
                promise.get("signedEntryTimestamp"), "inclusionPromise.signedEntryTimestamp"
            ),
            inclusion_proof=proof,
        )
        kv = _obj(entry_obj.get("kindVersion"), "kindVersion")
        if (kv.get("kind"), kv.get("version")) != entry.kind_version():
            raise BundleError(
                f"kindVersion {kv.get('kind')}/{kv.get('version')} does not match the body's "
                f"{'/'.join(entry.kind_version())}"
            )
        return entry


def rekor_key_name(origin: str) -> str:
    """Return the key name Rekor v1 signs its checkpoints under: the origin's first word (host).

    Rekor v1's origin is ``"<host> - <tree id>"`` and its signature line names ``<host>``;
    Sigstore clients take the name from the origin the same way.
    """
    return origin.split(" ", 1)[0]


def verify_log_entry(
    entry: LogEntry,
    public_key: PublicKey,
    *,
    key_name: str | None = None,
    origin: str | None = None,
    require_proof: bool = True,
) -> Checkpoint | None:
    """Verify a Rekor v1 log entry offline against the log's public key.

    Checks, in order: the log ID is the key's; the SignedEntryTimestamp verifies; and, when the
    entry has an inclusion proof, the checkpoint is signed by the key (under ``key_name``, with
    ``origin`` when given), commits to the proof's tree size and root, the body's leaf hash is
    included at the tree-local index (RFC 9162 §2.1.3.2), and the global index is not below the
    local one. Each failure's message starts with the check that failed ("signed entry
    timestamp invalid", "checkpoint malformed", "checkpoint signature invalid", "inclusion proof
    invalid"), the reasons a bundle verifier reports.

    Args:
        entry: the entry.
        public_key: the log's key (ECDSA or Ed25519).
        key_name: the checkpoint signature's key name; ``None`` takes it from the checkpoint's
            origin as Rekor v1 does (:func:`rekor_key_name`).
        origin: the checkpoint origin to require (Rekor v1: ``"<host> - <tree id>"``).
        require_proof: refuse an entry that carries only the promise (SET).

    Returns:
        The verified checkpoint, or ``None`` for a promise-only entry.

    Raises:
        SignatureError: wrong log ID, bad SET, or bad checkpoint signature.
        ProofError: missing proof, malformed checkpoint, checkpoint not matching the proof,
            failed inclusion, or impossible indexes.
    """
    expected = log_id(public_key)
    if entry.log_id != expected:
        raise SignatureError(
            f"entry's log ID {entry.log_id.hex()} is not the log key's {expected.hex()}"
        )
    verify_entry_timestamp(public_key, entry.signed_entry_timestamp, entry.set_payload())
    proof = entry.inclusion_proof
    if proof is None:
        if require_proof:
            raise ProofError(
                f"inclusion proof invalid: log entry {entry.log_index} has no inclusion proof"
            )
        return None
    written = _written(proof)  # a malformed note is named so before any signature check
    name = rekor_key_name(written.origin) if key_name is None else key_name
    try:
        checkpoint = open_checkpoint(
            proof.checkpoint, [verifier_for(name, public_key)], origin=origin
        )
    except SignatureError as exc:
        raise SignatureError(f"checkpoint signature invalid: {exc}") from exc
    _check_inclusion(entry, proof, checkpoint)
    return checkpoint


def check_entry_inclusion(entry: LogEntry) -> Checkpoint:
    """Check an entry's inclusion proof against the tree its checkpoint states, unsigned.

    What can be checked of a log's answer without the log's key: the checkpoint is well
    formed, states the proof's tree size and root, and the body's leaf hash is included at the
    tree-local index (RFC 9162 §2.1.3.2). It says nothing about who made the checkpoint or the
    SET: :func:`verify_log_entry` checks those under the log's key.

    Returns:
        The checkpoint body, unverified.

    Raises:
        ProofError: no proof, a malformed checkpoint, a checkpoint of another tree than the
            proof's, or a failed inclusion.
    """
    proof = entry.inclusion_proof
    if proof is None:
        raise ProofError(
            f"inclusion proof invalid: log entry {entry.log_index} has no inclusion proof"
        )
    checkpoint = _written(proof)
    _check_inclusion(entry, proof, checkpoint)
    return checkpoint


def _written(proof: InclusionProof) -> Checkpoint:
    """The proof's checkpoint as written, unverified; "checkpoint malformed" if it is not one."""
    try:
        return Checkpoint.from_text(SignedNote.parse(proof.checkpoint).text)
    except ProofError as exc:
        raise ProofError(f"checkpoint malformed: {exc}") from exc


def _check_inclusion(entry: LogEntry, proof: InclusionProof, checkpoint: Checkpoint) -> None:
    """The checkpoint is the proof's tree, the indexes are possible, the leaf is included."""
    if (checkpoint.size, checkpoint.root_hash) != (proof.tree_size, proof.root_hash):
        raise ProofError(
            f"inclusion proof invalid: the checkpoint commits to tree ({checkpoint.size}, "
            f"{checkpoint.root_hash.hex()}), which is not the proof's tree ({proof.tree_size}, "
            f"{proof.root_hash.hex()})"
        )
    if entry.log_index < proof.log_index:
        raise ProofError(
            f"inclusion proof invalid: global log index {entry.log_index} is below the "
            f"tree-local index {proof.log_index}"
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
        raise ProofError(
            f"inclusion proof invalid: leaf {proof.log_index} of the tree of size "
            f"{proof.tree_size}: {exc}"
        ) from exc


# -- strict JSON field readers (the message names the field) --------------------------------------


def _obj(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BundleError(f"log entry field {field!r} must be an object")
    return value


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise BundleError(f"log entry field {field!r} must be a list")
    return value


def _str(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise BundleError(f"log entry field {field!r} must be a string")
    return value


def _int(value: Any, field: str) -> int:
    """An int, or a decimal string as protobuf JSON writes int64; never negative or a bool."""
    # 2**53 has 16 digits; a longer string is refused before int() reads it (over 4,300
    # digits Python raises ValueError).
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 16:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 53:
        raise BundleError(
            f"log entry field {field!r} must be a non-negative integer below 2**53 (the SET's "
            "RFC 8785 JSON holds no larger one exactly)"
        )
    return value


def _b64(value: Any, field: str, size: int | None = None) -> bytes:
    text = _str(value, field)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BundleError(f"log entry field {field!r} is not valid base64") from exc
    if size is not None and len(raw) != size:
        raise BundleError(f"log entry field {field!r} is {len(raw)} bytes, expected {size}")
    return raw


def _hex32(value: Any, field: str) -> bytes:
    text = _str(value, field)
    if not _HEX64.match(text):
        raise BundleError(f"log entry field {field!r} must be 64 lower-case hex digits")
    return bytes.fromhex(text)
