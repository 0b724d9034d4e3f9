"""DSSE envelopes (Dead Simple Signing Envelope v1.0.2): PAE, signing and verification.

Spec: github.com/secure-systems-lab/dsse ``protocol.md`` and ``envelope.md``. The signature is
over ``PAE(payloadType, payload)`` and never over the JSON, so the envelope can be re-serialized
freely; the payload bytes themselves are kept exactly as signed.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from liturgia.errors import BundleError, SignatureError
from liturgia.sign.keys import PublicKey
from liturgia.sign.signer import Signer

__all__ = ["INTOTO_PAYLOAD_TYPE", "DsseSignature", "Envelope", "pae", "sign_dsse", "verify_dsse"]

#: in-toto's payload type for Statements (in-toto attestation framework, envelope.md).
INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    """Return the Pre-Authentication Encoding (DSSE protocol.md "Signature definition").

    ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body``, where ``LEN`` is the byte length
    as ASCII decimal without leading zeros and ``type`` is UTF-8.
    """
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(type_bytes), type_bytes, len(payload), payload)


@dataclass(frozen=True, slots=True, kw_only=True)
class DsseSignature:
    """One envelope signature.

    Attributes:
        sig: the raw signature bytes (ECDSA DER or Ed25519).
        keyid: an unauthenticated hint of the key (our key id), or ``""``.
    """

    sig: bytes
    keyid: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope:
    """A DSSE envelope (envelope.md).

    Attributes:
        payload: the exact signed payload bytes.
        payload_type: the payload's media type, e.g. ``application/vnd.in-toto+json``.
        signatures: one or more signatures over ``pae(payload_type, payload)``.
    """

    payload: bytes
    payload_type: str
    signatures: tuple[DsseSignature, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object: ``payload`` (base64), ``payloadType``, ``signatures[{keyid,sig}]``.

        Field names are those of envelope.md and of protobuf-specs ``io.intoto.Envelope``;
        an empty ``keyid`` is omitted, as the protobuf JSON mapping does.
        """
        signatures = []
        for signature in self.signatures:
            entry = {"sig": base64.b64encode(signature.sig).decode("ascii")}
            if signature.keyid:
                entry["keyid"] = signature.keyid
            signatures.append(entry)
        return {
            "payload": base64.b64encode(self.payload).decode("ascii"),
            "payloadType": self.payload_type,
            "signatures": signatures,
        }

    def to_json(self) -> bytes:
        """Serialize as a compact JSON document (stable key order)."""
        return json.dumps(self.to_dict(), separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_dict(cls, document: Any, *, source: str = "envelope") -> Envelope:
        """Parse the JSON object form.

        Raises:
            BundleError: a field is missing, of the wrong type, or not base64.
        """
        if not isinstance(document, dict):
            raise BundleError(f"{source}: the DSSE envelope is not a JSON object")
        payload_type = document.get("payloadType")
        if not isinstance(payload_type, str) or not payload_type:
            raise BundleError(f"{source}: DSSE envelope has no payloadType")
        payload = _b64(document.get("payload"), f"{source}: DSSE payload")
        raw_signatures = document.get("signatures")
        if not isinstance(raw_signatures, list) or not raw_signatures:
            raise BundleError(f"{source}: DSSE envelope has no signatures")
        signatures = []
        for index, raw in enumerate(raw_signatures):
            if not isinstance(raw, dict):
                raise BundleError(f"{source}: DSSE signatures[{index}] is not an object")
            keyid = raw.get("keyid", "")
            if not isinstance(keyid, str):
                raise BundleError(f"{source}: DSSE signatures[{index}].keyid is not a string")
            sig = _b64(raw.get("sig"), f"{source}: DSSE signatures[{index}].sig")
            signatures.append(DsseSignature(sig=sig, keyid=keyid))
        return cls(payload=payload, payload_type=payload_type, signatures=tuple(signatures))

    @classmethod
    def from_json(cls, data: bytes, *, source: str = "envelope") -> Envelope:
        """Parse a JSON envelope. Raises BundleError when malformed."""
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BundleError(f"{source}: malformed JSON: {exc}") from exc
        return cls.from_dict(document, source=source)


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise BundleError(f"{what} is missing or not a string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BundleError(f"{what} is not valid base64") from exc


def sign_dsse(payload: bytes, payload_type: str, signer: Signer) -> Envelope:
    """Sign ``payload`` as a DSSE envelope with one signature (keyid = the signer's key id)."""
    signature = signer.sign(pae(payload_type, payload))
    return Envelope(
        payload=payload,
        payload_type=payload_type,
        signatures=(DsseSignature(sig=signature, keyid=signer.key_id),),
    )


def verify_dsse(envelope: Envelope, public_key: PublicKey, *, source: str = "envelope") -> bytes:
    """Verify that one of the envelope's signatures is ``public_key``'s over the PAE.

    Returns:
        The verified payload bytes (exactly as signed).

    Raises:
        SignatureError: no signature verifies under ``public_key``.
    """
    message = pae(envelope.payload_type, envelope.payload)
    for signature in envelope.signatures:
        try:
            public_key.verify(signature.sig, message)
        except SignatureError:
            continue
        return envelope.payload
    hints = sorted({s.keyid for s in envelope.signatures if s.keyid})
    if hints and public_key.key_id not in hints:
        raise SignatureError(
            f"{source}: wrong key: signed by key {', '.join(hints)}, "
            f"verified with key {public_key.key_id}"
        )
    raise SignatureError(f"{source}: DSSE signature invalid under key {public_key.key_id}")
