"""Attestations: Statements signed into DSSE envelopes inside Sigstore bundles, and back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from liturgia.errors import BundleError
from liturgia.provenance.statement import Statement, parse_statement
from liturgia.sign.bundle import dsse_bundle
from liturgia.sign.dsse import INTOTO_PAYLOAD_TYPE, sign_dsse
from liturgia.sign.keys import PublicKey
from liturgia.sign.signer import Signer
from liturgia.sign.verify import verify_dsse_bundle

__all__ = ["attest", "verify_attestation_bundle"]


def attest(
    statement: Statement,
    signer: Signer,
    *,
    tlog_entries: Sequence[Mapping[str, Any]] = (),
) -> bytes:
    """Sign ``statement`` (DSSE, ``application/vnd.in-toto+json``) into a v0.3 bundle.

    Returns:
        The bundle's JSON bytes (``dsseEnvelope`` + ``publicKey.hint``), as
        ``cosign attest-blob --new-bundle-format`` writes.
    """
    envelope = sign_dsse(statement.to_json(), INTOTO_PAYLOAD_TYPE, signer)
    return dsse_bundle(envelope, signer.public_key, tlog_entries=tlog_entries)


def verify_attestation_bundle(
    bundle: bytes,
    public_key: PublicKey,
    *,
    artifacts: Sequence[Path] = (),
    predicate_type: str | None = None,
    bundle_name: str = "bundle",
) -> Statement:
    """Verify an attestation bundle and return its Statement.

    Args:
        bundle: the bundle's JSON bytes.
        public_key: the key it must be signed with.
        artifacts: files that must each be a subject, by file name and SHA-256.
        predicate_type: if given, the predicate type required.
        bundle_name: how messages name the bundle.

    Raises:
        BundleError: malformed bundle or statement, unsupported media type, not a DSSE
            bundle, or a payload type other than in-toto's.
        SignatureError: the envelope's signature is invalid or by another key.
        DigestError: an artifact's digest differs from its subject's (subject digest mismatch).
        PolicyError: an artifact is not a subject, or the predicate type is not the required one.
        InputError: an artifact cannot be read.
    """
    envelope = verify_dsse_bundle(bundle, public_key, bundle_name=bundle_name)
    if envelope.payload_type != INTOTO_PAYLOAD_TYPE:
        raise BundleError(
            f"{bundle_name}: payload type {envelope.payload_type!r} is not {INTOTO_PAYLOAD_TYPE}"
        )
    statement = parse_statement(envelope.payload, source=bundle_name)
    if predicate_type is not None:
        statement.require_predicate_type(predicate_type)
    for path in artifacts:
        statement.check_subject(path)
    return statement
