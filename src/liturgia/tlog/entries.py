"""Accepting proposed Rekor v1 entries: validate, verify the signature, canonicalize the body.

What ``POST /api/v1/log/entries`` does before anything is stored. Supported kinds:

* ``hashedrekord`` v0.0.1 (Rekor's ``pkg/types/hashedrekord/v0.0.1`` schema): a signature
  over an artifact's digest (``sha256``, ``sha384`` or ``sha512``), with the signer's public
  key or X.509 certificate as base64 PEM. The signature is verified over the digest
  (ECDSA P-256/P-384/P-521, RSA PKCS#1 v1.5, as Rekor's verifiers do) before the entry is
  accepted. Ed25519 is refused: it signs the artifact itself, never a digest.
* ``dsse`` v0.0.1 (Rekor's ``pkg/types/dsse/v0.0.1``): ``proposedContent`` carries the DSSE
  envelope as a JSON string and the candidate verifier keys (base64 PEM). Every signature in
  the envelope must verify over the DSSE PAE of its payload under one of the keys (ECDSA or
  RSA PKCS#1 v1.5 with SHA-256, or Ed25519), and every key tried must verify one; the stored
  body keeps only the envelope's SHA-256 (over the exact string sent), the payload's SHA-256,
  and the signatures sorted by value, each with its verifier's canonical PEM.

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
import functools
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

from liturgia._internal.transparency.rekor import DSSE, HASHEDREKORD
from liturgia.errors import InputError, SignatureError

__all__ = [
    "MAX_DSSE_SIGNATURES",
    "SUPPORTED_KINDS",
    "AcceptedEntry",
    "accept_entry",
    "canonical_json",
    "key_index",
]

#: (kind, apiVersion) pairs this log accepts.
SUPPORTED_KINDS = (DSSE, HASHEDREKORD)

_DIGESTS: dict[str, tuple[type[hashes.HashAlgorithm], int]] = {
    "sha256": (hashes.SHA256, 64),
    "sha384": (hashes.SHA384, 96),
    "sha512": (hashes.SHA512, 128),
}
_HEX = re.compile(r"[0-9a-f]+\Z")
_MIN_RSA_BITS = 2048
#: Largest RSA key accepted: verification time grows with the modulus.
_MAX_RSA_BITS = 8192
#: Most signatures, and most verifiers, one DSSE entry may carry. Each signature may have to be
#: tried under each key, so the cost of checking an entry grows with their product.
MAX_DSSE_SIGNATURES = 16


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptedEntry:
    """A verified entry, ready to be sequenced.

    Attributes:
        kind: the entry kind (``"hashedrekord"`` or ``"dsse"``).
        api_version: its version (``"0.0.1"``).
        body: the canonical body: the exact leaf bytes to store.
        artifact_hash: ``"<algorithm>:<hex>"`` of the artifact (for DSSE: of the payload), for
            search by hash.
        public_keys: DER SubjectPublicKeyInfo of each signing key.
        index_keys: the search keys Rekor files the entry under: the artifact (payload) hash,
            for DSSE the envelope hash too, and ``"sha256:<hex>"`` of each verifier's
            canonical PEM (:func:`key_index`), sorted.
    """

    kind: str
    api_version: str
    body: bytes
    artifact_hash: str
    public_keys: tuple[bytes, ...]
    index_keys: tuple[str, ...]


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


@dataclass(frozen=True, slots=True)
class _Key:
    """A parsed public key and its encodings (what an entry stores and is filed under)."""

    key: Any
    canonical_pem: bytes
    der: bytes


@functools.lru_cache(maxsize=1024)
def _parse_key(pem: bytes) -> _Key | None:
    """Parse a PEM public key or certificate; ``None`` when it is neither.

    Cached: a log sees the same few signers' keys again and again, and parsing and re-encoding
    a key costs about a quarter of checking an entry. Keys are immutable, so sharing is sound.
    """
    key: Any
    try:
        if pem.lstrip().startswith(b"-----BEGIN CERTIFICATE-----"):
            cert = x509.load_pem_x509_certificate(pem)
            key = cert.public_key()
            canonical = cert.public_bytes(serialization.Encoding.PEM)
        else:
            key = serialization.load_pem_public_key(pem)
            canonical = key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
    except (ValueError, UnsupportedAlgorithm):
        return None
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return _Key(key=key, canonical_pem=canonical, der=der)


def _load_key(pem: bytes, field: str) -> _Key:
    """Return the parsed public key or certificate in entry ``field``.

    Raises:
        InputError: the field holds neither a PEM public key nor a certificate.
    """
    parsed = _parse_key(pem)
    if parsed is None:
        raise InputError(f"entry field {field!r} is not a PEM public key or certificate")
    return parsed


def _pem_index(canonical_pem: bytes) -> str:
    return "sha256:" + hashlib.sha256(canonical_pem).hexdigest()


def key_index(pem: bytes) -> str:
    """Return the search key of a PEM public key or certificate: SHA-256 of its canonical PEM.

    What Rekor files an entry's verifier under, and what a search by public key looks up.

    Raises:
        InputError: not a PEM public key or certificate.
    """
    return _pem_index(_load_key(pem, "publicKey").canonical_pem)


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
            _check_rsa_size(key, "spec.signature.publicKey.content")
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
    field = "spec.signature.publicKey.content"
    parsed = _load_key(_b64(key_obj.get("content"), field), field)
    key, canonical_pem = parsed.key, parsed.canonical_pem
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
    return AcceptedEntry(
        kind="hashedrekord",
        api_version="0.0.1",
        body=body,
        artifact_hash=f"{algorithm}:{value}",
        public_keys=(parsed.der,),
        index_keys=tuple(sorted({f"{algorithm}:{value}", _pem_index(canonical_pem)})),
    )


def _check_rsa_size(key: rsa.RSAPublicKey, field: str) -> None:
    if key.key_size < _MIN_RSA_BITS:
        raise InputError(f"{field}: RSA keys of {key.key_size} bits are too small")
    if key.key_size > _MAX_RSA_BITS:
        raise InputError(f"{field}: RSA keys over {_MAX_RSA_BITS} bits are not accepted")


def _utf8(text: str, field: str) -> bytes:
    """Encode ``text`` as UTF-8; a lone surrogate (from a ``\\ud800`` escape) is an error."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(f"{field} is not valid Unicode text (a lone surrogate)") from exc


def _pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding (DSSE protocol §"Signature definition").

    Raises:
        InputError: ``payload_type`` is not valid Unicode text.
    """
    kind = _utf8(payload_type, "envelope field 'payloadType'")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def _verifies(key: Any, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is ``key``'s over ``message`` (SHA-256 for ECDSA and RSA)."""
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            raise InputError(f"{type(key).__name__.removeprefix('_')} keys are not supported")
    except InvalidSignature:
        return False
    return True


def _check_dsse_key(key: Any, field: str) -> None:
    if isinstance(key, ec.EllipticCurvePublicKey) and not isinstance(
        key.curve, ec.SECP256R1 | ec.SECP384R1 | ec.SECP521R1
    ):
        raise InputError(f"{field}: ECDSA curve {key.curve.name} is not supported")
    if isinstance(key, rsa.RSAPublicKey):
        _check_rsa_size(key, field)


def _dsse(spec_value: Any) -> AcceptedEntry:
    spec = _obj(spec_value, "spec", {"proposedContent"})
    content = _obj(spec.get("proposedContent"), "spec.proposedContent", {"envelope", "verifiers"})
    envelope_text = _text(content.get("envelope"), "spec.proposedContent.envelope")
    verifiers = content.get("verifiers")
    if not isinstance(verifiers, list) or not verifiers:
        raise InputError("entry field 'spec.proposedContent.verifiers' must be a non-empty list")
    if len(verifiers) > MAX_DSSE_SIGNATURES:
        raise InputError(
            f"entry field 'spec.proposedContent.verifiers' has {len(verifiers)} keys; "
            f"at most {MAX_DSSE_SIGNATURES}"
        )
    envelope_bytes = _utf8(envelope_text, "entry field 'spec.proposedContent.envelope'")
    try:
        envelope = json.loads(envelope_text)
    except json.JSONDecodeError as exc:
        raise InputError(f"spec.proposedContent.envelope is not JSON: {exc.msg}") from exc
    except RecursionError as exc:
        raise InputError("spec.proposedContent.envelope is not JSON: nested too deeply") from exc
    except ValueError as exc:  # an integer of more digits than Python converts
        raise InputError("spec.proposedContent.envelope is not JSON: a number is too long") from exc
    if not isinstance(envelope, Mapping):
        raise InputError("spec.proposedContent.envelope must be a JSON object")
    payload_type = envelope.get("payloadType")
    if not isinstance(payload_type, str):
        raise InputError("envelope field 'payloadType' must be a string")
    payload = _b64(envelope.get("payload"), "envelope.payload")
    raw_signatures = envelope.get("signatures")
    if not isinstance(raw_signatures, list) or not raw_signatures:
        raise InputError("envelope field 'signatures' must be a non-empty list")
    if len(raw_signatures) > MAX_DSSE_SIGNATURES:
        raise InputError(
            f"envelope field 'signatures' has {len(raw_signatures)} signatures; "
            f"at most {MAX_DSSE_SIGNATURES}"
        )
    pending: dict[str, bytes] = {}
    for position, item in enumerate(raw_signatures):
        if not isinstance(item, Mapping):
            raise InputError(f"envelope field 'signatures[{position}]' must be an object")
        text = _text(item.get("sig"), f"envelope.signatures[{position}].sig")
        pending[text] = _b64(text, f"envelope.signatures[{position}].sig")
    message = _pae(payload_type, payload)
    verifier_of: dict[str, bytes] = {}
    keys_der: list[bytes] = []
    for position, encoded in enumerate(verifiers):
        if not pending:
            break  # every signature has its key; later keys are not needed (as Rekor does)
        field = f"spec.proposedContent.verifiers[{position}]"
        parsed = _load_key(_b64(encoded, field), field)
        key, canonical_pem = parsed.key, parsed.canonical_pem
        _check_dsse_key(key, field)
        matched = [text for text, sig in pending.items() if _verifies(key, sig, message)]
        if not matched:
            raise SignatureError(f"{field} verifies no signature of the envelope")
        for text in matched:
            del pending[text]
            verifier_of[text] = canonical_pem
        keys_der.append(parsed.der)
    if pending:
        raise SignatureError(f"{len(pending)} envelope signature(s) verify under no given key")
    payload_hash = hashlib.sha256(payload).hexdigest()
    envelope_hash = hashlib.sha256(envelope_bytes).hexdigest()
    body = canonical_json(
        {
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "envelopeHash": {"algorithm": "sha256", "value": envelope_hash},
                "payloadHash": {"algorithm": "sha256", "value": payload_hash},
                "signatures": [
                    {
                        "signature": text,
                        "verifier": base64.b64encode(verifier_of[text]).decode("ascii"),
                    }
                    for text in sorted(verifier_of)
                ],
            },
        }
    )
    return AcceptedEntry(
        kind="dsse",
        api_version="0.0.1",
        body=body,
        artifact_hash=f"sha256:{payload_hash}",
        public_keys=tuple(keys_der),
        index_keys=tuple(
            sorted(
                {f"sha256:{payload_hash}", f"sha256:{envelope_hash}"}
                | {_pem_index(pem) for pem in verifier_of.values()}
            )
        ),
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
    if kind == "dsse":
        return _dsse(document.get("spec"))
    return _hashedrekord(document.get("spec"))
