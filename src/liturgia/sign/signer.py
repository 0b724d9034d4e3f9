"""The signer interface and the key-reference registry (``file:``, a plain path, later HSM/KMS).

A key reference is resolved by URI scheme, as securesystemslib's ``CryptoSigner`` registry does:
``file:PATH`` or a bare path loads an encrypted key file; other schemes are registered by
their backend modules. Every signer exposes its public key, signs whole messages (DSSE PAE) and,
for ECDSA, digests computed elsewhere (so artifacts are hashed in one streaming pass).
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from liturgia._internal.files import read_bytes
from liturgia.errors import InputError
from liturgia.sign.keys import KeyAlgorithm, PublicKey, generate_key_pair, load_public_key

__all__ = [
    "KeyPair",
    "OpenedKey",
    "PasswordProvider",
    "Signer",
    "SignerFactory",
    "key_file_of",
    "load_signer",
    "load_verification_key",
    "open_key_pair",
    "open_signer",
    "register_scheme",
]

#: Builds a signer from the part of the reference after ``scheme:`` and a password.
SignerFactory = Callable[[str, bytes | None], "Signer"]

#: ``(purpose, confirm) -> password``: asked only for an encrypted key file (``confirm``: a new
#: key, ask twice).
PasswordProvider = Callable[[str, bool], bytes]

_SCHEMES: dict[str, SignerFactory] = {}

#: Backends shipped with liturgia, imported on first use of their scheme (they register it).
_BUILTIN_BACKENDS = {
    "file": "liturgia.sign.backends.file",
    "hashivault": "liturgia.sign.backends.vault",
    "pkcs11": "liturgia.sign.backends.pkcs11",
}


class Signer(ABC):
    """Something that signs with one private key.

    Subclasses implement :meth:`sign` and :meth:`sign_digest`; the base carries the derived
    properties.
    """

    @property
    @abstractmethod
    def public_key(self) -> PublicKey:
        """The verification key matching this signer."""

    @abstractmethod
    def sign(self, data: bytes) -> bytes:
        """Sign ``data``: ECDSA (DER, RFC 3279 §2.2.3) over its hash, or pure Ed25519."""

    @abstractmethod
    def sign_digest(self, digest: bytes) -> bytes:
        """Sign a digest of the key's hash (SHA-256 for P-256, SHA-384 for P-384).

        Raises:
            InputError: the key is Ed25519, which signs messages rather than digests.
        """

    @property
    def algorithm(self) -> KeyAlgorithm:
        """The key's algorithm."""
        return self.public_key.algorithm

    @property
    def key_id(self) -> str:
        """Hex SHA-256 of the public key's DER SubjectPublicKeyInfo."""
        return self.public_key.key_id


def register_scheme(scheme: str, factory: SignerFactory) -> None:
    """Register ``factory`` for key references ``scheme:...`` (lower-case scheme)."""
    _SCHEMES[scheme] = factory


def _scheme_of(ref: str) -> tuple[str, str] | None:
    head, sep, rest = ref.partition(":")
    if sep and head.isalnum() and len(head) > 1 and head.lower() == head:
        return head, rest
    return None


def load_signer(ref: str | Path, *, password: bytes | None) -> Signer:
    """Resolve a key reference to a :class:`Signer`.

    Args:
        ref: a key file path, ``file:PATH``, or a URI of a registered scheme.
        password: the key password (encrypted key files need one).

    Raises:
        InputError: unknown scheme, missing file, wrong password, corrupt or unsupported key.
    """
    # The file backend is found through the registry like every other: backends import this
    # module to register themselves, never the other way round.
    if isinstance(ref, Path):
        return _factory("file", str(ref))(str(ref), password)
    parsed = _scheme_of(ref)
    if parsed is None:
        return _factory("file", ref)(ref, password)
    scheme, rest = parsed
    return _factory(scheme, ref)(rest, password)


def _factory(scheme: str, ref: str) -> SignerFactory:
    """The registered factory of ``scheme``, importing a built-in backend on first use."""
    if scheme not in _SCHEMES and scheme in _BUILTIN_BACKENDS:
        importlib.import_module(_BUILTIN_BACKENDS[scheme])
    factory = _SCHEMES.get(scheme)
    if factory is None:
        known = ", ".join(sorted(f"{s}:" for s in _SCHEMES.keys() | _BUILTIN_BACKENDS.keys()))
        raise InputError(f"{ref}: unsupported key reference scheme {scheme!r} (known: {known})")
    return factory


def key_file_of(ref: str | Path, *, base: Path | None = None) -> Path | None:
    """The local key file a key reference names, or ``None`` for a backend URI.

    A reference is a backend URI when it starts with a scheme of two or more lower-case letters
    or digits and a colon (``hashivault://KEY``, ``pkcs11:token=...``, an unknown ``awskms://``
    too: it is never taken for a file name); ``file:PATH`` and anything else is a path.

    Args:
        ref: the key reference, as given on the command line or in the configuration.
        base: the folder a relative path is relative to (default: the working folder).
    """
    if isinstance(ref, Path):
        path = ref
    else:
        parsed = _scheme_of(ref)
        if parsed is not None and parsed[0] != "file":
            return None
        path = Path(parsed[1] if parsed is not None else ref).expanduser()
    return base / path if base is not None and not path.is_absolute() else path


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenedKey:
    """A signing key opened from its reference.

    Attributes:
        signer: signs digests and messages.
        path: the private key file of a local key; ``None`` for a backend (Vault, PKCS#11).
        created: the key pair was created by this call (a local key on first use).
    """

    signer: Signer
    path: Path | None
    created: bool = False


def open_signer(
    ref: str | Path,
    *,
    password: PasswordProvider,
    create: bool = False,
    base: Path | None = None,
) -> OpenedKey:
    """Open a signing key from its reference: the one resolver of ``sign``, ``attest``, ``release``.

    A backend URI (``hashivault://``, ``pkcs11:``) is opened by its backend and never created
    here; a reference with an unknown scheme is refused, never taken for a file name. A local
    key file is asked a password only when it is encrypted; a missing one is created (encrypted,
    with its ``.pub`` beside it) only when ``create`` is true.

    Args:
        ref: a key file path, ``file:PATH``, or a URI of a registered scheme.
        password: asked for the password of an encrypted key file (or of a new key).
        create: create a missing local key pair instead of refusing it.
        base: the folder a relative key path is relative to.

    Raises:
        InputError: missing key file (without ``create``), wrong password, corrupt or unsupported
            key, unknown scheme.
        ConfigError: the backend cannot be reached or has no such key (Vault, PKCS#11).
    """
    path = key_file_of(ref, base=base)
    if path is None:
        return OpenedKey(signer=load_signer(str(ref), password=None), path=None)
    if create and not path.exists():
        chosen = password(f"new password for {path}", True)
        generate_key_pair(path, path.with_suffix(".pub"), password=chosen)
        return OpenedKey(signer=load_signer(path, password=chosen), path=path, created=True)
    try:
        encrypted = b"ENCRYPTED" in path.read_bytes()
    except OSError:
        encrypted = False  # loading names the missing or unreadable file
    secret = password(f"password for {path}", False) if encrypted else None
    return OpenedKey(signer=load_signer(path, password=secret), path=path)


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyPair:
    """A signing key opened with the public half a release publishes.

    Attributes:
        signer: signs digests and messages.
        public_key: the public key, for verification.
        public_path: the ``.pub`` file beside a local private key; ``None`` for a key held by a
            backend (Vault/OpenBao Transit, a PKCS#11 token), whose public half comes from it.
        key_id: hex SHA-256 of the DER SubjectPublicKeyInfo.
    """

    signer: Signer
    public_key: PublicKey
    public_path: Path | None
    key_id: str

    def public_pem(self) -> bytes:
        """The public key file to publish: the ``.pub`` file's own bytes, or the key's PEM.

        Raises:
            InputError: the ``.pub`` file can no longer be read.
        """
        if self.public_path is not None:
            return read_bytes(self.public_path, what="public key")
        return self.public_key.pem


def open_key_pair(
    ref: str | Path,
    *,
    password: PasswordProvider,
    create: bool = False,
    base: Path | None = None,
) -> KeyPair:
    """Open a signing key (:func:`open_signer`) with its public half (the ``.pub`` beside a local
    key file, or the backend's key), as a release that publishes its public key needs.

    Args:
        ref: a key file path, ``file:PATH``, or a URI of a registered scheme.
        password: asked for the password of an encrypted key file (or of a new key).
        create: create a missing local key pair (encrypted, with its ``.pub``).
        base: the folder a relative key path is relative to.

    Raises:
        InputError: wrong password, corrupt key file, unknown key scheme, or no public key
            beside a local key file.
        ConfigError: the key's backend cannot be reached or has no such key.
    """
    opened = open_signer(ref, password=password, create=create, base=base)
    if opened.path is None:
        public_key = opened.signer.public_key
        public_path = None
    else:
        public_path = opened.path.with_suffix(".pub")
        if not public_path.is_file():
            raise InputError(f"{public_path}: public key not found beside {opened.path.name}")
        public_key = load_public_key(public_path)
    return KeyPair(
        signer=opened.signer,
        public_key=public_key,
        public_path=public_path,
        key_id=public_key.key_id,
    )


def load_verification_key(ref: str | Path) -> PublicKey:
    """Resolve a verification key reference to a :class:`PublicKey`.

    Args:
        ref: a public key PEM file (path or ``file:PATH``), or a key URI of a registered
            scheme (``hashivault://KEY``, ``pkcs11:...``) whose public half is read from the
            server or token without any secret (Vault/OpenBao still needs its token).

    Raises:
        InputError: missing or malformed PEM, unsupported key type or curve, unknown scheme.
        ConfigError: the server or token cannot be reached or has no such key.
    """
    if isinstance(ref, Path):
        return load_public_key(ref)
    parsed = _scheme_of(ref)
    if parsed is None:
        return load_public_key(Path(ref))
    if parsed[0] == "file":
        return load_public_key(Path(parsed[1]))
    return load_signer(ref, password=None).public_key
