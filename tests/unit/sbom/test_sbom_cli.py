"""``liturgia sbom`` end to end through ``liturgia.cli.main`` (real files, real outputs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liturgia.cli import main
from liturgia.cli.sbom import SbomFormat, detect_format, parse_output
from liturgia.errors import InputError, UsageError


def test_writes_every_format_and_validates_them(
    corpus: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    wheel = tmp_path / "app-1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK")
    out = tmp_path / "out"
    code = main(
        [
            "sbom",
            str(corpus / "python/poetry"),
            str(corpus / "js/npm/package-lock.json"),
            "-o",
            f"cyclonedx-json={out / 'a.cdx.json'}",
            "-o",
            f"spdx-json={out / 'a.spdx.json'}",
            "-o",
            f"CycloneDX-XML={out / 'a.cdx.xml'}",
            "--artifact",
            str(wheel),
            "--exclude-dev",
        ]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "0 development-only" in err and "1 artifacts" in err
    doc = json.loads((out / "a.cdx.json").read_text())
    assert all(c.get("scope") != "excluded" for c in doc["components"])
    assert any(c["name"] == wheel.name and c["type"] == "file" for c in doc["components"])
    files = [str(out / n) for n in ("a.cdx.json", "a.spdx.json", "a.cdx.xml")]
    assert main(["sbom", "validate", *files]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"{files[0]}: valid cyclonedx-json",
        f"{files[1]}: valid spdx-json",
        f"{files[2]}: valid cyclonedx-xml",
    ]


def test_stdout_default_and_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "requirements.txt").write_text("six==1.16.0\nnot valid (((\n")
    monkeypatch.chdir(tmp_path)
    assert main(["sbom"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["components"][0]["purl"] == "pkg:pypi/six@1.16.0"
    assert "warning: requirements.txt:2: invalid requirement" in captured.err
    assert main(["sbom", "--strict"]) == 2
    assert "liturgia: error: requirements.txt:2: invalid requirement" in capsys.readouterr().err
    monkeypatch.setenv("LITURGIA_STRICT", "1")
    assert main(["sbom", "."]) == 2


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sbom", "-o", "nope"]) == 2
    assert "unknown format 'nope'" in capsys.readouterr().err
    assert main(["sbom", str(tmp_path), "-o", "spdx-json", "-o", "cyclonedx-json"]) == 2
    assert "only one format can go to stdout" in capsys.readouterr().err
    assert main(["sbom", "validate"]) == 2
    assert main(["sbom", "validate", str(tmp_path / "missing.json")]) == 2
    assert "SBOM not found" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    assert main(["sbom", "validate", str(bad)]) == 1
    assert "not a valid SBOM" in capsys.readouterr().err
    tampered = tmp_path / "t.cdx.json"
    tampered.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": "x"}')
    assert main(["sbom", "validate", str(tampered)]) == 1


def test_parse_output_and_detect_format() -> None:
    assert parse_output("spdx-json") == (SbomFormat.SPDX_JSON, None)
    assert parse_output("cyclonedx-xml=a/b.xml") == (SbomFormat.CYCLONEDX_XML, Path("a/b.xml"))
    with pytest.raises(UsageError, match="empty file name"):
        parse_output("spdx-json=")
    assert detect_format(b"  <?xml") is SbomFormat.CYCLONEDX_XML
    assert detect_format(b'{"spdxVersion": "SPDX-2.3"}') is SbomFormat.SPDX_JSON
    assert detect_format(b'{"bomFormat": "CycloneDX"}') is SbomFormat.CYCLONEDX_JSON
    with pytest.raises(InputError, match="not JSON or XML"):
        detect_format(b"\x00garbage")


def test_a_named_path_that_does_not_exist_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-lockfile.json"
    assert main(["sbom", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"liturgia: error: {missing}: not found" in err
    assert capsys.readouterr().out == ""
