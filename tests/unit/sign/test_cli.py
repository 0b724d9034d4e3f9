"""The CLI: keys generate|import|id, sign, attest, verify-attestation, trust-root export."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from liturgia.cli import main
from liturgia.sign import load_public_key, load_signer, verify_file_bundle


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LITURGIA_PASSWORD", "pw")
    prefix = tmp_path / "release"
    assert main(["keys", "generate", "--prefix", str(prefix)]) == 0
    return prefix


def test_keys_generate(keys: Path, capsys: pytest.CaptureFixture[str]) -> None:
    private, public = keys.with_suffix(".key"), keys.with_suffix(".pub")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    signer = load_signer(private, password=b"pw")
    assert signer.public_key.pem == public.read_bytes()
    assert main(["keys", "id", str(public)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == signer.key_id


def test_keys_generate_refuses_to_overwrite(keys: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = keys.with_suffix(".key").read_bytes()
    capsys.readouterr()
    assert main(["keys", "generate", "--prefix", str(keys)]) == 2
    err = capsys.readouterr().err
    assert err == f"liturgia: error: {keys}.key: already exists (use --force to overwrite)\n"
    assert keys.with_suffix(".key").read_bytes() == before
    assert (
        main(["keys", "generate", "--prefix", str(keys), "--force", "--algorithm", "ed25519"]) == 0
    )
    assert keys.with_suffix(".key").read_bytes() != before


def test_keys_without_password_and_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LITURGIA_PASSWORD", raising=False)
    assert main(["keys", "generate", "--prefix", str(tmp_path / "k")]) == 2
    assert "no password: set LITURGIA_PASSWORD" in capsys.readouterr().err
    assert not (tmp_path / "k.key").exists()


def test_keys_import_pkcs8_and_cosign(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cosign_keys: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LITURGIA_PASSWORD", "new")
    key = ec.generate_private_key(ec.SECP256R1())
    pem = tmp_path / "plain.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    assert main(["keys", "import", str(pem), "--prefix", str(tmp_path / "a")]) == 0
    imported = load_signer(tmp_path / "a.key", password=b"new")
    assert imported.public_key.key.public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]
    monkeypatch.setenv("LITURGIA_IMPORT_PASSWORD", "hello")
    source = cosign_keys / "pemcosignkey.key"
    assert main(["keys", "import", str(source), "--prefix", str(tmp_path / "b")]) == 0
    assert (tmp_path / "b.pub").read_bytes() == (cosign_keys / "pemcosignkey.pub").read_bytes()
    assert "ENCRYPTED SIGSTORE PRIVATE KEY" in (tmp_path / "b.key").read_text()
    capsys.readouterr()
    monkeypatch.setenv("LITURGIA_IMPORT_PASSWORD", "wrong")
    assert main(["keys", "import", str(source), "--prefix", str(tmp_path / "c")]) == 2
    assert capsys.readouterr().err.endswith(f"{source}: wrong password or corrupt key\n")
    assert not (tmp_path / "c.key").exists()
    assert main(["keys", "import", str(source), "--prefix", str(tmp_path / "b")]) == 2


def test_sign_command(keys: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [tmp_path / "a.whl", tmp_path / "b.tar.gz"]
    for path in files:
        path.write_bytes(path.name.encode())
    capsys.readouterr()
    assert main(["sign", *map(str, files), "--key", f"file:{keys}.key"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{p}.sigstore.json" for p in files]
    public = load_public_key(keys.with_suffix(".pub"))
    for path in files:
        bundle = Path(f"{path}.sigstore.json").read_bytes()
        verify_file_bundle(path, bundle, public)
    outdir = tmp_path / "out"
    assert main(["sign", str(files[0]), "--key", f"{keys}.key", "--output-dir", str(outdir)]) == 0
    assert (outdir / "a.whl.sigstore.json").is_file()


def test_sign_errors(
    keys: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    artifact = tmp_path / "a.whl"
    artifact.write_bytes(b"a")
    capsys.readouterr()
    assert main(["sign", str(artifact), str(tmp_path / "absent"), "--key", f"{keys}.key"]) == 2
    assert "absent: file not found" in capsys.readouterr().err
    assert not Path(f"{artifact}.sigstore.json").exists()
    monkeypatch.setenv("LITURGIA_PASSWORD", "wrong")
    assert main(["sign", str(artifact), "--key", f"{keys}.key"]) == 2
    assert capsys.readouterr().err == (
        f"liturgia: error: {keys}.key: wrong password or corrupt key; set LITURGIA_PASSWORD to "
        "this key's password, or use another key with --key PATH or LITURGIA_KEY=PATH\n"
    )
    assert main(["sign", str(artifact), "--key", str(tmp_path / "none.key")]) == 2
    assert "none.key: private key not found" in capsys.readouterr().err
    assert main(["sign", str(artifact), "--key", "gcpkms://projects/x"]) == 2
    assert "unsupported key reference scheme 'gcpkms'" in capsys.readouterr().err


def test_sign_with_plain_key_needs_no_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LITURGIA_PASSWORD", raising=False)
    key = tmp_path / "plain.pem"
    key.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    artifact = tmp_path / "a"
    artifact.write_bytes(b"a")
    assert main(["sign", str(artifact), "--key", str(key)]) == 0


def test_attest_and_verify_attestation(
    keys: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    subject = tmp_path / "app.whl"
    subject.write_bytes(b"wheel")
    predicate = tmp_path / "sbom.cdx.json"
    predicate.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6"}))
    key = f"{keys}.key"
    pub = f"{keys}.pub"
    args = ["attest", str(subject), "--predicate", str(predicate), "--type", "cyclonedx"]
    assert main([*args, "--key", key]) == 0
    bundle = Path(capsys.readouterr().out.strip())
    assert bundle == tmp_path / "app.whl.intoto.json"
    check = ["verify-attestation", str(subject), "--bundle", str(bundle), "--key", pub]
    assert main([*check, "--type", "https://cyclonedx.org/bom"]) == 0
    statement = json.loads(capsys.readouterr().out)
    assert statement["predicate"]["bomFormat"] == "CycloneDX"
    assert statement["predicateType"] == "https://cyclonedx.org/bom"
    assert main([*check, "--type", "slsaprovenance1"]) == 1
    assert "not the required 'https://slsa.dev/provenance/v1'" in capsys.readouterr().err
    subject.write_bytes(b"other wheel")
    assert main(check) == 1
    assert "subject digest mismatch" in capsys.readouterr().err


def test_attest_bad_input(
    keys: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    subject = tmp_path / "app.whl"
    subject.write_bytes(b"wheel")
    predicate = tmp_path / "p.json"
    base = ["attest", str(subject), "--predicate", str(predicate), "--key", f"{keys}.key"]
    predicate.write_text("[1]")
    assert main([*base, "--type", "https://example.com/p"]) == 2
    assert "predicate is not a JSON object" in capsys.readouterr().err
    predicate.write_text("{")
    assert main([*base, "--type", "https://example.com/p"]) == 2
    assert "predicate is not JSON" in capsys.readouterr().err
    predicate.write_text("{}")
    assert main([*base, "--type", "bogus"]) == 2
    assert "--type 'bogus': not a URI nor one of cyclonedx" in capsys.readouterr().err
    out = tmp_path / "x.json"
    monkeypatch.setenv("LITURGIA_PASSWORD", "not this key's")
    assert main([*base, "--type", "https://example.com/p", "-o", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"liturgia: error: {keys}.key: wrong password or corrupt key; set LITURGIA_PASSWORD to "
        "this key's password, or use another key with --key PATH or LITURGIA_KEY=PATH\n"
    )
    assert not out.exists()
    monkeypatch.setenv("LITURGIA_PASSWORD", "pw")
    assert main([*base, "--type", "https://example.com/p", "-o", str(out)]) == 0
    assert json.loads(out.read_bytes())["dsseEnvelope"]["payloadType"] == (
        "application/vnd.in-toto+json"
    )


def test_trust_root_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log_key = tmp_path / "log.pub"
    log_key.write_bytes(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    args = ["trust-root", "export", "--tlog-key", str(log_key), "--tlog-url", "http://log.test"]
    assert main(args) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["mediaType"] == "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
    assert document["tlogs"][0]["baseUrl"] == "http://log.test"
    assert document["tlogs"][0]["publicKey"]["keyDetails"] == "PKIX_ECDSA_P256_SHA_256"
    out = tmp_path / "root.json"
    assert main([*args, "-o", str(out)]) == 0
    assert json.loads(out.read_bytes())["tlogs"][0]["logId"] == document["tlogs"][0]["logId"]
    assert main(["trust-root", "export", "--tlog-key", str(log_key)]) == 2
    assert "1 --tlog-key but 0 --tlog-url" in capsys.readouterr().err


def test_keys_import_of_an_openssl_encrypted_sec1_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`openssl ec -aes256` output with the right password imports (issue 10 item 9)."""
    for args in (
        ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "plain.pem"],
        ["ec", "-in", "plain.pem", "-aes256", "-passout", "pass:s3cret", "-out", "enc.pem"],
    ):
        subprocess.run(["openssl", *args], cwd=tmp_path, check=True, capture_output=True)
    monkeypatch.setenv("LITURGIA_PASSWORD", "new")
    monkeypatch.setenv("LITURGIA_IMPORT_PASSWORD", "s3cret")
    source = tmp_path / "enc.pem"
    assert main(["keys", "import", str(source), "--prefix", str(tmp_path / "a")]) == 0
    plain = serialization.load_pem_private_key((tmp_path / "plain.pem").read_bytes(), None)
    imported = load_signer(tmp_path / "a.key", password=b"new")
    assert imported.public_key.key.public_numbers() == plain.public_key().public_numbers()  # type: ignore[union-attr]
    capsys.readouterr()
    monkeypatch.setenv("LITURGIA_IMPORT_PASSWORD", "wrong")
    assert main(["keys", "import", str(source), "--prefix", str(tmp_path / "b")]) == 2
    assert capsys.readouterr().err.endswith(f"{source}: wrong password or corrupt key\n")
    assert not (tmp_path / "b.key").exists()
