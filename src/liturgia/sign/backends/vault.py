"""Signer for keys in Vault's or OpenBao's Transit secrets engine: ``hashivault://KEYNAME``.

cosign's URI form. The key never leaves the server: we send a digest (ECDSA, ``prehashed``)
or the message (Ed25519) to ``transit/sign/KEYNAME`` and get ``vault:v<N>:<base64 signature>``
back; the public key comes from ``transit/keys/KEYNAME``. The server and token come from
``VAULT_ADDR``/``VAULT_TOKEN`` or ``BAO_ADDR``/``BAO_TOKEN``; the engine's mount from
``TRANSIT_SECRET_ENGINE_PATH`` (default ``transit``, as cosign). Needs ``hvac`` (the ``vault``
extra).

Errors are one line naming the server or key: server down, sealed, token refused, key missing
or not a signing key (ConfigError, exit 2, as issue 5 asks for these setup problems).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib
import os
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from liturgia._internal.extras import import_extra
from liturgia.errors import ConfigError, InputError
from liturgia.sign.keys import KeyAlgorithm, PublicKey, parse_public_key
from liturgia.sign.signer import Signer, register_scheme

__all__ = ["VaultSigner"]

_HASH_NAMES = {
    KeyAlgorithm.ECDSA_P256: ("sha2-256", "sha256"),
    KeyAlgorithm.ECDSA_P384: ("sha2-384", "sha384"),
}


def _hvac() -> Any:
    return import_extra("hvac", extra="vault", feature="hashivault:// keys")


def _server() -> tuple[str, str]:
    for addr_var, token_var in (("VAULT_ADDR", "VAULT_TOKEN"), ("BAO_ADDR", "BAO_TOKEN")):
        address = os.environ.get(addr_var)
        if address:
            token = os.environ.get(token_var)
            if not token:
                raise ConfigError(f"{addr_var} is set but {token_var} is not")
            return address, token
    raise ConfigError("hashivault:// keys need VAULT_ADDR and VAULT_TOKEN (or BAO_ADDR/BAO_TOKEN)")


class VaultSigner(Signer):
    """Signs with a Transit key held by a Vault or OpenBao server."""

    def __init__(self, key_name: str, *, address: str, token: str, mount: str = "transit") -> None:
        """Connect and read the key's public half.

        Raises:
            ConfigError: server down or sealed, token refused, key missing or unusable.
        """
        hvac = _hvac()
        self._hvac = hvac
        self._name = key_name
        self._mount = mount
        self._address = address
        self._client = hvac.Client(url=address, token=token, timeout=10)
        data = self._call(
            "read", lambda: self._client.secrets.transit.read_key(name=key_name, mount_point=mount)
        )["data"]
        if not data.get("supports_signing"):
            raise ConfigError(f"{self._where}: key type {data.get('type')!r} cannot sign")
        self._version = int(data["latest_version"])
        material = data["keys"][str(self._version)]["public_key"]
        self._public = self._public_key(material, str(data.get("type")))

    @property
    def _where(self) -> str:
        return f"hashivault://{self._name} at {self._address}"

    def _public_key(self, material: str, key_type: str) -> PublicKey:
        if key_type == "ed25519":
            try:
                raw = base64.b64decode(material, validate=True)
                key = ed25519.Ed25519PublicKey.from_public_bytes(raw)
            except (binascii.Error, ValueError) as exc:
                raise ConfigError(f"{self._where}: malformed ed25519 public key") from exc
            return PublicKey.from_key(key, source=self._where)
        if key_type not in ("ecdsa-p256", "ecdsa-p384"):
            raise ConfigError(
                f"{self._where}: unsupported key type {key_type!r} "
                "(expected ecdsa-p256, ecdsa-p384 or ed25519)"
            )
        try:
            return parse_public_key(material.encode("ascii"), source=self._where)
        except InputError as exc:
            raise ConfigError(str(exc)) from exc

    def _call(self, what: str, request: Any) -> Any:
        exceptions = self._hvac.exceptions
        requests_exceptions = importlib.import_module("requests.exceptions")
        try:
            return request()
        except requests_exceptions.RequestException as exc:
            raise ConfigError(
                f"{self._where}: cannot reach the Vault/OpenBao server ({type(exc).__name__})"
            ) from exc
        except exceptions.VaultDown as exc:
            raise ConfigError(f"{self._where}: the server is sealed or down") from exc
        except (exceptions.Forbidden, exceptions.Unauthorized) as exc:
            raise ConfigError(f"{self._where}: the token was refused ({what})") from exc
        except exceptions.InvalidPath as exc:
            raise ConfigError(
                f"{self._where}: no such transit key (mount {self._mount!r})"
            ) from exc
        except exceptions.VaultError as exc:
            raise ConfigError(f"{self._where}: the server refused to {what}: {exc}") from exc

    @property
    def public_key(self) -> PublicKey:
        """The Transit key's public half (latest version)."""
        return self._public

    def _sign(self, payload: bytes, **options: Any) -> bytes:
        response = self._call(
            "sign",
            lambda: self._client.secrets.transit.sign_data(
                name=self._name,
                hash_input=base64.b64encode(payload).decode("ascii"),
                key_version=self._version,
                mount_point=self._mount,
                **options,
            ),
        )
        text = str(response["data"]["signature"])
        prefix, _, encoded = text.rpartition(":")
        if not prefix.startswith("vault:v"):
            raise ConfigError(f"{self._where}: unexpected signature format {text[:16]!r}")
        return base64.b64decode(encoded)

    def sign(self, data: bytes) -> bytes:
        """Sign ``data``: ECDSA hashes it here and sends the digest; Ed25519 sends it whole."""
        if self.algorithm is KeyAlgorithm.ED25519:
            return self._sign(data)
        return self.sign_digest(hashlib.new(_HASH_NAMES[self.algorithm][1], data).digest())

    def sign_digest(self, digest: bytes) -> bytes:
        """Sign a precomputed digest on the server (``prehashed=true``, ASN.1 DER).

        Raises:
            InputError: the key is Ed25519.
        """
        if self.algorithm is KeyAlgorithm.ED25519:
            raise InputError(f"{self._where}: an Ed25519 key signs whole messages, not digests")
        return self._sign(
            digest,
            hash_algorithm=_HASH_NAMES[self.algorithm][0],
            prehashed=True,
            marshaling_algorithm="asn1",
        )


def _from_uri(rest: str, password: bytes | None) -> Signer:
    del password  # the token comes from the environment
    name = rest.removeprefix("//").strip("/")
    if not name or "/" in name:
        raise InputError(f"hashivault:{rest}: expected hashivault://KEYNAME")
    address, token = _server()
    mount = os.environ.get("TRANSIT_SECRET_ENGINE_PATH", "transit").strip("/") or "transit"
    return VaultSigner(name, address=address, token=token, mount=mount)


register_scheme("hashivault", _from_uri)
