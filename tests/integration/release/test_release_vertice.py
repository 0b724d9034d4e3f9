"""End to end: `liturgia release` of examples/vertice in a real git repository, then verify."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from liturgia import sign
from liturgia.cli import main
from liturgia.release.checksums import parse_sha256sums
from tests.integration.release.conftest import commit_all, git

EXPECTED_FILES = {
    "CHANGELOG.md",
    "DRY-RUN",  # a dry run's folder says so (it may be replaced; a real release never)
    "RELEASE_NOTES.md",
    "SHA256SUMS",
    "SHA256SUMS.sigstore.json",
    "coverage.xml",
    "gate-report.html",
    "gate-report.json",
    "gate-report.md",
    "junit.xml",
    "provenance.intoto.sigstore.json",
    "release-key.pub",
    "sbom.cdx.json",
    "sbom.cdx.json.sigstore.json",
    "sbom.intoto.sigstore.json",
    "trusted-root.json",
    "vertice_backend-0.2.0-py3-none-any.whl",
    "vertice_backend-0.2.0-py3-none-any.whl.sigstore.json",
    # Each artifact's own SBOM (what it contains), signed like the artifact.
    "vertice_backend-0.2.0-py3-none-any.whl.cdx.json",
    "vertice_backend-0.2.0-py3-none-any.whl.cdx.json.sigstore.json",
    "vertice_backend-0.2.0.tar.gz",
    "vertice_backend-0.2.0.tar.gz.sigstore.json",
    "vertice_backend-0.2.0.tar.gz.cdx.json",
    "vertice_backend-0.2.0.tar.gz.cdx.json.sigstore.json",
    "vulnerabilities.intoto.sigstore.json",
    "vulnerabilities.json",
}


@pytest.fixture
def released(
    make_vertice: Callable[[], Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> Path:
    """A GO dry-run release of vertice 0.2.0; returns its folder."""
    repo = make_vertice()
    code = main(["release", "--dry-run", "--project", str(repo), "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    summary = json.loads(out.out)
    assert summary["decision"] == "GO"
    assert summary["version"] == "0.2.0"
    assert summary["tag"] is None
    return Path(summary["directory"])


def test_release_is_go_with_every_file(released: Path) -> None:
    assert released.name == "vertice-0.2.0"
    assert {p.name for p in released.iterdir()} == EXPECTED_FILES
    report = json.loads((released / "gate-report.json").read_text())
    assert report["decision"] == "GO"
    assert {c["name"] for c in report["checks"]} == {
        "tests",
        "coverage",
        "vulnerabilities",
        "sbom",
        "inputs",
        "signatures",
        "changelog",
    }
    assert all(c["passed"] for c in report["checks"])
    assert "GO" in (released / "gate-report.md").read_text()
    changelog = (released / "CHANGELOG.md").read_text()
    assert "## [0.2.0] - 2025-11-29" in changelog
    assert "limit the number of vertices" in changelog
    notes = (released / "RELEASE_NOTES.md").read_text()
    assert "0.2.0" in notes
    assert "say that routes are symmetric" in notes


def test_every_check_has_its_evidence_in_the_release(released: Path) -> None:
    """Each check names the files it read, as the release folder holds them and SHA256SUMS
    covers them (so `liturgia verify DIR` checks them), with the figure and the threshold."""
    sums = parse_sha256sums((released / "SHA256SUMS").read_text())
    report = json.loads((released / "gate-report.json").read_text())
    shipped = {check["name"]: [f["name"] for f in check["files"]] for check in report["checks"]}
    assert shipped["tests"] == ["junit.xml"]
    assert shipped["coverage"] == ["coverage.xml"]
    assert shipped["vulnerabilities"] == ["vulnerabilities.json"]
    for check in report["checks"]:
        assert check["figure"], check["name"]
        assert check["threshold"], check["name"]
        assert check["files"], check["name"]
        for file in check["files"]:
            digest = hashlib.sha256((released / file["name"]).read_bytes()).hexdigest()
            assert file["sha256"] == digest == sums[file["name"]], file
    coverage = next(c for c in report["checks"] if c["name"] == "coverage")
    assert coverage["figure"] == "100.00% line+branch coverage"
    assert coverage["threshold"] == ">= 85%"
    markdown = (released / "gate-report.md").read_text()
    assert "(no evidence recorded)" not in markdown
    assert "{reports_dir}" not in markdown
    assert "- file: `junit.xml` sha256:" in markdown
    assert "- advisory database: osv (osv-directory, 193 advisories" in markdown


def _published_texts(folder: Path) -> list[tuple[str, bytes]]:
    """Every file of the folder, and every member of its wheels and tarballs."""
    texts = []
    for path in sorted(folder.iterdir()):
        data = path.read_bytes()
        texts.append((path.name, data))
        if path.suffix in {".whl", ".zip"}:
            with zipfile.ZipFile(path) as archive:
                texts += [(f"{path.name}!{n}", archive.read(n)) for n in archive.namelist()]
        elif path.name.endswith((".tar.gz", ".tgz")):
            with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                for member in archive.getmembers():
                    handle = archive.extractfile(member)
                    texts.append((f"{path.name}!{member.name}", handle.read() if handle else b""))
                    texts.append((f"{path.name}!{member.name} (name)", member.name.encode()))
    return texts


def test_no_absolute_path_of_the_build_machine_is_published(
    released: Path, signing_env: Path
) -> None:
    """A release folder holds no absolute path of the machine that made it: not the project's
    folder, the temporary folders, the home folder nor the key's folder (issue 10 item 9)."""
    repo = released.parents[1]
    machine = {
        str(repo),
        str(repo.resolve()),
        str(signing_env.parent),
        tempfile.gettempdir() + "/",
        str(Path.home()) + "/",
    }
    found = [
        (name, folder)
        for name, data in _published_texts(released)
        for folder in machine
        if folder.encode() in data
    ]
    assert found == []


def test_sbom_is_valid_cyclonedx_and_lists_every_ecosystem(released: Path) -> None:
    data = (released / "sbom.cdx.json").read_text()
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(data)
    assert errors is None, errors
    document = json.loads(data)
    assert document["metadata"]["component"]["name"] == "vertice"
    assert document["metadata"]["component"]["version"] == "0.2.0"
    purls = {c.get("purl", "") for c in document["components"]}
    assert "pkg:pypi/django@4.2.30" in purls or any(p.startswith("pkg:pypi/django@") for p in purls)
    assert any(p.startswith("pkg:npm/express@") for p in purls)
    assert any(p.startswith("pkg:golang/github.com/spf13/") for p in purls)
    files = {c["name"]: c for c in document["components"] if c["type"] == "file"}
    assert set(files) == {"vertice_backend-0.2.0-py3-none-any.whl", "vertice_backend-0.2.0.tar.gz"}


def test_release_verifies_and_nothing_was_tagged(released: Path, signing_env: Path) -> None:
    assert main(["verify", str(released), "--key", str(signing_env.with_suffix(".pub"))]) == 0
    repo = released.parents[1]
    assert git(repo, "tag", "--list") == "v0.1.0\n"
    assert not (repo / "CHANGELOG.md").exists()  # a dry run leaves the project's files alone
    assert git(repo, "status", "--porcelain") == ""


REPRODUCIBLE = (
    "sbom.cdx.json",
    "vulnerabilities.json",
    "gate-report.md",
    "gate-report.json",
    "gate-report.html",
    "RELEASE_NOTES.md",
    "CHANGELOG.md",
    "vertice_backend-0.2.0-py3-none-any.whl",
    "vertice_backend-0.2.0.tar.gz",
)


def test_same_input_same_bytes(
    released: Path, signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # SOURCE_DATE_EPOCH is set: everything but the (randomized ECDSA) signatures is reproducible.
    first = {name: (released / name).read_bytes() for name in REPRODUCIBLE}
    repo = released.parents[1]
    assert main(["release", "--dry-run", "--project", str(repo)]) == 0
    capsys.readouterr()
    for name in REPRODUCIBLE:
        assert (released / name).read_bytes() == first[name], name


TAMPERS = [
    ("artifact byte", "vertice_backend-0.2.0.tar.gz", "vertice_backend-0.2.0.tar.gz"),
    ("bundle signature", "vertice_backend-0.2.0-py3-none-any.whl.sigstore.json", "signature"),
    ("sbom byte", "sbom.cdx.json", "sbom.cdx.json"),
]


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("what", "name", "named"), TAMPERS, ids=[t[0] for t in TAMPERS])
def test_verify_rejects_tampering(
    released: Path,
    signing_env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    what: str,
    name: str,
    named: str,
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(released, copy)
    target = copy / name
    if name.endswith(".sigstore.json"):
        bundle = json.loads(target.read_text())
        signature = bundle["messageSignature"]["signature"]
        flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
        bundle["messageSignature"]["signature"] = flipped
        target.write_text(json.dumps(bundle))
    else:
        _flip_byte(target, len(target.read_bytes()) // 2)
    capsys.readouterr()
    code = main(["verify", str(copy), "--key", str(signing_env.with_suffix(".pub"))])
    err = capsys.readouterr().err
    assert code == 1, what
    assert named in err


def test_verify_rejects_bundle_of_another_artifact(
    released: Path, signing_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(released, copy)
    shutil.copyfile(
        copy / "vertice_backend-0.2.0.tar.gz.sigstore.json",
        copy / "vertice_backend-0.2.0-py3-none-any.whl.sigstore.json",
    )
    capsys.readouterr()
    assert main(["verify", str(copy), "--key", str(signing_env.with_suffix(".pub"))]) == 1
    assert "vertice_backend-0.2.0-py3-none-any.whl" in capsys.readouterr().err


def test_verify_rejects_another_public_key(
    released: Path, signing_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    sign.generate_key_pair(other / "o.key", other / "o.pub", password=b"x")
    capsys.readouterr()
    assert main(["verify", str(released), "--key", str(other / "o.pub")]) == 1
    assert "sbom.cdx.json" in capsys.readouterr().err


def test_verify_rejects_anything_unlisted_even_in_a_subfolder(
    released: Path, signing_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(released, copy)
    (copy / "sub").mkdir()
    (copy / "sub" / "evil.sh").write_text("#!/bin/sh\n")
    (copy / "extra.txt").write_text("hello\n")
    capsys.readouterr()
    assert main(["verify", str(copy), "--key", str(signing_env.with_suffix(".pub"))]) == 1
    err = capsys.readouterr().err
    assert "sub: not a regular file" in err
    assert "extra.txt: not listed in SHA256SUMS" in err
    assert "2 problems" in err


def test_verify_uses_the_configured_key_but_never_the_shipped_one(
    released: Path,
    signing_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["verify", str(released)]) == 0  # LITURGIA_KEY's .pub is the configured key
    monkeypatch.setenv("LITURGIA_KEY", str(signing_env.parent / "nowhere.key"))
    capsys.readouterr()
    assert main(["verify", str(released)]) == 2
    assert "no public key to trust: pass --key" in capsys.readouterr().err
    key = str(released / "release-key.pub")
    assert main(["verify", str(released), "--key", key, "--bundle", key]) == 2
    assert "--bundle goes with a FILE" in capsys.readouterr().err


def test_verify_one_file_against_its_bundle(
    released: Path, signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = str(signing_env.with_suffix(".pub"))
    sdist = released / "vertice_backend-0.2.0.tar.gz"
    assert main(["verify", str(sdist), "--key", key, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["verified"] is True
    other = released / "sbom.cdx.json.sigstore.json"
    assert main(["verify", str(sdist), "--key", key, "--bundle", str(other)]) == 1
    assert "liturgia: error:" in capsys.readouterr().err


def test_verify_an_empty_folder_is_a_usage_error(
    tmp_path: Path, signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sign.generate_key_pair(signing_env, signing_env.with_suffix(".pub"), password=b"p")
    (tmp_path / "empty").mkdir()
    assert main(["verify", str(tmp_path / "empty")]) == 2
    assert "not a release folder" in capsys.readouterr().err


def test_release_scans_against_the_vulndb_index(
    make_vertice: Callable[[], Path],
    signing_env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`[scan].vulndb = true` (what `liturgia init` writes) scans against the index
    `liturgia vulndb` maintains; the index's folder is not published."""
    repo = make_vertice()
    index = tmp_path / "cache" / "advisories.sqlite3"
    assert main(["vulndb", "import", str(repo / "osv"), "--db", str(index)]) == 0
    monkeypatch.setenv("LITURGIA_VULNDB", str(index))
    config = repo / "liturgia.toml"
    config.write_text(config.read_text().replace('osv = ["osv"]', "vulndb = true"))
    commit_all(repo, "build: scan against the advisory index")
    capsys.readouterr()
    code = main(["release", "--dry-run", "--project", str(repo), "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    folder = Path(json.loads(out.out)["directory"])
    database = json.loads((folder / "vulnerabilities.json").read_text())["database"]
    assert (database["kind"], database["source"], database["record_count"]) == (
        "sqlite-index",
        "advisories.sqlite3",
        193,
    )
    published = [
        name for name, data in _published_texts(folder) if str(index.parent).encode() in data
    ]
    assert published == []
