"""Loading OSV folders: errors name the folder and why; bad records become warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liturgia.errors import InputError
from liturgia.vuln import load_osv_directories, load_osv_directory

from .conftest import CORPUS

GOOD = {
    "id": "TEST-1",
    "modified": "2024-01-01T00:00:00Z",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "p"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
        }
    ],
}


def _write(folder: Path, name: str, content: object) -> None:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else json.dumps(content)
    (folder / name).write_text(text)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope: OSV advisory folder not found"):
        load_osv_directory(tmp_path / "nope")


def test_file_instead_of_folder(tmp_path: Path) -> None:
    (tmp_path / "f.json").write_text("{}")
    with pytest.raises(InputError, match="is not a folder"):
        load_osv_directory(tmp_path / "f.json")


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("no advisories")
    with pytest.raises(InputError, match=r"no OSV advisories \(no .json/.yaml/.yml files"):
        load_osv_directory(tmp_path)


def test_unreadable_record_is_a_warning(tmp_path: Path) -> None:
    # Root reads every folder, so use a record path that cannot be read: a dangling link.
    _write(tmp_path, "a.json", GOOD)
    (tmp_path / "b.json").symlink_to(tmp_path / "missing-target")
    database = load_osv_directory(tmp_path)
    assert database.info.record_count == 1
    assert database.warnings == (
        f"{tmp_path / 'b.json'}: advisory file is a symbolic link to a missing file",
    )


def test_only_invalid_records(tmp_path: Path) -> None:
    _write(tmp_path, "a.json", "{not json")
    _write(tmp_path, "b.yaml", "- just\n- a list\n")
    with pytest.raises(InputError) as info:
        load_osv_directory(tmp_path)
    message = str(info.value)
    assert message.startswith(f"{tmp_path}: no usable OSV advisories: none of its 2 files")
    assert "a.json: not a valid OSV record: not valid JSON" in message


def test_only_withdrawn_records(tmp_path: Path) -> None:
    _write(tmp_path, "a.json", {**GOOD, "withdrawn": "2024-02-01T00:00:00Z"})
    with pytest.raises(InputError, match="all 1 records are withdrawn"):
        load_osv_directory(tmp_path)


def test_malformed_records_are_warnings(tmp_path: Path) -> None:
    _write(tmp_path, "good.json", GOOD)
    _write(tmp_path, "no-id.json", {"modified": "x"})
    bad_event = json.loads(json.dumps(GOOD))
    bad_event["id"] = "TEST-2"
    bad_event["affected"][0]["ranges"][0]["events"] = [{"introduced": "0", "fixed": "1"}]
    _write(tmp_path, "two-kinds.json", bad_event)
    no_intro = json.loads(json.dumps(GOOD))
    no_intro["id"] = "TEST-3"
    no_intro["affected"][0]["ranges"][0]["events"] = [{"fixed": "1"}]
    _write(tmp_path, "sub/no-introduced.yml", json.dumps(no_intro))
    unknown_type = json.loads(json.dumps(GOOD))
    unknown_type["id"] = "TEST-4"
    unknown_type["affected"][0]["ranges"][0]["type"] = "CALVER"
    _write(tmp_path, "calver.json", unknown_type)
    database = load_osv_directory(tmp_path)
    assert database.info.record_count == 1
    warnings = "\n".join(database.warnings)
    assert f"{tmp_path / 'no-id.json'}: not a valid OSV record: id: Field required" in warnings
    assert "exactly one of introduced/fixed/last_affected/limit" in warnings
    assert "at least one 'introduced' event" in warnings
    assert "unknown range type 'CALVER'" in warnings


def test_duplicate_ids_keep_the_newest(tmp_path: Path) -> None:
    _write(tmp_path, "a.json", GOOD)
    newer = {**GOOD, "modified": "2024-06-01T00:00:00Z", "summary": "newer"}
    _write(tmp_path, "b.json", newer)
    database = load_osv_directory(tmp_path)
    assert database.info.record_count == 1
    assert database.info.newest_modified == "2024-06-01T00:00:00Z"
    (warning,) = database.warnings
    assert "duplicate id TEST-1" in warning
    assert warning.startswith(
        f"{tmp_path.name}/a.json: duplicate id TEST-1; kept {tmp_path.name}/b.json"
    )


def test_unknown_ecosystem_loads(tmp_path: Path) -> None:
    record = json.loads(json.dumps(GOOD))
    record["affected"][0]["package"]["ecosystem"] = "Nonesuch:7"
    _write(tmp_path, "a.json", record)
    database = load_osv_directory(tmp_path)
    assert database.info.ecosystems == (("Nonesuch:7", 1),)


def test_yaml_timestamps_are_kept_as_text() -> None:
    # PyPA writes unquoted timestamps that YAML decodes as datetimes.
    database = load_osv_directory(CORPUS / "pypi" / "vulns" / "pyyaml")
    assert database.info.record_count == 4
    assert database.info.newest_modified is not None
    assert database.info.newest_modified.endswith("Z")
    assert database.warnings == ()


def test_several_folders_make_one_database(tmp_path: Path) -> None:
    _write(tmp_path / "one", "a.json", GOOD)
    _write(tmp_path / "two", "b.json", {**GOOD, "id": "TEST-2"})
    database = load_osv_directories([tmp_path / "one", tmp_path / "two"])
    assert database.info.record_count == 2
    assert database.info.source == f"{tmp_path / 'one'}, {tmp_path / 'two'}"
    _write(tmp_path / "three", "c.json", {**GOOD, "id": "TEST-3", "withdrawn": "2024-01-02"})
    with pytest.raises(InputError, match="three: no usable OSV advisories: all 1 records"):
        load_osv_directories([tmp_path / "one", tmp_path / "three"])
    with pytest.raises(InputError, match="no OSV advisory folder given"):
        load_osv_directories([])
