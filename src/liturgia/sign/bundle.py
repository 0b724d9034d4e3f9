"""Sigstore bundles: write v0.3, read v0.1, v0.2 and v0.3.

Field names follow the protobuf JSON mapping (lowerCamelCase) of sigstore protobuf-specs
``sigstore_bundle.proto`` (``Bundle``, ``VerificationMaterial``), ``sigstore_common.proto``
(``MessageSignature``, ``HashOutput``, ``PublicKeyIdentifier``) and ``envelope.proto``
(``io.intoto.Envelope``). Bytes fields are standard base64; enums are written by name; empty
fields are omitted, as the mapping prescribes.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from liturgia.errors import BundleError
from liturgia.sign.dsse import Envelope
from liturgia.sign.keys import PublicKey

__all__ = [
    "BUNDLE_MEDIA_TYPE",
    "BUNDLE_SUFFIX",
    "READABLE_MEDIA_TYPES",
    "Bundle",
    "HashAlgorithm",
    "MessageSignature",
    "dsse_bundle",
    "message_signature_bundle",
    "parse_bundle",
]

#: Suffix of the bundle file written beside a signed file: ``<file>.sigstore.json`` (the name
#: cosign, sigstore-python and GitHub's attestations use).
BUNDLE_SUFFIX = ".sigstore.json"

#: The media type we write (protobuf-specs: "application/vnd.dev.sigstore.bundle.v0.3+json").
BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"

#: Media types we read: v0.1 and v0.2 (old form) and v0.3 in both forms the spec allows.
READABLE_MEDIA_TYPES = frozenset(
    {
        "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
        BUNDLE_MEDIA_TYPE,
    }
)


class HashAlgorithm(StrEnum):
    """protobuf-specs ``HashAlgorithm`` names we read, with their ``hashlib`` names."""

    SHA2_256 = "SHA2_256"
    SHA2_384 = "SHA2_384"
    SHA2_512 = "SHA2_512"

    @property
    def hashlib_name(self) -> str:
        """The name :func:`hashlib.new` takes."""
        match self:
            case HashAlgorithm.SHA2_256:
                return "sha256"
            case HashAlgorithm.SHA2_384:
                return "sha384"
            case HashAlgorithm.SHA2_512:
                return "sha512"


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageSignature:
    """A signature over an artifact (``MessageSignature``).

    Attributes:
        algorithm: the digest's algorithm.
        digest: the artifact's digest (raw bytes).
        signature: the signature bytes (ECDSA DER, or Ed25519 over the artifact).
    """

    algorithm: HashAlgorithm
    digest: bytes
    signature: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Bundle:
    """A parsed bundle: exactly one of ``message_signature`` and ``envelope`` is set.

    Attributes:
        media_type: as found in the document.
        key_hint: ``verificationMaterial.publicKey.hint``, or ``None`` (certificate bundles).
        message_signature: the artifact signature, for a message-signature bundle.
        envelope: the DSSE envelope, for an attestation bundle.
        tlog_entries: ``verificationMaterial.tlogEntries`` as raw JSON objects.
        raw: the whole document, for fields this module does not interpret.
    """

    media_type: str
    key_hint: str | None
    message_signature: MessageSignature | None
    envelope: Envelope | None
    tlog_entries: tuple[Mapping[str, Any], ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _verification_material(
    public_key: PublicKey, tlog_entries: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    material: dict[str, Any] = {"publicKey": {"hint": public_key.key_id}}
    if tlog_entries:
        material["tlogEntries"] = [dict(entry) for entry in tlog_entries]
    return material


def _dump(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def message_signature_bundle(
    signature: MessageSignature,
    public_key: PublicKey,
    *,
    tlog_entries: Sequence[Mapping[str, Any]] = (),
) -> bytes:
    """Serialize a v0.3 message-signature bundle.

    Args:
        signature: digest and signature of the artifact.
        public_key: the signer's key; its key id becomes ``publicKey.hint``.
        tlog_entries: ``TransparencyLogEntry`` JSON objects (from the log), if any.

    Returns:
        UTF-8 JSON, two-space indented, keys in protobuf field order, newline-terminated.
    """
    document = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": _verification_material(public_key, tlog_entries),
        "messageSignature": {
            "messageDigest": {
                "algorithm": signature.algorithm.value,
                "digest": _b64(signature.digest),
            },
            "signature": _b64(signature.signature),
        },
    }
    return _dump(document)


def dsse_bundle(
    envelope: Envelope,
    public_key: PublicKey,
    *,
    tlog_entries: Sequence[Mapping[str, Any]] = (),
) -> bytes:
    """Serialize a v0.3 bundle holding a DSSE envelope (``dsseEnvelope``)."""
    document = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": _verification_material(public_key, tlog_entries),
        "dsseEnvelope": envelope.to_dict(),
    }
    return _dump(document)


def _decode(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise BundleError(f"{what} is missing or not a string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BundleError(f"{what} is not valid base64") from exc


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise BundleError(f"{what} is missing or not a JSON object")
    return value


def _parse_message_signature(value: Any, name: str) -> MessageSignature:
    obj = _object(value, f"{name}: messageSignature")
    digest_obj = _object(obj.get("messageDigest"), f"{name}: messageSignature.messageDigest")
    raw_algorithm = digest_obj.get("algorithm")
    try:
        algorithm = HashAlgorithm(str(raw_algorithm))
    except ValueError as exc:
        raise BundleError(
            f"{name}: unsupported messageDigest.algorithm {raw_algorithm!r} "
            "(expected SHA2_256, SHA2_384 or SHA2_512)"
        ) from exc
    return MessageSignature(
        algorithm=algorithm,
        digest=_decode(digest_obj.get("digest"), f"{name}: messageSignature.messageDigest.digest"),
        signature=_decode(obj.get("signature"), f"{name}: messageSignature.signature"),
    )


def parse_bundle(data: bytes, *, name: str = "bundle") -> Bundle:
    """Parse a Sigstore bundle (v0.1, v0.2 or v0.3) without verifying anything.

    Args:
        data: the bundle's JSON bytes.
        name: how messages name the bundle (usually its file name).

    Raises:
        BundleError: malformed JSON, unknown media type, missing or ill-typed fields, neither
            or both of ``messageSignature`` and ``dsseEnvelope``.
    """
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{name}: malformed bundle: not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise BundleError(f"{name}: malformed bundle: not a JSON object")
    media_type = document.get("mediaType")
    if not isinstance(media_type, str) or media_type not in READABLE_MEDIA_TYPES:
        raise BundleError(
            f"{name}: unsupported bundle media type {media_type!r} "
            "(expected a Sigstore bundle v0.1, v0.2 or v0.3)"
        )
    material = _object(document.get("verificationMaterial"), f"{name}: verificationMaterial")
    key_hint: str | None = None
    if "publicKey" in material:
        hint = _object(material["publicKey"], f"{name}: verificationMaterial.publicKey").get(
            "hint", ""
        )
        if not isinstance(hint, str):
            raise BundleError(f"{name}: verificationMaterial.publicKey.hint is not a string")
        key_hint = hint
    elif not ({"x509CertificateChain", "certificate"} & material.keys()):
        raise BundleError(
            f"{name}: verificationMaterial has no publicKey, certificate or x509CertificateChain"
        )
    entries = material.get("tlogEntries", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise BundleError(f"{name}: verificationMaterial.tlogEntries is not a list of objects")
    has_message = "messageSignature" in document
    has_envelope = "dsseEnvelope" in document
    if has_message == has_envelope:
        raise BundleError(
            f"{name}: malformed bundle: needs exactly one of messageSignature and dsseEnvelope"
        )
    message = _parse_message_signature(document["messageSignature"], name) if has_message else None
    envelope = Envelope.from_dict(document["dsseEnvelope"], source=name) if has_envelope else None
    return Bundle(
        media_type=media_type,
        key_hint=key_hint,
        message_signature=message,
        envelope=envelope,
        tlog_entries=tuple(entries),
        raw=document,
    )
