"""Which key references name a local file (the one resolver of sign, attest and release)."""

from __future__ import annotations

from pathlib import Path

import pytest

from liturgia.errors import InputError
from liturgia.sign import key_file_of, load_public_key, open_key_pair


def test_key_references_name_a_file_or_a_backend(tmp_path: Path) -> None:
    assert key_file_of("hashivault://release-key") is None
    assert key_file_of("pkcs11:token=release;object=signing") is None
    assert key_file_of("awskms://alias/x") is None  # unknown schemes are never file names
    assert key_file_of("keys/release.key", base=tmp_path) == tmp_path / "keys" / "release.key"
    assert key_file_of("file:keys/r.key", base=tmp_path) == tmp_path / "keys" / "r.key"
    assert key_file_of("/abs/r.key", base=tmp_path) == Path("/abs/r.key")
    assert key_file_of(Path("r.key")) == Path("r.key")
    assert key_file_of("C:/keys/r.key") == Path("C:/keys/r.key")  # one letter: a drive, a path


def test_a_key_pair_is_the_key_with_the_public_file_beside_it(tmp_path: Path) -> None:
    asked: list[tuple[str, bool]] = []

    def password(purpose: str, confirm: bool) -> bytes:
        asked.append((purpose, confirm))
        return b"correct horse"

    created = open_key_pair("keys/r.key", password=password, create=True, base=tmp_path)
    public = tmp_path / "keys" / "r.pub"
    assert created.public_path == public
    assert created.public_pem() == public.read_bytes()
    assert created.key_id == load_public_key(public).key_id == created.signer.key_id
    opened = open_key_pair(tmp_path / "keys" / "r.key", password=password)
    assert opened.key_id == created.key_id
    assert [confirm for _, confirm in asked] == [True, False]  # a new key is asked twice
    public.unlink()
    with pytest.raises(InputError, match=r"r\.pub: public key not found beside r\.key"):
        open_key_pair(tmp_path / "keys" / "r.key", password=password)
