"""TrustedRoot export: field names checked against protobuf-specs, values against the key."""

from __future__ import annotations

import base64
import hashlib
import json
import warnings
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from liturgia.sign import TRUSTED_ROOT_MEDIA_TYPE, KeyAlgorithm, TransparencyLog, trusted_root_json
from liturgia.sign.backends.file import FileSigner

with warnings.catch_warnings():
    # sigstore-protobuf-specs 0.5.2 uses a pydantic validator form that pydantic 2.12 deprecates.
    warnings.simplefilter("ignore", DeprecationWarning)
    from sigstore_protobuf_specs.dev.sigstore.common.v1 import PublicKeyDetails
    from sigstore_protobuf_specs.dev.sigstore.trustroot.v1 import TrustedRoot


def test_trusted_root_matches_protobuf_specs(make_signer: Callable[..., FileSigner]) -> None:
    log = make_signer().public_key
    other = make_signer(KeyAlgorithm.ED25519).public_key
    start = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    raw = trusted_root_json(
        [
            TransparencyLog(
                base_url="http://127.0.0.1:8080/liturgia-log", public_key=log, valid_from=start
            ),
            TransparencyLog(base_url="http://log2.test", public_key=other, valid_from=start),
        ]
    )
    document = json.loads(raw)
    assert document["mediaType"] == TRUSTED_ROOT_MEDIA_TYPE
    pb = TrustedRoot.from_dict(document)
    assert pb.media_type == TRUSTED_ROOT_MEDIA_TYPE
    first = pb.tlogs[0]
    assert first.base_url == "http://127.0.0.1:8080/liturgia-log"
    assert first.public_key.raw_bytes == log.der
    assert first.log_id.key_id == hashlib.sha256(log.der).digest()
    assert first.public_key.valid_for.start == start
    assert pb.tlogs[1].public_key.key_details == PublicKeyDetails.PKIX_ED25519
    assert base64.b64decode(document["tlogs"][1]["publicKey"]["rawBytes"]) == other.der
    # protobuf-specs writes back the same document: every field name is one it knows.
    assert json.loads(pb.to_json()) == {k: v for k, v in document.items() if v != []}


def test_default_validity_uses_the_clock(
    monkeypatch: pytest.MonkeyPatch, make_signer: Callable[..., FileSigner]
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    raw = trusted_root_json(
        [TransparencyLog(base_url="http://l", public_key=make_signer().public_key)]
    )
    assert json.loads(raw)["tlogs"][0]["publicKey"]["validFor"] == {"start": "2023-11-14T22:13:20Z"}
    assert json.loads(trusted_root_json([]))["tlogs"] == []
