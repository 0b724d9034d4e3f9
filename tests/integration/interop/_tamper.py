"""Tampered variants of logged bundles, shared by the sigstore-js and liturgia tests."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from .conftest import Material

Tamper = Callable[[Material, bytes], bytes]


def _edit(bundle: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    document = json.loads(bundle)
    change(document)
    return json.dumps(document).encode()


def _entry(document: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = document["verificationMaterial"]["tlogEntries"][0]
    return entry


def _flip_b64(value: str, at: int = 12) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[at] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def flip_signature(_: Material, bundle: bytes) -> bytes:
    """One bit of the artifact or envelope signature flipped (the log entry untouched)."""

    def change(document: dict[str, Any]) -> None:
        if "messageSignature" in document:
            signature = document["messageSignature"]
            signature["signature"] = _flip_b64(signature["signature"])
        else:
            signature = document["dsseEnvelope"]["signatures"][0]
            signature["sig"] = _flip_b64(signature["sig"])

    return _edit(bundle, change)


def entry_of_other_upload(material: Material, bundle: bytes) -> bytes:
    """The bundle with the (valid) log entry of another upload: CVE-2022-36056's class."""
    donor = (
        material.bundle(1)
        if b"messageSignature" in bundle
        else material.dsse_other_upload.read_bytes()
    )

    def change(document: dict[str, Any]) -> None:
        document["verificationMaterial"]["tlogEntries"] = json.loads(donor)["verificationMaterial"][
            "tlogEntries"
        ]

    return _edit(bundle, change)


def checkpoint_of_other_log(material: Material, bundle: bytes) -> bytes:
    """The inclusion proof's checkpoint replaced by one the second log signed."""
    foreign = _entry(json.loads(material.other_log_bundle.read_bytes()))["inclusionProof"]

    def change(document: dict[str, Any]) -> None:
        _entry(document)["inclusionProof"]["checkpoint"] = foreign["checkpoint"]

    return _edit(bundle, change)


def flip_proof_hash(_: Material, bundle: bytes) -> bytes:
    """One bit of the inclusion proof's audit path flipped."""

    def change(document: dict[str, Any]) -> None:
        hashes = _entry(document)["inclusionProof"]["hashes"]
        hashes[0] = _flip_b64(hashes[0], 0)

    return _edit(bundle, change)


def flip_set(_: Material, bundle: bytes) -> bytes:
    """One bit of the SignedEntryTimestamp flipped."""

    def change(document: dict[str, Any]) -> None:
        promise = _entry(document)["inclusionPromise"]
        promise["signedEntryTimestamp"] = _flip_b64(promise["signedEntryTimestamp"])

    return _edit(bundle, change)
