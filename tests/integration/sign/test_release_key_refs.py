"""A release opens its key exactly as ``liturgia sign`` does (issue 10 item 3).

The failing input: ``[signing] key = "hashivault://release-key"`` made ``liturgia release``
create a new local key pair in a folder named ``hashivault:``, sign with it and report GO. Here
a tiny project in a real git repository is released with keys held by a real OpenBao server
(Transit) and a real SoftHSM2 token.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liturgia.cli import main
from liturgia.sign import load_public_key, load_verification_key
from tests.integration.release.tiny import make_tiny

from .conftest import PIN, Bao


@pytest.fixture
def bao_env(bao: Bao, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Bao:
    for var in ("VAULT_ADDR", "VAULT_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("BAO_ADDR", bao.address)
    monkeypatch.setenv("BAO_TOKEN", "root")
    # A local default key exists: a release must still not fall back to it.
    monkeypatch.setenv("LITURGIA_KEY", str(tmp_path / "keys" / "release.key"))
    monkeypatch.setenv("LITURGIA_PASSWORD", "correct horse")
    return bao


def _release(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object], str]:
    code = main(["release", "--dry-run", "--project", str(repo), "--format", "json"])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out else {}), out.err


def _no_local_key_made(repo: Path, tmp_path: Path) -> None:
    assert not any(":" in path.name for path in repo.rglob("*"))
    assert not (tmp_path / "keys").exists()


@pytest.mark.usefixtures("bao_env")
def test_a_vault_key_signs_the_release(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_tiny(tmp_path / "tiny", signing="hashivault://p256")
    code, summary, err = _release(repo, capsys)
    assert code == 0, err
    folder = Path(str(summary["directory"]))
    published = load_public_key(folder / "release-key.pub")
    assert published == load_verification_key("hashivault://p256")
    _no_local_key_made(repo, tmp_path)
    trusted = tmp_path / "vault.pub"  # the key as the server gives it, not the shipped copy
    trusted.write_bytes(load_verification_key("hashivault://p256").pem)
    assert main(["verify", str(folder), "--key", str(trusted)]) == 0


@pytest.mark.usefixtures("bao_env")
@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("hashivault://release-key", "release-key"),  # the input: no such Transit key
        ("hashivault://aes", "aes"),  # a key that cannot sign
        ("awskms://alias/release", "unsupported key reference scheme 'awskms'"),
    ],
)
def test_a_backend_key_that_cannot_be_opened_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ref: str, message: str
) -> None:
    repo = make_tiny(tmp_path / "tiny", signing=ref)
    code, summary, err = _release(repo, capsys)
    assert (code, summary) == (2, {})
    line = err.strip().splitlines()[-1]
    assert line.startswith("liturgia: error: ") and message in line
    _no_local_key_made(repo, tmp_path)
    assert not list((repo / "dist").glob("tiny-*"))


def test_without_a_server_the_vault_key_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("VAULT_ADDR", "VAULT_TOKEN", "BAO_ADDR", "BAO_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LITURGIA_PASSWORD", "correct horse")
    repo = make_tiny(tmp_path / "tiny", signing="hashivault://p256")
    code, _summary, err = _release(repo, capsys)
    assert code == 2
    assert "hashivault:// keys need VAULT_ADDR and VAULT_TOKEN" in err
    _no_local_key_made(repo, tmp_path)


def test_a_pkcs11_key_signs_the_release(
    token: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = f"pkcs11:token={token};object=signing?pin-value={PIN}"
    repo = make_tiny(tmp_path / "tiny", signing=ref)
    code, summary, err = _release(repo, capsys)
    assert code == 0, err
    published = load_public_key(Path(str(summary["directory"])) / "release-key.pub")
    assert published == load_verification_key(ref)
    _no_local_key_made(repo, tmp_path)
    wrong = make_tiny(tmp_path / "wrong", signing=f"pkcs11:token={token};object=nothing")
    code, _summary, err = _release(wrong, capsys)
    assert code == 2, err


def test_a_local_key_path_is_still_created_on_first_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LITURGIA_PASSWORD", "correct horse")
    repo = make_tiny(tmp_path / "tiny", signing="file:keys/tiny.key")
    code, summary, err = _release(repo, capsys)
    assert code == 0, err
    key = repo / "keys" / "tiny.pub"
    published = Path(str(summary["directory"])) / "release-key.pub"
    assert published.read_bytes() == key.read_bytes()
    # The same key again, and `liturgia sign` opens it the same way.
    artifact = tmp_path / "a.txt"
    artifact.write_text("a")
    assert main(["sign", str(artifact), "--key", f"file:{repo / 'keys' / 'tiny.key'}"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("LITURGIA_PASSWORD", "wrong")
    code, _summary, err = _release(repo, capsys)
    assert code == 2 and "tiny.key" in err
