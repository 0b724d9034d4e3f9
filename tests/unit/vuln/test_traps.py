"""Traps present in the real corpus, each reproduced from the real record."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import yaml

from liturgia.model import Component
from liturgia.vuln import AdvisoryDatabase, Severity, load_osv_directory, scan

from .conftest import CORPUS


def _derived(tmp_path: Path, relative: str, edit: Callable[[dict[str, object]], None]) -> Path:
    """Write an edited copy of a real record (to isolate one rule), return its folder."""
    record = yaml.safe_load((CORPUS / relative).read_text())
    edit(record)
    folder = tmp_path / "derived"
    folder.mkdir()
    (folder / Path(relative).with_suffix(".json").name).write_text(json.dumps(record, default=str))
    return folder


def test_versions_list_spells_3_2_for_pin_3_2_0(tmp_path: Path) -> None:
    # PYSEC-2021-98 lists '3.2' in versions[]. With its ECOSYSTEM range removed, only the list
    # can match: the pin 3.2.0 must still be found (PEP 440 equality, not string equality).
    def only_versions(record: dict[str, object]) -> None:
        for affected in record["affected"]:  # type: ignore[attr-defined]
            affected["ranges"] = [r for r in affected["ranges"] if r["type"] == "GIT"]

    db = load_osv_directory(
        _derived(tmp_path, "pypi/vulns/django/PYSEC-2021-98.yaml", only_versions)
    )
    report = scan([Component(name="django", version="3.2.0", ecosystem="PyPI")], db)
    assert [f.id for f in report.findings] == ["PYSEC-2021-98"]


def test_events_out_of_order_ansible(
    tmp_path: Path, subset_db: Callable[..., AdvisoryDatabase]
) -> None:
    # PYSEC-2018-44 lists: introduced 2.7, fixed 2.7.1, introduced 2.6, fixed 2.6.7,
    # introduced 0, fixed 2.5.11. Sorted: [0, 2.5.11), [2.6, 2.6.7), [2.7, 2.7.1).
    # Replayed in list order, 2.7.0 would end unaffected (the later "fixed 2.6.7" closes it).
    def only_ranges(record: dict[str, object]) -> None:
        for affected in record["affected"]:  # type: ignore[attr-defined]
            affected.pop("versions", None)

    db = load_osv_directory(
        _derived(tmp_path, "pypi/vulns/ansible/PYSEC-2018-44.yaml", only_ranges)
    )
    versions = {"2.5.10": True, "2.5.11": False, "2.6.0": True, "2.6.7": False, "2.7.0": True,
                "2.7.1": False}  # fmt: skip
    components = [
        Component(name="ansible", version=v, ecosystem="PyPI", bom_ref=v) for v in versions
    ]
    found = {f.component_ref for f in scan(components, db).findings}
    assert {v: v in found for v in versions} == versions
    # The real record (with its versions list) answers the same.
    real = subset_db("pypi/vulns/ansible/PYSEC-2018-44.yaml")
    assert {f.component_ref for f in scan(components, real).findings} == found


def test_record_without_aliases_or_dates(subset_db: Callable[..., AdvisoryDatabase]) -> None:
    # PYSEC-2024-55 (malicious cipherbcrypt): no aliases, no published date, modified 0001-01-01,
    # a single "introduced 0" event and no severity.
    db = subset_db("pypi/vulns/cipherbcrypt/PYSEC-2024-55.yaml")
    report = scan([Component(name="cipherbcrypt", version="0.0.1", ecosystem="PyPI")], db)
    (finding,) = report.findings
    assert finding.id == "PYSEC-2024-55"
    assert finding.aliases == ()
    assert finding.summary == "Malicious package. Exfiltrated secrets to a target server."
    assert finding.severity is Severity.UNKNOWN


def test_withdrawn_records_are_skipped(subset_db: Callable[..., AdvisoryDatabase]) -> None:
    db = subset_db(
        "pypi/vulns/redis", "pypi/vulns/loguru/PYSEC-2022-15.yaml", "go/data/osv/GO-2024-2730.json"
    )
    assert db.info.withdrawn_count == 3
    report = scan(
        [
            Component(name="loguru", version="0.5.0", ecosystem="PyPI"),
            Component(name="redis", version="4.5.3", ecosystem="PyPI"),
        ],
        db,
    )
    assert "PYSEC-2022-15" not in {f.id for f in report.findings}
    assert "PYSEC-2023-73" not in {f.id for f in report.findings}


def test_invalid_range_bound_is_a_warning_not_a_silent_pass(
    subset_db: Callable[..., AdvisoryDatabase],
) -> None:
    # PYSEC-2021-371 (binderhub) has ECOSYSTEM "fixed: 0.2.0-n653", not a PEP 440 version; the
    # range cannot be evaluated and the report says so.
    db = subset_db("pypi/vulns/binderhub/PYSEC-2021-371.yaml")
    report = scan([Component(name="binderhub", version="0.1.0", ecosystem="PyPI")], db)
    assert any(
        "PYSEC-2021-371" in w and "'0.2.0-n653' is not a valid PEP 440 version" in w
        for w in report.warnings
    )


def test_go_vulndb_has_no_severity(subset_db: Callable[..., AdvisoryDatabase]) -> None:
    db = subset_db("go/data/osv/GO-2020-0001.json")  # gin [0, 1.6.0), no severity field
    report = scan(
        [Component(name="github.com/gin-gonic/gin", version="v1.5.0", ecosystem="Go")], db
    )
    (finding,) = report.findings
    assert finding.severity is Severity.UNKNOWN
    assert report.blocking(Severity.HIGH) == (finding,)
    assert report.blocking(Severity.HIGH, unknown_as=Severity.MEDIUM) == ()
