"""A Sigstore ``TrustedRoot`` document for consumers of our releases.

protobuf-specs ``sigstore_trustroot.proto`` (media type
``application/vnd.dev.sigstore.trustedroot+json;version=0.1``): it lists the transparency logs
(and CAs, CT logs, TSAs; we have none) a verifier trusts. Our signing keys are not in it: a
key-based bundle is verified against the public key the consumer was given. Facts found with
sigstore-js 3.1.1 (scripts/peers/sigstore-js/README.md): ``logId.keyId`` is the SHA-256 of the log
key's DER SubjectPublicKeyInfo; ``checkpointKeyId`` is left out for a Rekor-v1-style log; the
checkpoint origin must appear inside ``baseUrl``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from liturgia._internal.clock import now
from liturgia.sign.keys import PublicKey

__all__ = ["TRUSTED_ROOT_MEDIA_TYPE", "TransparencyLog", "trusted_root_json"]

TRUSTED_ROOT_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"


@dataclass(frozen=True, slots=True, kw_only=True)
class TransparencyLog:
    """One transparency log a verifier should trust.

    Attributes:
        base_url: the log's URL; must contain the checkpoint origin line.
        public_key: the key the log signs checkpoints and entry timestamps with.
        valid_from: start of the key's validity (default: the clock's now).
    """

    base_url: str
    public_key: PublicKey
    valid_from: datetime | None = None


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def trusted_root_json(logs: Sequence[TransparencyLog]) -> bytes:
    """Serialize a TrustedRoot listing ``logs`` (and no CA, CT log or TSA).

    Returns:
        UTF-8 JSON, two-space indented, newline-terminated; logs in the order given.
    """
    tlogs = []
    for log in logs:
        start = log.valid_from or now()
        tlogs.append(
            {
                "baseUrl": log.base_url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": base64.b64encode(log.public_key.der).decode("ascii"),
                    "keyDetails": log.public_key.algorithm.sigstore_details,
                    "validFor": {"start": _rfc3339(start)},
                },
                "logId": {
                    "keyId": base64.b64encode(hashlib.sha256(log.public_key.der).digest()).decode(
                        "ascii"
                    )
                },
            }
        )
    document = {
        "mediaType": TRUSTED_ROOT_MEDIA_TYPE,
        "tlogs": tlogs,
        "certificateAuthorities": [],
        "ctlogs": [],
        "timestampAuthorities": [],
    }
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")
