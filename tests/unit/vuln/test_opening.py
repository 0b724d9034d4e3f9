"""Opening a scan's advisories from local files: the database, the ignore file and the age."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from liturgia.errors import InputError
from liturgia.vuln import import_advisories, open_advisories

RECORD = {
    "id": "TEST-1",
    "modified": "2024-01-01T00:00:00Z",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "p"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
        }
    ],
}
IGNORE = """\
[[ignore]]
id = "TEST-1"
reason = "not reachable"

[[unchecked]]
component = "pkg:pypi/q"
reason = "vendored"
"""
AT = datetime(2024, 1, 11, tzinfo=UTC)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "osv"
    folder.mkdir(parents=True)
    (folder / "TEST-1.json").write_text(json.dumps(RECORD))
    return folder


def test_folders_with_the_ignore_file_and_the_age(tmp_path: Path) -> None:
    ignore = tmp_path / "ignore.toml"
    ignore.write_text(IGNORE)
    opened = open_advisories(
        osv=[_folder(tmp_path)], ignore=ignore, max_age=timedelta(days=30), at=AT
    )
    assert opened.database.info.record_count == 1
    assert [rule.id for rule in opened.rules] == ["TEST-1"]
    assert [rule.reason for rule in opened.accept] == ["vendored"]
    assert opened.stale is None
    old = open_advisories(osv=[_folder(tmp_path / "b")], max_age=timedelta(days=5), at=AT)
    assert (old.rules, old.accept) == ((), ())
    assert old.stale is not None and "2024-01-01" in old.stale


def test_the_index_and_its_advice(tmp_path: Path) -> None:
    index = tmp_path / "advisories.sqlite3"
    import_advisories(index, _folder(tmp_path))
    opened = open_advisories(index=index, max_age=timedelta(days=30), at=AT)
    assert opened.database.info.record_count == 1
    missing = tmp_path / "none.sqlite3"
    with pytest.raises(InputError) as caught:
        open_advisories(index=missing, max_age=timedelta(days=30), at=AT, index_hint="scan.vulndb")
    assert str(missing) in str(caught.value)
    assert "(scan.vulndb: fill the index with `liturgia vulndb update`" in str(caught.value)


def test_exactly_one_database(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        open_advisories(max_age=timedelta(days=1), at=AT)
    with pytest.raises(ValueError, match="exactly one"):
        open_advisories(
            osv=[_folder(tmp_path)], index=tmp_path / "i", max_age=timedelta(days=1), at=AT
        )
