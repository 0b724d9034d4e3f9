"""Signing C2SP checkpoints as the log does: Ed25519 or ECDSA P-256 signed notes.

The writing side of checkpoints (c2sp.org/tlog-checkpoint in a c2sp.org/signed-note). The reading
side (parsing, key IDs, verifying, consistency of two checkpoints) lives once below every package
that checks checkpoints, in :mod:`liturgia._internal.transparency.note`; its names are
re-exported here (same objects) for the log's code and the public :mod:`liturgia.tlog` API.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from liturgia._internal.transparency.note import (
    ECDSA_SIGNATURE_TYPE,
    ED25519_SIGNATURE_TYPE,
    MAX_NOTE_BYTES,
    MAX_SIGNATURES,
    Checkpoint,
    EcdsaNoteVerifier,
    Ed25519NoteVerifier,
    NoteSignature,
    NoteVerifier,
    SignedNote,
    open_checkpoint,
    open_note,
    rekor_origin,
    verifier_for,
    verify_checkpoint_consistency,
)
from liturgia.errors import ProofError, SignatureError

__all__ = [
    "ECDSA_SIGNATURE_TYPE",
    "ED25519_SIGNATURE_TYPE",
    "MAX_NOTE_BYTES",
    "MAX_SIGNATURES",
    "Checkpoint",
    "EcdsaNoteSigner",
    "EcdsaNoteVerifier",
    "Ed25519NoteSigner",
    "Ed25519NoteVerifier",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "SignedNote",
    "open_checkpoint",
    "open_note",
    "rekor_origin",
    "sign_checkpoint",
    "sign_note",
    "signer_for",
    "verifier_for",
    "verify_checkpoint_consistency",
]


class NoteSigner(ABC):
    """A private key that signs notes under a key name."""

    name: str
    key_id: bytes

    @abstractmethod
    def sign(self, text: bytes) -> NoteSignature:
        """Sign the note ``text`` and return its signature line."""

    @abstractmethod
    def verifier(self) -> NoteVerifier:
        """Return the verifier of the matching public key."""


def _check_p256(key: ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) -> None:
    if not isinstance(key.curve, ec.SECP256R1):
        raise SignatureError(f"ECDSA note keys must be on P-256, not {key.curve.name}")


class Ed25519NoteSigner(NoteSigner):
    """Signs notes with Ed25519 (signature type ``0x01``).

    Args:
        name: the key name; for a checkpoint, preferably the origin.
        private_key: the Ed25519 private key.
    """

    def __init__(self, name: str, private_key: ed25519.Ed25519PrivateKey) -> None:
        self._verifier = Ed25519NoteVerifier(name, private_key.public_key())
        self.name = name
        self.key_id = self._verifier.key_id
        self._key = private_key

    def sign(self, text: bytes) -> NoteSignature:
        """Return the Ed25519 signature line over ``text``."""
        return NoteSignature(name=self.name, key_id=self.key_id, signature=self._key.sign(text))

    def verifier(self) -> Ed25519NoteVerifier:
        """Return the matching verifier."""
        return self._verifier


class EcdsaNoteSigner(NoteSigner):
    """Signs notes with ECDSA P-256 / SHA-256, DER signatures, as Rekor v1 does.

    Args:
        name: the key name (Rekor v1: the log's host name).
        private_key: the P-256 private key.

    Raises:
        SignatureError: the key is not on P-256.
    """

    def __init__(self, name: str, private_key: ec.EllipticCurvePrivateKey) -> None:
        _check_p256(private_key)
        self._verifier = EcdsaNoteVerifier(name, private_key.public_key())
        self.name = name
        self.key_id = self._verifier.key_id
        self._key = private_key

    def sign(self, text: bytes) -> NoteSignature:
        """Return the ECDSA signature line over ``text``."""
        signature = self._key.sign(text, ec.ECDSA(hashes.SHA256()))
        return NoteSignature(name=self.name, key_id=self.key_id, signature=signature)

    def verifier(self) -> EcdsaNoteVerifier:
        """Return the matching verifier."""
        return self._verifier


def signer_for(name: str, private_key: object) -> NoteSigner:
    """Return the note signer for an Ed25519 or P-256 private key.

    Raises:
        SignatureError: the key is of another type or curve.
    """
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return Ed25519NoteSigner(name, private_key)
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return EcdsaNoteSigner(name, private_key)
    raise SignatureError(f"unsupported note key type {type(private_key).__name__}")


def sign_note(text: bytes, signers: Sequence[NoteSigner]) -> bytes:
    """Sign a note text with each signer and return the signed note bytes.

    Raises:
        ProofError: no signer, the text does not end with a newline, or it is not valid note
            text (control characters, too large).
    """
    if not signers:
        raise ProofError("a signed note needs at least one signer")
    if not text.endswith(b"\n"):
        raise ProofError("note text must end with a newline")
    note = SignedNote(text=text, signatures=tuple(s.sign(text) for s in signers))
    data = note.to_bytes()
    SignedNote.parse(data)  # refuses control characters and oversize notes before they leave
    return data


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[NoteSigner]) -> bytes:
    """Return ``checkpoint`` as a signed note signed by ``signers``."""
    return sign_note(checkpoint.to_text(), signers)
