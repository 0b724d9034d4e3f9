"""Property tests: parsers of untrusted JSON raise only their documented error, never crash."""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from liturgia.errors import BundleError, InputError
from liturgia.provenance import parse_statement
from liturgia.sign import Envelope, parse_bundle, tlog_entry_from_rekor
from liturgia.sign.keys import decrypt_private_key
from liturgia.sign.rekor import check_entry_bodies

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


@settings(max_examples=150, deadline=None)
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


@settings(max_examples=150, deadline=None)
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
