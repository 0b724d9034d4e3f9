"""Accepting hashedrekord entries: a real Rekor body as known answer, our keys, bad input."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa, utils

from liturgia.errors import InputError, SignatureError
from liturgia.tlog import entries, merkle

DATA = json.loads((Path(__file__).parent / "data" / "rekor-v1-entry.json").read_text())
REAL_BODY = base64.b64decode(DATA["tlogEntry"]["canonicalizedBody"])
REAL = json.loads(REAL_BODY)


def pem(key: Any) -> str:
    raw = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(raw).decode()


def proposed(key: Any, artifact: bytes, *, algorithm: str = "sha256") -> dict[str, Any]:
    digest = hashlib.new(algorithm, artifact).digest()
    chosen = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}[
        algorithm
    ]
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(digest, padding.PKCS1v15(), utils.Prehashed(chosen))
    else:
        signature = key.sign(digest, ec.ECDSA(utils.Prehashed(chosen)))
    return {
        "kind": "hashedrekord",
        "apiVersion": "0.0.1",
        "spec": {
            "signature": {
                "content": base64.b64encode(signature).decode(),
                "publicKey": {"content": pem(key)},
            },
            "data": {"hash": {"value": digest.hex(), "algorithm": algorithm}},
        },
    }


def test_real_rekor_body_is_reproduced_byte_for_byte() -> None:
    """The proposal a client sent for a real rekor.sigstore.dev entry gives Rekor's exact leaf."""
    accepted = entries.accept_entry(copy.deepcopy(REAL))
    assert accepted.body == REAL_BODY
    assert merkle.leaf_hash(accepted.body) == merkle.leaf_hash(REAL_BODY)
    assert (
        accepted.artifact_hash
        == "sha256:efb4f91125650bcfb158e10e0f1b03afaf747cc5676e926dcb4f5fb170a03fa6"
    )
    assert (accepted.kind, accepted.api_version) == ("hashedrekord", "0.0.1")
    cert_pem = base64.b64decode(REAL["spec"]["signature"]["publicKey"]["content"])
    assert accepted.index_keys == tuple(
        sorted({accepted.artifact_hash, "sha256:" + hashlib.sha256(cert_pem).hexdigest()})
    )
    assert entries.key_index(cert_pem) in accepted.index_keys
    # A certificate PEM with other line endings and padding is canonicalised the same way.
    cert_pem = base64.b64decode(REAL["spec"]["signature"]["publicKey"]["content"])
    loose = copy.deepcopy(REAL)
    loose["spec"]["signature"]["publicKey"]["content"] = base64.b64encode(
        b"\n" + cert_pem.replace(b"\n", b"\r\n")
    ).decode()
    assert entries.accept_entry(loose).body == REAL_BODY


@pytest.mark.parametrize(
    ("kind", "algorithm"),
    [("p256", "sha256"), ("p384", "sha384"), ("p521", "sha512"), ("rsa", "sha256")],
)
def test_our_keys_are_accepted_and_canonical(kind: str, algorithm: str) -> None:
    key = {
        "p256": lambda: ec.generate_private_key(ec.SECP256R1()),
        "p384": lambda: ec.generate_private_key(ec.SECP384R1()),
        "p521": lambda: ec.generate_private_key(ec.SECP521R1()),
        "rsa": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }[kind]()
    request = proposed(key, b"artifact", algorithm=algorithm)
    accepted = entries.accept_entry(request)
    body = json.loads(accepted.body)
    assert list(body) == ["apiVersion", "kind", "spec"]  # sorted keys
    assert body["spec"]["data"]["hash"]["algorithm"] == algorithm
    assert b" " not in accepted.body
    assert accepted.public_keys == (
        key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )
    # Same entry, other key order: the same leaf (a resubmission is a duplicate).
    reordered = json.loads(json.dumps(request, sort_keys=True))
    assert entries.accept_entry(reordered).body == accepted.body


def test_signature_over_other_content_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    request = proposed(key, b"artifact")
    request["spec"]["data"]["hash"]["value"] = hashlib.sha256(b"other").hexdigest()
    with pytest.raises(SignatureError, match="does not verify over the digest"):
        entries.accept_entry(request)
    real = copy.deepcopy(REAL)
    real["spec"]["data"]["hash"]["value"] = "0" * 64
    with pytest.raises(SignatureError):
        entries.accept_entry(real)


def _set(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    node = doc
    *parents, last = path.split(".")
    for part in parents:
        node = node[part]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return doc


DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("kind", "rekord", "entry kind rekord 0.0.1 is not supported"),
        ("kind", "dsse", "entry field spec.data is not allowed"),
        ("apiVersion", "0.0.2", "hashedrekord 0.0.2 is not supported"),
        ("kind", DELETE, "'kind' must be a non-empty string"),
        ("extra", 1, "entry.extra is not allowed"),
        ("spec", [], "'spec' must be an object"),
        ("spec.signature.extra", "x", "spec.signature.extra is not allowed"),
        ("spec.data.hash.algorithm", "md5", "'md5' is not one of sha256"),
        ("spec.data.hash.value", "ABC", "must be 64 lower-case hex digits"),
        ("spec.data.hash.value", "E" * 64, "must be 64 lower-case hex digits"),
        ("spec.signature.content", "%%%", "'spec.signature.content' is not valid base64"),
        ("spec.signature.content", "", "must be a non-empty string"),
        (
            "spec.signature.publicKey.content",
            base64.b64encode(b"not a key").decode(),
            "is not a PEM public key or certificate",
        ),
        ("spec.signature.publicKey", "key", "'spec.signature.publicKey' must be an object"),
    ],
)
def test_malformed_entries(path: str, value: Any, message: str) -> None:
    doc = proposed(ec.generate_private_key(ec.SECP256R1()), b"a")
    with pytest.raises(InputError, match=message):
        entries.accept_entry(_set(doc, path, value))


def test_unsupported_keys() -> None:
    ed = ed25519.Ed25519PrivateKey.generate()
    doc = proposed(ec.generate_private_key(ec.SECP256R1()), b"a")
    doc["spec"]["signature"]["publicKey"]["content"] = pem(ed)
    with pytest.raises(InputError, match="Ed25519PublicKey keys are not supported by hashedrekord"):
        entries.accept_entry(doc)
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the point
    with pytest.raises(InputError, match="RSA keys of 1024 bits are too small"):
        entries.accept_entry(proposed(small, b"a"))
    k1 = ec.generate_private_key(ec.SECP256K1())
    doc = proposed(ec.generate_private_key(ec.SECP256R1()), b"a")
    doc["spec"]["signature"]["publicKey"]["content"] = pem(k1)
    with pytest.raises(InputError, match="curve secp256k1 is not supported"):
        entries.accept_entry(doc)
    with pytest.raises(InputError, match="'entry' must be an object"):
        entries.accept_entry("text")


def test_canonical_json_refuses_what_it_cannot_canonicalise() -> None:
    assert (
        entries.canonical_json({"b": ["x"], "a": {"d": "1", "c": "2"}})
        == b'{"a":{"c":"2","d":"1"},"b":["x"]}'
    )
    for bad in ({"a": 1}, {"a": None}, {"a": "é"}, {"a": True}):
        with pytest.raises(ValueError, match="ASCII strings only"):
            entries.canonical_json(bad)


# --- dsse v0.0.1 ---------------------------------------------------------------------------------

PAYLOAD = json.dumps({"_type": "https://in-toto.io/Statement/v1", "subject": []}).encode()
PAYLOAD_TYPE = "application/vnd.in-toto+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    return b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type.encode(), len(payload), payload)


def dsse_sign(key: Any, message: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(message, ec.ECDSA(hashes.SHA256()))


def dsse_request(
    signers: list[Any], verifiers: list[Any], *, indent: int | None = None
) -> tuple[dict[str, Any], str]:
    message = pae(PAYLOAD_TYPE, PAYLOAD)
    envelope = json.dumps(
        {
            "payload": base64.b64encode(PAYLOAD).decode(),
            "payloadType": PAYLOAD_TYPE,
            "signatures": [
                {"keyid": "", "sig": base64.b64encode(dsse_sign(k, message)).decode()}
                for k in signers
            ],
        },
        indent=indent,
    )
    request = {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "proposedContent": {"envelope": envelope, "verifiers": [pem(k) for k in verifiers]}
        },
    }
    return request, envelope


def test_dsse_entry_with_two_signers() -> None:
    ecdsa_key = ec.generate_private_key(ec.SECP256R1())
    ed_key = ed25519.Ed25519PrivateKey.generate()
    request, envelope = dsse_request([ecdsa_key, ed_key], [ed_key, ecdsa_key])
    accepted = entries.accept_entry(request)
    body = json.loads(accepted.body)
    assert (accepted.kind, body["kind"], body["apiVersion"]) == ("dsse", "dsse", "0.0.1")
    spec = body["spec"]
    assert list(spec) == ["envelopeHash", "payloadHash", "signatures"]
    assert spec["envelopeHash"] == {
        "algorithm": "sha256",
        "value": hashlib.sha256(envelope.encode()).hexdigest(),
    }
    assert spec["payloadHash"] == {
        "algorithm": "sha256",
        "value": hashlib.sha256(PAYLOAD).hexdigest(),
    }
    assert accepted.artifact_hash == "sha256:" + hashlib.sha256(PAYLOAD).hexdigest()
    sigs = [s["signature"] for s in spec["signatures"]]
    assert sigs == sorted(sigs) and len(sigs) == 2
    envelope_sigs = {s["sig"] for s in json.loads(envelope)["signatures"]}
    assert set(sigs) == envelope_sigs
    by_sig = {s["signature"]: base64.b64decode(s["verifier"]) for s in spec["signatures"]}
    ed_sig = json.loads(envelope)["signatures"][1]["sig"]
    assert by_sig[ed_sig] == base64.b64decode(pem(ed_key))
    assert len(accepted.public_keys) == 2
    assert accepted.artifact_hash in accepted.index_keys
    assert "sha256:" + hashlib.sha256(envelope.encode()).hexdigest() in accepted.index_keys
    for key in (ecdsa_key, ed_key):
        assert entries.key_index(base64.b64decode(pem(key))) in accepted.index_keys
    assert len(accepted.index_keys) == 4
    # The envelope hash is over the exact string sent: another layout is another entry.
    other, _ = dsse_request([ecdsa_key, ed_key], [ed_key, ecdsa_key], indent=2)
    assert (
        json.loads(entries.accept_entry(other).body)["spec"]["payloadHash"] == spec["payloadHash"]
    )


def test_dsse_extra_keys_after_all_signatures_are_not_examined() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    request, _ = dsse_request([key], [key])
    request["spec"]["proposedContent"]["verifiers"].append(base64.b64encode(b"junk").decode())
    assert entries.accept_entry(request).public_keys[0].startswith(b"0\x82")


def test_dsse_signature_failures() -> None:
    signer_key = ec.generate_private_key(ec.SECP256R1())
    stranger = ec.generate_private_key(ec.SECP256R1())
    request, _ = dsse_request([signer_key], [stranger, signer_key])
    with pytest.raises(SignatureError, match=r"verifiers\[0\] verifies no signature"):
        entries.accept_entry(request)
    request, _ = dsse_request([signer_key, stranger], [signer_key])
    with pytest.raises(
        SignatureError, match=r"1 envelope signature\(s\) verify under no given key"
    ):
        entries.accept_entry(request)
    # A payload changed after signing: no key verifies it.
    request, envelope = dsse_request([signer_key], [signer_key])
    doc = json.loads(envelope)
    doc["payload"] = base64.b64encode(PAYLOAD + b" ").decode()
    request["spec"]["proposedContent"]["envelope"] = json.dumps(doc)
    with pytest.raises(SignatureError, match="verifies no signature"):
        entries.accept_entry(request)


def _envelope(doc: Any) -> dict[str, Any]:
    return {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "proposedContent": {
                "envelope": doc if isinstance(doc, str) else json.dumps(doc),
                "verifiers": [pem(ec.generate_private_key(ec.SECP256R1()))],
            }
        },
    }


GOOD_SIG = [{"sig": base64.b64encode(b"x" * 64).decode()}]


@pytest.mark.parametrize(
    ("request_", "error", "message"),
    [
        (_envelope("{not json"), InputError, "envelope is not JSON"),
        (_envelope([1]), InputError, "envelope must be a JSON object"),
        (
            _envelope({"payload": "", "signatures": GOOD_SIG}),
            InputError,
            "'payloadType' must be a string",
        ),
        (
            _envelope({"payloadType": "t", "payload": "!!", "signatures": GOOD_SIG}),
            InputError,
            "'envelope.payload' is not valid base64",
        ),
        (
            _envelope({"payloadType": "t", "payload": "AA==", "signatures": []}),
            InputError,
            "'signatures' must be a non-empty list",
        ),
        (
            _envelope({"payloadType": "t", "payload": "AA==", "signatures": ["x"]}),
            InputError,
            r"'signatures\[0\]' must be an object",
        ),
        (
            _envelope({"payloadType": "t", "payload": "AA==", "signatures": [{"sig": ""}]}),
            InputError,
            "must be a non-empty string",
        ),
        (
            _envelope({"payloadType": "t", "payload": "AA==", "signatures": GOOD_SIG}),
            SignatureError,
            "verifies no signature",
        ),
        # Found by a tester: each of these was a 500 from the server.
        (_envelope("[" * 100_000 + "]" * 100_000), InputError, "nested too deeply"),
        (_envelope('{"payloadType": ' + "9" * 5000 + "}"), InputError, "a number is too long"),
        (
            _envelope({"payloadType": "\ud800", "payload": "AA==", "signatures": GOOD_SIG}),
            InputError,
            "'payloadType' is not valid Unicode text",
        ),
        (_envelope('{"payloadType": "\ud800"}'), InputError, "envelope' is not valid Unicode"),
        (
            _envelope({"payloadType": "t", "payload": "AA==", "signatures": GOOD_SIG * 17}),
            InputError,
            "'signatures' has 17 signatures; at most 16",
        ),
    ],
)
def test_malformed_dsse(request_: dict[str, Any], error: type[Exception], message: str) -> None:
    """Every malformed envelope is an InputError or SignatureError, never another exception."""
    with pytest.raises(error, match=message):
        entries.accept_entry(request_)


def test_dsse_request_shape_errors() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    request, _ = dsse_request([key], [key])
    request["spec"]["envelopeHash"] = {"algorithm": "sha256", "value": "0" * 64}
    with pytest.raises(InputError, match=r"spec\.envelopeHash is not allowed"):
        entries.accept_entry(request)
    request, _ = dsse_request([key], [key])
    request["spec"]["proposedContent"]["verifiers"] = []
    with pytest.raises(InputError, match=r"'spec\.proposedContent\.verifiers' must be a non-empty"):
        entries.accept_entry(request)
    k1 = ec.generate_private_key(ec.SECP256K1())
    request, _ = dsse_request([k1], [k1])
    with pytest.raises(InputError, match=r"verifiers\[0\]: ECDSA curve secp256k1 is not supported"):
        entries.accept_entry(request)
    ed448_key = ed448.Ed448PrivateKey.generate()
    request, _ = dsse_request([key], [key])
    request["spec"]["proposedContent"]["verifiers"] = [pem(ed448_key)]
    with pytest.raises(InputError, match="Ed448PublicKey keys are not supported"):
        entries.accept_entry(request)
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the point
    request, _ = dsse_request([small], [small])
    with pytest.raises(InputError, match="RSA keys of 1024 bits are too small"):
        entries.accept_entry(request)


def test_real_rekor_dsse_body_is_reproduced_byte_for_byte() -> None:
    """A real rekor.sigstore.dev dsse entry: the envelope as its client sent it (compact JSON,
    ``sig`` before an empty ``keyid``) and the signing certificate give Rekor's exact leaf,
    envelope hash included."""
    real = json.loads((Path(__file__).parent / "data" / "rekor-v1-dsse.json").read_text())
    envelope = json.dumps(
        {
            "payload": real["payload"],
            "payloadType": real["payloadType"],
            "signatures": [{"sig": real["sig"], "keyid": ""}],
        },
        separators=(",", ":"),
    )
    cert = x509.load_der_x509_certificate(base64.b64decode(real["certificate"]))
    verifier = base64.b64encode(cert.public_bytes(serialization.Encoding.PEM)).decode()
    accepted = entries.accept_entry(
        {
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {"proposedContent": {"envelope": envelope, "verifiers": [verifier]}},
        }
    )
    assert accepted.body == base64.b64decode(real["canonicalizedBody"])
    assert accepted.artifact_hash == (
        "sha256:0ce100d95a547f50f7d54327fc7e4e3005dcddc06bc546f9e96aef930c5b9a15"
    )


def test_dsse_verifier_count_is_capped() -> None:
    """Each signature may be tried under each key: the product is bounded (16 x 16)."""
    key = ec.generate_private_key(ec.SECP256R1())
    request, _ = dsse_request([key], [key] * 17)
    with pytest.raises(
        InputError, match=r"'spec\.proposedContent\.verifiers' has 17 keys; at most 16"
    ):
        entries.accept_entry(request)
    request, _ = dsse_request([key], [key] * 16)
    assert entries.accept_entry(request).kind == "dsse"
