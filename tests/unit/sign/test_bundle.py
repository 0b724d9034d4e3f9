"""Sigstore bundles: signing, verification, tampering, media types, protobuf-specs names."""

from __future__ import annotations

import base64
import hashlib
import json
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from liturgia.errors import BundleError, DigestError, InputError, SignatureError
from liturgia.sign import (
    BUNDLE_MEDIA_TYPE,
    INTOTO_PAYLOAD_TYPE,
    KeyAlgorithm,
    dsse_bundle,
    parse_bundle,
    sign_bytes,
    sign_dsse,
    sign_file,
    verify_bytes_bundle,
    verify_dsse_bundle,
    verify_file_bundle,
)
from liturgia.sign.backends.file import FileSigner

with warnings.catch_warnings():
    # sigstore-protobuf-specs 0.5.2 uses a pydantic validator form that pydantic 2.12 deprecates.
    warnings.simplefilter("ignore", DeprecationWarning)
    from sigstore_protobuf_specs.dev.sigstore.bundle.v1 import Bundle as PbBundle
    from sigstore_protobuf_specs.dev.sigstore.common.v1 import HashAlgorithm as PbHashAlgorithm

MakeSigner = Callable[..., FileSigner]


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    path = tmp_path / "app-1.0.0.tar.gz"
    path.write_bytes(b"release bytes\n" * 1000)
    return path


@pytest.mark.parametrize("algorithm", list(KeyAlgorithm))
def test_sign_and_verify_round_trip(
    artifact: Path, make_signer: MakeSigner, algorithm: KeyAlgorithm
) -> None:
    signer = make_signer(algorithm)
    bundle = sign_file(artifact, signer)
    verify_file_bundle(artifact, bundle, signer.public_key)
    verify_bytes_bundle(artifact.read_bytes(), bundle, signer.public_key)
    document = json.loads(bundle)
    expected_hash = "sha384" if algorithm is KeyAlgorithm.ECDSA_P384 else "sha256"
    digest = hashlib.new(expected_hash, artifact.read_bytes()).digest()
    assert base64.b64decode(document["messageSignature"]["messageDigest"]["digest"]) == digest
    assert document["messageSignature"]["messageDigest"]["algorithm"] == (
        "SHA2_384" if algorithm is KeyAlgorithm.ECDSA_P384 else "SHA2_256"
    )


def test_bundle_layout_is_v03_and_stable(artifact: Path, make_signer: MakeSigner) -> None:
    signer = make_signer()
    first = json.loads(sign_file(artifact, signer))
    second = json.loads(sign_file(artifact, signer))
    assert (
        first["mediaType"] == BUNDLE_MEDIA_TYPE == "application/vnd.dev.sigstore.bundle.v0.3+json"
    )
    assert list(first) == ["mediaType", "verificationMaterial", "messageSignature"]
    assert first["verificationMaterial"] == {"publicKey": {"hint": signer.key_id}}
    assert list(first["messageSignature"]) == ["messageDigest", "signature"]
    # ECDSA is randomized: only the signature differs between two runs.
    first["messageSignature"].pop("signature")
    second["messageSignature"].pop("signature")
    assert first == second


def test_field_names_match_protobuf_specs(artifact: Path, make_signer: MakeSigner) -> None:
    """Known answer: sigstore-protobuf-specs' own JSON mapping reads every field we write."""
    signer = make_signer()
    raw = sign_file(artifact, signer)
    document = json.loads(raw)
    pb = PbBundle.from_dict(json.loads(raw))
    assert pb.media_type == BUNDLE_MEDIA_TYPE
    assert pb.verification_material.public_key.hint == signer.key_id
    assert pb.message_signature.message_digest.algorithm == PbHashAlgorithm.SHA2_256
    assert (
        pb.message_signature.message_digest.digest == hashlib.sha256(artifact.read_bytes()).digest()
    )
    assert pb.message_signature.signature == base64.b64decode(
        document["messageSignature"]["signature"]
    )
    # And protobuf-specs writes the same document back (same names, same values).
    assert json.loads(pb.to_json()) == document


def test_dsse_bundle_field_names_match_protobuf_specs(make_signer: MakeSigner) -> None:
    signer = make_signer()
    envelope = sign_dsse(b'{"a":1}', INTOTO_PAYLOAD_TYPE, signer)
    raw = dsse_bundle(envelope, signer.public_key)
    pb = PbBundle.from_dict(json.loads(raw))
    assert pb.dsse_envelope.payload == b'{"a":1}'
    assert pb.dsse_envelope.payload_type == INTOTO_PAYLOAD_TYPE
    assert pb.dsse_envelope.signatures[0].sig == envelope.signatures[0].sig
    assert pb.dsse_envelope.signatures[0].keyid == signer.key_id
    assert json.loads(pb.to_json()) == json.loads(raw)
    assert verify_dsse_bundle(raw, signer.public_key).payload == b'{"a":1}'


def _flip_signature(document: dict[str, Any]) -> None:
    sig = bytearray(base64.b64decode(document["messageSignature"]["signature"]))
    sig[len(sig) // 2] ^= 0x01
    document["messageSignature"]["signature"] = base64.b64encode(bytes(sig)).decode()


def _set_digest_of(data: bytes) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
        document["messageSignature"]["messageDigest"]["digest"] = digest

    return mutate


TAMPERS: list[tuple[str, Callable[[dict[str, Any]], None], type[Exception], str]] = [
    ("flipped signature byte", _flip_signature, SignatureError, "signature invalid under key"),
    (
        "digest of another artifact",
        _set_digest_of(b"other artifact"),
        DigestError,
        "digest mismatch",
    ),
    (
        "wrong media type",
        lambda d: d.update(mediaType="application/vnd.dev.sigstore.bundle.v0.9+json"),
        BundleError,
        "unsupported bundle media type",
    ),
    ("no media type", lambda d: d.pop("mediaType"), BundleError, "unsupported bundle media type"),
    (
        "digest algorithm unknown",
        lambda d: d["messageSignature"]["messageDigest"].update(algorithm="MD5"),
        BundleError,
        "unsupported messageDigest.algorithm 'MD5'",
    ),
    (
        "digest algorithm of another hash",
        lambda d: d["messageSignature"]["messageDigest"].update(algorithm="SHA2_512"),
        DigestError,
        "sha512",
    ),
    (
        "signature not base64",
        lambda d: d["messageSignature"].update(signature="@@@"),
        BundleError,
        "messageSignature.signature is not valid base64",
    ),
    (
        "signature missing",
        lambda d: d["messageSignature"].pop("signature"),
        BundleError,
        "messageSignature.signature is missing",
    ),
    (
        "no verification material",
        lambda d: d.pop("verificationMaterial"),
        BundleError,
        "verificationMaterial is missing",
    ),
    (
        "empty verification material",
        lambda d: d.update(verificationMaterial={}),
        BundleError,
        "has no publicKey, certificate",
    ),
    (
        "hint not a string",
        lambda d: d["verificationMaterial"].update(publicKey={"hint": 3}),
        BundleError,
        "hint is not a string",
    ),
    (
        "tlog entries not a list",
        lambda d: d["verificationMaterial"].update(tlogEntries={}),
        BundleError,
        "tlogEntries is not a list",
    ),
    (
        "no content",
        lambda d: d.pop("messageSignature"),
        BundleError,
        "exactly one of messageSignature and dsseEnvelope",
    ),
    (
        "messageDigest missing",
        lambda d: d["messageSignature"].pop("messageDigest"),
        BundleError,
        "messageSignature.messageDigest is missing",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "error", "reason"),
    [t[1:] for t in TAMPERS],
    ids=[t[0] for t in TAMPERS],
)
def test_tampered_bundles(
    artifact: Path,
    make_signer: MakeSigner,
    mutate: Callable[[dict[str, Any]], None],
    error: type[Exception],
    reason: str,
) -> None:
    signer = make_signer()
    document = json.loads(sign_file(artifact, signer))
    mutate(document)
    tampered = json.dumps(document).encode()
    with pytest.raises(error, match=reason) as caught:
        verify_file_bundle(artifact, tampered, signer.public_key, bundle_name="b.sigstore.json")
    assert type(caught.value) is error
    assert "\n" not in str(caught.value)
    with pytest.raises(error):
        verify_bytes_bundle(artifact.read_bytes(), tampered, signer.public_key)


def test_other_artifact(artifact: Path, tmp_path: Path, make_signer: MakeSigner) -> None:
    signer = make_signer()
    bundle = sign_file(artifact, signer)
    other = tmp_path / "other.tar.gz"
    other.write_bytes(artifact.read_bytes() + b"x")
    with pytest.raises(DigestError, match=r"other\.tar\.gz: digest mismatch: b records sha256:"):
        verify_file_bundle(other, bundle, signer.public_key, bundle_name="b")


def test_other_key(artifact: Path, make_signer: MakeSigner) -> None:
    signer, other = make_signer(), make_signer()
    bundle = sign_file(artifact, signer)
    with pytest.raises(SignatureError, match=f"wrong key: the bundle names key {signer.key_id}"):
        verify_file_bundle(artifact, bundle, other.public_key)
    # Without a hint, the reason is the signature itself.
    document = json.loads(bundle)
    document["verificationMaterial"]["publicKey"] = {}
    with pytest.raises(SignatureError, match="signature invalid under key"):
        verify_file_bundle(artifact, json.dumps(document).encode(), other.public_key)


def test_other_key_type(artifact: Path, make_signer: MakeSigner) -> None:
    bundle = sign_file(artifact, make_signer(KeyAlgorithm.ECDSA_P256))
    p384 = make_signer(KeyAlgorithm.ECDSA_P384)
    with pytest.raises(SignatureError, match="ecdsa-p384 key signs SHA2_384 digests"):
        verify_file_bundle(artifact, bundle, p384.public_key)
    ed = make_signer(KeyAlgorithm.ED25519)
    with pytest.raises(SignatureError, match="wrong key"):
        verify_file_bundle(artifact, bundle, ed.public_key)


@pytest.mark.parametrize("cut", [0, 1, 10, 100, -2])
def test_truncated_json(artifact: Path, make_signer: MakeSigner, cut: int) -> None:
    signer = make_signer()
    bundle = sign_file(artifact, signer)
    with pytest.raises(BundleError, match="malformed bundle: not JSON"):
        verify_file_bundle(artifact, bundle[:cut], signer.public_key)


@pytest.mark.parametrize("payload", [b"[]", b'"x"', b"\xff\xfe"])
def test_not_an_object(payload: bytes) -> None:
    with pytest.raises(BundleError, match="malformed bundle"):
        parse_bundle(payload)


@pytest.mark.parametrize(
    "media_type",
    [
        "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
    ],
)
def test_reads_every_bundle_version(
    artifact: Path, make_signer: MakeSigner, media_type: str
) -> None:
    signer = make_signer()
    document = json.loads(sign_file(artifact, signer))
    document["mediaType"] = media_type
    verify_file_bundle(artifact, json.dumps(document).encode(), signer.public_key)


def test_certificate_bundles_parse(make_signer: MakeSigner) -> None:
    signer = make_signer()
    document = json.loads(sign_bytes(b"x", signer))
    document["verificationMaterial"] = {"certificate": {"rawBytes": "AAAA"}, "tlogEntries": [{}]}
    parsed = parse_bundle(json.dumps(document).encode())
    assert parsed.key_hint is None
    assert parsed.tlog_entries == ({},)


def test_kind_mismatch(artifact: Path, make_signer: MakeSigner) -> None:
    signer = make_signer()
    message = sign_file(artifact, signer)
    envelope = dsse_bundle(sign_dsse(b"{}", INTOTO_PAYLOAD_TYPE, signer), signer.public_key)
    with pytest.raises(BundleError, match="holds a DSSE envelope"):
        verify_file_bundle(artifact, envelope, signer.public_key)
    with pytest.raises(BundleError, match="holds a DSSE envelope"):
        verify_bytes_bundle(b"x", envelope, signer.public_key)
    with pytest.raises(BundleError, match="holds an artifact signature"):
        verify_dsse_bundle(message, signer.public_key)
    both = json.loads(message) | {"dsseEnvelope": json.loads(envelope)["dsseEnvelope"]}
    with pytest.raises(BundleError, match="exactly one of"):
        parse_bundle(json.dumps(both).encode())


def test_tlog_entries_are_embedded(artifact: Path, make_signer: MakeSigner) -> None:
    signer = make_signer()
    body = {"kind": "hashedrekord", "apiVersion": "0.0.1"}
    entry = {
        "logIndex": "7",
        "canonicalizedBody": base64.b64encode(json.dumps(body).encode()).decode(),
    }
    bundle = sign_file(artifact, signer, tlog_entries=[entry])
    parsed = parse_bundle(bundle)
    assert parsed.tlog_entries == (entry,)
    # The entry's body has no spec: a bundle whose log entry is not about it is refused.
    with pytest.raises(BundleError, match="has no spec"):
        verify_file_bundle(artifact, bundle, signer.public_key)


def test_missing_artifact(tmp_path: Path, make_signer: MakeSigner) -> None:
    signer = make_signer()
    with pytest.raises(InputError, match="file not found"):
        sign_file(tmp_path / "absent", signer)
    with pytest.raises(InputError, match="is a folder"):
        sign_file(tmp_path, signer)
    bundle = sign_bytes(b"x", signer)
    with pytest.raises(InputError, match="file not found"):
        verify_file_bundle(tmp_path / "absent", bundle, signer.public_key)


def test_ed25519_verify_on_missing_artifact(tmp_path: Path, make_signer: MakeSigner) -> None:
    signer = make_signer(KeyAlgorithm.ED25519)
    bundle = sign_bytes(b"x", signer)
    with pytest.raises(InputError, match="artifact not found"):
        verify_file_bundle(tmp_path / "absent", bundle, signer.public_key)


def test_signing_uses_constant_memory(tmp_path: Path, make_signer: MakeSigner) -> None:
    """A 64 MiB file is signed with a few MiB of Python allocations (one 1 MiB chunk)."""
    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)
    signer = make_signer()
    tracemalloc.start()
    try:
        bundle = sign_file(big, signer)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, peak
    verify_file_bundle(big, bundle, signer.public_key)


def test_deterministic_bytes_for_deterministic_signatures(
    artifact: Path, make_signer: MakeSigner
) -> None:
    # Ed25519 signatures are deterministic (RFC 8032), so the whole bundle is byte-identical.
    signer = make_signer(KeyAlgorithm.ED25519)
    assert sign_file(artifact, signer) == sign_file(artifact, signer)
    envelope = sign_dsse(b"{}", INTOTO_PAYLOAD_TYPE, signer)
    again = sign_dsse(b"{}", INTOTO_PAYLOAD_TYPE, signer)
    assert dsse_bundle(envelope, signer.public_key) == dsse_bundle(again, signer.public_key)
