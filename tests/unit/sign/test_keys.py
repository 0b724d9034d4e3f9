"""Keys at rest in cosign's format: cosign's own vectors, generation, bad input."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from liturgia.errors import InputError
from liturgia.sign import (
    KeyAlgorithm,
    generate_key_pair,
    key_id,
    load_public_key,
    load_signer,
    load_verification_key,
    parse_private_key,
    parse_public_key,
)
from liturgia.sign.backends.file import FileSigner
from liturgia.sign.keys import decrypt_private_key, encrypt_private_key

PASSWORD = b"hello"


def _pem_body(data: bytes) -> bytes:
    match = re.search(rb"-----BEGIN [A-Z ]+-----\n(.*?)-----END", data, re.DOTALL)
    assert match is not None
    return base64.b64decode(b"".join(match.group(1).split()))


@pytest.mark.parametrize("name", ["pemsigstorekey", "pemcosignkey"])
def test_cosign_keys_load_and_derive_the_exact_public_key(cosign_keys: Path, name: str) -> None:
    signer = load_signer(cosign_keys / f"{name}.key", password=PASSWORD)
    expected = (cosign_keys / f"{name}.pub").read_bytes()
    assert signer.public_key.pem == expected
    assert signer.algorithm is KeyAlgorithm.ECDSA_P256
    # The key id is the hex SHA-256 of the DER SubjectPublicKeyInfo inside the .pub file.
    assert signer.key_id == hashlib.sha256(_pem_body(expected)).hexdigest()
    assert key_id(load_public_key(cosign_keys / f"{name}.pub")) == signer.key_id


def test_cosign_sec1_key_is_refused_with_a_clear_message(cosign_keys: Path) -> None:
    path = cosign_keys / "pemcosigneckey.key"
    with pytest.raises(InputError) as caught:
        load_signer(path, password=PASSWORD)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "not PKCS#8" in message and "SEC1" in message
    assert "\n" not in message


def test_wrong_password_names_the_file(cosign_keys: Path) -> None:
    path = cosign_keys / "pemsigstorekey.key"
    with pytest.raises(InputError, match=r"pemsigstorekey\.key: wrong password or corrupt key$"):
        load_signer(str(path), password=b"nope")


def test_encrypted_key_without_password(cosign_keys: Path) -> None:
    with pytest.raises(InputError, match="encrypted and no password"):
        load_signer(cosign_keys / "pemsigstorekey.key", password=None)


def test_truncated_key_file(tmp_path: Path, cosign_keys: Path) -> None:
    data = (cosign_keys / "pemsigstorekey.key").read_bytes()
    path = tmp_path / "cut.key"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        InputError, match=r"cut\.key: no private key PEM block found \(truncated\?\)"
    ):
        load_signer(path, password=PASSWORD)


def _rewrap(container: dict[str, object], label: str = "ENCRYPTED SIGSTORE PRIVATE KEY") -> bytes:
    body = base64.b64encode(json.dumps(container).encode()).decode()
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n".encode()


def _container(cosign_keys: Path) -> dict[str, object]:
    raw = _pem_body((cosign_keys / "pemsigstorekey.key").read_bytes())
    container = json.loads(raw)
    assert isinstance(container, dict)
    return container


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda c: c.update(ciphertext=c["ciphertext"][:-8] + "AAAAAAA="), "wrong password or"),
        (lambda c: c.update(ciphertext="%%%"), "ciphertext is not valid base64"),
        (lambda c: c["kdf"]["params"].update(N=1024), "unsupported scrypt parameters N=1024"),
        (lambda c: c["kdf"]["params"].update(N=[32768]), "unsupported scrypt parameters N=[32768]"),
        (lambda c: c["kdf"].update(name="argon2"), "unknown kdf 'argon2'"),
        (lambda c: c["cipher"].update(name="aes-gcm"), "unknown cipher 'aes-gcm'"),
        (lambda c: c["cipher"].update(nonce="AAAA"), "cipher.nonce is 3 bytes"),
        (lambda c: c.pop("kdf"), "lacks its kdf or cipher"),
        (lambda c: c["kdf"].pop("params"), "no params object"),
        (lambda c: c["kdf"].update(salt=7), "kdf.salt is not a base64 string"),
    ],
)
def test_corrupt_containers(tmp_path: Path, cosign_keys: Path, mutate, reason: str) -> None:
    container = _container(cosign_keys)
    mutate(container)
    path = tmp_path / "bad.key"
    path.write_bytes(_rewrap(container))
    with pytest.raises(InputError, match=re.escape(reason)) as caught:
        load_signer(path, password=PASSWORD)
    assert str(caught.value).startswith(f"{path}: ")


def test_container_that_is_not_json(tmp_path: Path) -> None:
    body = base64.b64encode(b"not json at all").decode()
    path = tmp_path / "x.key"
    path.write_text(
        f"-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n{body}\n"
        "-----END ENCRYPTED COSIGN PRIVATE KEY-----\n"
    )
    with pytest.raises(InputError, match="corrupt encrypted key: the encrypted key is not JSON"):
        load_signer(path, password=PASSWORD)
    path.write_bytes(_rewrap([1, 2], label="ENCRYPTED COSIGN PRIVATE KEY"))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="not a JSON object"):
        load_signer(path, password=PASSWORD)


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="private key not found"):
        load_signer(tmp_path / "absent.key", password=PASSWORD)


@pytest.mark.parametrize("algorithm", list(KeyAlgorithm))
def test_generate_round_trip(tmp_path: Path, algorithm: KeyAlgorithm) -> None:
    private, public = tmp_path / "cosign.key", tmp_path / "cosign.pub"
    info = generate_key_pair(private, public, password=b"s3cret", algorithm=algorithm.value)
    assert info.algorithm is algorithm
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    text = private.read_text()
    assert text.startswith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    assert text.endswith("-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    assert all(len(line) <= 64 for line in text.splitlines())
    container = json.loads(_pem_body(private.read_bytes()))
    assert list(container) == ["kdf", "cipher", "ciphertext"]
    assert container["kdf"]["name"] == "scrypt"
    assert container["kdf"]["params"] == {"N": 32768, "r": 8, "p": 1}
    assert len(base64.b64decode(container["kdf"]["salt"])) == 32
    assert container["cipher"]["name"] == "nacl/secretbox"
    assert len(base64.b64decode(container["cipher"]["nonce"])) == 24
    signer = load_signer(f"file:{private}", password=b"s3cret")
    assert signer.public_key.pem == public.read_bytes()
    assert signer.key_id == info.key_id == key_id(load_public_key(public))
    assert signer.algorithm is algorithm


def test_generate_never_overwrites_without_force(tmp_path: Path) -> None:
    private, public = tmp_path / "k.key", tmp_path / "k.pub"
    first = generate_key_pair(private, public, password=b"a")
    before = private.read_bytes()
    with pytest.raises(InputError, match=r"k\.key: already exists \(use --force"):
        generate_key_pair(private, public, password=b"b")
    assert private.read_bytes() == before
    public.unlink()
    private_only = tmp_path / "other.key"
    with pytest.raises(InputError, match=r"k\.key: already exists"):
        generate_key_pair(private, tmp_path / "k.pub", password=b"b")
    assert not private_only.exists()
    second = generate_key_pair(private, public, password=b"b", force=True)
    assert second.key_id != first.key_id
    assert load_signer(private, password=b"b").key_id == second.key_id


def test_generate_unknown_algorithm(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unsupported key algorithm 'rsa-2048'"):
        generate_key_pair(tmp_path / "k", tmp_path / "p", password=b"", algorithm="rsa-2048")
    assert not (tmp_path / "k").exists()


def test_empty_password_round_trip() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = encrypt_private_key(key, b"")
    loaded = decrypt_private_key(pem, b"")
    assert loaded.private_numbers() == key.private_numbers()  # type: ignore[union-attr]


def _spki_pem(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_public_key_errors(tmp_path: Path) -> None:
    path = tmp_path / "k.pub"
    path.write_text("not a key\n")
    with pytest.raises(InputError, match=r"k\.pub: not a PEM public key"):
        load_public_key(path)
    path.write_bytes(_spki_pem(ec.generate_private_key(ec.SECP521R1()).public_key()))
    with pytest.raises(InputError, match=r"k\.pub: unsupported curve secp521r1"):
        load_public_key(path)
    path.write_bytes(_spki_pem(rsa.generate_private_key(65537, 2048).public_key()))
    with pytest.raises(InputError, match=r"unsupported key type .*RSA"):
        load_public_key(path)
    path.write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(InputError, match=r"k\.pub: malformed public key"):
        load_public_key(path)
    with pytest.raises(InputError, match="public key not found"):
        load_public_key(tmp_path / "absent.pub")


def test_key_id_known_answer() -> None:
    # An Ed25519 SPKI is a fixed 12-byte prefix + the 32-byte key: compute the id by hand.
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    der = bytes.fromhex("302a300506032b6570032100") + raw
    public = parse_public_key(_spki_pem(key.public_key()))
    assert public.der == der
    assert key_id(public) == hashlib.sha256(der).hexdigest()


def test_parse_plain_private_key_forms() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    pkcs8 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    sec1 = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    want = key.private_numbers()
    for data, password in ((pkcs8, None), (sec1, None), (encrypted, b"pw")):
        parsed = parse_private_key(data, password=password)
        assert isinstance(parsed, ec.EllipticCurvePrivateKey)
        assert parsed.private_numbers() == want
    with pytest.raises(InputError, match="encrypted and no password"):
        parse_private_key(encrypted, password=None)
    with pytest.raises(InputError, match="k: wrong password or corrupt key"):
        parse_private_key(encrypted, password=b"bad", source="k")
    rsa_pem = rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(InputError, match="unsupported key type"):
        parse_private_key(rsa_pem, password=None)
    k1 = ec.generate_private_key(ec.SECP256K1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(InputError, match="unsupported curve secp256k1"):
        parse_private_key(k1, password=None)


def test_encrypted_container_of_unsupported_keys_is_refused() -> None:
    # An RSA or secp256k1 key inside a well-formed cosign container: refused after decryption.
    k1 = ec.generate_private_key(ec.SECP256K1())
    with pytest.raises(InputError, match="unsupported curve secp256k1"):
        decrypt_private_key(encrypt_private_key(k1, b"x"), b"x")  # type: ignore[arg-type]


def test_signer_references(tmp_path: Path) -> None:
    private, public = tmp_path / "k.key", tmp_path / "k.pub"
    generate_key_pair(private, public, password=b"pw")
    by_path = load_signer(private, password=b"pw")
    by_str = load_signer(str(private), password=b"pw")
    by_uri = load_signer(f"file:{private}", password=b"pw")
    assert by_path.key_id == by_str.key_id == by_uri.key_id
    with pytest.raises(InputError, match=r"unsupported key reference scheme 'awskms'"):
        load_signer("awskms:///alias/x", password=None)


def test_ed25519_signer_refuses_digests() -> None:
    signer = FileSigner(ed25519.Ed25519PrivateKey.generate())
    with pytest.raises(InputError, match="signs whole messages"):
        signer.sign_digest(b"\0" * 32)


def test_algorithm_names_match_protobuf_specs() -> None:
    assert [a.sigstore_details for a in KeyAlgorithm] == [
        "PKIX_ECDSA_P256_SHA_256",
        "PKIX_ECDSA_P384_SHA_384",
        "PKIX_ED25519",
    ]
    assert [a.hash_name for a in KeyAlgorithm] == ["SHA2_256", "SHA2_384", "SHA2_256"]


def test_verification_key_references(tmp_path: Path) -> None:
    private, public = tmp_path / "k.key", tmp_path / "k.pub"
    info = generate_key_pair(private, public, password=b"pw")
    for ref in (public, str(public), f"file:{public}"):
        assert load_verification_key(ref).key_id == info.key_id
    with pytest.raises(InputError, match="not a PEM public key"):
        load_verification_key(private)
    with pytest.raises(InputError, match="unsupported key reference scheme 'awskms'"):
        load_verification_key("awskms:///alias/x")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def test_openssl_legacy_encrypted_sec1_keys(tmp_path: Path) -> None:
    """Issue 10 item 9: `openssl ec -aes256` output (Proc-Type: 4,ENCRYPTED) imports with the
    right password; a wrong password and an unsupported cipher are told apart."""
    _openssl(
        "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "plain.pem", cwd=tmp_path
    )
    want = parse_private_key((tmp_path / "plain.pem").read_bytes(), password=None)
    assert isinstance(want, ec.EllipticCurvePrivateKey)
    for cipher in ("aes256", "aes128", "des3"):
        out = f"ec-{cipher}.pem"
        _openssl("ec", "-in", "plain.pem", f"-{cipher}", "-passout", "pass:right", "-out", out,
                 cwd=tmp_path)  # fmt: skip
        data = (tmp_path / out).read_bytes()
        assert data.startswith(b"-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n")
        key = parse_private_key(data, password=b"right", source=out)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        assert key.private_numbers() == want.private_numbers()
        with pytest.raises(InputError, match=rf"^{out}: wrong password or corrupt key$"):
            parse_private_key(data, password=b"wrong", source=out)
        with pytest.raises(InputError, match=rf"^{out}: the key is encrypted and no password"):
            parse_private_key(data, password=None, source=out)
    _openssl("ec", "-in", "plain.pem", "-camellia256", "-passout", "pass:right", "-out", "cam.pem",
             cwd=tmp_path)  # fmt: skip
    with pytest.raises(InputError) as caught:
        parse_private_key((tmp_path / "cam.pem").read_bytes(), password=b"right", source="cam.pem")
    assert str(caught.value).startswith(
        "cam.pem: unsupported format: 'EC PRIVATE KEY' encrypted with CAMELLIA-256-CBC"
    )
    _openssl("pkcs8", "-topk8", "-in", "plain.pem", "-v2", "camellia-256-cbc", "-passout",
             "pass:right", "-out", "p8cam.pem", cwd=tmp_path)  # fmt: skip
    with pytest.raises(InputError) as caught:
        parse_private_key((tmp_path / "p8cam.pem").read_bytes(), password=b"right", source="p8")
    assert str(caught.value).startswith(
        "p8: unsupported format: PKCS#8 'ENCRYPTED PRIVATE KEY' encrypted with algorithm "
        "1.2.392.200011.61.1.1.1.4"
    )
    _openssl("pkcs8", "-topk8", "-in", "plain.pem", "-scrypt", "-passout", "pass:right", "-out",
             "p8scrypt.pem", cwd=tmp_path)  # fmt: skip
    scrypt = (tmp_path / "p8scrypt.pem").read_bytes()
    assert parse_private_key(scrypt, password=b"right").private_numbers() == (  # type: ignore[union-attr]
        want.private_numbers()
    )


def test_sec1_keys_encrypted_by_cryptography_and_foreign_formats() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    legacy = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.BestAvailableEncryption(b"pw"),
    )
    assert b"Proc-Type: 4,ENCRYPTED" in legacy
    parsed = parse_private_key(legacy, password=b"pw")
    assert parsed.private_numbers() == key.private_numbers()  # type: ignore[union-attr]
    with pytest.raises(InputError, match=r"^k: wrong password or corrupt key$"):
        parse_private_key(legacy, password=b"nope", source="k")
    no_dek = legacy.replace(b"DEK-Info:", b"X-Info:")
    with pytest.raises(InputError, match="without a 'DEK-Info' header"):
        parse_private_key(no_dek, password=b"pw", source="k")
    rsa_pkcs1 = rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    with pytest.raises(InputError, match=r"^k: unsupported key format 'RSA PRIVATE KEY': an RSA"):
        parse_private_key(rsa_pkcs1, password=None, source="k")
    openssh = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    with pytest.raises(
        InputError, match=r"unsupported key format .OPENSSH PRIVATE KEY.*ssh-keygen"
    ):
        parse_private_key(openssh, password=None, source="k")
