"""in-toto Statement v1 and signed attestations: construction, parsing, verification failures."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from liturgia.errors import BundleError, DigestError, PolicyError, SignatureError
from liturgia.provenance import (
    STATEMENT_TYPE,
    Statement,
    Subject,
    attest,
    parse_statement,
    statement_for_files,
    subject_for_file,
    verify_attestation_bundle,
)
from liturgia.sign import INTOTO_PAYLOAD_TYPE, dsse_bundle, sign_dsse, sign_file
from liturgia.sign.backends.file import FileSigner

MakeSigner = Callable[[], FileSigner]
PREDICATE = "https://slsa.dev/provenance/v1"


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    paths = []
    for name, data in (("b.whl", b"wheel"), ("a.tar.gz", b"sdist")):
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_statement_layout_and_determinism(files: list[Path]) -> None:
    statement = statement_for_files(files, predicate_type=PREDICATE, predicate={"z": 1, "a": [2]})
    document = json.loads(statement.to_json())
    assert document == {
        "_type": STATEMENT_TYPE,
        "subject": [
            {"name": "a.tar.gz", "digest": {"sha256": hashlib.sha256(b"sdist").hexdigest()}},
            {"name": "b.whl", "digest": {"sha256": hashlib.sha256(b"wheel").hexdigest()}},
        ],
        "predicateType": PREDICATE,
        "predicate": {"a": [2], "z": 1},
    }
    again = statement_for_files(
        list(reversed(files)), predicate_type=PREDICATE, predicate={"a": [2], "z": 1}
    )
    assert again.to_json() == statement.to_json()
    assert STATEMENT_TYPE == "https://in-toto.io/Statement/v1"
    assert parse_statement(statement.to_json()).to_json() == statement.to_json()


def test_subject_for_file_with_name(files: list[Path]) -> None:
    subject = subject_for_file(files[0], name="dist/b.whl")
    assert subject == Subject(
        name="dist/b.whl", digest={"sha256": hashlib.sha256(b"wheel").hexdigest()}
    )


def test_attest_and_verify(files: list[Path], make_signer: MakeSigner) -> None:
    signer = make_signer()
    statement = statement_for_files(files, predicate_type=PREDICATE, predicate={"k": "v"})
    bundle = attest(statement, signer)
    document = json.loads(bundle)
    assert document["dsseEnvelope"]["payloadType"] == INTOTO_PAYLOAD_TYPE
    assert base64.b64decode(document["dsseEnvelope"]["payload"]) == statement.to_json()
    got = verify_attestation_bundle(
        bundle, signer.public_key, artifacts=files, predicate_type=PREDICATE
    )
    assert got == parse_statement(statement.to_json())


def test_attestation_failures(files: list[Path], tmp_path: Path, make_signer: MakeSigner) -> None:
    signer, other = make_signer(), make_signer()
    statement = statement_for_files(files, predicate_type=PREDICATE, predicate={})
    bundle = attest(statement, signer)
    with pytest.raises(SignatureError, match="wrong key"):
        verify_attestation_bundle(bundle, other.public_key)
    with pytest.raises(PolicyError, match=r"not the required 'https://spdx\.dev/Document'"):
        verify_attestation_bundle(
            bundle, signer.public_key, predicate_type="https://spdx.dev/Document"
        )
    files[0].write_bytes(b"changed")
    with pytest.raises(DigestError, match=r"b\.whl: subject digest mismatch"):
        verify_attestation_bundle(bundle, signer.public_key, artifacts=files)
    stranger = tmp_path / "c.zip"
    stranger.write_bytes(b"c")
    with pytest.raises(PolicyError, match=r"c\.zip: not a subject .*a\.tar\.gz, b\.whl"):
        verify_attestation_bundle(bundle, signer.public_key, artifacts=[stranger])
    message_bundle = sign_file(stranger, signer)
    with pytest.raises(BundleError, match="holds an artifact signature"):
        verify_attestation_bundle(message_bundle, signer.public_key)
    other_type = dsse_bundle(
        sign_dsse(statement.to_json(), "text/plain", signer), signer.public_key
    )
    with pytest.raises(BundleError, match="payload type 'text/plain' is not"):
        verify_attestation_bundle(other_type, signer.public_key)


def test_subject_without_sha256(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"x")
    statement = Statement(
        subjects=(Subject(name="x", digest={"sha512": "00"}),), predicate_type=PREDICATE
    )
    with pytest.raises(PolicyError, match="records no sha256"):
        statement.check_subject(path)
    ok = Statement(
        subjects=(Subject(name="x", digest={"sha256": hashlib.sha256(b"x").hexdigest().upper()}),),
        predicate_type=PREDICATE,
    )
    assert ok.check_subject(path).name == "x"


def _statement(**changes: Any) -> bytes:
    document: dict[str, Any] = {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": "a", "digest": {"sha256": "00"}}],
        "predicateType": PREDICATE,
        "predicate": {},
    }
    document.update(changes)
    return json.dumps({k: v for k, v in document.items() if v is not None}).encode()


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{", "not JSON"),
        (b"[]", "not a JSON object"),
        (_statement(_type="https://in-toto.io/Statement/v0.1"), "unsupported statement _type"),
        (_statement(predicateType=""), "no predicateType"),
        (_statement(predicate=[1]), "predicate is not an object"),
        (_statement(subject=[]), "no subject list"),
        (_statement(subject=["a"]), r"subject\[0\] is not an object"),
        (_statement(subject=[{"name": 1, "digest": {"sha256": "0"}}]), "name is not a string"),
        (_statement(subject=[{"name": "a", "digest": {}}]), "digest is not a map"),
        (_statement(subject=[{"name": "a", "digest": {"sha256": 1}}]), "digest is not a map"),
    ],
)
def test_malformed_statements(payload: bytes, reason: str) -> None:
    with pytest.raises(BundleError, match=reason):
        parse_statement(payload)
