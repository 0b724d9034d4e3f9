"""Rekor v1 log entries as the log writes them: signed entry timestamps.

The wire format (log and entry IDs, the SET payload, :class:`LogEntry` in its REST and bundle
shapes) and the offline check of an entry are defined once, for the log and for its clients, in
:mod:`liturgia._internal.transparency.rekor`; they are re-exported here (same objects). What is
the log's own is signing: :func:`sign_entry_timestamp`.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from liturgia._internal.transparency.rekor import (
    MAX_ANSWER_BYTES,
    InclusionProof,
    LogEntry,
    PublicKey,
    api_json_bytes,
    entry_id,
    log_id,
    rekor_key_name,
    set_payload,
    verify_entry_timestamp,
    verify_log_entry,
)

__all__ = [
    "MAX_ANSWER_BYTES",
    "InclusionProof",
    "LogEntry",
    "PrivateKey",
    "PublicKey",
    "api_json_bytes",
    "entry_id",
    "log_id",
    "rekor_key_name",
    "set_payload",
    "sign_entry_timestamp",
    "verify_entry_timestamp",
    "verify_log_entry",
]

#: A log key that signs entry timestamps and checkpoints.
PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def sign_entry_timestamp(private_key: PrivateKey, payload: bytes) -> bytes:
    """Sign a :func:`set_payload` with the log key (ECDSA P-256/SHA-256 DER, or Ed25519).

    Returns:
        The signature bytes (the SET), verified by :func:`verify_entry_timestamp`.
    """
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return private_key.sign(payload)
    return private_key.sign(payload, ec.ECDSA(hashes.SHA256()))
