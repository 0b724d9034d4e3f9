"""RFC 7512 PKCS#11 URI parsing (no token needed)."""

from __future__ import annotations

import pytest

from liturgia.errors import InputError
from liturgia.sign.backends.pkcs11 import parse_pkcs11_uri


def test_parse_full_uri() -> None:
    uri = parse_pkcs11_uri(
        "pkcs11:token=Release%20Token;object=signing;id=%01%AB;serial=42"
        "?pin-value=12%3D34&module-path=/usr/lib/x.so"
    )
    assert uri.path == {"token": "Release Token", "object": "signing", "id": "01ab", "serial": "42"}
    assert uri.key_id_bytes == b"\x01\xab"
    assert uri.query == {"pin-value": "12=34", "module-path": "/usr/lib/x.so"}
    assert uri.text == "pkcs11:id=01ab;object=signing;serial=42;token=Release Token"
    assert "pin" not in uri.text


def test_vendor_attributes_are_allowed() -> None:
    assert parse_pkcs11_uri("pkcs11:object=k;x-vendor=1").path["x-vendor"] == "1"


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("file:/x", "not a pkcs11: URI"),
        ("pkcs11:token=release", "give object=LABEL or id="),
        ("pkcs11:object", "attribute 'object' has no value"),
        ("pkcs11:object=a;object=b", "given twice"),
        ("pkcs11:object=a;colour=red", "unknown attribute 'colour'"),
        ("pkcs11:object=a?pin=1", "unknown attribute 'pin'"),
    ],
)
def test_bad_uris(uri: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        parse_pkcs11_uri(uri)
