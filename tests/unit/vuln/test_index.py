"""The SQLite advisory index: import (folders, zips, RustSec), lookups, and failure modes."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from liturgia.errors import InputError, StorageError
from liturgia.model import Component
from liturgia.vuln import AdvisoryDatabase, load_osv_directory, scan
from liturgia.vuln.ecosystems import PackageKey
from liturgia.vuln.index import (
    IndexedAdvisoryDatabase,
    default_index_path,
    import_advisories,
    open_index,
    read_advisory_source,
)

from .conftest import CORPUS, copy_subset
from .test_corpus_ghsa_go import GHSA_TABLE


@pytest.fixture(scope="module")
def ghsa_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexedAdvisoryDatabase]:
    path = tmp_path_factory.mktemp("index") / "advisories.sqlite3"
    result = import_advisories(path, CORPUS / "ghsa")
    assert (result.files, result.imported, result.warnings) == (43, 43, ())
    database = open_index(path)
    yield database
    database.close()


@pytest.mark.parametrize("kind", ["memory", "index"])
def test_contract_same_answers_from_both_databases(
    kind: str, ghsa_db: AdvisoryDatabase, ghsa_index: IndexedAdvisoryDatabase
) -> None:
    # One suite over every AdvisoryDatabase implementation: the GHSA README table.
    database: AdvisoryDatabase = ghsa_db if kind == "memory" else ghsa_index
    components = [
        Component(name=name, version=version, ecosystem=eco, bom_ref=f"{eco}/{name}@{version}")
        for eco, name, version in GHSA_TABLE
    ]
    report = scan(components, database)
    found: dict[tuple[str, str, str], set[str]] = {key: set() for key in GHSA_TABLE}
    for finding in report.findings:
        eco, rest = finding.component_ref.split("/", 1)
        name, version = rest.rsplit("@", 1)
        found[(eco, name, version)].add(finding.id)
    assert found == GHSA_TABLE
    assert database.info.record_count == 43
    assert database.info.ecosystems == (("Go", 3), ("PyPI", 10), ("crates.io", 2), ("npm", 28))


def test_index_info(ghsa_index: IndexedAdvisoryDatabase) -> None:
    assert ghsa_index.info.kind == "sqlite-index"
    assert ghsa_index.info.newest_modified == "2024-10-04T20:31:00Z"
    assert ghsa_index.info.imported_at is not None
    assert ghsa_index.origins == ((str(CORPUS / "ghsa"), 43),)
    assert ghsa_index.warnings == ()


def test_zip_export_and_rustsec_and_withdrawn(tmp_path: Path) -> None:
    archive = tmp_path / "PyPI-all.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted((CORPUS / "pypi" / "vulns" / "redis").glob("*.yaml")):
            out.write(path, f"redis/{path.name}")
        out.writestr("README.md", "not an advisory")
    index = tmp_path / "db.sqlite3"
    result = import_advisories(index, archive)
    assert result.withdrawn == 1  # PYSEC-2023-73 is withdrawn
    assert result.imported == result.files
    rust = import_advisories(index, copy_subset(tmp_path / "rs", "rustsec/crates/tokio"))
    assert (rust.files, rust.imported) == (5, 5)
    database = open_index(index)
    report = scan([Component(name="tokio", version="1.8.3", ecosystem="crates.io")], database)
    assert "RUSTSEC-2021-0124" in {f.id for f in report.findings}
    assert database.info.withdrawn_count == 1
    redis = scan([Component(name="redis", version="4.5.3", ecosystem="PyPI")], database)
    assert "PYSEC-2023-73" not in {f.id for f in redis.findings}
    database.close()


def test_newer_record_wins_and_withdrawal_replaces(tmp_path: Path) -> None:
    record = {
        "id": "TEST-1",
        "modified": "2024-01-02T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": "p"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}],
            }
        ],
    }
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "a.json").write_text(json.dumps(record))
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "a.json").write_text(json.dumps({**record, "modified": "2023-01-01"}))
    (tmp_path / "gone").mkdir()
    withdrawn = {**record, "modified": "2024-03-01T00:00:00Z", "withdrawn": "2024-03-01T00:00:00Z"}
    (tmp_path / "gone" / "a.json").write_text(json.dumps(withdrawn))
    index = tmp_path / "db.sqlite3"
    assert import_advisories(index, tmp_path / "new").imported == 1
    assert import_advisories(index, tmp_path / "old").unchanged == 1
    component = Component(name="p", version="1.0.0", ecosystem="npm")
    database = open_index(index)
    assert [f.id for f in scan([component], database).findings] == ["TEST-1"]
    database.close()
    assert import_advisories(index, tmp_path / "gone").withdrawn == 1
    with pytest.raises(InputError, match="holds no advisories"):
        open_index(index)


def test_truncated_zip_changes_nothing(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted((CORPUS / "ghsa" / "npm").glob("*.json")):
            out.write(path, path.name)
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    index = tmp_path / "db.sqlite3"
    with pytest.raises(
        InputError, match=r"all.zip: not a valid zip archive \(truncated or corrupt\)"
    ):
        import_advisories(index, archive)
    assert not index.exists()


def test_import_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="advisory source not found"):
        import_advisories(tmp_path / "db", tmp_path / "missing")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.json").write_text("[1, 2]")
    with pytest.raises(InputError, match=r"no valid advisories among 1 files \(first problem: "):
        import_advisories(tmp_path / "db", tmp_path / "junk")
    single = tmp_path / "one.json"
    single.write_text((CORPUS / "ghsa" / "npm" / "GHSA-jf85-cpcp-j695.json").read_text())
    advisories, warnings, files = read_advisory_source(single)
    assert ([a.id for a in advisories], warnings, files) == (["GHSA-jf85-cpcp-j695"], [], 1)


def test_open_index_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no advisory index; run `liturgia vulndb import PATH`"):
        open_index(tmp_path / "none.sqlite3")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(InputError, match="not a readable advisory index"):
        open_index(garbage)
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE t (x)")
    with pytest.raises(InputError, match="not a readable advisory index"):
        open_index(other)
    future = tmp_path / "future.sqlite3"
    import_advisories(future, CORPUS / "ghsa" / "go")
    with sqlite3.connect(future) as connection:
        connection.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    connection.close()
    with pytest.raises(InputError, match="schema 99 is not 2"):
        open_index(future)


def test_default_index_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LITURGIA_VULNDB", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_index_path() == tmp_path / "liturgia" / "advisories.sqlite3"
    monkeypatch.setenv("LITURGIA_VULNDB", str(tmp_path / "x.db"))
    assert default_index_path() == tmp_path / "x.db"
    monkeypatch.delenv("LITURGIA_VULNDB")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_index_path() == Path.home() / ".cache" / "liturgia" / "advisories.sqlite3"


def test_memory_and_index_agree_on_pypi_pins(tmp_path: Path) -> None:
    folder = copy_subset(tmp_path / "osv", "pypi/vulns/requests", "pypi/vulns/jinja2")
    index = tmp_path / "db.sqlite3"
    import_advisories(index, folder)
    components = [
        Component(name="requests", version="2.19.0", ecosystem="PyPI"),
        Component(name="Jinja2", version="2.10", ecosystem="PyPI"),
    ]
    database = open_index(index)
    from_index = scan(components, database)
    from_folder = scan(components, load_osv_directory(folder))
    database.close()
    assert [(f.id, f.aliases, f.fixed_versions) for f in from_index.findings] == [
        (f.id, f.aliases, f.fixed_versions) for f in from_folder.findings
    ]


def test_versions_lists_survive_compact_storage(tmp_path: Path) -> None:
    # The index keeps parseable versions in canonical form and the rest verbatim.
    record = {
        "id": "TEST-V",
        "modified": "2024-01-01T00:00:00Z",
        "affected": [
            {"package": {"ecosystem": "PyPI", "name": "p"}, "versions": ["1.0", "weird-1"]}
        ],
    }
    (tmp_path / "osv").mkdir()
    (tmp_path / "osv" / "a.json").write_text(json.dumps(record))
    index = tmp_path / "db.sqlite3"
    import_advisories(index, tmp_path / "osv")
    database = open_index(index)
    components = [
        Component(name="p", version=v, ecosystem="PyPI", bom_ref=v)
        for v in ("1.0.0", "weird-1", "1.1")
    ]
    report = scan(components, database)
    database.close()
    assert [f.component_ref for f in report.findings] == ["1.0.0", "weird-1"]
    assert [u.component_ref for u in report.unchecked] == ["weird-1"]


def test_folder_problems_are_warnings(tmp_path: Path) -> None:
    folder = copy_subset(tmp_path / "src", "ghsa/go/GHSA-xr7r-f8xq-vfvv.json")
    (folder / "README.md").write_text("# not an advisory\n")
    (folder / "broken.md").write_text("```toml\n[advisory\n```\n")
    (folder / "latin1.md").write_bytes(b"```toml\n\xff\n```\n")
    (folder / "bad.json").write_text("{")
    (folder / "gone.json").symlink_to(folder / "missing")
    advisories, warnings, files = read_advisory_source(folder)
    assert [a.id for a in advisories] == ["GHSA-xr7r-f8xq-vfvv"]
    assert files == 4  # the unreadable file is a warning, not a file read
    reasons = "\n".join(warnings)
    assert f"{folder / 'gone.json'}: advisory file is a symbolic link to a missing file" in reasons
    assert "bad.json: not a valid advisory: not valid JSON" in reasons
    assert "broken.md: not a valid advisory: invalid TOML front matter" in reasons
    assert "latin1.md: not a valid advisory:" in reasons


def test_index_storage_errors(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match=f"cannot create the advisory index: {blocker} is not a"):
        import_advisories(blocker / "db.sqlite3", CORPUS / "ghsa" / "go")
    index = tmp_path / "db.sqlite3"
    import_advisories(index, CORPUS / "ghsa" / "go")
    database = open_index(index)
    database.close()
    with pytest.raises(StorageError, match="cannot read advisory index"):
        database.entries_for(PackageKey(ecosystem="Go", name="google.golang.org/grpc"))


def test_index_honours_affected_purls(tmp_path: Path) -> None:
    record = {
        "id": "TEST-P",
        "modified": "2024-01-01T00:00:00Z",
        "affected": [
            {"package": {"ecosystem": "npm", "name": "legacy-name", "purl": "pkg:npm/%40scope/pkg"},
             "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]},
            {"package": {"ecosystem": "npm", "name": "other", "purl": "pkg:"},
             "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]},
        ],
    }  # fmt: skip
    (tmp_path / "osv").mkdir()
    (tmp_path / "osv" / "a.json").write_text(json.dumps(record))
    index = tmp_path / "db.sqlite3"
    import_advisories(index, tmp_path / "osv")
    database = open_index(index)
    components = [
        Component(name="@scope/pkg", version="1.0.0", purl="pkg:npm/%40scope/pkg@1.0.0"),
        Component(name="other", version="1.0.0", ecosystem="npm"),
        Component(name="legacy-name", version="1.0.0", ecosystem="npm"),
    ]
    report = scan(components, database)
    database.close()
    assert sorted(f.name for f in report.findings) == ["@scope/pkg", "legacy-name", "other"]
