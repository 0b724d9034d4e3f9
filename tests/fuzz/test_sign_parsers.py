"""Fuzz: Sigstore bundles, DSSE envelopes, in-toto statements, Rekor entries and encrypted keys.

Each parser of untrusted JSON raises only its documented error (BundleError, or InputError for
a key file), never anything else.
"""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liturgia import sign
from liturgia.errors import BundleError, InputError, VerificationError
from liturgia.provenance import parse_statement
from liturgia.sign import Envelope, parse_bundle, tlog_entry_from_rekor
from liturgia.sign.keys import decrypt_private_key
from liturgia.sign.rekor import check_entry_bodies
from tests.fuzz.mutations import EDITS, mutate
from tests.fuzz.profile import fuzz

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
KEYS = st.sampled_from(
    [
        "mediaType",
        "verificationMaterial",
        "messageSignature",
        "dsseEnvelope",
        "publicKey",
        "hint",
        "tlogEntries",
        "messageDigest",
        "algorithm",
        "digest",
        "signature",
        "payload",
        "payloadType",
        "signatures",
        "sig",
        "keyid",
        "canonicalizedBody",
        "kdf",
        "cipher",
        "ciphertext",
        "params",
        "salt",
        "nonce",
        "name",
        "N",
        "r",
        "p",
        "_type",
        "subject",
        "predicateType",
        "predicate",
        "body",
        "verification",
        "logIndex",
        "logID",
    ]
)
SHAPED = st.recursive(
    JSON,
    lambda children: st.dictionaries(KEYS, children, max_size=5),
    max_leaves=12,
)

VALID_BUNDLE: dict[str, Any] = {
    "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
    "verificationMaterial": {"publicKey": {"hint": "x"}},
    "messageSignature": {
        "messageDigest": {"algorithm": "SHA2_256", "digest": "AAAA"},
        "signature": "AAAA",
    },
}


@fuzz(2)
@given(SHAPED, st.sampled_from(["", "verificationMaterial", "messageSignature", "dsseEnvelope"]))
def test_parse_bundle_never_crashes(value: Any, where: str) -> None:
    document = json.loads(json.dumps(VALID_BUNDLE))
    if where:
        document[where] = value
    else:
        document = value
    try:
        parsed = parse_bundle(json.dumps(document).encode())
    except BundleError:
        return
    with contextlib.suppress(BundleError):
        check_entry_bodies(parsed)


@fuzz(2)
@given(SHAPED)
def test_other_parsers_never_crash(value: Any) -> None:
    raw = json.dumps(value).encode()
    for parse in (Envelope.from_json, parse_statement):
        with contextlib.suppress(BundleError):
            parse(raw)
    if isinstance(value, dict):
        with contextlib.suppress(BundleError):
            tlog_entry_from_rekor(value)
    pem = (
        b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
        + base64.b64encode(raw)
        + b"\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
    )
    with contextlib.suppress(InputError):
        decrypt_private_key(pem, b"pw")


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes, Any]:
    """A real message-signature bundle and DSSE bundle (P-256) and the signer's public key."""
    folder = tmp_path_factory.mktemp("keys")
    sign.generate_key_pair(folder / "k.key", folder / "k.pub", password=b"pw")
    signer = sign.load_signer(str(folder / "k.key"), password=b"pw")
    blob = sign.sign_bytes(b"artifact\n", signer)
    envelope = sign.sign_dsse(b'{"_type": "x"}', "application/vnd.in-toto+json", signer)
    return blob, sign.dsse_bundle(envelope, signer.public_key), signer.public_key


@fuzz(2)
@given(edits=EDITS, which=st.booleans())
def test_mutated_real_bundles_raise_only_verification_errors(
    signed: tuple[bytes, bytes, Any], edits: list[tuple[int, int, bytes]], which: bool
) -> None:
    blob, envelope, key = signed
    data = mutate(blob if which else envelope, edits)
    with contextlib.suppress(VerificationError):
        if which:
            sign.verify_bytes_bundle(b"artifact\n", data, key)
        else:
            sign.verify_dsse_bundle(data, key)
