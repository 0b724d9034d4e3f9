"""Hostile and broken inputs to the library: huge and special files, broken zips, bad documents.

Each case is a real file (a sparse 1 GiB file, a FIFO, a symlink to ``/dev/zero``, a zip whose
central directory lies about a member's size...) and each must end in a warning naming the file
or a one-line :class:`InputError`, never in reading the whole thing, blocking, or a traceback.
"""

from __future__ import annotations

import json
import os
import sqlite3
import struct
import zipfile
from pathlib import Path

import pytest

from liturgia.errors import InputError
from liturgia.sbom.formats import read_sbom
from liturgia.vuln import import_advisories, load_osv_directory, open_index
from liturgia.vuln.ecosystems import PackageKey
from liturgia.vuln.ignore import load_ignore_file
from liturgia.vuln.index import read_advisory_source
from liturgia.vuln.limits import MAX_ADVISORY_BYTES, file_kind, limit_text, read_limited
from liturgia.vuln.vex import load_vex, parse_vex

from .conftest import CORPUS, copy_subset

GOOD = "ghsa/go/GHSA-xr7r-f8xq-vfvv.json"
DEEP_JSON = "[" * 100_000 + "]" * 100_000


def _hostile_folder(root: Path) -> Path:
    """A good record next to /dev/zero, a FIFO, a sparse 1 GiB file and a just-too-large one."""
    folder = copy_subset(root, GOOD)
    (folder / "zero.json").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe.json")
    with (folder / "huge.json").open("wb") as handle:
        handle.truncate(1 << 30)  # sparse: no disk space used, but stat says 1 GiB
    with (folder / "over.yaml").open("wb") as handle:
        handle.truncate(MAX_ADVISORY_BYTES + 1)
    return folder


def _expected_warnings(folder: Path) -> list[str]:
    return [
        f"{folder / 'huge.json'}: advisory file is 1073741824 bytes, over the 16 MiB limit; "
        "not read",
        f"{folder / 'over.yaml'}: advisory file is {MAX_ADVISORY_BYTES + 1} bytes, over the "
        "16 MiB limit; not read",
        f"{folder / 'pipe.json'}: advisory file is a FIFO (named pipe), not a regular file; "
        "not read",
        f"{folder / 'zero.json'}: advisory file is a character device, not a regular file; "
        "not read",
    ]


def test_osv_folder_with_huge_and_special_files(tmp_path: Path) -> None:
    folder = _hostile_folder(tmp_path / "osv")
    database = load_osv_directory(folder)
    assert database.info.record_count == 1
    assert list(database.warnings) == _expected_warnings(folder)


def test_index_import_of_huge_and_special_files(tmp_path: Path) -> None:
    folder = _hostile_folder(tmp_path / "osv")
    result = import_advisories(tmp_path / "db.sqlite3", folder)
    assert (result.files, result.imported) == (1, 1)
    assert list(result.warnings) == _expected_warnings(folder)
    for special in ("zero.json", "pipe.json", "huge.json"):
        with pytest.raises(InputError, match=f"{special}: advisory file is .*; not read"):
            import_advisories(tmp_path / "db.sqlite3", folder / special)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zip_member_claiming_a_huge_size_is_a_warning(tmp_path: Path) -> None:
    good = (CORPUS / GOOD).read_bytes()
    archive = _zip(tmp_path / "all.zip", {"a-claims-2GiB.json": b"{}", "b.json": good})
    data = bytearray(archive.read_bytes())
    entry = data.index(b"PK\x01\x02")  # the first central directory entry: a-claims-2GiB.json
    struct.pack_into("<I", data, entry + 24, 2**31 - 1)  # its uncompressed size field
    archive.write_bytes(bytes(data))
    advisories, warnings, files = read_advisory_source(archive)
    assert [a.id for a in advisories] == ["GHSA-xr7r-f8xq-vfvv"]
    assert files == 1
    assert warnings == [
        f"{archive}!a-claims-2GiB.json: advisory file claims 2147483647 bytes, over the 16 MiB "
        "limit; not read"
    ]


def test_zip_member_inflating_past_its_claim_is_cut_off(tmp_path: Path) -> None:
    # A member whose header says 10 bytes but which inflates to 17 MiB: zipfile stops at the
    # stated size and the CRC check then fails, so the member is a warning, never 17 MiB read.
    good = (CORPUS / GOOD).read_bytes()
    archive = _zip(tmp_path / "bomb.zip", {"a.json": b" " * (17 << 20), "b.json": good})
    data = bytearray(archive.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        struct.pack_into("<I", data, data.index(signature) + offset, 10)
    archive.write_bytes(bytes(data))
    advisories, warnings, _files = read_advisory_source(archive)
    assert [a.id for a in advisories] == ["GHSA-xr7r-f8xq-vfvv"]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{archive}!a.json: ")


def test_corrupt_zip_member_is_a_warning_and_truncated_zip_an_error(tmp_path: Path) -> None:
    good = (CORPUS / GOOD).read_bytes()
    archive = _zip(tmp_path / "all.zip", {"a.json": b'{"id": "X"}' * 500, "b.json": good})
    data = bytearray(archive.read_bytes())
    for index in range(45, 70):  # inside a.json's compressed bytes
        data[index] ^= 0xFF
    archive.write_bytes(bytes(data))
    advisories, warnings, _files = read_advisory_source(archive)
    assert [a.id for a in advisories] == ["GHSA-xr7r-f8xq-vfvv"]
    assert warnings[0].startswith(f"{archive}!a.json: cannot extract: ")
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(InputError, match=r"truncated\.zip: not a valid zip archive"):
        import_advisories(tmp_path / "db.sqlite3", truncated)
    assert not (tmp_path / "db.sqlite3").exists()  # nothing written
    fifo = tmp_path / "fifo.zip"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"fifo.zip: zip archive is a FIFO \(named pipe\)"):
        read_advisory_source(fifo)


def test_rustsec_import_with_huge_special_and_nested_files(tmp_path: Path) -> None:
    folder = copy_subset(tmp_path / "rustsec", "rustsec")
    crates = next(p.parent for p in sorted(folder.rglob("RUSTSEC-*.md")))
    (crates / "RUSTSEC-9999-0001.md").symlink_to("/dev/zero")
    with (crates / "RUSTSEC-9999-0002.md").open("wb") as handle:
        handle.truncate(1 << 30)
    nested = '```toml\n[advisory]\nid = "RUSTSEC-9999-0003"\npackage = "x"\n'
    (crates / "RUSTSEC-9999-0003.md").write_text(
        nested + "z = " + "[" * 5000 + "]" * 5000 + "\n```\n"
    )
    advisories, warnings, _files = read_advisory_source(folder)
    assert advisories
    assert sorted(w.split(": ", 1)[1] for w in warnings) == [
        "advisory file is 1073741824 bytes, over the 16 MiB limit; not read",
        "advisory file is a character device, not a regular file; not read",
        "not a valid advisory: nested too deeply",
    ]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("latin1.json", b'{"id": "caf\xe9"}', "not valid JSON: 'utf-8' codec can't decode"),
        ("latin1.yaml", b"id: caf\xe9\n", "not valid YAML: unacceptable character"),
        ("list.json", b"[1, 2]", "expected an OSV object, found list"),
        ("deep.json", DEEP_JSON.encode(), "nested too deeply to be an OSV record"),
        ("deep.yaml", DEEP_JSON.encode(), "not valid YAML"),
    ],
)
def test_bad_advisory_files_are_warnings(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    folder = copy_subset(tmp_path / "osv", GOOD)
    (folder / name).write_bytes(data)
    database = load_osv_directory(folder)
    assert database.info.record_count == 1
    assert len(database.warnings) == 1
    assert database.warnings[0].startswith(f"{folder / name}: not a valid OSV record: {reason}")
    _advisories, warnings, _files = read_advisory_source(folder)
    assert warnings[0].startswith(f"{folder / name}: not a valid advisory: ")


def test_read_limited(tmp_path: Path) -> None:
    # /proc files state size 0; reading past the limit is noticed while reading.
    with pytest.raises(InputError, match="status: status file grew past the 10 bytes limit"):
        read_limited(Path("/proc/self/status"), limit=10, what="status file")
    with pytest.raises(InputError, match="x: SBOM not found"):
        read_limited(tmp_path / "x", limit=10, what="SBOM")
    with pytest.raises(InputError, match="is a folder, expected a file"):
        read_limited(tmp_path, limit=10, what="SBOM")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with pytest.raises(InputError, match="loop: cannot read SBOM: Too many levels of symbolic"):
        read_limited(tmp_path / "loop", limit=10, what="SBOM")
    (tmp_path / "ok").write_bytes(b"0123456789")
    assert read_limited(tmp_path / "ok", limit=10, what="SBOM") == b"0123456789"
    (tmp_path / "ok").chmod(0)
    if os.geteuid() != 0:  # root reads anything
        with pytest.raises(InputError, match="cannot read SBOM: Permission denied"):
            read_limited(tmp_path / "ok", limit=10, what="SBOM")
    assert [limit_text(n) for n in (3, 2048, 16 << 20, 4 << 30)] == [
        "3 bytes", "2 KiB", "16 MiB", "4 GiB",
    ]  # fmt: skip
    assert file_kind(0o140000) == "a socket"
    assert file_kind(0o060000) == "a block device"
    assert file_kind(0) == "not a regular file"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[ignore]]\nid = 5\nreason = "r"\n', r"ignore\[0\]\.id: required, a non-empty string"),
        ('[[ignore]]\nid = "A"\nreason = "r"\nwhy = 1\n', r"ignore\[0\]: unknown key 'why'"),
        ('[[ignore]]\nid = "A"\nreason = "r"\nexpires = 2026-13-45\n', "not a valid TOML"),
        ('[[ignore]]\nid = "A"\nreason = "r"\nexpires = "2026-12-01"\n', r"expires: expected a"),
        ('[[ignore]]\nid = "A"\nreason = "r"\nexpires = 2026-12-01T00:00:00\n', "expected a da"),
        ('[[ignore]]\nid = "A"\nreason = ["r"]\n', r"ignore\[0\]\.reason: required"),
        ('[[ignore]]\nid = "A"\nreason = "r"\ncomponent = 3\n', r"component: expected a string"),
        ("ignore = 5\n", "'ignore' must be an array of tables"),
        ("ignore = [1]\n", r"ignore\[0\]: expected a table"),
        ("[rules]\n", "unknown key 'rules'"),
        ("x = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    ],
)
def test_bad_ignore_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "ignore.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as caught:
        load_ignore_file(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert "\n" not in str(caught.value)


def test_special_ignore_and_vex_files_are_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(InputError, match="ignore file is a FIFO"):
        load_ignore_file(tmp_path / "fifo")
    with pytest.raises(InputError, match="VEX document is a character device"):
        load_vex(Path("/dev/zero"))
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(65 << 20)
    with pytest.raises(InputError, match="VEX document is 68157440 bytes, over the 64 MiB"):
        load_vex(big)
    (tmp_path / "latin1.toml").write_bytes(b'[[ignore]]\nid = "caf\xe9"\n')
    with pytest.raises(InputError, match=r"latin1\.toml: not a valid TOML ignore file: 'utf-8'"):
        load_ignore_file(tmp_path / "latin1.toml")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"not json", "not valid JSON"),
        (b"[1]", "expected a JSON object"),
        (DEEP_JSON.encode(), "not a usable VEX document: JSON nested too deeply"),
        (b'{"bomFormat": "CycloneDX", "components": 5, "vulnerabilities": []}',
         "components: expected an array, found int"),
        (b'{"bomFormat": "CycloneDX", "components": [{"components": "x"}], '
         b'"vulnerabilities": []}', r"components\[\]\.components: expected an array, found str"),
        (b'{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "X", "analysis": '
         b'{"state": "not_affected"}, "affects": 5}]}',
         r"vulnerabilities\[0\]\.affects: expected an array, found int"),
        (b'{"bomFormat": "CycloneDX"}', "not a VEX"),
    ],
)  # fmt: skip
def test_bad_vex_documents(document: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_vex(document, source="vex.json")
    assert str(caught.value).startswith("vex.json: ")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b'{"hello": 1}', "neither a CycloneDX"),
        (b"\xff", "not a JSON SBOM: 'utf-8' codec"),
        (DEEP_JSON.encode(), "not a usable SBOM: JSON nested too deeply"),
        (b'{"bomFormat": "CycloneDX", "components": 5}',
         "components: expected an array, found int"),
        (b'{"bomFormat": "CycloneDX", "components": [{"name": "a", "components": 7}]}',
         r"components\[0\]\.components: expected an array, found int"),
        (b'{"spdxVersion": "SPDX-2.3", "packages": {"a": 1}}',
         "packages: expected an array, found dict"),
        (b'{"spdxVersion": "SPDX-2.3", "packages": [{"name": "a", "externalRefs": 5}]}',
         r"packages\[0\]\.externalRefs: expected an array, found int"),
    ],
)  # fmt: skip
def test_bad_sboms(document: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        read_sbom(document, source="sbom.json")
    assert str(caught.value).startswith("sbom.json: ")


def test_sbom_fields_of_the_wrong_type_are_ignored() -> None:
    document = {"bomFormat": "CycloneDX", "components": [
        {"name": "a", "group": 3, "version": 5, "purl": 7, "bom-ref": []}]}  # fmt: skip
    (component,) = read_sbom(json.dumps(document).encode(), source="s").components
    assert (component.name, component.version, component.purl) == ("a", None, None)


def test_bad_index_paths(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    for action in (open_index, lambda p: import_advisories(p, CORPUS / GOOD)):
        with pytest.raises(InputError, match="advisory index \\(--db\\) is a folder"):
            action(folder)
        with pytest.raises(InputError, match="is a character device, expected an index file"):
            action(Path("/dev/null"))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match=f"cannot create the advisory index: {blocker} is not"):
        import_advisories(blocker / "sub" / "db.sqlite3", CORPUS / GOOD)
    with pytest.raises(InputError, match="no advisory index"):
        open_index(blocker / "db.sqlite3")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not sqlite" * 100)
    with pytest.raises(InputError, match="cannot create or write the advisory index: file is"):
        import_advisories(garbage, CORPUS / GOOD)
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE t (x)")
    connection.close()
    with pytest.raises(InputError, match=r"not a liturgia advisory index \(tables: t\); refus"):
        import_advisories(other, CORPUS / GOOD)
    with sqlite3.connect(other) as connection:  # untouched
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]
    connection.close()


def test_damaged_index_record_is_an_input_error(tmp_path: Path) -> None:
    index = tmp_path / "db.sqlite3"
    import_advisories(index, CORPUS / GOOD)
    with sqlite3.connect(index) as connection:
        connection.execute("UPDATE advisories SET document = '{\"id\": 1}'")
    connection.close()
    database = open_index(index)
    with pytest.raises(InputError, match=r"damaged advisory index .* delete it and import again"):
        database.entries_for(PackageKey(ecosystem="Go", name="github.com/opencontainers/runc"))
    database.close()
