"""Signer for keys in an HSM or token through PKCS#11: ``pkcs11:`` URIs (RFC 7512).

Example: ``pkcs11:token=release;object=signing?module-path=/usr/lib/softhsm/libsofthsm2.so``.
Path attributes (RFC 7512 §2.3, separated by ``;``): ``token``, ``object``, ``id``,
``manufacturer``, ``serial``, ``model``, ``slot-id``; query attributes (``&``): ``pin-value``,
``pin-source`` (a file holding the PIN), ``module-path``. Values are percent-decoded. Without
``module-path`` the module is ``$LITURGIA_PKCS11_MODULE``, else Debian's SoftHSM2 library. The
PIN is ``pin-value``, else ``pin-source``, else ``$LITURGIA_PKCS11_PIN``, else the password the
caller passes. ECDSA P-256/P-384 keys are supported (``CKM_ECDSA`` over a digest computed here,
so the file never goes to the token); the signature comes back as r||s and is DER-encoded.
Needs ``python-pkcs11`` (the ``hsm`` extra).
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

from cryptography.hazmat.primitives.asymmetric import utils

from liturgia._internal.extras import import_extra
from liturgia.errors import ConfigError, InputError
from liturgia.sign.keys import KeyAlgorithm, PublicKey, parse_public_key
from liturgia.sign.signer import Signer, register_scheme

__all__ = ["Pkcs11Signer", "Pkcs11Uri", "parse_pkcs11_uri"]

DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
_PATH_ATTRIBUTES = frozenset(
    {
        "token",
        "object",
        "id",
        "manufacturer",
        "serial",
        "model",
        "slot-id",
        "type",
        "library-manufacturer",
        "library-description",
        "library-version",
        "slot-manufacturer",
        "slot-description",
    }
)
_QUERY_ATTRIBUTES = frozenset({"pin-value", "pin-source", "module-path", "module-name"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Pkcs11Uri:
    """A parsed ``pkcs11:`` URI.

    Attributes:
        path: path attributes, percent-decoded (``id`` stays bytes in :attr:`key_id_bytes`).
        query: query attributes, percent-decoded.
        key_id_bytes: the raw ``id`` attribute (CKA_ID), if given.
    """

    path: dict[str, str]
    query: dict[str, str]
    key_id_bytes: bytes | None = None

    @property
    def text(self) -> str:
        """A display form without the PIN."""
        parts = ";".join(f"{k}={v}" for k, v in sorted(self.path.items()))
        return f"pkcs11:{parts}"


def parse_pkcs11_uri(uri: str) -> Pkcs11Uri:
    """Parse an RFC 7512 PKCS#11 URI.

    Raises:
        InputError: not ``pkcs11:``, an attribute without ``=``, repeated or unknown, or no
            ``token``/``object``/``id`` to find the key by.
    """
    if not uri.startswith("pkcs11:"):
        raise InputError(f"{uri}: not a pkcs11: URI")
    body = uri.removeprefix("pkcs11:")
    path_part, _, query_part = body.partition("?")
    path: dict[str, str] = {}
    query: dict[str, str] = {}
    key_id: bytes | None = None
    for part, separator, known, target in (
        (path_part, ";", _PATH_ATTRIBUTES, path),
        (query_part, "&", _QUERY_ATTRIBUTES, query),
    ):
        for item in filter(None, part.split(separator)):
            name, eq, value = item.partition("=")
            if not eq:
                raise InputError(f"pkcs11 URI: attribute {name!r} has no value (RFC 7512 §2.3)")
            if name not in known and not name.startswith("x-"):
                raise InputError(f"pkcs11 URI: unknown attribute {name!r}")
            if name in target:
                raise InputError(f"pkcs11 URI: attribute {name!r} given twice")
            raw = unquote_to_bytes(value)
            if name == "id":
                key_id = raw
                target[name] = raw.hex()
            else:
                target[name] = raw.decode("utf-8", errors="replace")
    if not ({"object", "id"} & path.keys()):
        raise InputError("pkcs11 URI: give object=LABEL or id=%XX to name the key")
    return Pkcs11Uri(path=path, query=query, key_id_bytes=key_id)


def _library() -> Any:
    return import_extra("pkcs11", extra="hsm", feature="pkcs11: keys (python-pkcs11)")


class Pkcs11Signer(Signer):
    """Signs with an EC private key that stays on a PKCS#11 token."""

    def __init__(self, uri: Pkcs11Uri, *, pin: str | None) -> None:
        """Find the token and the key pair; read the public key.

        Args:
            uri: the parsed URI.
            pin: the user PIN; without one the public key can be read but nothing signed.

        Raises:
            ConfigError: module missing, token absent, PIN wrong or locked, key not found.
        """
        self._p11 = _library()
        self._uri = uri
        self._pin = pin
        module = uri.query.get("module-path") or os.environ.get(
            "LITURGIA_PKCS11_MODULE", DEFAULT_MODULE
        )
        if not Path(module).is_file():
            raise ConfigError(f"{uri.text}: PKCS#11 module {module} not found")
        try:
            self._lib = self._p11.lib(module)
        except RuntimeError as exc:
            raise ConfigError(f"{uri.text}: cannot load PKCS#11 module {module}: {exc}") from exc
        self._token = self._find_token()
        # Public objects are readable without logging in: the PIN is needed only to sign.
        with self._session(login=self._pin is not None) as session:
            public = self._find(session, self._p11.ObjectClass.PUBLIC_KEY)
            der = importlib.import_module("pkcs11.util.ec").encode_ec_public_key(public)
        pem = b"-----BEGIN PUBLIC KEY-----\n%b-----END PUBLIC KEY-----\n" % base64.encodebytes(der)
        try:
            self._public = parse_public_key(pem, source=uri.text)
        except InputError as exc:
            raise ConfigError(str(exc)) from exc

    def _find_token(self) -> Any:
        criteria: dict[str, Any] = {}
        names = {
            "token": "token_label",
            "serial": "token_serial",
            "manufacturer": "manufacturer_id",
            "model": "model",
        }
        for attribute, keyword in names.items():
            if attribute in self._uri.path:
                criteria[keyword] = self._uri.path[attribute]
        exceptions = self._p11.exceptions
        try:
            return self._lib.get_token(**criteria)
        except exceptions.NoSuchToken as exc:
            raise ConfigError(
                f"{self._uri.text}: no such token (absent or not initialised)"
            ) from exc
        except exceptions.MultipleTokensReturned as exc:
            raise ConfigError(f"{self._uri.text}: several tokens match; add token=LABEL") from exc

    def _session(self, *, login: bool = True) -> Any:
        exceptions = self._p11.exceptions
        if not login:
            try:
                return self._token.open()
            except exceptions.TokenNotPresent as exc:
                raise ConfigError(f"{self._uri.text}: the token is not present") from exc
        if self._pin is None:
            raise ConfigError(
                f"{self._uri.text}: no PIN: add pin-value/pin-source or set LITURGIA_PKCS11_PIN"
            )
        try:
            return self._token.open(user_pin=self._pin)
        except exceptions.PinLocked as exc:
            raise ConfigError(f"{self._uri.text}: the token's PIN is locked") from exc
        except (exceptions.PinIncorrect, exceptions.PinInvalid, exceptions.PinLenRange) as exc:
            raise ConfigError(f"{self._uri.text}: wrong PIN") from exc
        except exceptions.TokenNotPresent as exc:
            raise ConfigError(f"{self._uri.text}: the token is not present") from exc

    def _find(self, session: Any, object_class: Any) -> Any:
        query: dict[str, Any] = {"object_class": object_class}
        if "object" in self._uri.path:
            query["label"] = self._uri.path["object"]
        if self._uri.key_id_bytes is not None:
            query["id"] = self._uri.key_id_bytes
        exceptions = self._p11.exceptions
        try:
            key = session.get_key(**query)
        except exceptions.NoSuchKey as exc:
            raise ConfigError(f"{self._uri.text}: no such key on the token") from exc
        except exceptions.MultipleObjectsReturned as exc:
            raise ConfigError(f"{self._uri.text}: several keys match; add id=") from exc
        if key.key_type != self._p11.KeyType.EC:
            raise ConfigError(f"{self._uri.text}: key type {key.key_type.name} (expected EC)")
        return key

    @property
    def public_key(self) -> PublicKey:
        """The token key's public half."""
        return self._public

    def sign(self, data: bytes) -> bytes:
        """Hash ``data`` here and sign the digest on the token."""
        name = "sha384" if self.algorithm is KeyAlgorithm.ECDSA_P384 else "sha256"
        return self.sign_digest(hashlib.new(name, data).digest())

    def sign_digest(self, digest: bytes) -> bytes:
        """Sign a digest with ``CKM_ECDSA``; return it DER-encoded (RFC 3279 §2.2.3)."""
        with self._session() as session:
            private = self._find(session, self._p11.ObjectClass.PRIVATE_KEY)
            raw = private.sign(digest, mechanism=self._p11.Mechanism.ECDSA)
        half = len(raw) // 2
        r, s = int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
        return utils.encode_dss_signature(r, s)


def _pin_for(uri: Pkcs11Uri, password: bytes | None) -> str | None:
    if "pin-value" in uri.query:
        return uri.query["pin-value"]
    if "pin-source" in uri.query:
        source = uri.query["pin-source"].removeprefix("file:")
        try:
            return Path(source).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InputError(f"{source}: cannot read the PIN file: {exc.strerror or exc}") from exc
    env = os.environ.get("LITURGIA_PKCS11_PIN")
    if env is not None:
        return env
    return password.decode("utf-8") if password is not None else None


def _from_uri(rest: str, password: bytes | None) -> Signer:
    uri = parse_pkcs11_uri(f"pkcs11:{rest}")
    return Pkcs11Signer(uri, pin=_pin_for(uri, password))


register_scheme("pkcs11", _from_uri)
