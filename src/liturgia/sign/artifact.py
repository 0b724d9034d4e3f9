"""Sign artifacts: one streaming digest pass, then a signature, then a v0.3 bundle."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from liturgia._internal.files import CHUNK_SIZE, read_bytes
from liturgia.errors import InputError
from liturgia.sign.bundle import HashAlgorithm, MessageSignature, message_signature_bundle
from liturgia.sign.keys import KeyAlgorithm
from liturgia.sign.signer import Signer

__all__ = ["digest_file", "sign_bytes", "sign_file"]


def _algorithm_for(key_algorithm: KeyAlgorithm) -> HashAlgorithm:
    return HashAlgorithm(key_algorithm.hash_name)


def digest_file(path: Path, algorithm: HashAlgorithm = HashAlgorithm.SHA2_256) -> bytes:
    """Return the raw digest of a file, read once in 1 MiB chunks (constant memory).

    Raises:
        InputError: the file is missing, a folder, or unreadable.
    """
    digest = hashlib.new(algorithm.hashlib_name)
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK_SIZE):
                digest.update(chunk)
    except FileNotFoundError as exc:
        raise InputError(f"{path}: file not found") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path}: is a folder, expected a file") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return digest.digest()


def sign_bytes(
    data: bytes, signer: Signer, *, tlog_entries: Sequence[Mapping[str, Any]] = ()
) -> bytes:
    """Sign in-memory ``data``; return a v0.3 message-signature bundle (JSON bytes)."""
    algorithm = _algorithm_for(signer.algorithm)
    digest = hashlib.new(algorithm.hashlib_name, data).digest()
    if signer.algorithm is KeyAlgorithm.ED25519:
        signature = signer.sign(data)
    else:
        signature = signer.sign_digest(digest)
    return message_signature_bundle(
        MessageSignature(algorithm=algorithm, digest=digest, signature=signature),
        signer.public_key,
        tlog_entries=tlog_entries,
    )


def sign_file(
    path: Path, signer: Signer, *, tlog_entries: Sequence[Mapping[str, Any]] = ()
) -> bytes:
    """Sign a file as ``cosign sign-blob --new-bundle-format`` does; return the bundle bytes.

    ECDSA keys: the file is hashed in one streaming pass (SHA-256 for P-256, SHA-384 for
    P-384) and the digest is signed, so memory stays constant for any size. Ed25519 signs the
    message itself (RFC 8032 PureEdDSA), so the file is read whole.

    Args:
        path: the artifact.
        signer: the key to sign with.
        tlog_entries: transparency log entries to embed (from the log), if any.

    Returns:
        Sigstore bundle v0.3 JSON (``messageSignature`` + ``publicKey.hint``); write it beside
        the artifact as ``<file>.sigstore.json``.

    Raises:
        InputError: the file cannot be read.
    """
    if signer.algorithm is KeyAlgorithm.ED25519:
        return sign_bytes(read_bytes(path), signer, tlog_entries=tlog_entries)
    algorithm = _algorithm_for(signer.algorithm)
    digest = digest_file(path, algorithm)
    return message_signature_bundle(
        MessageSignature(algorithm=algorithm, digest=digest, signature=signer.sign_digest(digest)),
        signer.public_key,
        tlog_entries=tlog_entries,
    )
