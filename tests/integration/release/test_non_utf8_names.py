"""File names that are not UTF-8 are data (issue 10 item 8): taken through, or refused with exit 2.

The failing input: a build artifact named with a Latin-1 byte (``caf\\xe9``) ended the release in
"internal error: UnicodeEncodeError" (exit 4) in the CycloneDX writer. A name that is published
and looked up exactly (an artifact, an attestation subject) is refused, naming the file; a name
found while cataloging (a folder, a tar member) is carried into every SBOM format as text.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from liturgia.cli import main
from liturgia.sbom import validate_cyclonedx_json
from tests.integration.release.tiny import make_tiny

#: ``café`` in Latin-1: not UTF-8; Python names it ``caf\udce9`` (PEP 383).
CAFE = os.fsdecode(b"caf\xe9")


def _error(err: str) -> str:
    line = err.strip().splitlines()[-1]
    assert line.startswith("liturgia: error: ") and "internal error" not in line
    return line


def test_a_non_utf8_artifact_is_refused_before_anything_is_signed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LITURGIA_KEY", str(tmp_path / "keys" / "release.key"))
    monkeypatch.setenv("LITURGIA_PASSWORD", "correct horse")
    repo = make_tiny(
        tmp_path / "tiny",
        build=('sh -c \'cp payload.txt "$(printf "{build_dir}/caf\\351.txt")"\'',),
        artifacts=("{build_dir}/*.txt",),
    )
    code = main(["release", "--dry-run", "--project", str(repo)])
    err = capsys.readouterr().err
    assert code == 2, err
    line = _error(err)
    assert "caf\\xe9.txt: build.artifacts: a build artifact's file name is not valid UTF-8" in line
    assert "rename the file" in line
    assert not list((repo / "dist").glob("tiny-*"))


def test_sbom_and_attest_refuse_a_non_utf8_artifact_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    artifact = tmp_path / f"{CAFE}.bin"
    artifact.write_bytes(b"artifact")
    (tmp_path / "requirements.txt").write_text("pyyaml==6.0.1\n")
    out = tmp_path / "sbom.cdx.json"
    args = ["sbom", str(tmp_path / "requirements.txt"), "--artifact", str(artifact)]
    assert main([*args, "-o", f"cyclonedx-json={out}"]) == 2
    assert "caf\\xe9.bin: artifact file name is not valid UTF-8" in _error(capsys.readouterr().err)
    assert not out.exists()
    monkeypatch.setenv("LITURGIA_PASSWORD", "pw")
    assert main(["keys", "generate", "--prefix", str(tmp_path / "k")]) == 0
    predicate = tmp_path / "p.json"
    predicate.write_text("{}")
    capsys.readouterr()
    attest = [
        "attest",
        str(artifact),
        "--predicate",
        str(predicate),
        "--key",
        str(tmp_path / "k.key"),
    ]
    assert main([*attest, "--type", "https://example.test/p"]) == 2
    assert "caf\\xe9.bin: subject file name is not valid UTF-8" in _error(capsys.readouterr().err)


def test_signing_takes_a_non_utf8_name_through(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bundle records the digest, not the name: the file is signed, and the bundle's path is
    # printed as the file system's bytes (a script can open it).
    artifact = tmp_path / f"{CAFE}.bin"
    artifact.write_bytes(b"artifact")
    monkeypatch.setenv("LITURGIA_PASSWORD", "pw")
    assert main(["keys", "generate", "--prefix", str(tmp_path / "k")]) == 0
    capsysbinary.readouterr()
    assert main(["sign", str(artifact), "--key", str(tmp_path / "k.key")]) == 0
    out, err = capsysbinary.readouterr()
    assert out == os.fsencode(tmp_path / f"{CAFE}.bin.sigstore.json") + b"\n"
    assert b"signed " in err and b"caf\\xe9.bin" in err
    assert main(["verify", str(artifact), "--key", str(tmp_path / "k.pub")]) == 0


@pytest.mark.parametrize("fmt", ["cyclonedx-json", "cyclonedx-xml", "spdx-json"])
def test_names_found_while_cataloging_are_carried_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    project = tmp_path / "project"
    (project / CAFE).mkdir(parents=True)
    (project / CAFE / "requirements.txt").write_text("pyyaml==6.0.1\n")
    # A tar whose member folder has the same Latin-1 name (tar names are bytes too).
    lock = json.dumps(
        {
            "name": "a",
            "version": "1.0.0",
            "lockfileVersion": 3,
            "packages": {
                "": {"name": "a", "version": "1.0.0"},
                "node_modules/lodash": {"version": "4.17.15"},
            },
        }
    ).encode()
    member = tarfile.TarInfo(name=f"{CAFE}/package-lock.json")
    member.size = len(lock)
    with tarfile.open(tmp_path / "a.tar", "w", encoding="utf-8", errors="surrogateescape") as tar:
        tar.addfile(member, io.BytesIO(lock))
    out = tmp_path / f"sbom.{fmt}"
    assert main(["sbom", str(project), str(tmp_path / "a.tar"), "-o", f"{fmt}={out}"]) == 0
    text = out.read_bytes().decode("utf-8")  # valid UTF-8 whatever the names on disk
    assert "pyyaml" in text and "lodash" in text
    assert "caf\\xe9/requirements.txt" in text.replace("\\\\", "\\")
    assert "a.tar!/caf\\xe9/package-lock.json" in text.replace("\\\\", "\\")
    if fmt == "cyclonedx-json":
        validate_cyclonedx_json(out.read_bytes(), source=out.name)
    capsys.readouterr()
