"""Signing keys: algorithms, public keys and key ids, and private keys at rest in cosign's format.

A private key at rest is PKCS#8 DER, encrypted with :mod:`liturgia.sign._encrypted` (scrypt +
NaCl secretbox) and wrapped in a PEM block labelled ``ENCRYPTED SIGSTORE PRIVATE KEY`` (cosign
``pkg/cosign/keys.go``; the older ``ENCRYPTED COSIGN PRIVATE KEY`` label is read too). So keys
made by ``cosign generate-key-pair`` load here, and ours load in cosign. Public keys are PEM
SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), byte for byte what cosign writes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeAlias

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils

from liturgia._internal.files import atomic_write_bytes, read_bytes
from liturgia.errors import InputError, KeyPasswordError, SignatureError
from liturgia.sign import _encrypted

__all__ = [
    "ENCRYPTED_COSIGN_LABEL",
    "ENCRYPTED_SIGSTORE_LABEL",
    "KeyAlgorithm",
    "KeyPairInfo",
    "PrivateKey",
    "PublicKey",
    "decrypt_private_key",
    "encrypt_private_key",
    "generate_key_pair",
    "key_id",
    "load_public_key",
    "parse_private_key",
    "parse_public_key",
    "write_key_pair",
]

ENCRYPTED_SIGSTORE_LABEL = "ENCRYPTED SIGSTORE PRIVATE KEY"
ENCRYPTED_COSIGN_LABEL = "ENCRYPTED COSIGN PRIVATE KEY"

PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
_RawPublicKey: TypeAlias = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

_PEM_RE = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.DOTALL)


class KeyAlgorithm(StrEnum):
    """Signing algorithms, with the Sigstore ``PublicKeyDetails`` each corresponds to."""

    ECDSA_P256 = "ecdsa-p256"
    ECDSA_P384 = "ecdsa-p384"
    ED25519 = "ed25519"

    @property
    def sigstore_details(self) -> str:
        """The protobuf-specs ``PublicKeyDetails`` enum name (sigstore_common.proto)."""
        match self:
            case KeyAlgorithm.ECDSA_P256:
                return "PKIX_ECDSA_P256_SHA_256"
            case KeyAlgorithm.ECDSA_P384:
                return "PKIX_ECDSA_P384_SHA_384"
            case KeyAlgorithm.ED25519:
                return "PKIX_ED25519"

    @property
    def hash_name(self) -> str:
        """The message digest paired with the key: ``SHA2_256`` or ``SHA2_384`` (HashAlgorithm).

        Ed25519 signs the message itself; its bundles record a SHA2_256 digest for reference.
        """
        return "SHA2_384" if self is KeyAlgorithm.ECDSA_P384 else "SHA2_256"

    @classmethod
    def parse(cls, name: str) -> KeyAlgorithm:
        """Return the algorithm called ``name``.

        Raises:
            InputError: not one of ``ecdsa-p256``, ``ecdsa-p384``, ``ed25519``.
        """
        try:
            return cls(name)
        except ValueError as exc:
            known = ", ".join(a.value for a in cls)
            raise InputError(
                f"unsupported key algorithm {name!r} (expected one of {known})"
            ) from exc


def _algorithm_of(key: _RawPublicKey, source: str) -> KeyAlgorithm:
    if isinstance(key, ed25519.Ed25519PublicKey):
        return KeyAlgorithm.ED25519
    if isinstance(key.curve, ec.SECP256R1):
        return KeyAlgorithm.ECDSA_P256
    if isinstance(key.curve, ec.SECP384R1):
        return KeyAlgorithm.ECDSA_P384
    raise InputError(
        f"{source}: unsupported curve {key.curve.name} (expected P-256, P-384 or Ed25519)"
    )


def _hash_for(algorithm: KeyAlgorithm) -> hashes.HashAlgorithm:
    return hashes.SHA384() if algorithm is KeyAlgorithm.ECDSA_P384 else hashes.SHA256()


# Built once: verification of many small bundles is dominated by per-call overhead.
_ECDSA_PREHASHED = {
    KeyAlgorithm.ECDSA_P256: ec.ECDSA(utils.Prehashed(hashes.SHA256())),
    KeyAlgorithm.ECDSA_P384: ec.ECDSA(utils.Prehashed(hashes.SHA384())),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PublicKey:
    """A verification key.

    Attributes:
        key: the ``cryptography`` public key (EC P-256/P-384 or Ed25519).
        algorithm: its :class:`KeyAlgorithm`.
    """

    key: _RawPublicKey
    algorithm: KeyAlgorithm

    @classmethod
    def from_key(cls, key: _RawPublicKey, *, source: str = "public key") -> PublicKey:
        """Wrap a ``cryptography`` key. Raises InputError for an unsupported curve."""
        return cls(key=key, algorithm=_algorithm_of(key, source))

    @property
    def der(self) -> bytes:
        """DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7)."""
        return self.key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def pem(self) -> bytes:
        """PEM ``PUBLIC KEY`` block, 64-column lines (as cosign writes ``cosign.pub``)."""
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def key_id(self) -> str:
        """Lower-case hex SHA-256 of :attr:`der`."""
        return hashlib.sha256(self.der).hexdigest()

    def verify(self, signature: bytes, data: bytes) -> None:
        """Verify ``signature`` over ``data`` (ECDSA DER with the key's hash, or pure Ed25519).

        Raises:
            SignatureError: the signature does not verify under this key.
        """
        try:
            if isinstance(self.key, ed25519.Ed25519PublicKey):
                self.key.verify(signature, data)
            else:
                self.key.verify(signature, data, ec.ECDSA(_hash_for(self.algorithm)))
        except InvalidSignature as exc:
            raise SignatureError(f"signature does not verify under key {self.key_id}") from exc

    def verify_digest(self, signature: bytes, digest: bytes) -> None:
        """Verify an ECDSA ``signature`` over a precomputed digest of the key's hash.

        Raises:
            SignatureError: the signature does not verify, or the key is Ed25519 (which signs
                messages, not digests).
        """
        key = self.key
        if isinstance(key, ed25519.Ed25519PublicKey):
            raise SignatureError("an Ed25519 key cannot verify a signature over a digest")
        try:
            key.verify(signature, digest, _ECDSA_PREHASHED[self.algorithm])
        except InvalidSignature as exc:
            raise SignatureError(f"signature does not verify under key {self.key_id}") from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyPairInfo:
    """What :func:`generate_key_pair` wrote.

    Attributes:
        private_path: the encrypted private key (mode 0600).
        public_path: the public key PEM.
        key_id: hex SHA-256 of the DER SubjectPublicKeyInfo.
        algorithm: the key's algorithm.
    """

    private_path: Path
    public_path: Path
    key_id: str
    algorithm: KeyAlgorithm


def key_id(public_key: PublicKey) -> str:
    """Return the key id: lower-case hex SHA-256 of the DER SubjectPublicKeyInfo."""
    return public_key.key_id


def _pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    blocks = []
    for match in _PEM_RE.finditer(data):
        body = b"".join(match.group(2).split())
        try:
            der = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            der = b""
        blocks.append((match.group(1).decode("ascii"), der))
    return blocks


def parse_public_key(data: bytes, *, source: str = "public key") -> PublicKey:
    """Parse a PEM ``PUBLIC KEY`` (SubjectPublicKeyInfo).

    Raises:
        InputError: not a PEM public key, or an unsupported key type or curve.
    """
    blocks = [b for b in _pem_blocks(data) if b[0] == "PUBLIC KEY"]
    if not blocks:
        raise InputError(f"{source}: not a PEM public key (no 'BEGIN PUBLIC KEY' block)")
    try:
        key = serialization.load_der_public_key(blocks[0][1])
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InputError(f"{source}: malformed public key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise InputError(
            f"{source}: unsupported key type {type(key).__name__} (expected ECDSA or Ed25519)"
        )
    return PublicKey.from_key(key, source=source)


def load_public_key(path: Path) -> PublicKey:
    """Read a PEM public key file (``cosign.pub`` or ours).

    Raises:
        InputError: missing or unreadable file, bad PEM, unsupported key type or curve.
    """
    return parse_public_key(read_bytes(path, what="public key"), source=str(path))


def _is_pkcs8(der: bytes) -> bool:
    """Tell PKCS#8 PrivateKeyInfo (RFC 5208 §5) from SEC1 ECPrivateKey (RFC 5915 §3).

    Both are SEQUENCE { INTEGER version, ... }; PKCS#8 continues with the AlgorithmIdentifier
    SEQUENCE (tag 0x30), SEC1 with the key OCTET STRING (tag 0x04). ``cryptography`` loads both
    from DER, but cosign accepts only PKCS#8, and so do we.
    """
    if len(der) < 2 or der[0] != 0x30:
        return False
    pos = 2 + (der[1] & 0x7F if der[1] & 0x80 else 0)  # skip the outer SEQUENCE header
    if pos + 2 > len(der) or der[pos] != 0x02:
        return False
    pos += 2 + der[pos + 1]  # skip the short INTEGER version
    return pos < len(der) and der[pos] == 0x30


def _load_pkcs8(der: bytes, source: str) -> PrivateKey:
    if not _is_pkcs8(der):
        raise InputError(
            f"{source}: the key inside is not PKCS#8 (a SEC1 'EC PRIVATE KEY'?); cosign refuses "
            "such keys too: re-import it with `liturgia keys import`"
        )
    try:
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InputError(f"{source}: malformed PKCS#8 private key") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise InputError(
            f"{source}: unsupported key type {type(key).__name__} (expected ECDSA or Ed25519)"
        )
    _algorithm_of(key.public_key(), source)
    return key


def decrypt_private_key(data: bytes, password: bytes, *, source: str = "private key") -> PrivateKey:
    """Decrypt a cosign-format encrypted private key PEM.

    Args:
        data: the PEM file's bytes (label ``ENCRYPTED SIGSTORE PRIVATE KEY`` or
            ``ENCRYPTED COSIGN PRIVATE KEY``).
        password: the password (may be empty, as cosign allows).
        source: the file name used in error messages.

    Raises:
        KeyPasswordError: wrong password, or the ciphertext was altered.
        InputError: not such a PEM block; corrupt or truncated; the plaintext
            is not PKCS#8 (cosign refuses SEC1 too); unsupported curve.
    """
    blocks = [
        b for b in _pem_blocks(data) if b[0] in (ENCRYPTED_SIGSTORE_LABEL, ENCRYPTED_COSIGN_LABEL)
    ]
    if not blocks:
        raise InputError(
            f"{source}: not an encrypted cosign/sigstore private key "
            f"(no '{ENCRYPTED_SIGSTORE_LABEL}' PEM block; truncated?)"
        )
    try:
        plaintext = _encrypted.decrypt(blocks[0][1], password)
    except _encrypted.FormatError as exc:
        raise InputError(f"{source}: corrupt encrypted key: {exc}") from exc
    except _encrypted.DecryptionError as exc:
        raise KeyPasswordError(source) from exc
    return _load_pkcs8(plaintext, source)


def encrypt_private_key(key: PrivateKey, password: bytes) -> bytes:
    """Return the PEM ``ENCRYPTED SIGSTORE PRIVATE KEY`` of ``key`` (PKCS#8 inside)."""
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    body = base64.b64encode(_encrypted.encrypt(der, password))
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        f"-----BEGIN {ENCRYPTED_SIGSTORE_LABEL}-----\n".encode()
        + b"\n".join(lines)
        + f"\n-----END {ENCRYPTED_SIGSTORE_LABEL}-----\n".encode()
    )


#: RFC 1421 §4.6.1.1 header of OpenSSL's legacy PEM encryption (``openssl ec -aes256``).
_PROC_TYPE_ENCRYPTED = re.compile(rb"^Proc-Type:[ \t]*4,[ \t]*ENCRYPTED[ \t]*\r?$", re.MULTILINE)
_DEK_INFO = re.compile(rb"^DEK-Info:[ \t]*([A-Za-z0-9-]+)", re.MULTILINE)

#: The ciphers of legacy PEM encryption that cryptography decrypts.
_LEGACY_PEM_CIPHERS = ("AES-128-CBC", "AES-192-CBC", "AES-256-CBC", "DES-EDE3-CBC")

#: PEM labels of private keys in formats liturgia does not read.
_FOREIGN_PRIVATE_KEYS = {
    "RSA PRIVATE KEY": "an RSA key (PKCS#1); liturgia signs with ECDSA or Ed25519",
    "DSA PRIVATE KEY": "a DSA key; liturgia signs with ECDSA or Ed25519",
    "OPENSSH PRIVATE KEY": (
        "an OpenSSH key; convert it with `ssh-keygen -p -m PKCS8 -f FILE` (a copy)"
    ),
}


def parse_private_key(
    data: bytes, *, password: bytes | None, source: str = "private key"
) -> PrivateKey:
    """Parse a private key in any form we read.

    Accepts cosign's encrypted PEM (needs ``password``), PKCS#8 ``PRIVATE KEY``, PKCS#8
    ``ENCRYPTED PRIVATE KEY`` (RFC 5958, with ``password``), and SEC1 ``EC PRIVATE KEY`` PEM,
    plain or with OpenSSL's legacy encryption (``Proc-Type: 4,ENCRYPTED`` and ``DEK-Info``,
    RFC 1421 §4.6.1, as ``openssl ec -aes256`` writes; AES-CBC or DES-EDE3-CBC).

    Raises:
        KeyPasswordError: the key does not open (wrong password, or corrupt).
        InputError: no key found, a password is needed but missing, a format or cipher that
            is not supported (named, with what to do), or an unsupported key type or curve.
    """
    labels = [label for label, _ in _pem_blocks(data)]
    if ENCRYPTED_SIGSTORE_LABEL in labels or ENCRYPTED_COSIGN_LABEL in labels:
        if password is None:
            raise InputError(f"{source}: the key is encrypted and no password was given")
        return decrypt_private_key(data, password, source=source)
    known = {"PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY"}
    if not known.intersection(labels):
        foreign = next((label for label in labels if label in _FOREIGN_PRIVATE_KEYS), None)
        if foreign is not None:
            raise InputError(
                f"{source}: unsupported key format '{foreign}': {_FOREIGN_PRIVATE_KEYS[foreign]}"
            )
        raise InputError(f"{source}: no private key PEM block found (truncated?)")
    legacy = "EC PRIVATE KEY" in labels and _PROC_TYPE_ENCRYPTED.search(data) is not None
    encrypted = legacy or "ENCRYPTED PRIVATE KEY" in labels
    if encrypted and password is None:
        raise InputError(f"{source}: the key is encrypted and no password was given")
    if legacy:
        _check_legacy_cipher(data, source)
    try:
        key = serialization.load_pem_private_key(data, password=password if encrypted else None)
    except UnsupportedAlgorithm as exc:
        raise InputError(f"{source}: unsupported key encryption: {exc}") from exc
    except (ValueError, TypeError) as exc:
        if "Unknown key encryption algorithm" in str(exc):
            # PKCS#8 EncryptedPrivateKeyInfo whose scheme cryptography does not implement.
            scheme = str(exc).rsplit(":", 1)[-1].strip()
            raise InputError(
                f"{source}: unsupported format: PKCS#8 'ENCRYPTED PRIVATE KEY' encrypted with "
                f"algorithm {scheme}; re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`"
            ) from exc
        raise KeyPasswordError(source) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise InputError(
            f"{source}: unsupported key type {type(key).__name__} (expected ECDSA or Ed25519)"
        )
    _algorithm_of(key.public_key(), source)
    return key


def _check_legacy_cipher(data: bytes, source: str) -> None:
    """Refuse, by name, a legacy-encrypted SEC1 key whose DEK-Info cipher is not supported."""
    match = _DEK_INFO.search(data)
    if match is None:
        raise InputError(
            f"{source}: corrupt key: 'Proc-Type: 4,ENCRYPTED' without a 'DEK-Info' header"
        )
    cipher = match.group(1).decode("ascii").upper()
    if cipher not in _LEGACY_PEM_CIPHERS:
        raise InputError(
            f"{source}: unsupported format: 'EC PRIVATE KEY' encrypted with {cipher} (OpenSSL "
            f"legacy PEM encryption supports {', '.join(_LEGACY_PEM_CIPHERS)} here); re-encrypt "
            "it with `openssl ec -aes256` or `openssl pkcs8 -topk8 -v2 aes-256-cbc`"
        )


def _new_private_key(algorithm: KeyAlgorithm) -> PrivateKey:
    match algorithm:
        case KeyAlgorithm.ECDSA_P256:
            return ec.generate_private_key(ec.SECP256R1())
        case KeyAlgorithm.ECDSA_P384:
            return ec.generate_private_key(ec.SECP384R1())
        case KeyAlgorithm.ED25519:
            return ed25519.Ed25519PrivateKey.generate()


def write_key_pair(
    key: PrivateKey,
    private_path: Path,
    public_path: Path,
    *,
    password: bytes,
    force: bool = False,
) -> KeyPairInfo:
    """Write ``key`` encrypted (mode 0600) and its public PEM, atomically.

    Raises:
        InputError: a target exists and ``force`` is false.
        StorageError: a file cannot be written.
    """
    if not force:
        for target in (private_path, public_path):
            if target.exists():
                raise InputError(f"{target}: already exists (use --force to overwrite)")
    public = PublicKey.from_key(key.public_key())
    atomic_write_bytes(private_path, encrypt_private_key(key, password), mode=0o600)
    atomic_write_bytes(public_path, public.pem)
    return KeyPairInfo(
        private_path=private_path,
        public_path=public_path,
        key_id=public.key_id,
        algorithm=public.algorithm,
    )


def generate_key_pair(
    private_path: Path,
    public_path: Path,
    *,
    password: bytes,
    algorithm: str = "ecdsa-p256",
    force: bool = False,
) -> KeyPairInfo:
    """Generate a key pair and write it in cosign's format (``cosign generate-key-pair``).

    Args:
        private_path: where the encrypted private key goes (PEM, mode 0600).
        public_path: where the public key PEM goes.
        password: encrypts the private key (scrypt N=32768, r=8, p=1; NaCl secretbox).
        algorithm: ``ecdsa-p256`` (default, as cosign), ``ecdsa-p384`` or ``ed25519``.
        force: overwrite existing files; without it an existing file is an error.

    Raises:
        InputError: unknown algorithm, or a target exists and ``force`` is false.
        StorageError: a file cannot be written.
    """
    chosen = KeyAlgorithm.parse(algorithm)
    return write_key_pair(
        _new_private_key(chosen), private_path, public_path, password=password, force=force
    )
