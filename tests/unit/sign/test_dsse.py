"""DSSE: PAE known answers, sign/verify, tampering, an independent verifier (securesystemslib)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest
from securesystemslib.dsse import Envelope as SslibEnvelope
from securesystemslib.exceptions import VerificationError as SslibVerificationError
from securesystemslib.signer import SSlibKey

from liturgia.errors import BundleError, SignatureError
from liturgia.sign import (
    INTOTO_PAYLOAD_TYPE,
    DsseSignature,
    Envelope,
    KeyAlgorithm,
    dsse_bundle,
    pae,
    sign_dsse,
    verify_dsse,
    verify_dsse_bundle,
)
from liturgia.sign.backends.file import FileSigner

MakeSigner = Callable[..., FileSigner]


def test_pae_known_answers() -> None:
    # The DSSE spec's protocol.md test vector.
    assert (
        pae("http://example.com/HelloWorld", b"hello world")
        == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    assert pae("", b"") == b"DSSEv1 0  0 "
    # Lengths count UTF-8 bytes, not characters.
    assert pae("t\u00e9", b"\x00\xff") == b"DSSEv1 3 t\xc3\xa9 2 \x00\xff"


@pytest.mark.parametrize("algorithm", list(KeyAlgorithm))
def test_round_trip_and_json(make_signer: MakeSigner, algorithm: KeyAlgorithm) -> None:
    signer = make_signer(algorithm)
    envelope = sign_dsse(b'{"hello":"world"}', INTOTO_PAYLOAD_TYPE, signer)
    assert verify_dsse(envelope, signer.public_key) == b'{"hello":"world"}'
    document = json.loads(envelope.to_json())
    assert list(document) == ["payload", "payloadType", "signatures"]
    assert base64.b64decode(document["payload"]) == b'{"hello":"world"}'
    assert document["signatures"][0]["keyid"] == signer.key_id
    assert Envelope.from_json(envelope.to_json()) == envelope


@pytest.mark.parametrize("algorithm", [KeyAlgorithm.ECDSA_P256, KeyAlgorithm.ED25519])
def test_securesystemslib_verifies_our_envelopes(
    make_signer: MakeSigner, algorithm: KeyAlgorithm
) -> None:
    signer = make_signer(algorithm)
    scheme = "ecdsa-sha2-nistp256" if algorithm is KeyAlgorithm.ECDSA_P256 else "ed25519"
    key = SSlibKey.from_crypto(signer.public_key.key, keyid=signer.key_id, scheme=scheme)
    envelope = sign_dsse(b'{"_type":"x"}', INTOTO_PAYLOAD_TYPE, signer)
    theirs = SslibEnvelope.from_dict(json.loads(envelope.to_json()))
    accepted = theirs.verify([key], 1)
    assert list(accepted) == [signer.key_id]
    theirs.payload_type = "application/other"
    with pytest.raises(SslibVerificationError):
        theirs.verify([key], 1)


def test_we_verify_securesystemslib_pae() -> None:
    # securesystemslib computes PAE independently; its bytes equal ours.
    theirs = SslibEnvelope(
        payload=b"hello world", payload_type="http://example.com/HelloWorld", signatures={}
    )
    assert theirs.pae() == pae("http://example.com/HelloWorld", b"hello world")


def _tamper(envelope: Envelope, **changes: object) -> Envelope:
    fields = {
        "payload": envelope.payload,
        "payload_type": envelope.payload_type,
        "signatures": envelope.signatures,
    }
    fields.update(changes)
    return Envelope(**fields)  # type: ignore[arg-type]


def test_tampered_envelopes(make_signer: MakeSigner) -> None:
    signer, other = make_signer(), make_signer()
    envelope = sign_dsse(b'{"a":1}', INTOTO_PAYLOAD_TYPE, signer)
    sig = bytearray(envelope.signatures[0].sig)
    sig[10] ^= 1
    cases = {
        "payload changed": _tamper(envelope, payload=b'{"a":2}'),
        "payload type changed": _tamper(envelope, payload_type="application/json"),
        "flipped signature byte": _tamper(
            envelope, signatures=(DsseSignature(sig=bytes(sig), keyid=signer.key_id),)
        ),
    }
    for name, tampered in cases.items():
        with pytest.raises(SignatureError, match="DSSE signature invalid") as caught:
            verify_dsse(tampered, signer.public_key)
        assert name and "\n" not in str(caught.value)
    with pytest.raises(SignatureError, match=f"wrong key: signed by key {signer.key_id}"):
        verify_dsse(envelope, other.public_key)
    bundle = dsse_bundle(envelope, signer.public_key)
    with pytest.raises(SignatureError, match="wrong key"):
        verify_dsse_bundle(bundle, other.public_key)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([], "not a JSON object"),
        ({"payload": "e30=", "signatures": [{"sig": "AA=="}]}, "no payloadType"),
        ({"payloadType": "t", "signatures": [{"sig": "AA=="}]}, "payload is missing"),
        ({"payloadType": "t", "payload": "e30=", "signatures": []}, "no signatures"),
        ({"payloadType": "t", "payload": "e30=", "signatures": ["x"]}, "is not an object"),
        ({"payloadType": "t", "payload": "e30=", "signatures": [{"sig": "!"}]}, "not valid base64"),
        (
            {"payloadType": "t", "payload": "e30=", "signatures": [{"sig": "AA==", "keyid": 1}]},
            "keyid is not a string",
        ),
    ],
)
def test_malformed_envelopes(document: object, reason: str) -> None:
    with pytest.raises(BundleError, match=reason):
        Envelope.from_json(json.dumps(document).encode())


def test_envelope_not_json() -> None:
    with pytest.raises(BundleError, match="malformed JSON"):
        Envelope.from_json(b"{")


def test_empty_keyid_is_omitted(make_signer: MakeSigner) -> None:
    signer = make_signer()
    envelope = sign_dsse(b"{}", INTOTO_PAYLOAD_TYPE, signer)
    anonymous = _tamper(envelope, signatures=(DsseSignature(sig=envelope.signatures[0].sig),))
    assert "keyid" not in json.loads(anonymous.to_json())["signatures"][0]
    assert verify_dsse(anonymous, signer.public_key) == b"{}"
    other = make_signer()
    with pytest.raises(SignatureError, match="DSSE signature invalid"):
        verify_dsse(anonymous, other.public_key)
