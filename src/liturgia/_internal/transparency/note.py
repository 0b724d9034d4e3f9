"""C2SP tlog-checkpoint bodies inside C2SP signed notes: parsing and verifying, once.

The reading side of checkpoints, shared by everyone who checks one: the log itself
(:mod:`liturgia.tlog`, which also *signs* them in :mod:`liturgia.tlog.checkpoint`), a bundle's
verifier (:mod:`liturgia.sign`) and a release's online verifier (:mod:`liturgia.release`).

A checkpoint (c2sp.org/tlog-checkpoint) is the note text::

    <origin>\\n<tree size>\\n<base64 root hash>\\n[<extension line>\\n ...]

signed as a note (c2sp.org/signed-note): the text, a blank line, then one or more lines
``— <key name> <base64(key ID || signature)>``. Key IDs are 4 bytes:

* Ed25519 (signature type ``0x01``): ``SHA-256(name || 0x0A || 0x01 || public key)[:4]``, the
  signature is RFC 8032 Ed25519 over the note text (signed-note §"Ed25519 signatures").
* ECDSA (signature type ``0x02``): ``SHA-256(DER SubjectPublicKeyInfo)[:4]``, the signature
  is ASN.1 DER ECDSA over SHA-256 of the note text (the log signs with P-256; a verifier takes
  any curve, as Rekor v1 signs with whatever key it is given). This is what Rekor v1 writes
  (``pkg/util/signed_note.go``), so Sigstore clients verify it with the log key of their
  trusted root. For them the origin is :func:`rekor_origin` (``<host> - <tree id>``) and the
  key name is the host.

Verification follows signed-note §"Signatures": signatures from unknown keys (name and key ID
not both matching) are ignored; a known key's bad signature rejects the note; at least one known
key must verify. Parsing is strict, as Go's ``note.Open`` is (a malformed signature line rejects
the whole note): a malformed note or checkpoint raises
:class:`~liturgia.errors.ProofError`, a bad or missing signature
:class:`~liturgia.errors.SignatureError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from liturgia._internal.transparency import merkle
from liturgia.errors import ProofError, SignatureError

__all__ = [
    "ECDSA_SIGNATURE_TYPE",
    "ED25519_SIGNATURE_TYPE",
    "MAX_NOTE_BYTES",
    "MAX_SIGNATURES",
    "Checkpoint",
    "EcdsaNoteVerifier",
    "Ed25519NoteVerifier",
    "NoteSignature",
    "NoteVerifier",
    "SignedNote",
    "check_key_name",
    "ed25519_key_id",
    "open_checkpoint",
    "open_note",
    "rekor_origin",
    "spki_key_id",
    "verifier_for",
    "verify_checkpoint_consistency",
]

#: Signed-note signature type of Ed25519.
ED25519_SIGNATURE_TYPE = 0x01
#: Signed-note signature type of ECDSA (as transparency-dev/witness and Rekor v1 use it).
ECDSA_SIGNATURE_TYPE = 0x02
#: Largest note accepted, in bytes (the spec asks for a limit; 16 PQ signatures fit easily).
MAX_NOTE_BYTES = 1 << 20
#: Most signature lines accepted (the spec requires at least 16).
MAX_SIGNATURES = 100

_EM_DASH = "\u2014 "
_DECIMAL = re.compile(r"(?:0|[1-9][0-9]*)\Z")
_MAX_SIZE = (1 << 64) - 1


def _strict_b64(value: str, what: str) -> bytes:
    """Decode canonical standard base64 (RFC 4648 §4) or raise ProofError."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProofError(f"{what} is not valid base64: {value!r}") from exc
    if base64.b64encode(raw).decode("ascii") != value:
        raise ProofError(f"{what} is not canonical base64: {value!r}")
    return raw


def check_key_name(name: str) -> None:
    """Refuse a key name the signed-note spec does not allow (empty, a space or a '+').

    Raises:
        ProofError: the name is not allowed.
    """
    if not name or any(ch.isspace() or ch == "+" for ch in name):
        raise ProofError(f"key name {name!r} is empty or contains a space or '+'")


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint:
    """The body of a checkpoint (c2sp.org/tlog-checkpoint §"Note text").

    Attributes:
        origin: the log's identity, first line; non-empty, no newline.
        size: tree size, ``0 <= size < 2**64``.
        root_hash: the 32-byte RFC 6962 root at ``size``.
        extensions: optional non-empty extension lines (not recommended by the spec).

    Raises:
        ProofError: a field cannot be written as the spec requires.
    """

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Validate the fields against the format."""
        for what, line in (
            ("origin", self.origin),
            *(("extension line", e) for e in self.extensions),
        ):
            if not line or "\n" in line or any(ord(ch) < 0x20 for ch in line):
                raise ProofError(f"checkpoint {what} {line!r} is empty or has control characters")
        if not 0 <= self.size <= _MAX_SIZE:
            raise ProofError(f"checkpoint tree size {self.size} is not a uint64")
        if len(self.root_hash) != merkle.HASH_SIZE:
            raise ProofError(f"checkpoint root hash is {len(self.root_hash)} bytes, expected 32")

    def to_text(self) -> bytes:
        """Return the note text, UTF-8, ending in a newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode("ascii")]
        return ("\n".join((*lines, *self.extensions)) + "\n").encode("utf-8")

    @classmethod
    def from_text(cls, text: bytes) -> Checkpoint:
        """Parse a checkpoint body strictly.

        Args:
            text: the note text (as :attr:`SignedNote.text`), ending in a newline.

        Raises:
            ProofError: not UTF-8, fewer than three lines, an empty line, a size with leading
                zeros or out of range, or a root that is not canonical base64 of 32 bytes.
        """
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProofError("checkpoint is not valid UTF-8") from exc
        if not decoded.endswith("\n"):
            raise ProofError("checkpoint does not end with a newline")
        lines = decoded[:-1].split("\n")
        if len(lines) < 3:
            raise ProofError(f"checkpoint has {len(lines)} lines, expected at least 3")
        origin, size_text, root_text, *extensions = lines
        if not _DECIMAL.match(size_text) or len(size_text) > 20 or int(size_text) > _MAX_SIZE:
            raise ProofError(f"checkpoint tree size {size_text!r} is not a decimal uint64")
        root = _strict_b64(root_text, "checkpoint root hash")
        return cls(origin=origin, size=int(size_text), root_hash=root, extensions=tuple(extensions))


def rekor_origin(host: str, tree_id: int) -> str:
    """Return Rekor v1's checkpoint origin ``"<host> - <tree id>"``.

    Sigstore clients expect this shape, with ``host`` as it appears in the log's base URL in
    the trusted root (e.g. ``rekor.sigstore.dev - 1193050959916656506``).
    """
    return f"{host} - {tree_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteSignature:
    """One signature line of a signed note.

    Attributes:
        name: the key name.
        key_id: the 4-byte key ID.
        signature: the signature bytes (after the key ID).
    """

    name: str
    key_id: bytes
    signature: bytes

    def to_line(self) -> str:
        """Return ``"— <name> <base64(key ID || signature)>\\n"``."""
        blob = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{_EM_DASH}{self.name} {blob}\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedNote:
    """A parsed, not yet verified, signed note (c2sp.org/signed-note §"Format").

    Attributes:
        text: the exact signed bytes: the note text including its final newline.
        signatures: the signature lines in order.
    """

    text: bytes
    signatures: tuple[NoteSignature, ...]

    def to_bytes(self) -> bytes:
        """Return the note as written: text, blank line, signature lines."""
        return self.text + b"\n" + "".join(s.to_line() for s in self.signatures).encode("utf-8")

    @classmethod
    def parse(cls, data: bytes) -> SignedNote:
        """Parse a signed note strictly, without verifying it.

        Raises:
            ProofError: over :data:`MAX_NOTE_BYTES`, not UTF-8, a control character other than
                newline, no blank line before the signatures, a malformed signature line, no
                signature, or more than :data:`MAX_SIGNATURES`.
        """
        if len(data) > MAX_NOTE_BYTES:
            raise ProofError(f"signed note is {len(data)} bytes, over {MAX_NOTE_BYTES}")
        try:
            decoded = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProofError("signed note is not valid UTF-8") from exc
        if any(ord(ch) < 0x20 and ch != "\n" for ch in decoded):
            raise ProofError("signed note contains a control character other than newline")
        split = data.rfind(b"\n\n")
        if split < 0:
            raise ProofError("signed note has no blank line before its signatures")
        text, block = data[: split + 1], data[split + 2 :].decode("utf-8")
        if not block.endswith("\n"):
            raise ProofError("signed note does not end with a signature line and newline")
        lines = block[:-1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise ProofError(f"signed note has {len(lines)} signatures, over {MAX_SIGNATURES}")
        signatures = []
        for number, line in enumerate(lines, start=1):
            parts = line[len(_EM_DASH) :].split(" ")
            if not line.startswith(_EM_DASH) or len(parts) != 2:
                raise ProofError(f"signature line {number} is not '— <name> <base64>': {line!r}")
            name, blob_text = parts
            check_key_name(name)
            blob = _strict_b64(blob_text, f"signature line {number}")
            if len(blob) < 5:
                raise ProofError(f"signature line {number} is {len(blob)} bytes, too short")
            signatures.append(NoteSignature(name=name, key_id=blob[:4], signature=blob[4:]))
        return cls(text=text, signatures=tuple(signatures))


class NoteVerifier(ABC):
    """A known key: verifies note signatures made with its name and key ID."""

    name: str
    key_id: bytes

    @abstractmethod
    def verify(self, text: bytes, signature: bytes) -> None:
        """Verify ``signature`` over the note ``text``.

        Raises:
            SignatureError: the signature does not verify under this key.
        """

    def matches(self, signature: NoteSignature) -> bool:
        """Return whether a signature line claims this key (same name and key ID)."""
        return signature.name == self.name and signature.key_id == self.key_id


def ed25519_key_id(name: str, public_key: ed25519.Ed25519PublicKey) -> bytes:
    """Return the 4-byte key ID of an Ed25519 note key (signed-note §"Ed25519 signatures")."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([ED25519_SIGNATURE_TYPE]) + raw
    ).digest()[:4]


def spki_key_id(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """Return the 4-byte key ID of an ECDSA note key as Rekor v1 computes it (SPKI SHA-256)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).digest()[:4]


class Ed25519NoteVerifier(NoteVerifier):
    """Verifies Ed25519 note signatures (signature type ``0x01``).

    Args:
        name: the key name (c2sp.org/signed-note: no spaces, no '+').
        public_key: the Ed25519 public key.
    """

    def __init__(self, name: str, public_key: ed25519.Ed25519PublicKey) -> None:
        check_key_name(name)
        self.name = name
        self.public_key = public_key
        self.key_id = ed25519_key_id(name, public_key)

    def verify(self, text: bytes, signature: bytes) -> None:
        """Verify an RFC 8032 signature over ``text``; raise SignatureError if it fails."""
        try:
            self.public_key.verify(signature, text)
        except InvalidSignature as exc:
            raise SignatureError(f"Ed25519 note signature by {self.name} does not verify") from exc

    def vkey(self) -> str:
        """Return the verifier key text ``<name>+<hex key ID>+<base64(0x01 || key)>``."""
        raw = self.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        blob = base64.b64encode(bytes([ED25519_SIGNATURE_TYPE]) + raw).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{blob}"


class EcdsaNoteVerifier(NoteVerifier):
    """Verifies ECDSA / SHA-256 note signatures as Rekor v1 writes them.

    Args:
        name: the key name (Rekor v1: the log's host name).
        public_key: the ECDSA public key (P-256 for logs liturgia runs; any curve is read).
    """

    def __init__(self, name: str, public_key: ec.EllipticCurvePublicKey) -> None:
        check_key_name(name)
        self.name = name
        self.public_key = public_key
        self.key_id = spki_key_id(public_key)

    def verify(self, text: bytes, signature: bytes) -> None:
        """Verify a DER ECDSA signature over SHA-256(``text``); raise SignatureError if not."""
        try:
            self.public_key.verify(signature, text, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise SignatureError(f"ECDSA note signature by {self.name} does not verify") from exc


def verifier_for(name: str, public_key: object) -> NoteVerifier:
    """Return the note verifier for an Ed25519 or ECDSA public key.

    Raises:
        SignatureError: the key is of another type or curve.
    """
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return Ed25519NoteVerifier(name, public_key)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return EcdsaNoteVerifier(name, public_key)
    raise SignatureError(f"unsupported note key type {type(public_key).__name__}")


def open_note(data: bytes, verifiers: Sequence[NoteVerifier]) -> SignedNote:
    """Parse a signed note and verify it against known keys (signed-note §"Signatures").

    Args:
        data: the signed note bytes.
        verifiers: the known keys.

    Returns:
        The note, with only the signatures that verified under a known key.

    Raises:
        ProofError: the note is malformed.
        SignatureError: a known key's signature fails, or no known key signed the note.
    """
    note = SignedNote.parse(data)
    verified: list[NoteSignature] = []
    for signature in note.signatures:
        for verifier in verifiers:
            if verifier.matches(signature):
                verifier.verify(note.text, signature.signature)
                verified.append(signature)
    if not verified:
        names = ", ".join(sorted(v.name for v in verifiers)) or "(none)"
        raise SignatureError(f"signed note carries no signature by a known key ({names})")
    return SignedNote(text=note.text, signatures=tuple(verified))


def open_checkpoint(
    data: bytes, verifiers: Sequence[NoteVerifier], *, origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint and return its body.

    Args:
        data: the signed note bytes.
        verifiers: the log's known keys.
        origin: when given, the origin the checkpoint must carry.

    Raises:
        ProofError: the note or the checkpoint body is malformed, or the origin differs.
        SignatureError: the signatures do not verify (see :func:`open_note`).
    """
    note = open_note(data, verifiers)
    checkpoint = Checkpoint.from_text(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise ProofError(f"checkpoint origin is {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint


def verify_checkpoint_consistency(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Verify that checkpoint ``new`` extends ``old``, as a monitor or witness does.

    Both checkpoints must already be verified (:func:`open_checkpoint`). A smaller ``new`` is a
    rollback; equal sizes need equal roots; an empty ``old`` is extended by anything.

    Args:
        old: the earlier checkpoint.
        new: the later checkpoint.
        proof: the log's consistency proof from ``old.size`` to ``new.size``.

    Raises:
        ProofError: different origins, a smaller tree (rollback), equal sizes with different
            roots (a fork), or a consistency proof that does not verify (RFC 9162 §2.1.4.2).
    """
    if old.origin != new.origin:
        raise ProofError(f"checkpoints of different logs: {old.origin!r} and {new.origin!r}")
    if new.size < old.size:
        raise ProofError(f"log shrank from {old.size} to {new.size} entries (rollback)")
    if old.size == 0:
        return
    merkle.verify_consistency(
        size1=old.size, size2=new.size, proof=proof, root1=old.root_hash, root2=new.root_hash
    )
