"""Which key references name a local file (the one resolver of sign, attest and release)."""

from __future__ import annotations

from pathlib import Path

from liturgia.sign import key_file_of


def test_key_references_name_a_file_or_a_backend(tmp_path: Path) -> None:
    assert key_file_of("hashivault://release-key") is None
    assert key_file_of("pkcs11:token=release;object=signing") is None
    assert key_file_of("awskms://alias/x") is None  # unknown schemes are never file names
    assert key_file_of("keys/release.key", base=tmp_path) == tmp_path / "keys" / "release.key"
    assert key_file_of("file:keys/r.key", base=tmp_path) == tmp_path / "keys" / "r.key"
    assert key_file_of("/abs/r.key", base=tmp_path) == Path("/abs/r.key")
    assert key_file_of(Path("r.key")) == Path("r.key")
    assert key_file_of("C:/keys/r.key") == Path("C:/keys/r.key")  # one letter: a drive, a path
