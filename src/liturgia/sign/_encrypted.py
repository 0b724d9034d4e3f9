"""cosign's encrypted private key container: scrypt key derivation and a NaCl secretbox.

The PEM body of an ``ENCRYPTED SIGSTORE PRIVATE KEY`` (or the older ``ENCRYPTED COSIGN PRIVATE
KEY``) block is a JSON document, as written by go-securesystemslib's ``encrypted`` package::

    {"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"<b64>"},
     "cipher":{"name":"nacl/secretbox","nonce":"<b64>"},"ciphertext":"<b64>"}

The key is ``scrypt(password, salt, N, r, p, 32)``; the ciphertext is
``secretbox.Seal(plaintext, nonce, key)`` (XSalsa20-Poly1305, 16-byte tag first). Base64 is
standard with padding (Go's ``encoding/json`` for ``[]byte``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from typing import Any

import nacl.exceptions
import nacl.secret

__all__ = ["DecryptionError", "FormatError", "decrypt", "encrypt"]

#: scrypt parameter sets the readers accept (go-securesystemslib: legacy, standard, OWASP).
#: Anything else is refused, so a tampered file cannot make us burn memory or CPU.
ACCEPTED_SCRYPT_N = frozenset({32768, 65536, 131072})
SCRYPT_R = 8
SCRYPT_P = 1
#: We write the "legacy" N, which every cosign release (old go-tuf reader included) accepts.
WRITE_SCRYPT_N = 32768
SALT_SIZE = 32
KEY_SIZE = 32
_MAXMEM = 256 * 1024 * 1024


class FormatError(ValueError):
    """The container is not well-formed (bad JSON, field, base64 or parameters)."""


class DecryptionError(ValueError):
    """The container is well-formed but the secretbox does not open (wrong password, tampered)."""


def _b64(value: Any, field: str) -> bytes:
    if not isinstance(value, str):
        raise FormatError(f"{field} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FormatError(f"{field} is not valid base64") from exc


def _scrypt(password: bytes, salt: bytes, n: int) -> bytes:
    return hashlib.scrypt(
        password, salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, maxmem=_MAXMEM, dklen=KEY_SIZE
    )


def encrypt(plaintext: bytes, password: bytes) -> bytes:
    """Encrypt ``plaintext`` under ``password``; return the compact JSON container."""
    salt = os.urandom(SALT_SIZE)
    nonce = os.urandom(nacl.secret.SecretBox.NONCE_SIZE)
    box = nacl.secret.SecretBox(_scrypt(password, salt, WRITE_SCRYPT_N))
    ciphertext = box.encrypt(plaintext, nonce).ciphertext
    document = {
        "kdf": {
            "name": "scrypt",
            "params": {"N": WRITE_SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
            "salt": base64.b64encode(salt).decode("ascii"),
        },
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode("ascii")},
        "ciphertext": base64.b64encode(ciphertext).decode("ascii"),
    }
    return json.dumps(document, separators=(",", ":")).encode("ascii")


def decrypt(container: bytes, password: bytes) -> bytes:
    """Open the JSON container with ``password``; return the plaintext.

    Raises:
        FormatError: the JSON or one of its fields is malformed or unsupported.
        DecryptionError: the password is wrong or the ciphertext was altered.
    """
    try:
        document = json.loads(container)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError("the encrypted key is not JSON") from exc
    if not isinstance(document, dict):
        raise FormatError("the encrypted key is not a JSON object")
    kdf = document.get("kdf")
    cipher = document.get("cipher")
    if not isinstance(kdf, dict) or not isinstance(cipher, dict):
        raise FormatError("the encrypted key lacks its kdf or cipher object")
    if kdf.get("name") != "scrypt":
        raise FormatError(f"unknown kdf {kdf.get('name')!r} (expected 'scrypt')")
    if cipher.get("name") != "nacl/secretbox":
        raise FormatError(f"unknown cipher {cipher.get('name')!r} (expected 'nacl/secretbox')")
    params = kdf.get("params")
    if not isinstance(params, dict):
        raise FormatError("the kdf has no params object")
    n, r, p = params.get("N"), params.get("r"), params.get("p")
    if type(n) is not int or n not in ACCEPTED_SCRYPT_N or r != SCRYPT_R or p != SCRYPT_P:
        raise FormatError(f"unsupported scrypt parameters N={n} r={r} p={p}")
    salt = _b64(kdf.get("salt"), "kdf.salt")
    nonce = _b64(cipher.get("nonce"), "cipher.nonce")
    ciphertext = _b64(document.get("ciphertext"), "ciphertext")
    if len(nonce) != nacl.secret.SecretBox.NONCE_SIZE:
        raise FormatError(f"cipher.nonce is {len(nonce)} bytes, expected 24")
    box = nacl.secret.SecretBox(_scrypt(password, salt, int(n)))
    try:
        return bytes(box.decrypt(ciphertext, nonce))
    except nacl.exceptions.CryptoError as exc:
        raise DecryptionError("the secretbox does not open") from exc
